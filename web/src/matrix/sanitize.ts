// Sanitizes org.matrix.custom.html from other users before it reaches innerHTML:
// an allow-list of tags and attributes, following the spec's recommended subset.

const ALLOWED_TAGS = new Set([
  "font", "del", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "p", "a", "ul", "ol", "sup", "sub",
  "li", "b", "i", "u", "strong", "em", "s", "strike", "code", "hr", "br", "div", "table", "thead",
  "tbody", "tr", "th", "td", "caption", "pre", "span", "details", "summary",
]);
// Content of these is dropped entirely rather than unwrapped.
const DROP_WITH_CONTENT = new Set(["script", "style", "iframe", "object", "embed", "mx-reply", "template", "noscript", "svg", "math"]);
const ALLOWED_ATTRS: Record<string, string[]> = {
  font: ["data-mx-bg-color", "data-mx-color", "color"],
  span: ["data-mx-bg-color", "data-mx-color", "data-mx-spoiler"],
  a: ["href"],
  ol: ["start"],
  code: ["class"],
};
const SAFE_SCHEMES = /^(https?|mailto|matrix):/i;
const COLOR = /^#[0-9a-fA-F]{6}$/;

function cleanNode(node: Node, doc: Document): Node | null {
  if (node.nodeType === Node.TEXT_NODE) return doc.createTextNode(node.textContent ?? "");
  if (node.nodeType !== Node.ELEMENT_NODE) return null;
  const el = node as Element;
  const tag = el.tagName.toLowerCase();
  if (DROP_WITH_CONTENT.has(tag)) return null;
  const children = Array.from(el.childNodes)
    .map((c) => cleanNode(c, doc))
    .filter((c): c is Node => c !== null);
  if (!ALLOWED_TAGS.has(tag)) {
    // Unknown tags are unwrapped: their text stays, the element goes.
    const frag = doc.createDocumentFragment();
    children.forEach((c) => frag.appendChild(c));
    return frag;
  }
  const out = doc.createElement(tag);
  for (const name of ALLOWED_ATTRS[tag] ?? []) {
    const value = el.getAttribute(name);
    if (value === null) continue;
    if (name === "href" && !SAFE_SCHEMES.test(value.trim())) continue;
    if ((name === "data-mx-color" || name === "data-mx-bg-color" || name === "color") && !COLOR.test(value)) continue;
    if (name === "class" && !/^language-[\w-]+$/.test(value)) continue;
    out.setAttribute(name, value);
  }
  if (tag === "a" && out.hasAttribute("href")) {
    out.setAttribute("target", "_blank");
    out.setAttribute("rel", "noopener noreferrer nofollow");
  }
  // Spec colours are carried in data attributes; render them as inline colour styles.
  const fg = out.getAttribute("data-mx-color") ?? out.getAttribute("color");
  const bg = out.getAttribute("data-mx-bg-color");
  if (fg || bg) out.setAttribute("style", `${fg ? `color:${fg};` : ""}${bg ? `background-color:${bg};` : ""}`);
  children.forEach((c) => out.appendChild(c));
  return out;
}

export function sanitizeHtml(html: string): string {
  const doc = new DOMParser().parseFromString(`<body>${html}</body>`, "text/html");
  const container = doc.createElement("div");
  for (const child of Array.from(doc.body.childNodes)) {
    const clean = cleanNode(child, doc);
    if (clean) container.appendChild(clean);
  }
  return container.innerHTML;
}
