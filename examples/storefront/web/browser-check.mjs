// Hydration check in headless Chromium: serves each framework's pages the way the Rust side
// will (server render + manifest asset tags + #__HIVER_STATE__; the product page streamed as
// the bundle renders it, its reviews after the shell), then in the browser checks that
// hydration keeps the server's DOM, logs no error, that the product page shows its reviews
// once, and that "Add to cart" buttons on the listing and on the product page increment the
// header counter (restored across pages).
// Usage: node --experimental-websocket browser-check.mjs   (Node 22+ needs no flag)
// Needs a Chromium binary (CHROME env var, or chromium / chromium-browser on PATH).
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import vm from "node:vm";

const ROOT = path.dirname(fileURLToPath(import.meta.url));
const FRAMEWORKS = ["preact", "react"];
const SCREENSHOTS = process.argv.includes("--screenshots");

function findChrome() {
  for (const name of [process.env.CHROME, "chromium", "chromium-browser", "google-chrome"]) {
    if (name && spawnSync(name, ["--version"]).status === 0) return name;
  }
  return null;
}

// The bundle with node's own streams and timers (what hiver-ssr's prelude provides).
function loadRender(fw) {
  const context = vm.createContext({
    ReadableStream, TextEncoder, TextDecoder, setTimeout, clearTimeout, queueMicrotask, MessageChannel,
    console, process: { env: { NODE_ENV: "production" } },
  });
  vm.runInContext(readFileSync(path.join(ROOT, "dist", fw, "server.js"), "utf8"), context);
  return context.render;
}

// JSON for a <script> element, escaped like the Rust side does.
function stateJson(props) {
  return JSON.stringify(props).replace(/[<>&\u2028\u2029]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
}

// Records console errors and the server-rendered counter element before the entry runs.
const PROBE = `<script>window.__errors=[];const e=console.error;console.error=function(){__errors.push([].map.call(arguments,String).join(" "));e.apply(console,arguments)};window.addEventListener("error",function(ev){__errors.push(String(ev.message))});window.__counter=document.querySelector('[data-testid="cart-count"]');</script>`;

// Sends the page for `url`: the document's opening, the render (each chunk as it comes when
// the bundle streams), then the closing.
async function sendPage(res, fw, render, manifest, url) {
  const q = url.indexOf("?");
  const query = Object.fromEntries(new URLSearchParams(q < 0 ? "" : url.slice(q)));
  const props = { path: q < 0 ? url : url.slice(0, q), query, cart: { count: 0 } };
  const { html, head, status } = await render(url, props);
  const entry = manifest[`src/${fw}/client.jsx`];
  const css = (entry.css || []).map((f) => `<link rel="stylesheet" href="/${f}">`).join("");
  res.writeHead(status, { "content-type": "text/html; charset=utf-8" });
  res.write(
    `<!doctype html><html lang="en"><head><meta charset="utf-8">${head}${css}` +
    `<script type="module" src="/${entry.file}"></script></head><body><div id="app">`,
  );
  if (typeof html === "string") res.write(html);
  else for await (const chunk of html) res.write(chunk);
  res.end(`</div><script id="__HIVER_STATE__" type="application/json">${stateJson(props)}</script>${PROBE}</body></html>`);
}

function serve(fw) {
  const render = loadRender(fw);
  const dist = path.join(ROOT, "dist", fw);
  const manifest = JSON.parse(readFileSync(path.join(dist, ".vite", "manifest.json"), "utf8"));
  const server = http.createServer((req, res) => {
    if (req.url.startsWith("/assets/") && !req.url.includes("..")) {
      try {
        const data = readFileSync(path.join(dist, req.url.split("?")[0]));
        const type = req.url.endsWith(".css") ? "text/css" : "text/javascript";
        res.writeHead(200, { "content-type": type }).end(data);
      } catch {
        res.writeHead(404).end();
      }
      return;
    }
    sendPage(res, fw, render, manifest, req.url).catch((err) => {
      console.log(`browser-check: ${req.url}: ${err.stack}`);
      res.destroy();
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

async function launch(chrome) {
  const profile = mkdtempSync(path.join(os.tmpdir(), "storefront-chrome-"));
  const proc = spawn(chrome, ["--headless=new", "--no-sandbox", "--disable-gpu", "--remote-debugging-port=0",
    `--user-data-dir=${profile}`, "about:blank"], { stdio: ["ignore", "ignore", "pipe"], detached: true });
  const wsUrl = await new Promise((resolve, reject) => {
    let err = "";
    const timer = setTimeout(() => reject(new Error("chromium did not start: " + err)), 20000);
    proc.stderr.on("data", (d) => {
      err += d;
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
  });
  const ws = new WebSocket(wsUrl);
  await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject; });
  let id = 0;
  const pending = new Map();
  const listeners = [];
  ws.onmessage = (ev) => {
    const msg = JSON.parse(ev.data);
    if (msg.id && pending.has(msg.id)) {
      const { resolve, reject } = pending.get(msg.id);
      pending.delete(msg.id);
      msg.error ? reject(new Error(JSON.stringify(msg.error))) : resolve(msg.result);
    } else listeners.forEach((l) => l(msg));
  };
  const send = (method, params = {}, sessionId) =>
    new Promise((resolve, reject) => {
      pending.set(++id, { resolve, reject });
      ws.send(JSON.stringify({ id, method, params, sessionId }));
    });
  const close = async () => {
    ws.close();
    const exited = new Promise((resolve) => proc.once("exit", resolve));
    // Chromium's helpers share its process group (detached above): end the whole group.
    process.kill(-proc.pid, "SIGTERM");
    await exited;
    await new Promise((resolve) => setTimeout(resolve, 300));
    try {
      rmSync(profile, { recursive: true, force: true, maxRetries: 5 });
    } catch (err) {
      console.log(`browser-check: could not remove ${profile}: ${err.message}`);
    }
  };
  return { send, listeners, close };
}

async function openTab(browser) {
  const { targetId } = await browser.send("Target.createTarget", { url: "about:blank" });
  const { sessionId } = await browser.send("Target.attachToTarget", { targetId, flatten: true });
  const send = (m, p) => browser.send(m, p, sessionId);
  await send("Page.enable");
  const goto = async (url) => {
    const loaded = new Promise((resolve) => {
      const l = (msg) => { if (msg.sessionId === sessionId && msg.method === "Page.loadEventFired") resolve(); };
      browser.listeners.push(l);
    });
    await send("Page.navigate", { url });
    await loaded;
  };
  const evaluate = async (fn) => {
    const r = await send("Runtime.evaluate", { expression: `(${fn})()`, awaitPromise: true, returnByValue: true });
    if (r.exceptionDetails) throw new Error(JSON.stringify(r.exceptionDetails));
    return r.result.value;
  };
  return { send, goto, evaluate };
}

// Runs in the page: waits for hydration, clicks `clicks` add buttons, reports what it saw.
const clickTest = (clicks) => `async () => {
  const until = async (pred) => { for (let i = 0; i < 200 && !pred(); i++) await new Promise((r) => setTimeout(r, 25)); return pred(); };
  const hydrated = await until(() => document.documentElement.dataset.hydrated);
  const counter = document.querySelector('[data-testid="cart-count"]');
  await new Promise((r) => setTimeout(r, 50));
  const before = Number(counter.textContent);
  const buttons = [...document.querySelectorAll('[data-testid="add-to-cart"]')];
  for (let i = 0; i < ${clicks}; i++) buttons[i % buttons.length].click();
  await until(() => Number(counter.textContent) === before + ${clicks});
  const lists = () => document.querySelectorAll('[data-testid="review-list"]').length;
  const reviews = document.querySelector('[data-testid="reviews"]') ? (await until(() => lists() === 1), lists()) : null;
  return { hydrated: hydrated || null, sameNode: counter === window.__counter, before,
    after: Number(counter.textContent), buttons: buttons.length, reviews, errors: window.__errors };
}`;

async function checkFramework(browser, fw) {
  const server = await serve(fw);
  const base = `http://127.0.0.1:${server.address().port}`;
  const tab = await openTab(browser);
  const steps = [["/", 3, 0], ["/product/7", 1, 3], ["/?category=toys&sort=price_desc&page=1", 2, 4]];
  let failed = 0;
  for (const [url, clicks, expectedBefore] of steps) {
    await tab.goto(base + url);
    const r = await tab.evaluate(clickTest(clicks));
    const ok = r.hydrated === fw && r.sameNode && r.before === expectedBefore &&
      r.after === expectedBefore + clicks && r.errors.length === 0 && r.reviews === (url.startsWith("/product/") ? 1 : null);
    if (!ok) failed++;
    console.log(`${ok ? "ok  " : "FAIL"} ${fw} ${url}: ${JSON.stringify(r)}`);
    if (SCREENSHOTS) {
      const { data } = await tab.send("Page.captureScreenshot", { format: "png" });
      const file = path.join(os.tmpdir(), `storefront-${fw}-${url === "/" ? "home" : url.replace(/\W+/g, "_")}.png`);
      writeFileSync(file, Buffer.from(data, "base64"));
      console.log(`     screenshot ${file}`);
    }
  }
  server.close();
  return { passed: steps.length - failed, failed };
}

const chrome = findChrome();
if (!chrome) {
  console.log("browser-check: no Chromium found (set CHROME or apt-get install chromium); skipped");
} else if (typeof WebSocket !== "function") {
  console.log("browser-check: needs WebSocket (node --experimental-websocket on Node 20)");
  process.exitCode = 1;
} else {
  const browser = await launch(chrome);
  let passed = 0;
  let failed = 0;
  try {
    for (const fw of FRAMEWORKS) {
      const r = await checkFramework(browser, fw);
      passed += r.passed;
      failed += r.failed;
    }
  } finally {
    await browser.close();
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed === 0 ? 0 : 1;
}
// React's browser server build keeps a node MessageChannel port open, which would keep node alive.
process.exit(process.exitCode ?? 0);
