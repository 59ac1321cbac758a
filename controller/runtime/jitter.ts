/**
 * Jitter, so that thousands of objects do not come back at the same instant.
 *
 * ESO requeues at exactly `refreshInterval − (now − refreshTime)` (`getRequeueResult`), so ExternalSecrets created or
 * restarted together stay aligned forever and hit the vault together (ESO#4231; Key Vault throttles at 4,000 GETs
 * per 10 s per vault). The ExternalSecret reconciler refreshes each object a stable, per-key share of a window early
 * ({@linkcode keyFraction}; the due check uses the same amount, so there are no spurious wake-ups), and the queue
 * spreads retry delays ({@linkcode jitterDown}).
 *
 * @module
 */

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
