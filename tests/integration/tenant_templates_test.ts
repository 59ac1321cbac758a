/**
 * Issue 10 (2): one tenant's templates must not freeze or crash the controller for everyone. Against the bundled
 * controller as it ships: hostile ExternalSecrets in one namespace (huge lists and strings, a backtracking regex,
 * bcrypt in bulk, key generation) fail fast with a condition naming the limit, while a bystander in another namespace
 * picks up a rotated value within 5 s of its force-sync, /healthz stays green and the process never restarts.
 */
import assert from "node:assert/strict";
import type { ExternalSecret } from "../../controller/api/types.ts";
import type { Secret } from "../../controller/kube/types.ts";
import { startAzureEmulators } from "../harness/azure/mod.ts";
import { running, startControlPlane } from "../harness/control_plane.ts";
import { type ControllerProcess, startController } from "../harness/controller_process.ts";
import { apply, eventually, getJson, ready, secretValue, seedStore } from "../harness/scenario.ts";

// deno-lint-ignore no-console -- figures for the issue note
const report = (line: string): void => console.log(line);

const CANARY = "canary-tenant-4f1d9e77";
const STORE = { kind: "ClusterSecretStore", name: "azure-keyvault-cluster-store" };

/**
 * Hostile templates and what their Ready condition must say: a message for Ready=False, "renders" for Ready=True,
 * "either" for RSA-4096 generation, which may outlast the time limit on a loaded machine (then stopped and reported).
 */
const HOSTILE: { name: string; tpl: string; expect: RegExp | "renders" | "either"; refresh?: string }[] = [
  {
    name: "range-until",
    tpl: "{{ range until 1000000000 }}x{{ end }}",
    expect: /template limit: a list of 1000000000 elements is longer than 100000/,
  },
  { name: "rand", tpl: "{{ randAlphaNum 500000000 }}", expect: /template limit: a string of 500000000 characters/ },
  { name: "seq", tpl: "{{ seq 1 300000000 }}", expect: /template limit: a list of 300000000 elements/ },
  { name: "until", tpl: "{{ until 100000000 }}", expect: /template limit: a list of 100000000 elements/ },
  {
    name: "steps",
    tpl: "{{ range until 100000 }}{{ range until 100000 }}{{ end }}{{ end }}",
    expect: /template limit: more than 1000000 steps/,
  },
  { name: "regex", tpl: '{{ regexMatch "^(a|a)*$" (printf "%sb" (repeat 5000 "a")) }}', expect: "renders" },
  {
    name: "bcrypt",
    tpl: Array.from({ length: 20 }, () => "{{ .password | bcrypt | len }}").join(","),
    expect: "renders",
  },
  { name: "rsa", tpl: '{{ genPrivateKey "rsa" | len | lt 3000 }}', expect: "either", refresh: "1h" },
];

Deno.test("hostile templates in one namespace do not stall another namespace or the controller", async (t) => {
  const cp = await startControlPlane();
  const az = await startAzureEmulators({ vaults: ["zaldre"] });
  let controller: ControllerProcess | undefined;
  try {
    await seedStore(cp, az, { clientId: "6c1f0e2a-tenant-client", clientSecret: "tenant-client-secret" });
    az.setSecret("zaldre", "tenant-secret", CANARY);
    az.setSecret("zaldre", "bystander-secret", "value-1");
    const tenant = await cp.newNamespace("tenant");
    const bystander = await cp.newNamespace("bystander");
    controller = await startController({
      kubeconfig: cp.kubeconfigPath,
      authorityHost: az.authorityHost,
      caCertPath: az.caCertPath,
      args: ["--loglevel", "debug"],
    });
    const pid = controller.pid;

    // /healthz polled throughout: every answer 200 and within 3 s (a frozen event loop took minutes; a loaded
    // 2-core machine shared with other jobs can deschedule a healthy process for a second)
    const health = { polls: 0, bad: [] as string[], maxMs: 0 };
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const t0 = performance.now();
        try {
          const r = await fetch(`${controller!.metricsUrl}/healthz`, { signal: AbortSignal.timeout(3_000) });
          await r.body?.cancel();
          if (r.status !== 200) health.bad.push(`status ${r.status}`);
          health.maxMs = Math.max(health.maxMs, performance.now() - t0);
        } catch (e) {
          health.bad.push(`${(e as Error).name} after ${(performance.now() - t0).toFixed(0)} ms`);
        }
        health.polls++;
        await new Promise((r) => setTimeout(r, 200));
      }
    })();

    await apply(cp, {
      apiVersion: "external-secrets.io/v1",
      kind: "ExternalSecret",
      metadata: { name: "app", namespace: bystander },
      spec: {
        refreshInterval: "1h",
        secretStoreRef: STORE,
        target: { template: { data: { password: "{{ .password | upper }}" } } },
        data: [{ secretKey: "password", remoteRef: { key: "bystander-secret" } }],
      },
    });
    const bystanderValue = async (): Promise<string | undefined> =>
      secretValue(await getJson<Secret>(cp, ["secret", "-n", bystander, "app"]), "password");
    await eventually("the bystander's Secret", async () => (await bystanderValue()) === "VALUE-1", 60_000);

    await t.step("hostile ExternalSecrets fail fast with the limit and position, never the value", async () => {
      await apply(
        cp,
        ...HOSTILE.map((h) => ({
          apiVersion: "external-secrets.io/v1",
          kind: "ExternalSecret",
          metadata: { name: h.name, namespace: tenant },
          spec: {
            refreshInterval: h.refresh ?? "1s",
            secretStoreRef: STORE,
            target: { template: { data: { x: h.tpl } } },
            data: [{ secretKey: "password", remoteRef: { key: "tenant-secret" } }],
          },
        })),
      );
      const t0 = Date.now();
      for (const h of HOSTILE) {
        const want = h.expect === "renders" ? ["True"] : h.expect === "either" ? ["True", "False"] : ["False"];
        const cond = await eventually(`${h.name} settled`, async () => {
          const c = ready(await getJson<ExternalSecret>(cp, ["es", "-n", tenant, h.name]));
          return c && want.includes(c.status) ? c : undefined;
        }, 60_000);
        if (h.expect instanceof RegExp) {
          assert.match(cond.message ?? "", h.expect, h.name);
          assert.match(cond.message ?? "", /template x: template: x:1:\d+: executing "x" at </, h.name);
        }
        if (h.expect === "either" && cond.status === "False") {
          assert.match(cond.message ?? "", /template limit: rendering took longer than 10000 ms/, h.name);
        }
        report(`${h.name}: Ready=${cond.status} after ${Date.now() - t0} ms`);
        assert.ok(!(cond.message ?? "").includes(CANARY), `${h.name}: the value leaked into the condition`);
      }
      report(`${HOSTILE.length} hostile ExternalSecrets settled in ${Date.now() - t0} ms`);
      const bcrypt = await getJson<Secret>(cp, ["secret", "-n", tenant, "bcrypt"]);
      assert.equal(secretValue(bcrypt, "x"), Array(20).fill("60").join(","));
    });

    await t.step("the bystander picks up a rotated value within 5 s of its force-sync", async () => {
      for (const round of [2, 3, 4]) {
        az.setSecret("zaldre", "bystander-secret", `value-${round}`);
        const t0 = Date.now();
        const r = await cp.kubectl(["annotate", "es", "-n", bystander, "app", `force-sync=${t0}`, "--overwrite"]);
        assert.equal(r.code, 0, r.stderr);
        try {
          await eventually(`value-${round}`, async () => (await bystanderValue()) === `VALUE-${round}`, 5_000);
        } catch (e) {
          // what the controller did meanwhile, for the failure report
          const lines = controller!.logs().filter((l) => Date.parse(String(l.time ?? l.ts ?? "")) >= t0 - 1000);
          report(lines.slice(-40).map((l) => JSON.stringify(l)).join("\n"));
          throw e;
        }
        report(`bystander: rotated value ${round} synced ${Date.now() - t0} ms after its force-sync`);
      }
    });

    polling = false;
    await poller;
    report(`/healthz: ${health.polls} polls, ${health.bad.length} bad, slowest ${health.maxMs.toFixed(0)} ms`);
    assert.deepEqual(health.bad, [], "/healthz stayed green");
    assert.ok(running(pid), "the controller is still the same process");
    assert.ok(!controller.rawOutput().includes(CANARY), "the value leaked into the controller's output");
  } finally {
    await controller?.stop();
    await az.stop();
    await cp.stop();
  }
});
