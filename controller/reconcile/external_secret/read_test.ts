import assert from "node:assert/strict";
import type { ExternalSecret } from "../../api/types.ts";
import { FakeProvider } from "../../providers/fake/fake.ts";
import { NoSecretError, type StoreRef } from "../../providers/provider.ts";
import { FetchCache } from "../fetch_cache.ts";
import { planReads, type ReadPlan, readValues } from "./read.ts";

const NOW = Date.parse("2026-11-28T12:00:00.000Z");
const text = (b: Uint8Array | undefined): string => new TextDecoder().decode(b);

const store: StoreRef = {
  kind: "ClusterSecretStore",
  name: "kv",
  uid: "uid-store",
  resourceVersion: "1",
  spec: { provider: { fake: {} } } as unknown as StoreRef["spec"],
};

function es(
  data: NonNullable<ExternalSecret["spec"]["data"]>,
  extra: Partial<ExternalSecret["spec"]> = {},
): ExternalSecret {
  return {
    apiVersion: "external-secrets.io/v1",
    kind: "ExternalSecret",
    metadata: { name: "regcred", namespace: "jenkins", uid: "uid-es", generation: 1 },
    spec: { refreshInterval: "1h", secretStoreRef: { kind: "ClusterSecretStore", name: "kv" }, data, ...extra },
    status: { refreshTime: "2026-11-28T11:00:00Z" },
  };
}

function plan(e: ExternalSecret, fresh: "forced" | "new" | "window" = "window", changedAt?: number): ReadPlan {
  const p = planReads({ es: e, store, fresh, now: NOW, changedAt });
  if ("unsupported" in p) throw new Error(p.unsupported);
  return p;
}

Deno.test("planReads(): one read per data[] item; how fresh depends on why the refresh runs", () => {
  const e = es([{ secretKey: "a", remoteRef: { key: "docker" } }, { secretKey: "b", remoteRef: { key: "other" } }]);
  const window = plan(e);
  assert.equal(window.reads.length, 2);
  assert.equal(window.notBefore, Date.parse("2026-11-28T11:00:01Z"), "a value newer than the last refresh");
  assert.equal(plan(e, "forced", NOW - 10).notBefore, NOW - 10, "a read after the change that forced it");
  assert.equal(plan(e, "new").notBefore, NOW - 180_000, "a first sync: as old as the jitter spread (5% of 1h)");
  assert.equal(window.keepMs, 3_600_000 + 180_000);
});

Deno.test("planReads(): a first sync also takes any read that started after the ExternalSecret was created", () => {
  const created = (at: string): ExternalSecret => {
    const e = es([{ secretKey: "a", remoteRef: { key: "docker" } }]);
    return { ...e, metadata: { ...e.metadata, creationTimestamp: at }, status: {} };
  };
  const old = created("2026-11-28T10:00:00Z");
  assert.equal(plan(old, "new").notBefore, Date.parse("2026-11-28T10:00:03Z"), "whole seconds and skew: + 3 s");
  assert.equal(plan(old, "new", NOW - 500).notBefore, Date.parse("2026-11-28T10:00:03Z"), "changedAt does not move it");
  assert.equal(plan(created("2026-11-28T11:59:59Z"), "new").notBefore, NOW - 180_000, "the spread, when older");
  assert.equal(plan(created("not a time"), "new").notBefore, NOW - 180_000);
});

Deno.test("planReads(): reads share a key when the provider's answer is the same, whatever the property", () => {
  const e = es([
    { secretKey: "user", remoteRef: { key: "db", property: "user" } },
    { secretKey: "pass", remoteRef: { key: "db", property: "pass" } },
    { secretKey: "tags", remoteRef: { key: "db", metadataPolicy: "Fetch" } },
    { secretKey: "old", remoteRef: { key: "db", version: "v1" } },
  ]);
  const keys = plan(e).reads.map((r) => r.key);
  assert.equal(keys[0], keys[1]);
  assert.equal(new Set(keys).size, 3);
  const elsewhere = { ...e, metadata: { ...e.metadata, namespace: "other" } };
  const shared = planReads({ es: elsewhere, store, fresh: "window", now: NOW });
  assert.ok(!("unsupported" in shared));
  assert.equal(shared.reads[0]!.key, keys[0], "same credentials: one read serves every namespace");
  const referent = (ns: string) => planReads({ es: elsewhere, store, fresh: "window", now: NOW, credentialScope: ns });
  const a = referent("jenkins");
  const b = referent("other");
  assert.ok(!("unsupported" in a) && !("unsupported" in b));
  assert.notEqual(a.reads[0]!.key, b.reads[0]!.key, "referent credentials: reads are per namespace");
});

Deno.test("planReads(): what is not supported yet says so", () => {
  const withFrom = es([], { dataFrom: [{ extract: { key: "json" } }] });
  assert.deepEqual(planReads({ es: withFrom, store, fresh: "new", now: NOW }), {
    unsupported: "spec.dataFrom is not supported yet by this controller",
  });
});

Deno.test("readValues(): ExternalSecrets sharing a key cost one provider read; remote-ref options apply per item", async () => {
  const provider = new FakeProvider();
  provider.vault.set("db", JSON.stringify({ user: "jenkins", pass: btoa("s3cret") }));
  const client = await provider.newClient(store, "jenkins", undefined as never);
  const cache = new FetchCache({ now: () => NOW });
  const e = es([
    { secretKey: "user", remoteRef: { key: "db", property: "user" } },
    { secretKey: "pass", remoteRef: { key: "db", property: "pass", decodingStrategy: "Base64" } },
  ]);
  const seen: string[] = [];
  const results = await Promise.all(
    Array.from({ length: 20 }, () => readValues(plan(e), client, cache, { now: NOW, seen: (v) => seen.push(text(v)) })),
  );
  assert.equal(provider.vault.count("getSecret"), 1);
  assert.equal(seen.length, 1);
  for (const r of results) {
    assert.equal(text(r.values.user), "jenkins");
    assert.equal(text(r.values.pass), "s3cret");
    assert.equal(r.fetchedAt, NOW);
  }
});

Deno.test("readValues(): a provider error rejects the whole read, and is not cached", async () => {
  const provider = new FakeProvider();
  provider.vault.set("a", "1");
  const client = await provider.newClient(store, "jenkins", undefined as never);
  const cache = new FetchCache({ now: () => NOW });
  const e = es([{ secretKey: "a", remoteRef: { key: "a" } }, { secretKey: "b", remoteRef: { key: "missing" } }]);
  await assert.rejects(readValues(plan(e), client, cache, { now: NOW }), NoSecretError);
  provider.vault.failNext("getSecret");
  await assert.rejects(
    readValues(plan(es([{ secretKey: "x", remoteRef: { key: "x" } }])), client, cache, { now: NOW }),
    /injected/,
  );
  provider.vault.set("x", "now there");
  const ok = await readValues(plan(es([{ secretKey: "x", remoteRef: { key: "x" } }])), client, cache, { now: NOW });
  assert.equal(text(ok.values.x), "now there");
});
