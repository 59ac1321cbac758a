/**
 * The provider against the Azure emulators with the real SDKs, in process: credentials from a stand-in
 * {@link CredentialSource}, tokens counted at the emulator's token endpoint. (Managed identity needs a process of its
 * own, MSAL fixing its endpoint per process: see tests/integration/auth_types_test.ts.)
 */
import assert from "node:assert/strict";
import { generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import type { AzureKVProvider } from "../../api/types.ts";
import { type AzureEmulators, startAzureEmulators } from "../../../tests/harness/azure/mod.ts";
import {
  type CredentialSource,
  InvalidStoreError,
  ListingTooLongError,
  ProviderError,
  type StoreRef,
} from "../provider.ts";
import { resolveAuth } from "./auth.ts";
import { DEFAULT_ENDPOINT_POLICY, type EndpointPolicy } from "./endpoints.ts";
import { AzureKeyVaultProvider } from "./provider.ts";

const TOKEN_ROUTE = "POST /{tenant}/oauth2/v2.0/token";
const NS = "team-a";
const ISSUER = "https://kubernetes.default.svc.cluster.local";

/** Credentials as the controller reads them, with a count of TokenRequests. */
class FakeCredentials implements CredentialSource {
  tokenRequests = 0;
  constructor(
    readonly secrets: Record<string, Record<string, string>>,
    readonly annotations: Record<string, Record<string, string>> = {},
    readonly signer?: KeyObject,
  ) {}
  secretValue(namespace: string, name: string, key: string): Promise<string> {
    const v = this.secrets[`${namespace}/${name}`]?.[key];
    return v === undefined
      ? Promise.reject(new InvalidStoreError(`credentials Secret ${namespace}/${name} has no key "${key}"`))
      : Promise.resolve(v);
  }
  serviceAccountAnnotations(namespace: string, name: string): Promise<Record<string, string>> {
    return Promise.resolve(this.annotations[`${namespace}/${name}`] ?? {});
  }
  async serviceAccountToken(
    namespace: string,
    name: string,
    audiences: string[],
  ): Promise<{ token: string; expiresAt: Date }> {
    this.tokenRequests++;
    await new Promise((r) => setTimeout(r, 20)); // a round trip: concurrent callers overlap
    const now = Math.floor(Date.now() / 1000);
    const enc = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString("base64url");
    const input = `${enc({ alg: "RS256", typ: "JWT" })}.${
      enc({ iss: ISSUER, sub: `system:serviceaccount:${namespace}:${name}`, aud: audiences, iat: now, exp: now + 3600 })
    }`;
    const sig = sign("sha256", Buffer.from(input), this.signer!).toString("base64url");
    return { token: `${input}.${sig}`, expiresAt: new Date((now + 3600) * 1000) };
  }
}

function store(azurekv: Partial<AzureKVProvider>, vaultUrl: string): StoreRef {
  return {
    kind: "SecretStore",
    name: "s",
    namespace: NS,
    uid: "u-1",
    resourceVersion: "1",
    spec: { provider: { azurekv: { vaultUrl, ...azurekv } } },
  };
}

/** The emulator's vaults are on 127.0.0.1 ports; the authority is the controller's override (trusted). */
const LOOPBACK_VAULTS: EndpointPolicy = { ...DEFAULT_ENDPOINT_POLICY, vaultHosts: ["127.0.0.1:*"] };

async function withEmulators(
  fn: (em: AzureEmulators, provider: AzureKeyVaultProvider) => Promise<void>,
): Promise<void> {
  const em = await startAzureEmulators({ vaults: ["demo"] });
  try {
    em.setSecret("demo", "db", "s3cr3t-value");
    await fn(
      em,
      new AzureKeyVaultProvider({
        authorityHost: em.authorityHost,
        disableChallengeResourceVerification: true,
        endpoints: LOOPBACK_VAULTS,
      }),
    );
  } finally {
    await em.stop();
  }
}

const sp = (em: AzureEmulators, key: "client-secret" | "tls.pem"): Partial<AzureKVProvider> => ({
  tenantId: em.tenantId,
  authSecretRef: {
    clientId: { name: "creds", key: "client-id" },
    ...(key === "client-secret"
      ? { clientSecret: { name: "creds", key } }
      : { clientCertificate: { name: "creds", key } }),
  },
});

Deno.test("ServicePrincipal with a client secret: validation and reads share one token exchange", async () => {
  await withEmulators(async (em, provider) => {
    em.addClientSecretApp({ clientId: "sp-1", secret: "right" });
    const creds = new FakeCredentials({ [`${NS}/creds`]: { "client-id": "sp-1", "client-secret": "right" } });
    const client = await provider.newClient(store(sp(em, "client-secret"), em.vaultUrl("demo")), NS, creds);
    // Concurrently, as a store validation and ExternalSecret reads may come.
    await Promise.all([client.validate(), client.validate(), client.getSecret({ key: "db" })]);
    for (let i = 0; i < 3; i++) {
      assert.equal(await client.validate(), "Ready");
      assert.equal(new TextDecoder().decode(await client.getSecret({ key: "db" })), "s3cr3t-value");
    }
    assert.deepEqual(em.requests({ route: TOKEN_ROUTE }).map((r) => [r.caller, r.status]), [["sp-1", 200]]);
  });
});

Deno.test("ServicePrincipal with a wrong client secret: a 401 ProviderError naming the client and AADSTS7000215", async () => {
  await withEmulators(async (em, provider) => {
    em.addClientSecretApp({ clientId: "sp-1", secret: "right" });
    const creds = new FakeCredentials({ [`${NS}/creds`]: { "client-id": "sp-1", "client-secret": "WRONG-value" } });
    const client = await provider.newClient(store(sp(em, "client-secret"), em.vaultUrl("demo")), NS, creds);
    for (const call of [() => client.validate(), () => client.getSecret({ key: "db" })]) {
      let e: unknown;
      try {
        await call();
      } catch (err) {
        e = err;
      }
      assert.ok(e instanceof ProviderError, String(e));
      assert.equal(e.statusCode, 401);
      assert.match(
        e.message,
        new RegExp(
          `^Entra ID did not issue a token for client sp-1 \\(ServicePrincipal with a client secret, tenant ${em.tenantId}\\): AADSTS7000215: Invalid client secret provided\\.`,
        ),
      );
      assert.ok(!e.message.includes("WRONG-value") && !e.message.includes("right"));
    }
  });
});

Deno.test("ServicePrincipal with a client certificate (key + certificate PEM in a Secret) reads a secret", async () => {
  await withEmulators(async (em, provider) => {
    const cert = em.addClientCertificateApp({ clientId: "sp-cert", vaults: { demo: "read" } });
    const creds = new FakeCredentials({ [`${NS}/creds`]: { "client-id": "sp-cert", "tls.pem": cert.pem } });
    const client = await provider.newClient(store(sp(em, "tls.pem"), em.vaultUrl("demo")), NS, creds);
    assert.equal(await client.validate(), "Ready");
    assert.equal(new TextDecoder().decode(await client.getSecret({ key: "db" })), "s3cr3t-value");
    assert.deepEqual(em.requests({ route: TOKEN_ROUTE }).map((r) => [r.caller, r.status]), [["sp-cert", 200]]);
    const auth = await resolveAuth(store(sp(em, "tls.pem"), em.vaultUrl("demo")), NS, creds, {
      authorityHost: em.authorityHost,
    });
    assert.equal(
      auth.identity,
      `client sp-cert (ServicePrincipal with certificate ${cert.thumbprintSha1.toUpperCase()}, tenant ${em.tenantId})`,
    );
    const redacted = auth.redact(`before ${cert.keyPem} after`);
    assert.match(redacted, /^before \[redacted\]\s+after$/);
  });
});

Deno.test("WorkloadIdentity referenced: one TokenRequest and one token exchange, however many calls at once", async () => {
  await withEmulators(async (em, provider) => {
    const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    em.addFederatedIdentity({
      clientId: "wi-1",
      issuer: ISSUER,
      subject: `system:serviceaccount:${NS}:eso`,
      issuerPublicKeyPem: publicKey.export({ type: "spki", format: "pem" }) as string,
    });
    const creds = new FakeCredentials({}, {
      [`${NS}/eso`]: { "azure.workload.identity/client-id": "wi-1", "azure.workload.identity/tenant-id": em.tenantId },
    }, privateKey);
    const ref = store({ authType: "WorkloadIdentity", serviceAccountRef: { name: "eso" } }, em.vaultUrl("demo"));
    const client = await provider.newClient(ref, NS, creds);
    await Promise.all([
      client.validate(),
      client.validate(),
      client.getSecret({ key: "db" }),
      client.getSecret({ key: "db" }),
    ]);
    for (let i = 0; i < 5; i++) {
      await client.validate();
      await client.getSecret({ key: "db" });
    }
    assert.equal(creds.tokenRequests, 1);
    assert.deepEqual(em.requests({ route: TOKEN_ROUTE }).map((r) => [r.caller, r.status]), [["wi-1", 200]]);
  });
});

Deno.test("WorkloadIdentity referenced: a subject Entra does not know gives AADSTS700213 naming the ServiceAccount", async () => {
  await withEmulators(async (em, provider) => {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    em.addFederatedIdentity({ clientId: "wi-1", issuer: ISSUER, subject: `system:serviceaccount:${NS}:eso` });
    const creds = new FakeCredentials({}, {
      [`${NS}/other`]: { "azure.workload.identity/client-id": "wi-1" },
    }, privateKey);
    const ref = store(
      { authType: "WorkloadIdentity", tenantId: em.tenantId, serviceAccountRef: { name: "other" } },
      em.vaultUrl("demo"),
    );
    const client = await provider.newClient(ref, NS, creds);
    let e: unknown;
    try {
      await client.validate();
    } catch (err) {
      e = err;
    }
    assert.ok(e instanceof ProviderError);
    assert.equal(e.statusCode, 400);
    assert.match(
      e.message,
      /workload identity wi-1 \(ServiceAccount team-a\/other, tenant .*\): AADSTS700213: No matching federated identity record found for presented assertion subject\. .*Assertion Subject: 'system:serviceaccount:team-a:other'/,
    );
    assert.ok(!e.message.includes("eyJ"), "the ServiceAccount token is not in the message");
  });
});

Deno.test("validateStore: cloud warnings and endpoint errors, before any I/O", () => {
  const provider = new AzureKeyVaultProvider();
  const base = { vaultUrl: "https://v.vault.azure.net", tenantId: "t-1" };
  assert.deepEqual(provider.validateStore(store(base, base.vaultUrl)), []);
  const german = { ...base, environmentType: "GermanCloud" as const, vaultUrl: "https://v.vault.microsoftazure.de" };
  assert.throws(
    () => provider.validateStore(store(german, german.vaultUrl)),
    /Entra ID authority host "login\.microsoftonline\.de" \(environmentType GermanCloud\) is not allowed/,
  );
  const allowGermany = new AzureKeyVaultProvider({
    endpoints: {
      ...DEFAULT_ENDPOINT_POLICY,
      authorityHosts: ["login.microsoftonline.de"],
      vaultHosts: ["*.vault.microsoftazure.de"],
    },
  });
  assert.match(allowGermany.validateStore(store(german, german.vaultUrl)).join(), /Azure Germany was discontinued/);
  assert.throws(
    () => provider.validateStore(store({ ...base, environmentType: "AzureStackCloud" }, base.vaultUrl)),
    /AzureStackCloud needs customCloudConfig\.activeDirectoryEndpoint/,
  );
  assert.throws(
    () =>
      provider.validateStore(
        store({
          ...base,
          useAzureSDK: true,
          customCloudConfig: { activeDirectoryEndpoint: "https://l", keyVaultEndpoint: "http://kv" },
        }, base.vaultUrl),
      ),
    /customCloudConfig\.keyVaultEndpoint "http:\/\/kv" must use https/,
  );
});

Deno.test("a store naming endpoints or audiences the operator did not allow is refused before any I/O", async () => {
  // A listener that would count any connection: nothing may reach it.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let connections = 0;
  const accepting = (async () => {
    for await (const conn of listener) {
      connections++;
      conn.close();
    }
  })();
  const rogue = `https://127.0.0.1:${listener.addr.port}`;
  try {
    const provider = new AzureKeyVaultProvider(); // the defaults: Azure's clouds only
    const creds = new FakeCredentials({ [`${NS}/sp`]: { id: "c", secret: "s3cret-value" } }, {
      [`${NS}/other`]: { "azure.workload.identity/client-id": "wi-1", "azure.workload.identity/tenant-id": "t-1" },
    });
    const vault = "https://v.vault.azure.net";
    const cases: [Partial<AzureKVProvider>, string, RegExp][] = [
      [
        { tenantId: "t-1", authSecretRef: { clientId: { name: "sp", key: "id" } } },
        rogue,
        /vault host "127\.0\.0\.1:\d+" is not allowed: .*--allowed-vault-hosts \(\*\.vault\.azure\.net,/,
      ],
      [
        {
          authType: "WorkloadIdentity",
          serviceAccountRef: { name: "other" },
          useAzureSDK: true,
          customCloudConfig: { activeDirectoryEndpoint: rogue },
        },
        vault,
        /Entra ID authority host "127\.0\.0\.1:\d+" \(customCloudConfig\.activeDirectoryEndpoint\) is not allowed: .*--allowed-authority-hosts \(login\.microsoftonline\.com,/,
      ],
      [
        {
          authType: "WorkloadIdentity",
          serviceAccountRef: { name: "other", audiences: ["https://kubernetes.default.svc"] },
        },
        vault,
        /serviceAccountRef\.audiences "https:\/\/kubernetes\.default\.svc" not allowed: .*api:\/\/AzureADTokenExchange and --allowed-token-audiences/,
      ],
      [
        { tenantId: "t-1", authSecretRef: { clientId: { name: "sp", key: "id" } }, environmentType: "ChinaCloud" },
        vault,
        /vault host "v\.vault\.azure\.net" is not under vault\.azure\.cn, the Key Vault DNS suffix of environmentType ChinaCloud/,
      ],
      [
        { authType: "WorkloadIdentity", tenantId: "t-1" },
        vault,
        /own federated identity, which only ClusterSecretStores may use \(unless --allow-namespaced-mounted-identity\)/,
      ],
      [
        {
          tenantId: "t-1",
          useAzureSDK: true,
          customCloudConfig: {
            activeDirectoryEndpoint: "https://login.microsoftonline.com",
            keyVaultEndpoint: "https://graph.microsoft.com",
          },
        },
        vault,
        /keyVaultEndpoint "https:\/\/graph\.microsoft\.com" is not the domain of vault host "v\.vault\.azure\.net"/,
      ],
    ];
    for (const [spec, url, message] of cases) {
      const ref = store(spec, url);
      assert.throws(
        () => provider.validateStore(ref),
        (e: unknown) => e instanceof InvalidStoreError && message.test((e as Error).message),
      );
      await assert.rejects(provider.newClient(ref, NS, creds), message);
    }
    assert.equal(creds.tokenRequests, 0, "no ServiceAccount token was requested");
    // The same stores pass once the operator allows them (the mounted identity on a ClusterSecretStore).
    const allowing = new AzureKeyVaultProvider({
      endpoints: {
        authorityHosts: ["127.0.0.1:*", "login.microsoftonline.com"],
        vaultHosts: ["127.0.0.1:*", "*.vault.azure.net"],
        tokenAudiences: ["https://kubernetes.default.svc"],
        namespacedMountedIdentity: false,
      },
    });
    for (const [spec, url] of cases.slice(0, 3)) allowing.validateStore(store(spec, url));
    allowing.validateStore({
      ...store({ authType: "WorkloadIdentity", tenantId: "t-1" }, vault),
      kind: "ClusterSecretStore",
    });
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(connections, 0, "nothing connected to the listener");
  } finally {
    listener.close();
    await accepting.catch(() => {});
  }
});

Deno.test("a vault or authority that does not answer fails within the request timeout, naming who and how long", async () => {
  await withEmulators(async (em) => {
    const provider = new AzureKeyVaultProvider({
      authorityHost: em.authorityHost,
      disableChallengeResourceVerification: true,
      endpoints: LOOPBACK_VAULTS,
      requestTimeoutMs: 300,
    });
    em.addClientSecretApp({ clientId: "app-1", secret: "s3cret-value" });
    const creds = new FakeCredentials({ [`${NS}/creds`]: { "client-id": "app-1", "client-secret": "s3cret-value" } });
    const ref = store(sp(em, "client-secret"), em.vaultUrl("demo"));
    const client = await provider.newClient(ref, NS, creds);
    await client.validate();

    const slowVault = em.faults.latency({ service: "keyvault" }, 5000);
    let started = performance.now();
    await assert.rejects(
      client.getSecret({ key: "db" }),
      (e: unknown) =>
        e instanceof ProviderError &&
        /^Key Vault https:\/\/127\.0\.0\.1:\d+ did not answer within 300 ms \(reading secret "db"\)$/.test(e.message),
    );
    const vaultMs = performance.now() - started;
    assert.ok(vaultMs < 2000, `gave up after ${vaultMs} ms (one attempt, not retried)`);
    // A cold client sends its first calls one at a time; those queued behind one that timed out share its outcome
    // instead of each waiting its own turn.
    const cold = await provider.newClient({ ...ref, resourceVersion: "3" }, NS, creds);
    started = performance.now();
    const results = await Promise.allSettled([1, 2, 3, 4].map(() => cold.getSecret({ key: "db" })));
    const queuedMs = performance.now() - started;
    assert.ok(results.every((r) => r.status === "rejected" && /did not answer within 300 ms/.test(String(r.reason))));
    assert.ok(queuedMs < 1000, `four queued calls gave up after ${queuedMs} ms, not 4 × 300 ms`);
    em.faults.remove(slowVault);

    em.faults.latency({ service: "entra" }, 5000);
    const fresh = await provider.newClient({ ...ref, resourceVersion: "2" }, NS, creds);
    started = performance.now();
    await assert.rejects(
      fresh.validate(),
      (e: unknown) =>
        e instanceof ProviderError && /Entra ID 127\.0\.0\.1:\d+ did not answer within 300 ms/.test(e.message),
    );
    const entraMs = performance.now() - started;
    assert.ok(entraMs < 4000, `gave up after ${entraMs} ms`);
  });
});

Deno.test("listSecrets with maxPages: the whole listing when it fits, else ListingTooLongError after maxPages + 1 pages", async () => {
  await withEmulators(async (em, provider) => {
    em.addClientSecretApp({ clientId: "sp-1", secret: "right" });
    for (let i = 0; i < 59; i++) em.setSecret("demo", `key-${String(i).padStart(2, "0")}`, `v${i}`); // 60 with db: 3 pages
    const creds = new FakeCredentials({ [`${NS}/creds`]: { "client-id": "sp-1", "client-secret": "right" } });
    const client = await provider.newClient(store(sp(em, "client-secret"), em.vaultUrl("demo")), NS, creds);
    const pages = (): number => em.counters({ route: "GET /secrets", status: 200 }).total;
    const all = await client.listSecrets(undefined, { maxPages: 3 });
    assert.equal(all.length, 60);
    assert.equal(pages(), 3);
    assert.ok(all.every((s) => s.enabled && typeof s.updatedAt === "number"), "enabled and updated of each");
    await assert.rejects(client.listSecrets(undefined, { maxPages: 1 }), ListingTooLongError);
    assert.equal(pages(), 5, "the first page, and the second that told it is longer");
    assert.equal((await client.listSecrets()).length, 60, "no limit: every page");
  });
});
