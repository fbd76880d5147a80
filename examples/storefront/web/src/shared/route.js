// Which page a request shows, its status and its <head>: shared by both frameworks and by the
// server and client entries, so the server's status/head and the hydrated tree agree.
import { categoryBySlug, productById } from "./catalog.js";
import { escapeHtml, formatPrice } from "./format.js";
import { readFilters, related, selectProducts } from "./listing.js";
import { reviewSource } from "./reviews.js";
import { locate } from "./url.js";

const SHOP = "Hiver Market";

function cartCount(props) {
  const count = props && props.cart && props.cart.count;
  return Number.isInteger(count) && count >= 0 ? count : 0;
}

function listingPage(query) {
  const listing = selectProducts(readFilters(query));
  const category = categoryBySlug(listing.filters.category);
  const scope = category ? category.name : "All products";
  return {
    kind: "listing",
    status: 200,
    listing,
    title: scope + (listing.page > 1 ? " (page " + listing.page + ")" : "") + " | " + SHOP,
    description:
      scope + " at " + SHOP + ": " + listing.total + " products, free returns, ships in 24 hours.",
  };
}

function productPage(product) {
  return {
    kind: "product",
    status: 200,
    product,
    related: related(product, 4),
    title: product.name + " | " + SHOP,
    description: product.name + " for " + formatPrice(product.price) + ". " + product.description,
  };
}

function notFound(path, what) {
  return {
    kind: "not-found",
    status: 404,
    path,
    what,
    title: "Not found | " + SHOP,
    description: "The page you asked for is not in the " + SHOP + " catalogue.",
  };
}

const PRODUCT_PATH = /^\/product\/([^/]+)\/?$/;

/**
 * The page for a request: `{ kind, status, title, description, cartCount, ... }` where kind is
 * "listing" | "product" | "not-found".
 */
export function resolvePage(url, props) {
  const { path, query } = locate(url, props);
  let page;
  const match = PRODUCT_PATH.exec(path);
  if (path === "/") {
    page = listingPage(query);
  } else if (match) {
    const id = /^[1-9]\d{0,8}$/.test(match[1]) ? Number(match[1]) : NaN;
    const product = productById(id);
    page = product ? productPage(product) : notFound(path, "product");
  } else {
    page = notFound(path, "page");
  }
  page.cartCount = cartCount(props);
  return page;
}

/**
 * Gives a product page its review source (`page.reviews`, shared/reviews.js `reviewSource`):
 * answering after `delayMs` on the server, at once (0) in the browser. Other pages are
 * returned unchanged.
 */
export function withReviews(page, delayMs) {
  if (page.kind === "product") page.reviews = reviewSource(page.product, delayMs);
  return page;
}

/** The `<head>` fragment for a page. */
export function headFor(page) {
  return (
    "<title>" + escapeHtml(page.title) + "</title>" +
    '<meta name="description" content="' + escapeHtml(page.description) + '">'
  );
}

/** The object the server bundle's `render` returns. */
export function serverResult(page, html) {
  return { html, head: headFor(page), status: page.status };
}
