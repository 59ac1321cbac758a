import assert from "node:assert/strict";
import { compileGoRegexp } from "./go_regexp.ts";

function compiled(pattern: string): ReturnType<typeof compileGoRegexp> & { ok: true } {
  const r = compileGoRegexp(pattern);
  if (!r.ok) throw new Error(`expected ${pattern} to compile: ${r.error}`);
  return r;
}

Deno.test("compileGoRegexp: Go's MatchString is unanchored; anchors and Go-only syntax work", () => {
  assert.ok(compiled("^team-").re.test("team-a"));
  assert.ok(!compiled("^team-").re.test("xteam-a"));
  assert.ok(compiled("prod").re.test("my-prod-ns"));
  // Go syntax JavaScript lacks or reads differently: \z, \Q..\E, (?P<name>), POSIX classes, (?U)
  assert.ok(compiled(String.raw`^a\z`).re.test("a"));
  assert.ok(!compiled(String.raw`^a\z`).re.test("a\n"));
  assert.ok(compiled(String.raw`\Qa.b\E`).re.test("xa.b"));
  assert.ok(!compiled(String.raw`\Qa.b\E`).re.test("axb"));
  assert.ok(compiled("[[:alpha:]]+-[[:digit:]]").re.test("ns-1"));
  assert.deepEqual(compiled("(?U)a+").re.replaceAll("aaa", "x"), "xxx");
});

Deno.test("compileGoRegexp: ReplaceAllString expands $1, ${1}, $name and ${name} as Go does", () => {
  const r = compiled("(?P<env>[a-z]+)-(\\d+)").re;
  assert.deepEqual(r.replaceAll("dev-1 prod-22", "$2.$env"), "1.dev 22.prod");
  assert.deepEqual(r.replaceAll("dev-1", "${2}x${env}y"), "1xdevy");
  // Go reads the longest name: `$1x` is the (missing) group "1x", which expands to nothing
  assert.deepEqual(r.replaceAll("dev-1", "$2x"), "");
  assert.deepEqual(r.replaceAll("dev-1", "$$1"), "$1");
  assert.deepEqual(r.replaceAllLiteral("dev-1", "$2"), "$2");
  // empty matches: Go's rules (no empty match right after a match)
  assert.deepEqual(compiled("a*").re.replaceAll("baaac", "-"), "-b-c-");
  assert.deepEqual(compiled("^").re.replaceAll("ab", "x"), "xab");
});

Deno.test("compileGoRegexp: an invalid pattern is an error value with Go's message, never an exception", () => {
  assert.deepEqual(compileGoRegexp("("), { ok: false, error: "error parsing regexp: missing closing ): `(`" });
  const bad = compileGoRegexp("a**");
  assert.ok(!bad.ok && bad.error.includes("invalid nested repetition operator"));
  // JavaScript-only syntax Go refuses
  assert.ok(!compileGoRegexp("(?<=a)b").ok);
  assert.ok(!compileGoRegexp(String.raw`(a)\1`).ok);
});

Deno.test("compileGoRegexp: a catastrophic backtracking pattern runs in linear time", () => {
  const r = compiled("^(a|a)*$").re;
  const input = "a".repeat(200_000) + "b";
  const t0 = performance.now();
  assert.deepEqual(r.test(input), false);
  assert.deepEqual(r.test("a".repeat(200_000)), true);
  assert.deepEqual(compiled("(a*)*b").re.replaceAll("a".repeat(50_000), "x"), "a".repeat(50_000));
  const ms = performance.now() - t0;
  assert.ok(ms < 10_000, `took ${ms} ms`);
});
