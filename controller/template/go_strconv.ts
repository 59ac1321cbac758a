/**
 * Go's strconv where JavaScript differs: float formatting (exact decimal rounding, half-even ties, Go's exponent
 * style), quoting, and integer parsing with Go's base prefixes.
 *
 * @module
 */

import { decodeRune, stringToBytes } from "./gostr.ts";

/** Decimal digits of |f| without trailing zeros; value = 0.d1d2... × 10^dp. */
interface Digits {
  d: string;
  dp: number;
}

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

/** Exact decimal expansion of a finite |f|. */
function exactDigits(f: number): Digits {
  f = Math.abs(f);
  if (f === 0) return { d: "", dp: 0 };
  f64[0] = f;
  const bits = u64[0]!;
  const expBits = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & ((1n << 52n) - 1n);
  let exp: number;
  if (expBits === 0) exp = -1074;
  else {
    mant |= 1n << 52n;
    exp = expBits - 1075;
  }
  let s: string;
  let dp: number;
  if (exp >= 0) {
    s = (mant << BigInt(exp)).toString();
    dp = s.length;
  } else {
    const k = -exp;
    s = (mant * 5n ** BigInt(k)).toString();
    dp = s.length - k;
  }
  return trim({ d: s, dp });
}

function trim(x: Digits): Digits {
  let d = x.d;
  let i = d.length;
  while (i > 0 && d[i - 1] === "0") i--;
  d = d.slice(0, i);
  let j = 0;
  while (j < d.length && d[j] === "0") j++;
  return { d: d.slice(j), dp: d.length === j ? 0 : x.dp - j };
}

/** Rounds to nd significant digits, half to even on exact ties (Go's decimal.Round). */
function roundTo(x: Digits, nd: number): Digits {
  if (nd < 0) return { d: "", dp: 0 };
  if (nd >= x.d.length) return x;
  const next = x.d.charCodeAt(nd) - 48;
  let up: boolean;
  if (next > 5) up = true;
  else if (next < 5) up = false;
  else if (nd + 1 < x.d.length) up = true; // more nonzero digits follow (trimmed), so above half
  else up = nd > 0 && (x.d.charCodeAt(nd - 1) - 48) % 2 === 1;
  if (!up) return trim({ d: x.d.slice(0, nd), dp: x.dp });
  // increment
  const arr = x.d.slice(0, nd).split("");
  let i = nd - 1;
  while (i >= 0) {
    if (arr[i] === "9") {
      arr[i] = "0";
      i--;
    } else {
      arr[i] = String.fromCharCode(arr[i]!.charCodeAt(0) + 1);
      break;
    }
  }
  if (i < 0) return trim({ d: "1" + arr.join(""), dp: x.dp + 1 });
  return trim({ d: arr.join(""), dp: x.dp });
}

function shortestDigits(f: number): Digits {
  f = Math.abs(f);
  if (f === 0) return { d: "", dp: 0 };
  const e = f.toExponential(); // JS gives the shortest round-tripping digits, as Go's shortest mode does
  const m = /^(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(e)!;
  return trim({ d: m[1]! + (m[2] ?? ""), dp: Number(m[3]) + 1 });
}

function digitAt(d: Digits, i: number): string {
  return i >= 0 && i < d.d.length ? d.d[i]! : "0";
}

function fmtE(neg: boolean, d: Digits, prec: number, fmt: string): string {
  let s = neg ? "-" : "";
  s += d.d.length === 0 ? "0" : d.d[0]!;
  if (prec > 0) {
    s += ".";
    for (let i = 1; i <= prec; i++) s += digitAt(d, i);
  }
  let exp = d.d.length === 0 ? 0 : d.dp - 1;
  s += fmt;
  if (exp < 0) {
    s += "-";
    exp = -exp;
  } else s += "+";
  s += exp < 10 ? "0" + exp : String(exp);
  return s;
}

function fmtF(neg: boolean, d: Digits, prec: number): string {
  let s = neg ? "-" : "";
  if (d.dp > 0) {
    let m = Math.min(d.d.length, d.dp);
    s += d.d.slice(0, m);
    for (; m < d.dp; m++) s += "0";
  } else s += "0";
  if (prec > 0) {
    s += ".";
    for (let i = 0; i < prec; i++) s += digitAt(d, d.dp + i);
  }
  return s;
}

/** strconv's %x/%X for float64 (hexadecimal mantissa, binary exponent). */
function formatHexFloat(f: number, fmt: string, prec: number): string {
  f64[0] = f;
  const bits = u64[0]!;
  const neg = (bits >> 63n) === 1n;
  let exp = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & ((1n << 52n) - 1n);
  if (exp === 0) exp++;
  else mant |= 1n << 52n;
  exp -= 1023;
  if (mant === 0n) exp = 0;
  mant <<= 8n; // leading 1 at bit 60
  while (mant !== 0n && (mant & (1n << 60n)) === 0n) {
    mant <<= 1n;
    exp--;
  }
  if (prec >= 0 && prec < 15) {
    const shift = BigInt(prec * 4);
    const extra = (mant << shift) & ((1n << 60n) - 1n);
    mant >>= 60n - shift;
    if ((extra | (mant & 1n)) > 1n << 59n) mant++;
    mant <<= 60n - shift;
    if ((mant & (1n << 61n)) !== 0n) {
      mant >>= 1n;
      exp++;
    }
  }
  const hex = fmt === "X" ? "0123456789ABCDEF" : "0123456789abcdef";
  let s = (neg ? "-" : "") + "0" + fmt + String((mant >> 60n) & 1n);
  mant = (mant << 4n) & ((1n << 64n) - 1n);
  if (prec < 0 && mant !== 0n) {
    s += ".";
    while (mant !== 0n) {
      s += hex[Number((mant >> 60n) & 15n)];
      mant = (mant << 4n) & ((1n << 64n) - 1n);
    }
  } else if (prec > 0) {
    s += ".";
    for (let i = 0; i < prec; i++) {
      s += hex[Number((mant >> 60n) & 15n)];
      mant = (mant << 4n) & ((1n << 64n) - 1n);
    }
  }
  s += fmt === "X" ? "P" : "p";
  s += exp < 0 ? "-" : "+";
  const e = Math.abs(exp);
  s += e < 10 ? "0" + e : String(e);
  return s;
}

/** strconv.FormatFloat(f, fmt, prec, 64) for fmt in e E f g G x X. */
export function formatFloat(f: number, fmt: string, prec: number): string {
  if (Number.isNaN(f)) return "NaN";
  if (f === Infinity) return "+Inf";
  if (f === -Infinity) return "-Inf";
  if (fmt === "x" || fmt === "X") return formatHexFloat(f, fmt, prec);
  const neg = f < 0 || Object.is(f, -0);
  const shortest = prec < 0;
  let d: Digits;
  if (shortest) {
    d = shortestDigits(f);
    switch (fmt) {
      case "e":
      case "E":
        prec = Math.max(d.d.length - 1, 0);
        break;
      case "f":
        prec = Math.max(d.d.length - d.dp, 0);
        break;
      case "g":
      case "G":
        prec = d.d.length;
        break;
    }
  } else {
    const x = exactDigits(f);
    switch (fmt) {
      case "e":
      case "E":
        d = roundTo(x, prec + 1);
        break;
      case "f":
        d = roundTo(x, x.dp + prec);
        break;
      default:
        if (prec === 0) prec = 1;
        d = roundTo(x, prec);
    }
  }
  switch (fmt) {
    case "e":
    case "E":
      return fmtE(neg, d, prec, fmt);
    case "f":
      return fmtF(neg, d, prec);
    case "g":
    case "G": {
      let eprec = prec;
      const nd = d.d.length;
      if (eprec > nd && nd >= d.dp) eprec = nd;
      if (shortest) eprec = 6;
      const exp = d.dp - 1;
      if (nd !== 0 && (exp < -4 || exp >= eprec)) {
        if (prec > nd) prec = nd;
        return fmtE(neg, d, prec - 1, fmt === "g" ? "e" : "E");
      }
      if (nd === 0) return fmtF(neg, d, 0);
      if (prec > d.dp) prec = nd;
      return fmtF(neg, d, Math.max(prec - d.dp, 0));
    }
  }
  throw new Error("formatFloat: bad format " + fmt);
}

/** Go's %v / strconv 'g' -1 for float64. */
export function formatFloatV(f: number): string {
  return formatFloat(f, "g", -1);
}

/** encoding/json's float64 encoding. */
export function formatFloatJSON(f: number): string {
  const abs = Math.abs(f);
  let fmt = "f";
  if (abs !== 0 && (abs < 1e-6 || abs >= 1e21)) fmt = "e";
  let s = formatFloat(f, fmt, -1);
  if (fmt === "e") {
    // clean up e-09 to e-9
    const n = s.length;
    if (n >= 4 && s[n - 4] === "e" && s[n - 3] === "-" && s[n - 2] === "0") s = s.slice(0, n - 2) + s.slice(n - 1);
  }
  return s;
}

// unicode.IsPrint approximation: letters, marks, numbers, punctuation, symbols and ASCII space.
const PRINT = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;
export function isPrint(r: number): boolean {
  if (r < 0x20) return false;
  if (r < 0x7f) return true;
  if (r < 0xa1) return false;
  if (r === 0xad) return false;
  if (r >= 0xd800 && r <= 0xdfff) return false;
  return PRINT.test(String.fromCodePoint(r));
}

function quoteWith(s: string, quote: number, asciiOnly: boolean): string {
  const b = stringToBytes(s);
  let out = String.fromCharCode(quote);
  for (let i = 0; i < b.length;) {
    const [r, w] = decodeRune(b, i);
    if (r < 0) {
      out += "\\x" + hex2(b[i]!);
      i += 1;
      continue;
    }
    i += w;
    out += escapeRune(r, quote, asciiOnly);
  }
  return out + String.fromCharCode(quote);
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, "0");
}

function escapeRune(r: number, quote: number, asciiOnly: boolean): string {
  if (r === quote || r === 0x5c) return "\\" + String.fromCharCode(r);
  if (asciiOnly) {
    if (r < 0x80 && isPrint(r)) return String.fromCharCode(r);
  } else if (isPrint(r)) return String.fromCodePoint(r);
  switch (r) {
    case 7:
      return "\\a";
    case 8:
      return "\\b";
    case 12:
      return "\\f";
    case 10:
      return "\\n";
    case 13:
      return "\\r";
    case 9:
      return "\\t";
    case 11:
      return "\\v";
  }
  if (r < 0x20 || r === 0x7f) return "\\x" + hex2(r);
  if (r > 0x10ffff) r = 0xfffd;
  if (r < 0x10000) return "\\u" + r.toString(16).padStart(4, "0");
  return "\\U" + r.toString(16).padStart(8, "0");
}

/** strconv.Quote. */
export function quote(s: string): string {
  return quoteWith(s, 0x22, false);
}
/** strconv.QuoteToASCII. */
export function quoteToASCII(s: string): string {
  return quoteWith(s, 0x22, true);
}
/** strconv.QuoteRune. */
export function quoteRune(r: number, asciiOnly = false): string {
  if (r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff)) r = 0xfffd;
  return "'" + escapeRune(r, 0x27, asciiOnly) + "'";
}

/** strconv.CanBackquote. */
export function canBackquote(s: string): boolean {
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c === 0x60 || c === 0xfeff) return false;
    if (c >= 0xd800 && c <= 0xdfff) return false; // invalid UTF-8
    if (c < 0x20 && c !== 9) return false;
    if (c === 0x7f) return false;
  }
  return true;
}

/** strconv.Unquote for Go string literals ("..." and `...`) and char literals; throws on bad syntax. */
export function unquote(s: string): string {
  const n = s.length;
  if (n < 2) throw new SyntaxError("invalid syntax");
  const q = s[0];
  if (q !== s[n - 1]) throw new SyntaxError("invalid syntax");
  const body = s.slice(1, n - 1);
  if (q === "`") {
    if (body.includes("`")) throw new SyntaxError("invalid syntax");
    return body.replace(/\r/g, "");
  }
  if (q !== '"' && q !== "'") throw new SyntaxError("invalid syntax");
  if (q === '"' && body.includes("\n")) throw new SyntaxError("invalid syntax");
  let out = "";
  let i = 0;
  let bytes: number[] | null = null; // pending \x / octal bytes, decoded together
  const flush = (): void => {
    if (bytes) {
      out += bytesToStr(bytes);
      bytes = null;
    }
  };
  let count = 0;
  while (i < body.length) {
    const c = body[i]!;
    if (c === q && q === "'") throw new SyntaxError("invalid syntax");
    if (c !== "\\") {
      flush();
      const cp = body.codePointAt(i)!;
      out += String.fromCodePoint(cp);
      i += cp > 0xffff ? 2 : 1;
      count++;
      continue;
    }
    const [v, isByte, len] = unquoteEscape(body, i, q);
    i += len;
    count++;
    if (isByte) {
      if (q === "'") throw new SyntaxError("invalid syntax");
      (bytes ??= []).push(v);
    } else {
      flush();
      out += String.fromCodePoint(v);
    }
  }
  flush();
  if (q === "'" && count !== 1) throw new SyntaxError("invalid syntax");
  return out;
}

function bytesToStr(b: number[]): string {
  // escaped bytes may form UTF-8 sequences or raw bytes
  return new TextDecoderShim().decode(Uint8Array.from(b));
}

class TextDecoderShim {
  decode(b: Uint8Array): string {
    let out = "";
    for (let i = 0; i < b.length;) {
      const [r, w] = decodeRune(b, i);
      out += r < 0 ? String.fromCharCode(0xdc00 + b[i]!) : String.fromCodePoint(r);
      i += w;
    }
    return out;
  }
}

function unquoteEscape(s: string, i: number, q: string): [number, boolean, number] {
  const c = s[i + 1];
  if (c === undefined) throw new SyntaxError("invalid syntax");
  switch (c) {
    case "a":
      return [7, false, 2];
    case "b":
      return [8, false, 2];
    case "f":
      return [12, false, 2];
    case "n":
      return [10, false, 2];
    case "r":
      return [13, false, 2];
    case "t":
      return [9, false, 2];
    case "v":
      return [11, false, 2];
    case "\\":
      return [0x5c, false, 2];
    case "'":
    case '"':
      if (c !== q) throw new SyntaxError("invalid syntax");
      return [c.charCodeAt(0), false, 2];
    case "x":
    case "u":
    case "U": {
      const n = c === "x" ? 2 : c === "u" ? 4 : 8;
      const h = s.slice(i + 2, i + 2 + n);
      if (h.length !== n || !/^[0-9a-fA-F]+$/.test(h)) throw new SyntaxError("invalid syntax");
      const v = parseInt(h, 16);
      if (c === "x") return [v, true, 2 + n];
      if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) throw new SyntaxError("invalid syntax");
      return [v, false, 2 + n];
    }
    default:
      if (c >= "0" && c <= "7") {
        const o = s.slice(i + 1, i + 4);
        if (!/^[0-7]{3}$/.test(o)) throw new SyntaxError("invalid syntax");
        const v = parseInt(o, 8);
        if (v > 255) throw new SyntaxError("invalid syntax");
        return [v, true, 4];
      }
      throw new SyntaxError("invalid syntax");
  }
}

/** strconv.ParseInt(s, base, 64) semantics incl. base 0 prefixes and underscores; null on error. */
export function parseGoInt(s: string, base: number, bits = 64): bigint | null {
  let neg = false;
  let t = s;
  if (t.startsWith("+") || t.startsWith("-")) {
    neg = t[0] === "-";
    t = t.slice(1);
  }
  const u = parseGoUint(t, base, 64);
  if (u === null) return null;
  const v = neg ? -u : u;
  const min = -(1n << BigInt(bits - 1)), max = (1n << BigInt(bits - 1)) - 1n;
  if (v < min || v > max) return null;
  return v;
}

/** strconv.ParseUint(s, base, bits); null on error. */
export function parseGoUint(s: string, base: number, bits = 64): bigint | null {
  if (s === "") return null;
  let t = s;
  const base0 = base === 0;
  if (base0) {
    base = 10;
    if (t[0] === "0") {
      if (t.length >= 3 && (t[1] === "b" || t[1] === "B")) {
        base = 2;
        t = t.slice(2);
      } else if (t.length >= 3 && (t[1] === "o" || t[1] === "O")) {
        base = 8;
        t = t.slice(2);
      } else if (t.length >= 3 && (t[1] === "x" || t[1] === "X")) {
        base = 16;
        t = t.slice(2);
      } else {
        base = 8;
        t = t.slice(1);
        if (t === "") return 0n;
      }
    }
  }
  let v = 0n;
  let sawDigit = false;
  let lastUnderscore = base0 && base !== 10 && s !== t && s.length - t.length === 2; // prefix counts as digit for _
  if (base0 && base === 8 && s.length - t.length === 1) lastUnderscore = false;
  const B = BigInt(base);
  let prevWasUnderscore = false;
  for (const ch of t) {
    if (ch === "_" && base0) {
      if (prevWasUnderscore) return null;
      prevWasUnderscore = true;
      continue;
    }
    const d = digitVal(ch);
    if (d < 0 || d >= base) return null;
    v = v * B + BigInt(d);
    sawDigit = true;
    prevWasUnderscore = false;
  }
  if (!sawDigit) return null;
  if (prevWasUnderscore) return null;
  if (base0 && !underscoreOK(s)) return null;
  void lastUnderscore;
  if (v >= 1n << BigInt(bits)) return null;
  return v;
}

function digitVal(ch: string): number {
  const c = ch.charCodeAt(0);
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 122) return c - 87;
  if (c >= 65 && c <= 90) return c - 55;
  return -1;
}

/** strconv's underscoreOK: underscores only between digits or after a base prefix. */
function underscoreOK(s: string): boolean {
  let saw = "^";
  let i = 0;
  if (s.length >= 1 && (s[0] === "-" || s[0] === "+")) s = s.slice(1);
  let hex = false;
  if (s.length >= 2 && s[0] === "0" && "bBoOxX".includes(s[1]!)) {
    i = 2;
    saw = "0";
    hex = s[1] === "x" || s[1] === "X";
  }
  for (; i < s.length; i++) {
    const c = s[i]!;
    if ((c >= "0" && c <= "9") || (hex && /[a-fA-F]/.test(c))) {
      saw = "0";
      continue;
    }
    if (c === "_") {
      if (saw !== "0") return false;
      saw = "_";
      continue;
    }
    if (saw === "_") return false;
    saw = "!";
  }
  return saw !== "_";
}

/** strconv.ParseFloat(s, 64) for decimal and hex floats, with Go's accepted spellings; null on error. */
export function parseGoFloat(s: string): number | null {
  const t = s.toLowerCase();
  const m = /^([+-]?)(inf|infinity|nan)$/.exec(t);
  if (m) return m[2] === "nan" ? NaN : m[1] === "-" ? -Infinity : Infinity;
  if (/^[+-]?0x/.test(t)) {
    const h = /^([+-]?)0x([0-9a-f_]*)(?:\.([0-9a-f_]*))?p([+-]?[0-9_]+)$/.exec(t);
    if (!h || (h[2] === "" && (h[3] ?? "") === "")) return null;
    const mant = (h[2]! + (h[3] ?? "")).replace(/_/g, "");
    const frac = (h[3] ?? "").replace(/_/g, "").length;
    let v = 0;
    for (const c of mant) v = v * 16 + parseInt(c, 16);
    v = v * Math.pow(2, Number(h[4]!.replace(/_/g, "")) - 4 * frac);
    return h[1] === "-" ? -v : v;
  }
  if (!/^[+-]?(\d[\d_]*(\.[\d_]*)?|\.\d[\d_]*)(e[+-]?\d[\d_]*)?$/.test(t)) return null;
  if (t.includes("_") && !underscoreOK(t.replace(/[.e].*$/, ""))) return null;
  const v = Number(t.replace(/_/g, ""));
  if (!Number.isFinite(v)) return null; // out of range: Go returns ±Inf with an error
  return v;
}
