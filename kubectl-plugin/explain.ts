/**
 * `kubectl externalsecret explain NAME`: why an ExternalSecret is not Ready and the next step — the store is missing
 * or not Ready (which credentials Secret and key to fix), Key Vault refused the identity (the role it needs), the key
 * does not exist, the template failed (the line), or ESO's rules stop it refreshing (refreshInterval 0,
 * CreatedOnce) — in one cluster or across contexts. Only names are read from Secrets, never values.
 *
 * @module
 */
import {
  type AzureKVProvider,
  type ClusterSecretStore,
  clusterSecretStores,
  type ExternalSecret,
  externalSecrets,
  type SecretStore,
  secretStores,
} from "../mod.ts";
import { isNotFound, type KubeClient, secrets } from "../controller/kube/mod.ts";
import { describeError, ExitCode, UsageError } from "./errors.ts";
import { fleetContexts, fleetExitCode, forEachCluster, rerunIfInsecure, summaryLine } from "./fleet.ts";
import { type GlobalFlags, requireOutput, scopeOf } from "./global.ts";
import { type Output, RESULT_API_VERSION, toJson, toYaml } from "./output.ts";
import { openSession } from "./session.ts";
import { forceSyncIgnored, readiness, storeShort } from "./summary.ts";

/** What `explain` concluded about one ExternalSecret. */
export interface Explanation {
  namespace: string;
  name: string;
  ready: string;
  reason: string;
  /** Why, in a sentence (the controller's message, or what the plugin found). */
  why: string;
  /** What to do next, most likely first. */
  next: string[];
}

/** What was found about the store, for {@link diagnose}. */
export interface StoreFacts {
  kind: string;
  name: string;
  found: boolean;
  ready?: string;
  message?: string;
  vaultUrl?: string;
  /** Credentials Secrets or keys the store names that are missing (`ns/name` or `ns/name key k`). */
  missingCredentials: string[];
  /** Why the store could not be read (forbidden). */
  error?: string;
}

/** The template line a Go template error names (`template: x:3:12: ...`), with its text. */
function templateLine(es: ExternalSecret, message: string): string | undefined {
  const m = /template: ([^:\s]*):(\d+)(?::\d+)?:/.exec(message);
  if (!m) return undefined;
  const line = Number(m[2]);
  const data = es.spec.target?.template?.data ?? {};
  const key = m[1] && m[1] in data ? m[1] : Object.keys(data).length === 1 ? Object.keys(data)[0] : undefined;
  const text = key !== undefined ? data[key]?.split("\n")[line - 1] : undefined;
  return `spec.target.template.data${key !== undefined ? `["${key}"]` : ""} line ${line}${
    text !== undefined ? `: ${text.trim()}` : ""
  }`;
}

/** The diagnosis (pure): why `es` is not Ready, and what to do. */
export function diagnose(es: ExternalSecret, store: StoreFacts): Explanation {
  const r = readiness(es);
  const base = {
    namespace: es.metadata.namespace ?? "",
    name: es.metadata.name ?? "",
    ready: r.status,
    reason: r.reason,
  };
  const storeName = storeShort(store.kind, store.name);
  const ignored = forceSyncIgnored(es);
  if (r.status === "True") {
    return {
      ...base,
      why: `Ready: ${r.reason || "synced"}${r.message ? ` (${r.message})` : ""}`,
      next: ignored ? [`nothing to fix; note that ${ignored}`] : [],
    };
  }
  const next: string[] = [];
  let why = r.message || (r.status === "Unknown" ? "the controller has not reported on it yet" : r.reason);
  if (store.error) {
    next.push(`cannot read ${storeName} to look further: ${store.error}`);
  } else if (!store.found) {
    why = `${store.kind} "${store.name}" does not exist${
      store.kind === "SecretStore" ? ` in namespace "${base.namespace}"` : ""
    }`;
    next.push(`create the ${store.kind}, or point spec.secretStoreRef at an existing one`);
  } else if (store.ready !== "True") {
    why = `${storeName} is not Ready${store.message ? `: ${store.message}` : ""}`;
    for (const c of store.missingCredentials) next.push(`create or fix the credentials Secret ${c} the store names`);
    if (store.missingCredentials.length === 0) {
      next.push(
        `fix ${storeName} (kubectl describe ${store.kind.toLowerCase()} ${store.name}); then it is validated again`,
      );
    }
  }
  const msg = r.message;
  if (/denied .* access|\b403\b|Forbidden/i.test(msg)) {
    next.push(
      `give the store's identity read access to secrets in ${store.vaultUrl ?? "the vault"}: the role ` +
        `"Key Vault Secrets User" (RBAC vaults) or a get/list secrets access policy; or use another store`,
    );
  }
  if (/AADSTS|authentication|credential/i.test(msg) && store.found && store.missingCredentials.length === 0) {
    next.push(`Entra ID refused the store's credentials: check the client id, tenant and secret in its authSecretRef`);
  }
  const notFound = /secret "([^"]+)" not found in Key Vault|([\w-]+) not found in Key Vault/.exec(msg);
  if (notFound) {
    const key = notFound[1] ?? notFound[2]!;
    next.push(
      `the key "${key}" does not exist in ${store.vaultUrl ?? "the vault"}: create it ` +
        `(kubectl externalsecret vault set --${store.kind === "ClusterSecretStore" ? "cluster-store" : "store"} ` +
        `${store.name} --name ${key} --file FILE) or fix spec.data[].remoteRef.key`,
    );
  }
  if (/template/i.test(msg)) {
    const line = templateLine(es, msg);
    next.push(
      `fix the template${line ? ` at ${line}` : ""}; kubectl externalsecret render -f FILE --values V tries it offline`,
    );
  }
  if (ignored) next.push(`after the fix it will not refresh by itself: ${ignored}`);
  if (r.status === "Unknown" && next.length === 0) {
    next.push(
      "is a controller running for this store? (its pods, and a --controller-class matching the store's " +
        "spec.controller)",
    );
  }
  if (next.length === 0) next.push("kubectl externalsecret status NAME shows its conditions and Events");
  return { ...base, why, next };
}

async function storeFacts(client: KubeClient, es: ExternalSecret): Promise<StoreFacts> {
  const kind = es.spec.secretStoreRef?.kind ?? "SecretStore";
  const name = es.spec.secretStoreRef?.name ?? "";
  const facts: StoreFacts = { kind, name, found: false, missingCredentials: [] };
  let store: SecretStore | ClusterSecretStore;
  try {
    store = kind === "ClusterSecretStore"
      ? await client.get(clusterSecretStores, name)
      : await client.get(secretStores, name, { namespace: es.metadata.namespace! });
  } catch (e) {
    if (!isNotFound(e)) facts.error = describeError(e);
    return facts;
  }
  facts.found = true;
  const c = store.status?.conditions?.find((x) => x.type === "Ready");
  facts.ready = c?.status ?? "Unknown";
  if (c?.message) facts.message = c.message;
  const az = store.spec.provider?.azurekv as AzureKVProvider | undefined;
  if (!az) return facts;
  facts.vaultUrl = az.vaultUrl;
  if (facts.ready === "True") return facts;
  for (const [field, sel] of Object.entries(az.authSecretRef ?? {})) {
    if (!sel?.name) continue;
    const ns = kind === "ClusterSecretStore" ? sel.namespace ?? es.metadata.namespace! : es.metadata.namespace!;
    try {
      const secret = await client.get(secrets, sel.name, { namespace: ns });
      if (sel.key && !(sel.key in (secret.data ?? {}))) {
        facts.missingCredentials.push(`${ns}/${sel.name} (no key "${sel.key}", authSecretRef.${field})`);
      }
    } catch (e) {
      if (isNotFound(e)) facts.missingCredentials.push(`${ns}/${sel.name} (does not exist, authSecretRef.${field})`);
    }
  }
  return facts;
}

async function explainIn(client: KubeClient, names: string[], namespace: string): Promise<Explanation[]> {
  const out: Explanation[] = [];
  for (const name of names) {
    const es = await client.get(externalSecrets, name, { namespace });
    out.push(diagnose(es, await storeFacts(client, es)));
  }
  return out;
}

function print(e: Explanation, out: Output): void {
  const state = e.ready === "True" ? out.green("Ready") : out.red(`not Ready${e.reason ? ` (${e.reason})` : ""}`);
  out.out(`ExternalSecret ${e.namespace}/${e.name}: ${state}`);
  out.out(`  Why:  ${e.why}`);
  for (const n of e.next) out.out(`  Next: ${n}`);
}

/** Runs `explain`; returns the exit code (0 Ready, 3 not Ready, 1 when something could not be read). */
export async function runExplain(names: string[], flags: GlobalFlags, out: Output): Promise<number> {
  requireOutput(flags, ["json", "yaml"], "explain");
  if (names.length === 0) throw new UsageError("name the ExternalSecret(s) to explain");
  if (flags.allNamespaces) throw new UsageError("explain takes names in one namespace: use -n, not -A");
  const contexts = await fleetContexts(flags);
  const rerun = await rerunIfInsecure(flags, contexts ?? [flags.context]);
  if (rerun !== undefined) return rerun;
  const results = contexts !== undefined
    ? await forEachCluster(
      contexts,
      flags,
      out,
      (s) => explainIn(s.client, names, scopeOf(flags, s.namespace).namespace!),
    )
    : await (async () => {
      const session = await openSession(flags, (w) => out.warn(w));
      try {
        const value = await explainIn(session.client, names, scopeOf(flags, session.namespace).namespace!);
        return [{ context: flags.context ?? "", elapsedMs: 0, ok: true as const, value }];
      } finally {
        session.close();
      }
    })();
  let ready = 0;
  let notReady = 0;
  for (const r of results) if (r.ok) { for (const e of r.value) e.ready === "True" ? ready++ : notReady++; }
  if (flags.output === "json" || flags.output === "yaml") {
    const doc = {
      apiVersion: RESULT_API_VERSION,
      kind: "Explanation",
      clusters: results.map((r) =>
        r.ok
          ? { context: r.context, reachable: true, items: r.value }
          : { context: r.context, reachable: false, reason: r.problem.reason, message: r.problem.message, items: [] }
      ),
    };
    out.out(flags.output === "json" ? toJson(doc) : await toYaml(doc));
  } else {
    for (const r of results) {
      const o = contexts !== undefined ? out.prefixed(`[${r.context}] `) : out;
      if (!r.ok) o.out(`${out.red(r.problem.reason)}: ${r.problem.message}`);
      else for (const e of r.value) print(e, o);
    }
  }
  if (contexts !== undefined) {
    out.err(summaryLine(results, { what: "ExternalSecrets", ready, notReady }));
    return fleetExitCode(results, notReady);
  }
  return notReady > 0 ? ExitCode.NotReady : ExitCode.Ok;
}
