import assert from "node:assert/strict";
import { isRotationToken, rotationToken } from "./force_sync.ts";

Deno.test("rotation tokens carry the vault version and are told apart from ESO's plain values", () => {
  const t = rotationToken("3f2a9c0d8e7b4a6f", 1_733_100_000_000);
  assert.equal(t, "1733100000000.rotation.3f2a9c0d8e7b4a6f");
  assert.ok(isRotationToken(t));
  assert.ok(!isRotationToken("1733100000"), "ESO's usual `date +%s` value");
  assert.ok(!isRotationToken(undefined));
  assert.ok(!isRotationToken(`1.rotation.${"x".repeat(65)}`), "bounded");
  assert.ok(isRotationToken(rotationToken("")), "no version known: a random id");
  assert.notEqual(rotationToken("", 1), rotationToken("", 1));
});
