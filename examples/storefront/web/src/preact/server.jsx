// Server bundle entry: defines globalThis.render(url, props) for the Hiver SSR engine.
import { renderToString } from "preact-render-to-string";
import { resolvePage, serverResult } from "../shared/route.js";
import { App } from "./pages.jsx";

globalThis.render = function render(url, props) {
  const page = resolvePage(url, props);
  return serverResult(page, renderToString(<App page={page} />));
};
