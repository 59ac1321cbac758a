import assert from "node:assert/strict";
import { FetchCache, refreshSpreadMs } from "./fetch_cache.ts";
import { type ReadKey, readKey, storeKey } from "../runtime/keys.ts";

const k = (what: string): ReadKey => readKey(storeKey("ClusterSecretStore", "kv"), "uid", "", [what]);

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const HOUR = 3_600_000;

Deno.test("FetchCache.get() shares one in-flight read between concurrent askers", async () => {
  const cache = new FetchCache();
  let reads = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => release = r);
  const read = async (): Promise<Uint8Array> => {
    reads++;
    await gate;
    return bytes("v1");
  };
  // As for ExternalSecrets force-synced together: each wants a read that started after the change it saw.
  const seen = Date.now();
  const all = Promise.all(Array.from({ length: 50 }, () => cache.get(k("kv/a"), seen, HOUR, read)));
  release();
  const results = await all;
  assert.equal(reads, 1);
  assert.ok(results.every((r) => text(r.value) === "v1"));
});

Deno.test("FetchCache.get() does not join a read that started before the asker's change was seen", async () => {
  let now = 1000;
  const cache = new FetchCache({ now: () => now });
  let reads = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => release = r);
  const read = async (): Promise<Uint8Array> => {
    const n = ++reads;
    await gate;
    return bytes(`v${n}`);
  };
  const early = cache.get(k("k"), 1000, HOUR, read);
  now = 1005;
  const late = cache.get(k("k"), 1005, HOUR, read); // its force-sync came after the first read started
  release();
  assert.equal(text((await early).value), "v1");
  assert.equal(text((await late).value), "v2");
  assert.equal(reads, 2);
});

Deno.test("FetchCache.get() reuses a value read after the asker's last refresh, and says when it was read", async () => {
  let now = 10 * HOUR;
  const cache = new FetchCache({ now: () => now });
  let reads = 0;
  const read = (): Promise<Uint8Array> => Promise.resolve(bytes(`v${++reads}`));
  // ES A (last refresh 9h) is due and reads.
  const a = await cache.get(k("k"), 9 * HOUR + 1, HOUR, read);
  assert.equal(a.fetchedAt, 10 * HOUR);
  // ES B (last refresh 9h + 2 min) is due 2 minutes later: A's read is newer than what B has.
  now += 120_000;
  const b = await cache.get(k("k"), 9 * HOUR + 120_000 + 1, HOUR, read);
  assert.equal(reads, 1, "B reuses A's read");
  assert.equal(b.fetchedAt, 10 * HOUR, "and takes its read time as its refreshTime");
  // ES C last refreshed after that read: it must read again.
  const c = await cache.get(k("k"), 10 * HOUR + 60_000, HOUR, read);
  assert.equal(reads, 2);
  assert.equal(text(c.value), "v2");
});

Deno.test("FetchCache.get() drops a value after its keep time", async () => {
  let now = 0;
  const cache = new FetchCache({ now: () => now });
  let reads = 0;
  const read = (): Promise<Uint8Array> => Promise.resolve(bytes(`v${++reads}`));
  await cache.get(k("k"), 0, 60_000, read);
  now = 61_000;
  await cache.get(k("k"), 0, 60_000, read);
  assert.equal(reads, 2);
});

Deno.test("FetchCache.get() does not cache errors", async () => {
  const cache = new FetchCache();
  await assert.rejects(cache.get(k("k"), 0, HOUR, () => Promise.reject(new Error("429"))), /429/);
  const ok = await cache.get(k("k"), 0, HOUR, () => Promise.resolve(bytes("fine")));
  assert.equal(text(ok.value), "fine");
});

Deno.test("FetchCache keeps at most maxEntries values and forgetStore() drops a store's", async () => {
  const cache = new FetchCache({ maxEntries: 2 });
  const a = storeKey("SecretStore", "a", "ns");
  const b = storeKey("SecretStore", "b", "ns");
  for (const [store, what] of [[a, "1"], [a, "2"], [b, "1"]] as const) {
    await cache.get(readKey(store, "u", "", [what]), 0, HOUR, () => Promise.resolve(bytes(what)));
  }
  assert.equal(cache.size, 2, "the oldest went");
  cache.forgetStore(a);
  assert.equal(cache.size, 1, "a's remaining value went, b's stayed");
  cache.forgetStore(b);
  assert.equal(cache.size, 0);
});

Deno.test("FetchCache holds maps as well as single values", async () => {
  const cache = new FetchCache();
  const got = await cache.get(k("extract"), 0, HOUR, () => Promise.resolve({ user: bytes("u"), pass: bytes("p") }));
  assert.deepEqual(Object.keys(got.value), ["user", "pass"]);
  const again = await cache.get(k("extract"), 0, HOUR, () => Promise.reject(new Error("must not read again")));
  assert.equal(again.value, got.value);
});

Deno.test("refreshSpreadMs() is 5% of the interval within [1 s, 5 min]", () => {
  assert.equal(refreshSpreadMs(20_000), 1000);
  assert.equal(refreshSpreadMs(HOUR), 180_000);
  assert.equal(refreshSpreadMs(24 * HOUR), 300_000);
});
