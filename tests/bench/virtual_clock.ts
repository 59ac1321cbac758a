/**
 * A virtual clock for the fleet simulation (`fleet.ts`): timers and time that move only when the simulation moves
 * them. {@linkcode VirtualClock.install} puts it behind the globals the shipped code and the Azure SDK read —
 * `Date` (`Date.now()`, `new Date()`), `performance.now()`, `setTimeout`/`setInterval` and their `clear*` — so the
 * controller's work queue, rate limiter, read cache and the SDK's retry delays all run on it without a change.
 *
 * Time advances in steps ({@linkcode VirtualClock.advanceTo}): every timer due by the step's end fires then, in due
 * order, and sees the step's end as the time. Deno's own internals (sockets, TLS) keep real time.
 *
 * @module
 */

type Callback = (...args: unknown[]) => void;

interface Timer {
  id: number;
  at: number;
  seq: number;
  fn: Callback;
  args: unknown[];
  /** For intervals: the period; undefined for a timeout. */
  every: number | undefined;
  cancelled: boolean;
}

/**
 * What the virtual `setTimeout` returns: a Node-style handle (`ref`/`unref`/`hasRef`/`refresh`, a number when
 * coerced), as npm code running under Deno may expect either.
 */
export class VirtualTimer {
  constructor(readonly id: number, readonly refresh: () => VirtualTimer) {}
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
  hasRef(): boolean {
    return true;
  }
  [Symbol.toPrimitive](): number {
    return this.id;
  }
}

/** Real time and a real timer, captured when this module loads (before any install). */
export const realTime: { now: () => number; setTimeout: typeof setTimeout; clearTimeout: typeof clearTimeout } = {
  now: Performance.prototype.now.bind(performance),
  setTimeout: globalThis.setTimeout.bind(globalThis),
  clearTimeout: globalThis.clearTimeout.bind(globalThis),
};

/** Timers on virtual time (epoch ms), in a binary heap by due time, then by creation order. */
export class VirtualClock {
  #now: number;
  readonly #perfOffset: number;
  readonly #heap: Timer[] = [];
  readonly #live = new Map<number, Timer>();
  #nextId = 1;
  #seq = 0;

  constructor(startMs: number) {
    this.#now = startMs;
    // performance.now() stays continuous across install: real performance time at the virtual start.
    this.#perfOffset = realTime.now() - startMs;
  }

  /** The virtual time (epoch ms). */
  now(): number {
    return this.#now;
  }

  /** Timers pending. */
  get pending(): number {
    return this.#live.size;
  }

  /** When the earliest pending timer is due, or undefined when none is. */
  nextAt(): number | undefined {
    this.#dropCancelled();
    return this.#heap[0]?.at;
  }

  setTimeout(fn: Callback, ms?: number, ...args: unknown[]): VirtualTimer {
    return this.#add(fn, ms, args, undefined);
  }

  setInterval(fn: Callback, ms?: number, ...args: unknown[]): VirtualTimer {
    return this.#add(fn, ms, args, Math.max(1, delay(ms)));
  }

  clearTimeout(handle: unknown): void {
    const id = typeof handle === "number" ? handle : handle instanceof VirtualTimer ? handle.id : undefined;
    if (id === undefined) return;
    const t = this.#live.get(id);
    if (!t) return;
    t.cancelled = true;
    this.#live.delete(id);
  }

  /**
   * Moves time to `t` (never back) and fires every timer due by then, in due order; timers they add that are due by
   * `t` fire too. Returns how many fired. A callback that throws is reported and does not stop the others.
   */
  advanceTo(t: number): number {
    if (t > this.#now) this.#now = t;
    let fired = 0;
    for (;;) {
      this.#dropCancelled();
      const top = this.#heap[0];
      if (!top || top.at > this.#now) return fired;
      this.#pop();
      if (top.every !== undefined) {
        top.at += top.every;
        if (top.at <= this.#now) top.at = this.#now + top.every;
        top.seq = this.#seq++;
        this.#push(top);
      } else {
        this.#live.delete(top.id);
      }
      fired++;
      try {
        top.fn(...top.args);
      } catch (e) {
        reportError(e);
      }
    }
  }

  /** Puts this clock behind the global timers, `Date` and `performance.now()`; returns the undo. */
  install(): () => void {
    const replace: Record<string, unknown> = {
      setTimeout: this.setTimeout.bind(this),
      setInterval: this.setInterval.bind(this),
      clearTimeout: this.clearTimeout.bind(this),
      clearInterval: this.clearTimeout.bind(this),
      Date: virtualDate(() => this.#now),
    };
    const saved = Object.keys(replace).map((k) => [k, Reflect.get(globalThis, k)] as const);
    for (const [k, v] of Object.entries(replace)) Reflect.set(globalThis, k, v);
    Object.defineProperty(performance, "now", {
      value: () => this.#now + this.#perfOffset,
      configurable: true,
      writable: true,
    });
    return () => {
      for (const [k, v] of saved) Reflect.set(globalThis, k, v);
      Reflect.deleteProperty(performance, "now");
    };
  }

  #add(fn: Callback, ms: number | undefined, args: unknown[], every: number | undefined): VirtualTimer {
    if (typeof fn !== "function") throw new TypeError("virtual clock: the callback must be a function");
    const id = this.#nextId++;
    const t: Timer = { id, at: this.#now + delay(ms), seq: this.#seq++, fn, args, every, cancelled: false };
    this.#live.set(id, t);
    this.#push(t);
    const handle: VirtualTimer = new VirtualTimer(id, (): VirtualTimer => {
      // Node's refresh(): the same timer, due again one delay from now.
      if (this.#live.has(id)) {
        t.cancelled = true;
        const again: Timer = { ...t, at: this.#now + delay(ms), seq: this.#seq++, cancelled: false };
        this.#live.set(id, again);
        this.#push(again);
      }
      return handle;
    });
    return handle;
  }

  #dropCancelled(): void {
    while (this.#heap[0]?.cancelled) this.#pop();
  }

  #less(a: Timer, b: Timer): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  #push(t: Timer): void {
    const h = this.#heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.#less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  #pop(): void {
    const h = this.#heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.#less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.#less(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}

function delay(ms: number | undefined): number {
  const n = Number(ms);
  return Number.isFinite(n) && n > 0 ? n : 0;
}

/**
 * A `Date` whose "now" is `now()`: `new Date()` and `Date.now()` read it, everything else is the real `Date` (the
 * instances are real Dates, so `instanceof Date` holds either way).
 */
function virtualDate(now: () => number): unknown {
  const Real = Date;
  function VirtualDate(this: unknown, ...args: unknown[]): Date | string {
    if (!new.target) return new Real(now()).toString();
    return args.length === 0 ? new Real(now()) : new Real(...(args as [number]));
  }
  VirtualDate.prototype = Real.prototype;
  VirtualDate.now = now;
  VirtualDate.parse = Real.parse;
  VirtualDate.UTC = Real.UTC;
  return VirtualDate;
}
