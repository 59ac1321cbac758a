/**
 * Moving a cluster from ESO to this operator in place, as docs/migrating-from-eso.md tells people to, on a real
 * kube-apiserver whose CRDs carry ESO's history (`tests/harness/eso_cluster.ts`): the documented install command works
 * over ESO's Helm-owned CRDs, what ESO synced is taken over without a single Secret write or Key Vault read, two
 * controller classes share a cluster, and the documented uninstall deletes no CRD and no namespace that was there.
 *
 * The commands run are the document's own (its shell blocks), so the page and this test cannot drift apart.
 */
import assert from "node:assert/strict";
import type { ExternalSecret } from "../../controller/api/types.ts";
import { buildPlugin } from "../../kubectl-plugin/build.ts";
import type { Secret } from "../../controller/kube/types.ts";
import { startAzureEmulators } from "../harness/azure/mod.ts";
import { ROUTES } from "../harness/azure/key_vault.ts";
import { startControlPlane } from "../harness/control_plane.ts";
import { type ControllerProcess, type LogLine, startController } from "../harness/controller_process.ts";
import { runShell, shellBlock } from "../harness/doc_commands.ts";
import { CRD_NAMES, installEsoCrds, syncAsEso, validateAsEso } from "../harness/eso_cluster.ts";
import { apply, eventually, getJson, ready, seedManifest } from "../harness/scenario.ts";

const DOC = await Deno.readTextFile(new URL("../../docs/migrating-from-eso.md", import.meta.url));
/** The install command: the first shell block with `kubectl apply` in it. */
const INSTALL = shellBlock(DOC, "kubectl apply", (b) => b.includes("kubectl apply"));
const START = shellBlock(
  DOC,
  "kubectl apply -k deploy/overlays/",
  (b) => /kubectl apply .*-k deploy\/overlays\//.test(b),
);
const PIN = shellBlock(DOC, 'the stores pinned to "default"', (b) => b.includes('"controller":"default"'));
const MOVE = shellBlock(DOC, 'a store moved to "kv-operator"', (b) => b.includes('"controller":"kv-operator"'));
/** The verification: every ExternalSecret Ready, as the plugin reports it. */
const VERIFY = shellBlock(DOC, "kubectl externalsecret status", (b) => b.includes("kubectl externalsecret status"))
  .split("\n").find((l) => l.startsWith("kubectl externalsecret status"))!;
/** The uninstall command: the line of the uninstall block that asks the server for a dry run. */
const UNINSTALL_DRY_RUN = shellBlock(
  DOC,
  "kubectl delete ... --dry-run=server",
  (b) => /kubectl delete .*--dry-run=server/.test(b),
)
  .split("\n").find((l) => l.includes("--dry-run=server"))!;

const VALUE = '{"auths":{"registry.example":{"auth":"ZXNvOmhhbmRvdmVy"}}}';
const CLIENT_ID = "6c1e2f7a-migration-client";

/** Every value of `before` is in `after` (objects may gain fields, e.g. defaults of the new CRD, but lose none). */
function assertKept(before: unknown, after: unknown, path = ""): void {
  if (before !== null && typeof before === "object" && !Array.isArray(before)) {
    assert.ok(after !== null && typeof after === "object", `${path} is gone`);
    for (const [k, v] of Object.entries(before)) assertKept(v, (after as Record<string, unknown>)[k], `${path}.${k}`);
  } else if (Array.isArray(before)) {
    assert.ok(Array.isArray(after) && after.length === before.length, `${path} changed length`);
    before.forEach((v, i) => assertKept(v, (after as unknown[])[i], `${path}[${i}]`));
  } else {
    assert.deepEqual(after, before, `${path} changed`);
  }
}

/** True once the controller's gauge says the ClusterSecretStore is Ready (it validated it). */
async function storeReady(c: ControllerProcess, name: string): Promise<boolean> {
  const text = await fetch(`${c.metricsUrl}/metrics`).then((r) => r.text());
  return new RegExp(
    `^clustersecretstore_status_condition\\{(?=[^}]*name="${name}")(?=[^}]*status="True")[^}]*\\} 1$`,
    "m",
  )
    .test(text);
}

const about = (namespace: string, name: string) => (l: LogLine): boolean =>
  l.namespace === namespace && l.name === name;

Deno.test("moving a cluster from ESO in place", async (t) => {
  const cp = await startControlPlane({ crds: false });
  const az = await startAzureEmulators({ vaults: ["zaldre"] });
  const controllers: ControllerProcess[] = [];
  // The plugin as it ships (built meanwhile), for the document's verification step.
  const pluginRoot = await Deno.makeTempDir({ prefix: "kv-plugin-" });
  const plugin = buildPlugin(`${pluginRoot}/`);
  const run = async (script: string): Promise<string> => {
    const r = await runShell(script, cp.kubeconfigPath);
    assert.equal(r.code, 0, `${script}\n--- stderr ---\n${r.stderr}`);
    return r.stdout;
  };
  // Every GET of a secret, whatever its outcome; and the ones that returned a value (a client's first request to a
  // vault draws a 401 challenge, then comes again with a token).
  const kvGets = (afterSeq: number): number =>
    az.counters({ vault: "zaldre", route: ROUTES.getSecret, afterSeq }).total;
  const kvValuesRead = (afterSeq: number): number =>
    az.counters({ vault: "zaldre", route: ROUTES.getSecret, status: 200, afterSeq }).total;
  const kvReads = (afterSeq: number): string =>
    JSON.stringify(az.requests({ vault: "zaldre", afterSeq }).map((r) => `${r.route} ${r.status}`));
  let before: { es: ExternalSecret; secret: Secret; css: Record<string, unknown> };
  try {
    await t.step(
      "a cluster as ESO's Helm chart leaves it (v1beta1 history, field manager helm, a synced Secret)",
      async () => {
        az.addClientSecretApp({ clientId: CLIENT_ID, secret: "migration-secret", vaults: { zaldre: "read" } });
        az.setSecret("zaldre", "docker-config-json", VALUE);
        for (const ns of ["jenkins", "external-secrets"]) {
          assert.equal((await cp.kubectl(["create", "ns", ns])).code, 0);
        }
        const creds = await seedManifest("03-secret-azure-credentials.yaml");
        creds.data = {
          "client-id": btoa(CLIENT_ID),
          "client-secret": btoa("migration-secret"),
          "tenant-id": btoa(az.tenantId),
        };
        await apply(cp, creds);
        // The seed's ClusterSecretStore as a user applied it when ESO still stored v1beta1: it stays so in etcd.
        const css = await seedManifest("04-clustersecretstore-service-principal.yaml");
        css.apiVersion = "external-secrets.io/v1beta1";
        css.spec.provider.azurekv.vaultUrl = az.vaultUrl("zaldre");
        await installEsoCrds(cp, { v1beta1Objects: [css] });
        const crd = await getJson<{ status: { storedVersions: string[] } }>(cp, [
          "crd",
          "clustersecretstores.external-secrets.io",
        ]);
        assert.deepEqual(crd?.status.storedVersions, ["v1beta1", "v1"]);
        await validateAsEso(cp, { kind: "clustersecretstore", name: "azure-keyvault-cluster-store" });

        // The seed's ExternalSecret, applied client-side (its last-applied annotation is part of ESO's hash), synced a
        // minute ago by ESO.
        const r = await cp.kubectl(["apply", "-f", "-"], {
          stdin: JSON.stringify(await seedManifest("01-externalsecret-regcred.yaml")),
        });
        assert.equal(r.code, 0, r.stderr);
        const synced = await syncAsEso(
          cp,
          { namespace: "jenkins", name: "regcred" },
          { ".dockerconfigjson": VALUE },
          new Date(Date.now() - 60_000),
        );
        before = {
          ...synced,
          css: (await getJson<Record<string, unknown>>(cp, ["css", "azure-keyvault-cluster-store"]))!,
        };

        // Why the documented command has the flags it has: a plain server-side apply meets Helm's ownership.
        const crds = new URL("../../crds/", import.meta.url).pathname;
        const plain = await cp.kubectl(["apply", "--server-side", "--dry-run=server", "-k", crds]);
        assert.notEqual(plain.code, 0);
        assert.match(plain.stderr, /conflict with "helm".*\n?.*\.spec\.versions/);
      },
    );

    await t.step(
      "the documented install command exits 0 over ESO's CRDs; v1 is served and objects read back",
      async () => {
        await run(INSTALL);
        for (const name of CRD_NAMES) {
          const crd = await getJson<{
            metadata: { labels: Record<string, string>; managedFields: { manager: string; fieldsV1: unknown }[] };
            spec: { versions: { name: string; served: boolean; storage: boolean }[] };
            status: { storedVersions: string[] };
          }>(cp, ["crd", name, "--show-managed-fields"]);
          assert.deepEqual(crd?.spec.versions.map((v) => [v.name, v.served, v.storage]), [["v1", true, true], [
            "v1beta1",
            false,
            false,
          ]], name);
          assert.ok(crd?.status.storedVersions.includes("v1beta1"), `${name}: v1beta1 stays in storedVersions`);
          assert.equal(
            crd?.metadata.labels["app.kubernetes.io/managed-by"],
            "Helm",
            `${name}: Helm's label is left alone`,
          );
          const ours = crd?.metadata.managedFields.find((m) => m.manager === "kv-operator");
          assert.match(JSON.stringify(ours?.fieldsV1), /"f:versions"/, `${name}: kv-operator owns .spec.versions`);
        }
        const es = (await getJson<ExternalSecret>(cp, ["es", "-n", "jenkins", "regcred"]))!;
        assertKept(before.es.spec, es.spec, "ExternalSecret.spec");
        assertKept(before.es.status, es.status, "ExternalSecret.status");
        assert.deepEqual(es.metadata.annotations, before.es.metadata.annotations);
        const css = (await getJson<Record<string, unknown>>(cp, ["css", "azure-keyvault-cluster-store"]))!;
        assertKept((before.css as { spec: unknown }).spec, (css as { spec: unknown }).spec, "ClusterSecretStore.spec");
        await run(START);
        const sa = await cp.kubectl(["get", "sa", "-n", "kv-operator", "kv-operator"]);
        assert.equal(sa.code, 0, sa.stderr);
      },
    );

    await t.step(
      "after the switch: Ready within 30 s (the documented `kubectl externalsecret status -A`), no Secret write, no Key Vault read",
      async () => {
        const seq = az.counters().lastSeq;
        const started = Date.now();
        const controller = await startController({
          kubeconfig: cp.kubeconfigPath,
          authorityHost: az.authorityHost,
          caCertPath: az.caCertPath,
        });
        controllers.push(controller);
        const inSync = await controller.waitForLog(
          (l) => about("jenkins", "regcred")(l) && l.msg === "no refresh due",
          30_000,
        );
        assert.equal(inSync.reason, "refreshInterval not elapsed");
        await eventually("regcred Ready", async () => {
          const es = await getJson<ExternalSecret>(cp, ["es", "-n", "jenkins", "regcred"]);
          return ready(es)?.status === "True" ? es : undefined;
        });
        assert.ok(Date.now() - started < 30_000);
        // The store's validation is the controller's last start-up step that touches Key Vault or Entra ID: once it is
        // done, anything the take-over was going to read or write has happened.
        await eventually("the store validated", () => storeReady(controller, "azure-keyvault-cluster-store"));
        const secret = (await getJson<Secret>(cp, ["secret", "-n", "jenkins", "regcred"]))!;
        assert.equal(
          secret.metadata?.resourceVersion,
          before.secret.metadata?.resourceVersion,
          "the Secret was not written",
        );
        const after = (await getJson<ExternalSecret>(cp, ["es", "-n", "jenkins", "regcred"]))!;
        assert.equal(after.status?.refreshTime, before.es.status?.refreshTime, "ESO's refreshTime is kept");
        assert.equal(
          after.metadata.resourceVersion,
          before.es.metadata.resourceVersion,
          "nor the ExternalSecret written",
        );
        assert.equal(kvGets(seq), 0, "no Key Vault GET for the ExternalSecret's key");
        const writes = controller.logs().filter((l) => /^secret (created|updated)$/.test(l.msg));
        assert.deepEqual(writes, []);
        const wrapper = await plugin;
        const path = `${wrapper.slice(0, wrapper.lastIndexOf("/"))}:${Deno.env.get("PATH")}`;
        const status = await runShell(VERIFY, cp.kubeconfigPath, { PATH: path });
        assert.equal(status.code, 0, `${VERIFY}\n${status.stdout}${status.stderr}`);
        assert.match(status.stdout, /jenkins\s+regcred\s.*\sTrue\s+SecretSynced\s/);
      },
    );

    await t.step(
      "a forced refresh reads Key Vault once and finds ESO's Secret identical to its own: still no write",
      async () => {
        const seq = az.counters().lastSeq;
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
        await controllers[0]!.waitForLog((l) => about("jenkins", "regcred")(l) && l.msg === "secret in sync", 30_000);
        assert.equal(kvValuesRead(seq), 1, `the refresh read the value once: ${kvReads(seq)}`);
        const secret = (await getJson<Secret>(cp, ["secret", "-n", "jenkins", "regcred"]))!;
        assert.equal(
          secret.metadata?.resourceVersion,
          before.secret.metadata?.resourceVersion,
          "the Secret was not written",
        );
      },
    );

    await t.step("side by side: two controller classes each act only on their own stores", async () => {
      // A second team, with its own SecretStore; then every store pinned to the first class, as the document says.
      const ns = await cp.newNamespace("team-b");
      await apply(cp, {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "kv", namespace: ns },
        stringData: { "client-id": CLIENT_ID, "client-secret": "migration-secret" },
      }, {
        apiVersion: "external-secrets.io/v1",
        kind: "SecretStore",
        metadata: { name: "team-store", namespace: ns },
        spec: {
          provider: {
            azurekv: {
              tenantId: az.tenantId,
              vaultUrl: az.vaultUrl("zaldre"),
              authSecretRef: {
                clientId: { name: "kv", key: "client-id" },
                clientSecret: { name: "kv", key: "client-secret" },
              },
            },
          },
        },
      });
      await run(PIN);
      for (const args of [["css", "azure-keyvault-cluster-store"], ["ss", "-n", ns, "team-store"]]) {
        const store = await getJson<{ spec: { controller?: string } }>(cp, args);
        assert.equal(store?.spec.controller, "default", args.join(" "));
      }
      const [first] = controllers;
      const second = await startController({
        kubeconfig: cp.kubeconfigPath,
        authorityHost: az.authorityHost,
        caCertPath: az.caCertPath,
        args: ["--controller-class=kv-operator"],
      });
      controllers.push(second);
      await apply(cp, {
        apiVersion: "external-secrets.io/v1",
        kind: "ExternalSecret",
        metadata: { name: "app", namespace: ns },
        spec: {
          refreshInterval: "1h",
          secretStoreRef: { name: "team-store", kind: "SecretStore" },
          data: [{ secretKey: "config", remoteRef: { key: "docker-config-json" } }],
        },
      });
      await first!.waitForLog((l) => about(ns, "app")(l) && l.msg === "secret created", 30_000);
      assert.deepEqual(second.logs().filter(about(ns, "app")), []);
      assert.deepEqual(second.logs().filter(about("jenkins", "regcred")), []);

      // Moving the cluster store: the second class takes its ExternalSecret over in sync, the first lets go.
      const mark = first!.logs().length;
      const rv = (await getJson<Secret>(cp, ["secret", "-n", "jenkins", "regcred"]))!.metadata?.resourceVersion;
      await run(MOVE);
      await second.waitForLog((l) => about("jenkins", "regcred")(l) && l.msg === "no refresh due", 30_000);
      const seq = az.counters().lastSeq;
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
      await second.waitForLog((l) => about("jenkins", "regcred")(l) && l.msg === "secret in sync", 30_000);
      assert.equal(kvValuesRead(seq), 1, `only the second controller read: ${kvReads(seq)}`);
      assert.deepEqual(first!.logs().slice(mark).filter(about("jenkins", "regcred")), [], "the first let go");
      assert.equal((await getJson<Secret>(cp, ["secret", "-n", "jenkins", "regcred"]))!.metadata?.resourceVersion, rv);
      assert.deepEqual(second.logs().filter(about(ns, "app")), [], "the second still leaves the first's store alone");
    });

    await t.step(
      "the documented uninstall (dry-run=server) deletes no CRD and no namespace that was there before",
      async () => {
        const out = await run(UNINSTALL_DRY_RUN);
        const deleted = out.trim().split("\n").map((l) => /^(\S+) "([^"]+)" deleted/.exec(l)).filter((m) => m !== null)
          .map((m) => `${m![1]}/${m![2]}`);
        assert.ok(deleted.includes("deployment.apps/kv-operator"), `the controller goes:\n${out}`);
        assert.deepEqual(deleted.filter((d) => d.startsWith("customresourcedefinition")), [], out);
        assert.deepEqual(deleted.filter((d) => d.startsWith("namespace/")), ["namespace/kv-operator"], out);
        for (const name of CRD_NAMES) assert.equal((await cp.kubectl(["get", "crd", name])).code, 0);
        const es = await getJson<ExternalSecret>(cp, ["es", "-n", "jenkins", "regcred"]);
        assert.equal(ready(es)?.status, "True");
      },
    );
  } finally {
    await plugin.catch(() => {});
    await Deno.remove(pluginRoot, { recursive: true }).catch(() => {});
    for (const c of controllers) await c.stop();
    await az.stop();
    await cp.stop();
  }
});
