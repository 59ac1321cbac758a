/**
 * The seed's story end to end: a real kube-apiserver, the Azure emulators spoken to by the real Azure SDKs, and the
 * controller as a separate process (the shipped bundle). Manifests are the seed's files, applied unchanged except
 * where the acceptance says to point them at the emulator (vault URL, credentials).
 */
import assert from "node:assert/strict";
import type { ExternalSecret, SecretStore } from "../../controller/api/types.ts";
import type { Secret } from "../../controller/kube/types.ts";
import { startAzureEmulators } from "../harness/azure/mod.ts";
import { type ControlPlane, startControlPlane } from "../harness/control_plane.ts";
import { type ControllerProcess, startController } from "../harness/controller_process.ts";
import { apply, eventually, getJson, ready, secretValue, SEED_DIR as SEED, seedStore } from "../harness/scenario.ts";

const CLIENT_ID = "5f0c5d0e-3c1b-4c8e-9a51-0d6f3b2a7c11";
const CLIENT_SECRET = "emulator-known-client-secret";
const DOCKER_V1 = JSON.stringify({ auths: { "zaldre.azurecr.io": { auth: btoa("puller:first-password") } } });
const DOCKER_V2 = JSON.stringify({ auths: { "zaldre.azurecr.io": { auth: btoa("puller:rotated-password") } } });
const DOCKER_V3 = JSON.stringify({ auths: { "zaldre.azurecr.io": { auth: btoa("puller:third-password") } } });

async function kubectlJson<T>(cp: ControlPlane, args: string[]): Promise<T> {
  const v = await getJson<T>(cp, args);
  assert.ok(v !== undefined, `kubectl get ${args.join(" ")} failed`);
  return v;
}

Deno.test("seed scenario on a real control plane with the Azure emulators", async (t) => {
  const cp = await startControlPlane();
  const az = await startAzureEmulators({ vaults: ["zaldre"] });
  let controller: ControllerProcess | undefined;
  try {
    az.setSecret("zaldre", "docker-config-json", DOCKER_V1, { contentType: "application/json" });
    // 03 with the emulator's credentials, 04 with the emulator's vault URL; 01 verbatim.
    const css = await seedStore(cp, az, { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
    assert.equal(css.spec.provider.azurekv?.tenantId, az.tenantId, "the emulator serves the seed's tenant");
    assert.equal((await cp.kubectl(["create", "namespace", "my-namespace"])).code, 0);
    const r01 = await cp.kubectl(["apply", "--server-side", "-f", `${SEED}01-externalsecret-regcred.yaml`]);
    assert.equal(r01.code, 0, r01.stderr);

    const started = performance.now();
    controller = await startController({
      kubeconfig: cp.kubeconfigPath,
      authorityHost: az.authorityHost,
      caCertPath: az.caCertPath,
    });
    const startToReadyMs = performance.now() - started;

    await t.step(
      "regcred: a dockerconfigjson Secret with the rendered value, owned by the ExternalSecret",
      async () => {
        const secret = await eventually(
          "jenkins/regcred",
          () => getJson<Secret>(cp, ["secret", "-n", "jenkins", "regcred"]),
        );
        assert.equal(secret.type, "kubernetes.io/dockerconfigjson");
        assert.equal(secretValue(secret, ".dockerconfigjson"), DOCKER_V1);
        assert.deepEqual(Object.keys(secret.data ?? {}), [".dockerconfigjson"]);
        const es = await kubectlJson<ExternalSecret>(cp, ["es", "-n", "jenkins", "regcred"]);
        const owner = secret.metadata?.ownerReferences?.[0];
        assert.equal(owner?.kind, "ExternalSecret");
        assert.equal(owner?.uid, es.metadata.uid);
        assert.equal(owner?.controller, true);
        assert.equal(secret.metadata?.labels?.["reconcile.external-secrets.io/managed"], "true");
        const cond = await eventually("Ready=True", async () => {
          const c = ready(await kubectlJson<ExternalSecret>(cp, ["es", "-n", "jenkins", "regcred"]));
          return c?.status === "True" ? c : undefined;
        });
        assert.equal(cond.reason, "SecretSynced");
        assert.ok(es.metadata.finalizers?.includes("externalsecrets.external-secrets.io/externalsecret-cleanup"));
        const storeReady = ready(await kubectlJson<SecretStore>(cp, ["css", "azure-keyvault-cluster-store"]));
        assert.equal(storeReady?.reason, "Valid");
        const row = await cp.kubectl(["get", "es", "-n", "jenkins", "regcred", "--no-headers"]);
        assert.match(
          row.stdout,
          /^regcred\s+ClusterSecretStore\s+azure-keyvault-cluster-store\s+24h\s+SecretSynced\s+True\s+\S+/,
        );
      },
    );

    await t.step("rotation + force-sync annotation: the Secret gets the new value at once", async () => {
      az.setSecret("zaldre", "docker-config-json", DOCKER_V2);
      const r = await cp.kubectl([
        "annotate",
        "es",
        "-n",
        "jenkins",
        "regcred",
        `force-sync=${Date.now()}`,
        "--overwrite",
      ]);
      assert.equal(r.code, 0, r.stderr);
      await eventually(
        "rotated value",
        async () =>
          secretValue(await getJson<Secret>(cp, ["secret", "-n", "jenkins", "regcred"]), ".dockerconfigjson") ===
            DOCKER_V2,
      );
    });

    await t.step("rotation without force-sync: the Secret follows after refreshInterval", async () => {
      const r = await cp.kubectl([
        "patch",
        "es",
        "-n",
        "jenkins",
        "regcred",
        "--type=merge",
        "-p",
        '{"spec":{"refreshInterval":"3s"}}',
      ]);
      assert.equal(r.code, 0, r.stderr);
      await eventually("spec change synced", async () => {
        const es = await kubectlJson<ExternalSecret>(cp, ["es", "-n", "jenkins", "regcred"]);
        return es.status?.syncedResourceVersion?.startsWith(`${es.metadata.generation}-`);
      });
      az.setSecret("zaldre", "docker-config-json", DOCKER_V3);
      const t0 = Date.now();
      await eventually(
        "periodic refresh",
        async () =>
          secretValue(await getJson<Secret>(cp, ["secret", "-n", "jenkins", "regcred"]), ".dockerconfigjson") ===
            DOCKER_V3,
        15_000,
      );
      assert.ok(Date.now() - t0 < 10_000, "within about one interval");
    });

    await t.step("target edited by hand: restored", async () => {
      const r = await cp.kubectl([
        "patch",
        "secret",
        "-n",
        "jenkins",
        "regcred",
        "--type=merge",
        "-p",
        JSON.stringify({ data: { ".dockerconfigjson": btoa('{"auths":{}}') } }),
      ]);
      assert.equal(r.code, 0, r.stderr);
      await eventually(
        "restored",
        async () =>
          secretValue(await getJson<Secret>(cp, ["secret", "-n", "jenkins", "regcred"]), ".dockerconfigjson") ===
            DOCKER_V3,
        10_000,
      );
    });

    await t.step("target deleted: recreated", async () => {
      assert.equal((await cp.kubectl(["delete", "secret", "-n", "jenkins", "regcred"])).code, 0);
      await eventually(
        "recreated",
        async () =>
          secretValue(await getJson<Secret>(cp, ["secret", "-n", "jenkins", "regcred"]), ".dockerconfigjson") ===
            DOCKER_V3,
        10_000,
      );
    });

    await t.step(
      "02 (placeholder vault URL) and 05 (credentials Secret missing): stores not Ready, clearly",
      async () => {
        for (const f of ["02-secretstore-workload-identity.yaml", "05-secretstore-service-principal.yaml"]) {
          const r = await cp.kubectl(["apply", "--server-side", "-f", `${SEED}${f}`]);
          assert.equal(r.code, 0, r.stderr);
        }
        const ss02 = await eventually(
          "02 status",
          async () => ready(await getJson<SecretStore>(cp, ["ss", "-n", "my-namespace", "azure-keyvault-ns-store"])),
        );
        assert.equal(ss02.status, "False");
        assert.equal(ss02.reason, "InvalidProviderConfig");
        assert.match(
          ss02.message ?? "",
          /vaultUrl "https:\/\/<VAULT_NAME>\.vault\.azure\.net\/" still contains a placeholder/,
        );
        const ss05 = await eventually(
          "05 status",
          async () => ready(await getJson<SecretStore>(cp, ["ss", "-n", "jenkins", "jenkins-secretstore"])),
        );
        assert.equal(ss05.status, "False");
        assert.match(ss05.message ?? "", /credentials Secret jenkins\/azure-credentials does not exist/);
      },
    );

    await t.step("an ExternalSecret on the broken store says why, and regcred keeps syncing", async () => {
      await apply(cp, {
        apiVersion: "external-secrets.io/v1",
        kind: "ExternalSecret",
        metadata: { name: "via-broken-store", namespace: "jenkins" },
        spec: {
          secretStoreRef: { name: "jenkins-secretstore", kind: "SecretStore" },
          data: [{ secretKey: "x", remoteRef: { key: "docker-config-json" } }],
        },
      });
      const c = await eventually(
        "broken ES status",
        async () => ready(await getJson<ExternalSecret>(cp, ["es", "-n", "jenkins", "via-broken-store"])),
      );
      assert.equal(c.status, "False");
      assert.equal(c.reason, "SecretSyncedError");
      assert.match(
        c.message ?? "",
        /SecretStore "jenkins-secretstore" is not ready: credentials Secret jenkins\/azure-credentials does not exist/,
      );
      az.setSecret("zaldre", "docker-config-json", DOCKER_V1);
      await eventually(
        "regcred still follows the vault",
        async () =>
          secretValue(await getJson<Secret>(cp, ["secret", "-n", "jenkins", "regcred"]), ".dockerconfigjson") ===
            DOCKER_V1,
        10_000,
      );
      assert.ok(controller!.logs().every((l) => l.level !== "raw"), "every log line is JSON");
    });

    await t.step("no secret value ever appears in the controller's output", () => {
      const out = controller!.rawOutput();
      for (const v of [DOCKER_V1, DOCKER_V2, DOCKER_V3, CLIENT_SECRET, "first-password", btoa(DOCKER_V1)]) {
        assert.ok(!out.includes(v), `found a secret value in the controller's output`);
      }
    });

    // deno-lint-ignore no-console -- figures for the issue note
    console.log(`controller start to ready: ${startToReadyMs.toFixed(0)} ms; RSS now: ${controller.rssKb()} kB`);
  } finally {
    if (controller) {
      const code = await controller.stop();
      assert.equal(
        code,
        0,
        `graceful shutdown exits 0; last output:\n${controller.rawOutput().split("\n").slice(-12).join("\n")}`,
      );
    }
    await az.stop();
    await cp.stop();
  }
});
