// Browser entry: hydrates #app with the same page the server rendered.
import "../shared/styles.css";
import { hydrateRoot } from "react-dom/client";
import { readState } from "../shared/cart.js";
import { resolvePage } from "../shared/route.js";
import { App } from "./pages.jsx";

const page = resolvePage(location.pathname + location.search, readState());
hydrateRoot(document.getElementById("app"), <App page={page} />);
