#!/usr/bin/env python3
"""The measuring client of bench/stream.sh: times streamed pages over one HTTP/1.1 connection.

One request at a time on one keep-alive connection to 127.0.0.1 (latency, not throughput),
socket-level, timestamps from time.perf_counter() taken right after each recv() returns.
Per request, in milliseconds from just before the request is sent:

  ttfb   the response's first byte (the status line)
  body   the body's first byte (the document's opening, after the headers)
  shell  the shell: the first time the body read so far holds the Suspense fallback
         (data-testid="reviews-loading")
  last   the response's last byte (the chunked body's terminating chunk)

Every response is checked: status 200, chunked transfer (so it streamed), the body joined is
byte for byte the reference (Hiver-V8's), the bytes read up to the fallback do not hold the
reviews (data-testid="review-list") while the whole body does. A failed check exits 1.

Subcommands:
  fetch   --port P --path /product/7 --out FILE [--expected web/expected/<fw>.json]
          one request, checked for streaming; writes the body joined to FILE (the reference)
          and, with --expected, checks it holds node's streamed HTML of the product-7 case
  measure --port P --path … --reference FILE --warmup W --requests N --label ROUND,FW,SERVER
          --csv FILE   W unrecorded requests, then N recorded ones appended to FILE as
          "round,framework,server,request,ttfb_ms,body_ms,shell_ms,last_ms,body_bytes"
  report  --csv FILE --frameworks "…" --servers "…" --baseline hiver-v8
          the Markdown tables of medians and p90 (nearest rank) over all recorded requests
"""

import argparse
import csv
import json
import math
import socket
import statistics
import sys
import time

FALLBACK = b'data-testid="reviews-loading"'
REVIEWS = b'data-testid="review-list"'
TIMEOUT_S = 10.0


class Failure(Exception):
    pass


class Chunked:
    """An incremental decoder of a chunked body: feed() whatever arrived, read `body`."""

    def __init__(self):
        self.buf = b""
        self.body = bytearray()
        self.state = "size"  # size, data, data-end, trailer, done
        self.left = 0  # bytes of the current chunk still to come

    def feed(self, data):
        self.buf += data
        while self.state != "done":
            if self.state == "size":
                end = self.buf.find(b"\r\n")
                if end < 0:
                    return
                self.left = int(self.buf[:end].split(b";")[0], 16)
                self.buf = self.buf[end + 2 :]
                self.state = "data" if self.left > 0 else "trailer"
            elif self.state == "data":
                if not self.buf:
                    return
                take = self.buf[: self.left]
                self.body += take
                self.buf = self.buf[len(take) :]
                self.left -= len(take)
                if self.left == 0:
                    self.state = "data-end"
            elif self.state == "data-end":
                if len(self.buf) < 2:
                    return
                if self.buf[:2] != b"\r\n":
                    raise Failure("a chunk does not end with CRLF")
                self.buf = self.buf[2:]
                self.state = "size"
            elif self.state == "trailer":
                end = self.buf.find(b"\r\n")
                if end < 0:
                    return
                line, self.buf = self.buf[:end], self.buf[end + 2 :]
                if line == b"":
                    self.state = "done"

    @property
    def done(self):
        return self.state == "done"


class Connection:
    """One keep-alive connection; reopened when the server closes it."""

    def __init__(self, port):
        self.port = port
        self.sock = None

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def get(self, path):
        """One GET: (timings in ms, status, body, early_reviews, chunked)."""
        if self.sock is None:
            self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=TIMEOUT_S)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        request = (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
            "Accept: text/html\r\nUser-Agent: hiver-bench-stream\r\n\r\n"
        ).encode()
        deadline = time.monotonic() + TIMEOUT_S
        marks = {}

        def read():
            if time.monotonic() > deadline:
                raise Failure(f"no complete response within {TIMEOUT_S} s")
            data = self.sock.recv(1 << 16)
            now = time.perf_counter()
            if not data:
                raise Failure("the server closed the connection before the end of the response")
            marks.setdefault("ttfb", now)
            return data, now

        t0 = time.perf_counter()
        self.sock.sendall(request)
        raw = b""
        while b"\r\n\r\n" not in raw:
            data, now = read()
            raw += data
        head, _, rest = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        chunked = headers.get("transfer-encoding", "").lower() == "chunked"
        length = -1 if chunked else int(headers.get("content-length", "-1"))
        if not chunked and length < 0:
            raise Failure("neither chunked nor a Content-Length")

        decoder = Chunked() if chunked else None
        plain = bytearray()
        early_reviews = False

        def body():
            return decoder.body if chunked else plain

        def take(data, now):
            # Decodes what arrived and notes the body's first byte and the shell's arrival.
            nonlocal early_reviews
            if chunked:
                decoder.feed(data)
            else:
                plain.extend(data)
                if len(plain) > length:
                    raise Failure("more bytes than the Content-Length")
            got = body()
            if got and "body" not in marks:
                marks["body"] = now
            if "shell" not in marks and FALLBACK in got:
                marks["shell"] = now
                early_reviews = REVIEWS in got

        take(rest, now)
        while not (decoder.done if chunked else len(plain) == length):
            data, now = read()
            take(data, now)
        if chunked and decoder.buf:
            raise Failure("bytes after the end of the response")
        marks["last"] = now
        if headers.get("connection", "").lower() == "close":
            self.close()
        timings = {k: (marks[k] - t0) * 1000.0 if k in marks else None for k in ("ttfb", "body", "shell", "last")}
        return timings, status, bytes(body()), early_reviews, chunked


def check(result, reference):
    timings, status, body, early_reviews, chunked = result
    if status != 200:
        raise Failure(f"status {status}")
    if not chunked:
        raise Failure("the answer was not chunked: it did not stream")
    if reference is not None and body != reference:
        raise Failure(
            f"the body ({len(body)} bytes) differs from the reference ({len(reference)} bytes)"
        )
    if FALLBACK not in body or REVIEWS not in body or body.index(FALLBACK) > body.index(REVIEWS):
        raise Failure("the body lacks the fallback, the reviews, or has the reviews first")
    if early_reviews:
        raise Failure("the reviews came with the shell: the page did not stream")
    if timings["shell"] is None:
        raise Failure("no shell seen")


def fetch(args):
    conn = Connection(args.port)
    result = conn.get(args.path)
    conn.close()
    check(result, None)
    body = result[2]
    if args.expected:
        with open(args.expected, encoding="utf-8") as f:
            cases = json.load(f)
        case = next(c for c in cases if c["name"] == "product-7")
        if not case.get("streamed"):
            raise Failure(f"{args.expected}: the product-7 case did not stream in node")
        wanted = ('<div id="app">' + case["html"] + "</div>").encode()
        if wanted not in body:
            raise Failure(f"the body does not hold node's streamed HTML from {args.expected}")
    with open(args.out, "wb") as f:
        f.write(body)
    t = result[0]
    print(
        f"{len(body)} bytes, first byte {t['ttfb']:.2f} ms, shell {t['shell']:.2f} ms, "
        f"last byte {t['last']:.2f} ms"
    )


def measure(args):
    with open(args.reference, "rb") as f:
        reference = f.read()
    conn = Connection(args.port)
    rows = []
    try:
        for i in range(args.warmup + args.requests):
            result = conn.get(args.path)
            check(result, reference)
            if i >= args.warmup:
                t = result[0]
                rows.append(
                    args.label.split(",")
                    + [
                        i - args.warmup + 1,
                        f"{t['ttfb']:.3f}",
                        f"{t['body']:.3f}",
                        f"{t['shell']:.3f}",
                        f"{t['last']:.3f}",
                        len(result[2]),
                    ]
                )
    finally:
        conn.close()
    with open(args.csv, "a", newline="") as f:
        csv.writer(f).writerows(rows)
    last = [float(r[7]) for r in rows]
    ttfb = [float(r[4]) for r in rows]
    print(
        f"{len(rows)} requests, identical bodies; median first byte {statistics.median(ttfb):.2f} ms, "
        f"last byte {statistics.median(last):.2f} ms"
    )


def p90(values):
    s = sorted(values)
    return s[max(0, math.ceil(0.9 * len(s)) - 1)]


def fmt(v):
    # Last bytes differ by fractions of a millisecond: one decimal even past 100 ms.
    return f"{v:.1f}" if v >= 100 else f"{v:.2f}"


def report(args):
    samples = {}
    with open(args.csv, newline="") as f:
        for row in csv.DictReader(f):
            key = (row["framework"], row["server"])
            for metric in ("ttfb_ms", "body_ms", "shell_ms", "last_ms"):
                samples.setdefault(key + (metric,), []).append(float(row[metric]))
            samples.setdefault(key + ("rounds",), set()).add(row["round"])
    servers = args.servers.split()
    for fw in args.frameworks.split():
        base = samples.get((fw, args.baseline, "last_ms"))
        base_ttfb = samples.get((fw, args.baseline, "ttfb_ms"))
        print()
        print(f"**{fw}** (`/product/7`; ms from sending the request)")
        print()
        print(
            "| server | requests | first byte p50 | first byte p90 | body's first byte p50 "
            "| shell p50 | shell p90 | last byte p50 | last byte p90 "
            f"| first byte ÷ {args.baseline} | last byte ÷ {args.baseline} |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for server in servers:
            key = (fw, server)
            if key + ("last_ms",) not in samples:
                continue
            s = {m: samples[key + (m,)] for m in ("ttfb_ms", "body_ms", "shell_ms", "last_ms")}
            med = {m: statistics.median(v) for m, v in s.items()}
            ratio_first = med["ttfb_ms"] / statistics.median(base_ttfb) if base_ttfb else None
            ratio_last = med["last_ms"] / statistics.median(base) if base else None
            print(
                f"| {server} | {len(s['last_ms'])} | {fmt(med['ttfb_ms'])} | {fmt(p90(s['ttfb_ms']))} "
                f"| {fmt(med['body_ms'])} | {fmt(med['shell_ms'])} | {fmt(p90(s['shell_ms']))} "
                f"| {fmt(med['last_ms'])} | {fmt(p90(s['last_ms']))} "
                f"| {'n/a' if ratio_first is None else f'{ratio_first:.2f}'} "
                f"| {'n/a' if ratio_last is None else f'{ratio_last:.2f}'} |"
            )


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    f = sub.add_parser("fetch")
    f.add_argument("--port", type=int, required=True)
    f.add_argument("--path", required=True)
    f.add_argument("--out", required=True)
    f.add_argument("--expected")
    m = sub.add_parser("measure")
    m.add_argument("--port", type=int, required=True)
    m.add_argument("--path", required=True)
    m.add_argument("--reference", required=True)
    m.add_argument("--warmup", type=int, default=10)
    m.add_argument("--requests", type=int, default=40)
    m.add_argument("--label", required=True)
    m.add_argument("--csv", required=True)
    r = sub.add_parser("report")
    r.add_argument("--csv", required=True)
    r.add_argument("--frameworks", required=True)
    r.add_argument("--servers", required=True)
    r.add_argument("--baseline", default="hiver-v8")
    args = parser.parse_args()
    try:
        {"fetch": fetch, "measure": measure, "report": report}[args.command](args)
    except (Failure, OSError) as e:
        print(f"stream-client: {args.command} on port {getattr(args, 'port', '-')}: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
