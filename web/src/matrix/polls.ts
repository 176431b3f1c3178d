// Polls (MSC3381): parse the stable m.poll.* and unstable org.matrix.msc3381.poll.* forms
// and tally responses the way the MSC says: each user's latest valid response counts.

export const POLL_START_TYPES = ["m.poll.start", "org.matrix.msc3381.poll.start"];
export const POLL_RESPONSE_TYPES = ["m.poll.response", "org.matrix.msc3381.poll.response"];
export const POLL_END_TYPES = ["m.poll.end", "org.matrix.msc3381.poll.end"];

export interface PollAnswer {
  id: string;
  text: string;
}

export interface Poll {
  question: string;
  answers: PollAnswer[];
  maxSelections: number;
  /** Disclosed polls show results before they end. */
  disclosed: boolean;
  unstable: boolean;
}

type Json = Record<string, unknown>;

function textOf(v: unknown): string {
  if (typeof v === "string") return v;
  if (Array.isArray(v)) {
    const plain = v.find((x: Json) => !x.mimetype || x.mimetype === "text/plain") as Json | undefined;
    return String(plain?.body ?? (v[0] as Json | undefined)?.body ?? "");
  }
  return "";
}

export function parsePoll(type: string, content: Json): Poll | null {
  if (type === "m.poll.start" || content["m.poll"]) {
    const p = content["m.poll"] as Json | undefined;
    if (!p) return null;
    const answers = ((p.answers as Json[]) ?? []).map((a) => ({ id: String(a["m.id"]), text: textOf(a["m.text"]) }));
    return {
      question: textOf((p.question as Json)?.["m.text"]),
      answers,
      maxSelections: Math.max(1, Number(p.max_selections ?? 1)),
      disclosed: p.kind !== "m.poll.undisclosed",
      unstable: false,
    };
  }
  const p = content["org.matrix.msc3381.poll.start"] as Json | undefined;
  if (!p) return null;
  const q = p.question as Json | undefined;
  const answers = ((p.answers as Json[]) ?? []).map((a) => ({
    id: String(a.id),
    text: textOf(a["org.matrix.msc1767.text"] ?? a["m.text"] ?? a.body),
  }));
  return {
    question: textOf(q?.["org.matrix.msc1767.text"] ?? q?.["m.text"] ?? q?.body),
    answers,
    maxSelections: Math.max(1, Number(p.max_selections ?? 1)),
    disclosed: p.kind !== "org.matrix.msc3381.poll.undisclosed",
    unstable: true,
  };
}

export interface PollResponse {
  sender: string;
  ts: number;
  selections: string[];
}

export function parseResponse(content: Json): string[] {
  const stable = content["m.selections"];
  if (Array.isArray(stable)) return stable.map(String);
  const unstable = (content["org.matrix.msc3381.poll.response"] as Json | undefined)?.answers;
  if (Array.isArray(unstable)) return unstable.map(String);
  return [];
}

export interface PollTally {
  counts: Record<string, number>;
  total: number;
  /** Each voter's counted selections. */
  votes: Map<string, string[]>;
}

/** Counts each sender's latest response sent before the poll ended (if it did). */
export function tallyPoll(poll: Poll, responses: PollResponse[], endTs?: number): PollTally {
  const ids = new Set(poll.answers.map((a) => a.id));
  const latest = new Map<string, PollResponse>();
  for (const r of responses) {
    if (endTs !== undefined && r.ts > endTs) continue;
    const prev = latest.get(r.sender);
    if (!prev || r.ts >= prev.ts) latest.set(r.sender, r);
  }
  const counts: Record<string, number> = Object.fromEntries(poll.answers.map((a) => [a.id, 0]));
  const votes = new Map<string, string[]>();
  for (const [sender, r] of latest) {
    // Too many or unknown answers spoil the vote.
    const sel = r.selections.slice(0, poll.maxSelections);
    if (sel.length === 0 || sel.some((s) => !ids.has(s))) continue;
    votes.set(sender, sel);
    sel.forEach((s) => (counts[s] += 1));
  }
  return { counts, total: votes.size, votes };
}
