/**
 * The ClusterExternalSecret controller (ESO's `clusterexternalsecret` controller): its watches and the thin executor
 * around `plan.ts`.
 *
 * Watches, as ESO's `SetupWithManager` (For CES, Owns ExternalSecret, Watches Namespace with `NamespacePredicate`):
 * - a ClusterExternalSecret, when its generation, labels, annotations (force-sync), finalizers or deletion change —
 *   never for our own status writes;
 * - a Namespace created, deleted or relabelled, to every ClusterExternalSecret selecting it before or after;
 * - an ExternalSecret it controls, when its spec or metadata changed (drift is put back at once) or it was deleted;
 *   and any ExternalSecret deleted, to the ClusterExternalSecrets whose children bear its name (a namespace that
 *   failed because of it can be provisioned now). Status writes of the ExternalSecret controller map to nothing.
 *
 * The namespace cache holds names and labels only (`summarizeNamespace`).
 *
 * @module
 */
import { clusterExternalSecrets, externalSecrets } from "../../api/resources.ts";
import type { ClusterExternalSecret, ClusterExternalSecretStatus, ExternalSecret } from "../../api/types.ts";
import type { KubeClient } from "../../kube/client.ts";
import { isAlreadyExists, isConflict, isInvalid, isNotFound, KubeApiError } from "../../kube/errors.ts";
import { addFinalizerPatch, mergePatch, removeFinalizerPatch } from "../../kube/patch.ts";
import type { Namespace } from "../../kube/types.ts";
import { Controller, ReportedError, watches } from "../../runtime/controller.ts";
import type { Informer, InformerChange } from "../../runtime/informer.ts";
import { type ObjectKey, objectKey } from "../../runtime/keys.ts";
import type { Logger } from "../../runtime/log.ts";
import type { Registry } from "../../runtime/metrics.ts";
import { type Action, awaitChange, requeue, TerminalError } from "../../runtime/work_queue.ts";
import { type ControllerMetrics, dropConditionGauge, setConditionGauge } from "../metrics.ts";
import {
  canonical,
  CES_FINALIZER,
  cesStatus,
  childName,
  type ChildRef,
  type ChildWrite,
  controllingCes,
  type NamespaceSummary,
  planClusterExternalSecret,
  selects,
} from "./plan.ts";

/** Index of ExternalSecrets by the ClusterExternalSecret controlling them. */
export const BY_OWNER = "ces-owner";
/** Index of ClusterExternalSecrets by their children's name. */
export const BY_CHILD_NAME = "child-name";

/** Writes in flight at once within one reconcile (50 namespaces: five rounds, not 50 at once). */
const WRITE_PARALLELISM = 10;

/** What the controller is built from. */
export interface ClusterExternalSecretOptions {
  client: KubeClient;
  clusterExternalSecrets: Informer<ClusterExternalSecret, ClusterExternalSecret>;
  namespaces: Informer<Namespace, NamespaceSummary>;
  externalSecrets: Informer<ExternalSecret, ExternalSecret>;
  metrics: ControllerMetrics;
  registry: Registry;
  log: Logger;
  concurrency: number;
}

/**
 * Spec or metadata changed, not status. For a ClusterExternalSecret its finalizers count (one taken away is put
 * back); for a child they do not (the ExternalSecret controller adds its own), its owner references do.
 */
function changed(
  old: ExternalSecret | ClusterExternalSecret | undefined,
  cur: ExternalSecret | ClusterExternalSecret,
  extra: "finalizers" | "ownerReferences",
): boolean {
  if (!old) return true;
  const a = old.metadata;
  const b = cur.metadata;
  return a.generation !== b.generation || a.deletionTimestamp !== b.deletionTimestamp ||
    JSON.stringify([a.labels, a.annotations, a[extra]]) !== JSON.stringify([b.labels, b.annotations, b[extra]]);
}

/** Builds the controller and indexes its informers (call before they start). */
export function clusterExternalSecretController(
  o: ClusterExternalSecretOptions,
): Controller<ObjectKey, ClusterExternalSecret> {
  o.externalSecrets.addIndex(BY_OWNER, (es) => {
    const owner = controllingCes(es);
    return owner ? [owner] : [];
  });
  o.clusterExternalSecrets.addIndex(BY_CHILD_NAME, (ces) => [childName(ces)]);
  const reconciler = new ClusterExternalSecretReconciler(o);
  const cesKeys = (pred: (ces: ClusterExternalSecret) => boolean): ObjectKey[] =>
    [...o.clusterExternalSecrets.list()].filter(pred).map((c) => objectKey(c.metadata));
  const byNamespace = (c: InformerChange<NamespaceSummary>): ObjectKey[] => {
    const old = c.type === "apply" ? c.old : undefined;
    // ESO's NamespacePredicate: creations, deletions and label changes.
    if (old && JSON.stringify(old.metadata.labels ?? {}) === JSON.stringify(c.object.metadata.labels ?? {})) return [];
    return cesKeys((ces) => selects(ces, c.object) || (old !== undefined && selects(ces, old)));
  };
  const byChild = (c: InformerChange<ExternalSecret>): ObjectKey[] => {
    const old = c.type === "apply" ? c.old : undefined;
    const keys = new Set<ObjectKey>();
    if (c.type === "delete" || changed(old, c.object, "ownerReferences")) {
      for (const owner of [controllingCes(c.object), old && controllingCes(old)]) {
        if (owner) keys.add(objectKey({ name: owner }));
      }
    }
    if (c.type === "delete") {
      for (const k of o.clusterExternalSecrets.keysBy(BY_CHILD_NAME, c.object.metadata.name!)) keys.add(k);
    }
    return [...keys];
  };
  return new Controller<ObjectKey, ClusterExternalSecret>({
    name: "clusterexternalsecret",
    primary: {
      informer: o.clusterExternalSecrets,
      key: (ces) => objectKey(ces.metadata),
      predicate: (c) => c.type === "apply" && changed(c.old, c.object, "finalizers"),
    },
    watches: [watches(o.namespaces, byNamespace), watches(o.externalSecrets, byChild)],
    reconcile: (key) => reconciler.reconcile(key),
    concurrency: o.concurrency,
    registry: o.registry,
    log: o.log,
  });
}

/**
 * The controller when its caches were built (the reconciler is on; `caches.ts`), else none. `log` is the manager's:
 * the controller logs as `clusterexternalsecret`.
 */
export function clusterExternalSecretControllers(
  caches: {
    ces?: Pick<ClusterExternalSecretOptions, "clusterExternalSecrets" | "namespaces">;
    externalSecrets: ClusterExternalSecretOptions["externalSecrets"];
  },
  deps: Omit<ClusterExternalSecretOptions, "clusterExternalSecrets" | "namespaces" | "externalSecrets">,
): Controller<ObjectKey, ClusterExternalSecret>[] {
  if (!caches.ces) return [];
  const log = deps.log.child({ controller: "clusterexternalsecret" });
  return [clusterExternalSecretController({ ...deps, ...caches.ces, externalSecrets: caches.externalSecrets, log })];
}

/** The apiserver's message, as ESO's `err.Error()` gives it, without our request description. */
function reasonOf(e: unknown): string {
  return e instanceof KubeApiError ? e.serverMessage || e.message : (e as Error).message;
}

/** Carries out the plan: the ExternalSecret writes and deletions, then the status, the gauges and the next pass. */
export class ClusterExternalSecretReconciler {
  readonly #o: ClusterExternalSecretOptions;

  constructor(options: ClusterExternalSecretOptions) {
    this.#o = options;
  }

  /** Reconciles the ClusterExternalSecret `name`. Throws to ask for a retry with back-off. */
  async reconcile(key: ObjectKey): Promise<Action> {
    const o = this.#o;
    const labels = { name: key, namespace: "" };
    const cached = o.clusterExternalSecrets.get(key);
    if (!cached) {
      // ESO's cesmetrics.RemoveMetrics.
      dropConditionGauge(o.metrics.cesCondition, { name: key }, "Ready");
      o.metrics.cesReconcileDuration.remove(labels);
      return awaitChange();
    }
    const started = performance.now();
    try {
      if (cached.metadata.deletionTimestamp) return await this.#finalize(cached);
      return await this.#sync(await this.#withFinalizer(cached));
    } finally {
      // ESO's clusterexternalsecret_reconcile_duration{name,namespace=""}, in nanoseconds.
      o.metrics.cesReconcileDuration.set(labels, (performance.now() - started) * 1e6);
    }
  }

  #owned(name: string): ExternalSecret[] {
    const es = this.#o.externalSecrets;
    return es.keysBy(BY_OWNER, name).map((k) => es.get(k)).filter((x): x is ExternalSecret => x !== undefined);
  }

  async #sync(ces: ClusterExternalSecret): Promise<Action> {
    const o = this.#o;
    const name = ces.metadata.name!;
    const plan = planClusterExternalSecret({
      ces,
      namespaces: o.namespaces.list(),
      childIn: (namespace, es) => o.externalSecrets.get(objectKey({ namespace, name: es })),
      owned: this.#owned(name),
    });
    if (plan.kind === "finalize") return await this.#finalize(ces);
    if (plan.kind === "invalid") {
      await this.#publish(ces, plan.status);
      const reason = plan.status.failedNamespaces?.[0]?.reason ?? "invalid";
      throw new ReportedError(reason, { cause: new TerminalError(reason) });
    }
    const failed = { ...plan.failed };
    for (const [ref, e] of await this.#delete(plan.deletes)) {
      failed[ref.namespace] = `external secret in non matching namespace could not be deleted: ${reasonOf(e)}`;
    }
    const provisioned = [...plan.unchanged];
    let retry: unknown;
    for (let i = 0; i < plan.writes.length; i += WRITE_PARALLELISM) {
      const round = plan.writes.slice(i, i + WRITE_PARALLELISM);
      const results = await Promise.allSettled(round.map((w) => this.#write(w)));
      results.forEach((r, j) => {
        const ns = round[j]!.namespace;
        if (r.status === "fulfilled") return void provisioned.push(ns);
        failed[ns] = `could not create or update ExternalSecret: ${reasonOf(r.reason)}`;
        // Our cache was behind (ESO: a conflict requeues at once): retried with back-off.
        if (isConflict(r.reason) || isAlreadyExists(r.reason)) retry ??= r.reason;
      });
    }
    await this.#publish(ces, cesStatus(ces, plan.esName, provisioned, failed));
    if (plan.writes.length || plan.deletes.length) {
      const created = plan.writes.filter((w) => w.create).length;
      o.log.info("ClusterExternalSecret reconciled", {
        name,
        created,
        updated: plan.writes.length - created,
        deleted: plan.deletes.length,
        failed: Object.keys(failed).length,
      });
    }
    if (retry) throw new ReportedError("a child ExternalSecret changed meanwhile; retrying", { cause: retry });
    return plan.requeueMs === null ? awaitChange() : requeue(plan.requeueMs);
  }

  #write(w: ChildWrite): Promise<ExternalSecret> {
    const c = this.#o.client;
    const opts = { namespace: w.namespace };
    return w.create ? c.create(externalSecrets, w.object, opts) : c.replace(externalSecrets, w.object, opts);
  }

  /** Deletes children (gone already is fine); returns those that could not be deleted, with why. */
  async #delete(refs: readonly ChildRef[]): Promise<[ChildRef, unknown][]> {
    const failures: [ChildRef, unknown][] = [];
    await Promise.all(refs.map(async (ref) => {
      try {
        await this.#o.client.delete(externalSecrets, ref.name, { namespace: ref.namespace });
      } catch (e) {
        if (!isNotFound(e)) failures.push([ref, e]);
      }
    }));
    return failures;
  }

  /** ESO's cleanup: every child goes, then the finalizer. */
  async #finalize(ces: ClusterExternalSecret): Promise<Action> {
    if (!ces.metadata.finalizers?.includes(CES_FINALIZER)) return awaitChange();
    const failures = await this.#delete(
      this.#owned(ces.metadata.name!).map((es) => ({
        namespace: es.metadata.namespace!,
        name: es.metadata.name!,
      })),
    );
    if (failures.length) throw failures[0]![1];
    const patch = removeFinalizerPatch(ces, CES_FINALIZER);
    if (patch) {
      await this.#o.client.patch(clusterExternalSecrets, ces.metadata.name!, patch).catch((e) => {
        if (!isNotFound(e)) throw e;
      });
    }
    return awaitChange();
  }

  /** Adds the finalizer (the patch tests what the cache saw; if the cache was behind, read again and retry once). */
  async #withFinalizer(cached: ClusterExternalSecret): Promise<ClusterExternalSecret> {
    const c = this.#o.client;
    let ces = cached;
    for (let attempt = 0;; attempt++) {
      const patch = addFinalizerPatch(ces, CES_FINALIZER);
      if (!patch) return ces;
      try {
        return await c.patch(clusterExternalSecrets, ces.metadata.name!, patch);
      } catch (e) {
        if (!isInvalid(e) || attempt > 0) throw e;
        ces = await c.get(clusterExternalSecrets, ces.metadata.name!);
      }
    }
  }

  /** Writes the status when it changed (a merge patch: emptied lists are removed) and sets ESO's gauge. */
  async #publish(ces: ClusterExternalSecret, status: ClusterExternalSecretStatus): Promise<void> {
    const o = this.#o;
    const name = ces.metadata.name!;
    const ready = status.conditions?.find((x) => x.type === "Ready");
    // ESO only ever exports status="True" (cesmetrics returns early otherwise); here False is exported as well.
    if (ready) setConditionGauge(o.metrics.cesCondition, { name }, "Ready", ready.status);
    if (canonical(status) === canonical(ces.status ?? {})) return;
    const patch = {
      status: {
        ...status,
        failedNamespaces: status.failedNamespaces ?? null,
        provisionedNamespaces: status.provisionedNamespaces ?? null,
      },
    };
    await o.client.patch(clusterExternalSecrets, name, mergePatch(patch), { subresource: "status" }).catch((e) => {
      if (!isNotFound(e)) throw e;
    });
    if (ready?.status === "False") o.log.warn("ClusterExternalSecret not ready", { name, error: ready.message });
  }
}
