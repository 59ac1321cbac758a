/**
 * The ExternalSecret reconciler: the thin I/O edge around the planner. It gathers inputs (the informer caches, the
 * store, a provider read when a refresh is due), asks `plan.ts` what to do, carries the plan out (the Secret write,
 * then the status and Events the plan gives) and returns when to come back.
 *
 * Never lose data: any error before the plan (store, credentials, provider, template sources) becomes a `fail` plan
 * that leaves the target Secret as it is; only the status and an Event say what happened.
 *
 * @module
 */
import { creationPolicy, mergesInto, storeKind, targetName } from "../../api/defaults.ts";
import { externalSecrets } from "../../api/resources.ts";
import type { ClusterSecretStore, ExternalSecret } from "../../api/types.ts";
import type { KubeClient } from "../../kube/client.ts";
import { isAlreadyExists, isConflict, isInvalid, isNotFound } from "../../kube/errors.ts";
import { addFinalizerPatch, mergePatch, removeFinalizerPatch } from "../../kube/patch.ts";
import { configMaps, secrets } from "../../kube/resources.ts";
import type { Secret } from "../../kube/types.ts";
import type { StoreClientCache } from "../../providers/clients.ts";
import { InvalidStoreError, NoSecretError } from "../../providers/provider.ts";
import { ReportedError } from "../../runtime/controller.ts";
import type { EventRecorder } from "../../runtime/events.ts";
import type { Informer } from "../../runtime/informer.ts";
import { type ObjectKey, objectKey, readKeyStore, storeKey } from "../../runtime/keys.ts";
import type { Logger } from "../../runtime/log.ts";
import { InFlightLimitError } from "../../runtime/rate_limiter.ts";
import { type Action, awaitChange, requeue, TerminalError } from "../../runtime/work_queue.ts";
import type { TemplateSources } from "../../template/mod.ts";
import { getCondition, stampTransitions } from "../conditions.ts";
import { ChangeDetector } from "../change_detection.ts";
import { type FetchCache, refreshSpreadMs } from "../fetch_cache.ts";
import { type ControllerMetrics, dropExternalSecretSeries, setConditionGauge } from "../metrics.ts";
import {
  decideRefresh,
  LABEL_CREATED_BY,
  msUntilNextRefresh,
  refreshIntervalMs,
  secretDataBytes,
  summarizeSecret,
  type TargetSecret,
} from "../refresh.ts";
import { classMatches, namespaceAllowed, resolveStore, type StoreCaches } from "../store_access.ts";
import { ownerLabelValue } from "../eso_hash.ts";
import {
  type AdoptionPolicy,
  fieldManager,
  type Plan,
  planFailure,
  planFinalize,
  planMissingMergeTarget,
  planSync,
  specProblem,
  type SyncInput,
} from "./plan.ts";
import { planReads, readValues } from "./read.ts";

export const FINALIZER = "externalsecrets.external-secrets.io/externalsecret-cleanup";

/** Index of managed Secrets by `namespace/<created-by label>` (the ExternalSecret that created them). */
export const BY_CREATED_BY = "created-by";

/** Adds the index orphan deletion looks Secrets up by; call before the informer starts. */
export function indexTargets(targets: Informer<Secret, TargetSecret>): void {
  targets.addIndex(BY_CREATED_BY, (s) => {
    const label = s.metadata.labels?.[LABEL_CREATED_BY];
    return label ? [`${s.metadata.namespace}/${label}`] : [];
  });
}

/** Everything the reconciler reads from and writes to. */
export interface ExternalSecretDeps extends StoreCaches {
  client: KubeClient;
  externalSecrets: Informer<ExternalSecret, ExternalSecret>;
  targets: Informer<Secret, TargetSecret>;
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
  changedAt: (key: ObjectKey) => number | undefined;
  /** Called when an ExternalSecret is gone, to drop what was kept about it. */
  forget?: (key: ObjectKey) => void;
  /** Told every value read from the provider (the logger scrubs them; see runtime/log.ts Redactor). */
  secretSeen?: (value: Uint8Array) => void;
  /**
   * Scrubs every secret value seen (and its base64, hex, upper- and lower-case forms) from a message before it goes
   * into status or an Event: an apiserver or provider error can quote a value (a rendered label the apiserver
   * rejects, a `fail` in a template).
   */
  redact?: (text: string) => string;
  /** `--adoption-policy`: which existing Secrets an ExternalSecret may take over. @default {"eso"} */
  adoption?: AdoptionPolicy;
  /** Which store, if any, reads its credentials from Secret `namespace/name` (never written: tenant safety). */
  credentialsOf?: (namespace: string, name: string) => string | undefined;
  /** How long before a source's expiry `SourceExpiring` is recorded (`--expiry-warning`). @default {30 days} */
  expiryWarningMs?: number;
  /** Caps syncs waiting on one provider endpoint (a vault that hangs holds a bounded share of the workers). */
  inFlight?: { acquire(endpoint: string, signal?: AbortSignal): Promise<() => void> };
  /** Deterministic per-key jitter in [0, 1): spreads refreshes so a restart does not align them. */
  jitter: (key: string) => number;
  now: () => Date;
  /** `--enable-change-detection`: periodic refreshes list the store's versions, read only what changed. @default {true} */
  changeDetection?: boolean;
  /**
   * `--ignored-metadata-prefixes`: label/annotation keys whose changes are not a change of the ExternalSecret (GitOps
   * tools' bookkeeping, ESO#3979). @default {[]} (ESO: every change counts)
   */
  ignoredMetadataPrefixes?: readonly string[];
}

/** The sync options the command line sets. */
export type SyncOptions = Pick<
  ExternalSecretDeps,
  "expiryWarningMs" | "adoption" | "redact" | "changeDetection" | "ignoredMetadataPrefixes"
>;

type Resolved = ReturnType<typeof resolveStore>;

/** The ExternalSecret reconciler. */
export class ExternalSecretReconciler {
  readonly #d: ExternalSecretDeps;
  /** The expiry series each ExternalSecret exports, so a changed or deleted one leaves no stale series. */
  readonly #expirySeries = new Map<ObjectKey, Record<string, string>[]>();
  readonly #changes: ChangeDetector | undefined;

  constructor(deps: ExternalSecretDeps) {
    this.#d = deps;
    if (deps.changeDetection === false) return;
    this.#changes = new ChangeDetector({
      onRead: (mode) => deps.metrics.refreshReads.inc({ mode }),
      onFallback: (listKey, reason) =>
        deps.log.info("change detection: reading this store's keys one by one for an hour", {
          store: readKeyStore(listKey),
          reason: reason === "too-long" ? "its listing has more pages than it has keys in use" : "its listing failed",
        }),
    });
  }

  /** Reconciles `namespace/name`. Throws to ask for a retry with back-off. */
  async reconcile(key: ObjectKey, signal?: AbortSignal): Promise<Action> {
    const d = this.#d;
    const found = d.externalSecrets.get(key);
    if (!found) {
      const [namespace, name] = key.split("/") as [string, string];
      dropExternalSecretSeries(d.metrics, { name, namespace });
      this.#exportExpiry(key, undefined, undefined);
      d.forget?.(key);
      return awaitChange();
    }
    const resolved = resolveStore(d, found);
    if (resolved && !classMatches(resolved.store, d.controllerClass)) return awaitChange();
    const started = performance.now();
    try {
      if (found.metadata.deletionTimestamp) return await this.#finalize(found);
      const es = await this.#withFinalizer(found);
      return await this.#sync(es, key, resolved, signal);
    } finally {
      const labels = { name: found.metadata.name!, namespace: found.metadata.namespace! };
      d.metrics.esReconcileDuration.set(labels, (performance.now() - started) * 1e6);
    }
  }

  /**
   * Adds the finalizer. The patch tests the finalizers the cache saw; right after our own write the cache can be
   * behind (the apiserver answers 422 to the failed test), so the object is read again and the patch retried once
   * against what is really there — quietly: nothing failed.
   */
  async #withFinalizer(cached: ExternalSecret): Promise<ExternalSecret> {
    const d = this.#d;
    const opts = { namespace: cached.metadata.namespace! };
    let es = cached;
    for (let attempt = 0;; attempt++) {
      const patch = addFinalizerPatch(es, FINALIZER);
      if (!patch) return es;
      try {
        return await d.client.patch(externalSecrets, es.metadata.name!, patch, opts);
      } catch (e) {
        if (!isInvalid(e) || attempt > 0) throw e;
        d.log.debug("finalizer patch raced the cache; reading the object again", { ...opts, name: es.metadata.name });
        es = await d.client.get(externalSecrets, es.metadata.name!, opts);
      }
    }
  }

  async #finalize(es: ExternalSecret): Promise<Action> {
    const d = this.#d;
    if (!es.metadata.finalizers?.includes(FINALIZER)) return awaitChange();
    const ns = es.metadata.namespace!;
    const plan = planFinalize(es, d.targets.get(objectKey({ namespace: ns, name: targetName(es) })));
    if (plan.kind === "delete") {
      await d.client.delete(secrets, plan.name, { namespace: ns }).catch((e) => {
        if (!isNotFound(e)) throw e;
      });
    }
    if (plan.kind === "release") {
      // A merge patch replaces the list: the Secret keeps every other owner and stays when we go.
      await d.client.patch(secrets, plan.name, mergePatch({ metadata: { ownerReferences: plan.ownerReferences } }), {
        namespace: ns,
      }).catch((e) => {
        if (!isNotFound(e)) throw e;
      });
    }
    const patch = removeFinalizerPatch(es, FINALIZER);
    if (patch) {
      await d.client.patch(externalSecrets, es.metadata.name!, patch, { namespace: ns }).catch((e) => {
        if (!isNotFound(e)) throw e;
      });
    }
    return plan.kind === "fail" ? awaitChange() : plan.next;
  }

  async #sync(es: ExternalSecret, key: ObjectKey, resolved: Resolved, signal?: AbortSignal): Promise<Action> {
    const d = this.#d;
    const now = d.now();
    const earlyMs = this.#early(es, key);
    const target = await this.#target(es);
    const ignored = d.ignoredMetadataPrefixes ?? [];
    const decision = decideRefresh(es, target, now, earlyMs, ignored);
    if (!decision.refresh) {
      d.log.debug("no refresh due", {
        namespace: es.metadata.namespace,
        name: es.metadata.name,
        reason: decision.reason,
      });
      return this.#next(es, key);
    }
    const gate = await this.#storeGate(es, resolved, now);
    if (gate) return "kind" in gate ? await this.#execute(es, gate, decision.reason) : gate;
    const missing = planMissingMergeTarget(es, target, now, earlyMs, ignored);
    if (missing) return await this.#execute(es, missing, decision.reason);
    const input = await this.#gather(es, key, resolved!, target, decision.fresh, signal);
    if ("requeueAfterMs" in input) return input;
    if ("kind" in input) return await this.#execute(es, input, decision.reason);
    // A create that finds an unmanaged Secret of that name plans again against it (takes it over, or refuses).
    const replan = (existing: Secret): Promise<Plan> =>
      planSync({
        ...input,
        target: summarizeSecret(existing),
        ...(mergesInto(es) ? { targetData: secretDataBytes(existing) } : {}),
      });
    return await this.#execute(es, await planSync(input), decision.reason, replan);
  }

  /** Whether the store can be used now: a failure plan, an Action to wait, or undefined to go on. */
  async #storeGate(es: ExternalSecret, resolved: Resolved, now: Date): Promise<Plan | Action | undefined> {
    const d = this.#d;
    const ns = es.metadata.namespace!;
    const kind = storeKind(es);
    const name = es.spec.secretStoreRef?.name;
    if (!name) return planFailure(es, "spec.secretStoreRef.name is required", now, "terminal");
    if (!resolved) {
      const where = kind === "SecretStore" ? ` in namespace ${ns}` : "";
      return planFailure(es, `${kind} "${name}" not found${where}`, now);
    }
    if (d.floodGate) {
      const ready = getCondition(resolved.store.status?.conditions, "Ready");
      // Not validated yet (typically right after start): its validation re-enqueues us; no alarm meanwhile.
      if (!ready) return requeue(5000);
      if (ready.status !== "True") {
        return planFailure(es, `${kind} "${name}" is not ready${ready.message ? `: ${ready.message}` : ""}`, now);
      }
    }
    let allowed = true;
    try {
      allowed = kind !== "ClusterSecretStore" ||
        await namespaceAllowed(d.client, resolved.store as ClusterSecretStore, ns);
    } catch (e) {
      if (!(e instanceof InvalidStoreError)) throw e; // the namespace could not be read: retried by back-off
      return planFailure(es, e.message, now, "terminal", e);
    }
    if (!allowed) {
      const message = `using cluster store "${name}" is not allowed from namespace "${ns}": denied by spec.condition`;
      return planFailure(es, message, now, "terminal");
    }
    return undefined;
  }

  /** Reads what the ExternalSecret needs: the planner's input, or a `fail` plan saying why it could not. */
  async #gather(
    es: ExternalSecret,
    key: ObjectKey,
    resolved: NonNullable<Resolved>,
    target: TargetSecret | undefined,
    fresh: "forced" | "new" | "window",
    signal?: AbortSignal,
  ): Promise<SyncInput | Plan | Action> {
    const d = this.#d;
    const now = d.now();
    const ns = es.metadata.namespace!;
    const credentialsOf = d.credentialsOf?.(ns, targetName(es));
    const problem = specProblem(es);
    if (problem) return planFailure(es, problem, now, "terminal");
    let read;
    try {
      const reads = planReads({
        es,
        store: resolved.ref,
        fresh,
        now: now.getTime(),
        changedAt: d.changedAt(key),
        credentialScope: d.clients.scopeOf(resolved.ref, ns),
      });
      if ("unsupported" in reads) return planFailure(es, reads.unsupported, now, "terminal");
      const client = await d.clients.get(resolved.ref, ns);
      const release = await d.inFlight?.acquire(
        client.endpoint ?? storeKey(resolved.ref.kind, resolved.ref.name, resolved.ref.namespace),
        signal,
      );
      const readOptions = { now: now.getTime(), signal, seen: d.secretSeen, changes: this.#changes };
      read = await readValues(reads, client, d.fetches, readOptions)
        .finally(() => release?.());
    } catch (e) {
      // The vault's slots are all held by calls that are not answered: not this ExternalSecret's failure, so no
      // condition or Event; its worker goes to other vaults and it comes back in 1-3 s.
      if (e instanceof InFlightLimitError) {
        d.log.debug("vault busy", { namespace: ns, name: es.metadata.name, reason: e.message });
        return requeue(1000 + Math.floor(d.jitter(key) * 2000));
      }
      const retry = e instanceof InvalidStoreError || e instanceof TerminalError ? "terminal" : "backoff";
      const message = e instanceof NoSecretError
        ? `${e.message}; the existing Secret is kept (deletionPolicy Retain)`
        : `could not get secret data from provider: ${(e as Error).message}`;
      return planFailure(es, message, now, retry, e);
    }
    let templateSources: TemplateSources | undefined;
    let targetData: Record<string, Uint8Array> | undefined;
    try {
      templateSources = await this.#templateSources(es, signal);
      if (mergesInto(es) && target) targetData = await this.#readData(ns, targetName(es));
    } catch (e) {
      return planFailure(
        es,
        `could not read the templates named by templateFrom: ${(e as Error).message}`,
        now,
        "backoff",
        e,
      );
    }
    const orphans = this.#orphans(es);
    return {
      es,
      target,
      values: read.values,
      sources: read.sources,
      ...(d.adoption ? { adoption: d.adoption } : {}),
      ...(credentialsOf ? { credentialsOf } : {}),
      ...(d.expiryWarningMs !== undefined ? { expiryWarningMs: d.expiryWarningMs } : {}),
      ...(read.missing.length ? { missing: read.missing } : {}),
      ...(orphans.length ? { orphans } : {}),
      now: new Date(read.fetchedAt),
      clock: d.now(),
      earlyMs: this.#early(es, key),
      ...(d.ignoredMetadataPrefixes ? { ignoredMetadataPrefixes: d.ignoredMetadataPrefixes } : {}),
      ...(targetData ? { targetData } : {}),
      ...(templateSources ? { templateSources } : {}),
    };
  }

  /** Carries a plan out: the write, then the status and Events it gives; returns what comes next or throws. */
  async #execute(
    es: ExternalSecret,
    planned: Plan,
    reason: string,
    replan?: (existing: Secret) => Promise<Plan>,
  ): Promise<Action> {
    const d = this.#d;
    const labels = { name: es.metadata.name!, namespace: es.metadata.namespace! };
    let plan = planned;
    if ((plan.kind === "write" || plan.kind === "noop") && plan.orphans) {
      try {
        await this.#deleteOrphans(es, plan.orphans);
      } catch (e) {
        plan = planFailure(es, `could not delete orphaned secrets: ${(e as Error).message}`, d.now(), "backoff", e);
      }
    }
    if (plan.kind === "write") {
      this.#seeDerived(es, plan.write.secret);
      try {
        plan = await this.#write(es, plan, replan);
        // ESO stamps Ready once the Secret is written (markAsDone): a transition is the time of that write.
        plan = { ...plan, status: stampTransitions(es.status?.conditions, plan.status, d.now()) };
      } catch (e) {
        if (isConflict(e)) throw e; // the cache is behind: retry soon, quietly
        plan = planFailure(es, `could not update secret: ${(e as Error).message}`, d.now(), "backoff", e);
      }
    } else if (plan.kind === "delete") {
      const ns = es.metadata.namespace!;
      try {
        await d.client.delete(secrets, plan.name, {
          namespace: ns,
          ...(plan.uid ? { preconditions: { uid: plan.uid } } : {}),
        });
      } catch (e) {
        if (isConflict(e)) throw e;
        if (!isNotFound(e)) {
          plan = planFailure(es, `could not delete secret: ${(e as Error).message}`, d.now(), "backoff", e);
        }
      }
    }
    // No secret value — nor a form of one — leaves through status or an Event, whatever an error quoted.
    const redact = d.redact ?? ((t: string): string => t);
    const conditions = plan.status.conditions?.map((c) => c.message ? { ...c, message: redact(c.message) } : c);
    try {
      await this.#writeStatus(es, { ...plan.status, ...(conditions ? { conditions } : {}) });
    } catch (e) {
      if (!tooLarge(e)) throw e;
      // The object is too large for the apiserver to store a status on it: say so where it can be said.
      const ready = conditions?.find((c) => c.type === "Ready");
      const message = `the ExternalSecret is too large for its status to be written (${(e as Error).message}); ` +
        `Ready would be ${ready?.status ?? "unknown"}: ${ready?.message ?? ""}`;
      await d.events.record(es, "Warning", "UpdateFailed", redact(message));
      d.log.warn("status not written: object too large", { namespace: es.metadata.namespace, name: es.metadata.name });
      throw new ReportedError(message, { cause: new TerminalError(message) });
    }
    // Events are written in the background: the sync does not wait for them.
    for (const ev of plan.events) void d.events.record(es, ev.type, ev.reason, redact(ev.message));
    if (plan.kind === "fail") {
      const message = redact(plan.message);
      d.metrics.syncErrors.inc(labels);
      setConditionGauge(d.metrics.esCondition, labels, "Ready", "False");
      d.log.warn("sync failed", { ...labels, reason: "SecretSyncedError", error: message });
      const cause = plan.retry === "terminal" ? new TerminalError(message, { cause: plan.cause }) : plan.cause;
      throw new ReportedError(message, { cause });
    }
    d.metrics.syncCalls.inc(labels);
    setConditionGauge(d.metrics.esCondition, labels, "Ready", "True");
    if (plan.kind !== "delete") this.#exportExpiry(objectKey(es.metadata), es, plan.status);
    const op = planned.kind === "write" && plan.kind === "write" ? plan.write.op : undefined;
    const what = plan.kind === "delete"
      ? "secret deleted"
      : op === "create"
      ? "secret created"
      : op
      ? "secret updated"
      : "secret in sync";
    d.log.info(
      plan.status.conditions?.find((c) => c.type === "Ready")?.reason === "SecretMissing" ? "secret missing" : what,
      {
        ...labels,
        secret: targetName(es),
        reason,
      },
    );
    return plan.next;
  }

  /**
   * Tells the redactor what the Secret is about to hold: its data values, and labels and annotations the template
   * rendered — all derived from secret values, and any of them may come back quoted in an apiserver error.
   */
  #seeDerived(es: ExternalSecret, secret: Secret): void {
    const seen = this.#d.secretSeen;
    if (!seen) return;
    for (const b64 of Object.values(secret.data ?? {})) seen(Uint8Array.fromBase64(b64));
    // Keys the spec does not spell out were made from values (a template ranging over a secret).
    const spelled = new Set([
      ...(es.spec.data ?? []).map((d) => d.secretKey),
      ...Object.keys(es.spec.target?.template?.data ?? {}),
    ]);
    for (const k of Object.keys(secret.data ?? {})) if (!spelled.has(k)) seen(new TextEncoder().encode(k));
    const meta = es.spec.target?.template?.metadata;
    for (const k of Object.keys(meta?.labels ?? {})) {
      const v = secret.metadata?.labels?.[k];
      if (v) seen(new TextEncoder().encode(v));
    }
    for (const k of Object.keys(meta?.annotations ?? {})) {
      const v = secret.metadata?.annotations?.[k];
      if (v) seen(new TextEncoder().encode(v));
    }
  }

  /** Sets `externalsecret_source_expiry_timestamp_seconds` for the sources in `status`, dropping stale series. */
  #exportExpiry(key: ObjectKey, es: ExternalSecret | undefined, status: ExternalSecret["status"]): void {
    const gauge = this.#d.metrics.sourceExpiry;
    for (const labels of this.#expirySeries.get(key) ?? []) gauge.remove(labels);
    this.#expirySeries.delete(key);
    if (!es || !status?.sources?.length) return;
    const base = {
      namespace: es.metadata.namespace!,
      name: es.metadata.name!,
      store: es.spec.secretStoreRef?.name ?? "",
    };
    const series: Record<string, string>[] = [];
    for (const s of status.sources) {
      if (!s.expiresAt) continue;
      const labels = { ...base, remote_key: s.key };
      gauge.set(labels, Date.parse(s.expiresAt) / 1000);
      series.push(labels);
    }
    if (series.length) this.#expirySeries.set(key, series);
  }

  /** Writes the Secret; a create that finds an unmanaged Secret of that name is planned again against it. */
  async #write(
    es: ExternalSecret,
    plan: Plan & { kind: "write" },
    replan?: (s: Secret) => Promise<Plan>,
  ): Promise<Plan> {
    const d = this.#d;
    const ns = es.metadata.namespace!;
    const w = plan.write;
    switch (w.op) {
      case "create":
        try {
          await d.client.create(secrets, w.secret, { namespace: ns, fieldManager: fieldManager(es) });
          return plan;
        } catch (e) {
          if (!isAlreadyExists(e) || !replan) throw e;
          const again = await replan(await d.client.get(secrets, w.secret.metadata!.name!, { namespace: ns }));
          if (again.kind !== "write") return again;
          if (again.write.op === "create") throw e;
          return await this.#write(es, again);
        }
      case "update":
        await d.client.replace(secrets, w.secret, { namespace: ns, fieldManager: fieldManager(es) });
        return plan;
      case "recreate": {
        const uid = d.targets.get(objectKey({ namespace: ns, name: w.secret.metadata!.name }))?.metadata.uid;
        await d.client.delete(secrets, w.secret.metadata!.name!, {
          namespace: ns,
          ...(uid ? { preconditions: { uid } } : {}),
        });
        await d.client.create(secrets, w.secret, { namespace: ns, fieldManager: fieldManager(es) });
        return plan;
      }
    }
  }

  async #writeStatus(es: ExternalSecret, status: ExternalSecret["status"]): Promise<void> {
    if (JSON.stringify(es.status ?? {}) === JSON.stringify(status ?? {})) return;
    try {
      await this.#d.client.patch(externalSecrets, es.metadata.name!, mergePatch({ status }), {
        namespace: es.metadata.namespace!,
        subresource: "status",
      });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  /**
   * The target Secret: from the managed-Secret cache, or — for Merge and CreateOrMerge, which write into Secrets
   * this controller did not create (so not in that cache) — read from the apiserver.
   */
  async #target(es: ExternalSecret): Promise<TargetSecret | undefined> {
    const ns = es.metadata.namespace!;
    const name = targetName(es);
    const cached = this.#d.targets.get(objectKey({ namespace: ns, name }));
    if (cached || !mergesInto(es)) return cached;
    try {
      return summarizeSecret(await this.#d.client.get(secrets, name, { namespace: ns }));
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  /** The ConfigMaps and Secrets `templateFrom` names, read from the ExternalSecret's namespace (a missing one fails). */
  async #templateSources(es: ExternalSecret, signal?: AbortSignal): Promise<TemplateSources | undefined> {
    const from = es.spec.target?.template?.templateFrom ?? [];
    if (!from.some((f) => f.configMap || f.secret)) return undefined;
    const ns = es.metadata.namespace!;
    const out: Required<TemplateSources> = { configMaps: {}, secrets: {} };
    const opts = { namespace: ns, ...(signal ? { signal } : {}) };
    const missing = (kind: string, name: string) => (e: unknown): never => {
      throw isNotFound(e) ? new Error(`${kind} ${ns}/${name} does not exist`) : e;
    };
    for (const f of from) {
      if (f.configMap && !(f.configMap.name in out.configMaps)) {
        const cm = await this.#d.client.get(configMaps, f.configMap.name, opts).catch(
          missing("ConfigMap", f.configMap.name),
        );
        out.configMaps[f.configMap.name] = cm.data ?? {};
      }
      if (f.secret && !(f.secret.name in out.secrets)) {
        const s = await this.#d.client.get(secrets, f.secret.name, opts).catch(missing("Secret", f.secret.name));
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

  /**
   * Secrets this ExternalSecret created (owner label and a controller reference to it) under a name that is no
   * longer its target: ESO's `deleteOrphanedSecrets` finds them by the label alone; the reference is required here
   * too, so a label copied from elsewhere can never get a Secret deleted.
   */
  #orphans(es: ExternalSecret): string[] {
    if (creationPolicy(es) !== "Owner") return [];
    const ns = es.metadata.namespace!;
    const target = targetName(es);
    const label = ownerLabelValue(ns, es.metadata.name!);
    const out: string[] = [];
    for (const key of this.#d.targets.keysBy(BY_CREATED_BY, `${ns}/${label}`)) {
      const s = this.#d.targets.get(key);
      if (!s || s.metadata.name === target) continue;
      if (s.metadata.ownerReferences?.some((o) => o.controller && o.uid === es.metadata.uid)) {
        out.push(s.metadata.name!);
      }
    }
    return out.sort();
  }

  async #deleteOrphans(es: ExternalSecret, names: string[]): Promise<void> {
    const ns = es.metadata.namespace!;
    for (const name of names) {
      const uid = this.#d.targets.get(objectKey({ namespace: ns, name }))?.metadata.uid;
      await this.#d.client.delete(secrets, name, { namespace: ns, ...(uid ? { preconditions: { uid } } : {}) }).catch(
        (e) => {
          if (!isNotFound(e)) throw e;
        },
      );
    }
  }

  /** How early this ExternalSecret refreshes: a stable per-key share of the interval's spread. */
  #early(es: ExternalSecret, key: string): number {
    return Math.floor(this.#d.jitter(key) * refreshSpreadMs(Math.max(0, refreshIntervalMs(es))));
  }

  /** When to come back when nothing was due: the next periodic refresh, early by the per-key amount. */
  #next(es: ExternalSecret, key: ObjectKey): Action {
    const ms = msUntilNextRefresh(es, this.#d.now(), this.#early(es, key));
    return ms === undefined ? awaitChange() : requeue(ms);
  }
}

/** The apiserver or etcd refused an object for its size (etcd's request limit, a 413). */
function tooLarge(e: unknown): boolean {
  const m = e instanceof Error ? e.message : "";
  return /larger than max|too large|exceeds the maximum|ResourceExhausted/i.test(m) ||
    (e as { status?: number }).status === 413;
}
