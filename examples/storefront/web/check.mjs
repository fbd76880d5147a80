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
  { name: "product-7", url: "/product/7", props: { path: "/product/7", query: {}, cart: EMPTY_CART }, status: 200 },
  {
    name: "product-missing",
    url: "/product/99999",
    props: { path: "/product/99999", query: {}, cart: EMPTY_CART },
    status: 404,
  },
  { name: "unknown-path", url: "/nope", props: { path: "/nope", query: {}, cart: EMPTY_CART }, status: 404 },
];

// The same globals the engine gives: its own prelude when this checkout has it, otherwise a
// minimal stand-in (console, queueMicrotask, zero-delay timers, TextEncoder/TextDecoder).
const FALLBACK_PRELUDE = `(function (host) {
  const g = globalThis, timers = new Map(); let next = 1;
  const log = (l) => (...a) => host.log(l, a.map(String).join(" "));
  g.console = { trace: log(0), debug: log(1), log: log(2), info: log(2), warn: log(3), error: log(4) };
  g.process = { env: { NODE_ENV: "production" } };
  g.queueMicrotask = (f) => { Promise.resolve().then(f); };
  g.setTimeout = (f, _d, ...a) => { const id = next++; timers.set(id, () => f(...a)); return id; };
  g.clearTimeout = (id) => { timers.delete(id); };
  g.TextEncoder = host.TextEncoder; g.TextDecoder = host.TextDecoder;
  const runTimers = () => { if (!timers.size) return false; const t = [...timers.values()]; timers.clear(); t.forEach((f) => f()); return true; };
  const render = (url, json) => g.render(url, JSON.parse(json));
  const finish = (v) => typeof v === "string" ? [v, "", 200] : [v.html, v.head ?? "", v.status ?? 200];
  return { render, finish, runTimers, clearTimers: () => timers.clear() };
})`;

// Globals a bundle must not rely on (some exist in a bare V8 context and are removed).
const FORBIDDEN = ["window", "self", "document", "URL", "URLSearchParams", "fetch", "require", "module",
  "MessageChannel", "setImmediate", "setInterval", "Buffer", "Intl"];

function engine(fw) {
  const logs = [];
  const context = vm.createContext({});
  vm.runInContext("delete globalThis.Intl; delete globalThis.console;", context);
  const usePrelude = existsSync(PRELUDE);
  const factory = vm.runInContext(usePrelude ? readFileSync(PRELUDE, "utf8") : FALLBACK_PRELUDE, context, {
    filename: usePrelude ? "prelude.js" : "fallback-prelude.js",
  });
  const api = factory({ log: (level, message) => logs.push([level, message]), TextEncoder, TextDecoder });
  const present = FORBIDDEN.filter((name) => vm.runInContext(`typeof globalThis[${JSON.stringify(name)}]`, context) !== "undefined");
  if (present.length > 0) throw new Error(`context has forbidden globals: ${present.join(", ")}`);
  const file = path.join(ROOT, "dist", fw, "server.js");
  new vm.Script(readFileSync(file, "utf8"), { filename: file }).runInContext(context);
  return { api, logs, usePrelude };
}

async function render({ api }, url, props) {
  let value = api.render(url, JSON.stringify(props));
  if (value && typeof value.then === "function") {
    let settled = false;
    value.then(() => (settled = true), () => (settled = true));
    for (let round = 0; round < 100 && !settled; round++) {
      await new Promise((resolve) => setImmediate(resolve));
      api.runTimers();
    }
    value = await value;
  }
  const [html, head, status] = api.finish(value);
  return { html, head, status };
}

const ENTITIES = { amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'", "#x27": "'" };
function visible(html) {
  const text = html
    .replace(/<!--.*?-->/g, "")
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

let failures = 0;
const all = {};
for (const fw of FRAMEWORKS) {
  const server = path.join(ROOT, "dist", fw, "server.js");
  const bytes = readFileSync(server);
  const eng = engine(fw);
  console.log(`== ${fw}: server.js ${bytes.length} bytes (${gzipSync(bytes).length} gzipped); globals from ${eng.usePrelude ? "hiver-ssr prelude.js" : "fallback prelude"}`);
  all[fw] = [];
  for (const c of CASES) {
    const started = performance.now();
    const r = await render(eng, c.url, c.props);
    const ms = (performance.now() - started).toFixed(2);
    all[fw].push(r);
    const ok = r.status === c.status;
    if (!ok) failures++;
    console.log(`${ok ? "ok  " : "FAIL"} ${c.url.padEnd(48)} status ${r.status} html ${r.html.length} head ${r.head.length} (${ms} ms)`);
    if (PRINT) console.log(`--- head\n${r.head}\n--- html\n${r.html}\n---`);
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
process.exitCode = failures === 0 ? 0 : 1;
