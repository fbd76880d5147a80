// The demo catalogue: generated from a fixed seed so the server bundle, the client bundle and
// every engine produce exactly the same products without shipping a data file.

/** Number of products in the catalogue. */
export const PRODUCT_COUNT = 500;

/** Categories in display order; `slug` is what the `category` query parameter carries. */
export const CATEGORIES = [
  { slug: "audio", name: "Audio" },
  { slug: "books", name: "Books" },
  { slug: "garden", name: "Garden" },
  { slug: "home", name: "Home" },
  { slug: "kitchen", name: "Kitchen" },
  { slug: "outdoor", name: "Outdoor" },
  { slug: "stationery", name: "Stationery" },
  { slug: "toys", name: "Toys" },
];

const NOUNS = {
  audio: ["Headphones", "Speaker", "Turntable", "Earbuds", "Amplifier", "Radio"],
  books: ["Cookbook", "Atlas", "Novel", "Field Guide", "Anthology", "Sketchbook"],
  garden: ["Trowel", "Planter", "Watering Can", "Seed Kit", "Pruner", "Hose Reel"],
  home: ["Lamp", "Throw Blanket", "Vase", "Wall Clock", "Cushion", "Mirror"],
  kitchen: ["Kettle", "Chef Knife", "Skillet", "Teapot", "Grinder", "Cutting Board"],
  outdoor: ["Tent", "Backpack", "Lantern", "Hammock", "Water Bottle", "Camp Stove"],
  stationery: ["Notebook", "Fountain Pen", "Desk Tray", "Planner", "Ink Set", "Pencil Case"],
  toys: ["Puzzle", "Kite", "Building Set", "Yo-yo", "Robot", "Board Game"],
};

const ADJECTIVES = [
  "Amber", "Brisk", "Cedar", "Dusky", "Ember", "Fable", "Granite", "Harbor", "Indigo", "Juniper",
  "Kestrel", "Lumen", "Maple", "Nimbus", "Opal", "Pine", "Quartz", "Russet", "Sable", "Tidal",
];

const MATERIALS = ["oak", "recycled steel", "linen", "ceramic", "bamboo", "wool", "glass", "cork"];
const BENEFITS = [
  "built to last for years of daily use",
  "designed in a small studio and tested by hand",
  "light enough to carry anywhere",
  "easy to clean and repair",
  "made from responsibly sourced materials",
  "backed by a two-year warranty",
];

/** Placeholder image colours, picked per product (no external image URLs). */
const PALETTE = ["#e76f51", "#f4a261", "#e9c46a", "#2a9d8f", "#264653", "#8ab17d", "#b56576", "#6d597a"];

/** The catalogue's seed: every product, and every product's reviews, derive from it. */
export const SEED = 0x5eed;

/**
 * mulberry32: tiny, fast and identical in every JS engine (32-bit integer arithmetic only).
 * Returns a function giving the next number in [0, 1).
 */
export function prng(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An element of `list` chosen by `next` (a `prng`). */
export function pick(next, list) {
  return list[Math.floor(next() * list.length)];
}

function makeProduct(id, next) {
  const category = CATEGORIES[Math.floor(next() * CATEGORIES.length)];
  const adjective = pick(next, ADJECTIVES);
  const noun = pick(next, NOUNS[category.slug]);
  const material = pick(next, MATERIALS);
  const benefit = pick(next, BENEFITS);
  // Prices end in 99 or 49 cents like a real shop; 4.99 .. 499.49.
  const dollars = 4 + Math.floor(next() * next() * 496);
  const price = dollars * 100 + (next() < 0.5 ? 99 : 49);
  const rating = (20 + Math.floor(next() * 31)) / 10;
  const reviews = Math.floor(next() * 2400);
  const name = adjective + " " + noun;
  return {
    id,
    name,
    price,
    category: category.slug,
    rating,
    reviews,
    image: { color: pick(next, PALETTE), initials: adjective[0] + noun[0] },
    description:
      "The " + name + " is made of " + material + ", " + benefit + ". " +
      "A favourite in our " + category.name.toLowerCase() + " range.",
  };
}

function generate() {
  const next = prng(SEED);
  const products = [];
  for (let id = 1; id <= PRODUCT_COUNT; id++) products.push(makeProduct(id, next));
  return products;
}

/** All products, ordered by id (ids are 1..=PRODUCT_COUNT). */
export const PRODUCTS = generate();

/** The product with this numeric id, or undefined. */
export function productById(id) {
  return Number.isInteger(id) && id >= 1 && id <= PRODUCTS.length ? PRODUCTS[id - 1] : undefined;
}

/** The category with this slug, or undefined. */
export function categoryBySlug(slug) {
  return CATEGORIES.find((c) => c.slug === slug);
}
