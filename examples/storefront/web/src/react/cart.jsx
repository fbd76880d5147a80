// Client-side cart: a small store holding the count, shared through a context that never
// changes, the header counter and the add buttons.
//
// The count is not React state in the context's value: restoring it from storage right after
// hydration would then change the context above every Suspense boundary of a streamed page
// still waiting for React's inline script to reveal its content, and React answers a context
// change above a boundary that has not hydrated yet by rendering that boundary again on the
// client instead of hydrating it. With a store, only the counter renders again.
import { createContext, useContext, useEffect, useState, useSyncExternalStore } from "react";
import { loadCount, markHydrated, saveCount } from "../shared/cart.js";

/** A count and who to tell when it changes; `initial` is the server's count. */
function createCart(initial) {
  let count = initial;
  const listeners = new Set();
  return {
    initial: () => initial,
    get: () => count,
    set(n) {
      count = n;
      listeners.forEach((listener) => listener());
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

const CartContext = createContext(createCart(0));

/** Holds the cart; starts from the server's count so hydration matches. */
export function CartProvider({ initial, children }) {
  const [cart] = useState(() => createCart(initial));
  // Effects never run on the server: storage is read only after hydration.
  useEffect(() => {
    const stored = loadCount();
    if (stored !== null) cart.set(stored);
    markHydrated("react");
    return cart.subscribe(() => saveCount(cart.get()));
  }, [cart]);
  return <CartContext.Provider value={cart}>{children}</CartContext.Provider>;
}

/** The header's cart badge. */
export function CartCounter() {
  const cart = useContext(CartContext);
  const count = useSyncExternalStore(cart.subscribe, cart.get, cart.initial);
  return (
    <div className="cart" role="status" aria-label="Items in cart">
      <span className="cart-label">Cart</span>
      <span className="cart-count" data-testid="cart-count">
        {count}
      </span>
    </div>
  );
}

/** "Add to cart" for one product. */
export function AddToCartButton({ product }) {
  const cart = useContext(CartContext);
  return (
    <button
      type="button"
      className="add-to-cart"
      data-testid="add-to-cart"
      data-product-id={product.id}
      onClick={() => cart.set(cart.get() + 1)}
    >
      Add to cart
    </button>
  );
}
