// The node peer of bench/ssr.sh and bench/stream.sh: node's own `http` server rendering the
// storefront's dist/<fw>/server.js on every request, one process per core through
// `node:cluster`.
//
// Each worker loads the bundle and renders every request through ./page.mjs (shared with
// bun-server.mjs and deno-server.mjs): the props the storefront builds, `render(url, props)`,
// and the document assembled like hiver-ssr's template. A product page (`/product/…`)
// streams: the bundle on node's own streams and timers (page.mjs streamingPageRenderer,
// loaded on the first such request), written chunk by chunk as the render produces it
// (chunked transfer), as Hiver streams it. Every other page is rendered whole on hiver-ssr's
// prelude (page.mjs pageRenderer), as bench/ssr.sh measures it. Nothing is cached.
//
// Usage: PORT=39200 WORKERS=2 DIST=examples/storefront/web/dist/preact FRAMEWORK=preact \
//          node bench/ssr/node-server.mjs
// Listens on 127.0.0.1 only. SIGTERM or SIGINT to the primary stops the workers and it.
import cluster from "node:cluster";
import { once } from "node:events";
import http from "node:http";

import { pageRenderer, settings, streamingPageRenderer } from "./page.mjs";

const { port: PORT, workers: WORKERS, framework: FRAMEWORK, dist: DIST } = settings(39200);

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

// Streams a product page: status and headers with the document's opening, then each chunk
// as the render produces it (waiting for the socket to drain), then the closing.
async function streamPage(render, req, res, target) {
  let page;
  try {
    page = await render(target);
  } catch (error) {
    console.error(`render ${target.pathname} failed: ${error?.stack ?? error}`);
    res.writeHead(500, { "content-type": "text/plain" }).end("render failed");
    return;
  }
  res.writeHead(page.status, {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "private, no-store",
  });
  if (req.method === "HEAD") {
    await page.chunks.return();
    res.end();
    return;
  }
  try {
    for await (const chunk of page.chunks) {
      if (res.destroyed) break; // the client left: `break` cancels the render's stream
      if (!res.write(chunk)) await Promise.race([once(res, "drain"), once(res, "close")]);
    }
    res.end();
  } catch (error) {
    console.error(`stream ${target.pathname} failed: ${error?.stack ?? error}`);
    res.destroy();
  }
}

function worker() {
  const render = pageRenderer(DIST, FRAMEWORK);
  // Loaded on the first product page, so bench/ssr.sh's idle RSS is that of `render` alone.
  let streamRender = null;

  const server = http.createServer((req, res) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { "content-type": "text/plain", allow: "GET, HEAD" }).end("method not allowed");
      return;
    }
    const target = new URL(req.url, "http://127.0.0.1");
    if (target.pathname.startsWith("/product/")) {
      streamRender ??= streamingPageRenderer(DIST, FRAMEWORK);
      streamPage(streamRender, req, res, target);
      return;
    }
    let page;
    try {
      page = render(target);
    } catch (error) {
      console.error(`render ${target.pathname} failed: ${error?.stack ?? error}`);
      res.writeHead(500, { "content-type": "text/plain" }).end("render failed");
      return;
    }
    const { status, body } = page;
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
