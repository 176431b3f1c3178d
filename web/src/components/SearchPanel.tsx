// Server-side message search (POST /search) with room, sender and date filters. The date
// range uses Hearth's org.hearth.from_ts / to_ts filter keys, which other servers ignore,
// so results are also filtered by date here.
import { useState, type FormEvent } from "react";
import { useClient } from "../matrix/context";
import { timeLabel } from "../matrix/days";
import { countKey, useI18n } from "../i18n";
import { IconClose } from "./icons";

interface Hit {
  rank: number;
  result: { event_id: string; room_id: string; sender: string; origin_server_ts: number; content: { body?: string } };
}

interface Props {
  initialRoomId?: string;
  onClose: () => void;
  onOpenRoom: (roomId: string) => void;
}

function highlight(text: string, words: string[]) {
  if (words.length === 0) return text;
  const re = new RegExp(`(${words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|")})`, "gi");
  return text.split(re).map((part, i) => (i % 2 === 1 ? <mark key={i}>{part}</mark> : part));
}

export default function SearchPanel({ initialRoomId, onClose, onOpenRoom }: Props) {
  const client = useClient();
  const { t, lang } = useI18n();
  const [term, setTerm] = useState("");
  const [roomId, setRoomId] = useState(initialRoomId ?? "");
  const [sender, setSender] = useState("");
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [hits, setHits] = useState<Hit[] | null>(null);
  const [words, setWords] = useState<string[]>([]);
  const [next, setNext] = useState<string | undefined>();
  const [count, setCount] = useState<number | undefined>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const rooms = client.getRooms().filter((r) => r.getMyMembership() === "join");

  const range = () => {
    const fromTs = from ? new Date(`${from}T00:00:00`).getTime() : undefined;
    const toTs = to ? new Date(`${to}T23:59:59.999`).getTime() : undefined;
    return { fromTs, toTs };
  };

  async function run(nextBatch?: string) {
    if (!term.trim()) return;
    setBusy(true);
    setError(null);
    const { fromTs, toTs } = range();
    const filter: Record<string, unknown> = {};
    if (roomId) filter.rooms = [roomId];
    if (sender.trim()) filter.senders = [sender.trim()];
    if (fromTs !== undefined) filter["org.hearth.from_ts"] = fromTs;
    if (toTs !== undefined) filter["org.hearth.to_ts"] = toTs;
    try {
      const res = (await client.search({
        body: { search_categories: { room_events: { search_term: term.trim(), order_by: "recent", filter } } } as never,
        next_batch: nextBatch,
      })) as unknown as { search_categories: { room_events: { results?: Hit[]; next_batch?: string; count?: number; highlights?: string[] } } };
      const re = res.search_categories.room_events;
      // Every field of the answer is optional in the spec; no matches may mean no `results`.
      const inRange = (re.results ?? []).filter((h) => (fromTs === undefined || h.result.origin_server_ts >= fromTs) && (toTs === undefined || h.result.origin_server_ts <= toTs));
      setHits(nextBatch ? [...(hits ?? []), ...inRange] : inRange);
      setWords(re.highlights?.length ? re.highlights : term.trim().split(/\s+/));
      setNext(re.next_batch);
      setCount(re.count);
    } catch (e) {
      if (!nextBatch) setHits(null);
      setError((e as { data?: { error?: string } })?.data?.error ?? t("common.error"));
    } finally {
      setBusy(false);
    }
  }

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run();
  };

  return (
    <div className="side-panel search-panel">
      <header className="panel-head">
        <h2>{t("search.title")}</h2>
        <button className="icon-btn" onClick={onClose} aria-label={t("common.close")}>
          <IconClose />
        </button>
      </header>
      <form className="form search-form" onSubmit={submit} role="search">
        <label className="field">
          <span>{t("search.term")}</span>
          <input type="search" name="term" value={term} onChange={(e) => setTerm(e.target.value)} autoFocus required />
        </label>
        <label className="field">
          <span>{t("search.room")}</span>
          <select name="room" value={roomId} onChange={(e) => setRoomId(e.target.value)}>
            <option value="">{t("search.allRooms")}</option>
            {rooms.map((r) => (
              <option key={r.roomId} value={r.roomId}>
                {r.name}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>{t("search.sender")}</span>
          <input name="sender" value={sender} onChange={(e) => setSender(e.target.value)} placeholder="@alice:example.org" list="search-senders" />
        </label>
        {/* Outside the label, so the options do not become part of its accessible name. */}
        <datalist id="search-senders">
          {(roomId ? (client.getRoom(roomId)?.getJoinedMembers() ?? []) : []).map((m) => (
            <option key={m.userId} value={m.userId}>
              {m.name}
            </option>
          ))}
        </datalist>
        <div className="row gap-s">
          <label className="field grow">
            <span>{t("search.from")}</span>
            <input type="date" name="from" value={from} onChange={(e) => setFrom(e.target.value)} />
          </label>
          <label className="field grow">
            <span>{t("search.to")}</span>
            <input type="date" name="to" value={to} onChange={(e) => setTo(e.target.value)} />
          </label>
        </div>
        <button className="btn primary" type="submit" disabled={busy || !term.trim()}>
          {busy ? t("common.searching") : t("search.go")}
        </button>
      </form>
      {error && <div className="error" role="alert">{error}</div>}
      <div className="panel-scroll">
        {hits && (
          <p className="muted small pad" role="status">
            {hits.length === 0 ? t("search.none") : t(countKey(count ?? hits.length, "search.countOne", "search.count"), { count: count ?? hits.length })}
          </p>
        )}
        <ul className="search-results">
          {hits?.map((h) => {
            const room = client.getRoom(h.result.room_id);
            const name = room?.getMember(h.result.sender)?.name ?? h.result.sender;
            return (
              <li key={h.result.event_id}>
                <button className="search-hit" onClick={() => onOpenRoom(h.result.room_id)}>
                  <span className="muted small">
                    {room?.name ?? h.result.room_id} · {name} · {new Date(h.result.origin_server_ts).toLocaleDateString(lang)} {timeLabel(h.result.origin_server_ts, lang)}
                  </span>
                  <span className="hit-text">{highlight(h.result.content.body ?? "", words)}</span>
                </button>
              </li>
            );
          })}
        </ul>
        {next && (
          <button className="btn small wide" onClick={() => run(next)} disabled={busy}>
            {t("search.more")}
          </button>
        )}
      </div>
    </div>
  );
}
