// Page chrome: header with navigation and the cart counter, footer.
import { CATEGORIES } from "../shared/catalog.js";
import { listingHref, readFilters } from "../shared/listing.js";
import { CartCounter } from "./cart.jsx";

const NO_FILTERS = readFilters({});

function Header() {
  return (
    <header class="site-header">
      <a class="logo" href="/">
        Hiver Market
      </a>
      <nav class="site-nav" aria-label="Categories">
        {CATEGORIES.map((c) => (
          <a key={c.slug} href={listingHref(NO_FILTERS, { category: c.slug })}>
            {c.name}
          </a>
        ))}
      </nav>
      <CartCounter />
    </header>
  );
}

function Footer() {
  return (
    <footer class="site-footer">
      <p>Hiver Market is a demo storefront, server-rendered by Hiver and hydrated in the browser.</p>
    </footer>
  );
}

/** Header, the page, footer. */
export function Layout({ children }) {
  return (
    <div class="layout" data-framework="preact">
      <Header />
      {children}
      <Footer />
    </div>
  );
}
