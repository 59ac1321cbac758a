import assert from "node:assert/strict";
import { UsageError } from "./errors.ts";
import { matchesSelector, parseSelector } from "./selector.ts";

Deno.test("parseSelector() reads every kubectl form", () => {
  assert.deepEqual(parseSelector("app=jenkins, tier!=dev,env==prod,team in (a, b),zone notin (x),has,!gone"), [
    { key: "app", op: "=", value: "jenkins" },
    { key: "tier", op: "!=", value: "dev" },
    { key: "env", op: "=", value: "prod" },
    { key: "team", op: "in", values: ["a", "b"] },
    { key: "zone", op: "notin", values: ["x"] },
    { key: "has", op: "exists" },
    { key: "gone", op: "!exists" },
  ]);
  assert.deepEqual(parseSelector("example.com/owner=ci"), [{ key: "example.com/owner", op: "=", value: "ci" }]);
  assert.deepEqual(parseSelector(""), []);
});

Deno.test("parseSelector() rejects malformed selectors as usage errors", () => {
  for (const bad of ["app=", "a,,b", "-bad=x", "a=b c", "a in x", "a=(x)", "a=" + "v".repeat(64)]) {
    if (bad === "app=") {
      assert.deepEqual(parseSelector(bad), [{ key: "app", op: "=", value: "" }], "empty value is valid");
      continue;
    }
    assert.throws(() => parseSelector(bad), UsageError, bad);
  }
});

Deno.test("matchesSelector()", () => {
  const labels = { app: "jenkins", tier: "ci" };
  const m = (s: string, l: Record<string, string> | undefined = labels): boolean =>
    matchesSelector(parseSelector(s), l);
  assert.equal(m("app=jenkins"), true);
  assert.equal(m("app=other"), false);
  assert.equal(m("app!=other"), true);
  assert.equal(m("missing!=x"), true);
  assert.equal(m("tier in (ci,cd)"), true);
  assert.equal(m("tier notin (ci)"), false);
  assert.equal(m("missing notin (ci)"), true);
  assert.equal(m("app"), true);
  assert.equal(m("!app"), false);
  assert.equal(m("app=jenkins,!missing"), true);
  assert.equal(matchesSelector(parseSelector("app"), undefined), false);
  assert.equal(m(""), true);
});
