// Forward a message to another room (a copy of its content without relations).
import { useState } from "react";
import type { MatrixEvent } from "matrix-js-sdk";
import { useClient } from "../matrix/context";
import { forwardContent } from "../matrix/content";
import { sendRaw } from "../matrix/send";
import { previewText } from "../matrix/preview";
import { useT } from "../i18n";
import { Avatar } from "./Avatar";
import { Modal } from "./Modal";

export default function ForwardDialog({ event, onClose, onForwarded }: { event: MatrixEvent; onClose: () => void; onForwarded: (roomId: string) => void }) {
  const client = useClient();
  const t = useT();
  const [filter, setFilter] = useState("");
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const rooms = client
    .getRooms()
    .filter((r) => r.getMyMembership() === "join" && r.name.toLowerCase().includes(filter.trim().toLowerCase()))
    .sort((a, b) => b.getLastActiveTimestamp() - a.getLastActiveTimestamp());

  async function forward(roomId: string) {
    setBusy(roomId);
    try {
      await sendRaw(client, roomId, event.getType(), forwardContent(event.getContent()));
      onForwarded(roomId);
      onClose();
    } catch (e) {
      setError((e as { data?: { error?: string } })?.data?.error ?? t("common.error"));
      setBusy(null);
    }
  }

  return (
    <Modal title={t("forward.title")} onClose={onClose}>
      <blockquote className="forward-preview">{previewText(event, t)}</blockquote>
      <label className="field">
        <span>{t("forward.to")}</span>
        <input type="search" value={filter} onChange={(e) => setFilter(e.target.value)} autoFocus />
      </label>
      {error && <div className="error" role="alert">{error}</div>}
      <ul className="user-list">
        {rooms.map((r) => (
          <li className="user-row" key={r.roomId}>
            <Avatar id={r.roomId} name={r.name} mxc={r.getMxcAvatarUrl()} size={32} />
            <span className="user-text">
              <strong>{r.name}</strong>
            </span>
            <button className="btn small primary" onClick={() => forward(r.roomId)} disabled={busy !== null}>
              {t("forward.send")}
            </button>
          </li>
        ))}
      </ul>
    </Modal>
  );
}
