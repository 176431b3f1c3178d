// Create a group: name, topic, private or public, and people to invite.
import { useState, type FormEvent } from "react";
import { useClient } from "../matrix/context";
import { createGroup, isUserId } from "../matrix/rooms";
import { useT } from "../i18n";
import { Modal } from "./Modal";

export default function CreateRoomDialog({ onClose, onCreated }: { onClose: () => void; onCreated: (id: string) => void }) {
  const client = useClient();
  const t = useT();
  const [name, setName] = useState("");
  const [topic, setTopic] = useState("");
  const [isPublic, setPublic] = useState(false);
  const [invite, setInvite] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const ids = invite.split(/[\s,]+/).filter(Boolean);
    const bad = ids.find((id) => !isUserId(id));
    if (bad) {
      setError(t("rooms.badUserId", { id: bad }));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const roomId = await createGroup(client, { name: name.trim(), topic: topic.trim(), isPublic, invite: ids });
      onCreated(roomId);
      onClose();
    } catch (err) {
      setError((err as { data?: { error?: string } })?.data?.error ?? t("common.error"));
      setBusy(false);
    }
  }

  return (
    <Modal title={t("rooms.create")} onClose={onClose}>
      <form className="form" onSubmit={submit}>
        <label className="field">
          <span>{t("rooms.name")}</span>
          <input name="name" value={name} onChange={(e) => setName(e.target.value)} required autoFocus />
        </label>
        <label className="field">
          <span>{t("rooms.topic")}</span>
          <input name="topic" value={topic} onChange={(e) => setTopic(e.target.value)} />
        </label>
        <fieldset className="field radio-group">
          <legend>{t("rooms.visibility")}</legend>
          <label>
            <input type="radio" name="visibility" checked={!isPublic} onChange={() => setPublic(false)} /> {t("rooms.private")}
            <span className="muted small"> — {t("rooms.privateHint")}</span>
          </label>
          <label>
            <input type="radio" name="visibility" checked={isPublic} onChange={() => setPublic(true)} /> {t("rooms.public")}
            <span className="muted small"> — {t("rooms.publicHint")}</span>
          </label>
        </fieldset>
        <label className="field">
          <span>{t("rooms.inviteIds")}</span>
          <input name="invite" value={invite} onChange={(e) => setInvite(e.target.value)} placeholder="@alice:example.org, @bob:example.org" />
        </label>
        {error && <div className="error" role="alert">{error}</div>}
        <div className="row end gap-s">
          <button type="button" className="btn" onClick={onClose}>
            {t("common.cancel")}
          </button>
          <button type="submit" className="btn primary" disabled={busy || !name.trim()}>
            {t("rooms.createButton")}
          </button>
        </div>
      </form>
    </Modal>
  );
}
