/**
 * Client-side rate limiting of outgoing provider calls, per vault host: a token bucket, plus a gate that a 429's
 * `Retry-After` closes for every caller of that vault (not only the one that got the 429).
 *
 * Key Vault allows 4,000 GET/LIST per 10 s per vault and region (and 5× that per subscription). A fleet of clusters
 * shares that budget, so one controller stays well below it by default (200/s, burst 400) and backs off as a whole
 * when the vault says so.
 *
 * @module
 */

/**
 * A token bucket (`rate` tokens per second, at most `burst` stored). Time is passed in, so callers decide the clock.
 * Not tied to any timer.
 */
export class TokenBucket {
  readonly #rate: number;
  readonly #burst: number;
  #tokens: number;
  #last: number;

  constructor(ratePerSecond: number, burst: number, now: number = Date.now()) {
    if (!(ratePerSecond > 0) || !(burst >= 1)) {
      throw new RangeError(
        `Cannot create token bucket: need rate > 0 and burst >= 1: current values are ${ratePerSecond}, ${burst}`,
      );
    }
    this.#rate = ratePerSecond;
    this.#burst = burst;
    this.#tokens = burst;
    this.#last = now;
  }

  #refill(now: number): void {
    if (now <= this.#last) return;
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) * this.#rate) / 1000);
    this.#last = now;
  }

  /** Tokens available now (may be negative after reservations). */
  tokens(now: number = Date.now()): number {
    this.#refill(now);
    return this.#tokens;
  }

  /** Takes a token if one is available now. */
  take(now: number = Date.now()): boolean {
    this.#refill(now);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /**
   * Takes a token now or in the future, and returns how many ms from `now` it is due (0 = now). Tokens may go
   * negative, so a storm of reservations is spread at `rate` (client-go's `BucketRateLimiter`).
   */
  reserve(now: number = Date.now()): number {
    this.#refill(now);
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : Math.ceil((-this.#tokens * 1000) / this.#rate);
  }

  /** Milliseconds from `now` until a token is available (0 when one is). */
  msUntilToken(now: number = Date.now()): number {
    this.#refill(now);
    return this.#tokens >= 1 ? 0 : Math.ceil(((1 - this.#tokens) * 1000) / this.#rate);
  }

  /** Empties the bucket and lets it refill only from `from` on (used after a 429: resume at the steady rate). */
  drain(from: number): void {
    this.#tokens = 0;
    this.#last = Math.max(this.#last, from);
  }
}

/** Options of {@linkcode HostRateLimiter}. */
export interface HostRateLimiterOptions {
  /** Steady rate per host, in calls per second. @default {200} */
  ratePerSecond?: number;
  /** Calls allowed at once after a quiet period. @default {400} */
  burst?: number;
  /** Longest `Retry-After` honoured, in ms (a bogus header must not stall the controller for hours). @default {300000} */
  maxBlockMs?: number;
}

interface Waiter {
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  done: boolean;
}

interface HostState {
  bucket: TokenBucket;
  blockedUntil: number;
  queue: Waiter[];
  head: number;
  waiting: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** What {@linkcode HostRateLimiter.stats} reports for one host. */
export interface HostRateLimiterStats {
  tokens: number;
  waiting: number;
  /** Epoch ms until which the host is blocked by a `Retry-After`; 0 when not blocked. */
  blockedUntil: number;
}

/**
 * Per-host token buckets with a shared `Retry-After` gate.
 *
 * Guarantees:
 * - Callers of one host are served first come, first served; a call never starts while the host is blocked.
 * - {@linkcode HostRateLimiter.block} holds back every caller of that host, including those already waiting, and
 *   empties its bucket, so traffic resumes at the steady rate rather than with a burst that would earn another 429.
 * - An aborted `acquire` rejects with the signal's reason at once and gives up its place.
 * - One timer per host with waiters; none when nobody waits.
 */
export class HostRateLimiter {
  readonly #rate: number;
  readonly #burst: number;
  readonly #maxBlockMs: number;
  readonly #hosts = new Map<string, HostState>();

  constructor(options: HostRateLimiterOptions = {}) {
    this.#rate = options.ratePerSecond ?? 200;
    this.#burst = options.burst ?? 400;
    this.#maxBlockMs = options.maxBlockMs ?? 300_000;
    // Validate once, here, rather than on first use.
    new TokenBucket(this.#rate, this.#burst);
  }

  #state(host: string): HostState {
    const key = host.toLowerCase();
    let st = this.#hosts.get(key);
    if (st === undefined) {
      st = {
        bucket: new TokenBucket(this.#rate, this.#burst),
        blockedUntil: 0,
        queue: [],
        head: 0,
        waiting: 0,
        timer: undefined,
      };
      this.#hosts.set(key, st);
    }
    return st;
  }

  /**
   * Resolves when a call to `host` may start (`host` as in `new URL(vaultUrl).host`). Rejects with `signal.reason`
   * if the signal aborts first.
   */
  acquire(host: string, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const st = this.#state(host);
    const now = Date.now();
    if (st.waiting === 0 && now >= st.blockedUntil && st.bucket.take(now)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const w: Waiter = { resolve, reject, signal, onAbort: undefined, done: false };
      if (signal !== undefined) {
        w.onAbort = () => {
          if (w.done) return;
          w.done = true;
          st.waiting--;
          reject(signal.reason);
          this.#pump(st);
        };
        signal.addEventListener("abort", w.onAbort, { once: true });
      }
      st.queue.push(w);
      st.waiting++;
      this.#pump(st);
    });
  }

  /**
   * Blocks every call to `host` for `retryAfterMs` (capped at `maxBlockMs`), e.g. from a 429's `Retry-After`. A
   * shorter block never shortens a longer one already in place.
   */
  block(host: string, retryAfterMs: number): void {
    if (!(retryAfterMs > 0)) return;
    const st = this.#state(host);
    const until = Date.now() + Math.min(retryAfterMs, this.#maxBlockMs);
    if (until <= st.blockedUntil) return;
    st.blockedUntil = until;
    st.bucket.drain(until);
    this.#pump(st);
  }

  /** Milliseconds until `host` is unblocked (0 when it is not blocked). */
  blockedFor(host: string): number {
    const st = this.#hosts.get(host.toLowerCase());
    return st === undefined ? 0 : Math.max(0, st.blockedUntil - Date.now());
  }

  /** Tokens, waiters and block of `host` (for metrics and tests). */
  stats(host: string): HostRateLimiterStats {
    const st = this.#hosts.get(host.toLowerCase());
    if (st === undefined) return { tokens: this.#burst, waiting: 0, blockedUntil: 0 };
    return {
      tokens: st.bucket.tokens(),
      waiting: st.waiting,
      blockedUntil: st.blockedUntil > Date.now() ? st.blockedUntil : 0,
    };
  }

  /** Serves waiters that may go now, and arms one timer for the next one. */
  #pump(st: HostState): void {
    if (st.timer !== undefined) {
      clearTimeout(st.timer);
      st.timer = undefined;
    }
    const now = Date.now();
    while (st.head < st.queue.length) {
      const w = st.queue[st.head]!;
      if (w.done) {
        st.head++;
        continue;
      }
      const wait = now < st.blockedUntil
        ? st.blockedUntil - now
        : st.bucket.take(now)
        ? 0
        : st.bucket.msUntilToken(now);
      if (wait > 0) {
        st.timer = setTimeout(() => {
          st.timer = undefined;
          this.#pump(st);
        }, wait);
        break;
      }
      st.head++;
      w.done = true;
      st.waiting--;
      if (w.onAbort !== undefined) w.signal?.removeEventListener("abort", w.onAbort);
      w.resolve();
    }
    if (st.head === st.queue.length) {
      st.queue.length = 0;
      st.head = 0;
    } else if (st.head > 1024 && st.head * 2 > st.queue.length) {
      st.queue.splice(0, st.head);
      st.head = 0;
    }
  }
}

/** No slot for a host freed up within the wait: too many callers are already waiting on it. */
export class InFlightLimitError extends Error {
  override readonly name = "InFlightLimitError";
  readonly host: string;
  constructor(host: string, max: number) {
    super(
      `${max} sync${
        max === 1 ? " is" : "s are"
      } already waiting on ${host} (the most --kv-max-in-flight allows); retrying later`,
    );
    this.host = host;
  }
}

/** Options of {@linkcode InFlightLimiter}. */
export interface InFlightLimiterOptions {
  /** Callers per host at once. */
  max: number;
  /**
   * When every slot of a host has been held this long (ms), the host is stalled: callers fail at once instead of
   * waiting; before that they wait at most until it would be. @default {1000}
   */
  stallMs?: number;
}

interface Slot {
  at: number;
}

/**
 * A cap on callers per host at once, so a host that hangs holds at most `max` workers. A caller that finds the host
 * at its cap waits while the slots are young (a healthy host frees one in milliseconds), and fails with
 * {@linkcode InFlightLimitError} once every slot has been held for `stallMs`: it is retried later with back-off
 * instead of queueing behind calls that will only end with their timeout, and its worker is free for other hosts.
 */
export class InFlightLimiter {
  readonly #max: number;
  readonly #stallMs: number;
  readonly #hosts = new Map<string, { slots: Set<Slot>; waiters: (() => void)[] }>();

  constructor(options: InFlightLimiterOptions) {
    if (!(options.max >= 1)) throw new RangeError(`Cannot create in-flight limiter: max must be >= 1: ${options.max}`);
    this.#max = options.max;
    this.#stallMs = options.stallMs ?? 1000;
  }

  /** Takes a slot for `host`; resolves with its release (call it once). Rejects when the host is stalled, or on abort. */
  acquire(host: string, signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const key = host.toLowerCase();
    let st = this.#hosts.get(key);
    if (!st) this.#hosts.set(key, st = { slots: new Set(), waiters: [] });
    const state = st;
    const take = (): () => void => {
      const slot = { at: Date.now() };
      state.slots.add(slot);
      let done = false;
      return () => {
        if (done) return;
        done = true;
        state.slots.delete(slot);
        const next = state.waiters.shift();
        if (next) next();
        else if (state.slots.size === 0) this.#hosts.delete(key);
      };
    };
    if (state.slots.size < this.#max) return Promise.resolve(take());
    // The youngest slot's age: once it reaches stallMs, every slot is stuck.
    let youngest = 0;
    for (const slot of state.slots) youngest = Math.max(youngest, slot.at);
    const left = youngest + this.#stallMs - Date.now();
    if (left <= 0) return Promise.reject(new InFlightLimitError(host, this.#max));
    return new Promise((resolve, reject) => {
      const settle = (error?: unknown): void => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        const i = state.waiters.indexOf(grant);
        if (i >= 0) state.waiters.splice(i, 1);
        if (error === undefined) resolve(take());
        else reject(error);
      };
      const grant = (): void => settle();
      const onAbort = (): void => settle(signal!.reason);
      const timer = setTimeout(() => settle(new InFlightLimitError(host, this.#max)), left);
      signal?.addEventListener("abort", onAbort, { once: true });
      state.waiters.push(grant);
    });
  }

  /** Callers holding a slot for `host` (for metrics and tests). */
  inFlight(host: string): number {
    return this.#hosts.get(host.toLowerCase())?.slots.size ?? 0;
  }
}

/** Something with HTTP headers (`Headers`, or the Azure SDK's `HttpHeaders`). */
export interface HeaderSource {
  get(name: string): string | null | undefined;
}

/**
 * The delay a throttled response asks for, in ms: `retry-after-ms` or `x-ms-retry-after-ms` (Azure), else
 * `Retry-After` as seconds or an HTTP date. Undefined when there is none or it cannot be read.
 */
export function retryAfterMs(headers: HeaderSource, now: number = Date.now()): number | undefined {
  for (const name of ["retry-after-ms", "x-ms-retry-after-ms"]) {
    const v = headers.get(name);
    if (v !== null && v !== undefined && /^\s*\d+(\.\d+)?\s*$/.test(v)) return Math.max(0, Math.ceil(Number(v)));
  }
  return parseRetryAfter(headers.get("retry-after"), now);
}

/** A `Retry-After` header value (delay-seconds or HTTP date) in ms from `now`; undefined when unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.ceil(Number(v) * 1000);
  if (!/[a-z]/i.test(v)) return undefined;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
