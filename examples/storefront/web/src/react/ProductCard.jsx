// A product as a card, and the small pieces shared with the product page.
import { categoryBySlug } from "../shared/catalog.js";
import { formatCount, formatPrice, formatRating, stars } from "../shared/format.js";
import { AddToCartButton } from "./cart.jsx";

/** The placeholder picture: an inline SVG, no external image. */
export function ProductImage({ product, large }) {
  return (
    <svg className={large ? "product-image large" : "product-image"} viewBox="0 0 160 120" role="img" aria-label={product.name}>
      <rect width="160" height="120" fill={product.image.color} />
      <text x="80" y="74">
        {product.image.initials}
      </text>
    </svg>
  );
}

/** A price in dollars. */
export function Price({ cents }) {
  return <span className="price">{formatPrice(cents)}</span>;
}

/** Stars, the rating and the number of reviews. */
export function Rating({ rating, reviews }) {
  return (
    <span className="rating" title={formatRating(rating) + " out of 5"}>
      <span className="stars" aria-hidden="true">
        {stars(rating).map((kind, i) => (
          <span key={i} className={"star " + kind}>
            ★
          </span>
        ))}
      </span>
      <span className="rating-value">{formatRating(rating)}</span>
      <span className="reviews">{"(" + formatCount(reviews) + " reviews)"}</span>
    </span>
  );
}

/** One product in a grid. */
export function ProductCard({ product }) {
  const href = "/product/" + product.id;
  return (
    <article className="card">
      <a className="card-link" href={href}>
        <ProductImage product={product} />
        <h2 className="card-title">{product.name}</h2>
      </a>
      <p className="card-category">{categoryBySlug(product.category).name}</p>
      <Rating rating={product.rating} reviews={product.reviews} />
      <div className="card-foot">
        <Price cents={product.price} />
        <AddToCartButton product={product} />
      </div>
    </article>
  );
}

/** A grid of product cards. */
export function ProductGrid({ items }) {
  return (
    <div className="grid">
      {items.map((p) => (
        <ProductCard key={p.id} product={p} />
      ))}
    </div>
  );
}
