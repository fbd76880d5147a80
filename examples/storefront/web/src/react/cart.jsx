// Client-side cart: a context holding the count, the header counter and the add buttons.
import { createContext, useContext, useEffect, useState } from "react";
import { loadCount, markHydrated, saveCount } from "../shared/cart.js";

const CartContext = createContext({ count: 0, add: () => {} });

/** Holds the cart count; starts from the server's count so hydration matches. */
export function CartProvider({ initial, children }) {
  const [count, setCount] = useState(initial);
  const [loaded, setLoaded] = useState(false);
  // Effects never run on the server: storage is read only after hydration.
  useEffect(() => {
    const stored = loadCount();
    if (stored !== null) setCount(stored);
    setLoaded(true);
    markHydrated("react");
  }, []);
  useEffect(() => {
    if (loaded) saveCount(count);
  }, [loaded, count]);
  const add = () => setCount((c) => c + 1);
  return <CartContext.Provider value={{ count, add }}>{children}</CartContext.Provider>;
}

/** The header's cart badge. */
export function CartCounter() {
  const { count } = useContext(CartContext);
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
  const { add } = useContext(CartContext);
  return (
    <button type="button" className="add-to-cart" data-testid="add-to-cart" data-product-id={product.id} onClick={add}>
      Add to cart
    </button>
  );
}
