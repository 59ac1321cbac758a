/**
 * The three keys the controller passes between its queues, informer indexes and caches, each with one format,
 * built and parsed only here (a branded string: cheap to hash and compare, impossible to mix up):
 *
 * - {@link ObjectKey}: `namespace/name`, or `name` for a cluster-scoped object (informer caches, the
 *   ExternalSecret queue, target-Secret indexes).
 * - {@link StoreKey}: `SecretStore/namespace/name` or `ClusterSecretStore/name` (the store queue, the
 *   ExternalSecret-by-store index, provider clients, the read cache).
 * - {@link ReadKey}: one provider read — a store version, the namespace credentials resolve in, and what is read.
 *
 * @module
 */

/** `namespace/name`, or `name` when cluster-scoped. */
export type ObjectKey = string & { readonly __key: "object" };
/** `Kind/namespace/name` or `ClusterSecretStore/name`. */
export type StoreKey = string & { readonly __key: "store" };
/** A store key, then `@uid|scope|what`. */
export type ReadKey = string & { readonly __key: "read" };

/** The store kinds. */
export type StoreKind = "SecretStore" | "ClusterSecretStore";

/** The key of an object from its metadata. */
export function objectKey(meta: { namespace?: string | undefined; name?: string | undefined } | undefined): ObjectKey {
  return (meta?.namespace ? `${meta.namespace}/${meta.name}` : `${meta?.name}`) as ObjectKey;
}

/** Namespace and name of an {@link ObjectKey}. */
export function parseObjectKey(key: ObjectKey): { namespace?: string; name: string } {
  const i = key.indexOf("/");
  return i < 0 ? { name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

/** The key of a store: a ClusterSecretStore has no namespace, a SecretStore needs one. */
export function storeKey(kind: StoreKind, name: string, namespace?: string): StoreKey {
  if (kind === "SecretStore" && !namespace) throw new RangeError(`SecretStore "${name}" needs a namespace`);
  return (kind === "SecretStore" ? `${kind}/${namespace}/${name}` : `${kind}/${name}`) as StoreKey;
}

/** Kind, name and namespace of a {@link StoreKey}. */
export function parseStoreKey(key: StoreKey): { kind: StoreKind; name: string; namespace?: string } {
  const [kind, a, b] = key.split("/") as [StoreKind, string, string | undefined];
  return kind === "SecretStore" ? { kind, namespace: a, name: b! } : { kind, name: a };
}

/** The store an ExternalSecret (or a ClusterExternalSecret's template) refers to, or undefined without a name. */
export function storeKeyOf(
  ref: { kind?: string; name?: string } | undefined,
  namespace: string,
): StoreKey | undefined {
  if (!ref?.name) return undefined;
  return ref.kind === "ClusterSecretStore" ? storeKey("ClusterSecretStore", ref.name) : storeKey(
    "SecretStore",
    ref.name,
    namespace,
  );
}

/**
 * The key of one provider read: the store (and its uid, so a re-created store never sees the old one's values),
 * the namespace credentials resolve in (referent authentication reads per namespace), and `what` (the remote ref
 * fields that change the answer).
 */
export function readKey(store: StoreKey, uid: string, scope: string, what: readonly string[]): ReadKey {
  return `${store}@${uid}|${scope}|${what.map((w) => encodeURIComponent(w)).join("|")}` as ReadKey;
}

/** The store a {@link ReadKey} reads from. */
export function readKeyStore(key: ReadKey): StoreKey {
  return key.slice(0, key.indexOf("@")) as StoreKey;
}
