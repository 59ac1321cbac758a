/**
 * The Entra ID authority each `environmentType` implies, as ESO maps it (and `customCloudConfig` for Azure Stack).
 *
 * @module
 */
import type { AzureKVProvider } from "../../api/types.ts";
import { InvalidStoreError } from "../provider.ts";

const AUTHORITY: Record<string, string> = {
  PublicCloud: "https://login.microsoftonline.com",
  USGovernmentCloud: "https://login.microsoftonline.us",
  ChinaCloud: "https://login.chinacloudapi.cn",
  GermanCloud: "https://login.microsoftonline.de",
};

/** The Entra ID authority host for a store; `override` (the controller's flag) wins over everything. */
export function authorityHost(spec: AzureKVProvider, override?: string): string {
  if (override) return override;
  const env = spec.environmentType ?? "PublicCloud";
  if (env === "AzureStackCloud") {
    const aad = spec.customCloudConfig?.activeDirectoryEndpoint;
    if (!aad) {
      throw new InvalidStoreError("environmentType AzureStackCloud needs customCloudConfig.activeDirectoryEndpoint");
    }
    return aad.replace(/\/+$/, "");
  }
  if (spec.customCloudConfig?.activeDirectoryEndpoint) return spec.customCloudConfig.activeDirectoryEndpoint;
  const host = AUTHORITY[env];
  if (!host) {
    throw new InvalidStoreError(
      `environmentType "${env}" is not one of ${Object.keys(AUTHORITY).join(", ")}, AzureStackCloud`,
    );
  }
  return host;
}
