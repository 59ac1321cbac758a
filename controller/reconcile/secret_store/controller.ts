/**
 * The store controller: both store kinds, each reconciled on its own changes (spec, status written by others,
 * deletion) and re-validated every `--store-requeue-interval`.
 *
 * @module
 */
import type { ClusterSecretStore, SecretStore } from "../../api/types.ts";
import { Controller, watches } from "../../runtime/controller.ts";
import type { Informer } from "../../runtime/informer.ts";
import { type StoreKey, storeKey } from "../../runtime/keys.ts";
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

/** Builds the store controller: one queue for both kinds, keyed by {@link storeKey}. */
export function secretStoreController(o: SecretStoreControllerOptions): Controller<StoreKey> {
  const reconciler = new SecretStoreReconciler(o);
  // A changed credentials Secret: its stores forget the client and the remembered values, then re-validate.
  const credentials = new CredentialWatch(o.client, o.clients, (stores) => {
    for (const s of stores) o.clients.invalidate(s);
    o.forgetCredentials();
  }, o.log);
  o.secretStores.subscribe((c) => credentials.update("SecretStore", c));
  o.clusterSecretStores.subscribe((c) => credentials.update("ClusterSecretStore", c));
  // Two primary kinds in one queue: every change of either reconciles that store.
  return new Controller<StoreKey>({
    name: "secretstore",
    watches: [
      watches(o.secretStores, (c) => [storeKey("SecretStore", c.object.metadata.name!, c.object.metadata.namespace)]),
      watches(o.clusterSecretStores, (c) => [storeKey("ClusterSecretStore", c.object.metadata.name!)]),
      credentials.asWatch(),
    ],
    reconcile: (key, ctx) => reconciler.reconcile(key, ctx.signal),
    concurrency: o.concurrency,
    registry: o.registry,
    log: o.log,
  });
}
