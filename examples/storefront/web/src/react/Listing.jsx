// The product listing: filter form (a plain GET form, works before hydration), grid, pages.
import { CATEGORY_COUNTS, SORTS, listingHref } from "../shared/listing.js";
import { ProductGrid } from "./ProductCard.jsx";

function Filters({ filters }) {
  return (
    <form className="filters" method="get" action="/">
      <label>
        <span>Category</span>
        <select name="category" defaultValue={filters.category}>
          <option value="">All categories</option>
          {CATEGORY_COUNTS.map((c) => (
            <option key={c.slug} value={c.slug}>
              {c.name + " (" + c.count + ")"}
            </option>
          ))}
        </select>
      </label>
      <label>
        <span>Min price ($)</span>
        <input type="number" name="min_price" min="0" step="1" inputMode="decimal" defaultValue={filters.minPrice} />
      </label>
      <label>
        <span>Max price ($)</span>
        <input type="number" name="max_price" min="0" step="1" inputMode="decimal" defaultValue={filters.maxPrice} />
      </label>
      <label>
        <span>Sort by</span>
        <select name="sort" defaultValue={filters.sort}>
          {SORTS.map((s) => (
            <option key={s.value} value={s.value}>
              {s.label}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" className="apply">
        Apply
      </button>
      <a className="reset" href="/">
        Reset
      </a>
    </form>
  );
}

function Pagination({ listing }) {
  if (listing.pages <= 1) return null;
  const numbers = [];
  for (let n = 1; n <= listing.pages; n++) numbers.push(n);
  const href = (page) => listingHref(listing.filters, { page });
  return (
    <nav className="pagination" aria-label="Pages">
      {listing.page > 1 ? (
        <a className="prev" rel="prev" href={href(listing.page - 1)}>
          Previous
        </a>
      ) : null}
      {numbers.map((n) =>
        n === listing.page ? (
          <span key={n} className="current" aria-current="page">
            {String(n)}
          </span>
        ) : (
          <a key={n} href={href(n)}>
            {String(n)}
          </a>
        ),
      )}
      {listing.page < listing.pages ? (
        <a className="next" rel="next" href={href(listing.page + 1)}>
          Next
        </a>
      ) : null}
    </nav>
  );
}

/** The listing page for a filtered selection (see shared/listing.js). */
export function ListingPage({ listing }) {
  const summary =
    listing.total === 0
      ? "No products match these filters."
      : "Showing " + listing.first + "–" + listing.last + " of " + listing.total + " products";
  return (
    <main className="listing">
      <Filters filters={listing.filters} />
      <p className="summary">{summary}</p>
      {listing.items.length > 0 ? (
        <ProductGrid items={listing.items} />
      ) : (
        <p className="empty">
          <a href="/">Clear all filters</a>
        </p>
      )}
      <Pagination listing={listing} />
    </main>
  );
}
