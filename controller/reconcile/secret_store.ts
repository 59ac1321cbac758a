/**
 * The SecretStore / ClusterSecretStore reconciler: validates the store and publishes ESO's `Ready` condition
 * (`Valid`, `InvalidProviderConfig`, `ValidationUnknown`), `capabilities` and Events. Validation proves the
 * credentials by getting a Key Vault token (cached by the client afterwards, so it costs nothing later); it never
 * reads a secret. Stores are re-validated every `requeueMs` (ESO's `--store-requeue-interval`, 5 min), which is also
 * how a credentials Secret created after the store is noticed.
 *
 * @module
 */
import type { ClusterSecretStore, SecretStore, SecretStoreStatus } from "../api/types.ts";
import type { KubeClient } from "../kube/client.ts";
import { isNotFound } from "../kube/errors.ts";
import { mergePatch } from "../kube/patch.ts";
import { clusterSecretStores, secretStores } from "../kube/resources.ts";
import type { UntypedObject } from "../kube/types.ts";
import { InvalidStoreError, ProviderError, type StoreRef } from "../providers/provider.ts";
import type { EventRecorder } from "../runtime/events.ts";
import type { Informer } from "../runtime/informer.ts";
import type { Logger } from "../runtime/log.ts";
import { getCondition, Reason, setCondition } from "./conditions.ts";
import { type Action, awaitChange, requeue } from "../runtime/work_queue.ts";
import { classMatches, ReportedError } from "./external_secret.ts";
import { type ControllerMetrics, dropConditionGauge, setConditionGauge } from "./metrics.ts";
import { type StoreClientCache, storeRefOf } from "./store_clients.ts";

/** Everything the store reconciler reads from and writes to. */
export interface SecretStoreDeps {
  client: KubeClient;
  secretStores: Informer<UntypedObject, SecretStore>;
  clusterSecretStores: Informer<UntypedObject, ClusterSecretStore>;
  clients: StoreClientCache;
  events: EventRecorder;
  metrics: ControllerMetrics;
  log: Logger;
  controllerClass: string;
  requeueMs: number;
  /**
   * How soon a store that failed validation is checked again (credentials Secrets are not watched, so this is how a
   * fixed or newly created one is noticed). @default {30000}
   */
  failedRequeueMs?: number;
  /** Drops remembered credential values, so the next check reads them again. */
  forgetCredentials: () => void;
  now: () => Date;
}

/** True when a ClusterSecretStore's credentials resolve per ExternalSecret namespace (ESO's referent auth). */
export function isReferent(store: StoreRef): boolean {
  if (store.kind !== "ClusterSecretStore") return false;
  const az = store.spec.provider.azurekv;
  if (!az) return false;
  const refs = [az.authSecretRef?.clientId, az.authSecretRef?.clientSecret, az.authSecretRef?.clientCertificate];
  if ((az.authType ?? "ServicePrincipal") === "ServicePrincipal") return refs.some((r) => r && !r.namespace);
  if (az.authType === "WorkloadIdentity" && az.serviceAccountRef) return !az.serviceAccountRef.namespace;
  return false;
}

/** The reconciler of both store kinds. */
export class SecretStoreReconciler {
  readonly #d: SecretStoreDeps;

  constructor(deps: SecretStoreDeps) {
    this.#d = deps;
  }

  /** Reconciles a store: `kind` is SecretStore (key `namespace/name`) or ClusterSecretStore (key `name`). */
  async reconcile(kind: "SecretStore" | "ClusterSecretStore", key: string, signal?: AbortSignal): Promise<Action> {
    const d = this.#d;
    const cluster = kind === "ClusterSecretStore";
    const store = cluster ? d.clusterSecretStores.get(key) : d.secretStores.get(key);
    const [namespace, name] = cluster ? [undefined, key] : key.split("/") as [string, string];
    const gauge = cluster ? d.metrics.clusterStoreCondition : d.metrics.storeCondition;
    const labels: Record<string, string> = cluster ? { name } : { name, namespace: namespace! };
    if (!store) {
      d.clients.invalidate(kind, name, namespace);
      dropConditionGauge(gauge, labels, "Ready");
      return awaitChange();
    }
    if (!classMatches(store, d.controllerClass)) return awaitChange();
    const ref = storeRefOf(kind, store);

    let condition: { status: "True" | "False"; reason: string; message: string };
    let eventType: "Normal" | "Warning" = "Normal";
    let retryable: Error | undefined;
    try {
      const provider = d.clients.providerFor(ref);
      const warnings = provider.validateStore(ref);
      if (isReferent(ref)) {
        condition = {
          status: "True",
          reason: Reason.StoreValidationUnknown,
          message: "could not determine validation status: credentials are resolved in each ExternalSecret's namespace",
        };
      } else {
        const client = await d.clients.get(ref, namespace);
        await client.validate(signal);
        condition = {
          status: "True",
          reason: Reason.StoreValid,
          message: warnings.length ? `store validated (warnings: ${warnings.join("; ")})` : "store validated",
        };
      }
    } catch (e) {
      eventType = "Warning";
      condition = { status: "False", reason: Reason.StoreInvalidProviderConfig, message: (e as Error).message };
      // Network trouble and throttling are worth a quicker retry; a wrong spec waits for the periodic re-check.
      if (
        e instanceof ProviderError && !(e instanceof InvalidStoreError) &&
        (e.statusCode === undefined || e.statusCode >= 429)
      ) {
        retryable = e;
      }
      // Rejected or missing credentials: drop the client and the remembered values, so the next check reads them.
      if (
        e instanceof InvalidStoreError || (e instanceof ProviderError && (e.statusCode === 400 || e.statusCode === 401))
      ) {
        d.clients.invalidate(kind, name, namespace);
        d.forgetCredentials();
      }
    }

    const prev = getCondition(store.status?.conditions, "Ready");
    const status: SecretStoreStatus = {
      ...store.status,
      capabilities: "ReadWrite",
      conditions: setCondition(store.status?.conditions, { type: "Ready", ...condition }, d.now()),
    };
    if (JSON.stringify(status) !== JSON.stringify(store.status ?? {})) {
      try {
        await d.client.patch(cluster ? clusterSecretStores : secretStores, name, mergePatch({ status }), {
          ...(namespace ? { namespace } : {}),
          subresource: "status",
        });
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
    if (prev?.status !== condition.status || prev?.reason !== condition.reason || prev?.message !== condition.message) {
      await d.events.record(store, eventType, condition.reason, condition.message);
      d.log[condition.status === "True" ? "info" : "warn"]("store validated", {
        kind,
        ...(namespace ? { namespace } : {}),
        name,
        reason: condition.reason,
        ...(condition.status === "False" ? { error: condition.message } : {}),
      });
    }
    setConditionGauge(gauge, labels, "Ready", condition.status);
    if (retryable) throw new ReportedError(retryable.message, { cause: retryable });
    return requeue(condition.status === "True" ? d.requeueMs : Math.min(d.requeueMs, d.failedRequeueMs ?? 30_000));
  }
}
