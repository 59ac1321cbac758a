/**
 * Work queue throughput with 50,000 keys (`tools/deno/deno bench controller/runtime/work_queue_bench.ts`).
 *
 * Prints adds/s and processed/s once, then lets `Deno.bench` time the same scenarios. Figures only: nothing here
 * fails on speed.
 *
 * @module
 */
import { type Action, awaitChange, requeue, WorkQueue } from "./work_queue.ts";

const N = 50_000;
const KEYS = Array.from({ length: N }, (_, i) => `namespace-${i % 500}/externalsecret-${i}`);

/** Adds every key, starts the queue and resolves when every key was reconciled once. */
async function processAll(result: () => Action, concurrency: number): Promise<{ addMs: number; runMs: number }> {
  let done = 0;
  let finish!: () => void;
  const all = new Promise<void>((r) => (finish = r));
  const queue = new WorkQueue({
    name: "bench",
    concurrency,
    reconcile: () => {
      if (++done === N) finish();
      return Promise.resolve(result());
    },
  });
  const t0 = performance.now();
  for (const k of KEYS) queue.add(k);
  const t1 = performance.now();
  const ac = new AbortController();
  const stopped = queue.start(ac.signal);
  await all;
  const t2 = performance.now();
  ac.abort();
  await stopped;
  return { addMs: t1 - t0, runMs: t2 - t1 };
}

function addAfterAll(): number {
  const queue = new WorkQueue({ name: "bench", reconcile: () => Promise.resolve(awaitChange()) });
  const t0 = performance.now();
  // Due times spread over an hour, in a scrambled order: every insert walks the heap.
  for (let i = 0; i < N; i++) queue.addAfter(KEYS[i]!, 1 + ((i * 7919) % 3_600_000));
  // Earlier due time for every key: one decrease-key each.
  for (let i = 0; i < N; i++) queue.addAfter(KEYS[i]!, 1 + ((i * 7919) % 1_800_000));
  return performance.now() - t0;
}

function rate(count: number, ms: number): string {
  return `${Math.round((count / ms) * 1000).toLocaleString("en-US")}/s`;
}

function print(line: string): void {
  Deno.stdout.writeSync(new TextEncoder().encode(`${line}\n`));
}

// One measured pass of each scenario, printed as figures (after a warm-up pass).
await processAll(() => requeue(3_600_000), 64);
{
  const a = await processAll(() => awaitChange(), 1);
  const b = await processAll(() => requeue(3_600_000), 64);
  const heapMs = addAfterAll();
  print(`work queue, ${N.toLocaleString("en-US")} keys:`);
  print(`  add (new keys, high priority)            ${rate(N, a.addMs)}`);
  print(`  addAfter (heap insert + decrease-key)    ${rate(2 * N, heapMs)}`);
  print(`  processed, concurrency 1, awaitChange     ${rate(N, a.runMs)}`);
  print(`  processed, concurrency 64, requeue(1 h)   ${rate(N, b.runMs)} (each completion re-enters the heap)`);
}

Deno.bench(`add ${N} keys`, { group: "add" }, () => {
  const q = new WorkQueue({ name: "bench", reconcile: () => Promise.resolve(awaitChange()) });
  for (const k of KEYS) q.add(k);
});

Deno.bench(`addAfter ${N} keys twice (insert, then earlier)`, { group: "add" }, () => {
  addAfterAll();
});

Deno.bench(`process ${N} keys, concurrency 1, awaitChange`, { group: "process" }, async () => {
  await processAll(() => awaitChange(), 1);
});

Deno.bench(`process ${N} keys, concurrency 64, requeue(1 h)`, { group: "process" }, async () => {
  await processAll(() => requeue(3_600_000), 64);
});
