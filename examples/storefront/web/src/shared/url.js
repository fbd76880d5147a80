// Request-target parsing without `URL` / `URLSearchParams`: the SSR engine does not provide
// them, and the browser must parse exactly like the server so hydration matches.

function decode(part) {
  try {
    return decodeURIComponent(part.replace(/\+/g, " "));
  } catch (_) {
    return part;
  }
}

/** Parses a query string (with or without the leading `?`) into `{ name: firstValue }`. */
export function parseQuery(search) {
  const query = {};
  const text = search.charAt(0) === "?" ? search.slice(1) : search;
  if (text === "") return query;
  for (const pair of text.split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    const name = decode(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? "" : decode(pair.slice(eq + 1));
    if (!Object.prototype.hasOwnProperty.call(query, name)) query[name] = value;
  }
  return query;
}

/** Splits a request target like `/a/b?x=1#frag` into `{ path, query }`. */
export function parseTarget(url) {
  let target = typeof url === "string" ? url : "/";
  const hash = target.indexOf("#");
  if (hash >= 0) target = target.slice(0, hash);
  const q = target.indexOf("?");
  const path = q < 0 ? target : target.slice(0, q);
  return { path: path === "" ? "/" : path, query: parseQuery(q < 0 ? "" : target.slice(q)) };
}

// Props may carry query values as strings or as arrays of strings (repeated parameters).
function normalizeQuery(raw) {
  const query = {};
  for (const name of Object.keys(raw)) {
    const value = Array.isArray(raw[name]) ? raw[name][0] : raw[name];
    if (value !== undefined && value !== null) query[name] = String(value);
  }
  return query;
}

/**
 * Where the page is: `props.path` / `props.query` when the host passed them, otherwise the
 * parts of `url`. Server and client call this with the same inputs, so they agree.
 */
export function locate(url, props) {
  const parsed = parseTarget(url);
  const p = props !== null && typeof props === "object" ? props : {};
  const path = typeof p.path === "string" && p.path !== "" ? p.path : parsed.path;
  const query =
    p.query !== null && typeof p.query === "object" ? normalizeQuery(p.query) : parsed.query;
  return { path, query };
}

/** Builds `?a=1&b=2` from ordered `[name, value]` pairs, skipping empty values. */
export function buildQuery(pairs) {
  const parts = [];
  for (const [name, value] of pairs) {
    if (value === undefined || value === null || value === "") continue;
    parts.push(encodeURIComponent(name) + "=" + encodeURIComponent(String(value)));
  }
  return parts.length === 0 ? "" : "?" + parts.join("&");
}
