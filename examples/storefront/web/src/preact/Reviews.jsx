// The product page's reviews section: the list waits behind a Suspense boundary for the
// review source (shared/reviews.js), which is slow on the server and ready in the browser.
import { Suspense } from "preact/compat";
import { useEffect } from "preact/hooks";
import { formatCount } from "../shared/format.js";
import { markReviewsHydrated, starLine } from "../shared/reviews.js";

function ReviewList({ source }) {
  // On the server this suspends until the source answers; in the browser the value is there.
  if (source.value === undefined) throw source.promise;
  const reviews = source.value;
  useEffect(() => {
    markReviewsHydrated("preact");
  }, []);
  return (
    <ol class="review-list" data-testid="review-list">
      {reviews.map((r) => (
        <li key={r.id} class="review">
          <p class="review-head">
            <span class="review-stars" aria-label={r.stars + " out of 5"}>
              {starLine(r.stars)}
            </span>
            <strong>{r.title}</strong>
          </p>
          <p class="review-text">{r.text}</p>
          <p class="review-author">{r.author}</p>
        </li>
      ))}
    </ol>
  );
}

/** "Reviews": the count from the catalogue at once, the latest reviews when they arrive. */
export function Reviews({ product, source }) {
  return (
    <section class="product-reviews" data-testid="reviews">
      <h2>{"Reviews (" + formatCount(product.reviews) + ")"}</h2>
      <Suspense
        fallback={
          <p class="reviews-loading" data-testid="reviews-loading">
            Loading reviews…
          </p>
        }
      >
        <ReviewList source={source} />
      </Suspense>
    </section>
  );
}
