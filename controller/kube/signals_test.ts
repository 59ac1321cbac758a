import assert from "node:assert/strict";
import { anySignal } from "./signals.ts";

Deno.test("anySignal() aborts with the first source's reason", () => {
  const a = new AbortController();
  const b = new AbortController();
  const { signal } = anySignal([a.signal, b.signal]);
  assert.equal(signal.aborted, false);
  b.abort("because");
  assert.equal(signal.aborted, true);
  assert.equal(signal.reason, "because");
});

Deno.test("anySignal() is aborted at once when a source already is", () => {
  const a = new AbortController();
  a.abort("early");
  assert.equal(anySignal([a.signal]).signal.reason, "early");
});

Deno.test("anySignal() unlink() stops following the sources", () => {
  const a = new AbortController();
  const { signal, unlink } = anySignal([a.signal]);
  unlink();
  a.abort();
  assert.equal(signal.aborted, false);
});

Deno.test("anySignal() still aborts after a garbage collection", async () => {
  const root = new AbortController();
  let derived: AbortSignal | undefined = anySignal([root.signal]).signal;
  const seen = new Promise<void>((resolve) => derived!.addEventListener("abort", () => resolve()));
  derived = undefined; // only the source keeps it alive now
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  await new Promise((r) => setTimeout(r, 10));
  root.abort();
  await seen;
});
