// Cart persistence in the browser. Only called from effects and click handlers, never during
// render, so the server (no localStorage) and the first client render agree.

const KEY = "hiver-storefront-cart";

/** The stored cart count, or null when there is none or storage is unavailable. */
export function loadCount() {
  try {
    const n = Number(globalThis.localStorage.getItem(KEY));
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch (_) {
    return null;
  }
}

/** Stores the cart count; storage errors (private mode, quota) are ignored. */
export function saveCount(n) {
  try {
    globalThis.localStorage.setItem(KEY, String(n));
  } catch (_) {
    // The counter still works for this page view.
  }
}

/** Marks the document as hydrated, a hook for browser tests (`html[data-hydrated]`). */
export function markHydrated(framework) {
  if (typeof document !== "undefined") document.documentElement.setAttribute("data-hydrated", framework);
}

/** Reads the hydration state the server embedded in `#__HIVER_STATE__`. */
export function readState() {
  const el = document.getElementById("__HIVER_STATE__");
  if (!el) return {};
  try {
    return JSON.parse(el.textContent);
  } catch (_) {
    return {};
  }
}
