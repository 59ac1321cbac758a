/**
 * A small pool of Deno Workers for renders that would hold the event loop (CPU-heavy functions, long templates), so
 * other ExternalSecrets keep syncing. Each job has a hard timeout that terminates its worker (a single function call
 * cannot be interrupted any other way); the pool and its queue are bounded.
 *
 * The worker runs this very module: a tiny module-source entry imports `import.meta.url`, which is this file when
 * run from source and the whole bundle when bundled (`deno bundle` keeps `import.meta.url`), so the bundle stays a
 * single file. Importing it from that entry keeps `import.meta.main` false in the worker, so a bundled `main()`
 * does not start there. Workers inherit the parent's permissions (they need none beyond reading the module).
 *
 * @module
 */

import { DEFAULT_TEMPLATE_LIMITS, type TemplateLimits } from "./budget.ts";
import { TemplateError } from "./errors.ts";
import { type RenderedSecret, renderSecretTemplate, type TemplateSources, type TemplateSpec } from "./render.ts";

const WORKER_NAME = "kv-operator-template";
/**
 * Workers at most (renders beyond wait in the queue): one core is left to the event loop, which must keep serving
 * every other ExternalSecret (with 2 cores, 1 worker).
 */
let poolSize = Math.max(1, Math.min(2, (globalThis.navigator?.hardwareConcurrency ?? 2) - 1));
/**
 * Renders waiting at most; beyond, a render fails at once with {@link TemplateWorkersBusy} (its ExternalSecret
 * retries with backoff). Small on purpose: a waiting render holds one of the controller's reconcile slots, so heavy
 * templates must not be able to hold them all (running + waiting stays below `--concurrent`'s default of 10).
 */
let queueMax = 4;
/** Past the engine's own time limit, how long a job may run before its worker is terminated. */
let killGraceMs = 1_000;
/**
 * An idle worker is stopped after this long: a worker holds tens of MB, and a live Worker keeps the process alive
 * (a CLI or test would not exit while one waits).
 */
const IDLE_MS = 5_000;

/**
 * Every template worker is busy and the queue is full: not the template's fault, the render should simply be
 * retried later (a caller may requeue without reporting a failure).
 */
export class TemplateWorkersBusy extends TemplateError {
  constructor(running: number, waiting: number) {
    super(`template: all template workers are busy (${running} rendering, ${waiting} waiting); will retry`, {
      templateName: "template",
      phase: "exec",
    });
  }
}

interface Job {
  spec: TemplateSpec;
  data: Record<string, Uint8Array | string>;
  sources: TemplateSources;
  limits: Partial<TemplateLimits>;
  resolve: (r: RenderedSecret) => void;
  reject: (e: unknown) => void;
}

type Reply =
  | { ready: true }
  | { ok: true; rendered: RenderedSecret }
  | {
    ok: false;
    error: {
      message: string;
      templateName: string;
      phase: "parse" | "exec" | "apply";
      line?: number;
      col?: number;
      internal?: boolean;
    };
  };

interface Slot {
  worker: Worker;
  ready: Promise<void>;
  busy: boolean;
  idleTimer?: ReturnType<typeof setTimeout>;
}

const slots: Slot[] = [];
const queue: Job[] = [];
let stats = { rendered: 0, timedOut: 0, started: 0 };

/**
 * Sizes the pool (`workers`, default: cores − 1, at most 2), how many renders may wait for it (`queue`, default 4), and the grace past a render's time limit before its worker is terminated
 * (`killGraceMs`, default 1000). Applies to workers started afterwards.
 */
export function configureTemplateWorkers(opts: { workers?: number; queue?: number; killGraceMs?: number }): void {
  if (opts.workers !== undefined) poolSize = Math.max(1, Math.floor(opts.workers));
  if (opts.queue !== undefined) queueMax = Math.max(0, Math.floor(opts.queue));
  if (opts.killGraceMs !== undefined) killGraceMs = Math.max(0, opts.killGraceMs);
}

/** Whether renders can move off the event loop here (not inside a worker, and Workers exist). */
export function workersAvailable(): boolean {
  return typeof Worker !== "undefined" && !inTemplateWorker();
}

function inTemplateWorker(): boolean {
  const g = globalThis as { WorkerGlobalScope?: unknown; name?: unknown };
  return g.WorkerGlobalScope !== undefined && g.name === WORKER_NAME;
}

/** Whether a render sent now would be taken (a worker is free or may start, or the queue has room). */
export function workersHaveRoom(): boolean {
  return queue.length < queueMax || slots.length < poolSize || slots.some((s) => !s.busy);
}

/** Counters for tests and benchmarks: renders done in workers, workers terminated on timeout, workers started. */
export function templateWorkerStats(): { rendered: number; timedOut: number; started: number } {
  return { ...stats };
}

/** Renders in a worker (queued when all are busy). Rejects with a {@link TemplateError} as the engine would. */
export function renderInWorker(
  spec: TemplateSpec,
  data: Record<string, Uint8Array | string>,
  sources: TemplateSources,
  limits: Partial<TemplateLimits>,
): Promise<RenderedSecret> {
  if (queue.length >= queueMax) return Promise.reject(new TemplateWorkersBusy(poolSize, queue.length));
  return new Promise((resolve, reject) => {
    queue.push({ spec, data, sources, limits, resolve, reject });
    pump();
  });
}

/** Terminates every worker (tests; the process otherwise stays alive while a worker exists). Queued jobs fail. */
export function stopTemplateWorkers(): void {
  for (const s of slots.splice(0)) {
    clearTimeout(s.idleTimer);
    s.worker.terminate();
  }
  for (const j of queue.splice(0)) j.reject(new Error("template workers stopped"));
  stats = { rendered: 0, timedOut: 0, started: 0 };
}

function startWorker(): Slot {
  // a module-source entry, so that the bundle imported by it is not the worker's main module
  const src = `await import(${JSON.stringify(import.meta.url)});`;
  const url = URL.createObjectURL(new Blob([src], { type: "text/javascript" }));
  const worker = new Worker(url, { type: "module", name: WORKER_NAME });
  // listeners, not handlers: run() sets the job's handlers right away
  const ready = new Promise<void>((resolve, reject) => {
    worker.addEventListener("message", (e: MessageEvent<Reply>) => {
      if ("ready" in e.data) resolve();
    });
    worker.addEventListener("error", () => reject(new Error("template worker failed to start")));
  });
  ready.finally(() => URL.revokeObjectURL(url)).catch(() => {});
  stats.started++;
  return { worker, ready, busy: false };
}

function pump(): void {
  while (queue.length > 0) {
    let slot = slots.find((s) => !s.busy);
    if (!slot && slots.length < poolSize) {
      slot = startWorker();
      slots.push(slot);
    }
    if (!slot) return;
    run(slot, queue.shift()!);
  }
}

function retire(slot: Slot): void {
  const i = slots.indexOf(slot);
  if (i >= 0) slots.splice(i, 1);
  clearTimeout(slot.idleTimer);
  slot.worker.terminate();
}

function run(slot: Slot, job: Job): void {
  slot.busy = true;
  clearTimeout(slot.idleTimer);
  const timeoutMs = job.limits.timeoutMs ?? DEFAULT_TEMPLATE_LIMITS.timeoutMs;
  let settled = false;
  let killer: ReturnType<typeof setTimeout> | undefined;
  const finish = (): void => {
    settled = true;
    clearTimeout(killer);
    slot.busy = false;
    slot.idleTimer = setTimeout(() => retire(slot), IDLE_MS);
    pump();
  };
  slot.worker.onmessage = (e: MessageEvent<Reply>) => {
    const r = e.data;
    if ("ready" in r || settled) return;
    finish();
    stats.rendered++;
    if (r.ok) return job.resolve(r.rendered);
    const { message, internal, ...opts } = r.error;
    job.reject(internal ? new Error(message) : new TemplateError(message, opts));
  };
  const abandon = (err: unknown): void => {
    settled = true;
    clearTimeout(killer);
    retire(slot);
    job.reject(err);
    pump();
  };
  slot.worker.onerror = (e) => {
    e.preventDefault();
    if (settled) return;
    // an uncaught error inside the worker: its message is not vetted for data, so it is not passed on
    abandon(new TemplateError("template: the template worker failed", { templateName: "template", phase: "exec" }));
  };
  slot.ready.then(
    () => {
      if (settled) return;
      slot.worker.postMessage({ spec: job.spec, data: job.data, sources: job.sources, limits: job.limits });
      // the hard stop: a function call the engine cannot interrupt (it checks its clock between calls)
      killer = setTimeout(() => {
        if (settled) return;
        stats.timedOut++;
        abandon(
          new TemplateError(`template: template limit: rendering took longer than ${timeoutMs} ms (stopped)`, {
            templateName: "template",
            phase: "exec",
          }),
        );
      }, timeoutMs + killGraceMs);
    },
    (err) => {
      if (!settled) abandon(err);
    },
  );
}

// ---------------------------------------------------------------------------------------------------------------------
// Inside a worker

interface Request {
  spec: TemplateSpec;
  data: Record<string, Uint8Array | string>;
  sources: TemplateSources;
  limits: Partial<TemplateLimits>;
}

if (inTemplateWorker()) {
  const scope = globalThis as unknown as {
    onmessage: ((e: MessageEvent<Request>) => void) | null;
    postMessage(m: Reply): void;
  };
  scope.onmessage = async (e: MessageEvent<Request>): Promise<void> => {
    const { spec, data, sources, limits } = e.data;
    try {
      const rendered = await renderSecretTemplate(spec, data, sources, { limits, offload: "never" });
      scope.postMessage({ ok: true, rendered });
    } catch (err) {
      if (err instanceof TemplateError) {
        const error: Extract<Reply, { ok: false }>["error"] = {
          message: err.message,
          templateName: err.templateName,
          phase: err.phase,
        };
        if (err.line !== undefined) error.line = err.line;
        if (err.col !== undefined) error.col = err.col;
        scope.postMessage({ ok: false, error });
      } else {
        // not the template's fault; the name only, as an engine error may not be vetted for data
        const name = err instanceof Error ? err.name : "unknown";
        scope.postMessage({
          ok: false,
          error: { message: `template worker: ${name}`, templateName: "template", phase: "exec", internal: true },
        });
      }
    }
  };
  scope.postMessage({ ready: true });
}
