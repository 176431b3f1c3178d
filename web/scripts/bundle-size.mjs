// Prints gzipped sizes of the built JS: the first load (entry + its static imports, from
// Vite's manifest), the chat shell loaded right after sign-in, and every lazy chunk.
// Fails when the first load exceeds the budget.
import { readFileSync, readdirSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { join } from "node:path";

const dist = new URL("../dist/", import.meta.url).pathname;
const BUDGET = 500 * 1024;
const manifest = JSON.parse(readFileSync(join(dist, ".vite/manifest.json"), "utf8"));
const gz = (file) => gzipSync(readFileSync(join(dist, file)), { level: 9 }).length;
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

/** A chunk and everything it imports statically (what the browser must fetch before it runs). */
function closure(key, seen = new Set()) {
  if (seen.has(key)) return seen;
  seen.add(key);
  for (const dep of manifest[key].imports ?? []) closure(dep, seen);
  return seen;
}
const files = (keys) => [...new Set([...keys].map((k) => manifest[k].file).filter((f) => f.endsWith(".js")))];
const total = (list) => list.reduce((n, f) => n + gz(f), 0);

const entryKey = Object.keys(manifest).find((k) => manifest[k].isEntry);
const first = files(closure(entryKey));
const chatKey = Object.keys(manifest).find((k) => k.endsWith("components/ChatApp.tsx"));
const chat = chatKey ? files(closure(chatKey, new Set(closure(entryKey)))) : first;

const allJs = readdirSync(join(dist, "assets")).filter((f) => f.endsWith(".js")).map((f) => `assets/${f}`);
console.log("\nJS bundle sizes (gzip -9):");
for (const f of allJs.sort((a, b) => gz(b) - gz(a))) {
  const tag = first.includes(f) ? "first-load" : chat.includes(f) ? "after sign-in" : "lazy";
  console.log(`  ${kb(gz(f)).padStart(10)}  ${tag.padEnd(13)} ${f}`);
}
const wasm = readdirSync(join(dist, "assets")).filter((f) => f.endsWith(".wasm"));
const firstTotal = total(first);
const chatTotal = total(chat);
console.log(`\nFirst load (sign-in screen): ${kb(firstTotal)} gzipped JS`);
console.log(`Signed-in first paint (entry + chat app with matrix-js-sdk): ${kb(chatTotal)} gzipped JS`);
if (wasm.length) console.log(`Crypto WASM (never loaded: crypto is not initialised): ${wasm.join(", ")}`);
const worst = Math.max(firstTotal, chatTotal);
if (worst > BUDGET) {
  console.error(`Bundle budget exceeded: ${kb(worst)} > ${kb(BUDGET)}`);
  process.exit(1);
}
console.log(`Budget: ${kb(BUDGET)} — OK`);
