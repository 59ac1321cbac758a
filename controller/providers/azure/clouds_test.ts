import assert from "node:assert/strict";
import type { AzureKVProvider } from "../../api/types.ts";
import { InvalidStoreError } from "../provider.ts";
import { authorityHost, cloudWarnings, keyVaultResource } from "./clouds.ts";

const spec = (extra: Partial<AzureKVProvider> = {}): AzureKVProvider => ({
  vaultUrl: "https://my-vault.vault.azure.net/",
  ...extra,
});

Deno.test("authorityHost: each named cloud's Entra ID authority, PublicCloud by default", () => {
  assert.equal(authorityHost(spec()), "https://login.microsoftonline.com");
  assert.equal(authorityHost(spec({ environmentType: "PublicCloud" })), "https://login.microsoftonline.com");
  assert.equal(authorityHost(spec({ environmentType: "USGovernmentCloud" })), "https://login.microsoftonline.us");
  assert.equal(authorityHost(spec({ environmentType: "ChinaCloud" })), "https://login.chinacloudapi.cn");
  assert.equal(authorityHost(spec({ environmentType: "GermanCloud" })), "https://login.microsoftonline.de");
});

Deno.test("authorityHost: customCloudConfig.activeDirectoryEndpoint, required for AzureStackCloud, trailing slash dropped", () => {
  const stack = spec({
    environmentType: "AzureStackCloud",
    useAzureSDK: true,
    customCloudConfig: { activeDirectoryEndpoint: "https://adfs.local.azurestack.external/" },
  });
  assert.equal(authorityHost(stack), "https://adfs.local.azurestack.external");
  // Azure China's workload identity endpoint is given this way (ESO's docs).
  const china = spec({
    environmentType: "ChinaCloud",
    useAzureSDK: true,
    customCloudConfig: { activeDirectoryEndpoint: "https://login.partner.microsoftonline.cn/" },
  });
  assert.equal(authorityHost(china), "https://login.partner.microsoftonline.cn");
  assert.throws(
    () => authorityHost(spec({ environmentType: "AzureStackCloud" })),
    (e: Error) =>
      e instanceof InvalidStoreError &&
      /AzureStackCloud needs customCloudConfig\.activeDirectoryEndpoint/.test(e.message),
  );
  assert.throws(
    () => authorityHost(spec({ customCloudConfig: { activeDirectoryEndpoint: "http://login.example" } })),
    /customCloudConfig\.activeDirectoryEndpoint "http:\/\/login\.example" must use https/,
  );
  assert.throws(
    () => authorityHost(spec({ customCloudConfig: { activeDirectoryEndpoint: "login.example" } })),
    /is not a URL/,
  );
});

Deno.test("authorityHost: the controller's override wins over the store; an unknown environmentType is named", () => {
  assert.equal(
    authorityHost(spec({ environmentType: "ChinaCloud" }), "https://127.0.0.1:8443/"),
    "https://127.0.0.1:8443",
  );
  assert.throws(
    () => authorityHost(spec({ environmentType: "MarsCloud" as NonNullable<AzureKVProvider["environmentType"]> })),
    /environmentType "MarsCloud" is not one of PublicCloud, USGovernmentCloud, ChinaCloud, GermanCloud, AzureStackCloud/,
  );
});

Deno.test("keyVaultResource: the token resource from the vault's host, the cloud, or customCloudConfig", () => {
  const at = (vaultUrl: string, extra: Partial<AzureKVProvider> = {}): string =>
    keyVaultResource(spec({ vaultUrl, ...extra }), vaultUrl);
  assert.equal(at("https://a.vault.azure.net/"), "https://vault.azure.net");
  assert.equal(at("https://a.vault.usgovcloudapi.net"), "https://vault.usgovcloudapi.net");
  assert.equal(at("https://a.vault.azure.cn"), "https://vault.azure.cn");
  assert.equal(at("https://a.vault.microsoftazure.de"), "https://vault.microsoftazure.de");
  // A host of no known cloud (a proxy, the emulator): the store's cloud decides.
  assert.equal(at("https://127.0.0.1:8443"), "https://vault.azure.net");
  assert.equal(at("https://kv.internal", { environmentType: "USGovernmentCloud" }), "https://vault.usgovcloudapi.net");
  const custom = { activeDirectoryEndpoint: "https://login.stack" };
  assert.equal(
    at("https://a.vault.stack", {
      environmentType: "AzureStackCloud",
      customCloudConfig: { ...custom, keyVaultEndpoint: "https://vault.stack/" },
    }),
    "https://vault.stack",
  );
  assert.equal(
    at("https://a.vault.stack", {
      environmentType: "AzureStackCloud",
      customCloudConfig: { ...custom, keyVaultDNSSuffix: ".vault.stack" },
    }),
    "https://vault.stack",
  );
  assert.equal(
    at("https://a.vault.region.stack", { environmentType: "AzureStackCloud", customCloudConfig: custom }),
    "https://vault.region.stack",
  );
});

Deno.test("cloudWarnings: what ESO would reject or cannot work", () => {
  assert.deepEqual(cloudWarnings(spec()), []);
  assert.deepEqual(
    cloudWarnings(spec({ useAzureSDK: true, customCloudConfig: { activeDirectoryEndpoint: "https://l" } })),
    [],
  );
  assert.match(
    cloudWarnings(spec({ customCloudConfig: { activeDirectoryEndpoint: "https://l" } })).join(),
    /ESO requires useAzureSDK: true/,
  );
  assert.match(cloudWarnings(spec({ environmentType: "GermanCloud" })).join(), /Azure Germany was discontinued/);
});
