/**
 * The pure core of the ExternalSecret reconciler: given the ExternalSecret, the current target Secret, the values
 * read from the provider and the time, decide what the Secret must become, what the status says and which Events to
 * record. No I/O (it is async only because template functions load their libraries on first use); the executor in `external_secret.ts` gathers the inputs and carries the plan out.
 *
 * @module
 */
import type { ExternalSecret, ExternalSecretStatus } from "../api/types.ts";
import type { ObjectMeta, Secret } from "../kube/types.ts";
import { renderSecretTemplate, type TemplateSources } from "../template/mod.ts";
import { kubeTime, Reason, setCondition } from "./conditions.ts";
import { dataHash, ownerLabelValue, syncedResourceVersion } from "./eso_hash.ts";
import { ANNOTATION_DATA_HASH, LABEL_CREATED_BY, LABEL_MANAGED, type TargetSecret } from "./refresh.ts";

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

/** The outcome of a sync. `failure` is set when the sync could not be done for a reason in the spec or target. */
export interface SyncPlan {
  write: SecretWrite | undefined;
  status: ExternalSecretStatus;
  events: PlannedEvent[];
  failure?: string;
}

/** Inputs of {@link planSync}. */
export interface SyncInput {
  es: ExternalSecret;
  /** The target Secret as it is now, if it exists. */
  target: TargetSecret | undefined;
  /** The target's current data: needed only to merge into it (creationPolicy Merge and CreateOrMerge). */
  targetData?: Record<string, Uint8Array>;
  /** Provider values by `secretKey`, already decoded. */
  values: Record<string, Uint8Array>;
  /** ConfigMaps/Secrets named by `templateFrom`. */
  templateSources?: TemplateSources;
  now: Date;
}

/** The name of the Secret an ExternalSecret manages. */
export function targetName(es: ExternalSecret): string {
  return es.spec.target?.name ?? es.metadata.name!;
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

/** The status after a failed attempt: Ready=False with the (redacted) cause; refreshTime is left as it was. */
export function planFailure(
  es: ExternalSecret,
  message: string,
  now: Date,
): { status: ExternalSecretStatus; events: PlannedEvent[] } {
  return {
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

function fail(es: ExternalSecret, message: string, now: Date): SyncPlan {
  return { write: undefined, ...planFailure(es, message, now), failure: message };
}

/**
 * Plans a sync after the provider values were read. The Secret keeps labels, annotations and owners others put on
 * it; its data becomes exactly what the ExternalSecret renders (creationPolicy Owner/Orphan), or is merged into
 * (Merge, CreateOrMerge on an existing Secret).
 */
export async function planSync(input: SyncInput): Promise<SyncPlan> {
  const { es, target, now } = input;
  const policy = es.spec.target?.creationPolicy ?? "Owner";
  const name = targetName(es);
  const namespace = es.metadata.namespace!;

  const synced = (write: SecretWrite | undefined, events: PlannedEvent[]): SyncPlan => ({
    write,
    events,
    status: {
      ...es.status,
      refreshTime: kubeTime(now),
      syncedResourceVersion: syncedResourceVersion(es.metadata),
      binding: { name },
      conditions: setCondition(es.status?.conditions, {
        type: "Ready",
        status: "True",
        reason: Reason.SecretSynced,
        message: "secret synced",
      }, now),
    },
  });

  if (policy === "None") return synced(undefined, []);
  if (policy === "Merge" && !target) {
    const message =
      `secret ${namespace}/${name} does not exist: creationPolicy Merge only writes into an existing Secret`;
    return {
      write: undefined,
      events: [{ type: "Warning", reason: "UpdateFailed", message }],
      failure: message,
      status: {
        ...es.status,
        conditions: setCondition(es.status?.conditions, {
          type: "Ready",
          status: "False",
          reason: Reason.SecretMissing,
          message,
        }, now),
      },
    };
  }

  // Ownership: never write over a Secret another ExternalSecret (or another controller) owns.
  const controllerRef = target?.metadata?.ownerReferences?.find((o) => o.controller);
  const ours = controllerRef?.uid === es.metadata.uid;
  if (controllerRef && !ours && policy === "Owner") {
    const owner = controllerRef.kind === "ExternalSecret"
      ? `another ExternalSecret (${controllerRef.name})`
      : `${controllerRef.kind} ${controllerRef.name}`;
    return fail(es, `target is owned by ${owner}: refusing to overwrite Secret ${namespace}/${name}`, now);
  }

  let rendered: {
    data: Record<string, Uint8Array>;
    labels: Record<string, string>;
    annotations: Record<string, string>;
  };
  try {
    const template = es.spec.target?.template;
    rendered = template
      ? await renderSecretTemplate(template, input.values, input.templateSources)
      : { data: input.values, labels: {}, annotations: {} };
  } catch (e) {
    return fail(es, `could not render the target template: ${(e as Error).message}`, now);
  }

  const merge = policy === "Merge" || (policy === "CreateOrMerge" && target !== undefined);
  if (merge && !input.targetData) throw new Error("planSync needs targetData to merge into an existing Secret");
  const data = merge ? { ...input.targetData, ...rendered.data } : rendered.data;
  const templateType = es.spec.target?.template?.type;
  const type = templateType ?? target?.type ?? "Opaque";

  const labels: Record<string, string> = { ...target?.metadata?.labels, ...rendered.labels, [LABEL_MANAGED]: "true" };
  if (policy === "Owner") labels[LABEL_CREATED_BY] = ownerLabelValue(namespace, es.metadata.name!);
  const annotations: Record<string, string> = {
    ...target?.metadata?.annotations,
    ...rendered.annotations,
    [ANNOTATION_DATA_HASH]: dataHash(data),
  };
  let ownerReferences = target?.metadata?.ownerReferences;
  if (policy === "Owner" && !ours) ownerReferences = [...(ownerReferences ?? []), ownerReference(es)];

  const encoded = encodeData(data);
  const immutable = es.spec.target?.immutable === true;
  const desired: Secret = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      ...target?.metadata,
      name,
      namespace,
      labels,
      annotations,
      ...(ownerReferences?.length ? { ownerReferences } : {}),
    },
    type,
    data: encoded,
    ...(immutable || target?.immutable ? { immutable: true } : {}),
  };

  if (!target) {
    return synced({ op: "create", secret: desired }, [{
      type: "Normal",
      reason: "Created",
      message: "secret created",
    }]);
  }

  const dataChanged = target.dataHash !== dataHash(data);
  const typeChanged = (target.type ?? "Opaque") !== type;
  if (target.immutable && (dataChanged || typeChanged)) {
    // ESO: an immutable target is never rewritten; the user deletes it to roll a new value out.
    return fail(es, "could not update secret, target is immutable", now);
  }
  const metaChanged = !sameMap(target.metadata?.labels, labels) ||
    !sameMap(target.metadata?.annotations, annotations) ||
    !sameOwners(target.metadata?.ownerReferences, ownerReferences) || (immutable && !target.immutable);
  if (!dataChanged && !typeChanged && !metaChanged) return synced(undefined, []);
  if (typeChanged) {
    if (policy !== "Owner") {
      return fail(
        es,
        `cannot change the type of Secret ${namespace}/${name} from ${target.type ?? "Opaque"} to ${type}: ` +
          "Kubernetes does not allow it, and the Secret is not owned by this ExternalSecret (delete it to proceed)",
        now,
      );
    }
    const fresh: Secret = { ...desired, metadata: { ...desired.metadata } };
    delete fresh.metadata!.resourceVersion;
    delete fresh.metadata!.uid;
    delete fresh.metadata!.creationTimestamp;
    return synced({ op: "recreate", secret: fresh }, [{
      type: "Normal",
      reason: "Updated",
      message: `secret recreated: its type changed from ${target.type ?? "Opaque"} to ${type}`,
    }]);
  }
  return synced({ op: "update", secret: desired }, [{ type: "Normal", reason: "Updated", message: "secret updated" }]);
}
