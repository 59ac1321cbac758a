/**
 * The defaults ESO applies to fields left out of a manifest, in one place. Some of them ESO's CRDs set at admission,
 * others its code applies when it reads the object; the controller reads every such field through these functions,
 * so both kinds behave the same whether or not the apiserver filled them in.
 *
 * @module
 */
import type { ExternalSecret, ExternalSecretDataRemoteRef, ExternalSecretTarget } from "./types.ts";

/** A remote ref with ESO's defaults: metadataPolicy None, conversion Default, decoding None, null bytes Ignore. */
export type RemoteRef =
  & Required<Pick<ExternalSecretDataRemoteRef, "key" | "metadataPolicy" | "conversionStrategy" | "decodingStrategy">>
  & Pick<ExternalSecretDataRemoteRef, "property" | "version">
  & { nullBytePolicy: "Ignore" | "Fail" };

/** `ref` with ESO's defaults filled in. */
export function remoteRef(ref: ExternalSecretDataRemoteRef): RemoteRef {
  return {
    key: ref.key,
    metadataPolicy: ref.metadataPolicy ?? "None",
    conversionStrategy: ref.conversionStrategy ?? "Default",
    decodingStrategy: ref.decodingStrategy ?? "None",
    nullBytePolicy: ref.nullBytePolicy ?? "Ignore",
    ...(ref.property ? { property: ref.property } : {}),
    ...(ref.version ? { version: ref.version } : {}),
  };
}

/** `creationPolicy`, default Owner. */
export function creationPolicy(es: ExternalSecret): NonNullable<ExternalSecretTarget["creationPolicy"]> {
  return es.spec.target?.creationPolicy ?? "Owner";
}

/** `deletionPolicy`, default Retain. */
export function deletionPolicy(es: ExternalSecret): NonNullable<ExternalSecretTarget["deletionPolicy"]> {
  return es.spec.target?.deletionPolicy ?? "Retain";
}

/** Whether the controller writes into a Secret it finds (Merge, or CreateOrMerge when the Secret exists). */
export function mergesInto(es: ExternalSecret): boolean {
  const p = creationPolicy(es);
  return p === "Merge" || p === "CreateOrMerge";
}

/** The store kind an ExternalSecret names, default SecretStore. */
export function storeKind(es: ExternalSecret): "SecretStore" | "ClusterSecretStore" {
  return es.spec.secretStoreRef?.kind === "ClusterSecretStore" ? "ClusterSecretStore" : "SecretStore";
}

/** The refresh interval as written, default 1h (ESO's CRD default). */
export function refreshInterval(es: ExternalSecret): string {
  return es.spec.refreshInterval ?? "1h";
}

/** The name of the Secret an ExternalSecret manages (default: the ExternalSecret's own name). */
export function targetName(es: ExternalSecret): string {
  return es.spec.target?.name ?? es.metadata.name!;
}
