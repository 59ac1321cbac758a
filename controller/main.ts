/**
 * The controller's entry point: flags (ESO's names where ESO has them), wiring, signal handling. Nothing else.
 *
 * @module
 */
import { Command, InvalidArgumentError, Option } from "commander";
import { FORCE_SYNC_ANNOTATION } from "./api/force_sync.ts";
import { createKubeClient } from "./kube/mod.ts";
import { TOKEN_EXCHANGE_AUDIENCE } from "./providers/azure/auth.ts";
import { DEFAULT_AUTHORITY_HOSTS, DEFAULT_VAULT_HOSTS, parseHostPatterns } from "./providers/azure/endpoints.ts";
import { Manager } from "./manager.ts";
import { parseGoDuration } from "./reconcile/refresh.ts";
import { isLogLevel, type LogFormat, Logger, Redactor } from "./runtime/log.ts";

const VERSION = "0.1.0";

function duration(value: string): number {
  try {
    return parseGoDuration(value);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

function bool(value: string | undefined): boolean {
  if (value === undefined || value === "true") return true;
  if (value === "false") return false;
  throw new InvalidArgumentError(`expected true or false, got "${value}"`);
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer, got "${value}"`);
  return n;
}

function hostPatterns(value: string): string[] {
  try {
    return parseHostPatterns(value);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

function audiences(value: string): string[] {
  return value.split(",").map((s) => s.trim()).filter((s) => s !== "");
}

/**
 * `--ignored-metadata-prefixes`: comma-separated key prefixes. One that would swallow ESO's force-sync annotation is
 * refused: it would silently disable force-sync.
 */
function metadataPrefixes(value: string): string[] {
  const prefixes = value.split(",").map((s) => s.trim()).filter((s) => s !== "");
  const swallowing = prefixes.find((p) => FORCE_SYNC_ANNOTATION.startsWith(p));
  if (swallowing) {
    throw new InvalidArgumentError(`"${swallowing}" would also ignore ${FORCE_SYNC_ANNOTATION}: use a longer prefix`);
  }
  return prefixes;
}

function address(value: string): { hostname: string; port: number } | undefined {
  if (value === "0" || value === "") return undefined;
  const m = /^(.*):(\d+)$/.exec(value);
  if (!m) throw new InvalidArgumentError(`expected [host]:port, got "${value}"`);
  return { hostname: m[1] || "0.0.0.0", port: Number(m[2]) };
}

/** The command line, as a commander program (exported for `--help` tests). */
export function program(): Command {
  return new Command("kv-operator")
    .description(
      "Keeps Kubernetes Secrets in step with Azure Key Vault, speaking the External Secrets Operator API " +
        "(external-secrets.io/v1 ExternalSecret, SecretStore, ClusterSecretStore with the azurekv provider).",
    )
    .version(VERSION)
    .option("--kubeconfig <path>", "kubeconfig file (default: $KUBECONFIG, ~/.kube/config, then in-cluster)")
    .option("--context <name>", "kubeconfig context to use")
    .option("--namespace <ns>", "watch only this namespace (default: all namespaces)")
    .option("--controller-class <class>", "act only on stores whose spec.controller is empty or this", "default")
    .option("--concurrent <n>", "reconciles in flight at most", positiveInt, 10)
    .addOption(
      new Option("--enable-flood-gate [bool]", "an ExternalSecret waits while its store is not Ready").argParser(bool)
        .default(true),
    )
    .option("--store-requeue-interval <duration>", "how often stores are re-validated", duration, 5 * 60_000)
    .addOption(
      new Option(
        "--enable-cluster-external-secret-reconciler [bool]",
        "reconcile ClusterExternalSecrets (needs cluster-wide namespaces and ExternalSecrets: off with --namespace)",
      ).argParser(bool).default(true),
    )
    .addOption(
      new Option(
        "--adoption-policy <policy>",
        "which existing Secrets an ExternalSecret may take over: eso (any not owned by another controller, as ESO) or " +
          "strict (only ones annotated externalsecrets.kv-operator.io/allow-adoption=true)",
      ).choices(["eso", "strict"]).default("eso"),
    )
    .option(
      "--expiry-warning <duration>",
      "record a SourceExpiring Event when a synced Key Vault version expires within this (Go duration)",
      duration,
      30 * 24 * 3_600_000,
    )
    .addOption(
      new Option("--enable-leader-election [bool]", "run one active replica, elected on a Lease").argParser(bool)
        .default(false),
    )
    .option("--leader-election-id <name>", "name of the Lease", "external-secrets-controller")
    .option("--leader-election-namespace <ns>", "namespace of the Lease (default: the pod's, else default)")
    .option("--leader-election-lease-duration <duration>", "lease validity without renewal", duration, 15_000)
    .option("--leader-election-renew-deadline <duration>", "how long the leader tries to renew", duration, 10_000)
    .option("--leader-election-retry-period <duration>", "time between attempts", duration, 2000)
    .option("--metrics-addr <addr>", "serve /metrics, /healthz and /readyz here (0 disables)", ":8080")
    .option("--loglevel <level>", "debug, info, warn or error", "info")
    .addOption(
      new Option("--log-format <format>", "json or text (klog's layout)").choices(["json", "text"]).default("json"),
    )
    .addOption(
      new Option(
        "--enable-change-detection [bool]",
        "periodic refreshes list a store's secret versions (a call per 25) and read only what changed, when that " +
          "costs fewer Key Vault calls than reading every key",
      ).argParser(bool).default(true),
    )
    .addOption(
      new Option(
        "--ignored-metadata-prefixes <prefixes>",
        "label/annotation key prefixes whose changes do not re-sync an ExternalSecret (GitOps tools' bookkeeping, " +
          "e.g. kustomize.toolkit.fluxcd.io/,argocd.argoproj.io/); comma-separated; default none: every change " +
          "re-syncs, as ESO",
      ).argParser(metadataPrefixes).default([], "none"),
    )
    .option("--kv-requests-per-second <n>", "client-side limit of requests per Key Vault host", positiveInt, 100)
    .option("--kv-burst <n>", "burst of that limit", positiveInt, 200)
    .option("--azure-authority-host <url>", "Entra ID authority for every store (sovereign proxies, emulators)")
    .addOption(
      new Option(
        "--allowed-authority-hosts <hosts>",
        "Entra ID authorities stores may use (environmentType, customCloudConfig.activeDirectoryEndpoint): " +
          "comma-separated host, host:port, *.domain (one label), :* for any port",
      ).argParser(hostPatterns).default([...DEFAULT_AUTHORITY_HOSTS], DEFAULT_AUTHORITY_HOSTS.join(",")),
    )
    .addOption(
      new Option("--allowed-vault-hosts <hosts>", "Key Vault hosts stores may use (vaultUrl), same patterns")
        .argParser(hostPatterns).default([...DEFAULT_VAULT_HOSTS], DEFAULT_VAULT_HOSTS.join(",")),
    )
    .addOption(
      new Option(
        "--allowed-token-audiences <audiences>",
        `audiences serviceAccountRef.audiences may add to ${TOKEN_EXCHANGE_AUDIENCE} (comma-separated)`,
      ).argParser(audiences).default([TOKEN_EXCHANGE_AUDIENCE], TOKEN_EXCHANGE_AUDIENCE),
    )
    .addOption(
      new Option(
        "--allow-namespaced-mounted-identity [bool]",
        "let SecretStores (not only ClusterSecretStores) use the controller's own identities (mounted workload identity, managed identity)",
      ).argParser(bool).default(false),
    )
    .addOption(
      new Option("--azure-request-timeout <duration>", "time limit of each Key Vault / Entra ID / IMDS request")
        .argParser(duration).default(15_000, "15s"),
    )
    .option(
      "--kv-max-in-flight <n>",
      "syncs waiting on one Key Vault host at once (default: half of --concurrent); others retry later",
      positiveInt,
    )
    .addOption(
      new Option(
        "--azure-disable-challenge-resource-verification [bool]",
        "accept a Key Vault challenge whose resource does not match the vault host (emulators only)",
      ).argParser(bool).default(false),
    )
    .addHelpText(
      "after",
      `
Examples:
  kv-operator                                   # against the current kubeconfig context
  kv-operator --namespace jenkins --concurrent 4
  kv-operator --enable-leader-election --metrics-addr :8080

Signals: SIGTERM or SIGINT stop it gracefully (in-flight syncs finish; the Lease is released).`,
    );
}

interface Flags {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  controllerClass: string;
  concurrent: number;
  enableFloodGate: boolean;
  enableChangeDetection: boolean;
  ignoredMetadataPrefixes: string[];
  enableClusterExternalSecretReconciler: boolean;
  storeRequeueInterval: number;
  expiryWarning: number;
  adoptionPolicy: "eso" | "strict";
  enableLeaderElection: boolean;
  leaderElectionId: string;
  leaderElectionNamespace?: string;
  leaderElectionLeaseDuration: number;
  leaderElectionRenewDeadline: number;
  leaderElectionRetryPeriod: number;
  metricsAddr: string;
  loglevel: string;
  logFormat: LogFormat;
  kvRequestsPerSecond: number;
  kvBurst: number;
  azureAuthorityHost?: string;
  allowedAuthorityHosts: string[];
  allowedVaultHosts: string[];
  allowedTokenAudiences: string[];
  allowNamespacedMountedIdentity: boolean;
  azureRequestTimeout: number;
  kvMaxInFlight?: number;
  azureDisableChallengeResourceVerification: boolean;
}

async function main(args: string[]): Promise<number> {
  const cmd = program().exitOverride();
  try {
    cmd.parse(args, { from: "user" });
  } catch (e) {
    const code = (e as { exitCode?: number }).exitCode;
    return code === 0 ? 0 : 2;
  }
  const f = cmd.opts<Flags>();
  if (!isLogLevel(f.loglevel)) {
    cmd.error(`error: option '--loglevel <level>' must be debug, info, warn or error, got "${f.loglevel}"`, {
      exitCode: 2,
    });
  }
  // Every secret value the controller reads is registered here and scrubbed from log lines: defence in depth. Values
  // under 8 characters are not, or a short value equal to a namespace or key name would blank it from every line.
  const redactor = new Redactor({ minLength: 8 });
  const log = new Logger({
    level: f.loglevel as "info",
    format: f.logFormat,
    fields: { logger: "kv-operator" },
    redactor,
  });
  const startedAt = performance.now();
  const client = await createKubeClient({
    ...(f.kubeconfig ? { kubeconfig: f.kubeconfig } : {}),
    ...(f.context ? { context: f.context } : {}),
    onWarning: (w) => log.warn("apiserver warning", { warning: w }),
  });
  const stop = new AbortController();
  const onSignal = (name: string) => () => {
    if (stop.signal.aborted) return;
    log.info("shutting down", { signal: name });
    stop.abort();
  };
  Deno.addSignalListener("SIGTERM", onSignal("SIGTERM"));
  Deno.addSignalListener("SIGINT", onSignal("SIGINT"));

  const manager = new Manager({
    client,
    log,
    secretSeen: (value) => redactor.add(value),
    ...(f.namespace ? { namespace: f.namespace } : {}),
    controllerClass: f.controllerClass,
    concurrency: f.concurrent,
    floodGate: f.enableFloodGate,
    // ESO's chart turns it off with scoped RBAC; here the ExternalSecret cache sees one namespace only, so always.
    clusterExternalSecrets: f.enableClusterExternalSecretReconciler && !f.namespace,
    storeRequeueMs: f.storeRequeueInterval,
    sync: {
      expiryWarningMs: f.expiryWarning,
      adoption: f.adoptionPolicy,
      redact: (text) => redactor.redact(text),
      changeDetection: f.enableChangeDetection,
      ignoredMetadataPrefixes: f.ignoredMetadataPrefixes,
    },
    health: address(f.metricsAddr),
    ...(f.enableLeaderElection
      ? {
        leaderElection: {
          id: f.leaderElectionId,
          namespace: f.leaderElectionNamespace ?? Deno.env.get("POD_NAMESPACE") ?? client.namespace ?? "default",
          identity: `${Deno.hostname()}_${crypto.randomUUID()}`,
          leaseDurationMs: f.leaderElectionLeaseDuration,
          renewDeadlineMs: f.leaderElectionRenewDeadline,
          retryPeriodMs: f.leaderElectionRetryPeriod,
        },
      }
      : {}),
    azure: {
      ...(f.azureAuthorityHost ? { authorityHost: f.azureAuthorityHost } : {}),
      disableChallengeResourceVerification: f.azureDisableChallengeResourceVerification,
      endpoints: {
        authorityHosts: f.allowedAuthorityHosts,
        vaultHosts: f.allowedVaultHosts,
        tokenAudiences: f.allowedTokenAudiences,
        namespacedMountedIdentity: f.allowNamespacedMountedIdentity,
      },
      requestTimeoutMs: f.azureRequestTimeout,
    },
    vault: {
      ratePerSecond: f.kvRequestsPerSecond,
      burst: f.kvBurst,
      maxInFlight: f.kvMaxInFlight ?? Math.max(1, Math.ceil(f.concurrent / 2)),
    },
    onReady: () => log.info("ready", { startupMs: Math.round(performance.now() - startedAt), version: VERSION }),
  });
  log.info("starting", {
    version: VERSION,
    server: client.server,
    namespace: f.namespace ?? "(all)",
    class: f.controllerClass,
  });
  try {
    await manager.start(stop.signal);
    log.info("stopped");
    return 0;
  } catch (e) {
    log.error("controller failed", { error: e });
    return 1;
  } finally {
    client.close();
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
