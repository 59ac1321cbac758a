/**
 * `dataFrom.extract` against a real apiserver, the Key Vault emulator over the real Azure SDK, and the bundled
 * controller, as ESO v2.9 leaves the cluster:
 *
 * - pkg/controllers/externalsecret/externalsecret_controller_secret.go (`GetProviderSecretData`,
 *   `handleExtractSecrets`): dataFrom items merge in order, then data[] entries override them; per item the keys are
 *   converted by `conversionStrategy` (no rewrite), checked, then values decoded by `decodingStrategy`;
 * - providers/v1/azure/keyvault/keyvault.go (`GetSecretMap`, `getSecretMapMap`, `getSecretTagsWithLegacySDK`): a JSON
 *   object becomes one key per top-level member (strings unquoted, other values as their JSON text), `property`
 *   narrows the value first, metadataPolicy Fetch gives `<name>_<tag>` (JSON tags exploded) and `<name>_attribute.*`,
 *   `cert/` and `key/` are refused; a value that is not a JSON object is an error;
 * - runtime/esutils/utils.go (`convert`): Default writes `_`, Unicode `_U%04x_`.
 */
import assert from "node:assert/strict";
import type { ExternalSecret } from "../../controller/api/types.ts";
import type { Secret } from "../../controller/kube/types.ts";
import { startAzureEmulators } from "../harness/azure/mod.ts";
import { startControlPlane } from "../harness/control_plane.ts";
import { type ControllerProcess, startController } from "../harness/controller_process.ts";
import { apply, eventually, getJson, ready, secretValue, seedStore } from "../harness/scenario.ts";

const STORE = { kind: "ClusterSecretStore", name: "azure-keyvault-cluster-store" };
const DB_JSON = '{"user": "admin", "port": 5432, "nested": {"a" : 1}, "my key/x": "k", "pass": "s3cr3t-db-pass"}';

function externalSecret(ns: string, name: string, spec: Record<string, unknown>): unknown {
  return {
    apiVersion: "external-secrets.io/v1",
    kind: "ExternalSecret",
    metadata: { name, namespace: ns },
    spec: { refreshInterval: "1h", secretStoreRef: STORE, ...spec },
  };
}

Deno.test("dataFrom.extract: keys, nesting, Fetch, conversion and decoding per item, merge order, errors", async (t) => {
  const cp = await startControlPlane();
  const az = await startAzureEmulators({ vaults: ["zaldre"] });
  let controller: ControllerProcess | undefined;
  try {
    await seedStore(cp, az, { clientId: "7c0a1d2e-extract-client", clientSecret: "extract-secret" });
    az.setSecret("zaldre", "db-json", DB_JSON, { tags: { env: "prod", owner: '{"team":"core"}' } });
    az.setSecret("zaldre", "override-json", JSON.stringify({ port: btoa("6543") }));
    az.setSecret("zaldre", "plain", "not-json-s3cr3t");
    const ns = await cp.newNamespace("extract");
    controller = await startController({
      kubeconfig: cp.kubeconfigPath,
      authorityHost: az.authorityHost,
      caCertPath: az.caCertPath,
    });
    await apply(
      cp,
      externalSecret(ns, "extracted", {
        dataFrom: [
          { extract: { key: "db-json" } },
          { extract: { key: "db-json", conversionStrategy: "Unicode" } },
          { extract: { key: "db-json", property: "nested" } },
          { extract: { key: "override-json", decodingStrategy: "Base64" } },
          { extract: { key: "db-json", metadataPolicy: "Fetch" } },
        ],
        data: [{ secretKey: "user", remoteRef: { key: "plain" } }],
      }),
      externalSecret(ns, "not-json", { dataFrom: [{ extract: { key: "plain" } }] }),
      externalSecret(ns, "from-cert", { dataFrom: [{ extract: { key: "cert/tls" } }] }),
      externalSecret(ns, "with-source", {
        dataFrom: [{
          extract: { key: "db-json" },
          sourceRef: { storeRef: { name: "other", kind: "ClusterSecretStore" } },
        }],
      }),
    );

    await t.step("one key per member; later items override earlier ones; data[] overrides dataFrom", async () => {
      const secret = await eventually("extracted", () => getJson<Secret>(cp, ["secret", "-n", ns, "extracted"]));
      const keys = Object.keys(secret.data ?? {}).sort();
      assert.deepEqual(keys, [
        "a",
        "db-json_attribute.created",
        "db-json_attribute.updated",
        "db-json_env",
        "db-json_owner_team",
        "my_U0020_key_U002f_x",
        "my_key_x",
        "nested",
        "pass",
        "port",
        "user",
      ]);
      assert.equal(secretValue(secret, "user"), "not-json-s3cr3t", "data[] overrides every dataFrom item");
      assert.equal(secretValue(secret, "port"), "6543", "the later extract wins, decoded by its own strategy");
      assert.equal(secretValue(secret, "nested"), '{"a" : 1}', "nested values keep their JSON text as written");
      assert.equal(secretValue(secret, "a"), "1", "property narrows the value before it is exploded");
      assert.equal(secretValue(secret, "my_key_x"), "k");
      assert.equal(secretValue(secret, "my_U0020_key_U002f_x"), "k");
      assert.equal(secretValue(secret, "db-json_env"), "prod");
      assert.equal(secretValue(secret, "db-json_owner_team"), "core", "a JSON tag explodes into its fields");
      assert.match(secretValue(secret, "db-json_attribute.created") ?? "", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      const es = await getJson<ExternalSecret>(cp, ["externalsecret", "-n", ns, "extracted"]);
      assert.equal(ready(es)?.reason, "SecretSynced");
      assert.equal(ready(es)?.status, "True");
    });

    await t.step("a value that is not a JSON object: Ready=False naming the item, no Secret, no value", async () => {
      const es = await eventually("not-json failed", async () => {
        const es = await getJson<ExternalSecret>(cp, ["externalsecret", "-n", ns, "not-json"]);
        return ready(es)?.reason === "SecretSyncedError" ? es : undefined;
      });
      assert.equal(ready(es)?.status, "False");
      assert.match(ready(es)?.message ?? "", /spec\.dataFrom\[0\]\.extract: the value of key plain is not valid JSON/);
      assert.doesNotMatch(ready(es)?.message ?? "", /s3cr3t/);
      assert.equal(await getJson<Secret>(cp, ["secret", "-n", ns, "not-json"]), undefined);
    });

    await t.step("cert/ is refused as ESO refuses it; sourceRef still says it is not supported", async () => {
      const cert = await eventually("from-cert failed", async () => {
        const es = await getJson<ExternalSecret>(cp, ["externalsecret", "-n", ns, "from-cert"]);
        return ready(es)?.reason === "SecretSyncedError" ? es : undefined;
      });
      assert.match(ready(cert)?.message ?? "", /certificate "tls": only secrets can be extracted into keys/);
      const source = await eventually("with-source failed", async () => {
        const es = await getJson<ExternalSecret>(cp, ["externalsecret", "-n", ns, "with-source"]);
        return ready(es)?.reason === "SecretSyncedError" ? es : undefined;
      });
      assert.match(ready(source)?.message ?? "", /spec\.dataFrom\[0\]\.sourceRef is not supported yet/);
    });

    await t.step("no secret value reached the controller's output", () => {
      const out = controller!.rawOutput();
      for (const v of ["s3cr3t-db-pass", "not-json-s3cr3t", btoa("6543")]) assert.ok(!out.includes(v), v);
    });
  } finally {
    await controller?.stop();
    await az.stop();
    await cp.stop();
  }
});
