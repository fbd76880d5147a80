// Formatting with integer arithmetic only: QuickJS has no `Intl`, and server and browser must
// print the same characters for hydration to match.

function groupThousands(n) {
  const digits = String(n);
  let out = "";
  for (let i = 0; i < digits.length; i++) {
    if (i > 0 && (digits.length - i) % 3 === 0) out += ",";
    out += digits[i];
  }
  return out;
}

/** `123456` cents -> `"$1,234.56"`. */
export function formatPrice(cents) {
  const whole = Math.floor(cents / 100);
  const rest = cents % 100;
  return "$" + groupThousands(whole) + "." + (rest < 10 ? "0" : "") + rest;
}

/** `4.3` -> `"4.3"`. */
export function formatRating(rating) {
  return rating.toFixed(1);
}

/** Star classes for a rating: five of "full" | "half" | "empty". */
export function stars(rating) {
  const halves = Math.round(rating * 2);
  const out = [];
  for (let i = 0; i < 5; i++) {
    const left = halves - i * 2;
    out.push(left >= 2 ? "full" : left === 1 ? "half" : "empty");
  }
  return out;
}

/** `1234` -> `"1,234"`. */
export function formatCount(n) {
  return groupThousands(n);
}

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Escapes text for HTML text and attribute values (used for the `head` string). */
export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}
