// The Deno peer of bench/stream.sh: `Deno.serve` rendering the storefront's dist/<fw>/server.js
// on every request through ./page.mjs (the same bundle loading, props and document as
// node-server.mjs and bun-server.mjs), one process per core: the primary spawns WORKERS
// copies of this script, each listening on the same port with `reusePort` (SO_REUSEPORT,
// the kernel spreads the connections). A product page (`/product/…`) streams: the bundle on
// Deno's own streams and timers (page.mjs streamingPageRenderer, loaded on the first such
// request), answered with a ReadableStream body that Deno sends chunk by chunk as the render
// produces it. Every other page is rendered whole on hiver-ssr's prelude (page.mjs
// pageRenderer).
//
// Usage: PORT=39200 WORKERS=2 FRAMEWORK=preact [DIST=…] deno run --no-prompt --no-config \
//          --allow-net=127.0.0.1 --allow-read --allow-env --allow-run bench/ssr/deno-server.mjs
// (the workers get WORKER_FLAGS). Listens on 127.0.0.1 only.
// SIGTERM or SIGINT to the primary stops the workers and it.
import { fetchHandler, settings } from "./page.mjs";

// The workers' permissions: the primary's less --allow-run, plus --unstable-net, which
// Deno.serve's `reusePort` needs.
const WORKER_FLAGS = [
  "--no-prompt",
  "--no-config",
  "--unstable-net",
  "--allow-net=127.0.0.1",
  "--allow-read",
  "--allow-env",
];

const { port, workers, framework, dist } = settings(39200);

function primary() {
  let stopping = false;
  const children = [];
  const stop = async (code) => {
    if (stopping) return;
    stopping = true;
    for (const child of children) {
      try {
        child.kill("SIGTERM");
      } catch {
        // already gone
      }
    }
    // A worker that hangs is not waited for past 3 s.
    const deadline = setTimeout(() => Deno.exit(code), 3000);
    await Promise.all(children.map((child) => child.status));
    clearTimeout(deadline);
    Deno.exit(code);
  };
  for (let i = 0; i < workers; i++) {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", ...WORKER_FLAGS, import.meta.filename],
      env: { DENO_SERVER_ROLE: "worker" },
      stdin: "null",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
    children.push(child);
    child.status.then((status) => {
      if (!stopping) {
        console.error(`deno-server: worker ${child.pid} exited (${status.signal ?? status.code}); stopping`);
        stop(1);
      }
    });
  }
  Deno.addSignalListener("SIGTERM", () => stop(0));
  Deno.addSignalListener("SIGINT", () => stop(0));
}

function worker() {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port, reusePort: true, onListen() {} },
    fetchHandler(dist, framework),
  );
  const stop = () => server.shutdown().finally(() => Deno.exit(0));
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
}

if (Deno.env.get("DENO_SERVER_ROLE") === "worker") {
  worker();
} else {
  primary();
}
