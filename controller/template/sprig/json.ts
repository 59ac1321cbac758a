/**
 * encoding/json as Sprig uses it: Go's encoder (sorted keys, HTML escaping, Go's float format, nil slices as null)
 * and a decoder producing Go's `interface{}` shapes (map[string]interface{}, []interface{}, float64, ...).
 *
 * @module
 */

import { GoError } from "../func.ts";
import { formatFloatJSON } from "../go_strconv.ts";
import { decodeRune, stringToBytes } from "../gostr.ts";
import { GoInt, GoMap, GoSlice, GoStruct, type GoValue, isGoObject, T, typeOf, typeString } from "../values.ts";

const HEX = "0123456789abcdef";

function encodeString(s: string, escapeHTML: boolean): string {
  const b = stringToBytes(s);
  let out = '"';
  for (let i = 0; i < b.length;) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      if (c >= 0x20 && c !== 0x22 && c !== 0x5c && !(escapeHTML && (c === 0x3c || c === 0x3e || c === 0x26))) {
        out += String.fromCharCode(c);
        continue;
      }
      switch (c) {
        case 0x5c:
          out += "\\\\";
          break;
        case 0x22:
          out += '\\"';
          break;
        case 0x08:
          out += "\\b";
          break;
        case 0x0c:
          out += "\\f";
          break;
        case 0x0a:
          out += "\\n";
          break;
        case 0x0d:
          out += "\\r";
          break;
        case 0x09:
          out += "\\t";
          break;
        default:
          out += "\\u00" + HEX[c >> 4] + HEX[c & 15];
      }
      continue;
    }
    const [r, w] = decodeRune(b, i);
    if (r < 0) {
      out += "\\ufffd";
      i += 1;
      continue;
    }
    if (r === 0x2028 || r === 0x2029) out += "\\u202" + HEX[r & 15];
    else out += String.fromCodePoint(r);
    i += w;
  }
  return out + '"';
}

/** json.Marshal / MarshalIndent; throws GoError for unsupported values. */
export function marshalJSON(v: GoValue, opts: { escapeHTML: boolean; indent?: string }): string {
  const ind = opts.indent;
  const enc = (v: GoValue, depth: number): string => {
    if (v === null) return "null";
    switch (typeof v) {
      case "string":
        return encodeString(v, opts.escapeHTML);
      case "boolean":
        return v ? "true" : "false";
      case "number":
        if (!Number.isFinite(v)) {
          throw new GoError(`json: unsupported value: ${Number.isNaN(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf"}`);
        }
        return formatFloatJSON(v);
    }
    if (v instanceof GoInt) return v.v.toString();
    const nl = (d: number): string => (ind === undefined ? "" : "\n" + ind.repeat(d));
    const colon = ind === undefined ? ":" : ": ";
    if (v instanceof GoSlice) {
      if (v.nil) return "null";
      if (v.items.length === 0) return "[]";
      return "[" + v.items.map((x) => nl(depth + 1) + enc(x, depth + 1)).join(",") + nl(depth) + "]";
    }
    if (v instanceof GoMap) {
      if (v.nil) return "null";
      if (v.m.size === 0) return "{}";
      return "{" + v.sortedKeys().map((k) =>
        nl(depth + 1) + encodeString(k, opts.escapeHTML) + colon + enc(v.m.get(k)!, depth + 1)
      ).join(",") + nl(depth) + "}";
    }
    if (v instanceof GoStruct) {
      if (v.type.fields.length === 0) return "{}";
      return "{" + v.type.fields.map((k) =>
        nl(depth + 1) + encodeString(k, opts.escapeHTML) + colon + enc(v.fields.get(k) ?? null, depth + 1)
      ).join(",") + nl(depth) + "}";
    }
    if (isGoObject(v) && v.toJSON) return enc(v.toJSON(), depth);
    throw new GoError(`json: unsupported type: ${typeString(typeOf(v)!)}`);
  };
  return enc(v, 0);
}

function quoteChar(c: string): string {
  if (c === "'") return "'\\''";
  if (c === '"') return "'\"'";
  const q = JSON.stringify(c);
  return "'" + q.slice(1, -1) + "'";
}

class SyntaxErr extends Error {}

/**
 * encoding/json's decoder for interface{} targets, with its scanner's error messages. Numbers are float64; a number
 * out of float64 range decodes as nil and is reported like Go's UnmarshalTypeError.
 */
class JSONParser {
  i = 0;
  typeError: string | null = null;
  constructor(readonly s: string) {}

  err(context: string): never {
    if (this.i >= this.s.length) throw new SyntaxErr("unexpected end of JSON input");
    const cp = this.s.codePointAt(this.i)!;
    throw new SyntaxErr(`invalid character ${quoteChar(String.fromCodePoint(cp))} ${context}`);
  }
  ws(): void {
    while (this.i < this.s.length && " \t\r\n".includes(this.s[this.i]!)) this.i++;
  }
  value(): GoValue {
    this.ws();
    const c = this.s[this.i];
    if (c === undefined) this.err("looking for beginning of value");
    if (c === "{") return this.object();
    if (c === "[") return this.array();
    if (c === '"') return this.string();
    if (c === "-" || (c >= "0" && c <= "9")) return this.number();
    for (const [lit, val] of [["true", true], ["false", false], ["null", null]] as const) {
      if (c === lit[0]) {
        this.i++;
        for (let k = 1; k < lit.length; k++) {
          if (this.s[this.i] !== lit[k]) this.err(`in literal ${lit} (expecting '${lit[k]}')`);
          this.i++;
        }
        return val;
      }
    }
    this.err("looking for beginning of value");
  }
  afterValue(context: string): void {
    this.ws();
    void context;
  }
  object(): GoValue {
    this.i++;
    const m = GoMap.of(T.iface);
    this.ws();
    if (this.s[this.i] === "}") {
      this.i++;
      return m;
    }
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') this.err("looking for beginning of object key string");
      const k = this.string();
      this.ws();
      if (this.s[this.i] !== ":") this.err("after object key");
      this.i++;
      m.m.set(k, this.value());
      this.ws();
      const c = this.s[this.i];
      if (c === ",") {
        this.i++;
        continue;
      }
      if (c === "}") {
        this.i++;
        return m;
      }
      this.err("after object key:value pair");
    }
  }
  array(): GoValue {
    this.i++;
    const items: GoValue[] = [];
    this.ws();
    if (this.s[this.i] === "]") {
      this.i++;
      return GoSlice.of(T.iface, items);
    }
    for (;;) {
      items.push(this.value());
      this.ws();
      const c = this.s[this.i];
      if (c === ",") {
        this.i++;
        continue;
      }
      if (c === "]") {
        this.i++;
        return GoSlice.of(T.iface, items);
      }
      this.err("after array element");
    }
  }
  string(): string {
    this.i++;
    let out = "";
    for (;;) {
      const c = this.s[this.i];
      if (c === undefined) this.err("in string literal");
      if (c === '"') {
        this.i++;
        return out;
      }
      const code = c.charCodeAt(0);
      if (code < 0x20) this.err("in string literal");
      if (c !== "\\") {
        // escaped raw bytes (invalid UTF-8) decode as U+FFFD, as in Go
        out += code >= 0xdc80 && code <= 0xdcff && !(this.i > 0 && /[\ud800-\udbff]/.test(this.s[this.i - 1]!))
          ? "\ufffd"
          : c;
        this.i++;
        continue;
      }
      this.i++;
      const e = this.s[this.i];
      if (e === undefined) this.err("in string escape code");
      const simple: Record<string, string> = {
        '"': '"',
        "\\": "\\",
        "/": "/",
        b: "\b",
        f: "\f",
        n: "\n",
        r: "\r",
        t: "\t",
      };
      if (simple[e] !== undefined) {
        out += simple[e];
        this.i++;
        continue;
      }
      if (e !== "u") this.err("in string escape code");
      this.i++;
      const hex = (): number => {
        const h = this.s.slice(this.i, this.i + 4);
        for (let k = 0; k < 4; k++) {
          if (!/[0-9a-fA-F]/.test(this.s[this.i] ?? "")) this.err("in \\u hexadecimal character escape");
          this.i++;
        }
        return parseInt(h, 16);
      };
      let r = hex();
      if (r >= 0xd800 && r < 0xdc00 && this.s.startsWith("\\u", this.i)) {
        const save = this.i;
        this.i += 2;
        const r2 = hex();
        if (r2 >= 0xdc00 && r2 < 0xe000) r = 0x10000 + ((r - 0xd800) << 10) + (r2 - 0xdc00);
        else {
          this.i = save;
          r = 0xfffd;
        }
      } else if (r >= 0xd800 && r < 0xe000) r = 0xfffd;
      out += String.fromCodePoint(r);
    }
  }
  number(): GoValue {
    const start = this.i;
    if (this.s[this.i] === "-") {
      this.i++;
      if (!/[0-9]/.test(this.s[this.i] ?? "")) this.err("in numeric literal");
    }
    if (this.s[this.i] === "0") this.i++;
    else while (/[0-9]/.test(this.s[this.i] ?? "")) this.i++;
    if (this.s[this.i] === ".") {
      this.i++;
      if (!/[0-9]/.test(this.s[this.i] ?? "")) this.err("after decimal point in numeric literal");
      while (/[0-9]/.test(this.s[this.i] ?? "")) this.i++;
    }
    if (this.s[this.i] === "e" || this.s[this.i] === "E") {
      this.i++;
      if (this.s[this.i] === "+" || this.s[this.i] === "-") this.i++;
      if (!/[0-9]/.test(this.s[this.i] ?? "")) this.err("in exponent of numeric literal");
      while (/[0-9]/.test(this.s[this.i] ?? "")) this.i++;
    }
    const text = this.s.slice(start, this.i);
    const v = Number(text);
    if (!Number.isFinite(v)) {
      this.typeError ??= `json: cannot unmarshal number ${text} into Go value of type float64`;
      return null;
    }
    return v;
  }
}

/** json.Unmarshal into interface{}: [value, error message or null]. */
export function decodeJSON(s: string): [GoValue, string | null] {
  const p = new JSONParser(s);
  try {
    const v = p.value();
    p.ws();
    if (p.i < s.length) p.err("after top-level value");
    return [v, p.typeError];
  } catch (e) {
    if (e instanceof SyntaxErr) return [null, e.message];
    throw e;
  }
}

/** json.Unmarshal into interface{}; throws GoError with Go's message (and a redacted variant). */
export function unmarshalJSON(s: string): GoValue {
  const [v, err] = decodeJSON(s);
  if (err !== null) throw new GoError(err, err.replace(/invalid character '.*?' /, "invalid character "));
  return v;
}
