/**
 * Start-up of the kubectl plugin, as a person meets it: `kubectl externalsecret --help`, and `status` over 1,000
 * ExternalSecrets, each run by the real kubectl through the shipped wrapper and bundle (`build:plugin`). The 1,000
 * ExternalSecrets are created with `kubectl apply` of a generated List in a fresh namespace of a real
 * kube-apiserver; no controller runs, so they are not synced (status then shows them all as not Ready, exit 3) —
 * the work the plugin does per object is the same.
 *
 * Prints figures (median, min, max of wall time; peak RSS of the plugin process); never fails on speed.
 * Run: `deno task bench:plugin` (or `deno run -A tests/bench/plugin_bench.ts [runs]`).
 *
 * @module
 */
// deno-lint-ignore-file no-console -- a benchmark prints its figures.
import { stringify } from "yaml";
import { buildPlugin } from "../../kubectl-plugin/build.ts";
import { run, startControlPlane } from "../harness/control_plane.ts";

const COUNT = 1000;
const RUNS = Number(Deno.args[0] ?? 10);

interface Sample {
  ms: number;
  code: number;
  rssKb?: number;
}

async function timed(cmd: string, args: string[], env: Record<string, string>): Promise<Sample> {
  // /usr/bin/time reports the peak RSS of the largest process in the tree it waits for (the plugin's deno).
  const hasTime = await Deno.stat("/usr/bin/time").then(() => true, () => false);
  const started = performance.now();
  const r = hasTime
    ? await run("/usr/bin/time", ["-f", "__rss=%M", cmd, ...args], { env })
    : await run(cmd, args, { env });
  const ms = performance.now() - started;
  const rss = /__rss=(\d+)/.exec(r.stderr)?.[1];
  return { ms, code: r.code, ...(rss ? { rssKb: Number(rss) } : {}) };
}

function stats(samples: Sample[]): string {
  const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
  const med = ms[Math.floor(ms.length / 2)]!;
  const rss = samples.map((s) => s.rssKb ?? 0).filter((x) => x > 0);
  const peak = rss.length ? ` | peak RSS ${Math.round(Math.max(...rss) / 1024)} MB` : "";
  return `median ${med.toFixed(0)} ms | min ${ms[0]!.toFixed(0)} | max ${ms[ms.length - 1]!.toFixed(0)} ms${peak} ` +
    `(${samples.length} runs, exit ${[...new Set(samples.map((s) => s.code))].join("/")})`;
}

async function measure(label: string, cmd: string, args: string[], env: Record<string, string>): Promise<void> {
  await timed(cmd, args, env); // warm the page cache and Deno's code cache
  const samples: Sample[] = [];
  for (let i = 0; i < RUNS; i++) samples.push(await timed(cmd, args, env));
  console.log(`${label.padEnd(62)} ${stats(samples)}`);
}

async function main(): Promise<void> {
  const cp = await startControlPlane();
  const root = await Deno.makeTempDir({ prefix: "kv-plugin-bench-" });
  try {
    const wrapper = await buildPlugin(`${root}/`);
    const binDir = wrapper.slice(0, wrapper.lastIndexOf("/"));
    const env = { PATH: `${binDir}:${Deno.env.get("PATH")}`, KUBECONFIG: cp.kubeconfigPath, NO_COLOR: "1" };
    const ns = await cp.newNamespace("bench");
    const items = Array.from({ length: COUNT }, (_, i) => ({
      apiVersion: "external-secrets.io/v1",
      kind: "ExternalSecret",
      metadata: { name: `es-${String(i).padStart(4, "0")}`, namespace: ns, labels: { shard: String(i % 10) } },
      spec: {
        refreshInterval: "1h",
        secretStoreRef: { name: "azure-keyvault-cluster-store", kind: "ClusterSecretStore" },
        target: { name: `secret-${i}` },
        data: [{ secretKey: "value", remoteRef: { key: `key-${i % 50}` } }],
      },
    }));
    const t0 = performance.now();
    const applied = await cp.kubectl(["apply", "--server-side", "-f", "-"], {
      stdin: stringify({ apiVersion: "v1", kind: "List", items }),
    });
    if (applied.code !== 0) throw new Error(`kubectl apply failed: ${applied.stderr}`);
    console.log(
      `created ${COUNT} ExternalSecrets in ${ns} with kubectl apply in ${(performance.now() - t0).toFixed(0)} ms`,
    );
    console.log(`(no controller: they are not synced)\n`);

    await measure("kubectl version --client (kubectl alone, baseline)", "kubectl", ["version", "--client"], env);
    await measure("kubectl-externalsecret --help (wrapper, no kubectl)", "kubectl-externalsecret", ["--help"], env);
    await measure("kubectl externalsecret --help", "kubectl", ["externalsecret", "--help"], env);
    await measure(`kubectl externalsecret status -n <ns>  (${COUNT} ExternalSecrets)`, "kubectl", [
      "externalsecret",
      "status",
      "-n",
      ns,
    ], env);
    await measure(`kubectl externalsecret status -A -o wide  (${COUNT})`, "kubectl", [
      "externalsecret",
      "status",
      "-A",
      "-o",
      "wide",
    ], env);
    await measure(`kubectl externalsecret status -l shard=3 -n <ns>  (100)`, "kubectl", [
      "externalsecret",
      "status",
      "-n",
      ns,
      "-l",
      "shard=3",
    ], env);
    await measure(`kubectl externalsecret status es-0042 -n <ns>  (detail)`, "kubectl", [
      "externalsecret",
      "status",
      "es-0042",
      "-n",
      ns,
    ], env);
    await measure(`kubectl get externalsecrets -n <ns>  (${COUNT}, for comparison)`, "kubectl", [
      "get",
      "externalsecrets",
      "-n",
      ns,
    ], env);
    const out = await run("kubectl", ["externalsecret", "status", "-n", ns], { env });
    console.log(`\nstatus printed ${out.stdout.trim().split("\n").length - 1} rows (exit ${out.code})`);
  } finally {
    await Deno.remove(root, { recursive: true }).catch(() => {});
    await cp.stop();
  }
}

if (import.meta.main) await main();
