import assert from "node:assert/strict";
import { readKey, storeKey } from "../runtime/keys.ts";
import { Registry } from "../runtime/metrics.ts";
import {
  countedBudget,
  CountedFetchCache,
  dropExternalSecretSeries,
  registerControllerMetrics,
  registerSyncAge,
  setConditionGauge,
} from "./metrics.ts";

const K = readKey(storeKey("ClusterSecretStore", "kv"), "uid", "", ["db"]);

Deno.test("CountedFetchCache counts a miss, a shared read in flight and a hit", async () => {
  const registry = new Registry();
  const metrics = registerControllerMetrics(registry);
  let t = 1000;
  const cache = new CountedFetchCache(metrics, { now: () => t });
  let release!: (v: Uint8Array) => void;
  let reads = 0;
  const read = (): Promise<Uint8Array> => {
    reads++;
    return new Promise((r) => release = r);
  };
  const first = cache.get(K, 0, 60_000, read);
  const joined = cache.get(K, 0, 60_000, read);
  release(new Uint8Array([1]));
  await Promise.all([first, joined]);
  t += 10;
  await cache.get(K, 0, 60_000, read);
  assert.equal(reads, 1);
  const count = (result: string): number | undefined => metrics.readCache.get({ result });
  assert.deepEqual([count("miss"), count("shared"), count("hit")], [1, 1, 1]);
  // A read newer than the cached one is a miss again.
  const again = cache.get(K, t, 60_000, read);
  release(new Uint8Array([2]));
  await again;
  assert.equal(count("miss"), 2);
});

Deno.test("countedBudget counts requests and 429s per vault and times the wait", async () => {
  const metrics = registerControllerMetrics(new Registry());
  const blocked: [string, number][] = [];
  const budget = countedBudget(metrics, {
    acquire: () => new Promise((r) => setTimeout(r, 30)),
    block: (host, ms) => blocked.push([host, ms]),
  });
  await budget.acquire("a.vault.azure.net");
  await budget.acquire("a.vault.azure.net");
  budget.throttled("a.vault.azure.net", 3000);
  assert.equal(metrics.vaultRequests.get({ vault: "a.vault.azure.net" }), 2);
  assert.equal(metrics.vaultThrottled.get({ vault: "a.vault.azure.net" }), 1);
  assert.deepEqual(blocked, [["a.vault.azure.net", 3000]]);
  const wait = metrics.vaultWait.get({ vault: "a.vault.azure.net" })!;
  assert.equal(wait.count, 2);
  assert.ok(wait.sum >= 0.05 && wait.sum < 1, `waited ${wait.sum} s`);
});

Deno.test("an aborted wait is timed but not counted as a request", async () => {
  const metrics = registerControllerMetrics(new Registry());
  const budget = countedBudget(metrics, { acquire: () => Promise.reject(new Error("aborted")), block: () => {} });
  await assert.rejects(budget.acquire("b"), /aborted/);
  assert.equal(metrics.vaultRequests.get({ vault: "b" }), undefined);
  assert.equal(metrics.vaultWait.get({ vault: "b" })!.count, 1);
});

Deno.test("externalsecret_sync_age_seconds is now − refreshTime, per ExternalSecret that ever synced", () => {
  const registry = new Registry();
  const objects = [
    { metadata: { name: "a", namespace: "x" }, status: { refreshTime: "2026-01-01T00:00:00Z" } },
    { metadata: { name: "never", namespace: "x" }, status: {} },
    { metadata: { name: "b", namespace: "y" }, status: { refreshTime: "2026-01-01T00:01:00Z" } },
  ];
  let now = Date.parse("2026-01-01T00:02:30Z");
  registerSyncAge(registry, () => objects, () => now);
  let text = registry.expose();
  assert.match(text, /^externalsecret_sync_age_seconds\{name="a",namespace="x"\} 150$/m);
  assert.match(text, /^externalsecret_sync_age_seconds\{name="b",namespace="y"\} 90$/m);
  assert.doesNotMatch(text, /name="never"/);
  // Deleted objects leave with the cache; the age follows the clock.
  objects.splice(0, 1);
  now += 10_000;
  text = registry.expose();
  assert.doesNotMatch(text, /name="a"/);
  assert.match(text, /^externalsecret_sync_age_seconds\{name="b",namespace="y"\} 100$/m);
});

Deno.test("the store reconcile-duration gauges have ESO's names and labels", () => {
  const registry = new Registry();
  const m = registerControllerMetrics(registry);
  m.storeReconcileDuration.set({ name: "s", namespace: "n" }, 1.5e6);
  m.clusterStoreReconcileDuration.set({ name: "c", namespace: "" }, 2e6);
  const text = registry.expose();
  assert.match(text, /^# TYPE secretstore_reconcile_duration gauge$/m);
  assert.match(text, /^secretstore_reconcile_duration\{name="s",namespace="n"\} 1500000$/m);
  assert.match(text, /^clustersecretstore_reconcile_duration\{name="c",namespace=""\} 2000000$/m);
});

Deno.test("a deleted ExternalSecret's series go, as ESO removes them; other objects' stay", () => {
  const registry = new Registry();
  const m = registerControllerMetrics(registry);
  for (const name of ["gone", "kept"]) {
    const labels = { name, namespace: "ns" };
    m.syncCalls.inc(labels);
    m.syncErrors.inc(labels);
    m.esReconcileDuration.set(labels, 1e6);
    setConditionGauge(m.esCondition, labels, "Ready", "True");
  }
  dropExternalSecretSeries(m, { name: "gone", namespace: "ns" });
  const text = registry.expose();
  assert.doesNotMatch(text, /name="gone"/);
  assert.equal(text.match(/name="kept"/g)?.length, 5);
});
