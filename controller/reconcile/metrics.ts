/**
 * ESO's metric names (docs/api/metrics.md), so existing dashboards and alerts keep working.
 * `externalsecret_reconcile_duration` is in nanoseconds as ESO exports it (a Go `time.Duration` as float).
 *
 * @module
 */
import type { Counter, Gauge, Registry } from "../runtime/metrics.ts";

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
  };
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

/** Removes an object's condition series when it is deleted. */
export function dropConditionGauge(gauge: Gauge, labels: Record<string, string>, condition: string): void {
  for (const s of ["True", "False"]) gauge.remove({ ...labels, condition, status: s });
}
