/**
 * Go's regexp on RE2JS (npm `re2js`, a port of RE2/Go's regexp): RE2 syntax and linear-time matching, so a tenant's
 * pattern cannot backtrack the controller into a freeze. On top of the matcher: Go's FindAll/ReplaceAll/Split/Expand
 * iteration rules, which differ from RE2JS's Java-style helpers for empty matches and `$name` expansion.
 *
 * @module
 */

import { Matcher, RE2JS } from "re2js";
import { budget, reserveList, reserveString } from "../budget.ts";
import { def, type FuncMap, GoError } from "../func.ts";
import { type GoInt, GoSlice, T } from "../values.ts";

/** A compiled Go regexp. */
export class GoRegexp {
  private readonly re: RE2JS;
  /** Capture group names by index (index 0 and unnamed groups: ""). */
  readonly names: string[];
  constructor(readonly expr: string) {
    try {
      this.re = RE2JS.compile(expr);
    } catch (e) {
      // RE2JS words syntax errors as Go does ("error parsing regexp: missing closing ): `(`")
      const raw = (e as Error).message;
      const msg = raw.startsWith("error parsing regexp: ") ? raw : `error parsing regexp: ${raw}`;
      // the redacted form keeps the reason, not the quoted fragment (a pattern may be built from secret data)
      throw new GoError(msg, msg.replace(/: `[^]*`$/, ""));
    }
    this.names = new Array<string>(this.re.groupCount() + 1).fill("");
    for (const [name, i] of Object.entries(this.re.namedGroups())) this.names[i] = name;
  }

  /** Leftmost-first match at or after pos: [start, end, ...group offsets] (UTF-16 offsets; -1 for unmatched). */
  private execIdx(m: Matcher, pos: number): number[] | null {
    if (!m.find(pos)) return null;
    const out: number[] = [];
    for (let i = 0; i < this.names.length; i++) out.push(m.start(i), m.end(i));
    return out;
  }

  /** Go's allMatches: non-overlapping, empty matches right after a match skipped. */
  findAll(s: string, n: number): number[][] {
    const out: number[][] = [];
    if (n < 0) n = s.length + 1;
    let pos = 0, prevMatchEnd = -1;
    const matcher = new Matcher(this.re, s);
    const maxList = budget().limits.maxListLength;
    while (out.length < n && pos <= s.length) {
      if (out.length >= maxList) reserveList(out.length + 1);
      const m = this.execIdx(matcher, pos);
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
    return this.re.test(s);
  }

  findString(s: string): string {
    const m = this.execIdx(new Matcher(this.re, s), 0);
    return m ? s.slice(m[0], m[1]) : "";
  }

  replaceAll(src: string, repl: (m: number[]) => string): string {
    let out = "";
    let lastMatchEnd = 0, searchPos = 0;
    const matcher = new Matcher(this.re, src);
    const maxString = budget().limits.maxStringSize;
    while (searchPos <= src.length) {
      if (out.length > maxString) reserveString(out.length);
      const a = this.execIdx(matcher, searchPos);
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
    throw new GoError(`regexp: Compile(${goBackquote(expr)}): ${ge.message}`, `regexp: Compile: ${ge.redacted}`);
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
}
