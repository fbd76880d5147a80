// The product page's reviews section: the list waits behind a Suspense boundary for the
// review source (shared/reviews.js), which is slow on the server and ready in the browser.
import { Suspense, use, useEffect } from "react";
import { formatCount } from "../shared/format.js";
import { markReviewsHydrated, starLine } from "../shared/reviews.js";

function ReviewList({ source }) {
  // On the server `use` suspends until the source answers; in the browser the value is there.
  const reviews = source.value ?? use(source.promise);
  useEffect(() => {
    markReviewsHydrated("react");
  }, []);
  return (
    <ol className="review-list" data-testid="review-list">
      {reviews.map((r) => (
        <li key={r.id} className="review">
          <p className="review-head">
            <span className="review-stars" aria-label={r.stars + " out of 5"}>
              {starLine(r.stars)}
            </span>
            <strong>{r.title}</strong>
          </p>
          <p className="review-text">{r.text}</p>
          <p className="review-author">{r.author}</p>
        </li>
      ))}
    </ol>
  );
}

/** "Reviews": the count from the catalogue at once, the latest reviews when they arrive. */
export function Reviews({ product, source }) {
  return (
    <section className="product-reviews" data-testid="reviews">
      <h2>{"Reviews (" + formatCount(product.reviews) + ")"}</h2>
      <Suspense
        fallback={
          <p className="reviews-loading" data-testid="reviews-loading">
            Loading reviews…
          </p>
        }
      >
        <ReviewList source={source} />
      </Suspense>
    </section>
  );
}
