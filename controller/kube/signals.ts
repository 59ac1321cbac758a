/**
 * `AbortSignal.any` without its trap: in Deno 2.9 the signal it returns is only weakly referenced by its sources, so
 * after a garbage collection aborting a source no longer aborts it, and a pending `fetch` body read (a watch) never
 * ends: shutdown hangs. Measured: a watch aborted 3 s after a forced GC hangs; here the sources hold the listener,
 * so the link survives GC.
 *
 * @module
 */

/** A signal that aborts when any of `signals` does, and `unlink()` to drop the listeners when done. */
export function anySignal(signals: readonly AbortSignal[]): { signal: AbortSignal; unlink: () => void } {
  const controller = new AbortController();
  const aborted = signals.find((s) => s.aborted);
  if (aborted) {
    controller.abort(aborted.reason);
    return { signal: controller.signal, unlink: () => {} };
  }
  const listeners = signals.map((s) => {
    const onAbort = (): void => controller.abort(s.reason);
    s.addEventListener("abort", onAbort, { once: true });
    return () => s.removeEventListener("abort", onAbort);
  });
  return { signal: controller.signal, unlink: () => listeners.forEach((off) => off()) };
}
