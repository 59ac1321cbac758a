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
import { describeError, ExitCode, UsageError } from "./errors.ts";
import { type GlobalFlags, requireOutput, scopeOf } from "./global.ts";
import { openSession } from "./session.ts";
import { age, byteSize, formatTable, type Output, toJson, toYaml, truncate } from "./output.ts";
import {
  type EsSummary,
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

/** Runs `status`; returns the exit code (3 when any ExternalSecret shown is not Ready). */
export async function runStatus(name: string | undefined, flags: GlobalFlags, out: Output): Promise<number> {
  requireOutput(flags, ["wide", "json", "yaml", "name"], "status");
  if (name !== undefined && flags.allNamespaces) {
    throw new UsageError("a resource cannot be retrieved by name across all namespaces (drop -A or the NAME)");
  }
  if (name !== undefined && flags.selector !== undefined) {
    throw new UsageError("name cannot be provided when a selector is specified");
  }
  const session = await openSession(flags, (w) => out.warn(w));
  const client = session.client;
  try {
    const scope = scopeOf(flags, client.namespace);
    const now = new Date();
    if (name !== undefined) {
      const es = await client.get(externalSecrets, name, { namespace: scope.namespace! });
      const report = await gatherReport(client, es, now);
      await printReport(report, flags, out, now);
      return report.summary.ready === "True" ? ExitCode.Ok : ExitCode.NotReady;
    }
    const items = await listAll(client, externalSecrets, {
      ...(scope.namespace !== undefined ? { namespace: scope.namespace } : {}),
      ...(flags.selector !== undefined ? { labelSelector: flags.selector } : {}),
    });
    items.sort((a, b) =>
      (a.metadata.namespace ?? "").localeCompare(b.metadata.namespace ?? "") ||
      (a.metadata.name ?? "").localeCompare(b.metadata.name ?? "")
    );
    if (items.length === 0 && flags.output !== "json" && flags.output !== "yaml") {
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

/** Prints the list in the format the flags ask for. */
export async function printList(items: ExternalSecret[], flags: GlobalFlags, out: Output, now: Date): Promise<void> {
  switch (flags.output) {
    case "json":
    case "yaml": {
      const list = {
        apiVersion: "v1",
        kind: "List",
        items: items.map(withoutManagedFields),
        metadata: { resourceVersion: "" },
      };
      out.out(flags.output === "json" ? toJson(list) : await toYaml(list));
      return;
    }
    case "name":
      for (const es of items) out.out(`${API}/${es.metadata.name}`);
      return;
    default:
      out.out(statusTable(items.map((es) => summarize(es, now)), {
        allNamespaces: flags.allNamespaces === true,
        wide: flags.output === "wide",
        now,
        paint: out,
      }));
  }
}

/** The table of `status` (pure, for tests). */
export function statusTable(
  rows: EsSummary[],
  opts: { allNamespaces: boolean; wide: boolean; now: Date; paint?: Pick<Output, "status"> },
): string {
  const headers = [
    ...(opts.allNamespaces ? ["namespace"] : []),
    "name",
    "store",
    "ready",
    "reason",
    "last sync",
    "next refresh",
    ...(opts.wide ? ["refresh"] : []),
    "target",
    "message",
  ];
  const cells = rows.map((s) => [
    ...(opts.allNamespaces ? [s.namespace] : []),
    s.name,
    storeShort(s.storeKind, s.storeName),
    opts.paint ? opts.paint.status(s.ready) : s.ready,
    s.reason || "<none>",
    s.lastSync ? age(s.lastSync, opts.now) : "<never>",
    s.next.text,
    ...(opts.wide ? [refreshText(s)] : []),
    s.target,
    opts.wide ? s.message.replace(/\s*\n\s*/g, " ") : truncate(s.message, 60),
  ]);
  return formatTable(headers, cells);
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
      out.out(toJson(report));
      return;
    case "yaml":
      out.out(await toYaml(report));
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
