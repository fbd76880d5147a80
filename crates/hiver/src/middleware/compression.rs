//! Response compression: gzip, brotli and zstd, chosen by `Accept-Encoding`.

use std::fmt;
use std::sync::Arc;

use http::header::{
    ACCEPT_RANGES, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE,
    ETAG, HeaderMap, HeaderValue, VARY,
};
use http::{Method, StatusCode};

use super::Layer;
use crate::encoding::{AcceptEncoding, Encoding};
use crate::routing::Route;
use crate::{Body, Request, Response};

mod encoder;

use encoder::{Coding, Encoder};

/// Compresses responses with the best coding the client accepts (a [`Layer`]).
///
/// # Which coding
///
/// The codings enabled (all three by default), in this order of preference when the client
/// weighs several the same (`Accept-Encoding: gzip, deflate, br, zstd`, as browsers send):
/// **brotli, then zstd, then gzip**. Brotli's built-in dictionary of web text makes small
/// HTML, CSS and JS pages smallest; zstd is faster than gzip and smaller; gzip is what
/// every client has. Otherwise the client's q-values decide ([`crate::encoding`]). When
/// the client accepts none of them the response goes out uncompressed, never as a 406.
///
/// # Levels
///
/// Compression happens on the fly, on the worker thread, for every response, so the
/// defaults favour speed: **gzip 6** (zlib's own default, the usual balance), **brotli 4**
/// (about gzip 6's speed with smaller output; from 5 up brotli gets several times slower),
/// **zstd 3** (zstd's default: faster than gzip 6 and smaller). Levels out of range are
/// clamped (gzip 0–9, brotli 0–11, zstd 1–22). Higher levels cost memory per response in
/// flight as well as time: a stream at zstd 20–22 holds a 32–128 MiB window (a full body's
/// parameters are sized to the body).
///
/// # What is left alone
///
/// A response goes out untouched when:
///
/// - the request is `HEAD` (its headers then describe the uncompressed body);
/// - its status is 1xx, 204, 206 or 304, or it has `Content-Range`;
/// - it already has a `Content-Encoding` (it is never compressed twice; precompressed
///   pages and files set it);
/// - `Cache-Control` says `no-transform`;
/// - its `Content-Type` is missing (nothing says the bytes are worth compressing) or the
///   content-type predicate refuses it; by default, [`Compression::is_compressible_type`]:
///   not images other than SVG, audio, video, archives, compressed fonts or PDF;
/// - its body is shorter than [`min_size`](Compression::min_size) (1 KiB by default: a
///   response that small fits one TCP segment with its headers either way, and a coding's
///   header and trailer eat much of what it saves).
///
/// Otherwise `Vary: Accept-Encoding` is added (to the `Vary` already there), because the
/// answer depends on `Accept-Encoding` even for a client that gets it uncompressed. When it
/// compresses, the layer sets `Content-Encoding`, drops `Content-Length` and
/// `Accept-Ranges` (ranges would be of the uncompressed bytes) and makes a strong `ETag`
/// weak (`W/"..."`: the bytes differ from the identity representation's).
///
/// # Bodies
///
/// - Full bodies are compressed in one go and keep a `Content-Length` (the compressed one).
/// - Streams are compressed chunk by chunk, each chunk flushed through the compressor, so a
///   streamed page is not held back; they go out chunked.
/// - File bodies are read 64 KiB at a time (never whole into memory), compressed like a
///   stream and sent chunked. They are read with `pread` on the worker, on io_uring too:
///   reading them through the ring made each response wait a loop turn per chunk with its
///   compressor alive, 0.55–0.75 of the requests per CPU-second on 4 and 88 KiB files.
///
/// # Examples
///
/// ```
/// use hiver::middleware::Compression;
/// use hiver::routing::get;
/// use hiver::Router;
///
/// let app: Router = Router::new()
///     .route("/", get(|| async { "hello ".repeat(1000) }))
///     .layer(Compression::new().brotli(5).no_zstd().min_size(512));
/// # let _ = app;
/// ```
#[derive(Clone)]
pub struct Compression {
    /// The enabled codings with their levels, best first on ties.
    codings: Vec<Coding>,
    min_size: u64,
    compressible: Arc<dyn Fn(&str) -> bool + Send + Sync>,
}

impl Compression {
    /// Gzip 6, brotli 4 and zstd 3, a 1 KiB minimum and the default content-type predicate.
    pub fn new() -> Self {
        Compression {
            codings: vec![Coding::Brotli(4), Coding::Zstd(3), Coding::Gzip(6)],
            min_size: 1024,
            compressible: Arc::new(Compression::is_compressible_type),
        }
    }

    /// Enables gzip at `level` (0–9, clamped).
    pub fn gzip(self, level: u32) -> Self {
        self.with(Coding::Gzip(level.min(9)))
    }

    /// Enables brotli at `quality` (0–11, clamped).
    pub fn brotli(self, quality: u32) -> Self {
        self.with(Coding::Brotli(quality.min(11)))
    }

    /// Enables zstd at `level` (1–22, clamped).
    pub fn zstd(self, level: i32) -> Self {
        self.with(Coding::Zstd(level.clamp(1, 22)))
    }

    /// Disables gzip.
    pub fn no_gzip(self) -> Self {
        self.without(Encoding::Gzip)
    }

    /// Disables brotli.
    pub fn no_brotli(self) -> Self {
        self.without(Encoding::Brotli)
    }

    /// Disables zstd.
    pub fn no_zstd(self) -> Self {
        self.without(Encoding::Zstd)
    }

    /// Bodies shorter than `bytes` are not compressed (default 1024). Streams, whose
    /// length is unknown, always are.
    pub fn min_size(mut self, bytes: u64) -> Self {
        self.min_size = bytes;
        self
    }

    /// Which `Content-Type`s to compress (given the whole header value, parameters
    /// included), instead of [`Compression::is_compressible_type`].
    ///
    /// ```
    /// use hiver::middleware::Compression;
    ///
    /// // Only text, JSON and SVG.
    /// let layer = Compression::new().compress_content_types(|ct| {
    ///     ct.starts_with("text/") || ct.starts_with("application/json") || ct.starts_with("image/svg+xml")
    /// });
    /// # let _ = layer;
    /// ```
    pub fn compress_content_types<F>(mut self, predicate: F) -> Self
    where
        F: Fn(&str) -> bool + Send + Sync + 'static,
    {
        self.compressible = Arc::new(predicate);
        self
    }

    /// The default content-type predicate: `false` for content that is already compressed
    /// (images other than SVG, audio, video, `font/woff`, `font/woff2`, zip, gzip, zstd,
    /// brotli, bzip2, xz, 7z, rar, PDF, `application/octet-stream`), `true` for the rest.
    /// Case-insensitive; parameters (`; charset=...`) are ignored.
    pub fn is_compressible_type(content_type: &str) -> bool {
        let essence = content_type.split(';').next().unwrap_or("").trim();
        let essence = essence.to_ascii_lowercase();
        let Some((kind, sub)) = essence.split_once('/') else {
            return false;
        };
        match kind {
            "image" => sub == "svg+xml",
            "audio" | "video" => false,
            "font" => !matches!(sub, "woff" | "woff2"),
            "application" => !matches!(
                sub,
                "zip"
                    | "gzip"
                    | "x-gzip"
                    | "zstd"
                    | "x-brotli"
                    | "br"
                    | "x-bzip2"
                    | "x-xz"
                    | "x-7z-compressed"
                    | "x-rar-compressed"
                    | "vnd.rar"
                    | "pdf"
                    | "octet-stream"
                    | "font-woff"
                    | "wasm"
            ),
            _ => true,
        }
    }

    /// Compresses `body` with `encoding` as this layer would (full bodies in one go,
    /// streams and files chunk by chunk). `None` if `encoding` is identity or not enabled.
    /// For the compression fuzz target; not part of the API.
    #[doc(hidden)]
    pub fn compress_body(&self, encoding: Encoding, body: Body) -> Option<std::io::Result<Body>> {
        let coding = self.coding(encoding)?;
        Some(
            Encoder::new(coding)
                .and_then(|encoder| encoder::compress(encoder, body).map_err(|(_, e)| e)),
        )
    }

    fn with(mut self, coding: Coding) -> Self {
        match self
            .codings
            .iter_mut()
            .find(|c| c.encoding() == coding.encoding())
        {
            Some(slot) => *slot = coding,
            None => {
                self.codings.push(coding);
                self.codings.sort_by_key(|c| preference(c.encoding()));
            }
        }
        self
    }

    fn without(mut self, encoding: Encoding) -> Self {
        self.codings.retain(|c| c.encoding() != encoding);
        self
    }

    fn coding(&self, encoding: Encoding) -> Option<Coding> {
        self.codings
            .iter()
            .copied()
            .find(|c| c.encoding() == encoding)
    }

    /// Whether `res` would be compressed for a client that accepts it.
    fn may_compress(&self, res: &Response) -> bool {
        let status = res.status();
        let headers = res.headers();
        if status.is_informational()
            || matches!(
                status,
                StatusCode::NO_CONTENT | StatusCode::PARTIAL_CONTENT | StatusCode::NOT_MODIFIED
            )
            || headers.contains_key(CONTENT_RANGE)
            || headers.contains_key(CONTENT_ENCODING)
            || has_token(headers, CACHE_CONTROL, "no-transform")
        {
            return false;
        }
        let compressible = headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| (self.compressible)(ct));
        let big_enough = match res.body().size_hint() {
            Some(len) => len > 0 && len >= self.min_size,
            None => true,
        };
        compressible && big_enough && !self.codings.is_empty()
    }

    fn respond(&self, accept: &AcceptEncoding, mut res: Response) -> Response {
        if !self.may_compress(&res) {
            return res;
        }
        if !has_token(res.headers(), VARY, "accept-encoding")
            && !has_token(res.headers(), VARY, "*")
        {
            res.headers_mut()
                .append(VARY, HeaderValue::from_static("accept-encoding"));
        }
        let available: Vec<Encoding> = self.codings.iter().map(|c| c.encoding()).collect();
        let Some(coding) = accept
            .negotiate(&available)
            .and_then(|encoding| self.coding(encoding))
        else {
            return res;
        };
        let encoder = match Encoder::new(coding) {
            Ok(encoder) => encoder,
            Err(e) => {
                tracing::warn!(error = %e, "compression: cannot start the encoder; sending uncompressed");
                return res;
            }
        };
        let (mut parts, body) = res.into_parts();
        match encoder::compress(encoder, body) {
            Ok(body) => {
                mark_encoded(&mut parts.headers, coding.encoding());
                Response::from_parts(parts, body)
            }
            Err((body, e)) => {
                tracing::warn!(error = %e, "compression failed; sending uncompressed");
                Response::from_parts(parts, body)
            }
        }
    }
}

impl Default for Compression {
    fn default() -> Self {
        Compression::new()
    }
}

impl fmt::Debug for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Compression")
            .field("codings", &self.codings)
            .field("min_size", &self.min_size)
            .finish_non_exhaustive()
    }
}

impl Layer for Compression {
    fn layer(&self, inner: Route) -> Route {
        let config = Arc::new(self.clone());
        Route::new(move |req: Request| {
            let head = req.method() == Method::HEAD;
            let accept = AcceptEncoding::from_headers(req.headers());
            let fut = inner.call(req);
            let config = config.clone();
            async move {
                let res = fut.await;
                if head {
                    res
                } else {
                    config.respond(&accept, res)
                }
            }
        })
    }
}

/// The server's order of preference on ties (lower first).
fn preference(encoding: Encoding) -> u8 {
    match encoding {
        Encoding::Brotli => 0,
        Encoding::Zstd => 1,
        Encoding::Gzip => 2,
        Encoding::Identity => 3,
    }
}

/// Whether any `name` field lists `token` (comma-separated, ASCII case-insensitive).
fn has_token(headers: &HeaderMap, name: http::header::HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

fn mark_encoded(headers: &mut HeaderMap, encoding: Encoding) {
    if let Some(value) = encoding.content_encoding() {
        headers.insert(CONTENT_ENCODING, HeaderValue::from_static(value));
    }
    // The connection loop frames the new body itself: its length for a full body,
    // chunked for a stream.
    headers.remove(CONTENT_LENGTH);
    headers.remove(ACCEPT_RANGES);
    if let Some(etag) = headers.get(ETAG) {
        if etag.as_bytes().starts_with(b"\"") {
            let mut weak = b"W/".to_vec();
            weak.extend_from_slice(etag.as_bytes());
            if let Ok(weak) = HeaderValue::from_bytes(&weak) {
                headers.insert(ETAG, weak);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(content_type: Option<&str>, body: &'static str) -> Response {
        let mut res = Response::new(Body::from(body));
        if let Some(ct) = content_type {
            res.headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_str(ct).unwrap());
        }
        res
    }

    const BIG: &str = include_str!("compression.rs");

    #[test]
    fn default_predicate() {
        for yes in [
            "text/html; charset=utf-8",
            "TEXT/CSS",
            "application/json",
            "application/javascript",
            "image/svg+xml",
            "font/ttf",
        ] {
            assert!(Compression::is_compressible_type(yes), "{yes}");
        }
        for no in [
            "image/png",
            "image/JPEG",
            "audio/ogg",
            "video/mp4",
            "application/zip",
            "application/gzip",
            "application/zstd",
            "application/pdf",
            "font/woff2",
            "application/octet-stream",
            "nonsense",
            "",
        ] {
            assert!(!Compression::is_compressible_type(no), "{no}");
        }
    }

    #[test]
    fn builder_orders_and_clamps() {
        let c = Compression::new();
        assert_eq!(
            c.codings,
            [Coding::Brotli(4), Coding::Zstd(3), Coding::Gzip(6)]
        );
        let c = Compression::new()
            .no_brotli()
            .no_zstd()
            .gzip(42)
            .zstd(-5)
            .brotli(99);
        assert_eq!(
            c.codings,
            [Coding::Brotli(11), Coding::Zstd(1), Coding::Gzip(9)]
        );
        let c = Compression::new().no_gzip().no_brotli().no_zstd();
        assert!(c.codings.is_empty());
        assert!(!c.may_compress(&response(Some("text/plain"), BIG)));
    }

    #[test]
    fn what_may_be_compressed() {
        let c = Compression::new();
        assert!(c.may_compress(&response(Some("text/plain"), BIG)));
        assert!(!c.may_compress(&response(None, BIG)));
        assert!(!c.may_compress(&response(Some("image/png"), BIG)));
        assert!(!c.may_compress(&response(Some("text/plain"), "short")));
        assert!(
            Compression::new()
                .min_size(3)
                .may_compress(&response(Some("text/plain"), "short"))
        );
        let mut res = response(Some("text/plain"), BIG);
        res.headers_mut().insert(
            CACHE_CONTROL,
            HeaderValue::from_static("public, No-Transform"),
        );
        assert!(!c.may_compress(&res));
        let mut res = response(Some("text/plain"), BIG);
        *res.status_mut() = StatusCode::NOT_MODIFIED;
        assert!(!c.may_compress(&res));
        let mut res = response(Some("text/plain"), BIG);
        res.headers_mut()
            .insert(CONTENT_ENCODING, HeaderValue::from_static("identity"));
        assert!(!c.may_compress(&res));
        let custom = Compression::new().compress_content_types(|ct| ct == "image/png");
        assert!(custom.may_compress(&response(Some("image/png"), BIG)));
        assert!(!custom.may_compress(&response(Some("text/plain"), BIG)));
    }

    #[test]
    fn headers_of_a_compressed_response() {
        let mut h = HeaderMap::new();
        h.insert(ETAG, HeaderValue::from_static("\"abc\""));
        h.insert(CONTENT_LENGTH, HeaderValue::from_static("10"));
        h.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        mark_encoded(&mut h, Encoding::Gzip);
        assert_eq!(h[ETAG], "W/\"abc\"");
        assert_eq!(h[CONTENT_ENCODING], "gzip");
        assert!(!h.contains_key(CONTENT_LENGTH) && !h.contains_key(ACCEPT_RANGES));
        mark_encoded(&mut h, Encoding::Gzip);
        assert_eq!(h[ETAG], "W/\"abc\"");
    }
}
