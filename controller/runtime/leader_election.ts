/**
 * Leader election on a `coordination.k8s.io/v1` Lease, with client-go's algorithm (`tools/leaderelection`), written
 * against a three-method {@linkcode LeaseStore} so it can be tested in memory and wired to the API server elsewhere.
 *
 * The algorithm, in short:
 * - A candidate reads the Lease. If it is held by someone else and that holder's lease has not expired, it waits
 *   `retryPeriod` (jittered) and tries again. Expiry is judged by the **local** time at which the candidate last saw
 *   the record change, plus `leaseDurationSeconds`, never by the holder's timestamps: clocks may disagree.
 * - Otherwise it writes itself as holder, with the `resourceVersion` it read: of two candidates, the API server lets
 *   one win and answers the other 409 Conflict.
 * - The leader renews every `retryPeriod`. If it cannot renew for `renewDeadline` (or sees another holder), it stops
 *   leading at once: `leaseDuration > renewDeadline`, so it stops before anyone else may take over.
 * - On graceful shutdown the leader, once its work has drained, releases the Lease (empty holder, 1 s duration), so
 *   another replica takes over at once instead of after `leaseDuration`.
 *
 * @module
 */

import type { KubeClient } from "../kube/client.ts";
import { isNotFound } from "../kube/errors.ts";
import { leases } from "../kube/resources.ts";
import type { Lease as KubeLease } from "../kube/types.ts";
import type { Logger } from "./log.ts";
import type { Registry } from "./metrics.ts";

/** `coordination.k8s.io/v1` LeaseSpec, as on the wire (times are MicroTime strings). */
export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

/** The parts of a `coordination.k8s.io/v1` Lease the election reads; other fields are carried through untouched. */
export interface Lease {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
  spec?: LeaseSpec;
}

/**
 * Access to one Lease. `update` must send the object's `metadata.resourceVersion` (optimistic concurrency); a
 * conflicting write (and `create` of an existing Lease) rejects with an error whose `status` is 409. `create` is
 * given only a `spec`: the store fills in the name and namespace.
 */
export interface LeaseStore {
  /** The Lease, or undefined when it does not exist (404). */
  get(signal?: AbortSignal): Promise<Lease | undefined>;
  create(lease: Lease, signal?: AbortSignal): Promise<Lease>;
  update(lease: Lease, signal?: AbortSignal): Promise<Lease>;
}

/** Options of {@linkcode LeaderElector}. */
export interface LeaderElectorOptions {
  store: LeaseStore;
  /** This replica's identity (ESO/controller-runtime use `<hostname>_<uuid>`). */
  identity: string;
  /** How long a lease is valid without renewal (ESO `--leader-election-lease-duration`). @default {15000} */
  leaseDurationMs?: number;
  /** How long the leader keeps trying to renew before it gives up (`--leader-election-renew-deadline`). @default {10000} */
  renewDeadlineMs?: number;
  /** Time between attempts (`--leader-election-retry-period`). @default {2000} */
  retryPeriodMs?: number;
  /**
   * Runs while this replica leads; `signal` aborts when leadership ends (lost, or shutdown). Resolve once the
   * work has stopped: the Lease is released only after that, so two leaders never act at once.
   */
  onStartedLeading: (signal: AbortSignal) => Promise<void> | void;
  /** Called once when this replica stops leading (lost or released); not called if it never led. */
  onStoppedLeading?: () => void;
  /** Called when the observed holder changes (including to this replica). */
  onNewLeader?: (identity: string) => void;
  /** Release the Lease on graceful shutdown. @default {true} */
  releaseOnCancel?: boolean;
  /** Registers `leader_election_master_status{name}` (1 while leading). */
  registry?: Registry;
  /** The `name` label of that metric, e.g. the Lease's name. @default {"external-secrets-controller"} */
  name?: string;
  logger?: Logger;
  /** Source of randomness in [0, 1) for retry jitter. @default {Math.random} */
  random?: () => number;
}

/** client-go's `JitterFactor`: a candidate waits `retryPeriod × [1, 2.2)` between attempts. */
const JITTER_FACTOR = 1.2;

/** A Lease's time format, `metav1.MicroTime`: RFC 3339 with microseconds. */
export function formatMicroTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

/** Whether `err` is a 409 Conflict (or AlreadyExists) from the store. */
export function isConflict(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { status?: unknown }).status === 409;
}

/**
 * One replica's campaign for a Lease. {@linkcode LeaderElector.start} runs it once: it resolves when leadership
 * ended (lost or released on shutdown) or the signal aborted before leadership was won. After a loss, exit the
 * process (as controller-runtime does) or make a new elector.
 */
export class LeaderElector {
  readonly #store: LeaseStore;
  readonly #identity: string;
  readonly #leaseDurationMs: number;
  readonly #renewDeadlineMs: number;
  readonly #retryPeriodMs: number;
  readonly #onStartedLeading: (signal: AbortSignal) => Promise<void> | void;
  readonly #onStoppedLeading: (() => void) | undefined;
  readonly #onNewLeader: ((identity: string) => void) | undefined;
  readonly #releaseOnCancel: boolean;
  readonly #log: Logger | undefined;
  readonly #random: () => number;
  readonly #status: { set(v: number): void } | undefined;

  /** The last Lease seen or written, and the local time it was first seen in that state. */
  #observed: Lease | undefined;
  #observedRaw = "";
  #observedAt = 0;
  #reportedLeader: string | undefined;
  #leading = false;
  #started = false;

  constructor(options: LeaderElectorOptions) {
    this.#store = options.store;
    this.#identity = options.identity;
    this.#leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.#renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.#retryPeriodMs = options.retryPeriodMs ?? 2_000;
    this.#onStartedLeading = options.onStartedLeading;
    this.#onStoppedLeading = options.onStoppedLeading;
    this.#onNewLeader = options.onNewLeader;
    this.#releaseOnCancel = options.releaseOnCancel ?? true;
    this.#log = options.logger;
    this.#random = options.random ?? Math.random;
    if (this.#identity === "") throw new TypeError("Cannot create leader elector: identity is empty");
    if (!(this.#retryPeriodMs > 0)) {
      throw new RangeError(
        `Cannot create leader elector: retryPeriod must be > 0: current value is ${this.#retryPeriodMs}`,
      );
    }
    if (!(this.#leaseDurationMs > this.#renewDeadlineMs)) {
      throw new RangeError(
        `Cannot create leader elector: leaseDuration must be greater than renewDeadline: current values are ${this.#leaseDurationMs} and ${this.#renewDeadlineMs}`,
      );
    }
    if (!(this.#renewDeadlineMs > JITTER_FACTOR * this.#retryPeriodMs)) {
      throw new RangeError(
        `Cannot create leader elector: renewDeadline must be greater than ${JITTER_FACTOR} × retryPeriod: current values are ${this.#renewDeadlineMs} and ${this.#retryPeriodMs}`,
      );
    }
    this.#status = options.registry?.gauge({
      name: "leader_election_master_status",
      help:
        "Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master. " +
        "'name' is the string used to identify the lease. Please make sure to group by name.",
      labelNames: ["name"],
    }).labels({ name: options.name ?? "external-secrets-controller" });
    this.#status?.set(0);
  }

  /** Whether this replica is leading now. */
  get isLeader(): boolean {
    return this.#leading;
  }

  /** The holder of the Lease as last observed ("" when released), or undefined before the first read. */
  get leader(): string | undefined {
    return this.#observed?.spec?.holderIdentity;
  }

  /**
   * Campaigns until leading, leads until the leadership ends, and resolves. Rejects with the error of
   * `onStartedLeading` if that failed while the signal was not aborted (after releasing the Lease).
   */
  async start(signal: AbortSignal): Promise<void> {
    if (this.#started) throw new Error(`Cannot start leader election for "${this.#identity}": it is already started`);
    this.#started = true;

    while (!signal.aborted) {
      if (await this.#tryAcquireOrRenew(signal)) break;
      await sleep(this.#retryPeriodMs * (1 + this.#random() * JITTER_FACTOR), signal);
    }
    if (signal.aborted) return;

    this.#leading = true;
    this.#status?.set(1);
    this.#log?.info("became leader", { identity: this.#identity });

    const leading = new AbortController();
    const onAbort = (): void => leading.abort(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    const workEnded = new AbortController();
    let workFailed = false;
    let workError: unknown;
    const work = (async () => {
      await this.#onStartedLeading(leading.signal);
    })().catch((err: unknown) => {
      workFailed = true;
      workError = err;
    }).finally(() => workEnded.abort());

    let lost = false;
    while (!workEnded.signal.aborted) {
      await sleep(this.#retryPeriodMs, workEnded.signal);
      if (workEnded.signal.aborted) break;
      if (!(await this.#renew())) {
        lost = true;
        break;
      }
    }
    signal.removeEventListener("abort", onAbort);
    this.#leading = false;
    this.#status?.set(0);

    if (lost) {
      this.#log?.error("lost leadership", { identity: this.#identity, holder: this.leader });
      leading.abort(new Error(`Leadership of "${this.#identity}" was lost`));
      this.#callStopped();
      await work;
    } else {
      leading.abort(signal.reason);
      if (this.#releaseOnCancel) await this.#release();
      this.#callStopped();
    }
    if (workFailed && !signal.aborted) throw workError;
  }

  #callStopped(): void {
    try {
      this.#onStoppedLeading?.();
    } catch (err) {
      this.#log?.error("onStoppedLeading failed", { err });
    }
  }

  /** Renews, retrying every retryPeriod, within renewDeadline. False as soon as another holder is seen. */
  async #renew(): Promise<boolean> {
    const deadline = new AbortController();
    const timer = setTimeout(
      () => deadline.abort(new Error(`Cannot renew lease within ${this.#renewDeadlineMs} ms`)),
      this.#renewDeadlineMs,
    );
    try {
      for (;;) {
        if (await this.#tryAcquireOrRenew(deadline.signal)) return true;
        if (deadline.signal.aborted) return false;
        const holder = this.leader;
        if (holder !== undefined && holder !== "" && holder !== this.#identity) return false;
        await sleep(this.#retryPeriodMs, deadline.signal);
        if (deadline.signal.aborted) return false;
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /** client-go's `tryAcquireOrRenew`. Never throws; with a signal, gives up when it aborts. */
  async #tryAcquireOrRenew(signal: AbortSignal | undefined): Promise<boolean> {
    const now = Date.now();
    const desired: LeaseSpec = {
      holderIdentity: this.#identity,
      leaseDurationSeconds: Math.ceil(this.#leaseDurationMs / 1000),
      acquireTime: formatMicroTime(now),
      renewTime: formatMicroTime(now),
      leaseTransitions: 0,
    };

    // 1. Fast path: the leader updates the Lease it wrote last, without reading it first.
    const mine = this.#observed;
    if (mine !== undefined && this.#holds(mine) && this.#valid(now)) {
      const spec = { ...desired, acquireTime: mine.spec?.acquireTime, leaseTransitions: mine.spec?.leaseTransitions };
      try {
        this.#observe(await this.#call((s) => this.#store.update(withSpec(mine, spec), s), signal), Date.now());
        return true;
      } catch (err) {
        if (signal?.aborted) return false;
        this.#log?.debug("optimistic lease renewal failed, reading the lease", { err });
      }
    }

    // 2. Read it, or create it.
    let current: Lease | undefined;
    try {
      current = await this.#call((s) => this.#store.get(s), signal);
    } catch (err) {
      this.#log?.debug("cannot read lease", { err });
      return false;
    }
    if (current === undefined) {
      try {
        this.#observe(await this.#call((s) => this.#store.create({ spec: desired }, s), signal), Date.now());
        return true;
      } catch (err) {
        this.#log?.debug("cannot create lease", { err, conflict: isConflict(err) });
        return false;
      }
    }

    // 3. Note when the record last changed; respect a valid lease held by someone else.
    if (rawOf(current) !== this.#observedRaw) this.#observe(current, now);
    const holder = current.spec?.holderIdentity ?? "";
    if (holder !== "" && holder !== this.#identity && this.#valid(now)) return false;

    // 4. Take it (a new transition) or renew it (keep acquireTime and transitions).
    const spec: SpecPatch = holder === this.#identity
      ? { ...desired, acquireTime: current.spec?.acquireTime, leaseTransitions: current.spec?.leaseTransitions }
      : { ...desired, leaseTransitions: (current.spec?.leaseTransitions ?? 0) + 1 };
    try {
      this.#observe(await this.#call((s) => this.#store.update(withSpec(current, spec), s), signal), Date.now());
      return true;
    } catch (err) {
      this.#log?.debug("cannot update lease", { err, conflict: isConflict(err) });
      return false;
    }
  }

  /** Releases the Lease if this replica holds it: empty holder, 1 s duration, so others take over at once. */
  async #release(): Promise<void> {
    const mine = this.#observed;
    if (mine === undefined || !this.#holds(mine)) return;
    const now = Date.now();
    const spec: SpecPatch = {
      holderIdentity: "",
      leaseDurationSeconds: 1,
      acquireTime: formatMicroTime(now),
      renewTime: formatMicroTime(now),
      leaseTransitions: mine.spec?.leaseTransitions,
    };
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new Error("Cannot release lease in time")), this.#renewDeadlineMs);
    try {
      this.#observe(await this.#call((s) => this.#store.update(withSpec(mine, spec), s), deadline.signal), now);
      this.#log?.info("released lease", { identity: this.#identity });
    } catch (err) {
      // It expires on its own after leaseDuration.
      this.#log?.warn("cannot release lease", { identity: this.#identity, err });
    } finally {
      clearTimeout(timer);
    }
  }

  /** Runs a store call; with a signal, rejects as soon as it aborts even if the store ignores the signal. */
  #call<T>(fn: (signal: AbortSignal | undefined) => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    if (signal === undefined) return fn(undefined);
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => reject(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      fn(signal).then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
    });
  }

  #holds(lease: Lease): boolean {
    return lease.spec?.holderIdentity === this.#identity;
  }

  /** Whether the observed lease is still valid at `now`, judged by when we observed it. */
  #valid(now: number): boolean {
    const seconds = this.#observed?.spec?.leaseDurationSeconds ?? 0;
    return this.#observedAt + seconds * 1000 > now;
  }

  #observe(lease: Lease, at: number): void {
    this.#observed = lease;
    this.#observedRaw = rawOf(lease);
    this.#observedAt = at;
    const holder = lease.spec?.holderIdentity ?? "";
    if (holder !== "" && holder !== this.#reportedLeader) {
      this.#reportedLeader = holder;
      try {
        this.#onNewLeader?.(holder);
      } catch (err) {
        this.#log?.error("onNewLeader failed", { err });
      }
    }
  }
}

/** Spec fields to write; `undefined` keeps the Lease's current value. */
type SpecPatch = { [K in keyof LeaseSpec]?: LeaseSpec[K] | undefined };

function withSpec(lease: Lease, spec: SpecPatch): Lease {
  return { ...lease, spec: { ...lease.spec, ...dropUndefined(spec) } };
}

function dropUndefined(spec: SpecPatch): LeaseSpec {
  const out: LeaseSpec = {};
  for (const [k, v] of Object.entries(spec)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/** What identifies a record version: its resourceVersion and spec. */
function rawOf(lease: Lease): string {
  const s = lease.spec ?? {};
  return JSON.stringify([
    lease.metadata?.resourceVersion,
    s.holderIdentity,
    s.leaseDurationSeconds,
    s.acquireTime,
    s.renewTime,
    s.leaseTransitions,
  ]);
}

/** Resolves after `ms`, or at once when `signal` aborts; leaves no timer behind. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** A {@link LeaseStore} over the Kubernetes API (coordination.k8s.io/v1 Leases). */
export function kubeLeaseStore(client: KubeClient, namespace: string, name: string): LeaseStore {
  const opts = (signal?: AbortSignal): { namespace: string; signal?: AbortSignal } => ({
    namespace,
    ...(signal ? { signal } : {}),
  });
  return {
    get: async (signal) => {
      try {
        return await client.get(leases, name, opts(signal)) as Lease;
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    },
    create: async (lease, signal) =>
      await client.create(leases, {
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        metadata: { name, namespace },
        spec: lease.spec,
      } as KubeLease, opts(signal)) as Lease,
    update: async (lease, signal) => await client.replace(leases, lease as KubeLease, opts(signal)) as Lease,
  };
}

/**
 * Campaigns on the Lease and runs `opts.onStartedLeading` while leading, until `signal` aborts. Rejects when
 * leadership ends without a shutdown: the process should exit, as controller-runtime's does, so a restart campaigns
 * afresh with clean state.
 */
export async function runWhileLeading(opts: LeaderElectorOptions, signal: AbortSignal): Promise<void> {
  await new LeaderElector(opts).start(signal);
  if (!signal.aborted) throw new Error("leader election lost");
}
