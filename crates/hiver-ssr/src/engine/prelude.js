// Hiver SSR prelude: the globals that React's and Preact's server renderers expect, written in
// plain JavaScript so every engine backend (QuickJS now, V8 later) evaluates the same file.
//
// This file is one expression: a function that the host calls once per context with
// `host = { log(level, message) }`. It returns the two entry points the host drives:
// `render(url, propsJson)` and `finish(value)`, plus `runTimers()` and `clearTimers()`.
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

  // Zero-delay timers: every delay counts as zero. The host runs the timers that exist at the
  // start of a batch once the microtask queue is empty, then drains microtasks again.
  let nextTimerId = 1;
  const timers = new Map();
  g.setTimeout = function setTimeout(callback, _delay, ...args) {
    const id = nextTimerId++;
    timers.set(id, { callback, args });
    return id;
  };
  g.clearTimeout = function clearTimeout(id) {
    timers.delete(id);
  };
  function runTimers() {
    if (timers.size === 0) return false;
    const limit = nextTimerId;
    for (const [id, timer] of timers) {
      if (id >= limit) break;
      timers.delete(id);
      if (typeof timer.callback !== "function") continue;
      try {
        timer.callback(...timer.args);
      } catch (error) {
        g.console.error("uncaught error in setTimeout callback:", error);
      }
    }
    return true;
  }
  function clearTimers() {
    timers.clear();
  }

  class TextEncoder {
    get encoding() {
      return "utf-8";
    }
    encode(input = "") {
      const s = String(input);
      const out = new Uint8Array(s.length * 3);
      let n = 0;
      for (let i = 0; i < s.length; i++) {
        let c = s.charCodeAt(i);
        if (c >= 0xd800 && c < 0xe000) {
          const d = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
          if (c < 0xdc00 && d >= 0xdc00 && d < 0xe000) {
            c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
            i++;
          } else {
            c = 0xfffd;
          }
        }
        if (c < 0x80) {
          out[n++] = c;
        } else if (c < 0x800) {
          out[n++] = 0xc0 | (c >> 6);
          out[n++] = 0x80 | (c & 0x3f);
        } else if (c < 0x10000) {
          out[n++] = 0xe0 | (c >> 12);
          out[n++] = 0x80 | ((c >> 6) & 0x3f);
          out[n++] = 0x80 | (c & 0x3f);
        } else {
          out[n++] = 0xf0 | (c >> 18);
          out[n++] = 0x80 | ((c >> 12) & 0x3f);
          out[n++] = 0x80 | ((c >> 6) & 0x3f);
          out[n++] = 0x80 | (c & 0x3f);
        }
      }
      return out.slice(0, n);
    }
    encodeInto(input, dest) {
      const bytes = this.encode(input);
      const written = Math.min(bytes.length, dest.length);
      dest.set(bytes.subarray(0, written));
      return { read: String(input).length, written };
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

  function render(url, propsJson) {
    const fn = g.render;
    if (typeof fn !== "function") {
      throw new TypeError("globalThis.render is not a function");
    }
    return fn(url, JSON.parse(propsJson));
  }
  // Turns what `render` settled to into [html, head, status], or throws a TypeError that names
  // what was wrong.
  function finish(value) {
    if (typeof value === "string") return [value, "", 200];
    if (typeof value !== "object" || value === null) {
      throw new TypeError(
        "render() must return a string, a Promise, or { html, head, status }; got " +
          (value === null ? "null" : typeof value),
      );
    }
    const { html, head = "", status = 200 } = value;
    if (typeof html !== "string") throw new TypeError("render() result: html must be a string");
    if (typeof head !== "string") throw new TypeError("render() result: head must be a string");
    if (!Number.isInteger(status) || status < 100 || status > 599) {
      throw new TypeError("render() result: status must be an integer in 100..=599");
    }
    return [html, head, status];
  }
  return { render, finish, runTimers, clearTimers };
})
