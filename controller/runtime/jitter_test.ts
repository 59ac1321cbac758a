import assert from "node:assert/strict";
import { jitterDown, keyFraction } from "./jitter.ts";

Deno.test("keyFraction() is in [0, 1) and separates similar keys", () => {
  const values = ["es-1", "es-2", "es-3", "a", ""].map(keyFraction);
  for (const v of values) assert.ok(v >= 0 && v < 1);
  assert.ok(Math.abs(values[0]! - values[1]!) > 0.01, `es-1 ${values[0]} vs es-2 ${values[1]}`);
  assert.equal(keyFraction("jenkins/regcred"), keyFraction("jenkins/regcred"));
});

Deno.test("keyFraction() spreads 10,000 keys evenly (a restart's objects fill the window)", () => {
  const buckets = new Array<number>(10).fill(0);
  for (let i = 0; i < 10_000; i++) buckets[Math.floor(keyFraction(`ns-${i % 37}/es-${i}`) * 10)]!++;
  // Uniform would be 1,000 per bucket; allow ±15 %.
  for (const n of buckets) assert.ok(n > 850 && n < 1150, `buckets ${buckets}`);
});

Deno.test("jitterDown() stays within [ms × (1 − fraction), ms]", () => {
  assert.equal(jitterDown(1000, 0.2, () => 0), 1000);
  assert.equal(jitterDown(1000, 0.2, () => 0.5), 900);
  assert.equal(jitterDown(1000, 5, () => 0.5), 500, "fraction is clamped to 1");
});
