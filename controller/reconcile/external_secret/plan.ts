/**
 * The pure core of the ExternalSecret reconciler: given the ExternalSecret, the target Secret as it is, the values
 * read (or why they could not be), and the time, decide what happens — a tagged {@link Plan}:
 *
 * - `write`: create, update or recreate the Secret; then the status and Events given;
 * - `delete`: delete the Secret (deletionPolicy Delete once its ExternalSecret goes);
 * - `noop`: nothing to write; the status and Events given;
 * - `fail`: nothing written; Ready=False with the cause, a Warning Event, retried by back-off or not at all.
 *
 * Each plan carries the status to write, the Events to record and what comes next. No I/O (it is async only because
 * template functions load their libraries on first use); `reconciler.ts` gathers the inputs and carries the plan
 * out, and never decides a failure itself.
 *
 * @module
 */
import { creationPolicy, deletionPolicy, targetName } from "../../api/defaults.ts";
import type { ExternalSecret, ExternalSecretStatus } from "../../api/types.ts";
import type { ObjectMeta, Secret } from "../../kube/types.ts";
import { type Action, awaitChange, requeue } from "../../runtime/work_queue.ts";
import { renderSecretTemplate, type TemplateSources } from "../../template/mod.ts";
import { planExpiry } from "./expiry.ts";
import type { SourceInfo } from "./read.ts";
import { kubeTime, Reason, setCondition } from "../conditions.ts";
import { dataHash, ownerLabelValue, syncedResourceVersion } from "../eso_hash.ts";
import {
  ANNOTATION_DATA_HASH,
  LABEL_CREATED_BY,
  LABEL_MANAGED,
  msUntilNextRefresh,
  type OwnedKeys,
  type TargetSecret,
} from "../refresh.ts";

export { targetName };

type OwnerReference = NonNullable<ObjectMeta["ownerReferences"]>[number];

/** An Event to record on the ExternalSecret (recorder name `external-secrets`, as ESO). */
export interface PlannedEvent {
  type: "Normal" | "Warning";
  reason: string;
  message: string;
}

/** What to do to the target Secret. `recreate` is needed when the type changes: Kubernetes forbids that in place. */
export type SecretWrite =
  | { op: "create"; secret: Secret }
  | { op: "update"; secret: Secret }
  | { op: "recreate"; secret: Secret };

/**
 * Marks a Secret this controller adopted (it existed before, made by someone else): deleting the ExternalSecret then
 * releases it instead of deleting it, whatever the deletionPolicy — and the garbage collector leaves it too.
 */
export const ANNOTATION_ADOPTED = "externalsecrets.kv-operator.io/adopted";
/** With `--adoption-policy strict`, a Secret someone else made is adopted only when it carries this, set to "true". */
export const ANNOTATION_ALLOW_ADOPTION = "externalsecrets.kv-operator.io/allow-adoption";

/**
 * What ESO's admission webhook refuses that the CRD cannot express (ESO enforces it in the controller too), as a
 * message; undefined when the spec is fine. Today: a duplicate `data[].secretKey` with deletionPolicy Retain
 * (apis/externalsecrets/v1/externalsecret_validator.go, validateDuplicateKeys) — otherwise the last would win
 * silently.
 */
export function specProblem(es: ExternalSecret): string | undefined {
  if (deletionPolicy(es) !== "Retain") return undefined;
  const seen = new Set<string>();
  const dup: string[] = [];
  for (const d of es.spec.data ?? []) {
    if (seen.has(d.secretKey)) dup.push(`duplicate secretKey found: ${d.secretKey}`);
    seen.add(d.secretKey);
  }
  return dup.length ? dup.join("; ") : undefined;
}

/** A Secret's data may not exceed 1 MiB (the apiserver's limit, said clearly before it answers with less). */
export const MAX_SECRET_BYTES = 1024 * 1024;

/** Which existing Secrets an ExternalSecret may take over: `eso` as ESO (any unowned one), `strict` only opted-in. */
export type AdoptionPolicy = "eso" | "strict";

/** How a failed plan is retried: by the queue's back-off (the cause may say how soon), or not until a change. */
export type Retry = "backoff" | "terminal";

/**
 * What to do, with the status to write and the Events to record afterwards. `orphans`: Secrets this ExternalSecret
 * created under an earlier target name, deleted before the write (ESO's `deleteOrphanedSecrets`).
 */
export type Plan =
  | {
    kind: "write";
    write: SecretWrite;
    orphans?: string[];
    status: ExternalSecretStatus;
    events: PlannedEvent[];
    next: Action;
  }
  | {
    kind: "delete";
    name: string;
    /** Deleted only if it is still this object (a precondition). */
    uid?: string;
    status: ExternalSecretStatus;
    events: PlannedEvent[];
    next: Action;
  }
  /** Drop this ExternalSecret's owner reference: an adopted Secret outlives it (it was not ours to delete). */
  | {
    kind: "release";
    name: string;
    ownerReferences: OwnerReference[];
    status: ExternalSecretStatus;
    events: PlannedEvent[];
    next: Action;
  }
  | { kind: "noop"; orphans?: string[]; status: ExternalSecretStatus; events: PlannedEvent[]; next: Action }
  | {
    kind: "fail";
    message: string;
    retry: Retry;
    /** The error behind it, for the queue (a provider's Retry-After travels in it). */
    cause?: unknown;
    status: ExternalSecretStatus;
    events: PlannedEvent[];
  };

/** Inputs of {@link planSync}. */
export interface SyncInput {
  es: ExternalSecret;
  /** The target Secret as it is now, if it exists. */
  target: TargetSecret | undefined;
  /** The target's current data: needed only to merge into it (creationPolicy Merge and CreateOrMerge). */
  targetData?: Record<string, Uint8Array>;
  /** Provider values by `secretKey`, already decoded. */
  values: Record<string, Uint8Array>;
  /** Items the provider has no secret for (deletionPolicy Delete or Merge only: with Retain that is a failure). */
  missing?: MissingItem[];
  /**
   * Secrets in the namespace that this ExternalSecret created and owns under another name (it was renamed):
   * deleted with creationPolicy Owner, as ESO does.
   */
  orphans?: string[];
  /** ConfigMaps/Secrets named by `templateFrom`. */
  templateSources?: TemplateSources;
  /** When the values were read: the status' `refreshTime`. */
  now: Date;
  /** The clock, for when to come back. @default {now} */
  clock?: Date;
  /** How early this ExternalSecret refreshes (its per-key jitter), in ms. @default {0} */
  earlyMs?: number;
  /** What each `data[]` value was read from (version, expiry): status and expiry Events. */
  sources?: readonly SourceInfo[];
  /** How long before a source's expiry `SourceExpiring` is recorded. @default {30 days} */
  expiryWarningMs?: number;
  /** The store whose credentials the target Secret holds, if one does (never written: a tenant's takeover path). */
  credentialsOf?: string;
  /** `--adoption-policy`. @default {"eso"} */
  adoption?: AdoptionPolicy;
  /** `--ignored-metadata-prefixes`: label/annotation keys left out of `syncedResourceVersion`. @default {[]} */
  ignoredMetadataPrefixes?: readonly string[];
}

/** An item whose secret the provider does not have: `spec.data[0]` (key `db`), `spec.dataFrom[1]`. */
export interface MissingItem {
  item: string;
  key: string;
}

/** The write of a plan, if it writes. */
export function writeOf(plan: Plan): SecretWrite | undefined {
  return plan.kind === "write" ? plan.write : undefined;
}

/** The failure message of a plan, if it failed. */
export function failureOf(plan: Plan): string | undefined {
  return plan.kind === "fail" ? plan.message : undefined;
}

/** The field manager ESO uses for a given ExternalSecret (`fieldOwnerTemplate`). */
export function fieldManager(es: ExternalSecret): string {
  return `externalsecrets.external-secrets.io/${es.metadata.name}`;
}

function ownerReference(es: ExternalSecret): OwnerReference {
  return {
    apiVersion: "external-secrets.io/v1",
    kind: "ExternalSecret",
    name: es.metadata.name!,
    uid: es.metadata.uid!,
    controller: true,
    blockOwnerDeletion: true,
  };
}

function encodeData(data: Record<string, Uint8Array>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(data).sort()) out[k] = data[k]!.toBase64();
  return out;
}

function sameMap(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const ka = Object.keys(a ?? {});
  if (ka.length !== Object.keys(b ?? {}).length) return false;
  return ka.every((k) => b?.[k] === a?.[k]);
}

function sameOwners(a: OwnerReference[] | undefined, b: OwnerReference[] | undefined): boolean {
  return JSON.stringify(a ?? []) === JSON.stringify(b ?? []);
}

/**
 * A failed attempt: Ready=False with the (redacted) cause, a Warning Event; refreshTime is left as it was, so the
 * next attempt still counts as due.
 */
export function planFailure(
  es: ExternalSecret,
  message: string,
  now: Date,
  retry: Retry = "backoff",
  cause?: unknown,
): Plan {
  return {
    kind: "fail",
    message,
    retry,
    ...(cause !== undefined ? { cause } : {}),
    status: {
      ...es.status,
      conditions: setCondition(es.status?.conditions, {
        type: "Ready",
        status: "False",
        reason: Reason.SecretSyncedError,
        message,
      }, now),
    },
    events: [{ type: "Warning", reason: "UpdateFailed", message }],
  };
}

/** A failure in the spec or the target itself: retrying cannot help until something changes. */
function fail(es: ExternalSecret, message: string, now: Date): Plan {
  return planFailure(es, message, now, "terminal");
}

/** When to come back after a success: the next periodic refresh, early by the per-key amount. */
function nextRefresh(es: ExternalSecret, status: ExternalSecretStatus, clock: Date, earlyMs: number): Action {
  const ms = msUntilNextRefresh({ ...es, status }, clock, earlyMs);
  return ms === undefined ? awaitChange() : requeue(ms);
}

/**
 * Status after a successful refresh: Ready=True with `reason`, `refreshTime` the time the values were read (`now`),
 * the spec version synced. A condition that changes is stamped with `clock` — the moment of the write that made it
 * so, as ESO stamps it — not with the read time, which may be older when a read was shared.
 */
function doneStatus(
  es: ExternalSecret,
  now: Date,
  reason: string,
  message: string,
  clock: Date = now,
  ignoredPrefixes: readonly string[] = [],
): ExternalSecretStatus {
  return {
    ...es.status,
    refreshTime: kubeTime(now),
    syncedResourceVersion: syncedResourceVersion(es.metadata, ignoredPrefixes),
    conditions: setCondition(es.status?.conditions, { type: "Ready", status: "True", reason, message }, clock),
  };
}

/**
 * creationPolicy Merge with no Secret to merge into: Ready=True reason SecretMissing, refreshed, back at the next
 * interval — as ESO v2.9 (`markAsDone(..., SecretMissing, ...)`, before any provider read). Undefined otherwise.
 */
export function planMissingMergeTarget(
  es: ExternalSecret,
  target: TargetSecret | undefined,
  now: Date,
  earlyMs = 0,
  ignoredPrefixes: readonly string[] = [],
): Plan | undefined {
  if (creationPolicy(es) !== "Merge" || target) return undefined;
  const name = targetName(es);
  const status = doneStatus(
    es,
    now,
    Reason.SecretMissing,
    `secret ${es.metadata.namespace}/${name} does not exist: creationPolicy Merge only writes into an existing ` +
      "Secret; it is checked again at the next refresh",
    now,
    ignoredPrefixes,
  );
  return { kind: "noop", status, events: [], next: nextRefresh(es, status, now, earlyMs) };
}

/**
 * The ExternalSecret is being deleted: with deletionPolicy Delete the Secret it created goes with it (only a Secret
 * this ExternalSecret owns: never one someone else made); otherwise nothing is written.
 */
export function planFinalize(es: ExternalSecret, target: TargetSecret | undefined): Plan {
  const status = es.status ?? {};
  const owned = target?.metadata?.ownerReferences?.some((o) => o.uid === es.metadata.uid) === true;
  if (owned && target?.metadata?.annotations?.[ANNOTATION_ADOPTED] === "true") {
    // Never delete a Secret this controller did not create — nor let the garbage collector, through our owner ref.
    const ownerReferences = (target.metadata.ownerReferences ?? []).filter((o) => o.uid !== es.metadata.uid);
    return { kind: "release", name: targetName(es), ownerReferences, status, events: [], next: awaitChange() };
  }
  if (deletionPolicy(es) === "Delete" && owned) {
    return { kind: "delete", name: targetName(es), status, events: [], next: awaitChange() };
  }
  return { kind: "noop", status, events: [], next: awaitChange() };
}

interface Rendered {
  data: Record<string, Uint8Array>;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/**
 * Why the target must not be written at all, whoever asks: it holds a store's credentials (a namespace user could
 * otherwise overwrite them and break, or capture, every ExternalSecret on that store), it is a ServiceAccount
 * token, or — under `--adoption-policy strict` — it is someone else's and not opted in.
 */
function takeoverRefusal(input: SyncInput): string | undefined {
  const { es, target } = input;
  const where = `Secret ${es.metadata.namespace}/${targetName(es)}`;
  if (input.credentialsOf) {
    return `${where} holds the credentials of ${input.credentialsOf}: this controller never writes a store's ` +
      "credentials Secret (choose another target name)";
  }
  const type = target?.type ?? es.spec.target?.template?.type;
  if (type === "kubernetes.io/service-account-token") {
    return `${where} is a ServiceAccount token Secret: this controller never writes one`;
  }
  const ours = target?.metadata?.ownerReferences?.some((o) => o.uid === es.metadata.uid) === true;
  const managed = target?.metadata?.labels?.[LABEL_MANAGED] === "true";
  const optedIn = target?.metadata?.annotations?.[ANNOTATION_ALLOW_ADOPTION] === "true";
  if (target && !ours && !managed && !optedIn && input.adoption === "strict" && creationPolicy(es) !== "Merge") {
    return `${where} exists and was not created by an ExternalSecret: with --adoption-policy strict it is taken ` +
      `over only when annotated ${ANNOTATION_ALLOW_ADOPTION}="true"`;
  }
  return undefined;
}

/** Why the Secret must not be written over, or undefined: another ExternalSecret (or controller) owns it. */
function ownershipConflict(es: ExternalSecret, target: TargetSecret | undefined): string | undefined {
  const controllerRef = target?.metadata?.ownerReferences?.find((o) => o.controller);
  if (!controllerRef || controllerRef.uid === es.metadata.uid || creationPolicy(es) !== "Owner") return undefined;
  const owner = controllerRef.kind === "ExternalSecret"
    ? `another ExternalSecret (${controllerRef.name})`
    : `${controllerRef.kind} ${controllerRef.name}`;
  return `target is owned by ${owner}: refusing to overwrite Secret ${es.metadata.namespace}/${targetName(es)}`;
}

/** `m` without the keys in `drop`. */
function without<V>(m: Record<string, V> | undefined, drop: string[] | undefined): Record<string, V> {
  const out: Record<string, V> = { ...m };
  for (const k of drop ?? []) delete out[k];
  return out;
}

/** What this ExternalSecret's field manager owns in the target (ESO drops it before writing again). */
function ownedBy(es: ExternalSecret, target: TargetSecret | undefined): OwnedKeys | undefined {
  return target?.owned?.[fieldManager(es)];
}

/**
 * The Secret as the ExternalSecret wants it, built on what is there: others' labels, annotations and owners kept,
 * the labels and annotations this ExternalSecret wrote before and no longer wants removed (ESO's `setMetadata`).
 */
function desiredSecret(
  es: ExternalSecret,
  target: TargetSecret | undefined,
  data: Record<string, Uint8Array>,
  r: Rendered,
): Secret {
  const policy = creationPolicy(es);
  const namespace = es.metadata.namespace!;
  const mine = ownedBy(es, target);
  const labels: Record<string, string> = {
    ...without(target?.metadata?.labels, mine?.labels),
    ...r.labels,
    [LABEL_MANAGED]: "true",
  };
  if (policy === "Owner") labels[LABEL_CREATED_BY] = ownerLabelValue(namespace, es.metadata.name!);
  const annotations: Record<string, string> = {
    ...without(target?.metadata?.annotations, mine?.annotations),
    ...r.annotations,
    [ANNOTATION_DATA_HASH]: dataHash(data),
  };
  // The adoption mark is the controller's own, not a copied annotation: it stays while the Secret is ours (dropping
  // it with what this ExternalSecret's field manager wrote would let deletionPolicy Delete delete an adopted Secret).
  if (target?.metadata?.annotations?.[ANNOTATION_ADOPTED] === "true") annotations[ANNOTATION_ADOPTED] = "true";
  let ownerReferences = target?.metadata?.ownerReferences;
  const ours = ownerReferences?.some((o) => o.controller && o.uid === es.metadata.uid) === true;
  if (policy === "Owner" && !ours) {
    ownerReferences = [...(ownerReferences ?? []), ownerReference(es)];
    // Taking over a Secret someone else made: remember it, so deleting the ExternalSecret releases it.
    if (target && target.metadata?.labels?.[LABEL_MANAGED] !== "true") annotations[ANNOTATION_ADOPTED] = "true";
  }
  const immutable = es.spec.target?.immutable === true;
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      ...target?.metadata,
      name: targetName(es),
      namespace,
      labels,
      annotations,
      ...(ownerReferences?.length ? { ownerReferences } : {}),
    },
    type: es.spec.target?.template?.type ?? target?.type ?? "Opaque",
    data: encodeData(data),
    ...(immutable || target?.immutable ? { immutable: true } : {}),
  };
}

/** What to write over an existing Secret (undefined: it already holds what is wanted), or why it cannot be. */
function changeOf(
  es: ExternalSecret,
  target: TargetSecret,
  desired: Secret,
  data: Record<string, Uint8Array>,
): { write?: SecretWrite; event?: PlannedEvent; failure?: string } {
  const type = desired.type ?? "Opaque";
  const dataChanged = target.dataHash !== dataHash(data);
  const typeChanged = (target.type ?? "Opaque") !== type;
  // ESO: an immutable target is never rewritten; the user deletes it to roll a new value out.
  if (target.immutable && (dataChanged || typeChanged)) {
    return { failure: "could not update secret, target is immutable" };
  }
  const meta = desired.metadata!;
  const metaChanged = !sameMap(target.metadata?.labels, meta.labels) ||
    !sameMap(target.metadata?.annotations, meta.annotations) ||
    !sameOwners(target.metadata?.ownerReferences, meta.ownerReferences) ||
    (desired.immutable === true && !target.immutable);
  if (!dataChanged && !typeChanged && !metaChanged) return {};
  if (!typeChanged) {
    return {
      write: { op: "update", secret: desired },
      event: { type: "Normal", reason: "Updated", message: "secret updated" },
    };
  }
  if (creationPolicy(es) !== "Owner") {
    return {
      failure: `cannot change the type of Secret ${meta.namespace}/${meta.name} from ${target.type ?? "Opaque"} to ` +
        `${type}: Kubernetes does not allow it, and the Secret is not owned by this ExternalSecret (delete it to proceed)`,
    };
  }
  const fresh: Secret = { ...desired, metadata: { ...meta } };
  delete fresh.metadata!.resourceVersion;
  delete fresh.metadata!.uid;
  delete fresh.metadata!.creationTimestamp;
  return {
    write: { op: "recreate", secret: fresh },
    event: {
      type: "Normal",
      reason: "Updated",
      message: `secret recreated: its type changed from ${target.type ?? "Opaque"} to ${type}`,
    },
  };
}

/**
 * Plans a sync after the provider values were read. The Secret keeps labels, annotations and owners others put on
 * it; its data becomes exactly what the ExternalSecret renders (creationPolicy Owner/Orphan), or is merged into
 * (Merge, CreateOrMerge on an existing Secret).
 */
export async function planSync(input: SyncInput): Promise<Plan> {
  const { es, target, now } = input;
  const policy = creationPolicy(es);
  const clock = input.clock ?? now;
  const expiry = planExpiry(input.sources ?? [], es.status, clock, input.expiryWarningMs);
  const missingEvents = (input.missing ?? []).map((m): PlannedEvent => ({
    type: "Normal",
    reason: "MissingProviderSecret",
    message: `${m.item} (key ${m.key}): the provider has no such secret (deletionPolicy ${deletionPolicy(es)})`,
  }));
  const orphans = policy === "Owner" && input.orphans?.length ? input.orphans : undefined;
  const orphanEvents = (orphans ?? []).map((name): PlannedEvent => ({
    type: "Normal",
    reason: "Deleted",
    message: `secret ${name} deleted: this ExternalSecret created it under its earlier target name`,
  }));
  const synced = (write: SecretWrite | undefined, writeEvents: PlannedEvent[]): Plan => {
    const message = expiry.note ? `secret synced; ${expiry.note}` : "secret synced";
    const { sources: _s, expiresAt: _e, ...kept } = es.status ?? {};
    const status: ExternalSecretStatus = {
      ...doneStatus({ ...es, status: kept }, now, Reason.SecretSynced, message, clock, input.ignoredMetadataPrefixes),
      binding: { name: targetName(es) },
      ...(expiry.sources.length ? { sources: expiry.sources } : {}),
      ...(expiry.expiresAt ? { expiresAt: expiry.expiresAt } : {}),
    };
    const events = [...writeEvents, ...expiry.events];
    const next = nextRefresh(es, status, clock, input.earlyMs ?? 0);
    const all = [...missingEvents, ...orphanEvents, ...events];
    const extra = orphans ? { orphans } : {};
    return write
      ? { kind: "write", write, ...extra, status, events: all, next }
      : { kind: "noop", ...extra, status, events: all, next };
  };
  const conflict = takeoverRefusal(input) ?? ownershipConflict(es, target);
  if (conflict) return fail(es, conflict, now);
  // ESO decides on empty provider data before it looks at creationPolicy.
  if (Object.keys(input.values).length === 0) {
    const empty = planEmpty(es, target, input, missingEvents);
    if (empty) return empty;
  }
  if (policy === "None") return synced(undefined, []);
  const missing = planMissingMergeTarget(es, target, now, input.earlyMs, input.ignoredMetadataPrefixes);
  if (missing) return missing;

  let rendered: Rendered;
  try {
    const template = es.spec.target?.template;
    // Without a template the ExternalSecret's own labels and annotations go onto the Secret (ESO's setMetadata),
    // except the owner mark: only creationPolicy Owner sets it, and orphan deletion trusts it.
    rendered = template ? await renderSecretTemplate(template, input.values, input.templateSources) : {
      data: input.values,
      labels: without(es.metadata.labels, [LABEL_CREATED_BY]),
      annotations: { ...es.metadata.annotations },
    };
  } catch (e) {
    return fail(es, `could not render the target template: ${(e as Error).message}`, now);
  }
  const merge = policy === "Merge" || (policy === "CreateOrMerge" && target !== undefined);
  if (merge && !input.targetData) throw new Error("planSync needs targetData to merge into an existing Secret");
  // Merging keeps others' keys, but drops those this ExternalSecret wrote before: keys it no longer provides go.
  const data = merge ? { ...without(input.targetData, ownedBy(es, target)?.data), ...rendered.data } : rendered.data;
  const bytes = Object.entries(data).reduce((n, [k, v]) => n + k.length + v.length, 0);
  if (bytes > MAX_SECRET_BYTES) {
    return fail(
      es,
      `the Secret would hold ${bytes} bytes of data; Kubernetes allows at most ${MAX_SECRET_BYTES} (1 MiB)`,
      now,
    );
  }
  const desired = desiredSecret(es, target, data, rendered);
  if (!target) {
    return synced({ op: "create", secret: desired }, [{
      type: "Normal",
      reason: "Created",
      message: "secret created",
    }]);
  }
  const change = changeOf(es, target, desired, data);
  if (change.failure) return fail(es, change.failure, now);
  return synced(change.write, change.event ? [change.event] : []);
}

/**
 * The provider returned no data at all (every item missing, or only empty maps). deletionPolicy Delete deletes the
 * Secret (creationPolicy Owner only) and reports SecretDeleted; Retain keeps it as it is; Merge goes on and writes,
 * which removes this ExternalSecret's keys. As ESO v2.9's reconcile (`len(dataMap) == 0`).
 */
function planEmpty(
  es: ExternalSecret,
  target: TargetSecret | undefined,
  input: SyncInput,
  events: PlannedEvent[],
): Plan | undefined {
  const { now } = input;
  const name = targetName(es);
  const next = (status: ExternalSecretStatus): Action =>
    nextRefresh(es, status, input.clock ?? now, input.earlyMs ?? 0);
  switch (deletionPolicy(es)) {
    case "Delete": {
      if (creationPolicy(es) !== "Owner") {
        return fail(
          es,
          `cannot delete Secret ${es.metadata.namespace}/${name}: deletionPolicy Delete needs creationPolicy Owner, ` +
            `not ${creationPolicy(es)}`,
          now,
        );
      }
      const status = doneStatus(
        es,
        now,
        Reason.SecretDeleted,
        "the provider has none of this ExternalSecret's secrets: the Secret is deleted (deletionPolicy Delete)",
        now,
        input.ignoredMetadataPrefixes,
      );
      if (!target) return { kind: "noop", status, events, next: next(status) };
      return {
        kind: "delete",
        name,
        ...(target.metadata.uid ? { uid: target.metadata.uid } : {}),
        status,
        events: [...events, {
          type: "Normal",
          reason: "Deleted",
          message: "secret deleted: the provider has none of its secrets (deletionPolicy Delete)",
        }],
        next: next(status),
      };
    }
    case "Retain": {
      const status = doneStatus(
        es,
        now,
        Reason.SecretSynced,
        "the provider returned no data: the Secret is kept as it is (deletionPolicy Retain)",
        now,
        input.ignoredMetadataPrefixes,
      );
      return { kind: "noop", status, events, next: next(status) };
    }
    case "Merge":
      return undefined;
  }
}
