// The room list: the user's own card, quick actions, invites, direct chats and groups.
import { useMemo, useState } from "react";
import { ClientEvent, RoomEvent, RoomMemberEvent, UserEvent, type Room } from "matrix-js-sdk";
import { useClient, useEmitterVersion } from "../matrix/context";
import { acceptInvite, bucketRooms, directMap, dmPartner } from "../matrix/rooms";
import { isGlobalDnd, isRoomMuted, PUSH_RULES_CHANGED, pushRulesEmitter } from "../matrix/notify";
import { usePresence } from "../hooks/usePresence";
import { useOwnProfile } from "../matrix/profile";
import { presenceKey, useT } from "../i18n";
import { Avatar } from "./Avatar";
import { IconBellOff, IconChat, IconGlobe, IconPlus, IconSearch } from "./icons";
import RoomListItem from "./RoomListItem";
import NotifyPrompt from "./NotifyPrompt";
import type { LayoutActions } from "./ChatLayout";

const CLIENT_EVENTS = [
  ClientEvent.Room,
  ClientEvent.DeleteRoom,
  ClientEvent.AccountData,
  RoomEvent.Timeline,
  RoomEvent.Name,
  RoomEvent.MyMembership,
  RoomEvent.UnreadNotifications,
  RoomEvent.Redaction,
  RoomEvent.LocalEchoUpdated,
  RoomMemberEvent.Typing,
  RoomMemberEvent.Name,
  UserEvent.AvatarUrl,
  UserEvent.DisplayName,
];

interface Props {
  activeRoomId: string | null;
  actions: LayoutActions;
}

export default function Sidebar({ activeRoomId, actions }: Props) {
  const client = useClient();
  const t = useT();
  const version = useEmitterVersion(client, CLIENT_EVENTS);
  const rulesVersion = useEmitterVersion(pushRulesEmitter, [PUSH_RULES_CHANGED]);
  const [filter, setFilter] = useState("");
  const me = useOwnProfile(client);
  const presence = usePresence(client, client.getUserId());
  const [busyInvite, setBusyInvite] = useState<string | null>(null);

  const buckets = useMemo(() => bucketRooms(client), [client, version]); // eslint-disable-line react-hooks/exhaustive-deps
  const map = useMemo(() => directMap(client), [client, version]); // eslint-disable-line react-hooks/exhaustive-deps
  const needle = filter.trim().toLowerCase();
  const match = (r: Room) => !needle || r.name.toLowerCase().includes(needle);
  void rulesVersion;

  async function respond(room: Room, accept: boolean) {
    setBusyInvite(room.roomId);
    try {
      if (accept) {
        await acceptInvite(client, room);
        actions.selectRoom(room.roomId);
      } else {
        await client.leave(room.roomId);
      }
    } finally {
      setBusyInvite(null);
    }
  }

  const renderList = (rooms: Room[]) =>
    rooms.filter(match).map((room) => (
      <RoomListItem
        key={room.roomId}
        room={room}
        partnerId={dmPartner(client, room, map)}
        active={room.roomId === activeRoomId}
        muted={isRoomMuted(client.pushRules, room.roomId)}
        onSelect={() => actions.selectRoom(room.roomId)}
      />
    ));

  return (
    <nav className="sidebar" aria-label={t("rooms.list")}>
      <div className="sidebar-head">
        <button className="me" onClick={() => actions.openDialog({ kind: "profile" })} aria-label={t("profile.open")}>
          <Avatar id={client.getSafeUserId()} name={me.name} mxc={me.avatarUrl} size={38} presence={presence?.presence ?? "online"} presenceLabel={t(presenceKey(presence?.presence ?? "online"))} />
          <span className="me-text">
            <strong>{me.name}</strong>
            <span className="muted small">{presence?.statusMsg || client.getUserId()}</span>
          </span>
        </button>
        <div className="head-actions">
          {isGlobalDnd(client.pushRules) && (
            <span className="dnd-flag" role="img" title={t("notify.dnd")} aria-label={t("notify.dnd")}>
              <IconBellOff size={16} />
            </span>
          )}
          <button className="icon-btn" onClick={() => actions.openPanel({ kind: "search" })} aria-label={t("search.title")} title={t("search.title")}>
            <IconSearch />
          </button>
        </div>
      </div>
      <div className="quick-actions">
        <button className="chip" onClick={() => actions.openDialog({ kind: "contacts" })}>
          <IconChat size={16} /> {t("contacts.start")}
        </button>
        <button className="chip" onClick={() => actions.openDialog({ kind: "create" })}>
          <IconPlus size={16} /> {t("rooms.createShort")}
        </button>
        <button className="chip" onClick={() => actions.openDialog({ kind: "public" })}>
          <IconGlobe size={16} /> {t("rooms.exploreShort")}
        </button>
      </div>
      <NotifyPrompt />
      <div className="filter">
        <input type="search" value={filter} onChange={(e) => setFilter(e.target.value)} placeholder={t("rooms.filter")} aria-label={t("rooms.filter")} />
      </div>
      <div className="room-scroll">
        {buckets.invites.length > 0 && (
          <section aria-label={t("rooms.invites")}>
            <h3 className="section-title">{t("rooms.invites")}</h3>
            {buckets.invites.filter(match).map((room) => {
              const inviter = room.getDMInviter() ?? room.getMember(client.getSafeUserId())?.events.member?.getSender();
              return (
                <div className="invite" key={room.roomId} data-room-id={room.roomId}>
                  <Avatar id={room.roomId} name={room.name} mxc={room.getMxcAvatarUrl()} size={36} />
                  <div className="invite-text">
                    <strong>{room.name}</strong>
                    <span className="muted small">{t("rooms.invitedBy", { user: inviter ?? "" })}</span>
                    <div className="row gap-s">
                      <button className="btn small primary" disabled={busyInvite === room.roomId} onClick={() => respond(room, true)}>
                        {t("rooms.accept")}
                      </button>
                      <button className="btn small" disabled={busyInvite === room.roomId} onClick={() => respond(room, false)}>
                        {t("rooms.decline")}
                      </button>
                    </div>
                  </div>
                </div>
              );
            })}
          </section>
        )}
        <section aria-label={t("rooms.direct")}>
          <h3 className="section-title">{t("rooms.direct")}</h3>
          {buckets.dms.length === 0 && <p className="muted small pad">{t("rooms.noDirect")}</p>}
          <ul className="room-list">{renderList(buckets.dms)}</ul>
        </section>
        <section aria-label={t("rooms.groups")}>
          <h3 className="section-title">{t("rooms.groups")}</h3>
          {buckets.groups.length === 0 && <p className="muted small pad">{t("rooms.noGroups")}</p>}
          <ul className="room-list">{renderList(buckets.groups)}</ul>
        </section>
      </div>
    </nav>
  );
}
