// Room settings: name, topic, avatar; members with power levels, invite, kick and ban;
// notification mute; leaving the room.
import { useRef, useState, type FormEvent } from "react";
import { RoomStateEvent, type RoomMember } from "matrix-js-sdk";
import { useClient, useEmitterVersion } from "../matrix/context";
import { isRoomMuted, PUSH_RULES_CHANGED, pushRulesEmitter, setRoomMuted } from "../matrix/notify";
import { UploadUnsupportedError } from "../matrix/send";
import { useT, type MessageKey } from "../i18n";
import { Avatar } from "./Avatar";
import { Modal } from "./Modal";
import UserPicker from "./UserPicker";

type Tab = "general" | "members" | "notifications";

function roleKey(level: number): MessageKey {
  if (!Number.isFinite(level)) return "members.role.owner";
  if (level >= 100) return "members.role.admin";
  if (level >= 50) return "members.role.moderator";
  return "members.role.member";
}

export default function RoomSettings({ roomId, onClose, onLeft }: { roomId: string; onClose: () => void; onLeft: () => void }) {
  const client = useClient();
  const t = useT();
  const room = client.getRoom(roomId);
  useEmitterVersion(room?.currentState, [RoomStateEvent.Events, RoomStateEvent.Members]);
  useEmitterVersion(pushRulesEmitter, [PUSH_RULES_CHANGED]);
  const [tab, setTab] = useState<Tab>("general");
  const [name, setName] = useState(room?.name ?? "");
  const [topic, setTopic] = useState((room?.currentState.getStateEvents("m.room.topic", "")?.getContent().topic as string) ?? "");
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [mutePending, setMutePending] = useState<boolean | null>(null);
  const avatarInput = useRef<HTMLInputElement>(null);
  if (!room) return null;

  const me = client.getSafeUserId();
  const state = room.currentState;
  const myLevel = room.getMember(me)?.powerLevel ?? 0;
  const can = (type: string) => state.maySendStateEvent(type, me);
  const canKick = state.hasSufficientPowerLevelFor("kick", myLevel);
  const canBan = state.hasSufficientPowerLevelFor("ban", myLevel);
  const canInvite = state.hasSufficientPowerLevelFor("invite", myLevel);
  const canPower = can("m.room.power_levels");
  const muted = mutePending ?? isRoomMuted(client.pushRules, roomId);
  const errText = (e: unknown) => (e as { data?: { error?: string } })?.data?.error ?? t("common.error");

  async function act(fn: () => Promise<unknown>, ok?: string) {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      await fn();
      if (ok) setNotice(ok);
    } catch (e) {
      setError(e instanceof UploadUnsupportedError ? t("media.unsupported") : errText(e));
    } finally {
      setBusy(false);
    }
  }

  const saveGeneral = (e: FormEvent) => {
    e.preventDefault();
    void act(async () => {
      if (name.trim() !== room.name) await client.setRoomName(roomId, name.trim());
      const oldTopic = state.getStateEvents("m.room.topic", "")?.getContent().topic ?? "";
      if (topic.trim() !== oldTopic) await client.setRoomTopic(roomId, topic.trim());
    }, t("common.saved"));
  };

  const uploadAvatar = (file: File) =>
    act(async () => {
      const res = await client.uploadContent(file, { name: file.name, type: file.type }).catch((e: { errcode?: string; httpStatus?: number }) => {
        throw e.errcode === "M_UNRECOGNIZED" || e.httpStatus === 404 ? new UploadUnsupportedError() : e;
      });
      await client.sendStateEvent(roomId, "m.room.avatar" as never, { url: res.content_uri } as never, "");
    }, t("common.saved"));

  const members = room.getMembers().filter((m) => m.membership === "join" || m.membership === "invite" || m.membership === "ban");
  members.sort((a, b) => b.powerLevel - a.powerLevel || a.name.localeCompare(b.name));

  const memberRow = (m: RoomMember) => {
    const above = m.userId !== me && myLevel > m.powerLevel;
    return (
      <li className="user-row" key={m.userId} data-user-id={m.userId}>
        <Avatar id={m.userId} name={m.name} mxc={m.getMxcAvatarUrl()} size={32} />
        <span className="user-text">
          <strong>{m.name}</strong>
          <span className="muted small">
            {m.userId} · {m.membership === "join" ? t(roleKey(m.powerLevel)) : m.membership === "invite" ? t("members.invited") : t("members.banned")}
          </span>
        </span>
        {m.membership === "join" && canPower && above && (
          <select
            aria-label={t("members.roleFor", { name: m.name })}
            value={m.powerLevel >= 100 ? 100 : m.powerLevel >= 50 ? 50 : 0}
            onChange={(e) => act(() => client.setPowerLevel(roomId, m.userId, Number(e.target.value)))}
            disabled={busy}
          >
            <option value={0}>{t("members.role.member")}</option>
            <option value={50}>{t("members.role.moderator")}</option>
            {myLevel >= 100 && <option value={100}>{t("members.role.admin")}</option>}
          </select>
        )}
        {m.membership !== "ban" && canKick && above && (
          <button className="btn small" onClick={() => act(() => client.kick(roomId, m.userId))} disabled={busy}>
            {m.membership === "invite" ? t("members.revoke") : t("members.kick")}
          </button>
        )}
        {m.membership !== "ban" && canBan && above && (
          <button className="btn small danger" onClick={() => act(() => client.ban(roomId, m.userId))} disabled={busy}>
            {t("members.ban")}
          </button>
        )}
        {m.membership === "ban" && canBan && (
          <button className="btn small" onClick={() => act(() => client.unban(roomId, m.userId))} disabled={busy}>
            {t("members.unban")}
          </button>
        )}
      </li>
    );
  };

  return (
    <Modal title={t("settings.roomTitle", { name: room.name })} onClose={onClose}>
      <div className="tabs" role="tablist">
        {(["general", "members", "notifications"] as Tab[]).map((id) => (
          <button key={id} role="tab" aria-selected={tab === id} className={tab === id ? "tab active" : "tab"} onClick={() => setTab(id)}>
            {t(`settings.tab.${id}`)}
          </button>
        ))}
      </div>
      {error && <div className="error" role="alert">{error}</div>}
      {notice && <div className="notice" role="status">{notice}</div>}
      {tab === "general" && (
        <form className="form" onSubmit={saveGeneral}>
          <div className="profile-head">
            <Avatar id={roomId} name={room.name} mxc={room.getMxcAvatarUrl()} size={64} />
            {can("m.room.avatar") && (
              <>
                <button type="button" className="btn small" onClick={() => avatarInput.current?.click()} disabled={busy}>
                  {t("settings.changeAvatar")}
                </button>
                <input ref={avatarInput} type="file" accept="image/*" hidden onChange={(e) => e.target.files?.[0] && uploadAvatar(e.target.files[0])} />
              </>
            )}
          </div>
          <label className="field">
            <span>{t("rooms.name")}</span>
            <input value={name} onChange={(e) => setName(e.target.value)} disabled={!can("m.room.name")} />
          </label>
          <label className="field">
            <span>{t("rooms.topic")}</span>
            <textarea value={topic} onChange={(e) => setTopic(e.target.value)} disabled={!can("m.room.topic")} rows={3} />
          </label>
          <p className="muted small">{t("settings.roomId", { id: roomId })}</p>
          <div className="row between">
            <button
              type="button"
              className="btn danger"
              onClick={() =>
                act(async () => {
                  await client.leave(roomId);
                  onLeft();
                })
              }
            >
              {t("rooms.leave")}
            </button>
            <button type="submit" className="btn primary" disabled={busy || (!can("m.room.name") && !can("m.room.topic"))}>
              {t("common.save")}
            </button>
          </div>
        </form>
      )}
      {tab === "members" && (
        <div>
          {canInvite && (
            <details className="invite-box">
              <summary>{t("members.invite")}</summary>
              <UserPicker action={t("members.inviteButton")} onAction={(u) => act(() => client.invite(roomId, u.user_id), t("members.invitedOk", { user: u.user_id }))} busy={busy} exclude={members.filter((m) => m.membership !== "leave").map((m) => m.userId)} />
            </details>
          )}
          <ul className="user-list">{members.map(memberRow)}</ul>
        </div>
      )}
      {tab === "notifications" && (
        <div className="form">
          <label className="check">
            <input type="checkbox" checked={muted} onChange={(e) => {
                const on = e.target.checked;
                setMutePending(on);
                void act(() => setRoomMuted(client, roomId, on)).finally(() => setMutePending(null));
              }} /> {t("notify.muteRoom")}
          </label>
          <p className="muted small">{t("notify.muteHint")}</p>
        </div>
      )}
    </Modal>
  );
}
