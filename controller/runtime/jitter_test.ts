import assert from "node:assert/strict";
import { jitterDown, jitteredRequeue, keyFraction } from "./jitter.ts";

const HOUR = 3_600_000;
const MIN = 60_000;
const now = Date.parse("2026-01-01T12:00:00Z");

Deno.test("jitteredRequeue() without jitter is ESO's refreshInterval − (now − refreshTime)", () => {
  assert.equal(jitteredRequeue(HOUR, now - 20 * MIN, now, { random: () => 0 }), 40 * MIN);
  assert.equal(jitteredRequeue(HOUR, now, now, { random: () => 0 }), HOUR);
  assert.equal(jitteredRequeue(HOUR, now - 20 * MIN, now, { fraction: 0, random: () => 0.99 }), 40 * MIN);
});

Deno.test("jitteredRequeue() adds up to fraction × interval, never less than the remaining time", () => {
  // 5 % of 1 h = 3 min.
  assert.equal(jitteredRequeue(HOUR, now - 20 * MIN, now, { random: () => 0.5 }), 40 * MIN + 90_000);
  const top = jitteredRequeue(HOUR, now - 20 * MIN, now, { random: () => 0.999999 })!;
  assert.ok(top < 43 * MIN && top > 42.99 * MIN, String(top));
  assert.equal(jitteredRequeue(HOUR, now - 20 * MIN, now, { fraction: 0.1, random: () => 0.5 }), 43 * MIN);
});

Deno.test("jitteredRequeue() of an overdue object is never negative and lands within the jitter window", () => {
  assert.equal(jitteredRequeue(HOUR, now - 5 * HOUR, now, { random: () => 0 }), 0);
  assert.equal(jitteredRequeue(HOUR, now - 5 * HOUR, now, { random: () => 0.5 }), 90_000);
  assert.equal(jitteredRequeue(HOUR, undefined, now, { random: () => 0.5 }), 90_000, "never synced = due now");
});

Deno.test("jitteredRequeue() with refreshTime in the future (clock skew) waits at most one interval", () => {
  assert.equal(jitteredRequeue(HOUR, now + 10 * HOUR, now, { random: () => 0 }), HOUR);
});

Deno.test("jitteredRequeue() returns null when the interval is 0 or negative (no periodic refresh)", () => {
  assert.equal(jitteredRequeue(0, now, now), null);
  assert.equal(jitteredRequeue(-1, now, now), null);
  assert.throws(() => jitteredRequeue(HOUR, now, now, { fraction: 2 }), RangeError);
});

Deno.test("jitteredRequeue() with a key is deterministic and spreads keys evenly over the window", () => {
  const a = jitteredRequeue(HOUR, now, now, { key: "jenkins/regcred" });
  const b = jitteredRequeue(HOUR, now, now, { key: "jenkins/regcred" });
  assert.equal(a, b);
  // 10,000 ExternalSecrets synced at the same instant (a restart) → their next refreshes fill the 3 min window.
  const buckets = new Array<number>(10).fill(0);
  for (let i = 0; i < 10_000; i++) {
    const d = jitteredRequeue(HOUR, now, now, { key: `ns-${i % 37}/es-${i}` })!;
    assert.ok(d >= HOUR && d < HOUR + 3 * MIN);
    buckets[Math.floor(((d - HOUR) / (3 * MIN)) * 10)]!++;
  }
  // Uniform would be 1,000 per bucket; allow ±15 %.
  for (const n of buckets) assert.ok(n > 850 && n < 1150, `buckets ${buckets}`);
});

Deno.test("keyFraction() is in [0, 1) and separates similar keys", () => {
  const values = ["es-1", "es-2", "es-3", "a", ""].map(keyFraction);
  for (const v of values) assert.ok(v >= 0 && v < 1);
  assert.ok(Math.abs(values[0]! - values[1]!) > 0.01, `es-1 ${values[0]} vs es-2 ${values[1]}`);
  assert.equal(keyFraction("jenkins/regcred"), keyFraction("jenkins/regcred"));
});

Deno.test("jitterDown() stays within [ms × (1 − fraction), ms]", () => {
  assert.equal(jitterDown(1000, 0.2, () => 0), 1000);
  assert.equal(jitterDown(1000, 0.2, () => 0.5), 900);
  assert.equal(jitterDown(1000, 5, () => 0.5), 500, "fraction is clamped to 1");
});
