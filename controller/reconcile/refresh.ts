/**
 * When an ExternalSecret must be read from the provider again: ESO v2.9's `shouldRefresh`, `isSecretValid` and
 * `getRequeueResult`, as pure functions of the objects and the time.
 *
 * @module
 */
import type { ExternalSecret } from "../api/types.ts";
import type { ObjectMeta, Secret } from "../kube/types.ts";
import { refreshInterval } from "../api/defaults.ts";
import { dataHash, syncedResourceVersion } from "./eso_hash.ts";

export const LABEL_MANAGED = "reconcile.external-secrets.io/managed";
export const LABEL_CREATED_BY = "reconcile.external-secrets.io/created-by";
export const ANNOTATION_DATA_HASH = "reconcile.external-secrets.io/data-hash";

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  "µs": 1e-3,
  "μs": 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * Parses a Go duration (`time.ParseDuration`: "24h", "1h30m", "1.5h", "90s", "0") into milliseconds. Throws a
 * RangeError naming the input when it is not one (the CRD's pattern already rejects most such values).
 */
export function parseGoDuration(text: string): number {
  const s = text.trim();
  if (/^[-+]?0$/.test(s)) return 0;
  const m = /^([-+]?)((?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+)$/.exec(s);
  if (!m) throw new RangeError(`Cannot parse duration "${text}": expected a Go duration such as 1h, 15m or 30s`);
  let ms = 0;
  for (const part of m[2]!.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) {
    ms += Number(part[1]) * UNIT_MS[part[2]!]!;
  }
  return m[1] === "-" ? -ms : ms;
}

/** The ExternalSecret's refresh interval in ms (the CRD defaults it to 1h). */
export function refreshIntervalMs(es: ExternalSecret): number {
  return parseGoDuration(refreshInterval(es));
}

/**
 * What the controller keeps of a target Secret: metadata and a hash of the data, never the values. This is all the
 * drift check and the planner need, and it keeps memory flat however large the Secrets are.
 */
export interface TargetSecret {
  metadata: ObjectMeta;
  type?: string;
  immutable?: boolean;
  /** ESO's hash of the Secret's current data. */
  dataHash: string;
  /** The data's key names (for status output; not the values). */
  keys: string[];
  /**
   * What each ExternalSecret's field manager (`externalsecrets.external-secrets.io/<name>`) owns, from
   * `managedFields`: ESO drops what it wrote before it writes again, so keys it no longer provides go away.
   */
  owned?: Record<string, OwnedKeys>;
}

/** Key names a field manager owns in a Secret. */
export interface OwnedKeys {
  data: string[];
  labels: string[];
  annotations: string[];
}

const ESO_MANAGER_PREFIX = "externalsecrets.external-secrets.io/";

/** The data, label and annotation keys each ESO field manager owns (`managedFields[].fieldsV1`). */
export function ownedKeys(managedFields: unknown): Record<string, OwnedKeys> | undefined {
  if (!Array.isArray(managedFields)) return undefined;
  let out: Record<string, OwnedKeys> | undefined;
  const names = (fields: unknown): string[] =>
    fields && typeof fields === "object"
      ? Object.keys(fields).filter((k) => k.startsWith("f:")).map((k) => k.slice(2))
      : [];
  for (const entry of managedFields as { manager?: string; fieldsV1?: Record<string, Record<string, unknown>> }[]) {
    if (!entry?.manager?.startsWith(ESO_MANAGER_PREFIX)) continue;
    const f = entry.fieldsV1 ?? {};
    const meta = (f["f:metadata"] ?? {}) as Record<string, unknown>;
    out ??= {};
    const o = out[entry.manager] ??= { data: [], labels: [], annotations: [] };
    o.data.push(...names(f["f:data"]));
    o.labels.push(...names(meta["f:labels"]));
    o.annotations.push(...names(meta["f:annotations"]));
  }
  return out;
}

/** Shrinks a Secret to a {@link TargetSecret}. */
export function summarizeSecret(secret: Secret): TargetSecret {
  const { managedFields, ...metadata } = secret.metadata ?? {};
  const owned = ownedKeys(managedFields);
  return {
    metadata,
    ...(secret.type !== undefined ? { type: secret.type } : {}),
    ...(secret.immutable ? { immutable: true } : {}),
    dataHash: dataHash(secretDataBytes(secret)),
    keys: Object.keys(secret.data ?? {}).sort(),
    ...(owned ? { owned } : {}),
  };
}

/** Decodes a Secret's base64 `data` into bytes. */
export function secretDataBytes(secret: Secret): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(secret.data ?? {})) {
    out[k] = Uint8Array.fromBase64(v);
  }
  return out;
}

/**
 * ESO's `isSecretValid`: the target exists, carries the managed label, and its data still hashes to the annotation
 * we wrote. A hand-edited or deleted target is therefore not valid and is repaired at once. With creationPolicy
 * Orphan the target is always treated as valid (ESO: it is no longer ours to police).
 */
export function isSecretValid(es: ExternalSecret, secret: TargetSecret | undefined): boolean {
  if (es.spec.target?.creationPolicy === "Orphan") return true;
  if (!secret) return false;
  if (secret.metadata.labels?.[LABEL_MANAGED] !== "true") return false;
  return secret.metadata.annotations?.[ANNOTATION_DATA_HASH] === secret.dataHash;
}

/**
 * Why a refresh is (not) due; `reason` is for logs and the plugin. `fresh` is how new the provider values must be:
 * `forced` (only a read happening now: a force-sync or spec change), `new` (read in the last few seconds: a first
 * sync), or `window` (read after the last refresh: a periodic refresh or a repair of the target).
 */
export interface RefreshDecision {
  refresh: boolean;
  reason: string;
  fresh: "forced" | "new" | "window";
}

/**
 * ESO's `shouldRefresh`, per `refreshPolicy`. `earlyMs` lets a periodic refresh count as due that much before the
 * interval has elapsed: the controller refreshes each ExternalSecret a stable, per-key bit early, so refreshes spread
 * out instead of aligning (ESO has no jitter).
 */
export function shouldRefresh(
  es: ExternalSecret,
  now: Date,
  earlyMs = 0,
  ignoredPrefixes: readonly string[] = [],
): RefreshDecision {
  const status = es.status ?? {};
  const synced = status.syncedResourceVersion ?? "";
  const refreshTime = status.refreshTime ? Date.parse(status.refreshTime) : 0;
  const metaChanged = synced !== syncedResourceVersion(es.metadata, ignoredPrefixes);
  switch (es.spec.refreshPolicy) {
    case "CreatedOnce":
      return synced === "" || refreshTime === 0
        ? { refresh: true, reason: "never synced (refreshPolicy CreatedOnce)", fresh: "new" }
        : { refresh: false, reason: "synced once (refreshPolicy CreatedOnce)", fresh: "window" };
    case "OnChange":
      return metaChanged
        ? { refresh: true, reason: "spec, labels or annotations changed (refreshPolicy OnChange)", fresh: "forced" }
        : { refresh: false, reason: "unchanged (refreshPolicy OnChange)", fresh: "window" };
    default: {
      const interval = refreshIntervalMs(es);
      // ESO ≥ 0.11: with interval 0, once synced it never refreshes again, not even on a spec or annotation change.
      if (interval <= 0 && synced !== "") {
        return { refresh: false, reason: "refreshInterval is 0 and it synced once", fresh: "window" };
      }
      if (synced === "" || refreshTime === 0) return { refresh: true, reason: "never synced", fresh: "new" };
      if (metaChanged) return { refresh: true, reason: "spec, labels or annotations changed", fresh: "forced" };
      if (refreshTime > now.getTime()) return { refresh: true, reason: "refreshTime is in the future", fresh: "new" };
      if (refreshTime + interval - earlyMs <= now.getTime()) {
        return { refresh: true, reason: "refreshInterval elapsed", fresh: "window" };
      }
      return { refresh: false, reason: "refreshInterval not elapsed", fresh: "window" };
    }
  }
}

/**
 * Whether to read the provider now. ESO skips the provider only when no refresh is due *and* the target is valid;
 * a missing or drifted target is repaired even between refreshes.
 */
export function decideRefresh(
  es: ExternalSecret,
  target: TargetSecret | undefined,
  now: Date,
  earlyMs = 0,
  ignoredPrefixes: readonly string[] = [],
): RefreshDecision {
  const due = shouldRefresh(es, now, earlyMs, ignoredPrefixes);
  if (due.refresh) return due;
  if (!isSecretValid(es, target)) {
    return {
      refresh: true,
      reason: target ? "target Secret was changed by someone else" : "target Secret is missing",
      fresh: "window",
    };
  }
  return due;
}

/**
 * Milliseconds until the next periodic refresh (ESO's `refreshInterval − (now − refreshTime)`, less `earlyMs`), or
 * undefined when there is none (interval 0, or a refresh policy that does not poll).
 */
export function msUntilNextRefresh(es: ExternalSecret, now: Date, earlyMs = 0): number | undefined {
  const policy = es.spec.refreshPolicy;
  if (policy === "CreatedOnce" || policy === "OnChange") return undefined;
  const interval = refreshIntervalMs(es);
  if (interval <= 0) return undefined;
  const refreshTime = es.status?.refreshTime ? Date.parse(es.status.refreshTime) : now.getTime();
  return Math.max(0, refreshTime + interval - earlyMs - now.getTime());
}
