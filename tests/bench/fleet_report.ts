/**
 * The pure parts of `deno task bench:fleet` (`fleet.ts`): its command line, the arithmetic of what it reports
 * (vault requests per 10 s, time until a rotated value reached a share of the clusters) and how the result is
 * printed (a table) and written (`--json FILE`).
 *
 * @module
 */
import { FlagReader } from "./flags.ts";

/** Key Vault's GET/LIST limit per vault, per 10 s. */
export const VAULT_LIMIT_PER_10S = 4000;
export const TEN_SECONDS_MS = 10_000;

/** The scenario, from the command line. */
export interface FleetOptions {
  /** Simulated clusters, each a controller of its own sharing one vault. */
  clusters: number;
  /** Key Vault secrets. */
  keys: number;
  /** ExternalSecrets per cluster, over the keys round-robin (ExternalSecret i reads key i mod keys). */
  externalSecrets: number;
  /** Their refreshInterval, as written in the spec (`5m`). */
  interval: string;
  intervalMs: number;
  /** All clusters start at once (a fleet-wide restart with nothing synced), not spread over one interval. */
  alignedStart: boolean;
  /** Intervals the clusters' starts are spread over (1: a running fleet as issue 14 has it). */
  startSpread: number;
  /** Intervals before the measured part: the clusters start during the first. */
  warmup: number;
  /** Intervals measured at most after the warm-up (at least one, then until the rotation reached every cluster). */
  windows: number;
  /** Virtual time advances at least this much per step (timers due within fire together). */
  stepMs: number;
  /**
   * The vault's GET/LIST limit per 10 s (Key Vault: 4,000). A smaller fleet against a proportionally smaller limit
   * loads the vault in the same proportion (`--clusters 150 --read-limit 400`), at a tenth of the cost.
   */
  readLimit: number;
  /** Seed of the start times and the queues' back-off jitter. */
  seed: number;
  /** Write the result as one JSON object here. */
  json?: string;
  /** Flags of the shipped binary (`--controller-arg=--kv-requests-per-second=50`), parsed by its own parser. */
  controllerArgs: string[];
}

/** The usage line. */
export const USAGE = "usage: deno task bench:fleet [--clusters 150] [--keys 100] [--external-secrets N (default: " +
  "keys)] [--interval 5m] [--aligned-start | --start-spread 1] [--warmup 2] [--windows 2] [--step-ms 50] [--read-limit 4000] [--seed 1] [--json FILE] " +
  "[--controller-arg=FLAG ...]";

/** Parses the command line (`--flag value` or `--flag=value`); throws with the usage on a mistake. */
export function parseFleetArgs(args: readonly string[]): FleetOptions {
  const o: FleetOptions = {
    // A quick look; the fleet is --clusters 1500 (tens of minutes: docs/benchmarks.md says why).
    clusters: 150,
    keys: 100,
    externalSecrets: 0,
    interval: "5m",
    intervalMs: 300_000,
    alignedStart: false,
    startSpread: 1,
    warmup: 2,
    windows: 2,
    stepMs: 50,
    readLimit: VAULT_LIMIT_PER_10S,
    seed: 1,
    controllerArgs: [],
  };
  const flags = new FlagReader(args, USAGE);
  for (const flag of flags) {
    switch (flag) {
      case "--clusters":
        o.clusters = flags.integer();
        break;
      case "--keys":
        o.keys = flags.integer();
        break;
      case "--external-secrets":
        o.externalSecrets = flags.integer();
        break;
      case "--interval": {
        const d = flags.duration("10s", "5m or 30s");
        o.interval = d.text;
        o.intervalMs = d.ms;
        break;
      }
      case "--aligned-start":
        o.alignedStart = true;
        break;
      case "--start-spread":
        o.startSpread = flags.integer();
        break;
      case "--warmup":
        o.warmup = flags.integer();
        break;
      case "--windows":
        o.windows = flags.integer();
        break;
      case "--step-ms":
        o.stepMs = flags.integer();
        break;
      case "--read-limit":
        o.readLimit = flags.integer();
        break;
      case "--seed":
        o.seed = flags.integer(0);
        break;
      case "--json":
        o.json = flags.text("a file name");
        break;
      case "--controller-arg":
        o.controllerArgs.push(flags.text("a flag such as --kv-requests-per-second=50"));
        break;
      default:
        throw flags.unknown();
    }
  }
  if (o.externalSecrets === 0) o.externalSecrets = o.keys;
  if (o.startSpread >= o.warmup + 1 && !o.alignedStart) {
    throw new Error(`--warmup (${o.warmup}) must exceed --start-spread (${o.startSpread}) by at least one\n${USAGE}`);
  }
  if (o.stepMs > 1000) throw new Error(`--step-ms must be at most 1000, got ${o.stepMs}\n${USAGE}`);
  return o;
}

/** Requests per 10 s over a period: the mean, the busiest 10 s, and both as a share of Key Vault's limit. */
export interface RateStats {
  requests: number;
  meanPer10s: number;
  peakPer10s: number;
  meanShare: number;
  peakShare: number;
}

/**
 * Request rate over `[from, to)` from the requests' times (ms, ascending). The peak is the most requests in any
 * 10 s inside the period (a sliding window, as Key Vault's limit counts), not in fixed buckets.
 */
export function rateStats(times: ArrayLike<number>, from: number, to: number, limit = VAULT_LIMIT_PER_10S): RateStats {
  if (!(to > from)) throw new RangeError(`rate over an empty period: [${from}, ${to})`);
  let first = 0;
  while (first < times.length && times[first]! < from) first++;
  let end = first;
  while (end < times.length && times[end]! < to) end++;
  const requests = end - first;
  let peak = 0;
  for (let i = first, j = first; i < end; i++) {
    // Requests in [times[i], times[i] + 10 s): the window that starts at one of them holds the most.
    if (j < i) j = i;
    while (j < end && times[j]! < times[i]! + TEN_SECONDS_MS) j++;
    peak = Math.max(peak, j - i);
  }
  const meanPer10s = requests / ((to - from) / TEN_SECONDS_MS);
  return { requests, meanPer10s, peakPer10s: peak, meanShare: meanPer10s / limit, peakShare: peak / limit };
}

/** How long after the rotation a share of the clusters held the new value. */
export interface RotationStats {
  /** Seconds after the rotation until 50 / 99 / 100 % of the clusters held it; null when that was not reached. */
  p50Seconds: number | null;
  p99Seconds: number | null;
  p100Seconds: number | null;
  /** Clusters that held it by the end, of all. */
  reached: number;
  of: number;
}

/**
 * Rotation figures from when each cluster first held the new value (ms; undefined: not by the end). "p of the
 * clusters" is the ⌈p × n⌉-th cluster to get it.
 */
export function rotationStats(rotatedAt: number, reachedAt: readonly (number | undefined)[]): RotationStats {
  const got = reachedAt.filter((t): t is number => t !== undefined).sort((a, b) => a - b);
  const n = reachedAt.length;
  const at = (share: number): number | null => {
    const k = Math.max(1, Math.ceil(share * n));
    const t = got[k - 1];
    return t === undefined ? null : Math.max(0, t - rotatedAt) / 1000;
  };
  return { p50Seconds: at(0.5), p99Seconds: at(0.99), p100Seconds: at(1), reached: got.length, of: n };
}

/** The result (`--json FILE` writes it as one object). */
export interface FleetResult {
  clusters: number;
  keys: number;
  externalSecretsPerCluster: number;
  interval: string;
  /** `spread over N intervals` (each cluster starts at a random moment of the first N) or `aligned`. */
  start: string;
  /** The read stage's change detection: `on` (the binary's default) or off (`--enable-change-detection=false`). */
  changeDetection: string;
  /** Virtual seconds: the whole run, and the measured part after the warm-up (`--warmup` intervals). */
  virtualSeconds: number;
  measuredSeconds: number;
  /** GET/LIST requests the vault received after the warm-up (throttled ones too; not the SDK's 401 challenges). */
  rate: RateStats;
  /** The vault's limit per 10 s the shares are of (Key Vault's 4,000 unless `--read-limit`). */
  readLimit: number;
  /** Over the whole run. */
  kvGets: number;
  kvLists: number;
  throttled: number;
  /** 429s after the warm-up. */
  throttledMeasured: number;
  /** LIST pages after the warm-up, and LIST pages answered 429 over the whole run. */
  listsMeasured: number;
  listsThrottled: number;
  challenges: number;
  tokenRequests: number;
  /** Syncs that failed (and were retried by the queue's back-off), over the whole run. */
  failedSyncs: number;
  rotation: RotationStats;
  /** Virtual seconds from the start at which the key was rotated. */
  rotatedAtSeconds: number;
  realSeconds: number;
  stepMs: number;
  seed: number;
  commit: string;
}

/** The fleet targets for one result (printed; never a failure). */
export function fleetTargets(r: FleetResult, intervalMs: number): { what: string; ok: boolean }[] {
  return [
    { what: `mean ≤ 10% of the vault's limit (${r.readLimit / 10} per 10 s)`, ok: r.rate.meanShare <= 0.1 },
    { what: `peak ≤ 50% of the vault's limit (${r.readLimit / 2} per 10 s)`, ok: r.rate.peakShare <= 0.5 },
    { what: "0 throttled requests (after the warm-up)", ok: r.throttledMeasured === 0 },
    {
      what: `rotation at 99% of clusters within one interval (${intervalMs / 1000} s)`,
      ok: r.rotation.p99Seconds !== null && r.rotation.p99Seconds <= intervalMs / 1000,
    },
  ];
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
const secs = (x: number | null): string => (x === null ? "not reached" : `${x.toFixed(1)} s`);

/** A two-column table of the result and the targets, for the terminal. */
export function fleetTable(r: FleetResult, intervalMs: number): string {
  const rows: [string, string][] = [
    ["clusters / keys / ExternalSecrets per cluster", `${r.clusters} / ${r.keys} / ${r.externalSecretsPerCluster}`],
    ["refreshInterval / start / change detection", `${r.interval} / ${r.start} / ${r.changeDetection}`],
    ["virtual time: run / measured (after warm-up)", `${r.virtualSeconds.toFixed(0)} s / ${r.measuredSeconds} s`],
    [
      `vault GET/LIST per 10 s: mean (share of ${r.readLimit})`,
      `${r.rate.meanPer10s.toFixed(0)} (${pct(r.rate.meanShare)})`,
    ],
    [`vault GET/LIST per 10 s: peak (share of ${r.readLimit})`, `${r.rate.peakPer10s} (${pct(r.rate.peakShare)})`],
    ["GETs / LISTs / 429s (whole run)", `${r.kvGets} / ${r.kvLists} / ${r.throttled}`],
    ["429s after the warm-up", String(r.throttledMeasured)],
    ["LIST pages after the warm-up / LIST pages answered 429", `${r.listsMeasured} / ${r.listsThrottled}`],
    ["401 challenges / token requests", `${r.challenges} / ${r.tokenRequests}`],
    ["failed syncs (retried with back-off)", String(r.failedSyncs)],
    [
      `rotation at ${r.rotatedAtSeconds.toFixed(0)} s: 50% / 99% / 100% of clusters`,
      `${secs(r.rotation.p50Seconds)} / ${secs(r.rotation.p99Seconds)} / ${secs(r.rotation.p100Seconds)}`,
    ],
    ["clusters holding the new value at the end", `${r.rotation.reached} of ${r.rotation.of}`],
    ["real time / virtual step / seed", `${r.realSeconds.toFixed(0)} s / ${r.stepMs} ms / ${r.seed}`],
    ["commit", r.commit],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`);
  lines.push("", "targets (issue 14; printed, never a failure):");
  for (const t of fleetTargets(r, intervalMs)) lines.push(`  ${t.ok ? "met    " : "not met"}  ${t.what}`);
  return lines.join("\n");
}

/** The result as one JSON object. */
export function fleetJson(r: FleetResult): string {
  return JSON.stringify(r, null, 2) + "\n";
}
