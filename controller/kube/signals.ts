/**
 * A signal linked to others by plain listeners, so the link's lifetime is explicit (`unlink`) and holds through
 * garbage collection. Found while chasing a shutdown hang: in Deno 2.9, aborting a `fetch` does not end its body once
 * the Response object was collected (a watch aborted after a forced GC never ended). That is fixed where streams are
 * read (client.ts keeps the Response, watch.ts cancels its reader); these links avoid depending on what the runtime
 * keeps alive for `AbortSignal.any`.
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
