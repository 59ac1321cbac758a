/**
 * Tenant safety on a shared cluster, as a hostile namespace user would try it (real apiserver, emulators, the bundled
 * controller started without test-only flags beyond the emulators' endpoints):
 *
 * - no takeover: an ExternalSecret cannot write the Secret a store of its namespace reads credentials from, nor a
 *   ServiceAccount token Secret; taking over an admin-made Secret follows `--adoption-policy` (default ESO's: taken
 *   over), and deleting the ExternalSecret never deletes a Secret it did not create (it is released instead —
 *   ESO would let the garbage collector delete it through the owner reference it added);
 * - no leaks: a secret value rendered into a label the apiserver rejects, or pushed through `upper` into `fail`,
 *   reaches no status, Event, log line or metric, in any of its usual forms.
 */
import assert from "node:assert/strict";
import type { ExternalSecret } from "../../controller/api/types.ts";
import type { CoreEvent, Secret } from "../../controller/kube/types.ts";
import { startAzureEmulators } from "../harness/azure/mod.ts";
import { startControlPlane } from "../harness/control_plane.ts";
import { type ControllerProcess, startController } from "../harness/controller_process.ts";
import { apply, eventually, getJson, ready, secretValue } from "../harness/scenario.ts";

const CANARY = "Canary-7f3e9a1c-value";
const CLIENT_SECRET = "tenant-client-secret-value";

interface List<T> {
  items: T[];
}

Deno.test("tenant safety: no takeover of credentials or admin Secrets, no leak of values", async (t) => {
  const cp = await startControlPlane();
  const az = await startAzureEmulators({ vaults: ["zaldre"] });
  const controllers: ControllerProcess[] = [];
  try {
    az.addClientSecretApp({ clientId: "4d1e2f3a-tenant-app", secret: CLIENT_SECRET, vaults: { zaldre: "read" } });
    az.setSecret("zaldre", "app-password", CANARY);
    const ns = await cp.newNamespace("tenant");
    const store = (name: string, controller?: string): unknown => ({
      apiVersion: "external-secrets.io/v1",
      kind: "SecretStore",
      metadata: { name, namespace: ns },
      spec: {
        ...(controller ? { controller } : {}),
        provider: {
          azurekv: {
            tenantId: az.tenantId,
            vaultUrl: az.vaultUrl("zaldre"),
            authSecretRef: {
              clientId: { name: "team-creds", key: "client-id" },
              clientSecret: { name: "team-creds", key: "client-secret" },
            },
          },
        },
      },
    });
    const es = (name: string, target: Record<string, unknown>, storeName = "team-store"): unknown => ({
      apiVersion: "external-secrets.io/v1",
      kind: "ExternalSecret",
      metadata: { name, namespace: ns },
      spec: {
        refreshInterval: "1h",
        secretStoreRef: { kind: "SecretStore", name: storeName },
        target,
        data: [{ secretKey: "password", remoteRef: { key: "app-password" } }],
      },
    });
    const creds = {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "team-creds", namespace: ns },
      stringData: { "client-id": "4d1e2f3a-tenant-app", "client-secret": CLIENT_SECRET },
    };
    await apply(cp, creds, store("team-store"), store("strict-store", "strict"));
    const start = async (args: string[] = []): Promise<ControllerProcess> => {
      const c = await startController({
        kubeconfig: cp.kubeconfigPath,
        authorityHost: az.authorityHost,
        caCertPath: az.caCertPath,
        args,
      });
      controllers.push(c);
      return c;
    };
    const main = await start();
    await start(["--controller-class=strict", "--adoption-policy=strict", "--leader-election-id=strict"]);
    const condition = async (name: string) =>
      ready(await getJson<ExternalSecret>(cp, ["externalsecret", "-n", ns, name]));

    await t.step("a store's credentials Secret is never written, and the store keeps working", async () => {
      const before = await getJson<Secret>(cp, ["secret", "-n", ns, "team-creds"]);
      await apply(cp, es("steal-creds", { name: "team-creds" }));
      const c = await eventually("refused", async () => {
        const c = await condition("steal-creds");
        return c?.status === "False" ? c : undefined;
      });
      assert.match(c.message ?? "", /holds the credentials of SecretStore .*team-store: this controller never writes/);
      const after = await getJson<Secret>(cp, ["secret", "-n", ns, "team-creds"]);
      assert.equal(after?.metadata?.resourceVersion, before?.metadata?.resourceVersion, "untouched");
      await apply(cp, es("bystander", { name: "bystander" }));
      await eventually(
        "the store still serves others",
        async () => secretValue(await getJson<Secret>(cp, ["secret", "-n", ns, "bystander"]), "password") === CANARY,
      );
    });

    await t.step("a ServiceAccount token Secret is never written", async () => {
      const sa = await cp.kubectl(["create", "serviceaccount", "-n", ns, "robot"]);
      assert.equal(sa.code, 0, sa.stderr);
      await apply(cp, {
        apiVersion: "v1",
        kind: "Secret",
        metadata: {
          name: "robot-token",
          namespace: ns,
          annotations: { "kubernetes.io/service-account.name": "robot" },
        },
        type: "kubernetes.io/service-account-token",
      });
      await apply(cp, es("steal-token", { name: "robot-token" }));
      const c = await eventually("refused", async () => {
        const c = await condition("steal-token");
        return c?.status === "False" ? c : undefined;
      });
      assert.match(c.message ?? "", /is a ServiceAccount token Secret: this controller never writes one/);
    });

    await t.step(
      "default (ESO's) policy adopts an admin's Secret; deleting the ExternalSecret releases it",
      async () => {
        const made = await cp.kubectl(["create", "secret", "generic", "admin-made", "-n", ns, "--from-literal=old=1"]);
        assert.equal(made.code, 0, made.stderr);
        await apply(cp, es("adopter", { name: "admin-made", deletionPolicy: "Delete" }));
        const adopted = await eventually("adopted", async () => {
          const s = await getJson<Secret>(cp, ["secret", "-n", ns, "admin-made"]);
          return secretValue(s, "password") === CANARY ? s : undefined;
        });
        assert.equal(adopted.metadata?.annotations?.["externalsecrets.kv-operator.io/adopted"], "true");
        assert.equal(adopted.metadata?.ownerReferences?.length, 1, "owned as ESO would own it");
        const del = await cp.kubectl(["delete", "externalsecret", "-n", ns, "adopter", "--wait=true"]);
        assert.equal(del.code, 0, del.stderr);
        // Give the garbage collector the time it would need to delete a dependent.
        await new Promise((r) => setTimeout(r, 3000));
        const kept = await getJson<Secret>(cp, ["secret", "-n", ns, "admin-made"]);
        assert.ok(kept, "the admin's Secret was not deleted (deletionPolicy Delete applies to Secrets it created)");
        assert.deepEqual(kept.metadata?.ownerReferences ?? [], [], "our owner reference was removed first");
      },
    );

    await t.step("--adoption-policy strict: an admin's Secret is taken over only when it opts in", async () => {
      const made = await cp.kubectl(["create", "secret", "generic", "strict-target", "-n", ns, "--from-literal=a=1"]);
      assert.equal(made.code, 0, made.stderr);
      await apply(cp, es("strict-es", { name: "strict-target" }, "strict-store"));
      const c = await eventually("refused", async () => {
        const c = await condition("strict-es");
        return c?.status === "False" ? c : undefined;
      });
      assert.match(c.message ?? "", /--adoption-policy strict.*allow-adoption="true"/);
      assert.equal(
        secretValue(await getJson<Secret>(cp, ["secret", "-n", ns, "strict-target"]), "password"),
        undefined,
      );
      const opt = await cp.kubectl([
        "annotate",
        "secret",
        "-n",
        ns,
        "strict-target",
        "externalsecrets.kv-operator.io/allow-adoption=true",
      ]);
      assert.equal(opt.code, 0, opt.stderr);
      await cp.kubectl([
        "annotate",
        "externalsecret",
        "-n",
        ns,
        "strict-es",
        "external-secrets.io/force-sync=1",
        "--overwrite",
      ]);
      await eventually(
        "adopted once opted in",
        async () =>
          secretValue(await getJson<Secret>(cp, ["secret", "-n", ns, "strict-target"]), "password") === CANARY,
      );
    });

    await t.step("a changed credentials Secret re-validates its store within 10 s (watched by name)", async () => {
      const storeReady = async () =>
        ready(await getJson<{ status?: { conditions?: [] } }>(cp, ["secretstore", "-n", ns, "team-store"]));
      assert.equal((await storeReady())?.status, "True");
      const wrong = await cp.kubectl([
        "patch",
        "secret",
        "-n",
        ns,
        "team-creds",
        "--type=merge",
        "-p",
        JSON.stringify({ stringData: { "client-secret": "wrong-secret-for-the-test" } }),
      ]);
      assert.equal(wrong.code, 0, wrong.stderr);
      let started = Date.now();
      await eventually("the store notices", async () => (await storeReady())?.status === "False", 10_000);
      const noticed = Date.now() - started;
      const fixed = await cp.kubectl([
        "patch",
        "secret",
        "-n",
        ns,
        "team-creds",
        "--type=merge",
        "-p",
        JSON.stringify({ stringData: { "client-secret": CLIENT_SECRET } }),
      ]);
      assert.equal(fixed.code, 0, fixed.stderr);
      started = Date.now();
      await eventually("the store recovers", async () => (await storeReady())?.status === "True", 10_000);
      // deno-lint-ignore no-console -- figures for the issue note
      console.log(`credentials change noticed in ${noticed} ms, fix in ${Date.now() - started} ms`);
    });

    await t.step("a value rendered into a rejected label or passed to fail leaks nowhere", async () => {
      await apply(
        cp,
        es("leak-label", {
          name: "leak-label",
          template: { metadata: { labels: { stolen: "{{ .password }} !" } }, data: { x: "static-text" } },
        }),
      );
      await apply(
        cp,
        es("leak-fail", {
          name: "leak-fail",
          template: { data: { x: '{{ fail (printf "upper: %s, b64: %s" (upper .password) (b64enc .password)) }}' } },
        }),
      );
      for (const name of ["leak-label", "leak-fail"]) {
        await eventually(`${name} failed`, async () => (await condition(name))?.status === "False");
      }
      const forms = [CANARY, CANARY.toUpperCase(), CANARY.toLowerCase(), btoa(CANARY), CLIENT_SECRET];
      const events = await getJson<List<CoreEvent>>(cp, ["events", "-n", ns]);
      const statuses = await getJson<List<ExternalSecret>>(cp, ["externalsecrets", "-n", ns]);
      const metrics = await fetch(`${main.metricsUrl}/metrics`).then((r) => r.text());
      const places: Record<string, string> = {
        status: JSON.stringify(statuses?.items.map((e) => e.status)),
        events: JSON.stringify(events?.items.map((e) => e.message)),
        logs: controllers.map((c) => c.rawOutput()).join("\n"),
        metrics,
      };
      for (const [where, text] of Object.entries(places)) {
        for (const f of forms) assert.ok(!text.includes(f), `a form of a secret value in ${where}`);
      }
      assert.match(places.status!, /\[REDACTED\]/, "the messages say something was hidden, and what failed");
    });
  } finally {
    for (const c of controllers) await c.stop().catch(() => {});
    await az.stop();
    await cp.stop();
  }
});
