// The Bun peer of bench/ssr.sh and bench/stream.sh: `Bun.serve` rendering the storefront's
// dist/<fw>/server.js on every request through ./page.mjs (the same bundle loading, props and
// document as node-server.mjs), one process per core: the primary spawns WORKERS copies of
// this script, each listening on the same port with `reusePort` (SO_REUSEPORT, the kernel
// spreads the connections, as it does for Hiver's workers). A product page (`/product/…`)
// streams: the bundle on Bun's own streams and timers (page.mjs streamingPageRenderer,
// loaded on the first such request), answered with a ReadableStream body that Bun sends
// chunk by chunk as the render produces it. Every other page is rendered whole.
//
// Usage: PORT=39200 WORKERS=2 FRAMEWORK=preact [DIST=…] bun bench/ssr/bun-server.mjs
// Listens on 127.0.0.1 only. SIGTERM or SIGINT to the primary stops the workers and it.
import { fetchHandler, settings } from "./page.mjs";

const { port, workers, framework, dist } = settings(39200);

function primary() {
  let stopping = false;
  const children = [];
  const stop = async (code) => {
    stopping = true;
    for (const child of children) child.kill("SIGTERM");
    // A worker that hangs is not waited for past 3 s.
    const deadline = setTimeout(() => process.exit(code), 3000);
    await Promise.all(children.map((child) => child.exited));
    clearTimeout(deadline);
    process.exit(code);
  };
  for (let i = 0; i < workers; i++) {
    const child = Bun.spawn([process.execPath, import.meta.path], {
      env: { ...process.env, BUN_SERVER_ROLE: "worker" },
      stdio: ["ignore", "inherit", "inherit"],
    });
    children.push(child);
    child.exited.then((code) => {
      if (!stopping) {
        console.error(`bun-server: worker ${child.pid} exited (${code}); stopping`);
        stop(1);
      }
    });
  }
  process.on("SIGTERM", () => stop(0));
  process.on("SIGINT", () => stop(0));
}

function worker() {
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port,
    reusePort: true,
    fetch: fetchHandler(dist, framework),
  });
  process.on("SIGTERM", () => {
    server.stop(true);
    process.exit(0);
  });
}

if (process.env.BUN_SERVER_ROLE === "worker") {
  worker();
} else {
  primary();
}
