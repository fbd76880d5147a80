//! A rendered page as the cache stores and serves it.

use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use xxhash_rust::xxh3::xxh3_128;

use super::compress::Compression;
use super::conditional;
use super::negotiate::{self, Encoding};

/// A rendered page: status, headers, the HTML and its pre-compressed variants, an ETag per
/// variant, the tags purges can name, and the bundle generation that rendered it.
///
/// Cloning is a reference-count increment; bodies are [`Bytes`], served without copying.
///
/// # Examples
///
/// ```
/// use hiver_ssr::cache::{Encoding, Page};
/// use http::{HeaderMap, StatusCode, header::ACCEPT_ENCODING};
///
/// let page = Page::builder("<html>…</html>".repeat(100))
///     .status(StatusCode::OK)
///     .tag("blog")
///     .bundle_generation(3)
///     .build();
/// let mut request = HeaderMap::new();
/// request.insert(ACCEPT_ENCODING, "gzip, br".parse().unwrap());
/// let encoding = page.negotiate(&request).unwrap();
/// assert_eq!(encoding, Encoding::Brotli);
/// let body = page.body(encoding);
/// assert!(body.len() < page.html().len());
/// ```
#[derive(Clone)]
pub struct Page(Arc<PageInner>);

struct PageInner {
    status: StatusCode,
    headers: HeaderMap,
    html: Bytes,
    br: Option<Bytes>,
    gzip: Option<Bytes>,
    /// Identity, br, gzip: each representation needs its own strong tag.
    etags: [HeaderValue; 3],
    created_at: SystemTime,
    tags: Box<[String]>,
    bundle_generation: u64,
    /// The HTML in a sealed in-memory file, made at the page's first hit (see
    /// [`Page::html_file`]); `None` inside when it was not made.
    #[cfg(feature = "framework")]
    html_file: std::sync::OnceLock<Option<hiver::FileRegion>>,
}

/// Pages whose HTML is at least this long are served from an in-memory file once cached:
/// from 16 KiB a `sendfile` measured ahead of a send of the bytes on both drivers.
#[cfg(feature = "framework")]
const HTML_FILE_MIN: usize = 16 * 1024;

/// The most pages holding an in-memory file at once, all caches of the process together:
/// each holds a file descriptor, and the descriptors must stay available for connections
/// (a common soft limit is 1,024). Further pages are served from memory as before.
#[cfg(feature = "framework")]
const HTML_FILES_MAX: usize = 256;

/// Pages holding an in-memory file now.
#[cfg(feature = "framework")]
static HTML_FILES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

#[cfg(feature = "framework")]
impl Drop for PageInner {
    fn drop(&mut self) {
        if let Some(Some(_)) = self.html_file.get() {
            HTML_FILES.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
        }
    }
}

impl Page {
    /// Starts a page with `html` as its body (status 200, `text/html; charset=utf-8`).
    pub fn builder(html: impl Into<Bytes>) -> PageBuilder {
        PageBuilder {
            status: StatusCode::OK,
            headers: HeaderMap::new(),
            html: html.into(),
            tags: Vec::new(),
            bundle_generation: 0,
            compression: Compression::default(),
        }
    }

    /// The response status.
    pub fn status(&self) -> StatusCode {
        self.0.status
    }

    /// Response headers the render produced (always includes `content-type`).
    pub fn headers(&self) -> &HeaderMap {
        &self.0.headers
    }

    /// The uncompressed HTML.
    pub fn html(&self) -> &Bytes {
        &self.0.html
    }

    /// The body for `encoding`: the pre-compressed variant, or the HTML when that variant
    /// does not exist (the body was too small or did not compress). A cheap clone.
    pub fn body(&self, encoding: Encoding) -> Bytes {
        self.variant(encoding).unwrap_or(&self.0.html).clone()
    }

    /// The HTML as a region of a sealed in-memory file, for a page served again and again
    /// from the cache: sent with `sendfile(2)`, it skips the copy from user memory into
    /// the socket (the cached 88 KB storefront page: see BENCHMARKS.md). Made at the
    /// first call and kept with the page. `None` for HTML under 16 KiB, while 256 pages of
    /// the process hold one (each holds a file descriptor), or when the file could not be
    /// made; then serve [`Page::body`].
    #[cfg(feature = "framework")]
    pub fn html_file(&self) -> Option<hiver::FileRegion> {
        use std::sync::atomic::Ordering;
        if self.0.html.len() < HTML_FILE_MIN {
            return None;
        }
        self.0
            .html_file
            .get_or_init(|| {
                if HTML_FILES.fetch_add(1, Ordering::Relaxed) >= HTML_FILES_MAX {
                    HTML_FILES.fetch_sub(1, Ordering::Relaxed);
                    return None;
                }
                match hiver::FileRegion::memory("hiver-page", &self.0.html) {
                    Ok(region) => Some(region),
                    Err(e) => {
                        HTML_FILES.fetch_sub(1, Ordering::Relaxed);
                        tracing::debug!(error = %e, "cached page served from memory: no memfd");
                        None
                    }
                }
            })
            .clone()
    }

    /// The body stored for exactly `encoding`, if any.
    pub fn variant(&self, encoding: Encoding) -> Option<&Bytes> {
        match encoding {
            Encoding::Identity => Some(&self.0.html),
            Encoding::Brotli => self.0.br.as_ref(),
            Encoding::Gzip => self.0.gzip.as_ref(),
        }
    }

    /// The coding to serve for the request's `Accept-Encoding`, among the variants this page
    /// has. `None`: nothing acceptable (the client refused identity); answer 406. Responses
    /// served this way must carry `Vary: Accept-Encoding` for shared caches downstream.
    pub fn negotiate(&self, request: &HeaderMap) -> Option<Encoding> {
        negotiate::negotiate(request, self.0.br.is_some(), self.0.gzip.is_some())
    }

    /// The strong ETag of the representation served for `encoding` (a hash of the body).
    pub fn etag(&self, encoding: Encoding) -> &HeaderValue {
        let encoding = if self.variant(encoding).is_some() {
            encoding
        } else {
            Encoding::Identity
        };
        match encoding {
            Encoding::Identity => &self.0.etags[0],
            Encoding::Brotli => &self.0.etags[1],
            Encoding::Gzip => &self.0.etags[2],
        }
    }

    /// Whether the request's `If-None-Match` matches the representation for `encoding`:
    /// for GET and HEAD, answer `304 Not Modified`.
    pub fn is_not_modified(&self, request: &HeaderMap, encoding: Encoding) -> bool {
        // ETags are built from hex digits and quotes, so they are always valid str.
        let etag = self.etag(encoding).to_str().unwrap_or_default();
        conditional::none_match(request, etag)
    }

    /// When the page was rendered (wall clock, for `Last-Modified`).
    pub fn created_at(&self) -> SystemTime {
        self.0.created_at
    }

    /// The tags a purge by tag can name.
    pub fn tags(&self) -> &[String] {
        &self.0.tags
    }

    /// The bundle generation that rendered the page.
    pub fn bundle_generation(&self) -> u64 {
        self.0.bundle_generation
    }

    /// Bytes the page holds: every variant, headers and tags.
    pub fn weight(&self) -> usize {
        let p = &self.0;
        let headers: usize = p
            .headers
            .iter()
            .map(|(k, v)| k.as_str().len() + v.len() + 32)
            .sum();
        let tags: usize = p.tags.iter().map(|t| t.len() + 24).sum();
        std::mem::size_of::<PageInner>()
            + p.html.len()
            + p.br.as_ref().map_or(0, Bytes::len)
            + p.gzip.as_ref().map_or(0, Bytes::len)
            + headers
            + tags
    }
}

impl std::fmt::Debug for Page {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Page")
            .field("status", &self.0.status)
            .field("len", &self.0.html.len())
            .field("etag", &self.0.etags[0])
            .field("tags", &self.0.tags)
            .field("bundle_generation", &self.0.bundle_generation)
            .finish()
    }
}

/// Builds a [`Page`]. [`build`](Self::build) compresses the body, so call it where CPU time
/// is cheapest (a render thread rather than an HTTP worker).
#[derive(Debug, Clone)]
pub struct PageBuilder {
    status: StatusCode,
    headers: HeaderMap,
    html: Bytes,
    tags: Vec<String>,
    bundle_generation: u64,
    compression: Compression,
}

impl PageBuilder {
    /// The response status (default 200).
    pub fn status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// Adds a response header (e.g. a `content-type` other than HTML, `content-language`).
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.append(name, value);
        self
    }

    /// Adds a tag that [`PageCache::purge_tag`](super::PageCache::purge_tag) can name.
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tags.push(tag.into());
        self
    }

    /// The bundle generation that rendered the page (default 0).
    pub fn bundle_generation(mut self, generation: u64) -> Self {
        self.bundle_generation = generation;
        self
    }

    /// How to pre-compress the body (default: brotli 5 and gzip 4 above 256 bytes).
    pub fn compression(mut self, compression: Compression) -> Self {
        self.compression = compression;
        self
    }

    /// Compresses the body, computes the ETags and builds the page.
    pub fn build(mut self) -> Page {
        let (br, gzip) = self.compression.apply(&self.html);
        let hash = format!("{:032x}", xxh3_128(&self.html));
        let etag = |suffix: &str| {
            // Hex digits, '-', letters and quotes are all valid header value bytes.
            HeaderValue::from_str(&format!("\"{hash}{suffix}\"")).expect("etag is visible ASCII")
        };
        self.headers
            .entry(http::header::CONTENT_TYPE)
            .or_insert(HeaderValue::from_static("text/html; charset=utf-8"));
        Page(Arc::new(PageInner {
            status: self.status,
            headers: self.headers,
            etags: [etag(""), etag("-br"), etag("-gz")],
            html: self.html,
            br,
            gzip,
            created_at: SystemTime::now(),
            tags: self.tags.into_boxed_slice(),
            bundle_generation: self.bundle_generation,
            #[cfg(feature = "framework")]
            html_file: std::sync::OnceLock::new(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header::{ACCEPT_ENCODING, IF_NONE_MATCH};

    fn big() -> Page {
        Page::builder("<p>hello world</p>".repeat(200))
            .tag("t")
            .build()
    }

    #[test]
    fn etag_is_stable_per_body_and_differs_per_variant() {
        let (a, b) = (big(), big());
        assert_eq!(a.etag(Encoding::Identity), b.etag(Encoding::Identity));
        assert_ne!(a.etag(Encoding::Identity), a.etag(Encoding::Brotli));
        assert_ne!(a.etag(Encoding::Gzip), a.etag(Encoding::Brotli));
        let other = Page::builder("<p>other</p>".repeat(200)).build();
        assert_ne!(a.etag(Encoding::Identity), other.etag(Encoding::Identity));
    }

    #[test]
    fn small_page_serves_identity_with_identity_etag() {
        let page = Page::builder("tiny").build();
        let mut h = HeaderMap::new();
        h.insert(ACCEPT_ENCODING, "br".parse().unwrap());
        assert_eq!(page.negotiate(&h), Some(Encoding::Identity));
        assert_eq!(page.body(Encoding::Brotli), page.html());
        assert_eq!(page.etag(Encoding::Brotli), page.etag(Encoding::Identity));
    }

    #[test]
    fn not_modified_decision() {
        let page = big();
        let mut h = HeaderMap::new();
        h.insert(IF_NONE_MATCH, page.etag(Encoding::Gzip).clone());
        assert!(page.is_not_modified(&h, Encoding::Gzip));
        assert!(!page.is_not_modified(&h, Encoding::Brotli));
        assert_eq!(
            page.headers()[http::header::CONTENT_TYPE],
            "text/html; charset=utf-8"
        );
    }
}
