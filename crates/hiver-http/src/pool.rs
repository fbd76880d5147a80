//! Per-thread pools of the two maps every request and response carries: the header map
//! and the extensions.
//!
//! A request arrives with a header map and extensions (the [`ConnectionInfo`](crate::ConnectionInfo)
//! at least), and its response leaves with a header map (a `Content-Type` at least). Each of
//! these maps allocates on its first insert, and dropping one frees it: six allocator
//! round trips per request on a hello-world route. Instead, the connection loop and the
//! `hiver` crate hand the maps of requests and responses they are done with back here,
//! emptied, and take the next ones from here. Each worker thread has its own pool, so
//! nothing is shared or locked.
//!
//! Taking from an empty pool gives a new, unallocated map; handing back to a full pool, or
//! a map grown past what a request head may carry, drops it. Using the pool is never
//! required: a map that is not handed back is simply dropped.
//!
//! # Examples
//!
//! ```
//! use http::header::{CONTENT_TYPE, HeaderValue};
//! use hiver_http::{Body, Response, pool};
//!
//! let mut res = Response::new(Body::from("hi"));
//! *res.headers_mut() = pool::headers();
//! res.headers_mut()
//!     .insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
//! // … once the response head has been written:
//! let (parts, _body) = res.into_parts();
//! pool::recycle_headers(parts.headers);
//! ```

use std::cell::RefCell;

use http::{Extensions, HeaderMap};

/// Maps kept per thread, of each kind: more in-flight requests than this on one worker
/// allocate as before.
const KEPT: usize = 64;

/// A header map whose capacity exceeds this is dropped rather than kept (the default
/// `max_headers` of a request head is 100).
const MAX_CAPACITY: usize = 128;

thread_local! {
    /// Emptied header maps with their allocation.
    static HEADERS: RefCell<Vec<HeaderMap>> = const { RefCell::new(Vec::new()) };
    /// Emptied extensions with their allocation.
    static EXTENSIONS: RefCell<Vec<Extensions>> = const { RefCell::new(Vec::new()) };
}

/// An empty header map, with the allocation of one handed back earlier on this thread
/// when there is one.
pub fn headers() -> HeaderMap {
    HEADERS
        .try_with(|pool| pool.borrow_mut().pop())
        .ok()
        .flatten()
        .unwrap_or_default()
}

/// Empties `map` and keeps it for [`headers`] on this thread (or drops it, if the pool is
/// full or the map grew large).
pub fn recycle_headers(mut map: HeaderMap) {
    if map.capacity() == 0 || map.capacity() > MAX_CAPACITY {
        return;
    }
    map.clear();
    let _ = HEADERS.try_with(|pool| {
        let mut pool = pool.borrow_mut();
        if pool.len() < KEPT {
            pool.push(map);
        }
    });
}

/// Empty extensions, with the allocation of ones handed back earlier on this thread when
/// there are some.
pub fn extensions() -> Extensions {
    EXTENSIONS
        .try_with(|pool| pool.borrow_mut().pop())
        .ok()
        .flatten()
        .unwrap_or_default()
}

/// Empties `extensions` (dropping the values) and keeps them for [`extensions`] on this
/// thread (or drops them, if the pool is full). Extensions that never held a value own no
/// allocation and are not kept.
pub fn recycle_extensions(mut extensions: Extensions) {
    if extensions.is_empty() {
        return;
    }
    extensions.clear();
    let _ = EXTENSIONS.try_with(|pool| {
        let mut pool = pool.borrow_mut();
        if pool.len() < KEPT {
            pool.push(extensions);
        }
    });
}

/// Hands back the header map and the extensions of a request head the caller is done
/// with.
pub fn recycle_request_parts(parts: http::request::Parts) {
    recycle_headers(parts.headers);
    recycle_extensions(parts.extensions);
}

#[cfg(test)]
mod tests {
    use http::header::{CONTENT_TYPE, HOST, HeaderValue};

    use super::*;

    #[test]
    fn a_recycled_header_map_comes_back_empty_with_its_allocation() {
        let mut map = HeaderMap::new();
        map.insert(HOST, HeaderValue::from_static("example.com"));
        map.insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        let capacity = map.capacity();
        recycle_headers(map);
        let again = headers();
        assert!(again.is_empty());
        assert_eq!(again.capacity(), capacity);
        // The pool is empty again: the next one is new.
        assert_eq!(headers().capacity(), 0);
    }

    #[test]
    fn a_large_header_map_is_not_kept() {
        let map = HeaderMap::with_capacity(MAX_CAPACITY * 2);
        recycle_headers(map);
        assert_eq!(headers().capacity(), 0);
    }

    #[test]
    fn recycled_extensions_come_back_empty_and_drop_their_values() {
        use std::sync::Arc;
        let value = Arc::new(7u32);
        let mut ext = Extensions::new();
        ext.insert(value.clone());
        assert_eq!(Arc::strong_count(&value), 2);
        recycle_extensions(ext);
        assert_eq!(Arc::strong_count(&value), 1, "clearing dropped the value");
        let again = extensions();
        assert!(again.is_empty());
        assert!(again.get::<Arc<u32>>().is_none());
    }

    #[test]
    fn the_pool_keeps_at_most_its_bound() {
        for _ in 0..KEPT + 10 {
            let mut map = HeaderMap::new();
            map.insert(HOST, HeaderValue::from_static("a"));
            recycle_headers(map);
        }
        let kept = HEADERS.with(|pool| pool.borrow().len());
        assert_eq!(kept, KEPT);
        HEADERS.with(|pool| pool.borrow_mut().clear());
    }
}
