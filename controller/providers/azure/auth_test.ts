import assert from "node:assert/strict";
import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/identity";
import { type CredentialSource, InvalidStoreError, type StoreRef } from "../provider.ts";
import { coalescing, resolveAuth } from "./auth.ts";

/** A credential that answers after `release()`, counting calls. */
function slowCredential(): TokenCredential & { calls: GetTokenOptions[]; release(): void } {
  let release!: () => void;
  const gate = new Promise<void>((r) => release = r);
  const calls: GetTokenOptions[] = [];
  return {
    calls,
    release: () => release(),
    async getToken(_scopes: string | string[], options: GetTokenOptions = {}): Promise<AccessToken> {
      calls.push(options);
      await gate;
      return { token: `t${calls.length}`, expiresOnTimestamp: Date.now() + 3_600_000 };
    },
  };
}

Deno.test("coalescing: concurrent callers share one request; other scopes, CAE, tenants and claims do not", async () => {
  const inner = slowCredential();
  const cred = coalescing(inner, "t-own");
  const same = [
    cred.getToken("https://vault.azure.net/.default", { enableCae: true }),
    cred.getToken(["https://vault.azure.net/.default"], { enableCae: true, tenantId: "t-own" }),
  ];
  const others = [
    cred.getToken("https://vault.azure.net/.default"),
    cred.getToken("https://vault.azure.cn/.default", { enableCae: true }),
    cred.getToken("https://vault.azure.net/.default", { enableCae: true, tenantId: "t-other" }),
    cred.getToken("https://vault.azure.net/.default", { enableCae: true, claims: "{}" }),
  ];
  inner.release();
  const tokens = await Promise.all([...same, ...others]);
  assert.equal(inner.calls.length, 5);
  assert.equal(tokens[0]?.token, tokens[1]?.token);
  // Once answered, the next call asks again (MSAL's cache answers it without a request).
  await cred.getToken("https://vault.azure.net/.default", { enableCae: true });
  assert.equal(inner.calls.length, 6);
});

Deno.test("coalescing: an aborted caller stops waiting; the shared request goes on for the others", async () => {
  const inner = slowCredential();
  const cred = coalescing(inner);
  const ac = new AbortController();
  const aborted = cred.getToken("s/.default", { abortSignal: ac.signal });
  const patient = cred.getToken("s/.default");
  ac.abort();
  await assert.rejects(aborted, (e: Error) => e.name === "AbortError");
  inner.release();
  assert.equal((await patient)?.token, "t1");
  assert.equal(inner.calls.length, 1);
  assert.equal(inner.calls[0]?.abortSignal, undefined, "the shared request is not tied to one caller's signal");
  await assert.rejects(cred.getToken("s/.default", { abortSignal: AbortSignal.abort() }), /aborted/);
});

const noCredentials: CredentialSource = {
  secretValue: () => Promise.reject(new Error("unexpected")),
  serviceAccountAnnotations: () => Promise.resolve({}),
  serviceAccountToken: () => Promise.reject(new Error("unexpected")),
};

function store(azurekv: Record<string, unknown>): StoreRef {
  return {
    kind: "SecretStore",
    name: "s",
    namespace: "ns",
    uid: "u",
    resourceVersion: "1",
    spec: { provider: { azurekv: { vaultUrl: "https://v.vault.azure.net", ...azurekv } } },
  };
}

Deno.test("resolveAuth: mounted workload identity names the missing variables; managed identity names itself", async () => {
  await assert.rejects(
    resolveAuth(store({ authType: "WorkloadIdentity" }), "ns", noCredentials, { env: () => undefined }),
    (e: Error) =>
      e instanceof InvalidStoreError &&
      /but AZURE_CLIENT_ID, AZURE_TENANT_ID \(or spec\.provider\.azurekv\.tenantId\), AZURE_FEDERATED_TOKEN_FILE are not set/
        .test(e.message),
  );
  const env: Record<string, string> = {
    AZURE_CLIENT_ID: "wi-m",
    AZURE_TENANT_ID: "t-1",
    AZURE_FEDERATED_TOKEN_FILE: "/var/run/secrets/azure/tokens/azure-identity-token",
  };
  const mounted = await resolveAuth(store({ authType: "WorkloadIdentity" }), "ns", noCredentials, {
    env: (n) => env[n],
    authorityHost: "https://login.example/",
  });
  assert.equal(
    mounted.identity,
    "workload identity wi-m (mounted token file /var/run/secrets/azure/tokens/azure-identity-token, tenant t-1)",
  );
  assert.equal(mounted.authority, "https://login.example");
  const mi = await resolveAuth(store({ authType: "ManagedIdentity", identityId: "mi-1" }), "ns", noCredentials);
  assert.equal(mi.identity, "managed identity mi-1");
  assert.equal(mi.authority, undefined);
  const system = await resolveAuth(store({ authType: "ManagedIdentity" }), "ns", noCredentials);
  assert.equal(system.identity, "the system-assigned managed identity");
  assert.notEqual(system.fingerprint, mi.fingerprint);
});

Deno.test("resolveAuth: a certificate that cannot be used is a store error before any token request", async () => {
  const creds: CredentialSource = {
    ...noCredentials,
    secretValue: (_ns, _name, key) => Promise.resolve(key === "id" ? "c-1" : "-----BEGIN CERTIFICATE-----\nAA\n"),
  };
  await assert.rejects(
    resolveAuth(
      store({
        tenantId: "t-1",
        authSecretRef: { clientId: { name: "c", key: "id" }, clientCertificate: { name: "c", key: "pem" } },
      }),
      "ns",
      creds,
    ),
    (e: Error) =>
      e instanceof InvalidStoreError && /authSecretRef\.clientCertificate holds no private key/.test(e.message),
  );
});
