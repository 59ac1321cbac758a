/**
 * Which store an ExternalSecret uses and whether it may: the store named by `secretStoreRef` (from the informer
 * caches), ESO's controller-class filter, and a ClusterSecretStore's namespace `conditions`.
 *
 * @module
 */
import { storeKind } from "../api/defaults.ts";
import type { ClusterSecretStore, ExternalSecret, SecretStore } from "../api/types.ts";
import type { KubeClient } from "../kube/client.ts";
import { labelSelectorMatches } from "../kube/label_selector.ts";
import { namespaces } from "../kube/resources.ts";
import { storeRefOf } from "../providers/clients.ts";
import { InvalidStoreError, type StoreRef } from "../providers/provider.ts";
import type { Informer } from "../runtime/informer.ts";
import { type ObjectKey, objectKey } from "../runtime/keys.ts";
import { compileGoRegexp } from "../template/go_regexp.ts";

/** Either store kind. */
export type AnyStore = SecretStore | ClusterSecretStore;

/** The store caches an ExternalSecret resolves its store in. */
export interface StoreCaches {
  secretStores: Pick<Informer<SecretStore, SecretStore>, "get">;
  clusterSecretStores: Pick<Informer<ClusterSecretStore, ClusterSecretStore>, "get">;
}

/** The store an ExternalSecret names, as a provider {@link StoreRef}, or undefined if it does not exist. */
export function resolveStore(caches: StoreCaches, es: ExternalSecret): { ref: StoreRef; store: AnyStore } | undefined {
  const kind = storeKind(es);
  const name = es.spec.secretStoreRef?.name;
  if (!name) return undefined;
  const store = kind === "ClusterSecretStore"
    ? caches.clusterSecretStores.get(objectKey({ name }))
    : caches.secretStores.get(objectKey({ namespace: es.metadata.namespace, name }) as ObjectKey);
  if (!store) return undefined;
  return { store, ref: storeRefOf(kind, store) };
}

/** True when this controller should act on objects using the store (ESO's `ShouldProcessStore`). */
export function classMatches(store: AnyStore | undefined, controllerClass: string): boolean {
  const c = store?.spec.controller;
  return !c || c === controllerClass;
}

/**
 * ESO's ClusterSecretStore `conditions`: may `namespace` use the store? Any match in any condition allows.
 * `namespaceRegexes` are Go regular expressions (RE2: linear time, Go's syntax), as ESO compiles them; an invalid
 * one is an error naming it (the store is misconfigured), never a silent "no".
 */
export async function namespaceAllowed(
  client: KubeClient,
  store: ClusterSecretStore,
  namespace: string,
): Promise<boolean> {
  const conditions = store.spec.conditions;
  if (!conditions?.length) return true;
  let labels: Record<string, string> | undefined;
  for (const [i, c] of conditions.entries()) {
    if (c.namespaces?.includes(namespace)) return true;
    for (const [j, pattern] of (c.namespaceRegexes ?? []).entries()) {
      const compiled = compileGoRegexp(pattern);
      if (!compiled.ok) {
        throw new InvalidStoreError(
          `ClusterSecretStore "${store.metadata.name}" spec.conditions[${i}].namespaceRegexes[${j}] is not a valid ` +
            `Go regular expression: ${compiled.error}`,
        );
      }
      if (compiled.re.test(namespace)) return true;
    }
    const sel = c.namespaceSelector;
    if (sel && (sel.matchLabels || sel.matchExpressions)) {
      labels ??= (await client.get(namespaces, namespace)).metadata?.labels ?? {};
      if (labelSelectorMatches(sel, labels)) return true;
    }
  }
  return false;
}
