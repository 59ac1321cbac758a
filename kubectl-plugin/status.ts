/**
 * `kubectl externalsecret status [NAME]`: a kubectl-style table of ExternalSecrets, or, with a name, a detailed
 * view (conditions, the target Secret's key names and sizes — never values —, the store and its readiness, recent
 * Events, when the next refresh is due).
 *
 * @module
 */
import {
  ANNOTATION_DATA_HASH,
  type AzureKVProvider,
  clusterSecretStores,
  dataHash,
  type ExternalSecret,
  externalSecrets,
  LABEL_MANAGED,
  secretDataBytes,
  secretStores,
} from "../mod.ts";
import {
  type CoreEvent,
  coreEvents,
  isNotFound,
  type KubeClient,
  type Secret,
  secrets,
} from "../controller/kube/mod.ts";
import { describeError, ExitCode, isCrdMissing, UsageError } from "./errors.ts";
import { fleetContexts, fleetExitCode, forEachCluster, rerunIfInsecure, summaryLine } from "./fleet.ts";
import { type GlobalFlags, requireOutput, scopeOf } from "./global.ts";
import { openSession } from "./session.ts";
import { parseWhen } from "./vault_set.ts";
import { age, byteSize, formatTable, type Output, RESULT_API_VERSION, toJson, toYaml, truncate } from "./output.ts";
import {
  type EsSummary,
  expiryText,
  listAll,
  readiness,
  storeShort,
  summarize,
  targetSecretName,
  withoutManagedFields,
} from "./summary.ts";

/** What `status NAME` found about the store. */
export interface StoreReport {
  kind: string;
  name: string;
  found: boolean;
  ready?: string;
  reason?: string;
  message?: string;
  vaultUrl?: string;
  authType?: string;
  /** Why the store could not be read (e.g. forbidden). */
  error?: string;
}

/** What `status NAME` found about the target Secret: key names and sizes, never values. */
export interface TargetReport {
  name: string;
  found: boolean;
  type?: string;
  keys: { name: string; size: number }[];
  managed?: boolean;
  ownedByThis?: boolean;
  /** The data still hashes to the controller's `data-hash` annotation (nobody edited it by hand). */
  dataHashMatches?: boolean;
  error?: string;
}

/** One Event about the ExternalSecret. */
export interface EventReport {
  type: string;
  reason: string;
  message: string;
  count: number;
  firstTimestamp?: string;
  lastTimestamp?: string;
  source: string;
}

/** Everything `status NAME` shows (also its `-o json|yaml` output). */
export interface StatusReport {
  externalSecret: ExternalSecret;
  summary: EsSummary;
  store: StoreReport;
  target: TargetReport;
  events: EventReport[];
  eventsError?: string;
}

const API = "externalsecret.external-secrets.io";

/** Runs `status`; returns the exit code (3 when any ExternalSecret shown is not Ready, 1 when a cluster failed). */
/** Options of `status` itself. */
export interface StatusOptions {
  /** Only ExternalSecrets whose earliest source expires within this (`30d`) or before this date. */
  expiringWithin?: string;
}

/** The filter `--expiring-within` asks for, if it was given. */
function expiryFilter(opts: StatusOptions, now: Date): ((es: ExternalSecret) => boolean) | undefined {
  if (opts.expiringWithin === undefined) return undefined;
  const limit = parseWhen(opts.expiringWithin, "--expiring-within", now)!.getTime();
  return (es) => es.status?.expiresAt !== undefined && Date.parse(es.status.expiresAt) <= limit;
}

export async function runStatus(
  names: string[],
  flags: GlobalFlags,
  out: Output,
  opts: StatusOptions = {},
): Promise<number> {
  const only = expiryFilter(opts, new Date());
  requireOutput(flags, ["wide", "json", "yaml", "name", "jsonpath", "custom-columns"], "status");
  if (names.length > 0 && flags.allNamespaces) {
    throw new UsageError("a resource cannot be retrieved by name across all namespaces (drop -A or the NAME)");
  }
  if (names.length > 0 && flags.selector !== undefined) {
    throw new UsageError("name cannot be provided when a selector is specified");
  }
  const contexts = await fleetContexts(flags);
  const rerun = await rerunIfInsecure(flags, contexts ?? [flags.context]);
  if (rerun !== undefined) return rerun;
  if (contexts !== undefined) return await fleetStatus(contexts, names, flags, out, only);
  const session = await openSession(flags, (w) => out.warn(w));
  const client = session.client;
  try {
    const scope = scopeOf(flags, client.namespace);
    const now = new Date();
    if (names.length > 0 && !isTemplated(flags)) {
      let code: number = ExitCode.Ok;
      const reports: StatusReport[] = [];
      for (const name of names) {
        let es: ExternalSecret;
        try {
          es = await client.get(externalSecrets, name, { namespace: scope.namespace! });
        } catch (e) {
          if (names.length === 1 || isCrdMissing(e)) throw e;
          out.error(describeError(e));
          code = ExitCode.Error;
          continue;
        }
        const report = await gatherReport(client, es, now);
        reports.push(report);
        if (report.summary.ready !== "True" && code === ExitCode.Ok) code = ExitCode.NotReady;
      }
      if (names.length > 1 && (flags.output === "json" || flags.output === "yaml")) {
        await printDocument({ apiVersion: "v1", kind: "List", items: reports }, flags, out);
      } else {
        for (const [i, report] of reports.entries()) {
          if (i > 0 && flags.output === undefined) out.out("");
          await printReport(report, flags, out, now);
        }
      }
      return code;
    }
    const items = (await listIn(client, scope.namespace, names, flags)).filter(only ?? (() => true));
    if (items.length === 0 && !isDocument(flags)) {
      out.err(
        scope.namespace === undefined ? "No resources found" : `No resources found in ${scope.namespace} namespace.`,
      );
      return ExitCode.Ok;
    }
    await printList(items, flags, out, now);
    return items.every((es) => readiness(es).status === "True") ? ExitCode.Ok : ExitCode.NotReady;
  } finally {
    session.close();
  }
}

function isDocument(flags: GlobalFlags): boolean {
  return flags.output === "json" || flags.output === "yaml" || flags.output === "jsonpath";
}

function isTemplated(flags: GlobalFlags): boolean {
  return flags.output === "jsonpath" || flags.output === "custom-columns";
}

/** The named ExternalSecrets (each must exist), or all in scope matching `-l`. */
async function listIn(
  client: KubeClient,
  namespace: string | undefined,
  names: readonly string[],
  flags: GlobalFlags,
): Promise<ExternalSecret[]> {
  if (names.length > 0) {
    return await Promise.all(names.map((n) => client.get(externalSecrets, n, { namespace: namespace! })));
  }
  const items = await listAll(client, externalSecrets, {
    ...(namespace !== undefined ? { namespace } : {}),
    ...(flags.selector !== undefined ? { labelSelector: flags.selector } : {}),
  });
  return items.sort((a, b) =>
    (a.metadata.namespace ?? "").localeCompare(b.metadata.namespace ?? "") ||
    (a.metadata.name ?? "").localeCompare(b.metadata.name ?? "")
  );
}

/** What one cluster answered to `status`: its ExternalSecrets, and the names asked for that it does not have. */
interface ClusterStatus {
  items: ExternalSecret[];
  missing: { namespace: string; name: string; message: string }[];
}

/** `status` over many clusters: one table with a CLUSTER column, a row per failed cluster, a summary line. */
async function fleetStatus(
  contexts: string[],
  names: string[],
  flags: GlobalFlags,
  out: Output,
  only?: (es: ExternalSecret) => boolean,
): Promise<number> {
  const now = new Date();
  const results = await forEachCluster(contexts, flags, out, async (session): Promise<ClusterStatus> => {
    const scope = scopeOf(flags, session.namespace);
    if (names.length === 0) {
      const items = await listIn(session.client, scope.namespace, [], flags);
      return { items: items.filter(only ?? (() => true)), missing: [] };
    }
    const status: ClusterStatus = { items: [], missing: [] };
    for (const name of names) {
      try {
        status.items.push(await session.client.get(externalSecrets, name, { namespace: scope.namespace! }));
      } catch (e) {
        if (!isNotFound(e) || isCrdMissing(e)) throw e;
        status.missing.push({ namespace: scope.namespace!, name, message: describeError(e) });
      }
    }
    return status;
  });
  let ready = 0;
  let notReady = 0;
  for (const r of results) {
    if (!r.ok) continue;
    for (const es of r.value.items) readiness(es).status === "True" ? ready++ : notReady++;
    notReady += r.value.missing.length;
  }
  if (isDocument(flags) || flags.output === "custom-columns") {
    const doc = {
      apiVersion: RESULT_API_VERSION,
      kind: "FleetStatus",
      clusters: results.map((r) =>
        r.ok
          ? {
            context: r.context,
            reachable: true,
            items: r.value.items.map(withoutManagedFields),
            ...(r.value.missing.length ? { notFound: r.value.missing } : {}),
          }
          : { context: r.context, reachable: false, reason: r.problem.reason, message: r.problem.message, items: [] }
      ),
    };
    await printDocument(doc, flags, out);
  } else if (flags.output === "name") {
    for (const r of results) {
      if (r.ok) { for (const es of r.value.items) out.out(`${r.context}\t${API}/${es.metadata.name}`); }
    }
  } else {
    const rows: StatusRow[] = [];
    for (const r of results) {
      if (!r.ok) {
        rows.push({ cluster: r.context, problem: r.problem.reason, message: r.problem.message });
        continue;
      }
      for (const es of r.value.items) rows.push({ ...summarize(es, now), cluster: r.context });
      for (const m of r.value.missing) {
        rows.push({
          cluster: r.context,
          namespace: m.namespace,
          name: m.name,
          problem: "NotFound",
          message: m.message,
        });
      }
    }
    out.out(statusTable(rows, {
      allNamespaces: flags.allNamespaces === true,
      wide: flags.output === "wide",
      cluster: true,
      noHeaders: flags.noHeaders === true,
      now,
      paint: out,
    }));
  }
  out.err(summaryLine(results, { what: "ExternalSecrets", ready, notReady }));
  return fleetExitCode(results, notReady);
}

/** Prints a document as -o json|yaml|jsonpath=|custom-columns= asks. */
async function printDocument(doc: unknown, flags: GlobalFlags, out: Output): Promise<void> {
  switch (flags.output) {
    case "json":
      out.out(toJson(doc));
      return;
    case "yaml":
      out.out(await toYaml(doc));
      return;
    case "jsonpath": {
      const { jsonpath } = await import("./jsonpath.ts");
      out.out(jsonpath(flags.template!, doc));
      return;
    }
    case "custom-columns": {
      const { customColumns } = await import("./jsonpath.ts");
      out.out(customColumns(flags.template!, listItems(doc), flags.noHeaders === true));
      return;
    }
  }
}

/** The rows custom-columns prints: a List's items, a fleet's items across clusters, or the object itself. */
function listItems(doc: unknown): unknown[] {
  const d = doc as { kind?: string; items?: unknown[]; clusters?: { items: unknown[] }[] };
  if (d.kind === "FleetStatus") return (d.clusters ?? []).flatMap((c) => c.items);
  if (Array.isArray(d.items)) return d.items;
  return [doc];
}

/** Prints the list in the format the flags ask for. */
export async function printList(items: ExternalSecret[], flags: GlobalFlags, out: Output, now: Date): Promise<void> {
  switch (flags.output) {
    case "json":
    case "yaml":
    case "jsonpath":
    case "custom-columns": {
      const list = {
        apiVersion: "v1",
        kind: "List",
        items: items.map(withoutManagedFields),
        metadata: { resourceVersion: "" },
      };
      await printDocument(list, flags, out);
      return;
    }
    case "name":
      for (const es of items) out.out(`${API}/${es.metadata.name}`);
      return;
    default:
      out.out(statusTable(items.map((es) => summarize(es, now)), {
        allNamespaces: flags.allNamespaces === true,
        wide: flags.output === "wide",
        noHeaders: flags.noHeaders === true,
        now,
        paint: out,
      }));
  }
}

/** A row of `status` that is not an ExternalSecret: a cluster that failed, or a name it does not have. */
export interface ProblemRow {
  cluster?: string;
  namespace?: string;
  name?: string;
  /** Shown as REASON: `Unreachable`, `CRDsMissing`, `NotFound`... */
  problem: string;
  message: string;
}

/** A row of the `status` table. */
export type StatusRow = (EsSummary & { cluster?: string }) | ProblemRow;

/** Options of {@link statusTable}. */
export interface TableOptions {
  allNamespaces: boolean;
  wide: boolean;
  /** Adds the CLUSTER column (a fleet run). */
  cluster?: boolean;
  noHeaders?: boolean;
  now: Date;
  paint?: Pick<Output, "status">;
}

/**
 * A column of `status`: when it shows, and its cell for an ExternalSecret (a problem row shows `-` unless `problem`
 * says otherwise). A new column is one entry here.
 */
export interface StatusColumn {
  header: string;
  when?: (o: TableOptions) => boolean;
  cell: (s: EsSummary & { cluster?: string }, o: TableOptions) => string;
  problem?: (p: ProblemRow, o: TableOptions) => string;
}

/** The columns of `status`, in order. */
export const STATUS_COLUMNS: StatusColumn[] = [
  {
    header: "cluster",
    when: (o) => o.cluster === true,
    cell: (s) => s.cluster ?? "",
    problem: (p) => p.cluster ?? "-",
  },
  { header: "namespace", when: (o) => o.allNamespaces, cell: (s) => s.namespace, problem: (p) => p.namespace ?? "-" },
  { header: "name", cell: (s) => s.name, problem: (p) => p.name ?? "-" },
  { header: "store", cell: (s) => storeShort(s.storeKind, s.storeName) },
  { header: "ready", cell: (s, o) => (o.paint ? o.paint.status(s.ready) : s.ready) },
  { header: "reason", cell: (s) => s.reason || "<none>", problem: (p) => p.problem },
  { header: "last sync", cell: (s, o) => (s.lastSync ? age(s.lastSync, o.now) : "<never>") },
  { header: "expires", cell: (s, o) => expiryText(s.expiresAt, o.now) },
  { header: "next refresh", cell: (s) => s.next.text },
  { header: "refresh", when: (o) => o.wide, cell: (s) => refreshText(s) },
  { header: "target", cell: (s) => s.target },
  {
    header: "message",
    cell: (s, o) => (o.wide ? s.message.replace(/\s*\n\s*/g, " ") : truncate(s.message, 60)),
    // Never shortened: why a cluster gave no answer is the point of its row.
    problem: (p) => p.message.replace(/\s*\n\s*/g, " "),
  },
];

/** The table of `status` (pure, for tests). */
export function statusTable(rows: readonly StatusRow[], opts: TableOptions): string {
  const columns = STATUS_COLUMNS.filter((c) => c.when?.(opts) ?? true);
  const cells = rows.map((row) =>
    columns.map((c) => {
      if ("problem" in row) return c.problem ? c.problem(row, opts) : "-";
      return c.cell(row, opts);
    })
  );
  return formatTable(columns.map((c) => c.header), cells, { noHeaders: opts.noHeaders === true });
}

function refreshText(s: EsSummary): string {
  return s.refreshPolicy === "Periodic" ? `Periodic/${s.refreshInterval}` : s.refreshPolicy;
}

/** Reads the store, the target Secret and the Events of one ExternalSecret. Missing permissions become notes. */
export async function gatherReport(client: KubeClient, es: ExternalSecret, now: Date): Promise<StatusReport> {
  const [store, target, events] = await Promise.all([
    storeReport(client, es),
    targetReport(client, es),
    eventReports(client, es).then(
      (e) => ({ events: e }),
      (e) => ({ events: [] as EventReport[], error: describeError(e) }),
    ),
  ]);
  return {
    externalSecret: withoutManagedFields(es),
    summary: summarize(es, now),
    store,
    target,
    events: events.events,
    ...("error" in events && events.error ? { eventsError: events.error } : {}),
  };
}

async function storeReport(client: KubeClient, es: ExternalSecret): Promise<StoreReport> {
  const kind = es.spec.secretStoreRef?.kind ?? "SecretStore";
  const name = es.spec.secretStoreRef?.name ?? "";
  const report: StoreReport = { kind, name, found: false };
  try {
    const store = kind === "ClusterSecretStore"
      ? await client.get(clusterSecretStores, name)
      : await client.get(secretStores, name, { namespace: es.metadata.namespace! });
    report.found = true;
    const c = store.status?.conditions?.find((x) => x.type === "Ready");
    report.ready = c?.status ?? "Unknown";
    if (c?.reason) report.reason = c.reason;
    if (c?.message) report.message = c.message;
    const az = store.spec.provider?.azurekv as AzureKVProvider | undefined;
    if (az) {
      report.vaultUrl = az.vaultUrl;
      report.authType = az.authType ?? "ServicePrincipal";
    }
  } catch (e) {
    if (!isNotFound(e)) report.error = describeError(e);
  }
  return report;
}

async function targetReport(client: KubeClient, es: ExternalSecret): Promise<TargetReport> {
  const name = targetSecretName(es);
  const report: TargetReport = { name, found: false, keys: [] };
  try {
    const secret: Secret = await client.get(secrets, name, { namespace: es.metadata.namespace! });
    const bytes = secretDataBytes(secret);
    report.found = true;
    report.type = secret.type ?? "Opaque";
    report.keys = Object.keys(bytes).sort().map((k) => ({ name: k, size: bytes[k]!.length }));
    report.managed = secret.metadata?.labels?.[LABEL_MANAGED] === "true";
    report.ownedByThis = secret.metadata?.ownerReferences?.some((o) => o.uid === es.metadata.uid) ?? false;
    const annotated = secret.metadata?.annotations?.[ANNOTATION_DATA_HASH];
    if (annotated !== undefined) report.dataHashMatches = annotated === dataHash(bytes);
  } catch (e) {
    if (!isNotFound(e)) report.error = describeError(e);
  }
  return report;
}

/** The Events about an ExternalSecret, oldest first. */
export async function eventReports(client: KubeClient, es: ExternalSecret): Promise<EventReport[]> {
  const list = await listAll(client, coreEvents, {
    namespace: es.metadata.namespace!,
    fieldSelector: `involvedObject.uid=${es.metadata.uid}`,
  }) as CoreEvent[];
  const when = (e: CoreEvent): string => e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? "";
  return list.sort((a, b) => when(a).localeCompare(when(b))).map((e) => {
    const r: EventReport = {
      type: e.type ?? "",
      reason: e.reason ?? "",
      message: e.message ?? "",
      count: e.count ?? 1,
      source: e.source?.component ?? e.reportingComponent ?? "",
    };
    const first = e.firstTimestamp ?? e.eventTime;
    const last = e.lastTimestamp ?? e.eventTime;
    if (first) r.firstTimestamp = first;
    if (last) r.lastTimestamp = last;
    return r;
  });
}

async function printReport(report: StatusReport, flags: GlobalFlags, out: Output, now: Date): Promise<void> {
  switch (flags.output) {
    case "json":
    case "yaml":
      await printDocument(report, flags, out);
      return;
    case "name":
      out.out(`${API}/${report.externalSecret.metadata.name}`);
      return;
    default:
      out.out(detailText(report, now, out));
  }
}

function indent(text: string): string {
  return text.split("\n").map((l) => `  ${l}`).join("\n");
}

/** The detailed view of `status NAME` (pure, for tests). */
export function detailText(r: StatusReport, now: Date, paint?: Pick<Output, "status">): string {
  const es = r.externalSecret;
  const s = r.summary;
  const st = (v: string): string => (paint ? paint.status(v) : v);
  const ready = readiness(es);
  const lines: [string, string][] = [];
  lines.push(["Name", s.name], ["Namespace", s.namespace]);
  lines.push([
    "Ready",
    `${st(ready.status)}${ready.reason ? `  ${ready.reason}` : ""}${ready.message ? `: ${ready.message}` : ""}${
      ready.since ? ` (for ${age(ready.since, now)})` : ""
    }`,
  ]);
  const store = r.store;
  let storeLine = `${store.kind}/${store.name}`;
  if (store.error) storeLine += `: cannot read it: ${store.error}`;
  else if (!store.found) storeLine += `: not found`;
  else {
    storeLine += `: Ready ${st(store.ready ?? "Unknown")}${
      store.reason ? ` (${store.reason}${store.message ? `: ${store.message}` : ""})` : ""
    }`;
  }
  lines.push(["Store", storeLine]);
  if (store.vaultUrl) lines.push(["Vault", `${store.vaultUrl} (${store.authType})`]);
  lines.push([
    "Refresh",
    s.refreshPolicy === "Periodic" ? `Periodic, every ${s.refreshInterval}` : s.refreshPolicy,
  ]);
  lines.push(["Last sync", s.lastSync ? `${age(s.lastSync, now)} ago (${s.lastSync})` : "never"]);
  for (const src of es.status?.sources ?? []) {
    const when = src.expiresAt ? `expires ${src.expiresAt} (${expiryText(src.expiresAt, now)})` : "no expiry";
    lines.push([
      "Source",
      `${src.key}${src.version ? ` version ${src.version}` : ""}: ${when}${src.expiry ? `, ${src.expiry}` : ""}`,
    ]);
  }
  lines.push(["Next refresh", s.next.detail]);
  lines.push([
    "Force-sync",
    s.upToDate
      ? "none pending (the last sync saw the current spec, labels and annotations)"
      : "pending (spec, labels or annotations changed since the last sync)",
  ]);
  const t = r.target;
  const policy = es.spec.target?.creationPolicy ?? "Owner";
  let targetLine = `${t.name}`;
  if (t.error) targetLine += `: cannot read it: ${t.error}`;
  else if (!t.found) targetLine += `: does not exist (creationPolicy ${policy})`;
  else {
    targetLine += ` (${t.type}), creationPolicy ${policy}${t.ownedByThis ? ", owned by this ExternalSecret" : ""}${
      t.managed ? "" : ", not labelled as managed"
    }`;
  }
  lines.push(["Target Secret", targetLine]);
  const width = Math.max(...lines.map(([k]) => k.length)) + 2;
  const text: string[] = lines.map(([k, v]) => `${`${k}:`.padEnd(width + 1)}${v}`);
  if (t.found) {
    text.push(indent(formatTable(["key", "size"], t.keys.map((k) => [k.name, byteSize(k.size)]))));
    if (t.dataHashMatches !== undefined) {
      text.push(
        `  Data hash: ${
          t.dataHashMatches
            ? "matches the controller's annotation"
            : "does NOT match the controller's annotation (edited by hand? the controller restores it)"
        }`,
      );
    }
  }
  const data = es.spec.data ?? [];
  if (data.length > 0) {
    text.push("Data:");
    text.push(indent(formatTable(
      ["secret key", "remote key", "property", "version"],
      data.map((d) => [d.secretKey, d.remoteRef.key, d.remoteRef.property ?? "-", d.remoteRef.version || "latest"]),
    )));
  }
  if ((es.spec.dataFrom ?? []).length > 0) text.push(`Data from:  ${(es.spec.dataFrom ?? []).length} source(s)`);
  const conditions = es.status?.conditions ?? [];
  text.push(conditions.length === 0 ? "Conditions:  <none>" : "Conditions:");
  if (conditions.length > 0) {
    text.push(indent(formatTable(
      ["type", "status", "reason", "since", "message"],
      conditions.map((c) => [c.type, st(c.status), c.reason ?? "", age(c.lastTransitionTime, now), c.message ?? ""]),
    )));
  }
  if (r.eventsError) text.push(`Events:  cannot list them: ${r.eventsError}`);
  else if (r.events.length === 0) text.push("Events:  <none>");
  else {
    text.push("Events:");
    const recent = r.events.slice(-10);
    text.push(indent(formatTable(
      ["type", "reason", "age", "from", "message"],
      recent.map((e) => [
        e.type,
        e.reason,
        e.count > 1
          ? `${age(e.lastTimestamp, now)} (x${e.count} over ${age(e.firstTimestamp, now)})`
          : age(e.lastTimestamp, now),
        e.source,
        e.message.replace(/\s*\n\s*/g, " "),
      ]),
    )));
  }
  return text.join("\n");
}
