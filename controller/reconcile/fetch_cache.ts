/**
 * Provider reads as a budget: one read per (store, key, version) per refresh window, however many ExternalSecrets
 * ask for it.
 *
 * - Concurrent askers share one in-flight read (single flight).
 * - A finished read is reused by an asker that accepts its age. A periodic refresh accepts any value read *after*
 *   its own last refresh: its Secret then never holds data older than its refresh interval, and the first
 *   ExternalSecret due in a window pays the read for all the others due in that window. Because a reused value's read
 *   time becomes the asker's `refreshTime`, ExternalSecrets sharing a key fall into step and stay there: one read
 *   per window, cycle after cycle. A forced sync (annotation, spec change) accepts only a read that started after the
 *   change was seen.
 * - Errors are not cached. A value is kept only as long as some asker could still accept it (the longest keep time
 *   of those that read or reused it), and at most `maxEntries` values are kept (oldest dropped first).
 *
 * @module
 */

import type { ListedSecret, SecretRead } from "../providers/provider.ts";
import { type ReadKey, readKeyStore, type StoreKey } from "../runtime/keys.ts";

/**
 * What one read returns: a single value (with what the provider said about it: version, expiry), a map of values
 * (`dataFrom.extract`), or a vault's listing (`find`).
 */
export type ReadValue = Uint8Array | SecretRead | Record<string, Uint8Array> | readonly ListedSecret[];

/** A read value and when it was read. */
export interface Fetched<V extends ReadValue = ReadValue> {
  value: V;
  fetchedAt: number;
}

interface Entry extends Fetched {
  expiresAt: number;
}

/** Shares provider reads between ExternalSecrets. */
export class FetchCache {
  readonly #inflight = new Map<ReadKey, { startedAt: number; promise: Promise<Fetched> }>();
  /** Insertion order is read order, so the oldest entries are first. */
  readonly #done = new Map<ReadKey, Entry>();
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: { maxEntries?: number; now?: () => number } = {}) {
    this.#maxEntries = options.maxEntries ?? 20_000;
    this.#now = options.now ?? Date.now;
  }

  /**
   * The value for `key` read at or after `notBefore` (epoch ms): a read in flight that started then is joined, a
   * finished one is reused; otherwise `read` runs and its value is kept for `keepMs`.
   */
  get<V extends ReadValue>(
    key: ReadKey,
    notBefore: number,
    keepMs: number,
    read: () => Promise<V>,
  ): Promise<Fetched<V>> {
    return this.#get(key, notBefore, keepMs, read) as Promise<Fetched<V>>;
  }

  #get(key: ReadKey, notBefore: number, keepMs: number, read: () => Promise<ReadValue>): Promise<Fetched> {
    const now = this.#now();
    const inflight = this.#inflight.get(key);
    if (inflight && inflight.startedAt >= notBefore) return inflight.promise;
    const done = this.#done.get(key);
    if (done) {
      if (done.expiresAt <= now) this.#done.delete(key);
      else if (done.fetchedAt >= notBefore) {
        // An asker that keeps values longer (change detection, find) keeps this one alive as long as it would.
        if (now + keepMs > done.expiresAt) {
          this.#done.delete(key);
          this.#done.set(key, { ...done, expiresAt: now + keepMs });
        }
        return Promise.resolve({ value: done.value, fetchedAt: done.fetchedAt });
      }
    }
    const p: Promise<Fetched> = read().then(
      (value) => {
        if (this.#inflight.get(key)?.promise === p) this.#inflight.delete(key);
        const newer = this.#done.get(key);
        if (!newer || newer.fetchedAt <= now) {
          this.#done.delete(key);
          this.#done.set(key, { value, fetchedAt: now, expiresAt: now + keepMs });
        }
        this.#evict(now);
        return { value, fetchedAt: now };
      },
      (e) => {
        if (this.#inflight.get(key)?.promise === p) this.#inflight.delete(key);
        throw e;
      },
    );
    this.#inflight.set(key, { startedAt: now, promise: p });
    return p;
  }

  /** Forgets every value read from `store` (it was deleted: its values need not wait for their keep time). */
  forgetStore(store: StoreKey): void {
    for (const k of [...this.#done.keys()]) if (readKeyStore(k) === store) this.#done.delete(k);
  }

  /** Number of values held (for metrics and tests). */
  get size(): number {
    return this.#done.size;
  }

  #evict(now: number): void {
    for (const [k, v] of this.#done) {
      if (this.#done.size <= this.#maxEntries && v.expiresAt > now) break;
      if (this.#done.size > this.#maxEntries || v.expiresAt <= now) this.#done.delete(k);
    }
  }
}

/**
 * The jitter spread of a refresh interval: 5 % of it, at least 1 s and at most 5 min. Refreshes are requeued up to
 * this much early (per key, stable across restarts), so ExternalSecrets created together do not all hit the vault in
 * the same second, and a restart does not align them.
 */
export function refreshSpreadMs(intervalMs: number): number {
  return Math.min(5 * 60_000, Math.max(1000, intervalMs * 0.05));
}
