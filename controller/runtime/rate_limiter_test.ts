import assert from "node:assert/strict";
import FakeTimers from "@sinonjs/fake-timers";
import {
  HostRateLimiter,
  InFlightLimiter,
  InFlightLimitError,
  parseRetryAfter,
  retryAfterMs,
  TokenBucket,
} from "./rate_limiter.ts";

const T0 = Date.parse("2026-01-01T00:00:00Z");

function fakeTime(): FakeTimers.Clock {
  return FakeTimers.install({ now: T0, toFake: ["setTimeout", "clearTimeout", "Date"] });
}

/** Starts `n` acquires and records when each resolved (fake ms since T0). */
function startAcquires(rl: HostRateLimiter, host: string, n: number, times: number[], signal?: AbortSignal): void {
  for (let i = 0; i < n; i++) {
    rl.acquire(host, signal).then(() => times.push(Date.now() - T0), () => times.push(-1));
  }
}

Deno.test("TokenBucket allows a burst, then the steady rate", () => {
  const b = new TokenBucket(10, 3, 0);
  assert.equal([b.take(0), b.take(0), b.take(0), b.take(0)].filter(Boolean).length, 3);
  assert.equal(b.msUntilToken(0), 100);
  assert.equal(b.take(99), false);
  assert.equal(b.take(100), true);
  assert.equal(b.tokens(10_000), 3, "refill is capped at burst");
});

Deno.test("TokenBucket.reserve() spreads a storm at the rate (10/s burst 100 → the 150th waits 5 s)", () => {
  const b = new TokenBucket(10, 100, 0);
  const delays = Array.from({ length: 150 }, () => b.reserve(0));
  assert.equal(delays[99], 0);
  assert.equal(delays[100], 100);
  assert.equal(delays[149], 5000);
  assert.throws(() => new TokenBucket(0, 1), RangeError);
});

Deno.test("HostRateLimiter lets a burst through at once, then serves the rest at the rate, in order", async () => {
  const clock = fakeTime();
  try {
    const rl = new HostRateLimiter({ ratePerSecond: 10, burst: 5 });
    const times: number[] = [];
    startAcquires(rl, "kv-prod.vault.azure.net", 8, times);
    await clock.tickAsync(0);
    assert.deepEqual(times, [0, 0, 0, 0, 0]);
    assert.equal(rl.stats("kv-prod.vault.azure.net").waiting, 3);
    await clock.tickAsync(1000);
    assert.deepEqual(times, [0, 0, 0, 0, 0, 100, 200, 300]);
    assert.equal(clock.countTimers(), 0, "no timer left when nobody waits");
  } finally {
    clock.uninstall();
  }
});

Deno.test("HostRateLimiter keeps hosts independent and treats host names case-insensitively", async () => {
  const clock = fakeTime();
  try {
    const rl = new HostRateLimiter({ ratePerSecond: 1, burst: 1 });
    await rl.acquire("a.vault.azure.net");
    await rl.acquire("b.vault.azure.net");
    let done = false;
    rl.acquire("A.VAULT.AZURE.NET").then(() => (done = true));
    await clock.tickAsync(999);
    assert.equal(done, false);
    await clock.tickAsync(1);
    assert.equal(done, true);
  } finally {
    clock.uninstall();
  }
});

Deno.test("HostRateLimiter.block() holds every caller of the vault until Retry-After, then resumes at the rate", async () => {
  const clock = fakeTime();
  try {
    const rl = new HostRateLimiter({ ratePerSecond: 10, burst: 100 });
    const host = "kv-prod.vault.azure.net";
    await rl.acquire(host);
    // Another caller got a 429 with Retry-After: 5.
    rl.block(host, parseRetryAfter("5")!);
    assert.equal(rl.blockedFor(host), 5000);
    const times: number[] = [];
    startAcquires(rl, host, 3, times);
    await clock.tickAsync(4999);
    assert.deepEqual(times, [], "nobody passes while blocked, although the bucket had 99 tokens");
    await clock.tickAsync(1);
    await clock.tickAsync(300);
    // The bucket was emptied: after the block, calls go at 10/s, not as a burst.
    assert.deepEqual(times, [5100, 5200, 5300]);
    assert.equal(rl.blockedFor(host), 0);
    // Other vaults are not affected.
    await rl.acquire("kv-other.vault.azure.net");
  } finally {
    clock.uninstall();
  }
});

Deno.test("HostRateLimiter.block() never shortens a longer block and caps absurd Retry-After values", () => {
  const clock = fakeTime();
  try {
    const rl = new HostRateLimiter({ maxBlockMs: 60_000 });
    rl.block("h", 30_000);
    rl.block("h", 1_000);
    assert.equal(rl.blockedFor("h"), 30_000);
    rl.block("h", 24 * 3_600_000);
    assert.equal(rl.blockedFor("h"), 60_000);
    rl.block("h", 0);
    rl.block("h", NaN);
    assert.equal(rl.stats("h").blockedUntil, T0 + 60_000);
  } finally {
    clock.uninstall();
  }
});

Deno.test("HostRateLimiter rejects an aborted acquire at once and gives its place to the next caller", async () => {
  const clock = fakeTime();
  try {
    const rl = new HostRateLimiter({ ratePerSecond: 1, burst: 1 });
    await rl.acquire("h");
    const ac = new AbortController();
    const first = rl.acquire("h", ac.signal);
    let secondAt = -1;
    const second = rl.acquire("h").then(() => (secondAt = Date.now() - T0));
    ac.abort(new Error("reconcile cancelled"));
    await assert.rejects(first, /reconcile cancelled/);
    await clock.tickAsync(1000);
    await second;
    assert.equal(secondAt, 1000, "the second caller got the first token");
    await assert.rejects(rl.acquire("h", ac.signal), /reconcile cancelled/, "an already aborted signal rejects");
    assert.equal(rl.stats("h").waiting, 0);
    assert.equal(clock.countTimers(), 0);
  } finally {
    clock.uninstall();
  }
});

Deno.test("parseRetryAfter() reads delay-seconds and HTTP dates", () => {
  const now = Date.parse("Wed, 21 Oct 2026 07:28:00 GMT");
  assert.equal(parseRetryAfter("120", now), 120_000);
  assert.equal(parseRetryAfter(" 1.5 ", now), 1500);
  assert.equal(parseRetryAfter("Wed, 21 Oct 2026 07:28:30 GMT", now), 30_000);
  assert.equal(parseRetryAfter("Wed, 21 Oct 2026 07:27:00 GMT", now), 0, "a date in the past means now");
  assert.equal(parseRetryAfter("soon", now), undefined);
  assert.equal(parseRetryAfter("-5", now), undefined);
  assert.equal(parseRetryAfter(null, now), undefined);
});

Deno.test("retryAfterMs() prefers Azure's millisecond headers over Retry-After", () => {
  assert.equal(retryAfterMs(new Headers({ "retry-after": "2", "x-ms-retry-after-ms": "750" })), 750);
  assert.equal(retryAfterMs(new Headers({ "retry-after-ms": "10", "retry-after": "2" })), 10);
  assert.equal(retryAfterMs(new Headers({ "retry-after": "2" })), 2000);
  assert.equal(retryAfterMs(new Headers({ "x-ms-retry-after-ms": "junk", "retry-after": "3" })), 3000);
  assert.equal(retryAfterMs(new Headers()), undefined);
});

Deno.test("InFlightLimiter: at most max callers per host; a freed slot passes on; a stalled host turns callers away at once", async () => {
  const limiter = new InFlightLimiter({ max: 2, stallMs: 150 });
  const a = await limiter.acquire("vault-a:443");
  const b = await limiter.acquire("VAULT-A:443");
  assert.equal(limiter.inFlight("vault-a:443"), 2);
  // Another host is not affected.
  const other = await limiter.acquire("vault-b:443");
  other();
  assert.equal(limiter.inFlight("vault-b:443"), 0);

  // Young slots: a caller waits, and gets the next freed slot.
  const waiting = limiter.acquire("vault-a:443");
  a();
  a(); // a second release is a no-op
  const c = await waiting;
  assert.equal(limiter.inFlight("vault-a:443"), 2);

  // Nobody frees a slot: the caller gives up once the youngest slot is stallMs old...
  let started = Date.now();
  await assert.rejects(
    limiter.acquire("vault-a:443"),
    (e: unknown) =>
      e instanceof InFlightLimitError &&
      /^2 syncs are already waiting on vault-a:443 \(the most --kv-max-in-flight allows\); retrying later$/.test(
        e.message,
      ),
  );
  let waited = Date.now() - started;
  assert.ok(waited >= 100 && waited < 1000, `gave up after ${waited} ms`);
  // ...and from then on, callers are turned away without waiting.
  started = Date.now();
  await assert.rejects(limiter.acquire("vault-a:443"), InFlightLimitError);
  waited = Date.now() - started;
  assert.ok(waited < 50, `turned away after ${waited} ms`);

  const aborter = new AbortController();
  const fresh = new InFlightLimiter({ max: 1, stallMs: 10_000 });
  const held = await fresh.acquire("h");
  const aborted = fresh.acquire("h", aborter.signal);
  aborter.abort(new Error("stop"));
  await assert.rejects(aborted, /stop/);
  held();
  b();
  c();
  assert.equal(limiter.inFlight("vault-a:443"), 0);
  assert.equal(fresh.inFlight("h"), 0);
  assert.throws(() => new InFlightLimiter({ max: 0 }), RangeError);
});
