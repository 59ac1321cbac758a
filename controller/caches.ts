/**
 * The controller's informer caches: ExternalSecrets, both store kinds, and only the Secrets we manage (label
 * selector, shrunk to metadata and a data hash: never all Secrets, never values); with the ClusterExternalSecret
 * reconciler, ClusterExternalSecrets and Namespaces (names and labels only). Also the readiness and liveness checks
 * that follow their watches.
 *
 * @module
 */
import { clusterExternalSecrets, clusterSecretStores, externalSecrets, secretStores } from "./api/resources.ts";
import type { ClusterExternalSecret, ClusterSecretStore, ExternalSecret, SecretStore } from "./api/types.ts";
import type { KubeClient } from "./kube/client.ts";
import { namespaces, secrets } from "./kube/resources.ts";
import type { Namespace, Secret } from "./kube/types.ts";
import { isWatchHealthy, type WatchHealth } from "./kube/watch.ts";
import { type NamespaceSummary, summarizeNamespace } from "./reconcile/cluster_external_secret/plan.ts";
import { LABEL_MANAGED, summarizeSecret, type TargetSecret } from "./reconcile/refresh.ts";
import { type HealthServer, staleAfter } from "./runtime/health.ts";
import { Informer } from "./runtime/informer.ts";
import type { Logger } from "./runtime/log.ts";
import type { Registry } from "./runtime/metrics.ts";

/** What starting, health and metrics need of any cache. */
export interface AnyInformer {
  readonly name: string;
  readonly synced: boolean;
  readonly health: WatchHealth | undefined;
  readonly size: number;
  start(signal: AbortSignal): Promise<void>;
}

/** The caches. */
export interface Caches {
  externalSecrets: Informer<ExternalSecret, ExternalSecret>;
  secretStores: Informer<SecretStore, SecretStore>;
  clusterSecretStores: Informer<ClusterSecretStore, ClusterSecretStore>;
  targets: Informer<Secret, TargetSecret>;
  /** Only with the ClusterExternalSecret reconciler. */
  ces?: {
    clusterExternalSecrets: Informer<ClusterExternalSecret, ClusterExternalSecret>;
    namespaces: Informer<Namespace, NamespaceSummary>;
  };
  /** All of them, for starting and health. */
  all: readonly AnyInformer[];
}

/**
 * Builds the caches (not started). `namespace` limits the namespaced ones (ESO's `--namespace`); `ces` adds the
 * ClusterExternalSecret reconciler's.
 */
export function createCaches(client: KubeClient, namespace: string | undefined, log: Logger, ces = false): Caches {
  const ns = namespace !== undefined ? { namespace } : {};
  const onError = (resource: string) => (error: unknown) => log.warn("watch failed; retrying", { resource, error });
  // managedFields are most of an ExternalSecret's metadata (one entry per writer: the user, our status, our
  // finalizer) and nothing here reads them. Annotations stay whole: ESO's syncedResourceVersion hashes all of them.
  const withoutManagedFields = <T extends { metadata?: { managedFields?: unknown } }>(x: T): T => {
    if (x.metadata?.managedFields !== undefined) delete x.metadata.managedFields;
    return x;
  };
  const es = new Informer<ExternalSecret, ExternalSecret>(client, externalSecrets, {
    ...ns,
    transform: withoutManagedFields,
    onError: onError("externalsecrets"),
  });
  const ss = new Informer<SecretStore, SecretStore>(client, secretStores, {
    ...ns,
    transform: withoutManagedFields,
    onError: onError("secretstores"),
  });
  const css = new Informer<ClusterSecretStore, ClusterSecretStore>(client, clusterSecretStores, {
    transform: withoutManagedFields,
    onError: onError("clustersecretstores"),
  });
  const targets = new Informer(client, secrets, {
    ...ns,
    labelSelector: `${LABEL_MANAGED}=true`,
    transform: summarizeSecret,
    onError: onError("secrets"),
  });
  const cesCaches = ces
    ? {
      clusterExternalSecrets: new Informer<ClusterExternalSecret, ClusterExternalSecret>(
        client,
        clusterExternalSecrets,
        { transform: withoutManagedFields, onError: onError("clusterexternalsecrets") },
      ),
      namespaces: new Informer(client, namespaces, { transform: summarizeNamespace, onError: onError("namespaces") }),
    }
    : undefined;
  return {
    externalSecrets: es,
    secretStores: ss,
    clusterSecretStores: css,
    targets,
    ...(cesCaches ? { ces: cesCaches } : {}),
    all: [es, ss, css, targets, ...(cesCaches ? [cesCaches.clusterExternalSecrets, cesCaches.namespaces] : [])],
  };
}

/**
 * Ready: every cache synced and its watch connected (or heard from in the last 5 min while it reconnects). Live:
 * no watch silent for 15 min (bookmarks arrive every minute or so, so silence means a stuck watch).
 */
export function addCacheChecks(health: HealthServer, caches: Caches): void {
  for (const inf of caches.all) {
    health.addReadinessCheck(`informer-${inf.name}`, () => {
      if (!inf.synced) return "cache not synced yet";
      return !inf.health || isWatchHealthy(inf.health, Date.now(), 5 * 60_000) || "watch down for more than 5 min";
    });
    health.addLivenessCheck(
      `watch-${inf.name}`,
      staleAfter(`watch of ${inf.name}`, 15 * 60_000, () => inf.health?.lastEventAt),
    );
  }
}

/** `kv_operator_cache_objects{resource}`: how many objects each cache holds. */
export function registerCacheGauge(registry: Registry, caches: Caches): void {
  registry.gauge({
    name: "kv_operator_cache_objects",
    help: "Objects held in the controller's informer caches",
    labelNames: ["resource"],
    collect: (g) => caches.all.forEach((inf) => g.set({ resource: inf.name }, inf.size)),
  });
}

/** Starts every cache's list+watch; each promise settles when `signal` aborts (a crash is logged). */
export function startCaches(caches: Caches, signal: AbortSignal, log: Logger): Promise<void>[] {
  return caches.all.map((inf) =>
    inf.start(signal).catch((e) => log.error("informer stopped", { resource: inf.name, error: e }))
  );
}

/** Resolves once every cache has its first list (or `signal` aborted). */
export async function cachesSynced(caches: Caches, signal: AbortSignal): Promise<void> {
  while (!signal.aborted && !caches.all.every((i) => i.synced)) await new Promise((r) => setTimeout(r, 20));
}
