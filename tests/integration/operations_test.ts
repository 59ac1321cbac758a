/**
 * Operating the controller on real parts: health and metrics endpoints, JSON logs, `--help`, store validation rules
 * (unsupported provider, cross-namespace credentials, controller class), and leader election with fail-over.
 */
import assert from "node:assert/strict";
import type { ExternalSecret, SecretStore } from "../../controller/api/types.ts";
import type { Secret } from "../../controller/kube/types.ts";
import { startAzureEmulators } from "../harness/azure/mod.ts";
import { startControlPlane } from "../harness/control_plane.ts";
import {
  bundle,
  CONTROLLER_PERMISSIONS,
  type ControllerProcess,
  startController,
} from "../harness/controller_process.ts";
import { apply, eventually, getJson, ready, secretValue, seedStore } from "../harness/scenario.ts";

Deno.test("operating the controller", async (t) => {
  const cp = await startControlPlane();
  const az = await startAzureEmulators({ vaults: ["zaldre"] });
  const controllers: ControllerProcess[] = [];
  const start = async (args: string[] = []): Promise<ControllerProcess> => {
    const c = await startController({
      kubeconfig: cp.kubeconfigPath,
      authorityHost: az.authorityHost,
      caCertPath: az.caCertPath,
      args,
    });
    controllers.push(c);
    return c;
  };
  try {
    await seedStore(cp, az, { clientId: "2c9d5a7e-ops-client", clientSecret: "ops-secret" });
    az.setSecret("zaldre", "ops", "v1");
    const ns = await cp.newNamespace("ops");
    const es = (name: string, store: string, kind = "SecretStore"): unknown => ({
      apiVersion: "external-secrets.io/v1",
      kind: "ExternalSecret",
      metadata: { name, namespace: ns },
      spec: {
        refreshInterval: "1h",
        secretStoreRef: { kind, name: store },
        data: [{ secretKey: "k", remoteRef: { key: "ops" } }],
      },
    });

    await t.step("--help lists the flags, with ESO's names, and exits 0", async () => {
      const path = await bundle("controller/main.ts", "kv-operator");
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "--quiet", "--no-config", "--cached-only", ...CONTROLLER_PERMISSIONS, path, "--help"],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(out.stdout);
      assert.equal(out.code, 0);
      for (
        const flag of [
          "--concurrent",
          "--controller-class",
          "--enable-leader-election",
          "--enable-flood-gate",
          "--store-requeue-interval",
          "--metrics-addr",
          "--loglevel",
          "--namespace",
        ]
      ) {
        assert.ok(text.includes(flag), `--help mentions ${flag}`);
      }
      const bad = await new Deno.Command(Deno.execPath(), {
        args: ["run", "--quiet", "--no-config", "--cached-only", ...CONTROLLER_PERMISSIONS, path, "--concurrent=zero"],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(bad.code, 2, "a bad flag is a usage error");
      assert.match(new TextDecoder().decode(bad.stderr), /expected a positive integer, got "zero"/);
    });

    const c1 = await start(["--enable-leader-election", "--leader-election-namespace=default"]);

    await t.step("/healthz, /readyz and /metrics (ESO's metric names)", async () => {
      await apply(cp, es("via-cluster-store", "azure-keyvault-cluster-store", "ClusterSecretStore"));
      await eventually(
        "synced",
        async () => secretValue(await getJson<Secret>(cp, ["secret", "-n", ns, "via-cluster-store"]), "k") === "v1",
      );
      const healthz = await fetch(`${c1.metricsUrl}/healthz`);
      assert.equal(healthz.status, 200, await healthz.text());
      const readyz = await fetch(`${c1.metricsUrl}/readyz?verbose`);
      const body = await readyz.text();
      assert.equal(readyz.status, 200, body);
      assert.match(body, /\[\+\]informer-externalsecrets ok/);
      const metrics = await fetch(`${c1.metricsUrl}/metrics`).then((r) => r.text());
      for (
        const name of [
          "externalsecret_sync_calls_total",
          "externalsecret_status_condition",
          "externalsecret_provider_api_calls_count",
          "clustersecretstore_status_condition",
          "workqueue_depth",
          "controller_runtime_reconcile_total",
          "leader_election_master_status",
          "process_resident_memory_bytes",
        ]
      ) {
        assert.match(metrics, new RegExp(`^${name}[{ ]`, "m"), `${name} is exported`);
      }
      assert.match(
        metrics,
        /^externalsecret_provider_api_calls_count\{provider="Azure\/KeyVault",call="GetSecret",status="success"\} [1-9]/m,
      );
    });

    await t.step(
      "remoteRef property, version and decodingStrategy; a missing Key Vault secret keeps the Secret",
      async () => {
        const v1 = az.setSecret(
          "zaldre",
          "db",
          JSON.stringify({ user: "app", password: btoa("pa55"), nested: { port: 5432 } }),
        );
        az.setSecret("zaldre", "db", JSON.stringify({ user: "app2", password: btoa("changed"), nested: { port: 1 } }));
        await apply(cp, {
          apiVersion: "external-secrets.io/v1",
          kind: "ExternalSecret",
          metadata: { name: "db", namespace: ns },
          spec: {
            secretStoreRef: { kind: "ClusterSecretStore", name: "azure-keyvault-cluster-store" },
            data: [
              { secretKey: "user", remoteRef: { key: "secret/db", property: "user" } },
              { secretKey: "port", remoteRef: { key: "db", property: "nested.port" } },
              {
                secretKey: "pinned-password",
                remoteRef: { key: "db", version: v1.version, property: "password", decodingStrategy: "Base64" },
              },
            ],
          },
        });
        const s = await eventually("db synced", async () => {
          const x = await getJson<Secret>(cp, ["secret", "-n", ns, "db"]);
          return x?.data ? x : undefined;
        });
        assert.equal(secretValue(s, "user"), "app2");
        assert.equal(secretValue(s, "port"), "1");
        assert.equal(secretValue(s, "pinned-password"), "pa55", "the pinned version, base64-decoded");
        az.deleteSecret("zaldre", "db", { purge: true });
        await cp.kubectl(["annotate", "es", "-n", ns, "db", `force-sync=${Date.now()}`, "--overwrite"]);
        const c = await eventually("not found", async () => {
          const cond = ready(await getJson<ExternalSecret>(cp, ["es", "-n", ns, "db"]));
          return cond?.status === "False" ? cond : undefined;
        });
        assert.match(
          c.message ?? "",
          /secret "db"( version \w+)? not found in Key Vault https:\/\/127\.0\.0\.1:\d+; the existing Secret is kept \(deletionPolicy Retain\)/,
        );
        assert.equal(
          secretValue(await getJson<Secret>(cp, ["secret", "-n", ns, "db"]), "user"),
          "app2",
          "kept as it was",
        );
      },
    );

    await t.step(
      "a force-sync right after a vault write reads the new value, even if a sibling just read the old",
      async () => {
        az.setSecret("zaldre", "shared-forced", "old");
        const two = ["share-a", "share-b"].map((name) => ({
          apiVersion: "external-secrets.io/v1",
          kind: "ExternalSecret",
          metadata: { name, namespace: ns },
          spec: {
            refreshInterval: "1h",
            secretStoreRef: { kind: "ClusterSecretStore", name: "azure-keyvault-cluster-store" },
            data: [{ secretKey: "k", remoteRef: { key: "shared-forced" } }],
          },
        }));
        await apply(cp, ...two);
        await eventually(
          "both synced",
          async () =>
            secretValue(await getJson<Secret>(cp, ["secret", "-n", ns, "share-a"]), "k") === "old" &&
            secretValue(await getJson<Secret>(cp, ["secret", "-n", ns, "share-b"]), "k") === "old",
        );
        await cp.kubectl(["annotate", "es", "-n", ns, "share-b", `force-sync=${Date.now()}`, "--overwrite"]);
        await new Promise((r) => setTimeout(r, 300));
        az.setSecret("zaldre", "shared-forced", "new");
        await new Promise((r) => setTimeout(r, 200));
        await cp.kubectl(["annotate", "es", "-n", ns, "share-a", `force-sync=${Date.now()}`, "--overwrite"]);
        await eventually(
          "share-a has the new value",
          async () => secretValue(await getJson<Secret>(cp, ["secret", "-n", ns, "share-a"]), "k") === "new",
          10_000,
        );
      },
    );

    await t.step("templateFrom: a ConfigMap's templates and a literal render with the fetched values", async () => {
      az.setSecret("zaldre", "app-password", "pa55w0rd-from-vault");
      await apply(cp, {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "app-templates", namespace: ns },
        data: { "app.properties": "db.user=app\ndb.password={{ .password }}\n" },
      }, {
        apiVersion: "external-secrets.io/v1",
        kind: "ExternalSecret",
        metadata: { name: "templated", namespace: ns },
        spec: {
          secretStoreRef: { kind: "ClusterSecretStore", name: "azure-keyvault-cluster-store" },
          target: {
            template: {
              templateFrom: [
                { configMap: { name: "app-templates", items: [{ key: "app.properties" }] } },
                { literal: "url: postgres://app:{{ .password | urlquery }}@db:5432/app", target: "Data" },
                { literal: "checksum/password: {{ .password | sha256sum | trunc 12 }}", target: "Annotations" },
              ],
            },
          },
          data: [{ secretKey: "password", remoteRef: { key: "app-password" } }],
        },
      });
      const s = await eventually("templated", async () => {
        const x = await getJson<Secret>(cp, ["secret", "-n", ns, "templated"]);
        return x?.data ? x : undefined;
      });
      assert.equal(secretValue(s, "app.properties"), "db.user=app\ndb.password=pa55w0rd-from-vault\n");
      assert.equal(secretValue(s, "url"), "postgres://app:pa55w0rd-from-vault@db:5432/app");
      assert.equal(s.metadata?.annotations?.["checksum/password"]?.length, 12);
      assert.deepEqual(Object.keys(s.data ?? {}).sort(), ["app.properties", "url"], "Replace: only templated keys");
    });

    await t.step("logs are JSON lines with a level", () => {
      const lines = c1.logs();
      assert.ok(lines.length > 0);
      for (const l of lines) {
        assert.ok(["debug", "info", "warn", "error"].includes(l.level), `bad line: ${JSON.stringify(l)}`);
        assert.equal(typeof l.ts, "string");
      }
    });

    await t.step("a store naming an unsupported provider is not Ready, clearly", async () => {
      await apply(cp, {
        apiVersion: "external-secrets.io/v1",
        kind: "SecretStore",
        metadata: { name: "vault-store", namespace: ns },
        spec: { provider: { vault: { server: "https://vault.example:8200", path: "secret" } } },
      });
      const c = await eventually(
        "condition",
        async () => ready(await getJson<SecretStore>(cp, ["ss", "-n", ns, "vault-store"])),
      );
      assert.equal(c.status, "False");
      assert.match(c.message ?? "", /provider "vault" is not supported by this controller \(supported: azurekv\)/);
    });

    await t.step("a SecretStore may not use credentials from another namespace", async () => {
      await apply(cp, {
        apiVersion: "external-secrets.io/v1",
        kind: "SecretStore",
        metadata: { name: "borrowing", namespace: ns },
        spec: {
          provider: {
            azurekv: {
              tenantId: az.tenantId,
              vaultUrl: az.vaultUrl("zaldre"),
              authSecretRef: {
                clientId: { name: "azure-credentials", key: "client-id", namespace: "external-secrets" },
                clientSecret: { name: "azure-credentials", key: "client-secret", namespace: "external-secrets" },
              },
            },
          },
        },
      });
      const c = await eventually(
        "condition",
        async () => ready(await getJson<SecretStore>(cp, ["ss", "-n", ns, "borrowing"])),
      );
      assert.equal(c.status, "False");
      assert.match(
        c.message ?? "",
        /names namespace "external-secrets", but a SecretStore may only use credentials in its own namespace/,
      );
      await apply(cp, es("via-borrowing", "borrowing"));
      const e = await eventually(
        "es condition",
        async () => ready(await getJson<ExternalSecret>(cp, ["es", "-n", ns, "via-borrowing"])),
      );
      assert.equal(e.status, "False");
      assert.equal(await getJson<Secret>(cp, ["secret", "-n", ns, "via-borrowing"]), undefined, "no Secret was made");
    });

    await t.step("stores of another controller class are left alone, and so are their ExternalSecrets", async () => {
      await apply(cp, {
        apiVersion: "external-secrets.io/v1",
        kind: "SecretStore",
        metadata: { name: "other-class", namespace: ns },
        spec: {
          controller: "someone-else",
          provider: { azurekv: { tenantId: az.tenantId, vaultUrl: az.vaultUrl("zaldre") } },
        },
      }, es("via-other-class", "other-class"));
      await new Promise((r) => setTimeout(r, 2000));
      const store = await getJson<SecretStore>(cp, ["ss", "-n", ns, "other-class"]);
      assert.equal(store?.status, undefined, "no status written on another class's store");
      const e = await getJson<ExternalSecret>(cp, ["es", "-n", ns, "via-other-class"]);
      assert.equal(e?.status, undefined, "no status written on its ExternalSecret");
      assert.equal(e?.metadata.finalizers, undefined, "no finalizer added");
    });

    await t.step("leader election: a second replica waits; when the leader stops it takes over", async () => {
      const c2 = await start(["--enable-leader-election", "--leader-election-namespace=default"]);
      const leader = async (c: ControllerProcess): Promise<number | undefined> =>
        await c.metric('leader_election_master_status{name="external-secrets-controller"}');
      assert.equal(await leader(c1), 1);
      assert.equal(await leader(c2), 0);
      az.setSecret("zaldre", "ops", "v2");
      const stoppedAt = Date.now();
      assert.equal(await c1.stop(), 0, "the leader exits cleanly and releases the Lease");
      await eventually("c2 leads", async () => (await leader(c2)) === 1, 20_000);
      const takeoverMs = Date.now() - stoppedAt;
      const r = await cp.kubectl([
        "annotate",
        "es",
        "-n",
        ns,
        "via-cluster-store",
        `force-sync=${Date.now()}`,
        "--overwrite",
      ]);
      assert.equal(r.code, 0, r.stderr);
      await eventually(
        "c2 syncs",
        async () => secretValue(await getJson<Secret>(cp, ["secret", "-n", ns, "via-cluster-store"]), "k") === "v2",
      );
      assert.ok(takeoverMs < 10_000, `take-over took ${takeoverMs} ms`);
      // deno-lint-ignore no-console -- figure for the issue note
      console.log(`leader take-over after a graceful stop: ${takeoverMs} ms`);
    });
  } finally {
    for (const c of controllers) await c.stop().catch(() => {});
    await az.stop();
    await cp.stop();
  }
});
