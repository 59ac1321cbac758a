/**
 * Sprig's string functions (strings.go plus the goutils/xstrings helpers it wraps) and paths.
 *
 * @module
 */

import { def, type FuncMap, GoError } from "../func.ts";
import { reserveList, reserveString } from "../budget.ts";
import { formatValue } from "../go_fmt.ts";
import { quote as goQuote } from "../go_strconv.ts";
import {
  byteSlice,
  bytesToString,
  hasRawBytes,
  isAscii,
  runes,
  stringToBytes,
  toValidUtf8,
  utf8Len,
} from "../gostr.ts";
import { GoInt, GoMap, GoSlice, type GoValue, T } from "../values.ts";
import { compareGoStrings } from "../values.ts";
import { isSpace, sliceBoundsError, strval, trimSpace } from "./conv.ts";

const intArg = (v: GoValue): number => Number((v as GoInt).v);

/** unicode.ToUpper/ToLower/ToTitle per rune (simple case mapping, like Go; JS would expand ß to SS). */
function mapRunes(s: string, f: (ch: string) => string): string {
  let out = "";
  for (const ch of s) {
    const m = f(ch);
    out += [...m].length === 1 ? m : ch;
  }
  return out;
}
export function toUpper(s: string): string {
  return isAscii(s) ? s.toUpperCase() : mapRunes(toValidUtf8(s), (c) => c.toUpperCase());
}
export function toLower(s: string): string {
  return isAscii(s) ? s.toLowerCase() : mapRunes(toValidUtf8(s), (c) => c.toLowerCase());
}

/** Runs a string operation on bytes when a string holds raw (non-UTF-8) bytes, as Go's byte-wise functions do. */
function bytewise<T>(args: string[], op: (...xs: string[]) => T, wrap: (r: T) => T = (r) => r): T {
  if (!args.some(hasRawBytes)) return op(...args);
  const toBin = (x: string): string => String.fromCharCode(...stringToBytes(x));
  const fromBin = (x: string): string => bytesToString(Uint8Array.from(x, (c) => c.charCodeAt(0)));
  const r = op(...args.map(toBin));
  return wrap(
    (typeof r === "string"
      ? fromBin(r)
      : Array.isArray(r)
      ? r.map((x) => (typeof x === "string" ? fromBin(x) : x))
      : r) as T,
  );
}
function toTitleRune(ch: string): string {
  const special: Record<string, string> = {
    "ǆ": "ǅ",
    "Ǆ": "ǅ",
    "ǅ": "ǅ",
    "ǉ": "ǈ",
    "Ǉ": "ǈ",
    "ǌ": "ǋ",
    "Ǌ": "ǋ",
    "ǳ": "ǲ",
    "Ǳ": "ǲ",
  };
  const s = special[ch];
  if (s) return s;
  const u = ch.toUpperCase();
  return [...u].length === 1 ? u : ch;
}

const LETTER = /^[\p{L}]$/u;
const DIGIT = /^[\p{Nd}]$/u;
const UPPER = /^\p{Lu}$/u;
const LOWER = /^\p{Ll}$/u;
const TITLE = /^\p{Lt}$/u;
const PUNCT = /^\p{P}$/u;
const NUMBER = /^\p{N}$/u;
const isLetter = (ch: string): boolean => LETTER.test(ch);
const isDigit = (ch: string): boolean => DIGIT.test(ch);

/** strings.Title (deprecated but what sprig uses). */
function title(s: string): string {
  s = toValidUtf8(s);
  let prev = " ";
  let out = "";
  for (const ch of s) {
    out += isSeparator(prev) ? toTitleRune(ch) : ch;
    prev = ch;
  }
  return out;
}

function isSeparator(ch: string): boolean {
  const r = ch.codePointAt(0)!;
  if (r <= 0x7f) {
    if ((r >= 0x30 && r <= 0x39) || (r >= 0x61 && r <= 0x7a) || (r >= 0x41 && r <= 0x5a) || r === 0x5f) return false;
    return true;
  }
  if (isLetter(ch) || isDigit(ch)) return false;
  return isSpace(r);
}

function untitle(s: string): string {
  s = toValidUtf8(s);
  let next = true;
  let out = "";
  for (const ch of s) {
    const r = ch.codePointAt(0)!;
    if (isSpace(r)) {
      next = true;
      out += ch;
    } else if (next) {
      out += mapRunes(ch, (c) => c.toLowerCase());
      next = false;
    } else out += ch;
  }
  return out;
}

function swapcase(s: string): string {
  s = toValidUtf8(s);
  let ws = true;
  let out = "";
  for (const ch of s) {
    if (UPPER.test(ch) || TITLE.test(ch)) {
      out += mapRunes(ch, (c) => c.toLowerCase());
      ws = false;
    } else if (LOWER.test(ch)) {
      out += ws ? toTitleRune(ch) : mapRunes(ch, (c) => c.toUpperCase());
      ws = false;
    } else {
      ws = isSpace(ch.codePointAt(0)!);
      out += ch;
    }
  }
  return out;
}

/** goutils byte-wise helpers write each byte as a rune: non-ASCII bytes come out as Latin-1 characters. */
function byteRune(b: number): string {
  return String.fromCharCode(b);
}

function nospace(s: string): string {
  if (s === "") return s;
  const b = stringToBytes(s);
  let out = "";
  let count = 0;
  for (const c of b) {
    if (!isSpace(c)) {
      out += byteRune(c);
      count++;
    }
  }
  return count === b.length ? s : out;
}

function initials(s: string): string {
  if (s === "") return s;
  let out = "";
  let gap = true;
  for (const c of stringToBytes(s)) {
    if (isSpace(c)) gap = true;
    else if (gap) {
      out += byteRune(c);
      gap = false;
    }
  }
  return out;
}

function abbreviateFull(str: string, offset: number, maxWidth: number): string {
  if (str === "") return "";
  if (maxWidth < 4) return "";
  const len = utf8Len(str);
  if (len <= maxWidth) return str;
  if (offset > len) offset = len;
  if (len - offset < maxWidth - 3) offset = len - (maxWidth - 3);
  if (offset <= 4) return byteSlice(str, 0, maxWidth - 3) + "...";
  if (maxWidth < 7) return "";
  if (offset + maxWidth - 3 < len) return "..." + abbreviateFull(byteSlice(str, offset), 0, maxWidth - 3);
  return "..." + byteSlice(str, len - (maxWidth - 3));
}

function wrapCustom(str: string, wrapLength: number, newLine: string, wrapLong: boolean): string {
  if (str === "") return "";
  if (newLine === "") newLine = "\n";
  reserveString(str.length * (1 + newLine.length / Math.max(wrapLength, 1)));
  if (wrapLength < 1) wrapLength = 1;
  const b = stringToBytes(str);
  const s = (a: number, e?: number): string => bytesToString(b.subarray(a, e));
  const len = b.length;
  let offset = 0;
  let out = "";
  const lastSpace = (a: number, e: number): number => {
    for (let i = Math.min(e, len) - 1; i >= a; i--) if (b[i] === 0x20) return i - a;
    return -1;
  };
  while (len - offset > wrapLength) {
    if (b[offset] === 0x20) {
      offset++;
      continue;
    }
    const end = wrapLength + offset + 1;
    const spaceToWrapAt = lastSpace(offset, end) + offset;
    if (spaceToWrapAt >= offset) {
      out += s(offset, spaceToWrapAt) + newLine;
      offset = spaceToWrapAt + 1;
    } else if (wrapLong) {
      out += s(offset, wrapLength + offset) + newLine;
      offset += wrapLength;
    } else {
      const e = wrapLength + offset;
      let idx = -1;
      for (let i = e; i < len; i++) {
        if (b[i] === 0x20) {
          idx = i - e;
          break;
        }
      }
      if (idx === -1) {
        out += s(offset);
        offset = len;
      } else {
        const at = idx + e;
        out += s(offset, at) + newLine;
        offset = at + 1;
      }
    }
  }
  return out + s(offset);
}

// xstrings (v1.5.0) case conversions.
function isConnector(ch: string): boolean {
  return ch === "-" || ch === "_" || isSpace(ch.codePointAt(0)!);
}
function isAlphabet(ch: string): boolean {
  if (!isLetter(ch)) return false;
  const r = ch.codePointAt(0)!;
  if (r < 0x2e80) return true;
  if (r >= 0x4e00 && r <= 0x9fcc) return false;
  if (r >= 0x3400 && r <= 0x4db5) return false;
  if (r >= 0x20000 && r <= 0x2a6d6) return false;
  if (r >= 0x2a700 && r <= 0x2b734) return false;
  if (r >= 0x2b740 && r <= 0x2b81d) return false;
  if (r >= 0xf900 && r <= 0xfad9) return false;
  return true;
}
const isUpper = (ch: string): boolean => UPPER.test(ch);

function toCamelCase(str: string, isBig: boolean): string {
  if (str.length === 0) return "";
  str = toValidUtf8(str);
  const rs = [...str];
  let out = "";
  let i = 0;
  let isFirstUpper = false;
  let r0 = "";
  while (i < rs.length) {
    r0 = rs[i++]!;
    if (!isConnector(r0)) {
      isFirstUpper = isUpper(r0);
      r0 = isBig ? mapRunes(r0, (c) => c.toUpperCase()) : mapRunes(r0, (c) => c.toLowerCase());
      break;
    }
    out += r0;
  }
  if (i >= rs.length) {
    // xstrings writes the last rune again when the input is only connectors ("  " → "   ")
    if (r0 !== "") out += r0;
    return out;
  }
  let r1: string;
  while (i < rs.length) {
    r1 = r0;
    r0 = rs[i++]!;
    if (isConnector(r0) && isConnector(r1)) {
      out += r1;
      continue;
    }
    if (isConnector(r1)) {
      isFirstUpper = isUpper(r0);
      r0 = mapRunes(r0, (c) => c.toUpperCase());
    } else {
      if (isFirstUpper) {
        if (isUpper(r0)) r0 = mapRunes(r0, (c) => c.toLowerCase());
        else isFirstUpper = false;
      }
      out += r1;
    }
  }
  if (isFirstUpper && !isBig) r0 = mapRunes(r0, (c) => c.toLowerCase());
  return out + r0;
}

const enum W {
  Invalid,
  Number,
  Upper,
  Alpha,
  Connector,
  Punct,
  Other,
}

/** An escaped raw byte (see gostr.ts): xstrings skips invalid UTF-8 and charges it to a neighbouring rune. */
function isEsc(ch: string | undefined): boolean {
  if (ch === undefined || ch.length !== 1) return false;
  const c = ch.charCodeAt(0);
  // utf8.RuneError itself (U+FFFD) is indistinguishable from an invalid byte for xstrings
  return (c >= 0xdc80 && c <= 0xdcff) || c === 0xfffd;
}

/**
 * xstrings' nextWord. Invalid bytes are handled like its nextValidRune: skipped, and counted with the next valid
 * rune, or with the previous one at the end of the input.
 */
function nextWord(rs: string[], start: number): [W, number, number] {
  if (start >= rs.length) return [W.Invalid, start, start];
  let i = start;
  while (i < rs.length && isEsc(rs[i])) i++;
  if (i >= rs.length) return [W.Invalid, start, i];
  const r = rs[i]!;
  i++;
  // extends the word while the next valid rune satisfies ok(); trailing invalid bytes join the word
  const run = (ok: (c: string) => boolean): void => {
    for (;;) {
      let j = i;
      while (j < rs.length && isEsc(rs[j])) j++;
      if (j >= rs.length) {
        i = j;
        return;
      }
      if (!ok(rs[j]!)) return;
      i = j + 1;
    }
  };
  const peek = (): [string | undefined, number] => {
    let j = i;
    while (j < rs.length && isEsc(rs[j])) j++;
    return [rs[j], j];
  };
  if (isConnector(r)) {
    run(isConnector);
    return [W.Connector, start, i];
  }
  if (PUNCT.test(r)) {
    run((c) => PUNCT.test(c));
    return [W.Punct, start, i];
  }
  if (isUpper(r)) {
    const [n, j] = peek();
    if (n === undefined) return [W.Upper, start, rs.length];
    if (isUpper(n)) {
      let prev = i;
      i = j + 1;
      for (;;) {
        const [m, k] = peek();
        if (m === undefined) {
          i = rs.length;
          break;
        }
        if (!isUpper(m)) {
          if (isAlphabet(m)) i = prev;
          break;
        }
        prev = i;
        i = k + 1;
      }
    } else if (isAlphabet(n)) {
      i = j + 1;
      run((c) => isAlphabet(c) && !isUpper(c));
    }
    return [W.Upper, start, i];
  }
  if (isAlphabet(r)) {
    run((c) => isAlphabet(c) && !isUpper(c));
    return [W.Alpha, start, i];
  }
  if (NUMBER.test(r)) {
    run((c) => NUMBER.test(c));
    return [W.Number, start, i];
  }
  run((c) => !(isConnector(c) || isAlphabet(c) || NUMBER.test(c) || PUNCT.test(c)));
  return [W.Other, start, i];
}

function camelCaseToLowerCase(str: string, connector: string): string {
  if (str.length === 0) return "";
  const rs = [...str];
  let out = "";
  const lower = (wt: W, a: number, b: number): void => {
    const word = rs.slice(a, b);
    if (wt !== W.Upper && wt !== W.Connector) {
      out += word.join("");
      return;
    }
    for (const c of word) {
      if (isConnector(c)) out += connector;
      else if (isUpper(c)) out += mapRunes(c, (x) => x.toLowerCase());
      else if (isEsc(c)) out += "\ufffd"; // decoded and re-encoded: an invalid byte becomes RuneError
      else out += c;
    }
  };
  let [wt, ws, we] = nextWord(rs, 0);
  while (we < rs.length) {
    if (wt !== W.Connector) lower(wt, ws, we);
    const prev = wt;
    const lastS = ws, lastE = we;
    [wt, ws, we] = nextWord(rs, we);
    switch (prev) {
      case W.Number:
        while (wt === W.Alpha || wt === W.Number) {
          lower(wt, ws, we);
          [wt, ws, we] = nextWord(rs, we);
        }
        if (wt !== W.Invalid && wt !== W.Punct && wt !== W.Connector) out += connector;
        break;
      case W.Connector:
        lower(prev, lastS, lastE);
        break;
      case W.Punct:
        break;
      default: {
        if (wt !== W.Number) {
          if (wt !== W.Connector && wt !== W.Punct) out += connector;
          break;
        }
        if (we >= rs.length) break;
        const l2s = ws, l2e = we;
        [wt, ws, we] = nextWord(rs, we);
        if (wt !== W.Alpha) {
          lower(W.Number, l2s, l2e);
          if (wt !== W.Connector && wt !== W.Punct) out += connector;
          break;
        }
        out += connector;
        lower(W.Number, l2s, l2e);
        while (wt === W.Alpha || wt === W.Number) {
          lower(wt, ws, we);
          [wt, ws, we] = nextWord(rs, we);
        }
        if (wt !== W.Invalid && wt !== W.Connector && wt !== W.Punct) out += connector;
      }
    }
  }
  lower(wt, ws, we);
  return out;
}

function randomFrom(count: number, chars: string): string {
  if (count < 0) throw new GoError(`Requested random string length ${count} is less than 0.`);
  reserveString(count);
  const out: string[] = [];
  const buf = new Uint32Array(1);
  for (let i = 0; i < count; i++) {
    crypto.getRandomValues(buf);
    out.push(chars[buf[0]! % chars.length]!);
  }
  return out.join("");
}
const ALPHA = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const NUM = "0123456789";
let ASCII_PRINT = "";
for (let c = 32; c <= 126; c++) ASCII_PRINT += String.fromCharCode(c);

/** strings.Split. */
export function goSplit(s: string, sep: string, n = -1): string[] {
  if (n === 0) return [];
  if (sep === "") {
    const rs = [...s].map((c) => (c.length === 1 && c.charCodeAt(0) >= 0xd800 && c.charCodeAt(0) <= 0xdfff ? c : c));
    if (n < 0 || n >= rs.length) return rs;
    return [...rs.slice(0, n - 1), rs.slice(n - 1).join("")];
  }
  const parts = s.split(sep);
  if (n < 0 || n >= parts.length) return parts;
  return [...parts.slice(0, n - 1), parts.slice(n - 1).join(sep)];
}

/** strings.Replace(s, old, new, -1). */
export function replaceAll(s: string, old: string, nw: string): string {
  if (nw.length > old.length) reserveString(s.length + occurrences(s, old) * (nw.length - old.length));
  if (old === "") {
    const rs = [...s];
    return nw + rs.map((c) => c + nw).join("");
  }
  return s.split(old).join(nw);
}

/** Non-overlapping occurrences of `sub` in `s` (the empty string occurs before each character and at the end). */
function occurrences(s: string, sub: string): number {
  if (sub === "") return s.length + 1;
  let n = 0;
  for (let i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length)) n++;
  return n;
}

/** strings.Trim(s, cutset) and friends. */
function trimCut(s: string, cutset: string): string {
  if (s === "" || cutset === "") return s;
  const set = new Set([...cutset]);
  const rs = [...s];
  let i = 0, j = rs.length;
  while (i < j && set.has(rs[i]!)) i++;
  while (j > i && set.has(rs[j - 1]!)) j--;
  return rs.slice(i, j).join("");
}

/** sprig strslice. */
export function strslice(v: GoValue): GoSlice {
  if (v instanceof GoSlice) {
    if (v.type.elem === T.string) return v;
    return GoSlice.of(T.string, v.items.filter((x) => x !== null).map(strval));
  }
  if (v === null) return GoSlice.of(T.string, []);
  return GoSlice.of(T.string, [strval(v)]);
}

// path.Clean and friends (Linux filepath is the same).
export function pathClean(p: string): string {
  if (p === "") return ".";
  const rooted = p[0] === "/";
  const parts = p.split("/");
  const out: string[] = [];
  for (const part of parts) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!rooted) out.push("..");
      continue;
    }
    out.push(part);
  }
  const s = out.join("/");
  if (rooted) return "/" + s;
  return s === "" ? "." : s;
}
function pathBase(p: string): string {
  if (p === "") return ".";
  while (p.length > 0 && p.endsWith("/")) p = p.slice(0, -1);
  const i = p.lastIndexOf("/");
  if (i >= 0) p = p.slice(i + 1);
  return p === "" ? "/" : p;
}
function pathDir(p: string): string {
  const i = p.lastIndexOf("/");
  return pathClean(p.slice(0, i + 1));
}
function pathExt(p: string): string {
  for (let i = p.length - 1; i >= 0 && p[i] !== "/"; i--) if (p[i] === ".") return p.slice(i);
  return "";
}

function substring(start: number, end: number, s: string): string {
  const len = utf8Len(s);
  if (start < 0) {
    if (end < 0 || end > len) throw sliceBoundsError(end < 0 ? `[:${end}]` : `[:${end}] with length ${len}`);
    return byteSlice(s, 0, end);
  }
  if (end < 0 || end > len) {
    if (start > len) throw sliceBoundsError(`[${start}:${len}]`);
    return byteSlice(s, start);
  }
  if (start > end) throw sliceBoundsError(`[${start}:${end}]`);
  return byteSlice(s, start, end);
}

function trunc(c: number, s: string): string {
  const len = utf8Len(s);
  if (c < 0 && len + c > 0) return byteSlice(s, len + c);
  if (c >= 0 && len > c) return byteSlice(s, 0, c);
  return s;
}

function splitMap(parts: string[]): GoMap {
  const m = GoMap.of(T.string);
  parts.forEach((p, i) => m.m.set("_" + i, p));
  return m;
}

export function stringFuncs(f: FuncMap): void {
  f.set("hello", def("", () => "Hello!"));
  f.set(
    "abbrev",
    def("int, string", (a) => (intArg(a[0]!) < 4 ? a[1]! : abbreviateFull(a[1] as string, 0, intArg(a[0]!)))),
  );
  f.set(
    "abbrevboth",
    def("int, int, string", (a) => {
      const l = intArg(a[0]!), r = intArg(a[1]!);
      if (r < 4 || (l > 0 && r < 7)) return a[2]!;
      return abbreviateFull(a[2] as string, l, r);
    }),
  );
  f.set("trunc", def("int, string", (a) => trunc(intArg(a[0]!), a[1] as string)));
  f.set("trim", def("string", (a) => trimSpace(a[0] as string)));
  f.set("upper", def("string", (a) => toUpper(a[0] as string)));
  f.set("lower", def("string", (a) => toLower(a[0] as string)));
  f.set("title", def("string", (a) => title(a[0] as string)));
  f.set("untitle", def("string", (a) => untitle(a[0] as string)));
  f.set("substr", def("int, int, string", (a) => substring(intArg(a[0]!), intArg(a[1]!), a[2] as string)));
  f.set(
    "repeat",
    def("int, string", (a) => {
      const n = intArg(a[0]!);
      if (n < 0) throw new GoError("strings: negative Repeat count");
      reserveString(n * (a[1] as string).length);
      return (a[1] as string).repeat(n);
    }),
  );
  const trimAll = def("string, string", (a) => trimCut(a[1] as string, a[0] as string));
  f.set("trimall", trimAll);
  f.set("trimAll", trimAll);
  f.set(
    "trimSuffix",
    def(
      "string, string",
      (a) =>
        bytewise(
          [a[1] as string, a[0] as string],
          (s, x) => (x !== "" && s!.endsWith(x!) ? s!.slice(0, s!.length - x!.length) : s!),
        ),
    ),
  );
  f.set(
    "trimPrefix",
    def(
      "string, string",
      (a) => bytewise([a[1] as string, a[0] as string], (s, x) => (s!.startsWith(x!) ? s!.slice(x!.length) : s!)),
    ),
  );
  f.set("nospace", def("string", (a) => nospace(a[0] as string)));
  f.set("initials", def("string", (a) => initials(a[0] as string)));
  f.set("randAlphaNum", def("int", (a) => randomFrom(intArg(a[0]!), ALPHA + NUM)));
  f.set("randAlpha", def("int", (a) => randomFrom(intArg(a[0]!), ALPHA)));
  f.set("randAscii", def("int", (a) => randomFrom(intArg(a[0]!), ASCII_PRINT)));
  f.set("randNumeric", def("int", (a) => randomFrom(intArg(a[0]!), NUM)));
  f.set("swapcase", def("string", (a) => swapcase(a[0] as string)));
  f.set(
    "shuffle",
    def("string", (a) => {
      const rs = runes(a[0] as string).map((r) => String.fromCodePoint(r));
      for (let i = rs.length - 1; i > 0; i--) {
        const j = Math.floor(Math.random() * (i + 1));
        [rs[i], rs[j]] = [rs[j]!, rs[i]!];
      }
      return rs.join("");
    }),
  );
  f.set("snakecase", def("string", (a) => camelCaseToLowerCase(a[0] as string, "_")));
  f.set("camelcase", def("string", (a) => toCamelCase(a[0] as string, true)));
  f.set("kebabcase", def("string", (a) => camelCaseToLowerCase(a[0] as string, "-")));
  f.set("wrap", def("int, string", (a) => wrapCustom(a[1] as string, intArg(a[0]!), "", false)));
  f.set("wrapWith", def("int, string, string", (a) => wrapCustom(a[2] as string, intArg(a[0]!), a[1] as string, true)));
  const strs2 = (a: GoValue[]): string[] => [a[0] as string, a[1] as string];
  f.set("contains", def("string, string", (a) => bytewise(strs2(a), (sub, s) => s!.includes(sub!))));
  f.set("hasPrefix", def("string, string", (a) => bytewise(strs2(a), (p, s) => s!.startsWith(p!))));
  f.set("hasSuffix", def("string, string", (a) => bytewise(strs2(a), (p, s) => s!.endsWith(p!))));
  f.set("quote", def("...any", (a) => a.filter((x) => x !== null).map((x) => goQuote(strval(x))).join(" ")));
  f.set("squote", def("...any", (a) => a.filter((x) => x !== null).map((x) => "'" + formatValue(x) + "'").join(" ")));
  f.set("cat", def("...any", (a) => a.filter((x) => x !== null).map((x) => formatValue(x)).join(" ")));
  const indent = (n: number, v: string): string => {
    reserveString(v.length + Math.max(n, 0) * occurrences(v, "\n") + Math.max(n, 0));
    const pad = " ".repeat(Math.max(n, 0));
    return pad + replaceAll(v, "\n", "\n" + pad);
  };
  f.set("indent", def("int, string", (a) => indent(intArg(a[0]!), a[1] as string)));
  f.set("nindent", def("int, string", (a) => "\n" + indent(intArg(a[0]!), a[1] as string)));
  f.set(
    "replace",
    def(
      "string, string, string",
      (a) => bytewise([a[2] as string, a[0] as string, a[1] as string], (s, o, n) => replaceAll(s!, o!, n!)),
    ),
  );
  f.set("plural", def("string, string, int", (a) => (intArg(a[2]!) === 1 ? a[0]! : a[1]!)));
  f.set("toString", def("any", (a) => strval(a[0]!)));
  const split = (s: string, sep: string, n = -1): string[] => {
    reserveList(n < 0 ? occurrences(s, sep) : Math.min(n, occurrences(s, sep)));
    return sep === "" ? goSplit(s, sep, n) : bytewise([s, sep], (x, y) => goSplit(x!, y!, n));
  };
  f.set("split", def("string, string", (a) => splitMap(split(a[1] as string, a[0] as string))));
  f.set("splitList", def("string, string", (a) => GoSlice.of(T.string, split(a[1] as string, a[0] as string))));
  f.set("splitn", def("string, int, string", (a) => splitMap(split(a[2] as string, a[0] as string, intArg(a[1]!)))));
  f.set("toStrings", def("any", (a) => strslice(a[0]!)));
  f.set("join", def("string, any", (a) => strslice(a[1]!).items.join(a[0] as string)));
  f.set(
    "sortAlpha",
    def("any", (a) => {
      const v = a[0]!;
      if (v instanceof GoSlice) {
        return GoSlice.of(T.string, [...strslice(v).items as string[]].sort(compareGoStrings));
      }
      return GoSlice.of(T.string, [strval(v)]);
    }),
  );
  for (const [name, fn] of [["base", pathBase], ["dir", pathDir], ["clean", pathClean], ["ext", pathExt]] as const) {
    f.set(name, def("string", (a) => fn(a[0] as string)));
    f.set("os" + name[0]!.toUpperCase() + name.slice(1), def("string", (a) => fn(a[0] as string)));
  }
  f.set("isAbs", def("string", (a) => (a[0] as string).startsWith("/")));
  f.set("osIsAbs", def("string", (a) => (a[0] as string).startsWith("/")));
}

export { GoInt };
