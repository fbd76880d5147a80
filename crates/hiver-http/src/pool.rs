//! Per-thread pools of the two maps every request and response carries (the header map
//! and the extensions), and of the buffers file bodies are read into on io_uring.
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

use bytes::Bytes;
use http::{Extensions, HeaderMap};

use crate::ConnectionInfo;

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
    /// Extensions holding nothing but a [`ConnectionInfo`], kept with its box: the next
    /// request's info is written over it.
    static WITH_INFO: RefCell<Vec<Extensions>> = const { RefCell::new(Vec::new()) };
    /// File-read buffers, by size class.
    static READ_BUFFERS: RefCell<ReadBuffers> = const { RefCell::new(ReadBuffers::new()) };
}

/// The smallest and largest file-read buffers, as powers of two (4 KiB and 128 KiB).
const READ_MIN_SHIFT: u32 = 12;
const READ_MAX_SHIFT: u32 = 17;
const READ_CLASSES: usize = (READ_MAX_SHIFT - READ_MIN_SHIFT + 1) as usize;
/// The most bytes of file-read buffers one thread keeps.
const READ_KEPT_BYTES: usize = 4 << 20;

/// Emptied file-read buffers, one list per power-of-two size.
///
/// Why a pool: on io_uring a file body's buffer lives until its send completes, so a loop
/// turn that answers 64 requests for an 88 KB file holds 64 such buffers, all freed a turn
/// later. glibc gives that much freed heap back to the kernel (`MADV_DONTNEED`) and the
/// next turn faults it in again: about 10 page faults per request and a third fewer
/// requests per CPU-second, against none with the buffers kept here.
struct ReadBuffers {
    classes: [Vec<Vec<u8>>; READ_CLASSES],
    bytes: usize,
}

impl ReadBuffers {
    const fn new() -> Self {
        ReadBuffers {
            classes: [const { Vec::new() }; READ_CLASSES],
            bytes: 0,
        }
    }
}

/// The size class of a buffer for `len` bytes: its index and capacity.
fn read_class(len: usize) -> (usize, usize) {
    let cap = len
        .next_power_of_two()
        .clamp(1 << READ_MIN_SHIFT, 1 << READ_MAX_SHIFT);
    ((cap.trailing_zeros() - READ_MIN_SHIFT) as usize, cap)
}

/// An empty buffer with room for `len` bytes (at most 128 KiB: callers read larger files
/// in pieces), reused from this thread's pool when one of its size is there.
pub(crate) fn read_buffer(len: usize) -> Vec<u8> {
    let (class, cap) = read_class(len);
    let kept = READ_BUFFERS
        .try_with(|pool| {
            let mut pool = pool.borrow_mut();
            let buf = pool.classes[class].pop()?;
            pool.bytes -= buf.capacity();
            Some(buf)
        })
        .ok()
        .flatten();
    kept.unwrap_or_else(|| Vec::with_capacity(cap))
}

/// The bytes of a buffer from [`read_buffer`], as `Bytes` that hand the buffer back to the
/// pool of the thread that drops them last (or free it, if that pool is full).
pub(crate) fn read_bytes(buf: Vec<u8>) -> Bytes {
    Bytes::from_owner(ReadBuffer(buf))
}

struct ReadBuffer(Vec<u8>);

impl AsRef<[u8]> for ReadBuffer {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl Drop for ReadBuffer {
    fn drop(&mut self) {
        let mut buf = std::mem::take(&mut self.0);
        let (class, cap) = read_class(buf.capacity());
        if buf.capacity() != cap {
            return;
        }
        buf.clear();
        let _ = READ_BUFFERS.try_with(|pool| {
            let mut pool = pool.borrow_mut();
            if pool.bytes + cap <= READ_KEPT_BYTES {
                pool.bytes += cap;
                pool.classes[class].push(buf);
            }
        });
    }
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
///
/// Extensions whose only value is a [`ConnectionInfo`] (what the connection loop put into
/// the request, once a router took its own values back out) are kept as they are, for
/// the next request's info to be written over: inserting it would box the value and
/// clearing would free the box (callgrind on `examples/hello`: 73 user-space instructions
/// fewer per pipelined request, 66 at 64 connections, docs/ARCHITECTURE.md).
pub fn recycle_extensions(mut extensions: Extensions) {
    if extensions.is_empty() {
        return;
    }
    let pool = if extensions.len() == 1 && extensions.get::<ConnectionInfo>().is_some() {
        &WITH_INFO
    } else {
        extensions.clear();
        &EXTENSIONS
    };
    let _ = pool.try_with(|pool| {
        let mut pool = pool.borrow_mut();
        if pool.len() < KEPT {
            pool.push(extensions);
        }
    });
}

/// The extensions of a new request: `info` and nothing else, written over the
/// [`ConnectionInfo`] of extensions handed back earlier on this thread when there are some
/// (no allocation), else inserted into pooled or new extensions.
pub(crate) fn request_extensions(info: ConnectionInfo) -> Extensions {
    let kept = WITH_INFO
        .try_with(|pool| pool.borrow_mut().pop())
        .ok()
        .flatten();
    if let Some(mut extensions) = kept
        && let Some(slot) = extensions.get_mut::<ConnectionInfo>()
    {
        *slot = info;
        return extensions;
    }
    let mut extensions = self::extensions();
    extensions.insert(info);
    extensions
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
    fn extensions_holding_only_the_connection_info_keep_it_for_the_next_request() {
        let info = |port| ConnectionInfo {
            peer_addr: ([127, 0, 0, 1], port).into(),
            local_addr: ([127, 0, 0, 1], 80).into(),
        };
        let first = request_extensions(info(1));
        let slot: *const ConnectionInfo = first.get::<ConnectionInfo>().unwrap();
        recycle_extensions(first);
        let second = request_extensions(info(2));
        assert_eq!(second.len(), 1);
        assert_eq!(second.get::<ConnectionInfo>(), Some(&info(2)));
        assert!(
            std::ptr::eq(second.get::<ConnectionInfo>().unwrap(), slot),
            "the same box, written over"
        );
        // Anything else in them and they are emptied: nothing reaches the next request.
        let mut more = second;
        more.insert(7u32);
        recycle_extensions(more);
        let third = request_extensions(info(3));
        assert_eq!(third.len(), 1);
        assert!(third.get::<u32>().is_none());
        assert_eq!(third.get::<ConnectionInfo>(), Some(&info(3)));
    }

    #[test]
    fn read_buffers_come_back_to_their_size_class_once_their_bytes_drop() {
        let mut buf = read_buffer(5000);
        assert_eq!(buf.capacity(), 8192, "sized up to a power of two");
        buf.extend_from_slice(&[7; 5000]);
        let ptr = buf.as_ptr();
        let bytes = read_bytes(buf);
        let slice = bytes.slice(10..20);
        drop(bytes);
        assert_eq!(&slice[..], &[7; 10]);
        // Still referenced by the slice: not back yet.
        let other = read_buffer(8000);
        assert_ne!(other.as_ptr(), ptr);
        drop(other);
        drop(slice);
        let again = read_buffer(8000);
        assert_eq!(
            (again.as_ptr(), again.len()),
            (ptr, 0),
            "the same buffer, emptied"
        );
        // Other sizes come from other classes; over 128 KiB is capped.
        assert_eq!(read_buffer(1).capacity(), 4096);
        assert_eq!(read_buffer(1 << 20).capacity(), 128 << 10);
    }

    #[test]
    fn read_buffers_kept_per_thread_are_bounded_in_bytes() {
        let bufs: Vec<_> = (0..64).map(|_| read_buffer(128 << 10)).collect();
        drop(bufs.into_iter().map(read_bytes).collect::<Vec<_>>());
        let kept = READ_BUFFERS.with(|pool| pool.borrow().bytes);
        assert_eq!(kept, READ_KEPT_BYTES);
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
