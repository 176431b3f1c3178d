// The user's profile (name, avatar, status), app preferences, notifications and sign-out.
import { useRef, useState, type FormEvent } from "react";
import { SetPresence } from "matrix-js-sdk";
import { useClient, useEmitterVersion } from "../matrix/context";
import { isGlobalDnd, notificationsSupported, PUSH_RULES_CHANGED, pushRulesEmitter, setGlobalDnd, setSoundEnabled, soundEnabled } from "../matrix/notify";
import { UploadUnsupportedError } from "../matrix/send";
import { usePresence } from "../hooks/usePresence";
import { refreshOwnProfile, useOwnProfile } from "../matrix/profile";
import { useT } from "../i18n";
import { Avatar } from "./Avatar";
import { Modal } from "./Modal";
import { Preferences } from "./Preferences";

export default function ProfileDialog({ onClose, onLogout }: { onClose: () => void; onLogout: (expired: boolean) => void }) {
  const client = useClient();
  const t = useT();
  useEmitterVersion(pushRulesEmitter, [PUSH_RULES_CHANGED]);
  const userId = client.getSafeUserId();
  const profile = useOwnProfile(client);
  const presence = usePresence(client, userId);
  const [name, setName] = useState(profile.name);
  const [status, setStatus] = useState(presence?.statusMsg ?? "");
  const [away, setAway] = useState(presence?.presence === "unavailable");
  const [saved, setSaved] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [avatarBusy, setAvatarBusy] = useState(false);
  const [sound, setSound] = useState(soundEnabled);
  const [permission, setPermission] = useState(notificationsSupported() ? Notification.permission : "denied");
  const fileInput = useRef<HTMLInputElement>(null);
  // Shown at once while the server call runs, then read back from the push rules.
  const [dndPending, setDndPending] = useState<boolean | null>(null);
  const dnd = dndPending ?? isGlobalDnd(client.pushRules);
  const toggleDnd = (on: boolean) => {
    setDndPending(on);
    setGlobalDnd(client, on)
      .catch((err) => setError(errText(err)))
      .finally(() => setDndPending(null));
  };

  const errText = (e: unknown) => (e as { data?: { error?: string } })?.data?.error ?? t("common.error");

  async function save(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setSaved(false);
    try {
      if (name.trim() && name.trim() !== profile.name) await client.setDisplayName(name.trim());
      await client.setPresence({ presence: away ? SetPresence.Unavailable : SetPresence.Online, status_msg: status.trim() });
      await refreshOwnProfile(client);
      setSaved(true);
    } catch (err) {
      setError(errText(err));
    }
  }

  async function uploadAvatar(file: File) {
    setAvatarBusy(true);
    setError(null);
    try {
      const res = await client.uploadContent(file, { name: file.name, type: file.type }).catch((e: { errcode?: string; httpStatus?: number }) => {
        throw e.errcode === "M_UNRECOGNIZED" || e.httpStatus === 404 ? new UploadUnsupportedError() : e;
      });
      await client.setAvatarUrl(res.content_uri);
      await refreshOwnProfile(client);
    } catch (err) {
      setError(err instanceof UploadUnsupportedError ? t("media.unsupported") : errText(err));
    } finally {
      setAvatarBusy(false);
    }
  }

  async function logout() {
    try {
      await client.logout(true);
    } catch {
      /* the local session is dropped either way */
    }
    onLogout(false);
  }

  return (
    <Modal title={t("profile.title")} onClose={onClose}>
      <form className="form" onSubmit={save}>
        <div className="profile-head">
          <Avatar id={userId} name={profile.name} mxc={profile.avatarUrl} size={72} />
          <div>
            <div className="muted small">{userId}</div>
            <button type="button" className="btn small" onClick={() => fileInput.current?.click()} disabled={avatarBusy}>
              {avatarBusy ? t("common.pleaseWait") : t("profile.changeAvatar")}
            </button>
            <input ref={fileInput} type="file" accept="image/*" hidden data-testid="avatar-input" onChange={(e) => e.target.files?.[0] && uploadAvatar(e.target.files[0])} />
          </div>
        </div>
        <label className="field">
          <span>{t("profile.displayName")}</span>
          <input name="displayname" value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <label className="field">
          <span>{t("profile.status")}</span>
          <input name="status" value={status} onChange={(e) => setStatus(e.target.value)} placeholder={t("profile.statusPlaceholder")} maxLength={120} />
        </label>
        <label className="check">
          <input type="checkbox" checked={away} onChange={(e) => setAway(e.target.checked)} /> {t("profile.away")}
        </label>
        {error && <div className="error" role="alert">{error}</div>}
        <div className="row end gap-s">
          {saved && <span className="muted small" role="status">{t("common.saved")}</span>}
          <button type="submit" className="btn primary">
            {t("common.save")}
          </button>
        </div>
      </form>
      <h3 className="section-title">{t("settings.preferences")}</h3>
      <Preferences />
      <h3 className="section-title">{t("notify.title")}</h3>
      <div className="form">
        {notificationsSupported() && permission !== "granted" && (
          <button className="btn small" onClick={() => Notification.requestPermission().then(setPermission)}>
            {t("notify.enableBrowser")}
          </button>
        )}
        {permission === "granted" && <p className="muted small">{t("notify.browserOn")}</p>}
        <label className="check">
          <input
            type="checkbox"
            checked={sound}
            onChange={(e) => {
              setSound(e.target.checked);
              setSoundEnabled(e.target.checked);
            }}
          />{" "}
          {t("notify.sound")}
        </label>
        <label className="check">
          <input type="checkbox" checked={dnd} onChange={(e) => toggleDnd(e.target.checked)} data-testid="global-dnd" /> {t("notify.dnd")}
          <span className="muted small"> — {t("notify.dndHint")}</span>
        </label>
      </div>
      <div className="row end">
        <button className="btn danger" onClick={logout}>
          {t("auth.signOut")}
        </button>
      </div>
    </Modal>
  );
}
