/**
 * The controller's work queue: keyed, deduplicated, prioritised, with delayed adds and per-key backoff owned by the
 * queue (not the reconciler).
 *
 * Semantics (client-go's workqueue and kube-rs' scheduler/runner, with ESO's rate limits):
 * - **Dedupe.** A key is at most once in flight and at most once pending. An add while it is in flight marks it
 *   dirty: it runs again right after, once, however many adds came in.
 * - **Two priorities.** `high` (watch events: new or changed objects) is served before `low` (periodic refreshes,
 *   requeues), so a new ExternalSecret does not wait behind thousands of refreshes (ESO#2878, ESO#5045). To keep
 *   `low` from starving under a flood of events, after `highBurst` high items in a row one waiting low item is
 *   served.
 * - **Delayed adds.** `addAfter(key, ms)` schedules a run; called twice, the earliest due time wins. A key that is
 *   already pending is not scheduled again (it runs sooner anyway).
 * - **The reconcile decides what comes next.** A run consumes the key's schedule; afterwards the key is scheduled
 *   only by what the run returned ({@linkcode requeue} / {@linkcode awaitChange}), by a failure's backoff, or by
 *   adds that came in meanwhile. So a reconciler that computes "next refresh in 40 min" from status is not
 *   second-guessed by an older timer.
 * - **Failures.** A thrown error retries after `max(per-key backoff, error's retryAfterMs, overall bucket delay)`:
 *   per-key exponential from `baseBackoffMs` to `maxBackoffMs` (1 s → 7 min, as ESO) jittered downwards, reset on
 *   success; the overall token bucket (10/s, burst 100, as ESO) spreads an error storm so it cannot melt the API
 *   server. `requeue(0)` also goes through that bucket, so a reconcile cannot spin. A {@linkcode TerminalError}
 *   (anywhere in the `cause` chain) is not retried: the object must change first. An add (a change) runs a key at
 *   once even while it backs off; its failure count is kept, so a further failure waits longer.
 * - **Initial list.** Add the objects of an informer's initial list (and of any resync) as `low`, watch events after
 *   that as `high`: after a restart, a newly created ExternalSecret then overtakes the thousands being re-checked.
 * - **Shutdown.** `start(signal)` resolves once the signal aborted and every reconcile in flight has finished;
 *   reconciles get the signal. Nothing new starts after the abort.
 *
 * Cost: one `Map` entry per key with something pending; adds, dispatch and completion are O(1) (intrusive lists) or
 * O(log n) (one binary heap of delayed keys). One timer for the earliest due key, whatever the number of keys.
 *
 * @module
 */

import { jitterDown } from "./jitter.ts";
import { type BoundCounter, type BoundHistogram, exponentialBuckets, Registry } from "./metrics.ts";
import { TokenBucket } from "./rate_limiter.ts";

/** What a successful reconcile asks for next: run again after `requeueAfterMs`, or only when something changes. */
export interface Action {
  /** Milliseconds until the next run; `null` = wait for a change (a watch event). */
  readonly requeueAfterMs: number | null;
}

/** Run again after `ms` (≥ 0). The normal result: it guarantees eventual consistency even if a watch event is lost. */
export function requeue(ms: number): Action {
  if (!(ms >= 0) || !Number.isFinite(ms)) {
    throw new RangeError(`Cannot requeue: delay must be a finite number of ms >= 0: current value is ${ms}`);
  }
  return { requeueAfterMs: ms };
}

/** Run again only when the object (or something mapped to it) changes. */
export function awaitChange(): Action {
  return { requeueAfterMs: null };
}

/**
 * The object is wrong in a way retrying cannot fix (bad spec): the queue does not retry until it changes. The
 * reconciler should have written a condition saying why before throwing this.
 */
export class TerminalError extends Error {
  override name = "TerminalError";
  /** Condition reason to report, e.g. `SecretSyncedError`. */
  readonly reason: string | undefined;

  constructor(message: string, options?: ErrorOptions & { reason?: string }) {
    super(message, options);
    this.reason = options?.reason;
  }
}

/** Whether `err` or any error in its `cause` chain is a {@linkcode TerminalError}. */
export function isTerminal(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth++) {
    if (e instanceof TerminalError) return true;
  }
  return false;
}

/**
 * How long the error asks to wait, in ms: the first `retryAfterMs` (ms) or `retryAfterSeconds` (s) found on the
 * error or its `cause` chain (the provider's and the kube client's 429 hints).
 */
export function retryAfterOf(err: unknown): number | undefined {
  for (let e = err, depth = 0; typeof e === "object" && e !== null && depth < 10; depth++) {
    const hint = e as { retryAfterMs?: unknown; retryAfterSeconds?: unknown; cause?: unknown };
    if (typeof hint.retryAfterMs === "number" && hint.retryAfterMs >= 0) return hint.retryAfterMs;
    if (typeof hint.retryAfterSeconds === "number" && hint.retryAfterSeconds >= 0) {
      return hint.retryAfterSeconds * 1000;
    }
    e = hint.cause;
  }
  return undefined;
}

/** `high`: a watch event (new or changed object). `low`: periodic refresh, requeue, retry of a low run. */
export type Priority = "high" | "low";

/** What a reconcile gets besides its key. */
export interface ReconcileContext {
  /** Aborted when the queue shuts down; pass it to every request. */
  signal: AbortSignal;
  /** Failures of this key since its last success (0 on a first or healthy run). */
  attempt: number;
  /** Why it runs: `high` for a change, `low` for a refresh or retry. */
  priority: Priority;
}

/** The reconcile function: resolve with an {@linkcode Action}, throw to retry with backoff. */
export type ReconcileFn = (key: string, ctx: ReconcileContext) => Promise<Action>;

/** How a run ended (`controller_runtime_reconcile_total`'s `result` label, recorded by `controller.ts`). */
export type ReconcileResult = "success" | "error" | "requeue" | "requeue_after";

/** What happened to one run (for logs). */
export interface ReconcileOutcome {
  key: string;
  result: ReconcileResult;
  /** The thrown error, when the result is `error`. */
  error?: unknown;
  /** The error was terminal: no retry until the object changes. */
  terminal: boolean;
  /** Failures in a row, this one included (0 after a success). */
  failures: number;
  durationMs: number;
  /** When the key runs next because of this outcome (ms from now), or null when it waits for a change. */
  nextRunInMs: number | null;
}

/** Options of {@linkcode WorkQueue}. */
export interface WorkQueueOptions {
  /** Controller name: the `name`/`controller` label of the metrics, e.g. `externalsecret`. */
  name: string;
  reconcile: ReconcileFn;
  /** Reconciles in flight at most (ESO's `--concurrent`). @default {1} */
  concurrency?: number;
  /** First retry delay after a failure. @default {1000} */
  baseBackoffMs?: number;
  /** Longest retry delay (ESO: 7 min). @default {420000} */
  maxBackoffMs?: number;
  /** Retry delays are drawn from `[d × (1 − backoffJitter), d]`. @default {0.1} */
  backoffJitter?: number;
  /** Overall retry rate across keys (ESO: 10/s). @default {10} */
  retryRatePerSecond?: number;
  /** Overall retry burst (ESO: 100). @default {100} */
  retryBurst?: number;
  /** High-priority items served in a row while low ones wait, before one low is served. @default {10} */
  highBurst?: number;
  /** Where to register the workqueue metrics. @default {a private registry} */
  registry?: Registry;
  /** Called after every run (never throws into the queue). */
  onOutcome?: (outcome: ReconcileOutcome) => void;
  /** Source of randomness in [0, 1) for backoff jitter. @default {Math.random} */
  random?: () => number;
}

/** A snapshot of the queue's contents. */
export interface WorkQueueStats {
  /** Ready to run, by priority. */
  readyHigh: number;
  readyLow: number;
  /** Scheduled for later (refreshes and retries). */
  delayed: number;
  inFlight: number;
  /** Keys with at least one failure since their last success. */
  failing: number;
  /** Keys the queue holds state for. */
  keys: number;
}

const HIGH = 0;
const LOW = 1;
const NONE = -1;
type ListId = typeof HIGH | typeof LOW | typeof NONE;

interface Entry {
  readonly key: string;
  list: ListId;
  prev: Entry | undefined;
  next: Entry | undefined;
  readyAt: number;
  heapIndex: number;
  dueAt: number;
  duePriority: Priority;
  seq: number;
  inFlight: boolean;
  startedAt: number;
  runPriority: Priority;
  dirty: boolean;
  dirtyPriority: Priority;
  failures: number;
}

/** FIFO of entries, linked through the entries themselves: O(1) push, shift and removal from the middle. */
class ReadyList {
  head: Entry | undefined;
  tail: Entry | undefined;
  size = 0;
  readonly id: typeof HIGH | typeof LOW;

  constructor(id: typeof HIGH | typeof LOW) {
    this.id = id;
  }

  push(e: Entry): void {
    e.list = this.id;
    e.prev = this.tail;
    e.next = undefined;
    if (this.tail) this.tail.next = e;
    else this.head = e;
    this.tail = e;
    this.size++;
  }

  remove(e: Entry): void {
    if (e.prev) e.prev.next = e.next;
    else this.head = e.next;
    if (e.next) e.next.prev = e.prev;
    else this.tail = e.prev;
    e.prev = e.next = undefined;
    e.list = NONE;
    this.size--;
  }

  shift(): Entry | undefined {
    const e = this.head;
    if (e) this.remove(e);
    return e;
  }
}

/** Binary min-heap of entries by (dueAt, seq); each entry knows its index, so removal is O(log n). */
class DelayHeap {
  readonly items: Entry[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): Entry | undefined {
    return this.items[0];
  }

  push(e: Entry): void {
    e.heapIndex = this.items.length;
    this.items.push(e);
    this.#up(e.heapIndex);
  }

  /** Call after lowering `e.dueAt`. */
  decreased(e: Entry): void {
    this.#up(e.heapIndex);
  }

  remove(e: Entry): void {
    const i = e.heapIndex;
    if (i < 0) return;
    const last = this.items.pop()!;
    e.heapIndex = -1;
    if (last === e) return;
    this.items[i] = last;
    last.heapIndex = i;
    this.#down(i);
    this.#up(last.heapIndex);
  }

  #less(a: Entry, b: Entry): boolean {
    return a.dueAt < b.dueAt || (a.dueAt === b.dueAt && a.seq < b.seq);
  }

  #swap(i: number, j: number): void {
    const a = this.items[i]!;
    const b = this.items[j]!;
    this.items[i] = b;
    this.items[j] = a;
    a.heapIndex = j;
    b.heapIndex = i;
  }

  #up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(this.items[i]!, this.items[parent]!)) break;
      this.#swap(i, parent);
      i = parent;
    }
  }

  #down(i: number): void {
    const n = this.items.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.#less(this.items[l]!, this.items[m]!)) m = l;
      if (r < n && this.#less(this.items[r]!, this.items[m]!)) m = r;
      if (m === i) return;
      this.#swap(i, m);
      i = m;
    }
  }
}

interface QueueMetrics {
  adds: BoundCounter;
  retries: BoundCounter;
  queueDuration: BoundHistogram;
  workDuration: BoundHistogram;
}

/** setTimeout's largest delay (~24.8 days); longer schedules re-arm when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** client-go's workqueue duration buckets: 10 ns … 1000 s. */
const WORKQUEUE_BUCKETS = exponentialBuckets(10e-9, 10, 12);

/**
 * A keyed work queue with bounded concurrency. Construct it, feed it with {@linkcode WorkQueue.add} /
 * {@linkcode WorkQueue.addAfter} (before or after start), and run it with {@linkcode WorkQueue.start}.
 */
export class WorkQueue {
  readonly #name: string;
  readonly #reconcile: ReconcileFn;
  readonly #concurrency: number;
  readonly #baseBackoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #backoffJitter: number;
  readonly #highBurst: number;
  readonly #random: () => number;
  readonly #onOutcome: ((outcome: ReconcileOutcome) => void) | undefined;
  readonly #retryBucket: TokenBucket;

  readonly #entries = new Map<string, Entry>();
  readonly #high = new ReadyList(HIGH);
  readonly #low = new ReadyList(LOW);
  readonly #heap = new DelayHeap();
  readonly #running = new Set<Entry>();
  #seq = 0;
  #failing = 0;
  #highStreak = 0;

  #started = false;
  #stopping = false;
  #signal: AbortSignal | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerDueAt = Infinity;
  #pumpScheduled = false;
  #drained: (() => void) | undefined;

  readonly #m: QueueMetrics;

  constructor(options: WorkQueueOptions) {
    this.#name = options.name;
    this.#reconcile = options.reconcile;
    this.#concurrency = options.concurrency ?? 1;
    this.#baseBackoffMs = options.baseBackoffMs ?? 1000;
    this.#maxBackoffMs = options.maxBackoffMs ?? 420_000;
    this.#backoffJitter = options.backoffJitter ?? 0.1;
    this.#highBurst = options.highBurst ?? 10;
    this.#random = options.random ?? Math.random;
    this.#onOutcome = options.onOutcome;
    if (!Number.isInteger(this.#concurrency) || this.#concurrency < 1) {
      throw new RangeError(
        `Cannot create work queue "${this.#name}": concurrency must be an integer >= 1: current value is ${this.#concurrency}`,
      );
    }
    if (!(this.#baseBackoffMs > 0) || !(this.#maxBackoffMs >= this.#baseBackoffMs)) {
      throw new RangeError(
        `Cannot create work queue "${this.#name}": need 0 < baseBackoffMs <= maxBackoffMs: current values are ${this.#baseBackoffMs}, ${this.#maxBackoffMs}`,
      );
    }
    if (!Number.isInteger(this.#highBurst) || this.#highBurst < 1) {
      throw new RangeError(
        `Cannot create work queue "${this.#name}": highBurst must be an integer >= 1: current value is ${this.#highBurst}`,
      );
    }
    this.#retryBucket = new TokenBucket(options.retryRatePerSecond ?? 10, options.retryBurst ?? 100, now());
    this.#m = this.#registerMetrics(options.registry ?? new Registry());
  }

  #registerMetrics(r: Registry): QueueMetrics {
    const name = this.#name;
    const q = { name, controller: name };
    const qLabels = ["name", "controller"];
    const depth = r.gauge({
      name: "workqueue_depth",
      help: "Current depth of workqueue by workqueue and priority",
      labelNames: ["name", "controller", "priority"],
    });
    const unfinished = r.gauge({
      name: "workqueue_unfinished_work_seconds",
      help: "How many seconds of work has been done that is in progress and hasn't been observed by work_duration. " +
        "Large values indicate stuck threads. One can deduce the number of stuck threads by observing the rate at " +
        "which this increases.",
      labelNames: qLabels,
    });
    const longest = r.gauge({
      name: "workqueue_longest_running_processor_seconds",
      help: "How many seconds has the longest running processor for workqueue been running.",
      labelNames: qLabels,
    });
    const m: QueueMetrics = {
      adds: r.counter({
        name: "workqueue_adds_total",
        help: "Total number of adds handled by workqueue",
        labelNames: qLabels,
      })
        .labels(q),
      retries: r.counter({
        name: "workqueue_retries_total",
        help: "Total number of retries handled by workqueue",
        labelNames: qLabels,
      }).labels(q),
      queueDuration: r.histogram({
        name: "workqueue_queue_duration_seconds",
        help: "How long in seconds an item stays in workqueue before being requested",
        labelNames: qLabels,
        buckets: WORKQUEUE_BUCKETS,
      }).labels(q),
      workDuration: r.histogram({
        name: "workqueue_work_duration_seconds",
        help: "How long in seconds processing an item from workqueue takes.",
        labelNames: qLabels,
        buckets: WORKQUEUE_BUCKETS,
      }).labels(q),
    };
    // controller-runtime without its priority queue (ESO turns it off) exposes priority="", i.e. no such label.
    const depthAll = depth.labels({ ...q, priority: "" });
    const unfinishedQ = unfinished.labels(q);
    const longestQ = longest.labels(q);
    r.onCollect(() => {
      depthAll.set(this.#high.size + this.#low.size);
      const t = now();
      let sum = 0;
      let max = 0;
      for (const e of this.#running) {
        const s = (t - e.startedAt) / 1000;
        sum += s;
        if (s > max) max = s;
      }
      unfinishedQ.set(sum);
      longestQ.set(max);
    });
    return m;
  }

  /** Keys ready to run (the `workqueue_depth` figure). */
  get depth(): number {
    return this.#high.size + this.#low.size;
  }

  /** How long the longest reconcile in flight has been running, in ms (0 when none is). */
  longestRunningMs(): number {
    const t = now();
    let max = 0;
    for (const e of this.#running) max = Math.max(max, t - e.startedAt);
    return max;
  }

  /** Counts of what the queue holds. */
  stats(): WorkQueueStats {
    return {
      readyHigh: this.#high.size,
      readyLow: this.#low.size,
      delayed: this.#heap.size,
      inFlight: this.#running.size,
      failing: this.#failing,
      keys: this.#entries.size,
    };
  }

  /**
   * When `key` runs next: 0 when it is ready (or in flight and dirty), ms until its scheduled run, or undefined
   * when nothing is pending for it.
   */
  nextRunIn(key: string): number | undefined {
    const e = this.#entries.get(key);
    if (e === undefined) return undefined;
    if (e.list !== NONE || e.dirty) return 0;
    if (e.heapIndex >= 0) return Math.max(0, e.dueAt - now());
    return undefined;
  }

  /** Runs `key` as soon as a worker is free (`high`: a change; `low`: a refresh). Deduplicated. */
  add(key: string, priority: Priority = "high"): void {
    if (this.#stopping) return;
    const e = this.#entry(key);
    if (e.inFlight) {
      if (!e.dirty) {
        e.dirty = true;
        e.dirtyPriority = priority;
        this.#m.adds.inc();
      } else if (priority === "high") e.dirtyPriority = "high";
      this.#heap.remove(e);
      return;
    }
    if (e.list === LOW && priority === "high") {
      this.#low.remove(e);
      this.#high.push(e);
    } else if (e.list === NONE) {
      this.#heap.remove(e);
      this.#makeReady(e, priority, now());
    }
    this.#schedulePump();
  }

  /**
   * Runs `key` after `delayMs` (≤ 0: now). Called again for the same key, the earliest due time wins. A key that is
   * already ready is left alone (it runs sooner).
   */
  addAfter(key: string, delayMs: number, priority: Priority = "low"): void {
    if (this.#stopping) return;
    if (!(delayMs > 0)) {
      this.add(key, priority);
      return;
    }
    const e = this.#entry(key);
    this.#schedule(e, delayMs, priority, now());
  }

  #entry(key: string): Entry {
    let e = this.#entries.get(key);
    if (e === undefined) {
      e = {
        key,
        list: NONE,
        prev: undefined,
        next: undefined,
        readyAt: 0,
        heapIndex: -1,
        dueAt: 0,
        duePriority: "low",
        seq: 0,
        inFlight: false,
        startedAt: 0,
        runPriority: "low",
        dirty: false,
        dirtyPriority: "low",
        failures: 0,
      };
      this.#entries.set(key, e);
    }
    return e;
  }

  #makeReady(e: Entry, priority: Priority, t: number): void {
    e.readyAt = t;
    (priority === "high" ? this.#high : this.#low).push(e);
    this.#m.adds.inc();
  }

  /** Puts `e` in the heap at `t + delayMs`, keeping an earlier due time; ready or dirty entries are left alone. */
  #schedule(e: Entry, delayMs: number, priority: Priority, t: number): void {
    if (e.list !== NONE || e.dirty) return;
    if (!(delayMs > 0)) {
      if (e.inFlight) {
        e.dirty = true;
        e.dirtyPriority = priority;
        this.#m.adds.inc();
      } else {
        this.#heap.remove(e);
        this.#makeReady(e, priority, t);
        this.#schedulePump();
      }
      return;
    }
    const due = t + delayMs;
    if (e.heapIndex >= 0) {
      if (due >= e.dueAt) return;
      e.dueAt = due;
      e.duePriority = priority;
      this.#heap.decreased(e);
    } else {
      e.dueAt = due;
      e.duePriority = priority;
      e.seq = this.#seq++;
      this.#heap.push(e);
    }
    this.#armTimer();
  }

  #armTimer(): void {
    if (!this.#started || this.#stopping) return;
    const top = this.#heap.peek();
    if (top === undefined) {
      this.#clearTimer();
      return;
    }
    if (this.#timer !== undefined && this.#timerDueAt <= top.dueAt) return;
    this.#clearTimer();
    this.#timerDueAt = top.dueAt;
    this.#timer = setTimeout(() => this.#onTimer(), Math.min(MAX_TIMER_MS, Math.max(0, top.dueAt - now())));
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerDueAt = Infinity;
  }

  #onTimer(): void {
    this.#timer = undefined;
    this.#timerDueAt = Infinity;
    const t = now();
    for (let top = this.#heap.peek(); top !== undefined && top.dueAt <= t; top = this.#heap.peek()) {
      this.#heap.remove(top);
      if (top.inFlight) {
        if (!top.dirty) {
          top.dirty = true;
          top.dirtyPriority = top.duePriority;
          this.#m.adds.inc();
        }
      } else {
        this.#makeReady(top, top.duePriority, t);
      }
    }
    this.#armTimer();
    this.#schedulePump();
  }

  #schedulePump(): void {
    if (this.#pumpScheduled || !this.#started || this.#stopping) return;
    this.#pumpScheduled = true;
    queueMicrotask(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  #pump(): void {
    while (!this.#stopping && this.#running.size < this.#concurrency) {
      const e = this.#next();
      if (e === undefined) return;
      this.#run(e);
    }
  }

  /** The next entry to run, unlinked, with `runPriority` set to the list it came from. */
  #next(): Entry | undefined {
    let e: Entry | undefined;
    if (this.#high.size > 0 && (this.#low.size === 0 || this.#highStreak < this.#highBurst)) {
      this.#highStreak++;
      e = this.#high.shift();
      if (e) e.runPriority = "high";
    } else {
      this.#highStreak = 0;
      e = this.#low.shift();
      if (e) e.runPriority = "low";
    }
    return e;
  }

  #run(e: Entry): void {
    const t = now();
    e.inFlight = true;
    e.startedAt = t;
    this.#running.add(e);
    this.#m.queueDuration.observe((t - e.readyAt) / 1000);
    const ctx: ReconcileContext = { signal: this.#signal!, attempt: e.failures, priority: e.runPriority };
    let p: Promise<Action>;
    try {
      p = Promise.resolve(this.#reconcile(e.key, ctx));
    } catch (err) {
      p = Promise.reject(err);
    }
    p.then(
      (action) => this.#finish(e, action, undefined, false),
      (err: unknown) => this.#finish(e, undefined, err, true),
    );
  }

  #finish(e: Entry, action: Action | undefined, error: unknown, failed: boolean): void {
    const t = now();
    const durationMs = t - e.startedAt;
    e.inFlight = false;
    this.#running.delete(e);
    this.#m.workDuration.observe(durationMs / 1000);

    let result: ReconcileResult;
    let terminal = false;
    let delay: number | null = null;
    let priority: Priority = "low";
    if (!failed && (action === undefined || !isValidAction(action))) {
      failed = true;
      error = new TypeError(
        `Cannot use the result of reconciling "${e.key}": expected an Action from requeue() or awaitChange(): current value is ${
          JSON.stringify(action)
        }`,
      );
    }
    if (!failed) {
      if (e.failures > 0) this.#failing--;
      e.failures = 0;
      const ms = action!.requeueAfterMs;
      if (ms === null) {
        result = "success";
      } else if (ms === 0) {
        // "Again now": through the overall bucket so a reconcile that always asks for it cannot spin.
        result = "requeue";
        delay = this.#retryBucket.reserve(t);
        priority = e.runPriority;
      } else {
        result = "requeue_after";
        delay = ms;
      }
    } else {
      result = "error";
      if (isTerminal(error)) {
        terminal = true;
        if (e.failures > 0) this.#failing--;
        e.failures = 0;
      } else {
        if (e.failures === 0) this.#failing++;
        e.failures++;
        this.#m.retries.inc();
        priority = e.runPriority;
        const backoff = jitterDown(
          Math.min(this.#maxBackoffMs, this.#baseBackoffMs * 2 ** (e.failures - 1)),
          this.#backoffJitter,
          this.#random,
        );
        delay = Math.max(backoff, retryAfterOf(error) ?? 0, this.#retryBucket.reserve(t));
      }
    }

    if (!this.#stopping) {
      if (e.dirty) {
        e.dirty = false;
        this.#heap.remove(e);
        e.readyAt = t;
        (e.dirtyPriority === "high" ? this.#high : this.#low).push(e);
        delay = 0;
      } else if (delay !== null) {
        this.#schedule(e, delay, priority, t);
        if (e.heapIndex >= 0) delay = e.dueAt - t;
      }
    }
    this.#forgetIfIdle(e);

    if (this.#onOutcome !== undefined) {
      const outcome: ReconcileOutcome = {
        key: e.key,
        result,
        terminal,
        failures: e.failures,
        durationMs,
        nextRunInMs: delay,
      };
      if (failed) outcome.error = error;
      try {
        this.#onOutcome(outcome);
      } catch {
        // A logging hook must not break the queue.
      }
    }

    if (this.#stopping) {
      if (this.#running.size === 0) this.#drained?.();
    } else {
      this.#schedulePump();
    }
  }

  #forgetIfIdle(e: Entry): void {
    if (!e.inFlight && !e.dirty && e.list === NONE && e.heapIndex < 0 && e.failures === 0) {
      this.#entries.delete(e.key);
    }
  }

  /**
   * Processes the queue until `signal` aborts, then waits for the reconciles in flight (which get the same signal)
   * and resolves. Items still pending are dropped: after a restart, the initial list re-adds every object.
   */
  start(signal: AbortSignal): Promise<void> {
    if (this.#started) {
      return Promise.reject(new Error(`Cannot start work queue "${this.#name}": it is already started`));
    }
    this.#started = true;
    this.#signal = signal;
    return new Promise<void>((resolve) => {
      this.#drained = resolve;
      const stop = (): void => {
        this.#stopping = true;
        this.#clearTimer();
        if (this.#running.size === 0) resolve();
      };
      if (signal.aborted) {
        stop();
        return;
      }
      signal.addEventListener("abort", stop, { once: true });
      this.#armTimer();
      this.#schedulePump();
    });
  }
}

function isValidAction(a: unknown): a is Action {
  if (typeof a !== "object" || a === null || !("requeueAfterMs" in a)) return false;
  const ms = (a as Action).requeueAfterMs;
  return ms === null || (typeof ms === "number" && ms >= 0 && Number.isFinite(ms));
}

/** The queue's clock: monotonic, so a wall-clock step (NTP) cannot stall or rush schedules. */
function now(): number {
  return performance.now();
}
