/**
 * ClusterExternalSecret on real parts (apiserver, emulators, the bundled controller): the seed's registry credential
 * put into 50 namespaces by label, namespaces coming and going, by name, a conflicting ExternalSecret, force-sync,
 * deletion, and the children as ordinary ExternalSecrets (admission and tenant rules in each namespace).
 *
 * The specification is ESO v2.9's `pkg/controllers/clusterexternalsecret/clusterexternalsecret_controller.go`
 * (cited per step) and `apis/externalsecrets/v1/clusterexternalsecret_types.go`.
 */
import assert from "node:assert/strict";
import type { ClusterExternalSecret, ExternalSecret } from "../../controller/api/types.ts";
import type { ObjectList, Secret } from "../../controller/kube/types.ts";
import { startAzureEmulators } from "../harness/azure/mod.ts";
import { ROUTES } from "../harness/azure/key_vault.ts";
import { startControlPlane } from "../harness/control_plane.ts";
import { type ControllerProcess, startController } from "../harness/controller_process.ts";
import { runShell, shellBlock } from "../harness/doc_commands.ts";
import { apply, eventually, getJson, ready, secretValue, seedManifest, seedStore } from "../harness/scenario.ts";

const N = 50;
const VALUE = '{"auths":{"registry.example":{"auth":"Y2VzOmZpcnN0"}}}';
const ROTATED = '{"auths":{"registry.example":{"auth":"Y2VzOnNlY29uZA=="}}}';
const OWNED = "external-secrets.io/v1 ClusterExternalSecret";

// deno-lint-ignore no-console -- figures for the report
const report = (line: string): void => console.log(line);

const namespace = (name: string, labels: Record<string, string> = {}): unknown => ({
  apiVersion: "v1",
  kind: "Namespace",
  metadata: { name, labels },
});

Deno.test("ClusterExternalSecret on real parts", async (t) => {
  const started = performance.now();
  const cp = await startControlPlane();
  const az = await startAzureEmulators({ vaults: ["zaldre"] });
  let controller: ControllerProcess | undefined;
  const children = async (name = "regcred"): Promise<ExternalSecret[]> =>
    ((await getJson<ObjectList<ExternalSecret>>(cp, ["es", "-A"]))?.items ?? []).filter((es) =>
      es.metadata.name === name
    );
  const ces = (name = "regcred"): Promise<ClusterExternalSecret | undefined> => getJson(cp, ["ces", name]);
  const owner = (es: ExternalSecret): string | undefined => {
    const r = es.metadata.ownerReferences?.find((o) => o.controller);
    return r ? `${r.apiVersion} ${r.kind} ${r.name}` : undefined;
  };
  try {
    await seedStore(cp, az, { clientId: "3f9c2d1e-ces-client", clientSecret: "ces-secret" });
    az.setSecret("zaldre", "docker-config-json", VALUE);
    const names = Array.from({ length: N }, (_, i) => `team-${String(i).padStart(2, "0")}`);
    await apply(cp, ...names.map((n) => namespace(n, { "registry-credential": "regcred" })), namespace("by-name"));
    controller = await startController({
      kubeconfig: cp.kubeconfigPath,
      authorityHost: az.authorityHost,
      caCertPath: az.caCertPath,
    });
    // The seed's regcred (01) as the template: the platform team's registry credential for every namespace.
    const seed = await seedManifest("01-externalsecret-regcred.yaml");
    const regcred = {
      apiVersion: "external-secrets.io/v1",
      kind: "ClusterExternalSecret",
      metadata: { name: "regcred" },
      spec: {
        externalSecretMetadata: { labels: { "app.kubernetes.io/part-of": "registry" } },
        namespaceSelectors: [{ matchLabels: { "registry-credential": "regcred" } }],
        refreshTime: "1m",
        externalSecretSpec: seed.spec,
      },
    };

    await t.step(`selecting ${N} namespaces by label: ${N} ExternalSecrets Ready, their Secrets right`, async () => {
      const from = az.counters().lastSeq;
      const t0 = performance.now();
      await apply(cp, regcred);
      const es = await eventually(`${N} ExternalSecrets Ready`, async () => {
        const x = await children();
        return x.length === N && x.every((e) => ready(e)?.status === "True") ? x : undefined;
      }, 60_000);
      const ms = performance.now() - t0;
      const gets = az.counters({ vault: "zaldre", route: ROUTES.getSecret, status: 200, afterSeq: from }).total;
      report(
        `${N} children of one ClusterExternalSecret Ready in ${(ms / 1000).toFixed(1)} s, ${gets} Key Vault GET(s)`,
      );
      // ESO: createOrUpdateExternalSecret — SetControllerReference, labels from externalSecretMetadata, the spec.
      for (const e of es) {
        assert.equal(owner(e), `${OWNED} regcred`, e.metadata.namespace);
        assert.equal(e.metadata.ownerReferences?.[0]?.blockOwnerDeletion, true);
        assert.deepEqual(e.metadata.labels, { "app.kubernetes.io/part-of": "registry" });
        assert.equal(e.spec.refreshInterval, "24h");
        assert.equal(ready(e)?.reason, "SecretSynced");
      }
      const secrets =
        (await getJson<ObjectList<Secret>>(cp, ["secrets", "-A", "--field-selector=metadata.name=regcred"]))!
          .items;
      assert.deepEqual(secrets.map((s) => s.metadata!.namespace).sort(), names);
      for (const s of secrets) {
        assert.equal(s.type, "kubernetes.io/dockerconfigjson");
        assert.equal(secretValue(s, ".dockerconfigjson"), VALUE, s.metadata!.namespace);
      }
      const status = await eventually("status", async () => {
        const c = await ces();
        return c?.status?.provisionedNamespaces?.length === N ? c : undefined;
      });
      assert.deepEqual(status.status?.provisionedNamespaces, names, "sorted, as ESO's sort.Strings");
      assert.equal(status.status?.externalSecretName, "regcred");
      assert.equal(status.status?.failedNamespaces, undefined);
      assert.deepEqual(status.status?.conditions, [{ type: "Ready", status: "True" }]);
      assert.deepEqual(status.metadata.finalizers, [
        "externalsecrets.external-secrets.io/clusterexternalsecret-cleanup",
      ]);
      // ESO's cesmetrics gauges.
      assert.equal(
        await controller!.metric(
          'clusterexternalsecret_status_condition{name="regcred",condition="Ready",status="True"}',
        ),
        1,
      );
      const ns = await controller!.metric('clusterexternalsecret_reconcile_duration{name="regcred",namespace=""}');
      assert.ok(ns !== undefined && ns > 1e5 && ns < 60e9, `reconcile duration ${ns} ns`);
    });

    await t.step("a namespace labelled later gets its ExternalSecret; one unlabelled loses it", async () => {
      // ESO's Namespace watch (NamespacePredicate: create, delete, label change) maps to the CESs selecting it.
      await apply(cp, namespace("team-late", { "registry-credential": "regcred" }));
      await eventually("team-late/regcred Ready", async () => {
        const es = await getJson<ExternalSecret>(cp, ["es", "-n", "team-late", "regcred"]);
        return ready(es)?.status === "True";
      });
      const label = await cp.kubectl(["label", "namespace", "team-00", "registry-credential-"]);
      assert.equal(label.code, 0, label.stderr);
      await eventually("team-00/regcred deleted", async () => {
        const r = await cp.kubectl(["get", "es", "-n", "team-00", "regcred"]);
        return r.code !== 0 && /NotFound/.test(r.stderr);
      });
      const status = await eventually("status follows", async () => {
        const c = await ces();
        const p = c?.status?.provisionedNamespaces ?? [];
        return p.includes("team-late") && !p.includes("team-00") ? c : undefined;
      });
      assert.equal(status.status?.provisionedNamespaces?.length, N);
    });

    await t.step("namespaces by name", async () => {
      await apply(cp, { ...regcred, spec: { ...regcred.spec, namespaces: ["by-name"] } });
      await eventually("by-name/regcred Ready", async () => {
        const es = await getJson<ExternalSecret>(cp, ["es", "-n", "by-name", "regcred"]);
        return ready(es)?.status === "True" && owner(es!) === `${OWNED} regcred`;
      });
    });

    await t.step("an ExternalSecret of that name not owned by it: a failed namespace, never overwritten", async () => {
      const theirs = {
        apiVersion: "external-secrets.io/v1",
        kind: "ExternalSecret",
        metadata: { name: "regcred", namespace: "taken" },
        spec: { ...seed.spec, refreshInterval: "5m" },
      };
      await apply(cp, namespace("taken"), theirs);
      await cp.kubectl(["label", "namespace", "taken", "registry-credential=regcred"]);
      // ESO: gatherProvisionedNamespaces — "external secret already exists in namespace", Ready False.
      const failed = await eventually("taken is a failed namespace", async () => {
        const c = await ces();
        return c?.status?.failedNamespaces?.length ? c : undefined;
      });
      assert.deepEqual(failed.status?.failedNamespaces, [{
        namespace: "taken",
        reason: "external secret already exists in namespace",
      }]);
      const cond = ready(failed);
      assert.equal(cond?.status, "False");
      assert.equal(cond?.message, "one or more namespaces failed: taken: external secret already exists in namespace");
      assert.ok(!failed.status?.provisionedNamespaces?.includes("taken"));
      const kept = await getJson<ExternalSecret>(cp, ["es", "-n", "taken", "regcred"]);
      assert.equal(kept?.spec.refreshInterval, "5m", "left as its owner wrote it");
      assert.equal(owner(kept!), undefined);
      assert.equal(
        await controller!.metric(
          'clusterexternalsecret_status_condition{name="regcred",condition="Ready",status="False"}',
        ),
        1,
      );
      // Once it is gone, the namespace is provisioned (the deletion maps to the CES naming its children so).
      assert.equal((await cp.kubectl(["delete", "es", "-n", "taken", "regcred", "--wait=true"])).code, 0);
      // Its Secret goes with it in a cluster with a garbage collector (its owner reference); this one has none.
      assert.equal((await cp.kubectl(["delete", "secret", "-n", "taken", "regcred"])).code, 0);
      await eventually("taken provisioned, Ready again", async () => {
        const c = await ces();
        return ready(c)?.status === "True" && c?.status?.provisionedNamespaces?.includes("taken");
      });
    });

    await t.step("the force-sync annotation is propagated to every child, and they sync at once", async () => {
      // ESO#5156: createOrUpdateExternalSecret copies AnnotationForceSync and deletes it when the CES has none.
      az.setSecret("zaldre", "docker-config-json", ROTATED);
      const from = az.counters().lastSeq;
      const t0 = performance.now();
      const r = await cp.kubectl([
        "annotate",
        "ces",
        "regcred",
        "external-secrets.io/force-sync=1767225600",
        "--overwrite",
      ]);
      assert.equal(r.code, 0, r.stderr);
      await eventually("every Secret rotated", async () => {
        const s = (await getJson<ObjectList<Secret>>(cp, ["secrets", "-A", "--field-selector=metadata.name=regcred"]))!
          .items.filter((x) => x.metadata!.namespace !== "team-00");
        return s.length === N + 2 && s.every((x) => secretValue(x, ".dockerconfigjson") === ROTATED);
      }, 60_000);
      const gets = az.counters({ vault: "zaldre", route: ROUTES.getSecret, status: 200, afterSeq: from }).total;
      report(
        `force-sync through the CES: ${N + 2} Secrets rotated in ${
          ((performance.now() - t0) / 1000).toFixed(1)
        } s, ${gets} GET(s)`,
      );
      for (const es of await children()) {
        if (owner(es) !== `${OWNED} regcred`) continue;
        assert.equal(es.metadata.annotations?.["external-secrets.io/force-sync"], "1767225600", es.metadata.namespace);
      }
      await cp.kubectl(["annotate", "ces", "regcred", "external-secrets.io/force-sync-"]);
      await eventually(
        "removed from the children",
        async () =>
          (await children()).every((es) => es.metadata.annotations?.["external-secrets.io/force-sync"] === undefined),
      );
    });

    await t.step("a child's drift is put back; its spec is the CES's", async () => {
      const p = await cp.kubectl([
        "patch",
        "es",
        "-n",
        "team-01",
        "regcred",
        "--type=merge",
        "-p",
        '{"spec":{"refreshInterval":"1m"}}',
      ]);
      assert.equal(p.code, 0, p.stderr);
      await eventually(
        "put back",
        async () =>
          (await getJson<ExternalSecret>(cp, ["es", "-n", "team-01", "regcred"]))?.spec.refreshInterval === "24h",
      );
    });

    await t.step(
      "hostile input: each child is an ordinary ExternalSecret, with every rule of its namespace",
      async () => {
        // The template goes through the ExternalSecret schema: what no ExternalSecret may be, no CES may stamp out.
        const invalid = await cp.kubectl(["apply", "--server-side", "-f", "-"], {
          stdin: JSON.stringify({
            ...regcred,
            metadata: { name: "empty" },
            spec: { ...regcred.spec, externalSecretSpec: { secretStoreRef: seed.spec.secretStoreRef } },
          }),
        });
        assert.notEqual(invalid.code, 0);
        assert.match(invalid.stderr, /either data or dataFrom should be specified/);
        // A store that serves only one namespace (ClusterSecretStore conditions): the child elsewhere is refused.
        const css = await seedManifest("04-clustersecretstore-service-principal.yaml");
        css.metadata.name = "only-team-01";
        css.spec.provider.azurekv.vaultUrl = az.vaultUrl("zaldre");
        css.spec.conditions = [{ namespaces: ["team-01"] }];
        await apply(cp, css, {
          apiVersion: "external-secrets.io/v1",
          kind: "ClusterExternalSecret",
          metadata: { name: "restricted" },
          spec: {
            namespaces: ["team-01", "team-02"],
            externalSecretSpec: {
              ...seed.spec,
              secretStoreRef: { kind: "ClusterSecretStore", name: "only-team-01" },
              target: { ...seed.spec.target, name: "restricted" },
            },
          },
        });
        const allowed = await eventually("team-01/restricted Ready", async () => {
          const es = await getJson<ExternalSecret>(cp, ["es", "-n", "team-01", "restricted"]);
          return ready(es)?.status === "True" ? es : undefined;
        });
        assert.equal(ready(allowed)?.reason, "SecretSynced");
        const denied = await eventually("team-02/restricted refused by the store's conditions", async () => {
          const es = await getJson<ExternalSecret>(cp, ["es", "-n", "team-02", "restricted"]);
          return ready(es)?.status === "False" ? es : undefined;
        });
        assert.match(ready(denied)!.message!, /not allowed from namespace "team-02"/);
        const secret = await cp.kubectl(["get", "secret", "-n", "team-02", "restricted"]);
        assert.notEqual(secret.code, 0, "no Secret where the store is not allowed");
        // metadata the apiserver refuses for an ExternalSecret: each namespace fails with the apiserver's reason.
        await apply(cp, {
          apiVersion: "external-secrets.io/v1",
          kind: "ClusterExternalSecret",
          metadata: { name: "bad-labels" },
          spec: {
            namespaces: ["by-name"],
            externalSecretMetadata: { labels: { "not a label": "x" } },
            externalSecretSpec: { ...seed.spec, target: { ...seed.spec.target, name: "bad-labels" } },
          },
        });
        const bad = await eventually("bad-labels failed", async () => {
          const c = await ces("bad-labels");
          return c?.status?.failedNamespaces?.length ? c : undefined;
        });
        assert.equal(bad.status?.failedNamespaces?.[0]?.namespace, "by-name");
        assert.match(
          bad.status!.failedNamespaces![0]!.reason!,
          /^could not create or update ExternalSecret: .*not a label/,
        );
        assert.equal(ready(bad)?.status, "False");
      },
    );

    await t.step("deleting the ClusterExternalSecret removes its children (and only them)", async () => {
      const before = (await children()).filter((es) => owner(es) === `${OWNED} regcred`).length;
      assert.equal(before, N + 2);
      // ESO: cleanupExternalSecrets under the clusterexternalsecret-cleanup finalizer.
      const r = await cp.kubectl(["delete", "ces", "regcred", "--wait=true", "--timeout=60s"]);
      assert.equal(r.code, 0, r.stderr);
      // Deleted at once; each then goes once the ExternalSecret controller has run its own finalizer.
      await eventually("every child gone", async () => (await children()).length === 0);
      assert.equal(
        (await getJson<ExternalSecret>(cp, ["es", "-n", "team-01", "restricted"]))?.metadata.name,
        "restricted",
      );
      await eventually(
        "its gauge is gone",
        async () =>
          (await controller!.metric(
            'clusterexternalsecret_status_condition{name="regcred",condition="Ready",status="True"}',
          )) ===
            undefined,
      );
    });

    await t.step("docs/migrating-from-eso.md: ESO's namespace finalizers are removed, others kept", async () => {
      const doc = await Deno.readTextFile(new URL("../../docs/migrating-from-eso.md", import.meta.url));
      const block = shellBlock(
        doc,
        "the ces- finalizer removal",
        (b) => b.includes("externalsecrets.external-secrets.io/ces-"),
      );
      await apply(cp, {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: {
          name: "was-eso",
          finalizers: [
            "example.com/keep",
            "externalsecrets.external-secrets.io/ces-regcred",
            "externalsecrets.external-secrets.io/ces-other",
          ],
        },
      });
      const r = await runShell(block, cp.kubeconfigPath);
      assert.equal(r.code, 0, r.stderr);
      const ns = await getJson<{ metadata: { finalizers?: string[] } }>(cp, ["namespace", "was-eso"]);
      assert.deepEqual(ns?.metadata.finalizers, ["example.com/keep"]);
    });

    await t.step("nothing was refused, nothing leaked", () => {
      const refused = controller!.logs().filter((l) => /Forbidden|"status":40[13]/.test(JSON.stringify(l)));
      assert.deepEqual(refused, []);
      assert.ok(!controller!.rawOutput().includes("Y2VzOmZpcnN0"), "no secret value in the output");
    });
  } finally {
    await controller?.stop();
    await az.stop();
    await cp.stop();
    report(`cluster_external_secret_test: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
});
