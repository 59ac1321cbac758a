/**
 * The CRDs in `crds/` against a real kube-apiserver: the seed's manifests are admitted unchanged, ESO's defaults and
 * printer columns are there, and invalid objects are rejected by the API server with a message that says why.
 */
import assert from "node:assert/strict";
import type {
  ClusterExternalSecret,
  ClusterSecretStore,
  ExternalSecret,
  SecretStore,
} from "../../controller/api/types.ts";
import { type ControlPlane, startControlPlane } from "../harness/control_plane.ts";

const SEED = new URL("../../../shared/seed/manifests/", import.meta.url).pathname;
const SEED_FILES = [
  "01-externalsecret-regcred.yaml",
  "02-secretstore-workload-identity.yaml",
  "03-secret-azure-credentials.yaml",
  "04-clustersecretstore-service-principal.yaml",
  "05-secretstore-service-principal.yaml",
];

async function getJson<T>(cp: ControlPlane, args: string[]): Promise<T> {
  const r = await cp.kubectl(["get", ...args, "-o", "json"]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/** Applies a manifest and returns kubectl's result (the caller asserts success or the rejection message). */
function apply(cp: ControlPlane, manifest: string): ReturnType<ControlPlane["kubectl"]> {
  return cp.kubectl(["apply", "--server-side", "--field-manager=crds-test", "-f", "-"], { stdin: manifest });
}

function externalSecret(ns: string, name: string, spec: string): string {
  return `apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: ${name}, namespace: ${ns}}
spec:
${spec}`;
}

const VALID_DATA = `  data:
    - secretKey: k
      remoteRef: {key: some-secret}`;

Deno.test("CRDs on a real kube-apiserver", async (t) => {
  const cp = await startControlPlane();
  try {
    await t.step("all seed manifests are admitted unchanged by server-side apply", async () => {
      for (const ns of ["jenkins", "my-namespace", "external-secrets"]) {
        assert.equal((await cp.kubectl(["create", "namespace", ns])).code, 0);
      }
      for (const file of SEED_FILES) {
        const r = await cp.kubectl(["apply", "--server-side", "-f", `${SEED}${file}`]);
        assert.equal(r.code, 0, `${file}: ${r.stderr}`);
        assert.match(r.stdout, /serverside-applied/);
      }
    });

    await t.step("the seed's objects carry ESO's defaults", async () => {
      const es = await getJson<ExternalSecret>(cp, ["externalsecret", "-n", "jenkins", "regcred"]);
      assert.equal(es.spec.refreshInterval, "24h");
      assert.equal(es.spec.refreshPolicy, "Periodic");
      assert.equal(es.spec.target?.creationPolicy, "Owner");
      assert.equal(es.spec.target?.deletionPolicy, "Retain");
      assert.equal(es.spec.target?.template?.engineVersion, "v2");
      assert.equal(es.spec.target?.template?.mergePolicy, "Replace");
      assert.equal(es.spec.target?.template?.data?.[".dockerconfigjson"], "{{ .dockerconfig }}");
      // ESO v2.9's CRDs (deploy/crds/bundle.yaml) default no remoteRef field: its code applies Default/None/None when
      // they are left out. Defaulting them here would read back differently and show as drift in GitOps tools.
      assert.deepEqual(es.spec.data?.[0]?.remoteRef, { key: "docker-config-json" });
      const css = await getJson<ClusterSecretStore>(cp, ["clustersecretstore", "azure-keyvault-cluster-store"]);
      assert.equal(css.spec.provider.azurekv?.authType, "ServicePrincipal");
      assert.equal(css.spec.provider.azurekv?.environmentType, "PublicCloud");
      assert.equal(css.spec.provider.azurekv?.authSecretRef?.clientSecret?.namespace, "external-secrets");
      const ss = await getJson<SecretStore>(cp, ["secretstore", "-n", "my-namespace", "azure-keyvault-ns-store"]);
      assert.equal(ss.spec.provider.azurekv?.authType, "WorkloadIdentity");
      assert.equal(ss.spec.provider.azurekv?.vaultUrl, "https://<VAULT_NAME>.vault.azure.net/");
    });

    await t.step("an ExternalSecret without refreshInterval gets ESO's 1h0m0s", async () => {
      const r = await apply(cp, externalSecret("jenkins", "defaults", `  secretStoreRef: {name: s}\n${VALID_DATA}`));
      assert.equal(r.code, 0, r.stderr);
      const es = await getJson<ExternalSecret>(cp, ["es", "-n", "jenkins", "defaults"]);
      // Spelled as ESO's CRD has it (Go's Duration.String()), so the object reads back as under ESO.
      assert.equal(es.spec.refreshInterval, "1h0m0s");
      assert.deepEqual(es.spec.target, { creationPolicy: "Owner", deletionPolicy: "Retain" });
      assert.deepEqual(es.spec.data?.[0]?.remoteRef, { key: "some-secret" });
    });

    await t.step("kubectl get es,ss,css -A shows ESO's columns", async () => {
      const r = await cp.kubectl(["get", "es,ss,css", "-A"]);
      assert.equal(r.code, 0, r.stderr);
      const headers = r.stdout.split("\n").filter((l) => l.startsWith("NAMESPACE") || l.startsWith("NAME "));
      assert.equal(headers.length, 3, r.stdout);
      assert.match(
        headers[0]!,
        /^NAMESPACE\s+NAME\s+STORETYPE\s+STORE\s+REFRESH INTERVAL\s+STATUS\s+READY\s+LAST SYNC$/,
      );
      assert.match(headers[1]!, /^NAMESPACE\s+NAME\s+AGE\s+STATUS\s+CAPABILITIES\s+READY$/);
      assert.match(headers[2]!, /^NAMESPACE\s+NAME\s+AGE\s+STATUS\s+CAPABILITIES\s+READY$/);
      assert.match(r.stdout, /\n\s+clustersecretstore\.external-secrets\.io\/azure-keyvault-cluster-store\s/);
      assert.match(
        r.stdout,
        /jenkins\s+externalsecret\.external-secrets\.io\/regcred\s+ClusterSecretStore\s+azure-keyvault-cluster-store\s+24h/,
      );
    });

    await t.step(
      "a ClusterExternalSecret: cluster-scoped, ESO's columns and short name, its template checked",
      async () => {
        // ESO: apis/externalsecrets/v1/clusterexternalsecret_types.go (printcolumn Store, Refresh Interval, Ready).
        const ok = await apply(
          cp,
          `apiVersion: external-secrets.io/v1
kind: ClusterExternalSecret
metadata: {name: regcred}
spec:
  namespaceSelectors: [{matchLabels: {registry: "yes"}}]
  refreshTime: 1m
  externalSecretSpec:
    secretStoreRef: {kind: ClusterSecretStore, name: azure-keyvault-cluster-store}
${VALID_DATA.replaceAll("\n", "\n  ").replace(/^/, "  ")}`,
        );
        assert.equal(ok.code, 0, ok.stderr);
        const ces = await getJson<ClusterExternalSecret>(cp, ["ces", "regcred"]);
        assert.equal(ces.metadata.namespace, undefined, "cluster-scoped");
        // The template gets the ExternalSecret's defaults, so its children read back as ESO's do.
        assert.equal(ces.spec.externalSecretSpec.refreshInterval, "1h0m0s");
        assert.deepEqual(ces.spec.externalSecretSpec.target, { creationPolicy: "Owner", deletionPolicy: "Retain" });
        const r = await cp.kubectl(["get", "ces"]);
        assert.match(r.stdout, /^NAME\s+STORE\s+REFRESH INTERVAL\s+READY\n/);
        assert.match(r.stdout, /\nregcred\s+azure-keyvault-cluster-store\s+1m\s/);
        const cases: [string, RegExp][] = [
          // The template is an ExternalSecret spec and is refused as one would be.
          [`  externalSecretSpec: {secretStoreRef: {name: s}}`, /either data or dataFrom should be specified/],
          [
            `  refreshTime: soon\n  externalSecretSpec:\n${VALID_DATA.replaceAll("\n", "\n  ").replace(/^/, "  ")}`,
            /refreshTime/,
          ],
          [
            `  namespaces: [Not_A_Name]\n  externalSecretSpec:\n${
              VALID_DATA.replaceAll("\n", "\n  ").replace(/^/, "  ")
            }`,
            /namespaces\[0\]/,
          ],
        ];
        for (const [spec, message] of cases) {
          const bad = await apply(
            cp,
            `apiVersion: external-secrets.io/v1
kind: ClusterExternalSecret
metadata: {name: bad}
spec:
${spec}`,
          );
          assert.notEqual(bad.code, 0, spec);
          assert.match(bad.stderr, message);
        }
      },
    );

    await t.step("short names and the external-secrets category resolve", async () => {
      for (const args of [["es", "-n", "jenkins"], ["ss", "-A"], ["css"], ["ces"], ["external-secrets", "-A"]]) {
        const r = await cp.kubectl(["get", ...args, "-o", "name"]);
        assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
        assert.notEqual(r.stdout.trim(), "", args.join(" "));
      }
      const all = await cp.kubectl(["get", "external-secrets", "-A", "-o", "name"]);
      assert.match(all.stdout, /externalsecret\.external-secrets\.io\/regcred/);
      assert.match(all.stdout, /clustersecretstore\.external-secrets\.io\/azure-keyvault-cluster-store/);
    });

    await t.step("selectable fields: ExternalSecrets can be filtered by store name on the server", async () => {
      const r = await cp.kubectl([
        "get",
        "es",
        "-A",
        "--field-selector=spec.secretStoreRef.name=azure-keyvault-cluster-store",
        "-o",
        "name",
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), "externalsecret.external-secrets.io/regcred");
    });

    await t.step("another provider's block is admitted and kept as given", async () => {
      const r = await apply(
        cp,
        `apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: from-vault, namespace: jenkins}
spec:
  provider:
    vault:
      server: https://vault.example:8200
      path: secret
      auth: {tokenSecretRef: {name: t, key: token}}`,
      );
      assert.equal(r.code, 0, r.stderr);
      const ss = await getJson<SecretStore>(cp, ["ss", "-n", "jenkins", "from-vault"]);
      assert.deepEqual((ss.spec.provider.vault as { auth?: unknown }).auth, {
        tokenSecretRef: { name: "t", key: "token" },
      });
    });

    const rejects = async (manifest: string, expected: RegExp): Promise<void> => {
      const r = await apply(cp, manifest);
      assert.notEqual(r.code, 0, `expected a rejection, got: ${r.stdout}`);
      assert.match(r.stderr, expected);
    };

    await t.step("rejects: a bad creationPolicy enum value", async () => {
      await rejects(
        externalSecret(
          "jenkins",
          "bad-enum",
          `  secretStoreRef: {name: s}\n  target: {creationPolicy: Sometimes}\n${VALID_DATA}`,
        ),
        /spec\.target\.creationPolicy: Unsupported value: "Sometimes": supported values: "Owner", "Orphan", "Merge", "None", "CreateOrMerge"/,
      );
    });

    await t.step("rejects: a bad secretStoreRef.kind enum value", async () => {
      await rejects(
        externalSecret("jenkins", "bad-kind", `  secretStoreRef: {name: s, kind: Vault}\n${VALID_DATA}`),
        /spec\.secretStoreRef\.kind: Unsupported value: "Vault"/,
      );
    });

    await t.step("rejects: a bad authType enum value on a store", async () => {
      await rejects(
        `apiVersion: external-secrets.io/v1
kind: ClusterSecretStore
metadata: {name: bad-auth}
spec: {provider: {azurekv: {vaultUrl: "https://x.vault.azure.net", authType: Password}}}`,
        /spec\.provider\.azurekv\.authType: Unsupported value: "Password": supported values: "ServicePrincipal", "ManagedIdentity", "WorkloadIdentity"/,
      );
    });

    await t.step("rejects: a missing secretStoreRef.name", async () => {
      await rejects(
        externalSecret("jenkins", "no-store-name", `  secretStoreRef: {kind: ClusterSecretStore}\n${VALID_DATA}`),
        /spec\.secretStoreRef\.name: Required value/,
      );
    });

    await t.step("rejects: a data[].secretKey with invalid characters", async () => {
      await rejects(
        externalSecret(
          "jenkins",
          "bad-key",
          `  secretStoreRef: {name: s}\n  data:\n    - secretKey: "db password"\n      remoteRef: {key: k}`,
        ),
        /spec\.data\[0\]\.secretKey: Invalid value: "db password": spec\.data\[0\]\.secretKey in body should match '\^\[-\._a-zA-Z0-9\]\+\$'/,
      );
    });

    await t.step("rejects: both clientSecret and clientCertificate", async () => {
      await rejects(
        `apiVersion: external-secrets.io/v1
kind: ClusterSecretStore
metadata: {name: both-credentials}
spec:
  provider:
    azurekv:
      tenantId: t
      vaultUrl: https://x.vault.azure.net
      authSecretRef:
        clientId: {name: c, key: id, namespace: external-secrets}
        clientSecret: {name: c, key: secret, namespace: external-secrets}
        clientCertificate: {name: c, key: cert, namespace: external-secrets}`,
        /spec\.provider\.azurekv\.authSecretRef: Invalid value: "object": clientSecret and clientCertificate are mutually exclusive/,
      );
    });

    await t.step("rejects: a refreshInterval that is not a Go duration", async () => {
      await rejects(
        externalSecret(
          "jenkins",
          "bad-interval",
          `  secretStoreRef: {name: s}\n  refreshInterval: 1 hour\n${VALID_DATA}`,
        ),
        /spec\.refreshInterval: Invalid value: "1 hour"/,
      );
    });

    await t.step("rejects: an ExternalSecret with neither data nor dataFrom", async () => {
      await rejects(
        externalSecret("jenkins", "empty", `  secretStoreRef: {name: s}`),
        /either data or dataFrom should be specified/,
      );
    });

    await t.step("rejects: deletionPolicy Delete with creationPolicy Merge", async () => {
      await rejects(
        externalSecret(
          "jenkins",
          "delete-merge",
          `  secretStoreRef: {name: s}\n  target: {creationPolicy: Merge, deletionPolicy: Delete}\n${VALID_DATA}`,
        ),
        /deletionPolicy Delete needs creationPolicy Owner or Orphan/,
      );
    });

    await t.step("rejects: two providers in one store", async () => {
      await rejects(
        `apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: two-providers, namespace: jenkins}
spec:
  provider:
    azurekv: {vaultUrl: "https://x.vault.azure.net"}
    vault: {server: "https://v"}`,
        /spec\.provider: Too many: 2: must have at most 1 item/,
      );
    });

    await t.step("rejects: a dataFrom entry with nothing to fetch", async () => {
      await rejects(
        externalSecret("jenkins", "empty-datafrom", `  secretStoreRef: {name: s}\n  dataFrom:\n    - rewrite: []`),
        /each dataFrom entry needs one of extract, find or sourceRef/,
      );
    });
  } finally {
    await cp.stop();
  }
});
