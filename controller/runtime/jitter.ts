/**
 * Requeue jitter: when to come back to an object so that thousands of them do not come back at the same instant.
 *
 * ESO requeues at exactly `refreshInterval − (now − refreshTime)` (`getRequeueResult`), so ExternalSecrets created or
 * restarted together stay aligned forever and hit the vault together (ESO#4231; Key Vault throttles at 4,000 GETs
 * per 10 s per vault). Here the delay gets a small positive offset, either random or derived from the object's key.
 *
 * The offset is only ever added, never subtracted: a reconcile that arrives before `refreshTime + interval` would
 * find no refresh due (ESO's `shouldRefresh`) and have to requeue again.
 *
 * @module
 */

/** Options of {@linkcode jitteredRequeue}. */
export interface JitterOptions {
  /** Largest offset as a fraction of the interval. @default {0.05} */
  fraction?: number;
  /**
   * The object's key (`namespace/name`). When given, the offset is derived from a hash of the key instead of drawn
   * at random: each object keeps its own slot in the window, restart after restart, and many objects are spread
   * evenly over it, and an object synced early in a window stays early (its period is `interval + offset`).
   */
  key?: string;
  /** Source of randomness in [0, 1) when no key is given. @default {Math.random} */
  random?: () => number;
}

/**
 * Milliseconds until the next periodic refresh: ESO's `intervalMs − (now − refreshTime)`, clamped to
 * `[0, intervalMs]`, plus an offset in `[0, fraction × intervalMs)`. Returns `null` when `intervalMs <= 0` (ESO: no
 * periodic refresh). A missing `refreshTime` (never synced) counts as due now.
 *
 * So the result is never negative, never earlier than the refresh is due, and at most `fraction × intervalMs`
 * later than it. An overdue object (controller down for a while) comes back within `fraction × intervalMs`
 * rather than at once, which spreads a restart's backlog.
 *
 * @example
 * ```ts
 * // 1 h interval, synced 20 min ago → 40 min, plus up to 3 min (5 %) of jitter.
 * jitteredRequeue(3_600_000, now - 1_200_000, now, { key: "jenkins/regcred" });
 * ```
 */
export function jitteredRequeue(
  intervalMs: number,
  refreshTime: number | undefined,
  now: number,
  options: JitterOptions = {},
): number | null {
  if (!(intervalMs > 0)) return null;
  const fraction = options.fraction ?? 0.05;
  if (!(fraction >= 0 && fraction <= 1)) {
    throw new RangeError(`Cannot jitter requeue: fraction must be in [0, 1]: current value is ${fraction}`);
  }
  const elapsed = refreshTime === undefined ? intervalMs : now - refreshTime;
  // refreshTime in the future (clock skew) → wait one interval, not more.
  const remaining = Math.min(intervalMs, Math.max(0, intervalMs - elapsed));
  const u = options.key !== undefined ? keyFraction(options.key) : (options.random ?? Math.random)();
  return Math.floor(remaining + u * fraction * intervalMs);
}

/**
 * A number in [0, 1) derived from `key` (FNV-1a, 32 bit, finished with a murmur3 mixer): stable across
 * restarts and processes, evenly spread across keys.
 */
export function keyFraction(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // FNV-1a alone leaves similar keys ("es-1", "es-2") close together in the high bits; mix them.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 0x1_0000_0000;
}

/**
 * `ms` shortened by up to `fraction` of itself, at random: `[ms × (1 − fraction), ms]`. For retry delays, where
 * coming back a little early is harmless and a cap must hold.
 */
export function jitterDown(ms: number, fraction: number, random: () => number = Math.random): number {
  return ms * (1 - Math.min(1, Math.max(0, fraction)) * random());
}
