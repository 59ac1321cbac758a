/**
 * deletionPolicy, creationPolicy Merge into a Secret nobody marked, target rename and metadata copy, against a real
 * apiserver, the Key Vault emulator over the real Azure SDK and the bundled controller, as ESO v2.9 leaves the
 * cluster:
 *
 * - pkg/controllers/externalsecret/externalsecret_controller_secret.go (`GetProviderSecretData`): with deletionPolicy
 *   Delete or Merge an item the provider has no secret for is skipped (Event MissingProviderSecret); with Retain it is
 *   an error and the Secret is left as it is;
 * - pkg/controllers/externalsecret/externalsecret_controller.go (`Reconcile`, `len(dataMap) == 0`): Delete deletes
 *   the Secret and marks Ready=True reason SecretDeleted, also when it never existed; Merge writes on, which drops the
 *   keys this ExternalSecret manages (`getManagedDataKeys`, managedFields of its field owner) and keeps the Secret;
 *   `deleteOrphanedSecrets` deletes a Secret it created under an earlier `target.name`;
 * - pkg/controllers/externalsecret/externalsecret_controller_template.go (`ApplyTemplate`, `setMetadata`): Merge
 *   keeps existing keys; without a template the ExternalSecret's labels and annotations are copied onto the Secret,
 *   and those it copied before and no longer has are removed.
 */
import assert from "node:assert/strict";
import type { ExternalSecret } from "../../controller/api/types.ts";
import type { Secret } from "../../controller/kube/types.ts";
import { startAzureEmulators } from "../harness/azure/mod.ts";
import { startControlPlane } from "../harness/control_plane.ts";
import { type ControllerProcess, startController } from "../harness/controller_process.ts";
import { apply, eventually, getJson, ready, secretValue, seedStore } from "../harness/scenario.ts";

const STORE = { kind: "ClusterSecretStore", name: "azure-keyvault-cluster-store" };

function externalSecret(
  ns: string,
  name: string,
  target: Record<string, unknown>,
  keys: string[],
  metadata: Record<string, unknown> = {},
): unknown {
  return {
    apiVersion: "external-secrets.io/v1",
    kind: "ExternalSecret",
    metadata: { name, namespace: ns, ...metadata },
    spec: {
      refreshInterval: "1h",
      secretStoreRef: STORE,
      target: { name, ...target },
      data: keys.map((k) => ({ secretKey: k, remoteRef: { key: k } })),
    },
  };
}

Deno.test("deletionPolicy, Merge into an unmarked Secret, target rename, metadata copy", async (t) => {
  const cp = await startControlPlane();
  const az = await startAzureEmulators({ vaults: ["zaldre"] });
  let controller: ControllerProcess | undefined;
  try {
    await seedStore(cp, az, { clientId: "3d2c1b0a-deletion-client", clientSecret: "deletion-secret" });
    for (const k of ["del-a", "del-b", "part-a", "part-b", "mrg-a", "mrg-b", "own-a", "own-b", "ret-a", "ren-a"]) {
      az.setSecret("zaldre", k, `value-of-${k}`);
    }
    const ns = await cp.newNamespace("deletion");
    const created = await cp.kubectl(["create", "secret", "generic", "shared", "-n", ns, "--from-literal=theirs=kept"]);
    assert.equal(created.code, 0, created.stderr);
    controller = await startController({
      kubeconfig: cp.kubeconfigPath,
      authorityHost: az.authorityHost,
      caCertPath: az.caCertPath,
    });
    const secret = (name: string): Promise<Secret | undefined> => getJson<Secret>(cp, ["secret", "-n", ns, name]);
    const es = (name: string): Promise<ExternalSecret | undefined> =>
      getJson<ExternalSecret>(cp, ["externalsecret", "-n", ns, name]);
    const reason = (name: string, want: string): Promise<ExternalSecret> =>
      eventually(`${name} ${want}`, async () => {
        const got = await es(name);
        return ready(got)?.reason === want ? got : undefined;
      });
    const forceSync = async (...names: string[]): Promise<void> => {
      const r = await cp.kubectl([
        "annotate",
        "externalsecret",
        "-n",
        ns,
        ...names,
        `force-sync=${Date.now()}`,
        "--overwrite",
      ]);
      assert.equal(r.code, 0, r.stderr);
    };
    const events = async (name: string): Promise<string[]> => {
      const r = await cp.kubectl([
        "get",
        "events",
        "-n",
        ns,
        "--field-selector",
        `involvedObject.kind=ExternalSecret,involvedObject.name=${name}`,
        "-o",
        'jsonpath={range .items[*]}{.reason}{"\\n"}{end}',
      ]);
      return r.stdout.split("\n").filter(Boolean);
    };

    await apply(
      cp,
      externalSecret(ns, "del-all", { deletionPolicy: "Delete" }, ["del-a", "del-b"]),
      externalSecret(ns, "del-part", { deletionPolicy: "Delete" }, ["part-a", "part-b"]),
      externalSecret(ns, "del-never", { deletionPolicy: "Delete" }, ["never-existed"]),
      externalSecret(ns, "own-merge", { deletionPolicy: "Merge" }, ["own-a", "own-b"]),
      externalSecret(ns, "mrg", { name: "shared", creationPolicy: "Merge", deletionPolicy: "Merge" }, [
        "mrg-a",
        "mrg-b",
      ]),
      externalSecret(ns, "retain", {}, ["ret-a"]),
      externalSecret(ns, "renamed", { name: "first-name" }, ["ren-a"], {
        labels: { team: "core", tier: "db" },
        annotations: { "example.com/note": "copied" },
      }),
    );
    for (const name of ["del-all", "del-part", "own-merge", "mrg", "retain", "renamed"]) {
      await reason(name, "SecretSynced");
    }

    await t.step("never existed, deletionPolicy Delete: Ready=True SecretDeleted, no Secret", async () => {
      const got = await reason("del-never", "SecretDeleted");
      assert.equal(ready(got)?.status, "True");
      assert.equal(await secret("del-never"), undefined);
      assert.ok((await events("del-never")).includes("MissingProviderSecret"));
    });

    await t.step("Merge into a Secret nobody marked: labelled, merged, existing keys kept, no owner", async () => {
      const s = await secret("shared");
      assert.equal(secretValue(s, "theirs"), "kept");
      assert.equal(secretValue(s, "mrg-a"), "value-of-mrg-a");
      assert.equal(s?.metadata?.labels?.["reconcile.external-secrets.io/managed"], "true");
      assert.equal(s?.metadata?.ownerReferences, undefined);
      const full = await getJson<Secret>(cp, ["secret", "-n", ns, "shared", "--show-managed-fields"]);
      const managers = (full?.metadata?.managedFields as { manager: string }[]).map((m) => m.manager);
      assert.ok(managers.includes("externalsecrets.external-secrets.io/mrg"), "ESO's field owner");
    });

    await t.step("metadata copy without a template: the ExternalSecret's labels and annotations", async () => {
      const s = await secret("first-name");
      assert.equal(s?.metadata?.labels?.team, "core");
      assert.equal(s?.metadata?.annotations?.["example.com/note"], "copied");
    });

    await t.step("the vault secrets go: Delete deletes or trims, Merge trims and keeps, Retain fails", async () => {
      for (const k of ["del-a", "del-b", "part-b", "own-a", "own-b", "mrg-b", "ret-a"]) az.deleteSecret("zaldre", k);
      await forceSync("del-all", "del-part", "own-merge", "mrg", "retain");

      const all = await reason("del-all", "SecretDeleted");
      assert.equal(ready(all)?.status, "True");
      await eventually("del-all Secret deleted", async () => (await secret("del-all")) === undefined);
      assert.ok((await events("del-all")).includes("Deleted"));

      const part = await eventually("del-part trimmed", async () => {
        const s = await secret("del-part");
        return s && !("part-b" in (s.data ?? {})) ? s : undefined;
      });
      assert.deepEqual(Object.keys(part.data ?? {}), ["part-a"], "only the keys still backed");
      assert.equal(ready(await es("del-part"))?.reason, "SecretSynced");

      const own = await eventually("own-merge emptied", async () => {
        const s = await secret("own-merge");
        return s && Object.keys(s.data ?? {}).length === 0 ? s : undefined;
      });
      assert.ok(own.metadata?.uid, "deletionPolicy Merge keeps the Secret");

      const shared = await eventually("shared trimmed", async () => {
        const s = await secret("shared");
        return s && !("mrg-b" in (s.data ?? {})) ? s : undefined;
      });
      assert.deepEqual(Object.keys(shared.data ?? {}).sort(), ["mrg-a", "theirs"], "others' keys stay");

      const retain = await reason("retain", "SecretSyncedError");
      assert.match(ready(retain)?.message ?? "", /deletionPolicy Retain/);
      assert.equal(secretValue(await secret("retain"), "ret-a"), "value-of-ret-a", "left as it is");
    });

    await t.step("target rename: the Secret created under the old name is deleted", async () => {
      const r = await cp.kubectl([
        "patch",
        "externalsecret",
        "-n",
        ns,
        "renamed",
        "--type=merge",
        "-p",
        JSON.stringify({ metadata: { labels: { tier: null } }, spec: { target: { name: "second-name" } } }),
      ]);
      assert.equal(r.code, 0, r.stderr);
      const second = await eventually("second-name", () => secret("second-name"));
      assert.equal(secretValue(second, "ren-a"), "value-of-ren-a");
      assert.equal(second.metadata?.labels?.team, "core");
      assert.equal(second.metadata?.labels?.tier, undefined, "a label removed from the ExternalSecret is not copied");
      await eventually("first-name deleted", async () => (await secret("first-name")) === undefined);
    });

    await t.step("a label removed from the ExternalSecret is removed from its Secret", async () => {
      const r = await cp.kubectl(["label", "externalsecret", "-n", ns, "renamed", "team-"]);
      assert.equal(r.code, 0, r.stderr);
      await eventually("team label gone", async () => {
        const s = await secret("second-name");
        return s && s.metadata?.labels?.team === undefined;
      });
    });
  } finally {
    await controller?.stop();
    await az.stop();
    await cp.stop();
  }
});
