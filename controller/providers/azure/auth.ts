/**
 * Builds the Entra ID credential of an `azurekv` store, following ESO's rules for where each piece comes from
 * (`providers/v1/azure/keyvault/keyvault.go`): ServicePrincipal (client secret or certificate from `authSecretRef`),
 * WorkloadIdentity mounted (the webhook's env vars) or referenced (`serviceAccountRef` → TokenRequest → federated
 * assertion), and ManagedIdentity (optionally a user-assigned `identityId`).
 *
 * Unlike ESO, a credential lives as long as the client that holds it, so its token is reused until near expiry
 * instead of being requested on every reconcile (MSAL's cache; concurrent first requests share one exchange, see
 * {@link coalescing}), and a referenced ServiceAccount's token is reused for most of its life (one TokenRequest per
 * ~48 minutes, however often MSAL asks for the assertion). Client certificates go through `client_certificate.ts`.
 *
 * @module
 */
import {
  type AccessToken,
  ClientAssertionCredential,
  ClientSecretCredential,
  type GetTokenOptions,
  ManagedIdentityCredential,
  type TokenCredential,
  WorkloadIdentityCredential,
} from "@azure/identity";
import type { HttpClient } from "@azure/core-rest-pipeline";
import { createHash } from "node:crypto";
import type { AzureKVProvider, SecretKeySelector } from "../../api/types.ts";
import { type CredentialSource, InvalidStoreError, type StoreRef } from "../provider.ts";
import { clientCertificateCredential, parseClientCertificate } from "./client_certificate.ts";
import { authorityHost } from "./clouds.ts";
import { DEFAULT_AZURE_REQUEST_TIMEOUT_MS, type RequestTimeoutError, timeoutHttpClient } from "./timeouts.ts";

export const ANNOTATION_CLIENT_ID = "azure.workload.identity/client-id";
export const ANNOTATION_TENANT_ID = "azure.workload.identity/tenant-id";
export const TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";

/** Controller-wide settings that apply to every store. */
export interface AzureAuthOptions {
  /** Overrides the authority of every store (air-gapped proxies, emulators); also disables instance discovery. */
  authorityHost?: string;
  /** The controller's environment, read for the mounted workload identity and as ESO's last tenant fallback. */
  env?: (name: string) => string | undefined;
  /** Time limit of each HTTP attempt to Entra ID or a managed identity endpoint. @default {15000} */
  requestTimeoutMs?: number;
}

/** A credential and what identifies it in messages and for cache invalidation. */
export interface ResolvedAuth {
  credential: TokenCredential;
  /** "client 1111-… (ServicePrincipal with a client secret, tenant …)": for messages; never secret. */
  identity: string;
  /** Changes when any input of the credential changes (hash; safe to log). */
  fingerprint: string;
  /** The Entra ID authority the credential talks to (none for managed identity). */
  authority?: string;
  /** Replaces the credential's secret values (client secret, private key) in a text; for error messages. */
  redact: (text: string) => string;
  /** The credential's last HTTP timeout: MSAL reports one as an unreachable authority, without the cause. */
  lastTimeout?: () => RequestTimeoutError | undefined;
}

function fingerprint(parts: (string | undefined)[]): string {
  return createHash("sha256").update(parts.map((p) => p ?? "").join("\u0000")).digest("hex").slice(0, 16);
}

function redactor(secrets: string[]): (text: string) => string {
  const values = secrets.filter((s) => s.length >= 4);
  return (text) => values.reduce((t, v) => t.replaceAll(v, "[redacted]"), text);
}

function abortError(): Error {
  return Object.assign(new Error("The operation was aborted."), { name: "AbortError" });
}

/**
 * Shares one token request among concurrent callers asking for the same token. MSAL caches a token once it has it,
 * but callers that ask before the first answer each send their own request (three concurrent first calls, three
 * token exchanges; for a referenced ServiceAccount, three TokenRequests too). A caller's abort signal ends its own
 * wait, not the shared request. Requests with `claims` (a CAE challenge wants a new token) are not shared.
 */
export function coalescing(inner: TokenCredential, tenantId?: string): TokenCredential {
  const inflight = new Map<string, Promise<AccessToken | null>>();
  return {
    getToken(scopes: string | string[], options: GetTokenOptions = {}): Promise<AccessToken | null> {
      if (options.claims) return inner.getToken(scopes, options);
      const { abortSignal, ...rest } = options;
      // Key Vault's challenge names the tenant; validation does not: the same token when it is the credential's own.
      const tenant = rest.tenantId === tenantId ? "" : rest.tenantId ?? "";
      const key = JSON.stringify([[scopes].flat().sort(), tenant, rest.enableCae === true]);
      let shared = inflight.get(key);
      if (!shared) {
        shared = inner.getToken(scopes, rest).finally(() => inflight.delete(key));
        inflight.set(key, shared);
      }
      if (!abortSignal) return shared;
      if (abortSignal.aborted) return Promise.reject(abortError());
      return new Promise((resolve, reject) => {
        const onAbort = (): void => reject(abortError());
        abortSignal.addEventListener("abort", onAbort, { once: true });
        shared.then(resolve, reject).finally(() => abortSignal.removeEventListener("abort", onAbort));
      });
    },
  };
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

/** Refs whose values name an identity rather than prove it: shown in logs and messages. */
const IDENTIFIERS = new Set(["authSecretRef.clientId", "authSecretRef.tenantId"]);

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
  const identifier = IDENTIFIERS.has(what) ? { identifier: true } : undefined;
  return (await credentials.secretValue(ns, ref.name, ref.key, signal, identifier)).trim();
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

/** A resolved credential before {@link resolveAuth} wraps it: plus the secret values its messages must not show. */
type Resolved = Omit<ResolvedAuth, "redact"> & { secrets?: string[]; tenantId?: string };

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
  const httpClient = timeoutHttpClient(options.requestTimeoutMs ?? DEFAULT_AZURE_REQUEST_TIMEOUT_MS);
  const { secrets = [], tenantId, ...resolved } = await resolve(
    store,
    namespace,
    credentials,
    options,
    signal,
    httpClient,
  );
  return {
    ...resolved,
    credential: coalescing(resolved.credential, tenantId),
    redact: redactor(secrets),
    lastTimeout: () => httpClient.lastTimeout,
  };
}

async function resolve(
  store: StoreRef,
  namespace: string | undefined,
  credentials: CredentialSource,
  options: AzureAuthOptions,
  signal: AbortSignal | undefined,
  httpClient: HttpClient,
): Promise<Resolved> {
  const spec = store.spec.provider.azurekv as AzureKVProvider;
  const env = options.env ?? ((n: string) => Deno.env.get(n));
  const authType = spec.authType ?? "ServicePrincipal";
  const ref = spec.authSecretRef;

  if (authType === "ManagedIdentity") {
    // The endpoint is the platform's (IMDS, or App Service's IDENTITY_ENDPOINT), found by MSAL from the environment.
    const clientId = spec.identityId;
    return {
      credential: new ManagedIdentityCredential({ ...(clientId ? { clientId } : {}), httpClient }),
      identity: clientId ? `managed identity ${clientId}` : "the system-assigned managed identity",
      fingerprint: fingerprint(["mi", clientId]),
    };
  }

  const authority = authorityHost(spec, options.authorityHost);
  const common = {
    authorityHost: authority,
    httpClient,
    // Instance discovery asks login.microsoftonline.com about the authority: useless (and unreachable) for an
    // authority we were told to use explicitly.
    ...(options.authorityHost || spec.environmentType === "AzureStackCloud" || spec.customCloudConfig
      ? { disableInstanceDiscovery: true }
      : {}),
  };

  if (authType === "ServicePrincipal") {
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
    if (ref.clientSecret) {
      const secret =
        (await readRef(store, ref.clientSecret, namespace, credentials, "authSecretRef.clientSecret", signal))!;
      return {
        credential: new ClientSecretCredential(tenant, clientId, secret, common),
        identity: `client ${clientId} (ServicePrincipal with a client secret, tenant ${tenant})`,
        fingerprint: fingerprint(["sp-secret", authority, tenant, clientId, secret]),
        authority,
        tenantId: tenant,
        secrets: [secret],
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
    // Not ClientCertificateCredential: it cannot read a key+certificate PEM under Deno (see client_certificate.ts).
    const cert = await parseClientCertificate(pem);
    return {
      credential: clientCertificateCredential(tenant, clientId, cert, authority, common),
      identity: `client ${clientId} (ServicePrincipal with certificate ${cert.thumbprintSha1}, tenant ${tenant})`,
      fingerprint: fingerprint(["sp-cert", authority, tenant, clientId, pem]),
      authority,
      tenantId: tenant,
      secrets: [pem, ...pem.match(/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g) ?? []],
    };
  }

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
      identity: `workload identity ${clientId} (mounted token file ${tokenFile}, tenant ${tenant})`,
      fingerprint: fingerprint(["wi-mounted", authority, tenant, clientId, tokenFile]),
      authority,
      tenantId: tenant!,
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
  let requesting: Promise<string> | undefined;
  const getAssertion = (): Promise<string> => {
    // MSAL calls this on every token acquisition, before it looks in its cache: reuse the ServiceAccount token for
    // most of its life, and let concurrent callers share one TokenRequest.
    if (cached && Date.now() < cached.refreshAt) return Promise.resolve(cached.token);
    requesting ??= credentials.serviceAccountToken(saNamespace, sa.name, audiences).then(({ token, expiresAt }) => {
      const life = expiresAt.getTime() - Date.now();
      cached = { token, refreshAt: Date.now() + Math.max(0, life * 0.8) };
      return token;
    }).finally(() => {
      requesting = undefined;
    });
    return requesting;
  };
  return {
    credential: new ClientAssertionCredential(tenant, clientId, getAssertion, common),
    identity: `workload identity ${clientId} (ServiceAccount ${saNamespace}/${sa.name}, tenant ${tenant})`,
    fingerprint: fingerprint(["wi-ref", authority, tenant, clientId, saNamespace, sa.name, audiences.join(",")]),
    authority,
    tenantId: tenant,
  };
}
