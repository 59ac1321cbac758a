/**
 * The pure parts of `deno task bench:scale` (`scale.ts`): its command line, the result it records and how the
 * result is printed (a table) and written (`--json FILE`, the field names issue 14 asks for).
 *
 * @module
 */
import { FlagReader } from "./flags.ts";

/** The scenario, from the command line. */
export interface ScaleOptions {
  /** ExternalSecrets to create (the seed's regcred shape). */
  n: number;
  /** Key Vault secrets they read, shared round-robin (`n / keys` ExternalSecrets per key). */
  keys: number;
  /** Their refreshInterval, as written in the spec (`1m`). */
  interval: string;
  intervalMs: number;
  /** Unrelated plain Secrets created in the cluster before the controller starts. */
  noiseSecrets: number;
  /** Also restart the controller with everything in sync and count what it reads and writes. */
  restart: boolean;
  /** Skip the steady-state window (it takes two intervals). */
  skipSteady: boolean;
  /** Write the result as one JSON object here. */
  json?: string;
  /** Keep the controller's log and its last /metrics here (`DIR/controller-N.log`, `DIR/metrics-N.txt`). */
  keepLogs?: string;
  /** Extra environment of the controller process (`--controller-env=MALLOC_ARENA_MAX=2`), to compare settings. */
  controllerEnv: Record<string, string>;
  /** Extra flags for the controller (`--controller-arg=--concurrent=20`), to compare settings. */
  controllerArgs: string[];
  /** Extra flags for the controller's `deno run` (`--deno-arg=--inspect=127.0.0.1:9229`), to profile it. */
  denoArgs: string[];
}

/** The result, with the field names of issue 14 (`restart*` only with `--restart`). */
export interface ScaleResult {
  n: number;
  keys: number;
  /** Controller spawn → every ExternalSecret Ready and every Secret holding the right data. */
  readySeconds: number;
  /** A bare client creating `n` plain Secrets as fast as the same apiserver allows, in the same run. */
  ceilingSeconds: number;
  /** VmHWM of the controller process at the end of the run. */
  peakRssMb: number;
  /** User + system CPU of the controller process until everything was Ready. */
  cpuSeconds: number;
  /** Key Vault requests until everything was Ready (the SDK's 401 challenge included). */
  kvGets: number;
  kvLists: number;
  /** Entra ID token requests until everything was Ready. */
  tokenRequests: number;
  /** Requests the controller sent to the apiserver until everything was Ready (its own count). */
  apiserverRequests: number;
  /** Key Vault requests in one refresh window with nothing changed (null when skipped). */
  steadyKvCallsPerWindow: number | null;
  /** One key shared by `n / keys` ExternalSecrets rotated and force-synced: until every one holds it. */
  rotationSeconds: number;
  /** `git describe`-like: short commit, `-dirty` when the tree had changes. */
  commit: string;
  // Context for the figures above.
  noiseSecrets: number;
  interval: string;
  /** V8 heap in use at the end (the controller's own `process_heap_bytes`). */
  heapMb: number;
  /** Peak RSS of a `deno` process that does nothing: the runtime's share of `peakRssMb`. */
  denoBaselineRssMb: number;
  /** Of `apiserverRequests`, those that were not GET (creates, patches, updates). */
  apiserverWrites: number;
  /** CPU seconds of kube-apiserver and etcd until everything was Ready (the other side of each round trip). */
  apiserverCpuSeconds: number;
  etcdCpuSeconds: number;
  /** The machine's 1-minute load average while the controller brought everything to Ready: mean and highest. */
  loadAverage: { mean: number; max: number };
  restartSeconds?: number;
  restartKvCalls?: number;
  restartApiserverWrites?: number;
}

/** The usage line. */
export const USAGE = "usage: deno task bench:scale [--n 10000] [--keys 100] [--interval 1m] [--noise-secrets M] " +
  "[--restart] [--skip-steady] [--json FILE] [--keep-logs DIR] [--controller-arg=FLAG ...] " +
  "[--controller-env=NAME=VALUE ...] [--deno-arg=FLAG ...]";

/** Parses the command line (`--flag value` or `--flag=value`); throws with the usage on a mistake. */
export function parseScaleArgs(args: readonly string[]): ScaleOptions {
  const o: ScaleOptions = {
    n: 10_000,
    keys: 100,
    interval: "1m",
    intervalMs: 60_000,
    noiseSecrets: 0,
    restart: false,
    skipSteady: false,
    controllerArgs: [],
    controllerEnv: {},
    denoArgs: [],
  };
  const flags = new FlagReader(args, USAGE);
  for (const flag of flags) {
    switch (flag) {
      case "--n":
        o.n = flags.integer();
        break;
      case "--keys":
        o.keys = flags.integer();
        break;
      case "--interval": {
        const d = flags.duration("1s", "1m or 30s");
        o.interval = d.text;
        o.intervalMs = d.ms;
        break;
      }
      case "--noise-secrets":
        o.noiseSecrets = flags.integer(0);
        break;
      case "--restart":
        o.restart = true;
        break;
      case "--skip-steady":
        o.skipSteady = true;
        break;
      case "--json":
        o.json = flags.text("a file name");
        break;
      case "--keep-logs":
        o.keepLogs = flags.text("a directory");
        break;
      case "--controller-env": {
        const v = flags.value() ?? "";
        const at = v.indexOf("=");
        if (at < 1) throw flags.error(`--controller-env expects NAME=VALUE, got ${JSON.stringify(v)}`);
        o.controllerEnv[v.slice(0, at)] = v.slice(at + 1);
        break;
      }
      case "--controller-arg":
        o.controllerArgs.push(flags.text("a flag such as --concurrent=20"));
        break;
      case "--deno-arg":
        o.denoArgs.push(flags.text("a flag such as --inspect=127.0.0.1:9229"));
        break;
      default:
        throw flags.unknown();
    }
  }
  if (o.keys > o.n) throw new Error(`--keys (${o.keys}) cannot exceed --n (${o.n})\n${USAGE}`);
  return o;
}

/** The fields in its order, then the context fields; absent restart fields are left out. */
export function resultJson(r: ScaleResult): string {
  const ordered: Record<string, unknown> = {
    n: r.n,
    keys: r.keys,
    readySeconds: r.readySeconds,
    ceilingSeconds: r.ceilingSeconds,
    peakRssMb: r.peakRssMb,
    cpuSeconds: r.cpuSeconds,
    kvGets: r.kvGets,
    kvLists: r.kvLists,
    tokenRequests: r.tokenRequests,
    apiserverRequests: r.apiserverRequests,
    steadyKvCallsPerWindow: r.steadyKvCallsPerWindow,
    rotationSeconds: r.rotationSeconds,
    commit: r.commit,
    noiseSecrets: r.noiseSecrets,
    interval: r.interval,
    heapMb: r.heapMb,
    denoBaselineRssMb: r.denoBaselineRssMb,
    apiserverWrites: r.apiserverWrites,
    apiserverCpuSeconds: r.apiserverCpuSeconds,
    etcdCpuSeconds: r.etcdCpuSeconds,
    loadAverage: r.loadAverage,
  };
  if (r.restartSeconds !== undefined) ordered["restartSeconds"] = r.restartSeconds;
  if (r.restartKvCalls !== undefined) ordered["restartKvCalls"] = r.restartKvCalls;
  if (r.restartApiserverWrites !== undefined) ordered["restartApiserverWrites"] = r.restartApiserverWrites;
  return JSON.stringify(ordered, null, 2) + "\n";
}

/** The targets for one result: what each figure is held against (printed; never a failure). */
export function targets(r: ScaleResult): { what: string; ok: boolean }[] {
  const out = [
    {
      what: `readySeconds ≤ 30 and ≤ 2.5 × ceilingSeconds (${(2.5 * r.ceilingSeconds).toFixed(1)})`,
      ok: r.readySeconds <= 30 && r.readySeconds <= 2.5 * r.ceilingSeconds,
    },
    { what: "peakRssMb ≤ 100", ok: r.peakRssMb <= 100 },
    { what: `kvGets ≤ keys + a few (${r.keys + 5})`, ok: r.kvGets <= r.keys + 5 },
    { what: "rotationSeconds ≤ 1", ok: r.rotationSeconds <= 1 },
  ];
  if (r.steadyKvCallsPerWindow !== null) {
    out.push({
      what: `steadyKvCallsPerWindow ≤ ⌈keys/25⌉ (${Math.ceil(r.keys / 25)}), token calls apart`,
      ok: r.steadyKvCallsPerWindow <= Math.ceil(r.keys / 25),
    });
  }
  return out;
}

/** A two-column table of the result and the targets, for the terminal. */
export function resultTable(r: ScaleResult): string {
  const rows: [string, string][] = [
    ["ExternalSecrets (n) / Key Vault secrets (keys)", `${r.n} / ${r.keys}`],
    ["unrelated Secrets / refreshInterval", `${r.noiseSecrets} / ${r.interval}`],
    ["readySeconds (spawn → all Ready, data right)", r.readySeconds.toFixed(1)],
    ["ceilingSeconds (bare client, n Secrets)", r.ceilingSeconds.toFixed(1)],
    ["peakRssMb (VmHWM) / heap at end / deno baseline", `${r.peakRssMb} / ${r.heapMb} / ${r.denoBaselineRssMb}`],
    [
      "cpuSeconds: controller / kube-apiserver / etcd",
      `${r.cpuSeconds.toFixed(1)} / ${r.apiserverCpuSeconds.toFixed(1)} / ${r.etcdCpuSeconds.toFixed(1)}`,
    ],
    ["load average while syncing: mean / max", `${r.loadAverage.mean.toFixed(1)} / ${r.loadAverage.max.toFixed(1)}`],
    ["kvGets / kvLists / tokenRequests", `${r.kvGets} / ${r.kvLists} / ${r.tokenRequests}`],
    ["apiserverRequests (writes)", `${r.apiserverRequests} (${r.apiserverWrites})`],
    ["steadyKvCallsPerWindow", r.steadyKvCallsPerWindow === null ? "skipped" : String(r.steadyKvCallsPerWindow)],
    [`rotationSeconds (${Math.ceil(r.n / r.keys)} sharers)`, r.rotationSeconds.toFixed(2)],
  ];
  if (r.restartSeconds !== undefined) {
    rows.push([
      "restart in sync: seconds / Key Vault calls / apiserver writes",
      `${r.restartSeconds.toFixed(1)} / ${r.restartKvCalls} / ${r.restartApiserverWrites}`,
    ]);
  }
  rows.push(["commit", r.commit]);
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`);
  lines.push("", "targets (issue 14; printed, never a failure):");
  for (const t of targets(r)) lines.push(`  ${t.ok ? "met    " : "not met"}  ${t.what}`);
  return lines.join("\n");
}
