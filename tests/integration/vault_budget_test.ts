/**
 * Key Vault traffic as a budget, and never losing data, on real parts: 50 ExternalSecrets sharing one Key Vault
 * secret cost one GET per refresh window; a failing and then throttling vault leaves every Secret untouched, the
 * condition says why, `Retry-After` is honoured by every caller, and all recover; a killed controller restarts
 * without rewriting anything or reading the vault.
 */
import assert from "node:assert/strict";
import type { ExternalSecret } from "../../controller/api/types.ts";
import type { Secret } from "../../controller/kube/types.ts";
import type { ObjectList } from "../../controller/kube/types.ts";
import { startAzureEmulators } from "../harness/azure/mod.ts";
import { startControlPlane } from "../harness/control_plane.ts";
import { type ControllerProcess, startController } from "../harness/controller_process.ts";
import { apply, eventually, getJson, ready, secretValue, seedStore } from "../harness/scenario.ts";

const N = 50;
const INTERVAL_S = 10;
const GET = "GET /secrets/{name}/{version}";

// deno-lint-ignore no-console -- figures for the issue note
const report = (line: string): void => console.log(line);

Deno.test("vault budget, faults and restarts on real parts", async (t) => {
  const cp = await startControlPlane();
  const az = await startAzureEmulators({ vaults: ["zaldre"] });
  const controllers: ControllerProcess[] = [];
  const start = async (): Promise<ControllerProcess> => {
    const c = await startController({
      kubeconfig: cp.kubeconfigPath,
      authorityHost: az.authorityHost,
      caCertPath: az.caCertPath,
    });
    controllers.push(c);
    return c;
  };
  try {
    await seedStore(cp, az, { clientId: "0b7e8f4c-budget-client", clientSecret: "budget-secret" });
    az.setSecret("zaldre", "shared", "value-1");
    const ns = await cp.newNamespace("fleet");
    let controller = await start();
    const names = Array.from({ length: N }, (_, i) => `es-${i}`);
    const secrets = async (): Promise<Secret[]> =>
      (await getJson<ObjectList<Secret>>(cp, ["secrets", "-n", ns, "-l", "reconcile.external-secrets.io/managed=true"]))
        ?.items ?? [];
    const versions = async (): Promise<Map<string, string>> =>
      new Map((await secrets()).map((s) => [s.metadata!.name!, s.metadata!.resourceVersion!]));
    const gets = (afterSeq: number) =>
      az.requests({ service: "keyvault", route: GET, afterSeq }).filter((r) => r.status !== 401);

    await t.step(`${N} ExternalSecrets sharing one Key Vault secret cost one GET per refresh window`, async () => {
      const before = az.counters().lastSeq;
      await apply(
        cp,
        ...names.map((name) => ({
          apiVersion: "external-secrets.io/v1",
          kind: "ExternalSecret",
          metadata: { name, namespace: ns },
          spec: {
            refreshInterval: `${INTERVAL_S}s`,
            secretStoreRef: { kind: "ClusterSecretStore", name: "azure-keyvault-cluster-store" },
            data: [{ secretKey: "password", remoteRef: { key: "shared" } }],
          },
        })),
      );
      await eventually(`${N} Secrets`, async () => {
        const s = await secrets();
        return s.length === N && s.every((x) => secretValue(x, "password") === "value-1");
      }, 60_000);
      report(`initial sync of ${N} ExternalSecrets: ${gets(before).length} Key Vault GETs`);

      // Let one window pass so the ExternalSecrets fall into step, then watch three windows.
      await new Promise((r) => setTimeout(r, INTERVAL_S * 1000));
      const from = az.counters().lastSeq;
      const t0 = Date.now();
      await new Promise((r) => setTimeout(r, 3 * INTERVAL_S * 1000));
      const window = gets(from).filter((r) => r.status === 200);
      const refreshed = (await getJson<ObjectList<ExternalSecret>>(cp, ["es", "-n", ns]))!.items
        .filter((es) => Date.parse(es.status?.refreshTime ?? "0") >= t0 - 1000).length;
      report(
        `3 refresh windows of ${INTERVAL_S} s: ${window.length} GETs for ${N} ExternalSecrets (${refreshed} refreshed)`,
      );
      assert.equal(refreshed, N, "every ExternalSecret refreshed in the window");
      assert.ok(window.length >= 2 && window.length <= 4, `expected about 3 GETs, got ${window.length}`);
      for (let i = 1; i < window.length; i++) {
        const gap = window[i]!.at - window[i - 1]!.at;
        assert.ok(gap >= INTERVAL_S * 1000 * 0.8, `two GETs in one window (${gap} ms apart)`);
      }
    });

    await t.step("a rotated value reaches all 50 Secrets within one window, for about one GET", async () => {
      const from = az.counters().lastSeq;
      az.setSecret("zaldre", "shared", "value-2");
      await eventually(
        "value-2 everywhere",
        async () => (await secrets()).every((s) => secretValue(s, "password") === "value-2"),
        3 * INTERVAL_S * 1000,
      );
      const n = gets(from).filter((r) => r.status === 200).length;
      assert.ok(n <= 2, `expected at most 2 GETs, got ${n}`);
    });

    await t.step("Key Vault failing with 500s: Secrets untouched, the condition explains", async () => {
      const rv = await versions();
      const rule = az.faults.fail({ service: "keyvault", route: GET }, 500);
      const r = await cp.kubectl(["annotate", "es", "-n", ns, "es-0", `force-sync=${Date.now()}`, "--overwrite"]);
      assert.equal(r.code, 0, r.stderr);
      const c = await eventually("es-0 failing", async () => {
        const cond = ready(await getJson<ExternalSecret>(cp, ["es", "-n", ns, "es-0"]));
        return cond?.status === "False" ? cond : undefined;
      }, 60_000);
      assert.equal(c.reason, "SecretSyncedError");
      assert.match(
        c.message ?? "",
        /could not get secret data from provider: Key Vault https:\/\/127\.0\.0\.1:\d+ failed reading secret "shared" \(500/,
      );
      await new Promise((r) => setTimeout(r, INTERVAL_S * 1000)); // periodic refreshes fail too
      assert.deepEqual(await versions(), rv, "no Secret was written while the vault failed");
      assert.ok((await secrets()).every((s) => secretValue(s, "password") === "value-2"));
      az.faults.remove(rule);
      // es-0's retry (in back-off) writes its Secret's new annotation: let it land here, not in the next step.
      await eventually("es-0 synced again", async () => {
        const cond = ready(await getJson<ExternalSecret>(cp, ["es", "-n", ns, "es-0"]));
        return cond?.status === "True";
      }, 60_000);
    });

    await t.step(
      "then 429 with Retry-After: everyone waits it out, the condition says so, Secrets untouched",
      async () => {
        const rv = await versions();
        const from = az.counters().lastSeq;
        const rule = az.faults.fail({ service: "keyvault", route: GET }, 429, { retryAfterSeconds: 3 });
        try {
          const c = await eventually("throttled condition", async () => {
            const all = (await getJson<ObjectList<ExternalSecret>>(cp, ["es", "-n", ns]))!.items;
            return all.map(ready).find((x) => x?.status === "False" && /throttling/.test(x.message ?? ""));
          }, 60_000);
          assert.match(
            c.message ?? "",
            /Key Vault https:\/\/127\.0\.0\.1:\d+ is throttling requests \(429\), retry after 3 s/,
          );
          await new Promise((r) => setTimeout(r, 8000));
          const seen = gets(from);
          const throttled = seen.filter((r) => r.status === 429);
          assert.ok(throttled.length > 0);
          // After a 429 nobody calls that vault until Retry-After has passed (requests already on their way when the
          // 429 was sent aside: a second of slack for a loaded machine).
          for (const hit of throttled) {
            const early = seen.filter((r) => r.at > hit.at + 1000 && r.at < hit.at + 2900);
            assert.equal(early.length, 0, `requests ${early.map((r) => r.at - hit.at).join(", ")} ms after a 429`);
          }
          report(`8 s of 429 (Retry-After 3 s) across ${N} ExternalSecrets: ${seen.length} GETs reached the vault`);
          assert.deepEqual(await versions(), rv, "no Secret was written while the vault throttled");
        } finally {
          // Whatever the outcome, the next steps need a vault that answers.
          az.faults.remove(rule);
        }
      },
    );

    await t.step("recovery: every ExternalSecret is Ready again and follows the vault", async () => {
      az.setSecret("zaldre", "shared", "value-3");
      await eventually("all recovered", async () => {
        const all = (await getJson<ObjectList<ExternalSecret>>(cp, ["es", "-n", ns]))!.items;
        const s = await secrets();
        return all.every((es) => ready(es)?.status === "True") &&
          s.every((x) => secretValue(x, "password") === "value-3");
      }, 90_000);
    });

    await t.step("killed and restarted: nothing rewritten, the vault not read", async () => {
      // Longer interval first, so that no refresh is due around the restart (that change itself syncs once).
      for (const name of names) {
        await cp.kubectl(["patch", "es", "-n", ns, name, "--type=merge", "-p", '{"spec":{"refreshInterval":"1h"}}']);
      }
      await eventually("re-synced with 1h", async () => {
        const all = (await getJson<ObjectList<ExternalSecret>>(cp, ["es", "-n", ns]))!.items;
        return all.every((es) => es.status?.syncedResourceVersion?.startsWith(`${es.metadata.generation}-`));
      }, 60_000);
      await new Promise((r) => setTimeout(r, 1500));
      const secretsBefore = await versions();
      const esBefore = new Map(
        (await getJson<ObjectList<ExternalSecret>>(cp, ["es", "-n", ns]))!.items.map((
          es,
        ) => [es.metadata.name, es.metadata.resourceVersion]),
      );
      assert.equal(await controller.stop("SIGKILL"), 137);
      const from = az.counters().lastSeq;
      const startedAt = performance.now();
      controller = await start();
      const readyMs = performance.now() - startedAt;
      await new Promise((r) => setTimeout(r, 5000));
      assert.deepEqual(await versions(), secretsBefore, "no Secret rewritten");
      const esAfter = new Map(
        (await getJson<ObjectList<ExternalSecret>>(cp, ["es", "-n", ns]))!.items.map((
          es,
        ) => [es.metadata.name, es.metadata.resourceVersion]),
      );
      assert.deepEqual(esAfter, esBefore, "no ExternalSecret (status) rewritten");
      assert.equal(gets(from).length, 0, "no Key Vault read");
      report(
        `restart with ${N} synced ExternalSecrets: ready in ${
          readyMs.toFixed(0)
        } ms, idle RSS ${controller.rssKb()} kB`,
      );
    });
  } finally {
    for (const c of controllers) await c.stop().catch(() => {});
    await az.stop();
    await cp.stop();
  }
});
