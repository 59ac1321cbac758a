/**
 * Wires the controller: the shared dependencies (informer caches, the Azure provider with its vault budget, the
 * read cache, provider clients, Events, metrics), the controllers (ExternalSecret, both stores, ClusterExternalSecret;
 * each declares its own watches in its `controller.ts`), health and leader election — and starts them. Nothing here
 * decides what to reconcile.
 *
 * @module
 */
import { addCacheChecks, cachesSynced, createCaches, registerCacheGauge, startCaches } from "./caches.ts";
import type { KubeClient } from "./kube/client.ts";
import { StoreClientCache } from "./providers/clients.ts";
import { KubeCredentialSource } from "./providers/kube_credentials.ts";
import { AzureKeyVaultProvider, type AzureProviderOptions } from "./providers/azure/provider.ts";
import { clusterExternalSecretControllers } from "./reconcile/cluster_external_secret/controller.ts";
import { externalSecretController } from "./reconcile/external_secret/controller.ts";
import type { SyncOptions } from "./reconcile/external_secret/reconciler.ts";
import * as esoMetrics from "./reconcile/metrics.ts";
import { secretStoreControllers } from "./reconcile/secret_store/controller.ts";
import { EventRecorder } from "./runtime/events.ts";
import { HealthServer } from "./runtime/health.ts";
import { keyFraction } from "./runtime/jitter.ts";
import { kubeLeaseStore, type LeaderElectorOptions, runWhileLeading } from "./runtime/leader_election.ts";
import type { Logger } from "./runtime/log.ts";
import { registerProcessMetrics, Registry } from "./runtime/metrics.ts";
import { HostRateLimiter, InFlightLimiter } from "./runtime/rate_limiter.ts";

/** Everything the manager is configured with (the flags of `main.ts`). */
export interface ManagerOptions {
  client: KubeClient;
  log: Logger;
  /** Told every secret value read (from Key Vault or a credentials Secret), so logs can scrub it. */
  secretSeen?: (value: Uint8Array | string) => void;
  namespace?: string; // ESO's --namespace: watch only this one (all when undefined)
  controllerClass: string;
  concurrency: number;
  floodGate: boolean;
  clusterExternalSecrets?: boolean; // --enable-cluster-external-secret-reconciler
  storeRequeueMs: number;
  /** How ExternalSecrets sync (`--expiry-warning`, `--adoption-policy`, ...) and the scrubber of secret values. */
  sync?: SyncOptions;
  health: { hostname: string; port: number } | undefined;
  leaderElection?:
    & { id: string; namespace: string }
    & Pick<
      LeaderElectorOptions,
      "identity" | "leaseDurationMs" | "renewDeadlineMs" | "retryPeriodMs"
    >;
  /** Authority host, challenge verification, endpoint policy, request timeout (`--azure-*` flags). */
  azure: Omit<AzureProviderOptions, "budget" | "observe">;
  /** Per Key Vault host: request rate and burst; syncs waiting on it at once (default: unlimited). */
  vault: { ratePerSecond: number; burst: number; maxInFlight?: number };
  onReady?: () => void; // called once caches are synced: the controller is ready
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
    const metrics = esoMetrics.registerControllerMetrics(this.registry);
    esoMetrics.registerRestClientMetrics(this.registry, o.client);
    const limiter = new HostRateLimiter({ ratePerSecond: o.vault.ratePerSecond, burst: o.vault.burst });
    const azure = new AzureKeyVaultProvider({
      ...o.azure,
      budget: esoMetrics.countedBudget(metrics, limiter),
      observe: (call, status) => metrics.providerCalls.inc({ provider: "Azure/KeyVault", call, status }),
    });
    const credentials = new KubeCredentialSource(o.client, o.secretSeen ? { onValue: o.secretSeen } : {});
    const clients = new StoreClientCache({ azurekv: azure }, credentials);
    const events = new EventRecorder(o.client, { onError: (e) => log.warn("could not record an event", { error: e }) });
    const caches = createCaches(o.client, o.namespace, log, o.clusterExternalSecrets);
    const stores = { secretStores: caches.secretStores, clusterSecretStores: caches.clusterSecretStores };
    const shared = { client: o.client, clients, events, metrics, registry: this.registry, now: () => new Date() };
    const few = Math.max(1, Math.min(o.concurrency, 4)); // the store and ClusterExternalSecret controllers
    const controllers = [
      externalSecretController({
        ...shared,
        ...stores,
        externalSecrets: caches.externalSecrets,
        targets: caches.targets,
        fetches: new esoMetrics.CountedFetchCache(metrics),
        log: log.child({ controller: "externalsecret" }),
        controllerClass: o.controllerClass,
        floodGate: o.floodGate,
        ...o.sync,
        concurrency: o.concurrency,
        jitter: keyFraction,
        ...(o.secretSeen ? { secretSeen: o.secretSeen } : {}),
        ...(o.vault.maxInFlight ? { inFlight: new InFlightLimiter({ max: o.vault.maxInFlight }) } : {}),
      }),
      ...secretStoreControllers({
        ...shared,
        ...stores,
        log: log.child({ controller: "secretstore" }),
        controllerClass: o.controllerClass,
        requeueMs: o.storeRequeueMs,
        forgetCredentials: () => credentials.forget(),
        concurrency: few,
      }),
      ...clusterExternalSecretControllers(caches, { ...shared, log, concurrency: few }),
    ];
    registerCacheGauge(this.registry, caches);
    esoMetrics.registerSyncAge(this.registry, () => caches.externalSecrets.list());
    clients.registerGauge(this.registry);
    const tasks: Promise<void>[] = [];
    if (o.health) {
      const health = new HealthServer({ ...o.health, registry: this.registry });
      addCacheChecks(health, caches);
      for (const c of controllers) health.addLivenessCheck(`workers-${c.name}`, c.stuckWorkerCheck(10 * 60_000));
      tasks.push(health.start(signal));
    }
    tasks.push(...startCaches(caches, signal, log));
    const synced = cachesSynced(caches, signal);
    // Ready = caches synced, leading or not: a standby replica is healthy and takes over with warm caches.
    tasks.push(synced.then(() => {
      if (signal.aborted) return;
      log.info("caches synced", Object.fromEntries(caches.all.map((i) => [i.name, i.size])));
      o.onReady?.();
    }));
    const run = async (leading: AbortSignal): Promise<void> => {
      await synced;
      if (leading.aborted) return;
      log.info("controllers starting");
      await Promise.all(controllers.map((c) => c.start(leading)));
    };
    const le = o.leaderElection;
    tasks.push(
      le
        ? runWhileLeading({
          ...le,
          store: kubeLeaseStore(o.client, le.namespace, le.id),
          registry: this.registry,
          name: le.id,
          logger: log.child({ component: "leader-election" }),
          onStartedLeading: run,
          onNewLeader: (id) => log.info("leader", { identity: id }),
        }, signal)
        : run(signal),
    );
    await Promise.all(tasks);
  }
}
