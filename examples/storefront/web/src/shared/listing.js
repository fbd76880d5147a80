// The product listing as data: which filters the query string asks for, and which products
// that selects, sorted and paginated. Both frameworks render from this one model.
import { CATEGORIES, PRODUCTS, categoryBySlug } from "./catalog.js";
import { buildQuery } from "./url.js";

/** Products per listing page. */
export const PAGE_SIZE = 100;

/** Sort orders: `value` is what the `sort` query parameter carries. */
export const SORTS = [
  { value: "featured", label: "Featured" },
  { value: "price_asc", label: "Price: low to high" },
  { value: "price_desc", label: "Price: high to low" },
  { value: "rating", label: "Top rated" },
  { value: "name", label: "Name" },
];

const COMPARE = {
  featured: (a, b) => a.id - b.id,
  price_asc: (a, b) => a.price - b.price || a.id - b.id,
  price_desc: (a, b) => b.price - a.price || a.id - b.id,
  rating: (a, b) => b.rating - a.rating || b.reviews - a.reviews || a.id - b.id,
  name: (a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id - b.id),
};

// Whole or two-decimal dollars -> cents; anything else is ignored (null).
function dollarsToCents(text) {
  if (typeof text !== "string" || !/^\d{1,6}(\.\d{1,2})?$/.test(text)) return null;
  const [whole, frac = ""] = text.split(".");
  return Number(whole) * 100 + Number((frac + "00").slice(0, 2));
}

function positiveInt(text) {
  return typeof text === "string" && /^[1-9]\d{0,5}$/.test(text) ? Number(text) : 1;
}

/** The filters a query asks for; unknown or malformed values fall back to "no filter". */
export function readFilters(query) {
  const category = categoryBySlug(query.category) ? query.category : "";
  const sort = COMPARE[query.sort] ? query.sort : "featured";
  const min = dollarsToCents(query.min_price);
  const max = dollarsToCents(query.max_price);
  return {
    category,
    sort,
    minPrice: min === null ? "" : query.min_price,
    maxPrice: max === null ? "" : query.max_price,
    min,
    max,
    page: positiveInt(query.page),
  };
}

/** Query string for a listing URL with these filters (defaults left out, fixed order). */
export function listingHref(filters, overrides) {
  const f = Object.assign({}, filters, overrides);
  return (
    "/" +
    buildQuery([
      ["category", f.category],
      ["min_price", f.minPrice],
      ["max_price", f.maxPrice],
      ["sort", f.sort === "featured" ? "" : f.sort],
      ["page", f.page > 1 ? f.page : ""],
    ])
  );
}

/** Applies the filters: `{ filters, items, total, page, pages, first, last }`. */
export function selectProducts(filters) {
  const matching = PRODUCTS.filter(
    (p) =>
      (filters.category === "" || p.category === filters.category) &&
      (filters.min === null || p.price >= filters.min) &&
      (filters.max === null || p.price <= filters.max),
  );
  matching.sort(COMPARE[filters.sort]);
  const pages = Math.max(1, Math.ceil(matching.length / PAGE_SIZE));
  const page = Math.min(filters.page, pages);
  const start = (page - 1) * PAGE_SIZE;
  const items = matching.slice(start, start + PAGE_SIZE);
  return {
    filters: Object.assign({}, filters, { page }),
    items,
    total: matching.length,
    page,
    pages,
    first: items.length === 0 ? 0 : start + 1,
    last: start + items.length,
  };
}

/** Categories with their product counts, for the filter bar. */
export const CATEGORY_COUNTS = CATEGORIES.map((c) => ({
  slug: c.slug,
  name: c.name,
  count: PRODUCTS.filter((p) => p.category === c.slug).length,
}));

/** Products in the same category as `product`, excluding it, at most `n`. */
export function related(product, n) {
  return PRODUCTS.filter((p) => p.category === product.category && p.id !== product.id).slice(0, n);
}
