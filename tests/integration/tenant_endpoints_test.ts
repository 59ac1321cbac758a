/**
 * A hostile tenant's SecretStores against the bundled controller started as production starts it (no
 * `--azure-authority-host`, so a store's own authority counts): stores that point the controller's credentials at an
 * HTTPS server the tenant runs, ask for a ServiceAccount token with the apiserver's audience, or use the controller's
 * own federated token from a namespaced store. The tenant's server has a certificate the controller trusts (signed by
 * the emulator CA), so only the controller's refusal keeps it from getting them.
 *
 * Asserted: zero requests reach the tenant's server, no TokenRequest is made for a refused store (kube-apiserver's
 * own request counter), each refused store says why (Ready=False, InvalidProviderConfig, naming the host or audience
 * and the flag) — and a store on endpoints the operator allowed works, to show the refusals are not all there is.
 */
import assert from "node:assert/strict";
import { stringify } from "yaml";
import type { SecretStore } from "../../controller/api/types.ts";
import type { Secret } from "../../controller/kube/types.ts";
import { ensureServerCertificate } from "../harness/azure/ca.ts";
import { startAzureEmulators } from "../harness/azure/mod.ts";
import { type ControlPlane, startControlPlane } from "../harness/control_plane.ts";
import { startController } from "../harness/controller_process.ts";
import { eventually, ready, secretValue } from "../harness/scenario.ts";

const VAULT = "tenantkv";

/** An HTTPS server of the tenant's: answers OpenID discovery as Entra would, so a credential goes on to send its token. */
async function rogueServer(): Promise<
  { url: string; requests: { method: string; path: string; body: string }[]; stop: () => Promise<void> }
> {
  const cert = await ensureServerCertificate();
  const requests: { method: string; path: string; body: string }[] = [];
  let url = "";
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: cert.certPem,
    key: cert.keyPem,
    onListen: () => {},
  }, async (req) => {
    const path = new URL(req.url).pathname;
    requests.push({ method: req.method, path, body: await req.text() });
    const tenant = path.split("/")[1] ?? "common";
    if (path.endsWith("/.well-known/openid-configuration")) {
      return Response.json({
        token_endpoint: `${url}/${tenant}/oauth2/v2.0/token`,
        authorization_endpoint: `${url}/${tenant}/oauth2/v2.0/authorize`,
        issuer: `${url}/${tenant}/v2.0`,
        jwks_uri: `${url}/${tenant}/discovery/v2.0/keys`,
        response_types_supported: ["code"],
      });
    }
    return Response.json({ error: "invalid_request" }, { status: 400 });
  });
  url = `https://127.0.0.1:${server.addr.port}`;
  return { url, requests, stop: () => server.shutdown() };
}

async function kubectl(cp: ControlPlane, args: string[], stdin?: string): Promise<string> {
  const r = await cp.kubectl(args, stdin === undefined ? {} : { stdin });
  assert.equal(r.code, 0, `kubectl ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/** Sum of kube-apiserver's TokenRequest (POST serviceaccounts/token) counter. */
async function tokenRequests(cp: ControlPlane): Promise<number> {
  let n = 0;
  for (const line of (await kubectl(cp, ["get", "--raw", "/metrics"])).split("\n")) {
    if (
      line.startsWith("apiserver_request_total{") && line.includes('resource="serviceaccounts"') &&
      line.includes('subresource="token"') && line.includes('verb="POST"')
    ) {
      n += Number(line.slice(line.lastIndexOf(" ") + 1));
    }
  }
  return n;
}

function store(ns: string, name: string, azurekv: Record<string, unknown>): unknown {
  return {
    apiVersion: "external-secrets.io/v1",
    kind: "SecretStore",
    metadata: { name, namespace: ns },
    spec: { provider: { azurekv } },
  };
}

function externalSecret(ns: string, name: string, storeName: string, key: string): unknown {
  return {
    apiVersion: "external-secrets.io/v1",
    kind: "ExternalSecret",
    metadata: { name, namespace: ns },
    spec: {
      refreshInterval: "1h",
      secretStoreRef: { kind: "SecretStore", name: storeName },
      target: { name },
      data: [{ secretKey: "value", remoteRef: { key } }],
    },
  };
}

Deno.test("a tenant's store cannot send the controller's credentials or ServiceAccount tokens anywhere the operator did not allow", async () => {
  const cp = await startControlPlane();
  const az = await startAzureEmulators({ vaults: [VAULT] });
  const rogue = await rogueServer();
  const dir = await Deno.makeTempDir({ prefix: "kv-tenant-" });
  try {
    const ns = await cp.newNamespace("tenant");
    const vaultUrl = az.vaultUrl(VAULT);
    az.setSecret(VAULT, "legit", "read-through-an-allowed-authority");
    // The ServiceAccounts of the namespace: one the tenant may borrow for a legitimate store, one it wants a token of.
    const annotations = (clientId: string) => ({
      "azure.workload.identity/client-id": clientId,
      "azure.workload.identity/tenant-id": az.tenantId,
    });
    for (
      const [name, clientId] of [["reader", "11111111-2222-4333-8444-000000000001"], [
        "deployer",
        "11111111-2222-4333-8444-000000000002",
      ]]
    ) {
      az.addFederatedIdentity({
        clientId: clientId!,
        issuer: cp.serviceAccountIssuer,
        subject: `system:serviceaccount:${ns}:${name}`,
        issuerPublicKeyPem: cp.serviceAccountPublicKeyPem,
        vaults: { [VAULT]: "read" },
      });
    }
    // The controller's own federated token file (the workload identity webhook mounts one into its pod).
    await kubectl(cp, ["create", "serviceaccount", "controller", "-n", ns]);
    const ownToken =
      (await kubectl(cp, ["create", "token", "controller", "-n", ns, "--audience=api://AzureADTokenExchange"])).trim();
    const tokenFile = `${dir}/azure-identity-token`;
    await Deno.writeTextFile(tokenFile, ownToken);

    const rogueCloud = { useAzureSDK: true, customCloudConfig: { activeDirectoryEndpoint: rogue.url } };
    const objects = [
      {
        apiVersion: "v1",
        kind: "ServiceAccount",
        metadata: { name: "reader", namespace: ns, annotations: annotations("11111111-2222-4333-8444-000000000001") },
      },
      {
        apiVersion: "v1",
        kind: "ServiceAccount",
        metadata: { name: "deployer", namespace: ns, annotations: annotations("11111111-2222-4333-8444-000000000002") },
      },
      // 1. Another ServiceAccount's federated token sent to the tenant's authority (who can then act as it in Azure).
      store(ns, "steal-sa-token", {
        vaultUrl,
        authType: "WorkloadIdentity",
        serviceAccountRef: { name: "deployer" },
        ...rogueCloud,
      }),
      // 2. That ServiceAccount's token for the apiserver's audience (to act as it in the cluster), even via Entra.
      store(ns, "apiserver-audience", {
        vaultUrl,
        authType: "WorkloadIdentity",
        serviceAccountRef: { name: "deployer", audiences: ["https://kubernetes.default.svc"] },
        useAzureSDK: true,
        customCloudConfig: { activeDirectoryEndpoint: az.authorityHost },
      }),
      // 3. The controller's own federated token, from a namespaced store, sent to the tenant's authority.
      store(ns, "steal-controller-token", {
        vaultUrl,
        authType: "WorkloadIdentity",
        tenantId: az.tenantId,
        ...rogueCloud,
      }),
      // 4. A vault URL of the tenant's: the Key Vault token would go there.
      store(ns, "rogue-vault", {
        vaultUrl: rogue.url,
        authType: "WorkloadIdentity",
        serviceAccountRef: { name: "reader" },
        useAzureSDK: true,
        customCloudConfig: { activeDirectoryEndpoint: az.authorityHost },
      }),
      // The control: what the operator allowed works without --azure-authority-host.
      store(ns, "legit", {
        vaultUrl,
        authType: "WorkloadIdentity",
        serviceAccountRef: { name: "reader" },
        useAzureSDK: true,
        customCloudConfig: { activeDirectoryEndpoint: az.authorityHost },
      }),
      ...["steal-sa-token", "apiserver-audience", "steal-controller-token", "rogue-vault", "legit"].map((s) =>
        externalSecret(ns, `${s}-es`, s, "legit")
      ),
    ];
    await kubectl(cp, ["apply", "--server-side", "-f", "-"], objects.map((o) => stringify(o)).join("---\n"));

    const before = await tokenRequests(cp);
    const controller = await startController({
      kubeconfig: cp.kubeconfigPath,
      authorityHost: null,
      caCertPath: az.caCertPath,
      args: [
        `--namespace=${ns}`,
        `--allowed-authority-hosts=${new URL(az.authorityHost).host}`,
        // Only the emulator's vault (the harness allows any loopback port).
        `--allowed-vault-hosts=${new URL(vaultUrl).host}`,
        "--store-requeue-interval=2s",
      ],
      env: {
        AZURE_CLIENT_ID: "11111111-2222-4333-8444-000000000003",
        AZURE_TENANT_ID: az.tenantId,
        AZURE_FEDERATED_TOKEN_FILE: tokenFile,
      },
    });
    try {
      const condition = (name: string) =>
        eventually(
          `SecretStore ${name} to have a Ready condition`,
          async () => ready(JSON.parse(await kubectl(cp, ["get", "ss", "-n", ns, name, "-o", "json"])) as SecretStore),
          30_000,
        );
      const legit = await condition("legit");
      assert.equal(legit.status, "True", `the allowed store is Ready: ${legit.message}`);
      await eventually("the allowed store's ExternalSecret to sync", async () => {
        const r = await cp.kubectl(["get", "secret", "-n", ns, "legit-es", "-o", "json"]);
        return r.code === 0 &&
          secretValue(JSON.parse(r.stdout) as Secret, "value") === "read-through-an-allowed-authority";
      });

      const expected: Record<string, RegExp> = {
        "steal-sa-token":
          /^Entra ID authority host "127\.0\.0\.1:\d+" \(customCloudConfig\.activeDirectoryEndpoint\) is not allowed: .*--allowed-authority-hosts \(127\.0\.0\.1:\d+\)$/,
        "apiserver-audience":
          /^serviceAccountRef\.audiences "https:\/\/kubernetes\.default\.svc" not allowed: .*--allowed-token-audiences/,
        "steal-controller-token":
          /^authType WorkloadIdentity without serviceAccountRef would use the controller's own federated identity, which only ClusterSecretStores may use \(unless --allow-namespaced-mounted-identity\)/,
        "rogue-vault": /^vault host "127\.0\.0\.1:\d+" is not allowed: .*--allowed-vault-hosts \(127\.0\.0\.1:\d+\)$/,
      };
      for (const [name, message] of Object.entries(expected)) {
        const c = await condition(name);
        assert.equal(c.status, "False", `${name}: ${c.message}`);
        assert.equal(c.reason, "InvalidProviderConfig", name);
        assert.match(c.message ?? "", message, name);
        const es = await eventually(`ExternalSecret ${name}-es to fail`, async () => {
          const r = ready(JSON.parse(await kubectl(cp, ["get", "es", "-n", ns, `${name}-es`, "-o", "json"])));
          return r?.status === "False" ? r : undefined;
        });
        assert.match(es.message ?? "", /is not ready/, name);
      }
      // Several re-validations (every 2 s) later: still nothing reached the tenant's server, and the only
      // TokenRequests were the allowed store's.
      await new Promise((r) => setTimeout(r, 5000));
      assert.deepEqual(
        rogue.requests.map((r) => `${r.method} ${r.path}`),
        [],
        "no request reached the tenant's server",
      );
      const made = (await tokenRequests(cp)) - before;
      assert.equal(made, 1, `TokenRequests: ${made}, all for the allowed store (its token is reused)`);
      const output = controller.rawOutput();
      assert.ok(!output.includes(ownToken), "the controller's own token is not in its output");
    } finally {
      assert.equal(await controller.stop(), 0);
    }
  } finally {
    await rogue.stop();
    await az.stop();
    await cp.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
