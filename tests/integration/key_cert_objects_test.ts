/**
 * `key/` and `cert/` objects against a real apiserver, the Key Vault emulator over the real Azure SDKs (keys and
 * certificates) and the bundled controller, as ESO v2.9 leaves the cluster (providers/v1/azure/keyvault/keyvault.go
 * `getSecretWithLegacySDK`): `key/<name>` is the JWK marshalled as JSON (public parts only: Key Vault never exports
 * a private key), `property` selects inside it; `cert/<name>` is the certificate's DER (`Cer`), no key; `version`
 * reaches both; metadataPolicy Fetch gives tags and attributes; a missing object is NoSecretError.
 */
import assert from "node:assert/strict";
import type { ExternalSecret } from "../../controller/api/types.ts";
import type { Secret } from "../../controller/kube/types.ts";
import { startAzureEmulators } from "../harness/azure/mod.ts";
import { startControlPlane } from "../harness/control_plane.ts";
import { type ControllerProcess, startController } from "../harness/controller_process.ts";
import { apply, eventually, getJson, ready, secretValue, seedStore } from "../harness/scenario.ts";

const STORE = { kind: "ClusterSecretStore", name: "azure-keyvault-cluster-store" };

function der(pem: string): Uint8Array {
  const body = pem.split("\n").filter((l) => l && !l.startsWith("-----")).join("");
  return Uint8Array.fromBase64(body);
}

Deno.test("key/ and cert/ objects: JWK JSON with property, certificate DER, versions, Fetch, missing", async (t) => {
  const cp = await startControlPlane();
  const az = await startAzureEmulators({ vaults: ["zaldre"] });
  let controller: ControllerProcess | undefined;
  try {
    await seedStore(cp, az, { clientId: "1f2e3d4c-objects-client", clientSecret: "objects-secret" });
    const key = await az.createKey("zaldre", "signing", { kty: "RSA", tags: { purpose: "jwt" } });
    const first = await az.createCertificate("zaldre", "tls", { subject: "CN=first.example" });
    const second = await az.createCertificate("zaldre", "tls", { subject: "CN=second.example" });
    const ns = await cp.newNamespace("objects");
    controller = await startController({
      kubeconfig: cp.kubeconfigPath,
      authorityHost: az.authorityHost,
      caCertPath: az.caCertPath,
    });
    await apply(cp, {
      apiVersion: "external-secrets.io/v1",
      kind: "ExternalSecret",
      metadata: { name: "objects", namespace: ns },
      spec: {
        refreshInterval: "1h",
        secretStoreRef: STORE,
        data: [
          { secretKey: "jwk", remoteRef: { key: "key/signing" } },
          { secretKey: "kty", remoteRef: { key: "key/signing", property: "kty" } },
          { secretKey: "jwk-v", remoteRef: { key: "key/signing", version: key.version } },
          { secretKey: "key-tags", remoteRef: { key: "key/signing", metadataPolicy: "Fetch", property: "purpose" } },
          { secretKey: "cert", remoteRef: { key: "cert/tls" } },
          { secretKey: "cert-first", remoteRef: { key: "cert/tls", version: first.version } },
        ],
      },
    }, {
      apiVersion: "external-secrets.io/v1",
      kind: "ExternalSecret",
      metadata: { name: "missing", namespace: ns },
      spec: {
        refreshInterval: "1h",
        secretStoreRef: STORE,
        data: [{ secretKey: "k", remoteRef: { key: "key/nope" } }],
      },
    });

    await t.step("key/: the JWK as ESO marshals it; property selects; version reaches Key Vault", async () => {
      const s = await eventually("objects", () => getJson<Secret>(cp, ["secret", "-n", ns, "objects"]));
      const jwk = JSON.parse(secretValue(s, "jwk")!);
      assert.deepEqual(Object.keys(jwk).slice(0, 2), ["kid", "kty"], "go-autorest's field order");
      assert.equal(jwk.kty, "RSA");
      assert.equal(jwk.kid, key.kid);
      assert.match(jwk.n, /^[A-Za-z0-9_-]+$/, "unpadded base64url");
      assert.equal(jwk.e, "AQAB");
      assert.equal(jwk.d, undefined, "Key Vault never returns the private key");
      assert.equal(secretValue(s, "kty"), "RSA");
      assert.equal(secretValue(s, "jwk-v"), secretValue(s, "jwk"));
      assert.equal(secretValue(s, "key-tags"), "jwt");
      const es = await getJson<ExternalSecret>(cp, ["externalsecret", "-n", ns, "objects"]);
      assert.equal(ready(es)?.reason, "SecretSynced");
    });

    await t.step("cert/: the certificate's DER, latest or the version asked for", async () => {
      const s = await getJson<Secret>(cp, ["secret", "-n", ns, "objects"]);
      assert.deepEqual(Uint8Array.fromBase64(s!.data!.cert!), der(second.certPem));
      assert.deepEqual(Uint8Array.fromBase64(s!.data!["cert-first"]!), der(first.certPem));
    });

    await t.step("a missing key: Ready=False, not found, no Secret", async () => {
      const es = await eventually("missing failed", async () => {
        const es = await getJson<ExternalSecret>(cp, ["externalsecret", "-n", ns, "missing"]);
        return ready(es)?.reason === "SecretSyncedError" ? es : undefined;
      });
      assert.match(ready(es)?.message ?? "", /key "nope" not found/);
      assert.equal(await getJson<Secret>(cp, ["secret", "-n", ns, "missing"]), undefined);
    });
  } finally {
    await controller?.stop();
    await az.stop();
    await cp.stop();
  }
});
