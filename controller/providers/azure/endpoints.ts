/**
 * Which endpoints a store may make the controller talk to, and which tokens it may make it ask for: the operator's
 * choice (controller flags), never the tenant's. A namespaced SecretStore is written by whoever may edit that
 * namespace; without these limits its `customCloudConfig.activeDirectoryEndpoint`, `environmentType` or `vaultUrl`
 * would send a ServiceAccount token or the controller's own federated token to a server of the tenant's choosing.
 *
 * Every check here is static (no I/O) and runs before any connection, TokenRequest or credential read, so a refused
 * store costs nothing and reaches nobody. ESO has no such limits; the defaults allow Azure's public and sovereign
 * clouds only, and each limit has a flag for migrations (docs/security.md).
 *
 * @module
 */
import type { AzureKVProvider } from "../../api/types.ts";
import { InvalidStoreError, type StoreRef } from "../provider.ts";
import { TOKEN_EXCHANGE_AUDIENCE } from "./auth.ts";
import { authorityHost, CLOUDS } from "./clouds.ts";

/** Entra ID authority hosts of the public and sovereign clouds (GermanCloud's was shut down in 2021). */
export const DEFAULT_AUTHORITY_HOSTS: readonly string[] = [
  "login.microsoftonline.com",
  "login.microsoftonline.us",
  "login.chinacloudapi.cn",
];

/** Key Vault DNS suffixes of the same clouds: a vault is `<name>.<suffix>`. */
export const DEFAULT_VAULT_HOSTS: readonly string[] = [
  "*.vault.azure.net",
  "*.vault.usgovcloudapi.net",
  "*.vault.azure.cn",
];

/** What stores may reach and request (the controller's `--allowed-*` flags). */
export interface EndpointPolicy {
  /** Entra ID authority hosts (patterns, see {@link hostMatches}). */
  authorityHosts: readonly string[];
  /** Key Vault hosts (patterns). */
  vaultHosts: readonly string[];
  /** Audiences a `serviceAccountRef.audiences` may name besides {@link TOKEN_EXCHANGE_AUDIENCE}. */
  tokenAudiences: readonly string[];
  /** Whether a namespaced SecretStore may use the controller's own identities (mounted workload identity, managed identity). */
  namespacedMountedIdentity: boolean;
}

/** Safe by default: Azure's clouds only, no extra audiences, the controller's identity for cluster stores only. */
export const DEFAULT_ENDPOINT_POLICY: EndpointPolicy = {
  authorityHosts: DEFAULT_AUTHORITY_HOSTS,
  vaultHosts: DEFAULT_VAULT_HOSTS,
  tokenAudiences: [TOKEN_EXCHANGE_AUDIENCE],
  namespacedMountedIdentity: false,
};

const LABEL = "[a-z0-9](?:[a-z0-9-]*[a-z0-9])?";
const PATTERN = new RegExp(`^(\\*\\.)?(${LABEL}(?:\\.${LABEL})*|\\[[0-9a-f:.]+\\])(?::(\\d{1,5}|\\*))?$`);

/**
 * Checks and normalises a host pattern: `host`, `host:port`, `*.domain` (exactly one more DNS label, as in a TLS
 * certificate), with `:port` or `:*` (any port). Without a port only 443 matches. Throws a message for a flag error.
 */
export function parseHostPattern(pattern: string): string {
  const p = pattern.trim().toLowerCase().replace(/^https:\/\//, "").replace(/\/+$/, "");
  if (!PATTERN.test(p)) {
    throw new Error(
      `"${pattern}" is not a host pattern (host, host:port, *.domain, optionally :* for any port)`,
    );
  }
  return p;
}

/** Splits a comma-separated list of host patterns (a flag's value). */
export function parseHostPatterns(list: string): string[] {
  return list.split(",").map((s) => s.trim()).filter((s) => s !== "").map(parseHostPattern);
}

/** Whether `host` (as `URL.host`: lower-case hostname, `:port` unless it is 443) matches a pattern. */
export function hostMatches(host: string, pattern: string): boolean {
  const m = PATTERN.exec(pattern);
  if (!m) return false;
  const [, wildcard, domain, port] = m;
  const hm = /^(.*?)(?::(\d+))?$/.exec(host.toLowerCase())!;
  const hostname = hm[1]!;
  const hostPort = hm[2] ?? "443";
  if (port !== "*" && (port ?? "443") !== hostPort) return false;
  if (!wildcard) return hostname === domain;
  if (!hostname.endsWith(`.${domain}`)) return false;
  const first = hostname.slice(0, -domain!.length - 1);
  return first !== "" && !first.includes(".");
}

/** Whether `host` matches any of `patterns`. */
export function hostAllowed(host: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => hostMatches(host, p));
}

function list(patterns: readonly string[]): string {
  return patterns.length ? patterns.join(",") : "(none)";
}

/** The DNS suffix a store's vault must be under, when its cloud says (a named cloud or `keyVaultDNSSuffix`). */
function cloudSuffix(spec: AzureKVProvider): { suffix: string; source: string } | undefined {
  const custom = spec.customCloudConfig?.keyVaultDNSSuffix?.replace(/^\.+|\/+$/g, "").toLowerCase();
  if (custom) return { suffix: custom, source: "customCloudConfig.keyVaultDNSSuffix" };
  const env = spec.environmentType ?? "PublicCloud";
  const cloud = CLOUDS[env];
  return cloud ? { suffix: cloud.keyVaultDnsSuffix, source: `environmentType ${env}` } : undefined;
}

/** Refuses a vault URL whose host the policy does not allow, or that is not under the store's cloud's suffix. */
export function checkVaultHost(spec: AzureKVProvider, policy: EndpointPolicy): void {
  const url = new URL(spec.vaultUrl);
  const host = url.host;
  if (!hostAllowed(host, policy.vaultHosts)) {
    throw new InvalidStoreError(
      `vault host "${host}" is not allowed: this controller reaches only vaults matching --allowed-vault-hosts (${
        list(policy.vaultHosts)
      })`,
    );
  }
  // A vault under a known cloud's suffix must be the store's cloud's: its tokens are that cloud's.
  const cloud = cloudSuffix(spec);
  const known = Object.entries(CLOUDS).find(([, c]) => url.hostname.endsWith(`.${c.keyVaultDnsSuffix}`));
  if (cloud && (known || spec.customCloudConfig?.keyVaultDNSSuffix) && !url.hostname.endsWith(`.${cloud.suffix}`)) {
    throw new InvalidStoreError(
      `vault host "${host}" is not under ${cloud.suffix}, the Key Vault DNS suffix of ${cloud.source}`,
    );
  }
  const resource = spec.customCloudConfig?.keyVaultEndpoint;
  if (resource) {
    let resourceHost: string;
    try {
      resourceHost = new URL(resource).hostname;
    } catch {
      throw new InvalidStoreError(`customCloudConfig.keyVaultEndpoint "${resource}" is not a URL`);
    }
    // Tokens are asked for this resource: it must be the vault's own domain, not any resource a tenant names.
    if (!url.hostname.endsWith(`.${resourceHost}`)) {
      throw new InvalidStoreError(
        `customCloudConfig.keyVaultEndpoint "${resource}" is not the domain of vault host "${host}"`,
      );
    }
  }
}

function checkAuthority(spec: AzureKVProvider, policy: EndpointPolicy, override: string | undefined): void {
  if ((spec.authType ?? "ServicePrincipal") === "ManagedIdentity") return;
  // The operator's own --azure-authority-host replaces every store's authority: nothing of the tenant's is used.
  if (override) return;
  const authority = authorityHost(spec);
  const host = new URL(authority).host;
  if (!hostAllowed(host, policy.authorityHosts)) {
    const from = spec.customCloudConfig?.activeDirectoryEndpoint
      ? "customCloudConfig.activeDirectoryEndpoint"
      : `environmentType ${spec.environmentType ?? "PublicCloud"}`;
    throw new InvalidStoreError(
      `Entra ID authority host "${host}" (${from}) is not allowed: this controller sends credentials only to authorities matching --allowed-authority-hosts (${
        list(policy.authorityHosts)
      })`,
    );
  }
}

function checkIdentity(store: StoreRef, spec: AzureKVProvider, policy: EndpointPolicy): void {
  if (spec.authType === "ManagedIdentity" && store.kind === "SecretStore" && !policy.namespacedMountedIdentity) {
    // The pod's or node's managed identity is the controller's own: a namespace user must not borrow it.
    throw new InvalidStoreError(
      "authType ManagedIdentity would use the controller's own managed identity, which only ClusterSecretStores may use (unless --allow-namespaced-mounted-identity): use a ClusterSecretStore, or a service principal or workload identity of this namespace",
    );
  }
  if (spec.authType !== "WorkloadIdentity") return;
  const sa = spec.serviceAccountRef;
  if (!sa) {
    if (store.kind === "SecretStore" && !policy.namespacedMountedIdentity) {
      throw new InvalidStoreError(
        "authType WorkloadIdentity without serviceAccountRef would use the controller's own federated identity, which only ClusterSecretStores may use (unless --allow-namespaced-mounted-identity): set serviceAccountRef to a ServiceAccount of this namespace",
      );
    }
    return;
  }
  const refused = (sa.audiences ?? []).filter((a) =>
    a !== TOKEN_EXCHANGE_AUDIENCE && !policy.tokenAudiences.includes(a)
  );
  if (refused.length > 0) {
    throw new InvalidStoreError(
      `serviceAccountRef.audiences ${
        refused.map((a) => `"${a}"`).join(", ")
      } not allowed: this controller requests ServiceAccount tokens only for ${TOKEN_EXCHANGE_AUDIENCE} and --allowed-token-audiences (${
        list(policy.tokenAudiences)
      })`,
    );
  }
}

/**
 * Refuses a store whose endpoints or token audiences the operator did not allow. `authorityOverride` is the
 * controller's `--azure-authority-host`. Expects a vault URL that `checkVaultUrl` accepted.
 */
export function checkStoreEndpoints(store: StoreRef, policy: EndpointPolicy, authorityOverride?: string): void {
  const spec = store.spec.provider.azurekv as AzureKVProvider;
  checkIdentity(store, spec, policy);
  checkAuthority(spec, policy, authorityOverride);
  checkVaultHost(spec, policy);
}
