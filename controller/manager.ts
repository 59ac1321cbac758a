/**
 * Wires the controller: informer caches (ExternalSecrets, both store kinds, and only the Secrets we manage), the two
 * work queues, the reconcilers, the Azure provider with its vault budget, health/metrics and leader election.
 *
 * Watch events are filtered and mapped the way ESO does it: an ExternalSecret is enqueued when its generation,
 * labels, annotations, finalizers or deletion change (never for our own status writes); a managed Secret's change
 * enqueues the ExternalSecret targeting it (drift and deletion are repaired at once); a store's change enqueues the
 * store and, when its spec or readiness changed, the ExternalSecrets using it.
 *
 * @module
 */
import type { ClusterSecretStore, ExternalSecret, SecretStore } from "./api/types.ts";
import type { KubeClient } from "./kube/client.ts";
import { isWatchHealthy } from "./kube/watch.ts";
import { isConflict, isNotFound } from "./kube/errors.ts";
import { clusterSecretStores, externalSecrets, leases, secrets, secretStores } from "./kube/resources.ts";
import type { Lease as KubeLease, Secret, UntypedObject } from "./kube/types.ts";
import { AzureKeyVaultProvider } from "./providers/azure/provider.ts";
import { getCondition } from "./reconcile/conditions.ts";
import { ExternalSecretReconciler, ReportedError, targetIndexKey } from "./reconcile/external_secret.ts";
import { targetName } from "./reconcile/external_secret_plan.ts";
import { FetchCache } from "./reconcile/fetch_cache.ts";
import { dropConditionGauge, registerControllerMetrics } from "./reconcile/metrics.ts";
import { LABEL_MANAGED, summarizeSecret, type TargetSecret } from "./reconcile/refresh.ts";
import { SecretStoreReconciler } from "./reconcile/secret_store.ts";
import { KubeCredentialSource, StoreClientCache, storeKey } from "./reconcile/store_clients.ts";
import { EventRecorder } from "./runtime/events.ts";
import { HealthServer, staleAfter } from "./runtime/health.ts";
import { Informer, type InformerChange } from "./runtime/informer.ts";
import { keyFraction } from "./runtime/jitter.ts";
import { LeaderElector, type Lease, type LeaseStore } from "./runtime/leader_election.ts";
import type { Logger } from "./runtime/log.ts";
import { registerProcessMetrics, Registry } from "./runtime/metrics.ts";
import { HostRateLimiter } from "./runtime/rate_limiter.ts";
import { WorkQueue } from "./runtime/work_queue.ts";

/** Everything the manager is configured with (the flags of `main.ts`). */
export interface ManagerOptions {
  client: KubeClient;
  log: Logger;
  /** Told every secret value read (from Key Vault or a credentials Secret), so logs can scrub it. */
  secretSeen?: (value: Uint8Array | string) => void;
  /** Watch only this namespace (ESO's `--namespace`); all when undefined. */
  namespace?: string;
  controllerClass: string;
  concurrency: number;
  floodGate: boolean;
  storeRequeueMs: number;
  health: { hostname: string; port: number } | undefined;
  leaderElection?: {
    id: string;
    namespace: string;
    identity: string;
    leaseDurationMs: number;
    renewDeadlineMs: number;
    retryPeriodMs: number;
  };
  azure: { authorityHost?: string; disableChallengeResourceVerification?: boolean };
  vault: { ratePerSecond: number; burst: number };
  /** Called once caches are synced and (if elected) this replica leads: the controller is ready. */
  onReady?: () => void;
}

const MANAGED_SELECTOR = `${LABEL_MANAGED}=true`;

function metaChanged(old: ExternalSecret | undefined, cur: ExternalSecret): boolean {
  if (!old) return true;
  const a = old.metadata;
  const b = cur.metadata;
  return a.generation !== b.generation || a.deletionTimestamp !== b.deletionTimestamp ||
    JSON.stringify([a.labels, a.annotations, a.finalizers]) !== JSON.stringify([b.labels, b.annotations, b.finalizers]);
}

function storeChanged(
  old: SecretStore | ClusterSecretStore | undefined,
  cur: SecretStore | ClusterSecretStore,
): boolean {
  if (!old) return true;
  const ra = getCondition(old.status?.conditions, "Ready");
  const rb = getCondition(cur.status?.conditions, "Ready");
  return old.metadata.generation !== cur.metadata.generation || ra?.status !== rb?.status ||
    ra?.message !== rb?.message;
}

/** A LeaseStore over the Kubernetes API. */
function kubeLeaseStore(client: KubeClient, namespace: string, name: string): LeaseStore {
  const opts = { namespace };
  return {
    get: async (signal) => {
      try {
        return await client.get(leases, name, { ...opts, ...(signal ? { signal } : {}) }) as Lease;
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
      } as KubeLease, { ...opts, ...(signal ? { signal } : {}) }) as Lease,
    update: async (lease, signal) =>
      await client.replace(leases, lease as KubeLease, { ...opts, ...(signal ? { signal } : {}) }) as Lease,
  };
}

/** The running controller. */
export class Manager {
  readonly registry = new Registry();
  readonly #o: ManagerOptions;

  constructor(options: ManagerOptions) {
    this.#o = options;
  }

  /** Runs until `signal` aborts; resolves after in-flight reconciles finished. */
  async start(signal: AbortSignal): Promise<void> {
    const o = this.#o;
    const log = o.log;
    registerProcessMetrics(this.registry);
    const metrics = registerControllerMetrics(this.registry);
    const limiter = new HostRateLimiter({ ratePerSecond: o.vault.ratePerSecond, burst: o.vault.burst });
    const azure = new AzureKeyVaultProvider({
      ...(o.azure.authorityHost ? { authorityHost: o.azure.authorityHost } : {}),
      ...(o.azure.disableChallengeResourceVerification ? { disableChallengeResourceVerification: true } : {}),
      budget: { acquire: (h, s) => limiter.acquire(h, s), throttled: (h, ms) => limiter.block(h, ms) },
      observe: (call, status) => metrics.providerCalls.inc({ provider: "Azure/KeyVault", call, status }),
    });
    const fetches = new FetchCache();
    const credentials = new KubeCredentialSource(o.client, o.secretSeen ? { onValue: o.secretSeen } : {});
    const clients = new StoreClientCache({ azurekv: azure }, credentials);
    const events = new EventRecorder(o.client, {
      onError: (e) => log.warn("could not record an event", { error: e }),
    });
    const ns = o.namespace !== undefined ? { namespace: o.namespace } : {};
    const onWatchError = (what: string) => (e: unknown) =>
      log.warn("watch failed; retrying", { resource: what, error: e });

    // The queues need the reconcilers, which need the informers, whose callbacks feed the queues: tie the knot here.
    const queues: { es?: WorkQueue; store?: WorkQueue } = {};
    const enqueueEs = (key: string, priority: "high" | "low" = "high"): void => queues.es?.add(key, priority);
    // When each ExternalSecret's last spec/label/annotation change was seen: a forced sync reads after it.
    const changedAt = new Map<string, number>();

    const esInformer = new Informer<UntypedObject, ExternalSecret>(o.client, externalSecrets, {
      ...ns,
      transform: (obj) => obj as unknown as ExternalSecret,
      onChange: (c: InformerChange<ExternalSecret>) => {
        const key = `${c.object.metadata.namespace}/${c.object.metadata.name}`;
        if (c.type === "delete") {
          changedAt.delete(key);
          dropConditionGauge(metrics.esCondition, {
            name: c.object.metadata.name!,
            namespace: c.object.metadata.namespace!,
          }, "Ready");
          return;
        }
        // The initial list goes behind live changes, so a new ExternalSecret is not stuck behind a restart's backlog.
        if (metaChanged(c.old, c.object)) {
          changedAt.set(key, Date.now());
          enqueueEs(key, esInformer.synced ? "high" : "low");
        }
      },
      onError: onWatchError("externalsecrets"),
    });
    esInformer.addIndex("target", (es) => [targetIndexKey(es.metadata.namespace!, targetName(es))]);
    esInformer.addIndex("store", (es) => {
      const kind = es.spec.secretStoreRef?.kind ?? "SecretStore";
      const name = es.spec.secretStoreRef?.name;
      if (!name) return [];
      return [kind === "ClusterSecretStore" ? storeKey(kind, name) : storeKey(kind, name, es.metadata.namespace)];
    });

    const onStoreChange =
      (kind: "SecretStore" | "ClusterSecretStore") => (c: InformerChange<SecretStore | ClusterSecretStore>): void => {
        const m = c.object.metadata;
        const key = kind === "ClusterSecretStore" ? m.name! : `${m.namespace}/${m.name}`;
        const id = storeKey(kind, m.name!, kind === "SecretStore" ? m.namespace : undefined);
        queues.store?.add(`${kind}|${key}`);
        // A deleted store's values need not wait for their keep time to leave memory.
        if (c.type === "delete") fetches.forget(`${id}@`);
        if (c.type === "delete" || storeChanged(c.old, c.object)) {
          for (const es of esInformer.keysBy("store", id)) enqueueEs(es);
        }
      };
    const ssInformer = new Informer<UntypedObject, SecretStore>(o.client, secretStores, {
      ...ns,
      transform: (obj) => obj as unknown as SecretStore,
      onChange: onStoreChange("SecretStore"),
      onError: onWatchError("secretstores"),
    });
    const cssInformer = new Informer<UntypedObject, ClusterSecretStore>(o.client, clusterSecretStores, {
      transform: (obj) => obj as unknown as ClusterSecretStore,
      onChange: onStoreChange("ClusterSecretStore"),
      onError: onWatchError("clustersecretstores"),
    });
    const targetInformer = new Informer<Secret, TargetSecret>(o.client, secrets, {
      ...ns,
      labelSelector: MANAGED_SELECTOR,
      transform: summarizeSecret,
      onChange: (c) => {
        for (
          const es of esInformer.keysBy("target", targetIndexKey(c.object.metadata.namespace!, c.object.metadata.name!))
        ) {
          enqueueEs(es);
        }
      },
      onError: onWatchError("secrets"),
    });
    const informers = [esInformer, ssInformer, cssInformer, targetInformer];

    const esReconciler = new ExternalSecretReconciler({
      client: o.client,
      externalSecrets: esInformer,
      targets: targetInformer,
      secretStores: ssInformer,
      clusterSecretStores: cssInformer,
      clients,
      fetches,
      events,
      metrics,
      log: log.child({ controller: "externalsecret" }),
      controllerClass: o.controllerClass,
      floodGate: o.floodGate,
      changedAt: (key) => changedAt.get(key),
      ...(o.secretSeen ? { secretSeen: o.secretSeen } : {}),
      jitter: keyFraction,
      now: () => new Date(),
    });
    const storeReconciler = new SecretStoreReconciler({
      client: o.client,
      secretStores: ssInformer,
      clusterSecretStores: cssInformer,
      clients,
      events,
      metrics,
      log: log.child({ controller: "secretstore" }),
      controllerClass: o.controllerClass,
      requeueMs: o.storeRequeueMs,
      forgetCredentials: () => credentials.forget(),
      now: () => new Date(),
    });
    const outcome =
      (name: string) => (out: { key: string; result: string; error?: unknown; terminal: boolean }): void => {
        // Failures the reconcilers reported themselves are logged already; a conflict means our cache was behind
        // (retried at once); anything else is unexpected.
        if (out.result !== "error" || out.error instanceof ReportedError) return;
        log[isConflict(out.error) ? "debug" : "warn"]("reconcile failed", {
          controller: name,
          key: out.key,
          error: out.error,
        });
      };
    const esQueue = queues.es = new WorkQueue({
      name: "externalsecret",
      concurrency: o.concurrency,
      registry: this.registry,
      reconcile: (key, ctx) => esReconciler.reconcile(key, ctx.signal),
      onOutcome: outcome("externalsecret"),
    });
    const storeQueue = queues.store = new WorkQueue({
      name: "secretstore",
      concurrency: Math.max(1, Math.min(o.concurrency, 4)),
      registry: this.registry,
      reconcile: (key, ctx) => {
        const [kind, rest] = key.split("|") as ["SecretStore" | "ClusterSecretStore", string];
        return storeReconciler.reconcile(kind, rest, ctx.signal);
      },
      onOutcome: outcome("secretstore"),
    });
    this.registry.gauge({
      name: "kv_operator_cache_objects",
      help: "Objects held in the controller's informer caches",
      labelNames: ["resource"],
      collect: (g) => {
        for (const inf of informers) g.set({ resource: inf.name }, inf.size);
      },
    });
    this.registry.gauge({
      name: "kv_operator_provider_clients",
      help: "Provider clients cached (one per store version and credential namespace)",
      collect: (g) => g.set(clients.size),
    });

    const tasks: Promise<void>[] = [];
    let health: HealthServer | undefined;
    if (o.health) {
      health = new HealthServer({ hostname: o.health.hostname, port: o.health.port, registry: this.registry });
      for (const inf of informers) {
        // Ready: cache synced and its watch connected (or heard from in the last 5 min while it reconnects).
        health.addReadinessCheck(`informer-${inf.name}`, () => {
          if (!inf.synced) return "cache not synced yet";
          return !inf.health || isWatchHealthy(inf.health, Date.now(), 5 * 60_000) || "watch down for more than 5 min";
        });
        health.addLivenessCheck(
          `watch-${inf.name}`,
          staleAfter(`watch of ${inf.name}`, 15 * 60_000, () => inf.health?.lastEventAt),
        );
      }
      tasks.push(health.start(signal).then(() => log.debug("stopped", { component: "health" })));
    }
    for (const inf of informers) {
      tasks.push(
        inf.start(signal).then(
          () => log.debug("stopped", { component: `informer ${inf.name}` }),
          (e) => log.error("informer stopped", { resource: inf.name, error: e }),
        ),
      );
    }
    const synced = (async () => {
      while (!signal.aborted && !informers.every((i) => i.synced)) await new Promise((r) => setTimeout(r, 20));
    })();

    // Ready = caches synced, leading or not: a standby replica is healthy and takes over with warm caches.
    tasks.push(synced.then(() => {
      if (signal.aborted) return;
      log.info("caches synced", {
        externalsecrets: esInformer.size,
        secretstores: ssInformer.size,
        clustersecretstores: cssInformer.size,
        managedSecrets: targetInformer.size,
      });
      o.onReady?.();
    }));
    const runControllers = async (leading: AbortSignal): Promise<void> => {
      await synced;
      if (leading.aborted) return;
      log.info("controllers starting");
      await Promise.all([
        esQueue.start(leading).then(() => log.debug("stopped", { component: "externalsecret queue" })),
        storeQueue.start(leading).then(() => log.debug("stopped", { component: "secretstore queue" })),
      ]);
    };

    if (o.leaderElection) {
      const le = o.leaderElection;
      const elector = new LeaderElector({
        store: kubeLeaseStore(o.client, le.namespace, le.id),
        identity: le.identity,
        leaseDurationMs: le.leaseDurationMs,
        renewDeadlineMs: le.renewDeadlineMs,
        retryPeriodMs: le.retryPeriodMs,
        registry: this.registry,
        name: le.id,
        logger: log.child({ component: "leader-election" }),
        onStartedLeading: (leading) => runControllers(leading),
        onNewLeader: (id) => log.info("leader", { identity: id }),
      });
      tasks.push(
        elector.start(signal).then(() => {
          // Leadership ended without a shutdown: exit, as controller-runtime does, so a restart campaigns afresh.
          if (!signal.aborted) throw new Error("leader election lost");
        }),
      );
    } else {
      tasks.push(runControllers(signal));
    }
    await Promise.all(tasks);
  }
}
