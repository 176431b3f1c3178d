// Day separators and message grouping for the timeline.

export function dayKey(ts: number): string {
  const d = new Date(ts);
  return `${d.getFullYear()}-${d.getMonth() + 1}-${d.getDate()}`;
}

export type TimelineItem<E> =
  | { kind: "day"; key: string; ts: number }
  | { kind: "event"; key: string; event: E; continuation: boolean };

export interface Groupable {
  id: string;
  ts: number;
  sender: string;
  /** Whether this event may be visually merged with the previous one from the same sender. */
  groupable: boolean;
}

const GROUP_WINDOW_MS = 5 * 60 * 1000;

/** Inserts a day separator before the first event of each local day and marks continuations. */
export function withDaySeparators<E extends Groupable>(events: E[]): TimelineItem<E>[] {
  const out: TimelineItem<E>[] = [];
  let lastDay = "";
  let prev: E | null = null;
  for (const ev of events) {
    const day = dayKey(ev.ts);
    if (day !== lastDay) {
      out.push({ kind: "day", key: `day-${day}`, ts: ev.ts });
      lastDay = day;
      prev = null;
    }
    const continuation =
      !!prev && prev.groupable && ev.groupable && prev.sender === ev.sender && ev.ts - prev.ts < GROUP_WINDOW_MS;
    out.push({ kind: "event", key: ev.id, event: ev, continuation });
    prev = ev;
  }
  return out;
}

/** "today" / "yesterday" / a weekday within the last week / a full date. */
export function dayLabel(ts: number, now: number, lang: string, words: { today: string; yesterday: string }): string {
  const startOf = (t: number) => {
    const d = new Date(t);
    d.setHours(0, 0, 0, 0);
    return d.getTime();
  };
  const days = Math.round((startOf(now) - startOf(ts)) / 86_400_000);
  if (days === 0) return words.today;
  if (days === 1) return words.yesterday;
  const d = new Date(ts);
  if (days > 1 && days < 7) return d.toLocaleDateString(lang, { weekday: "long" });
  const sameYear = d.getFullYear() === new Date(now).getFullYear();
  return d.toLocaleDateString(lang, { year: sameYear ? undefined : "numeric", month: "long", day: "numeric", weekday: "short" });
}

/** Room-list stamp: the time today, the weekday this week, else a short date. */
export function shortStamp(ts: number, now: number, lang: string): string {
  const d = new Date(ts);
  const n = new Date(now);
  if (dayKey(ts) === dayKey(now)) return timeLabel(ts, lang);
  const days = (n.getTime() - d.getTime()) / 86_400_000;
  if (days < 6) return d.toLocaleDateString(lang, { weekday: "short" });
  return d.toLocaleDateString(lang, { year: d.getFullYear() === n.getFullYear() ? undefined : "2-digit", month: "numeric", day: "numeric" });
}

export function timeLabel(ts: number, lang: string): string {
  return new Date(ts).toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" });
}
