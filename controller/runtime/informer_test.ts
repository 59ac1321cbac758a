import assert from "node:assert/strict";
import { KeyIndex } from "./informer.ts";
import { objectKey } from "./keys.ts";

const k = (name: string) => objectKey({ namespace: "ns", name });

Deno.test("KeyIndex: one key, then several, then back to one and none", () => {
  const idx = new KeyIndex();
  assert.deepEqual(idx.get("ns/regcred"), []);
  idx.add("ns/regcred", k("a"));
  idx.add("ns/regcred", k("a"));
  assert.deepEqual(idx.get("ns/regcred"), [k("a")], "added twice, held once");
  idx.add("ns/regcred", k("b"));
  idx.add("ns/regcred", k("c"));
  assert.deepEqual(idx.get("ns/regcred").sort(), [k("a"), k("b"), k("c")]);
  idx.delete("ns/regcred", k("b"));
  idx.delete("ns/regcred", k("a"));
  assert.deepEqual(idx.get("ns/regcred"), [k("c")]);
  idx.delete("ns/regcred", k("x"));
  assert.deepEqual(idx.get("ns/regcred"), [k("c")], "deleting a key that is not there changes nothing");
  idx.delete("ns/regcred", k("c"));
  assert.deepEqual(idx.get("ns/regcred"), []);
  assert.equal(idx.size, 0);
});

Deno.test("KeyIndex: the array returned is the caller's to keep", () => {
  const idx = new KeyIndex();
  idx.add("v", k("k1"));
  idx.add("v", k("k2"));
  const got = idx.get("v");
  idx.delete("v", k("k1"));
  assert.deepEqual(got.sort(), [k("k1"), k("k2")]);
  assert.deepEqual(idx.get("v"), [k("k2")]);
});
