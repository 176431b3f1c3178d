// A small Markdown subset for the composer: **bold**, *italic* / _italic_, ~~strike~~,
// `code`, ```code blocks``` and bare links, turned into org.matrix.custom.html.

export function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

const URL_RE = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]/g;

function inline(text: string): string {
  // Code spans first, so markers inside them stay literal.
  return text
    .split(/(`[^`\n]+`)/g)
    .map((part, i) => {
      if (i % 2 === 1) return `<code>${escapeHtml(part.slice(1, -1))}</code>`;
      let s = escapeHtml(part);
      s = s.replace(URL_RE, (url) => `<a href="${url}">${url}</a>`);
      s = s.replace(/\*\*(?=\S)([^*]*?\S)\*\*/g, "<strong>$1</strong>");
      s = s.replace(/~~(?=\S)([^~]*?\S)~~/g, "<del>$1</del>");
      s = s.replace(/(^|[^\w*])\*(?=\S)([^*]*?\S)\*(?!\w)/g, "$1<em>$2</em>");
      s = s.replace(/(^|[^\w])_(?=\S)([^_]*?\S)_(?!\w)/g, "$1<em>$2</em>");
      return s;
    })
    .join("");
}

/** Returns HTML for `text`, or null when it has no formatting (then only `body` is sent). */
export function markdownToHtml(text: string): string | null {
  const parts = text.split(/```(?:[a-zA-Z0-9_-]*)\n?([\s\S]*?)```/g);
  let html = "";
  parts.forEach((part, i) => {
    if (i % 2 === 1) {
      html += `<pre><code>${escapeHtml(part.replace(/\n$/, ""))}</code></pre>`;
    } else {
      html += part
        .split("\n")
        .map((line) => inline(line))
        .join("<br>");
    }
  });
  const plain = escapeHtml(text).split("\n").join("<br>");
  return html === plain ? null : html;
}

export interface TextSegment {
  text: string;
  href?: string;
}

/** Splits plain text into text and link segments for rendering without innerHTML. */
export function linkify(text: string): TextSegment[] {
  const out: TextSegment[] = [];
  let last = 0;
  for (const m of text.matchAll(URL_RE)) {
    const at = m.index ?? 0;
    if (at > last) out.push({ text: text.slice(last, at) });
    out.push({ text: m[0], href: m[0] });
    last = at + m[0].length;
  }
  if (last < text.length) out.push({ text: text.slice(last) });
  return out;
}

/** Drops a legacy reply fallback ("> <@user> quoted" lines and the blank line after them). */
export function stripReplyFallback(body: string): string {
  const lines = body.split("\n");
  let i = 0;
  while (i < lines.length && lines[i].startsWith("> ")) i++;
  if (i > 0 && i < lines.length && lines[i] === "") return lines.slice(i + 1).join("\n");
  return body;
}

export function formatBytes(n: number | undefined, lang = "en"): string {
  if (n === undefined || !Number.isFinite(n)) return "";
  const units = ["B", "KB", "MB", "GB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toLocaleString(lang, { maximumFractionDigits: u === 0 ? 0 : 1 })} ${units[u]}`;
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}
