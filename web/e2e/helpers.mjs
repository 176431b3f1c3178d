// Page-level helpers for the end-to-end run.
import { deflateSync } from "node:zlib";

export const T = 20_000; // default wait

export async function register(page, webUrl, hsUrl, username, password) {
  await page.goto(webUrl);
  await page.getByRole("button", { name: "Change" }).click();
  await page.fill("input[name=homeserver]", hsUrl);
  await page.getByRole("tab", { name: "Create account" }).click();
  await page.fill("input[name=username]", username);
  await page.fill("input[name=password]", password);
  await page.fill("input[name=confirm]", password);
  await page.locator("form button[type=submit]").click();
  await page.waitForSelector("nav.sidebar", { timeout: T });
}

export async function openRoom(page, name) {
  await page.locator(".room-item", { hasText: name }).first().click();
  await page.waitForSelector(`.room-view[aria-label="${name}"]`, { timeout: T });
}

export function composer(page, scope = ".room-view") {
  return page.locator(`${scope} .composer textarea`);
}

export async function send(page, text, scope) {
  const box = composer(page, scope);
  await box.fill(text);
  await box.press("Enter");
}

/** The message row whose text contains `text` (last match). */
export function message(page, text, scope = ".room-view") {
  return page.locator(`${scope} li.msg-row`, { hasText: text }).last();
}

export async function hoverAction(page, text, label, scope) {
  const row = message(page, text, scope);
  await row.locator(".bubble").hover();
  await row.getByRole("button", { name: label, exact: true }).click();
}

export async function accessToken(page) {
  return page.evaluate(() => JSON.parse(localStorage.getItem("hearth.session")).accessToken);
}

/** Screenshot without a hover toolbar in the way. */
export async function shot(page, path) {
  await page.mouse.move(1, 1);
  await page.waitForTimeout(250);
  await page.screenshot({ path });
}

/** Replaces the Notification API with a recorder that reports "granted". */
export async function stubNotifications(page) {
  await page.evaluate(() => {
    window.__notes = [];
    class FakeNotification {
      static permission = "granted";
      static requestPermission = async () => "granted";
      constructor(title, opts) {
        window.__notes.push({ title, body: opts?.body });
      }
      close() {}
    }
    window.Notification = FakeNotification;
  });
}

/** Records, in the page, when each message text first appears (for latency measurement). */
export async function watchArrivals(page) {
  await page.evaluate(() => {
    window.__seen = {};
    const scan = () =>
      document.querySelectorAll("li.msg-row .msg-text").forEach((el) => {
        const text = el.textContent ?? "";
        if (!(text in window.__seen)) window.__seen[text] = Date.now();
      });
    new MutationObserver(scan).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
}

/** Records, in the page, when Enter is pressed in a composer. */
export async function watchSends(page) {
  await page.evaluate(() => {
    document.addEventListener(
      "keydown",
      (e) => {
        if (e.key === "Enter" && e.target instanceof HTMLTextAreaElement) window.__sentAt = Date.now();
      },
      true,
    );
  });
}

/** A small valid PNG (solid colour) built in memory, so the test needs no fixture file. */
export function makePng(width = 160, height = 100, rgb = [28, 126, 214]) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: width }, () => rgb).flat())]);
  const raw = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk("IHDR", ihdr), chunk("IDAT", deflateSync(raw)), chunk("IEND", Buffer.alloc(0))]);
}
