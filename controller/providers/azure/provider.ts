/**
 * The `azurekv` provider: validates store specs (no I/O) and builds {@link AzureKeyVaultClient}s.
 *
 * @module
 */
import type { AzureKVProvider } from "../../api/types.ts";
import {
  type Capabilities,
  type CredentialSource,
  InvalidStoreError,
  type Provider,
  type SecretsClient,
  type StoreRef,
} from "../provider.ts";
import { type AzureAuthOptions, resolveAuth } from "./auth.ts";
import { authorityHost, cloudWarnings, keyVaultResource } from "./clouds.ts";
import { checkStoreEndpoints, DEFAULT_ENDPOINT_POLICY, type EndpointPolicy } from "./endpoints.ts";
import { AzureKeyVaultClient, type CallObserver, type VaultBudget } from "./key_vault.ts";

/** Controller-wide settings of the Azure provider. */
export interface AzureProviderOptions extends AzureAuthOptions {
  budget?: VaultBudget;
  observe?: CallObserver;
  disableChallengeResourceVerification?: boolean;
  /** What stores may reach and request; default {@link DEFAULT_ENDPOINT_POLICY} (Azure's clouds only). */
  endpoints?: EndpointPolicy;
}

/** Checks a vault URL the way a person would want to be told about it. */
export function checkVaultUrl(value: string | undefined): URL {
  if (!value) throw new InvalidStoreError("spec.provider.azurekv.vaultUrl is empty");
  if (/<[^>]*>|[{}]/.test(value)) {
    throw new InvalidStoreError(`vaultUrl "${value}" still contains a placeholder: replace it with the vault's URL`);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidStoreError(`vaultUrl "${value}" is not a valid URL`);
  }
  if (url.protocol !== "https:") throw new InvalidStoreError(`vaultUrl "${value}" must use https`);
  return url;
}

/** The Azure Key Vault provider. */
export class AzureKeyVaultProvider implements Provider {
  readonly capabilities: Capabilities = "ReadWrite";
  readonly #options: AzureProviderOptions;

  constructor(options: AzureProviderOptions = {}) {
    this.#options = options;
  }

  credentialSecrets(store: StoreRef): { namespace?: string; name: string }[] {
    const auth = store.spec.provider.azurekv?.authSecretRef;
    const refs = [auth?.clientId, auth?.clientSecret, auth?.clientCertificate, auth?.tenantId];
    const out: { namespace?: string; name: string }[] = [];
    for (const r of refs) {
      if (!r?.name) continue;
      const namespace = store.kind === "SecretStore" ? store.namespace : r.namespace;
      out.push({ name: r.name, ...(namespace ? { namespace } : {}) });
    }
    return out;
  }

  isReferent(store: StoreRef): boolean {
    if (store.kind !== "ClusterSecretStore") return false;
    const az = store.spec.provider.azurekv;
    if (!az) return false;
    const refs = [az.authSecretRef?.clientId, az.authSecretRef?.clientSecret, az.authSecretRef?.clientCertificate];
    if ((az.authType ?? "ServicePrincipal") === "ServicePrincipal") return refs.some((r) => r && !r.namespace);
    if (az.authType === "WorkloadIdentity" && az.serviceAccountRef) return !az.serviceAccountRef.namespace;
    return false;
  }

  validateStore(store: StoreRef): string[] {
    const spec = store.spec.provider.azurekv as AzureKVProvider | undefined;
    if (!spec) throw new InvalidStoreError("spec.provider.azurekv is missing");
    checkVaultUrl(spec.vaultUrl);
    authorityHost(spec, this.#options.authorityHost);
    keyVaultResource(spec, spec.vaultUrl);
    // newClient calls this first: nothing a store names is contacted or requested unless the operator allowed it.
    checkStoreEndpoints(store, this.#options.endpoints ?? DEFAULT_ENDPOINT_POLICY, this.#options.authorityHost);
    const warnings: string[] = cloudWarnings(spec);
    if (spec.tenantId && /[<>]/.test(spec.tenantId)) {
      throw new InvalidStoreError(
        `tenantId "${spec.tenantId}" still contains a placeholder: replace it with the tenant id`,
      );
    }
    const auth = spec.authType ?? "ServicePrincipal";
    if (auth === "ServicePrincipal" && !spec.tenantId) {
      throw new InvalidStoreError("authType ServicePrincipal needs spec.provider.azurekv.tenantId");
    }
    if (auth !== "ServicePrincipal" && spec.authSecretRef?.clientSecret) {
      warnings.push(`authSecretRef.clientSecret is ignored with authType ${auth}`);
    }
    if (auth === "ManagedIdentity" && spec.serviceAccountRef) {
      warnings.push("serviceAccountRef is ignored with authType ManagedIdentity");
    }
    return warnings;
  }

  async newClient(
    store: StoreRef,
    namespace: string | undefined,
    credentials: CredentialSource,
  ): Promise<SecretsClient> {
    this.validateStore(store);
    const spec = store.spec.provider.azurekv as AzureKVProvider;
    const auth = await resolveAuth(store, namespace, credentials, this.#options);
    return new AzureKeyVaultClient({
      vaultUrl: spec.vaultUrl,
      auth,
      tokenResource: keyVaultResource(spec, spec.vaultUrl),
      ...(this.#options.budget ? { budget: this.#options.budget } : {}),
      ...(this.#options.observe ? { observe: this.#options.observe } : {}),
      ...(this.#options.disableChallengeResourceVerification ? { disableChallengeResourceVerification: true } : {}),
      ...(this.#options.requestTimeoutMs ? { requestTimeoutMs: this.#options.requestTimeoutMs } : {}),
    });
  }
}
