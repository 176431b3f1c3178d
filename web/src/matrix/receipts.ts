// Reads receipts off a room for the timeline: own-message status and who read up to where.
import { EventStatus, ReceiptType, type MatrixEvent, type Room } from "matrix-js-sdk";
import { deriveStatus, type MessageStatus, type ReceiptPositions } from "./status";

export const DELIVERED = "org.hearth.delivered";

export interface ReceiptView {
  /** Status of each of my events, by event ID. */
  statusOf: (ev: MatrixEvent, index: number) => MessageStatus;
  /** Users (not me) whose read receipt rests at each visible event. */
  readersAt: Map<string, string[]>;
}

function localState(ev: MatrixEvent): "sending" | "failed" | null {
  switch (ev.status) {
    case EventStatus.NOT_SENT:
      return "failed";
    case EventStatus.QUEUED:
    case EventStatus.SENDING:
    case EventStatus.ENCRYPTING:
      return "sending";
    default:
      return null;
  }
}

/**
 * `all` is the full timeline (including hidden events, which receipts may point at);
 * `visible` the events that get tiles. A receipt on a hidden event is shown at the
 * nearest visible event before it.
 */
export function readReceipts(room: Room, myUserId: string, all: MatrixEvent[], visible: MatrixEvent[]): ReceiptView {
  const indexById = new Map<string, number>();
  all.forEach((ev, i) => {
    const id = ev.getId();
    if (id) indexById.set(id, i);
  });
  const visibleIndex = new Set(visible.map((ev) => ev.getId()));
  const others: ReceiptPositions[] = [];
  const readersAt = new Map<string, string[]>();
  for (const member of room.getJoinedMembers()) {
    const userId = member.userId;
    if (userId === myUserId) continue;
    const readId = room.getEventReadUpTo(userId, false);
    const deliveredId = room.getReadReceiptForUserId(userId, true, DELIVERED as ReceiptType)?.eventId;
    const read = readId ? (indexById.get(readId) ?? -1) : -1;
    const delivered = deliveredId ? (indexById.get(deliveredId) ?? -1) : -1;
    others.push({ read, delivered });
    // Walk back from the receipt to the nearest event with a tile (not one of their own:
    // that they read what they wrote says nothing).
    for (let i = read; i >= 0; i--) {
      const id = all[i].getId();
      if (id && visibleIndex.has(id) && all[i].getSender() !== userId) {
        const list = readersAt.get(id) ?? [];
        list.push(userId);
        readersAt.set(id, list);
        break;
      }
    }
  }
  return {
    statusOf: (ev, index) => deriveStatus({ local: localState(ev), index: ev.getId()?.startsWith("~") ? -1 : index, others }),
    readersAt,
  };
}
