//! Pre-compression of page bodies, done once when a page is built.

use std::io::Write;

use bytes::Bytes;

/// Compression settings for the pre-compressed variants of a page.
///
/// The defaults (brotli quality 5, gzip level 4) come from measuring a 60 KB rendered page
/// (`tests/cache_measure.rs`): brotli 5 is ~20 % smaller than 4 for ~1 ms, while 6+ costs far
/// more for little (q9: 14 ms, q11: 100 ms); gzip 4 is within 1.5 % of 6 at half the time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compression {
    brotli_quality: u32,
    gzip_level: u32,
    min_size: usize,
    enabled: bool,
    /// Which variants to build: both, unless the page answers one request only.
    brotli: bool,
    gzip: bool,
}

impl Default for Compression {
    fn default() -> Self {
        Self {
            brotli_quality: 5,
            gzip_level: 4,
            min_size: 256,
            enabled: true,
            brotli: true,
            gzip: true,
        }
    }
}

impl Compression {
    /// No pre-compressed variants: pages are served as they are.
    pub fn none() -> Self {
        Self {
            enabled: false,
            ..Self::default()
        }
    }

    /// Brotli quality, 0–11 (clamped; default 5).
    pub fn brotli_quality(mut self, quality: u32) -> Self {
        self.brotli_quality = quality.min(11);
        self
    }

    /// Gzip level, 0–9 (clamped; default 4).
    pub fn gzip_level(mut self, level: u32) -> Self {
        self.gzip_level = level.min(9);
        self
    }

    /// Bodies smaller than this are not compressed (default 256 bytes): the saving would not
    /// pay for the headers.
    pub fn min_size(mut self, bytes: usize) -> Self {
        self.min_size = bytes;
        self
    }

    /// The same settings for a page that answers `request` alone and is never cached (a
    /// bypass): only the variant that request will be served is built, or none when it
    /// takes identity. Compressing an 88 KB page both ways costs a few ms of CPU, more than
    /// the render itself on V8, for variants nobody would fetch.
    #[cfg(any(feature = "framework", test))]
    pub(crate) fn for_request(mut self, request: &http::HeaderMap) -> Self {
        use super::negotiate::{Encoding, negotiate};

        let chosen = negotiate(request, true, true);
        self.brotli = chosen == Some(Encoding::Brotli);
        self.gzip = chosen == Some(Encoding::Gzip);
        self
    }

    /// Whether [`apply`](Self::apply) may build a variant at all (it also skips bodies
    /// under `min_size`).
    #[cfg(any(feature = "framework", test))]
    pub(crate) fn compresses(&self) -> bool {
        self.enabled && (self.brotli || self.gzip)
    }

    /// The brotli and gzip variants of `body`; a variant that is not smaller than the body is
    /// dropped, since serving it would only cost CPU on the client.
    pub(crate) fn apply(&self, body: &[u8]) -> (Option<Bytes>, Option<Bytes>) {
        if !self.enabled || body.len() < self.min_size {
            return (None, None);
        }
        let smaller = |v: Vec<u8>| (v.len() < body.len()).then(|| Bytes::from(v));
        (
            self.brotli
                .then(|| smaller(brotli(body, self.brotli_quality)))
                .flatten(),
            self.gzip
                .then(|| smaller(gzip(body, self.gzip_level)))
                .flatten(),
        )
    }
}

/// Brotli-compresses `body` at `quality` with a 4 MiB window.
pub(crate) fn brotli(body: &[u8], quality: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() / 4);
    {
        let mut writer = brotli::CompressorWriter::new(&mut out, 4096, quality, 22);
        // Writing into a Vec cannot fail.
        writer.write_all(body).expect("brotli into memory");
    }
    out
}

/// Gzip-compresses `body` at `level`.
pub(crate) fn gzip(body: &[u8], level: u32) -> Vec<u8> {
    let out = Vec::with_capacity(body.len() / 3);
    let mut encoder = flate2::write::GzEncoder::new(out, flate2::Compression::new(level));
    // Writing into a Vec cannot fail.
    encoder.write_all(body).expect("gzip into memory");
    encoder.finish().expect("gzip into memory")
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderMap;
    use std::io::Read;

    fn sample() -> Vec<u8> {
        (0..2000)
            .flat_map(|i| format!("<li class=\"item\">row {i}</li>").into_bytes())
            .collect()
    }

    fn accepting(value: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(http::header::ACCEPT_ENCODING, value.parse().unwrap());
        h
    }

    #[test]
    fn a_page_for_one_request_gets_only_the_coding_it_is_served_in() {
        let body = sample();
        let c = Compression::default();
        let (br, gz) = c.for_request(&accepting("gzip, br")).apply(&body);
        assert!(br.is_some() && gz.is_none());
        let (br, gz) = c.for_request(&accepting("gzip")).apply(&body);
        assert!(br.is_none() && gz.is_some());
        assert_eq!(c.for_request(&HeaderMap::new()).apply(&body), (None, None));
        assert_eq!(c.for_request(&accepting("zstd")).apply(&body), (None, None));
    }

    #[test]
    fn compresses_says_whether_any_variant_may_be_built() {
        let c = Compression::default();
        assert!(c.compresses());
        assert!(c.for_request(&accepting("gzip")).compresses());
        assert!(c.for_request(&accepting("br")).compresses());
        assert!(!c.for_request(&HeaderMap::new()).compresses());
        assert!(!c.for_request(&accepting("zstd")).compresses());
        assert!(!Compression::none().compresses());
        assert!(
            !Compression::none()
                .for_request(&accepting("br"))
                .compresses()
        );
    }

    #[test]
    fn variants_decompress_to_the_body() {
        let body = sample();
        let (br, gz) = Compression::default().apply(&body);
        let (br, gz) = (br.unwrap(), gz.unwrap());
        let mut plain = Vec::new();
        brotli::Decompressor::new(&br[..], 4096)
            .read_to_end(&mut plain)
            .unwrap();
        assert_eq!(plain, body);
        plain.clear();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut plain)
            .unwrap();
        assert_eq!(plain, body);
    }

    #[test]
    fn small_or_disabled_bodies_are_not_compressed() {
        assert_eq!(Compression::default().apply(b"tiny"), (None, None));
        assert_eq!(Compression::none().apply(&sample()), (None, None));
    }
}
