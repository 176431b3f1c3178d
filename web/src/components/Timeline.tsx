// The main timeline: back-pagination on scroll, day separators, grouping, receipts,
// sticking to the bottom for new messages, and sending read receipts when seen.
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import { Direction, EventStatus, RoomEvent, type MatrixEvent, type Room } from "matrix-js-sdk";
import { useClient, useEmitterVersion } from "../matrix/context";
import { isMainTimeline, threadRootOf } from "../matrix/events";
import { readReceipts } from "../matrix/receipts";
import { dayLabel, withDaySeparators } from "../matrix/days";
import { useI18n } from "../i18n";
import EventTile, { type ThreadSummary } from "./EventTile";
import type { LayoutActions } from "./ChatLayout";

const ROOM_EVENTS = [
  RoomEvent.Timeline,
  RoomEvent.TimelineReset,
  RoomEvent.Redaction,
  RoomEvent.RedactionCancelled,
  RoomEvent.LocalEchoUpdated,
  RoomEvent.Receipt,
];

interface Props {
  room: Room;
  onReply: (ev: MatrixEvent) => void;
  onEdit: (ev: MatrixEvent) => void;
  actions: LayoutActions;
}

/** Thread summaries from bundled aggregations plus replies seen live. */
function threadSummaries(all: MatrixEvent[]): Map<string, ThreadSummary> {
  const map = new Map<string, ThreadSummary>();
  for (const ev of all) {
    const bundled = ev.getServerAggregatedRelation<{ count: number; latest_event?: { origin_server_ts: number } }>("m.thread");
    if (bundled && ev.getId()) {
      map.set(ev.getId()!, { count: bundled.count, lastTs: bundled.latest_event?.origin_server_ts ?? 0, seen: new Set() });
    }
  }
  for (const ev of all) {
    const root = threadRootOf(ev);
    if (!root || ev.isRedacted()) continue;
    const s = map.get(root) ?? { count: 0, lastTs: 0, seen: new Set<string>() };
    // Replies newer than the bundled summary add to its count.
    if (ev.getTs() > s.lastTs || !s.count) {
      if (!s.seen.has(ev.getId()!)) {
        s.count += 1;
        s.seen.add(ev.getId()!);
      }
      s.lastTs = Math.max(s.lastTs, ev.getTs());
    }
    map.set(root, s);
  }
  return map;
}

export default function Timeline({ room, onReply, onEdit, actions }: Props) {
  const client = useClient();
  const { t, lang } = useI18n();
  const version = useEmitterVersion(room, ROOM_EVENTS);
  const scroller = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const anchor = useRef<{ height: number; top: number } | null>(null);
  const [loading, setLoading] = useState(false);
  const [hasMore, setHasMore] = useState(true);
  const [showJump, setShowJump] = useState(false);
  const [flash, setFlash] = useState<string | null>(null);
  const myId = client.getSafeUserId();

  const { all, visible, items, indexOf, receipts, threads } = useMemo(() => {
    // A copy: the SDK mutates its array in place, and callbacks below key on identity.
    const all = [...room.getLiveTimeline().getEvents()];
    const visible = all.filter(isMainTimeline);
    const items = withDaySeparators(
      visible.map((ev) => ({ id: ev.getId() ?? ev.getTxnId() ?? "", ts: ev.getTs(), sender: ev.getSender() ?? "", groupable: !ev.isState(), ev })),
    );
    const indexOf = new Map(all.map((ev, i) => [ev.getId() ?? ev.getTxnId() ?? String(i), i]));
    return { all, visible, items, indexOf, receipts: readReceipts(room, myId, all, visible), threads: threadSummaries(all) };
  }, [room, myId, version]); // eslint-disable-line react-hooks/exhaustive-deps

  const paginate = useCallback(async () => {
    if (loading) return;
    const tl = room.getLiveTimeline();
    if (tl.getPaginationToken(Direction.Backward) === null) {
      setHasMore(false);
      return;
    }
    setLoading(true);
    const el = scroller.current;
    if (el) anchor.current = { height: el.scrollHeight, top: el.scrollTop };
    try {
      const more = await client.paginateEventTimeline(tl, { backwards: true, limit: 30 });
      setHasMore(more);
    } catch {
      anchor.current = null;
    } finally {
      setLoading(false);
    }
  }, [client, room, loading]);

  // Keep the view pinned: to the bottom for new messages, or in place after loading history.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    if (anchor.current) {
      el.scrollTop = anchor.current.top + (el.scrollHeight - anchor.current.height);
      anchor.current = null;
    } else if (atBottom.current) {
      el.scrollTop = el.scrollHeight;
    }
  }, [items]);

  // Fill the screen: fetch history until the list overflows or the room's start is reached.
  useEffect(() => {
    const el = scroller.current;
    if (el && hasMore && !loading && el.scrollHeight <= el.clientHeight + 50) void paginate();
  }, [items, hasMore, loading, paginate]);

  // Read receipt for the newest event from someone else, once it is on screen. Each event
  // is acknowledged once: the SDK's local echo of the receipt re-renders this component.
  const lastReceipt = useRef<string | null>(null);
  const sendReceipt = useCallback(() => {
    if (!atBottom.current || document.visibilityState !== "visible") return;
    for (let i = all.length - 1; i >= 0; i--) {
      const ev = all[i];
      const id = ev.getId();
      if (ev.status !== null && ev.status !== EventStatus.SENT) continue;
      if (!id || id.startsWith("~")) continue;
      if (ev.getSender() === myId) return; // our own message implies everything before is read
      if (lastReceipt.current === id || room.getEventReadUpTo(myId, false) === id) return;
      lastReceipt.current = id;
      void client.sendReadReceipt(ev).catch(() => {
        lastReceipt.current = null;
      });
      return;
    }
  }, [all, client, myId, room]);

  useEffect(() => {
    sendReceipt();
    const onVisible = () => sendReceipt();
    document.addEventListener("visibilitychange", onVisible);
    window.addEventListener("focus", onVisible);
    return () => {
      document.removeEventListener("visibilitychange", onVisible);
      window.removeEventListener("focus", onVisible);
    };
  }, [sendReceipt]);

  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    const bottom = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
    if (bottom !== atBottom.current) {
      atBottom.current = bottom;
      setShowJump(!bottom);
      if (bottom) sendReceipt();
    }
    if (el.scrollTop < 400 && hasMore) void paginate();
  };

  const jumpTo = useCallback((eventId: string) => {
    const el = scroller.current?.querySelector(`[data-event-id="${CSS.escape(eventId)}"]`);
    if (el) {
      el.scrollIntoView({ block: "center", behavior: "smooth" });
      setFlash(eventId);
      setTimeout(() => setFlash(null), 1600);
    }
  }, []);

  const scrollToBottom = () => {
    const el = scroller.current;
    if (el) el.scrollTo({ top: el.scrollHeight, behavior: "smooth" });
  };

  return (
    <div className="timeline-wrap">
      <div className="timeline" ref={scroller} onScroll={onScroll} role="log" aria-label={t("timeline.label")} aria-busy={loading}>
        <div className="timeline-top">
          {loading ? <span className="muted small">{t("timeline.loading")}</span> : !hasMore ? <span className="muted small">{t("timeline.start")}</span> : null}
        </div>
        {visible.length === 0 && !loading && <p className="muted center pad">{t("timeline.empty")}</p>}
        <ol className="events">
          {items.map((item) =>
            item.kind === "day" ? (
              <li key={item.key} className="day-separator" role="separator">
                <span>{dayLabel(item.ts, Date.now(), lang, { today: t("day.today"), yesterday: t("day.yesterday") })}</span>
              </li>
            ) : (
              <EventTile
                key={item.key}
                event={item.event.ev}
                room={room}
                continuation={item.continuation}
                status={item.event.ev.getSender() === myId ? receipts.statusOf(item.event.ev, indexOf.get(item.key) ?? -1) : undefined}
                readers={receipts.readersAt.get(item.key) ?? []}
                thread={threads.get(item.key)}
                highlighted={flash === item.key}
                onReply={onReply}
                onEdit={onEdit}
                onJump={jumpTo}
                actions={actions}
              />
            ),
          )}
        </ol>
      </div>
      {showJump && (
        <button className="jump-latest" onClick={scrollToBottom}>
          {t("timeline.jumpLatest")}
        </button>
      )}
    </div>
  );
}
