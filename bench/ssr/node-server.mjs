// The node peer of bench/ssr.sh: node's own `http` server rendering the storefront's
// dist/<fw>/server.js on every request, one process per core through `node:cluster`.
//
// Each worker loads the bundle the way examples/storefront/web/check.mjs does: a classic
// script in a fresh `vm` context whose only globals are hiver-ssr's engine prelude (the
// same file the Rust side evaluates). Per request it builds the props the storefront builds
// (`{ path, query: declared listing parameters only, cart: { count: 0 } }`), calls
// `render(url, props)` and answers the whole document, assembled like hiver-ssr's template:
// doctype, charset and viewport, the render's head, the manifest's asset tags, `#app`, the
// escaped hydration state. Nothing is cached.
//
// Usage: PORT=39200 WORKERS=2 DIST=examples/storefront/web/dist/preact FRAMEWORK=preact \
//          node bench/ssr/node-server.mjs
// Listens on 127.0.0.1 only. SIGTERM or SIGINT to the primary stops the workers and it.
import cluster from "node:cluster";
import { readFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import vm from "node:vm";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PRELUDE = path.join(HERE, "../../crates/hiver-ssr/src/engine/prelude.js");
const PORT = Number(process.env.PORT ?? 39200);
const WORKERS = Number(process.env.WORKERS ?? 2);
const FRAMEWORK = process.env.FRAMEWORK ?? "preact";
const DIST = path.resolve(process.env.DIST ?? path.join(HERE, "../../examples/storefront/web/dist", FRAMEWORK));
// examples/storefront/src/pages.rs LISTING_QUERY: the only parameters that reach the render.
const LISTING_QUERY = ["category", "min_price", "max_price", "sort", "page"];

if (!Number.isInteger(PORT) || PORT < 1 || PORT > 65535) throw new Error(`bad PORT ${process.env.PORT}`);
if (!Number.isInteger(WORKERS) || WORKERS < 1) throw new Error(`bad WORKERS ${process.env.WORKERS}`);

function primary() {
  let stopping = false;
  for (let i = 0; i < WORKERS; i++) cluster.fork();
  cluster.on("exit", (w, code, signal) => {
    if (!stopping) {
      console.error(`node-server: worker ${w.process.pid} died (${signal ?? code}); stopping`);
      stop(1);
    }
  });
  const stop = (code) => {
    stopping = true;
    for (const w of Object.values(cluster.workers)) w.process.kill("SIGTERM");
    // Exit once every worker is gone; a worker that hangs is not waited for past 3 s.
    const deadline = setTimeout(() => process.exit(code), 3000);
    const check = setInterval(() => {
      if (Object.keys(cluster.workers).length === 0) {
        clearInterval(check);
        clearTimeout(deadline);
        process.exit(code);
      }
    }, 20);
  };
  process.on("SIGTERM", () => stop(0));
  process.on("SIGINT", () => stop(0));
}

function engine() {
  const context = vm.createContext({});
  vm.runInContext("delete globalThis.Intl; delete globalThis.console;", context);
  const factory = vm.runInContext(readFileSync(PRELUDE, "utf8"), context, { filename: PRELUDE });
  const api = factory({ log: (level, message) => level >= 3 && console.error(`bundle: ${message}`) });
  const file = path.join(DIST, "server.js");
  new vm.Script(readFileSync(file, "utf8"), { filename: file }).runInContext(context);
  return api;
}

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const escapeHtml = (s) => s.replace(/[&<>"']/g, (c) => ESCAPES[c]);

// The manifest entry's tags, in hiver-ssr's order: stylesheets, module preloads, the script.
function assetTags() {
  const manifest = JSON.parse(readFileSync(path.join(DIST, ".vite/manifest.json"), "utf8"));
  const entry = manifest[`src/${FRAMEWORK}/client.jsx`];
  if (!entry) throw new Error(`no src/${FRAMEWORK}/client.jsx in the manifest`);
  const css = [];
  const preloads = [];
  const seen = new Set();
  const visit = (key) => {
    for (const name of manifest[key].imports ?? []) {
      if (seen.has(name)) continue;
      seen.add(name);
      visit(name);
      css.push(...(manifest[name].css ?? []));
      preloads.push(manifest[name].file);
    }
  };
  visit(`src/${FRAMEWORK}/client.jsx`);
  css.push(...(entry.css ?? []));
  return (
    css.map((f) => `<link rel="stylesheet" href="/${escapeHtml(f)}">`).join("") +
    preloads.map((f) => `<link rel="modulepreload" href="/${escapeHtml(f)}">`).join("") +
    `<script type="module" src="/${escapeHtml(entry.file)}"></script>`
  );
}

// JSON safe inside <script>, as hiver-ssr's HydrationState writes it.
const escapeState = (json) =>
  json.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);

// serde_json's default map is ordered by key, so the storefront's state reads
// {"cart":…,"path":…,"query":{…}}; sorting here gives the same bytes.
function stateJson(props) {
  const query = Object.fromEntries(Object.keys(props.query).sort().map((k) => [k, props.query[k]]));
  return JSON.stringify({ cart: props.cart, path: props.path, query });
}

function worker() {
  const api = engine();
  const start =
    '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">';
  const beforeHtml = `${assetTags()}</head><body><div id="app">`;
  const beforeState = '</div><script id="__HIVER_STATE__" type="application/json">';
  const end = "</script></body></html>";

  const server = http.createServer((req, res) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { "content-type": "text/plain", allow: "GET, HEAD" }).end("method not allowed");
      return;
    }
    const target = new URL(req.url, "http://127.0.0.1");
    const query = {};
    for (const name of LISTING_QUERY) {
      const value = target.searchParams.get(name);
      if (value !== null) query[name] = value;
    }
    const props = { path: target.pathname, query, cart: { count: 0 } };
    const search = new URLSearchParams(query).toString();
    const url = search ? `${target.pathname}?${search}` : target.pathname;
    let html, head, status;
    try {
      [html, head, status] = api.finish(api.render(url, JSON.stringify(props)));
    } catch (error) {
      console.error(`render ${url} failed: ${error?.stack ?? error}`);
      res.writeHead(500, { "content-type": "text/plain" }).end("render failed");
      return;
    }
    const body = start + head + beforeHtml + html + beforeState + escapeState(stateJson(props)) + end;
    res.writeHead(status, {
      "content-type": "text/html; charset=utf-8",
      "content-length": Buffer.byteLength(body),
      "cache-control": "private, no-store",
    });
    res.end(req.method === "HEAD" ? undefined : body);
  });
  server.keepAliveTimeout = 60_000;
  server.listen(PORT, "127.0.0.1");
  process.on("SIGTERM", () => server.close(() => process.exit(0)).closeAllConnections());
}

if (cluster.isPrimary) {
  primary();
} else {
  worker();
}
