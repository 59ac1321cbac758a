/**
 * Jittered exponential backoff for reconnecting watches, and an abortable sleep.
 *
 * @module
 */

/** Options of {@linkcode Backoff}. */
export interface BackoffOptions {
  /** First delay. @default {800} */
  initialMs?: number;
  /** Upper bound of any delay. @default {30000} */
  maxMs?: number;
  /** Growth per attempt. @default {2} */
  factor?: number;
  /**
   * Fraction of the delay that is randomised: the delay is drawn uniformly from `[d * (1 - jitter), d]`, so
   * reconnects of many watchers after an apiserver restart spread out. @default {0.5}
   */
  jitter?: number;
  /** Source of randomness in [0, 1). @default {Math.random} */
  random?: () => number;
}

/**
 * Exponential backoff with jitter: `initialMs * factor^attempt`, capped at `maxMs`, then jittered downwards.
 * Not shared between watchers; call {@linkcode Backoff.reset} after a success.
 */
export class Backoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #factor: number;
  readonly #jitter: number;
  readonly #random: () => number;
  #attempt = 0;

  constructor(options: BackoffOptions = {}) {
    this.#initialMs = options.initialMs ?? 800;
    this.#maxMs = options.maxMs ?? 30_000;
    this.#factor = options.factor ?? 2;
    this.#jitter = Math.min(1, Math.max(0, options.jitter ?? 0.5));
    this.#random = options.random ?? Math.random;
    if (!(this.#initialMs > 0) || !(this.#maxMs >= this.#initialMs) || !(this.#factor >= 1)) {
      throw new RangeError(
        `Cannot create backoff: need 0 < initialMs <= maxMs and factor >= 1: current values are ${this.#initialMs}, ${this.#maxMs}, ${this.#factor}`,
      );
    }
  }

  /** Number of delays handed out since the last reset. */
  get attempt(): number {
    return this.#attempt;
  }

  /** The next delay in milliseconds; each call grows the base delay until `maxMs`. */
  next(): number {
    const base = Math.min(this.#maxMs, this.#initialMs * Math.pow(this.#factor, this.#attempt));
    this.#attempt++;
    return Math.round(base * (1 - this.#jitter * this.#random()));
  }

  /** Starts over from `initialMs`. */
  reset(): void {
    this.#attempt = 0;
  }
}

/**
 * Resolves after `ms`, or as soon as `signal` aborts (it then resolves too: callers check `signal.aborted`).
 * Leaves no timer behind either way.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
