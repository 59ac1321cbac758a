/**
 * Exec credential plugins (`users[].user.exec` in a kubeconfig: kubelogin, aws-iam-authenticator, gke-gcloud-auth-plugin,
 * ...), following client-go's `plugin/pkg/client/auth/exec`:
 *
 * - `client.authentication.k8s.io/v1` and `v1beta1`; the plugin must answer in the version it was asked;
 * - `KUBERNETES_EXEC_INFO` carries `spec.interactive` and, with `provideClusterInfo`, `spec.cluster`;
 * - `interactiveMode` (`Never`, `IfAvailable`, `Always`; required for v1, `IfAvailable` by default for v1beta1):
 *   stdin (and stderr) are handed to the plugin only when interactive;
 * - the result is cached until `status.expirationTimestamp` (forever without one) and dropped after a 401;
 *   concurrent callers share one run.
 *
 * Running a plugin needs `--allow-run=<command>`; without it the error says so.
 *
 * @module
 */

import { KubeCredentialError } from "./errors.ts";
import type { Credentials, CredentialSource } from "./credentials.ts";

/** The `exec` stanza of a kubeconfig user, with relative command paths already resolved. */
export interface ExecConfig {
  apiVersion: string;
  command: string;
  args: string[];
  env: { name: string; value: string }[];
  installHint?: string;
  provideClusterInfo: boolean;
  interactiveMode?: "Never" | "IfAvailable" | "Always";
}

/** Cluster facts passed to the plugin with `provideClusterInfo: true` (`spec.cluster` of the ExecCredential). */
export interface ExecClusterInfo {
  server: string;
  tlsServerName?: string;
  insecureSkipTlsVerify?: boolean;
  /** Base64 PEM, as in the kubeconfig. */
  certificateAuthorityData?: string;
  proxyUrl?: string;
  disableCompression?: boolean;
  /** The cluster's `extensions` entry named `client.authentication.k8s.io/exec`. */
  config?: unknown;
}

/** Options of {@linkcode ExecCredentialSource}. */
export interface ExecCredentialOptions {
  /** Passed as `spec.cluster` when the config has `provideClusterInfo: true`. */
  cluster?: ExecClusterInfo;
  /** Clock, for tests. @default {Date.now} */
  now?: () => number;
  /** Whether stdin is a terminal (decides `interactive`). @default {() => Deno.stdin.isTerminal()} */
  isTerminal?: () => boolean;
  /** Kill a non-interactive plugin after this long. @default {60000} */
  timeoutMs?: number;
  /**
   * Refresh this long before `expirationTimestamp` (but never earlier than half-way through the credential's
   * lifetime), so a request does not leave with a token that expires in flight. @default {10000}
   */
  refreshBeforeMs?: number;
}

const API_VERSIONS = ["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"];

/** What one plugin run produced. */
export interface ExecResult {
  credentials: Credentials;
  /** Epoch ms from `status.expirationTimestamp`, if the plugin set one. */
  expiresAt?: number;
}

/** Checks the exec stanza the way client-go does; returns the effective interactive mode. */
export function validateExecConfig(config: ExecConfig): "Never" | "IfAvailable" | "Always" {
  if (!API_VERSIONS.includes(config.apiVersion)) {
    throw new KubeCredentialError(
      `Cannot use exec plugin "${config.command}": apiVersion must be one of ${
        API_VERSIONS.join(", ")
      }: current value is "${config.apiVersion}"`,
    );
  }
  const mode = config.interactiveMode;
  if (mode === undefined) {
    if (config.apiVersion.endsWith("/v1")) {
      throw new KubeCredentialError(
        `Cannot use exec plugin "${config.command}": interactiveMode must be set for ${config.apiVersion}`,
      );
    }
    return "IfAvailable";
  }
  if (!["Never", "IfAvailable", "Always"].includes(mode)) {
    throw new KubeCredentialError(
      `Cannot use exec plugin "${config.command}": interactiveMode must be Never, IfAvailable or Always: current value is "${mode}"`,
    );
  }
  return mode;
}

/** Builds the `KUBERNETES_EXEC_INFO` document. */
export function execInfo(config: ExecConfig, interactive: boolean, cluster?: ExecClusterInfo): string {
  const spec: Record<string, unknown> = { interactive };
  if (config.provideClusterInfo && cluster) {
    const c: Record<string, unknown> = { server: cluster.server };
    if (cluster.tlsServerName) c["tls-server-name"] = cluster.tlsServerName;
    if (cluster.insecureSkipTlsVerify) c["insecure-skip-tls-verify"] = true;
    if (cluster.certificateAuthorityData) c["certificate-authority-data"] = cluster.certificateAuthorityData;
    if (cluster.proxyUrl) c["proxy-url"] = cluster.proxyUrl;
    if (cluster.disableCompression) c["disable-compression"] = true;
    if (cluster.config !== undefined) c["config"] = cluster.config;
    spec["cluster"] = c;
  }
  return JSON.stringify({ apiVersion: config.apiVersion, kind: "ExecCredential", spec });
}

/** Parses and validates a plugin's stdout (an ExecCredential). */
export function parseExecCredential(stdout: string, config: ExecConfig): ExecResult {
  const fail = (why: string): never => {
    throw new KubeCredentialError(`Cannot use exec plugin "${config.command}": ${why}`);
  };
  let doc: unknown;
  try {
    doc = JSON.parse(stdout);
  } catch {
    return fail("its output is not JSON (an ExecCredential was expected on stdout)");
  }
  if (doc === null || typeof doc !== "object") return fail("its output is not a JSON object");
  const o = doc as Record<string, unknown>;
  if (o["kind"] !== "ExecCredential") return fail(`it returned kind "${String(o["kind"])}", not ExecCredential`);
  if (o["apiVersion"] !== config.apiVersion) {
    return fail(
      `it is configured for ${config.apiVersion} but returned apiVersion "${String(o["apiVersion"])}"`,
    );
  }
  const status = o["status"];
  if (status === null || typeof status !== "object") return fail("its ExecCredential has no status");
  const s = status as Record<string, unknown>;
  const str = (k: string): string | undefined => {
    const v = s[k];
    if (v === undefined || v === null || v === "") return undefined;
    if (typeof v !== "string") return fail(`status.${k} must be a string`);
    return v;
  };
  const token = str("token");
  const cert = str("clientCertificateData");
  const key = str("clientKeyData");
  if ((cert === undefined) !== (key === undefined)) {
    return fail("it returned only one of status.clientCertificateData and status.clientKeyData");
  }
  if (token === undefined && cert === undefined) {
    return fail("it returned neither status.token nor status.clientCertificateData/clientKeyData");
  }
  const credentials: Credentials = {};
  if (token !== undefined) credentials.token = token;
  if (cert !== undefined && key !== undefined) credentials.clientCertificate = { certPem: cert, keyPem: key };
  const exp = str("expirationTimestamp");
  if (exp === undefined) return { credentials };
  const expiresAt = Date.parse(exp);
  if (Number.isNaN(expiresAt)) return fail(`status.expirationTimestamp is not a timestamp: "${exp}"`);
  return { credentials, expiresAt };
}

/**
 * Runs an exec plugin when credentials are needed and caches its result until it expires or is rejected.
 * See the module doc for the rules followed.
 */
export class ExecCredentialSource implements CredentialSource {
  readonly description: string;
  readonly #config: ExecConfig;
  readonly #mode: "Never" | "IfAvailable" | "Always";
  readonly #cluster: ExecClusterInfo | undefined;
  readonly #now: () => number;
  readonly #isTerminal: () => boolean;
  readonly #timeoutMs: number;
  readonly #refreshBeforeMs: number;
  #cached: { result: ExecResult; obtainedAt: number } | undefined;
  #inflight: Promise<Credentials> | undefined;
  #runs = 0;

  constructor(config: ExecConfig, options: ExecCredentialOptions = {}) {
    this.#mode = validateExecConfig(config);
    this.#config = config;
    this.#cluster = options.cluster;
    this.#now = options.now ?? Date.now;
    this.#isTerminal = options.isTerminal ?? (() => Deno.stdin.isTerminal());
    this.#timeoutMs = options.timeoutMs ?? 60_000;
    this.#refreshBeforeMs = options.refreshBeforeMs ?? 10_000;
    this.description = `exec plugin "${config.command}"`;
  }

  /** How many times the plugin has been run (for tests and diagnostics). */
  get runs(): number {
    return this.#runs;
  }

  get(): Promise<Credentials> {
    const c = this.#cached;
    if (c && !this.#expired(c.result, c.obtainedAt)) return Promise.resolve(c.result.credentials);
    this.#inflight ??= this.#run().finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  invalidate(rejected: Credentials): boolean {
    const c = this.#cached?.result.credentials;
    if (
      c && c.token === rejected.token &&
      c.clientCertificate?.certPem === rejected.clientCertificate?.certPem
    ) {
      this.#cached = undefined;
    }
    return true;
  }

  #expired(result: ExecResult, obtainedAt: number): boolean {
    if (result.expiresAt === undefined) return false;
    const lifetime = result.expiresAt - obtainedAt;
    const early = Math.min(this.#refreshBeforeMs, Math.max(0, lifetime / 2));
    return this.#now() >= result.expiresAt - early;
  }

  async #run(): Promise<Credentials> {
    const cfg = this.#config;
    const interactive = this.#mode !== "Never" && this.#isTerminal();
    if (this.#mode === "Always" && !interactive) {
      throw new KubeCredentialError(
        `Cannot use exec plugin "${cfg.command}": it needs an interactive terminal (interactiveMode: Always) but standard input is not a terminal`,
      );
    }
    const env: Record<string, string> = {};
    for (const { name, value } of cfg.env) env[name] = value;
    env["KUBERNETES_EXEC_INFO"] = execInfo(cfg, interactive, this.#cluster);
    const options: Deno.CommandOptions = {
      args: cfg.args,
      env,
      stdin: interactive ? "inherit" : "null",
      stdout: "piped",
      stderr: interactive ? "inherit" : "piped",
    };
    if (!interactive) options.signal = AbortSignal.timeout(this.#timeoutMs);
    this.#runs++;
    let out: Deno.CommandOutput;
    try {
      out = await new Deno.Command(cfg.command, options).output();
    } catch (e) {
      throw new KubeCredentialError(this.#spawnError(e), { cause: e });
    }
    const decoder = new TextDecoder();
    if (!out.success) {
      const why = out.signal
        ? `was killed by ${out.signal}${out.signal === "SIGTERM" ? ` (timeout ${this.#timeoutMs} ms?)` : ""}`
        : `exited with code ${out.code}`;
      const stderr = interactive ? "" : tail(decoder.decode(out.stderr));
      throw new KubeCredentialError(`Cannot get credentials from exec plugin "${cfg.command}": it ${why}${stderr}`);
    }
    const obtainedAt = this.#now();
    const result = parseExecCredential(decoder.decode(out.stdout), cfg);
    this.#cached = { result, obtainedAt };
    return result.credentials;
  }

  #spawnError(e: unknown): string {
    const cfg = this.#config;
    if (e instanceof Deno.errors.NotCapable) {
      return `Cannot run exec plugin "${cfg.command}": Deno needs --allow-run=${cfg.command}`;
    }
    if (e instanceof Deno.errors.NotFound) {
      const hint = cfg.installHint ? `\n\n${cfg.installHint.trim()}` : "";
      return `Cannot run exec plugin "${cfg.command}": executable not found${hint}`;
    }
    return `Cannot run exec plugin "${cfg.command}": ${e instanceof Error ? e.message : String(e)}`;
  }
}

function tail(stderr: string): string {
  const t = stderr.trim();
  if (t === "") return "";
  return `: ${t.length > 500 ? "..." + t.slice(-500) : t}`;
}
