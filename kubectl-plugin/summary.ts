/**
 * What the plugin says about an ExternalSecret, computed from the object alone (pure): its store, readiness, last
 * and next refresh by ESO's rules (the library's `msUntilNextRefresh`), whether a force-sync is pending, and whether
 * a force-sync would be ignored (`refreshInterval: 0` under `Periodic`, or `CreatedOnce`).
 *
 * @module
 */
import { type ExternalSecret, msUntilNextRefresh, refreshIntervalMs, syncedResourceVersion } from "../mod.ts";
import type { KubeClient, KubeObject, ListOptions, ResourceType } from "../controller/kube/mod.ts";
import { humanDuration } from "./output.ts";

/** The annotation `sync` sets. Any label or annotation change moves `syncedResourceVersion`; ESO uses this name. */
export { FORCE_SYNC_ANNOTATION } from "../mod.ts";

/** When the next refresh happens: short text for tables, a sentence for the detailed view. */
export interface NextRefresh {
  text: string;
  detail: string;
  /** Epoch ms of a scheduled periodic refresh. */
  atMs?: number;
}

/** One ExternalSecret as a row of `status`. */
export interface EsSummary {
  namespace: string;
  name: string;
  storeKind: "SecretStore" | "ClusterSecretStore";
  storeName: string;
  ready: string;
  reason: string;
  message: string;
  /** `status.refreshTime`, when it synced at least once. */
  lastSync?: string;
  next: NextRefresh;
  target: string;
  refreshPolicy: string;
  refreshInterval: string;
  /** The last sync saw the current spec, labels and annotations (no force-sync pending). */
  upToDate: boolean;
  /** The earliest expiry of the Key Vault versions it synced (`status.expiresAt`), if any has one. */
  expiresAt?: string;
}

/** The EXPIRES cell: how long until the earliest source expires, `expired`, or `<none>` without an expiry. */
export function expiryText(expiresAt: string | undefined, now: Date): string {
  if (!expiresAt) return "<none>";
  const ms = Date.parse(expiresAt) - now.getTime();
  return ms <= 0 ? `expired ${humanDuration(-ms)} ago` : humanDuration(ms);
}

/** The Secret an ExternalSecret writes (`spec.target.name`, default its own name; as `targetName()` in the planner). */
export function targetSecretName(es: ExternalSecret): string {
  return es.spec.target?.name ?? es.metadata.name ?? "";
}

/** `css/name` or `ss/name` (kubectl short names). */
export function storeShort(kind: string, name: string): string {
  return `${kind === "ClusterSecretStore" ? "css" : "ss"}/${name}`;
}

/** The Ready condition's status, reason and message (`Unknown` when there is none yet). */
export function readiness(es: ExternalSecret): { status: string; reason: string; message: string; since?: string } {
  const c = es.status?.conditions?.find((x) => x.type === "Ready");
  if (!c) return { status: "Unknown", reason: "", message: "" };
  return {
    status: c.status,
    reason: c.reason ?? "",
    message: c.message ?? "",
    ...(c.lastTransitionTime ? { since: c.lastTransitionTime } : {}),
  };
}

/** Whether the last sync saw the current generation, labels and annotations. */
export function isUpToDate(es: ExternalSecret): boolean {
  const synced = es.status?.syncedResourceVersion ?? "";
  return synced !== "" && synced === syncedResourceVersion(es.metadata);
}

function hasSynced(es: ExternalSecret): boolean {
  return (es.status?.syncedResourceVersion ?? "") !== "";
}

function intervalMs(es: ExternalSecret): number | undefined {
  try {
    return refreshIntervalMs(es);
  } catch {
    return undefined;
  }
}

/**
 * Why a force-sync of `es` will be ignored by ESO's rules, or undefined when it will be honoured: under `Periodic`
 * with `refreshInterval: 0` an ExternalSecret that synced once never refreshes again (ESO ≥ 0.11), and
 * `CreatedOnce` syncs only once.
 */
export function forceSyncIgnored(es: ExternalSecret): string | undefined {
  if (!hasSynced(es) || !es.status?.refreshTime) return undefined;
  const policy = es.spec.refreshPolicy ?? "Periodic";
  if (policy === "CreatedOnce") {
    return "refreshPolicy is CreatedOnce and it has synced once, so the controller ignores force-sync " +
      "(delete and re-create it to sync again)";
  }
  if (policy === "Periodic" && (intervalMs(es) ?? 1) <= 0) {
    return "refreshInterval is 0 (refreshPolicy Periodic) and it has synced once, so the controller ignores " +
      "force-sync, as ESO does since v0.11 (set a refreshInterval, or re-create it, to sync again)";
  }
  return undefined;
}

/** When the controller will next read the provider for `es`. */
export function nextRefresh(es: ExternalSecret, now: Date): NextRefresh {
  if (es.metadata.deletionTimestamp) return { text: "deleting", detail: "never: it is being deleted" };
  const ready = readiness(es);
  const policy = es.spec.refreshPolicy ?? "Periodic";
  if (ready.status !== "True") {
    return hasSynced(es)
      ? { text: "retrying", detail: "the last attempt failed; the controller retries with back-off" }
      : { text: "pending", detail: "it has not synced yet; the controller retries with back-off" };
  }
  if (policy === "CreatedOnce") {
    return { text: "<never>", detail: "never: refreshPolicy CreatedOnce, it synced once" };
  }
  if (policy === "OnChange") {
    return { text: "on change", detail: "when its spec, labels or annotations change (refreshPolicy OnChange)" };
  }
  const interval = intervalMs(es);
  if (interval === undefined) {
    return { text: "<invalid>", detail: `refreshInterval "${es.spec.refreshInterval}" is invalid` };
  }
  if (interval <= 0) return { text: "<never>", detail: "never: refreshInterval is 0 and it synced once" };
  if (!isUpToDate(es)) {
    return {
      text: "now",
      detail: "now: its spec, labels or annotations changed since the last sync (force-sync pending)",
    };
  }
  const ms = msUntilNextRefresh(es, now) ?? 0;
  if (ms <= 0) return { text: "now", detail: "now: the refresh interval has elapsed" };
  const at = now.getTime() + ms;
  return {
    text: humanDuration(ms),
    detail: `in ${humanDuration(ms)} (${new Date(at).toISOString().replace(/\.\d{3}Z$/, "Z")})`,
    atMs: at,
  };
}

/** The row of `status` for one ExternalSecret. */
export function summarize(es: ExternalSecret, now: Date): EsSummary {
  const ready = readiness(es);
  const s: EsSummary = {
    namespace: es.metadata.namespace ?? "",
    name: es.metadata.name ?? "",
    storeKind: es.spec.secretStoreRef?.kind ?? "SecretStore",
    storeName: es.spec.secretStoreRef?.name ?? "",
    ready: ready.status,
    reason: ready.reason,
    message: ready.message,
    next: nextRefresh(es, now),
    target: targetSecretName(es),
    refreshPolicy: es.spec.refreshPolicy ?? "Periodic",
    refreshInterval: es.spec.refreshInterval ?? "1h",
    upToDate: isUpToDate(es),
  };
  if (es.status?.refreshTime) s.lastSync = es.status.refreshTime;
  if (es.status?.expiresAt) s.expiresAt = es.status.expiresAt;
  return s;
}

/** Lists every object, 500 per page as kubectl does (`continue` tokens). */
export async function listAll<T extends KubeObject>(
  client: KubeClient,
  res: ResourceType<T>,
  opts: Omit<ListOptions, "limit" | "continue"> = {},
): Promise<T[]> {
  const items: T[] = [];
  let cont: string | undefined;
  do {
    const page = await client.list(res, { ...opts, limit: 500, ...(cont ? { continue: cont } : {}) });
    items.push(...page.items);
    cont = page.metadata?.continue || undefined;
  } while (cont);
  return items;
}

/** Drops `managedFields` (kubectl hides them too) for JSON/YAML output. */
export function withoutManagedFields<T extends KubeObject>(obj: T): T {
  if (!obj.metadata?.managedFields) return obj;
  const { managedFields: _m, ...metadata } = obj.metadata;
  return { ...obj, metadata } as T;
}
