/**
 * Go's `regexp` where ESO applies it to what users write (`dataFrom.find.name.regexp`, `rewrite.regexp`), on RE2JS
 * (npm `re2js`, a port of RE2): Go's syntax and linear-time matching, so a tenant's pattern cannot freeze the
 * controller. The interface is the one `controller/template/go_regexp.ts` (branch issue-10t) offers, so either can
 * serve once both have landed.
 *
 * @module
 */
import { RE2JS, RE2JSException } from "re2js";

/** A compiled pattern with Go's regexp semantics. */
export interface CompiledGoRegexp {
  /** The pattern as given. */
  readonly source: string;
  /** Go's `MatchString`: whether the pattern matches anywhere in `s` (unanchored, as Go). */
  test(s: string): boolean;
  /** Go's `ReplaceAllString`: every match replaced by `template` with `$1`, `${1}`, `$name`, `${name}` expanded. */
  replaceAll(s: string, template: string): string;
  /** Go's `ReplaceAllLiteralString`: every match replaced by `literal` as is. */
  replaceAllLiteral(s: string, literal: string): string;
}

/** Outcome of {@link compileGoRegexp}: the compiled pattern, or the parser's message (it quotes the pattern only). */
export type GoRegexpResult = { ok: true; re: CompiledGoRegexp } | { ok: false; error: string };

const cache = new Map<string, GoRegexpResult>();
const CACHE_MAX = 256;

/** Spans of one match: [start, end] per group, -1 when a group did not take part. UTF-16 offsets. */
type Spans = number[];

function isNameChar(c: string): boolean {
  return (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || c === "_";
}

/** Go's `Regexp.expand`: `$$` is `$`; `$name`/`${name}` a group by number or name (unknown: empty). */
function expand(template: string, src: string, spans: Spans, names: Record<string, number>): string {
  let out = "";
  let i = 0;
  while (i < template.length) {
    const dollar = template.indexOf("$", i);
    if (dollar < 0) {
      out += template.slice(i);
      break;
    }
    out += template.slice(i, dollar);
    i = dollar + 1;
    if (template[i] === "$") {
      out += "$";
      i++;
      continue;
    }
    let name = "";
    if (template[i] === "{") {
      const close = template.indexOf("}", i + 1);
      const inner = close < 0 ? "" : template.slice(i + 1, close);
      if (inner !== "" && [...inner].every(isNameChar)) {
        name = inner;
        i = close + 1;
      }
    } else {
      let j = i;
      while (j < template.length && isNameChar(template[j]!)) j++;
      name = template.slice(i, j);
      i = j;
    }
    if (name === "") {
      out += "$"; // not a reference: Go keeps the dollar sign
      continue;
    }
    const digits = [...name].every((c) => c >= "0" && c <= "9") && !(name.length > 1 && name[0] === "0");
    const group = digits ? Number(name) : names[name];
    if (group !== undefined && 2 * group + 1 < spans.length && spans[2 * group]! >= 0) {
      out += src.slice(spans[2 * group], spans[2 * group + 1]);
    }
  }
  return out;
}

/** Go's `replaceAll` loop: no replacement for an empty match right after a match; always advance. */
function replaceAll(re: RE2JS, src: string, replace: (spans: Spans) => string): string {
  const m = re.matcher(src);
  const groups = re.groupCount();
  let out = "";
  let lastEnd = 0;
  let pos = 0;
  while (pos <= src.length && m.find(pos)) {
    const spans: Spans = [];
    for (let g = 0; g <= groups; g++) spans.push(m.start(g), m.end(g));
    const [start, end] = spans as [number, number];
    out += src.slice(lastEnd, start);
    if (end > lastEnd || start === 0) out += replace(spans);
    lastEnd = end;
    const width = src.codePointAt(pos)! > 0xffff ? 2 : 1;
    pos = pos + width > end ? pos + width : pos + 1 > end ? pos + 1 : end;
  }
  return out + src.slice(lastEnd);
}

/**
 * Compiles a Go (RE2) pattern. Never throws: an invalid pattern gives `{ ok: false, error }`, e.g. "error parsing
 * regexp: missing closing ): `(`", fit for a condition message.
 */
export function compileGoRegexp(pattern: string): GoRegexpResult {
  const hit = cache.get(pattern);
  if (hit) return hit;
  let result: GoRegexpResult;
  try {
    const re = RE2JS.compile(pattern);
    const names = re.namedGroups();
    result = {
      ok: true,
      re: {
        source: pattern,
        test: (s) => re.matcher(s).find(),
        replaceAll: (s, template) => replaceAll(re, s, (spans) => expand(template, s, spans, names)),
        replaceAllLiteral: (s, literal) => replaceAll(re, s, () => literal),
      },
    };
  } catch (e) {
    if (!(e instanceof RE2JSException)) throw e;
    result = { ok: false, error: e.message };
  }
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
  cache.set(pattern, result);
  return result;
}
