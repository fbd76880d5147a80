// Server bundle entry: defines globalThis.render(url, props) for the Hiver SSR engine.
// A product page streams (renderToReadableStream): the shell with the reviews' Suspense
// fallback at once, the reviews when their slow source answers. Other pages are rendered
// whole (renderToString).
import { renderToReadableStream, renderToString } from "react-dom/server.browser";
import { REVIEWS_DELAY_MS } from "../shared/reviews.js";
import { resolvePage, serverResult, withReviews } from "../shared/route.js";
import { App } from "./pages.jsx";

globalThis.render = function render(url, props) {
  const page = withReviews(resolvePage(url, props), REVIEWS_DELAY_MS);
  if (page.kind !== "product") return serverResult(page, renderToString(<App page={page} />));
  // Settles once the shell is ready; the stream then goes on until the boundary is done.
  return renderToReadableStream(<App page={page} />).then((stream) => serverResult(page, stream));
};
