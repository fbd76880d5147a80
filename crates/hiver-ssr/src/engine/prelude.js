// Hiver SSR prelude: the globals that React's and Preact's server renderers expect, written in
// plain JavaScript so every engine backend (QuickJS and V8) evaluates the same file.
//
// This file is one expression: a function that the host calls once per context with
// `host = { log(level, message) }`. It returns the entry points the host drives:
// `render(url, propsJson)`, `finish(value)`, `next()`, `runTimers()` and `clearTimers()`.
// Nothing here is spliced together with user data: props arrive as a JSON string argument.
(function (host) {
  "use strict";
  const g = globalThis;

  function describe(value) {
    if (typeof value === "string") return value;
    if (value instanceof Error) {
      return value.stack ? value.name + ": " + value.message + "\n" + value.stack : String(value);
    }
    if (typeof value === "object" && value !== null) {
      try {
        return JSON.stringify(value);
      } catch (_) {
        return Object.prototype.toString.call(value);
      }
    }
    return String(value);
  }
  function logger(level) {
    return function (...args) {
      host.log(level, args.map(describe).join(" "));
    };
  }
  // Levels: 0 trace, 1 debug, 2 info, 3 warn, 4 error (mapped to `tracing` by the host).
  g.console = {
    trace: logger(0),
    debug: logger(1),
    log: logger(2),
    info: logger(2),
    warn: logger(3),
    error: logger(4),
  };

  if (typeof g.process === "undefined") {
    g.process = { env: { NODE_ENV: "production" } };
  }

  g.queueMicrotask = function queueMicrotask(callback) {
    if (typeof callback !== "function") {
      throw new TypeError("queueMicrotask: argument must be a function");
    }
    Promise.resolve()
      .then(() => callback())
      .catch((error) => g.console.error("uncaught error in microtask:", error));
  };

  // Timers with real delays, all inside the render's time budget. The host calls
  // `runTimers()` whenever the microtask queue is empty: it runs the one timer that is due
  // first (ties by creation order) and returns 0, or returns how many milliseconds remain
  // until the next one is due, or -1 when there is none. Running one timer per call lets the
  // host drain microtasks between two timers, as node and browsers do.
  let nextTimerId = 1;
  const timers = new Map();
  g.setTimeout = function setTimeout(callback, delay, ...args) {
    const id = nextTimerId++;
    // A delay is never cut short: Date.now() counts whole milliseconds, so a positive
    // delay gets one more (a timer may run up to 1 ms late, never early).
    const ms = Number(delay);
    const due = Date.now() + (ms > 0 ? ms + 1 : 0);
    timers.set(id, { callback, args, due });
    return id;
  };
  g.clearTimeout = function clearTimeout(id) {
    timers.delete(id);
  };
  function runTimers() {
    if (timers.size === 0) return -1;
    let firstId = 0;
    let first = null;
    for (const [id, timer] of timers) {
      if (first === null || timer.due < first.due) {
        firstId = id;
        first = timer;
      }
    }
    const wait = first.due - Date.now();
    if (wait > 0) return wait;
    timers.delete(firstId);
    if (typeof first.callback === "function") {
      try {
        first.callback(...first.args);
      } catch (error) {
        g.console.error("uncaught error in setTimeout callback:", error);
      }
    }
    return 0;
  }
  // MessageChannel, as React's `react-dom/server.browser` schedules its work through it: a
  // message is delivered by a zero-delay timer, so it runs after the microtasks, as a task.
  class MessagePort {
    constructor() {
      this.onmessage = null;
      this._peer = null;
    }
    postMessage(data) {
      const peer = this._peer;
      setTimeout(() => {
        if (typeof peer.onmessage === "function") peer.onmessage({ data });
      }, 0);
    }
    start() {}
    close() {}
  }
  g.MessageChannel = class MessageChannel {
    constructor() {
      this.port1 = new MessagePort();
      this.port2 = new MessagePort();
      this.port1._peer = this.port2;
      this.port2._peer = this.port1;
    }
  };

  // Drops every timer and cancels the stream being read, if any: after a render, whether it
  // finished, failed or its consumer went away.
  function clearTimers() {
    timers.clear();
    cancelSource(new Error("the render ended before its stream"));
  }

  // Writes the UTF-8 form of `s` into `out` while whole characters fit (a lone surrogate
  // becomes U+FFFD); returns the UTF-16 units read and the bytes written.
  function utf8Into(s, out) {
    const capacity = out.length;
    let n = 0;
    let i = 0;
    while (i < s.length) {
      let c = s.charCodeAt(i);
      let units = 1;
      if (c >= 0xd800 && c < 0xe000) {
        const d = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
        if (c < 0xdc00 && d >= 0xdc00 && d < 0xe000) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          units = 2;
        } else {
          c = 0xfffd;
        }
      }
      const size = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
      if (n + size > capacity) break;
      if (size === 1) {
        out[n++] = c;
      } else if (size === 2) {
        out[n++] = 0xc0 | (c >> 6);
        out[n++] = 0x80 | (c & 0x3f);
      } else if (size === 3) {
        out[n++] = 0xe0 | (c >> 12);
        out[n++] = 0x80 | ((c >> 6) & 0x3f);
        out[n++] = 0x80 | (c & 0x3f);
      } else {
        out[n++] = 0xf0 | (c >> 18);
        out[n++] = 0x80 | ((c >> 12) & 0x3f);
        out[n++] = 0x80 | ((c >> 6) & 0x3f);
        out[n++] = 0x80 | (c & 0x3f);
      }
      i += units;
    }
    return { read: i, written: n };
  }
  class TextEncoder {
    get encoding() {
      return "utf-8";
    }
    encode(input = "") {
      const s = String(input);
      const out = new Uint8Array(s.length * 3);
      return out.slice(0, utf8Into(s, out).written);
    }
    encodeInto(input, dest) {
      return utf8Into(String(input), dest);
    }
  }

  function bytesOf(input) {
    if (input === undefined) return new Uint8Array(0);
    if (input instanceof Uint8Array) return input;
    if (input instanceof ArrayBuffer) return new Uint8Array(input);
    if (ArrayBuffer.isView(input)) {
      return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    }
    throw new TypeError("TextDecoder.decode: expected an ArrayBuffer or a view on one");
  }
  // Length of the UTF-8 sequence a lead byte starts, 0 for a byte that cannot start one.
  function sequenceLength(b) {
    if (b < 0x80) return 1;
    if (b >= 0xc2 && b < 0xe0) return 2;
    if (b >= 0xe0 && b < 0xf0) return 3;
    if (b >= 0xf0 && b < 0xf5) return 4;
    return 0;
  }
  class TextDecoder {
    constructor(label = "utf-8") {
      const l = String(label).toLowerCase();
      if (l !== "utf-8" && l !== "utf8" && l !== "unicode-1-1-utf-8") {
        throw new RangeError("TextDecoder: only utf-8 is supported, got " + label);
      }
      this.pending = new Uint8Array(0);
    }
    get encoding() {
      return "utf-8";
    }
    decode(input, options) {
      let bytes = bytesOf(input);
      if (this.pending.length > 0) {
        const joined = new Uint8Array(this.pending.length + bytes.length);
        joined.set(this.pending);
        joined.set(bytes, this.pending.length);
        bytes = joined;
        this.pending = new Uint8Array(0);
      }
      const stream = options !== undefined && options.stream === true;
      let out = "";
      let units = [];
      let i = 0;
      while (i < bytes.length) {
        const b = bytes[i];
        const len = sequenceLength(b);
        if (stream && len > 1 && i + len > bytes.length) {
          this.pending = bytes.slice(i);
          break;
        }
        let c = 0xfffd;
        let used = 1;
        if (len === 1) {
          c = b;
        } else if (len > 1 && i + len <= bytes.length) {
          let v = b & (0xff >> (len + 1));
          let ok = true;
          for (let k = 1; k < len; k++) {
            const cb = bytes[i + k];
            if ((cb & 0xc0) !== 0x80) {
              ok = false;
              break;
            }
            v = (v << 6) | (cb & 0x3f);
          }
          const min = len === 2 ? 0x80 : len === 3 ? 0x800 : 0x10000;
          if (ok && v >= min && v <= 0x10ffff && !(v >= 0xd800 && v < 0xe000)) {
            c = v;
            used = len;
          }
        }
        i += used;
        if (c >= 0x10000) {
          c -= 0x10000;
          units.push(0xd800 + (c >> 10), 0xdc00 + (c & 0x3ff));
        } else {
          units.push(c);
        }
        if (units.length >= 8192) {
          out += String.fromCharCode.apply(null, units);
          units = [];
        }
      }
      return out + String.fromCharCode.apply(null, units);
    }
  }
  g.TextEncoder = TextEncoder;
  g.TextDecoder = TextDecoder;

  // A subset of the WHATWG ReadableStream, enough for React's and Preact's
  // `renderToReadableStream`: an underlying source with `start`, `pull` and `cancel`, a
  // `highWaterMark` (chunks count 1, or bytes for `type: "bytes"`), a default reader
  // (`read`, `cancel`, `releaseLock`, `closed`) and async iteration. Not provided: BYOB
  // readers (`byobRequest` is always null), `tee`, `pipeTo`, `pipeThrough`.
  class ReadableStreamDefaultController {
    constructor(stream) {
      this._stream = stream;
    }
    get desiredSize() {
      return this._stream._desiredSize();
    }
    get byobRequest() {
      return null;
    }
    enqueue(chunk) {
      this._stream._enqueue(chunk);
    }
    close() {
      this._stream._requestClose();
    }
    error(reason) {
      this._stream._error(reason);
    }
  }
  class ReadableStream {
    constructor(source = {}, strategy = {}) {
      this._source = source;
      this._state = "readable";
      this._queue = [];
      this._queueSize = 0;
      this._reads = [];
      this._closeRequested = false;
      this._started = false;
      this._pulling = false;
      this._pullAgain = false;
      this._storedError = undefined;
      this._reader = null;
      this._bytes = source.type === "bytes";
      const hwm = strategy.highWaterMark;
      this._highWaterMark = hwm === undefined ? (this._bytes ? 0 : 1) : Number(hwm);
      this._size = typeof strategy.size === "function" ? strategy.size : null;
      this._controller = new ReadableStreamDefaultController(this);
      const started = typeof source.start === "function" ? source.start(this._controller) : undefined;
      Promise.resolve(started).then(
        () => {
          this._started = true;
          this._pullIfNeeded();
        },
        (reason) => this._error(reason),
      );
    }
    get locked() {
      return this._reader !== null;
    }
    getReader(options) {
      if (options !== undefined && options.mode !== undefined) {
        throw new TypeError("ReadableStream.getReader: only default readers are supported");
      }
      if (this._reader !== null) throw new TypeError("ReadableStream is locked");
      this._reader = new ReadableStreamDefaultReader(this);
      return this._reader;
    }
    cancel(reason) {
      if (this._reader !== null) {
        return Promise.reject(new TypeError("ReadableStream is locked"));
      }
      return this._cancel(reason);
    }
    [Symbol.asyncIterator]() {
      const reader = this.getReader();
      return {
        next: () => reader.read(),
        return: (value) => reader.cancel(value).then(() => ({ value, done: true })),
        [Symbol.asyncIterator]() {
          return this;
        },
      };
    }
    _desiredSize() {
      if (this._state === "errored") return null;
      if (this._state === "closed") return 0;
      return this._highWaterMark - this._queueSize;
    }
    _sizeOf(chunk) {
      if (this._size !== null) return Number(this._size(chunk));
      if (this._bytes) return chunk.byteLength;
      return 1;
    }
    _enqueue(chunk) {
      if (this._closeRequested || this._state !== "readable") {
        throw new TypeError("ReadableStream: cannot enqueue after close or error");
      }
      if (this._bytes && !ArrayBuffer.isView(chunk)) {
        throw new TypeError("ReadableStream: a byte stream takes ArrayBuffer views only");
      }
      if (this._reads.length > 0) {
        this._reads.shift().resolve({ value: chunk, done: false });
      } else {
        this._queue.push(chunk);
        this._queueSize += this._sizeOf(chunk);
      }
      this._pullIfNeeded();
    }
    _requestClose() {
      if (this._closeRequested || this._state !== "readable") {
        throw new TypeError("ReadableStream: already closed or errored");
      }
      this._closeRequested = true;
      if (this._queue.length === 0) this._close();
    }
    _close() {
      this._state = "closed";
      for (const read of this._reads.splice(0)) read.resolve({ value: undefined, done: true });
      if (this._reader !== null) this._reader._settle(null);
    }
    _error(reason) {
      if (this._state !== "readable") return;
      this._state = "errored";
      this._storedError = reason;
      this._queue = [];
      this._queueSize = 0;
      for (const read of this._reads.splice(0)) read.reject(reason);
      if (this._reader !== null) this._reader._settle(reason);
    }
    _cancel(reason) {
      if (this._state === "closed") return Promise.resolve();
      if (this._state === "errored") return Promise.reject(this._storedError);
      this._queue = [];
      this._queueSize = 0;
      this._close();
      const cancel = this._source.cancel;
      try {
        const done = typeof cancel === "function" ? cancel.call(this._source, reason) : undefined;
        return Promise.resolve(done).then(() => undefined);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    _read() {
      if (this._queue.length > 0) {
        const chunk = this._queue.shift();
        this._queueSize -= this._sizeOf(chunk);
        if (this._closeRequested && this._queue.length === 0) {
          this._close();
        } else {
          this._pullIfNeeded();
        }
        return Promise.resolve({ value: chunk, done: false });
      }
      if (this._state === "closed") return Promise.resolve({ value: undefined, done: true });
      if (this._state === "errored") return Promise.reject(this._storedError);
      const read = new Promise((resolve, reject) => this._reads.push({ resolve, reject }));
      this._pullIfNeeded();
      return read;
    }
    _pullIfNeeded() {
      if (!this._started || this._closeRequested || this._state !== "readable") return;
      if (this._reads.length === 0 && !(this._desiredSize() > 0)) return;
      if (typeof this._source.pull !== "function") return;
      if (this._pulling) {
        this._pullAgain = true;
        return;
      }
      this._pulling = true;
      let pulled;
      try {
        pulled = Promise.resolve(this._source.pull(this._controller));
      } catch (error) {
        pulled = Promise.reject(error);
      }
      pulled.then(
        () => {
          this._pulling = false;
          if (this._pullAgain) {
            this._pullAgain = false;
            this._pullIfNeeded();
          }
        },
        (reason) => this._error(reason),
      );
    }
  }
  class ReadableStreamDefaultReader {
    constructor(stream) {
      this._stream = stream;
      this._closed = new Promise((resolve, reject) => {
        this._resolveClosed = resolve;
        this._rejectClosed = reject;
      });
      // A rejected `closed` that nobody awaits is not an error of the page.
      this._closed.catch(() => {});
      if (stream._state === "closed") this._settle(null);
      if (stream._state === "errored") this._settle(stream._storedError);
    }
    get closed() {
      return this._closed;
    }
    read() {
      if (this._stream === null) return Promise.reject(new TypeError("the reader was released"));
      return this._stream._read();
    }
    cancel(reason) {
      if (this._stream === null) return Promise.reject(new TypeError("the reader was released"));
      return this._stream._cancel(reason);
    }
    releaseLock() {
      if (this._stream === null) return;
      this._stream._reader = null;
      this._stream = null;
    }
    _settle(error) {
      if (error === null) this._resolveClosed(undefined);
      else this._rejectClosed(error);
    }
  }
  g.ReadableStream = ReadableStream;
  g.ReadableStreamDefaultReader = ReadableStreamDefaultReader;
  g.ReadableStreamDefaultController = ReadableStreamDefaultController;

  function render(url, propsJson) {
    const fn = g.render;
    if (typeof fn !== "function") {
      throw new TypeError("globalThis.render is not a function");
    }
    return fn(url, JSON.parse(propsJson));
  }

  // The stream the host is reading, with the decoder its byte chunks go through; null when
  // no streamed render is in progress.
  let source = null;
  function isStream(value) {
    return (
      typeof value === "object" &&
      value !== null &&
      (typeof value.getReader === "function" || typeof value[Symbol.asyncIterator] === "function")
    );
  }
  function openSource(value) {
    const decoder = new TextDecoder();
    if (typeof value.getReader === "function") {
      const reader = value.getReader();
      return { next: () => reader.read(), cancel: (reason) => reader.cancel(reason), decoder };
    }
    const iterator = value[Symbol.asyncIterator]();
    const cancel = (reason) => (typeof iterator.return === "function" ? iterator.return(reason) : undefined);
    return { next: () => iterator.next(), cancel, decoder };
  }
  function cancelSource(reason) {
    const open = source;
    source = null;
    if (open === null) return;
    try {
      const done = open.cancel(reason);
      if (done !== undefined && done !== null && typeof done.then === "function") done.then(undefined, () => {});
    } catch (_) {
      // The stream's own cancel failed; the render is over either way.
    }
  }
  // The next piece of the stream `finish` opened, as a promise of a non-empty string, or of
  // null once the stream is done. Byte chunks are decoded as UTF-8 (a character split
  // between two chunks is joined).
  async function next() {
    const open = source;
    if (open === null) return null;
    for (;;) {
      const { done, value } = await open.next();
      if (source !== open) return null;
      if (done) {
        source = null;
        const rest = open.decoder.decode();
        return rest === "" ? null : rest;
      }
      const text = typeof value === "string" ? value : open.decoder.decode(chunkBytes(value), { stream: true });
      if (text !== "") return text;
    }
  }
  function chunkBytes(value) {
    if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return value;
    throw new TypeError(
      "render() stream: chunks must be strings or Uint8Array; got " + (value === null ? "null" : typeof value),
    );
  }
  // Turns what `render` settled to into [html, head, status, streamed], or throws a TypeError
  // that names what was wrong. For a stream (returned alone or as `html`), html is "" and
  // the stream is opened for `next()`.
  function finish(value) {
    cancelSource(new Error("a new render started"));
    if (typeof value === "string") return [value, "", 200, false];
    if (isStream(value)) {
      source = openSource(value);
      return ["", "", 200, true];
    }
    if (typeof value !== "object" || value === null) {
      throw new TypeError(
        "render() must return a string, a Promise, a ReadableStream, an async iterator, or { html, head, status }; got " +
          (value === null ? "null" : typeof value),
      );
    }
    const { html, head = "", status = 200 } = value;
    const streamed = isStream(html);
    if (!streamed && typeof html !== "string") {
      throw new TypeError("render() result: html must be a string or a stream");
    }
    if (typeof head !== "string") throw new TypeError("render() result: head must be a string");
    if (!Number.isInteger(status) || status < 100 || status > 599) {
      throw new TypeError("render() result: status must be an integer in 100..=599");
    }
    if (!streamed) return [html, head, status, false];
    source = openSource(html);
    return ["", head, status, true];
  }
  return { render, finish, next, runTimers, clearTimers };
})
