/**
 * The deploy manifests on a real kube-apiserver: every overlay builds and is admitted, and the controller running
 * as the ServiceAccount those manifests create — with exactly their RBAC, not as an admin — syncs the seed scenario,
 * elects itself on its Lease, runs a ClusterExternalSecret and is never refused anything.
 */
import assert from "node:assert/strict";
import { stringify } from "yaml";
import type { ClusterExternalSecret, ExternalSecret } from "../../controller/api/types.ts";
import type { Secret } from "../../controller/kube/types.ts";
import { startAzureEmulators } from "../harness/azure/mod.ts";
import { startControlPlane } from "../harness/control_plane.ts";
import { type ControllerProcess, startController } from "../harness/controller_process.ts";
import { eventually, getJson, ready, secretValue, SEED_DIR, seedStore } from "../harness/scenario.ts";

const DEPLOY = new URL("../../deploy/", import.meta.url).pathname;

Deno.test("deploy manifests and least-privilege RBAC on a real control plane", async (t) => {
  const cp = await startControlPlane({ crds: false });
  const az = await startAzureEmulators({ vaults: ["zaldre"] });
  let controller: ControllerProcess | undefined;
  try {
    await t.step("every overlay builds with kustomize and is admitted by the API server", async () => {
      const crds = await cp.kubectl(["apply", "--server-side", "-k", `${DEPLOY}../crds`]);
      assert.equal(crds.code, 0, crds.stderr);
      const base = await cp.kubectl(["apply", "--server-side", "-k", `${DEPLOY}overlays/talos`]);
      assert.equal(base.code, 0, base.stderr);
      for (const overlay of ["aks", "openshift"]) {
        const r = await cp.kubectl([
          "apply",
          "--server-side",
          "--dry-run=server",
          "--force-conflicts",
          "-k",
          `${DEPLOY}overlays/${overlay}`,
        ]);
        assert.equal(r.code, 0, `${overlay}: ${r.stderr}`);
      }
      const w = await cp.kubectl([
        "wait",
        "--for=condition=Established",
        "--timeout=60s",
        "crd/externalsecrets.external-secrets.io",
      ]);
      assert.equal(w.code, 0, w.stderr);
    });

    await t.step(
      "the controller as the kv-operator ServiceAccount syncs the seed scenario and is refused nothing",
      async () => {
        await seedStore(cp, az, { clientId: "4e1f0a2b-deploy-client", clientSecret: "deploy-secret" });
        az.setSecret("zaldre", "docker-config-json", '{"auths":{}}');
        const r01 = await cp.kubectl(["apply", "--server-side", "-f", `${SEED_DIR}01-externalsecret-regcred.yaml`]);
        assert.equal(r01.code, 0, r01.stderr);

        const token = await cp.kubectl(["create", "token", "-n", "kv-operator", "kv-operator", "--duration=1h"]);
        assert.equal(token.code, 0, token.stderr);
        const kubeconfig = `${cp.dir}/kv-operator.kubeconfig`;
        await Deno.writeTextFile(
          kubeconfig,
          stringify({
            apiVersion: "v1",
            kind: "Config",
            clusters: [{ name: "c", cluster: { server: cp.server, "certificate-authority-data": btoa(cp.caCertPem) } }],
            users: [{ name: "sa", user: { token: token.stdout.trim() } }],
            contexts: [{ name: "sa", context: { cluster: "c", user: "sa", namespace: "kv-operator" } }],
            "current-context": "sa",
          }),
        );
        controller = await startController({
          kubeconfig,
          authorityHost: az.authorityHost,
          caCertPath: az.caCertPath,
          args: ["--enable-leader-election", "--leader-election-namespace=kv-operator"],
        });
        const secret = await eventually("jenkins/regcred", async () => {
          const s = await getJson<Secret>(cp, ["secret", "-n", "jenkins", "regcred"]);
          return secretValue(s, ".dockerconfigjson") === '{"auths":{}}' ? s : undefined;
        });
        assert.equal(secret.type, "kubernetes.io/dockerconfigjson");
        const es = await getJson<ExternalSecret>(cp, ["es", "-n", "jenkins", "regcred"]);
        assert.equal(ready(es)?.reason, "SecretSynced");
        const lease = await cp.kubectl([
          "get",
          "lease",
          "-n",
          "kv-operator",
          "external-secrets-controller",
          "-o",
          "jsonpath={.spec.holderIdentity}",
        ]);
        assert.notEqual(lease.stdout, "", "the Lease names its holder");
        const events = await cp.kubectl([
          "get",
          "events",
          "-n",
          "jenkins",
          "--field-selector=involvedObject.name=regcred",
          "-o",
          "name",
        ]);
        assert.notEqual(events.stdout.trim(), "", "events were recorded");
        const storeEvents = await cp.kubectl([
          "get",
          "events",
          "-n",
          "default",
          "--field-selector=involvedObject.name=azure-keyvault-cluster-store",
          "-o",
          "jsonpath={.items[*].reason}",
        ]);
        assert.match(storeEvents.stdout, /Valid/, "the cluster-scoped store's events are in default, as the API wants");
        // A ClusterExternalSecret: namespaces listed and watched, ExternalSecrets created and deleted, its finalizer
        // and status, all with these RBAC rules.
        const ces = await cp.kubectl(["apply", "--server-side", "-f", "-"], {
          stdin: JSON.stringify({
            apiVersion: "external-secrets.io/v1",
            kind: "ClusterExternalSecret",
            metadata: { name: "regcred-everywhere" },
            spec: {
              namespaces: ["jenkins"],
              externalSecretName: "regcred-from-ces",
              externalSecretSpec: { ...es!.spec, target: { ...es!.spec.target, name: "regcred-from-ces" } },
            },
          }),
        });
        assert.equal(ces.code, 0, ces.stderr);
        await eventually("the ClusterExternalSecret's child synced", async () => {
          const child = await getJson<ExternalSecret>(cp, ["es", "-n", "jenkins", "regcred-from-ces"]);
          const parent = await getJson<ClusterExternalSecret>(cp, ["ces", "regcred-everywhere"]);
          return ready(child)?.status === "True" && ready(parent)?.status === "True";
        });
        const deleted = await cp.kubectl(["delete", "ces", "regcred-everywhere", "--timeout=30s"]);
        assert.equal(deleted.code, 0, deleted.stderr);
        await eventually(
          "its child deleted",
          async () => (await cp.kubectl(["get", "es", "-n", "jenkins", "regcred-from-ces"])).code !== 0,
        );
        const refused = controller.logs().filter((l) => /Forbidden|"status":40[13]/.test(JSON.stringify(l)));
        assert.deepEqual(refused, [], "no request was refused");
        const failed = controller.logs().filter((l) => l.level === "warn" || l.level === "error");
        assert.deepEqual(failed, [], "no warnings or errors at all");
      },
    );
  } finally {
    await controller?.stop();
    await az.stop();
    await cp.stop();
  }
});
