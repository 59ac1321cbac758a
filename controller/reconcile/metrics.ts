/**
 * ESO's metric names (docs/api/metrics.md), so existing dashboards and alerts keep working, plus the figures ESO
 * lacks (`externalsecret_sync_age_seconds`, the vault budget as `kv_operator_vault_*`). Every metric is listed with
 * ESO's name beside ours in docs/metrics.md.
 * The `*_reconcile_duration` gauges are in nanoseconds as ESO exports them (a Go `time.Duration` as float).
 *
 * @module
 */
import type { Counter, Gauge, Histogram, Registry } from "../runtime/metrics.ts";
import type { ReadKey } from "../runtime/keys.ts";
import { FetchCache, type Fetched, type ReadValue } from "./fetch_cache.ts";

/** The controller's own metrics. */
export interface ControllerMetrics {
  syncCalls: Counter;
  syncErrors: Counter;
  esCondition: Gauge;
  esReconcileDuration: Gauge;
  providerCalls: Counter;
  storeCondition: Gauge;
  /** Beyond ESO: when each source version synced expires (Unix seconds); absent without an expiry. */
  sourceExpiry: Gauge;
  clusterStoreCondition: Gauge;
  storeReconcileDuration: Gauge;
  clusterStoreReconcileDuration: Gauge;
  cesCondition: Gauge;
  cesReconcileDuration: Gauge;
  vaultRequests: Counter;
  vaultThrottled: Counter;
  vaultWait: Histogram;
  readCache: Counter;
  /** Beyond ESO: periodic refreshes by how they were checked (change detection). */
  refreshReads: Counter;
}

/** Registers the metrics on `registry`. */
export function registerControllerMetrics(registry: Registry): ControllerMetrics {
  return {
    syncCalls: registry.counter({
      name: "externalsecret_sync_calls_total",
      help: "Total number of the External Secret sync calls",
      labelNames: ["name", "namespace"],
    }),
    syncErrors: registry.counter({
      name: "externalsecret_sync_calls_error",
      help: "Total number of the External Secret sync errors",
      labelNames: ["name", "namespace"],
    }),
    esCondition: registry.gauge({
      name: "externalsecret_status_condition",
      help: "The status condition of a specific External Secret",
      labelNames: ["name", "namespace", "condition", "status"],
    }),
    esReconcileDuration: registry.gauge({
      name: "externalsecret_reconcile_duration",
      help: "The duration time to reconcile the External Secret (nanoseconds)",
      labelNames: ["name", "namespace"],
    }),
    providerCalls: registry.counter({
      name: "externalsecret_provider_api_calls_count",
      help: "Number of API calls towards the secret provider",
      labelNames: ["provider", "call", "status"],
    }),
    sourceExpiry: registry.gauge({
      name: "externalsecret_source_expiry_timestamp_seconds",
      help: "When the provider version an ExternalSecret synced from expires (Key Vault's exp), as Unix seconds",
      labelNames: ["namespace", "name", "remote_key", "store"],
    }),
    storeCondition: registry.gauge({
      name: "secretstore_status_condition",
      help: "The status condition of a specific SecretStore",
      labelNames: ["name", "namespace", "condition", "status"],
    }),
    clusterStoreCondition: registry.gauge({
      name: "clustersecretstore_status_condition",
      help: "The status condition of a specific ClusterSecretStore",
      labelNames: ["name", "condition", "status"],
    }),
    // ESO labels both store gauges with name and namespace; a ClusterSecretStore's namespace is "" (no label).
    storeReconcileDuration: registry.gauge({
      name: "secretstore_reconcile_duration",
      help: "The duration time to reconcile the Secret Store (nanoseconds)",
      labelNames: ["name", "namespace"],
    }),
    clusterStoreReconcileDuration: registry.gauge({
      name: "clustersecretstore_reconcile_duration",
      help: "The duration time to reconcile the Cluster Secret Store (nanoseconds)",
      labelNames: ["name", "namespace"],
    }),
    // ESO's cesmetrics: a ClusterExternalSecret has no namespace ("" drops the label, as for ClusterSecretStores).
    cesCondition: registry.gauge({
      name: "clusterexternalsecret_status_condition",
      help: "The status condition of a specific Cluster External Secret",
      labelNames: ["name", "condition", "status"],
    }),
    cesReconcileDuration: registry.gauge({
      name: "clusterexternalsecret_reconcile_duration",
      help: "The duration time to reconcile the Cluster External Secret (nanoseconds)",
      labelNames: ["name", "namespace"],
    }),
    vaultRequests: registry.counter({
      name: "kv_operator_vault_requests_total",
      help: "HTTP requests sent to a Key Vault (every attempt, SDK retries included), by vault host",
      labelNames: ["vault"],
    }),
    vaultThrottled: registry.counter({
      name: "kv_operator_vault_throttled_total",
      help: "Key Vault answers 429 (throttled), by vault host; each pauses every caller of that vault",
      labelNames: ["vault"],
    }),
    vaultWait: registry.histogram({
      name: "kv_operator_vault_rate_limit_wait_seconds",
      help: "Time a Key Vault request waited for the vault's client-side rate limit or a 429's Retry-After",
      labelNames: ["vault"],
      buckets: [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    }),
    readCache: registry.counter({
      name: "kv_operator_read_cache_requests_total",
      help: "Provider reads asked for, by result: hit (a value already read was reused), shared (joined a read in " +
        "flight) or miss (read from the vault)",
      labelNames: ["result"],
    }),
    refreshReads: registry.counter({
      name: "kv_operator_refresh_reads_total",
      help: "Periodic refreshes of a Key Vault secret, by how it was checked: list (the store's listing showed it " +
        "unchanged or it was read because it changed) or get (read again: change detection off, not worth it, or " +
        "not possible)",
      labelNames: ["mode"],
    }),
  };
}

/** The budget hooks the Key Vault provider calls, timed and counted per vault (`kv_operator_vault_*`). */
export function countedBudget(
  metrics: ControllerMetrics,
  limiter: { acquire(host: string, signal?: AbortSignal): Promise<void>; block(host: string, ms: number): void },
): { acquire(host: string, signal?: AbortSignal): Promise<void>; throttled(host: string, ms: number): void } {
  return {
    acquire: async (host, signal) => {
      const started = performance.now();
      try {
        await limiter.acquire(host, signal);
      } finally {
        metrics.vaultWait.observe({ vault: host }, (performance.now() - started) / 1000);
      }
      metrics.vaultRequests.inc({ vault: host });
    },
    throttled: (host, ms) => {
      metrics.vaultThrottled.inc({ vault: host });
      limiter.block(host, ms);
    },
  };
}

/** A {@linkcode FetchCache} that counts hits, shared reads and misses in `kv_operator_read_cache_requests_total`. */
export class CountedFetchCache extends FetchCache {
  readonly #hit;
  readonly #shared;
  readonly #miss;
  /** Keys with a read of ours in flight: a lookup that does not read while one is in flight has joined it. */
  readonly #inflight = new Map<ReadKey, number>();

  constructor(metrics: ControllerMetrics, options: ConstructorParameters<typeof FetchCache>[0] = {}) {
    super(options);
    this.#hit = metrics.readCache.labels({ result: "hit" });
    this.#shared = metrics.readCache.labels({ result: "shared" });
    this.#miss = metrics.readCache.labels({ result: "miss" });
  }

  override get<V extends ReadValue>(
    key: ReadKey,
    notBefore: number,
    keepMs: number,
    read: () => Promise<V>,
  ): Promise<Fetched<V>> {
    // FetchCache calls `read` synchronously, and only when it has nothing to offer.
    let missed = false;
    const p = super.get(key, notBefore, keepMs, () => {
      missed = true;
      this.#inflight.set(key, (this.#inflight.get(key) ?? 0) + 1);
      return read().finally(() => {
        const n = this.#inflight.get(key)! - 1;
        if (n > 0) this.#inflight.set(key, n);
        else this.#inflight.delete(key);
      });
    });
    if (missed) this.#miss.inc();
    else if (this.#inflight.has(key)) this.#shared.inc();
    else this.#hit.inc();
    return p;
  }
}

/** The last successful sync of an ExternalSecret as the cache holds it (ESO's `status.refreshTime`). */
export interface SyncedObject {
  metadata: { name?: string; namespace?: string };
  status?: { refreshTime?: string | null; conditions?: { type: string; status: string }[] };
}

/**
 * Registers `externalsecret_sync_age_seconds{name,namespace}`: now − `status.refreshTime`, computed at scrape time
 * from the informer cache, so it is right after a restart too. ExternalSecrets never synced have no series.
 */
export function registerSyncAge(
  registry: Registry,
  list: () => Iterable<SyncedObject>,
  now: () => number = Date.now,
): Gauge {
  return registry.gauge({
    name: "externalsecret_sync_age_seconds",
    help: "Seconds since the last successful sync of an ExternalSecret (now - status.refreshTime)",
    labelNames: ["name", "namespace"],
    collect: (g) => {
      g.reset();
      const t = now();
      for (const es of list()) {
        const at = es.status?.refreshTime ? Date.parse(es.status.refreshTime) : NaN;
        if (Number.isNaN(at)) continue;
        g.set({ name: es.metadata.name ?? "", namespace: es.metadata.namespace ?? "" }, Math.max(0, (t - at) / 1000));
      }
    },
  });
}

/** Sets a condition gauge the way ESO does: 1 for the current status, 0 for the other. */
export function setConditionGauge(
  gauge: Gauge,
  labels: Record<string, string>,
  condition: string,
  status: string,
): void {
  for (const s of ["True", "False"]) gauge.set({ ...labels, condition, status: s }, s === status ? 1 : 0);
}

/** Removes a deleted ExternalSecret's series, as ESO does: its condition, sync counters and reconcile duration. */
export function dropExternalSecretSeries(
  metrics: ControllerMetrics,
  labels: { name: string; namespace: string },
): void {
  dropConditionGauge(metrics.esCondition, labels, "Ready");
  metrics.syncCalls.remove(labels);
  metrics.syncErrors.remove(labels);
  metrics.esReconcileDuration.remove(labels);
}

/** Removes an object's condition series when it is deleted. */
export function dropConditionGauge(gauge: Gauge, labels: Record<string, string>, condition: string): void {
  for (const s of ["True", "False"]) gauge.remove({ ...labels, condition, status: s });
}

/** client-go's `rest_client_requests_total{method,code}` (no `host`: one apiserver), counted client side. */
export function registerRestClientMetrics(
  registry: Registry,
  client: { observeResponses(fn: (method: string, code: number) => void): void },
): void {
  const rest = registry.counter({
    name: "rest_client_requests_total",
    help: "Requests to the Kubernetes API server, by method and status code (0: no answer), counted client side.",
    labelNames: ["method", "code"],
  });
  client.observeResponses((method, code) => rest.inc({ method, code: String(code) }));
}
