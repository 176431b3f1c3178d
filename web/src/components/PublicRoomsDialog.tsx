// Browse this server's public room directory and join rooms.
import { useEffect, useState } from "react";
import type { IPublicRoomsChunkRoom } from "matrix-js-sdk";
import { useClient } from "../matrix/context";
import { countKey, useT } from "../i18n";
import { Avatar } from "./Avatar";
import { Modal } from "./Modal";

export default function PublicRoomsDialog({ onClose, onOpenRoom }: { onClose: () => void; onOpenRoom: (id: string) => void }) {
  const client = useClient();
  const t = useT();
  const [term, setTerm] = useState("");
  const [rooms, setRooms] = useState<IPublicRoomsChunkRoom[]>([]);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [joining, setJoining] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    const timer = setTimeout(() => {
      setLoading(true);
      client
        .publicRooms({ limit: 50, filter: term.trim() ? { generic_search_term: term.trim() } : undefined })
        .then((res) => live && setRooms(res.chunk))
        .catch(() => live && setError(t("common.error")))
        .finally(() => live && setLoading(false));
    }, 250);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [client, term, t]);

  async function join(r: IPublicRoomsChunkRoom) {
    setJoining(r.room_id);
    try {
      const existing = client.getRoom(r.room_id);
      if (existing?.getMyMembership() !== "join") await client.joinRoom(r.room_id);
      onOpenRoom(r.room_id);
      onClose();
    } catch (e) {
      setError((e as { data?: { error?: string } })?.data?.error ?? t("common.error"));
      setJoining(null);
    }
  }

  return (
    <Modal title={t("rooms.explore")} onClose={onClose}>
      <label className="field">
        <span>{t("rooms.searchPublic")}</span>
        <input type="search" value={term} onChange={(e) => setTerm(e.target.value)} autoFocus />
      </label>
      {error && <div className="error" role="alert">{error}</div>}
      {loading ? (
        <p className="muted small">{t("common.searching")}</p>
      ) : rooms.length === 0 ? (
        <p className="muted small">{t("rooms.noPublic")}</p>
      ) : (
        <ul className="user-list">
          {rooms.map((r) => {
            const joined = client.getRoom(r.room_id)?.getMyMembership() === "join";
            const name = r.name ?? r.canonical_alias ?? r.room_id;
            return (
              <li className="user-row" key={r.room_id}>
                <Avatar id={r.room_id} name={name} mxc={r.avatar_url} size={36} />
                <span className="user-text">
                  <strong>{name}</strong>
                  <span className="muted small">
                    {t(countKey(r.num_joined_members, "room.memberOne", "room.members"), { count: r.num_joined_members })}
                    {r.topic ? ` · ${r.topic}` : ""}
                  </span>
                </span>
                <button className="btn small primary" onClick={() => join(r)} disabled={joining === r.room_id}>
                  {joined ? t("rooms.open") : t("rooms.join")}
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </Modal>
  );
}
