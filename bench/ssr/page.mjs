// The storefront page as bench/ssr's JS peers (node-server.mjs, bun-server.mjs,
// deno-server.mjs) render it: the bundle loaded the way examples/storefront/web/check.mjs
// does, props built the way the storefront builds them, and the document assembled the way
// hiver-ssr's template does, so every server in bench/ssr.sh answers `/` with the same bytes
// and every server in bench/stream.sh streams `/product/{id}` with the same bytes.
//
// `pageRenderer` (bench/ssr.sh) renders the page whole. By default the bundle runs in the
// runtime's main context, as an app that imports its server bundle runs it, with the
// runtime's own globals (BUNDLE_CONTEXT=main); with BUNDLE_CONTEXT=vm it runs as a classic
// script in a fresh `vm` context whose only globals are hiver-ssr's engine prelude (the same
// file the Rust side evaluates). Which is faster depends on the runtime (bench/v8-raw's
// node-raw.mjs measures both), so bench/ssr.sh can run each peer both ways. `streamingPageRenderer` (bench/stream.sh): the bundle runs
// in a `vm` context given the runtime's own ReadableStream, TextEncoder, timers and
// MessageChannel (as check.mjs's renderWithNode), so a product page streams the way node,
// Bun or Deno stream `renderToReadableStream`. Nothing is cached.
import { readFileSync } from "node:fs";
import path from "node:path";
import process from "node:process";
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

/// The bundle evaluated in the runtime's main context (it sets `globalThis.render`), behind
/// the same `{ render, finish }` as the prelude's for a page rendered whole.
function mainEngine(dist) {
  const file = path.join(dist, "server.js");
  (0, eval)(readFileSync(file, "utf8"));
  const fn = globalThis.render;
  if (typeof fn !== "function") throw new TypeError(`${file} did not set globalThis.render`);
  return {
    render: (url, propsJson) => fn(url, JSON.parse(propsJson)),
    finish(value) {
      const { html, head = "", status = 200 } = typeof value === "string" ? { html: value } : value;
      if (typeof html !== "string") throw new TypeError("pageRenderer renders whole pages: html must be a string");
      return [html, head, status];
    },
  };
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

// The fixed pieces of hiver-ssr's document around the render's head and HTML.
function documentParts(dist, framework) {
  return {
    start:
      '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
      '<meta name="viewport" content="width=device-width, initial-scale=1">',
    beforeHtml: `${assetTags(dist, framework)}</head><body><div id="app">`,
    beforeState: '</div><script id="__HIVER_STATE__" type="application/json">',
    end: "</script></body></html>",
  };
}

// The props the storefront builds for `target` and the URL the render gets.
function request(target) {
  const query = {};
  for (const name of LISTING_QUERY) {
    const value = target.searchParams.get(name);
    if (value !== null) query[name] = value;
  }
  const props = { path: target.pathname, query, cart: { count: 0 } };
  const search = new URLSearchParams(query).toString();
  const url = search ? `${target.pathname}?${search}` : target.pathname;
  return { props, url };
}

/// Loads the bundle of `dist` (a storefront web build) and returns
/// `render(target: URL) -> { status, body }`, which throws when the render does.
export function pageRenderer(dist, framework) {
  const where = process.env.BUNDLE_CONTEXT ?? "main";
  if (where !== "main" && where !== "vm") throw new Error(`BUNDLE_CONTEXT=${where}: want main or vm`);
  const api = where === "main" ? mainEngine(dist) : engine(dist);
  const { start, beforeHtml, beforeState, end } = documentParts(dist, framework);
  return (target) => {
    const { props, url } = request(target);
    const [html, head, status] = api.finish(api.render(url, JSON.stringify(props)));
    const body = start + head + beforeHtml + html + beforeState + escapeState(stateJson(props)) + end;
    return { status, body };
  };
}

// The bundle in a `vm` context with the runtime's own streams, encoders, timers and
// MessageChannel (what React's browser server build schedules its work with): the context
// web/check.mjs's renderWithNode checks against the engine's. Returns `render`.
function nativeRender(dist) {
  const context = vm.createContext({
    ReadableStream,
    TextEncoder,
    TextDecoder,
    setTimeout,
    clearTimeout,
    queueMicrotask,
    MessageChannel,
    console,
    process: { env: { NODE_ENV: "production" } },
  });
  const file = path.join(dist, "server.js");
  new vm.Script(readFileSync(file, "utf8"), { filename: file }).runInContext(context);
  if (typeof context.render !== "function") throw new Error(`${file} defines no render function`);
  return context.render;
}

const encoder = new TextEncoder();

// A chunk of the render as bytes of this realm: strings are encoded; byte chunks (made in
// the bundle's context, a realm of their own) are copied, so every runtime's HTTP side
// takes them as its own Uint8Array.
function ownBytes(chunk) {
  if (typeof chunk === "string") return encoder.encode(chunk);
  const bytes = new Uint8Array(chunk.byteLength);
  bytes.set(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  return bytes;
}

// The document as it goes out: the opening, each chunk of `html` (a ReadableStream, or a
// string for a page rendered whole) as the render produces it, then the closing. A consumer
// that stops early (`return()`, as `for await` does on break) cancels the stream.
async function* documentChunks(opening, html, closing) {
  yield encoder.encode(opening);
  if (typeof html === "string") {
    yield encoder.encode(html);
  } else {
    const reader = html.getReader();
    let done = false;
    try {
      for (;;) {
        const next = await reader.read();
        if (next.done) break;
        const bytes = ownBytes(next.value);
        if (bytes.byteLength > 0) yield bytes;
      }
      done = true;
    } finally {
      if (!done) reader.cancel().catch(() => {});
    }
  }
  yield encoder.encode(closing);
}

/// Loads the bundle of `dist` on the runtime's own streams and timers and returns
/// `async render(target: URL) -> { status, chunks }`: `chunks` is an async iterator of
/// Uint8Array (the document's opening with the head, the page's HTML as it streams, the
/// closing with the hydration state), joined the same bytes as Hiver streams. It rejects
/// when the render fails before its first byte.
export function streamingPageRenderer(dist, framework) {
  const render = nativeRender(dist);
  const { start, beforeHtml, beforeState, end } = documentParts(dist, framework);
  return async (target) => {
    const { props, url } = request(target);
    // A copy: the bundle's context must not share objects with the server's.
    const result = await render(url, JSON.parse(JSON.stringify(props)));
    const opening = start + result.head + beforeHtml;
    const closing = beforeState + escapeState(stateJson(props)) + end;
    return { status: result.status, chunks: documentChunks(opening, result.html, closing) };
  };
}

/// The response body of a streamed page for `Bun.serve` and `Deno.serve`: a ReadableStream
/// of `chunks` that asks for the next chunk only when the server took the previous one.
export function bodyStream(chunks) {
  return new ReadableStream({
    async pull(controller) {
      const next = await chunks.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    async cancel() {
      await chunks.return();
    },
  });
}

/// The settings every server takes from the environment, checked.
export function settings(defaultPort) {
  const port = Number(process.env.PORT ?? defaultPort);
  const workers = Number(process.env.WORKERS ?? 2);
  const framework = process.env.FRAMEWORK ?? "preact";
  const dist = path.resolve(process.env.DIST ?? path.join(HERE, "../../examples/storefront/web/dist", framework));
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`bad PORT ${process.env.PORT}`);
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`bad WORKERS ${process.env.WORKERS}`);
  return { port, workers, framework, dist };
}

// A product page: status and headers once the render has its shell, then a body that
// streams the document's chunks.
async function streamPage(render, req, target) {
  let page;
  try {
    page = await render(target);
  } catch (error) {
    console.error(`render ${target.pathname} failed: ${error?.stack ?? error}`);
    return new Response("render failed", { status: 500, headers: { "content-type": "text/plain" } });
  }
  if (req.method === "HEAD") await page.chunks.return();
  return new Response(req.method === "HEAD" ? null : bodyStream(page.chunks), {
    status: page.status,
    headers: { "content-type": "text/html; charset=utf-8", "cache-control": "private, no-store" },
  });
}

/// The Web `fetch` handler of the Bun and Deno peers (`Request` in, `Response` out): GET and
/// HEAD only; a product page (`/product/…`) streams through `streamingPageRenderer`, loaded on
/// the first such request so bench/ssr.sh's idle RSS is that of `pageRenderer` alone; every
/// other page is rendered whole.
export function fetchHandler(dist, framework) {
  const render = pageRenderer(dist, framework);
  let streamRender = null;
  return (req) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      return new Response("method not allowed", {
        status: 405,
        headers: { "content-type": "text/plain", allow: "GET, HEAD" },
      });
    }
    const target = new URL(req.url);
    if (target.pathname.startsWith("/product/")) {
      streamRender ??= streamingPageRenderer(dist, framework);
      return streamPage(streamRender, req, target);
    }
    let page;
    try {
      page = render(target);
    } catch (error) {
      console.error(`render ${target.pathname} failed: ${error?.stack ?? error}`);
      return new Response("render failed", { status: 500, headers: { "content-type": "text/plain" } });
    }
    return new Response(req.method === "HEAD" ? null : page.body, {
      status: page.status,
      headers: { "content-type": "text/html; charset=utf-8", "cache-control": "private, no-store" },
    });
  };
}
