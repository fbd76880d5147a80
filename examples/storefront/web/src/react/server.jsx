// Server bundle entry: defines globalThis.render(url, props) for the Hiver SSR engine.
// build.mjs resolves react-dom/server.browser to its legacy (synchronous) half only: the
// streaming half creates a MessageChannel when it loads, which the engine does not provide.
import { renderToString } from "react-dom/server.browser";
import { resolvePage, serverResult } from "../shared/route.js";
import { App } from "./pages.jsx";

globalThis.render = function render(url, props) {
  const page = resolvePage(url, props);
  return serverResult(page, renderToString(<App page={page} />));
};
