import assert from "node:assert/strict";
import { convertKeys, validateKeys } from "./data_keys.ts";

const map = (...keys: string[]): Record<string, Uint8Array> =>
  Object.fromEntries(keys.map((k) => [k, new Uint8Array()]));

Deno.test("convertKeys(): Default writes _, Unicode writes _U%04x_ of the code point; letters of any script stay", () => {
  const keys = ["a b", "ä/ß", "x.y-z_1", "emoji😀", "٣"];
  assert.deepEqual(Object.keys(convertKeys("Default", map(...keys))), ["a_b", "ä_ß", "x.y-z_1", "emoji_", "٣"]);
  assert.deepEqual(Object.keys(convertKeys("Unicode", map(...keys))), [
    "a_U0020_b",
    "ä_U002f_ß",
    "x.y-z_1",
    "emoji_U1f600_",
    "٣",
  ]);
  assert.deepEqual(Object.keys(convertKeys(undefined, map("a b"))), ["a_b"], "no strategy is Default");
});

Deno.test("convertKeys(): two keys that become one are an error", () => {
  assert.throws(() => convertKeys("Default", map("a b", "a/b")), /turns two keys into the same key a_b/);
});

Deno.test("validateKeys(): empty keys dropped; invalid characters and long keys refused; __proto__ is a key", () => {
  assert.deepEqual(Object.keys(validateKeys(map("", "ok", "__proto__"))), ["ok", "__proto__"]);
  assert.throws(() => validateKeys(map("a b")), /holds the character " ".*use rewrite or conversionStrategy/);
  assert.throws(() => validateKeys(map("x".repeat(254))), /254 bytes long/);
  assert.doesNotThrow(() => validateKeys(map("x".repeat(253))));
});
