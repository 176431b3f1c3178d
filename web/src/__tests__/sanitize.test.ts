import { sanitizeHtml } from "../matrix/sanitize";

describe("sanitizeHtml", () => {
  it("keeps allowed formatting", () => {
    expect(sanitizeHtml("<strong>b</strong> <em>i</em> <code>c</code>")).toBe("<strong>b</strong> <em>i</em> <code>c</code>");
  });
  it("drops scripts, styles and event handlers", () => {
    const out = sanitizeHtml('<b onclick="alert(1)">x</b><script>alert(1)</script><style>*{}</style>');
    expect(out).toBe("<b>x</b>");
  });
  it("unwraps unknown tags but keeps their text", () => {
    expect(sanitizeHtml("<marquee>hi <b>there</b></marquee>")).toBe("hi <b>there</b>");
  });
  it("only keeps safe link schemes and opens links safely", () => {
    expect(sanitizeHtml('<a href="javascript:alert(1)">x</a>')).toBe("<a>x</a>");
    expect(sanitizeHtml('<a href="https://matrix.org">m</a>')).toBe('<a href="https://matrix.org" target="_blank" rel="noopener noreferrer nofollow">m</a>');
  });
  it("removes reply fallbacks", () => {
    expect(sanitizeHtml("<mx-reply><blockquote>old</blockquote></mx-reply>new")).toBe("new");
  });
  it("turns spec colours into styles and rejects bad ones", () => {
    expect(sanitizeHtml('<span data-mx-color="#ff0000">r</span>')).toBe('<span data-mx-color="#ff0000" style="color:#ff0000;">r</span>');
    expect(sanitizeHtml('<span data-mx-color="red;background:url(x)">r</span>')).toBe("<span>r</span>");
  });
  it("drops images and iframes", () => {
    expect(sanitizeHtml('<img src="https://evil/x.png"><iframe src="x"></iframe>ok')).toBe("ok");
  });
  it("keeps language classes on code only", () => {
    expect(sanitizeHtml('<code class="language-rust">x</code><code class="evil">y</code>')).toBe('<code class="language-rust">x</code><code>y</code>');
  });
});
