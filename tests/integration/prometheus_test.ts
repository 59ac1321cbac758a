/**
 * ESO's dashboard and documented SLIs against a real Prometheus scraping the shipped controller.
 *
 * The queries are ours; what they select on (metric names, label names and values, the `service` label a
 * ServiceMonitor adds from the metrics Service's name) is what ESO v2.9's Grafana dashboard and docs/api/metrics.md
 * select on. Each must return at least one series. The run includes a Key Vault 404 (must count as status="error"),
 * store reconciles that fail at first (Entra answers 503, then recovers) and a 429, so the error panels have data.
 */
import assert from "node:assert/strict";
import type { ExternalSecret } from "../../controller/api/types.ts";
import { startAzureEmulators } from "../harness/azure/mod.ts";
import { startControlPlane } from "../harness/control_plane.ts";
import {
  bundle,
  CONTROLLER_PERMISSIONS,
  type ControllerProcess,
  startController,
} from "../harness/controller_process.ts";
import { type Prometheus, type Sample, startPrometheus } from "../harness/prometheus.ts";
import { apply, eventually, getJson, ready, seedStore } from "../harness/scenario.ts";
import { parse, parseAllDocuments, stringify } from "yaml";

const MONITORING = new URL("../../deploy/monitoring/", import.meta.url);

/** The metrics Service's name in deploy/base (the chart's is alike), which ESO's dashboard matches. */
const SERVICE = "external-secrets-kv-operator-metrics";
const S1 = `service=~".*external-secrets.*"`;
const S2 = `service=~"external-secrets.*"`;

/** Panels of ESO's dashboard and ESO's SLIs: what each selects on, as our own PromQL. `$c` = one controller. */
const ESO_QUERIES: { what: string; expr: string; perController?: boolean }[] = [
  ...["secretstore", "clustersecretstore", "externalsecret"].map((c) => ({
    what: `SLI: ${c} reconcile error ratio [15m]`,
    expr: `sum(increase(controller_runtime_reconcile_total{${S1},controller=~"${c}",result="error"}[15m])) / ` +
      `sum(increase(controller_runtime_reconcile_total{${S1},controller=~"${c}"}[15m])) > 0`,
  })),
  {
    what: "SLI: provider error ratio [15m]",
    expr: `sum(increase(externalsecret_provider_api_calls_count{${S1},status="error"}[15m])) / ` +
      `sum(increase(externalsecret_provider_api_calls_count{${S1}}[15m])) > 0`,
  },
  { what: "SLI/alert: workqueue depth by queue", expr: `sum by (name) (workqueue_depth{${S2}})` },
  {
    what: "SLI/alert: reconcile latency p99",
    expr: `histogram_quantile(0.99, sum by (le) (rate(controller_runtime_reconcile_time_seconds_bucket{${S2}}[5m])))`,
  },
  {
    what: "SLI/alert: reconcile errors (all controllers)",
    expr: `sum(increase(controller_runtime_reconcile_total{${S2},controller=~".*",result="error"}[1m])) / ` +
      `sum(increase(controller_runtime_reconcile_total{${S2},controller=~".*"}[1m])) > 0`,
  },
  {
    what: "SLI/alert: reconcile errors by result",
    expr: `sum by (result) (increase(controller_runtime_reconcile_total{${S2},controller=~".*",result="error"}[1m]))`,
  },
  {
    what: "provider errors [15m] by provider/call",
    expr: `increase(externalsecret_provider_api_calls_count{${S1},status="error"}[15m])`,
  },
  {
    what: "not Ready ExternalSecrets",
    expr: `sum by (namespace, name) (externalsecret_status_condition{condition="Ready",status="False"}) == 1`,
  },
  {
    what: "ExternalSecret sync call errors [15m]",
    expr: `sum by (namespace, name) (increase(externalsecret_sync_calls_error[15m]))`,
  },
  { what: "active workers", expr: `sum by (controller) (controller_runtime_active_workers{${S1},controller=~".*"})` },
  { what: "workqueue depth", expr: `sum by (name) (workqueue_depth{${S1}})` },
  {
    what: "API calls by provider/call/status",
    expr: `sum by (provider, call, status) (increase(externalsecret_provider_api_calls_count{${S1}}[1m]))`,
  },
  {
    what: "max concurrent reconciles: $c",
    expr: `sum by (controller) (controller_runtime_max_concurrent_reconciles{${S1},controller="$c"})`,
    perController: true,
  },
  {
    what: "reconcile rate per minute: $c",
    expr: `sum by (result) (increase(controller_runtime_reconcile_total{${S1},controller=~"$c"}[1m]))`,
    perController: true,
  },
  {
    what: "reconcile latency heatmap: $c",
    expr: `sum by (le) (rate(controller_runtime_reconcile_time_seconds_bucket{${S1},controller=~"$c"}[1m]))`,
    perController: true,
  },
  { what: "Secrets not ready", expr: `sum(externalsecret_status_condition{condition="Ready",status="False"})` },
  {
    // ESO's "ClusterExternalSecret error rate [15m]" panel divides by this (its numerator needs a failing reconcile).
    what: "ClusterExternalSecret reconciles [15m]",
    expr: `sum(irate(controller_runtime_reconcile_total{${S1},controller=~"clusterexternalsecret"}[15m]))`,
  },
];

/**
 * ESO panels with nothing to show here, and why. They must stay empty: if one starts returning data, it belongs in
 * ESO_QUERIES.
 */
const NOT_APPLICABLE: { what: string; expr: string }[] = [
  // No PushSecret controller (docs/metrics.md).
  { what: "PushSecret reconciles", expr: `controller_runtime_reconcile_total{controller="pushsecret"}` },
  // No admission webhook: ESO's webhook rules are CEL validations in the CRDs, enforced by the API server.
  { what: "webhook requests", expr: `controller_runtime_webhook_requests_total` },
  { what: "webhook requests in flight", expr: `controller_runtime_webhook_requests_in_flight` },
  { what: "webhook latency", expr: `controller_runtime_webhook_latency_seconds_bucket` },
];

const value = (s: Sample | undefined): number => Number(s?.value[1]);

Deno.test("ESO's dashboard and SLIs return data from a real Prometheus", async (t) => {
  const started = performance.now();
  const cp = await startControlPlane();
  const az = await startAzureEmulators({ vaults: ["zaldre"] });
  let controller: ControllerProcess | undefined;
  let prom: Prometheus | undefined;
  let rulesFile: string | undefined;
  try {
    await seedStore(cp, az, { clientId: "prom-cluster-client", clientSecret: "prom-cluster-secret" });
    // Expiring in 10 days: the source-expiry panel and alert have data.
    az.setSecret("zaldre", "app", "app-value", { expires: new Date(Date.now() + 10 * 86_400_000) });
    controller = await startController({
      kubeconfig: cp.kubeconfigPath,
      authorityHost: az.authorityHost,
      caCertPath: az.caCertPath,
    });
    // Our alert rules, from the PrometheusRule we ship, in Prometheus' own rule file format.
    rulesFile = await Deno.makeTempFile({ prefix: "kv-rules-", suffix: ".yml" });
    const rule = parse(await Deno.readTextFile(new URL("alerts.yaml", MONITORING))) as { spec: unknown };
    await Deno.writeTextFile(rulesFile, stringify(rule.spec));
    prom = await startPrometheus({
      targets: [new URL(controller.metricsUrl).host],
      labels: { service: SERVICE },
      ruleFiles: [rulesFile],
    });
    const p = prom;
    // Counters must be seen at their start value before the errors, or increase() has nothing to compare with.
    await eventually("first scrape", async () => (await p.query(`up{${S2}} == 1`)).length > 0, 15_000);

    const ns = await cp.newNamespace("prom");
    const vaultHost = new URL(az.vaultUrl("zaldre")).host;
    // Two more stores whose first token requests get no answer (connection closed): a transient failure, so the store
    // reconciles end in error (retried with back-off) on both store controllers, then succeed.
    az.addClientSecretApp({ clientId: "prom-team-client", secret: "prom-team-secret", vaults: { zaldre: "read" } });
    az.addClientSecretApp({ clientId: "prom-flaky-client", secret: "prom-flaky-secret", vaults: { zaldre: "read" } });
    const outage = [
      az.faults.drop({ service: "entra", caller: "prom-team-client" }, { rate: 1 }),
      az.faults.drop({ service: "entra", caller: "prom-flaky-client" }, { rate: 1 }),
    ];
    // One 429 on the value the good ExternalSecret reads: the vault budget's throttle counter.
    az.faults.throttle({ vault: "zaldre", name: "app" }, { count: 1, retryAfterSeconds: 1 });
    const creds = (name: string, namespace: string, clientId: string, secret: string): unknown => ({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name, namespace },
      stringData: { "client-id": clientId, "client-secret": secret },
    });
    const azurekv = (credsName: string, credsNs?: string): unknown => {
      const ref = (key: string): unknown => ({ name: credsName, key, ...(credsNs ? { namespace: credsNs } : {}) });
      return {
        tenantId: az.tenantId,
        vaultUrl: az.vaultUrl("zaldre"),
        authSecretRef: { clientId: ref("client-id"), clientSecret: ref("client-secret") },
      };
    };
    await apply(
      cp,
      creds("team-creds", ns, "prom-team-client", "prom-team-secret"),
      creds("flaky-creds", "external-secrets", "prom-flaky-client", "prom-flaky-secret"),
      {
        apiVersion: "external-secrets.io/v1",
        kind: "SecretStore",
        metadata: { name: "team-store", namespace: ns },
        spec: { provider: { azurekv: azurekv("team-creds") } },
      },
      {
        apiVersion: "external-secrets.io/v1",
        kind: "ClusterSecretStore",
        metadata: { name: "flaky-cluster-store" },
        spec: { provider: { azurekv: azurekv("flaky-creds", "external-secrets") } },
      },
    );
    // The SDK retries a dropped token request a few times before the reconcile fails: wait for that, then recover.
    for (const c of ["secretstore", "clustersecretstore"]) {
      await eventually(
        `a ${c} reconcile error`,
        async () =>
          ((await controller!.metric(`controller_runtime_reconcile_total{controller="${c}",result="error"}`)) ?? 0) > 0,
      );
    }
    for (const id of outage) az.faults.remove(id);
    const es = (name: string, kind: string, store: string, key: string): unknown => ({
      apiVersion: "external-secrets.io/v1",
      kind: "ExternalSecret",
      metadata: { name, namespace: ns },
      spec: {
        refreshInterval: "1h",
        secretStoreRef: { kind, name: store },
        data: [{ secretKey: "v", remoteRef: { key } }],
      },
    });
    await apply(
      cp,
      es("app", "SecretStore", "team-store", "app"),
      // A key the vault does not have: a 404 on every retry.
      es("missing", "ClusterSecretStore", "azure-keyvault-cluster-store", "no-such-secret"),
    );
    // A ClusterExternalSecret stamping the good ExternalSecret's spec into this namespace: its controller's metrics.
    await apply(cp, {
      apiVersion: "external-secrets.io/v1",
      kind: "ClusterExternalSecret",
      metadata: { name: "prom-ces" },
      spec: {
        namespaces: [ns],
        externalSecretName: "from-ces",
        externalSecretSpec: (es("from-ces", "SecretStore", "team-store", "app") as ExternalSecret).spec,
      },
    });
    const synced = await eventually("app synced", async () => {
      const x = await getJson<ExternalSecret>(cp, ["externalsecret", "-n", ns, "app"]);
      return ready(x)?.status === "True" ? x : undefined;
    });

    await t.step("every ESO dashboard panel and SLI returns at least one series", async () => {
      const controllers = await p.labelValues("controller", `controller_runtime_active_workers{${S1}}`);
      for (const c of ["externalsecret", "secretstore", "clustersecretstore", "clusterexternalsecret"]) {
        assert.ok(controllers.includes(c), `the $controller variable lists ${c}: ${controllers}`);
      }
      for (const q of ESO_QUERIES) {
        for (const c of q.perController ? controllers : [""]) {
          const expr = q.expr.replaceAll("$c", c);
          // The error ratios need two scrapes around an error; give them a few seconds.
          await eventually(`${q.what.replace("$c", c)}: ${expr}`, async () => (await p.query(expr)).length > 0, 20_000);
        }
      }
      for (const q of NOT_APPLICABLE) {
        assert.deepEqual(await p.query(q.expr), [], `${q.what} has no data here: move it to ESO_QUERIES`);
      }
    });

    await t.step("every panel of our dashboard (deploy/monitoring) returns at least one series", async () => {
      type Panel = { title: string; targets?: { expr: string }[]; panels?: Panel[] };
      const dash = JSON.parse(await Deno.readTextFile(new URL("kv-operator-dashboard.json", MONITORING))) as {
        panels: Panel[];
        templating: { list: { name: string; query: string | { query: string } }[] };
      };
      const variable = (name: string): string => {
        const v = dash.templating.list.find((x) => x.name === name)!;
        return typeof v.query === "string" ? v.query : v.query.query;
      };
      const service = variable("service");
      const controllerQuery = /^label_values\((.*), controller\)$/.exec(
        variable("controller").replaceAll("$service", service),
      );
      assert.ok(controllerQuery, "the $controller variable is label_values(..., controller)");
      const controllers = await p.labelValues("controller", controllerQuery[1]!);
      assert.ok(controllers.length >= 3, `controllers: ${controllers}`);
      const panels = dash.panels.flatMap((x) => [x, ...(x.panels ?? [])]).filter((x) => x.targets?.length);
      assert.ok(panels.length >= 20, `${panels.length} panels`);
      for (const panel of panels) {
        for (const target of panel.targets!) {
          for (const c of target.expr.includes("$controller") ? controllers : [""]) {
            const expr = target.expr.replaceAll("$service", service).replaceAll("$controller", c)
              .replaceAll("$__rate_interval", "1m");
            await eventually(`${panel.title} (${c}): ${expr}`, async () => (await p.query(expr)).length > 0, 20_000);
          }
        }
      }
    });

    await t.step("kubectl apply -k deploy/monitoring: the dashboard ConfigMap Grafana's sidecar picks up", async () => {
      const r = await cp.kubectl(["kustomize", MONITORING.pathname]);
      assert.equal(r.code, 0, r.stderr);
      const docs = parseAllDocuments(r.stdout).map((d) => d.toJSON());
      const cm = docs.find((d) => d.kind === "ConfigMap");
      assert.equal(cm?.metadata.name, "kv-operator-dashboard");
      assert.equal(cm?.metadata.labels.grafana_dashboard, "1");
      assert.equal(
        cm?.data["kv-operator-dashboard.json"],
        await Deno.readTextFile(new URL("kv-operator-dashboard.json", MONITORING)),
      );
      assert.ok(docs.some((d) => d.kind === "PrometheusRule" && d.metadata.namespace === "kv-operator"));
      // The ConfigMap is admitted by a real API server (the PrometheusRule needs the Prometheus Operator's CRD).
      await cp.kubectl(["create", "namespace", "kv-operator"]);
      const applied = await cp.kubectl(["create", "--dry-run=server", "-f", "-"], { stdin: JSON.stringify(cm) });
      assert.equal(applied.code, 0, applied.stderr);
    });

    await t.step(
      "our alert rules load, evaluate without error, and the not-ready, Key Vault error and expiry alerts are pending",
      async () => {
        // Rules are evaluated every second; their state can lag the data by an evaluation or two.
        await eventually("rules evaluated, and the two alerts pending", async () => {
          const rules = (await p.rules()).flatMap((g) => g.rules);
          assert.equal(rules.length, 8);
          for (const r of rules) assert.equal(r.health, "ok", JSON.stringify(r));
          const notReady = rules.find((r) => r.name === "ExternalSecretNotReady")!;
          assert.ok(
            notReady.alerts?.some((a) =>
              a.labels.name === "missing" && a.labels.namespace === ns && a.state === "pending"
            ),
            JSON.stringify(notReady),
          );
          // 404s are errors: the error ratio is over 5 %.
          const kvErrors = rules.find((r) => r.name === "KeyVaultCallErrors")!;
          assert.equal(kvErrors.state, "pending", JSON.stringify(kvErrors));
          const expiring = rules.find((r) => r.name === "SourceExpiringSoon")!;
          assert.ok(
            expiring.alerts?.some((a) => a.labels.name === "app" && a.state === "pending"),
            JSON.stringify(expiring),
          );
          return true;
        }, 15_000);
      },
    );

    await t.step('a Key Vault 404 counts as status="error"', async () => {
      const sel = `externalsecret_provider_api_calls_count{${S2},provider="Azure/KeyVault",call="GetSecret"`;
      const errors = value((await p.query(`${sel},status="error"}`))[0]);
      assert.ok(errors >= 1, `404s counted as errors: ${errors}`);
      // The vault's failures are the 404s and the one 429 (also an error, as in ESO).
      const failed = az.counters({ vault: "zaldre", status: 404 }).total +
        az.counters({ vault: "zaldre", status: 429 }).total;
      assert.ok(errors <= failed, `${errors} errors counted, the vault answered ${failed} 404s and 429s`);
      assert.ok(value((await p.query(`${sel},status="success"}`))[0]) >= 1, "the good read is a success");
      const notReady = await p.query(
        `externalsecret_status_condition{namespace="${ns}",name="missing",condition="Ready",status="False"}`,
      );
      assert.equal(value(notReady[0]), 1);
    });

    await t.step("store reconcile-duration gauges (nanoseconds, as ESO)", async () => {
      const ss = await p.query(`secretstore_reconcile_duration{${S2},namespace="${ns}",name="team-store"}`);
      const css = await p.query(`clustersecretstore_reconcile_duration{${S2},name="flaky-cluster-store"}`);
      assert.equal(ss.length, 1);
      assert.equal(css.length, 1);
      assert.equal(css[0]!.metric.namespace, undefined, "a ClusterSecretStore has no namespace");
      // A validation gets a token over HTTPS: well over 0.1 ms, well under 30 s; in seconds it would be < 30.
      for (const v of [value(ss[0]), value(css[0])]) assert.ok(v > 1e5 && v < 30e9, `duration ${v} ns`);
    });

    await t.step("ESO's clusterexternalsecret_* gauges", async () => {
      const [up] = await p.query(
        `clusterexternalsecret_status_condition{${S2},name="prom-ces",condition="Ready",status="True"}`,
      );
      assert.equal(value(up), 1);
      assert.equal(up!.metric.namespace, undefined, "a ClusterExternalSecret has no namespace");
      const [notReady] = await p.query(`clusterexternalsecret_status_condition{name="prom-ces",status="False"}`);
      assert.equal(value(notReady), 0);
      const [d] = await p.query(`clusterexternalsecret_reconcile_duration{${S2},name="prom-ces"}`);
      assert.equal(d?.metric.namespace, undefined);
      assert.ok(value(d) > 1e4 && value(d) < 30e9, `duration ${value(d)} ns`);
      await eventually("the child synced like any ExternalSecret", async () => {
        const child = await getJson<ExternalSecret>(cp, ["externalsecret", "-n", ns, "from-ces"]);
        return ready(child)?.status === "True";
      });
    });

    await t.step("externalsecret_sync_age_seconds is now − status.refreshTime", async () => {
      const refreshed = Date.parse(synced.status!.refreshTime!) / 1000;
      const [s] = await p.query(`externalsecret_sync_age_seconds{${S2},namespace="${ns}",name="app"}`);
      assert.ok(s, "the synced ExternalSecret has a sync age");
      const expected = s.value[0] - refreshed;
      // Scraped up to ~1 s before the query; refreshTime has whole seconds.
      assert.ok(Math.abs(value(s) - expected) <= 3, `age ${value(s)} s, expected ≈${expected.toFixed(1)} s`);
      assert.deepEqual(
        await p.query(`externalsecret_sync_age_seconds{namespace="${ns}",name="missing"}`),
        [],
        "never synced: no age",
      );
      await new Promise((r) => setTimeout(r, 2100));
      const [later] = await p.query(`externalsecret_sync_age_seconds{namespace="${ns}",name="app"}`);
      assert.ok(value(later) > value(s), "the age grows while nothing syncs");
    });

    await t.step("the vault budget as metrics", async () => {
      const one = async (expr: string): Promise<number> => value((await p.query(expr))[0]);
      const requests = await one(`kv_operator_vault_requests_total{vault="${vaultHost}"}`);
      assert.ok(requests >= 2, `requests to ${vaultHost}: ${requests}`);
      assert.ok(requests <= az.counters({ vault: "zaldre" }).total, "no more requests than the vault saw");
      assert.equal(await one(`kv_operator_vault_throttled_total{vault="${vaultHost}"}`), 1);
      // Every request waited for the budget (mostly 0 s) and was timed; both figures come from one scrape.
      const [waits, sent] = await Promise.all([
        one(`kv_operator_vault_rate_limit_wait_seconds_count{vault="${vaultHost}"}`),
        one(`kv_operator_vault_requests_total{vault="${vaultHost}"}`),
      ]);
      assert.equal(waits, sent);
      assert.ok(await one(`kv_operator_read_cache_requests_total{result="miss"}`) >= 2);
    });

    await t.step("logs name the client that failed (an ID is not a secret)", () => {
      const failed = controller!.logs().filter((l) => l.msg === "store validated" && l.level === "warn");
      assert.ok(failed.length >= 1, "the outage was logged");
      for (const l of failed) {
        assert.match(String(l.error), /for client prom-(team|flaky)-client /, String(l.error));
        assert.doesNotMatch(String(l.error), /REDACTED/);
      }
    });

    await t.step("--log-format text reads like klog; JSON stays the default", async () => {
      assert.ok(controller!.logs().some((l) => l.msg === "ready"), "the default is JSON");
      const path = await bundle("controller/main.ts", "kv-operator");
      // A namespace of its own and no metrics port: it only starts, logs and stops.
      const proc = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--quiet",
          "--no-config",
          "--cached-only",
          ...CONTROLLER_PERMISSIONS,
          path,
          `--kubeconfig=${cp.kubeconfigPath}`,
          `--namespace=${await cp.newNamespace("text-logs")}`,
          "--metrics-addr=0",
          `--azure-authority-host=${az.authorityHost}`,
          "--azure-disable-challenge-resource-verification",
          "--log-format=text",
        ],
        env: { NODE_EXTRA_CA_CERTS: az.caCertPath, NO_COLOR: "1" },
        stdin: "null",
        stdout: "null",
        stderr: "piped",
      }).spawn();
      let text = "";
      const reader = proc.stderr.pipeThrough(new TextDecoderStream()).getReader();
      const deadline = Date.now() + 30_000;
      while (!/\] "ready" /.test(text) && Date.now() < deadline) {
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
      }
      proc.kill("SIGTERM");
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
      }
      await proc.status;
      const lines = text.trim().split("\n");
      const klog =
        /^[DIWE]\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ kv-operator\] "[^"]+"( [A-Za-z]+=("([^"\\]|\\.)*"|[^ "]+))*$/;
      for (const l of lines) assert.match(l, klog);
      assert.ok(lines.some((l) => /^I\d{4} [\d:.]+ +\d+ kv-operator\] "ready" startupMs=\d+ version="/.test(l)), text);
      assert.ok(lines.some((l) => / "stopped"$/.test(l)), text);
    });

    await t.step(
      "a changed credentials Secret re-validates its ClusterSecretStore in the clustersecretstore controller",
      async () => {
        const count = async (c: string): Promise<number> => {
          let n = 0;
          for (const r of ["success", "error", "requeue", "requeue_after"]) {
            n += (await controller!.metric(`controller_runtime_reconcile_total{controller="${c}",result="${r}"}`)) ?? 0;
          }
          return n;
        };
        const [css, ss] = [await count("clustersecretstore"), await count("secretstore")];
        await apply(cp, creds("flaky-creds", "external-secrets", "prom-flaky-client", "not-the-secret"));
        const store = await eventually("flaky-cluster-store rejected", async () => {
          const x = await getJson<ExternalSecret>(cp, ["clustersecretstore", "flaky-cluster-store"]);
          return ready(x)?.status === "False" ? x : undefined;
        }, 15_000);
        assert.match(ready(store)!.message!, /prom-flaky-client/);
        assert.ok((await count("clustersecretstore")) > css, "reconciled by the clustersecretstore controller");
        assert.equal(await count("secretstore"), ss, "not by the secretstore controller");
      },
    );

    await t.step("no secret value reached the controller's output", () => {
      const out = controller!.rawOutput();
      for (const v of ["app-value", "prom-team-secret", "prom-flaky-secret", "prom-cluster-secret"]) {
        assert.ok(!out.includes(v), `${v} leaked`);
      }
    });
  } finally {
    await prom?.stop();
    if (rulesFile) await Deno.remove(rulesFile).catch(() => {});
    await controller?.stop();
    await az.stop();
    await cp.stop();
    // deno-lint-ignore no-console -- the run time is a figure worth seeing
    console.log(`prometheus_test: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
});
