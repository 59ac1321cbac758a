import assert from "node:assert/strict";
import type { ExternalSecret } from "../../api/types.ts";
import { FakeProvider } from "../../providers/fake/fake.ts";
import { NoSecretError, type StoreRef } from "../../providers/provider.ts";
import { ChangeDetector } from "../change_detection.ts";
import { FetchCache } from "../fetch_cache.ts";
import { mapLimited, planReads, type ReadPlan, readValues } from "./read.ts";

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

Deno.test("planReads(): what is not supported yet, or invalid, says so before any read", () => {
  const refused = (dataFrom: NonNullable<ExternalSecret["spec"]["dataFrom"]>): string | undefined => {
    const p = planReads({ es: es([], { dataFrom }), store, fresh: "new", now: NOW });
    return "unsupported" in p ? p.unsupported : undefined;
  };
  assert.equal(
    refused([{ extract: { key: "json" } }, { find: { name: { regexp: "(" } } }]),
    "spec.dataFrom[1].find.name.regexp: error parsing regexp: missing closing ): `(`",
  );
  assert.equal(
    refused([{ extract: { key: "json" }, rewrite: [{ merge: {} }] }]),
    "spec.dataFrom[0].rewrite[0].merge is not supported yet by this controller",
  );
  assert.match(refused([{ find: { tags: { a: "b" } }, sourceRef: {} as never }]) ?? "", /sourceRef is not supported/);
  assert.equal(
    refused([{ find: { name: { regexp: "^db" } }, rewrite: [{ regexp: { source: "a", target: "b" } }] }]),
    undefined,
  );
});

Deno.test("readValues(): find shares one listing per window and reads a match again only when it changed", async () => {
  let clock = NOW - 60_000;
  const provider = new FakeProvider();
  provider.vault.now = () => clock - 5000; // written a few seconds before it is read
  provider.vault.set("db-user", "u", { team: "core" });
  provider.vault.set("db-pass", "p", { team: "core" });
  provider.vault.set("db-other", "o", { team: "else" });
  provider.vault.set("db-off", "x", { team: "core" }, { enabled: false });
  provider.vault.set("api-key", "k", { team: "core" });
  const client = await provider.newClient(store, "jenkins", undefined as never);
  const cache = new FetchCache({ now: () => clock });
  const e = es([], { dataFrom: [{ find: { name: { regexp: "^db-" }, tags: { team: "core" } } }] });
  const other = es([], {
    dataFrom: [{ find: { tags: { team: "core" } }, rewrite: [{ regexp: { source: "^(.*)$", target: "K_$1" } }] }],
  });
  clock = NOW;
  const read = async (x: ExternalSecret, fresh: "new" | "window" = "new") => {
    const p = planReads({ es: x, store, fresh, now: clock });
    if ("unsupported" in p) throw new Error(p.unsupported);
    const got = await readValues(p, client, cache, { now: clock });
    return Object.fromEntries(Object.entries(got.values).map(([k, v]) => [k, text(v)]));
  };
  assert.deepEqual(await read(e), { "db-pass": "p", "db-user": "u" }, "disabled and other tags skipped");
  assert.deepEqual(await read(other), { "K_api-key": "k", "K_db-pass": "p", "K_db-user": "u" });
  assert.equal(provider.vault.count("listSecrets"), 1, "one listing for both");
  assert.equal(provider.vault.count("getSecret"), 3, "one GET per distinct match");

  clock = NOW + 3_600_000; // the next window: a new listing, no GET for unchanged matches
  provider.vault.set("db-user", "u2", { team: "core" });
  const next = { ...e, status: { refreshTime: new Date(NOW).toISOString() } };
  assert.deepEqual(await read(next, "window"), { "db-pass": "p", "db-user": "u2" });
  assert.equal(provider.vault.count("listSecrets"), 2);
  assert.equal(provider.vault.count("getSecret"), 4, "only the changed match was read again");
  await read(next, "window");
  assert.equal(provider.vault.count("getSecret"), 4, "another ExternalSecret in that window reuses the new read");
  clock += 3_600_000;
  await read({ ...e, status: { refreshTime: new Date(clock - 3_600_000).toISOString() } }, "window");
  assert.equal(provider.vault.count("getSecret"), 4, "and later windows too");
  assert.equal(provider.vault.count("listSecrets"), 3);
});

Deno.test("planReads(): dataFrom extracts come first, in order, then data[]; same extract, same read", () => {
  const e = es([{ secretKey: "a", remoteRef: { key: "json" } }], {
    dataFrom: [{ extract: { key: "json" } }, { extract: { key: "json", conversionStrategy: "Unicode" } }, {
      extract: { key: "json", property: "inner" },
    }],
  });
  const reads = plan(e).reads;
  assert.deepEqual(reads.map((r) => `${r.kind}${r.index}`), ["extract0", "extract1", "extract2", "value0"]);
  assert.equal(reads[0]!.key, reads[1]!.key, "conversion is applied after the read");
  assert.notEqual(reads[0]!.key, reads[2]!.key, "a property narrows what the provider explodes");
  assert.notEqual(reads[0]!.key, reads[3]!.key, "a map read is not a value read");
});

Deno.test("readValues(): extracts merge in order, data[] overrides them; conversion and decoding per item", async () => {
  const provider = new FakeProvider();
  provider.vault.set("db", JSON.stringify({ user: "admin", "my key/x": "k", nested: { a: [1, 2] }, none: null }));
  provider.vault.set("b64", JSON.stringify({ user: btoa("root"), cert: btoa("pem") }));
  provider.vault.set("plain", "user-from-data");
  const client = await provider.newClient(store, "jenkins", undefined as never);
  const e = es([{ secretKey: "user", remoteRef: { key: "plain" } }], {
    dataFrom: [
      { extract: { key: "db" } },
      { extract: { key: "db", conversionStrategy: "Unicode" } },
      { extract: { key: "b64", decodingStrategy: "Base64" } },
    ],
  });
  const { values } = await readValues(plan(e), client, new FetchCache({ now: () => NOW }), { now: NOW });
  const got = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, text(v)]));
  assert.deepEqual(got, {
    user: "user-from-data",
    my_key_x: "k",
    "my_U0020_key_U002f_x": "k",
    nested: '{"a":[1,2]}',
    none: "",
    cert: "pem",
  });
  assert.equal(provider.vault.count("getSecretMap"), 2, "the two extracts of db share one read");
});

Deno.test("readValues(): a value that is not a JSON object fails, naming the item and key, never the value", async () => {
  const provider = new FakeProvider();
  provider.vault.set("plain", "hunter2");
  provider.vault.set("list", "[1,2]");
  const client = await provider.newClient(store, "jenkins", undefined as never);
  for (const key of ["plain", "list"]) {
    const e = es([], { dataFrom: [{ extract: { key } }] });
    await assert.rejects(
      readValues(plan(e), client, new FetchCache({ now: () => NOW }), { now: NOW }),
      (err: Error) => {
        assert.match(err.message, new RegExp(`^spec\\.dataFrom\\[0\\]\\.extract: the value of key ${key} is`));
        assert.doesNotMatch(err.message, /hunter2/);
        return true;
      },
    );
  }
  const gone = es([], { dataFrom: [{ extract: { key: "missing" } }] });
  await assert.rejects(
    readValues(plan(gone), client, new FetchCache({ now: () => NOW }), { now: NOW }),
    NoSecretError,
    "a missing secret stays a NoSecretError (deletionPolicy)",
  );
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

Deno.test("readValues(): with deletionPolicy Delete or Merge a missing secret is skipped and reported, in order", async () => {
  const provider = new FakeProvider();
  provider.vault.set("here", "1");
  const client = await provider.newClient(store, "jenkins", undefined as never);
  const e = es([{ secretKey: "a", remoteRef: { key: "gone" } }, { secretKey: "b", remoteRef: { key: "here" } }], {
    dataFrom: [{ extract: { key: "gone-json" } }],
    target: { deletionPolicy: "Merge" },
  });
  const got = await readValues(plan(e), client, new FetchCache({ now: () => NOW }), { now: NOW });
  assert.deepEqual(Object.keys(got.values), ["b"]);
  assert.deepEqual(got.missing, [{ item: "spec.dataFrom[0]", key: "gone-json" }, {
    item: "spec.data[0]",
    key: "gone",
  }]);
  await assert.rejects(
    readValues(plan({ ...e, spec: { ...e.spec, target: {} } }), client, new FetchCache({ now: () => NOW }), {
      now: NOW,
    }),
    NoSecretError,
    "Retain: a missing secret is a failure",
  );
});

Deno.test("mapLimited(): at most `limit` calls at once, results in order, a failure rejects", async () => {
  let running = 0;
  let peak = 0;
  const out = await mapLimited(Array.from({ length: 50 }, (_, i) => i), 8, async (n) => {
    running++;
    peak = Math.max(peak, running);
    await new Promise((r) => setTimeout(r, 1));
    running--;
    return n * 2;
  });
  assert.equal(peak, 8);
  assert.deepEqual(out, Array.from({ length: 50 }, (_, i) => i * 2));
  await assert.rejects(
    mapLimited([1, 2, 3], 2, (n) => n === 2 ? Promise.reject(new Error("no")) : Promise.resolve(n)),
    /no/,
  );
  assert.deepEqual(await mapLimited([], 8, () => Promise.resolve(1)), []);
});

Deno.test("readValues(): a find match and a data[] item of the same name share one read, either way round", async () => {
  for (const order of ["find first", "data first"]) {
    const provider = new FakeProvider();
    provider.vault.now = () => NOW - 5000;
    provider.vault.set("db-user", "u", { team: "core" });
    const client = await provider.newClient(store, "jenkins", undefined as never);
    const cache = new FetchCache({ now: () => NOW });
    const find = es([], { dataFrom: [{ find: { tags: { team: "core" } } }] });
    const data = es([{ secretKey: "user", remoteRef: { key: "db-user" } }]);
    const read = async (x: ExternalSecret) => {
      const p = planReads({ es: x, store, fresh: "new", now: NOW });
      if ("unsupported" in p) throw new Error(p.unsupported);
      const got = await readValues(p, client, cache, { now: NOW });
      return Object.fromEntries(Object.entries(got.values).map(([k, v]) => [k, text(v)]));
    };
    await read(order === "find first" ? find : data);
    assert.deepEqual(await read(find), { "db-user": "u" }, order);
    assert.deepEqual(await read(data), { user: "u" }, order);
    assert.equal(provider.vault.count("getSecret") + provider.vault.count("readSecret"), 1, `${order}: one read`);
  }
});

Deno.test("readValues(): change detection lists once per window and reads only the keys that changed", async () => {
  let clock = NOW - 60_000;
  const provider = new FakeProvider();
  provider.vault.now = () => clock - 5000;
  for (let i = 0; i < 30; i++) provider.vault.set(`key-${i}`, `v${i}`);
  const client = await provider.newClient(store, "jenkins", undefined as never);
  const cache = new FetchCache({ now: () => clock });
  const modes: string[] = [];
  const changes = new ChangeDetector({ onRead: (m) => modes.push(m) });
  const one = (i: number, refreshTime: number): ExternalSecret => ({
    ...es([{ secretKey: "v", remoteRef: { key: `key-${i}` } }], { refreshInterval: "1m" }),
    status: { refreshTime: new Date(refreshTime).toISOString() },
  });
  const sync = async (i: number, fresh: "new" | "window" | "forced", refreshTime: number) => {
    const p = planReads({ es: one(i, refreshTime), store, fresh, now: clock, changedAt: clock });
    if ("unsupported" in p) throw new Error(p.unsupported);
    const got = await readValues(p, client, cache, { now: clock, changes });
    return { value: text(got.values.v), fetchedAt: got.fetchedAt };
  };
  clock = NOW;
  for (let i = 0; i < 30; i++) await sync(i, "new", 0);
  assert.equal(provider.vault.count("getSecret"), 30, "first syncs read each key");
  assert.equal(provider.vault.count("listSecrets"), 0, "and list nothing");

  clock = NOW + 60_000; // next window: one listing (30 secrets: 2 pages < 30 keys), no reads
  provider.vault.set("key-7", "new7");
  const window1 = [];
  for (let i = 0; i < 30; i++) window1.push(await sync(i, "window", NOW));
  assert.equal(provider.vault.count("listSecrets"), 1, "one listing serves the window");
  assert.equal(provider.vault.count("getSecret"), 31, "only the changed key was read again");
  assert.equal(window1[7]!.value, "new7");
  assert.equal(window1[3]!.value, "v3");
  assert.equal(window1[3]!.fetchedAt, NOW + 60_000, "an unchanged value is as current as the listing");
  assert.deepEqual(new Set(modes), new Set(["list"]), "every periodic refresh checked by the listing");

  for (let w = 2; w <= 10; w++) { // later windows, past the first reads' keep time (1m + 3s): still no reads
    clock = NOW + w * 60_000;
    for (let i = 0; i < 30; i++) await sync(i, "window", clock - 60_000);
  }
  assert.equal(provider.vault.count("listSecrets"), 10);
  assert.equal(provider.vault.count("getSecret"), 31);

  clock += 1000; // a forced sync reads the value, as asked
  assert.equal((await sync(3, "forced", clock - 1000)).value, "v3");
  assert.equal(provider.vault.count("getSecret"), 32);
  assert.equal(provider.vault.count("listSecrets"), 10);
});

Deno.test("readValues(): a listing longer than the reads it replaces, or refused, falls back to a read per key", async () => {
  const clock = NOW;
  const provider = new FakeProvider();
  provider.vault.now = () => clock - 5000;
  for (let i = 0; i < 100; i++) provider.vault.set(`key-${i}`, `v${i}`); // 4 pages
  const client = await provider.newClient(store, "jenkins", undefined as never);
  const cache = new FetchCache({ now: () => clock });
  const fallbacks: string[] = [];
  const changes = new ChangeDetector({ onFallback: (_k, reason) => fallbacks.push(reason) });
  const p0 = plan(es([{ secretKey: "v", remoteRef: { key: "key-0" } }]));
  const refresh = async (i: number) => {
    const e = es([{ secretKey: "v", remoteRef: { key: `key-${i}` } }]);
    const p = planReads({ es: e, store, fresh: "window", now: clock });
    if ("unsupported" in p) throw new Error(p.unsupported);
    return text((await readValues(p, client, cache, { now: clock, changes })).values.v);
  };
  for (let i = 0; i < 3; i++) changes.note(p0.listKey, `key-${i}`, clock - 3_600_000); // read an hour ago
  for (let i = 0; i < 3; i++) assert.equal(await refresh(i), `v${i}`);
  assert.equal(provider.vault.count("listSecrets"), 1, "one listing tried (2 pages allowed for 3 keys)");
  assert.equal(provider.vault.count("getSecret"), 3, "then every key read");
  assert.deepEqual(fallbacks, ["too-long"]);

  const refusing = new FakeProvider();
  refusing.vault.now = () => clock - 5000;
  for (let i = 0; i < 3; i++) refusing.vault.set(`key-${i}`, `v${i}`);
  refusing.vault.failNext("listSecrets", new Error("403 Forbidden: no list permission"));
  const client2 = await refusing.newClient(store, "jenkins", undefined as never);
  const changes2 = new ChangeDetector({ onFallback: (_k, reason) => fallbacks.push(reason) });
  for (let i = 0; i < 3; i++) changes2.note(p0.listKey, `key-${i}`, clock - 3_600_000);
  for (let i = 0; i < 3; i++) {
    const e = es([{ secretKey: "v", remoteRef: { key: `key-${i}` } }]);
    const p = planReads({ es: e, store, fresh: "window", now: clock });
    if ("unsupported" in p) throw new Error(p.unsupported);
    const got = await readValues(p, client2, new FetchCache({ now: () => clock }), { now: clock, changes: changes2 });
    assert.equal(text(got.values.v), `v${i}`);
  }
  assert.deepEqual(fallbacks, ["too-long", "failed"]);
  assert.equal(refusing.vault.count("getSecret"), 3);
});
