import { escapeHtml, formatBytes, formatDuration, linkify, markdownToHtml, stripReplyFallback } from "../matrix/format";

describe("markdownToHtml", () => {
  it("returns null for plain text so only body is sent", () => {
    expect(markdownToHtml("just words")).toBeNull();
    expect(markdownToHtml("two\nlines")).toBeNull();
  });
  it("formats bold, italic, strike and code", () => {
    expect(markdownToHtml("a **b** _c_ *d* ~~e~~ `f`")).toBe("a <strong>b</strong> <em>c</em> <em>d</em> <del>e</del> <code>f</code>");
  });
  it("keeps markers inside code literal and escapes HTML", () => {
    expect(markdownToHtml("`**x** <b>`")).toBe("<code>**x** &lt;b&gt;</code>");
    expect(markdownToHtml("**<script>**")).toBe("<strong>&lt;script&gt;</strong>");
  });
  it("does not treat snake_case as italic", () => {
    expect(markdownToHtml("snake_case_name")).toBeNull();
  });
  it("turns fenced blocks into pre/code", () => {
    expect(markdownToHtml("see\n```\nlet x = 1;\n```")).toBe("see<br><pre><code>let x = 1;</code></pre>");
  });
  it("links URLs", () => {
    expect(markdownToHtml("go to https://example.org/a?b=1.")).toBe('go to <a href="https://example.org/a?b=1">https://example.org/a?b=1</a>.');
  });
});

describe("helpers", () => {
  it("escapes HTML", () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  });
  it("linkifies text into segments", () => {
    expect(linkify("a http://x.org b")).toEqual([{ text: "a " }, { text: "http://x.org", href: "http://x.org" }, { text: " b" }]);
  });
  it("strips a reply fallback", () => {
    expect(stripReplyFallback("> <@a:x> hi\n> there\n\nreply")).toBe("reply");
    expect(stripReplyFallback("> a quote without blank line")).toBe("> a quote without blank line");
  });
  it("formats sizes and durations", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1536)).toBe("1.5 KB");
    expect(formatBytes(5 * 1024 * 1024)).toBe("5 MB");
    expect(formatDuration(65_000)).toBe("1:05");
  });
});
