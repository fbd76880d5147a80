// A product's customer reviews, and the deliberately slow source the server reads them from.
// The product page shows them behind a Suspense boundary: the server streams the page's shell
// with the fallback first and the reviews once the source answers; the browser computes the
// same reviews at once (they derive from the catalogue's seed), so hydration matches.
import { SEED, pick, prng } from "./catalog.js";

/** How long the server's review source takes to answer, in milliseconds. */
export const REVIEWS_DELAY_MS = 200;

/** Reviews shown on a product page. */
export const REVIEWS_SHOWN = 3;

const AUTHORS = ["Ada", "Bruno", "Chiara", "Dev", "Elif", "Farid", "Greta", "Hiro", "Ines", "Jonas", "Kemi", "Lars"];
const CITIES = ["Lisbon", "Leeds", "Osaka", "Quito", "Tallinn", "Austin", "Lyon", "Pune"];
const TITLES = {
  5: ["Exactly what I wanted", "Worth every cent", "Would buy again"],
  4: ["Very good", "Solid choice", "Happy with it"],
  3: ["Does the job", "Fine for the price", "Mixed feelings"],
  2: ["Not for me", "Expected more"],
  1: ["Disappointed", "Sent it back"],
};
const REMARKS = [
  "Arrived a day early and well packed.",
  "The finish is nicer than the photos suggest.",
  "Smaller than I pictured, so check the size.",
  "Easy to set up, no tools needed.",
  "A gift for my sister; she uses it daily.",
  "Customer service answered within the hour.",
  "Sturdy, and it still looks new after months.",
  "The colour is a shade darker in person.",
];

/**
 * The reviews of `product`: `REVIEWS_SHOWN` records `{ id, author, stars, title, text }`, the
 * same in every engine and in the browser (from the catalogue's seed and the product id).
 * Stars lean towards the product's rating.
 */
export function reviewsFor(product) {
  const next = prng(SEED ^ Math.imul(product.id, 0x9e3779b1));
  const reviews = [];
  for (let i = 0; i < REVIEWS_SHOWN; i++) {
    const spread = Math.floor(next() * 3) - 1;
    const stars = Math.min(5, Math.max(1, Math.round(product.rating) + spread));
    reviews.push({
      id: product.id * 10 + i,
      author: pick(next, AUTHORS) + " from " + pick(next, CITIES),
      stars,
      title: pick(next, TITLES[stars]),
      text: pick(next, REMARKS),
    });
  }
  return reviews;
}

/**
 * The reviews as a Suspense data source, `{ value, promise }`: `value` is undefined until they
 * have arrived; `promise` settles when they do. With `delayMs` > 0 they arrive that many
 * milliseconds later, from a timer (the server's slow source); with 0 they are there at once
 * (the browser, which hydrates the finished section).
 */
export function reviewSource(product, delayMs) {
  if (delayMs <= 0) {
    const value = reviewsFor(product);
    return { value, promise: Promise.resolve(value) };
  }
  const source = { value: undefined, promise: null };
  source.promise = new Promise((resolve) => {
    setTimeout(() => {
      source.value = reviewsFor(product);
      resolve(source.value);
    }, delayMs);
  });
  return source;
}

/** `4` -> `"★★★★☆"`. */
export function starLine(stars) {
  return "★★★★★".slice(0, stars) + "☆☆☆☆☆".slice(0, 5 - stars);
}

/** Marks the reviews section as hydrated, a hook for browser tests (`html[data-reviews]`). */
export function markReviewsHydrated(framework) {
  if (typeof document !== "undefined") document.documentElement.setAttribute("data-reviews", framework);
}
