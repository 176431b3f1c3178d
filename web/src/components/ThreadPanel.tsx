// Thread side panel: the root message, its replies (live ones plus history from
// /relations) and a composer that posts into the thread.
import { useCallback, useEffect, useState } from "react";
import { MatrixEvent, RoomEvent } from "matrix-js-sdk";
import { useClient, useEmitterVersion } from "../matrix/context";
import { isVisible, threadRootOf } from "../matrix/events";
import { readReceipts } from "../matrix/receipts";
import { countKey, useT } from "../i18n";
import EventTile from "./EventTile";
import Composer from "./Composer";
import { IconClose } from "./icons";
import type { LayoutActions } from "./ChatLayout";
import type { ComposerTarget } from "./RoomView";

interface Props {
  roomId: string;
  rootId: string;
  actions: LayoutActions;
  onClose: () => void;
}

export default function ThreadPanel({ roomId, rootId, actions, onClose }: Props) {
  const client = useClient();
  const t = useT();
  const room = client.getRoom(roomId);
  useEmitterVersion(room, [RoomEvent.Timeline, RoomEvent.Redaction, RoomEvent.LocalEchoUpdated, RoomEvent.Receipt], true);
  const [history, setHistory] = useState<MatrixEvent[]>([]);
  const [fetchedRoot, setFetchedRoot] = useState<MatrixEvent | null>(null);
  const [target, setTarget] = useState<ComposerTarget>({ replyTo: null, editing: null });

  useEffect(() => {
    let live = true;
    client
      .relations(roomId, rootId, "m.thread", null, { limit: 100 })
      .then((res) => {
        if (!live) return;
        setHistory(res.events);
        if (res.originalEvent) setFetchedRoot(res.originalEvent);
      })
      .catch(() => {});
    return () => {
      live = false;
    };
  }, [client, roomId, rootId]);

  const reply = useCallback((ev: MatrixEvent) => setTarget({ replyTo: ev, editing: null }), []);
  const edit = useCallback((ev: MatrixEvent) => setTarget({ replyTo: null, editing: ev }), []);
  if (!room) return null;

  const all = room.getLiveTimeline().getEvents();
  const root = room.findEventById(rootId) ?? fetchedRoot;
  const byId = new Map<string, MatrixEvent>();
  history.forEach((ev) => byId.set(ev.getId()!, room.findEventById(ev.getId()!) ?? ev));
  all.filter((ev) => threadRootOf(ev) === rootId).forEach((ev) => byId.set(ev.getId() ?? ev.getTxnId() ?? "", ev));
  const replies = [...byId.values()].filter(isVisible).sort((a, b) => a.getTs() - b.getTs());
  const receipts = readReceipts(room, client.getSafeUserId(), all, replies);
  const indexOf = new Map(all.map((ev, i) => [ev, i]));
  const me = client.getSafeUserId();

  const tile = (ev: MatrixEvent, isRoot: boolean) => (
    <EventTile
      key={ev.getId() ?? ev.getTxnId()}
      event={ev}
      room={room}
      continuation={false}
      status={ev.getSender() === me && indexOf.has(ev) ? receipts.statusOf(ev, indexOf.get(ev)!) : undefined}
      readers={isRoot ? [] : (receipts.readersAt.get(ev.getId() ?? "") ?? [])}
      inThread
      onReply={reply}
      onEdit={edit}
      actions={actions}
    />
  );

  return (
    <div className="side-panel thread-panel">
      <header className="panel-head">
        <h2>{t("thread.title")}</h2>
        <button className="icon-btn" onClick={onClose} aria-label={t("common.close")}>
          <IconClose />
        </button>
      </header>
      <div className="panel-scroll">
        <ol className="events">
          {root && tile(root, true)}
          <li className="day-separator" role="separator">
            <span>{t(countKey(replies.length, "thread.replyOne", "thread.replies"), { count: replies.length })}</span>
          </li>
          {replies.map((ev) => tile(ev, false))}
        </ol>
      </div>
      <Composer room={room} target={target} onDone={() => setTarget({ replyTo: null, editing: null })} onEditLast={edit} threadRoot={rootId} threadLatest={replies[replies.length - 1]?.getId() ?? rootId} />
    </div>
  );
}
