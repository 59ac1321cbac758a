import assert from "node:assert/strict";
import FakeTimers from "@sinonjs/fake-timers";
import { SingleFlight } from "./single_flight.ts";

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

Deno.test("SingleFlight shares one call among concurrent callers of the same key", async () => {
  const sf = new SingleFlight<string, string>();
  let calls = 0;
  const d = deferred<string>();
  const fn = (): Promise<string> => {
    calls++;
    return d.promise;
  };
  const all = Array.from({ length: 50 }, () => sf.do("kv-prod/regcred/", fn));
  assert.equal(calls, 1);
  d.resolve("value");
  assert.deepEqual(new Set(await Promise.all(all)), new Set(["value"]));
  // ttl 0: nothing cached, the next call fetches again.
  await sf.do("kv-prod/regcred/", () => Promise.resolve("again").finally(() => calls++));
  assert.equal(calls, 2);
});

Deno.test("SingleFlight keeps different keys apart", async () => {
  const sf = new SingleFlight<string, number>();
  const [a, b] = await Promise.all([sf.do("a", () => Promise.resolve(1)), sf.do("b", () => Promise.resolve(2))]);
  assert.deepEqual([a, b], [1, 2]);
});

Deno.test("SingleFlight caches a success for ttlMs and fetches again after it", async () => {
  const clock = FakeTimers.install({ toFake: ["Date"] });
  try {
    const sf = new SingleFlight<string, number>({ ttlMs: 30_000 });
    let calls = 0;
    const fn = (): Promise<number> => Promise.resolve(++calls);
    assert.equal(await sf.do("k", fn), 1);
    clock.tick(29_999);
    assert.equal(await sf.do("k", fn), 1, "still fresh");
    clock.tick(1);
    assert.equal(await sf.do("k", fn), 2, "expired at exactly ttlMs");
    assert.equal(calls, 2);
  } finally {
    clock.uninstall();
  }
});

Deno.test("SingleFlight never caches errors but shares them with the callers that waited", async () => {
  const sf = new SingleFlight<string, string>({ ttlMs: 60_000 });
  let calls = 0;
  const d = deferred<string>();
  const p1 = sf.do("k", () => {
    calls++;
    return d.promise;
  });
  const p2 = sf.do("k", () => {
    calls++;
    return Promise.resolve("unused");
  });
  d.reject(new Error("HTTP 503"));
  await assert.rejects(p1, /HTTP 503/);
  await assert.rejects(p2, /HTTP 503/);
  assert.equal(calls, 1);
  assert.equal(await sf.do("k", () => Promise.resolve("ok")), "ok", "retried after the error");
});

Deno.test("SingleFlight turns a synchronous throw into a rejection", async () => {
  const sf = new SingleFlight<string, string>();
  await assert.rejects(
    sf.do("k", () => {
      throw new TypeError("bad ref");
    }),
    TypeError,
  );
  assert.equal(sf.size, 0);
});

Deno.test("SingleFlight.forget() stops a flight started before it from filling the cache", async () => {
  const sf = new SingleFlight<string, string>({ ttlMs: 60_000 });
  const old = deferred<string>();
  const p1 = sf.do("k", () => old.promise);
  sf.forget("k");
  const p2 = sf.do("k", () => Promise.resolve("new"));
  old.resolve("stale");
  assert.equal(await p1, "stale");
  assert.equal(await p2, "new");
  assert.equal(await sf.do("k", () => Promise.resolve("third")), "new", "the current flight's value is cached");
  sf.clear();
  assert.equal(await sf.do("k", () => Promise.resolve("fourth")), "fourth");
});

Deno.test("SingleFlight bounds its cache with maxEntries, oldest first, and sweeps expired entries", async () => {
  const clock = FakeTimers.install({ toFake: ["Date"] });
  try {
    const sf = new SingleFlight<string, number>({ ttlMs: 1_000, maxEntries: 3 });
    for (let i = 0; i < 5; i++) await sf.do(`k${i}`, () => Promise.resolve(i));
    assert.equal(sf.size, 3);
    assert.equal(await sf.do("k0", () => Promise.resolve(100)), 100, "k0 was evicted");
    assert.equal(await sf.do("k4", () => Promise.resolve(100)), 4, "k4 is still cached");
    clock.tick(1_000);
    await sf.do("fresh", () => Promise.resolve(0));
    assert.equal(sf.size, 1, "expired entries were swept");
  } finally {
    clock.uninstall();
  }
});

Deno.test("SingleFlight rejects nonsensical options", () => {
  assert.throws(() => new SingleFlight({ ttlMs: -1 }), RangeError);
  assert.throws(() => new SingleFlight({ maxEntries: 0 }), RangeError);
});
