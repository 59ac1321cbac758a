/**
 * The ESO kinds as typed REST resources: the client's `get`/`list`/`patch` return {@link ExternalSecret},
 * {@link SecretStore}, {@link ClusterSecretStore} and {@link ClusterExternalSecret} directly, so no caller casts.
 *
 * @module
 */
import { type ResourceType, resourceType } from "../kube/resources.ts";
import type { ClusterExternalSecret, ClusterSecretStore, ExternalSecret, SecretStore } from "./types.ts";

/** external-secrets.io/v1 ExternalSecrets. */
export const externalSecrets: ResourceType<ExternalSecret> = resourceType<ExternalSecret>({
  group: "external-secrets.io",
  version: "v1",
  plural: "externalsecrets",
  kind: "ExternalSecret",
  namespaced: true,
});
/** external-secrets.io/v1 SecretStores. */
export const secretStores: ResourceType<SecretStore> = resourceType<SecretStore>({
  group: "external-secrets.io",
  version: "v1",
  plural: "secretstores",
  kind: "SecretStore",
  namespaced: true,
});
/** external-secrets.io/v1 ClusterSecretStores (cluster-scoped). */
export const clusterSecretStores: ResourceType<ClusterSecretStore> = resourceType<ClusterSecretStore>({
  group: "external-secrets.io",
  version: "v1",
  plural: "clustersecretstores",
  kind: "ClusterSecretStore",
  namespaced: false,
});
/** external-secrets.io/v1 ClusterExternalSecrets (cluster-scoped). */
export const clusterExternalSecrets: ResourceType<ClusterExternalSecret> = resourceType<ClusterExternalSecret>({
  group: "external-secrets.io",
  version: "v1",
  plural: "clusterexternalsecrets",
  kind: "ClusterExternalSecret",
  namespaced: false,
});
