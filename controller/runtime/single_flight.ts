/**
 * Single-flight with a short-lived result cache: however many ExternalSecrets ask for the same (store, key, version)
 * in one refresh window, the vault sees one fetch.
 *
 * @module
 */

/** Options of {@linkcode SingleFlight}. */
export interface SingleFlightOptions {
  /**
   * How long a successful result is served to later callers, in ms; 0 shares only concurrent calls. Keep it at most
   * the shortest refresh interval it serves, or a refresh would see the previous window's value. @default {0}
   */
  ttlMs?: number;
  /** Most results kept; the oldest are dropped first. Bounds memory held by cached values. @default {10000} */
  maxEntries?: number;
}

interface Flight<V> {
  promise: Promise<V>;
}

interface Cached<V> {
  value: V;
  expiresAt: number;
}

/**
 * Concurrent calls for the same key share one in-flight promise; a success is then cached for `ttlMs`.
 *
 * Guarantees:
 * - At most one call of `fn` per key is in flight, and while a fresh result is cached none is made.
 * - Errors are shared by the callers that were waiting, and never cached: the next call tries again.
 * - {@linkcode SingleFlight.forget} takes effect at once: a flight started before it cannot put its (possibly
 *   stale) result into the cache afterwards.
 * - No timers: expiry is checked on access, and expired entries are swept as new ones come in (amortised O(1)).
 *
 * Keys are compared with `Map` semantics; build composite keys as strings, e.g. `${storeUid}/${name}/${version}`.
 */
export class SingleFlight<K, V> {
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #inFlight = new Map<K, Flight<V>>();
  /** Insertion order = expiry order (one TTL for all), so the oldest entries are at the front. */
  readonly #cache = new Map<K, Cached<V>>();

  constructor(options: SingleFlightOptions = {}) {
    this.#ttlMs = options.ttlMs ?? 0;
    this.#maxEntries = options.maxEntries ?? 10_000;
    if (!(this.#ttlMs >= 0) || !(this.#maxEntries >= 1)) {
      throw new RangeError(
        `Cannot create single-flight: need ttlMs >= 0 and maxEntries >= 1: current values are ${this.#ttlMs}, ${this.#maxEntries}`,
      );
    }
  }

  /** Number of cached results (including expired ones not swept yet) plus calls in flight. */
  get size(): number {
    return this.#cache.size + this.#inFlight.size;
  }

  /**
   * The cached result for `key` if fresh; else joins the call in flight; else calls `fn` and shares its outcome.
   * `fn` is called without awaiting anything first, so concurrent callers in the same tick share it too.
   */
  do(key: K, fn: () => Promise<V>): Promise<V> {
    const now = Date.now();
    const cached = this.#cache.get(key);
    if (cached !== undefined) {
      if (cached.expiresAt > now) return Promise.resolve(cached.value);
      this.#cache.delete(key);
    }
    const existing = this.#inFlight.get(key);
    if (existing !== undefined) return existing.promise;

    let promise: Promise<V>;
    try {
      promise = fn();
    } catch (e) {
      promise = Promise.reject(e);
    }
    const flight: Flight<V> = { promise };
    this.#inFlight.set(key, flight);
    flight.promise = promise.then(
      (value) => {
        // Only the flight that is still current may store its result (forget() may have replaced it).
        if (this.#inFlight.get(key) === flight) {
          this.#inFlight.delete(key);
          if (this.#ttlMs > 0) this.#store(key, value);
        }
        return value;
      },
      (err: unknown) => {
        if (this.#inFlight.get(key) === flight) this.#inFlight.delete(key);
        throw err;
      },
    );
    return flight.promise;
  }

  #store(key: K, value: V): void {
    const now = Date.now();
    this.#cache.delete(key);
    this.#cache.set(key, { value, expiresAt: now + this.#ttlMs });
    // Sweep expired entries from the front, then enforce the bound.
    for (const [k, c] of this.#cache) {
      if (c.expiresAt > now && this.#cache.size <= this.#maxEntries) break;
      this.#cache.delete(k);
    }
  }

  /** Drops the cached result and detaches the call in flight for `key`: the next call fetches anew. */
  forget(key: K): void {
    this.#cache.delete(key);
    this.#inFlight.delete(key);
  }

  /** Drops everything (e.g. the store's credentials changed). */
  clear(): void {
    this.#cache.clear();
    this.#inFlight.clear();
  }
}
