import assert from "node:assert/strict";
import { parseWarnings, queryString, secretStrings } from "./client.ts";

Deno.test("queryString() leaves out undefined and empty values and encodes the rest", () => {
  assert.equal(queryString(undefined), "");
  assert.equal(queryString({ a: undefined, b: "" }), "");
  assert.equal(
    queryString({ labelSelector: "a=b,c in (d)", limit: 5, watch: true, x: undefined }),
    "?labelSelector=a%3Db%2Cc+in+%28d%29&limit=5&watch=true",
  );
});

Deno.test("parseWarnings() splits a combined Warning header", () => {
  assert.deepEqual(
    parseWarnings('299 - "unknown field \\"spec.foo\\"", 299 - "v1beta1 is deprecated, use v1"'),
    ['unknown field "spec.foo"', "v1beta1 is deprecated, use v1"],
  );
  assert.deepEqual(parseWarnings("garbage"), []);
});

Deno.test("secretStrings() collects Secret values (raw and base64-decoded) from bodies and JSON patches", () => {
  assert.deepEqual(
    secretStrings({ kind: "Secret", data: { a: btoa("s3cret-value") }, stringData: { b: "plain-pw" } }).sort(),
    [btoa("s3cret-value"), "s3cret-value", "plain-pw"].sort(),
  );
  assert.deepEqual(
    secretStrings([
      { op: "replace", path: "/data/a", value: btoa("abcdef") },
      { op: "add", path: "/stringData", value: { k: "xyzxyz" } },
      { op: "add", path: "/metadata/labels/a", value: "not-secret" },
    ]).sort(),
    [btoa("abcdef"), "abcdef", "xyzxyz"].sort(),
  );
  assert.deepEqual(secretStrings({ metadata: { name: "x" } }), []);
  assert.deepEqual(secretStrings(undefined), []);
});
