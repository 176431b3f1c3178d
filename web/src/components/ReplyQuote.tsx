// The quoted message above a reply; loads the original from the server if not in memory.
import { useEffect, useState } from "react";
import { MatrixEvent, type Room } from "matrix-js-sdk";
import { useClient } from "../matrix/context";
import { previewText } from "../matrix/preview";
import { useT } from "../i18n";

export default function ReplyQuote({ room, eventId, onJump }: { room: Room; eventId: string; onJump?: (id: string) => void }) {
  const client = useClient();
  const t = useT();
  const [ev, setEv] = useState<MatrixEvent | null>(() => room.findEventById(eventId) ?? null);
  const [missing, setMissing] = useState(false);
  useEffect(() => {
    if (ev) return;
    let live = true;
    client
      .fetchRoomEvent(room.roomId, eventId)
      .then((raw) => live && setEv(new MatrixEvent(raw)))
      .catch(() => live && setMissing(true));
    return () => {
      live = false;
    };
  }, [client, room, eventId, ev]);
  const sender = ev ? (room.getMember(ev.getSender() ?? "")?.name ?? ev.getSender()) : "";
  return (
    <button type="button" className="reply-quote" onClick={() => onJump?.(eventId)} aria-label={t("reply.jump")}>
      {missing ? (
        <span className="muted">{t("reply.unavailable")}</span>
      ) : ev ? (
        <>
          <strong>{sender}</strong>
          <span className="ellipsis">{previewText(ev, t)}</span>
        </>
      ) : (
        <span className="muted">{t("app.loading")}</span>
      )}
    </button>
  );
}
