/**
 * The SecretStore / ClusterSecretStore reconciler: validates the store and publishes ESO's `Ready` condition
 * (`Valid`, `InvalidProviderConfig`, `ValidationUnknown`), `capabilities` and Events. Validation proves the
 * credentials by getting a Key Vault token (cached by the client afterwards, so it costs nothing later); it never
 * reads a secret. Stores are re-validated every `requeueMs` (ESO's `--store-requeue-interval`, 5 min), which is also
 * how a credentials Secret created after the store is noticed.
 *
 * @module
 */
import type { ClusterSecretStore, SecretStore, SecretStoreStatus } from "../../api/types.ts";
import type { KubeClient } from "../../kube/client.ts";
import { isNotFound } from "../../kube/errors.ts";
import { mergePatch } from "../../kube/patch.ts";
import { clusterSecretStores, secretStores } from "../../api/resources.ts";
import { type Capabilities, InvalidStoreError, ProviderError, type StoreRef } from "../../providers/provider.ts";
import type { EventRecorder } from "../../runtime/events.ts";
import type { Informer } from "../../runtime/informer.ts";
import { objectKey, parseStoreKey, type StoreKey } from "../../runtime/keys.ts";
import type { Logger } from "../../runtime/log.ts";
import { getCondition, Reason, setCondition } from "../conditions.ts";
import { type Action, awaitChange, requeue } from "../../runtime/work_queue.ts";
import { ReportedError } from "../../runtime/controller.ts";
import { classMatches } from "../store_access.ts";
import { type ControllerMetrics, dropConditionGauge, setConditionGauge } from "../metrics.ts";
import { type StoreClientCache, storeRefOf } from "../../providers/clients.ts";

/** Everything the store reconciler reads from and writes to. */
export interface SecretStoreDeps {
  client: KubeClient;
  secretStores: Informer<SecretStore, SecretStore>;
  clusterSecretStores: Informer<ClusterSecretStore, ClusterSecretStore>;
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

/** The reconciler of both store kinds. */
export class SecretStoreReconciler {
  readonly #d: SecretStoreDeps;

  constructor(deps: SecretStoreDeps) {
    this.#d = deps;
  }

  /** Reconciles a store (either kind). */
  async reconcile(key: StoreKey, signal?: AbortSignal): Promise<Action> {
    const started = performance.now();
    const { kind, name, namespace } = parseStoreKey(key);
    const cluster = kind === "ClusterSecretStore";
    const duration = cluster ? this.#d.metrics.clusterStoreReconcileDuration : this.#d.metrics.storeReconcileDuration;
    const labels = { name, namespace: namespace ?? "" };
    let gone = false;
    try {
      const action = await this.#reconcile(key, signal);
      gone = this.#store(key) === undefined;
      return action;
    } finally {
      // ESO's *_reconcile_duration{name,namespace}, in nanoseconds; dropped with the store.
      if (gone) duration.remove(labels);
      else duration.set(labels, (performance.now() - started) * 1e6);
    }
  }

  #store(key: StoreKey): SecretStore | ClusterSecretStore | undefined {
    const { kind, name, namespace } = parseStoreKey(key);
    return kind === "ClusterSecretStore"
      ? this.#d.clusterSecretStores.get(objectKey({ name }))
      : this.#d.secretStores.get(objectKey({ namespace, name }));
  }

  async #reconcile(key: StoreKey, signal?: AbortSignal): Promise<Action> {
    const d = this.#d;
    const { kind, name, namespace } = parseStoreKey(key);
    const cluster = kind === "ClusterSecretStore";
    const store = this.#store(key);
    const gauge = cluster ? d.metrics.clusterStoreCondition : d.metrics.storeCondition;
    const labels: Record<string, string> = cluster ? { name } : { name, namespace: namespace! };
    if (!store) {
      d.clients.invalidate(key);
      dropConditionGauge(gauge, labels, "Ready");
      return awaitChange();
    }
    if (!classMatches(store, d.controllerClass)) return awaitChange();
    const ref = storeRefOf(kind, store);
    const { condition, capabilities, retryable } = await this.#validate(key, ref, signal);
    await this.#publish(store, ref, condition, capabilities);
    setConditionGauge(gauge, labels, "Ready", condition.status);
    if (retryable) throw new ReportedError(retryable.message, { cause: retryable });
    return requeue(condition.status === "True" ? d.requeueMs : Math.min(d.requeueMs, d.failedRequeueMs ?? 30_000));
  }

  /** Validates a store: its provider's static checks, then (unless referent) a token from its credentials. */
  async #validate(key: StoreKey, ref: StoreRef, signal?: AbortSignal): Promise<{
    condition: Condition;
    capabilities: Capabilities | undefined;
    retryable?: Error;
  }> {
    const d = this.#d;
    let capabilities: Capabilities | undefined;
    try {
      const provider = d.clients.providerFor(ref);
      capabilities = provider.capabilities;
      const warnings = provider.validateStore(ref);
      if (provider.isReferent(ref)) {
        const message =
          "could not determine validation status: credentials are resolved in each ExternalSecret's namespace";
        return { capabilities, condition: { status: "True", reason: Reason.StoreValidationUnknown, message } };
      }
      const client = await d.clients.get(ref, ref.namespace);
      await client.validate(signal);
      const message = warnings.length ? `store validated (warnings: ${warnings.join("; ")})` : "store validated";
      return { capabilities, condition: { status: "True", reason: Reason.StoreValid, message } };
    } catch (e) {
      const condition: Condition = {
        status: "False",
        reason: Reason.StoreInvalidProviderConfig,
        message: (e as Error).message,
      };
      // Rejected or missing credentials: drop the client and the remembered values, so the next check reads them.
      if (
        e instanceof InvalidStoreError || (e instanceof ProviderError && (e.statusCode === 400 || e.statusCode === 401))
      ) {
        d.clients.invalidate(key);
        d.forgetCredentials();
      }
      // Network trouble and throttling are worth a quicker retry; a wrong spec waits for the periodic re-check.
      const retry = e instanceof ProviderError && !(e instanceof InvalidStoreError) &&
        (e.statusCode === undefined || e.statusCode >= 429);
      return { capabilities, condition, ...(retry ? { retryable: e } : {}) };
    }
  }

  /** Writes the store's status (when it changed) and an Event plus a log line when its condition changed. */
  async #publish(
    store: SecretStore | ClusterSecretStore,
    ref: StoreRef,
    condition: Condition,
    capabilities: Capabilities | undefined,
  ): Promise<void> {
    const d = this.#d;
    const prev = getCondition(store.status?.conditions, "Ready");
    const status: SecretStoreStatus = {
      ...store.status,
      ...(capabilities ? { capabilities } : {}),
      conditions: setCondition(store.status?.conditions, { type: "Ready", ...condition }, d.now()),
    };
    if (JSON.stringify(status) !== JSON.stringify(store.status ?? {})) {
      try {
        const opts = { ...(ref.namespace ? { namespace: ref.namespace } : {}), subresource: "status" };
        if (ref.kind === "ClusterSecretStore") {
          await d.client.patch(clusterSecretStores, ref.name, mergePatch({ status }), opts);
        } else {
          await d.client.patch(secretStores, ref.name, mergePatch({ status }), opts);
        }
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
    if (prev?.status !== condition.status || prev?.reason !== condition.reason || prev?.message !== condition.message) {
      const eventType = condition.status === "True" ? "Normal" : "Warning";
      await d.events.record(store, eventType, condition.reason, condition.message);
      d.log[condition.status === "True" ? "info" : "warn"]("store validated", {
        kind: ref.kind,
        ...(ref.namespace ? { namespace: ref.namespace } : {}),
        name: ref.name,
        reason: condition.reason,
        ...(condition.status === "False" ? { error: condition.message } : {}),
      });
    }
  }
}

interface Condition {
  status: "True" | "False";
  reason: string;
  message: string;
}
