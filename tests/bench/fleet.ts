/**
 * `deno task bench:fleet`: a fleet of clusters, each running the controller's refresh path (the shipped code, see
 * `fleet_cluster.ts`), sharing one Key Vault — the emulator, enforcing Key Vault's read limit (4,000 GET/LIST per
 * 10 s, 429 with Retry-After) — on a virtual clock. Reports vault requests per 10 s against the limit, throttling,
 * token requests, and how long a rotated value takes to reach the clusters. Prints a table; `--json FILE` writes the
 * result. Never fails on speed. Flags: `fleet_report.ts` {@link USAGE}.
 *
 * Virtual time (`virtual_clock.ts`) moves from one due timer to the next — a refresh due in a work queue, a rate
 * limiter's next release, the end of a Retry-After, an SDK retry delay — on a grid of `--step-ms` (50 ms: a timer
 * fires up to that much late, and timers due in one step fire together). Between steps the real HTTPS calls they
 * started run to completion while the virtual clock stands still, so a call takes no virtual time.
 *
 * @module
 */
// deno-lint-ignore-file no-console -- a benchmark prints its figures.
import https from "node:https";
import { type AzureEmulators, ensureEmulatorCa, startAzureEmulators } from "../harness/azure/mod.ts";
import { seededRandom } from "../harness/prng.ts";
import {
  controllerSettings,
  type FleetScenario,
  type IoTracker,
  keyName,
  keyValue,
  SimCluster,
} from "./fleet_cluster.ts";
import {
  fleetJson,
  type FleetOptions,
  type FleetResult,
  fleetTable,
  parseFleetArgs,
  rateStats,
  rotationStats,
} from "./fleet_report.ts";
import { realTime, VirtualClock } from "./virtual_clock.ts";

const VAULT = "zaldre";
/** The key rotated after the warm-up. */
const ROTATED_KEY = 0;
/** Real quiet time after which a busy sync is taken to wait on virtual time after all. */
const QUIET_MS = 20;

/**
 * Whether the simulation may move virtual time: every running sync waits on virtual time (the rate limiter, the
 * in-flight cap, an SDK retry delay) and nothing else happens. Real work — an HTTPS exchange with the emulator, a
 * credential's first use — is not tracked call by call: a running sync that is not known to wait counts as busy
 * until nothing has happened (no reconcile, wait or HTTPS exchange began or ended) for a moment of real time.
 */
class Io implements IoTracker {
  running = 0;
  parked = 0;
  sleeping = 0;
  activity = 0;
  readonly #waiting: (() => void)[] = [];

  bump(): void {
    this.activity++;
    if (this.#waiting.length) { for (const resolve of this.#waiting.splice(0)) resolve(); }
  }

  /** Resolves at the next thing that happens, or after `ms` of real time. */
  async change(ms: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await new Promise<void>((resolve) => {
      this.#waiting.push(resolve);
      timer = realTime.setTimeout(resolve, ms);
    });
    realTime.clearTimeout(timer);
  }

  begin(): void {
    this.running++;
    this.bump();
  }
  end(): void {
    this.running--;
    this.bump();
  }
  park(): void {
    this.parked++;
    this.bump();
  }
  unpark(): void {
    this.parked--;
    this.bump();
  }
  throttled(): void {
    this.sleeping++;
    this.bump();
  }
  retried(): void {
    if (this.sleeping > 0) this.sleeping--;
    this.bump();
  }
  /**
   * Makes every `https.request` (the SDKs send through `node:https`: Key Vault and Entra ID) count as activity when it
   * starts and when its response ends (or it fails), so a sync waiting on the emulator keeps the step open; returns
   * the undo.
   */
  watchHttps(): () => void {
    const original = https.request;
    const bump = (): void => this.bump();
    const counted = function (
      this: unknown,
      ...args: Parameters<typeof https.request>
    ): ReturnType<typeof https.request> {
      const req = original.apply(this, args);
      bump();
      let done = false;
      const end = (): void => {
        if (!done) (done = true, bump());
      };
      req.once("response", (res) => (res.once("end", end), res.once("close", end), res.once("error", end)));
      req.once("error", end);
      req.once("close", end);
      return req;
    };
    https.request = counted as typeof https.request;
    return () => https.request = original;
  }

  /** Syncs doing real work (not known to wait on virtual time). */
  get busy(): number {
    return Math.max(0, this.running - this.parked - this.sleeping);
  }
}

/**
 * Waits until everything the last step started runs to where it waits on virtual time: nothing happened over two
 * event-loop turns and no sync is busy; or, while one is, nothing happened for QUIET_MS of real time.
 */
async function settle(io: Io, turn: () => Promise<void>): Promise<void> {
  let quietFrom = realTime.now();
  let mark = io.activity;
  for (;;) {
    await turn();
    await turn();
    if (io.activity !== mark) {
      mark = io.activity;
      quietFrom = realTime.now();
      continue;
    }
    if (io.busy === 0) return;
    if (realTime.now() - quietFrom >= QUIET_MS) return;
    await io.change(QUIET_MS);
  }
}

/** A real macrotask turn (not a timer: timers are virtual, and nested real ones are clamped to 4 ms). */
function yielder(): { turn: () => Promise<void>; close: () => void } {
  const channel = new MessageChannel();
  const waiting: (() => void)[] = [];
  channel.port1.onmessage = () => waiting.shift()?.();
  return {
    turn: () => new Promise<void>((r) => (waiting.push(r), channel.port2.postMessage(0))),
    close: () => channel.port1.close(),
  };
}

async function commit(): Promise<string> {
  const root = new URL("../../", import.meta.url).pathname;
  const git = async (...args: string[]): Promise<string> =>
    new TextDecoder().decode((await new Deno.Command("git", { args: ["-C", root, ...args] }).output()).stdout).trim();
  const head = await git("rev-parse", "--short", "HEAD");
  return head + ((await git("status", "--porcelain", "--untracked-files=no")) ? "-dirty" : "");
}

/** What the vault saw, by virtual time (ms since the start). */
class VaultLog {
  readonly times: number[] = [];
  readonly throttledTimes: number[] = [];
  readonly listTimes: number[] = [];
  listsThrottled = 0;
  gets = 0;
  lists = 0;
  throttled = 0;
  challenges = 0;
  tokens = 0;

  constructor(readonly t0: () => number) {}

  record(r: { service: string; route: string; status: number; at: number }): void {
    if (r.service === "entra") {
      if (r.route.endsWith("/token")) this.tokens++;
      return;
    }
    if (r.service !== "keyvault" || !r.route.startsWith("GET ")) return;
    if (r.status === 401) {
      this.challenges++;
      return;
    }
    this.times.push(r.at - this.t0());
    if (r.route === "GET /secrets/{name}/{version}") this.gets++;
    else {
      this.lists++;
      this.listTimes.push(r.at - this.t0());
      if (r.status === 429) this.listsThrottled++;
    }
    if (r.status === 429) (this.throttled++, this.throttledTimes.push(r.at - this.t0()));
  }

  /** Requests in the last 10 virtual seconds. */
  recent(now: number): number {
    let n = 0;
    for (let i = this.times.length - 1; i >= 0 && this.times[i]! > now - 10_000; i--) n++;
    return n;
  }
}

async function simulate(
  o: FleetOptions,
  az: AzureEmulators,
  log: VaultLog,
  clock: VirtualClock,
  io: Io,
): Promise<FleetResult> {
  const t0 = clock.now();
  const realStart = realTime.now();
  // The code that runs is the code at the start.
  const head = await commit();
  const random = seededRandom(o.seed);
  const rotateAt = t0 + o.warmup * o.intervalMs;
  const reachedAt: (number | undefined)[] = new Array(o.clusters).fill(undefined);
  const scenario: FleetScenario = {
    vaultUrl: az.vaultUrl(VAULT),
    authorityHost: az.authorityHost,
    tenantId: az.tenantId,
    interval: o.interval,
    keys: o.keys,
    externalSecrets: o.externalSecrets,
    settings: controllerSettings(o.controllerArgs),
    io,
    random,
    onRotated: (c) => reachedAt[c.index] = clock.now(),
  };
  const stop = new AbortController();
  const clusters: SimCluster[] = [];
  const running: Promise<void>[] = [];
  let started = 0;
  for (let i = 0; i < o.clusters; i++) {
    const clientId = `fleet-cluster-${String(i).padStart(5, "0")}`;
    az.addClientSecretApp({ clientId, secret: `${clientId}-secret`, vaults: { [VAULT]: "read" } });
    const cluster = new SimCluster(scenario, i, clientId, `${clientId}-secret`);
    clusters.push(cluster);
    // A running fleet: each controller started at its own moment of one interval. Aligned: all at once.
    const offset = o.alignedStart ? 0 : Math.floor(random() * o.intervalMs * o.startSpread);
    clock.setTimeout(() => {
      started++;
      running.push(cluster.start(stop.signal));
    }, offset);
  }
  clock.setTimeout(() => {
    const value = keyValue(ROTATED_KEY, 2);
    az.setSecret(VAULT, keyName(ROTATED_KEY), value);
    scenario.rotation = { key: ROTATED_KEY, value };
  }, rotateAt - t0);

  const minEnd = rotateAt + o.intervalMs;
  const maxEnd = rotateAt + o.windows * o.intervalMs;
  const y = yielder();
  let lastPrint = realTime.now();
  const progress = (): void => {
    const now = clock.now();
    const rotated = reachedAt.filter((t) => t !== undefined).length;
    console.log(
      `  virtual ${((now - t0) / 1000).toFixed(0)}/${((maxEnd - t0) / 1000).toFixed(0)} s | started ${started}/` +
        `${o.clusters} | GET ${log.gets} LIST ${log.lists} 429 ${log.throttled} | last 10 s: ${log.recent(now - t0)} (${
          (log.recent(now - t0) / o.readLimit * 100).toFixed(0)
        }% of the limit) | rotated ` +
        `${now >= rotateAt ? `${rotated}/${o.clusters}` : "not yet"} | real ${
          ((realTime.now() - realStart) / 1000).toFixed(0)
        } s`,
    );
  };
  try {
    for (;;) {
      await settle(io, y.turn);
      const now = clock.now();
      const done = reachedAt.every((t) => t !== undefined);
      if (now >= maxEnd || (now >= minEnd && done)) break;
      const next = clock.nextAt();
      if (next === undefined) break;
      // Timers fire on a grid of stepMs: up to that much late, and together.
      clock.advanceTo(Math.min(maxEnd, Math.ceil(Math.max(next, now + 1) / o.stepMs) * o.stepMs));
      if (realTime.now() - lastPrint >= 5000) {
        progress();
        lastPrint = realTime.now();
      }
    }
    progress();
  } finally {
    stop.abort();
    clock.advanceTo(clock.now());
    await Promise.race([Promise.allSettled(running), new Promise((r) => realTime.setTimeout(r, 10_000))]);
    y.close();
  }
  const end = clock.now();
  const rate = rateStats(log.times, rotateAt - t0, end - t0, o.readLimit);
  return {
    clusters: o.clusters,
    keys: o.keys,
    externalSecretsPerCluster: o.externalSecrets,
    interval: o.interval,
    start: o.alignedStart ? "aligned" : `spread over ${o.startSpread} interval${o.startSpread > 1 ? "s" : ""}`,
    changeDetection: scenario.settings.changeDetection ? "on" : "off (--enable-change-detection=false)",
    virtualSeconds: (end - t0) / 1000,
    measuredSeconds: (end - rotateAt) / 1000,
    rate,
    readLimit: o.readLimit,
    kvGets: log.gets,
    kvLists: log.lists,
    throttled: log.throttled,
    throttledMeasured: log.throttledTimes.filter((t) => t >= rotateAt - t0).length,
    listsMeasured: log.listTimes.filter((t) => t >= rotateAt - t0).length,
    listsThrottled: log.listsThrottled,
    challenges: log.challenges,
    tokenRequests: log.tokens,
    failedSyncs: clusters.reduce((n, c) => n + c.failedSyncs, 0),
    rotation: rotationStats(rotateAt, reachedAt),
    rotatedAtSeconds: (rotateAt - t0) / 1000,
    realSeconds: (realTime.now() - realStart) / 1000,
    stepMs: o.stepMs,
    seed: o.seed,
    commit: head,
  };
}

async function main(o: FleetOptions): Promise<FleetResult> {
  let clock: VirtualClock | undefined;
  const io = new Io();
  const log = new VaultLog(() => t0);
  let t0 = 0;
  const az = await startAzureEmulators({
    vaults: [VAULT],
    // Key Vault's limit, on the virtual clock.
    readLimit: { limit: o.readLimit, now: () => clock?.now() ?? Date.now() },
    onRequest: (r) => log.record(r),
  });
  // The emulator keeps a log of its own (bounded); this run counts through onRequest.
  try {
    for (let k = 0; k < o.keys; k++) az.setSecret(VAULT, keyName(k), keyValue(k, 1));
    // Whole seconds, as Kubernetes timestamps have.
    t0 = Math.ceil(Date.now() / 1000) * 1000;
    clock = new VirtualClock(t0);
    const uninstall = clock.install();
    const unwatch = io.watchHttps();
    try {
      return await simulate(o, az, log, clock, io);
    } finally {
      unwatch();
      uninstall();
    }
  } finally {
    await az.stop();
  }
}

/** The SDK (node:tls) reads NODE_EXTRA_CA_CERTS once, at start: run again with the emulator CA trusted. */
async function withEmulatorCa(): Promise<void> {
  const ca = await ensureEmulatorCa();
  if (Deno.env.get("NODE_EXTRA_CA_CERTS") === ca.certPath) return;
  const self = new URL(import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", self, ...Deno.args],
    env: { NODE_EXTRA_CA_CERTS: ca.certPath },
    stdin: "null",
  }).spawn();
  Deno.exit((await child.status).code);
}

if (import.meta.main) {
  let opts: FleetOptions;
  try {
    opts = parseFleetArgs(Deno.args);
  } catch (e) {
    console.error((e as Error).message);
    Deno.exit(2);
  }
  await withEmulatorCa();
  console.log(
    `fleet: ${opts.clusters} clusters × ${opts.externalSecrets} ExternalSecrets over ${opts.keys} keys, ` +
      `refreshInterval ${opts.interval}, ${
        opts.alignedStart ? "all starting at once" : `starts spread over ${opts.startSpread} interval(s)`
      }`,
  );
  const result = await main(opts);
  console.log(`\n${fleetTable(result, opts.intervalMs)}`);
  if (opts.json) {
    await Deno.writeTextFile(opts.json, fleetJson(result));
    console.log(`\nwrote ${opts.json}`);
  }
}
