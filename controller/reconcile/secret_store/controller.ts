/**
 * The store controllers: one per store kind, each store reconciled on its own changes (spec, status written by others,
 * deletion, its credentials Secret) and re-validated every `--store-requeue-interval`.
 *
 * @module
 */
import type { ClusterSecretStore, SecretStore } from "../../api/types.ts";
import { Controller, type Watch, watches } from "../../runtime/controller.ts";
import type { Informer } from "../../runtime/informer.ts";
import { parseStoreKey, type StoreKey, storeKey, type StoreKind } from "../../runtime/keys.ts";
import type { Registry } from "../../runtime/metrics.ts";
import { CredentialWatch } from "./credential_watch.ts";
import { type SecretStoreDeps, SecretStoreReconciler } from "./reconciler.ts";

/** What the store controller is built from. */
export interface SecretStoreControllerOptions extends SecretStoreDeps {
  secretStores: Informer<SecretStore, SecretStore>;
  clusterSecretStores: Informer<ClusterSecretStore, ClusterSecretStore>;
  concurrency: number;
  registry: Registry;
}

/**
 * Builds the store controllers: one per kind, as ESO's (`secretstore`, `clustersecretstore`: the `controller` label
 * ESO's dashboard selects on), both keyed by {@link storeKey} and sharing one reconciler and one credentials watch.
 */
export function secretStoreControllers(o: SecretStoreControllerOptions): Controller<StoreKey>[] {
  const reconciler = new SecretStoreReconciler(o);
  // A changed credentials Secret: its stores forget the client and the remembered values, then re-validate.
  const credentials = new CredentialWatch(o.client, o.clients, (stores) => {
    for (const s of stores) o.clients.invalidate(s);
    o.forgetCredentials();
  }, o.log);
  o.secretStores.subscribe((c) => credentials.update("SecretStore", c));
  o.clusterSecretStores.subscribe((c) => credentials.update("ClusterSecretStore", c));
  // The credentials watch enqueues into the controller of each store's kind; the SecretStore controller runs it.
  const enqueueByKind: Partial<Record<StoreKind, (key: string) => void>> = {};
  const credentialWatch = credentials.asWatch();
  credentialWatch.connect((key) => enqueueByKind[parseStoreKey(key as StoreKey).kind]?.(key));
  const credentialsOf = (kind: StoreKind): Watch => ({
    connect: (enqueue) => enqueueByKind[kind] = enqueue,
    ...(kind === "SecretStore" ? { start: (signal: AbortSignal) => credentialWatch.start?.(signal) } : {}),
  });
  const common = {
    reconcile: (key: StoreKey, ctx: { signal: AbortSignal }) => reconciler.reconcile(key, ctx.signal),
    concurrency: o.concurrency,
    registry: o.registry,
    log: o.log,
  };
  return [
    new Controller<StoreKey>({
      name: "secretstore",
      watches: [
        watches(o.secretStores, (c) => [storeKey("SecretStore", c.object.metadata.name!, c.object.metadata.namespace)]),
        credentialsOf("SecretStore"),
      ],
      ...common,
    }),
    new Controller<StoreKey>({
      name: "clustersecretstore",
      watches: [
        watches(o.clusterSecretStores, (c) => [storeKey("ClusterSecretStore", c.object.metadata.name!)]),
        credentialsOf("ClusterSecretStore"),
      ],
      ...common,
    }),
  ];
}
