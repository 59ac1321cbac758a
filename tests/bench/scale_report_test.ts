import assert from "node:assert/strict";
import { parseScaleArgs, resultJson, resultTable, type ScaleResult, targets } from "./scale_report.ts";

const ISSUE_FIELDS = [
  "n",
  "keys",
  "readySeconds",
  "ceilingSeconds",
  "peakRssMb",
  "cpuSeconds",
  "kvGets",
  "kvLists",
  "tokenRequests",
  "apiserverRequests",
  "steadyKvCallsPerWindow",
  "rotationSeconds",
  "commit",
];

const sample: ScaleResult = {
  n: 1000,
  keys: 100,
  readySeconds: 4.2,
  ceilingSeconds: 1.3,
  peakRssMb: 120,
  cpuSeconds: 3.1,
  kvGets: 101,
  kvLists: 0,
  tokenRequests: 1,
  apiserverRequests: 3012,
  steadyKvCallsPerWindow: 100,
  rotationSeconds: 0.4,
  commit: "abc1234",
  noiseSecrets: 0,
  interval: "1m",
  heapMb: 40,
  denoBaselineRssMb: 39,
  apiserverWrites: 2004,
  apiserverCpuSeconds: 6.5,
  etcdCpuSeconds: 1.5,
  loadAverage: { mean: 3.2, max: 4.1 },
};

Deno.test("scale bench: defaults are the issue's scenario", () => {
  const o = parseScaleArgs([]);
  assert.equal(o.n, 10_000);
  assert.equal(o.keys, 100);
  assert.equal(o.interval, "1m");
  assert.equal(o.intervalMs, 60_000);
  assert.equal(o.noiseSecrets, 0);
  assert.equal(o.restart, false);
  assert.equal(o.json, undefined);
});

Deno.test("scale bench: flags in both spellings", () => {
  const o = parseScaleArgs([
    "--n",
    "200",
    "--keys=20",
    "--interval",
    "30s",
    "--noise-secrets=5000",
    "--restart",
    "--json",
    "out.json",
    "--controller-arg=--concurrent=20",
    "--skip-steady",
    "--controller-env=MALLOC_ARENA_MAX=2",
    "--keep-logs",
    "/tmp/x",
    "--deno-arg=--inspect=127.0.0.1:9229",
  ]);
  assert.deepEqual(o, {
    n: 200,
    keys: 20,
    interval: "30s",
    intervalMs: 30_000,
    noiseSecrets: 5000,
    restart: true,
    skipSteady: true,
    json: "out.json",
    controllerArgs: ["--concurrent=20"],
    controllerEnv: { MALLOC_ARENA_MAX: "2" },
    keepLogs: "/tmp/x",
    denoArgs: ["--inspect=127.0.0.1:9229"],
  });
  assert.throws(() => parseScaleArgs(["--controller-env=oops"]), /NAME=VALUE/);
});

Deno.test("scale bench: mistakes are refused with the usage", () => {
  assert.throws(() => parseScaleArgs(["--n", "0"]), /--n expects an integer ≥ 1.*\nusage:/s);
  assert.throws(() => parseScaleArgs(["--n", "1.5"]), /--n expects an integer/);
  assert.throws(() => parseScaleArgs(["--keys"]), /--keys expects an integer/);
  assert.throws(() => parseScaleArgs(["--interval", "soon"]), /--interval expects a duration/);
  assert.throws(() => parseScaleArgs(["--interval", "10ms"]), /at least 1s/);
  assert.throws(() => parseScaleArgs(["--n", "10", "--keys", "20"]), /cannot exceed/);
  assert.throws(() => parseScaleArgs(["--fast"]), /unknown argument "--fast"/);
  assert.throws(() => parseScaleArgs(["--json"]), /--json expects a file name/);
  assert.equal(parseScaleArgs(["--noise-secrets", "0"]).noiseSecrets, 0);
});

Deno.test("scale bench: the JSON holds the issue's fields by name, in its order, then context", () => {
  const parsed = JSON.parse(resultJson(sample));
  assert.deepEqual(Object.keys(parsed).slice(0, ISSUE_FIELDS.length), ISSUE_FIELDS);
  assert.equal(parsed.readySeconds, 4.2);
  assert.equal(parsed.commit, "abc1234");
  assert.deepEqual([parsed.apiserverCpuSeconds, parsed.etcdCpuSeconds, parsed.loadAverage], [6.5, 1.5, {
    mean: 3.2,
    max: 4.1,
  }]);
  assert.ok(!("restartSeconds" in parsed), "restart fields only after --restart");
  const restarted = JSON.parse(
    resultJson({ ...sample, restartSeconds: 1.5, restartKvCalls: 0, restartApiserverWrites: 0 }),
  );
  assert.equal(restarted.restartSeconds, 1.5);
  assert.equal(restarted.restartKvCalls, 0);
  assert.equal(JSON.parse(resultJson({ ...sample, steadyKvCallsPerWindow: null })).steadyKvCallsPerWindow, null);
});

Deno.test("scale bench: the table shows every figure and holds each against its target", () => {
  const table = resultTable(sample);
  for (
    const text of [
      "1000 / 100",
      "4.2",
      "1.3",
      "120 / 40 / 39",
      "101 / 0 / 1",
      "3012 (2004)",
      "abc1234",
      "3.1 / 6.5 / 1.5",
      "3.2 / 4.1",
    ]
  ) {
    assert.ok(table.includes(text), `table lacks ${text}:\n${table}`);
  }
  const t = targets(sample);
  assert.deepEqual(t.map((x) => x.ok), [false, false, true, true, false]);
  assert.match(t[0]!.what, /2\.5 × ceilingSeconds \(3\.3\)/);
  assert.ok(targets({ ...sample, readySeconds: 3, peakRssMb: 90 }).slice(0, 2).every((x) => x.ok));
  assert.equal(targets({ ...sample, steadyKvCallsPerWindow: null }).length, 4);
  assert.match(resultTable({ ...sample, steadyKvCallsPerWindow: null }), /steadyKvCallsPerWindow\s+skipped/);
});
