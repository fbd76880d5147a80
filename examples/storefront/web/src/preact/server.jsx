// Server bundle entry: defines globalThis.render(url, props) for the Hiver SSR engine.
// A product page streams (preact-render-to-string/stream): the shell with the reviews'
// Suspense fallback at once, the reviews when their slow source answers. Other pages are
// rendered whole (renderToString).
import { options } from "preact";
import { Suspense } from "preact/compat";
import { renderToString } from "preact-render-to-string";
import { renderToReadableStream } from "preact-render-to-string/stream";
import { REVIEWS_DELAY_MS } from "../shared/reviews.js";
import { resolvePage, serverResult, withReviews } from "../shared/route.js";
import { App } from "./pages.jsx";

// The streaming renderer names each Suspense boundary (`<!--$s:ID-->`, `data-target="ID"`)
// after its vnode's `__v`, a counter that runs on for the life of the context, so the same page
// would come out differently on every render. Numbering the boundaries per render instead
// keeps a page's bytes the same in every context (and equal to node's); the names only have to
// be unique within the page.
let boundaries = 0;
const previousVnodeHook = options.vnode;
options.vnode = (vnode) => {
  if (vnode.type === Suspense) vnode.__v = ++boundaries;
  if (previousVnodeHook) previousVnodeHook(vnode);
};

globalThis.render = function render(url, props) {
  const page = withReviews(resolvePage(url, props), REVIEWS_DELAY_MS);
  if (page.kind !== "product") return serverResult(page, renderToString(<App page={page} />));
  boundaries = 0;
  return serverResult(page, renderToReadableStream(<App page={page} />));
};
