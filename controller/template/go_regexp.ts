/**
 * Go's `regexp` for the rest of the controller: ClusterSecretStore `namespaceRegexes`, `dataFrom.find.name.regexp`
 * and the `rewrite.regexp` transform. The same RE2 engine as the templates' regex functions: linear-time matching
 * (a tenant's pattern cannot freeze the controller) and Go's syntax, so a pattern ESO accepts is accepted here.
 *
 * @module
 */

import { GoError } from "./func.ts";
import { GoRegexp } from "./sprig/regex.ts";

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

/** Outcome of {@link compileGoRegexp}: the compiled pattern, or Go's error message (it quotes the pattern only). */
export type GoRegexpResult = { ok: true; re: CompiledGoRegexp } | { ok: false; error: string };

const cache = new Map<string, GoRegexpResult>();
const CACHE_MAX = 256;

/**
 * Compiles a Go (RE2) pattern. Never throws: an invalid pattern gives `{ ok: false, error }` with Go's wording,
 * e.g. "error parsing regexp: missing closing ): `(`", fit for a condition message.
 */
export function compileGoRegexp(pattern: string): GoRegexpResult {
  const hit = cache.get(pattern);
  if (hit) return hit;
  let result: GoRegexpResult;
  try {
    const r = new GoRegexp(pattern);
    result = {
      ok: true,
      re: {
        source: pattern,
        test: (s) => r.matchString(s),
        replaceAll: (s, template) => r.replaceAll(s, (m) => r.expand(template, s, m)),
        replaceAllLiteral: (s, literal) => r.replaceAll(s, () => literal),
      },
    };
  } catch (e) {
    if (!(e instanceof GoError)) throw e;
    result = { ok: false, error: e.message };
  }
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
  cache.set(pattern, result);
  return result;
}
