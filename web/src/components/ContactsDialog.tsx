// Find people in the user directory and open (or create) a direct chat with them.
import { useState } from "react";
import { useClient } from "../matrix/context";
import { startDm } from "../matrix/rooms";
import { useT } from "../i18n";
import { Modal } from "./Modal";
import UserPicker, { type DirectoryUser } from "./UserPicker";

export default function ContactsDialog({ onClose, onOpenRoom }: { onClose: () => void; onOpenRoom: (id: string) => void }) {
  const client = useClient();
  const t = useT();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function open(u: DirectoryUser) {
    setBusy(true);
    setError(null);
    try {
      const roomId = await startDm(client, u.user_id);
      onOpenRoom(roomId);
      onClose();
    } catch (e) {
      setError((e as { data?: { error?: string } })?.data?.error ?? t("common.error"));
      setBusy(false);
    }
  }

  return (
    <Modal title={t("contacts.title")} onClose={onClose}>
      <UserPicker action={t("contacts.message")} onAction={open} busy={busy} />
      {error && <div className="error" role="alert">{error}</div>}
    </Modal>
  );
}
