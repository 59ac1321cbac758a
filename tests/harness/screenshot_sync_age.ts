/**
 * Renders `docs/prometheus_sync_age.png`: Prometheus's graph page for the dashboard's "Sync age" query, after five
 * ExternalSecrets refreshing every 20–60 s ran for ~3 min against the control plane and the emulators. Needs
 * `chromium` and the JavaScript libraries Debian's Prometheus UI links to (apt: chromium libjs-bootstrap4
 * libjs-eonasdan-bootstrap-datetimepicker libjs-jquery libjs-jquery-hotkeys libjs-moment libjs-moment-timezone
 * libjs-mustache libjs-popper.js libjs-rickshaw libjs-d3 fonts-glyphicons-halflings).
 *
 *   NODE_EXTRA_CA_CERTS=~/.cache/kv-operator/emulator-ca/trust-bundle.crt tools/deno/deno run -A \
 *     tests/harness/screenshot_sync_age.ts
 *
 * @module
 */
// deno-lint-ignore-file no-console -- a program for people: its output is the point.
import { startAzureEmulators } from "./azure/mod.ts";
import { startControlPlane } from "./control_plane.ts";
import { startController } from "./controller_process.ts";
import { ensurePrometheus, startPrometheus } from "./prometheus.ts";
import { apply, seedStore } from "./scenario.ts";

const OUT = new URL("../../docs/prometheus_sync_age.png", import.meta.url).pathname;
const EXPR = 'topk(10, externalsecret_sync_age_seconds{service=~".*external-secrets.*"})';

const cp = await startControlPlane();
const az = await startAzureEmulators({ vaults: ["zaldre"] });
try {
  await seedStore(cp, az, { clientId: "shot-client", clientSecret: "shot-secret" });
  const c = await startController({
    kubeconfig: cp.kubeconfigPath,
    authorityHost: az.authorityHost,
    caCertPath: az.caCertPath,
  });
  // The package's web files link to /usr/share/javascript by relative paths: give them that layout.
  const web = await Deno.makeTempDir({ prefix: "kv-prometheus-web-" });
  const share = (await ensurePrometheus()).replace(/usr\/bin\/prometheus$/, "usr/share");
  await Deno.mkdir(`${web}/prometheus`);
  const cp1 = await new Deno.Command("cp", { args: ["-a", `${share}/prometheus/web`, `${web}/prometheus/`] }).output();
  if (!cp1.success) throw new Error("Cannot copy Prometheus's web files");
  await Deno.symlink("/usr/share/javascript", `${web}/javascript`);
  const prom = await startPrometheus({
    targets: [new URL(c.metricsUrl).host],
    labels: { service: "external-secrets-kv-operator-metrics" },
    webAssets: `${web}/prometheus/web/`,
  });
  try {
    const ns = await cp.newNamespace("team");
    for (const [i, seconds] of [20, 30, 40, 50, 60].entries()) {
      az.setSecret("zaldre", `app-${i}`, `v${i}`);
      await apply(cp, {
        apiVersion: "external-secrets.io/v1",
        kind: "ExternalSecret",
        metadata: { name: `app-${i}`, namespace: ns },
        spec: {
          refreshInterval: `${seconds}s`,
          secretStoreRef: { kind: "ClusterSecretStore", name: "azure-keyvault-cluster-store" },
          data: [{ secretKey: "v", remoteRef: { key: `app-${i}` } }],
        },
      });
      await new Promise((r) => setTimeout(r, 7000));
    }
    console.log("waiting 150 s for the graph to fill");
    await new Promise((r) => setTimeout(r, 150_000));
    const url = `${prom.url}/graph?g0.expr=${encodeURIComponent(EXPR)}&g0.tab=0&g0.stacked=0&g0.range_input=3m`;
    const profile = await Deno.makeTempDir({ prefix: "kv-chromium-" });
    const shot = await new Deno.Command("chromium", {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        `--user-data-dir=${profile}`,
        "--hide-scrollbars",
        "--window-size=1400,900",
        "--virtual-time-budget=15000",
        `--screenshot=${OUT}`,
        url,
      ],
      stdout: "null",
      stderr: "piped",
    }).output();
    await Deno.remove(profile, { recursive: true }).catch(() => {});
    if (!shot.success) throw new Error(`chromium failed: ${new TextDecoder().decode(shot.stderr)}`);
    console.log(`wrote ${OUT}`);
  } finally {
    await prom.stop();
    await c.stop();
    await Deno.remove(web, { recursive: true }).catch(() => {});
  }
} finally {
  await az.stop();
  await cp.stop();
}
