import assert from "node:assert/strict";
import FakeTimers from "@sinonjs/fake-timers";
import { Backoff, sleep } from "./backoff.ts";

Deno.test("Backoff.next() doubles from initialMs up to maxMs without jitter at random()=0", () => {
  const b = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 0 });
  assert.deepEqual([1, 2, 3, 4, 5, 6].map(() => b.next()), [100, 200, 400, 800, 1000, 1000]);
  assert.equal(b.attempt, 6);
  b.reset();
  assert.equal(b.next(), 100);
});

Deno.test("Backoff.next() jitters downwards by at most the jitter fraction", () => {
  const b = new Backoff({ initialMs: 1000, maxMs: 8000, jitter: 0.5, random: () => 0.999999 });
  assert.deepEqual([b.next(), b.next(), b.next()], [500, 1000, 2000]);
  let r = 0;
  const seq = [0.1, 0.9];
  const c = new Backoff({ initialMs: 1000, jitter: 0.2, random: () => seq[r++ % 2]! });
  assert.equal(c.next(), 980);
  assert.equal(c.next(), 1640);
});

Deno.test("Backoff defaults to 800 ms initial and a 30 s cap", () => {
  const b = new Backoff({ random: () => 0 });
  const ds = Array.from({ length: 10 }, () => b.next());
  assert.equal(ds[0], 800);
  assert.equal(ds.at(-1), 30_000);
});

Deno.test("Backoff rejects nonsensical options", () => {
  assert.throws(() => new Backoff({ initialMs: 0 }), RangeError);
  assert.throws(() => new Backoff({ initialMs: 10, maxMs: 5 }), RangeError);
  assert.throws(() => new Backoff({ factor: 0.5 }), RangeError);
});

Deno.test("sleep() resolves after the delay, or at once when aborted", async () => {
  const clock = FakeTimers.install({ toFake: ["setTimeout", "clearTimeout", "Date"] });
  try {
    let done = false;
    const p = sleep(1000).then(() => done = true);
    await clock.tickAsync(999);
    assert.equal(done, false);
    await clock.tickAsync(1);
    await p;
    assert.equal(done, true);

    const ac = new AbortController();
    let early = false;
    const q = sleep(60_000, ac.signal).then(() => early = true);
    await clock.tickAsync(10);
    ac.abort();
    await q;
    assert.equal(early, true);
    assert.equal(clock.countTimers(), 0);
  } finally {
    clock.uninstall();
  }
});
