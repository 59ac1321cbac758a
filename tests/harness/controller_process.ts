/**
 * Runs the controller as a separate process the way it ships: the `controller/main.ts` entry point bundled with
 * `deno bundle` and run with `deno run` and the same permission flags the compiled binary gets (`deno.json`
 * `compile` task), so tests prove the artefact rather than the source tree.
 *
 * @module
 */
import { DEFAULT_VAULT_HOSTS } from "../../controller/providers/azure/endpoints.ts";
import { findLeaks, reportLeaks } from "./leak_check.ts";
import { CONTROLLER_ENV, TARGETS } from "../../tools/compile.ts";
import { freePort } from "./control_plane.ts";

const REPO_ROOT = new URL("../../", import.meta.url);

/** The permissions of the controller binary: the same list `deno task compile` builds it with. */
export const CONTROLLER_PERMISSIONS: string[] = TARGETS.controller!.permissions;

let bundlePromise: Promise<string> | undefined;

/** Bundles `entry` (relative to the repository) once per process and returns the bundle's path. */
export function bundle(entry: string, name: string): Promise<string> {
  const run = async (): Promise<string> => {
    const dir = await Deno.makeTempDir({ prefix: "kv-bundle-" });
    const out = `${dir}/${name}.js`;
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["bundle", "--quiet", "--platform", "deno", "-o", out, new URL(entry, REPO_ROOT).pathname],
      cwd: REPO_ROOT.pathname,
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!r.success) throw new Error(`Cannot bundle ${entry}: ${new TextDecoder().decode(r.stderr)}`);
    return out;
  };
  if (entry === "controller/main.ts") return bundlePromise ??= run();
  return run();
}

/** A structured log line of the controller. */
export type LogLine = Record<string, unknown> & { level: string; msg: string };

/** A running controller process. */
export interface ControllerProcess {
  readonly pid: number;
  /** `http://127.0.0.1:PORT` serving /metrics, /healthz, /readyz. */
  readonly metricsUrl: string;
  /** Every log line so far (parsed). */
  logs(): LogLine[];
  /** Raw stderr so far (to assert that no secret value was ever written). */
  rawOutput(): string;
  /** Resolves with the first log line (existing or future) matching `pred`. */
  waitForLog(pred: (l: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Resident memory in kB (VmRSS). */
  rssKb(): number;
  /** The value of one metric series from /metrics (`name{labels}` exactly as exposed), or undefined. */
  metric(series: string): Promise<number | undefined>;
  /** Sends a signal and waits for exit; returns the exit code. */
  stop(signal?: Deno.Signal, timeoutMs?: number): Promise<number>;
}

/** Options of {@link startController}. */
export interface ControllerOptions {
  kubeconfig: string;
  /**
   * The emulator's Entra authority, passed as `--azure-authority-host` (the operator's override for every store) and
   * allowed by `--allowed-authority-hosts`; `null` starts the controller as production does, without the override
   * (stores then name the emulator through `customCloudConfig.activeDirectoryEndpoint`).
   */
  authorityHost: string | null;
  /** The emulator CA (NODE_EXTRA_CA_CERTS). */
  caCertPath: string;
  args?: string[];
  /** Flags for `deno run` itself, before the bundle (`--inspect=127.0.0.1:9229`, `--v8-flags=...`): profiling. */
  denoArgs?: string[];
  env?: Record<string, string>;
}

/** The test file that started a controller (for the leak report). */
function callerTest(): string {
  const frame = new Error().stack?.split("\n").find((l) => /_test\.ts/.test(l));
  return frame?.match(/([\w./-]+_test\.ts)/)?.[1]?.replace(/^.*\/(tests|controller|kubectl-plugin)\//, "$1/") ?? "?";
}

/**
 * The leak scanner's pass over one controller: its output and metrics, and every ExternalSecret's status and every
 * Event in the cluster (the apiserver may be gone already: then only what is at hand).
 */
async function scanForLeaks(kubeconfig: string, texts: Record<string, string>, test: string): Promise<void> {
  const get = async (what: string): Promise<string> => {
    const out = await new Deno.Command("kubectl", {
      args: [`--kubeconfig=${kubeconfig}`, "get", what, "-A", "-o", "json", "--request-timeout=5s"],
      stdout: "piped",
      stderr: "null",
    }).output().catch(() => undefined);
    if (!out?.success) return "";
    const items = (JSON.parse(new TextDecoder().decode(out.stdout)) as { items?: Record<string, unknown>[] }).items ??
      [];
    return JSON.stringify(items.map((i) => what === "events" ? [i["message"], i["reason"]] : i["status"]));
  };
  const hits = findLeaks({
    ...texts,
    "ExternalSecret status": await get("externalsecrets"),
    Events: await get("events"),
  });
  reportLeaks(test, hits);
}

/** Starts the bundled controller against a control plane and the Azure emulators; resolves once it is ready. */
export async function startController(opts: ControllerOptions): Promise<ControllerProcess> {
  const caller = callerTest();
  const bundlePath = await bundle("controller/main.ts", "kv-operator");
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--no-config",
      "--cached-only",
      ...CONTROLLER_PERMISSIONS,
      ...(opts.denoArgs ?? []),
      bundlePath,
      `--kubeconfig=${opts.kubeconfig}`,
      `--metrics-addr=127.0.0.1:${port}`,
      ...(opts.authorityHost === null ? [] : [`--azure-authority-host=${opts.authorityHost}`]),
      // The emulators listen on 127.0.0.1 ports; the defaults allow only Azure's own hosts (kept: stores of the seed
      // that are not pointed at the emulator must fail for their own reasons, not for their host).
      `--allowed-vault-hosts=${[...DEFAULT_VAULT_HOSTS, "127.0.0.1:*"].join(",")}`,
      ...(opts.authorityHost === null ? [] : [`--allowed-authority-hosts=${new URL(opts.authorityHost).host}`]),
      "--azure-disable-challenge-resource-verification",
      "--loglevel=debug",
      ...(opts.args ?? []),
    ],
    env: { ...CONTROLLER_ENV, NODE_EXTRA_CA_CERTS: opts.caCertPath, NO_COLOR: "1", ...opts.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const collector = collectLogs(child, "controller", 30_000);
  const status = child.status;

  const proc: ControllerProcess = {
    pid: child.pid,
    metricsUrl: `http://127.0.0.1:${port}`,
    logs: collector.logs,
    rawOutput: collector.rawOutput,
    waitForLog: collector.waitForLog,
    rssKb: () => {
      const m = /^VmRSS:\s+(\d+) kB/m.exec(Deno.readTextFileSync(`/proc/${child.pid}/status`));
      return m ? Number(m[1]) : NaN;
    },
    metric: async (series) => {
      const text = await fetch(`${proc.metricsUrl}/metrics`).then((r) => r.text());
      for (const line of text.split("\n")) {
        if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
      }
      return undefined;
    },
    stop: async (signal = "SIGTERM", timeoutMs = 20_000) => {
      const metrics = await fetch(`${proc.metricsUrl}/metrics`, { signal: AbortSignal.timeout(2000) })
        .then((r) => r.text()).catch(() => "");
      try {
        child.kill(signal);
      } catch { /* already gone */ }
      const t = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
      }, timeoutMs);
      const s = await status;
      clearTimeout(t);
      await collector.done;
      await scanForLeaks(
        opts.kubeconfig,
        { "the controller's output": collector.rawOutput(), "/metrics": metrics },
        caller,
      );
      return s.code;
    },
  };
  try {
    await proc.waitForLog((l) => l.msg === "ready", 60_000);
  } catch (e) {
    await proc.stop("SIGKILL");
    throw e;
  }
  return proc;
}

/** A child's stdout and stderr, kept whole and parsed as the controller's JSON log lines, with waiting for one. */
export interface LogCollector {
  logs(): LogLine[];
  rawOutput(): string;
  waitForLog(pred: (l: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Settles once both streams ended. */
  done: Promise<unknown>;
}

/** Collects a child's output (the controller, in a process or a container); `what` names it in timeouts. */
export function collectLogs(child: Deno.ChildProcess, what: string, defaultTimeoutMs: number): LogCollector {
  let raw = "";
  const lines: LogLine[] = [];
  const waiters = new Set<{ pred: (l: LogLine) => boolean; resolve: (l: LogLine) => void }>();
  const pump = async (stream: ReadableStream<Uint8Array>): Promise<void> => {
    let buf = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      raw += chunk;
      buf += chunk;
      let i: number;
      while ((i = buf.indexOf("\n")) >= 0) {
        const text = buf.slice(0, i);
        buf = buf.slice(i + 1);
        let line: LogLine;
        try {
          line = JSON.parse(text);
        } catch {
          line = { level: "raw", msg: text };
        }
        lines.push(line);
        for (const w of [...waiters]) {
          if (w.pred(line)) {
            waiters.delete(w);
            w.resolve(line);
          }
        }
      }
    }
  };
  return {
    logs: () => [...lines],
    rawOutput: () => raw,
    done: Promise.all([pump(child.stdout), pump(child.stderr)]),
    waitForLog: (pred, timeoutMs = defaultTimeoutMs) => {
      const hit = lines.find(pred);
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const w = { pred, resolve: (l: LogLine) => (clearTimeout(t), resolve(l)) };
        const t = setTimeout(() => {
          waiters.delete(w);
          const last = raw.split("\n").slice(-15).join("\n");
          reject(new Error(`No matching ${what} log line within ${timeoutMs} ms; last lines:\n${last}`));
        }, timeoutMs);
        waiters.add(w);
      });
    },
  };
}
