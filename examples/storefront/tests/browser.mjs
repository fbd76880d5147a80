// Drives headless Chromium over the DevTools protocol against running storefront servers:
// waits for hydration, clicks "Add to cart" and checks the header counter goes 0 -> 1 -> 2,
// that the server-rendered counter element survived hydration, that no script logged an
// error or a warning (a hydration mismatch is reported as one or the other), and that the
// count is restored on the product page. The product page is loaded twice: streamed (a cache
// miss: the reviews arrive after the shell) and whole (a cache hit); both times its reviews
// section must hydrate with the three reviews and without its fallback.
// Usage: node --experimental-websocket browser.mjs preact=http://127.0.0.1:PORT [react=http://...]
// (Node 22+ needs no flag.) Chromium: $CHROME or /usr/bin/chromium.
// Prints one line per check and a last line `browser-js: N passed, M failed`; exits 1 on a failure.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const CHROME = process.env.CHROME || "/usr/bin/chromium";
// The flags this machine needs (no sandbox as root, no GPU, no background traffic).
const CHROME_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync", "--remote-debugging-port=0"];
const STEP_TIMEOUT_MS = 20000;

function withTimeout(promise, what) {
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${STEP_TIMEOUT_MS} ms`)), STEP_TIMEOUT_MS);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

// Records console errors and warnings, and the server-rendered counter element and review
// list, before the client entry runs (module scripts are deferred, so this runs first when
// injected on new documents).
const PROBE = `window.__errors=[];const e=console.error;console.error=function(){__errors.push([].map.call(arguments,String).join(" "));e.apply(console,arguments)};const w=console.warn;console.warn=function(){__errors.push("warning: "+[].map.call(arguments,String).join(" "));w.apply(console,arguments)};window.addEventListener("error",function(ev){__errors.push(String(ev.message))});document.addEventListener("readystatechange",function(){if(!window.__counter)window.__counter=document.querySelector('[data-testid="cart-count"]');if(!window.__reviewList)window.__reviewList=document.querySelector('[data-testid="review-list"]')});`;

async function launch() {
  const profile = mkdtempSync(path.join(os.tmpdir(), "storefront-chromium-"));
  const proc = spawn(CHROME, [...CHROME_FLAGS, `--user-data-dir=${profile}`, "about:blank"],
    { stdio: ["ignore", "ignore", "pipe"], detached: true });
  const wsUrl = await new Promise((resolve, reject) => {
    let err = "";
    const timer = setTimeout(() => reject(new Error("chromium did not start:\n" + err)), STEP_TIMEOUT_MS);
    proc.once("exit", (code) => { clearTimeout(timer); reject(new Error(`chromium exited (${code}):\n${err}`)); });
    proc.stderr.on("data", (d) => {
      err += d;
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
  });
  const ws = new WebSocket(wsUrl);
  await withTimeout(new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject; }), "devtools socket");
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
  const send = (method, params = {}, sessionId) => withTimeout(new Promise((resolve, reject) => {
    pending.set(++id, { resolve, reject });
    ws.send(JSON.stringify({ id, method, params, sessionId }));
  }), method);
  const close = async () => {
    ws.close();
    const exited = new Promise((resolve) => proc.once("exit", resolve));
    // Chromium's helpers share its process group (spawned detached): end that group only.
    try { process.kill(-proc.pid, "SIGTERM"); } catch { /* already gone */ }
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
    rmSync(profile, { recursive: true, force: true, maxRetries: 5 });
  };
  return { send, listeners, close };
}

async function openTab(browser) {
  const { targetId } = await browser.send("Target.createTarget", { url: "about:blank" });
  const { sessionId } = await browser.send("Target.attachToTarget", { targetId, flatten: true });
  const send = (m, p) => browser.send(m, p, sessionId);
  await send("Page.enable");
  await send("Page.addScriptToEvaluateOnNewDocument", { source: PROBE });
  const goto = async (url) => {
    const loaded = new Promise((resolve) => {
      browser.listeners.push((msg) => {
        if (msg.sessionId === sessionId && msg.method === "Page.loadEventFired") resolve();
      });
    });
    const nav = await send("Page.navigate", { url });
    if (nav.errorText) throw new Error(`navigate ${url}: ${nav.errorText}`);
    await withTimeout(loaded, `load ${url}`);
  };
  const evaluate = async (expression) => {
    const r = await send("Runtime.evaluate", { expression, awaitPromise: true, returnByValue: true });
    if (r.exceptionDetails) throw new Error(JSON.stringify(r.exceptionDetails));
    return r.result.value;
  };
  return { goto, evaluate, close: () => browser.send("Target.closeTarget", { targetId }) };
}

// Runs in the page: waits for `html[data-hydrated]`, then clicks one "Add to cart" button
// at a time and records the counter after each click. On a product page it first waits for
// the reviews section to hydrate (`html[data-reviews]`) and records what it shows.
const clickTest = (clicks) => `(async () => {
  const until = async (pred) => { for (let i = 0; i < 400 && !pred(); i++) await new Promise((r) => setTimeout(r, 25)); return pred(); };
  const hydrated = await until(() => document.documentElement.dataset.hydrated);
  const section = document.querySelector('[data-testid="reviews"]');
  const lists = () => document.querySelectorAll('[data-testid="review-list"]');
  const leftovers = () => document.querySelectorAll('preact-island, template, [id^="S:"]').length;
  // Streamed content is put in place on a later frame (React waits up to 300 ms between reveals).
  const reviews = section && {
    hydrated: (await until(() => document.documentElement.dataset.reviews)) || null,
    settled: await until(() => lists().length === 1 && leftovers() === 0),
    shown: section.querySelectorAll('[data-testid="review-list"] > li').length,
    lists: lists().length,
    fallbacks: document.querySelectorAll('[data-testid="reviews-loading"]').length,
    leftovers: leftovers(),
    serverList: lists()[0] === window.__reviewList,
  };
  const counter = document.querySelector('[data-testid="cart-count"]');
  const buttons = [...document.querySelectorAll('[data-testid="add-to-cart"]')];
  if (!counter || buttons.length === 0) return { hydrated: hydrated || null, counter: !!counter, buttons: buttons.length, reviews, seen: [], errors: window.__errors };
  await new Promise((r) => setTimeout(r, 50));
  const seen = [Number(counter.textContent)];
  for (let i = 0; i < ${clicks}; i++) {
    const want = seen[seen.length - 1] + 1;
    buttons[i % buttons.length].click();
    await until(() => Number(counter.textContent) === want);
    seen.push(Number(counter.textContent));
  }
  return { hydrated: hydrated || null, sameNode: counter === window.__counter, buttons: buttons.length, reviews, seen, errors: window.__errors };
})()`;

// [path, clicks, counter expected before clicking, minimum add-to-cart buttons]. The first
// visit of /product/7 is the server's first request for it (streamed), the second a cache hit.
const STEPS = [["/", 2, 0, 100], ["/product/7", 1, 2, 1], ["/product/7", 1, 3, 1]];

// A product page's reviews section hydrated by `fw`, showing the three reviews once, with
// no fallback and nothing left of the streamed markup that carried them (React's hidden
// segment and its template, Preact's island). React hydrates the list the server sent (the
// same element); Preact's island and its hydration race by design (whichever runs first,
// the other keeps what it finds), so its list may be one the client built.
function reviewsOk(fw, url, reviews) {
  if (!url.startsWith("/product/")) return reviews === null;
  return reviews !== null && reviews.hydrated === fw && reviews.settled && reviews.shown === 3 &&
    reviews.lists === 1 && reviews.fallbacks === 0 && reviews.leftovers === 0 &&
    (fw !== "react" || reviews.serverList);
}

async function checkFramework(browser, fw, base) {
  const tab = await openTab(browser);
  let passed = 0;
  let failed = 0;
  for (const [url, clicks, before, minButtons] of STEPS) {
    let r;
    try {
      await tab.goto(base + url);
      r = await tab.evaluate(clickTest(clicks));
    } catch (err) {
      r = { error: err.message };
    }
    const want = Array.from({ length: clicks + 1 }, (_, i) => before + i);
    const ok = !r.error && r.hydrated === fw && r.sameNode === true && r.buttons >= minButtons &&
      JSON.stringify(r.seen) === JSON.stringify(want) && r.errors.length === 0 && reviewsOk(fw, url, r.reviews);
    ok ? passed++ : failed++;
    console.log(`${ok ? "ok  " : "FAIL"} ${fw} ${url}: counter ${JSON.stringify(r.seen)} (want ${JSON.stringify(want)}) ${JSON.stringify(r)}`);
  }
  await tab.close();
  return { passed, failed };
}

function parseTargets(args) {
  return args.map((arg) => {
    const m = /^(preact|react)=(http:\/\/127\.0\.0\.1:\d+)\/?$/.exec(arg);
    if (!m) throw new Error(`bad argument ${JSON.stringify(arg)}: want preact|react=http://127.0.0.1:PORT`);
    return [m[1], m[2]];
  });
}

const targets = parseTargets(process.argv.slice(2));
if (targets.length === 0) {
  console.error("usage: node --experimental-websocket browser.mjs preact=http://127.0.0.1:PORT [react=...]");
  process.exit(2);
}
if (!existsSync(CHROME)) {
  console.error(`browser.mjs: ${CHROME} not found (apt-get install -y chromium, or set CHROME)`);
  process.exit(1);
}
if (typeof WebSocket !== "function") {
  console.error("browser.mjs: needs WebSocket (run node with --experimental-websocket on Node 20)");
  process.exit(1);
}
const browser = await launch();
let passed = 0;
let failed = 0;
try {
  for (const [fw, base] of targets) {
    const r = await checkFramework(browser, fw, base);
    passed += r.passed;
    failed += r.failed;
  }
} finally {
  await browser.close();
}
console.log(`browser-js: ${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
