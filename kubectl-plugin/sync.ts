/**
 * `kubectl externalsecret sync NAME... | -l SELECTOR | --all [--wait[=TIMEOUT]]`: force a refresh exactly as ESO
 * understands it. Any label or annotation change moves an ExternalSecret's `syncedResourceVersion`
 * (`"<generation>-<hash(labels, annotations)>"`), so the plugin sets `external-secrets.io/force-sync=<unix ns>`;
 * with `--wait` it waits until `status.syncedResourceVersion` equals the new value and Ready is True, or reports the
 * failure the controller recorded after the request.
 *
 * @module
 */
import { type ExternalSecret, externalSecrets, parseGoDuration, syncedResourceVersion } from "../mod.ts";
import {
  annotationsPatch,
  type CoreEvent,
  coreEvents,
  isNotFound,
  KubeApiError,
  type KubeClient,
} from "../controller/kube/mod.ts";
import { describeError, ExitCode, isCrdMissing, UsageError } from "./errors.ts";
import { type GlobalFlags, requireOutput, type Scope, scopeOf } from "./global.ts";
import { fleetContexts, forEachCluster, rerunIfInsecure, summaryLine } from "./fleet.ts";
import { openSession, type Session } from "./session.ts";
import { humanDuration, type Output, RESULT_API_VERSION, toJson, toYaml } from "./output.ts";
import { FORCE_SYNC_ANNOTATION, forceSyncIgnored, listAll, readiness } from "./summary.ts";

/** Default of `--wait` without a value. */
export const DEFAULT_WAIT_MS = 60_000;

/** Parses `--wait=TIMEOUT`: a Go duration (`90s`, `2m`) or a number of seconds. */
export function parseTimeout(text: string): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
  try {
    const ms = parseGoDuration(t);
    if (ms < 0) throw new RangeError("negative");
    return ms;
  } catch {
    throw new UsageError(`invalid --wait timeout "${text}": use a duration such as 30s, 2m or 1h`);
  }
}

/** A force-sync value: the current Unix time in nanoseconds (microsecond resolution), always a new value. */
export function forceSyncValue(nowMs: number = performance.timeOrigin + performance.now()): string {
  return (BigInt(Math.floor(nowMs * 1000)) * 1000n).toString();
}

/** `namespace/name`. */
export function keyOf(es: ExternalSecret): string {
  return `${es.metadata.namespace}/${es.metadata.name}`;
}

/** A force-sync that was requested. */
export interface SyncRequest {
  /** The ExternalSecret as the patch left it. */
  es: ExternalSecret;
  /** `syncedResourceVersion` the controller will write once it has synced after the request. */
  expectedSrv: string;
  /** Epoch ms just before the request. */
  requestedAt: number;
  /** Why ESO's rules make the controller ignore it, if they do. */
  ignored?: string;
}

/** How one force-sync ended. */
export interface SyncOutcome {
  key: string;
  state: "ready" | "failed" | "ignored" | "timeout" | "gone" | "error";
  message: string;
  elapsedMs: number;
}

/** Patches the force-sync annotation; returns the request with the `syncedResourceVersion` to wait for. */
export async function requestSync(client: KubeClient, es: ExternalSecret, token?: string): Promise<SyncRequest> {
  const requestedAt = Date.now();
  let value = token ?? forceSyncValue();
  if (token === undefined && es.metadata.annotations?.[FORCE_SYNC_ANNOTATION] === value) {
    value = (BigInt(value) + 1n).toString();
  }
  const patched = await client.patch(
    externalSecrets,
    es.metadata.name!,
    annotationsPatch({ [FORCE_SYNC_ANNOTATION]: value }),
    { namespace: es.metadata.namespace! },
  );
  const ignored = forceSyncIgnored(patched);
  return {
    es: patched,
    expectedSrv: syncedResourceVersion(patched.metadata),
    requestedAt,
    ...(ignored ? { ignored } : {}),
  };
}

/** Warning Events per ExternalSecret uid: event name → count. */
export type WarningCounts = Map<string, Map<string, number>>;

/** The Warning Events about ExternalSecrets in `namespace`, per ExternalSecret uid. */
export async function warningEvents(client: KubeClient, namespace: string): Promise<Map<string, CoreEvent[]>> {
  const list = await listAll(client, coreEvents, {
    namespace,
    fieldSelector: "involvedObject.kind=ExternalSecret,type=Warning",
  }) as CoreEvent[];
  const out = new Map<string, CoreEvent[]>();
  for (const e of list) {
    const uid = e.involvedObject?.uid ?? "";
    out.set(uid, [...out.get(uid) ?? [], e]);
  }
  return out;
}

/** Event name → count, for telling new failures from old ones. */
export function countsOf(events: readonly CoreEvent[] | undefined): Map<string, number> {
  return new Map((events ?? []).map((e) => [e.metadata?.name ?? "", e.count ?? 1]));
}

/** The Warning Events recorded since the baseline (new ones, or old ones whose count grew). */
export function newWarnings(
  baseline: Map<string, number> | undefined,
  now: readonly CoreEvent[] | undefined,
): CoreEvent[] {
  return (now ?? []).filter((e) => (e.count ?? 1) > (baseline?.get(e.metadata?.name ?? "") ?? 0));
}

/**
 * Where one force-sync stands, given the ExternalSecret as it is now and the Warning Events recorded about it since
 * the request (pure). `pending` until the controller has synced the request (or a later change) or failed after it.
 */
export function evaluate(
  req: SyncRequest,
  current: ExternalSecret | undefined,
  warningsSince: readonly CoreEvent[],
): { state: "pending" | "refreshed" | "failed" | "gone"; message: string } {
  if (!current) return { state: "gone", message: "the ExternalSecret was deleted" };
  const synced = current.status?.syncedResourceVersion ?? "";
  const ready = readiness(current);
  const describe = `${ready.reason || "Ready " + ready.status}${ready.message ? `: ${ready.message}` : ""}`;
  const refreshed = synced !== "" && (synced === req.expectedSrv || synced === syncedResourceVersion(current.metadata));
  if (refreshed) {
    return ready.status === "True" ? { state: "refreshed", message: describe } : { state: "failed", message: describe };
  }
  if (ready.status === "False") {
    const transitionedAfter = ready.since !== undefined && Date.parse(ready.since) > req.requestedAt;
    if (warningsSince.length > 0 || transitionedAfter) return { state: "failed", message: describe };
  }
  return { state: "pending", message: describe };
}

/** A check after the refresh (vault set: does the target Secret hold the new value?). */
export type Verify = (es: ExternalSecret) => Promise<{ ok: boolean; message: string }>;

/** Options of {@link waitForSyncs}. */
export interface WaitOptions {
  timeoutMs: number;
  pollMs?: number;
  /** Warning Events per namespace before the requests; undefined when they could not be read. */
  baseline?: Map<string, WarningCounts> | undefined;
  verify?: Verify;
  onOutcome?: (o: SyncOutcome) => void;
}

/** Reads the baseline of Warning Events in each namespace (undefined when Events cannot be listed). */
export async function readBaseline(
  client: KubeClient,
  namespaces: Iterable<string>,
): Promise<Map<string, WarningCounts> | undefined> {
  try {
    const out = new Map<string, WarningCounts>();
    for (const ns of new Set(namespaces)) {
      const byUid = await warningEvents(client, ns);
      out.set(ns, new Map([...byUid].map(([uid, evs]) => [uid, countsOf(evs)])));
    }
    return out;
  } catch {
    return undefined;
  }
}

async function readCurrent(
  client: KubeClient,
  namespace: string,
  names: string[],
): Promise<Map<string, ExternalSecret | undefined>> {
  const out = new Map<string, ExternalSecret | undefined>();
  if (names.length > 3) {
    const all = await listAll(client, externalSecrets, { namespace });
    const byName = new Map(all.map((es) => [es.metadata.name!, es]));
    for (const n of names) out.set(n, byName.get(n));
    return out;
  }
  await Promise.all(names.map(async (n) => {
    try {
      out.set(n, await client.get(externalSecrets, n, { namespace }));
    } catch (e) {
      if (!isNotFound(e)) throw e;
      out.set(n, undefined);
    }
  }));
  return out;
}

/**
 * Waits until every request has refreshed (and passed `verify`), failed after the request, or the timeout passed.
 * Requests the controller will ignore end at once as `ignored`. Outcomes are reported as they happen.
 */
export async function waitForSyncs(
  client: KubeClient,
  requests: readonly SyncRequest[],
  opts: WaitOptions,
): Promise<SyncOutcome[]> {
  const started = Date.now();
  const deadline = started + opts.timeoutMs;
  const outcomes: SyncOutcome[] = [];
  const finish = (o: SyncOutcome): void => {
    outcomes.push(o);
    opts.onOutcome?.(o);
  };
  let pending = [...requests];
  for (const r of pending.filter((r) => r.ignored)) {
    finish({ key: keyOf(r.es), state: "ignored", message: r.ignored!, elapsedMs: 0 });
  }
  pending = pending.filter((r) => !r.ignored);
  const last = new Map<string, string>();
  while (pending.length > 0) {
    const byNs = new Map<string, SyncRequest[]>();
    for (const r of pending) byNs.set(r.es.metadata.namespace!, [...byNs.get(r.es.metadata.namespace!) ?? [], r]);
    const still: SyncRequest[] = [];
    for (const [ns, reqs] of byNs) {
      const current = await readCurrent(client, ns, reqs.map((r) => r.es.metadata.name!));
      let warnings: Map<string, CoreEvent[]> | undefined;
      const needWarnings = opts.baseline !== undefined &&
        reqs.some((r) => readiness(current.get(r.es.metadata.name!) ?? r.es).status === "False");
      if (needWarnings) warnings = await warningEvents(client, ns).catch(() => undefined);
      for (const r of reqs) {
        const es = current.get(r.es.metadata.name!);
        const uid = r.es.metadata.uid ?? "";
        const since = newWarnings(opts.baseline?.get(ns)?.get(uid), warnings?.get(uid));
        const v = evaluate(r, es, since);
        const elapsedMs = Date.now() - r.requestedAt;
        if (v.state === "pending") {
          last.set(keyOf(r.es), v.message);
          still.push(r);
        } else if (v.state === "refreshed" && opts.verify) {
          try {
            const check = await opts.verify(es!);
            finish({ key: keyOf(r.es), state: check.ok ? "ready" : "failed", message: check.message, elapsedMs });
          } catch (e) {
            finish({ key: keyOf(r.es), state: "error", message: describeError(e), elapsedMs });
          }
        } else {
          finish({
            key: keyOf(r.es),
            state: v.state === "refreshed" ? "ready" : v.state,
            message: v.message,
            elapsedMs,
          });
        }
      }
    }
    pending = still;
    if (pending.length === 0) break;
    if (Date.now() >= deadline) {
      for (const r of pending) {
        const now = last.get(keyOf(r.es));
        finish({
          key: keyOf(r.es),
          state: "timeout",
          message: `not refreshed within ${humanDuration(opts.timeoutMs)}${now ? ` (now: ${now})` : ""}; ` +
            "is the controller running, and does its --controller-class match the store?",
          elapsedMs: Date.now() - r.requestedAt,
        });
      }
      break;
    }
    await new Promise((res) => setTimeout(res, Math.min(opts.pollMs ?? 500, Math.max(0, deadline - Date.now()))));
  }
  return outcomes;
}

/** Prints one outcome as a line: `jenkins/regcred: Ready (SecretSynced: secret synced) after 1.2s`. */
export function outcomeLine(o: SyncOutcome, out: Pick<Output, "green" | "red" | "yellow">): string {
  const secs = `${(o.elapsedMs / 1000).toFixed(1)}s`;
  switch (o.state) {
    case "ready":
      return `${o.key}: ${out.green("Ready")} (${o.message}) after ${secs}`;
    case "failed":
      return `${o.key}: ${out.red("Failed")} (${o.message})`;
    case "ignored":
      return `${o.key}: ${out.yellow("Not refreshed")}: ${o.message}`;
    case "timeout":
      return `${o.key}: ${out.yellow("Timed out")}: ${o.message}`;
    case "gone":
      return `${o.key}: ${out.red("Gone")}: ${o.message}`;
    case "error":
      return `${o.key}: ${out.red("Error")}: ${o.message}`;
  }
}

/** The exit code of a set of outcomes: 0 when all are Ready, else 3 (1 when an API error occurred). */
export function exitCodeOf(outcomes: readonly SyncOutcome[], hadErrors: boolean): number {
  if (hadErrors || outcomes.some((o) => o.state === "error")) return ExitCode.Error;
  return outcomes.every((o) => o.state === "ready") ? ExitCode.Ok : ExitCode.NotReady;
}

/** The ExternalSecrets `sync` acts on: the named ones, or every one matching `-l` / `--all` in the scope. */
async function selectTargets(
  client: KubeClient,
  names: string[],
  flags: GlobalFlags,
  scope: Scope,
  out: Output,
): Promise<{ items: ExternalSecret[]; errors: number }> {
  if (names.length > 0) {
    const items: ExternalSecret[] = [];
    let errors = 0;
    for (const n of names) {
      try {
        items.push(await client.get(externalSecrets, n, { namespace: scope.namespace! }));
      } catch (e) {
        // Only a name's own failures are per name; an unreachable cluster or missing CRDs end the cluster's run.
        if (!isNotFound(e) && !(e instanceof KubeApiError && e.status === 403) || isCrdMissing(e)) throw e;
        out.error(describeError(e));
        errors++;
      }
    }
    return { items, errors };
  }
  const items = await listAll(client, externalSecrets, {
    ...(scope.namespace !== undefined ? { namespace: scope.namespace } : {}),
    ...(flags.selector !== undefined ? { labelSelector: flags.selector } : {}),
  });
  return { items, errors: 0 };
}

/** Options of `sync`. */
export interface SyncOptions {
  all?: boolean;
  wait?: boolean;
  waitTimeout?: string;
}

/**
 * Requests a force-sync of each ExternalSecret (warning about those the controller will ignore), optionally waits
 * and reports. Returns how many requests failed with an API error, and the requests made.
 */
export async function forceSyncAll(
  client: KubeClient,
  items: readonly ExternalSecret[],
  out: Output,
  print: (req: SyncRequest) => void,
  /** One annotation value for all (a rotation token: they may share one vault read); default a fresh timestamp. */
  token?: string,
): Promise<{ requests: SyncRequest[]; errors: number }> {
  const requests: SyncRequest[] = [];
  const seen = new Set<string>();
  let errors = 0;
  for (const es of items) {
    const ignored = forceSyncIgnored(es);
    if (ignored) {
      out.warn(
        `externalsecret "${es.metadata.name}" in namespace "${es.metadata.namespace}": this request will be ignored: ${ignored}`,
      );
    }
    try {
      const req = await requestSync(client, es, token);
      requests.push(req);
      print(req);
    } catch (e) {
      errors++;
      const msg = describeError(e);
      if (!seen.has(msg)) out.error(msg);
      seen.add(msg);
    }
  }
  return { requests, errors };
}

/** What `sync` did in one cluster. */
export interface ClusterSync {
  requested: number;
  /** `namespace/name` of each request made. */
  keys: string[];
  outcomes: SyncOutcome[];
  hadErrors: boolean;
  code: number;
}

/** `sync` in one cluster (its session): select, request, optionally wait; prints as it goes. */
async function syncCluster(
  session: Session,
  names: string[],
  opts: SyncOptions,
  flags: GlobalFlags,
  out: Output,
  timeoutMs: number,
): Promise<ClusterSync> {
  const client = session.client;
  const scope = scopeOf(flags, client.namespace);
  const { items, errors: getErrors } = await selectTargets(client, names, flags, scope, out);
  if (items.length === 0 && getErrors === 0) {
    out.err(
      scope.namespace === undefined ? "No resources found" : `No resources found in ${scope.namespace} namespace.`,
    );
    return { requested: 0, keys: [], outcomes: [], hadErrors: false, code: ExitCode.Ok };
  }
  const baseline = opts.wait ? await readBaseline(client, items.map((es) => es.metadata.namespace!)) : undefined;
  const { requests, errors } = await forceSyncAll(client, items, out, (req) => {
    const id = `externalsecret.external-secrets.io/${req.es.metadata.name}`;
    if (flags.output === "name") out.out(id);
    else out.out(`${id} sync requested${flags.allNamespaces ? ` (namespace ${req.es.metadata.namespace})` : ""}`);
  });
  const hadErrors = errors + getErrors > 0;
  if (!opts.wait) {
    return {
      requested: requests.length,
      keys: requests.map((r) => keyOf(r.es)),
      outcomes: [],
      hadErrors,
      code: hadErrors ? ExitCode.Error : ExitCode.Ok,
    };
  }
  const outcomes = await waitForSyncs(client, requests, {
    timeoutMs,
    baseline,
    onOutcome: (o) => (flags.output === "name" ? undefined : out.out(outcomeLine(o, out))),
  });
  return {
    requested: requests.length,
    keys: requests.map((r) => keyOf(r.es)),
    outcomes,
    hadErrors,
    code: exitCodeOf(outcomes, hadErrors),
  };
}

/** Runs `sync`; returns the exit code. */
export async function runSync(names: string[], opts: SyncOptions, flags: GlobalFlags, out: Output): Promise<number> {
  requireOutput(flags, ["name", "json", "yaml"], "sync");
  const modes = [names.length > 0, flags.selector !== undefined, opts.all === true].filter(Boolean).length;
  if (modes !== 1) {
    throw new UsageError(
      "name one or more ExternalSecrets, or select them with -l SELECTOR or --all (exactly one of these)",
    );
  }
  if (names.length > 0 && flags.allNamespaces) {
    throw new UsageError("ExternalSecrets cannot be named across all namespaces: drop -A, or use -l/--all with -A");
  }
  if (opts.waitTimeout !== undefined && !opts.wait) throw new UsageError("--wait-timeout needs --wait");
  const timeoutMs = opts.waitTimeout !== undefined ? parseTimeout(opts.waitTimeout) : DEFAULT_WAIT_MS;
  const contexts = await fleetContexts(flags);
  const rerun = await rerunIfInsecure(flags, contexts ?? [flags.context]);
  if (rerun !== undefined) return rerun;
  // -o json|yaml: the lines are replaced by one result document at the end.
  const doc = flags.output === "json" || flags.output === "yaml";
  const lines = doc ? out.withoutStdout() : out;
  if (contexts === undefined) {
    const session = await openSession(flags, (w) => out.warn(w));
    try {
      const r = await syncCluster(session, names, opts, flags, lines, timeoutMs);
      if (doc) await printSyncResult(flags, out, opts.wait === true, [{ context: undefined, result: r }]);
      return r.code;
    } finally {
      session.close();
    }
  }
  // A fleet: each cluster's lines carry its context; a cluster that fails is a line, not the end of the run.
  const results = await forEachCluster(contexts, flags, out, (session, context, own) => {
    const mine = lines.prefixed(`[${context}] `);
    return syncCluster(session, names, opts, own, mine, timeoutMs);
  });
  let done = 0;
  let notDone = 0;
  for (const r of results) {
    if (!r.ok) {
      lines.out(`[${r.context}] ${out.red(r.problem.reason)}: ${r.problem.message}`);
      continue;
    }
    if (r.value.hadErrors) notDone++;
    if (opts.wait) {
      for (const o of r.value.outcomes) o.state === "ready" ? done++ : notDone++;
    } else done += r.value.requested;
  }
  if (doc) {
    await printSyncResult(
      flags,
      out,
      opts.wait === true,
      results.map((r) => r.ok ? { context: r.context, result: r.value } : { context: r.context, problem: r.problem }),
    );
  }
  out.err(summaryLine(results, {
    what: "ExternalSecrets",
    ready: done,
    notReady: notDone,
    ...(opts.wait ? {} : { readyWord: "requested", notReadyWord: "failed" }),
  }));
  if (results.some((r) => !r.ok || r.value.code === ExitCode.Error)) return ExitCode.Error;
  return results.some((r) => r.ok && r.value.code === ExitCode.NotReady) ? ExitCode.NotReady : ExitCode.Ok;
}

/** One outcome in a result document. */
export interface ResultItem {
  context?: string;
  namespace: string;
  name: string;
  /** `requested` (no --wait), or how the wait ended: `ready`, `failed`, `ignored`, `timeout`, `gone`, `error`. */
  state: string;
  message?: string;
  elapsedMs?: number;
}

/** The items and per-cluster states of a result document (pure). */
export function resultOf(
  wait: boolean,
  clusters: readonly (
    | { context: string | undefined; result: { keys: string[]; outcomes: SyncOutcome[] } }
    | { context: string; problem: { reason: string; message: string } }
  )[],
): { ok: boolean; items: ResultItem[]; clusters?: Record<string, unknown>[] } {
  const items: ResultItem[] = [];
  let ok = true;
  for (const c of clusters) {
    if ("problem" in c) {
      ok = false;
      continue;
    }
    const ctx = c.context !== undefined ? { context: c.context } : {};
    const split = (key: string): { namespace: string; name: string } => ({
      namespace: key.slice(0, key.indexOf("/")),
      name: key.slice(key.indexOf("/") + 1),
    });
    if (!wait) {
      for (const k of c.result.keys) items.push({ ...ctx, ...split(k), state: "requested" });
      continue;
    }
    for (const o of c.result.outcomes) {
      if (o.state !== "ready") ok = false;
      items.push({ ...ctx, ...split(o.key), state: o.state, message: o.message, elapsedMs: o.elapsedMs });
    }
  }
  const fleet = clusters.some((c) => c.context !== undefined);
  return {
    ok,
    items,
    ...(fleet
      ? {
        clusters: clusters.map((c) =>
          "problem" in c
            ? { context: c.context, reachable: false, reason: c.problem.reason, message: c.problem.message }
            : { context: c.context, reachable: true }
        ),
      }
      : {}),
  };
}

async function printSyncResult(
  flags: GlobalFlags,
  out: Output,
  wait: boolean,
  clusters: Parameters<typeof resultOf>[1],
): Promise<void> {
  const doc = { apiVersion: RESULT_API_VERSION, kind: "SyncResult", wait, ...resultOf(wait, clusters) };
  out.out(flags.output === "json" ? toJson(doc) : await toYaml(doc));
}
