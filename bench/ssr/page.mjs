// The storefront page as bench/ssr's JS peers (node-server.mjs, bun-server.mjs) render it:
// the bundle loaded the way examples/storefront/web/check.mjs does, props built the way the
// storefront builds them, and the document assembled the way hiver-ssr's template does, so
// every server in bench/ssr.sh answers `/` with the same bytes.
//
// The bundle runs as a classic script in a fresh `vm` context whose only globals are
// hiver-ssr's engine prelude (the same file the Rust side evaluates). Nothing is cached.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import vm from "node:vm";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PRELUDE = path.join(HERE, "../../crates/hiver-ssr/src/engine/prelude.js");
// examples/storefront/src/pages.rs LISTING_QUERY: the only parameters that reach the render.
const LISTING_QUERY = ["category", "min_price", "max_price", "sort", "page"];

/// The prelude's `{ render, finish }` with dist/server.js loaded behind it.
function engine(dist) {
  const context = vm.createContext({});
  vm.runInContext("delete globalThis.Intl; delete globalThis.console;", context);
  const factory = vm.runInContext(readFileSync(PRELUDE, "utf8"), context, { filename: PRELUDE });
  const api = factory({ log: (level, message) => level >= 3 && console.error(`bundle: ${message}`) });
  const file = path.join(dist, "server.js");
  new vm.Script(readFileSync(file, "utf8"), { filename: file }).runInContext(context);
  return api;
}

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const escapeHtml = (s) => s.replace(/[&<>"']/g, (c) => ESCAPES[c]);

// The manifest entry's tags, in hiver-ssr's order: stylesheets, module preloads, the script.
function assetTags(dist, framework) {
  const manifest = JSON.parse(readFileSync(path.join(dist, ".vite/manifest.json"), "utf8"));
  const entry = manifest[`src/${framework}/client.jsx`];
  if (!entry) throw new Error(`no src/${framework}/client.jsx in the manifest`);
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
  visit(`src/${framework}/client.jsx`);
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

/// Loads the bundle of `dist` (a storefront web build) and returns
/// `render(target: URL) -> { status, body }`, which throws when the render does.
export function pageRenderer(dist, framework) {
  const api = engine(dist);
  const start =
    '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">';
  const beforeHtml = `${assetTags(dist, framework)}</head><body><div id="app">`;
  const beforeState = '</div><script id="__HIVER_STATE__" type="application/json">';
  const end = "</script></body></html>";
  return (target) => {
    const query = {};
    for (const name of LISTING_QUERY) {
      const value = target.searchParams.get(name);
      if (value !== null) query[name] = value;
    }
    const props = { path: target.pathname, query, cart: { count: 0 } };
    const search = new URLSearchParams(query).toString();
    const url = search ? `${target.pathname}?${search}` : target.pathname;
    const [html, head, status] = api.finish(api.render(url, JSON.stringify(props)));
    const body = start + head + beforeHtml + html + beforeState + escapeState(stateJson(props)) + end;
    return { status, body };
  };
}

/// The settings both servers take from the environment, checked.
export function settings(defaultPort) {
  const port = Number(process.env.PORT ?? defaultPort);
  const workers = Number(process.env.WORKERS ?? 2);
  const framework = process.env.FRAMEWORK ?? "preact";
  const dist = path.resolve(process.env.DIST ?? path.join(HERE, "../../examples/storefront/web/dist", framework));
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`bad PORT ${process.env.PORT}`);
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`bad WORKERS ${process.env.WORKERS}`);
  return { port, workers, framework, dist };
}
