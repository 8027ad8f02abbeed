// Web platform globals that Node programs use without importing them:
// TextEncoder/TextDecoder, structuredClone, URL/URLSearchParams,
// EventTarget/Event/AbortController/AbortSignal/DOMException, and crypto
// (randomUUID, getRandomValues, and the hashes behind require('crypto')).
// Evaluated before prelude.js, into the same snapshot. Randomness comes
// from the host (WASI random_get, through __polyrun_random_bytes).
(() => {
  "use strict";
  const define = (name, value) =>
    Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });

  // ---- DOMException, Event, EventTarget -----------------------------------

  class DOMException extends Error {
    constructor(message = "", name = "Error") {
      super(message);
      Object.defineProperty(this, "name", { value: name, configurable: true, writable: true });
    }
    get code() { return { AbortError: 20, DataCloneError: 25, QuotaExceededError: 22, TimeoutError: 23 }[this.name] ?? 0; }
  }

  class Event {
    constructor(type, init = {}) {
      this.type = String(type);
      this.bubbles = !!init.bubbles;
      this.cancelable = !!init.cancelable;
      this.defaultPrevented = false;
      this.timeStamp = performance.now();
      this.target = null;
      this.currentTarget = null;
    }
    preventDefault() { if (this.cancelable) this.defaultPrevented = true; }
    stopPropagation() {}
    stopImmediatePropagation() { this._stopped = true; }
  }

  const listeners = new WeakMap();
  class EventTarget {
    addEventListener(type, listener, options) {
      if (!listener) return;
      const map = listeners.get(this) ?? new Map();
      listeners.set(this, map);
      const list = map.get(type) ?? [];
      if (!list.some((l) => l.listener === listener)) {
        list.push({ listener, once: typeof options === "object" && !!options?.once });
      }
      map.set(type, list);
      const signal = typeof options === "object" ? options?.signal : undefined;
      signal?.addEventListener("abort", () => this.removeEventListener(type, listener));
    }
    removeEventListener(type, listener) {
      const list = listeners.get(this)?.get(type);
      if (list) listeners.get(this).set(type, list.filter((l) => l.listener !== listener));
    }
    dispatchEvent(event) {
      event.target = event.currentTarget = this;
      const handler = this[`on${event.type}`];
      if (typeof handler === "function") handler.call(this, event);
      for (const entry of [...(listeners.get(this)?.get(event.type) ?? [])]) {
        if (entry.once) this.removeEventListener(event.type, entry.listener);
        if (typeof entry.listener === "function") entry.listener.call(this, event);
        else entry.listener.handleEvent(event);
        if (event._stopped) break;
      }
      return !event.defaultPrevented;
    }
  }

  // ---- AbortController ----------------------------------------------------

  class AbortSignal extends EventTarget {
    constructor() { super(); this.aborted = false; this.reason = undefined; this.onabort = null; }
    throwIfAborted() { if (this.aborted) throw this.reason; }
    static abort(reason) { const c = new AbortController(); c.abort(reason); return c.signal; }
    static timeout(ms) {
      const c = new AbortController();
      setTimeout(() => c.abort(new DOMException("The operation was aborted due to timeout", "TimeoutError")), ms);
      return c.signal;
    }
    static any(signals) {
      const c = new AbortController();
      for (const s of signals) {
        if (s.aborted) { c.abort(s.reason); break; }
        s.addEventListener("abort", () => c.abort(s.reason), { once: true });
      }
      return c.signal;
    }
  }
  class AbortController {
    constructor() { this.signal = new AbortSignal(); }
    abort(reason = new DOMException("This operation was aborted", "AbortError")) {
      const signal = this.signal;
      if (signal.aborted) return;
      signal.aborted = true;
      signal.reason = reason;
      signal.dispatchEvent(new Event("abort"));
    }
  }

  // ---- TextEncoder / TextDecoder ------------------------------------------

  function utf8Encode(text) {
    const out = [];
    for (let i = 0; i < text.length; i++) {
      let c = text.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
        const d = text.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) { c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00); i++; }
        else c = 0xfffd;
      } else if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
      if (c < 0x80) out.push(c);
      else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
      else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
      else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    }
    return new Uint8Array(out);
  }

  class TextEncoder {
    get encoding() { return "utf-8"; }
    encode(text = "") { return utf8Encode(String(text)); }
    encodeInto(text, destination) {
      let read = 0;
      let written = 0;
      for (const ch of String(text)) {
        const bytes = utf8Encode(ch);
        if (written + bytes.length > destination.length) break;
        destination.set(bytes, written);
        written += bytes.length;
        read += ch.length;
      }
      return { read, written };
    }
  }

  const LABELS = {
    "utf-8": ["utf-8", "utf8", "unicode-1-1-utf-8"],
    "utf-16le": ["utf-16le", "utf-16", "ucs-2"],
    "windows-1252": ["latin1", "iso-8859-1", "ascii", "us-ascii", "windows-1252", "l1", "cp1252"],
  };

  class TextDecoder {
    constructor(label = "utf-8", options = {}) {
      const wanted = String(label).trim().toLowerCase();
      const found = Object.entries(LABELS).find(([, names]) => names.includes(wanted));
      if (!found) throw new RangeError(`The "${label}" encoding is not supported`);
      this.encoding = found[0];
      this.fatal = !!options.fatal;
      this.ignoreBOM = !!options.ignoreBOM;
      this._pending = [];
    }
    decode(input, options = {}) {
      let bytes = input === undefined ? new Uint8Array(0)
        : input instanceof ArrayBuffer ? new Uint8Array(input)
        : new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
      if (this._pending.length) bytes = Uint8Array.from([...this._pending, ...bytes]);
      this._pending = [];
      if (this.encoding === "windows-1252") return String.fromCharCode(...bytes);
      if (this.encoding === "utf-16le") {
        let out = "";
        for (let i = 0; i + 1 < bytes.length; i += 2) out += String.fromCharCode(bytes[i] | (bytes[i + 1] << 8));
        return out;
      }
      const { text, rest } = utf8Decode(bytes, this.fatal, !!options.stream);
      if (options.stream) this._pending = rest;
      return !this.ignoreBOM && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    }
  }

  // WHATWG's UTF-8 decoder: each maximal invalid subpart is one U+FFFD.
  function utf8Decode(bytes, fatal, stream) {
    let out = "";
    let chunk = [];
    let i = 0;
    const flush = () => { if (chunk.length) { out += String.fromCodePoint(...chunk); chunk = []; } };
    const bad = () => {
      if (fatal) throw new TypeError("The encoded data was not valid for encoding utf-8");
      chunk.push(0xfffd);
    };
    while (i < bytes.length) {
      const b = bytes[i];
      if (b < 0x80) { chunk.push(b); i++; }
      else {
        let need = 0; let code = 0; let lower = 0x80; let upper = 0xbf;
        if (b >= 0xc2 && b <= 0xdf) { need = 1; code = b & 0x1f; }
        else if (b >= 0xe0 && b <= 0xef) { need = 2; code = b & 0xf; if (b === 0xe0) lower = 0xa0; if (b === 0xed) upper = 0x9f; }
        else if (b >= 0xf0 && b <= 0xf4) { need = 3; code = b & 0x7; if (b === 0xf0) lower = 0x90; if (b === 0xf4) upper = 0x8f; }
        else { bad(); i++; continue; }
        let j = 1;
        for (; j <= need; j++) {
          const next = bytes[i + j];
          if (next === undefined) break;
          if (next < lower || next > upper) break;
          lower = 0x80; upper = 0xbf;
          code = (code << 6) | (next & 0x3f);
        }
        if (j > need) { chunk.push(code); i += need + 1; }
        else if (i + j >= bytes.length && stream) { flush(); return { text: out, rest: Array.from(bytes.subarray(i)) }; }
        else { bad(); i += j; }
      }
      if (chunk.length > 4096) flush();
    }
    flush();
    return { text: out, rest: [] };
  }

  // ---- structuredClone ----------------------------------------------------

  function structuredClone(value, options) {
    void options;
    const seen = new Map();
    const fail = (what) => { throw new DOMException(`${what} could not be cloned.`, "DataCloneError"); };
    const clone = (v) => {
      if (typeof v === "function") fail(String(v));
      if (typeof v === "symbol") fail(String(v));
      if (v === null || typeof v !== "object") return v;
      if (seen.has(v)) return seen.get(v);
      const keep = (copy) => { seen.set(v, copy); return copy; };
      if (v instanceof Date) return keep(new Date(v.getTime()));
      if (v instanceof RegExp) return keep(new RegExp(v.source, v.flags));
      if (v instanceof Boolean || v instanceof Number || v instanceof String) return keep(Object(v.valueOf()));
      if (v instanceof ArrayBuffer) return keep(v.slice(0));
      if (ArrayBuffer.isView(v)) {
        const buffer = clone(v.buffer);
        // A Buffer comes back a plain Uint8Array, as in Node.
        const View = v instanceof DataView ? DataView : v instanceof Uint8Array ? Uint8Array : v.constructor;
        return keep(new View(buffer, v.byteOffset, v instanceof DataView ? v.byteLength : v.length));
      }
      if (v instanceof Map) { const m = keep(new Map()); for (const [k, x] of v) m.set(clone(k), clone(x)); return m; }
      if (v instanceof Set) { const s = keep(new Set()); for (const x of v) s.add(clone(x)); return s; }
      if (v instanceof Error) {
        const E = { EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError }[v.name] ?? Error;
        const e = keep(new E(v.message));
        if (v.stack !== undefined) e.stack = v.stack;
        if ("cause" in v) e.cause = clone(v.cause);
        return e;
      }
      if (v instanceof WeakMap || v instanceof WeakSet || v instanceof Promise || v instanceof WeakRef) fail(`#<${v.constructor.name}>`);
      if (Array.isArray(v)) {
        const a = keep(new Array(v.length));
        for (const k of Object.keys(v)) a[k] = clone(v[k]);
        return a;
      }
      const o = keep({});
      for (const k of Object.keys(v)) o[k] = clone(v[k]);
      return o;
    };
    return clone(value);
  }

  // ---- URLSearchParams ----------------------------------------------------

  const formEncode = (text) => Array.from(utf8Encode(String(text)), (b) =>
    (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x2a || b === 0x2d || b === 0x2e || b === 0x5f
      ? String.fromCharCode(b) : b === 0x20 ? "+" : `%${b.toString(16).toUpperCase().padStart(2, "0")}`).join("");
  const percentDecode = (text) => {
    const bytes = [];
    const raw = utf8Encode(text);
    for (let i = 0; i < raw.length; i++) {
      const hex = i + 2 < raw.length ? String.fromCharCode(raw[i + 1], raw[i + 2]) : "";
      if (raw[i] === 0x25 && /^[0-9a-fA-F]{2}$/.test(hex)) { bytes.push(parseInt(hex, 16)); i += 2; }
      else bytes.push(raw[i]);
    }
    return utf8Decode(Uint8Array.from(bytes), false, false).text;
  };
  const formDecode = (text) => percentDecode(text.replace(/\+/g, " "));

  class URLSearchParams {
    constructor(init = "") {
      this._list = [];
      this._url = null;
      if (typeof init === "object" && init !== null) {
        const pairs = typeof init[Symbol.iterator] === "function" ? Array.from(init, (p) => Array.from(p)) : Object.entries(init);
        for (const pair of pairs) {
          if (pair.length !== 2) throw new TypeError("Each query pair must be an iterable [name, value] tuple");
          this._list.push([String(pair[0]), String(pair[1])]);
        }
      } else this._parse(String(init));
    }
    _parse(text) {
      this._list = [];
      for (const part of text.replace(/^\?/, "").split("&")) {
        if (!part) continue;
        const at = part.indexOf("=");
        this._list.push(at < 0 ? [formDecode(part), ""] : [formDecode(part.slice(0, at)), formDecode(part.slice(at + 1))]);
      }
    }
    _update() { if (this._url) { const q = this.toString(); this._url._query = q === "" ? null : q; } }
    get size() { return this._list.length; }
    append(name, value) { this._list.push([String(name), String(value)]); this._update(); }
    delete(name, value) {
      this._list = this._list.filter(([n, v]) => n !== String(name) || (value !== undefined && v !== String(value)));
      this._update();
    }
    get(name) { const found = this._list.find(([n]) => n === String(name)); return found ? found[1] : null; }
    getAll(name) { return this._list.filter(([n]) => n === String(name)).map(([, v]) => v); }
    has(name, value) { return this._list.some(([n, v]) => n === String(name) && (value === undefined || v === String(value))); }
    set(name, value) {
      const i = this._list.findIndex(([n]) => n === String(name));
      if (i < 0) this._list.push([String(name), String(value)]);
      else { this._list[i][1] = String(value); this._list = this._list.filter(([n], j) => j <= i || n !== String(name)); }
      this._update();
    }
    sort() { this._list.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)); this._update(); }
    forEach(callback, thisArg) { for (const [n, v] of this._list) callback.call(thisArg, v, n, this); }
    keys() { return this._list.map(([n]) => n)[Symbol.iterator](); }
    values() { return this._list.map(([, v]) => v)[Symbol.iterator](); }
    entries() { return this._list.map(([n, v]) => [n, v])[Symbol.iterator](); }
    [Symbol.iterator]() { return this.entries(); }
    toString() { return this._list.map(([n, v]) => `${formEncode(n)}=${formEncode(v)}`).join("&"); }
    get [Symbol.toStringTag]() { return "URLSearchParams"; }
  }

  // ---- URL ------------------------------------------------------------------

  const SPECIAL = { "ftp:": "21", "file:": "", "http:": "80", "https:": "443", "ws:": "80", "wss:": "443" };
  const encodeSet = (extra) => (text) => Array.from(utf8Encode(text), (b) =>
    b <= 0x20 || b >= 0x7f || extra.includes(String.fromCharCode(b)) ? `%${b.toString(16).toUpperCase().padStart(2, "0")}` : String.fromCharCode(b)).join("");
  const encodePath = encodeSet("\"#<>?`{}");
  const encodeQuery = encodeSet("\"#<>");
  const encodeSpecialQuery = encodeSet("\"#<>'");
  const encodeFragment = encodeSet("\"<>`");
  const encodeUserinfo = encodeSet("\"#<>?`{}/:;=@[\\]^|");

  function normalizePath(segments) {
    const out = [];
    segments.forEach((segment, i) => {
      const s = segment.toLowerCase();
      const last = i === segments.length - 1;
      if (s === ".." || s === ".%2e" || s === "%2e." || s === "%2e%2e") { out.pop(); if (last) out.push(""); }
      else if (s === "." || s === "%2e") { if (last) out.push(""); }
      else out.push(encodePath(segment));
    });
    return out;
  }

  function parseURL(input, base) {
    let text = String(input).replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, "").replace(/[\t\n\r]/g, "");
    const url = { scheme: "", username: "", password: "", host: null, port: "", path: [], opaque: null, query: null, fragment: null };
    const hashAt = text.indexOf("#");
    if (hashAt >= 0) { url.fragment = encodeFragment(text.slice(hashAt + 1)); text = text.slice(0, hashAt); }
    const schemeMatch = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(text);
    if (schemeMatch) {
      url.scheme = schemeMatch[1].toLowerCase() + ":";
      text = text.slice(schemeMatch[0].length);
    } else {
      if (!base) throw new TypeError(`Invalid URL`);
      url.scheme = base.scheme;
    }
    const special = url.scheme in SPECIAL;
    if (special) text = text.replace(/\\/g, "/");
    const queryAt = text.indexOf("?");
    if (queryAt >= 0) { url.query = (special ? encodeSpecialQuery : encodeQuery)(text.slice(queryAt + 1)); text = text.slice(0, queryAt); }
    if (text.startsWith("//") || (special && schemeMatch && (!base || base.scheme !== url.scheme) && url.scheme !== "file:")) {
      text = text.replace(/^\/*/, "");
      const slash = text.indexOf("/");
      const authority = slash < 0 ? text : text.slice(0, slash);
      text = slash < 0 ? "" : text.slice(slash);
      parseAuthority(url, authority, special);
      url.path = normalizePath(text === "" ? (special ? [""] : []) : text.slice(1).split("/"));
    } else if (schemeMatch && (!special || !base || base.scheme !== url.scheme) && !text.startsWith("/")) {
      if (special) { throw new TypeError("Invalid URL"); }
      url.opaque = encodeSet("")(text).replace(/%20/g, " ");
    } else {
      if (!base) throw new TypeError("Invalid URL");
      if (base.opaque !== null) throw new TypeError("Invalid URL");
      Object.assign(url, { username: base.username, password: base.password, host: base.host, port: base.port });
      if (text.startsWith("/")) url.path = normalizePath(text.slice(1).split("/"));
      else if (text === "") { url.path = [...base.path]; if (queryAt < 0) url.query = base.query; }
      else url.path = normalizePath([...base.path.slice(0, -1), ...text.split("/")]);
    }
    return url;
  }

  function parseAuthority(url, authority, special) {
    const at = authority.lastIndexOf("@");
    if (at >= 0) {
      const info = authority.slice(0, at);
      const colon = info.indexOf(":");
      url.username = encodeUserinfo(colon < 0 ? info : info.slice(0, colon));
      url.password = colon < 0 ? "" : encodeUserinfo(info.slice(colon + 1));
      authority = authority.slice(at + 1);
    }
    const portMatch = /:(\d*)$/.exec(authority);
    if (portMatch && !authority.endsWith("]")) {
      authority = authority.slice(0, -portMatch[0].length);
      if (portMatch[1] !== "") {
        const port = Number(portMatch[1]);
        if (port > 65535) throw new TypeError("Invalid URL");
        url.port = String(port) === SPECIAL[url.scheme] ? "" : String(port);
      }
    }
    if (special && authority === "" && url.scheme !== "file:") throw new TypeError("Invalid URL");
    if (/[\s<>^|%]/.test(authority.replace(/%[0-9a-fA-F]{2}/g, "")) ) throw new TypeError("Invalid URL");
    url.host = special ? percentDecode(authority).toLowerCase() : authority;
  }

  class URL {
    constructor(input, base) {
      const parsedBase = base === undefined ? null : (base instanceof URL ? base._url : new URL(base)._url);
      this._url = parseURL(input, parsedBase);
      this._params = new URLSearchParams(this._url.query ?? "");
      this._params._url = this;
    }
    static canParse(input, base) { try { new URL(input, base); return true; } catch { return false; } }
    set _query(value) { this._url.query = value; }
    get href() {
      const u = this._url;
      let out = u.scheme;
      if (u.host !== null) {
        out += "//";
        if (u.username || u.password) out += u.username + (u.password ? `:${u.password}` : "") + "@";
        out += u.host + (u.port ? `:${u.port}` : "");
      }
      out += u.opaque !== null ? u.opaque : (u.host === null && u.path.length > 1 && u.path[0] === "" ? "/." : "") + (u.path.length || u.host !== null ? "/" + u.path.join("/") : "");
      if (u.query !== null) out += `?${u.query}`;
      if (u.fragment !== null) out += `#${u.fragment}`;
      return out;
    }
    set href(value) { this._url = parseURL(value, null); this._params._parse(this._url.query ?? ""); }
    get origin() {
      const u = this._url;
      return u.scheme in SPECIAL && u.scheme !== "file:" ? `${u.scheme}//${u.host}${u.port ? `:${u.port}` : ""}` : "null";
    }
    get protocol() { return this._url.scheme; }
    set protocol(value) { const s = String(value).replace(/:.*$/, "").toLowerCase() + ":"; if (/^[a-z][a-z0-9+.-]*:$/.test(s)) this._url.scheme = s; }
    get username() { return this._url.username; }
    set username(value) { this._url.username = encodeUserinfo(String(value)); }
    get password() { return this._url.password; }
    set password(value) { this._url.password = encodeUserinfo(String(value)); }
    get host() { return (this._url.host ?? "") + (this._url.port ? `:${this._url.port}` : ""); }
    set host(value) { parseAuthority(this._url, String(value), this._url.scheme in SPECIAL); }
    get hostname() { return this._url.host ?? ""; }
    set hostname(value) { this._url.host = String(value).toLowerCase(); }
    get port() { return this._url.port; }
    set port(value) { const p = String(value); this._url.port = p === "" || p === SPECIAL[this._url.scheme] ? "" : String(Number.parseInt(p, 10)); }
    get pathname() { return this._url.opaque !== null ? this._url.opaque : (this._url.path.length || this._url.host !== null ? "/" + this._url.path.join("/") : ""); }
    set pathname(value) { this._url.path = normalizePath(String(value).replace(/^\//, "").split("/")); }
    get search() { return this._url.query ? `?${this._url.query}` : ""; }
    set search(value) {
      const q = String(value).replace(/^\?/, "");
      this._url.query = q === "" ? null : (this._url.scheme in SPECIAL ? encodeSpecialQuery : encodeQuery)(q);
      this._params._parse(q);
    }
    get searchParams() { return this._params; }
    get hash() { return this._url.fragment ? `#${this._url.fragment}` : ""; }
    set hash(value) { const f = String(value).replace(/^#/, ""); this._url.fragment = f === "" ? null : encodeFragment(f); }
    toString() { return this.href; }
    toJSON() { return this.href; }
    get [Symbol.toStringTag]() { return "URL"; }
  }

  // ---- crypto ---------------------------------------------------------------

  function randomBytes(n) {
    const bytes = new Uint8Array(globalThis.__polyrun_random_bytes(n));
    return bytes;
  }

  function getRandomValues(array) {
    if (!ArrayBuffer.isView(array) || array instanceof Float32Array || array instanceof Float64Array || array instanceof DataView) {
      throw new DOMException("The data argument must be an integer-type TypedArray", "TypeMismatchError");
    }
    if (array.byteLength > 65536) {
      throw new DOMException(`The ArrayBufferView's byte length (${array.byteLength}) exceeds the number of bytes of entropy available via this API (65536)`, "QuotaExceededError");
    }
    new Uint8Array(array.buffer, array.byteOffset, array.byteLength).set(randomBytes(array.byteLength));
    return array;
  }

  function randomUUID() {
    const b = randomBytes(16);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  // Hashes, on whole inputs (update() collects; digest() computes).
  const rotl = (x, n) => (x << n) | (x >>> (32 - n));
  const rotr = (x, n) => (x >>> n) | (x << (32 - n));

  function pad(bytes, littleEndian, lengthBytes) {
    const bitLength = BigInt(bytes.length) * 8n;
    const block = lengthBytes * 8;
    const total = Math.ceil((bytes.length + 1 + lengthBytes) / block) * block;
    const out = new Uint8Array(total);
    out.set(bytes);
    out[bytes.length] = 0x80;
    for (let i = 0; i < 8; i++) {
      const byte = Number((bitLength >> BigInt(8 * i)) & 0xffn);
      out[littleEndian ? total - lengthBytes + i : total - 1 - i] = byte;
    }
    return out;
  }

  function md5(bytes) {
    const K = Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) | 0);
    const S = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
    const m = pad(bytes, true, 8);
    const view = new DataView(m.buffer);
    let [a0, b0, c0, d0] = [0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476];
    for (let off = 0; off < m.length; off += 64) {
      let [a, b, c, d] = [a0, b0, c0, d0];
      for (let i = 0; i < 64; i++) {
        let f, g;
        if (i < 16) { f = (b & c) | (~b & d); g = i; }
        else if (i < 32) { f = (d & b) | (~d & c); g = (5 * i + 1) % 16; }
        else if (i < 48) { f = b ^ c ^ d; g = (3 * i + 5) % 16; }
        else { f = c ^ (b | ~d); g = (7 * i) % 16; }
        const t = d; d = c; c = b;
        b = (b + rotl((a + f + K[i] + view.getInt32(off + g * 4, true)) | 0, S[(i >> 4) * 4 + (i % 4)])) | 0;
        a = t;
      }
      a0 = (a0 + a) | 0; b0 = (b0 + b) | 0; c0 = (c0 + c) | 0; d0 = (d0 + d) | 0;
    }
    const out = new DataView(new ArrayBuffer(16));
    [a0, b0, c0, d0].forEach((w, i) => out.setInt32(i * 4, w, true));
    return new Uint8Array(out.buffer);
  }

  function sha1(bytes) {
    const m = pad(bytes, false, 8);
    const view = new DataView(m.buffer);
    const h = [0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476, 0xc3d2e1f0 | 0];
    const w = new Int32Array(80);
    for (let off = 0; off < m.length; off += 64) {
      for (let i = 0; i < 16; i++) w[i] = view.getInt32(off + i * 4);
      for (let i = 16; i < 80; i++) w[i] = rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
      let [a, b, c, d, e] = h;
      for (let i = 0; i < 80; i++) {
        const [f, k] = i < 20 ? [(b & c) | (~b & d), 0x5a827999] : i < 40 ? [b ^ c ^ d, 0x6ed9eba1]
          : i < 60 ? [(b & c) | (b & d) | (c & d), 0x8f1bbcdc | 0] : [b ^ c ^ d, 0xca62c1d6 | 0];
        const t = (rotl(a, 5) + f + e + k + w[i]) | 0;
        e = d; d = c; c = rotl(b, 30); b = a; a = t;
      }
      [a, b, c, d, e].forEach((x, i) => { h[i] = (h[i] + x) | 0; });
    }
    const out = new DataView(new ArrayBuffer(20));
    h.forEach((x, i) => out.setInt32(i * 4, x));
    return new Uint8Array(out.buffer);
  }

  const K256 = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
    0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
    0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
    0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
    0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
  ].map((x) => x | 0);

  function sha256(bytes) {
    const m = pad(bytes, false, 8);
    const view = new DataView(m.buffer);
    const h = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19].map((x) => x | 0);
    const w = new Int32Array(64);
    for (let off = 0; off < m.length; off += 64) {
      for (let i = 0; i < 16; i++) w[i] = view.getInt32(off + i * 4);
      for (let i = 16; i < 64; i++) {
        const s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >>> 3);
        const s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >>> 10);
        w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
      }
      let [a, b, c, d, e, f, g, hh] = h;
      for (let i = 0; i < 64; i++) {
        const t1 = (hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K256[i] + w[i]) | 0;
        const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
        hh = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
      }
      [a, b, c, d, e, f, g, hh].forEach((x, i) => { h[i] = (h[i] + x) | 0; });
    }
    const out = new DataView(new ArrayBuffer(32));
    h.forEach((x, i) => out.setInt32(i * 4, x));
    return new Uint8Array(out.buffer);
  }

  const K512 = [
    "428a2f98d728ae22", "7137449123ef65cd", "b5c0fbcfec4d3b2f", "e9b5dba58189dbbc", "3956c25bf348b538", "59f111f1b605d019",
    "923f82a4af194f9b", "ab1c5ed5da6d8118", "d807aa98a3030242", "12835b0145706fbe", "243185be4ee4b28c", "550c7dc3d5ffb4e2",
    "72be5d74f27b896f", "80deb1fe3b1696b1", "9bdc06a725c71235", "c19bf174cf692694", "e49b69c19ef14ad2", "efbe4786384f25e3",
    "0fc19dc68b8cd5b5", "240ca1cc77ac9c65", "2de92c6f592b0275", "4a7484aa6ea6e483", "5cb0a9dcbd41fbd4", "76f988da831153b5",
    "983e5152ee66dfab", "a831c66d2db43210", "b00327c898fb213f", "bf597fc7beef0ee4", "c6e00bf33da88fc2", "d5a79147930aa725",
    "06ca6351e003826f", "142929670a0e6e70", "27b70a8546d22ffc", "2e1b21385c26c926", "4d2c6dfc5ac42aed", "53380d139d95b3df",
    "650a73548baf63de", "766a0abb3c77b2a8", "81c2c92e47edaee6", "92722c851482353b", "a2bfe8a14cf10364", "a81a664bbc423001",
    "c24b8b70d0f89791", "c76c51a30654be30", "d192e819d6ef5218", "d69906245565a910", "f40e35855771202a", "106aa07032bbd1b8",
    "19a4c116b8d2d0c8", "1e376c085141ab53", "2748774cdf8eeb99", "34b0bcb5e19b48a8", "391c0cb3c5c95a63", "4ed8aa4ae3418acb",
    "5b9cca4f7763e373", "682e6ff3d6b2b8a3", "748f82ee5defb2fc", "78a5636f43172f60", "84c87814a1f0ab72", "8cc702081a6439ec",
    "90befffa23631e28", "a4506cebde82bde9", "bef9a3f7b2c67915", "c67178f2e372532b", "ca273eceea26619c", "d186b8c721c0c207",
    "eada7dd6cde0eb1e", "f57d4f7fee6ed178", "06f067aa72176fba", "0a637dc5a2c898a6", "113f9804bef90dae", "1b710b35131c471b",
    "28db77f523047d84", "32caab7b40c72493", "3c9ebe0a15c9bebc", "431d67c49c100d4c", "4cc5d4becb3e42b6", "597f299cfc657e2a",
    "5fcb6fab3ad6faec", "6c44198c4a475817",
  ].map((x) => BigInt(`0x${x}`));

  function sha512(bytes, initial = ["6a09e667f3bcc908", "bb67ae8584caa73b", "3c6ef372fe94f82b", "a54ff53a5f1d36f1",
    "510e527fade682d1", "9b05688c2b3e6c1f", "1f83d9abfb41bd6b", "5be0cd19137e2179"], size = 64) {
    const M = (1n << 64n) - 1n;
    const r = (x, n) => ((x >> n) | (x << (64n - n))) & M;
    const m = pad(bytes, false, 16);
    const view = new DataView(m.buffer);
    const h = initial.map((x) => BigInt(`0x${x}`));
    const w = new Array(80);
    for (let off = 0; off < m.length; off += 128) {
      for (let i = 0; i < 16; i++) w[i] = view.getBigUint64(off + i * 8);
      for (let i = 16; i < 80; i++) {
        const s0 = r(w[i - 15], 1n) ^ r(w[i - 15], 8n) ^ (w[i - 15] >> 7n);
        const s1 = r(w[i - 2], 19n) ^ r(w[i - 2], 61n) ^ (w[i - 2] >> 6n);
        w[i] = (w[i - 16] + s0 + w[i - 7] + s1) & M;
      }
      let [a, b, c, d, e, f, g, hh] = h;
      for (let i = 0; i < 80; i++) {
        const t1 = (hh + (r(e, 14n) ^ r(e, 18n) ^ r(e, 41n)) + ((e & f) ^ (~e & M & g)) + K512[i] + w[i]) & M;
        const t2 = ((r(a, 28n) ^ r(a, 34n) ^ r(a, 39n)) + ((a & b) ^ (a & c) ^ (b & c))) & M;
        hh = g; g = f; f = e; e = (d + t1) & M; d = c; c = b; b = a; a = (t1 + t2) & M;
      }
      [a, b, c, d, e, f, g, hh].forEach((x, i) => { h[i] = (h[i] + x) & M; });
    }
    const out = new DataView(new ArrayBuffer(64));
    h.forEach((x, i) => out.setBigUint64(i * 8, x));
    return new Uint8Array(out.buffer).slice(0, size);
  }

  const sha384 = (bytes) => sha512(bytes, ["cbbb9d5dc1059ed8", "629a292a367cd507", "9159015a3070dd17", "152fecd8f70e5939",
    "67332667ffc00b31", "8eb44a8768581511", "db0c2e0d64f98fa7", "47b5481dbefa4fa4"], 48);

  const HASHES = { md5: [md5, 64], sha1: [sha1, 64], sha256: [sha256, 64], sha384: [sha384, 128], sha512: [sha512, 128] };

  define("DOMException", DOMException);
  define("Event", Event);
  define("EventTarget", EventTarget);
  define("AbortController", AbortController);
  define("AbortSignal", AbortSignal);
  define("TextEncoder", TextEncoder);
  define("TextDecoder", TextDecoder);
  define("structuredClone", structuredClone);
  define("URL", URL);
  define("URLSearchParams", URLSearchParams);
  define("crypto", { getRandomValues, randomUUID, subtle: undefined });
  // For prelude.js's require('crypto').
  define("__polyrun_web", { utf8Encode, utf8Decode: (b) => utf8Decode(b, false, false).text, randomBytes, randomUUID, getRandomValues, HASHES });
})();
