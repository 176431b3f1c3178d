// An open room: header, timeline, typing line and composer. Reply/edit state lives here
// because both the timeline (actions) and the composer use it.
import { useCallback, useState } from "react";
import { RoomEvent, RoomStateEvent, type MatrixEvent, type Room } from "matrix-js-sdk";
import { useClient, useEmitterVersion } from "../matrix/context";
import { dmPartner } from "../matrix/rooms";
import { isRoomMuted, PUSH_RULES_CHANGED, pushRulesEmitter, setRoomMuted } from "../matrix/notify";
import { usePresence } from "../hooks/usePresence";
import { countKey, presenceKey, useT } from "../i18n";
import { Avatar } from "./Avatar";
import Timeline from "./Timeline";
import Composer from "./Composer";
import TypingLine from "./TypingLine";
import { IconBack, IconBell, IconBellOff, IconSearch, IconSettings } from "./icons";
import type { LayoutActions } from "./ChatLayout";

export interface ComposerTarget {
  replyTo: MatrixEvent | null;
  editing: MatrixEvent | null;
}

interface Props {
  room: Room;
  actions: LayoutActions;
}

export default function RoomView({ room, actions }: Props) {
  const client = useClient();
  const t = useT();
  useEmitterVersion(room, [RoomEvent.Name, RoomStateEvent.Events]);
  useEmitterVersion(pushRulesEmitter, [PUSH_RULES_CHANGED]);
  const partnerId = dmPartner(client, room);
  const presence = usePresence(client, partnerId);
  const [target, setTarget] = useState<ComposerTarget>({ replyTo: null, editing: null });
  const muted = isRoomMuted(client.pushRules, room.roomId);
  const [muteBusy, setMuteBusy] = useState(false);

  const reply = useCallback((ev: MatrixEvent) => setTarget({ replyTo: ev, editing: null }), []);
  const edit = useCallback((ev: MatrixEvent) => setTarget({ replyTo: null, editing: ev }), []);
  const clear = useCallback(() => setTarget({ replyTo: null, editing: null }), []);

  async function toggleMute() {
    setMuteBusy(true);
    try {
      await setRoomMuted(client, room.roomId, !muted);
    } finally {
      setMuteBusy(false);
    }
  }

  const topic = room.currentState.getStateEvents("m.room.topic", "")?.getContent().topic as string | undefined;
  const subtitle = partnerId
    ? [presence ? t(presenceKey(presence.presence)) : "", presence?.statusMsg].filter(Boolean).join(" · ")
    : topic || t(countKey(room.getJoinedMemberCount(), "room.memberOne", "room.members"), { count: room.getJoinedMemberCount() });
  const partner = partnerId ? room.getMember(partnerId) : null;

  return (
    <section className="room-view" aria-label={room.name} data-room-id={room.roomId}>
      <header className="room-header">
        <button className="icon-btn back" onClick={() => actions.selectRoom(null)} aria-label={t("common.back")}>
          <IconBack />
        </button>
        <Avatar id={partnerId ?? room.roomId} name={room.name} mxc={room.getMxcAvatarUrl() ?? partner?.getMxcAvatarUrl()} size={38} presence={partnerId ? (presence?.presence ?? "offline") : null} presenceLabel={presence ? t(presenceKey(presence.presence)) : undefined} />
        <div className="room-title">
          <h2>{room.name}</h2>
          <p className="muted small ellipsis">{subtitle}</p>
        </div>
        <div className="head-actions">
          <button className="icon-btn" onClick={() => actions.openPanel({ kind: "search", roomId: room.roomId })} aria-label={t("search.inRoom")} title={t("search.inRoom")}>
            <IconSearch />
          </button>
          <button className={`icon-btn${muted ? " on" : ""}`} onClick={toggleMute} disabled={muteBusy} aria-pressed={muted} aria-label={muted ? t("notify.unmute") : t("notify.mute")} title={muted ? t("notify.unmute") : t("notify.mute")} data-testid="mute-toggle">
            {muted ? <IconBellOff /> : <IconBell />}
          </button>
          <button className="icon-btn" onClick={() => actions.openDialog({ kind: "roomSettings", roomId: room.roomId })} aria-label={t("settings.room")} title={t("settings.room")}>
            <IconSettings />
          </button>
        </div>
      </header>
      <Timeline room={room} onReply={reply} onEdit={edit} actions={actions} />
      <TypingLine room={room} />
      <Composer room={room} target={target} onDone={clear} onEditLast={edit} />
    </section>
  );
}
