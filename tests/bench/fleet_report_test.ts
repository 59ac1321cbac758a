import assert from "node:assert/strict";
import {
  type FleetResult,
  fleetTable,
  fleetTargets,
  parseFleetArgs,
  rateStats,
  rotationStats,
} from "./fleet_report.ts";

Deno.test("fleet args: the issue's command, defaults, and mistakes named", () => {
  const o = parseFleetArgs(["--clusters", "1500", "--keys", "100", "--interval", "5m"]);
  assert.equal(o.clusters, 1500);
  assert.equal(o.externalSecrets, 100, "one ExternalSecret per key unless asked");
  assert.equal(o.intervalMs, 300_000);
  assert.equal(o.alignedStart, false);
  assert.deepEqual([o.warmup, o.windows, o.stepMs, o.readLimit], [2, 2, 50, 4000]);
  assert.equal(parseFleetArgs([]).clusters, 150, "a quick look by default");
  const p = parseFleetArgs([
    "--clusters=10",
    "--external-secrets=250",
    "--aligned-start",
    "--interval=30s",
    "--json=x",
  ]);
  assert.deepEqual([p.clusters, p.externalSecrets, p.alignedStart, p.intervalMs, p.json], [10, 250, true, 30_000, "x"]);
  assert.throws(() => parseFleetArgs(["--clusters", "0"]), /--clusters expects an integer ≥ 1/);
  assert.throws(() => parseFleetArgs(["--interval", "5 minutes"]), /--interval expects a duration/);
  assert.throws(() => parseFleetArgs(["--interval", "5s"]), /at least 10s/);
  assert.throws(() => parseFleetArgs(["--nope"]), /unknown argument "--nope"/);
  assert.equal(parseFleetArgs(["--start-spread", "3", "--warmup", "5"]).startSpread, 3);
  assert.throws(() => parseFleetArgs(["--start-spread", "3"]), /--warmup \(2\) must exceed --start-spread \(3\)/);
});

Deno.test("rate: mean over the period, peak over any 10 s (sliding), shares of 4,000; outside the period ignored", () => {
  // 30 s period from 100 s: 900 requests evenly, plus a burst of 2,000 within 1 s at 115 s; one before, one after.
  const times: number[] = [99_999];
  for (let i = 0; i < 900; i++) times.push(100_000 + i * (30_000 / 900));
  for (let i = 0; i < 2000; i++) times.push(115_000 + i / 2);
  times.push(130_000);
  times.sort((a, b) => a - b);
  const r = rateStats(times, 100_000, 130_000);
  assert.equal(r.requests, 2900);
  assert.ok(Math.abs(r.meanPer10s - 2900 / 3) < 1e-9);
  // The busiest 10 s holds the whole burst and 300 of the even requests.
  assert.equal(r.peakPer10s, 2300);
  assert.equal(r.peakShare, 2300 / 4000);
  assert.ok(Math.abs(r.meanShare - 2900 / 3 / 4000) < 1e-12);
  // A window that fixed 10-s buckets would split: 3,999 requests straddling 110 s are one sliding window.
  const straddle = Array.from({ length: 3999 }, (_, i) => 105_001 + i * 2);
  assert.equal(rateStats(straddle, 100_000, 130_000).peakPer10s, 3999);
  assert.deepEqual(rateStats([], 0, 10_000), { requests: 0, meanPer10s: 0, peakPer10s: 0, meanShare: 0, peakShare: 0 });
  assert.throws(() => rateStats([], 5, 5), RangeError);
});

Deno.test("rotation: the ⌈p × n⌉-th cluster to get it; null when not reached", () => {
  const at = 1_000_000;
  const reached = Array.from({ length: 200 }, (_, i) => at + (i + 1) * 1000);
  let r = rotationStats(at, reached);
  assert.deepEqual([r.p50Seconds, r.p99Seconds, r.p100Seconds, r.reached, r.of], [100, 198, 200, 200, 200]);
  // Two clusters never got it: 99% (198 of 200) still reached, 100% not.
  r = rotationStats(at, [...reached.slice(0, 198), undefined, undefined].reverse());
  assert.deepEqual([r.p50Seconds, r.p99Seconds, r.p100Seconds, r.reached], [100, 198, null, 198]);
  r = rotationStats(at, [undefined, at + 500]);
  assert.deepEqual([r.p50Seconds, r.p99Seconds, r.p100Seconds], [0.5, null, null]);
});

Deno.test("targets: held against the issue's figures, printed in the table", () => {
  const result: FleetResult = {
    clusters: 1500,
    keys: 100,
    externalSecretsPerCluster: 100,
    interval: "5m",
    start: "spread over 1 interval",
    changeDetection: "on",
    virtualSeconds: 900,
    measuredSeconds: 600,
    rate: { requests: 300_000, meanPer10s: 5000, peakPer10s: 6000, meanShare: 1.25, peakShare: 1.5 },
    readLimit: 4000,
    kvGets: 400_000,
    kvLists: 0,
    throttled: 12,
    throttledMeasured: 2,
    listsMeasured: 0,
    listsThrottled: 0,
    challenges: 1500,
    tokenRequests: 1500,
    failedSyncs: 3,
    rotation: { p50Seconds: 150, p99Seconds: 297, p100Seconds: null, reached: 1499, of: 1500 },
    rotatedAtSeconds: 300,
    realSeconds: 400,
    stepMs: 50,
    seed: 1,
    commit: "abc1234",
  };
  assert.deepEqual(fleetTargets(result, 300_000).map((t) => t.ok), [false, false, false, true]);
  const table = fleetTable(result, 300_000);
  assert.match(table, /peak \(share of 4000\)\s+6000 \(150\.0%\)/);
  assert.match(table, /150\.0 s \/ 297\.0 s \/ not reached/);
  assert.match(table, /not met {2}0 throttled requests \(after the warm-up\)/);
  assert.match(table, / {2}met {6}rotation at 99%/);
});
