/**
 * Fixtures shared by the plugin's unit tests (not a test file itself, and never imported by the plugin).
 *
 * @module
 */
import { type ExternalSecret, syncedResourceVersion } from "../mod.ts";

/** A synced ExternalSecret (its status saw its metadata), refreshed 10 minutes before NOW. */
export function syncedEs(spec: Partial<ExternalSecret["spec"]> = {}, ready = "True"): ExternalSecret {
  const metadata = { name: "regcred", namespace: "jenkins", uid: "u-1", generation: 1, annotations: { a: "1" } };
  return {
    apiVersion: "external-secrets.io/v1",
    kind: "ExternalSecret",
    metadata,
    spec: {
      refreshInterval: "1h",
      secretStoreRef: { name: "css", kind: "ClusterSecretStore" },
      data: [{ secretKey: "k", remoteRef: { key: "docker-config-json" } }],
      ...spec,
    },
    status: {
      refreshTime: "2025-06-01T11:50:00Z",
      syncedResourceVersion: syncedResourceVersion(metadata),
      conditions: [{
        type: "Ready",
        status: ready,
        reason: ready === "True" ? "SecretSynced" : "SecretSyncedError",
        message: ready === "True" ? "secret synced" : "could not get secret data from provider",
        lastTransitionTime: "2025-06-01T11:50:00Z",
      }],
    },
  };
}
