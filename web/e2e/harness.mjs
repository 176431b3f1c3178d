// Test harness: a real `hearth` process in a temp dir serving the built client (web/dist)
// beside its API, as `./scripts/run` does, and headless Chromium contexts (playwright-core +
// the system chromium).
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";

const WEB_DIR = resolve(new URL("..", import.meta.url).pathname);

/** HEARTH_BINARY, else ../target/debug/hearth or $CARGO_TARGET_DIR/debug/hearth if built. */
export function hearthBinary() {
  const fromEnv = process.env.HEARTH_BINARY;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`HEARTH_BINARY=${fromEnv} does not exist`);
    return fromEnv;
  }
  const candidates = [join(WEB_DIR, "../target/debug/hearth")];
  if (process.env.CARGO_TARGET_DIR) candidates.push(join(process.env.CARGO_TARGET_DIR, "debug/hearth"));
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    throw new Error(
      "No hearth binary: set HEARTH_BINARY=/path/to/hearth (looked for " + candidates.join(", ") + ")",
    );
  }
  return found;
}

export function freePort() {
  return new Promise((res, rej) => {
    const srv = createNetServer();
    srv.unref();
    srv.on("error", rej);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

export async function startHearth() {
  if (!existsSync(join(WEB_DIR, "dist", "index.html"))) throw new Error("web/dist/index.html missing: run npm run build first");
  const binary = hearthBinary();
  const dir = mkdtempSync(join(tmpdir(), "hearth-e2e-"));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const config = `[server]
server_name = "localhost"
public_baseurl = "${base}"
[listeners]
client = "127.0.0.1:${port}"
[database]
url = "sqlite://${dir}/hearth.db"
[logging]
level = "${process.env.HEARTH_LOG ?? "warn"}"
[web]
enabled = true
path = "/"
dir = "${join(WEB_DIR, "dist")}"
[limits]
registration_per_ip = { per_second = 100.0, burst = 1000 }
login_per_ip = { per_second = 100.0, burst = 1000 }
login_per_account = { per_second = 100.0, burst = 1000 }
`;
  writeFileSync(join(dir, "hearth.toml"), config);
  const proc = spawn(binary, ["--config", join(dir, "hearth.toml")], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  proc.stderr.on("data", (d) => (log += d));
  await new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`hearth did not start in 30 s:\n${log}`)), 30_000);
    proc.stdout.on("data", (d) => {
      log += d;
      if (/hearth: listening on/.test(log)) {
        clearTimeout(timer);
        res();
      }
    });
    proc.on("exit", (code) => {
      clearTimeout(timer);
      rej(new Error(`hearth exited with ${code}:\n${log}`));
    });
  });
  return {
    url: base,
    /** Where Hearth serves the client. */
    webUrl: `${base}/`,
    binary,
    log: () => log,
    async stop() {
      if (proc.exitCode === null) {
        proc.kill("SIGTERM");
        await new Promise((r) => {
          const t = setTimeout(() => (proc.kill("SIGKILL"), r()), 5000);
          proc.on("exit", () => (clearTimeout(t), r()));
        });
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

export async function launch(name, opts = {}) {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`);
  const dir = mkdtempSync(join(tmpdir(), `hearth-browser-${name}-`));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream", "--autoplay-policy=no-user-gesture-required"],
    viewport: opts.viewport ?? { width: 1280, height: 800 },
    permissions: ["notifications", "microphone"],
    locale: opts.locale ?? "en-US",
    colorScheme: opts.colorScheme ?? "light",
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  // Recent /sync requests, printed when a step fails (to tell client from server delays).
  const syncs = [];
  // Requests per endpoint (IDs stripped), to catch request loops.
  const counts = new Map();
  page.on("request", (r) => {
    const m = /\/_matrix\/[^?]*/.exec(r.url());
    if (m) {
      const key = `${r.method()} ${m[0].replace(/\/(![^/]+|%21[^/]+|\$[^/]+|%24[^/]+|@[^/]+|%40[^/]+|m[0-9]+\.[0-9]+)/g, "/{id}").replace(/\/(send|state)\/([^/]+)\/[^/]+$/, "/$1/$2/{txn}")}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    if (r.url().includes("/sync")) syncs.push({ url: r.url().replace(/^.*\/sync/, "/sync"), start: Date.now(), end: null, status: null });
  });
  page.on("requestfinished", async (r) => {
    const s = syncs.findLast((x) => r.url().endsWith(x.url.slice(5)) && x.end === null);
    if (s) {
      s.end = Date.now();
      s.status = (await r.response())?.status() ?? null;
    }
  });
  page.on("requestfailed", (r) => {
    const s = syncs.findLast((x) => r.url().endsWith(x.url.slice(5)) && x.end === null);
    if (s) (s.end = Date.now()), (s.status = "failed");
  });
  return {
    context,
    page,
    errors,
    syncs,
    counts,
    async close() {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
