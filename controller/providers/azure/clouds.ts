/**
 * The endpoints each `environmentType` implies, as ESO maps them (go-autorest's environments on its default path,
 * azcore's cloud configurations with `useAzureSDK`), and `customCloudConfig` for Azure Stack and other private
 * clouds: the Entra ID authority credentials talk to, and the Key Vault resource tokens are asked for.
 *
 * @module
 */
import type { AzureKVProvider } from "../../api/types.ts";
import { InvalidStoreError } from "../provider.ts";

/** What a named cloud implies. */
export interface CloudEndpoints {
  /** Entra ID authority host, without a trailing slash. */
  authorityHost: string;
  /** DNS suffix of the cloud's vaults (`<name>.<suffix>`); `https://<suffix>` is the token resource. */
  keyVaultDnsSuffix: string;
}

/** The named clouds (AzureStackCloud has no fixed endpoints: `customCloudConfig` gives them). */
export const CLOUDS: Readonly<Record<string, CloudEndpoints>> = {
  PublicCloud: { authorityHost: "https://login.microsoftonline.com", keyVaultDnsSuffix: "vault.azure.net" },
  USGovernmentCloud: {
    authorityHost: "https://login.microsoftonline.us",
    keyVaultDnsSuffix: "vault.usgovcloudapi.net",
  },
  ChinaCloud: { authorityHost: "https://login.chinacloudapi.cn", keyVaultDnsSuffix: "vault.azure.cn" },
  GermanCloud: { authorityHost: "https://login.microsoftonline.de", keyVaultDnsSuffix: "vault.microsoftazure.de" },
};

function endpointUrl(value: string, field: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidStoreError(`customCloudConfig.${field} "${value}" is not a URL`);
  }
  if (url.protocol !== "https:") throw new InvalidStoreError(`customCloudConfig.${field} "${value}" must use https`);
  return value.replace(/\/+$/, "");
}

function namedCloud(spec: AzureKVProvider): CloudEndpoints | undefined {
  const env = spec.environmentType ?? "PublicCloud";
  if (env === "AzureStackCloud") return undefined;
  const cloud = CLOUDS[env];
  if (!cloud) {
    throw new InvalidStoreError(
      `environmentType "${env}" is not one of ${Object.keys(CLOUDS).join(", ")}, AzureStackCloud`,
    );
  }
  return cloud;
}

/**
 * The Entra ID authority host for a store, without a trailing slash: `override` (the controller's
 * `--azure-authority-host`) wins, then `customCloudConfig.activeDirectoryEndpoint` (required for AzureStackCloud, an
 * override for the named clouds, as with ESO's `useAzureSDK`), then the named cloud's.
 */
export function authorityHost(spec: AzureKVProvider, override?: string): string {
  if (override) return override.replace(/\/+$/, "");
  const cloud = namedCloud(spec);
  const aad = spec.customCloudConfig?.activeDirectoryEndpoint;
  if (aad) return endpointUrl(aad, "activeDirectoryEndpoint");
  if (!cloud) {
    throw new InvalidStoreError("environmentType AzureStackCloud needs customCloudConfig.activeDirectoryEndpoint");
  }
  return cloud.authorityHost;
}

/**
 * The resource a Key Vault token is for (`<resource>/.default` is the scope): `customCloudConfig.keyVaultEndpoint`,
 * else `https://<keyVaultDNSSuffix>`, else the suffix of a known cloud the vault's host ends with, else the store's
 * cloud's (for AzureStackCloud: the vault's host without its first label). Reads follow the vault's own challenge;
 * this is what store validation asks a token for.
 */
export function keyVaultResource(spec: AzureKVProvider, vaultUrl: string): string {
  const custom = spec.customCloudConfig;
  if (custom?.keyVaultEndpoint) return endpointUrl(custom.keyVaultEndpoint, "keyVaultEndpoint");
  if (custom?.keyVaultDNSSuffix) return `https://${custom.keyVaultDNSSuffix.replace(/^\.+|\/+$/g, "")}`;
  const host = new URL(vaultUrl).hostname;
  for (const c of Object.values(CLOUDS)) {
    if (host.endsWith(`.${c.keyVaultDnsSuffix}`)) return `https://${c.keyVaultDnsSuffix}`;
  }
  const cloud = namedCloud(spec);
  if (cloud) return `https://${cloud.keyVaultDnsSuffix}`;
  // Azure Stack without endpoints in customCloudConfig: its vaults are `<name>.vault.<region>.<domain>` too.
  const dot = host.indexOf(".");
  return /^[\d.]+$|^\[/.test(host) || dot < 0 ? "https://vault.azure.net" : `https://${host.slice(dot + 1)}`;
}

/** Things ESO would do differently with this spec, or that cannot work, said as warnings. */
export function cloudWarnings(spec: AzureKVProvider): string[] {
  const warnings: string[] = [];
  if (spec.customCloudConfig && spec.useAzureSDK !== true) {
    warnings.push(
      "customCloudConfig is honoured, but ESO requires useAzureSDK: true with it and would reject this store",
    );
  }
  if (spec.environmentType === "GermanCloud") {
    warnings.push(
      "environmentType GermanCloud: Azure Germany was discontinued on 2021-10-29 (ESO rejects it with useAzureSDK); use AzureStackCloud with customCloudConfig or a public region",
    );
  }
  return warnings;
}
