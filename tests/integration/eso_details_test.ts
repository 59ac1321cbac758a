/**
 * Details found running beside ESO v2.9 on the same apiserver, emulators and fleet shape (the seed's regcred over a
 * ClusterSecretStore with a service principal), checked against the real apiserver, the emulators and the bundled
 * controller:
 *
 * - a cold start over an existing fleet acquires the store's credentials once: one token request, one OpenID
 *   metadata request and at most one anonymous Key Vault challenge (401), however many ExternalSecrets in however
 *   many namespaces start at once;
 * - the start logs no failure (the finalizer patch races the cache quietly);
 * - `Ready`'s lastTransitionTime is the time of the write that made it Ready, not of an older shared read
 *   (ESO stamps it in markAsDone, after the write: pkg/controllers/externalsecret/externalsecret_controller.go);
 * - Events come from `external-secrets`, as ESO's recorder (controller-runtime's, component only) reports them.
 */
import assert from "node:assert/strict";
import type { ExternalSecret } from "../../controller/api/types.ts";
import type { CoreEvent, Secret } from "../../controller/kube/types.ts";
import { startAzureEmulators } from "../harness/azure/mod.ts";
import { startControlPlane } from "../harness/control_plane.ts";
import { type ControllerProcess, startController } from "../harness/controller_process.ts";
import { apply, eventually, getJson, ready, seedStore } from "../harness/scenario.ts";

const NAMESPACES = 10;
const PER_NAMESPACE = 100;
const KEYS = 100;

// deno-lint-ignore no-console -- figures for the issue note
const report = (line: string): void => console.log(line);

interface List<T> {
  items: T[];
}

Deno.test("ESO 2.9 details: single-flight credentials at cold start, clean logs, transition times, event source", async (t) => {
  const cp = await startControlPlane();
  const az = await startAzureEmulators({ vaults: ["zaldre"] });
  let controller: ControllerProcess | undefined;
  try {
    await seedStore(cp, az, { clientId: "7a3c9e1b-details-client", clientSecret: "details-secret" });
    for (let k = 0; k < KEYS; k++) az.setSecret("zaldre", `key-${k}`, `{"auths":{"r${k}.example":{"auth":"dTpw"}}}`);
    const namespaces: string[] = [];
    for (let n = 0; n < NAMESPACES; n++) namespaces.push(await cp.newNamespace(`fleet${n}`));
    const objects = namespaces.flatMap((ns, n) =>
      Array.from({ length: PER_NAMESPACE }, (_, i) => ({
        apiVersion: "external-secrets.io/v1",
        kind: "ExternalSecret",
        metadata: { name: `regcred-${i}`, namespace: ns },
        spec: {
          refreshInterval: "1h",
          secretStoreRef: { kind: "ClusterSecretStore", name: "azure-keyvault-cluster-store" },
          target: {
            name: `regcred-${i}`,
            template: { type: "kubernetes.io/dockerconfigjson", data: { ".dockerconfigjson": "{{ .dockerconfig }}" } },
          },
          data: [{ secretKey: "dockerconfig", remoteRef: { key: `key-${(n * PER_NAMESPACE + i) % KEYS}` } }],
        },
      }))
    );
    for (let i = 0; i < objects.length; i += 250) await apply(cp, ...objects.slice(i, i + 250));
    const before = az.counters().lastSeq;
    controller = await startController({
      kubeconfig: cp.kubeconfigPath,
      authorityHost: az.authorityHost,
      caCertPath: az.caCertPath,
      args: ["--loglevel=info"],
    });
    const total = NAMESPACES * PER_NAMESPACE;
    await eventually(`${total} ExternalSecrets Ready`, async () => {
      const list = await getJson<List<ExternalSecret>>(cp, ["externalsecrets", "-A"]);
      return (list?.items ?? []).filter((es) => ready(es)?.status === "True").length === total;
    }, 240_000);

    await t.step(
      `cold start over ${total} ExternalSecrets in ${NAMESPACES} namespaces: one credential acquisition`,
      () => {
        const entra = az.requests({ service: "entra", afterSeq: before });
        const tokens = entra.filter((r) => /oauth2\/(v2\.0\/)?token$/.test(r.route)).length;
        const metadata = entra.filter((r) => /openid-configuration$/.test(r.route)).length;
        const challenges = az.requests({ service: "keyvault", afterSeq: before }).filter((r) =>
          r.status === 401
        ).length;
        const gets = az.requests({ service: "keyvault", afterSeq: before }).filter((r) =>
          r.status === 200 && r.route.startsWith("GET /secrets/")
        ).length;
        report(
          `cold start: ${tokens} token requests, ${metadata} OpenID metadata requests, ${challenges} Key Vault ` +
            `challenges (401), ${gets} GETs for ${KEYS} keys`,
        );
        assert.equal(tokens, 1, "one token request for the store");
        assert.equal(metadata, 1, "one OpenID metadata request");
        assert.ok(challenges <= 1, `at most one challenge for the vault, saw ${challenges}`);
        assert.ok(gets <= KEYS + 5, `one read per key, shared across namespaces: ${gets} GETs`);
      },
    );

    await t.step("the cold start logged no failure", () => {
      const bad = controller!.logs().filter((l) =>
        (l.level === "warn" || l.level === "error") && /reconcile failed|sync failed/.test(l.msg)
      );
      assert.deepEqual(
        bad.map((l) => `${l.msg}: ${l["error"] ?? ""}`),
        [],
      );
    });

    await t.step(
      "Ready's lastTransitionTime is the write that made it Ready, even from a shared older read",
      async () => {
        // A late ExternalSecret reads key-0 from the read cache (its first sync accepts a value a few minutes old):
        // its refreshTime is that read's time, but it became Ready when its Secret was written, seconds later.
        await new Promise((r) => setTimeout(r, 2500));
        const ns = namespaces[0]!;
        await apply(cp, {
          ...objects[0]!,
          metadata: { name: "late", namespace: ns },
          spec: { ...objects[0]!.spec, target: { ...objects[0]!.spec.target, name: "late" } },
        });
        const es = await eventually("late is Ready", async () => {
          const es = await getJson<ExternalSecret>(cp, ["externalsecret", "-n", ns, "late"]);
          return ready(es)?.status === "True" ? es : undefined;
        });
        const secret = await getJson<Secret>(cp, ["secret", "-n", ns, "late"]);
        const condition = es.status?.conditions?.find((c) => c.type === "Ready");
        const transition = Date.parse(condition?.lastTransitionTime ?? "");
        const created = Date.parse(secret?.metadata?.creationTimestamp ?? "");
        const refreshed = Date.parse(es.status?.refreshTime ?? "");
        report(
          `late ExternalSecret: read at ${es.status?.refreshTime}, Secret created ${secret?.metadata?.creationTimestamp}`,
        );
        assert.ok(refreshed < created, "the value came from the shared, older read (the case this checks)");
        assert.ok(
          transition >= created,
          `Ready at ${condition?.lastTransitionTime}, Secret created at ${secret?.metadata?.creationTimestamp}`,
        );
      },
    );

    await t.step("Events come from external-secrets, with no host, as ESO's", async () => {
      const events = await eventually("an Event", async () => {
        const list = await getJson<List<CoreEvent>>(cp, ["events", "-n", namespaces[0]!]);
        const ours = (list?.items ?? []).filter((e) => e.involvedObject?.kind === "ExternalSecret");
        return ours.length > 0 ? ours : undefined;
      });
      for (const e of events) {
        assert.deepEqual(e.source, { component: "external-secrets" });
        assert.equal(e.reportingInstance ?? "", "");
      }
      const describe = await cp.kubectl(["describe", "externalsecret", "-n", namespaces[0]!, "regcred-0"]);
      assert.match(describe.stdout, /external-secrets\s+secret created/);
      assert.doesNotMatch(describe.stdout, /external-secrets, /);
    });
  } finally {
    await controller?.stop();
    await az.stop();
    await cp.stop();
  }
});
