/**
 * Go's regexp (RE2 syntax, leftmost-first) on top of JavaScript's engine: a translator from RE2 syntax to an
 * equivalent JS pattern (explicit ASCII classes, Go's `.`, `^`, `$`, `\A`, `\z`, flags, POSIX classes, `\Q..\E`),
 * plus Go's FindAll/ReplaceAll/Split/Expand iteration rules, which differ from JS for empty matches.
 *
 * @module
 */

import { def, type FuncMap, GoError } from "../func.ts";
import { byteSlice, stringToBytes } from "../gostr.ts";
import { type GoInt, GoSlice, T } from "../values.ts";

export class RegexSyntaxError extends Error {}

interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
  U: boolean;
}

const WORD = "0-9A-Za-z_";
const SPACE = "\\t\\n\\f\\r ";
const POSIX: Record<string, string> = {
  alnum: "0-9A-Za-z",
  alpha: "A-Za-z",
  ascii: "\\x00-\\x7f",
  blank: "\\t ",
  cntrl: "\\x00-\\x1f\\x7f",
  digit: "0-9",
  graph: "!-~",
  lower: "a-z",
  print: " -~",
  punct: "!-\\/:-@\\[-`{-~",
  space: "\\t\\n\\v\\f\\r ",
  upper: "A-Z",
  word: WORD,
  xdigit: "0-9A-Fa-f",
};
const PERL: Record<string, string> = { d: "0-9", s: SPACE, w: WORD };

const SCRIPTS_OR_CATS = /^(?:[A-Z][a-z]?|[A-Z][a-z_]+)$/;

function unicodeClass(name: string, neg: boolean): string {
  if (name === "Any") return neg ? "[^\\s\\S]" : "[\\s\\S]";
  if (!SCRIPTS_OR_CATS.test(name)) throw new RegexSyntaxError(`invalid character class range: \`\\p{${name}}\``);
  const isCat = /^[A-Z][a-z]?$/.test(name) &&
    /^(?:L|Lu|Ll|Lt|Lm|Lo|M|Mn|Mc|Me|N|Nd|Nl|No|P|Pc|Pd|Ps|Pe|Pi|Pf|Po|S|Sm|Sc|Sk|So|Z|Zs|Zl|Zp|C|Cc|Cf|Cs|Co)$/.test(
      name,
    );
  const body = isCat ? name : `Script=${name}`;
  try {
    new RegExp(`\\p{${body}}`, "u");
  } catch {
    throw new RegexSyntaxError(`invalid character class range: \`\\p{${name}}\``);
  }
  return `\\${neg ? "P" : "p"}{${body}}`;
}

function escapeLiteral(cp: number, inClass: boolean): string {
  const ch = String.fromCodePoint(cp);
  if (inClass) {
    if ("\\]^-[".includes(ch)) return "\\" + ch;
  } else if ("\\^$.|?*+()[]{}/".includes(ch)) return "\\" + ch;
  if (cp < 0x20 || cp === 0x7f) return "\\x" + cp.toString(16).padStart(2, "0");
  if (cp >= 0xd800 && cp <= 0xdfff) return "\\u" + cp.toString(16);
  return ch;
}

/** Translates an RE2 pattern; returns the JS source and the capture group names (index 0 unused). */
export function translate(re: string): { source: string; names: string[] } {
  const cps = [...re].map((c) => c.codePointAt(0)!);
  let p = 0;
  const names: string[] = [""];
  const err = (msg: string): never => {
    throw new RegexSyntaxError(msg);
  };
  const peek = (k = 0): number | undefined => cps[p + k];
  const str = (a: number, b: number): string => String.fromCodePoint(...cps.slice(a, b));

  function parseEscape(inClass: boolean, f: Flags): { cls?: string; lit?: number; assert?: string } {
    const start = p;
    p++; // backslash
    const c = cps[p];
    if (c === undefined) err("trailing backslash at end of expression: ``");
    p++;
    const ch = String.fromCodePoint(c!);
    if (ch >= "1" && ch <= "7") {
      // octal only when followed by more octal digits and not a backreference
      err(`invalid escape sequence: \`${str(start, p)}\``);
    }
    if (ch === "0") {
      let v = 0;
      let n = 0;
      while (n < 2 && peek() !== undefined && peek()! >= 0x30 && peek()! <= 0x37) {
        v = v * 8 + (cps[p]! - 0x30);
        p++;
        n++;
      }
      return { lit: v };
    }
    switch (ch) {
      case "a":
        return { lit: 7 };
      case "f":
        return { lit: 12 };
      case "t":
        return { lit: 9 };
      case "n":
        return { lit: 10 };
      case "r":
        return { lit: 13 };
      case "v":
        return { lit: 11 };
      case "x": {
        if (peek() === 0x7b) {
          p++;
          const s = p;
          while (peek() !== undefined && peek() !== 0x7d) p++;
          if (peek() !== 0x7d) err(`invalid escape sequence: \`${str(start, p)}\``);
          const hex = str(s, p);
          p++;
          if (!/^[0-9a-fA-F]+$/.test(hex) || parseInt(hex, 16) > 0x10ffff) {
            err(`invalid escape sequence: \`${str(start, p)}\``);
          }
          return { lit: parseInt(hex, 16) };
        }
        const h = str(p, p + 2);
        if (!/^[0-9a-fA-F]{2}$/.test(h)) err(`invalid escape sequence: \`${str(start, Math.min(p + 2, cps.length))}\``);
        p += 2;
        return { lit: parseInt(h, 16) };
      }
      case "d":
      case "s":
      case "w":
        return { cls: `[${PERL[ch]}]` };
      case "D":
      case "S":
      case "W":
        return { cls: `[^${PERL[ch.toLowerCase()]}]` };
      case "p":
      case "P": {
        let name: string;
        if (peek() === 0x7b) {
          p++;
          const s = p;
          while (peek() !== undefined && peek() !== 0x7d) p++;
          if (peek() !== 0x7d) err(`invalid character class range: \`${str(start, p)}\``);
          name = str(s, p);
          p++;
        } else {
          if (peek() === undefined) err(`invalid character class range: \`${str(start, p)}\``);
          name = String.fromCodePoint(cps[p]!);
          p++;
        }
        let neg = ch === "P";
        if (name.startsWith("^")) {
          neg = !neg;
          name = name.slice(1);
        }
        return { cls: unicodeClass(name, neg) };
      }
    }
    if (!inClass) {
      switch (ch) {
        case "A":
          return { assert: "(?<![\\s\\S])" };
        case "z":
          return { assert: "(?![\\s\\S])" };
        case "b":
          return { assert: `(?:(?<=[${WORD}])(?![${WORD}])|(?<![${WORD}])(?=[${WORD}]))` };
        case "B":
          return { assert: `(?:(?<=[${WORD}])(?=[${WORD}])|(?<![${WORD}])(?![${WORD}]))` };
      }
    }
    if (c! < 0x80 && !/[0-9A-Za-z]/.test(ch)) return { lit: c! };
    void f;
    return err(`invalid escape sequence: \`${str(start, p)}\``);
  }

  function parseClass(f: Flags): string {
    const start = p;
    p++; // [
    let neg = false;
    if (peek() === 0x5e) {
      neg = true;
      p++;
    }
    const items: string[] = [];
    let first = true;
    while (true) {
      const c = peek();
      if (c === undefined) err(`missing closing ]: \`${str(start, cps.length)}\``);
      if (c === 0x5d && !first) {
        p++;
        break;
      }
      first = false;
      if (c === 0x5b && peek(1) === 0x3a) {
        const end = cps.indexOf(0x5d, p);
        const s = str(p, end + 1);
        const m = /^\[:(\^?)([a-z]+):\]$/.exec(s);
        if (m && POSIX[m[2]!]) {
          p = end + 1;
          items.push(m[1] ? `[^${POSIX[m[2]!]}]` : `[${POSIX[m[2]!]}]`);
          continue;
        }
      }
      const lo = classAtom(f);
      if (lo.cls !== undefined) {
        items.push(lo.cls);
        continue;
      }
      if (peek() === 0x2d && peek(1) !== undefined && peek(1) !== 0x5d) {
        p++;
        const hi = classAtom(f);
        if (hi.cls !== undefined || hi.lit! < lo.lit!) {
          err(
            `invalid character class range: \`${String.fromCodePoint(lo.lit!)}-${
              hi.lit !== undefined ? String.fromCodePoint(hi.lit) : ""
            }\``,
          );
        }
        items.push(`[${escapeLiteral(lo.lit!, true)}-${escapeLiteral(hi.lit!, true)}]`);
        continue;
      }
      items.push(`[${escapeLiteral(lo.lit!, true)}]`);
    }
    // union of items via alternation keeps nested classes simple and correct
    const inner = items.length === 0 ? "[^\\s\\S]" : items.length === 1 ? items[0]! : `(?:${items.join("|")})`;
    const body = neg ? `(?:(?!${inner})[\\s\\S])` : inner;
    return f.i ? `(?i:${body})` : body;
  }

  function classAtom(f: Flags): { cls?: string; lit?: number } {
    const c = cps[p]!;
    if (c === 0x5c) {
      const e = parseEscape(true, f);
      if (e.assert) err("invalid escape");
      return e.cls !== undefined ? { cls: e.cls } : { lit: e.lit! };
    }
    p++;
    return { lit: c };
  }

  function parseAlt(f: Flags, depth: number): string {
    const alts: string[] = [];
    let cur: string[] = [];
    const flags = { ...f };
    for (;;) {
      const c = peek();
      if (c === undefined) break;
      if (c === 0x7c) {
        p++;
        alts.push(cur.join(""));
        cur = [];
        continue;
      }
      if (c === 0x29) {
        if (depth === 0) err(`unexpected ): \`${re}\``);
        break;
      }
      // repetition operators
      if (c === 0x2a || c === 0x2b || c === 0x3f || (c === 0x7b && isRepeat())) {
        const opStart = p;
        let op = parseRepeat();
        if (cur.length === 0) err(`missing argument to repetition operator: \`${str(opStart, p)}\``);
        const last = cur[cur.length - 1]!;
        if (last.startsWith("\u0000rep")) err(`invalid nested repetition operator: \`${str(opStart - 1, p)}\``);
        let lazy = false;
        if (peek() === 0x3f) {
          p++;
          lazy = true;
        }
        if (flags.U) lazy = !lazy;
        const nextC = peek();
        if (nextC === 0x2a || nextC === 0x2b || nextC === 0x3f || (nextC === 0x7b && isRepeat())) {
          const s = p;
          parseRepeat();
          err(`invalid nested repetition operator: \`${str(opStart, p)}\``);
          void s;
        }
        op += lazy ? "?" : "";
        cur[cur.length - 1] = "\u0000rep" + `(?:${last})${op}`;
        continue;
      }
      cur.push(parseAtom(flags, depth));
    }
    alts.push(cur.join(""));
    return alts.map((a) => a.replaceAll("\u0000rep", "")).join("|");
  }

  function isRepeat(): boolean {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(str(p, Math.min(cps.length, p + 24)));
    return m !== null;
  }

  function parseRepeat(): string {
    const c = cps[p]!;
    if (c !== 0x7b) {
      p++;
      return String.fromCodePoint(c);
    }
    const m = /^\{(\d+)(,(\d*))?\}/.exec(str(p, Math.min(cps.length, p + 24)))!;
    const start = p;
    p += m[0].length;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : m[3] === "" ? -1 : Number(m[3]);
    if (lo > 1000 || hi > 1000 || (hi >= 0 && lo > hi)) err(`invalid repeat count: \`${str(start, p)}\``);
    return m[0];
  }

  function parseAtom(flags: Flags, depth: number): string {
    const c = cps[p]!;
    switch (c) {
      case 0x28: { // (
        const start = p;
        p++;
        if (peek() === 0x3f) {
          // (?P<name>  (?<name>  (?flags)  (?flags:
          if (peek(1) === 0x50 && peek(2) === 0x3c || peek(1) === 0x3c) {
            p += peek(1) === 0x50 ? 3 : 2;
            const s = p;
            while (peek() !== undefined && peek() !== 0x3e) p++;
            const name = str(s, p);
            if (peek() !== 0x3e || !/^[A-Za-z0-9_]+$/.test(name)) {
              err(`invalid named capture: \`${str(start, p + 1)}\``);
            }
            if (names.includes(name)) err(`duplicate capture group name: \`${name}\``);
            p++;
            names.push(name);
            const inner = parseAlt(flags, depth + 1);
            if (peek() !== 0x29) err(`missing closing ): \`${re}\``);
            p++;
            return `(${inner})`;
          }
          p++;
          let neg = false;
          let sawFlag = false;
          const nf = { ...flags };
          for (;;) {
            const fc = peek();
            if (fc === undefined) err(`missing closing ): \`${str(start, cps.length)}\``);
            const fch = String.fromCodePoint(fc!);
            p++;
            if (fch === "i" || fch === "m" || fch === "s" || fch === "U") {
              nf[fch] = !neg;
              sawFlag = true;
              continue;
            }
            if (fch === "-") {
              if (neg) err(`invalid or unsupported Perl syntax: \`${str(start, p)}\``);
              neg = true;
              sawFlag = false;
              continue;
            }
            if (fch === ":") {
              if (neg && !sawFlag) err(`invalid or unsupported Perl syntax: \`${str(start, p)}\``);
              const inner = parseAlt(nf, depth + 1);
              if (peek() !== 0x29) err(`missing closing ): \`${re}\``);
              p++;
              return `(?:${inner})`;
            }
            if (fch === ")") {
              if ((neg && !sawFlag) || p - start === 3) err(`invalid or unsupported Perl syntax: \`${str(start, p)}\``);
              Object.assign(flags, nf);
              return "";
            }
            err(`invalid or unsupported Perl syntax: \`${str(start, p)}\``);
          }
        }
        names.push("");
        const inner = parseAlt(flags, depth + 1);
        if (peek() !== 0x29) err(`missing closing ): \`${re}\``);
        p++;
        return `(${inner})`;
      }
      case 0x5b:
        return parseClass(flags);
      case 0x2e:
        p++;
        return flags.s ? "[\\s\\S]" : "[^\\n]";
      case 0x5e:
        p++;
        return flags.m ? "(?<![^\\n])" : "(?<![\\s\\S])";
      case 0x24:
        p++;
        return flags.m ? "(?![^\\n])" : "(?![\\s\\S])";
      case 0x5c: {
        if (peek(1) === 0x51) { // \Q...\E
          p += 2;
          let out = "";
          while (p < cps.length) {
            if (cps[p] === 0x5c && cps[p + 1] === 0x45) {
              p += 2;
              break;
            }
            const lit = escapeLiteral(cps[p]!, false);
            out += flags.i ? `(?i:${lit})` : lit;
            p++;
          }
          return out === "" ? "" : `(?:${out})`;
        }
        const e = parseEscape(false, flags);
        if (e.assert) return e.assert;
        if (e.cls !== undefined) return flags.i ? `(?i:${e.cls})` : e.cls;
        const lit = escapeLiteral(e.lit!, false);
        return flags.i ? `(?i:${lit})` : lit;
      }
    }
    p++;
    const lit = escapeLiteral(c, false);
    return flags.i ? `(?i:${lit})` : lit;
  }

  const source = parseAlt({ i: false, m: false, s: false, U: false }, 0);
  if (p < cps.length) err(`unexpected ): \`${re}\``);
  return { source, names };
}

/** A compiled Go regexp. */
export class GoRegexp {
  readonly re: RegExp;
  readonly names: string[];
  constructor(readonly expr: string) {
    let t: { source: string; names: string[] };
    try {
      t = translate(expr);
    } catch (e) {
      if (e instanceof RegexSyntaxError) {
        throw new GoError(`error parsing regexp: ${e.message}`, "error parsing regexp (redacted)");
      }
      throw e;
    }
    try {
      this.re = new RegExp(t.source, "gu");
    } catch (e) {
      throw new GoError(`error parsing regexp: ${(e as Error).message}`, "error parsing regexp (redacted)");
    }
    this.names = t.names;
  }

  /** Match at or after pos: [start, end, ...groups] as UTF-16 offsets, or null. */
  exec(s: string, pos: number): number[] | null {
    this.re.lastIndex = pos;
    const m = this.re.exec(s);
    if (!m) return null;
    const out = [m.index, m.index + m[0].length];
    for (let i = 1; i < m.length; i++) {
      const g = m[i];
      if (g === undefined) out.push(-1, -1);
      else {
        // recover group offsets: search within the match (exact offsets need the d flag)
        out.push(-2, -2);
      }
    }
    return out;
  }

  /** All matches with group offsets (d flag). */
  private execIdx(s: string, pos: number): number[] | null {
    const re = this.reD ??= new RegExp(this.re.source, "gud");
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) return null;
    const out: number[] = [];
    for (let i = 0; i < m.length; i++) {
      const ix = m.indices![i];
      if (ix) out.push(ix[0], ix[1]);
      else out.push(-1, -1);
    }
    return out;
  }
  private reD: RegExp | undefined;

  /** Go's allMatches: non-overlapping, empty matches right after a match skipped. */
  findAll(s: string, n: number): number[][] {
    const out: number[][] = [];
    if (n < 0) n = s.length + 1;
    let pos = 0, prevMatchEnd = -1;
    while (out.length < n && pos <= s.length) {
      const m = this.execIdx(s, pos);
      if (!m) break;
      let accept = true;
      if (m[1] === pos) {
        if (m[0] === prevMatchEnd) accept = false;
        pos += runeWidth(s, pos) || 1; // at the end of the input Go steps past it
      } else pos = m[1]!;
      prevMatchEnd = m[1]!;
      if (accept) out.push(m);
    }
    return out;
  }

  matchString(s: string): boolean {
    this.re.lastIndex = 0;
    return this.re.test(s);
  }

  findString(s: string): string {
    const m = this.execIdx(s, 0);
    return m ? s.slice(m[0], m[1]) : "";
  }

  replaceAll(src: string, repl: (m: number[]) => string): string {
    let out = "";
    let lastMatchEnd = 0, searchPos = 0;
    while (searchPos <= src.length) {
      const a = this.execIdx(src, searchPos);
      if (!a) break;
      out += src.slice(lastMatchEnd, a[0]);
      if (a[1]! > lastMatchEnd || a[0] === 0) out += repl(a);
      lastMatchEnd = a[1]!;
      const width = runeWidth(src, searchPos);
      if (searchPos + width > a[1]!) searchPos += width;
      else if (searchPos + 1 > a[1]!) searchPos++;
      else searchPos = a[1]!;
    }
    return out + src.slice(lastMatchEnd);
  }

  expand(template: string, src: string, m: number[]): string {
    let out = "";
    let t = template;
    for (;;) {
      const i = t.indexOf("$");
      if (i < 0) break;
      out += t.slice(0, i);
      t = t.slice(i + 1);
      if (t.startsWith("$")) {
        out += "$";
        t = t.slice(1);
        continue;
      }
      const ex = extractName(t);
      if (!ex) {
        out += "$";
        continue;
      }
      t = ex.rest;
      if (ex.num >= 0) {
        if (2 * ex.num + 1 < m.length && m[2 * ex.num]! >= 0) out += src.slice(m[2 * ex.num], m[2 * ex.num + 1]);
      } else {
        for (let k = 0; k < this.names.length; k++) {
          if (this.names[k] === ex.name && 2 * k + 1 < m.length && m[2 * k]! >= 0) {
            out += src.slice(m[2 * k], m[2 * k + 1]);
            break;
          }
        }
      }
    }
    return out + t;
  }

  split(s: string, n: number): string[] | null {
    if (n === 0) return null;
    if (this.expr.length > 0 && s.length === 0) return [""];
    const matches = this.findAll(s, n);
    const out: string[] = [];
    let beg = 0, end = 0;
    for (const m of matches) {
      if (n > 0 && out.length === n - 1) break;
      end = m[0]!;
      if (m[1] !== 0) out.push(s.slice(beg, end));
      beg = m[1]!;
    }
    if (end !== s.length) out.push(s.slice(beg));
    return out;
  }
}

function runeWidth(s: string, pos: number): number {
  if (pos >= s.length) return 0;
  const c = s.charCodeAt(pos);
  if (c >= 0xd800 && c <= 0xdbff && pos + 1 < s.length) {
    const d = s.charCodeAt(pos + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return 2;
  }
  return 1;
}

const NAME_CHAR = /[\p{L}\p{Nd}_]/u;
function extractName(t: string): { name: string; num: number; rest: string } | null {
  if (t.length < 1) return null;
  let brace = false;
  if (t[0] === "{") {
    brace = true;
    t = t.slice(1);
  }
  let i = 0;
  for (const ch of t) {
    if (!NAME_CHAR.test(ch)) break;
    i += ch.length;
  }
  if (i === 0) return null;
  const name = t.slice(0, i);
  if (brace) {
    if (t[i] !== "}") return null;
    i++;
  }
  let num = -1;
  if (/^[0-9]+$/.test(name)) {
    num = Number(name);
    if (num >= 1e8) num = -1;
  }
  return { name, num, rest: t.slice(i) };
}

/** regexp.QuoteMeta. */
export function quoteMeta(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, (c) => "\\" + c);
}

const cache = new Map<string, GoRegexp>();
function compile(expr: string): GoRegexp {
  let r = cache.get(expr);
  if (!r) {
    r = new GoRegexp(expr);
    if (cache.size > 256) cache.clear();
    cache.set(expr, r);
  }
  return r;
}

/** regexp.MustCompile panics with "regexp: Compile(`x`): error parsing ...". */
function mustCompile(expr: string): GoRegexp {
  try {
    return compile(expr);
  } catch (e) {
    const ge = e as GoError;
    throw new GoError(`regexp: Compile(${goBackquote(expr)}): ${ge.message}`, "regexp: Compile: (redacted)");
  }
}

function goBackquote(s: string): string {
  return /[`\n]/.test(s) ? JSON.stringify(s) : "`" + s + "`";
}

const strs = (a: string[] | null): GoSlice => new GoSlice(GoSlice.of(T.string, []).type, a ?? [], a === null);

export function regexFuncs(f: FuncMap): void {
  const n = (v: unknown): number => Number((v as GoInt).v);
  f.set(
    "regexMatch",
    def("string, string", (a) => {
      try {
        return compile(a[0] as string).matchString(a[1] as string);
      } catch {
        return false;
      }
    }),
  );
  f.set("mustRegexMatch", def("string, string", (a) => compile(a[0] as string).matchString(a[1] as string)));
  const findAll = (r: GoRegexp, s: string, k: number): GoSlice => {
    const ms = r.findAll(s, k);
    return strs(ms.length === 0 ? null : ms.map((m) => s.slice(m[0], m[1])));
  };
  f.set(
    "regexFindAll",
    def("string, string, int", (a) => findAll(mustCompile(a[0] as string), a[1] as string, n(a[2]))),
  );
  f.set(
    "mustRegexFindAll",
    def("string, string, int", (a) => findAll(compile(a[0] as string), a[1] as string, n(a[2]))),
  );
  f.set("regexFind", def("string, string", (a) => mustCompile(a[0] as string).findString(a[1] as string)));
  f.set("mustRegexFind", def("string, string", (a) => compile(a[0] as string).findString(a[1] as string)));
  const replAll = (r: GoRegexp, s: string, repl: string) => r.replaceAll(s, (m) => r.expand(repl, s, m));
  const replLit = (r: GoRegexp, s: string, repl: string) => r.replaceAll(s, () => repl);
  f.set(
    "regexReplaceAll",
    def("string, string, string", (a) => replAll(mustCompile(a[0] as string), a[1] as string, a[2] as string)),
  );
  f.set(
    "mustRegexReplaceAll",
    def("string, string, string", (a) => replAll(compile(a[0] as string), a[1] as string, a[2] as string)),
  );
  f.set(
    "regexReplaceAllLiteral",
    def("string, string, string", (a) => replLit(mustCompile(a[0] as string), a[1] as string, a[2] as string)),
  );
  f.set(
    "mustRegexReplaceAllLiteral",
    def("string, string, string", (a) => replLit(compile(a[0] as string), a[1] as string, a[2] as string)),
  );
  f.set(
    "regexSplit",
    def("string, string, int", (a) => strs(mustCompile(a[0] as string).split(a[1] as string, n(a[2])))),
  );
  f.set(
    "mustRegexSplit",
    def("string, string, int", (a) => strs(compile(a[0] as string).split(a[1] as string, n(a[2])))),
  );
  f.set("regexQuoteMeta", def("string", (a) => quoteMeta(a[0] as string)));
  void byteSlice;
  void stringToBytes;
}
