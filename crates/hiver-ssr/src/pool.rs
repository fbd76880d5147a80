//! The render pool: N threads, each owning one engine context, fed by a bounded queue.
