/**
 * creationPolicy Merge against a real apiserver, the emulated vault and the bundled controller, as ESO v2.9 leaves
 * the cluster (pkg/controllers/externalsecret/externalsecret_controller.go: with Merge and no target Secret the
 * ExternalSecret is marked done with reason SecretMissing — Ready=True, refreshTime set — and requeued at its
 * refresh interval; once a Secret of that name exists its data is merged in, existing keys kept, no owner added).
 */
import assert from "node:assert/strict";
import type { ExternalSecret } from "../../controller/api/types.ts";
import type { Secret } from "../../controller/kube/types.ts";
import { startAzureEmulators } from "../harness/azure/mod.ts";
import { startControlPlane } from "../harness/control_plane.ts";
import { type ControllerProcess, startController } from "../harness/controller_process.ts";
import { apply, eventually, getJson, ready, secretValue, seedStore } from "../harness/scenario.ts";

Deno.test("creationPolicy Merge: a missing target is Ready=True SecretMissing, then merged once it exists", async (t) => {
  const cp = await startControlPlane();
  const az = await startAzureEmulators({ vaults: ["zaldre"] });
  let controller: ControllerProcess | undefined;
  try {
    await seedStore(cp, az, { clientId: "5e1f0c2a-merge-client", clientSecret: "merge-secret" });
    az.setSecret("zaldre", "merge-key", "from-the-vault");
    const ns = await cp.newNamespace("merge");
    controller = await startController({
      kubeconfig: cp.kubeconfigPath,
      authorityHost: az.authorityHost,
      caCertPath: az.caCertPath,
    });
    const gets = (afterSeq: number): number =>
      az.requests({ service: "keyvault", afterSeq }).filter((r) =>
        r.status === 200 && r.route.startsWith("GET /secrets/")
      ).length;

    const before = az.counters().lastSeq;
    await apply(cp, {
      apiVersion: "external-secrets.io/v1",
      kind: "ExternalSecret",
      metadata: { name: "merged", namespace: ns },
      spec: {
        refreshInterval: "4s",
        secretStoreRef: { kind: "ClusterSecretStore", name: "azure-keyvault-cluster-store" },
        target: { name: "app-config", creationPolicy: "Merge" },
        data: [{ secretKey: "token", remoteRef: { key: "merge-key" } }],
      },
    });

    await t.step("no target: Ready=True reason SecretMissing, no Secret created, no vault read", async () => {
      const es = await eventually("SecretMissing", async () => {
        const es = await getJson<ExternalSecret>(cp, ["externalsecret", "-n", ns, "merged"]);
        return ready(es)?.reason === "SecretMissing" ? es : undefined;
      });
      assert.equal(ready(es)?.status, "True");
      assert.ok(es.status?.refreshTime, "refreshTime is set, as ESO's markAsDone does");
      assert.match(ready(es)?.message ?? "", /does not exist: creationPolicy Merge/);
      assert.equal(await getJson<Secret>(cp, ["secret", "-n", ns, "app-config"]), undefined, "never created");
      assert.equal(gets(before), 0, "ESO checks the target before reading the provider");
    });

    await t.step("someone creates the Secret: within one refresh interval it holds the merged data", async () => {
      const created = await cp.kubectl([
        "create",
        "secret",
        "generic",
        "app-config",
        "-n",
        ns,
        "--from-literal=kept=theirs",
      ]);
      assert.equal(created.code, 0, created.stderr);
      const startedAt = Date.now();
      const secret = await eventually("merged", async () => {
        const s = await getJson<Secret>(cp, ["secret", "-n", ns, "app-config"]);
        return secretValue(s, "token") === "from-the-vault" ? s : undefined;
      }, 15_000);
      const tookMs = Date.now() - startedAt;
      assert.ok(tookMs <= 4000 + 3000, `synced within one interval (4 s) plus slack: took ${tookMs} ms`);
      assert.equal(secretValue(secret, "kept"), "theirs", "existing keys are kept");
      assert.equal(secret.metadata?.ownerReferences, undefined, "Merge never takes ownership");
      assert.equal(secret.metadata?.labels?.["reconcile.external-secrets.io/managed"], "true");
      const es = await eventually("SecretSynced", async () => {
        const es = await getJson<ExternalSecret>(cp, ["externalsecret", "-n", ns, "merged"]);
        return ready(es)?.reason === "SecretSynced" ? es : undefined;
      });
      assert.equal(ready(es)?.status, "True");
    });
  } finally {
    await controller?.stop();
    await az.stop();
    await cp.stop();
  }
});
