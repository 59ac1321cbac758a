/**
 * Change detection for periodic refreshes: per store and refresh window, one listing of the vault's secret properties
 * (a call per 25 secrets) says when each secret last changed, and only the keys changed since they were read are read
 * again. That replaces one read per key per window when it is cheaper, chosen by counts for each store: the listing
 * is used while it has fewer pages than the store's ExternalSecrets use keys. A listing is asked for with fewer pages
 * than that and abandoned as soon as it is longer (`ListingTooLongError`), so probing never costs more than the reads
 * it would have replaced; a store found too large is read key by key and probed again an hour later.
 *
 * Pure bookkeeping: the caller makes the calls (through the read cache, so one listing serves the window).
 *
 * @module
 */
import type { ListedSecret } from "../providers/provider.ts";
import type { ReadKey } from "../runtime/keys.ts";
import { refreshSpreadMs } from "./fetch_cache.ts";

/** How a periodic refresh of one store's keys is read: a listing then only what changed, or one read per key. */
export type ReadMode = "list" | "get";

/** After a listing turned out longer than the reads it would replace, how long reads are made key by key. */
export const KEY_BY_KEY_MS = 3_600_000;

/** Keys asked for within this many refresh windows count as in use. */
const IN_USE_WINDOWS = 2;

interface StoreState {
  /** When the first key was noted: counts are complete once a whole window has passed since. */
  since: number;
  /** Key name (lower-case: Key Vault names are case-insensitive) → when a refresh last asked for it. */
  asked: Map<string, number>;
  /** Until when the listing is known to be too long to pay off. */
  keyByKeyUntil: number;
}

/** The decision for one read: list with at most `maxPages`, or read the key. */
export type ListDecision = { mode: "list"; maxPages: number } | { mode: "get" };

/** Why a store's keys are read one by one for a while. */
export type FallbackReason = "too-long" | "denied";

/** Hooks for metrics and logs. */
export interface ChangeDetectorHooks {
  /** A periodic refresh of a key checked by the listing (`list`) or read again (`get`). */
  onRead?: (mode: ReadMode) => void;
  /** A store's listing was too long or refused: its keys are read one by one for {@link KEY_BY_KEY_MS}. */
  onFallback?: (listKey: ReadKey, reason: FallbackReason) => void;
}

/** Per-store counts and outcomes of change detection; one per controller. */
export class ChangeDetector {
  readonly #stores = new Map<ReadKey, StoreState>();
  readonly #byName = new WeakMap<readonly ListedSecret[], ReadonlyMap<string, ListedSecret>>();
  readonly #hooks: ChangeDetectorHooks;

  constructor(hooks: ChangeDetectorHooks = {}) {
    this.#hooks = hooks;
  }

  /** Notes that a sync of an ExternalSecret on store `listKey` reads `name` (any sync: first ones count too). */
  note(listKey: ReadKey, name: string, now: number): void {
    let state = this.#stores.get(listKey);
    if (!state) this.#stores.set(listKey, state = { since: now, asked: new Map(), keyByKeyUntil: 0 });
    const k = name.toLowerCase();
    state.asked.delete(k);
    state.asked.set(k, now);
  }

  /**
   * How a periodic refresh (interval `windowMs`) of store `listKey` reads a key: list when fewer pages than the keys
   * in use (read within the last {@link IN_USE_WINDOWS} windows) could serve them. Until a whole window (less the
   * refresh jitter spread) has passed since the first key was noted, the count is not complete (after a restart,
   * refreshes come due one by one over a window): keys are read one by one.
   */
  decide(listKey: ReadKey, windowMs: number, now: number): ListDecision {
    const state = this.#stores.get(listKey);
    const window = Math.max(windowMs, 1000);
    if (!state || state.keyByKeyUntil > now) return { mode: "get" };
    // Refreshes come up to the jitter spread early: after a cold start, the first periodic window lists.
    if (now - state.since < window - refreshSpreadMs(window)) return { mode: "get" };
    // Oldest first (re-inserted on every read): drop the keys nobody read lately.
    const since = now - IN_USE_WINDOWS * window;
    for (const [k, at] of state.asked) {
      if (at >= since) break;
      state.asked.delete(k);
    }
    const inUse = state.asked.size;
    // A listing is at least one call: with a single key, reading it is never dearer.
    return inUse < 2 ? { mode: "get" } : { mode: "list", maxPages: inUse - 1 };
  }

  /** The listing of `listKey` was longer than it could be worth, or refused: read key by key for a while. */
  fallBack(listKey: ReadKey, now: number, reason: FallbackReason): void {
    const state = this.#stores.get(listKey);
    if (!state || state.keyByKeyUntil > now) return;
    state.keyByKeyUntil = now + KEY_BY_KEY_MS;
    this.#hooks.onFallback?.(listKey, reason);
  }

  /** Counts how a periodic refresh of a key was served. */
  served(mode: ReadMode): void {
    this.#hooks.onRead?.(mode);
  }

  /** A listing's entry for `name` (case-insensitive), or undefined when the vault has no such secret. */
  entry(listing: readonly ListedSecret[], name: string): ListedSecret | undefined {
    let byName = this.#byName.get(listing);
    if (!byName) {
      byName = new Map(listing.map((s) => [s.name.toLowerCase(), s]));
      this.#byName.set(listing, byName);
    }
    return byName.get(name.toLowerCase());
  }
}
