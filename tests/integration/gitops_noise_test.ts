/**
 * `--ignored-metadata-prefixes` on real parts (ESO#3979, opt-in): Flux and Argo CD rewrite their own labels and
 * annotations on every commit; with the flag those changes neither read the vault nor rewrite anything, while any
 * other label or annotation change, and force-sync, still re-sync. Without the flag (the default) the controller does
 * what ESO does: ESO's `GetResourceVersion` hashes every label and annotation
 * (`pkg/controllers/externalsecret/externalsecret_controller.go`, `runtime/esutils/utils.go`), so each re-syncs.
 */
import assert from "node:assert/strict";
import type { ExternalSecret } from "../../controller/api/types.ts";
import { startAzureEmulators } from "../harness/azure/mod.ts";
import { startControlPlane } from "../harness/control_plane.ts";
import { bundle, type ControllerProcess, startController } from "../harness/controller_process.ts";
import { apply, eventually, getJson, ready, seedStore } from "../harness/scenario.ts";

const GET = "GET /secrets/{name}/{version}";
const FLUX = "kustomize.toolkit.fluxcd.io/";
const ARGO = "argocd.argoproj.io/";
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

Deno.test("--ignored-metadata-prefixes: GitOps bookkeeping does not re-sync; other changes and force-sync do", async (t) => {
  const cp = await startControlPlane();
  const az = await startAzureEmulators({ vaults: ["zaldre"] });
  const controllers: ControllerProcess[] = [];
  const start = async (args: string[]): Promise<void> => {
    controllers.push(
      await startController({
        kubeconfig: cp.kubeconfigPath,
        authorityHost: az.authorityHost,
        caCertPath: az.caCertPath,
        args,
      }),
    );
  };
  try {
    await seedStore(cp, az, { clientId: "0b7e8f4c-gitops-client", clientSecret: "gitops-secret" });
    az.setSecret("zaldre", "docker-config", "registry-credential-1");
    const ns = await cp.newNamespace("gitops");
    const es = async (): Promise<ExternalSecret> => (await getJson<ExternalSecret>(cp, ["es", "-n", ns, "regcred"]))!;
    const gets = (afterSeq: number): number =>
      az.requests({ service: "keyvault", route: GET, afterSeq }).filter((r) => r.status === 200).length;
    const annotate = async (...kv: string[]): Promise<void> => {
      const r = await cp.kubectl(["annotate", "es", "-n", ns, "regcred", "--overwrite", ...kv]);
      assert.equal(r.code, 0, r.stderr);
    };
    /** Changes metadata, waits for the controller to have seen it, and says whether it re-synced (a vault read). */
    const resynced = async (change: () => Promise<void>): Promise<boolean> => {
      const from = az.counters().lastSeq;
      const before = (await es()).status?.refreshTime;
      await change();
      await sleep(3000);
      const after = (await es()).status?.refreshTime;
      return gets(from) > 0 || after !== before;
    };

    await start([`--ignored-metadata-prefixes=${FLUX},${ARGO}`]);
    await apply(cp, {
      apiVersion: "external-secrets.io/v1",
      kind: "ExternalSecret",
      metadata: {
        name: "regcred",
        namespace: ns,
        labels: { app: "jenkins", [`${FLUX}name`]: "apps" },
        annotations: { [`${ARGO}tracking-id`]: "apps:v1" },
      },
      spec: {
        refreshInterval: "1h",
        secretStoreRef: { kind: "ClusterSecretStore", name: "azure-keyvault-cluster-store" },
        data: [{ secretKey: "config", remoteRef: { key: "docker-config" } }],
      },
    });
    await eventually("synced", async () => ready(await es())?.status === "True", 30_000);
    await sleep(1100); // refreshTime has whole seconds: a re-sync from now on shows in it

    await t.step("Flux and Argo CD bookkeeping changes: no vault read, no status write", async () => {
      assert.equal(await resynced(() => annotate(`${ARGO}tracking-id=apps:v2`, `${FLUX}checksum=abc`)), false);
      const r = await cp.kubectl(["label", "es", "-n", ns, "regcred", "--overwrite", `${FLUX}name=apps-2`]);
      assert.equal(r.code, 0, r.stderr);
      await sleep(3000);
      assert.equal(ready(await es())?.status, "True");
    });

    await t.step("another annotation, or force-sync, still re-syncs", async () => {
      assert.equal(await resynced(() => annotate("team=platform")), true);
      await sleep(1100);
      assert.equal(await resynced(() => annotate(`external-secrets.io/force-sync=${Date.now()}`)), true);
    });

    await t.step("without the flag, as ESO: a bookkeeping change re-syncs", async () => {
      assert.equal(await controllers.pop()!.stop(), 0);
      await start([]);
      await sleep(3000); // the new controller's first pass: the status' hash was made without Flux/Argo keys
      await sleep(1100);
      assert.equal(await resynced(() => annotate(`${ARGO}tracking-id=apps:v3`)), true);
    });

    await t.step("a prefix that would swallow force-sync is refused at start", async () => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--quiet",
          "--no-config",
          "--cached-only",
          "-A",
          await bundle("controller/main.ts", "kv-operator"),
          "--ignored-metadata-prefixes=external-secrets.io/",
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(out.code, 2);
      assert.match(new TextDecoder().decode(out.stderr), /would also ignore external-secrets\.io\/force-sync/);
    });
  } finally {
    for (const c of controllers) await c.stop().catch(() => {});
    await az.stop();
    await cp.stop();
  }
});
