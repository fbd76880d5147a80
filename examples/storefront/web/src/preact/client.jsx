// Browser entry: hydrates #app with the same page the server rendered.
import "../shared/styles.css";
import { hydrate } from "preact";
import { readState } from "../shared/cart.js";
import { resolvePage } from "../shared/route.js";
import { App } from "./pages.jsx";

const page = resolvePage(location.pathname + location.search, readState());
hydrate(<App page={page} />, document.getElementById("app"));
