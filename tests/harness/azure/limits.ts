// Key Vault's service limit on reads, as an emulator option: at most `limit` GET/LIST requests per `windowMs` per
// vault (Key Vault: 4,000 per 10 s), counted over a sliding window; beyond it the vault answers 429 `Throttled` with
// `Retry-After` (whole seconds, as Key Vault sends it) until the oldest counted request leaves the window. Only
// requests that passed authentication count (the SDK's unauthenticated challenge request does not), and a throttled
// request does not count. The clock is injected, so a benchmark can run the limit on its virtual clock.

/** Options of the read limit (`AzureEmulatorOptions.readLimit`). */
export interface ReadLimitOptions {
  /** Requests allowed per window. @default {4000} */
  limit?: number;
  /** The window, in ms. @default {10000} */
  windowMs?: number;
  /** The clock (epoch ms). @default {Date.now} */
  now?: () => number;
}

/** Key Vault's documented GET/LIST limit per vault and region. */
export const KEY_VAULT_READ_LIMIT = 4000;
export const KEY_VAULT_READ_WINDOW_MS = 10_000;

/** What {@link ReadLimit.admit} decided: go on, or answer 429 with this Retry-After. */
export type Admission = { ok: true } | { ok: false; retryAfterSeconds: number };

/** A sliding-window request limit: a ring of the last `limit` admitted times, O(1) per request. */
export class ReadLimit {
  readonly limit: number;
  readonly windowMs: number;
  readonly #now: () => number;
  readonly #times: Float64Array;
  #next = 0;
  #count = 0;
  /** Requests admitted and refused so far. */
  admitted = 0;
  throttled = 0;

  constructor(options: ReadLimitOptions = {}) {
    this.limit = options.limit ?? KEY_VAULT_READ_LIMIT;
    this.windowMs = options.windowMs ?? KEY_VAULT_READ_WINDOW_MS;
    if (!(this.limit >= 1) || !Number.isInteger(this.limit) || !(this.windowMs > 0)) {
      throw new RangeError(
        `read limit: need an integer limit >= 1 and windowMs > 0, got ${this.limit}, ${this.windowMs}`,
      );
    }
    this.#now = options.now ?? Date.now;
    this.#times = new Float64Array(this.limit);
  }

  /** Counts one request now if the window has room; otherwise says how long until it has. */
  admit(): Admission {
    const now = this.#now();
    if (this.#count === this.limit) {
      // The ring is full: #next is the oldest admitted request.
      const oldest = this.#times[this.#next]!;
      const freeAt = oldest + this.windowMs;
      if (freeAt > now) {
        this.throttled++;
        return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((freeAt - now) / 1000)) };
      }
    } else {
      this.#count++;
    }
    this.#times[this.#next] = now;
    this.#next = (this.#next + 1) % this.limit;
    this.admitted++;
    return { ok: true };
  }
}
