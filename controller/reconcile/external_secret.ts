/**
 * The ExternalSecret reconciler: the thin I/O edge around {@link planSync}. It reads everything from the informer
 * caches, asks the provider only when a refresh is due (ESO's rules, `refresh.ts`), carries the plan out, and
 * returns when to come back.
 *
 * Never lose data: any error before the plan (store, credentials, provider) leaves the target Secret as it is and
 * only the status and an Event say what happened.
 *
 * @module
 */
import type { ClusterSecretStore, ExternalSecret, SecretStore } from "../api/types.ts";
import type { KubeClient } from "../kube/client.ts";
import { isAlreadyExists, isConflict, isNotFound } from "../kube/errors.ts";
import { addFinalizerPatch, mergePatch, removeFinalizerPatch } from "../kube/patch.ts";
import { configMaps, externalSecrets, namespaces, secrets } from "../kube/resources.ts";
import type { Namespace, Secret, UntypedObject } from "../kube/types.ts";
import type { TemplateSources } from "../template/mod.ts";
import { InvalidStoreError, NoSecretError, type StoreRef } from "../providers/provider.ts";
import { checkNullBytes, decodeValue, selectProperty } from "../providers/values.ts";
import type { EventRecorder } from "../runtime/events.ts";
import type { Informer } from "../runtime/informer.ts";
import type { Logger } from "../runtime/log.ts";
import { type Action, awaitChange, requeue, TerminalError } from "../runtime/work_queue.ts";
import { getCondition } from "./conditions.ts";
import { FetchCache, refreshSpreadMs } from "./fetch_cache.ts";
import { type ControllerMetrics, setConditionGauge } from "./metrics.ts";
import { planFailure, planSync, type SyncPlan, targetName } from "./external_secret_plan.ts";
import {
  decideRefresh,
  msUntilNextRefresh,
  refreshIntervalMs,
  secretDataBytes,
  summarizeSecret,
  type TargetSecret,
} from "./refresh.ts";
import { type StoreClientCache, storeKey, storeRefOf } from "./store_clients.ts";

export const FINALIZER = "externalsecrets.external-secrets.io/externalsecret-cleanup";

/**
 * A failure the reconciler has already reported (condition, Event, log line). The queue still retries it by its
 * cause (a TerminalError cause: not until the object changes; a ProviderError cause: after its Retry-After).
 */
export class ReportedError extends Error {
  override readonly name = "ReportedError";
}

/** Everything the reconciler reads from and writes to. */
export interface ExternalSecretDeps {
  client: KubeClient;
  externalSecrets: Informer<UntypedObject, ExternalSecret>;
  targets: Informer<Secret, TargetSecret>;
  secretStores: Informer<UntypedObject, SecretStore>;
  clusterSecretStores: Informer<UntypedObject, ClusterSecretStore>;
  clients: StoreClientCache;
  fetches: FetchCache;
  events: EventRecorder;
  metrics: ControllerMetrics;
  log: Logger;
  /** ESO's `--controller-class`: stores naming another class are left alone. */
  controllerClass: string;
  /** ESO's `--enable-flood-gate`: an ExternalSecret waits while its store is not Ready. */
  floodGate: boolean;
  /**
   * When the controller saw the ExternalSecret's last spec/label/annotation change (epoch ms), if it did. A forced
   * sync wants a value read after that moment: whoever asked wrote to the vault before asking.
   */
  changedAt: (key: string) => number | undefined;
  /** Told every value read from the provider (the logger scrubs them; see runtime/log.ts Redactor). */
  secretSeen?: (value: Uint8Array) => void;
  /** Deterministic per-key jitter in [0, 1): spreads refreshes so a restart does not align them. */
  jitter: (key: string) => number;
  now: () => Date;
}

type AnyStore = SecretStore | ClusterSecretStore;

/** The index key of a target Secret: `namespace/name` (a managed Secret maps back to its ExternalSecrets by it). */
export function targetIndexKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** The store an ExternalSecret names, as a provider {@link StoreRef}, or undefined if it does not exist. */
export function resolveStore(
  deps: ExternalSecretDeps,
  es: ExternalSecret,
): { ref: StoreRef; store: AnyStore } | undefined {
  const kind = es.spec.secretStoreRef?.kind ?? "SecretStore";
  const name = es.spec.secretStoreRef?.name;
  if (!name) return undefined;
  const store = kind === "ClusterSecretStore"
    ? deps.clusterSecretStores.get(name)
    : deps.secretStores.get(`${es.metadata.namespace}/${name}`);
  if (!store) return undefined;
  return {
    store,
    ref: storeRefOf(kind, store),
  };
}

/** True when this controller should act on objects using the store (ESO's `ShouldProcessStore`). */
export function classMatches(store: AnyStore | undefined, controllerClass: string): boolean {
  const c = store?.spec.controller;
  return !c || c === controllerClass;
}

/** ESO's ClusterSecretStore `conditions`: may `namespace` use the store? Any match in any condition allows. */
export async function namespaceAllowed(
  deps: Pick<ExternalSecretDeps, "client">,
  store: ClusterSecretStore,
  namespace: string,
): Promise<boolean> {
  const conditions = store.spec.conditions;
  if (!conditions?.length) return true;
  let labels: Record<string, string> | undefined;
  for (const c of conditions) {
    if (c.namespaces?.includes(namespace)) return true;
    if (c.namespaceRegexes?.some((r) => new RegExp(r).test(namespace))) return true;
    const sel = c.namespaceSelector;
    if (sel && (sel.matchLabels || sel.matchExpressions)) {
      labels ??= (await deps.client.get(namespaces, namespace) as Namespace).metadata?.labels ?? {};
      const l = labels;
      const okLabels = Object.entries(sel.matchLabels ?? {}).every(([k, v]) => l[k] === v);
      const okExpr = (sel.matchExpressions ?? []).every((e) => {
        const has = Object.hasOwn(l, e.key);
        switch (e.operator) {
          case "In":
            return has && (e.values ?? []).includes(l[e.key]!);
          case "NotIn":
            return !has || !(e.values ?? []).includes(l[e.key]!);
          case "Exists":
            return has;
          case "DoesNotExist":
            return !has;
          default:
            return false;
        }
      });
      if (okLabels && okExpr) return true;
    }
  }
  return false;
}

function sameStatus(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? {}) === JSON.stringify(b ?? {});
}

/** The ExternalSecret reconciler. */
export class ExternalSecretReconciler {
  readonly #d: ExternalSecretDeps;

  constructor(deps: ExternalSecretDeps) {
    this.#d = deps;
  }

  /** Reconciles `namespace/name`. Throws to ask for a retry with back-off. */
  async reconcile(key: string, signal?: AbortSignal): Promise<Action> {
    const d = this.#d;
    let es = d.externalSecrets.get(key);
    if (!es) return awaitChange();
    const resolved = resolveStore(d, es);
    if (resolved && !classMatches(resolved.store, d.controllerClass)) return awaitChange();
    const started = performance.now();
    const labels = { name: es.metadata.name!, namespace: es.metadata.namespace! };
    try {
      if (es.metadata.deletionTimestamp) return await this.#finalize(es);
      if (!es.metadata.finalizers?.includes(FINALIZER)) {
        const patch = addFinalizerPatch(es, FINALIZER);
        if (patch) {
          es = await d.client.patch(externalSecrets, es.metadata.name!, patch, {
            namespace: es.metadata.namespace!,
          }) as unknown as ExternalSecret;
        }
      }
      return await this.#sync(es, resolved, signal);
    } finally {
      d.metrics.esReconcileDuration.set(labels, (performance.now() - started) * 1e6);
    }
  }

  async #finalize(es: ExternalSecret): Promise<Action> {
    const d = this.#d;
    if (!es.metadata.finalizers?.includes(FINALIZER)) return awaitChange();
    if (es.spec.target?.deletionPolicy === "Delete") {
      const name = targetName(es);
      const target = d.targets.get(`${es.metadata.namespace}/${name}`);
      // Only a Secret this ExternalSecret created goes with it.
      if (target?.metadata.ownerReferences?.some((o) => o.uid === es.metadata.uid)) {
        await d.client.delete(secrets, name, { namespace: es.metadata.namespace! }).catch((e) => {
          if (!isNotFound(e)) throw e;
        });
      }
    }
    const patch = removeFinalizerPatch(es, FINALIZER);
    if (patch) {
      await d.client.patch(externalSecrets, es.metadata.name!, patch, { namespace: es.metadata.namespace! }).catch(
        (e) => {
          if (!isNotFound(e)) throw e;
        },
      );
    }
    return awaitChange();
  }

  /** Marks the ExternalSecret failed (status, Event, metrics) and returns the error to throw. */
  async #failed(es: ExternalSecret, message: string, error?: unknown): Promise<Error> {
    const d = this.#d;
    const now = d.now();
    const { status, events } = planFailure(es, message, now);
    await this.#writeStatus(es, status);
    for (const ev of events) await d.events.record(es, ev.type, ev.reason, ev.message);
    d.metrics.syncErrors.inc({ name: es.metadata.name!, namespace: es.metadata.namespace! });
    setConditionGauge(
      d.metrics.esCondition,
      { name: es.metadata.name!, namespace: es.metadata.namespace! },
      "Ready",
      "False",
    );
    d.log.warn("sync failed", {
      namespace: es.metadata.namespace,
      name: es.metadata.name,
      reason: "SecretSyncedError",
      error: message,
    });
    const terminal = error instanceof TerminalError || error instanceof InvalidStoreError;
    return new ReportedError(message, { cause: terminal ? new TerminalError(message, { cause: error }) : error });
  }

  async #writeStatus(es: ExternalSecret, status: ExternalSecret["status"]): Promise<void> {
    if (sameStatus(es.status, status)) return;
    try {
      await this.#d.client.patch(externalSecrets, es.metadata.name!, mergePatch({ status }), {
        namespace: es.metadata.namespace!,
        subresource: "status",
      });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  async #sync(es: ExternalSecret, resolved: ReturnType<typeof resolveStore>, signal?: AbortSignal): Promise<Action> {
    const d = this.#d;
    const ns = es.metadata.namespace!;
    const name = targetName(es);
    const now = d.now();
    const target = d.targets.get(`${ns}/${name}`);
    const key = `${ns}/${es.metadata.name}`;
    const decision = decideRefresh(es, target, now, this.#early(es, key));
    if (!decision.refresh) {
      d.log.debug("no refresh due", { namespace: ns, name: es.metadata.name, reason: decision.reason });
      return this.#next(es, key);
    }

    // --- inputs: store, client, values. Any failure here leaves the Secret untouched. ---
    const storeKind = es.spec.secretStoreRef?.kind ?? "SecretStore";
    const storeName = es.spec.secretStoreRef?.name;
    if (!storeName) throw await this.#failed(es, "spec.secretStoreRef.name is required", new TerminalError("no store"));
    if (!resolved) {
      throw await this.#failed(
        es,
        `${storeKind} "${storeName}" not found${storeKind === "SecretStore" ? ` in namespace ${ns}` : ""}`,
      );
    }
    if (d.floodGate) {
      const ready = getCondition(resolved.store.status?.conditions, "Ready");
      if (!ready) {
        // Not validated yet (typically right after start): its validation re-enqueues us; no alarm meanwhile.
        d.log.debug("store not validated yet", { namespace: ns, name: es.metadata.name, store: storeName });
        return requeue(5000);
      }
      if (ready.status !== "True") {
        throw await this.#failed(
          es,
          `${storeKind} "${storeName}" is not ready${ready.message ? `: ${ready.message}` : ""}`,
        );
      }
    }
    if (storeKind === "ClusterSecretStore" && !await namespaceAllowed(d, resolved.store as ClusterSecretStore, ns)) {
      throw await this.#failed(
        es,
        `using cluster store "${storeName}" is not allowed from namespace "${ns}": denied by spec.condition`,
        new TerminalError("denied"),
      );
    }
    if (es.spec.dataFrom?.length) {
      throw await this.#failed(
        es,
        "spec.dataFrom is not supported yet by this controller",
        new TerminalError("dataFrom"),
      );
    }
    if (es.spec.data?.some((item) => item.sourceRef)) {
      throw await this.#failed(
        es,
        "spec.data[].sourceRef is not supported yet by this controller",
        new TerminalError("sourceRef"),
      );
    }

    let values: Record<string, Uint8Array>;
    let fetchedAt = now.getTime();
    try {
      const client = await d.clients.get(resolved.ref, ns);
      const interval = refreshIntervalMs(es);
      const lastRefresh = es.status?.refreshTime ? Date.parse(es.status.refreshTime) : 0;
      // Every refresh wants a value newer than the one it has (refreshTime has whole seconds, so "newer" means a
      // later second: each refresh moves refreshTime forward); a forced one wants a read that started after the
      // change that forced it was seen (ExternalSecrets force-synced together still share such a read).
      const newer = lastRefresh + 1000;
      const notBefore = decision.fresh === "window"
        ? newer
        : decision.fresh === "forced"
        ? Math.max(newer, d.changedAt(key) ?? now.getTime())
        : now.getTime() - refreshSpreadMs(interval);
      const keepMs = Math.min(25 * 3_600_000, Math.max(interval, 0) + refreshSpreadMs(interval));
      // Referent authentication resolves credentials per namespace, so values are shared per namespace only.
      const scope = `${storeKey(resolved.ref.kind, resolved.ref.name, resolved.ref.namespace)}@${resolved.ref.uid}|${
        resolved.ref.kind === "ClusterSecretStore" ? ns : ""
      }`;
      const entries = await Promise.all((es.spec.data ?? []).map(async (item) => {
        const ref = item.remoteRef;
        const cacheKey = `${scope}|${ref.key}|${ref.version ?? ""}|${ref.metadataPolicy ?? "None"}`;
        const got = await d.fetches.get(cacheKey, notBefore, keepMs, async () => {
          const value = await client.getSecret(
            {
              key: ref.key,
              ...(ref.version ? { version: ref.version } : {}),
              ...(ref.metadataPolicy ? { metadataPolicy: ref.metadataPolicy } : {}),
            },
            signal,
          );
          d.secretSeen?.(value);
          return value;
        });
        fetchedAt = Math.min(fetchedAt, got.fetchedAt);
        let v = got.value;
        if (ref.property) {
          v = new TextEncoder().encode(selectProperty(new TextDecoder().decode(v), ref.property, ref.key));
        }
        v = decodeValue(v, ref.decodingStrategy, ref.key);
        checkNullBytes(v, ref.nullBytePolicy, ref.key);
        return [item.secretKey, v] as const;
      }));
      values = Object.fromEntries(entries);
    } catch (e) {
      if (e instanceof NoSecretError) {
        throw await this.#failed(es, `${e.message}; the existing Secret is kept (deletionPolicy Retain)`, e);
      }
      throw await this.#failed(es, `could not get secret data from provider: ${(e as Error).message}`, e);
    }

    // --- plan and apply ---
    let templateSources: TemplateSources | undefined;
    try {
      templateSources = await this.#templateSources(es, signal);
    } catch (e) {
      throw await this.#failed(es, `could not read the templates named by templateFrom: ${(e as Error).message}`, e);
    }
    let targetData: Record<string, Uint8Array> | undefined;
    const policy = es.spec.target?.creationPolicy ?? "Owner";
    if ((policy === "Merge" || policy === "CreateOrMerge") && target) targetData = await this.#readData(ns, name);
    let plan = await planSync({
      es,
      target,
      values,
      now: new Date(fetchedAt),
      ...(targetData ? { targetData } : {}),
      ...(templateSources ? { templateSources } : {}),
    });
    try {
      plan = await this.#apply(es, plan, values, fetchedAt, templateSources);
    } catch (e) {
      if (isConflict(e)) throw e; // the cache is behind: retry soon, quietly
      throw await this.#failed(es, `could not update secret: ${(e as Error).message}`, e);
    }
    if (plan.failure) throw await this.#failed(es, plan.failure, new TerminalError(plan.failure));

    await this.#writeStatus(es, plan.status);
    for (const ev of plan.events) await d.events.record(es, ev.type, ev.reason, ev.message);
    d.metrics.syncCalls.inc({ name: es.metadata.name!, namespace: ns });
    setConditionGauge(d.metrics.esCondition, { name: es.metadata.name!, namespace: ns }, "Ready", "True");
    d.log.info(plan.write ? `secret ${plan.write.op === "create" ? "created" : "updated"}` : "secret in sync", {
      namespace: ns,
      name: es.metadata.name,
      secret: name,
      reason: decision.reason,
      keys: Object.keys(values).length,
    });
    return this.#next({ ...es, status: plan.status }, key);
  }

  /** Carries out a plan's write; a create that finds an unmanaged Secret of that name plans again against it. */
  async #apply(
    es: ExternalSecret,
    plan: SyncPlan,
    values: Record<string, Uint8Array>,
    fetchedAt: number,
    templateSources: TemplateSources | undefined,
  ): Promise<SyncPlan> {
    const d = this.#d;
    const ns = es.metadata.namespace!;
    const w = plan.write;
    if (!w) return plan;
    switch (w.op) {
      case "create":
        try {
          await d.client.create(secrets, w.secret, { namespace: ns });
          return plan;
        } catch (e) {
          if (!isAlreadyExists(e)) throw e;
          // Not in our cache, so not managed: take it over (or refuse, if someone else owns it).
          const existing = await d.client.get(secrets, w.secret.metadata!.name!, { namespace: ns });
          const policy = es.spec.target?.creationPolicy ?? "Owner";
          const targetData = policy === "Merge" || policy === "CreateOrMerge" ? secretDataBytes(existing) : undefined;
          const again = await planSync({
            es,
            target: summarizeSecret(existing),
            values,
            now: new Date(fetchedAt),
            ...(targetData ? { targetData } : {}),
            ...(templateSources ? { templateSources } : {}),
          });
          if (again.write?.op === "create") throw e;
          return await this.#apply(es, again, values, fetchedAt, templateSources);
        }
      case "update":
        await d.client.replace(secrets, w.secret, { namespace: ns });
        return plan;
      case "recreate": {
        const uid = d.targets.get(`${ns}/${w.secret.metadata!.name}`)?.metadata.uid;
        await d.client.delete(secrets, w.secret.metadata!.name!, {
          namespace: ns,
          ...(uid ? { preconditions: { uid } } : {}),
        });
        await d.client.create(secrets, w.secret, { namespace: ns });
        return plan;
      }
    }
  }

  /** The ConfigMaps and Secrets `templateFrom` names, read from the ExternalSecret's namespace (a missing one fails). */
  async #templateSources(es: ExternalSecret, signal?: AbortSignal): Promise<TemplateSources | undefined> {
    const from = es.spec.target?.template?.templateFrom ?? [];
    if (!from.some((f) => f.configMap || f.secret)) return undefined;
    const ns = es.metadata.namespace!;
    const out: Required<TemplateSources> = { configMaps: {}, secrets: {} };
    const opts = { namespace: ns, ...(signal ? { signal } : {}) };
    for (const f of from) {
      if (f.configMap && !(f.configMap.name in out.configMaps)) {
        const cm = await this.#d.client.get(configMaps, f.configMap.name, opts).catch((e) => {
          throw isNotFound(e) ? new Error(`ConfigMap ${ns}/${f.configMap!.name} does not exist`) : e;
        });
        out.configMaps[f.configMap.name] = cm.data ?? {};
      }
      if (f.secret && !(f.secret.name in out.secrets)) {
        const s = await this.#d.client.get(secrets, f.secret.name, opts).catch((e) => {
          throw isNotFound(e) ? new Error(`Secret ${ns}/${f.secret!.name} does not exist`) : e;
        });
        out.secrets[f.secret.name] = secretDataBytes(s);
      }
    }
    return out;
  }

  async #readData(ns: string, name: string): Promise<Record<string, Uint8Array>> {
    try {
      return secretDataBytes(await this.#d.client.get(secrets, name, { namespace: ns }));
    } catch (e) {
      if (isNotFound(e)) return {};
      throw e;
    }
  }

  /** How early this ExternalSecret refreshes: a stable per-key share of the interval's spread. */
  #early(es: ExternalSecret, key: string): number {
    return Math.floor(this.#d.jitter(key) * refreshSpreadMs(Math.max(0, refreshIntervalMs(es))));
  }

  /** When to come back: the next periodic refresh, early by the per-key amount (so refreshes never align). */
  #next(es: ExternalSecret, key: string): Action {
    const ms = msUntilNextRefresh(es, this.#d.now(), this.#early(es, key));
    return ms === undefined ? awaitChange() : requeue(ms);
  }
}
