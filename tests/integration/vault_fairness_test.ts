/**
 * Fair shares of a vault's budget: one ExternalSecret reading many keys must not hold a vault's client-side rate
 * limit for every other ExternalSecret on it (a tenant with 2,000 keys delayed other namespaces' syncs by 18.7 s).
 * Real apiserver, emulators, the bundled controller with a low per-vault rate so the effect is measurable.
 */
import assert from "node:assert/strict";
import type { ExternalSecret } from "../../controller/api/types.ts";
import { startAzureEmulators } from "../harness/azure/mod.ts";
import { startControlPlane } from "../harness/control_plane.ts";
import { type ControllerProcess, startController } from "../harness/controller_process.ts";
import { apply, eventually, getJson, ready, seedStore } from "../harness/scenario.ts";

const KEYS = 200;
const RATE = 20; // requests per second to the vault: the greedy one needs KEYS / RATE = 10 s

// deno-lint-ignore no-console -- figures for the issue note
const report = (line: string): void => console.log(line);

Deno.test("an ExternalSecret with many keys cannot starve the others on its vault", async () => {
  const cp = await startControlPlane();
  const az = await startAzureEmulators({ vaults: ["zaldre"] });
  let controller: ControllerProcess | undefined;
  try {
    await seedStore(cp, az, { clientId: "6a5b4c3d-fair-client", clientSecret: "fair-client-secret" });
    for (let k = 0; k < KEYS; k++) az.setSecret("zaldre", `greedy-${k}`, `greedy-value-${k}`);
    az.setSecret("zaldre", "modest", "modest-value");
    const greedyNs = await cp.newNamespace("greedy");
    const modestNs = await cp.newNamespace("modest");
    controller = await startController({
      kubeconfig: cp.kubeconfigPath,
      authorityHost: az.authorityHost,
      caCertPath: az.caCertPath,
      args: [`--kv-requests-per-second=${RATE}`, "--kv-burst=2"],
    });
    const es = (ns: string, name: string, keys: string[]): unknown => ({
      apiVersion: "external-secrets.io/v1",
      kind: "ExternalSecret",
      metadata: { name, namespace: ns },
      spec: {
        refreshInterval: "1h",
        secretStoreRef: { kind: "ClusterSecretStore", name: "azure-keyvault-cluster-store" },
        data: keys.map((k, i) => ({ secretKey: `k${i}`, remoteRef: { key: k } })),
      },
    });
    const isReady = async (ns: string, name: string): Promise<boolean> =>
      ready(await getJson<ExternalSecret>(cp, ["externalsecret", "-n", ns, name]))?.status === "True";
    const started = Date.now();
    await apply(cp, es(greedyNs, "greedy", Array.from({ length: KEYS }, (_, k) => `greedy-${k}`)));
    await new Promise((r) => setTimeout(r, 1000));
    const modestAt = Date.now();
    await apply(cp, es(modestNs, "modest", ["modest"]));
    await eventually("the modest one synced", () => isReady(modestNs, "modest"), 30_000);
    const modestMs = Date.now() - modestAt;
    const greedyDoneEarly = await isReady(greedyNs, "greedy");
    await eventually("the greedy one synced too", () => isReady(greedyNs, "greedy"), 60_000);
    const greedyMs = Date.now() - started;
    report(
      `fair share: modest synced ${modestMs} ms after creation while greedy (${KEYS} keys at ${RATE}/s) took ${greedyMs} ms`,
    );
    assert.ok(
      !greedyDoneEarly,
      "the modest one finished while the greedy one was still reading (the case this checks)",
    );
    assert.ok(modestMs < 3000, `the modest ExternalSecret waited ${modestMs} ms behind the greedy one`);
  } finally {
    await controller?.stop();
    await az.stop();
    await cp.stop();
  }
});
