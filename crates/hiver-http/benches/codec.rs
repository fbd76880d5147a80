//! The HTTP/1.1 codec on its own: request-head decoding, response-head encoding and
//! chunked-body decoding, without sockets or a runtime.
//!
//! Throughput is in bytes of input, so heads of different sizes compare.

use std::hint::black_box;

use bytes::BytesMut;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use hiver_http::codec::{
    ChunkedDecoder, Limits, ResponseFraming, ResponseHead, decode_head, encode_response_head,
};
use hiver_http::http::{HeaderMap, HeaderValue, StatusCode, Version, header};

/// What wrk sends in the TechEmpower plaintext test.
const WRK: &[u8] = b"GET /plaintext HTTP/1.1\r\nHost: server\r\n\
    Accept: text/plain,text/html;q=0.9,application/xhtml+xml;q=0.9,application/xml;q=0.8,*/*;q=0.7\r\n\
    Connection: keep-alive\r\n\r\n";

/// A browser navigation: a dozen fields, cookies included.
const BROWSER: &[u8] = b"GET /products/42?ref=home&utm_source=newsletter HTTP/1.1\r\n\
    Host: shop.example.com\r\n\
    User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n\
    Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n\
    Accept-Language: en-US,en;q=0.5\r\n\
    Accept-Encoding: gzip, deflate, br, zstd\r\n\
    Referer: https://shop.example.com/\r\n\
    Connection: keep-alive\r\n\
    Cookie: session=8f14e45fceea167a5a36dedd4bea2543; theme=dark; cart=3\r\n\
    Upgrade-Insecure-Requests: 1\r\n\
    Sec-Fetch-Dest: document\r\n\
    Sec-Fetch-Mode: navigate\r\n\
    Sec-Fetch-Site: same-origin\r\n\
    Priority: u=0, i\r\n\r\n";

fn decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("codec_decode_head");
    for (name, raw) in [("wrk_plaintext", WRK), ("browser", BROWSER)] {
        group.throughput(Throughput::Bytes(raw.len() as u64));
        group.bench_function(name, |b| {
            b.iter_batched(
                || BytesMut::from(raw),
                |mut buf| {
                    // Invariant: the inputs are complete, valid heads.
                    let head = decode_head(&mut buf, &Limits::DEFAULT).expect("valid head");
                    (head.expect("complete head"), buf)
                },
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

fn encode(c: &mut Criterion) {
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    let server = HeaderValue::from_static("hiver");
    let head = ResponseHead {
        status: StatusCode::OK,
        request_version: Version::HTTP_11,
        headers: &headers,
        framing: ResponseFraming::Length(13),
        keep_alive: true,
        server: &server,
    };
    let mut dst = BytesMut::with_capacity(4096);
    c.bench_function("codec_encode_response_head/plaintext", |b| {
        b.iter(|| {
            dst.clear();
            encode_response_head(black_box(&head), &mut dst);
            dst.len()
        })
    });
}

/// A 16 KiB body sent as 16 chunks of 1 KiB.
fn chunked_body() -> Vec<u8> {
    let mut body = Vec::new();
    for _ in 0..16 {
        body.extend_from_slice(b"400\r\n");
        body.extend_from_slice(&[b'a'; 1024]);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b"0\r\n\r\n");
    body
}

fn chunked(c: &mut Criterion) {
    let input = chunked_body();
    let mut group = c.benchmark_group("codec_chunked_decode");
    group.throughput(Throughput::Bytes(input.len() as u64));
    group.bench_function("16x1KiB", |b| {
        let mut out = BytesMut::with_capacity(32 * 1024);
        b.iter(|| {
            out.clear();
            let mut decoder = ChunkedDecoder::new(1 << 20);
            // Invariant: the input is a complete, valid chunked body under the limit.
            let used = decoder
                .decode(black_box(&input), &mut out)
                .expect("valid body");
            assert!(decoder.is_done() && used == input.len());
            out.len()
        })
    });
    group.finish();
}

criterion_group!(benches, decode, encode, chunked);
criterion_main!(benches);
