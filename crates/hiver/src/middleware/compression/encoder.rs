//! The encoders behind [`Compression`](super::Compression): one body in one go, or a
//! stream compressed (and flushed) chunk by chunk.

use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::Stream;
use hiver_http::{Body, BodyInner, BodyStream, BoxError, FileRegion};

use crate::encoding::Encoding;

/// How much of a file body is read (and compressed) at a time.
const FILE_CHUNK: u64 = 64 * 1024;

/// Brotli's window: 1 MiB (`lgwin` 20), not the format's 16 MiB, to bound what every
/// compressed response in flight holds (on both ends).
const BROTLI_LGWIN: u32 = 20;

/// A coding and its level, as configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Coding {
    Gzip(u32),
    Brotli(u32),
    Zstd(i32),
}

impl Coding {
    pub(super) fn encoding(self) -> Encoding {
        match self {
            Coding::Gzip(_) => Encoding::Gzip,
            Coding::Brotli(_) => Encoding::Brotli,
            Coding::Zstd(_) => Encoding::Zstd,
        }
    }
}

/// One compressor writing into memory; what it wrote is taken after each flush.
pub(super) enum Encoder {
    Gzip(flate2::write::GzEncoder<Vec<u8>>),
    // Boxed: the brotli state is a few KiB, the other two are pointers.
    Brotli(Box<brotli::CompressorWriter<Vec<u8>>>),
    Zstd(zstd::stream::write::Encoder<'static, Vec<u8>>),
}

impl Encoder {
    /// # Errors
    ///
    /// zstd's if it cannot set up its context (out of memory).
    pub(super) fn new(coding: Coding) -> io::Result<Self> {
        Ok(match coding {
            Coding::Gzip(level) => Encoder::Gzip(flate2::write::GzEncoder::new(
                Vec::new(),
                flate2::Compression::new(level),
            )),
            Coding::Brotli(quality) => Encoder::Brotli(Box::new(brotli::CompressorWriter::new(
                Vec::new(),
                4096,
                quality,
                BROTLI_LGWIN,
            ))),
            Coding::Zstd(level) => {
                Encoder::Zstd(zstd::stream::write::Encoder::new(Vec::new(), level)?)
            }
        })
    }

    /// Compresses `data` and flushes, so that the output so far decodes to all the input
    /// so far; returns that output (possibly empty).
    pub(super) fn chunk(&mut self, data: &[u8]) -> io::Result<Bytes> {
        match self {
            Encoder::Gzip(e) => flush_into(e, data),
            Encoder::Brotli(e) => flush_into(e.as_mut(), data),
            Encoder::Zstd(e) => flush_into(e, data),
        }
    }

    /// Ends the compressed stream; returns the rest of the output.
    pub(super) fn finish(self) -> io::Result<Bytes> {
        let out = match self {
            Encoder::Gzip(e) => e.finish()?,
            Encoder::Brotli(mut e) => {
                e.flush()?;
                // `into_inner` writes the end of the stream; writing into a Vec cannot fail.
                e.into_inner()
            }
            Encoder::Zstd(e) => e.finish()?,
        };
        Ok(Bytes::from(out))
    }

    /// Compresses a whole buffer in one go.
    pub(super) fn full(mut self, data: &[u8]) -> io::Result<Bytes> {
        match &mut self {
            Encoder::Gzip(e) => e.write_all(data)?,
            Encoder::Brotli(e) => e.write_all(data)?,
            Encoder::Zstd(e) => {
                // A known size lets zstd shrink its window and tables to the body (and
                // records the size in the frame header).
                e.set_pledged_src_size(Some(data.len() as u64))?;
                e.write_all(data)?
            }
        }
        self.finish()
    }
}

/// Writes `data` into `w`, flushes it, and takes the output so far.
fn flush_into<W: Write + Sink>(w: &mut W, data: &[u8]) -> io::Result<Bytes> {
    w.write_all(data)?;
    w.flush()?;
    Ok(Bytes::from(std::mem::take(w.sink())))
}

/// The in-memory buffer under a compressor.
trait Sink {
    fn sink(&mut self) -> &mut Vec<u8>;
}

impl Sink for flate2::write::GzEncoder<Vec<u8>> {
    fn sink(&mut self) -> &mut Vec<u8> {
        self.get_mut()
    }
}

impl Sink for brotli::CompressorWriter<Vec<u8>> {
    fn sink(&mut self) -> &mut Vec<u8> {
        self.get_mut()
    }
}

impl Sink for zstd::stream::write::Encoder<'static, Vec<u8>> {
    fn sink(&mut self) -> &mut Vec<u8> {
        self.get_mut()
    }
}

/// `body` compressed with a fresh `encoder`: a full body in one go (a full body again), a
/// stream or a file as a stream compressed chunk by chunk.
///
/// # Errors
///
/// The compressor's error for a full body (then `body` is given back untouched).
pub(super) fn compress(encoder: Encoder, body: Body) -> Result<Body, (Body, io::Error)> {
    let stream: BodyStream = match body.into_inner() {
        BodyInner::Full(bytes) => {
            return match encoder.full(&bytes) {
                Ok(out) => Ok(Body::full(out)),
                Err(e) => Err((Body::full(bytes), e)),
            };
        }
        BodyInner::File(region) => Box::pin(FileChunks { region, done: 0 }),
        BodyInner::Stream(stream) => stream,
    };
    Ok(Body::stream(Compressed {
        inner: stream,
        encoder: Some(encoder),
    }))
}

/// A stream's chunks, each compressed and flushed as it comes, so a streamed page reaches
/// the client as soon as uncompressed it would have.
struct Compressed {
    inner: BodyStream,
    /// `None` once the compressed stream has ended (or failed).
    encoder: Option<Encoder>,
}

impl Stream for Compressed {
    type Item = Result<Bytes, BoxError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            let Some(encoder) = this.encoder.as_mut() else {
                return Poll::Ready(None);
            };
            let out = match this.inner.as_mut().poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(chunk))) if chunk.is_empty() => continue,
                Poll::Ready(Some(Ok(chunk))) => encoder.chunk(&chunk),
                Poll::Ready(Some(Err(e))) => {
                    this.encoder = None;
                    return Poll::Ready(Some(Err(e)));
                }
                Poll::Ready(None) => match this.encoder.take() {
                    Some(encoder) => encoder.finish(),
                    None => return Poll::Ready(None),
                },
            };
            match out {
                Ok(out) if out.is_empty() => continue,
                Ok(out) => return Poll::Ready(Some(Ok(out))),
                Err(e) => {
                    this.encoder = None;
                    return Poll::Ready(Some(Err(e.into())));
                }
            }
        }
    }
}

/// A file range read [`FILE_CHUNK`] bytes at a time, never whole into memory.
struct FileChunks {
    region: FileRegion,
    /// Bytes of the range already read.
    done: u64,
}

impl Stream for FileChunks {
    type Item = Result<Bytes, BoxError>;

    fn poll_next(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let left = self.region.len() - self.done;
        if left == 0 {
            return Poll::Ready(None);
        }
        // At most FILE_CHUNK (64 KiB): fits a usize everywhere.
        let mut buf = vec![0; left.min(FILE_CHUNK) as usize];
        let at = self.region.offset() + self.done;
        match self.region.file().read_exact_at(&mut buf, at) {
            Ok(()) => {
                self.done += buf.len() as u64;
                Poll::Ready(Some(Ok(Bytes::from(buf))))
            }
            Err(e) => {
                // Ends the stream after the error.
                self.done = self.region.len();
                Poll::Ready(Some(Err(e.into())))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    const CODINGS: [Coding; 3] = [Coding::Gzip(6), Coding::Brotli(4), Coding::Zstd(3)];

    fn decode(coding: Coding, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        match coding {
            Coding::Gzip(_) => flate2::read::GzDecoder::new(data).read_to_end(&mut out),
            Coding::Brotli(_) => brotli::Decompressor::new(data, 4096).read_to_end(&mut out),
            Coding::Zstd(_) => {
                zstd::stream::read::Decoder::new(data).and_then(|mut d| d.read_to_end(&mut out))
            }
        }
        .unwrap();
        out
    }

    #[test]
    fn full_round_trips() {
        let text = "a line of text, again and again\n".repeat(500);
        for coding in CODINGS {
            for input in [&b""[..], b"x", text.as_bytes()] {
                let out = Encoder::new(coding).unwrap().full(input).unwrap();
                assert_eq!(decode(coding, &out), input, "{coding:?}");
            }
        }
    }

    #[test]
    fn each_chunk_is_flushed() {
        for coding in CODINGS {
            let mut encoder = Encoder::new(coding).unwrap();
            let mut out = encoder.chunk(b"first chunk").unwrap().to_vec();
            // The partial output already decodes to the first chunk (a truncated
            // stream: read what comes before the error).
            let mut partial = Vec::new();
            let _ = match coding {
                Coding::Gzip(_) => flate2::read::GzDecoder::new(&out[..]).read_to_end(&mut partial),
                Coding::Brotli(_) => {
                    brotli::Decompressor::new(&out[..], 4096).read_to_end(&mut partial)
                }
                Coding::Zstd(_) => zstd::stream::read::Decoder::new(&out[..])
                    .and_then(|mut d| d.read_to_end(&mut partial)),
            };
            assert_eq!(partial, b"first chunk", "{coding:?}");
            out.extend_from_slice(&encoder.chunk(b", second").unwrap());
            out.extend_from_slice(&encoder.finish().unwrap());
            assert_eq!(decode(coding, &out), b"first chunk, second", "{coding:?}");
        }
    }
}
