// One row of the room list: avatar (with presence for DMs), name, last message, unread badge.
import { NotificationCountType, type Room } from "matrix-js-sdk";
import { useClient } from "../matrix/context";
import { isVisible, noticeText } from "../matrix/events";
import { previewText } from "../matrix/preview";
import { shortStamp } from "../matrix/days";
import { usePresence } from "../hooks/usePresence";
import { presenceKey, useI18n } from "../i18n";
import { Avatar } from "./Avatar";
import { IconBellOff } from "./icons";

interface Props {
  room: Room;
  partnerId: string | null;
  active: boolean;
  muted: boolean;
  onSelect: () => void;
}

export default function RoomListItem({ room, partnerId, active, muted, onSelect }: Props) {
  const client = useClient();
  const { t, lang } = useI18n();
  const presence = usePresence(client, partnerId);
  const events = room.getLiveTimeline().getEvents();
  let last = null;
  for (let i = events.length - 1; i >= 0; i--) {
    if (isVisible(events[i])) {
      last = events[i];
      break;
    }
  }
  const unread = room.getUnreadNotificationCount(NotificationCountType.Total);
  const highlight = room.getUnreadNotificationCount(NotificationCountType.Highlight);
  const typing = room.getMembers().filter((m) => m.typing && m.userId !== client.getUserId());
  let preview = "";
  if (typing.length > 0) preview = t("typing.short");
  else if (last) {
    const text = last.isState() ? noticeText(last, room, t) : previewText(last, t);
    const own = last.getSender() === client.getUserId();
    preview = !last.isState() && (own || !partnerId) ? `${own ? t("common.you") : (room.getMember(last.getSender()!)?.name ?? last.getSender())}: ${text}` : text;
  }
  const partner = partnerId ? room.getMember(partnerId) : null;
  const avatarMxc = room.getMxcAvatarUrl() ?? partner?.getMxcAvatarUrl() ?? (partnerId ? client.getUser(partnerId)?.avatarUrl : undefined);
  return (
    <li>
      <button
        className={`room-item${active ? " active" : ""}${unread > 0 ? " unread" : ""}`}
        onClick={onSelect}
        aria-current={active ? "page" : undefined}
        data-room-id={room.roomId}
        aria-label={unread > 0 ? `${room.name}, ${t("rooms.unreadCount", { count: unread })}` : room.name}
      >
        <Avatar id={partnerId ?? room.roomId} name={room.name} mxc={avatarMxc} size={42} presence={partnerId ? (presence?.presence ?? "offline") : null} presenceLabel={presence ? t(presenceKey(presence.presence)) : undefined} />
        <span className="room-item-text">
          <span className="room-item-top">
            <span className="room-name">{room.name}</span>
            {last && <span className="room-time muted small">{shortStamp(last.getTs(), Date.now(), lang)}</span>}
          </span>
          <span className="room-item-bottom">
            <span className={`room-preview small${typing.length ? " typing" : ""}`}>{preview}</span>
            {muted && (
              <span className="muted" title={t("notify.muted")} aria-label={t("notify.muted")}>
                <IconBellOff size={14} />
              </span>
            )}
            {unread > 0 && <span className={`badge${highlight > 0 ? " highlight" : ""}${muted ? " quiet" : ""}`} data-testid="unread-badge">{unread > 99 ? "99+" : unread}</span>}
          </span>
        </span>
      </button>
    </li>
  );
}
