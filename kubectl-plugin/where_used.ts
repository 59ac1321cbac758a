/**
 * `kubectl externalsecret where-used KEY [--store S | --cluster-store S]`: which ExternalSecrets (and
 * ClusterExternalSecrets, where that CRD is installed) read Key Vault secret KEY, through which store, pinned or
 * following the latest version, and whether they are Ready — in one cluster or across a fleet. The question asked
 * before a rotation.
 *
 * @module
 */
import { type ClusterExternalSecret, clusterExternalSecrets, type ExternalSecret, externalSecrets } from "../mod.ts";
import type { KubeClient } from "../controller/kube/mod.ts";
import { ExitCode, isCrdMissing, UsageError } from "./errors.ts";
import { fleetContexts, fleetExitCode, forEachCluster, rerunIfInsecure, summaryLine } from "./fleet.ts";
import { type GlobalFlags, requireOutput } from "./global.ts";
import { formatTable, type Output, RESULT_API_VERSION, toJson, toYaml } from "./output.ts";
import { openSession } from "./session.ts";
import { listAll, readiness, storeShort } from "./summary.ts";
import { keyMatches } from "./vault_set.ts";

/** One object that reads the key. */
export interface Reference {
  kind: "ExternalSecret" | "ClusterExternalSecret";
  namespace: string;
  name: string;
  /** `css/name` or `ss/name`, each store it is read through. */
  stores: string[];
  /** The Secret keys it fills from KEY (`dataFrom` for a whole-secret extract). */
  secretKeys: string[];
  /** `latest`, or the pinned versions. */
  versions: string[];
  ready: string;
}

/** Which store filter the flags name. */
export interface StoreFilter {
  kind: "SecretStore" | "ClusterSecretStore";
  name: string;
}

/** How `spec` reads `key`, or undefined when it does not (pure). */
export function referencesIn(
  spec: ExternalSecret["spec"] | undefined,
  key: string,
  filter: StoreFilter | undefined,
): Pick<Reference, "stores" | "secretKeys" | "versions"> | undefined {
  const stores = new Set<string>();
  const secretKeys: string[] = [];
  const versions = new Set<string>();
  const via = (ref: { kind?: string; name?: string } | undefined): string | undefined => {
    const kind = ref?.kind ?? spec?.secretStoreRef?.kind ?? "SecretStore";
    const name = ref?.name ?? spec?.secretStoreRef?.name ?? "";
    if (filter && (filter.kind !== kind || filter.name !== name)) return undefined;
    return storeShort(kind, name);
  };
  for (const item of spec?.data ?? []) {
    if (!keyMatches(item.remoteRef.key, key)) continue;
    const store = via(item.sourceRef?.storeRef);
    if (store === undefined) continue;
    stores.add(store);
    secretKeys.push(item.secretKey);
    versions.add(item.remoteRef.version || "latest");
  }
  for (const item of spec?.dataFrom ?? []) {
    if (!item.extract || !keyMatches(item.extract.key, key)) continue;
    const store = via(item.sourceRef?.storeRef);
    if (store === undefined) continue;
    stores.add(store);
    secretKeys.push("(dataFrom)");
    versions.add(item.extract.version || "latest");
  }
  return stores.size === 0 ? undefined : { stores: [...stores], secretKeys, versions: [...versions] };
}

async function referencesInCluster(
  client: KubeClient,
  key: string,
  filter: StoreFilter | undefined,
  namespace: string | undefined,
): Promise<Reference[]> {
  const out: Reference[] = [];
  const items = await listAll(client, externalSecrets, namespace !== undefined ? { namespace } : {});
  for (const es of items) {
    const r = referencesIn(es.spec, key, filter);
    if (!r) continue;
    out.push({
      kind: "ExternalSecret",
      namespace: es.metadata.namespace ?? "",
      name: es.metadata.name ?? "",
      ...r,
      ready: readiness(es).status,
    });
  }
  // ClusterExternalSecrets: served by this controller's CRDs and by ESO's; a cluster with neither has no such CRD.
  let cess: ClusterExternalSecret[] = [];
  try {
    cess = await listAll(client, clusterExternalSecrets);
  } catch (e) {
    if (!isCrdMissing(e)) throw e;
  }
  for (const ces of cess) {
    const r = referencesIn(ces.spec.externalSecretSpec, key, filter);
    if (!r) continue;
    const c = ces.status?.conditions?.find((x) => x.type === "Ready");
    out.push({
      kind: "ClusterExternalSecret",
      namespace: "",
      name: ces.metadata?.name ?? "",
      ...r,
      ready: c?.status ?? "Unknown",
    });
  }
  return out.sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
}

/** Options of `where-used`. */
export interface WhereUsedOptions {
  store?: string;
  clusterStore?: string;
}

/** Runs `where-used`; returns the exit code (1 when a cluster could not answer). */
export async function runWhereUsed(
  key: string,
  opts: WhereUsedOptions,
  flags: GlobalFlags,
  out: Output,
): Promise<number> {
  requireOutput(flags, ["json", "yaml"], "where-used");
  if (opts.store !== undefined && opts.clusterStore !== undefined) {
    throw new UsageError("give at most one of --store and --cluster-store");
  }
  const name = key.startsWith("secret/") ? key.slice("secret/".length) : key;
  if (!/^[0-9a-zA-Z-]{1,127}$/.test(name)) {
    throw new UsageError(`"${key}": a Key Vault secret name is 1-127 letters, digits and dashes`);
  }
  const filter: StoreFilter | undefined = opts.store !== undefined
    ? { kind: "SecretStore", name: opts.store }
    : opts.clusterStore !== undefined
    ? { kind: "ClusterSecretStore", name: opts.clusterStore }
    : undefined;
  // Every namespace unless -n narrows it: the question is "who else reads this?".
  const namespace = flags.allNamespaces ? undefined : flags.namespace;
  const contexts = await fleetContexts(flags);
  const rerun = await rerunIfInsecure(flags, contexts ?? [flags.context]);
  if (rerun !== undefined) return rerun;
  const results = contexts !== undefined
    ? await forEachCluster(contexts, flags, out, (s) => referencesInCluster(s.client, name, filter, namespace))
    : [await single(flags, out, name, filter, namespace)];
  const fleet = contexts !== undefined;
  let ready = 0;
  let notReady = 0;
  for (const r of results) if (r.ok) { for (const x of r.value) x.ready === "True" ? ready++ : notReady++; }
  if (flags.output === "json" || flags.output === "yaml") {
    const doc = {
      apiVersion: RESULT_API_VERSION,
      kind: "WhereUsed",
      key: name,
      ...(filter ? { store: storeShort(filter.kind, filter.name) } : {}),
      clusters: results.map((r) =>
        r.ok ? { context: r.context, reachable: true, references: r.value } : {
          context: r.context,
          reachable: false,
          reason: r.problem.reason,
          message: r.problem.message,
          references: [],
        }
      ),
    };
    out.out(flags.output === "json" ? toJson(doc) : await toYaml(doc));
  } else {
    const headers = [
      ...(fleet ? ["cluster"] : []),
      "namespace",
      "kind",
      "name",
      "store",
      "secret keys",
      "version",
      "ready",
    ];
    const rows: string[][] = [];
    for (const r of results) {
      if (!r.ok) {
        rows.push(["cluster", "namespace", "kind", "name", "store", "secret keys", "version"].map(() => "-"));
        rows[rows.length - 1]![0] = r.context;
        rows[rows.length - 1]!.push(`${r.problem.reason}: ${r.problem.message}`);
        continue;
      }
      for (const x of r.value) {
        rows.push([
          ...(fleet ? [r.context] : []),
          x.namespace || "<cluster>",
          x.kind,
          x.name,
          x.stores.join(","),
          x.secretKeys.join(","),
          x.versions.join(","),
          out.status(x.ready),
        ]);
      }
    }
    if (rows.length === 0) {
      out.err(`No ExternalSecret reads "${name}"${filter ? ` through ${storeShort(filter.kind, filter.name)}` : ""}`);
    } else {
      out.out(formatTable(headers, rows, { noHeaders: flags.noHeaders === true }));
    }
  }
  if (fleet) out.err(summaryLine(results, { what: "references", ready, notReady }));
  return fleet ? fleetExitCode(results, 0) : ExitCode.Ok;
}

async function single(
  flags: GlobalFlags,
  out: Output,
  name: string,
  filter: StoreFilter | undefined,
  namespace: string | undefined,
): Promise<{ context: string; elapsedMs: number; ok: true; value: Reference[] }> {
  const started = Date.now();
  const session = await openSession(flags, (w) => out.warn(w));
  try {
    const value = await referencesInCluster(session.client, name, filter, namespace);
    return { context: flags.context ?? "", elapsedMs: Date.now() - started, ok: true, value };
  } finally {
    session.close();
  }
}
