// Builders for the event contents the client sends.
import { markdownToHtml } from "./format";

type Json = Record<string, unknown>;

export interface TextOptions {
  replyTo?: string;
  /** Users mentioned on purpose (m.mentions, spec v1.7): they get highlighted notifications. */
  mentions?: string[];
  /** Thread root; `threadLatest` is the newest event in it (for clients without threads). */
  threadRoot?: string;
  threadLatest?: string;
}

function relatesTo({ replyTo, threadRoot, threadLatest }: TextOptions): Json | undefined {
  if (threadRoot) {
    return {
      rel_type: "m.thread",
      event_id: threadRoot,
      is_falling_back: !replyTo,
      "m.in_reply_to": { event_id: replyTo ?? threadLatest ?? threadRoot },
    };
  }
  if (replyTo) return { "m.in_reply_to": { event_id: replyTo } };
  return undefined;
}

function textBody(text: string): Json {
  const html = markdownToHtml(text);
  const content: Json = { msgtype: "m.text", body: text };
  if (html !== null) {
    content.format = "org.matrix.custom.html";
    content.formatted_body = html;
  }
  return content;
}

/** Members whose user ID, or "@display name", appears in the text. */
export function findMentions(text: string, members: { userId: string; name: string }[]): string[] {
  const lower = text.toLowerCase();
  return members.filter((m) => text.includes(m.userId) || (m.name && lower.includes(`@${m.name.toLowerCase()}`))).map((m) => m.userId);
}

export function textContent(text: string, opts: TextOptions = {}): Json {
  const content = textBody(text);
  if (opts.mentions) content["m.mentions"] = opts.mentions.length ? { user_ids: [...new Set(opts.mentions)] } : {};
  const rel = relatesTo(opts);
  if (rel) content["m.relates_to"] = rel;
  return content;
}

export function editContent(originalId: string, text: string): Json {
  const next = textBody(text);
  const content: Json = { ...next, body: `* ${text}`, "m.new_content": next, "m.relates_to": { rel_type: "m.replace", event_id: originalId } };
  if (typeof next.formatted_body === "string") content.formatted_body = `* ${next.formatted_body}`;
  return content;
}

export function reactionContent(eventId: string, key: string): Json {
  return { "m.relates_to": { rel_type: "m.annotation", event_id: eventId, key } };
}

/** A forwarded copy: the same message, without its relations to the original room. */
export function forwardContent(original: Json): Json {
  const copy: Json = { ...original };
  delete copy["m.relates_to"];
  delete copy["m.new_content"];
  return copy;
}

export interface MediaInfo {
  mimetype?: string;
  size?: number;
  w?: number;
  h?: number;
  duration?: number;
}

export function mediaContent(msgtype: string, url: string, name: string, info: MediaInfo, opts: TextOptions & { voice?: boolean } = {}): Json {
  const content: Json = { msgtype, body: name, filename: name, url, info };
  if (opts.voice) {
    content["org.matrix.msc3245.voice"] = {};
    content["org.matrix.msc1767.audio"] = { duration: info.duration };
  }
  const rel = relatesTo(opts);
  if (rel) content["m.relates_to"] = rel;
  return content;
}

export function msgtypeForMime(mime: string): string {
  if (mime.startsWith("image/")) return "m.image";
  if (mime.startsWith("video/")) return "m.video";
  if (mime.startsWith("audio/")) return "m.audio";
  return "m.file";
}

/** Polls are sent in the unstable MSC3381 form that current clients (Element) understand. */
export function pollStartContent(question: string, answers: string[], disclosed = true): { type: string; content: Json } {
  const ans = answers.map((text, i) => ({ id: `a${i + 1}`, "org.matrix.msc1767.text": text }));
  const fallback = `${question}\n${answers.map((a, i) => `${i + 1}. ${a}`).join("\n")}`;
  return {
    type: "org.matrix.msc3381.poll.start",
    content: {
      "org.matrix.msc3381.poll.start": {
        kind: disclosed ? "org.matrix.msc3381.poll.disclosed" : "org.matrix.msc3381.poll.undisclosed",
        max_selections: 1,
        question: { "org.matrix.msc1767.text": question },
        answers: ans,
      },
      "org.matrix.msc1767.text": fallback,
      body: fallback,
    },
  };
}

export function pollResponseContent(pollId: string, answerIds: string[], unstable: boolean): { type: string; content: Json } {
  const rel = { rel_type: "m.reference", event_id: pollId };
  if (unstable) {
    return {
      type: "org.matrix.msc3381.poll.response",
      content: { "org.matrix.msc3381.poll.response": { answers: answerIds }, "m.relates_to": rel },
    };
  }
  return { type: "m.poll.response", content: { "m.selections": answerIds, "m.relates_to": rel } };
}

export function pollEndContent(pollId: string, unstable: boolean): { type: string; content: Json } {
  const rel = { rel_type: "m.reference", event_id: pollId };
  return unstable
    ? { type: "org.matrix.msc3381.poll.end", content: { "org.matrix.msc3381.poll.end": {}, "org.matrix.msc1767.text": "Ended poll", body: "Ended poll", "m.relates_to": rel } }
    : { type: "m.poll.end", content: { "m.text": [{ body: "Ended poll" }], body: "Ended poll", "m.relates_to": rel } };
}
