// The node side of bench/v8-raw: the same prelude and bundle in a vm context (as
// bench/ssr/node-server.mjs loads them), then `finish(render(url, propsJson))` N times in a
// loop with the same props string; prints renders/s the way v8-raw does.
//
// Usage: N=3000 WARMUP=1000 ROUNDS=1 [CONTEXT=vm|main] [OUT=file] node bench/ssr/node-raw.mjs
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import vm from "node:vm";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PRELUDE = process.env.PRELUDE ?? path.join(HERE, "../../crates/hiver-ssr/src/engine/prelude.js");
const BUNDLE = process.env.BUNDLE ?? path.join(HERE, "../../examples/storefront/web/dist/react/server.js");
const URL_ = process.env.URL ?? "/";
const PROPS = process.env.PROPS ?? '{"path":"/","query":{},"cart":{"count":0}}';
const N = Number(process.env.N ?? 3000);
const WARMUP = Number(process.env.WARMUP ?? 1000);
const ROUNDS = Number(process.env.ROUNDS ?? 1);
// What a server does with the page before it can send it, and what bench/v8-raw does (it
// reads the HTML back as UTF-8): ENCODE=buffer (Buffer.from), textencoder, or none (the
// string is left as the renderer built it). The default is how each runtime's own server
// would encode it: Buffer.from on node and Bun, TextEncoder on Deno.
const ENCODE = process.env.ENCODE ?? (globalThis.Deno ? "textencoder" : "buffer");
const encoder = new TextEncoder();
const encode = {
  buffer: (html) => Buffer.from(html, "utf8"),
  textencoder: (html) => encoder.encode(html),
  none: (html) => html,
}[ENCODE];
if (!encode) throw new Error(`ENCODE=${ENCODE}: want buffer, textencoder or none`);

function load() {
  const log = (level, message) => level >= 3 && console.error(`bundle: ${message}`);
  if (process.env.CONTEXT === "main") {
    const factory = (0, eval)(readFileSync(PRELUDE, "utf8"));
    const api = factory({ log });
    (0, eval)(readFileSync(BUNDLE, "utf8"));
    return api;
  }
  const context = vm.createContext({});
  vm.runInContext("delete globalThis.Intl; delete globalThis.console;", context);
  const api = vm.runInContext(readFileSync(PRELUDE, "utf8"), context, { filename: PRELUDE })({ log });
  new vm.Script(readFileSync(BUNDLE, "utf8"), { filename: BUNDLE }).runInContext(context);
  return api;
}

const api = load();
let html = "";
let bytes = 0;
for (let i = 0; i < WARMUP; i++) html = api.finish(api.render(URL_, PROPS))[0];
for (let r = 0; r < ROUNDS; r++) {
  const t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    html = api.finish(api.render(URL_, PROPS))[0];
    bytes = encode(html).length;
  }
  const secs = Number(process.hrtime.bigint() - t) / 1e9;
  process.stdout.write(`node-raw renders/s=${(N / secs).toFixed(1)} ms/render=${((secs * 1e3) / N).toFixed(4)} html_bytes=${Buffer.byteLength(html)} encode=${ENCODE} encoded_bytes=${bytes}\n`);
}
if (process.env.OUT) writeFileSync(process.env.OUT, html);
