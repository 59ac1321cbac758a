import assert from "node:assert/strict";
import FakeTimers from "@sinonjs/fake-timers";
import { Registry } from "./metrics.ts";
import {
  type Action,
  awaitChange,
  isTerminal,
  type ReconcileContext,
  type ReconcileOutcome,
  requeue,
  retryAfterOf,
  TerminalError,
  WorkQueue,
  type WorkQueueOptions,
} from "./work_queue.ts";

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

interface Harness {
  clock: FakeTimers.Clock;
  queue: WorkQueue;
  registry: Registry;
  /** Every run: key and fake time (ms since start). */
  runs: { key: string; at: number; ctx: ReconcileContext }[];
  outcomes: ReconcileOutcome[];
  abort: AbortController;
  done: Promise<void>;
  /** Advances fake time, letting promise callbacks run between timers. */
  tick(ms: number): Promise<void>;
  /** Stops the queue, lets in-flight work finish, checks no timer is left, restores real time. */
  stop(): Promise<void>;
}

/** A queue on fake time; `reconcile` defaults to "awaitChange at once". Not started when `start` is false. */
function harness(
  reconcile: (key: string, ctx: ReconcileContext) => Promise<Action> = () => Promise.resolve(awaitChange()),
  options: Partial<WorkQueueOptions> & { start?: boolean } = {},
): Harness {
  const clock = FakeTimers.install({ toFake: ["setTimeout", "clearTimeout", "Date", "performance"] });
  const t0 = performance.now();
  const runs: Harness["runs"] = [];
  const outcomes: ReconcileOutcome[] = [];
  const registry = new Registry();
  const queue = new WorkQueue({
    name: "externalsecret",
    random: () => 0,
    registry,
    onOutcome: (o) => outcomes.push(o),
    ...options,
    reconcile: (key, ctx) => {
      runs.push({ key, at: performance.now() - t0, ctx });
      return reconcile(key, ctx);
    },
  });
  const abort = new AbortController();
  const h: Harness = {
    clock,
    queue,
    registry,
    runs,
    outcomes,
    abort,
    done: Promise.resolve(),
    tick: async (ms) => {
      await clock.tickAsync(ms);
    },
    stop: async () => {
      try {
        let drained = false;
        h.done.then(() => (drained = true));
        abort.abort();
        await clock.tickAsync(0);
        assert.ok(drained, "the queue drains once aborted");
        assert.equal(clock.countTimers(), 0, "no timer left behind");
      } finally {
        clock.uninstall();
      }
    },
  };
  if (options.start !== false) h.done = queue.start(abort.signal);
  return h;
}

/** Runs the test body, then stops the queue; a failing body's error wins over a failing stop. */
async function run(h: Harness, body: () => Promise<void>): Promise<void> {
  let failure: unknown;
  let failed = false;
  try {
    await body();
  } catch (e) {
    failure = e;
    failed = true;
  }
  try {
    await h.stop();
  } catch (e) {
    if (!failed) throw e;
  }
  if (failed) throw failure;
}

function keysOf(h: Harness): string[] {
  return h.runs.map((r) => r.key);
}

function timesOf(h: Harness, key: string): number[] {
  return h.runs.filter((r) => r.key === key).map((r) => Math.round(r.at));
}

Deno.test("WorkQueue runs a key once however many times it was added while pending", async () => {
  const h = harness(undefined, { start: false });
  await run(h, async () => {
    h.queue.add("ns/a");
    h.queue.add("ns/a");
    h.queue.add("ns/a", "low");
    h.queue.add("ns/b");
    assert.equal(h.queue.depth, 2);
    h.done = h.queue.start(h.abort.signal);
    await h.tick(0);
    assert.deepEqual(keysOf(h), ["ns/a", "ns/b"]);
    assert.equal(h.queue.stats().keys, 0, "keys that wait for a change hold no state");
  });
});

Deno.test("WorkQueue: an add while in flight re-runs the key once, right after", async () => {
  const gates: Deferred<Action>[] = [];
  const h = harness(() => {
    const d = deferred<Action>();
    gates.push(d);
    return d.promise;
  });
  await run(h, async () => {
    h.queue.add("k");
    await h.tick(0);
    assert.equal(h.runs.length, 1);
    for (let i = 0; i < 5; i++) h.queue.add("k");
    assert.equal(h.queue.nextRunIn("k"), 0);
    await h.tick(0);
    assert.equal(h.runs.length, 1, "never two runs of one key at once");
    gates[0]!.resolve(awaitChange());
    await h.tick(0);
    assert.equal(h.runs.length, 2);
    gates[1]!.resolve(awaitChange());
    await h.tick(0);
    assert.equal(h.runs.length, 2, "five adds, one re-run");
  });
});

Deno.test("WorkQueue never runs more than `concurrency` reconciles at once", async () => {
  let running = 0;
  let peak = 0;
  const h = harness(async () => {
    running++;
    peak = Math.max(peak, running);
    await new Promise((r) => setTimeout(r, 100));
    running--;
    return awaitChange();
  }, { concurrency: 3 });
  await run(h, async () => {
    for (let i = 0; i < 20; i++) h.queue.add(`k${i}`);
    await h.tick(0);
    assert.equal(h.queue.stats().inFlight, 3);
    await h.tick(1000);
    assert.equal(h.runs.length, 20);
    assert.equal(peak, 3);
    // 20 items of 100 ms, 3 at a time → 7 rounds.
    assert.equal(Math.max(...h.runs.map((r) => Math.round(r.at))), 600);
  });
});

Deno.test("WorkQueue serves new/changed objects (high) before refreshes (low)", async () => {
  const gate = deferred<Action>();
  const h = harness((key) => key === "blocker" ? gate.promise : Promise.resolve(awaitChange()));
  await run(h, async () => {
    h.queue.add("blocker");
    await h.tick(0);
    for (let i = 0; i < 3; i++) h.queue.add(`refresh-${i}`, "low");
    h.queue.add("new-es");
    h.queue.add("refresh-2", "high"); // a watch event for a key waiting as a refresh promotes it
    assert.deepEqual(h.queue.stats(), { readyHigh: 2, readyLow: 2, delayed: 0, inFlight: 1, failing: 0, keys: 5 });
    gate.resolve(awaitChange());
    await h.tick(0);
    assert.deepEqual(keysOf(h), ["blocker", "new-es", "refresh-2", "refresh-0", "refresh-1"]);
    assert.deepEqual(h.runs.map((r) => r.ctx.priority), ["high", "high", "high", "low", "low"]);
  });
});

Deno.test("WorkQueue lets one low item through after `highBurst` high ones so refreshes never starve", async () => {
  const h = harness(undefined, { start: false, highBurst: 2 });
  await run(h, async () => {
    h.queue.add("low-1", "low");
    h.queue.add("low-2", "low");
    for (let i = 1; i <= 5; i++) h.queue.add(`high-${i}`);
    h.done = h.queue.start(h.abort.signal);
    await h.tick(0);
    assert.deepEqual(keysOf(h), ["high-1", "high-2", "low-1", "high-3", "high-4", "low-2", "high-5"]);
  });
});

Deno.test("WorkQueue.addAfter() keeps the earliest due time and uses one timer for all keys", async () => {
  const h = harness();
  await run(h, async () => {
    h.queue.addAfter("a", 5000);
    h.queue.addAfter("a", 2000);
    h.queue.addAfter("b", 1000);
    h.queue.addAfter("b", 3000);
    h.queue.addAfter("c", 4000);
    assert.equal(h.clock.countTimers(), 1);
    assert.equal(h.queue.nextRunIn("a"), 2000);
    await h.tick(10_000);
    assert.deepEqual(h.runs.map((r) => [r.key, Math.round(r.at)]), [["b", 1000], ["a", 2000], ["c", 4000]]);
    assert.equal(h.runs[0]!.ctx.priority, "low");
  });
});

Deno.test("WorkQueue.addAfter() on a ready key is ignored, and a delay <= 0 adds at once", async () => {
  const h = harness(undefined, { start: false });
  await run(h, async () => {
    h.queue.add("a");
    h.queue.addAfter("a", 5000);
    h.queue.addAfter("b", 0, "high");
    h.queue.addAfter("c", -5);
    assert.deepEqual(h.queue.stats(), { readyHigh: 2, readyLow: 1, delayed: 0, inFlight: 0, failing: 0, keys: 3 });
    h.done = h.queue.start(h.abort.signal);
    await h.tick(10_000);
    assert.deepEqual(keysOf(h), ["a", "b", "c"]);
  });
});

Deno.test("WorkQueue: 50,000 delayed keys cost one timer and run in due order", async () => {
  const h = harness(undefined, { concurrency: 64 });
  await run(h, async () => {
    const n = 50_000;
    const dueOf = (i: number): number => 1 + ((i * 7919) % 3_600_000);
    for (let i = 0; i < n; i++) h.queue.addAfter(`ns/es-${i}`, dueOf(i));
    assert.equal(h.clock.countTimers(), 1);
    assert.equal(h.queue.stats().delayed, n);
    await h.tick(3_600_001);
    assert.equal(h.runs.length, n);
    for (let i = 1; i < h.runs.length; i++) assert.ok(h.runs[i - 1]!.at <= h.runs[i]!.at, "in due order");
    assert.equal(h.queue.stats().keys, 0);
  });
});

Deno.test("WorkQueue: requeue(ms) schedules the next run, awaitChange() schedules none", async () => {
  let n = 0;
  const h = harness(() => Promise.resolve(++n < 3 ? requeue(60_000) : awaitChange()));
  await run(h, async () => {
    h.queue.add("k");
    await h.tick(600_000);
    assert.deepEqual(timesOf(h, "k"), [0, 60_000, 120_000]);
    assert.deepEqual(h.outcomes.map((o) => [o.result, o.nextRunInMs]), [
      ["requeue_after", 60_000],
      ["requeue_after", 60_000],
      ["success", null],
    ]);
    assert.equal(h.runs[1]!.ctx.priority, "low", "a requeue is a refresh");
  });
});

Deno.test("WorkQueue: the run's Action replaces a schedule made before it started", async () => {
  const h = harness(() => Promise.resolve(requeue(3_600_000)));
  await run(h, async () => {
    h.queue.addAfter("k", 600_000);
    h.queue.add("k"); // a watch event before the 10 min timer: runs now and consumes that schedule
    await h.tick(0);
    assert.equal(h.queue.nextRunIn("k"), 3_600_000);
    await h.tick(3_600_000);
    assert.deepEqual(timesOf(h, "k"), [0, 3_600_000]);
  });
});

Deno.test("WorkQueue: a key that comes due while in flight runs again right after", async () => {
  const h = harness(async () => {
    await new Promise((r) => setTimeout(r, 5000));
    return awaitChange();
  });
  await run(h, async () => {
    h.queue.add("k");
    await h.tick(0);
    h.queue.addAfter("k", 1000);
    await h.tick(1000);
    assert.equal(h.runs.length, 1);
    await h.tick(4000);
    assert.deepEqual(timesOf(h, "k"), [0, 5000]);
    await h.tick(5000);
    assert.equal(h.runs.length, 2, "one re-run, then nothing");
  });
});

Deno.test("WorkQueue retries failures with exponential backoff capped at maxBackoffMs", async () => {
  const h = harness(() => Promise.reject(new Error("HTTP 503")), { maxBackoffMs: 4000 });
  await run(h, async () => {
    h.queue.add("k");
    await h.tick(16_000);
    // Delays 1 s, 2 s, 4 s, 4 s (cap), 4 s.
    assert.deepEqual(timesOf(h, "k"), [0, 1000, 3000, 7000, 11_000, 15_000]);
    assert.deepEqual(h.runs.map((r) => r.ctx.attempt), [0, 1, 2, 3, 4, 5]);
    assert.equal(h.queue.stats().failing, 1);
  });
});

Deno.test("WorkQueue defaults to ESO's 1 s → 7 min backoff, jittered downwards", async () => {
  const h = harness(() => Promise.reject(new Error("boom")), { random: () => 0.5 });
  await run(h, async () => {
    h.queue.add("k");
    await h.tick(0);
    // 1 s jittered by up to 10 %: 0.5 → 950 ms.
    assert.equal(h.queue.nextRunIn("k"), 950);
    for (let i = 0; i < 12; i++) await h.tick(h.queue.nextRunIn("k")!);
    assert.equal(h.runs.length, 13);
    // After 12 failures the base is far above the cap: 420 s jittered to 399 s.
    assert.equal(h.queue.nextRunIn("k"), 399_000);
  });
});

Deno.test("WorkQueue resets a key's backoff after a success", async () => {
  const script = ["fail", "fail", "ok", "fail"];
  const h = harness((key) => {
    const step = script[h.runs.filter((r) => r.key === key).length - 1];
    return step === "fail" ? Promise.reject(new Error("x")) : Promise.resolve(requeue(10_000));
  });
  await run(h, async () => {
    h.queue.add("k");
    await h.tick(20_000);
    // fail@0 → 1 s; fail@1000 → 2 s; ok@3000 → 10 s; fail@13000 → 1 s again.
    assert.deepEqual(timesOf(h, "k").slice(0, 5), [0, 1000, 3000, 13_000, 14_000]);
  });
});

Deno.test("WorkQueue: a change runs a backing-off key at once, and its failure count is kept", async () => {
  const h = harness(() => Promise.reject(new Error("still failing")));
  await run(h, async () => {
    h.queue.add("k");
    await h.tick(1000); // fails at 0 and 1000 → next due at 3000
    assert.equal(h.queue.nextRunIn("k"), 2000);
    await h.tick(500);
    h.queue.add("k"); // the user fixed something
    await h.tick(0);
    assert.deepEqual(timesOf(h, "k"), [0, 1000, 1500]);
    assert.equal(h.runs[2]!.ctx.attempt, 2);
    assert.equal(h.queue.nextRunIn("k"), 4000, "third failure: 4 s");
  });
});

Deno.test("WorkQueue: a high add while in flight upgrades the re-run's priority", async () => {
  const gate = deferred<Action>();
  const h = harness((key) => key === "k" && h.runs.length === 1 ? gate.promise : Promise.resolve(awaitChange()));
  await run(h, async () => {
    h.queue.add("k");
    await h.tick(0);
    h.queue.add("k", "low");
    h.queue.add("k", "high");
    h.queue.add("other", "low");
    gate.resolve(awaitChange());
    await h.tick(0);
    assert.deepEqual(h.runs.map((r) => `${r.key}:${r.ctx.priority}`), ["k:high", "k:high", "other:low"]);
  });
});

Deno.test("WorkQueue honours an error's retryAfterMs when it is longer than the backoff", async () => {
  class ThrottledError extends Error {
    constructor(readonly retryAfterMs: number) {
      super("HTTP 429");
    }
  }
  const delays = [30_000, 500];
  const h = harness(() => Promise.reject(new ThrottledError(delays.shift() ?? 0)));
  await run(h, async () => {
    h.queue.add("k");
    await h.tick(40_000);
    // 429 with Retry-After 30 s → 30 s; then 0.5 s < backoff 2 s → 2 s.
    assert.deepEqual(timesOf(h, "k").slice(0, 3), [0, 30_000, 32_000]);
  });
});

Deno.test("retryAfterOf() reads retryAfterMs or retryAfterSeconds through the cause chain", () => {
  assert.equal(retryAfterOf(Object.assign(new Error("x"), { retryAfterMs: 1500 })), 1500);
  assert.equal(retryAfterOf(Object.assign(new Error("x"), { retryAfterSeconds: 3 })), 3000);
  const wrapped = new Error("reconcile failed", { cause: Object.assign(new Error("429"), { retryAfterSeconds: 2 }) });
  assert.equal(retryAfterOf(wrapped), 2000);
  assert.equal(retryAfterOf(new Error("plain")), undefined);
  assert.equal(retryAfterOf("not an error"), undefined);
});

Deno.test("WorkQueue spreads an error storm with the overall retry bucket", async () => {
  const h = harness(() => Promise.reject(new Error("apiserver down")), {
    retryRatePerSecond: 1,
    retryBurst: 2,
    concurrency: 10,
  });
  await run(h, async () => {
    for (let i = 0; i < 5; i++) h.queue.add(`k${i}`);
    await h.tick(0);
    // Backoff says 1 s for all; the bucket (burst 2, 1/s) pushes the 4th and 5th to 2 s and 3 s.
    assert.deepEqual(h.outcomes.map((o) => o.nextRunInMs), [1000, 1000, 1000, 2000, 3000]);
  });
});

Deno.test("WorkQueue does not retry a TerminalError, even wrapped, until the object changes", async () => {
  const h = harness((key) =>
    Promise.reject(
      key === "wrapped"
        ? new Error("reconcile failed", {
          cause: new TerminalError("invalid template", { reason: "SecretSyncedError" }),
        })
        : new TerminalError("spec.target.name is empty"),
    )
  );
  await run(h, async () => {
    h.queue.add("bad");
    h.queue.add("wrapped");
    await h.tick(3_600_000);
    assert.deepEqual(keysOf(h), ["bad", "wrapped"]);
    assert.ok(h.outcomes.every((o) => o.terminal && o.result === "error" && o.nextRunInMs === null));
    assert.equal(h.queue.stats().keys, 0);
    h.queue.add("bad");
    await h.tick(0);
    assert.deepEqual(timesOf(h, "bad"), [0, 3_600_000], "a change runs it again");
    assert.ok(isTerminal(new TerminalError("x")) && !isTerminal(new Error("x")));
  });
});

Deno.test("WorkQueue: requeue(0) goes through the retry bucket, so a reconcile cannot spin", async () => {
  const h = harness(() => Promise.resolve(requeue(0)), { retryRatePerSecond: 10, retryBurst: 3 });
  await run(h, async () => {
    h.queue.add("spinner");
    await h.tick(1000);
    // 1 run + 3 immediate (burst) + 10 in the second at 10/s (the last exactly at 1000 ms).
    assert.equal(h.runs.length, 14);
    assert.equal(h.outcomes[0]!.result, "requeue");
    assert.equal(h.runs[1]!.ctx.priority, "high", "requeue(0) keeps the run's priority");
  });
});

Deno.test("WorkQueue treats a synchronous throw and an invalid result as failures", async () => {
  const h = harness((key) => {
    if (key === "sync") throw new Error("sync boom");
    return Promise.resolve({ requeueAfterMs: -5 } as Action);
  });
  await run(h, async () => {
    h.queue.add("sync");
    h.queue.add("invalid");
    await h.tick(0);
    assert.equal(h.outcomes[0]!.result, "error");
    assert.match(String(h.outcomes[1]!.error), /expected an Action/);
    assert.equal(h.queue.nextRunIn("sync"), 1000);
    assert.equal(h.queue.nextRunIn("invalid"), 1000);
  });
});

Deno.test("WorkQueue.start() resolves only after in-flight work drains; nothing starts after the abort", async () => {
  const gate = deferred<Action>();
  let signalSeen: AbortSignal | undefined;
  const h = harness((key, ctx) => {
    signalSeen = ctx.signal;
    return key === "slow" ? gate.promise : Promise.resolve(awaitChange());
  });
  await run(h, async () => {
    h.queue.add("slow");
    await h.tick(0);
    h.queue.add("waiting");
    h.queue.addAfter("later", 1000);
    let resolved = false;
    h.done.then(() => (resolved = true));
    h.abort.abort();
    await h.tick(0);
    assert.equal(signalSeen?.aborted, true, "the reconcile sees the abort");
    assert.equal(resolved, false, "still draining");
    h.queue.add("after-abort");
    gate.resolve(requeue(1000));
    await h.tick(5000);
    assert.equal(resolved, true);
    assert.deepEqual(keysOf(h), ["slow"], "nothing new started after the abort");
    assert.equal(h.clock.countTimers(), 0);
  });
});

Deno.test("WorkQueue.start() twice rejects, and an already aborted signal resolves at once", async () => {
  const h = harness();
  await run(h, async () => {
    await assert.rejects(h.queue.start(new AbortController().signal), /already started/);
    const q = new WorkQueue({ name: "x", reconcile: () => Promise.resolve(awaitChange()) });
    q.add("k");
    await q.start(AbortSignal.abort());
  });
});

Deno.test("WorkQueue exposes client-go workqueue and controller-runtime metrics", async () => {
  const gate = deferred<Action>();
  let n = 0;
  const h = harness((key) => {
    n++;
    if (key === "slow") return gate.promise;
    if (key === "fails") return Promise.reject(new Error("x"));
    return Promise.resolve(n % 2 ? requeue(60_000) : awaitChange());
  }, { concurrency: 2 });
  await run(h, async () => {
    h.queue.add("slow");
    await h.tick(0);
    h.queue.add("a");
    h.queue.add("b");
    h.queue.add("fails");
    h.queue.add("r1", "low");
    await h.tick(0);
    await h.tick(5000);
    const text = h.registry.expose();
    const value = (line: string): number => {
      const m = text.split("\n").find((l) => l.startsWith(`${line} `));
      assert.ok(m, `${line} in\n${text}`);
      return Number(m.slice(line.length + 1));
    };
    const q = 'name="externalsecret",controller="externalsecret"';
    // 5 adds, plus "fails" coming due again at 1 s and 3 s (its third retry is due at 7 s).
    assert.equal(value(`workqueue_adds_total{${q}}`), 7);
    assert.equal(value(`workqueue_retries_total{${q}}`), 3);
    assert.equal(value(`workqueue_depth{${q},priority=""}`), 0);
    assert.equal(value(`workqueue_longest_running_processor_seconds{${q}}`), 5);
    assert.equal(value(`workqueue_unfinished_work_seconds{${q}}`), 5);
    assert.equal(value(`workqueue_work_duration_seconds_count{${q}}`), 6);
    gate.resolve(awaitChange());
    await h.tick(0);
    assert.ok(h.registry.expose().includes(`workqueue_work_duration_seconds_count{${q}} 7`));
  });
});

Deno.test("Two queues share metric families in one registry, told apart by label", () => {
  const registry = new Registry();
  const reconcile = (): Promise<Action> => Promise.resolve(awaitChange());
  new WorkQueue({ name: "externalsecret", reconcile, registry }).add("a");
  new WorkQueue({ name: "secretstore", reconcile, registry }).add("b");
  const text = registry.expose();
  assert.match(text, /^workqueue_adds_total\{name="externalsecret",controller="externalsecret"\} 1$/m);
  assert.match(text, /^workqueue_adds_total\{name="secretstore",controller="secretstore"\} 1$/m);
  assert.match(text, /^workqueue_depth\{name="secretstore",controller="secretstore",priority=""\} 1$/m);
});

Deno.test("WorkQueue rejects invalid options and requeue() rejects invalid delays", () => {
  const reconcile = (): Promise<Action> => Promise.resolve(awaitChange());
  assert.throws(() => new WorkQueue({ name: "x", reconcile, concurrency: 0 }), RangeError);
  assert.throws(() => new WorkQueue({ name: "x", reconcile, baseBackoffMs: 10, maxBackoffMs: 5 }), RangeError);
  assert.throws(() => new WorkQueue({ name: "x", reconcile, highBurst: 0 }), RangeError);
  assert.throws(() => requeue(-1), RangeError);
  assert.throws(() => requeue(Infinity), RangeError);
  assert.deepEqual(requeue(5), { requeueAfterMs: 5 });
  assert.deepEqual(awaitChange(), { requeueAfterMs: null });
});
