/**
 * An ExternalSecret too large for its status to be stored (a 1.2 MB template: etcd refuses the object with a status
 * on it) says why in a Warning Event, instead of failing silently with no condition and no Event.
 */
import assert from "node:assert/strict";
import type { ExternalSecret } from "../../controller/api/types.ts";
import type { CoreEvent } from "../../controller/kube/types.ts";
import { startAzureEmulators } from "../harness/azure/mod.ts";
import { startControlPlane } from "../harness/control_plane.ts";
import { type ControllerProcess, startController } from "../harness/controller_process.ts";
import { apply, eventually, getJson, ready, seedStore } from "../harness/scenario.ts";

Deno.test("an ExternalSecret too large for a status says why in an Event", async () => {
  const cp = await startControlPlane();
  const az = await startAzureEmulators({ vaults: ["zaldre"] });
  let controller: ControllerProcess | undefined;
  try {
    await seedStore(cp, az, { clientId: "3c2b1a0f-size-client", clientSecret: "size-client-secret" });
    az.setSecret("zaldre", "small", "small-value-here");
    const ns = await cp.newNamespace("size");
    controller = await startController({
      kubeconfig: cp.kubeconfigPath,
      authorityHost: az.authorityHost,
      caCertPath: az.caCertPath,
    });
    await apply(cp, {
      apiVersion: "external-secrets.io/v1",
      kind: "ExternalSecret",
      metadata: { name: "huge", namespace: ns },
      spec: {
        refreshInterval: "1h",
        secretStoreRef: { kind: "ClusterSecretStore", name: "azure-keyvault-cluster-store" },
        target: { template: { data: { blob: "x".repeat(1_200_000), small: "{{ .small }}" } } },
        data: [{ secretKey: "small", remoteRef: { key: "small" } }],
      },
    });
    // Its status cannot be stored (etcd refuses the object with it), so the reason is an Event.
    const event = await eventually("an Event", async () => {
      const list = await getJson<{ items: CoreEvent[] }>(cp, ["events", "-n", ns]);
      return list?.items.find((e) => e.involvedObject.name === "huge" && e.reason === "UpdateFailed");
    }, 60_000);
    assert.equal(event.type, "Warning");
    assert.match(event.message ?? "", /too large for its status to be written/);
    assert.match(
      event.message ?? "",
      /Ready would be False: (could not render the target template|the Secret would hold)/,
    );
    assert.equal(ready(await getJson<ExternalSecret>(cp, ["externalsecret", "-n", ns, "huge"])), undefined);
  } finally {
    await controller?.stop();
    await az.stop();
    await cp.stop();
  }
});
