// Browser entry: hydrates #app with the same page the server rendered. The reviews are
// computed at once here (the server streamed them in after its slow source answered), so the
// Suspense boundary hydrates with the content the server sent.
import "../shared/styles.css";
import { hydrate } from "preact";
import { readState } from "../shared/cart.js";
import { resolvePage, withReviews } from "../shared/route.js";
import { App } from "./pages.jsx";

const page = withReviews(resolvePage(location.pathname + location.search, readState()), 0);
hydrate(<App page={page} />, document.getElementById("app"));
