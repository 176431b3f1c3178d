// Status of one's own messages: sending -> sent -> delivered -> read (or failed).
// Pure so it can be unit tested; the room-facing wrapper lives in receipts.ts.

export type MessageStatus = "failed" | "sending" | "sent" | "delivered" | "read";

export interface ReceiptPositions {
  /** Timeline index the user's org.hearth.delivered receipt points at (-1: none known). */
  delivered: number;
  /** Timeline index of the user's read receipt (-1: none known). */
  read: number;
}

export interface StatusInput {
  /** Local echo state: "sending" while the server has not answered, "failed" when it refused. */
  local: "sending" | "failed" | null;
  /** This event's index in the timeline. */
  index: number;
  /** Receipt positions of every other member. */
  others: ReceiptPositions[];
}

export function deriveStatus({ local, index, others }: StatusInput): MessageStatus {
  if (local === "failed") return "failed";
  if (local === "sending" || index < 0) return "sending";
  // A read receipt at or after the event implies it was delivered too.
  if (others.some((o) => o.read >= index)) return "read";
  if (others.some((o) => o.delivered >= index)) return "delivered";
  return "sent";
}

/** Order used to let the status only move forward on screen. */
export const STATUS_RANK: Record<MessageStatus, number> = { failed: -1, sending: 0, sent: 1, delivered: 2, read: 3 };
