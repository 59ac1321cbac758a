/**
 * Many clusters at once: which contexts a run covers (`--context a,b`, `--all-contexts`, `--contexts-from FILE`),
 * one session per context, at most `--parallel` at a time, each request bounded by `--request-timeout`; a cluster
 * that cannot be reached or has no external-secrets.io CRDs becomes a result with the reason, never an exception
 * that hides the others. One exit code for the run: 1 when any cluster failed, else 3 when anything is not Ready,
 * else 0.
 *
 * @module
 */
import { KubeApiError, KubeConfigError, KubeCredentialError, KubeNetworkError } from "../controller/kube/mod.ts";
import { CliError, CRDS_MISSING, describeError, ExitCode, isCrdMissing, UsageError } from "./errors.ts";
import { DEFAULT_PARALLEL, type GlobalFlags } from "./global.ts";
import { insecureHostsOf, rerunSkippingVerification } from "./insecure.ts";
import type { Output } from "./output.ts";
import { openSession, type Session } from "./session.ts";

/** Why a cluster gave no answer. */
export interface ClusterProblem {
  /** `Unreachable` (network, timeout), `CRDsMissing`, `Forbidden`, `ConfigError`, `Error`. */
  reason: "Unreachable" | "CRDsMissing" | "Forbidden" | "ConfigError" | "Error";
  message: string;
}

/** What one cluster answered: a value, or the problem. */
export type ClusterResult<T> =
  & { context: string; elapsedMs: number }
  & ({ ok: true; value: T } | { ok: false; problem: ClusterProblem });

/** The contexts a run covers, or undefined for a run on one cluster (no fleet flag, at most one `--context`). */
export async function fleetContexts(flags: GlobalFlags, readFile = readContextsFile): Promise<string[] | undefined> {
  const explicit = flags.contexts ?? [];
  if (!flags.allContexts && flags.contextsFrom === undefined && explicit.length <= 1) return undefined;
  const out: string[] = [...explicit];
  const add = (c: string): void => {
    if (!out.includes(c)) out.push(c);
  };
  if (flags.contextsFrom !== undefined) {
    for (const c of parseContextsFile(await readFile(flags.contextsFrom))) {
      add(c);
    }
  }
  if (flags.allContexts) {
    const { loadKubeconfig } = await import("../controller/kube/mod.ts");
    const config = await loadKubeconfig(flags.kubeconfig !== undefined ? { kubeconfig: flags.kubeconfig } : {});
    for (const c of config.contexts.keys()) add(c);
  }
  if (out.length === 0) throw new UsageError("no contexts to query (the kubeconfig or --contexts-from names none)");
  return out;
}

async function readContextsFile(path: string): Promise<string> {
  try {
    return path === "-" ? await new Response(Deno.stdin.readable).text() : await Deno.readTextFile(path);
  } catch (e) {
    throw new CliError(`cannot read --contexts-from ${path}: ${(e as Error).message}`);
  }
}

/** A contexts file: one name a line; blank lines and `#` comments are skipped (pure). */
export function parseContextsFile(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*$/, "").trim();
    if (line !== "" && !out.includes(line)) out.push(line);
  }
  return out;
}

/** Classifies an error that ended a cluster's work (pure). */
export function problemOf(e: unknown): ClusterProblem {
  if (isCrdMissing(e)) return { reason: "CRDsMissing", message: CRDS_MISSING };
  if (e instanceof KubeNetworkError) return { reason: "Unreachable", message: e.message };
  if (e instanceof KubeApiError && (e.status === 403 || e.reason === "Forbidden")) {
    return { reason: "Forbidden", message: describeError(e) };
  }
  if (e instanceof KubeConfigError || e instanceof KubeCredentialError) {
    return { reason: "ConfigError", message: e.message };
  }
  const message = describeError(e).replace(/^error: /, "");
  return { reason: "Error", message };
}

/** Runs `fn` over `items`, at most `limit` at a time; results keep the order of `items`. */
export async function boundedMap<I, O>(items: readonly I[], limit: number, fn: (item: I) => Promise<O>): Promise<O[]> {
  const results: O[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return results;
}

/**
 * Runs the plugin again when a context in `contexts` needs certificate checks skipped (insecure-skip-tls-verify);
 * returns that run's exit code, or undefined to go on here.
 */
export async function rerunIfInsecure(
  flags: GlobalFlags,
  contexts: readonly (string | undefined)[],
): Promise<number | undefined> {
  const hosts = await insecureHostsOf(flags.kubeconfig, contexts);
  return hosts.length === 0 ? undefined : await rerunSkippingVerification(hosts);
}

/**
 * Opens a session per context (warnings prefixed with the context), runs `work`, closes it; failures become
 * problems. Results come back in the order of `contexts`.
 */
export function forEachCluster<T>(
  contexts: readonly string[],
  flags: GlobalFlags,
  out: Output,
  work: (session: Session, context: string, flags: GlobalFlags) => Promise<T>,
): Promise<ClusterResult<T>[]> {
  return boundedMap(contexts, flags.parallel ?? DEFAULT_PARALLEL, async (context) => {
    const started = Date.now();
    const own: GlobalFlags = { ...flags, context };
    let session: Session | undefined;
    try {
      session = await openSession(own, (w) => out.warn(`[${context}] ${w}`));
      const value = await work(session, context, own);
      return { context, elapsedMs: Date.now() - started, ok: true as const, value };
    } catch (e) {
      if (e instanceof UsageError) throw e;
      return { context, elapsedMs: Date.now() - started, ok: false as const, problem: problemOf(e) };
    } finally {
      session?.close();
    }
  });
}

/** How many clusters failed, by reason. */
export function problemCounts(results: readonly ClusterResult<unknown>[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of results) if (!r.ok) counts.set(r.problem.reason, (counts.get(r.problem.reason) ?? 0) + 1);
  return counts;
}

const PROBLEM_WORDS: Record<ClusterProblem["reason"], string> = {
  Unreachable: "unreachable",
  CRDsMissing: "without the CRDs",
  Forbidden: "forbidden",
  ConfigError: "misconfigured",
  Error: "failed",
};

/**
 * The summary line of a fleet run (pure): `3 clusters: 2 answered, 1 unreachable; 4 ExternalSecrets: 3 Ready,
 * 1 not Ready`. `items` is what the answering clusters held, with the word for it.
 */
export function summaryLine(
  results: readonly ClusterResult<unknown>[],
  items: { what: string; ready: number; notReady: number; readyWord?: string; notReadyWord?: string },
): string {
  const answered = results.filter((r) => r.ok).length;
  const parts = [`${answered} answered`];
  for (const [reason, n] of problemCounts(results)) {
    parts.push(`${n} ${PROBLEM_WORDS[reason as ClusterProblem["reason"]]}`);
  }
  const total = items.ready + items.notReady;
  const clusters = `${results.length} cluster${results.length === 1 ? "" : "s"}`;
  const what = total === 1 ? items.what.replace(/s$/, "") : items.what;
  return `${clusters}: ${parts.join(", ")}; ${total} ${what}: ${items.ready} ${items.readyWord ?? "Ready"}, ` +
    `${items.notReady} ${items.notReadyWord ?? "not Ready"}`;
}

/** The exit code of a fleet run: 1 when a cluster failed, else 3 when something is not Ready, else 0. */
export function fleetExitCode(results: readonly ClusterResult<unknown>[], notReady: number): number {
  if (results.some((r) => !r.ok)) return ExitCode.Error;
  return notReady > 0 ? ExitCode.NotReady : ExitCode.Ok;
}
