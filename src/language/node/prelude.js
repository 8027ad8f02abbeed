// polyrun's Node.js compatibility layer for QuickJS-ng, evaluated before the
// program (`qjs --std -I prelude.js`). It provides what most Node snippets
// use: console with util.inspect formatting, process, timers, CommonJS
// `require` of relative files and of built-in modules (fs, path, util, os,
// events, readline, assert). ES module `import` of the same built-ins goes
// through /.node/esm/*.js wrappers (see polyrun_node.c).
(function () {
  "use strict";
  const std = globalThis.std;
  const os = globalThis.os;
  // QuickJS's WASI build has no lstat; stat is the closest it gets.
  const lstat = os.lstat || os.stat;

  // ---- util.inspect, following Node's layout rules ----------------------

  const kBreakLength = 80;
  const kMaxArrayLength = 100;
  const kCompact = 3;
  const identifier = /^[A-Za-z_$][\w$]*$/;

  function quoteString(s) {
    let quote = "'";
    if (s.includes("'")) {
      if (!s.includes('"')) quote = '"';
      else if (!s.includes("`") && !s.includes("${")) quote = "`";
    }
    let out = "";
    for (const ch of s) {
      const code = ch.codePointAt(0);
      if (ch === quote || ch === "\\") out += "\\" + ch;
      else if (ch === "\n") out += "\\n";
      else if (ch === "\t") out += "\\t";
      else if (ch === "\r") out += "\\r";
      else if (ch === "\b") out += "\\b";
      else if (ch === "\f") out += "\\f";
      else if (ch === "\v") out += "\\v";
      else if (code < 0x20 || code === 0x7f) out += "\\x" + code.toString(16).padStart(2, "0").toUpperCase();
      else out += ch;
    }
    return quote + out + quote;
  }

  function formatPrimitive(value) {
    switch (typeof value) {
      case "string": return quoteString(value);
      case "number": return Object.is(value, -0) ? "-0" : String(value);
      case "bigint": return `${value}n`;
      case "symbol": return value.toString();
      default: return String(value);
    }
  }

  function constructorName(value) {
    let proto = Object.getPrototypeOf(value);
    while (proto !== null) {
      const descriptor = Object.getOwnPropertyDescriptor(proto, "constructor");
      if (descriptor && typeof descriptor.value === "function" && descriptor.value.name !== "") {
        return descriptor.value.name;
      }
      proto = Object.getPrototypeOf(proto);
    }
    return null;
  }

  function functionBase(fn) {
    const source = Function.prototype.toString.call(fn);
    if (source.startsWith("class") && /^class[\s{]/.test(source)) {
      return fn.name ? `[class ${fn.name}]` : "[class (anonymous)]";
    }
    const kind = fn.constructor && fn.constructor.name !== "Function" ? fn.constructor.name : "Function";
    return fn.name ? `[${kind}: ${fn.name}]` : `[${kind} (anonymous)]`;
  }

  function errorText(error) {
    const head = String(error);
    const stack = typeof error.stack === "string" ? error.stack : "";
    if (stack.startsWith(head)) return stack.trimEnd();
    return stack ? `${head}\n${stack.trimEnd()}` : `[${head}]`;
  }

  function formatKey(key) {
    if (typeof key === "symbol") return `[${key.toString()}]`;
    return identifier.test(key) ? key : quoteString(key);
  }

  function isBelowBreakLength(ctx, output, start, base) {
    let total = output.length + start;
    if (total + output.length > kBreakLength) return false;
    for (const entry of output) {
      total += entry.length;
      if (total > kBreakLength) return false;
    }
    return base === "" || !base.includes("\n");
  }

  function groupArrayElements(ctx, output, value) {
    let totalLength = 0;
    let maxLength = 0;
    let outputLength = output.length;
    if (ctx.extraItems) outputLength--;
    const separatorSpace = 2;
    const dataLen = new Array(outputLength);
    for (let i = 0; i < outputLength; i++) {
      const len = output[i].length;
      dataLen[i] = len;
      totalLength += len + separatorSpace;
      if (maxLength < len) maxLength = len;
    }
    const actualMax = maxLength + separatorSpace;
    if (actualMax * 3 + ctx.indentationLvl < kBreakLength &&
        (totalLength / actualMax > 5 || maxLength <= 6)) {
      const averageBias = Math.sqrt(actualMax - totalLength / output.length);
      const biasedMax = Math.max(actualMax - 3 - averageBias, 1);
      const columns = Math.min(
        Math.round(Math.sqrt(2.5 * biasedMax * outputLength) / biasedMax),
        Math.floor((kBreakLength - ctx.indentationLvl) / actualMax),
        kCompact * 4,
        15,
      );
      if (columns <= 1) return output;
      const maxLineLength = [];
      for (let i = 0; i < columns; i++) {
        let lineLength = 0;
        for (let j = i; j < output.length; j += columns) {
          if (dataLen[j] > lineLength) lineLength = dataLen[j];
        }
        maxLineLength.push(lineLength + separatorSpace);
      }
      let padStart = true;
      if (value !== undefined) {
        for (let i = 0; i < output.length; i++) {
          if (typeof value[i] !== "number" && typeof value[i] !== "bigint") {
            padStart = false;
            break;
          }
        }
      }
      const grouped = [];
      for (let i = 0; i < outputLength; i += columns) {
        const max = Math.min(i + columns, outputLength);
        let line = "";
        let j = i;
        for (; j < max - 1; j++) {
          const cell = `${output[j]}, `;
          line += padStart ? cell.padStart(maxLineLength[j - i]) : cell.padEnd(maxLineLength[j - i]);
        }
        line += padStart ? output[j].padStart(maxLineLength[j - i] - separatorSpace) : output[j];
        grouped.push(line);
      }
      if (ctx.extraItems) grouped.push(output[outputLength]);
      return grouped;
    }
    return output;
  }

  function reduceToSingleString(ctx, output, base, braces, isArray, recurseTimes, value) {
    const entries = output.length;
    if (isArray && entries > 6) output = groupArrayElements(ctx, output, value);
    if (ctx.currentDepth - recurseTimes < kCompact && entries === output.length) {
      const start = output.length + ctx.indentationLvl + braces[0].length + base.length + 10;
      if (isBelowBreakLength(ctx, output, start, base)) {
        const joined = output.join(", ");
        if (!joined.includes("\n")) {
          return `${base ? `${base} ` : ""}${braces[0]} ${joined} ${braces[1]}`;
        }
      }
    }
    const indentation = `\n${" ".repeat(ctx.indentationLvl)}`;
    return `${base ? `${base} ` : ""}${braces[0]}${indentation}  ${output.join(`,${indentation}  `)}${indentation}${braces[1]}`;
  }

  function formatChild(ctx, value, recurseTimes) {
    ctx.indentationLvl += 2;
    const text = formatValue(ctx, value, recurseTimes);
    ctx.indentationLvl -= 2;
    return text;
  }

  function formatProperty(ctx, object, key, recurseTimes) {
    const descriptor = Object.getOwnPropertyDescriptor(object, key) || { value: object[key] };
    let text;
    if ("value" in descriptor) text = formatChild(ctx, descriptor.value, recurseTimes);
    else if (descriptor.get) text = descriptor.set ? "[Getter/Setter]" : "[Getter]";
    else text = descriptor.set ? "[Setter]" : "undefined";
    return `${formatKey(key)}: ${text}`;
  }

  function ownKeys(value, skipIndices) {
    const keys = Object.keys(value).filter((k) => !(skipIndices && /^(0|[1-9]\d*)$/.test(k)));
    for (const symbol of Object.getOwnPropertySymbols(value)) {
      if (Object.prototype.propertyIsEnumerable.call(value, symbol)) keys.push(symbol);
    }
    return keys;
  }

  function formatValue(ctx, value, recurseTimes) {
    if (value === null || (typeof value !== "object" && typeof value !== "function")) {
      return formatPrimitive(value);
    }
    if (ctx.seen.includes(value)) {
      let index = ctx.circular.get(value);
      if (index === undefined) {
        index = ctx.circular.size + 1;
        ctx.circular.set(value, index);
      }
      return `[Circular *${index}]`;
    }
    const result = formatRaw(ctx, value, recurseTimes);
    const index = ctx.circular.get(value);
    return index !== undefined ? `<ref *${index}> ${result}` : result;
  }

  function formatRaw(ctx, value, recurseTimes) {
    const name = constructorName(value);
    let base = "";
    let braces;
    let isArray = false;
    let keys;
    let formatEntries;
    ctx.extraItems = false;
    if (Array.isArray(value)) {
      isArray = true;
      const prefix = name !== "Array" && name !== null ? `${name}(${value.length}) ` : "";
      braces = [`${prefix}[`, "]"];
      keys = ownKeys(value, true);
      if (value.length === 0 && keys.length === 0) return `${braces[0]}]`;
      formatEntries = () => {
        const output = [];
        const shown = Math.min(value.length, kMaxArrayLength);
        for (let i = 0; i < shown; i++) {
          output.push(i in value ? formatChild(ctx, value[i], recurseTimes) : "<1 empty item>");
        }
        if (value.length > shown) {
          const more = value.length - shown;
          output.push(`... ${more} more item${more > 1 ? "s" : ""}`);
        }
        return output;
      };
    } else if (value instanceof Buffer) {
      const hex = Array.from(value.subarray(0, 50), (b) => b.toString(16).padStart(2, "0")).join(" ");
      const more = value.length > 50 ? ` ... ${value.length - 50} more byte${value.length - 50 > 1 ? "s" : ""}` : "";
      return `<Buffer${hex ? " " : ""}${hex}${more}>`;
    } else if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
      isArray = true;
      braces = [`${name}(${value.length}) [`, "]"];
      keys = [];
      if (value.length === 0) return `${braces[0]}]`;
      formatEntries = () => Array.from(value.slice(0, kMaxArrayLength), (v) => formatPrimitive(v));
    } else if (value instanceof Map) {
      braces = [`${name}(${value.size}) {`, "}"];
      keys = ownKeys(value);
      if (value.size === 0 && keys.length === 0) return `${braces[0]}}`;
      formatEntries = () => [...value].map(([k, v]) =>
        `${formatChild(ctx, k, recurseTimes)} => ${formatChild(ctx, v, recurseTimes)}`);
    } else if (value instanceof Set) {
      braces = [`${name}(${value.size}) {`, "}"];
      keys = ownKeys(value);
      if (value.size === 0 && keys.length === 0) return `${braces[0]}}`;
      formatEntries = () => [...value].map((v) => formatChild(ctx, v, recurseTimes));
    } else {
      keys = ownKeys(value);
      if (typeof value === "function") {
        base = functionBase(value);
        if (keys.length === 0) return base;
      } else if (value instanceof Error) {
        base = errorText(value);
        keys = keys.filter((k) => k !== "stack" && k !== "message");
        if (keys.length === 0) return base;
      } else if (value instanceof RegExp) {
        base = RegExp.prototype.toString.call(value);
        if (keys.length === 0) return base;
      } else if (value instanceof Date) {
        base = Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString();
        if (keys.length === 0) return base;
      } else if (value instanceof Promise) {
        return "Promise { <pending> }";
      } else if (value instanceof Number || value instanceof String || value instanceof Boolean) {
        base = `[${name}: ${formatPrimitive(value.valueOf())}]`;
        if (keys.length === 0) return base;
      }
      const prefix = name === null ? "[Object: null prototype] " : name !== "Object" && !base ? `${name} ` : "";
      braces = [`${prefix}{`, "}"];
      if (keys.length === 0) return `${prefix}{}`;
      formatEntries = () => [];
    }
    if (recurseTimes > ctx.depth) {
      return isArray ? "[Array]" : `[${name === null ? "Object: null prototype" : name}]`;
    }
    recurseTimes += 1;
    ctx.seen.push(value);
    ctx.currentDepth = recurseTimes;
    const output = formatEntries();
    const extraItems = isArray && value.length > kMaxArrayLength;
    for (const key of keys) output.push(formatProperty(ctx, value, key, recurseTimes));
    ctx.seen.pop();
    ctx.extraItems = extraItems;
    return reduceToSingleString(ctx, output, base, braces, isArray, recurseTimes, value);
  }

  function inspect(value, options) {
    const depth = options && options.depth !== undefined ? (options.depth === null ? Infinity : options.depth) : 2;
    const ctx = { depth, seen: [], circular: new Map(), indentationLvl: 0, currentDepth: 0, extraItems: false };
    return formatValue(ctx, value, 0);
  }
  inspect.custom = Symbol.for("nodejs.util.inspect.custom");

  function format(...args) {
    let out = "";
    let index = 0;
    if (typeof args[0] === "string") {
      const template = args[0];
      index = 1;
      let last = 0;
      for (let i = 0; i < template.length - 1; i++) {
        if (template[i] !== "%") continue;
        const spec = template[i + 1];
        let piece;
        if (spec === "%") piece = "%";
        else if (index >= args.length) continue;
        else if (spec === "s") {
          const arg = args[index++];
          piece = typeof arg === "string" ? arg : typeof arg === "bigint" ? `${arg}n`
            : typeof arg === "object" && arg !== null ? inspect(arg, { depth: 0 }) : String(arg);
        } else if (spec === "d" || spec === "i") {
          const arg = args[index++];
          piece = typeof arg === "bigint" ? `${arg}n` : typeof arg === "symbol" ? "NaN"
            : String(spec === "i" ? Math.trunc(Number(arg)) : Number(arg));
        } else if (spec === "f") piece = String(parseFloat(args[index++]));
        else if (spec === "j") {
          try { piece = JSON.stringify(args[index++]); } catch { piece = "[Circular]"; }
        } else if (spec === "o") piece = inspect(args[index++], { depth: 4 });
        else if (spec === "O") piece = inspect(args[index++]);
        else if (spec === "c") { index++; piece = ""; }
        else continue;
        out += template.slice(last, i) + piece;
        last = i + 2;
        i++;
      }
      out += template.slice(last);
    }
    for (; index < args.length; index++) {
      const arg = args[index];
      out += (out === "" && index === 0 ? "" : " ") + (typeof arg === "string" ? arg : inspect(arg));
    }
    return out;
  }

  // ---- output streams and console ---------------------------------------

  function writer(file) {
    return {
      write(chunk, encoding, callback) {
        file.puts(typeof chunk === "string" ? chunk : bytesToString(chunk));
        file.flush();
        const done = typeof encoding === "function" ? encoding : callback;
        if (done) queueMicrotask(done);
        return true;
      },
      isTTY: false,
      columns: 80,
      on() { return this; },
      once() { return this; },
      end() {},
    };
  }
  const stdout = writer(std.out);
  const stderr = writer(std.err);

  let groupIndent = "";
  function print(stream, args) {
    let text = format(...args);
    if (groupIndent) text = text.split("\n").map((line) => groupIndent + line).join("\n");
    stream.write(text + "\n");
  }

  const counts = new Map();
  const timers = new Map();
  const console = {
    log: (...args) => print(stdout, args),
    info: (...args) => print(stdout, args),
    debug: (...args) => print(stdout, args),
    error: (...args) => print(stderr, args),
    warn: (...args) => print(stderr, args),
    trace: (...args) => print(stderr, [`Trace: ${format(...args)}\n${new Error().stack.trimEnd()}`]),
    dir: (value, options) => print(stdout, [inspect(value, options)]),
    assert(condition, ...args) {
      if (!condition) print(stderr, args.length ? [`Assertion failed: ${format(...args)}`] : ["Assertion failed"]);
    },
    count(label = "default") {
      const n = (counts.get(label) || 0) + 1;
      counts.set(label, n);
      print(stdout, [`${label}: ${n}`]);
    },
    countReset(label = "default") { counts.delete(label); },
    time(label = "default") { timers.set(label, Date.now()); },
    timeEnd(label = "default") {
      const started = timers.get(label);
      if (started !== undefined) print(stdout, [`${label}: ${(Date.now() - started).toFixed(3)}ms`]);
      timers.delete(label);
    },
    timeLog(label = "default", ...args) {
      const started = timers.get(label);
      if (started !== undefined) print(stdout, [`${label}: ${(Date.now() - started).toFixed(3)}ms`, ...args]);
    },
    group(...args) { if (args.length) print(stdout, args); groupIndent += "  "; },
    groupEnd() { groupIndent = groupIndent.slice(2); },
    table(data, columns) { print(stdout, [table(data, columns)]); },
  };
  console.groupCollapsed = console.group;

  function table(data, columns) {
    if (data === null || typeof data !== "object") return format(data);
    const rowKeys = data instanceof Map ? [...data.keys()] : Object.keys(data);
    const rows = data instanceof Map ? [...data.values()] : rowKeys.map((k) => data[k]);
    const header = [data instanceof Map ? "(iteration index)" : "(index)"];
    const columnKeys = [];
    let hasValues = false;
    for (const row of rows) {
      if (row !== null && typeof row === "object") {
        for (const key of Object.keys(row)) if (!columnKeys.includes(key)) columnKeys.push(key);
      } else hasValues = true;
    }
    const shownColumns = columns || columnKeys;
    header.push(...shownColumns);
    if (hasValues) header.push("Values");
    const cell = (v) => (v === undefined ? "" : formatValue({ depth: 0, seen: [], circular: new Map(), indentationLvl: 0, currentDepth: 0 }, v, 1));
    const body = rows.map((row, i) => {
      const line = [String(rowKeys[i])];
      const isObject = row !== null && typeof row === "object";
      for (const key of shownColumns) line.push(isObject && key in row ? cell(row[key]) : "");
      if (hasValues) line.push(isObject ? "" : cell(row));
      return line;
    });
    const widths = header.map((h, c) => Math.max(h.length, ...body.map((line) => line[c].length)) + 2);
    const pad = (text, width) => ` ${text}${" ".repeat(width - text.length - 1)}`;
    const rule = (l, m, r) => l + widths.map((w) => "─".repeat(w)).join(m) + r;
    const line = (cells) => "│" + cells.map((c, i) => pad(c, widths[i])).join("│") + "│";
    return [rule("┌", "┬", "┐"), line(header), rule("├", "┼", "┤"), ...body.map(line), rule("└", "┴", "┘")].join("\n");
  }

  // ---- bytes --------------------------------------------------------------

  function stringToBytes(text) {
    const bytes = [];
    for (const ch of text) {
      let code = ch.codePointAt(0);
      if (code < 0x80) bytes.push(code);
      else if (code < 0x800) bytes.push(0xc0 | (code >> 6), 0x80 | (code & 63));
      else if (code < 0x10000) bytes.push(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 63), 0x80 | (code & 63));
      else bytes.push(0xf0 | (code >> 18), 0x80 | ((code >> 12) & 63), 0x80 | ((code >> 6) & 63), 0x80 | (code & 63));
    }
    return Buffer.from(bytes);
  }

  function bytesToString(bytes) {
    const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes.buffer || bytes);
    let out = "";
    for (let i = 0; i < view.length;) {
      const b = view[i];
      let code = 0xfffd;
      let size = 1;
      if (b < 0x80) code = b;
      else if (b >= 0xc0 && b < 0xe0 && i + 1 < view.length) { code = ((b & 31) << 6) | (view[i + 1] & 63); size = 2; }
      else if (b >= 0xe0 && b < 0xf0 && i + 2 < view.length) { code = ((b & 15) << 12) | ((view[i + 1] & 63) << 6) | (view[i + 2] & 63); size = 3; }
      else if (b >= 0xf0 && i + 3 < view.length) { code = ((b & 7) << 18) | ((view[i + 1] & 63) << 12) | ((view[i + 2] & 63) << 6) | (view[i + 3] & 63); size = 4; }
      out += String.fromCodePoint(code);
      i += size;
    }
    return out;
  }

  const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  function toBase64(bytes, url) {
    let out = "";
    for (let i = 0; i < bytes.length; i += 3) {
      const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
      out += BASE64[(n >> 18) & 63] + BASE64[(n >> 12) & 63];
      out += i + 1 < bytes.length ? BASE64[(n >> 6) & 63] : "=";
      out += i + 2 < bytes.length ? BASE64[n & 63] : "=";
    }
    return url ? out.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "") : out;
  }
  function fromBase64(text) {
    const clean = String(text).replace(/-/g, "+").replace(/_/g, "/").replace(/[^A-Za-z0-9+/]/g, "");
    const out = [];
    let bits = 0;
    let value = 0;
    for (const c of clean) {
      value = (value << 6) | BASE64.indexOf(c);
      bits += 6;
      if (bits >= 8) { bits -= 8; out.push((value >> bits) & 255); }
    }
    return out;
  }
  function encodeString(text, encoding = "utf8") {
    switch (String(encoding).toLowerCase()) {
      case "utf8": case "utf-8": return stringToBytes(text);
      case "hex": return Array.from(text.match(/../g) || [], (h) => parseInt(h, 16)).filter((n) => !Number.isNaN(n));
      case "base64": case "base64url": return fromBase64(text);
      case "latin1": case "binary": case "ascii": return Array.from(text, (c) => c.charCodeAt(0) & 255);
      case "utf16le": case "ucs2": case "ucs-2": case "utf-16le":
        return Array.from(text).flatMap((c) => { const n = c.charCodeAt(0); return [n & 255, n >> 8]; });
      default: throw new TypeError(`Unknown encoding: ${encoding}`);
    }
  }

  class Buffer extends Uint8Array {
    static from(value, encoding) {
      if (typeof value === "string") {
        const bytes = encodeString(value, encoding);
        const buffer = new Buffer(bytes.length);
        buffer.set(bytes);
        return buffer;
      }
      if (value instanceof ArrayBuffer) return new Buffer(value.slice(0));
      const buffer = new Buffer(value.length ?? value.byteLength);
      buffer.set(value);
      return buffer;
    }
    static alloc(size, fill = 0) { return new Buffer(size).fill(typeof fill === "string" ? fill.charCodeAt(0) : fill); }
    static allocUnsafe(size) { return new Buffer(size); }
    static isBuffer(value) { return value instanceof Buffer; }
    static isEncoding(encoding) { try { encodeString("", encoding); return true; } catch { return false; } }
    static byteLength(value, encoding) {
      return typeof value === "string" ? encodeString(value, encoding).length : value.byteLength;
    }
    static concat(list, total) {
      const out = new Buffer(total ?? list.reduce((n, b) => n + b.length, 0));
      let offset = 0;
      for (const b of list) { if (offset >= out.length) break; out.set(b.subarray(0, out.length - offset), offset); offset += b.length; }
      return out;
    }
    static compare(a, b) { return a.compare(b); }
    toString(encoding = "utf8", start = 0, end = this.length) {
      const bytes = this.subarray(start, end);
      switch (String(encoding).toLowerCase()) {
        case "utf8": case "utf-8": return bytesToString(bytes);
        case "hex": return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
        case "base64": return toBase64(bytes, false);
        case "base64url": return toBase64(bytes, true);
        case "latin1": case "binary": return Array.from(bytes, (b) => String.fromCharCode(b)).join("");
        case "ascii": return Array.from(bytes, (b) => String.fromCharCode(b & 127)).join("");
        case "utf16le": case "ucs2": case "ucs-2": case "utf-16le": {
          let out = "";
          for (let i = 0; i + 1 < bytes.length; i += 2) out += String.fromCharCode(bytes[i] | (bytes[i + 1] << 8));
          return out;
        }
        default: throw new TypeError(`Unknown encoding: ${encoding}`);
      }
    }
    toJSON() { return { type: "Buffer", data: Array.from(this) }; }
    equals(other) { return this.length === other.length && this.every((b, i) => b === other[i]); }
    compare(other) {
      for (let i = 0; i < Math.min(this.length, other.length); i++) if (this[i] !== other[i]) return this[i] < other[i] ? -1 : 1;
      return Math.sign(this.length - other.length);
    }
    slice(start, end) { return this.subarray(start, end); }
    write(text, offset = 0, encoding = "utf8") { const bytes = encodeString(text, encoding).slice(0, this.length - offset); this.set(bytes, offset); return bytes.length; }
    readUInt8(offset = 0) { return this[offset]; }
    readUInt16BE(offset = 0) { return (this[offset] << 8) | this[offset + 1]; }
    readUInt32BE(offset = 0) { return new DataView(this.buffer, this.byteOffset).getUint32(offset); }
    readInt32LE(offset = 0) { return new DataView(this.buffer, this.byteOffset).getInt32(offset, true); }
  }

  // ---- crypto ---------------------------------------------------------------

  const web = globalThis.__polyrun_web;
  const toBytes = (data, encoding) => (typeof data === "string" ? Uint8Array.from(encodeString(data, encoding ?? "utf8")) : new Uint8Array(data.buffer ?? data, data.byteOffset ?? 0, data.byteLength));
  function digestAs(bytes, encoding) { const out = Buffer.from(bytes); return encoding ? out.toString(encoding) : out; }
  function hashOf(algorithm) {
    const found = web.HASHES[String(algorithm).toLowerCase().replace(/-/g, "")];
    if (!found) throw new Error(`Digest method not supported`);
    return found;
  }
  class Hash {
    constructor(algorithm) { this._hash = hashOf(algorithm); this._parts = []; this._done = false; }
    update(data, encoding) {
      if (this._done) throw new Error("Digest already called");
      this._parts.push(toBytes(data, encoding));
      return this;
    }
    _bytes() { return Buffer.concat(this._parts); }
    digest(encoding) { this._done = true; return digestAs(this._hash[0](this._bytes()), encoding); }
    copy() { const h = new Hash("md5"); h._hash = this._hash; h._parts = [...this._parts]; return h; }
  }
  class Hmac extends Hash {
    constructor(algorithm, key) { super(algorithm); this._key = toBytes(key); }
    digest(encoding) {
      this._done = true;
      const [hash, block] = this._hash;
      const key = this._key.length > block ? hash(this._key) : this._key;
      const padded = new Uint8Array(block);
      padded.set(key);
      const inner = Buffer.concat([padded.map((b) => b ^ 0x36), this._bytes()]);
      const outer = Buffer.concat([padded.map((b) => b ^ 0x5c), hash(inner)]);
      return digestAs(hash(outer), encoding);
    }
  }
  function randomInt(min, max, callback) {
    if (max === undefined || typeof max === "function") { callback = max; max = min; min = 0; }
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || max <= min) {
      throw new RangeError(`The value of "max" is out of range. It must be greater than the value of "min" (${min}). Received ${max}`);
    }
    const range = max - min;
    const limit = Math.floor(2 ** 48 / range) * range;
    let value;
    do { value = Array.from(web.randomBytes(6)).reduce((n, b) => n * 256 + b, 0); } while (value >= limit);
    const result = min + (value % range);
    if (callback) { setTimeout(() => callback(null, result), 0); return undefined; }
    return result;
  }
  const nodeCrypto = {
    createHash: (algorithm) => new Hash(algorithm),
    createHmac: (algorithm, key) => new Hmac(algorithm, key),
    randomBytes: (size, callback) => {
      const bytes = Buffer.from(web.randomBytes(size));
      if (callback) { setTimeout(() => callback(null, bytes), 0); return undefined; }
      return bytes;
    },
    randomInt,
    randomUUID: web.randomUUID,
    getRandomValues: web.getRandomValues,
    timingSafeEqual: (a, b) => {
      if (a.length !== b.length) throw new RangeError("Input buffers must have the same byte length");
      let diff = 0;
      for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
      return diff === 0;
    },
    getHashes: () => Object.keys(web.HASHES),
    webcrypto: globalThis.crypto,
  };

  // ---- process --------------------------------------------------------------

  // Filled in by `start` below, when a run begins.
  const argv = [];
  let startTime = Date.now();
  const nextTicks = [];
  let drainingTicks = false;
  function drainTicks() {
    while (nextTicks.length) {
      const [fn, args] = nextTicks.shift();
      fn(...args);
    }
    drainingTicks = false;
  }

  const process = {
    argv,
    argv0: "node",
    execArgv: [],
    execPath: "/usr/local/bin/node",
    env: {},
    platform: "linux",
    arch: "wasm32",
    pid: 1,
    ppid: 0,
    title: "node",
    version: "v20.0.0",
    versions: { node: "20.0.0", quickjs: "0.16.2" },
    release: { name: "node" },
    exitCode: undefined,
    stdout,
    stderr,
    cwd: () => os.getcwd()[0] || "/",
    chdir(directory) {
      const errno = os.chdir(String(directory));
      if (errno) {
        const error = new Error(`ENOENT: no such file or directory, chdir '${directory}'`);
        error.code = "ENOENT";
        throw error;
      }
    },
    exit(code) {
      const status = code === undefined ? (process.exitCode ?? 0) : code;
      emitter.emit.call(process, "exit", status);
      std.out.flush();
      std.err.flush();
      std.exit(Number(status) | 0);
    },
    nextTick(fn, ...args) {
      nextTicks.push([fn, args]);
      if (!drainingTicks) { drainingTicks = true; queueMicrotask(drainTicks); }
    },
    hrtime: Object.assign((previous) => {
      const now = os.now();
      const seconds = Math.floor(now / 1000);
      const nanos = Math.floor((now % 1000) * 1e6);
      if (!previous) return [seconds, nanos];
      let ds = seconds - previous[0];
      let dn = nanos - previous[1];
      if (dn < 0) { ds -= 1; dn += 1e9; }
      return [ds, dn];
    }, { bigint: () => BigInt(Math.floor(os.now() * 1e6)) }),
    uptime: () => (Date.now() - startTime) / 1000,
    memoryUsage: Object.assign(() => ({ rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 }), { rss: () => 0 }),
    cpuUsage: () => ({ user: 0, system: 0 }),
    umask: () => 0o22,
    emitWarning: (warning) => print(stderr, [`(node) Warning: ${warning}`]),
  };

  // ---- events ---------------------------------------------------------------

  class EventEmitter {
    constructor() { this._events = new Map(); this._maxListeners = 10; }
    _list(name) {
      if (!this._events) this._events = new Map();
      if (!this._events.has(name)) this._events.set(name, []);
      return this._events.get(name);
    }
    on(name, listener) { this.emit("newListener", name, listener); this._list(name).push({ listener, once: false }); return this; }
    addListener(name, listener) { return this.on(name, listener); }
    prependListener(name, listener) { this._list(name).unshift({ listener, once: false }); return this; }
    once(name, listener) { this._list(name).push({ listener, once: true }); return this; }
    off(name, listener) {
      const list = this._list(name);
      const index = list.findIndex((e) => e.listener === listener);
      if (index >= 0) list.splice(index, 1);
      return this;
    }
    removeListener(name, listener) { return this.off(name, listener); }
    removeAllListeners(name) { if (name === undefined) this._events = new Map(); else this._events.delete(name); return this; }
    emit(name, ...args) {
      const list = this._events ? this._events.get(name) : undefined;
      if (!list || list.length === 0) {
        if (name === "error") throw args[0] instanceof Error ? args[0] : new Error(`Unhandled error. (${inspect(args[0])})`);
        return false;
      }
      for (const entry of [...list]) {
        if (entry.once) this.off(name, entry.listener);
        entry.listener.apply(this, args);
      }
      return true;
    }
    listenerCount(name) { return this._events && this._events.has(name) ? this._events.get(name).length : 0; }
    listeners(name) { return this._events && this._events.has(name) ? this._events.get(name).map((e) => e.listener) : []; }
    eventNames() { return this._events ? [...this._events.keys()].filter((k) => this._events.get(k).length) : []; }
    setMaxListeners(n) { this._maxListeners = n; return this; }
    getMaxListeners() { return this._maxListeners; }
  }
  EventEmitter.EventEmitter = EventEmitter;
  EventEmitter.defaultMaxListeners = 10;
  EventEmitter.once = (emitter, name) => new Promise((resolve) => emitter.once(name, (...args) => resolve(args)));
  const emitter = EventEmitter.prototype;
  Object.setPrototypeOf(process, EventEmitter.prototype);

  // ---- stdin: read line by line, so interactive programs see each line ----

  function readStdinLine() {
    const line = std.in.getline();
    return line === null ? null : line;
  }

  const stdin = Object.assign(new EventEmitter(), {
    isTTY: false,
    fd: 0,
    _flowing: false,
    setEncoding() { return this; },
    resume() { this._startFlowing(); return this; },
    pause() { return this; },
    _startFlowing() {
      if (this._flowing) return;
      this._flowing = true;
      const pump = () => {
        const line = readStdinLine();
        if (line === null) {
          this.emit("end");
          this.emit("close");
          return;
        }
        this.emit("data", line + "\n");
        os.setTimeout(pump, 0);
      };
      os.setTimeout(pump, 0);
    },
    [Symbol.asyncIterator]() {
      let done = false;
      return {
        next: async () => {
          if (done) return { done: true, value: undefined };
          const line = readStdinLine();
          if (line === null) { done = true; return { done: true, value: undefined }; }
          return { done: false, value: line + "\n" };
        },
      };
    },
  });
  const stdinOn = stdin.on;
  stdin.on = function (name, listener) {
    stdinOn.call(this, name, listener);
    if (name === "data" || name === "readable" || name === "end") this._startFlowing();
    return this;
  };
  process.stdin = stdin;

  // ---- timers ---------------------------------------------------------------

  class Timeout {
    constructor(handle, repeat) { this._handle = handle; this._repeat = repeat; }
    ref() { return this; }
    unref() { return this; }
    hasRef() { return true; }
    refresh() { return this; }
    [Symbol.toPrimitive]() { return 0; }
  }

  function setTimeout(callback, delay = 0, ...args) {
    const timer = new Timeout(null, false);
    timer._handle = os.setTimeout(() => callback(...args), Math.max(1, Number(delay) || 0));
    return timer;
  }
  function setInterval(callback, delay = 0, ...args) {
    const timer = new Timeout(null, true);
    const period = Math.max(1, Number(delay) || 0);
    const tick = () => {
      timer._handle = os.setTimeout(tick, period);
      callback(...args);
    };
    timer._handle = os.setTimeout(tick, period);
    return timer;
  }
  function clearTimer(timer) {
    if (timer && timer._handle !== null && timer._handle !== undefined) {
      os.clearTimeout(timer._handle);
      timer._handle = null;
    }
  }

  // Immediates run after the timers that are already due, in one batch.
  let immediates = [];
  function setImmediate(callback, ...args) {
    const entry = { callback, args, cleared: false };
    if (immediates.length === 0) {
      os.setTimeout(() => {
        const batch = immediates;
        immediates = [];
        for (const e of batch) if (!e.cleared) e.callback(...e.args);
      }, 1);
    }
    immediates.push(entry);
    return entry;
  }
  function clearImmediate(entry) { if (entry) entry.cleared = true; }

  // ---- path (POSIX) ---------------------------------------------------------

  function normalizeParts(parts, absolute) {
    const out = [];
    for (const part of parts) {
      if (part === "" || part === ".") continue;
      if (part === "..") {
        if (out.length && out[out.length - 1] !== "..") out.pop();
        else if (!absolute) out.push("..");
      } else out.push(part);
    }
    return out;
  }
  const path = {
    sep: "/",
    delimiter: ":",
    normalize(p) {
      if (p === "") return ".";
      const absolute = p.startsWith("/");
      const trailing = p.endsWith("/");
      let out = normalizeParts(p.split("/"), absolute).join("/");
      if (!out && !absolute) out = ".";
      if (out && trailing) out += "/";
      return (absolute ? "/" : "") + out;
    },
    join(...parts) { const joined = parts.filter((p) => p !== "").join("/"); return joined ? path.normalize(joined) : "."; },
    resolve(...parts) {
      let resolved = "";
      for (let i = parts.length - 1; i >= -1 && !resolved.startsWith("/"); i--) {
        const part = i >= 0 ? parts[i] : process.cwd();
        if (part) resolved = resolved ? `${part}/${resolved}` : part;
      }
      const out = "/" + normalizeParts(resolved.split("/"), true).join("/");
      return out;
    },
    isAbsolute: (p) => p.startsWith("/"),
    dirname(p) {
      if (!p) return ".";
      const trimmed = p.replace(/\/+$/, "") || "/";
      const index = trimmed.lastIndexOf("/");
      if (index < 0) return ".";
      return index === 0 ? "/" : trimmed.slice(0, index);
    },
    basename(p, ext) {
      let base = p.replace(/\/+$/, "");
      base = base.slice(base.lastIndexOf("/") + 1);
      if (ext && base.endsWith(ext) && base !== ext) base = base.slice(0, -ext.length);
      return base;
    },
    extname(p) {
      const base = path.basename(p);
      const index = base.lastIndexOf(".");
      return index <= 0 ? "" : base.slice(index);
    },
    relative(from, to) {
      const a = path.resolve(from).split("/").filter(Boolean);
      const b = path.resolve(to).split("/").filter(Boolean);
      let i = 0;
      while (i < a.length && i < b.length && a[i] === b[i]) i++;
      return [...Array(a.length - i).fill(".."), ...b.slice(i)].join("/");
    },
    parse(p) {
      const root = p.startsWith("/") ? "/" : "";
      const base = path.basename(p);
      const ext = path.extname(p);
      const dir = p.includes("/") ? path.dirname(p) : "";
      return { root, dir, base, ext, name: ext ? base.slice(0, -ext.length) : base };
    },
    format(o) {
      const dir = o.dir || o.root || "";
      const base = o.base || `${o.name || ""}${o.ext || ""}`;
      return dir ? (dir.endsWith("/") ? dir + base : `${dir}/${base}`) : base;
    },
  };
  path.posix = path;

  // ---- fs -------------------------------------------------------------------

  // wasi-libc's errno values, as QuickJS's os functions return them.
  const ENOENT = 44;
  const EISDIR = 31;
  const errnoNames = { 2: "EACCES", 20: "EEXIST", 28: "EINVAL", 31: "EISDIR", 44: "ENOENT", 54: "ENOTDIR", 55: "ENOTEMPTY", 63: "EPERM", 76: "EACCES" };
  function fsError(errno, syscall, target) {
    const code = errnoNames[Math.abs(errno)] || "EIO";
    const messages = { ENOENT: "no such file or directory", EEXIST: "file already exists", ENOTDIR: "not a directory", EISDIR: "illegal operation on a directory", ENOTEMPTY: "directory not empty", EACCES: "permission denied", EPERM: "operation not permitted" };
    const error = new Error(`${code}: ${messages[code] || "i/o error"}, ${syscall} '${target}'`);
    error.errno = -Math.abs(errno);
    error.code = code;
    error.syscall = syscall;
    error.path = target;
    return error;
  }
  function encodingOf(options) { return typeof options === "string" ? options : options && options.encoding; }
  function isStdin(target) { return target === 0 || target === "/dev/stdin"; }

  function readAllStdin() {
    const text = std.in.readAsString();
    return text === null ? "" : text;
  }

  class Stats {
    constructor(st) {
      Object.assign(this, { dev: st.dev, ino: st.ino, mode: st.mode, nlink: st.nlink, uid: st.uid, gid: st.gid, size: st.size, blocks: st.blocks });
      this.atimeMs = st.atime; this.mtimeMs = st.mtime; this.ctimeMs = st.ctime;
      this.atime = new Date(st.atime); this.mtime = new Date(st.mtime); this.ctime = new Date(st.ctime); this.birthtime = new Date(st.ctime);
    }
    isFile() { return (this.mode & os.S_IFMT) === os.S_IFREG; }
    isDirectory() { return (this.mode & os.S_IFMT) === os.S_IFDIR; }
    isSymbolicLink() { return (this.mode & os.S_IFMT) === os.S_IFLNK; }
  }

  const fs = {
    readFileSync(target, options) {
      const encoding = encodingOf(options);
      if (isStdin(target)) {
        const text = readAllStdin();
        return encoding ? text : stringToBytes(text);
      }
      const data = std.loadFile(String(target), { binary: true });
      if (data === null) throw fsError(fs._statErrno(target, ENOENT), "open", target);
      const bytes = Buffer.from(data instanceof ArrayBuffer ? new Uint8Array(data) : data);
      return encoding ? bytes.toString(encoding) : bytes;
    },
    _statErrno(target, fallback) {
      const [, err] = os.stat(String(target));
      return err || fallback;
    },
    writeFileSync(target, data, options) {
      fs._write(target, data, options && options.flag === "a" ? "a" : "w");
    },
    appendFileSync(target, data) { fs._write(target, data, "a"); },
    _write(target, data, mode) {
      if (target === 1 || target === "/dev/stdout") return stdout.write(data);
      if (target === 2 || target === "/dev/stderr") return stderr.write(data);
      const file = std.open(String(target), mode);
      if (!file) throw fsError(fs._statErrno(path.dirname(String(target)), ENOENT) || ENOENT, "open", target);
      if (typeof data === "string") file.puts(data);
      else file.write((data.buffer || data), data.byteOffset || 0, data.byteLength ?? data.length);
      file.close();
    },
    existsSync(target) { return os.stat(String(target))[1] === 0; },
    statSync(target, options) {
      const [st, err] = os.stat(String(target));
      if (err) { if (options && options.throwIfNoEntry === false) return undefined; throw fsError(err, "stat", target); }
      return new Stats(st);
    },
    lstatSync(target) {
      const [st, err] = lstat(String(target));
      if (err) throw fsError(err, "lstat", target);
      return new Stats(st);
    },
    readdirSync(target, options) {
      const [entries, err] = os.readdir(String(target));
      if (err) throw fsError(err, "scandir", target);
      const names = entries.filter((e) => e !== "." && e !== "..").sort();
      if (options && options.withFileTypes) {
        return names.map((name) => {
          const stats = fs.lstatSync(path.join(String(target), name));
          return { name, isFile: () => stats.isFile(), isDirectory: () => stats.isDirectory(), isSymbolicLink: () => stats.isSymbolicLink() };
        });
      }
      return names;
    },
    mkdirSync(target, options) {
      const recursive = options && (options === true || options.recursive);
      if (recursive) {
        let current = target.startsWith("/") ? "" : ".";
        let created;
        for (const part of String(target).split("/").filter(Boolean)) {
          current += "/" + part;
          if (fs.existsSync(current)) continue;
          const err = os.mkdir(current, 0o777);
          if (err) throw fsError(err, "mkdir", target);
          created = created || current;
        }
        return created;
      }
      const err = os.mkdir(String(target), 0o777);
      if (err) throw fsError(err, "mkdir", target);
      return undefined;
    },
    unlinkSync(target) {
      const [st, statErr] = lstat(String(target));
      if (statErr) throw fsError(statErr, "unlink", target);
      if ((st.mode & os.S_IFMT) === os.S_IFDIR) throw fsError(EISDIR, "unlink", target);
      const err = os.remove(String(target));
      if (err) throw fsError(err, "unlink", target);
    },
    rmdirSync(target) {
      const err = os.remove(String(target));
      if (err) throw fsError(err, "rmdir", target);
    },
    rmSync(target, options) {
      const recursive = options && options.recursive;
      const [st, err] = lstat(String(target));
      if (err) { if (options && options.force) return; throw fsError(err, "rm", target); }
      if ((st.mode & os.S_IFMT) === os.S_IFDIR) {
        if (!recursive) throw fsError(EISDIR, "rm", target);
        for (const entry of fs.readdirSync(target)) fs.rmSync(path.join(String(target), entry), options);
      }
      const removed = os.remove(String(target));
      if (removed) throw fsError(removed, "rm", target);
    },
    renameSync(from, to) { const err = os.rename(String(from), String(to)); if (err) throw fsError(err, "rename", from); },
    copyFileSync(from, to) { fs.writeFileSync(to, fs.readFileSync(from)); },
    realpathSync(target) { const [resolved, err] = os.realpath(String(target)); if (err) throw fsError(err, "realpath", target); return resolved; },
    accessSync(target) { if (!fs.existsSync(target)) throw fsError(ENOENT, "access", target); },
    constants: { F_OK: 0, R_OK: 4, W_OK: 2, X_OK: 1 },
  };
  const promised = (fn) => (...args) => new Promise((resolve, reject) => {
    try { resolve(fn(...args)); } catch (error) { reject(error); }
  });
  const fsPromises = {};
  for (const [name, syncName] of [["readFile", "readFileSync"], ["writeFile", "writeFileSync"], ["appendFile", "appendFileSync"],
    ["readdir", "readdirSync"], ["mkdir", "mkdirSync"], ["unlink", "unlinkSync"], ["stat", "statSync"], ["lstat", "lstatSync"],
    ["rm", "rmSync"], ["rmdir", "rmdirSync"], ["rename", "renameSync"], ["copyFile", "copyFileSync"], ["realpath", "realpathSync"],
    ["access", "accessSync"]]) {
    fsPromises[name] = promised(fs[syncName]);
    fs[name] = (...args) => {
      const callback = args.pop();
      try { const result = fs[syncName](...args); queueMicrotask(() => callback(null, result)); } catch (error) { queueMicrotask(() => callback(error)); }
    };
  }
  fsPromises.exists = promised(fs.existsSync);
  fs.promises = fsPromises;

  // ---- util -----------------------------------------------------------------

  const util = {
    inspect,
    format,
    promisify(fn) {
      return (...args) => new Promise((resolve, reject) => fn(...args, (error, value) => (error ? reject(error) : resolve(value))));
    },
    callbackify(fn) {
      return (...args) => { const callback = args.pop(); fn(...args).then((v) => callback(null, v), (e) => callback(e)); };
    },
    isDeepStrictEqual: (a, b) => deepEqual(a, b, true),
    inherits(ctor, superCtor) { Object.setPrototypeOf(ctor.prototype, superCtor.prototype); Object.setPrototypeOf(ctor, superCtor); },
    deprecate: (fn) => fn,
    types: {
      isPromise: (v) => v instanceof Promise,
      isDate: (v) => v instanceof Date,
      isRegExp: (v) => v instanceof RegExp,
      isMap: (v) => v instanceof Map,
      isSet: (v) => v instanceof Set,
    },
    TextEncoder: globalThis.TextEncoder,
    TextDecoder: globalThis.TextDecoder,
  };

  // ---- assert ---------------------------------------------------------------

  function deepEqual(a, b, strict) {
    if (strict ? Object.is(a, b) : a == b) return true; // eslint-disable-line eqeqeq
    if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
    if (strict && Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
    if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
    if (a instanceof Map && b instanceof Map) {
      if (a.size !== b.size) return false;
      for (const [k, v] of a) if (!b.has(k) || !deepEqual(v, b.get(k), strict)) return false;
      return true;
    }
    if (a instanceof Set && b instanceof Set) {
      if (a.size !== b.size) return false;
      for (const v of a) if (!b.has(v)) return false;
      return true;
    }
    const keysA = Object.keys(a);
    const keysB = Object.keys(b);
    if (keysA.length !== keysB.length) return false;
    return keysA.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k], strict));
  }

  class AssertionError extends Error {
    constructor(options) {
      super(options.message);
      this.name = "AssertionError";
      this.code = "ERR_ASSERTION";
      this.actual = options.actual;
      this.expected = options.expected;
      this.operator = options.operator;
    }
  }
  function fail(actual, expected, message, operator, defaultMessage) {
    if (message instanceof Error) throw message;
    throw new AssertionError({ message: message || defaultMessage, actual, expected, operator });
  }
  function assert(value, message) { if (!value) fail(value, true, message, "==", `The expression evaluated to a falsy value:\n\n  assert(${inspect(value)})\n`); }
  Object.assign(assert, {
    ok: assert,
    AssertionError,
    equal(a, b, m) { if (a != b) fail(a, b, m, "==", `${inspect(a)} == ${inspect(b)}`); }, // eslint-disable-line eqeqeq
    notEqual(a, b, m) { if (a == b) fail(a, b, m, "!=", `${inspect(a)} != ${inspect(b)}`); }, // eslint-disable-line eqeqeq
    strictEqual(a, b, m) { if (!Object.is(a, b)) fail(a, b, m, "strictEqual", `Expected values to be strictly equal:\n\n${inspect(a)} !== ${inspect(b)}\n`); },
    notStrictEqual(a, b, m) { if (Object.is(a, b)) fail(a, b, m, "notStrictEqual", `Expected "actual" to be strictly unequal to: ${inspect(b)}`); },
    deepEqual(a, b, m) { if (!deepEqual(a, b, false)) fail(a, b, m, "deepEqual", `Expected values to be loosely deep-equal:\n\n${inspect(a)}\n\nshould loosely deep-equal\n\n${inspect(b)}`); },
    deepStrictEqual(a, b, m) { if (!deepEqual(a, b, true)) fail(a, b, m, "deepStrictEqual", `Expected values to be strictly deep-equal:\n${inspect(a)}\n\nshould equal\n\n${inspect(b)}`); },
    notDeepStrictEqual(a, b, m) { if (deepEqual(a, b, true)) fail(a, b, m, "notDeepStrictEqual", "Expected \"actual\" not to be strictly deep-equal to \"expected\""); },
    throws(fn, expected, message) {
      try { fn(); } catch (error) {
        if (typeof expected === "function" && expected.prototype !== undefined && !(error instanceof expected)) throw error;
        if (expected instanceof RegExp && !expected.test(String(error && error.message))) fail(error, expected, message, "throws", "The error did not match the regular expression");
        return;
      }
      fail(undefined, expected, typeof expected === "string" ? expected : message, "throws", "Missing expected exception.");
    },
    doesNotThrow(fn, message) { try { fn(); } catch (error) { fail(error, undefined, message, "doesNotThrow", `Got unwanted exception.\nActual message: "${error && error.message}"`); } },
    async rejects(promise, expected, message) {
      try { await (typeof promise === "function" ? promise() : promise); } catch { return; }
      fail(undefined, expected, message, "rejects", "Missing expected rejection.");
    },
    fail(message = "Failed") { fail(undefined, undefined, message, "fail", message); },
    match(text, re, m) { if (!re.test(text)) fail(text, re, m, "match", `The input did not match the regular expression ${re}. Input:\n\n${inspect(text)}\n`); },
  });
  assert.strict = assert;

  // ---- readline -------------------------------------------------------------

  class Interface extends EventEmitter {
    constructor(options) {
      super();
      this.input = options && options.input;
      this.output = options && options.output;
      this.closed = false;
      this._prompt = "> ";
      this._questions = [];
      this._started = false;
      this._lines = null;
      queueMicrotask(() => this._start());
    }
    _start() {
      if (this._started || this.closed) return;
      if (this._lines) return;
      if (this.listenerCount("line") === 0 && this._questions.length === 0 && this.listenerCount("close") === 0) return;
      this._started = true;
      const pump = () => {
        if (this.closed) return;
        const line = readStdinLine();
        if (line === null) { this.close(); return; }
        const question = this._questions.shift();
        if (question) question(line); else this.emit("line", line);
        os.setTimeout(pump, 0);
      };
      os.setTimeout(pump, 0);
    }
    on(name, listener) { super.on(name, listener); if (name === "line" || name === "close") queueMicrotask(() => this._start()); return this; }
    setPrompt(prompt) { this._prompt = prompt; }
    prompt() { stdout.write(this._prompt); }
    question(query, options, callback) {
      const done = typeof options === "function" ? options : callback;
      stdout.write(query);
      this._questions.push(done);
      this._start();
    }
    write(text) { if (text) stdout.write(text); }
    pause() { return this; }
    resume() { return this; }
    close() { if (this.closed) return; this.closed = true; this.emit("close"); }
    [Symbol.asyncIterator]() {
      this._lines = true;
      const self = this;
      return {
        next() {
          if (self.closed) return Promise.resolve({ done: true, value: undefined });
          const line = readStdinLine();
          if (line === null) { self.close(); return Promise.resolve({ done: true, value: undefined }); }
          return Promise.resolve({ done: false, value: line });
        },
        return() { self.close(); return Promise.resolve({ done: true, value: undefined }); },
      };
    }
  }
  const readline = {
    createInterface: (input, output) => new Interface(input && input.input !== undefined ? input : { input, output }),
    Interface,
    promises: {
      createInterface(options) {
        const rl = new Interface(options);
        rl.question = (query) => new Promise((resolve) => Interface.prototype.question.call(rl, query, resolve));
        return rl;
      },
    },
  };

  // ---- os -------------------------------------------------------------------

  const nodeOs = {
    EOL: "\n",
    platform: () => "linux",
    type: () => "Linux",
    arch: () => "wasm32",
    release: () => "polyrun",
    hostname: () => "sandbox",
    homedir: () => "/",
    tmpdir: () => "/tmp",
    endianness: () => "LE",
    uptime: () => process.uptime(),
    cpus: () => [{ model: "wasm32", speed: 0, times: { user: 0, nice: 0, sys: 0, idle: 0, irq: 0 } }],
    availableParallelism: () => 1,
    totalmem: () => 256 * 1024 * 1024,
    freemem: () => 128 * 1024 * 1024,
    loadavg: () => [0, 0, 0],
    networkInterfaces: () => ({}),
    userInfo: () => ({ username: "sandbox", uid: 1000, gid: 1000, shell: null, homedir: "/" }),
  };

  // ---- modules --------------------------------------------------------------

  const unavailable = ["child_process", "net", "http", "https", "worker_threads", "cluster", "dgram", "dns", "tls", "vm", "v8", "zlib", "stream"];
  const builtins = {
    fs, "fs/promises": fsPromises, path, util, os: nodeOs, events: EventEmitter, readline, assert,
    process, buffer: { Buffer }, timers: { setTimeout, setInterval, clearTimeout: clearTimer, clearInterval: clearTimer, setImmediate, clearImmediate },
    url: { URL: globalThis.URL, URLSearchParams: globalThis.URLSearchParams },
    crypto: nodeCrypto,
    // What packages ask before colouring (debug, chalk): process.stdout
    // says it is no TTY, and so does this.
    tty: { isatty: () => false, ReadStream: class ReadStream {}, WriteStream: class WriteStream {} },
  };

  const cache = new Map();
  function resolveFile(request, fromDir) {
    const base = request.startsWith("/") ? request : path.resolve(fromDir, request);
    for (const candidate of [base, `${base}.js`, `${base}.cjs`, `${base}.json`, `${base}/index.js`]) {
      const [st, err] = os.stat(candidate);
      if (!err && (st.mode & os.S_IFMT) === os.S_IFREG) return candidate;
    }
    return null;
  }

  // A bare name (`lodash`, `@scope/pkg/sub`) is a package in the nearest
  // node_modules up from the requiring file, as Node looks for it; inside
  // the package, `exports` (with the require or import condition, node and
  // default) decides, else `main`, else index.js.
  const REQUIRE_CONDITIONS = ["require", "node", "default"];
  const IMPORT_CONDITIONS = ["import", "node", "default"];

  function conditionTarget(entry, conditions) {
    if (typeof entry === "string") return entry;
    if (Array.isArray(entry)) {
      for (const item of entry) {
        const target = conditionTarget(item, conditions);
        if (target) return target;
      }
      return undefined;
    }
    if (entry && typeof entry === "object") {
      for (const [condition, value] of Object.entries(entry)) {
        if (conditions.includes(condition)) {
          const target = conditionTarget(value, conditions);
          if (target) return target;
        }
      }
    }
    return undefined;
  }

  function exportsTarget(exports, subpath, conditions) {
    const keyed = exports && typeof exports === "object" && !Array.isArray(exports) &&
      Object.keys(exports).some((key) => key.startsWith("."));
    if (!keyed) return subpath === "." ? conditionTarget(exports, conditions) : undefined;
    if (Object.prototype.hasOwnProperty.call(exports, subpath)) return conditionTarget(exports[subpath], conditions);
    for (const key of Object.keys(exports)) {
      const star = key.indexOf("*");
      if (star < 0) continue;
      const [before, after] = [key.slice(0, star), key.slice(star + 1)];
      if (subpath.startsWith(before) && subpath.endsWith(after) && subpath.length >= key.length - 1) {
        const target = conditionTarget(exports[key], conditions);
        const matched = subpath.slice(before.length, subpath.length - after.length);
        return target && target.split("*").join(matched);
      }
    }
    return undefined;
  }

  function packageFile(dir, subpath, conditions) {
    let manifest = null;
    try { manifest = JSON.parse(std.loadFile(`${dir}/package.json`)); } catch { manifest = null; }
    if (manifest && manifest.exports !== undefined && manifest.exports !== null) {
      const target = exportsTarget(manifest.exports, subpath, conditions);
      if (!target) {
        const error = new Error(`Package subpath '${subpath}' is not defined by "exports" in ${dir}/package.json`);
        error.code = "ERR_PACKAGE_PATH_NOT_EXPORTED";
        throw error;
      }
      return resolveFile(target, dir);
    }
    if (subpath !== ".") return resolveFile(subpath, dir);
    const main = manifest && typeof manifest.main === "string" ? manifest.main : "index.js";
    return resolveFile(main.startsWith("/") ? main : `./${main}`, dir) || resolveFile("./index.js", dir);
  }

  function resolvePackage(request, fromDir, conditions = REQUIRE_CONDITIONS) {
    const parts = request.split("/");
    const length = request.startsWith("@") ? 2 : 1;
    const name = parts.slice(0, length).join("/");
    const subpath = parts.length > length ? `./${parts.slice(length).join("/")}` : ".";
    for (let dir = fromDir; ; dir = path.dirname(dir)) {
      if (path.basename(dir) !== "node_modules") {
        const candidate = `${dir === "/" ? "" : dir}/node_modules/${name}`;
        const [st, err] = os.stat(candidate);
        if (!err && (st.mode & os.S_IFMT) === os.S_IFDIR) return packageFile(candidate, subpath, conditions);
      }
      if (dir === "/" || dir === "." || dir === "") return null;
    }
  }

  function resolveRequest(request, fromDir) {
    if (request.startsWith(".") || request.startsWith("/")) return resolveFile(request, fromDir);
    return resolvePackage(request, fromDir);
  }

  // `import x from 'pkg'` (see polyrun_node.c): an ES module file as it
  // is; a CommonJS one through a module that requires it and exports its
  // exports, as default and by name, as Node's interop does.
  const RESERVED = new Set(("break case catch class const continue debugger default delete do else enum " +
    "export extends false finally for function if import in instanceof new null return super switch this " +
    "throw true try typeof var void while with yield let static implements interface package private " +
    "protected public await arguments eval").split(" "));

  function isModuleFile(file) {
    if (file.endsWith(".mjs")) return true;
    if (file.endsWith(".cjs") || file.endsWith(".json")) return false;
    for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
      const text = std.loadFile(`${dir}/package.json`);
      if (text !== null) {
        try { return JSON.parse(text).type === "module"; } catch { return false; }
      }
      if (dir === "/" || dir === ".") return false;
    }
  }

  globalThis.__polyrun_import_resolve = (base, name) => {
    const from = path.dirname(base.startsWith("/") ? base : `/${base}`);
    const file = resolvePackage(name, base.startsWith("/.eval/") ? process.cwd() : from, IMPORT_CONDITIONS);
    if (file === null) {
      const error = new Error(`Cannot find package '${name}' imported from ${base}`);
      error.code = "ERR_MODULE_NOT_FOUND";
      throw error;
    }
    return isModuleFile(file) ? file : `/.node/cjs${file}`;
  };

  globalThis.__polyrun_import_cjs = (file) => makeRequire(path.dirname(file))(file);

  globalThis.__polyrun_import_cjs_source = (file) => {
    const exported = globalThis.__polyrun_import_cjs(file);
    const names = exported && (typeof exported === "object" || typeof exported === "function")
      ? Object.keys(exported).filter((name) => /^[A-Za-z_$][\w$]*$/.test(name) && !RESERVED.has(name))
      : [];
    let source = `const m = globalThis.__polyrun_import_cjs(${JSON.stringify(file)});\nexport default m;\n`;
    if (names.length > 0) source += `export const { ${names.join(", ")} } = m;\n`;
    return source;
  };

  function makeRequire(fromDir) {
    function require(request) {
      const name = request.startsWith("node:") ? request.slice(5) : request;
      if (Object.prototype.hasOwnProperty.call(builtins, name)) return builtins[name];
      if (unavailable.includes(name)) {
        const error = new Error(`Cannot use module '${name}': it is not available in the polyrun sandbox (no processes, network or threads)`);
        error.code = "ERR_UNAVAILABLE_IN_SANDBOX";
        throw error;
      }
      const file = resolveRequest(request, fromDir);
      if (file === null) {
        const error = new Error(`Cannot find module '${request}'`);
        error.code = "MODULE_NOT_FOUND";
        throw error;
      }
      if (cache.has(file)) return cache.get(file).exports;
      const module = { id: file, filename: file, loaded: false, exports: {}, children: [], paths: [] };
      cache.set(file, module);
      const source = std.loadFile(file);
      if (file.endsWith(".json")) {
        module.exports = JSON.parse(source);
      } else {
        const wrapper = globalThis.__polyrun_compile(
          `(function (exports, require, module, __filename, __dirname) {${source}\n})`, file);
        wrapper.call(module.exports, module.exports, makeRequire(path.dirname(file)), module, file, path.dirname(file));
      }
      module.loaded = true;
      return module.exports;
    }
    require.resolve = (request) => resolveRequest(request, fromDir) || request;
    require.cache = cache;
    return require;
  }

  // ---- REPL (`node` alone at a terminal) -----------------------------------

  // Whether `code` stops inside a bracket, string, template or comment: the
  // REPL then reads another line, as Node's does.
  function incomplete(code) {
    let depth = 0;
    for (let i = 0; i < code.length; i++) {
      const c = code[i];
      if (c === "/" && code[i + 1] === "/") { i = code.indexOf("\n", i); if (i < 0) return false; }
      else if (c === "/" && code[i + 1] === "*") { i = code.indexOf("*/", i + 2); if (i < 0) return true; i++; }
      else if (c === "'" || c === '"' || c === "`") {
        let j = i + 1;
        while (j < code.length && code[j] !== c) { if (code[j] === "\\") j++; if (c !== "`" && code[j] === "\n") return false; j++; }
        if (j >= code.length) return true;
        i = j;
      } else if ("([{".includes(c)) depth++;
      else if (")]}".includes(c)) depth--;
    }
    return depth > 0;
  }

  function replEvaluate(code) {
    // `{ a: 1 }` is an object, as Node's REPL reads it, not a block.
    if (/^\s*\{/.test(code) && !/;\s*$/.test(code)) {
      try { return globalThis.__polyrun_compile(`(${code})`, "REPL"); } catch (error) { if (!(error instanceof SyntaxError)) throw error; }
    }
    return globalThis.__polyrun_compile(code, "REPL");
  }

  function repl() {
    const write = (text) => { std.out.puts(text); std.out.flush(); };
    write(`Welcome to JavaScript on QuickJS ${globalThis.process.versions.quickjs} (polyrun).\nType ".help" for more information.\n`);
    let pending = "";
    for (;;) {
      write(pending ? "... " : "> ");
      const line = std.in.getline();
      if (line === null) { write("\n"); return; }
      const command = line.trim();
      if (command === ".exit") return;
      if (command === ".break" || command === ".clear") { pending = ""; continue; }
      if (!pending && command === ".help") {
        write(".break    Sometimes you get stuck, this gets you out\n.exit     Exit the REPL\n.help     Print this help message\n\nPress Ctrl+D to exit the REPL\n");
        continue;
      }
      if (!pending && command === "") continue;
      pending += (pending ? "\n" : "") + line;
      let value;
      try {
        value = replEvaluate(pending);
      } catch (error) {
        if (error instanceof SyntaxError && incomplete(pending)) continue;
        pending = "";
        write(`Uncaught ${error instanceof Error ? `${error.name}: ${error.message}` : inspect(error)}\n`);
        continue;
      }
      pending = "";
      if (value !== undefined) globalThis._ = value;
      write(`${inspect(value)}\n`);
    }
  }

  const globals = {
    console, process, Buffer, global: globalThis,
    setTimeout, setInterval, clearTimeout: clearTimer, clearInterval: clearTimer, setImmediate, clearImmediate,
    __polyrun_builtins: builtins,
    __polyrun_repl: repl,
    // Called by qjs once the event loop has drained (see polyrun_node.c).
    __polyrun_before_exit() {
      const code = process.exitCode ?? 0;
      process.emit("exit", code);
      std.out.flush();
      std.err.flush();
      const final = process.exitCode ?? code;
      if (final) std.exit(Number(final) | 0);
    },
    // Called once per run, before the program (see polyrun_snapshot.c):
    // everything above is evaluated once, into the snapshot runs start
    // from; what belongs to one process is read here.
    __polyrun_start() {
      delete globalThis.__polyrun_start;
      start();
    },
  };
  define(globals);

  function define(values) {
    for (const [name, value] of Object.entries(values)) {
      Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
    }
  }

  function start() {
    argv.push("/usr/local/bin/node", ...globalThis.scriptArgs.map((a, i) => (i === 0 && !a.startsWith("/") ? `/${a}` : a)));
    process.env = std.getenviron();
    startTime = Date.now();
    // The shell's working directory (PWD) is the program's, as in a real shell.
    const startDirectory = std.getenv("PWD");
    if (startDirectory && startDirectory !== "/") os.chdir(startDirectory);

    const mainFile = argv[1] || "/";
    const mainModule = { id: ".", filename: mainFile, loaded: false, exports: {}, children: [], paths: [] };
    // Code given with -e (mounted under /.eval) requires from the working
    // directory, as Node's does; a file, from its own directory.
    const mainRequire = makeRequire(mainFile.startsWith("/.eval/") ? process.cwd() : path.dirname(mainFile));
    mainRequire.main = mainModule;
    define({
      require: mainRequire, module: mainModule, exports: mainModule.exports,
      __filename: mainFile, __dirname: path.dirname(mainFile),
    });
  }
})();
