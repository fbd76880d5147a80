// Page chrome: header with navigation and the cart counter, footer.
import { CATEGORIES } from "../shared/catalog.js";
import { listingHref, readFilters } from "../shared/listing.js";
import { CartCounter } from "./cart.jsx";

const NO_FILTERS = readFilters({});

function Header() {
  return (
    <header className="site-header">
      <a className="logo" href="/">
        Hiver Market
      </a>
      <nav className="site-nav" aria-label="Categories">
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
    <footer className="site-footer">
      <p>Hiver Market is a demo storefront, server-rendered by Hiver and hydrated in the browser.</p>
    </footer>
  );
}

/** Header, the page, footer. */
export function Layout({ children }) {
  return (
    <div className="layout" data-framework="react">
      <Header />
      {children}
      <Footer />
    </div>
  );
}
