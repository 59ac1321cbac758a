/**
 * Builds the Entra ID credential of an `azurekv` store, following ESO's rules for where each piece comes from
 * (`providers/v1/azure/keyvault/keyvault.go`): ServicePrincipal (client secret or certificate from `authSecretRef`),
 * WorkloadIdentity mounted (the webhook's env vars) or referenced (`serviceAccountRef` → TokenRequest → federated
 * assertion), and ManagedIdentity (optionally a user-assigned `identityId`).
 *
 * Unlike ESO, a credential lives as long as the client that holds it, so its token is reused until near expiry
 * instead of being requested on every reconcile, and a referenced ServiceAccount's token is requested again only
 * when Entra needs a new assertion.
 *
 * @module
 */
import {
  ClientAssertionCredential,
  ClientCertificateCredential,
  ClientSecretCredential,
  ManagedIdentityCredential,
  type TokenCredential,
  WorkloadIdentityCredential,
} from "@azure/identity";
import { createHash } from "node:crypto";
import type { AzureKVProvider, SecretKeySelector } from "../../api/types.ts";
import { type CredentialSource, InvalidStoreError, type StoreRef } from "../provider.ts";
import { authorityHost } from "./clouds.ts";

export const ANNOTATION_CLIENT_ID = "azure.workload.identity/client-id";
export const ANNOTATION_TENANT_ID = "azure.workload.identity/tenant-id";
export const TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";

/** Controller-wide settings that apply to every store. */
export interface AzureAuthOptions {
  /** Overrides the authority of every store (air-gapped proxies, emulators); also disables instance discovery. */
  authorityHost?: string;
  /** The controller's environment, read for the mounted workload identity and as ESO's last tenant fallback. */
  env?: (name: string) => string | undefined;
}

/** A credential and what identifies it in messages and for cache invalidation. */
export interface ResolvedAuth {
  credential: TokenCredential;
  /** "client 1111-… (ServicePrincipal)": for messages; never secret. */
  identity: string;
  /** Changes when any input of the credential changes (hash; safe to log). */
  fingerprint: string;
}

function fingerprint(parts: (string | undefined)[]): string {
  return createHash("sha256").update(parts.map((p) => p ?? "").join("\u0000")).digest("hex").slice(0, 16);
}

/** The namespace a credential reference resolves in, enforcing ESO's rules. */
export function refNamespace(
  store: StoreRef,
  refNs: string | undefined,
  namespace: string | undefined,
  what: string,
): string {
  if (store.kind === "SecretStore") {
    if (refNs !== undefined && refNs !== store.namespace) {
      throw new InvalidStoreError(
        `${what} names namespace "${refNs}", but a SecretStore may only use credentials in its own namespace "${store.namespace}"`,
      );
    }
    return store.namespace!;
  }
  const ns = refNs ?? namespace;
  if (ns === undefined) {
    throw new InvalidStoreError(
      `${what} has no namespace: a ClusterSecretStore must name one, or is resolved per ExternalSecret (referent authentication)`,
    );
  }
  return ns;
}

async function readRef(
  store: StoreRef,
  ref: SecretKeySelector | undefined,
  namespace: string | undefined,
  credentials: CredentialSource,
  what: string,
  signal?: AbortSignal,
): Promise<string | undefined> {
  if (!ref) return undefined;
  if (!ref.name || !ref.key) throw new InvalidStoreError(`${what} needs both name and key`);
  const ns = refNamespace(store, ref.namespace, namespace, what);
  return (await credentials.secretValue(ns, ref.name, ref.key, signal)).trim();
}

const TENANT = /^[0-9A-Za-z][0-9A-Za-z.-]*$/;

function checkTenant(tenant: string, source: string): string {
  if (!TENANT.test(tenant)) {
    throw new InvalidStoreError(
      `${source} "${tenant}" is not a tenant id (a GUID or a domain such as contoso.onmicrosoft.com)`,
    );
  }
  return tenant;
}

/**
 * Resolves the credential for a store. `namespace` is where refs without a namespace resolve (referent
 * authentication on a ClusterSecretStore); reads go through `credentials`.
 */
export async function resolveAuth(
  store: StoreRef,
  namespace: string | undefined,
  credentials: CredentialSource,
  options: AzureAuthOptions = {},
  signal?: AbortSignal,
): Promise<ResolvedAuth> {
  const spec = store.spec.provider.azurekv as AzureKVProvider;
  const env = options.env ?? ((n: string) => Deno.env.get(n));
  const authority = authorityHost(spec, options.authorityHost);
  const common = {
    authorityHost: authority,
    // Instance discovery asks login.microsoftonline.com about the authority: useless (and unreachable) for an
    // authority we were told to use explicitly.
    ...(options.authorityHost || spec.environmentType === "AzureStackCloud" ? { disableInstanceDiscovery: true } : {}),
  };
  const authType = spec.authType ?? "ServicePrincipal";
  const ref = spec.authSecretRef;

  switch (authType) {
    case "ServicePrincipal": {
      if (!spec.tenantId) throw new InvalidStoreError("authType ServicePrincipal needs spec.provider.azurekv.tenantId");
      const tenant = checkTenant(spec.tenantId, "tenantId");
      if (!ref?.clientId) throw new InvalidStoreError("authType ServicePrincipal needs authSecretRef.clientId");
      if (!ref.clientSecret && !ref.clientCertificate) {
        throw new InvalidStoreError(
          "authType ServicePrincipal needs authSecretRef.clientSecret or authSecretRef.clientCertificate",
        );
      }
      if (ref.clientSecret && ref.clientCertificate) {
        throw new InvalidStoreError(
          "authSecretRef.clientSecret and authSecretRef.clientCertificate are mutually exclusive",
        );
      }
      const clientId = (await readRef(store, ref.clientId, namespace, credentials, "authSecretRef.clientId", signal))!;
      const identity = `client ${clientId} (ServicePrincipal, tenant ${tenant})`;
      if (ref.clientSecret) {
        const secret =
          (await readRef(store, ref.clientSecret, namespace, credentials, "authSecretRef.clientSecret", signal))!;
        return {
          credential: new ClientSecretCredential(tenant, clientId, secret, common),
          identity,
          fingerprint: fingerprint(["sp-secret", authority, tenant, clientId, secret]),
        };
      }
      const pem = (await readRef(
        store,
        ref.clientCertificate,
        namespace,
        credentials,
        "authSecretRef.clientCertificate",
        signal,
      ))!;
      if (!/-----BEGIN CERTIFICATE-----/.test(pem) || !/-----BEGIN (RSA |EC )?PRIVATE KEY-----/.test(pem)) {
        throw new InvalidStoreError("authSecretRef.clientCertificate must hold a PEM certificate and its private key");
      }
      return {
        credential: new ClientCertificateCredential(tenant, clientId, { certificate: pem }, common),
        identity,
        fingerprint: fingerprint(["sp-cert", authority, tenant, clientId, pem]),
      };
    }

    case "ManagedIdentity": {
      const clientId = spec.identityId;
      return {
        credential: clientId ? new ManagedIdentityCredential({ clientId }) : new ManagedIdentityCredential(),
        identity: clientId ? `managed identity ${clientId}` : "the system-assigned managed identity",
        fingerprint: fingerprint(["mi", clientId]),
      };
    }

    case "WorkloadIdentity": {
      const sa = spec.serviceAccountRef;
      if (!sa) {
        // "Mounted": the azure-workload-identity webhook injected these into the controller's own pod.
        const clientId = env("AZURE_CLIENT_ID");
        const tenant = spec.tenantId ?? env("AZURE_TENANT_ID");
        const tokenFile = env("AZURE_FEDERATED_TOKEN_FILE");
        const missing = [
          !clientId && "AZURE_CLIENT_ID",
          !tenant && "AZURE_TENANT_ID (or spec.provider.azurekv.tenantId)",
          !tokenFile && "AZURE_FEDERATED_TOKEN_FILE",
        ].filter(Boolean);
        if (missing.length > 0) {
          throw new InvalidStoreError(
            `authType WorkloadIdentity without serviceAccountRef uses the controller's own federated identity, but ${
              missing.join(", ")
            } ${
              missing.length === 1 ? "is" : "are"
            } not set in its environment; set serviceAccountRef to federate a ServiceAccount instead`,
          );
        }
        checkTenant(tenant!, spec.tenantId ? "tenantId" : "AZURE_TENANT_ID");
        return {
          credential: new WorkloadIdentityCredential({
            tenantId: tenant!,
            clientId: clientId!,
            tokenFilePath: tokenFile!,
            ...common,
          }),
          identity: `workload identity ${clientId} (mounted)`,
          fingerprint: fingerprint(["wi-mounted", authority, tenant, clientId, tokenFile]),
        };
      }
      // "Referenced": a ServiceAccount token from the TokenRequest API is the federated assertion.
      const saNamespace = store.kind === "ClusterSecretStore"
        ? sa.namespace ?? namespace
        : refNamespace(store, sa.namespace, namespace, "serviceAccountRef");
      if (!saNamespace) {
        throw new InvalidStoreError(
          "serviceAccountRef has no namespace and there is no ExternalSecret namespace to use",
        );
      }
      const annotations = await credentials.serviceAccountAnnotations(saNamespace, sa.name, signal);
      const annotatedClient = annotations[ANNOTATION_CLIENT_ID];
      const annotatedTenant = annotations[ANNOTATION_TENANT_ID];
      if (annotatedClient && ref?.clientId) {
        throw new InvalidStoreError(
          `client id is set twice: by annotation ${ANNOTATION_CLIENT_ID} on ServiceAccount ${saNamespace}/${sa.name} and by authSecretRef.clientId`,
        );
      }
      const clientId = annotatedClient ??
        await readRef(store, ref?.clientId, namespace, credentials, "authSecretRef.clientId", signal);
      if (!clientId) {
        throw new InvalidStoreError(
          `ServiceAccount ${saNamespace}/${sa.name} has no ${ANNOTATION_CLIENT_ID} annotation and authSecretRef.clientId is not set`,
        );
      }
      const explicitTenant =
        (await readRef(store, ref?.tenantId, namespace, credentials, "authSecretRef.tenantId", signal)) ??
          spec.tenantId;
      if (annotatedTenant && explicitTenant) {
        throw new InvalidStoreError(
          `tenant id is set twice: by annotation ${ANNOTATION_TENANT_ID} on ServiceAccount ${saNamespace}/${sa.name} and in the store`,
        );
      }
      const tenant = explicitTenant ?? annotatedTenant ?? env("AZURE_TENANT_ID");
      if (!tenant) {
        throw new InvalidStoreError(
          "WorkloadIdentity needs a tenant id (store, ServiceAccount annotation or AZURE_TENANT_ID)",
        );
      }
      checkTenant(tenant, "tenant id");
      const audiences = [TOKEN_EXCHANGE_AUDIENCE, ...(sa.audiences ?? []).filter((a) => a !== TOKEN_EXCHANGE_AUDIENCE)];
      let cached: { token: string; refreshAt: number } | undefined;
      const getAssertion = async (): Promise<string> => {
        // MSAL asks only when it needs a new access token; reuse the ServiceAccount token for most of its life too.
        if (cached && Date.now() < cached.refreshAt) return cached.token;
        const { token, expiresAt } = await credentials.serviceAccountToken(saNamespace, sa.name, audiences);
        const life = expiresAt.getTime() - Date.now();
        cached = { token, refreshAt: Date.now() + Math.max(0, life * 0.8) };
        return token;
      };
      return {
        credential: new ClientAssertionCredential(tenant, clientId, getAssertion, common),
        identity: `workload identity ${clientId} (ServiceAccount ${saNamespace}/${sa.name})`,
        fingerprint: fingerprint(["wi-ref", authority, tenant, clientId, saNamespace, sa.name, audiences.join(",")]),
      };
    }
  }
}
