/**
 * A real Prometheus (Debian's package, unpacked into the cache by `install_prometheus.sh`) on 127.0.0.1, scraping
 * given targets every second, queried through its HTTP API.
 *
 * @module
 */
import { freePort, running, stopPid } from "./control_plane.ts";

const INSTALL_SCRIPT = new URL("./install_prometheus.sh", import.meta.url).pathname;

let binaryPromise: Promise<string> | undefined;

/** The Prometheus binary, installed into ~/.cache/kv-operator/prometheus/ the first time. */
export function ensurePrometheus(): Promise<string> {
  return binaryPromise ??= (async () => {
    const r = await new Deno.Command("bash", { args: [INSTALL_SCRIPT], stdout: "piped", stderr: "piped" }).output();
    const out = new TextDecoder().decode(r.stdout).trim().split("\n").at(-1) ?? "";
    if (!r.success || out === "") {
      throw new Error(`Cannot install Prometheus: ${new TextDecoder().decode(r.stderr)}`);
    }
    return out;
  })();
}

/** One series of an instant query's result. */
export interface Sample {
  metric: Record<string, string>;
  /** Evaluation time (epoch seconds) and value. */
  value: [number, string];
}

/** A running Prometheus. */
export interface Prometheus {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** An instant query (`/api/v1/query`); throws with Prometheus' error on a bad expression. */
  query(expr: string): Promise<Sample[]>;
  /** `/api/v1/label/<name>/values` restricted to series matching `match`. */
  labelValues(name: string, match: string): Promise<string[]>;
  /** `/api/v1/rules`: the loaded rule groups with each rule's health and, for alerts, state and active alerts. */
  rules(): Promise<RuleGroup[]>;
  /** Stops the process and removes its data. */
  stop(): Promise<void>;
}

/** A rule as `/api/v1/rules` reports it. */
export interface Rule {
  name: string;
  type: "alerting" | "recording";
  health: string;
  lastError?: string;
  state?: "inactive" | "pending" | "firing";
  alerts?: { labels: Record<string, string>; state: string }[];
}

/** A rule group as `/api/v1/rules` reports it. */
export interface RuleGroup {
  name: string;
  rules: Rule[];
}

/** Options of {@link startPrometheus}. */
export interface PrometheusOptions {
  /** `host:port` of each /metrics endpoint. */
  targets: string[];
  /** Labels added to every scraped series (e.g. the `service` label a ServiceMonitor adds). */
  labels?: Record<string, string>;
  /** Rule files (Prometheus' format: `groups:`), evaluated every interval. */
  ruleFiles?: string[];
  /** Where the web UI's templates and static files are (only the graph page needs them). */
  webAssets?: string;
  /** Scrape (and rule evaluation) interval in seconds. @default {1} */
  intervalSeconds?: number;
}

/** Starts Prometheus and resolves once it answers queries. */
export async function startPrometheus(opts: PrometheusOptions): Promise<Prometheus> {
  const bin = await ensurePrometheus();
  const dir = await Deno.makeTempDir({ prefix: "kv-prometheus-" });
  const interval = `${opts.intervalSeconds ?? 1}s`;
  // JSON is valid YAML: no YAML writer needed.
  const config = {
    global: { scrape_interval: interval, evaluation_interval: interval, scrape_timeout: interval },
    rule_files: opts.ruleFiles ?? [],
    scrape_configs: [{
      job_name: "kv-operator",
      static_configs: [{ targets: opts.targets, labels: opts.labels ?? {} }],
    }],
  };
  await Deno.writeTextFile(`${dir}/prometheus.yml`, JSON.stringify(config));
  const port = freePort();
  const child = new Deno.Command(bin, {
    args: [
      `--config.file=${dir}/prometheus.yml`,
      `--storage.tsdb.path=${dir}/data`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
      ...(opts.webAssets ? [`--web.local-assets=${opts.webAssets}`] : []),
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let stderr = "";
  const pump = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) stderr += chunk;
  })();
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (running(child.pid)) await stopPid(child.pid, 10_000);
    await child.status;
    await pump.catch(() => {});
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  const api = async <T>(path: string): Promise<T> => {
    const r = await fetch(`${url}${path}`);
    const body = await r.json() as { status: string; data: T; error?: string };
    if (body.status !== "success") throw new Error(`Prometheus ${path}: ${body.error ?? r.status}`);
    return body.data;
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const r = await fetch(`${url}/-/ready`);
      await r.body?.cancel();
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline || !running(child.pid)) {
      await stop();
      throw new Error(`Prometheus did not become ready: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    query: async (expr) =>
      (await api<{ resultType: string; result: Sample[] }>(`/api/v1/query?query=${encodeURIComponent(expr)}`))
        .result,
    labelValues: (name, match) =>
      api<string[]>(`/api/v1/label/${encodeURIComponent(name)}/values?match[]=${encodeURIComponent(match)}`),
    rules: async () => (await api<{ groups: RuleGroup[] }>("/api/v1/rules")).groups,
    stop,
  };
}
