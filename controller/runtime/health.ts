/**
 * The controller's probe and metrics endpoint: `/healthz` (liveness), `/readyz` (readiness), `/metrics`.
 *
 * The probe endpoints answer like kube-apiserver's: `ok` when every check passes; otherwise the status code (500 for
 * `/healthz`, 503 for `/readyz`) and one line per check, `[+]name ok` or `[-]name failed: reason`, then
 * `healthz check failed`. `?verbose` lists the checks on success too, and `/readyz/<name>` runs one check.
 *
 * Liveness should fail only when a restart helps (the event loop is stuck, a watch has been silent for far longer
 * than a bookmark interval); readiness reports what is not there yet (caches not synced, a watch reconnecting).
 * Answering at all proves the event loop is responsive; the kubelet's probe timeout bounds how responsive.
 *
 * @module
 */

import { PROMETHEUS_CONTENT_TYPE, type Registry } from "./metrics.ts";

/**
 * A check: resolves with nothing (or `true`) when healthy, or with the reason it is not (a string, or `false`).
 * A throw counts as a failure with the error's message as the reason.
 */
export type HealthCheck = () =>
  | string
  | boolean
  | undefined
  | void
  | Promise<string | boolean | undefined | void>;

/** Options of {@linkcode HealthServer}. */
export interface HealthServerOptions {
  /** Interface to listen on. @default {"0.0.0.0"} */
  hostname?: string;
  /** Port; 0 picks a free one (see {@linkcode HealthServer.listening}). @default {8080} */
  port?: number;
  /** Served at `/metrics`; 404 when absent. */
  registry?: Registry;
  /** A check that has not answered by then fails with "timed out". @default {5000} */
  checkTimeoutMs?: number;
}

/** Where the server listens, once it does. */
export interface ListenAddress {
  hostname: string;
  port: number;
}

interface CheckOutcome {
  name: string;
  ok: boolean;
  reason: string;
}

const CHECK_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * An HTTP server for probes and metrics.
 *
 * Guarantees: checks run concurrently per request, each bounded by `checkTimeoutMs`; a failing or hanging check
 * never takes the server down; `start(signal)` resolves after the listener closed and in-flight requests finished.
 */
export class HealthServer {
  readonly #hostname: string;
  readonly #port: number;
  readonly #registry: Registry | undefined;
  readonly #checkTimeoutMs: number;
  readonly #liveness = new Map<string, HealthCheck>([["ping", () => undefined]]);
  readonly #readiness = new Map<string, HealthCheck>([["ping", () => undefined]]);
  readonly #listening: Promise<ListenAddress>;
  #resolveListening!: (addr: ListenAddress) => void;
  #rejectListening!: (err: unknown) => void;
  #started = false;

  constructor(options: HealthServerOptions = {}) {
    this.#hostname = options.hostname ?? "0.0.0.0";
    this.#port = options.port ?? 8080;
    this.#registry = options.registry;
    this.#checkTimeoutMs = options.checkTimeoutMs ?? 5000;
    this.#listening = new Promise((resolve, reject) => {
      this.#resolveListening = resolve;
      this.#rejectListening = reject;
    });
    // Avoid an unhandled rejection when nobody awaits `listening` and the server fails to bind.
    this.#listening.catch(() => {});
  }

  /** Resolves with the bound address once the server listens (the real port when `port` was 0). */
  get listening(): Promise<ListenAddress> {
    return this.#listening;
  }

  /** Adds a liveness check (`/healthz`): failing means "restart me". */
  addLivenessCheck(name: string, check: HealthCheck): void {
    this.#add(this.#liveness, name, check);
  }

  /** Adds a readiness check (`/readyz`): failing means "do not count on me yet". */
  addReadinessCheck(name: string, check: HealthCheck): void {
    this.#add(this.#readiness, name, check);
  }

  #add(checks: Map<string, HealthCheck>, name: string, check: HealthCheck): void {
    if (!CHECK_NAME.test(name)) {
      throw new TypeError(`Cannot add health check: invalid name "${name}"`);
    }
    if (checks.has(name)) throw new TypeError(`Cannot add health check "${name}": it is already registered`);
    checks.set(name, check);
  }

  /** Serves until `signal` aborts; resolves when the server has shut down. Rejects when it cannot listen. */
  async start(signal: AbortSignal): Promise<void> {
    if (this.#started) throw new Error("Cannot start health server: it is already started");
    this.#started = true;
    let server: Deno.HttpServer<Deno.NetAddr>;
    try {
      server = Deno.serve({
        hostname: this.#hostname,
        port: this.#port,
        signal,
        onListen: ({ hostname, port }) => this.#resolveListening({ hostname, port }),
      }, (req) => this.handle(req));
    } catch (err) {
      this.#rejectListening(err);
      throw err;
    }
    await server.finished;
  }

  /** Answers one request (exposed for tests and for mounting in another server). */
  async handle(req: Request): Promise<Response> {
    if (req.method !== "GET" && req.method !== "HEAD") {
      return text(405, "method not allowed\n", { allow: "GET, HEAD" });
    }
    const url = new URL(req.url);
    const verbose = url.searchParams.has("verbose");
    const [, root, one, ...rest] = url.pathname.split("/");
    if (rest.length > 0 || (one !== undefined && one === "")) return text(404, "not found\n");
    switch (root) {
      case "healthz":
      case "livez":
        return await this.#probe("healthz", this.#liveness, 500, one, verbose);
      case "readyz":
        return await this.#probe("readyz", this.#readiness, 503, one, verbose);
      case "metrics":
        if (one !== undefined || this.#registry === undefined) return text(404, "not found\n");
        return new Response(this.#registry.expose(), {
          headers: { "content-type": PROMETHEUS_CONTENT_TYPE },
        });
      default:
        return text(404, "not found\n");
    }
  }

  async #probe(
    kind: string,
    checks: Map<string, HealthCheck>,
    failCode: number,
    only: string | undefined,
    verbose: boolean,
  ): Promise<Response> {
    let selected: [string, HealthCheck][];
    if (only !== undefined) {
      const check = checks.get(only);
      if (check === undefined) return text(404, `no ${kind} check named "${only}"\n`);
      selected = [[only, check]];
    } else {
      selected = [...checks];
    }
    const outcomes = await Promise.all(selected.map(([name, check]) => this.#run(name, check)));
    const ok = outcomes.every((o) => o.ok);
    if (ok && !verbose) return text(200, "ok");
    const lines = outcomes.map((o) => (o.ok ? `[+]${o.name} ok` : `[-]${o.name} failed: ${o.reason}`));
    lines.push(ok ? `${kind} check passed` : `${kind} check failed`);
    return text(ok ? 200 : failCode, `${lines.join("\n")}\n`);
  }

  async #run(name: string, check: HealthCheck): Promise<CheckOutcome> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`timed out after ${this.#checkTimeoutMs} ms`), this.#checkTimeoutMs);
    });
    try {
      const result = await Promise.race([Promise.resolve().then(check), timeout.then((r) => ({ timedOut: r }))]);
      if (typeof result === "object" && result !== null) return { name, ok: false, reason: result.timedOut };
      if (result === undefined || result === true) return { name, ok: true, reason: "" };
      return { name, ok: false, reason: result === false ? "not ok" : oneLine(result) };
    } catch (err) {
      return { name, ok: false, reason: oneLine(err instanceof Error ? err.message : String(err)) };
    } finally {
      clearTimeout(timer);
    }
  }
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, " ");
}

function text(status: number, body: string, headers: Record<string, string> = {}): Response {
  return new Response(body, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff", ...headers },
  });
}

/**
 * A liveness check that fails when `lastSeen()` (epoch ms of the last watch event or bookmark) is older than
 * `maxAgeMs`. Before anything was seen, the age counts from when the check was made, so a watch that never
 * delivers anything fails too. The apiserver sends bookmarks about once a minute, so a few minutes of silence
 * means the watch is wedged.
 */
export function staleAfter(what: string, maxAgeMs: number, lastSeen: () => number | undefined): HealthCheck {
  const since = Date.now();
  return () => {
    const age = Date.now() - (lastSeen() ?? since);
    if (age <= maxAgeMs) return undefined;
    return `${what}: no event or bookmark for ${Math.round(age / 1000)} s (limit ${Math.round(maxAgeMs / 1000)} s)`;
  };
}
