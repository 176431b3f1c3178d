// Which events the timeline shows, and how room notices read.
import { EventType, type MatrixEvent, type Room } from "matrix-js-sdk";
import type { TFunction } from "../i18n";
import { POLL_END_TYPES, POLL_RESPONSE_TYPES, POLL_START_TYPES } from "./polls";

const NOTICE_STATE = new Set<string>([
  EventType.RoomMember,
  EventType.RoomName,
  EventType.RoomTopic,
  EventType.RoomAvatar,
  EventType.RoomCreate,
]);

export function relType(ev: MatrixEvent): string | undefined {
  return ev.getWireContent()["m.relates_to"]?.rel_type;
}

export function threadRootOf(ev: MatrixEvent): string | null {
  const rel = ev.getWireContent()["m.relates_to"];
  return rel?.rel_type === "m.thread" ? (rel.event_id ?? null) : null;
}

export function replyTargetOf(ev: MatrixEvent): string | null {
  const rel = ev.getWireContent()["m.relates_to"];
  // In a thread, the fallback in_reply_to is not a real reply.
  if (rel?.rel_type === "m.thread" && rel.is_falling_back) return null;
  return rel?.["m.in_reply_to"]?.event_id ?? null;
}

export function isMessageLike(ev: MatrixEvent): boolean {
  const type = ev.getType();
  return type === EventType.RoomMessage || type === EventType.Sticker || POLL_START_TYPES.includes(type) || type === EventType.RoomMessageEncrypted;
}

/** Events that get their own tile in a timeline (main or thread). */
export function isVisible(ev: MatrixEvent): boolean {
  const type = ev.getType();
  if (ev.isState()) return NOTICE_STATE.has(type) && !(type === EventType.RoomMember && isNoopMember(ev));
  if (relType(ev) === "m.replace") return false;
  if (POLL_RESPONSE_TYPES.includes(type) || POLL_END_TYPES.includes(type)) return false;
  return isMessageLike(ev);
}

/** Visible in the main timeline: thread replies go to the thread panel instead. */
export function isMainTimeline(ev: MatrixEvent): boolean {
  return isVisible(ev) && !threadRootOf(ev);
}

function isNoopMember(ev: MatrixEvent): boolean {
  const c = ev.getContent();
  const p = ev.getPrevContent();
  return c.membership === p.membership && c.displayname === p.displayname && c.avatar_url === p.avatar_url;
}

function nameOf(room: Room | null, userId: string | undefined, fallback?: string): string {
  if (!userId) return "";
  return room?.getMember(userId)?.name ?? fallback ?? userId;
}

/** One line describing a state change ("Alice joined", "Bob renamed the room to …"). */
export function noticeText(ev: MatrixEvent, room: Room | null, t: TFunction): string {
  // The SDK attaches sender/target members as they were just before the event.
  const sender = ev.sender?.name ?? nameOf(room, ev.getSender());
  const c = ev.getContent();
  switch (ev.getType()) {
    case EventType.RoomCreate:
      return t("notice.created", { user: sender });
    case EventType.RoomName:
      return c.name ? t("notice.renamed", { user: sender, name: c.name }) : t("notice.nameRemoved", { user: sender });
    case EventType.RoomTopic:
      return t("notice.topic", { user: sender, topic: c.topic ?? "" });
    case EventType.RoomAvatar:
      return t("notice.avatar", { user: sender });
    case EventType.RoomMember: {
      const target = c.displayname ?? ev.getPrevContent().displayname ?? ev.target?.name ?? ev.getStateKey() ?? "";
      const prev = ev.getPrevContent().membership;
      switch (c.membership) {
        case "join":
          if (prev === "join") {
            if (c.displayname !== ev.getPrevContent().displayname) return t("notice.renamedSelf", { old: ev.getPrevContent().displayname ?? target, name: c.displayname ?? "" });
            return t("notice.avatarSelf", { user: target });
          }
          return t("notice.joined", { user: target });
        case "invite":
          return t("notice.invited", { user: sender, target });
        case "leave":
          if (ev.getSender() !== ev.getStateKey()) {
            return prev === "ban" ? t("notice.unbanned", { user: sender, target }) : prev === "invite" ? t("notice.inviteRevoked", { user: sender, target }) : t("notice.kicked", { user: sender, target });
          }
          return prev === "invite" ? t("notice.declined", { user: target }) : t("notice.left", { user: target });
        case "ban":
          return t("notice.banned", { user: sender, target });
      }
    }
  }
  return ev.getType();
}
