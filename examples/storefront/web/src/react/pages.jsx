// The product page, the not-found page and the root component that picks between pages.
import { categoryBySlug } from "../shared/catalog.js";
import { listingHref, readFilters } from "../shared/listing.js";
import { AddToCartButton, CartProvider } from "./cart.jsx";
import { Layout } from "./Layout.jsx";
import { ListingPage } from "./Listing.jsx";
import { Price, ProductGrid, ProductImage, Rating } from "./ProductCard.jsx";
import { Reviews } from "./Reviews.jsx";

function ProductPage({ product, related, reviews }) {
  const category = categoryBySlug(product.category);
  return (
    <main className="product-page">
      <nav className="breadcrumb" aria-label="Breadcrumb">
        <a href="/">All products</a>
        <span aria-hidden="true">›</span>
        <a href={listingHref(readFilters({}), { category: category.slug })}>{category.name}</a>
        <span aria-hidden="true">›</span>
        <span>{product.name}</span>
      </nav>
      <div className="product-detail">
        <ProductImage product={product} large />
        <div className="product-info">
          <h1>{product.name}</h1>
          <Rating rating={product.rating} reviews={product.reviews} />
          <p className="product-price">
            <Price cents={product.price} />
          </p>
          <p className="description">{product.description}</p>
          <p className="stock">In stock, ships in 24 hours</p>
          <AddToCartButton product={product} />
        </div>
      </div>
      <Reviews product={product} source={reviews} />
      <section className="related">
        <h2>{"More in " + category.name}</h2>
        <ProductGrid items={related} />
      </section>
    </main>
  );
}

function NotFoundPage({ path, what }) {
  const message = (what === "product" ? "There is no product at " : "There is no page at ") + path;
  return (
    <main className="not-found">
      <h1>Not found</h1>
      <p>{message}</p>
      <a href="/">Back to all products</a>
    </main>
  );
}

function Page({ page }) {
  if (page.kind === "listing") return <ListingPage listing={page.listing} />;
  if (page.kind === "product") return <ProductPage product={page.product} related={page.related} reviews={page.reviews} />;
  return <NotFoundPage path={page.path} what={page.what} />;
}

/** The whole app for a resolved page (shared/route.js `resolvePage`). */
export function App({ page }) {
  return (
    <CartProvider initial={page.cartCount}>
      <Layout>
        <Page page={page} />
      </Layout>
    </CartProvider>
  );
}
