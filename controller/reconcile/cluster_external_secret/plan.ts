/**
 * The ClusterExternalSecret planner, pure: which namespaces a ClusterExternalSecret selects, which ExternalSecret
 * goes into each (created, updated, left as it is), which of its ExternalSecrets go (the namespace stopped matching,
 * the name changed, the ClusterExternalSecret is being deleted), and the status that follows. ESO v2.9's
 * `pkg/controllers/clusterexternalsecret/clusterexternalsecret_controller.go` is the specification: names, messages,
 * the owner reference, what a child's labels and annotations become, the force-sync annotation.
 *
 * Deliberate differences (docs/design.md): ESO finds the children to delete through `status.provisionedNamespaces`,
 * here through the owner reference (a child whose status entry was lost is still cleaned up); ESO also puts a
 * finalizer on every namespace it provisions, here none (no namespace writes: a namespace never waits in
 * Terminating for this controller).
 *
 * @module
 */
import { FORCE_SYNC_ANNOTATION } from "../../api/force_sync.ts";
import type {
  ClusterExternalSecret,
  ClusterExternalSecretStatus,
  ClusterExternalSecretStatusCondition,
  ExternalSecret,
} from "../../api/types.ts";
import { type LabelSelector, labelSelectorMatches, labelSelectorProblem } from "../../kube/label_selector.ts";
import type { Namespace } from "../../kube/types.ts";
import { parseGoDuration } from "../refresh.ts";

/** ESO's finalizer on a ClusterExternalSecret: its ExternalSecrets are deleted before it goes. */
export const CES_FINALIZER = "externalsecrets.external-secrets.io/clusterexternalsecret-cleanup";
/** ESO's failure for a namespace holding an ExternalSecret of that name that is not this one's. */
export const ALREADY_EXISTS = "external secret already exists in namespace";
/** ESO's Ready=False message (`errNamespacesFailed`); the first failure follows it here. */
export const NAMESPACES_FAILED = "one or more namespaces failed";
/** ESO's requeue without `refreshTime` (`cmd/controller/root.go`: `RequeueInterval: time.Hour`). */
export const DEFAULT_REFRESH_MS = 3_600_000;

const API_VERSION = "external-secrets.io/v1";
const KIND = "ClusterExternalSecret";
/** A failure's reason in status is an apiserver message at most this long (status stays small with many). */
const MAX_REASON = 1024;

/** What the namespace cache keeps of a namespace: its name and labels, and whether it is being deleted. */
export interface NamespaceSummary {
  metadata: { name?: string; resourceVersion?: string; labels?: Record<string, string>; deletionTimestamp?: string };
}

/** Shrinks a Namespace for the cache. */
export function summarizeNamespace(ns: Namespace): NamespaceSummary {
  const m = ns.metadata ?? {};
  return {
    metadata: {
      ...(m.name !== undefined ? { name: m.name } : {}),
      ...(m.resourceVersion !== undefined ? { resourceVersion: m.resourceVersion } : {}),
      ...(m.labels ? { labels: m.labels } : {}),
      ...(m.deletionTimestamp ? { deletionTimestamp: m.deletionTimestamp } : {}),
    },
  };
}

/** The children's name: `spec.externalSecretName`, else the ClusterExternalSecret's own. */
export function childName(ces: ClusterExternalSecret): string {
  return ces.spec.externalSecretName || ces.metadata.name!;
}

/** The refresh in ms (`spec.refreshTime`, else ESO's hour); null for 0: no periodic pass. */
export function refreshMs(ces: ClusterExternalSecret): number | null {
  let ms = DEFAULT_REFRESH_MS;
  try {
    if (ces.spec.refreshTime) ms = parseGoDuration(ces.spec.refreshTime);
  } catch { /* the CRD's pattern admits only Go durations */ }
  return ms > 0 ? ms : null;
}

function selectors(ces: ClusterExternalSecret): LabelSelector[] {
  return [...(ces.spec.namespaceSelector ? [ces.spec.namespaceSelector] : []), ...(ces.spec.namespaceSelectors ?? [])];
}

/** Whether `ns` is one of the ClusterExternalSecret's namespaces (an invalid selector selects nothing). */
export function selects(ces: ClusterExternalSecret, ns: NamespaceSummary): boolean {
  const name = ns.metadata.name ?? "";
  return (ces.spec.namespaces ?? []).includes(name) ||
    selectors(ces).some((s) => labelSelectorMatches(s, ns.metadata.labels ?? {}));
}

/** The name of the ClusterExternalSecret controlling `es` (ESO's `isExternalSecretOwnedBy`: group, kind, name). */
export function controllingCes(es: ExternalSecret): string | undefined {
  const ref = es.metadata.ownerReferences?.find((r) => r.controller);
  return ref && ref.kind === KIND && ref.apiVersion.split("/")[0] === "external-secrets.io" ? ref.name : undefined;
}

/** A child to delete. */
export interface ChildRef {
  namespace: string;
  name: string;
}

/** A child to write: a create (POST) or an update (PUT of the existing object, its resourceVersion guarding it). */
export interface ChildWrite {
  namespace: string;
  create: boolean;
  object: ExternalSecret;
}

/** What to do. */
export type CesPlan =
  | { kind: "finalize"; deletes: ChildRef[] }
  | { kind: "invalid"; status: ClusterExternalSecretStatus }
  | {
    kind: "sync";
    esName: string;
    deletes: ChildRef[];
    writes: ChildWrite[];
    /** Namespaces whose child is as specified already. */
    unchanged: string[];
    /** Namespace → why it could not be provisioned (decided before any write). */
    failed: Record<string, string>;
    requeueMs: number | null;
  };

/** What the planner is given. */
export interface CesInput {
  ces: ClusterExternalSecret;
  namespaces: Iterable<NamespaceSummary>;
  /** The ExternalSecret `namespace/name` as the cache has it. */
  childIn: (namespace: string, name: string) => ExternalSecret | undefined;
  /** Every ExternalSecret this ClusterExternalSecret controls (by its owner reference). */
  owned: Iterable<ExternalSecret>;
}

/** Plans one reconcile of a ClusterExternalSecret. */
export function planClusterExternalSecret(input: CesInput): CesPlan {
  const { ces } = input;
  const owned = [...input.owned];
  const refOf = (es: ExternalSecret): ChildRef => ({ namespace: es.metadata.namespace!, name: es.metadata.name! });
  if (ces.metadata.deletionTimestamp) return { kind: "finalize", deletes: owned.map(refOf) };
  const esName = childName(ces);
  for (const [i, s] of selectors(ces).entries()) {
    const problem = labelSelectorProblem(s);
    if (!problem) continue;
    // ESO stops before any write and reports the namespace "unknown" (GetTargetNamespaces failed).
    const field = ces.spec.namespaceSelector && i === 0 ? "namespaceSelector" : `namespaceSelectors[${i}]`;
    const reason = `failed to convert label selector ${field}: ${problem}`;
    return {
      kind: "invalid",
      status: cesStatus(ces, esName, ces.status?.provisionedNamespaces ?? [], { unknown: reason }),
    };
  }
  const selected = [...input.namespaces].filter((ns) => selects(ces, ns));
  const names = new Set(selected.map((ns) => ns.metadata.name!));
  const deletes = owned.filter((es) => es.metadata.name !== esName || !names.has(es.metadata.namespace!)).map(refOf);
  const writes: ChildWrite[] = [];
  const unchanged: string[] = [];
  const failed: Record<string, string> = {};
  for (const ns of selected) {
    const namespace = ns.metadata.name!;
    // A namespace being deleted takes its ExternalSecrets with it: neither provisioned nor cleaned up (ESO).
    if (ns.metadata.deletionTimestamp) continue;
    const existing = input.childIn(namespace, esName);
    if (existing && controllingCes(existing) !== ces.metadata.name) {
      failed[namespace] = ALREADY_EXISTS; // never overwritten
      continue;
    }
    const object = desiredChild(ces, namespace, esName, existing);
    if (!existing) writes.push({ namespace, create: true, object });
    else if (!childInSync(existing, object)) writes.push({ namespace, create: false, object });
    else unchanged.push(namespace);
  }
  return { kind: "sync", esName, deletes, writes, unchanged, failed, requeueMs: refreshMs(ces) };
}

/**
 * The ExternalSecret ESO's `createOrUpdateExternalSecret` makes: labels and annotations replaced by
 * `externalSecretMetadata`'s, the ClusterExternalSecret's force-sync annotation carried over (and dropped with it),
 * the spec as given, and the ClusterExternalSecret as controller owner (other owner references kept).
 */
export function desiredChild(
  ces: ClusterExternalSecret,
  namespace: string,
  name: string,
  existing?: ExternalSecret,
): ExternalSecret {
  const meta = ces.spec.externalSecretMetadata ?? {};
  const annotations: Record<string, string> = { ...meta.annotations };
  const force = ces.metadata.annotations?.[FORCE_SYNC_ANNOTATION];
  if (force !== undefined) annotations[FORCE_SYNC_ANNOTATION] = force;
  else delete annotations[FORCE_SYNC_ANNOTATION];
  const ours = {
    apiVersion: API_VERSION,
    kind: KIND,
    name: ces.metadata.name!,
    uid: ces.metadata.uid!,
    controller: true,
    blockOwnerDeletion: true,
  };
  // controllerutil.SetControllerReference: the reference to the same owner (group, kind, name) is replaced in place.
  const others = existing?.metadata.ownerReferences ?? [];
  const same = (r: { apiVersion: string; kind: string; name: string }): boolean =>
    r.kind === KIND && r.name === ours.name && r.apiVersion.split("/")[0] === "external-secrets.io";
  const ownerReferences = others.some(same) ? others.map((r) => same(r) ? ours : r) : [...others, ours];
  // An update keeps the object's identity (resourceVersion, uid, finalizers) and everything ESO does not set.
  const base: ExternalSecret = existing
    ? structuredClone(existing)
    : { apiVersion: API_VERSION, kind: "ExternalSecret", metadata: {}, spec: ces.spec.externalSecretSpec };
  const metadata: ExternalSecret["metadata"] = { ...base.metadata, name, namespace, ownerReferences };
  if (meta.labels && Object.keys(meta.labels).length) metadata.labels = { ...meta.labels };
  else delete metadata.labels;
  if (Object.keys(annotations).length) metadata.annotations = annotations;
  else delete metadata.annotations;
  return { ...base, metadata, spec: structuredClone(ces.spec.externalSecretSpec) };
}

/** JSON with object keys sorted: equal for equal values whatever the order the apiserver wrote them in. */
export function canonical(x: unknown): string {
  return JSON.stringify(
    x,
    (_k, v) =>
      v && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0))
        : v,
  );
}

/** Whether the child already has what {@link desiredChild} would write (absent and empty maps are alike). */
export function childInSync(existing: ExternalSecret, desired: ExternalSecret): boolean {
  const pick = (es: ExternalSecret): unknown => [
    es.metadata.labels ?? {},
    es.metadata.annotations ?? {},
    es.metadata.ownerReferences ?? [],
    es.spec,
  ];
  return canonical(pick(existing)) === canonical(pick(desired));
}

/** ESO's Ready condition: True without a message, False when any namespace failed (here with the first failure). */
export function readyCondition(failed: Record<string, string>): ClusterExternalSecretStatusCondition {
  const entries = Object.entries(failed).sort(([a], [b]) => a < b ? -1 : 1);
  if (!entries.length) return { type: "Ready", status: "True" };
  const [ns, reason] = entries[0]!;
  const more = entries.length > 1 ? ` (and ${entries.length - 1} more, see status.failedNamespaces)` : "";
  return { type: "Ready", status: "False", message: `${NAMESPACES_FAILED}: ${ns}: ${reason}${more}` };
}

/** The status after a reconcile: the children's name, where they are, where they could not go, and Ready. */
export function cesStatus(
  ces: ClusterExternalSecret,
  esName: string,
  provisioned: readonly string[],
  failed: Record<string, string>,
): ClusterExternalSecretStatus {
  const failedNamespaces = Object.entries(failed).sort(([a], [b]) => a < b ? -1 : 1)
    .map(([namespace, reason]) => ({ namespace, reason: reason.slice(0, MAX_REASON) }));
  const others = (ces.status?.conditions ?? []).filter((c) => c.type !== "Ready");
  return {
    externalSecretName: esName,
    ...(failedNamespaces.length ? { failedNamespaces } : {}),
    ...(provisioned.length ? { provisionedNamespaces: [...provisioned].sort() } : {}),
    conditions: [...others, readyCondition(failed)],
  };
}
