//! Fuzzer-chosen bodies through `hiver::middleware::Compression`'s compression path (a full
//! body in one go, and a stream in fuzzer-chosen chunks), decoded back with the `flate2`,
//! `brotli` and `zstd` decoders: the round trip must give the input back, and every
//! streamed chunk must decode, with the ones before it, to all the input sent so far (each
//! chunk is flushed). Also arbitrary bytes into those decoders, which must end in an error
//! or a body, never a panic.
#![no_main]

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use arbitrary::{Result, Unstructured};
use bytes::Bytes;
use futures_core::Stream;
use hiver::Body;
use hiver::encoding::Encoding;
use hiver::middleware::Compression;
use libfuzzer_sys::fuzz_target;

/// What a decoder may produce from fuzzer bytes before the target stops reading (a
/// decompression bomb is not a bug of the decoder).
const DECODED_LIMIT: u64 = 1 << 20;

fuzz_target!(|data: &[u8]| {
    let _ = run(Unstructured::new(data));
});

fn run(mut u: Unstructured<'_>) -> Result<()> {
    let mode: u8 = u.arbitrary()?;
    if mode & 0x80 != 0 {
        decode_arbitrary(u.take_rest());
        return Ok(());
    }
    let level: u8 = u.arbitrary()?;
    let (encoding, layer) = match mode % 3 {
        0 => (
            Encoding::Gzip,
            Compression::new().gzip(u32::from(level % 10)),
        ),
        1 => (
            Encoding::Brotli,
            Compression::new().brotli(u32::from(level % 12)),
        ),
        // Levels above 9 set up windows of 8 MiB and more per run: the fuzzer would spend its
        // time in allocation.
        _ => (
            Encoding::Zstd,
            Compression::new().zstd(1 + i32::from(level % 9)),
        ),
    };
    let splits: Vec<u8> = (0..u.int_in_range(0..=8)?)
        .map(|_| u.arbitrary())
        .collect::<Result<_>>()?;
    let input = u.take_rest();
    if mode & 0x40 == 0 {
        full(&layer, encoding, input);
    } else {
        streamed(&layer, encoding, &chunks(input, &splits));
    }
    Ok(())
}

fn full(layer: &Compression, encoding: Encoding, input: &[u8]) {
    let body = compress(layer, encoding, Body::full(Bytes::copy_from_slice(input)));
    let mut out = Vec::new();
    let mut body = Box::pin(body);
    while let Some(chunk) = next(body.as_mut()) {
        out.extend_from_slice(&chunk);
    }
    // An empty full body is `Body::empty()`: nothing to compress, nothing sent.
    if !input.is_empty() {
        assert_eq!(decode(encoding, &out), input, "{encoding:?} full body");
    }
}

fn streamed(layer: &Compression, encoding: Encoding, chunks: &[&[u8]]) {
    let source = Chunks(chunks.iter().map(|c| Bytes::copy_from_slice(c)).collect());
    let mut body = Box::pin(compress(layer, encoding, Body::stream(source)));
    let mut decoder = IncrementalDecoder::new(encoding);
    let mut out = Vec::new();
    let input: Vec<u8> = chunks.concat();
    while let Some(chunk) = next(body.as_mut()) {
        assert!(!chunk.is_empty(), "an empty chunk would end a chunked body");
        decoder.push(&chunk);
        out.extend_from_slice(&chunk);
    }
    // Everything the stream yielded so far decodes to all the input (flushed chunks).
    assert_eq!(
        decoder.decoded(),
        &input[..],
        "{encoding:?} streamed, flushed"
    );
    if !input.is_empty() {
        assert_eq!(decode(encoding, &out), input, "{encoding:?} streamed");
    }
}

fn compress(layer: &Compression, encoding: Encoding, body: Body) -> Body {
    layer
        .compress_body(encoding, body)
        .expect("the coding is enabled")
        .expect("compressing into memory does not fail")
}

/// The body's next chunk. Every source chunk is ready, so a body never waits.
fn next(body: Pin<&mut Body>) -> Option<Bytes> {
    match body.poll_next(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(Some(chunk)) => Some(chunk.expect("the source stream never fails")),
        Poll::Ready(None) => None,
        Poll::Pending => panic!("a body of ready chunks waited"),
    }
}

/// `input` cut at fuzzer-chosen lengths (empty chunks included); the rest is the last chunk.
fn chunks<'a>(mut input: &'a [u8], splits: &[u8]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    for &len in splits {
        let (chunk, rest) = input.split_at(usize::from(len).min(input.len()));
        out.push(chunk);
        input = rest;
    }
    out.push(input);
    out
}

/// A stream of ready chunks.
struct Chunks(VecDeque<Bytes>);

impl Stream for Chunks {
    type Item = std::result::Result<Bytes, hiver_http::BoxError>;

    fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Poll::Ready(self.0.pop_front().map(Ok))
    }
}

fn decode(encoding: Encoding, compressed: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    decoder(encoding, compressed)
        .read_to_end(&mut out)
        .unwrap_or_else(|e| panic!("{encoding:?}: our own output does not decode: {e}"));
    out
}

fn decoder<'a>(encoding: Encoding, compressed: &'a [u8]) -> Box<dyn Read + 'a> {
    match encoding {
        Encoding::Gzip => Box::new(flate2::read::GzDecoder::new(compressed)),
        Encoding::Brotli => Box::new(brotli::Decompressor::new(compressed, 4096)),
        Encoding::Zstd => {
            Box::new(zstd::stream::read::Decoder::new(compressed).expect("a zstd context (memory)"))
        }
        Encoding::Identity => Box::new(compressed),
    }
}

/// Arbitrary bytes as a precompressed body: each decoder ends with a body or an error.
fn decode_arbitrary(data: &[u8]) {
    for encoding in [Encoding::Gzip, Encoding::Brotli, Encoding::Zstd] {
        let mut out = Vec::new();
        let _ = decoder(encoding, data)
            .take(DECODED_LIMIT)
            .read_to_end(&mut out);
    }
}

/// Decoders fed one compressed chunk at a time.
enum IncrementalDecoder {
    Gzip(flate2::write::GzDecoder<Vec<u8>>),
    Brotli(Box<brotli::DecompressorWriter<Vec<u8>>>),
    Zstd(zstd::stream::write::Decoder<'static, Vec<u8>>),
}

impl IncrementalDecoder {
    fn new(encoding: Encoding) -> Self {
        match encoding {
            Encoding::Gzip => Self::Gzip(flate2::write::GzDecoder::new(Vec::new())),
            Encoding::Brotli => {
                Self::Brotli(Box::new(brotli::DecompressorWriter::new(Vec::new(), 4096)))
            }
            Encoding::Zstd => Self::Zstd(
                zstd::stream::write::Decoder::new(Vec::new()).expect("a zstd context (memory)"),
            ),
            Encoding::Identity => unreachable!("identity is never compressed"),
        }
    }

    fn push(&mut self, chunk: &[u8]) {
        let result = match self {
            Self::Gzip(d) => d.write_all(chunk).and_then(|()| d.flush()),
            Self::Brotli(d) => d.write_all(chunk).and_then(|()| d.flush()),
            Self::Zstd(d) => d.write_all(chunk).and_then(|()| d.flush()),
        };
        result.unwrap_or_else(|e| panic!("a compressed chunk does not decode: {e}"));
    }

    fn decoded(&self) -> &[u8] {
        match self {
            Self::Gzip(d) => d.get_ref(),
            Self::Brotli(d) => d.get_ref(),
            Self::Zstd(d) => d.get_ref(),
        }
    }
}
