import assert from "node:assert/strict";
import { rewriteKeys, rewriteProblem } from "./rewrite.ts";

const map = (...keys: string[]): Record<string, Uint8Array> =>
  Object.fromEntries(keys.map((k) => [k, new TextEncoder().encode(`v-${k}`)]));

Deno.test("rewriteKeys(): regexp with Go's expansion, then transform, in order", async () => {
  const out = await rewriteKeys([
    { regexp: { source: "^db-(?P<what>[a-z]+)$", target: "DB_${what}" } },
    { regexp: { source: "-", target: "_" } },
    { transform: { template: `{{ .value | upper }}` } },
  ], map("db-user", "db-pass", "api-key"));
  assert.deepEqual(Object.keys(out).sort(), ["API_KEY", "DB_PASS", "DB_USER"]);
  assert.equal(new TextDecoder().decode(out.DB_USER), "v-db-user", "values are not touched");
});

Deno.test("rewriteKeys(): a failing transform names the operation and key", async () => {
  await assert.rejects(
    rewriteKeys([{ transform: { template: "{{ .nope }}" } }], map("k")),
    /rewrite\[0\]\.transform of key k/,
  );
});

Deno.test("rewriteProblem(): invalid patterns and merge are refused before any read", () => {
  assert.match(
    rewriteProblem([{ regexp: { source: "(", target: "" } }]) ?? "",
    /^rewrite\[0\]\.regexp\.source: error parsing regexp/,
  );
  assert.match(rewriteProblem([{ merge: {} }]) ?? "", /merge is not supported yet/);
  assert.equal(rewriteProblem([{ regexp: { source: "a", target: "b" } }]), undefined);
});

Deno.test("rewriteKeys(): ^(a|a)*$ on a long key completes in linear time", async () => {
  const key = "a".repeat(50_000);
  const t0 = performance.now();
  const out = await rewriteKeys([{ regexp: { source: "^(a|a)*$", target: "matched" } }], map(key, key + "b"));
  const ms = performance.now() - t0;
  assert.deepEqual(Object.keys(out).sort(), [key + "b", "matched"].sort());
  assert.ok(ms < 10_000, `took ${ms} ms`);
});
