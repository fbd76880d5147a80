// Loads each dist/<fw>/server.js as a classic script into a fresh `vm` context that has only
// the SSR engine's globals, renders a fixed set of URLs and checks the results:
//   - statuses, head and HTML lengths (printed) and the exact output (compared with
//     expected/<fw>.json, the byte-for-byte reference for the Rust side);
//   - Preact and React agree on visible text, links, test hooks, head and status;
//   - listing-page renders per second in a quick single-threaded loop.
// Usage: node check.mjs [--update] [--print]   (--update rewrites expected/, --print dumps HTML)
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import vm from "node:vm";
import { gzipSync } from "node:zlib";

const ROOT = path.dirname(fileURLToPath(import.meta.url));
const PRELUDE = path.join(ROOT, "../../../crates/hiver-ssr/src/engine/prelude.js");
const UPDATE = process.argv.includes("--update");
const PRINT = process.argv.includes("--print");
const FRAMEWORKS = ["preact", "react"];
const EMPTY_CART = { count: 0 };
// Longer than any render should take, the reviews' slow source included.
const SETTLE_LIMIT_MS = 5000;

// Props as the Rust side builds them (path, query params, cart count 0), plus one case with
// empty props to check that the page falls back to parsing `url`.
const CASES = [
  { name: "home", url: "/", props: { path: "/", query: {}, cart: EMPTY_CART }, status: 200 },
  {
    name: "category-sorted",
    url: "/?category=audio&sort=price_asc",
    props: { path: "/", query: { category: "audio", sort: "price_asc" }, cart: EMPTY_CART },
    status: 200,
  },
  {
    name: "price-range-page-2",
    url: "/?min_price=20&max_price=300&sort=rating&page=2",
    props: { path: "/", query: { min_price: "20", max_price: "300", sort: "rating", page: "2" }, cart: EMPTY_CART },
    status: 200,
  },
  { name: "url-only", url: "/?category=toys&sort=name", props: {}, status: 200 },
  // Streamed: the shell with the reviews' Suspense fallback, then the reviews.
  {
    name: "product-7",
    url: "/product/7",
    props: { path: "/product/7", query: {}, cart: EMPTY_CART },
    status: 200,
    streamed: true,
  },
  {
    name: "product-missing",
    url: "/product/99999",
    props: { path: "/product/99999", query: {}, cart: EMPTY_CART },
    status: 404,
  },
  { name: "unknown-path", url: "/nope", props: { path: "/nope", query: {}, cart: EMPTY_CART }, status: 404 },
];

// Globals a bundle must not rely on (some exist in a bare V8 context and are removed).
const FORBIDDEN = ["window", "self", "document", "URL", "URLSearchParams", "fetch", "require", "module",
  "setImmediate", "setInterval", "Buffer", "Intl"];

function engine(fw) {
  const logs = [];
  const context = vm.createContext({});
  vm.runInContext("delete globalThis.Intl; delete globalThis.console;", context);
  const factory = vm.runInContext(readFileSync(PRELUDE, "utf8"), context, { filename: "prelude.js" });
  const api = factory({ log: (level, message) => logs.push([level, message]) });
  const present = FORBIDDEN.filter((name) => vm.runInContext(`typeof globalThis[${JSON.stringify(name)}]`, context) !== "undefined");
  if (present.length > 0) throw new Error(`context has forbidden globals: ${present.join(", ")}`);
  const file = path.join(ROOT, "dist", fw, "server.js");
  new vm.Script(readFileSync(file, "utf8"), { filename: file }).runInContext(context);
  return { api, logs };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Settles `promise` (made in the engine's context) the way the Rust host does: microtasks
// first, then the timer that is due (sleeping until one is), until it settles.
async function drive(api, promise) {
  let settled = false;
  promise.then(() => (settled = true), () => (settled = true));
  const deadline = performance.now() + SETTLE_LIMIT_MS;
  while (!settled) {
    await new Promise((resolve) => setImmediate(resolve));
    if (settled) break;
    const wait = api.runTimers();
    if (wait < 0) throw new Error("the render waits on a promise that no timer will settle");
    if (wait > 0) await sleep(wait);
    if (performance.now() > deadline) throw new Error(`the render did not settle within ${SETTLE_LIMIT_MS} ms`);
  }
  return promise;
}

// One render through the engine's prelude, as the Rust host drives it: `render`, settle,
// `finish`; for a stream, `next()` until it ends (html is the chunks joined).
async function render({ api }, url, props) {
  let value = api.render(url, JSON.stringify(props));
  if (value && typeof value.then === "function") value = await drive(api, value);
  const [html, head, status, streamed] = api.finish(value);
  if (!streamed) return { html, head, status };
  let joined = "";
  for (;;) {
    const chunk = await drive(api, api.next());
    if (chunk === null) break;
    joined += chunk;
  }
  api.clearTimers();
  return { html: joined, head, status, streamed: true };
}

// The same bundle and props in a context with node's own ReadableStream, TextEncoder,
// timers and MessageChannel instead of the engine's prelude: what node streams.
async function renderWithNode(fw, url, props) {
  const context = vm.createContext({
    ReadableStream, TextEncoder, TextDecoder, setTimeout, clearTimeout, queueMicrotask, MessageChannel,
    console, process: { env: { NODE_ENV: "production" } },
  });
  const file = path.join(ROOT, "dist", fw, "server.js");
  new vm.Script(readFileSync(file, "utf8"), { filename: file }).runInContext(context);
  const result = await context.render(url, JSON.parse(JSON.stringify(props)));
  const reader = result.html.getReader();
  const decoder = new TextDecoder();
  let html = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    html += typeof value === "string" ? value : decoder.decode(value, { stream: true });
  }
  return html + decoder.decode();
}

const ENTITIES = { amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'", "#x27": "'" };
function visible(html) {
  const text = html
    .replace(/<!--.*?-->/g, "")
    .replace(/<script\b[^>]*>.*?<\/script>/gs, "")
    .replace(/<[^>]*>/g, " ")
    .replace(/&(amp|lt|gt|quot|#39|#x27);/g, (_, e) => ENTITIES[e])
    .replace(/\s+/g, " ")
    .trim();
  const links = [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1].replace(/&amp;/g, "&"));
  const buttons = (html.match(/data-testid="add-to-cart"/g) || []).length;
  const counters = (html.match(/data-testid="cart-count"/g) || []).length;
  return { text, links, buttons, counters };
}

function sameVisible(a, b) {
  const va = visible(a.html);
  const vb = visible(b.html);
  const problems = [];
  if (va.text !== vb.text) problems.push("text differs");
  if (JSON.stringify(va.links) !== JSON.stringify(vb.links)) problems.push("links differ");
  if (va.buttons !== vb.buttons || va.counters !== vb.counters) problems.push("test hooks differ");
  if (a.head !== b.head) problems.push("head differs");
  if (a.status !== b.status) problems.push("status differs");
  return problems;
}

function benchmark(eng) {
  const props = JSON.stringify(CASES[0].props);
  const until = performance.now() + 1500;
  let n = 0;
  while (performance.now() < until) {
    eng.api.finish(eng.api.render("/", props));
    n++;
  }
  return (n / 1.5).toFixed(0);
}

function compareExpected(fw, results) {
  const file = path.join(ROOT, "expected", `${fw}.json`);
  const current = CASES.map((c, i) => ({ name: c.name, url: c.url, props: c.props, ...results[i] }));
  const text = JSON.stringify(current, null, 2) + "\n";
  if (UPDATE || !existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
    return `wrote ${path.relative(ROOT, file)}`;
  }
  if (readFileSync(file, "utf8") !== text) throw new Error(`${fw}: output differs from ${file} (run with --update if intended)`);
  return `matches ${path.relative(ROOT, file)}`;
}

// A streamed page again in the same context (a context renders many pages, and the page must
// not depend on what came before), then with node's own streams and timers: all three equal.
async function checkStream(eng, fw, c, r) {
  const again = await render(eng, c.url, c.props);
  const node = await renderWithNode(fw, c.url, c.props);
  const problems = [];
  if (again.html !== r.html) problems.push("a second render in the same context differs");
  if (node !== r.html) problems.push("node's own renderToReadableStream gives other bytes");
  if (!r.html.includes("Loading reviews") || !r.html.includes('data-testid="review-list"')) {
    problems.push("the stream lacks the fallback or the reviews");
  }
  console.log(`${problems.length ? "FAIL" : "ok  "} ${c.url.padEnd(48)} ${problems.length ? problems.join(", ") : "the same again, and as node streams it"}`);
  return problems.length;
}

let failures = 0;
const all = {};
for (const fw of FRAMEWORKS) {
  const server = path.join(ROOT, "dist", fw, "server.js");
  const bytes = readFileSync(server);
  const eng = engine(fw);
  console.log(`== ${fw}: server.js ${bytes.length} bytes (${gzipSync(bytes).length} gzipped)`);
  all[fw] = [];
  for (const c of CASES) {
    const started = performance.now();
    const r = await render(eng, c.url, c.props);
    const ms = (performance.now() - started).toFixed(2);
    all[fw].push(r);
    const ok = r.status === c.status && Boolean(r.streamed) === Boolean(c.streamed);
    if (!ok) failures++;
    const how = r.streamed ? "streamed" : "whole";
    console.log(`${ok ? "ok  " : "FAIL"} ${c.url.padEnd(48)} status ${r.status} ${how} html ${r.html.length} head ${r.head.length} (${ms} ms)`);
    if (PRINT) console.log(`--- head\n${r.head}\n--- html\n${r.html}\n---`);
    if (r.streamed) failures += await checkStream(eng, fw, c, r);
  }
  if (eng.logs.length > 0) {
    failures++;
    console.log(`FAIL console output during renders: ${JSON.stringify(eng.logs.slice(0, 5))}`);
  }
  console.log(compareExpected(fw, all[fw]));
  console.log(`listing "/" renders/s (node, one thread): ${benchmark(eng)}`);
}

console.log("== preact vs react visible content");
CASES.forEach((c, i) => {
  const problems = sameVisible(all.preact[i], all.react[i]);
  if (problems.length > 0) failures++;
  console.log(`${problems.length ? "FAIL" : "ok  "} ${c.name}${problems.length ? ": " + problems.join(", ") : ""}`);
});
const home = visible(all.preact[0].html);
if (home.buttons < 100) {
  failures++;
  console.log(`FAIL listing shows ${home.buttons} add-to-cart buttons, expected at least 100`);
}
console.log(`${CASES.length * FRAMEWORKS.length - failures} passed, ${failures} failed`);
// React's browser server build keeps a node MessageChannel port open (renderWithNode), which
// would keep node alive.
process.exit(failures === 0 ? 0 : 1);
