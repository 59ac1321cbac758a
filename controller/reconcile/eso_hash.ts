/**
 * ESO's hashes, reproduced byte for byte so that Secrets and ExternalSecrets written by ESO are recognised as in
 * sync when a cluster moves to this operator (no mass rewrite, no mass Key Vault read).
 *
 * ESO: `ObjectHash(x) = hex(sha3-224(fmt.Sprintf("%+v", x)))` (runtime/esutils/utils.go), applied to the Secret's
 * `map[string][]byte` data and to `struct{annotations, labels map[string]string}` of an ExternalSecret.
 *
 * @module
 */
import { createHash } from "node:crypto";

function sha3(text: string): string {
  return createHash("sha3-224").update(text).digest("hex");
}

/** Go's `%+v` of a `map[string]string`: `map[k1:v1 k2:v2]`, keys sorted. */
function goStringMap(m: Record<string, string> | undefined): string {
  const keys = Object.keys(m ?? {}).sort();
  return `map[${keys.map((k) => `${k}:${m![k]}`).join(" ")}]`;
}

/** Go's `%+v` of a `map[string][]byte`: `map[k:[104 105]]`, keys sorted, bytes in decimal. */
function goBytesMap(m: Record<string, Uint8Array>): string {
  const keys = Object.keys(m).sort();
  return `map[${keys.map((k) => `${k}:[${Array.from(m[k]!).join(" ")}]`).join(" ")}]`;
}

/** The value of the `reconcile.external-secrets.io/data-hash` annotation for Secret data. */
export function dataHash(data: Record<string, Uint8Array>): string {
  return sha3(goBytesMap(data));
}

/** ESO's `HashMeta`: the hash of an object's labels and annotations. */
export function metaHash(
  labels: Record<string, string> | undefined,
  annotations: Record<string, string> | undefined,
): string {
  return sha3(`{annotations:${goStringMap(annotations)} labels:${goStringMap(labels)}}`);
}

/**
 * ESO's `GetResourceVersion`: `"<generation>-<metaHash>"`. Any spec change (generation) and any label or annotation
 * change (e.g. a force-sync annotation) gives a new value, which is what makes an ExternalSecret refresh — except,
 * beyond ESO, labels and annotations whose keys start with one of `ignoredPrefixes` (`--ignored-metadata-prefixes`:
 * GitOps tools' bookkeeping, ESO#3979). Without prefixes the value is ESO's, byte for byte.
 */
export function syncedResourceVersion(
  meta: { generation?: number; labels?: Record<string, string>; annotations?: Record<string, string> },
  ignoredPrefixes: readonly string[] = [],
): string {
  const labels = withoutIgnored(meta.labels, ignoredPrefixes);
  return `${meta.generation ?? 0}-${metaHash(labels, withoutIgnored(meta.annotations, ignoredPrefixes))}`;
}

/** Labels or annotations less the keys that start with one of `ignoredPrefixes` (`m` itself when none do). */
export function withoutIgnored(
  m: Record<string, string> | undefined,
  ignoredPrefixes: readonly string[],
): Record<string, string> | undefined {
  if (!m || ignoredPrefixes.length === 0) return m;
  return Object.fromEntries(Object.entries(m).filter(([k]) => !ignoredPrefixes.some((p) => k.startsWith(p))));
}

/** The value of the `reconcile.external-secrets.io/created-by` label: a hash, because label values are ≤ 63 chars. */
export function ownerLabelValue(namespace: string, name: string): string {
  return sha3(`${namespace}/${name}`);
}
