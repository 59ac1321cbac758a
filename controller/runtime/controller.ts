/**
 * A controller: one primary resource, the related resources it watches, a reconcile function, concurrency — the
 * shape of kube-rs' `Controller::new(api).owns(..).watches(..).run(reconcile, error_policy, ctx)` and
 * controller-runtime's builder (For / Owns / Watches).
 *
 * It owns the path informer → predicate → mapper → work queue → reconcile → outcome: watch events of the primary
 * (filtered by its predicate) and of each related informer (mapped to primary keys) enqueue keys; the queue runs the
 * reconcile with backoff; each outcome is logged once and counted in controller-runtime's metrics
 * (`controller_runtime_reconcile_total`, `_errors_total`, `_terminal_reconcile_errors_total`,
 * `_reconcile_time_seconds`, `_active_workers`, `_max_concurrent_reconciles`). Reconcilers declare their watches in
 * their own `controller.ts`; the manager only builds and starts them.
 *
 * @module
 */
import { isConflict } from "../kube/errors.ts";
import type { InformerChange } from "./informer.ts";
import type { ObjectKey } from "./keys.ts";
import type { Logger } from "./log.ts";
import type { Registry } from "./metrics.ts";
import { type Action, type Priority, type ReconcileContext, type ReconcileOutcome, WorkQueue } from "./work_queue.ts";

/** What the controller needs of a cache: its changes, in order, and whether its first list is in. */
export interface ChangeSource<S> {
  subscribe(listener: (change: InformerChange<S>) => void): void;
  readonly synced: boolean;
}

/** A related resource whose changes map to primary keys (controller-runtime's `Watches`), built by {@link watches}. */
export interface Watch {
  connect(enqueue: (key: string) => void): void;
  /** Started with the controller, for a watch that runs its own streams (not an informer's). */
  start?(signal: AbortSignal): void;
}

/** Declares a related watch: every change of `source` enqueues the keys `map` returns. */
export function watches<S>(source: ChangeSource<S>, map: (change: InformerChange<S>) => Iterable<string>): Watch {
  return {
    connect: (enqueue) =>
      source.subscribe((c) => {
        for (const key of map(c)) enqueue(key);
      }),
  };
}

/**
 * A failure the reconciler has already reported (condition, Event, log line). The queue still retries it by its
 * cause (a TerminalError cause: not until the object changes; a ProviderError cause: after its Retry-After).
 */
export class ReportedError extends Error {
  override readonly name = "ReportedError";
}

/** What a controller is made of. */
export interface ControllerSpec<K extends string, S> {
  /** `externalsecret`, `secretstore`: the metrics' `controller` label and the logs' `controller` field. */
  name: string;
  /** The primary resource's cache; its changes enqueue the object's own key (unless `predicate` says no). */
  primary?: {
    informer: ChangeSource<S>;
    /** The key to enqueue for a primary object. */
    key: (object: S) => K;
    /** Whether a change is worth a reconcile (ESO: generation, labels, annotations, finalizers, deletion). */
    predicate?: (change: InformerChange<S>) => boolean;
  };
  /** Related resources mapped to primary keys. */
  watches?: readonly Watch[];
  reconcile: (key: K, ctx: ReconcileContext) => Promise<Action>;
  /** Reconciles in flight at most. */
  concurrency: number;
  registry: Registry;
  log: Logger;
}

/** controller-runtime's reconcile_time_seconds buckets. */
const RECONCILE_BUCKETS = [
  0.005,
  0.01,
  0.025,
  0.05,
  0.075,
  0.1,
  0.15,
  0.2,
  0.25,
  0.3,
  0.35,
  0.4,
  0.45,
  0.5,
  0.6,
  0.7,
  0.8,
  0.9,
  1.0,
  1.25,
  1.5,
  1.75,
  2.0,
  2.5,
  3.0,
  3.5,
  4.0,
  4.5,
  5,
  6,
  7,
  8,
  9,
  10,
  15,
  20,
  25,
  30,
  40,
  50,
  60,
];

/** A running controller: build it, then {@link Controller.start} it (after its informers synced). */
export class Controller<K extends string, S = unknown> {
  readonly name: string;
  readonly #queue: WorkQueue;
  readonly #watches: readonly Watch[];

  constructor(spec: ControllerSpec<K, S>) {
    this.name = spec.name;
    const metrics = registerMetrics(spec.registry, spec.name, spec.concurrency);
    let active = 0;
    this.#queue = new WorkQueue({
      name: spec.name,
      concurrency: spec.concurrency,
      registry: spec.registry,
      reconcile: async (key, ctx) => {
        metrics.active.set(++active);
        try {
          return await spec.reconcile(key as K, ctx);
        } finally {
          metrics.active.set(--active);
        }
      },
      onOutcome: (out) => {
        metrics.record(out);
        logOutcome(spec.log, spec.name, out);
      },
    });
    const p = spec.primary;
    if (p) {
      p.informer.subscribe((c) => {
        if (c.type === "delete" || (p.predicate?.(c) ?? true)) {
          // The initial list goes behind live changes, so a new object is not stuck behind a restart's backlog.
          this.enqueue(p.key(c.object), p.informer.synced ? "high" : "low");
        }
      });
    }
    this.#watches = spec.watches ?? [];
    for (const w of this.#watches) w.connect((key) => this.enqueue(key as K));
  }

  /** Asks for a reconcile of `key` (a change: `high`; a refresh or backlog: `low`). */
  enqueue(key: K | ObjectKey, priority: Priority = "high"): void {
    this.#queue.add(key, priority);
  }

  /** Keys ready to run. */
  get depth(): number {
    return this.#queue.depth;
  }

  /**
   * A liveness check: a reconcile running longer than `maxMs` means a stuck worker (every outbound call has a
   * timeout, so none should), and only a restart frees it.
   */
  stuckWorkerCheck(maxMs: number): () => string | undefined {
    return () => {
      const ms = this.#queue.longestRunningMs();
      return ms > maxMs ? `a ${this.name} reconcile has been running for ${Math.round(ms / 1000)} s` : undefined;
    };
  }

  /** Runs the queue (and watches that run streams of their own) until `signal` aborts; resolves once drained. */
  start(signal: AbortSignal): Promise<void> {
    for (const w of this.#watches) w.start?.(signal);
    return this.#queue.start(signal);
  }
}

function logOutcome(log: Logger, controller: string, out: ReconcileOutcome): void {
  // Failures the reconcilers reported themselves are logged already; a conflict means our cache was behind
  // (retried at once); anything else is unexpected.
  if (out.result !== "error" || out.error instanceof ReportedError) return;
  log[isConflict(out.error) ? "debug" : "warn"]("reconcile failed", { controller, key: out.key, error: out.error });
}

function registerMetrics(
  r: Registry,
  controller: string,
  concurrency: number,
): { active: { set(v: number): void }; record(out: ReconcileOutcome): void } {
  const c = { controller };
  r.gauge({
    name: "controller_runtime_max_concurrent_reconciles",
    help: "Maximum number of concurrent reconciles per controller",
    labelNames: ["controller"],
  }).set(c, concurrency);
  const total = r.counter({
    name: "controller_runtime_reconcile_total",
    help: "Total number of reconciliations per controller",
    labelNames: ["controller", "result"],
  });
  const results = {
    success: total.labels({ controller, result: "success" }),
    error: total.labels({ controller, result: "error" }),
    requeue: total.labels({ controller, result: "requeue" }),
    requeue_after: total.labels({ controller, result: "requeue_after" }),
  };
  const time = r.histogram({
    name: "controller_runtime_reconcile_time_seconds",
    help: "Length of time per reconciliation per controller",
    labelNames: ["controller"],
    buckets: RECONCILE_BUCKETS,
  }).labels(c);
  const errors = r.counter({
    name: "controller_runtime_reconcile_errors_total",
    help: "Total number of reconciliation errors per controller",
    labelNames: ["controller"],
  }).labels(c);
  const terminal = r.counter({
    name: "controller_runtime_terminal_reconcile_errors_total",
    help: "Total number of terminal reconciliation errors per controller",
    labelNames: ["controller"],
  }).labels(c);
  const active = r.gauge({
    name: "controller_runtime_active_workers",
    help: "Number of currently used workers per controller",
    labelNames: ["controller"],
  }).labels(c);
  active.set(0);
  return {
    active,
    record: (out) => {
      results[out.result].inc();
      time.observe(out.durationMs / 1000);
      if (out.result === "error") errors.inc();
      if (out.terminal) terminal.inc();
    },
  };
}
