import assert from "node:assert/strict";
import { compileGoRegexp } from "./go_regexp.ts";

// deno-lint-ignore no-console -- figures for the issue note
const report = (line: string): void => console.log(line);

function re(pattern: string): ReturnType<typeof compileGoRegexp> & { ok: true } {
  const r = compileGoRegexp(pattern);
  if (!r.ok) throw new Error(`${pattern}: ${r.error}`);
  return r;
}

Deno.test("compileGoRegexp(): unanchored MatchString; Go-only syntax", () => {
  assert.ok(re("^db-").re.test("db-user"));
  assert.ok(!re("^db-").re.test("my-db-user"));
  assert.ok(re(String.raw`\Qa.b\E`).re.test("xa.b"));
  assert.ok(re("[[:upper:]]").re.test("aB"));
  assert.ok(re("(?P<x>a)(?<y>b)").re.test("ab"));
});

Deno.test("compileGoRegexp(): ReplaceAllString expands $1, ${1}, $name, ${name}; Go's longest-name rule", () => {
  const r = re("(?P<env>[a-z]+)-(\\d+)").re;
  assert.equal(r.replaceAll("dev-1 prod-22", "$2.$env"), "1.dev 22.prod");
  assert.equal(r.replaceAll("dev-1", "${2}_${env}"), "1_dev");
  assert.equal(r.replaceAll("dev-1", "$2x"), "", "$2x names the group 2x, which does not exist");
  assert.equal(r.replaceAll("dev-1", "$$2 $! ${}"), "$2 $! ${}");
  assert.equal(r.replaceAllLiteral("dev-1", "$2"), "$2");
  assert.equal(re("a*").re.replaceAll("baaac", "-"), "-b-c-", "no empty match right after a match");
  assert.equal(re("x*").re.replaceAll("é😀", "-"), "-é-😀-", "advances by code point");
  assert.equal(re("^").re.replaceAll("ab", "x"), "xab");
});

Deno.test("compileGoRegexp(): an invalid pattern is an error value, never an exception", () => {
  assert.deepEqual(compileGoRegexp("("), { ok: false, error: "error parsing regexp: missing closing ): `(`" });
  assert.ok(!compileGoRegexp("(?<=a)b").ok, "no lookbehind in Go");
  assert.ok(!compileGoRegexp(String.raw`(a)\1`).ok, "no backreferences in Go");
});

Deno.test("compileGoRegexp(): ^(a|a)*$ on a long input runs in linear time", () => {
  const r = re("^(a|a)*$").re;
  const t0 = performance.now();
  assert.equal(r.test("a".repeat(100_000) + "b"), false);
  assert.equal(r.replaceAll("a".repeat(100_000), "x"), "x");
  const ms = performance.now() - t0;
  assert.ok(ms < 10_000, `took ${ms} ms`);
  report(`^(a|a)*$ over 100,000 characters, twice: ${ms.toFixed(0)} ms`);
});
