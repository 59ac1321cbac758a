/**
 * Every Azure auth type of the `azurekv` provider against real parts: a real kube-apiserver (TokenRequest tokens the
 * emulator verifies with the apiserver's sa.pub), the Azure emulators spoken to by the real SDKs, and the controller
 * as a separate process (the shipped bundle), one per case so that each runs with the environment its auth type
 * needs (MSAL fixes the managed identity endpoint once per process) and watches only the case's namespace.
 *
 * Each case asserts the state of the world: the store's Ready condition, the target Secret's value, and the
 * emulator's counters (which client got a token, from which endpoint). Each emulator identity has only the one kind
 * of credential the case is about, so a 200 from the token endpoint proves the flow.
 */
import assert from "node:assert/strict";
import { stringify } from "yaml";
import type { ExternalSecret, SecretStore } from "../../controller/api/types.ts";
import type { Secret } from "../../controller/kube/types.ts";
import { type AzureEmulators, startAzureEmulators } from "../harness/azure/mod.ts";
import { type ControlPlane, startControlPlane } from "../harness/control_plane.ts";
import { type ControllerProcess, startController } from "../harness/controller_process.ts";
import { eventually, ready, secretValue } from "../harness/scenario.ts";

const VAULT = "authkv";
const TOKEN = "POST /{tenant}/oauth2/v2.0/token";
const IMDS = "GET /metadata/identity/oauth2/token";
const APP_SERVICE = "GET /msi/token";
const KV_GET = "GET /secrets/{name}/{version}";
const EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";

type Condition = NonNullable<ReturnType<typeof ready>>;

function b64(s: string): string {
  return btoa(String.fromCharCode(...new TextEncoder().encode(s)));
}

/** The test's view of the cluster and emulators, and how a case starts its controller. */
class World {
  readonly controllers: ControllerProcess[] = [];
  constructor(readonly cp: ControlPlane, readonly az: AzureEmulators) {}

  async kubectl(args: string[], stdin?: string): Promise<string> {
    const r = await this.cp.kubectl(args, stdin === undefined ? {} : { stdin });
    assert.equal(r.code, 0, `kubectl ${args.join(" ")}: ${r.stderr}`);
    return r.stdout;
  }

  async apply(...objs: unknown[]): Promise<void> {
    await this.kubectl(
      ["apply", "--server-side", "--force-conflicts", "--field-manager=auth-types-test", "-f", "-"],
      objs.map((o) => stringify(o)).join("---\n"),
    );
  }

  async get<T>(args: string[]): Promise<T | undefined> {
    const r = await this.cp.kubectl(["get", ...args, "-o", "json"]);
    return r.code === 0 ? JSON.parse(r.stdout) as T : undefined;
  }

  async namespace(name: string): Promise<string> {
    await this.kubectl(["create", "namespace", name]);
    return name;
  }

  /** A controller that watches only `ns`; stopped (and its exit code checked) by {@link World.stopController}. */
  async controller(ns: string, env: Record<string, string> = {}, args: string[] = []): Promise<ControllerProcess> {
    const c = await startController({
      kubeconfig: this.cp.kubeconfigPath,
      authorityHost: this.az.authorityHost,
      caCertPath: this.az.caCertPath,
      args: [`--namespace=${ns}`, ...args],
      env,
    });
    this.controllers.push(c);
    return c;
  }

  async stopController(c: ControllerProcess): Promise<void> {
    this.controllers.splice(this.controllers.indexOf(c), 1);
    const code = await c.stop();
    assert.equal(
      code,
      0,
      `graceful shutdown exits 0; last output:\n${c.rawOutput().split("\n").slice(-12).join("\n")}`,
    );
  }

  storeReady(ns: string, name: string): Promise<Condition | undefined> {
    return this.get<SecretStore>(["ss", "-n", ns, name]).then(ready);
  }

  /** Waits for the store's Ready condition to have `status`, and returns it. */
  async storeCondition(ns: string, name: string, status: "True" | "False", timeoutMs = 30_000): Promise<Condition> {
    let last: Condition | undefined;
    try {
      return await eventually(`SecretStore ${ns}/${name} Ready=${status}`, async () => {
        last = await this.storeReady(ns, name);
        return last?.status === status ? last : undefined;
      }, timeoutMs);
    } catch (e) {
      throw new Error(`${(e as Error).message}; last condition: ${JSON.stringify(last)}`);
    }
  }

  esReady(ns: string, name: string): Promise<Condition | undefined> {
    return this.get<ExternalSecret>(["es", "-n", ns, name]).then(ready);
  }

  async targetValue(ns: string, name: string): Promise<string | undefined> {
    return secretValue(await this.get<Secret>(["secret", "-n", ns, name]), "value");
  }

  /** Waits for the target Secret to hold `value`. */
  targetHolds(ns: string, name: string, value: string, timeoutMs = 30_000): Promise<true> {
    return eventually(
      `Secret ${ns}/${name} to hold the vault's value`,
      async () => (await this.targetValue(ns, name)) === value || undefined,
      timeoutMs,
    );
  }

  async forceSync(ns: string, name: string): Promise<void> {
    await this.kubectl(["annotate", "es", "-n", ns, name, `force-sync=${Date.now()}-${Math.random()}`, "--overwrite"]);
  }

  /** Sum of kube-apiserver's TokenRequest (POST serviceaccounts/token) counter. */
  async tokenRequests(): Promise<number> {
    const text = await this.kubectl(["get", "--raw", "/metrics"]);
    let n = 0;
    for (const line of text.split("\n")) {
      if (
        line.startsWith("apiserver_request_total{") && line.includes('resource="serviceaccounts"') &&
        line.includes('subresource="token"') && line.includes('verb="POST"')
      ) {
        n += Number(line.slice(line.lastIndexOf(" ") + 1));
      }
    }
    return n;
  }
}

/** A Secret holding credentials, a store using them and an ExternalSecret reading `key` into `<name>-target`. */
function externalSecret(ns: string, name: string, store: string, key: string): unknown {
  return {
    apiVersion: "external-secrets.io/v1",
    kind: "ExternalSecret",
    metadata: { name, namespace: ns },
    spec: {
      refreshInterval: "1h",
      secretStoreRef: { kind: "SecretStore", name: store },
      target: { name: `${name}-target` },
      data: [{ secretKey: "value", remoteRef: { key } }],
    },
  };
}

function secretStore(ns: string, name: string, azurekv: Record<string, unknown>, vaultUrl: string): unknown {
  return {
    apiVersion: "external-secrets.io/v1",
    kind: "SecretStore",
    metadata: { name, namespace: ns },
    spec: { provider: { azurekv: { vaultUrl, ...azurekv } } },
  };
}

function opaque(ns: string, name: string, data: Record<string, string>): unknown {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name, namespace: ns },
    type: "Opaque",
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
  };
}

/** Token-endpoint answers to `caller` after `afterSeq`, as `status` → count. */
function tokens(az: AzureEmulators, route: string, caller: string, afterSeq = 0): Record<string, number> {
  return az.counters({ route, caller, afterSeq }).byStatus;
}

async function reconciles(c: ControllerProcess, controller: string): Promise<number> {
  const text = await fetch(`${c.metricsUrl}/metrics`).then((r) => r.text());
  return text.split("\n")
    .filter((l) => l.startsWith(`controller_runtime_reconcile_total{controller="${controller}"`))
    .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(" ") + 1)), 0);
}

Deno.test("every Azure auth type obtains a token from the emulators and syncs a secret", async (t) => {
  const cp = await startControlPlane();
  const az = await startAzureEmulators({ vaults: [VAULT] });
  const w = new World(cp, az);
  const vaultUrl = az.vaultUrl(VAULT);
  const figures: string[] = [];
  try {
    await t.step("ServicePrincipal + clientCertificate (PEM key + certificate in a Secret)", async () => {
      const ns = await w.namespace("sp-cert");
      const clientId = "0c3e7a52-7d6b-4f0e-9d8a-5b1f2e3c4d01";
      const cert = az.addClientCertificateApp({ clientId, vaults: { [VAULT]: "read" } });
      az.setSecret(VAULT, "cert-read", "value-read-with-a-certificate");
      const seq = az.counters().lastSeq;
      await w.apply(
        opaque(ns, "azure-cert", { "client-id": clientId, "tls.pem": cert.pem }),
        secretStore(ns, "by-cert", {
          tenantId: az.tenantId,
          authSecretRef: {
            clientId: { name: "azure-cert", key: "client-id" },
            clientCertificate: { name: "azure-cert", key: "tls.pem" },
          },
        }, vaultUrl),
        externalSecret(ns, "cert-es", "by-cert", "cert-read"),
      );
      const c = await w.controller(ns);
      try {
        const cond = await w.storeCondition(ns, "by-cert", "True");
        assert.equal(cond.reason, "Valid");
        await w.targetHolds(ns, "cert-es-target", "value-read-with-a-certificate");
        assert.deepEqual(
          tokens(az, TOKEN, clientId, seq),
          { 200: 1 },
          "one token, by certificate (the app has no secret)",
        );
        assert.ok((az.counters({ route: KV_GET, caller: clientId, afterSeq: seq }).byStatus[200] ?? 0) >= 1);
        const out = c.rawOutput();
        assert.ok(!out.includes(cert.keyPem!.split("\n")[1]!), "no private key material in the controller's output");
      } finally {
        await w.stopController(c);
      }
    });

    await t.step(
      "WorkloadIdentity referenced: TokenRequest → federated assertion; one exchange for many reconciles",
      async () => {
        const ns = await w.namespace("wi-ref");
        const clientId = "7a1d2c3b-0e4f-4a5b-8c6d-9e0f1a2b3c02";
        az.addFederatedIdentity({
          clientId,
          issuer: cp.serviceAccountIssuer,
          subject: `system:serviceaccount:${ns}:kv-reader`,
          issuerPublicKeyPem: cp.serviceAccountPublicKeyPem,
          vaults: { [VAULT]: "read" },
        });
        az.setSecret(VAULT, "wi-read", "federated-0");
        const annotations = {
          "azure.workload.identity/client-id": clientId,
          "azure.workload.identity/tenant-id": az.tenantId,
        };
        await w.apply(
          { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "kv-reader", namespace: ns, annotations } },
          // Same client, a subject Entra has no federated credential for (ESO#2783's AADSTS70021x family).
          { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "stranger", namespace: ns, annotations } },
          secretStore(
            ns,
            "by-sa",
            { authType: "WorkloadIdentity", serviceAccountRef: { name: "kv-reader" } },
            vaultUrl,
          ),
          externalSecret(ns, "wi-es", "by-sa", "wi-read"),
        );
        const seq = az.counters().lastSeq;
        const tokenRequestsBefore = await w.tokenRequests();
        // Stores re-validated every second: each validation asks the credential for a token again.
        const c = await w.controller(ns, {}, ["--store-requeue-interval=1s"]);
        try {
          assert.equal((await w.storeCondition(ns, "by-sa", "True")).reason, "Valid");
          await w.targetHolds(ns, "wi-es-target", "federated-0");
          const storeReconcilesAtSync = await reconciles(c, "secretstore");
          const esReconcilesAtSync = await reconciles(c, "externalsecret");
          const forced = 4;
          for (let i = 1; i <= forced; i++) {
            az.setSecret(VAULT, "wi-read", `federated-${i}`);
            await w.forceSync(ns, "wi-es");
            await w.targetHolds(ns, "wi-es-target", `federated-${i}`);
          }
          await new Promise((r) => setTimeout(r, 4000)); // a few more store validations
          const storeReconciles = await reconciles(c, "secretstore");
          const esReconciles = await reconciles(c, "externalsecret");
          const reads = az.counters({ route: KV_GET, caller: clientId, afterSeq: seq }).byStatus[200] ?? 0;
          const exchanges = tokens(az, TOKEN, clientId, seq);
          const tokenRequests = (await w.tokenRequests()) - tokenRequestsBefore;
          figures.push(
            `referenced workload identity: ${
              exchanges[200] ?? 0
            } token exchange(s) and ${tokenRequests} TokenRequest(s) ` +
              `for ${storeReconciles} store and ${esReconciles} ExternalSecret reconciles, ${reads} Key Vault reads`,
          );
          assert.ok(
            storeReconciles - storeReconcilesAtSync >= 3,
            `store re-validated (${storeReconcilesAtSync} → ${storeReconciles})`,
          );
          assert.ok(esReconciles - esReconcilesAtSync >= forced, `ExternalSecret reconciled (${esReconciles})`);
          assert.ok(reads >= forced + 1, `every force-sync read the vault (${reads})`);
          assert.deepEqual(exchanges, { 200: 1 }, "ONE assertion exchange for all of it");
          assert.equal(tokenRequests, 1, "ONE TokenRequest for all of it");

          // A ServiceAccount whose subject Entra does not know: a condition naming the subject and the AADSTS code.
          await w.apply(
            secretStore(
              ns,
              "by-stranger",
              { authType: "WorkloadIdentity", serviceAccountRef: { name: "stranger" } },
              vaultUrl,
            ),
          );
          const refused = await w.storeCondition(ns, "by-stranger", "False");
          assert.equal(refused.reason, "InvalidProviderConfig");
          assert.match(
            refused.message ?? "",
            new RegExp(
              `^Entra ID did not issue a token for workload identity ${clientId} \\(ServiceAccount ${ns}/stranger, tenant ${az.tenantId}\\): AADSTS700213: No matching federated identity record found for presented assertion subject\\. .*Assertion Subject: 'system:serviceaccount:${ns}:stranger'`,
            ),
          );
          assert.ok(!/eyJ[\w-]+\./.test(c.rawOutput()), "no ServiceAccount token in the controller's output");
        } finally {
          await w.stopController(c);
        }
      },
    );

    await t.step("WorkloadIdentity mounted: the webhook's env vars on the controller, a token file", async () => {
      const ns = await w.namespace("wi-mounted");
      const clientId = "3f2e1d0c-9b8a-4765-a432-10fedcba9803";
      await w.apply({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "controller", namespace: ns } });
      az.addFederatedIdentity({
        clientId,
        issuer: cp.serviceAccountIssuer,
        subject: `system:serviceaccount:${ns}:controller`,
        issuerPublicKeyPem: cp.serviceAccountPublicKeyPem,
        vaults: { [VAULT]: "read" },
      });
      az.setSecret(VAULT, "mounted-read", "read-with-the-mounted-token");
      const token = (await w.kubectl(["create", "token", "controller", "-n", ns, `--audience=${EXCHANGE_AUDIENCE}`]))
        .trim();
      const dir = await Deno.makeTempDir({ prefix: "kv-wi-" });
      const tokenFile = `${dir}/azure-identity-token`;
      await Deno.writeTextFile(tokenFile, token);
      const seq = az.counters().lastSeq;
      await w.apply(
        secretStore(ns, "mounted", { authType: "WorkloadIdentity" }, vaultUrl),
        externalSecret(ns, "mounted-es", "mounted", "mounted-read"),
      );
      // A SecretStore may use the controller's own identity only when the operator allows it (safe default: no).
      const c = await w.controller(ns, {
        AZURE_CLIENT_ID: clientId,
        AZURE_TENANT_ID: az.tenantId,
        AZURE_FEDERATED_TOKEN_FILE: tokenFile,
      }, ["--allow-namespaced-mounted-identity"]);
      try {
        assert.equal((await w.storeCondition(ns, "mounted", "True")).reason, "Valid");
        await w.targetHolds(ns, "mounted-es-target", "read-with-the-mounted-token");
        assert.deepEqual(tokens(az, TOKEN, clientId, seq), { 200: 1 });
        assert.ok(!c.rawOutput().includes(token), "the token file's content is not in the controller's output");
      } finally {
        await w.stopController(c);
        await Deno.remove(dir, { recursive: true });
      }
    });

    await t.step(
      "ManagedIdentity, IMDS form (AZURE_POD_IDENTITY_AUTHORITY_HOST): system-assigned and identityId",
      async () => {
        const ns = await w.namespace("mi-imds");
        const system = "5e4d3c2b-1a09-4876-b543-21fedcba9804";
        const user = "6f5e4d3c-2b1a-4987-c654-32fedcba9805";
        az.addManagedIdentity({ clientId: system, default: true, vaults: { [VAULT]: "read" } });
        az.addManagedIdentity({ clientId: user, vaults: { [VAULT]: "read" } });
        az.setSecret(VAULT, "mi-system-read", "read-as-the-system-identity");
        az.setSecret(VAULT, "mi-user-read", "read-as-the-user-identity");
        const seq = az.counters().lastSeq;
        await w.apply(
          secretStore(ns, "system", { authType: "ManagedIdentity" }, vaultUrl),
          secretStore(ns, "user", { authType: "ManagedIdentity", identityId: user }, vaultUrl),
          externalSecret(ns, "system-es", "system", "mi-system-read"),
          externalSecret(ns, "user-es", "user", "mi-user-read"),
        );
        // A SecretStore may use the controller's own managed identity only when the operator allows it.
        const c = await w.controller(ns, { AZURE_POD_IDENTITY_AUTHORITY_HOST: az.imdsEndpoint }, [
          "--allow-namespaced-mounted-identity",
        ]);
        try {
          assert.equal((await w.storeCondition(ns, "system", "True")).reason, "Valid");
          assert.equal((await w.storeCondition(ns, "user", "True")).reason, "Valid");
          await w.targetHolds(ns, "system-es-target", "read-as-the-system-identity");
          await w.targetHolds(ns, "user-es-target", "read-as-the-user-identity");
          assert.deepEqual(tokens(az, IMDS, system, seq), { 200: 1 }, "the default identity, from IMDS");
          assert.deepEqual(
            tokens(az, IMDS, user, seq),
            { 200: 1 },
            "the user-assigned identity, selected by client_id",
          );
          assert.equal(az.counters({ route: APP_SERVICE, afterSeq: seq }).total, 0);
          assert.equal(az.counters({ route: TOKEN, afterSeq: seq }).total, 0, "no Entra token endpoint involved");
          assert.ok((az.counters({ route: KV_GET, caller: system, afterSeq: seq }).byStatus[200] ?? 0) >= 1);
          assert.ok((az.counters({ route: KV_GET, caller: user, afterSeq: seq }).byStatus[200] ?? 0) >= 1);
        } finally {
          await w.stopController(c);
        }
      },
    );

    await t.step(
      "ManagedIdentity from a SecretStore is refused by default: the identity is the controller's",
      async () => {
        const ns = await w.namespace("mi-refused");
        await w.apply(secretStore(ns, "borrow-mi", { authType: "ManagedIdentity" }, vaultUrl));
        const seq = az.counters().lastSeq;
        const c = await w.controller(ns, { AZURE_POD_IDENTITY_AUTHORITY_HOST: az.imdsEndpoint });
        try {
          const condition = await w.storeCondition(ns, "borrow-mi", "False");
          assert.match(
            condition.message ?? "",
            /would use the controller's own managed identity.*--allow-namespaced-mounted-identity/,
          );
          assert.equal(az.requests({ service: "imds", afterSeq: seq }).length, 0, "nothing asked of IMDS");
        } finally {
          await w.stopController(c);
        }
      },
    );

    await t.step("ManagedIdentity: an IMDS that does not answer fails within --azure-request-timeout", async () => {
      const ns = await w.namespace("mi-hang");
      await w.apply(secretStore(ns, "hanging-imds", { authType: "ManagedIdentity" }, vaultUrl));
      const slow = az.faults.latency({ service: "imds" }, 30_000);
      const c = await w.controller(ns, { AZURE_POD_IDENTITY_AUTHORITY_HOST: az.imdsEndpoint }, [
        "--azure-request-timeout=1s",
        "--allow-namespaced-mounted-identity",
      ]);
      try {
        const started = Date.now();
        const condition = await w.storeCondition(ns, "hanging-imds", "False", 20_000);
        const tookMs = Date.now() - started;
        assert.match(
          condition.message ?? "",
          /^The managed identity endpoint 127\.0\.0\.1:\d+ did not answer within 1 s \(issuing a token for the system-assigned managed identity\)$/,
        );
        figures.push(`IMDS that never answers, --azure-request-timeout=1s: store Ready=False after ${tookMs} ms`);
      } finally {
        az.faults.remove(slow);
        await w.stopController(c);
      }
    });

    await t.step(
      "ManagedIdentity, App Service form (IDENTITY_ENDPOINT + IDENTITY_HEADER) with identityId",
      async () => {
        const ns = await w.namespace("mi-appservice");
        const user = "7a6f5e4d-3c2b-4a98-d765-43fedcba9806";
        az.addManagedIdentity({ clientId: user, vaults: { [VAULT]: "read" } });
        az.setSecret(VAULT, "mi-appservice-read", "read-through-app-service");
        const seq = az.counters().lastSeq;
        await w.apply(
          secretStore(ns, "app-service", { authType: "ManagedIdentity", identityId: user }, vaultUrl),
          externalSecret(ns, "app-service-es", "app-service", "mi-appservice-read"),
        );
        const c = await w.controller(ns, {
          IDENTITY_ENDPOINT: az.identityEndpoint,
          IDENTITY_HEADER: az.identityHeader,
        }, ["--allow-namespaced-mounted-identity"]);
        try {
          assert.equal((await w.storeCondition(ns, "app-service", "True")).reason, "Valid");
          await w.targetHolds(ns, "app-service-es-target", "read-through-app-service");
          assert.deepEqual(tokens(az, APP_SERVICE, user, seq), { 200: 1 });
          assert.equal(az.counters({ route: IMDS, afterSeq: seq }).total, 0);
          assert.ok(!c.rawOutput().includes(az.identityHeader), "IDENTITY_HEADER is not in the controller's output");
        } finally {
          await w.stopController(c);
        }
      },
    );

    await t.step(
      "wrong client secret: a clear condition, the synced Secret untouched, recovery once fixed",
      async () => {
        const ns = await w.namespace("sp-wrong");
        const clientId = "8b7a6f5e-4d3c-4b09-e876-54fedcba9807";
        const right = "the-right-client-secret-value";
        const wrong = "a-wrong-client-secret-value";
        az.addClientSecretApp({ clientId, secret: right, vaults: { [VAULT]: "read" } });
        az.setSecret(VAULT, "sp-read", "v1");
        const creds = (secret: string): unknown =>
          opaque(ns, "azure-creds", { "client-id": clientId, "client-secret": secret });
        await w.apply(
          creds(right),
          secretStore(ns, "by-secret", {
            tenantId: az.tenantId,
            authSecretRef: {
              clientId: { name: "azure-creds", key: "client-id" },
              clientSecret: { name: "azure-creds", key: "client-secret" },
            },
          }, vaultUrl),
          externalSecret(ns, "sp-es", "by-secret", "sp-read"),
        );
        const first = await w.controller(ns);
        try {
          await w.storeCondition(ns, "by-secret", "True");
          await w.targetHolds(ns, "sp-es-target", "v1");
        } finally {
          await w.stopController(first);
        }
        const synced = (await w.get<Secret>(["secret", "-n", ns, "sp-es-target"]))!;

        // The credentials Secret now holds a wrong secret, and the vault a new value the controller must not write.
        await w.apply(creds(wrong));
        az.setSecret(VAULT, "sp-read", "v2");
        const seq = az.counters().lastSeq;
        const c = await w.controller(ns, {}, ["--store-requeue-interval=2s"]);
        try {
          const cond = await w.storeCondition(ns, "by-secret", "False");
          assert.equal(cond.reason, "InvalidProviderConfig");
          assert.match(
            cond.message ?? "",
            new RegExp(
              `^Entra ID did not issue a token for client ${clientId} \\(ServicePrincipal with a client secret, tenant ${az.tenantId}\\): AADSTS7000215: Invalid client secret provided\\.`,
            ),
          );
          assert.ok(!/Trace ID|Correlation ID/.test(cond.message ?? ""), "Entra's first line only");
          assert.ok((tokens(az, TOKEN, clientId, seq)[401] ?? 0) >= 1, "Entra answered 401");

          await w.forceSync(ns, "sp-es");
          const esCond = await eventually("the ExternalSecret to say why", async () => {
            const e = await w.esReady(ns, "sp-es");
            return e?.status === "False" ? e : undefined;
          });
          assert.equal(esCond.reason, "SecretSyncedError");
          assert.match(
            esCond.message ?? "",
            new RegExp(
              `SecretStore "by-secret" is not ready: Entra ID did not issue a token for client ${clientId} .*AADSTS7000215`,
            ),
          );
          const now = (await w.get<Secret>(["secret", "-n", ns, "sp-es-target"]))!;
          assert.equal(secretValue(now, "value"), "v1", "the synced value is kept");
          assert.equal(now.metadata?.resourceVersion, synced.metadata?.resourceVersion, "the Secret was not written");
          assert.equal(az.counters({ route: KV_GET, caller: clientId, afterSeq: seq }).total, 0, "no vault read");

          // Fixed: the store recovers at a re-validation, the ExternalSecret follows its store.
          const fixedAt = Date.now();
          await w.apply(creds(right));
          const back = await w.storeCondition(ns, "by-secret", "True", 90_000);
          assert.equal(back.reason, "Valid");
          const storeMs = Date.now() - fixedAt;
          await w.targetHolds(ns, "sp-es-target", "v2", 60_000);
          const esMs = Date.now() - fixedAt;
          figures.push(
            `wrong client secret fixed: store Ready after ${(storeMs / 1000).toFixed(1)} s, ` +
              `ExternalSecret synced after ${(esMs / 1000).toFixed(1)} s (--store-requeue-interval=2s)`,
          );
          const out = first.rawOutput() + c.rawOutput();
          assert.ok(!out.includes(right) && !out.includes(wrong), "no client secret in the controller's output");
        } finally {
          await w.stopController(c);
        }
      },
    );

    // deno-lint-ignore no-console -- figures for the issue note
    console.log(figures.join("\n"));
  } finally {
    for (const c of [...w.controllers]) await c.stop("SIGKILL").catch(() => {});
    await az.stop();
    await cp.stop();
  }
});
