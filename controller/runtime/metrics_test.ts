import assert from "node:assert/strict";
import { exponentialBuckets, PROMETHEUS_CONTENT_TYPE, registerProcessMetrics, Registry } from "./metrics.ts";

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Parsed {
  help: Map<string, string>;
  type: Map<string, string>;
  samples: Sample[];
}

/** A strict line-by-line parser of the text format 0.0.4 (what Prometheus' own parser accepts, minus timestamps). */
function parseExposition(text: string): Parsed {
  assert.ok(text === "" || text.endsWith("\n"), "exposition ends with a newline");
  const out: Parsed = { help: new Map(), type: new Map(), samples: [] };
  const lines = text.split("\n").slice(0, -1);
  for (const line of lines) {
    let m = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (m) {
      out.help.set(m[1]!, m[2]!.replace(/\\(.)/g, (_, c) => (c === "n" ? "\n" : c)));
      continue;
    }
    m = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (m) {
      assert.ok(!out.type.has(m[1]!), `one TYPE line per family: ${m[1]}`);
      out.type.set(m[1]!, m[2]!);
      continue;
    }
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `line is a sample: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    let rest = m[2] ?? "";
    while (rest !== "") {
      const lm = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\[\\"n])*)"(,|$)/.exec(rest);
      assert.ok(lm, `label pair at ${JSON.stringify(rest)}`);
      labels[lm[1]!] = lm[2]!.replace(/\\(.)/g, (_, c) => (c === "n" ? "\n" : c));
      rest = rest.slice(lm[0].length);
    }
    const raw = m[3]!;
    const value = raw === "+Inf" ? Infinity : raw === "-Inf" ? -Infinity : raw === "NaN" ? NaN : Number(raw);
    assert.ok(raw === "NaN" || !Number.isNaN(value), `value parses: ${raw}`);
    const family = m[1]!.replace(/_(bucket|sum|count)$/, "");
    assert.ok(out.type.has(m[1]!) || out.type.get(family) === "histogram", `TYPE precedes sample ${m[1]}`);
    out.samples.push({ name: m[1]!, labels, value });
  }
  return out;
}

function find(p: Parsed, name: string, labels: Record<string, string> = {}): number | undefined {
  return p.samples.find((s) =>
    s.name === name && Object.keys(labels).length === Object.keys(s.labels).length &&
    Object.entries(labels).every(([k, v]) => s.labels[k] === v)
  )?.value;
}

Deno.test("Registry.expose() writes ESO's metric families in the 0.0.4 text format", () => {
  const r = new Registry();
  const calls = r.counter({
    name: "externalsecret_sync_calls_total",
    help: "Total number of the External Secret sync calls",
    labelNames: ["name", "namespace"],
  });
  const errors = r.counter({
    name: "externalsecret_sync_calls_error",
    help: "Total number of the External Secret sync errors",
    labelNames: ["name", "namespace"],
  });
  const condition = r.gauge({
    name: "externalsecret_status_condition",
    help: "The status condition of a specific External Secret",
    labelNames: ["name", "namespace", "condition", "status"],
  });
  const duration = r.gauge({
    name: "externalsecret_reconcile_duration",
    help: "The duration time to reconcile the External Secret",
    labelNames: ["name", "namespace"],
  });
  const api = r.counter({
    name: "externalsecret_provider_api_calls_count",
    help: "Number of API calls towards the secret provider",
    labelNames: ["provider", "call", "status"],
  });
  const ss = r.gauge({
    name: "secretstore_status_condition",
    help: "The status condition of a specific SecretStore",
    labelNames: ["name", "namespace", "condition", "status"],
  });
  const css = r.gauge({
    name: "clustersecretstore_status_condition",
    help: "The status condition of a specific ClusterSecretStore",
    labelNames: ["name", "condition", "status"],
  });

  calls.inc({ name: "regcred", namespace: "jenkins" });
  calls.inc({ name: "regcred", namespace: "jenkins" });
  errors.inc({ name: "regcred", namespace: "jenkins" });
  condition.set({ name: "regcred", namespace: "jenkins", condition: "Ready", status: "True" }, 1);
  condition.set({ name: "regcred", namespace: "jenkins", condition: "Ready", status: "False" }, 0);
  duration.set({ name: "regcred", namespace: "jenkins" }, 0.042);
  api.inc({ provider: "AzureKeyVault", call: "GetSecret", status: "success" }, 3);
  ss.set({ name: "azure", namespace: "jenkins", condition: "Ready", status: "True" }, 1);
  css.set({ name: "global", condition: "Ready", status: "False" }, 1);

  const p = parseExposition(r.expose());
  assert.equal(find(p, "externalsecret_sync_calls_total", { name: "regcred", namespace: "jenkins" }), 2);
  assert.equal(find(p, "externalsecret_sync_calls_error", { name: "regcred", namespace: "jenkins" }), 1);
  assert.equal(
    find(p, "externalsecret_status_condition", {
      name: "regcred",
      namespace: "jenkins",
      condition: "Ready",
      status: "False",
    }),
    0,
  );
  assert.equal(find(p, "externalsecret_reconcile_duration", { name: "regcred", namespace: "jenkins" }), 0.042);
  assert.equal(
    find(p, "externalsecret_provider_api_calls_count", {
      provider: "AzureKeyVault",
      call: "GetSecret",
      status: "success",
    }),
    3,
  );
  assert.equal(
    find(p, "clustersecretstore_status_condition", { name: "global", condition: "Ready", status: "False" }),
    1,
  );
  assert.equal(p.type.get("externalsecret_sync_calls_error"), "counter");
  assert.equal(p.type.get("secretstore_status_condition"), "gauge");
  assert.equal(p.help.get("externalsecret_sync_calls_total"), "Total number of the External Secret sync calls");
});

Deno.test("Registry.expose() escapes label values and help text", () => {
  const r = new Registry();
  const g = r.gauge({ name: "odd", help: 'back\\slash and\nnewline "quoted"', labelNames: ["v"] });
  const nasty = 'a "quoted" \\ value\nwith newline';
  g.set({ v: nasty }, 1);
  const text = r.expose();
  assert.ok(text.includes(`odd{v="a \\"quoted\\" \\\\ value\\nwith newline"} 1\n`), text);
  assert.ok(text.includes('# HELP odd back\\\\slash and\\nnewline "quoted"\n'), text);
  const p = parseExposition(text);
  assert.equal(p.samples[0]!.labels["v"], nasty);
  assert.equal(p.help.get("odd"), 'back\\slash and\nnewline "quoted"');
});

Deno.test("Histogram writes cumulative _bucket lines with le, then _sum and _count", () => {
  const r = new Registry();
  const h = r.histogram({
    name: "controller_runtime_reconcile_time_seconds",
    help: "Length of time per reconciliation per controller",
    labelNames: ["controller"],
    buckets: [0.1, 1, 10],
  });
  for (const v of [0.05, 0.1, 0.5, 2, 20]) h.observe({ controller: "externalsecret" }, v);
  const p = parseExposition(r.expose());
  const c = { controller: "externalsecret" };
  const bucket = (le: string): number | undefined =>
    find(p, "controller_runtime_reconcile_time_seconds_bucket", { ...c, le });
  assert.equal(bucket("0.1"), 2, "le is inclusive");
  assert.equal(bucket("1"), 3);
  assert.equal(bucket("10"), 4);
  assert.equal(bucket("+Inf"), 5);
  assert.equal(find(p, "controller_runtime_reconcile_time_seconds_count", c), 5);
  assert.equal(find(p, "controller_runtime_reconcile_time_seconds_sum", c), 0.05 + 0.1 + 0.5 + 2 + 20);
  const names = p.samples.map((s) => s.name);
  assert.deepEqual(names.slice(-2), [
    "controller_runtime_reconcile_time_seconds_sum",
    "controller_runtime_reconcile_time_seconds_count",
  ]);
  assert.deepEqual(h.get(c)?.buckets.map((b) => b.count), [2, 3, 4, 5]);
});

Deno.test("Histogram without labels and with exponential buckets (client-go workqueue buckets)", () => {
  const r = new Registry();
  const buckets = exponentialBuckets(10e-9, 10, 12);
  assert.equal(buckets.length, 12);
  assert.ok(Math.abs(buckets[11]! - 1000) < 1e-6);
  const h = r.histogram({ name: "workqueue_work_duration_seconds", help: "x", buckets });
  h.observe(0.5);
  const p = parseExposition(r.expose());
  assert.equal(find(p, "workqueue_work_duration_seconds_bucket", { le: "+Inf" }), 1);
  assert.equal(find(p, "workqueue_work_duration_seconds_count"), 1);
  assert.throws(() => exponentialBuckets(0, 10, 3), RangeError);
});

Deno.test("Registry returns the same metric for an identical registration and throws on a conflicting one", () => {
  const r = new Registry();
  const a = r.counter({ name: "workqueue_adds_total", help: "x", labelNames: ["name", "controller"] });
  const b = r.counter({ name: "workqueue_adds_total", help: "x", labelNames: ["name", "controller"] });
  assert.equal(a, b);
  assert.throws(() => r.gauge({ name: "workqueue_adds_total", help: "x", labelNames: ["name", "controller"] }), {
    message: /already a counter/,
  });
  assert.throws(() => r.counter({ name: "workqueue_adds_total", help: "x", labelNames: ["name"] }), TypeError);
  r.histogram({ name: "h", help: "x", buckets: [1, 2] });
  assert.throws(() => r.histogram({ name: "h", help: "x", buckets: [1, 3] }), TypeError);
});

Deno.test("Metrics reject invalid names, unknown labels, negative counter increments and unsorted buckets", () => {
  const r = new Registry();
  assert.throws(() => r.counter({ name: "bad-name", help: "x" }), TypeError);
  assert.throws(() => r.counter({ name: "ok", help: "x", labelNames: ["__reserved"] }), TypeError);
  assert.throws(() => r.histogram({ name: "h1", help: "x", labelNames: ["le"] }), TypeError);
  assert.throws(() => r.histogram({ name: "h2", help: "x", buckets: [2, 1] }), RangeError);
  const c = r.counter({ name: "c", help: "x", labelNames: ["a"] });
  assert.throws(() => c.inc({ b: "1" }), { message: 'Cannot use label "b" on metric "c": its labels are [a]' });
  assert.throws(() => c.inc({ a: "1" }, -1), RangeError);
});

Deno.test("Gauge series can be removed so deleted objects stop being reported", () => {
  const r = new Registry();
  const g = r.gauge({ name: "externalsecret_status_condition", help: "x", labelNames: ["name", "namespace"] });
  g.set({ name: "a", namespace: "n" }, 1);
  g.set({ name: "b", namespace: "n" }, 1);
  assert.equal(g.remove({ name: "a", namespace: "n" }), true);
  assert.equal(g.remove({ name: "a", namespace: "n" }), false);
  const p = parseExposition(r.expose());
  assert.equal(find(p, "externalsecret_status_condition", { name: "a", namespace: "n" }), undefined);
  assert.equal(find(p, "externalsecret_status_condition", { name: "b", namespace: "n" }), 1);
  g.reset();
  assert.equal(r.expose(), "", "a family without series is not written");
});

Deno.test("Label sets whose values concatenate alike do not collide", () => {
  const r = new Registry();
  const g = r.gauge({ name: "g", help: "x", labelNames: ["a", "b"] });
  g.set({ a: "x\u0000", b: "y" }, 1);
  g.set({ a: "x", b: "\u0000y" }, 2);
  g.set({ a: "1:x", b: "" }, 3);
  g.set({ a: "", b: "1:x" }, 4);
  assert.equal(g.size, 4);
  assert.equal(g.get({ a: "x\u0000", b: "y" }), 1);
  assert.equal(g.get({ a: "", b: "1:x" }), 4);
});

Deno.test("Bound series (labels()) count on the hot path and appear as 0 before use", () => {
  const r = new Registry();
  const c = r.counter({ name: "controller_runtime_reconcile_total", help: "x", labelNames: ["controller", "result"] });
  const ok = c.labels({ controller: "es", result: "success" });
  c.labels({ controller: "es", result: "error" });
  ok.inc();
  ok.inc(2);
  const p = parseExposition(r.expose());
  assert.equal(find(p, "controller_runtime_reconcile_total", { controller: "es", result: "success" }), 3);
  assert.equal(find(p, "controller_runtime_reconcile_total", { controller: "es", result: "error" }), 0);
  const g = r.gauge({ name: "g", help: "x", labelNames: ["k"] }).labels({ k: "v" });
  g.set(5);
  g.dec(2);
  g.inc();
  assert.equal(g.get(), 4);
});

Deno.test("Collectors run at scrape time and a throwing one does not break the scrape", () => {
  const r = new Registry();
  let n = 0;
  r.gauge({ name: "scrapes", help: "x", collect: (g) => g.set(++n) });
  r.onCollect(() => {
    throw new Error("boom");
  });
  const unregister = r.onCollect(() => n++);
  assert.equal(find(parseExposition(r.expose()), "scrapes"), 2);
  unregister();
  assert.equal(find(parseExposition(r.expose()), "scrapes"), 3);
});

Deno.test("Values are formatted as the text format wants them", () => {
  const r = new Registry();
  const g = r.gauge({ name: "v", help: "x", labelNames: ["k"] });
  g.set({ k: "inf" }, Infinity);
  g.set({ k: "ninf" }, -Infinity);
  g.set({ k: "nan" }, NaN);
  g.set({ k: "small" }, 1e-9);
  const text = r.expose();
  assert.match(text, /^v\{k="inf"\} \+Inf$/m);
  assert.match(text, /^v\{k="ninf"\} -Inf$/m);
  assert.match(text, /^v\{k="nan"\} NaN$/m);
  const p = parseExposition(text);
  assert.equal(find(p, "v", { k: "small" }), 1e-9);
});

Deno.test("registerProcessMetrics() reports resident memory and start time", () => {
  const r = new Registry();
  registerProcessMetrics(r);
  const p = parseExposition(r.expose());
  assert.ok((find(p, "process_resident_memory_bytes") ?? 0) > 1_000_000);
  const start = find(p, "process_start_time_seconds") ?? 0;
  assert.ok(start > 1_600_000_000 && start <= Date.now() / 1000);
  assert.equal(PROMETHEUS_CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
});
