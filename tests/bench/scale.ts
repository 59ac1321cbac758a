/**
 * `deno task bench:scale`: how long the controller takes to bring `n` ExternalSecrets in the seed's regcred shape
 * (over `keys` Key Vault secrets, one ClusterSecretStore) to Ready, on real parts — the control plane and the Azure
 * emulators of `tests/harness/`, the bundled controller as a separate process (`controller_process.ts`) — and what
 * it costs: memory, CPU, Key Vault and apiserver requests, one steady refresh window, one rotation, a restart.
 *
 * The objects are created before the controller starts. `ceilingSeconds` is measured in the same run: a bare
 * client creating `n` plain Secrets as fast as the same apiserver allows. Prints a table; `--json FILE` writes the
 * result (`scale_report.ts`). Never fails on speed. Flags: `scale_report.ts` {@link USAGE}.
 *
 * @module
 */
// deno-lint-ignore-file no-console -- a benchmark prints its figures.
import { rotationToken } from "../../controller/api/force_sync.ts";
import { externalSecrets } from "../../controller/api/resources.ts";
import type { ExternalSecret } from "../../controller/api/types.ts";
import {
  createKubeClient,
  type KubeClient,
  mergePatch,
  resourcePath,
  secrets,
  watcher,
} from "../../controller/kube/mod.ts";
import type { Secret } from "../../controller/kube/types.ts";
import { type AzureEmulators, startAzureEmulators } from "../harness/azure/mod.ts";
import { run, startControlPlane } from "../harness/control_plane.ts";
import { bundle, type ControllerProcess, startController } from "../harness/controller_process.ts";
import { ready, seedStore } from "../harness/scenario.ts";
import { parseScaleArgs, resultJson, resultTable, type ScaleOptions, type ScaleResult } from "./scale_report.ts";

const NS = "bench";
const STORE = "azure-keyvault-cluster-store";
const CREATE_CONCURRENCY = 32;

const pad = (i: number): string => String(i).padStart(5, "0");
const keyName = (k: number): string => `docker-config-json-${pad(k)}`;
const keyValue = (k: number, version: number): string =>
  JSON.stringify({ auths: { [`registry-${k}.example.com`]: { auth: btoa(`robot-${k}:token-v${version}-${k}`) } } });

/** Runs `fn` over `items` with at most `limit` in flight. */
async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** What the bench's own watches saw: each ExternalSecret's readiness and each target Secret's data. */
class Tracker {
  readonly esReady = new Map<string, boolean>();
  readonly data = new Map<string, string | undefined>();
  /** base64 of each key's current value. */
  readonly expected: string[];

  constructor(readonly opts: ScaleOptions) {
    this.expected = range(opts.keys).map((k) => btoa(keyValue(k, 1)));
  }

  keyOf(i: number): number {
    return i % this.opts.keys;
  }

  /** ExternalSecrets Ready whose Secret holds the right data. */
  done(indexes: readonly number[] = range(this.opts.n), needReady = true): number {
    let c = 0;
    for (const i of indexes) {
      const name = `regcred-${pad(i)}`;
      if ((!needReady || this.esReady.get(name)) && this.data.get(name) === this.expected[this.keyOf(i)]) c++;
    }
    return c;
  }

  watch(client: KubeClient, signal: AbortSignal): void {
    void (async () => {
      for await (const ev of watcher(client, externalSecrets, { namespace: NS, signal })) {
        if (ev.type === "InitApply" || ev.type === "Apply") {
          const es = ev.object as ExternalSecret;
          this.esReady.set(es.metadata!.name!, ready(es)?.status === "True");
        }
      }
    })();
    void (async () => {
      for await (const ev of watcher(client, secrets, { namespace: NS, signal })) {
        if (ev.type === "InitApply" || ev.type === "Apply") {
          const s = ev.object as Secret;
          this.data.set(s.metadata!.name!, s.data?.[".dockerconfigjson"]);
        } else if (ev.type === "Delete") this.data.delete(ev.object.metadata!.name!);
      }
    })();
  }
}

/** Sums the series of one metric whose labels contain every `match` pair (`name="externalsecret"`). */
async function scrape(c: ControllerProcess, metric: string, ...match: string[]): Promise<number> {
  const text = await fetch(`${c.metricsUrl}/metrics`).then((r) => r.text());
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${metric}{`) && !line.startsWith(`${metric} `)) continue;
    if (match.every((m) => line.includes(m))) sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}

function procStatus(pid: number, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(Deno.readTextFileSync(`/proc/${pid}/status`));
  return m ? Number(m[1]) : NaN;
}

/** utime + stime of a process, in seconds (USER_HZ is 100 on Linux). */
function cpuSeconds(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Peak RSS of a deno process that only waits: the runtime's own share. */
async function denoBaselineMb(): Promise<number> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-config", "await new Promise((r) => setTimeout(r, 1500))"],
    stdout: "null",
    stderr: "null",
  }).spawn();
  await sleep(1000);
  const kb = procStatus(child.pid, "VmHWM");
  await child.status;
  return Math.round(kb / 1024);
}

/** The 1-minute load average (the machine is shared: times vary with it, counts and memory do not). */
function loadAverage(): number {
  return Number(Deno.readTextFileSync("/proc/loadavg").split(" ")[0]);
}

/** The control plane's process ids (written by `startControlPlane` beside its kubeconfig). */
function controlPlanePids(dir: string): { apiserver: number; etcd: number } {
  const s = JSON.parse(Deno.readTextFileSync(`${dir}/state.json`)) as { apiserverPid: number; etcdPid: number };
  return { apiserver: s.apiserverPid, etcd: s.etcdPid };
}

async function commit(): Promise<string> {
  const root = new URL("../../", import.meta.url).pathname;
  const head = await run("git", ["-C", root, "rev-parse", "--short", "HEAD"]);
  const dirty = await run("git", ["-C", root, "status", "--porcelain", "--untracked-files=no"]);
  return head.stdout.trim() + (dirty.stdout.trim() ? "-dirty" : "");
}

function kvCounts(az: AzureEmulators, afterSeq: number): { gets: number; lists: number; all: number; tokens: number } {
  const kv = az.counters({ service: "keyvault", afterSeq });
  const entra = az.counters({ service: "entra", afterSeq });
  const tokens = Object.entries(entra.byRoute).filter(([r]) => r.includes("/token")).reduce((s, [, v]) => s + v, 0);
  return {
    gets: kv.byRoute["GET /secrets/{name}/{version}"] ?? 0,
    lists: Object.entries(kv.byRoute).filter(([r]) => /^GET \/[a-z]+$|\/versions$/.test(r)).reduce(
      (s, [, v]) => s + v,
      0,
    ),
    all: kv.total,
    tokens,
  };
}

/** Waits until `check()` reaches `target`, printing progress every 2 s; returns the seconds since `t0`. */
async function until(
  label: string,
  t0: number,
  target: number,
  check: () => number,
  timeoutMs: number,
  extra: () => string = () => "",
): Promise<number> {
  let lastPrint = performance.now();
  while (true) {
    const have = check();
    const now = performance.now();
    if (have >= target) return (now - t0) / 1000;
    if (now - t0 > timeoutMs) throw new Error(`${label}: ${have}/${target} after ${timeoutMs / 1000} s`);
    if (now - lastPrint >= 2000) {
      console.log(`  ${label}: ${have}/${target} at ${((now - t0) / 1000).toFixed(1)} s${extra()}`);
      lastPrint = now;
    }
    await sleep(100);
  }
}

async function main(opts: ScaleOptions): Promise<ScaleResult> {
  const cp = await startControlPlane();
  const az = await startAzureEmulators({ vaults: ["zaldre"] });
  const stop = new AbortController();
  const controllers: ControllerProcess[] = [];
  const client = await createKubeClient({ kubeconfig: cp.kubeconfigPath, context: "admin" });
  let kept = 0;
  const keep = async (c: ControllerProcess): Promise<void> => {
    if (!opts.keepLogs) return;
    await Deno.mkdir(opts.keepLogs, { recursive: true });
    kept++;
    await Deno.writeTextFile(
      `${opts.keepLogs}/metrics-${kept}.txt`,
      await fetch(`${c.metricsUrl}/metrics`).then((r) => r.text()),
    );
    await Deno.writeTextFile(`${opts.keepLogs}/controller-${kept}.log`, c.rawOutput());
    await Deno.copyFile(`/proc/${c.pid}/smaps`, `${opts.keepLogs}/smaps-${kept}.txt`).catch(() => {});
  };
  try {
    await seedStore(cp, az, { clientId: "0b7e8f4c-scale-bench", clientSecret: "scale-bench-secret" });
    for (const k of range(opts.keys)) az.setSecret("zaldre", keyName(k), keyValue(k, 1));
    for (const ns of [NS, "ceiling", "noise"]) await cp.kubectl(["create", "namespace", ns]);

    // The ceiling: n plain Secrets as fast as this apiserver takes them, then gone again (one deletecollection).
    const blob = btoa("x".repeat(96));
    let t = performance.now();
    await pool(
      range(opts.n),
      CREATE_CONCURRENCY,
      (i) =>
        client.create(secrets, { metadata: { name: `plain-${pad(i)}` }, data: { v: blob } }, { namespace: "ceiling" }),
    );
    const ceilingSeconds = (performance.now() - t) / 1000;
    console.log(
      `ceiling: ${opts.n} plain Secrets created in ${ceilingSeconds.toFixed(1)} s (${CREATE_CONCURRENCY} in flight)`,
    );
    await client.request({ method: "DELETE", path: resourcePath(secrets, { namespace: "ceiling" }), timeoutMs: null });

    if (opts.noiseSecrets > 0) {
      // Unrelated Secrets of a realistic size (2 KiB of data, labels, an annotation): the controller must not hold them.
      const big = btoa("n".repeat(1536));
      await pool(range(opts.noiseSecrets), CREATE_CONCURRENCY, (i) =>
        client.create(secrets, {
          metadata: { name: `noise-${pad(i)}`, labels: { app: "noise" }, annotations: { owner: "someone-else" } },
          data: { "tls.crt": big, "tls.key": blob },
        }, { namespace: "noise" }));
      console.log(`created ${opts.noiseSecrets} unrelated Secrets`);
    }

    t = performance.now();
    await pool(range(opts.n), CREATE_CONCURRENCY, (i) =>
      client.create(externalSecrets, {
        apiVersion: "external-secrets.io/v1",
        kind: "ExternalSecret",
        metadata: { name: `regcred-${pad(i)}`, namespace: NS },
        spec: {
          refreshPolicy: "Periodic",
          refreshInterval: opts.interval,
          secretStoreRef: { name: STORE, kind: "ClusterSecretStore" },
          target: {
            name: `regcred-${pad(i)}`,
            creationPolicy: "Owner",
            template: { type: "kubernetes.io/dockerconfigjson", data: { ".dockerconfigjson": "{{ .dockerconfig }}" } },
          },
          data: [{ secretKey: "dockerconfig", remoteRef: { key: keyName(i % opts.keys) } }],
        },
      } as ExternalSecret, { namespace: NS }));
    console.log(
      `created ${opts.n} ExternalSecrets over ${opts.keys} keys in ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );

    const tracker = new Tracker(opts);
    tracker.watch(client, stop.signal);
    await until("bench watches synced", performance.now(), opts.n, () => tracker.esReady.size, 120_000);

    const spawn = (): Promise<ControllerProcess> =>
      startController({
        kubeconfig: cp.kubeconfigPath,
        authorityHost: az.authorityHost,
        caCertPath: az.caCertPath,
        args: ["--loglevel=info", ...opts.controllerArgs],
        denoArgs: opts.denoArgs,
        env: opts.controllerEnv,
      });
    // Bundle first so that bundling is not part of readySeconds.
    await bundle("controller/main.ts", "kv-operator");

    const seq0 = az.counters().lastSeq;
    const cpPids = controlPlanePids(cp.dir);
    const cpCpu0 = { apiserver: cpuSeconds(cpPids.apiserver), etcd: cpuSeconds(cpPids.etcd) };
    const loads: number[] = [loadAverage()];
    const t0 = performance.now();
    let controller = await spawn();
    controllers.push(controller);
    console.log(`controller ready (caches synced) after ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    let peakHeap = 0;
    const mem = (): string => {
      loads.push(loadAverage());
      const kb = (f: string): number => Math.round(procStatus(controller.pid, f) / 1024);
      return ` | controller RSS ${kb("VmRSS")} MB (anon ${kb("RssAnon")}, file ${kb("RssFile")}), peak ${
        kb("VmHWM")
      } MB, ` +
        `CPU ${cpuSeconds(controller.pid).toFixed(1)} s`;
    };
    const readySeconds = await until("Ready with the right data", t0, opts.n, () => tracker.done(), 30 * 60_000, mem);
    const cpu = cpuSeconds(controller.pid);
    const apiserverCpu = cpuSeconds(cpPids.apiserver) - cpCpu0.apiserver;
    const etcdCpu = cpuSeconds(cpPids.etcd) - cpCpu0.etcd;
    loads.push(loadAverage());
    const kv = kvCounts(az, seq0);
    const kvStatus = az.counters({ service: "keyvault", afterSeq: seq0 }).byStatus;
    console.log(`Key Vault requests by status until Ready: ${JSON.stringify(kvStatus)}`);
    const apiserverRequests = await scrape(controller, "rest_client_requests_total");
    const apiserverWrites = apiserverRequests - await scrape(controller, "rest_client_requests_total", 'method="GET"');
    peakHeap = Math.max(peakHeap, await scrape(controller, "process_heap_bytes"));
    const tReady = performance.now();
    console.log(`all ${opts.n} Ready after ${readySeconds.toFixed(1)} s`);

    // Rotation: key 0 changes; every sharer is force-synced with one rotation token, as `vault set --sync` does.
    const sharers = range(opts.n).filter((i) => i % opts.keys === 0);
    const { version } = az.setSecret("zaldre", keyName(0), keyValue(0, 2));
    tracker.expected[0] = btoa(keyValue(0, 2));
    const token = rotationToken(version);
    const rotCpu0 = { apiserver: cpuSeconds(cpPids.apiserver), controller: cpuSeconds(controller.pid) };
    const tr = performance.now();
    await pool(sharers, CREATE_CONCURRENCY, (i) =>
      client.patch(
        externalSecrets,
        `regcred-${pad(i)}`,
        mergePatch({
          metadata: { annotations: { "external-secrets.io/force-sync": token } },
        }),
        { namespace: NS },
      ));
    const rotationSeconds = await until("rotated", tr, sharers.length, () => tracker.done(sharers, false), 120_000);
    console.log(
      `rotation: ${sharers.length} sharers hold the new value after ${rotationSeconds.toFixed(2)} s (CPU: ` +
        `kube-apiserver ${(cpuSeconds(cpPids.apiserver) - rotCpu0.apiserver).toFixed(1)} s, controller ` +
        `${(cpuSeconds(controller.pid) - rotCpu0.controller).toFixed(1)} s)`,
    );
    const peakRssKb = procStatus(controller.pid, "VmHWM");
    peakHeap = Math.max(peakHeap, await scrape(controller, "process_heap_bytes"));

    const result: ScaleResult = {
      n: opts.n,
      keys: opts.keys,
      readySeconds: round(readySeconds, 1),
      ceilingSeconds: round(ceilingSeconds, 1),
      peakRssMb: Math.round(peakRssKb / 1024),
      cpuSeconds: round(cpu, 1),
      kvGets: kv.gets,
      kvLists: kv.lists,
      tokenRequests: kv.tokens,
      apiserverRequests,
      steadyKvCallsPerWindow: null,
      rotationSeconds: round(rotationSeconds, 2),
      commit: await commit(),
      noiseSecrets: opts.noiseSecrets,
      interval: opts.interval,
      heapMb: Math.round(peakHeap / 1024 / 1024),
      denoBaselineRssMb: 0,
      apiserverWrites,
      apiserverCpuSeconds: round(apiserverCpu, 1),
      etcdCpuSeconds: round(etcdCpu, 1),
      loadAverage: { mean: round(loads.reduce((a, b) => a + b, 0) / loads.length, 1), max: Math.max(...loads) },
    };

    // Before the first periodic refresh is due (one interval after the first syncs), so nothing is legitimately due.
    if (opts.restart) {
      // Everything is in sync: a restarted controller should read nothing from the vault and write nothing.
      await keep(controller);
      await controller.stop();
      controllers.pop();
      const from = az.counters().lastSeq;
      const t1 = performance.now();
      controller = await spawn();
      controllers.push(controller);
      const reconciled = (): Promise<number> =>
        scrape(controller, "controller_runtime_reconcile_total", 'controller="externalsecret"');
      let seen = 0;
      while (seen < opts.n || await scrape(controller, "workqueue_depth", 'name="externalsecret"') > 0) {
        if (performance.now() - t1 > 10 * 60_000) throw new Error(`restart: ${seen}/${opts.n} reconciles in 10 min`);
        await sleep(200);
        seen = await reconciled();
      }
      result.restartSeconds = round((performance.now() - t1) / 1000, 1);
      const total = await scrape(controller, "rest_client_requests_total");
      result.restartApiserverWrites = total - await scrape(controller, "rest_client_requests_total", 'method="GET"');
      result.restartKvCalls = kvCounts(az, from).all;
      console.log(`restart: ${seen} reconciles in ${result.restartSeconds} s`);
    }
    if (!opts.skipSteady) {
      // One window to fall into step (sharers of a key then refresh together), then one window counted.
      console.log(`steady state: settling for one interval (${opts.interval}), then counting one`);
      await sleep(Math.max(0, opts.intervalMs - (performance.now() - tReady)));
      const from = az.counters().lastSeq;
      await sleep(opts.intervalMs);
      const w = kvCounts(az, from);
      result.steadyKvCallsPerWindow = w.all;
      console.log(`steady window: ${w.all} Key Vault calls (${w.gets} GET, ${w.lists} LIST), ${w.tokens} token calls`);
    }
    await keep(controller);
    result.denoBaselineRssMb = await denoBaselineMb();
    return result;
  } finally {
    stop.abort();
    for (const c of controllers) await c.stop();
    client.close();
    await az.stop();
    await cp.stop();
  }
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

if (import.meta.main) {
  let opts: ScaleOptions;
  try {
    opts = parseScaleArgs(Deno.args);
  } catch (e) {
    console.error((e as Error).message);
    Deno.exit(2);
  }
  const result = await main(opts);
  console.log(`\n${resultTable(result)}`);
  if (opts.json) {
    await Deno.writeTextFile(opts.json, resultJson(result));
    console.log(`\nwrote ${opts.json}`);
  }
}
