/**
 * Exit codes and the messages a person sees when something fails: a missing RBAC permission is named exactly
 * (verb, resource, namespace and the rule to ask for), never shown as a stack trace.
 *
 * @module
 */
import { KubeApiError, KubeConfigError, KubeCredentialError, KubeNetworkError } from "../controller/kube/mod.ts";

/** The plugin's exit codes (documented in `--help` and the README). */
export const ExitCode = {
  /** Everything worked (and, for status / sync --wait / vault set --wait, everything is Ready). */
  Ok: 0,
  /** An error: API errors (forbidden, not found), Key Vault errors, unreachable cluster, bad files. */
  Error: 1,
  /** Wrong usage: unknown flag, missing argument, conflicting flags. */
  Usage: 2,
  /** Worked, but not every ExternalSecret is Ready (or did not refresh in time): scripts gate on this. */
  NotReady: 3,
} as const;

/** An error with the exit code it should end the program with. */
export class CliError extends Error {
  override name = "CliError";
  readonly exitCode: number;
  constructor(message: string, exitCode: number = ExitCode.Error) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** Wrong usage (exit 2). */
export class UsageError extends CliError {
  override name = "UsageError";
  constructor(message: string) {
    super(message, ExitCode.Usage);
  }
}

/** What an API path addresses: group, namespace, resource (with subresource) and name. */
export interface PathParts {
  group: string;
  namespace?: string;
  resource: string;
  name?: string;
}

/** Splits a REST path: `/apis/g/v/namespaces/ns/res/name/sub` → `{group: "g", namespace: "ns", ...}`. */
export function parseApiPath(path: string): PathParts | undefined {
  const segs = path.split("?")[0]!.split("/").filter((s) => s !== "").map(decodeURIComponent);
  let i: number;
  let group: string;
  if (segs[0] === "api") {
    group = "";
    i = 2;
  } else if (segs[0] === "apis") {
    group = segs[1] ?? "";
    i = 3;
  } else {
    return undefined;
  }
  let namespace: string | undefined;
  if (segs[i] === "namespaces" && segs.length > i + 2) {
    namespace = segs[i + 1];
    i += 2;
  }
  const resource = segs[i];
  if (resource === undefined) return undefined;
  const name = segs[i + 1];
  const sub = segs[i + 2];
  const out: PathParts = { group, resource: sub ? `${resource}/${sub}` : resource };
  if (namespace !== undefined) out.namespace = namespace;
  if (name !== undefined) out.name = name;
  return out;
}

/** The RBAC rule that grants `verb` on `resource`: `{apiGroups: [external-secrets.io], resources: [...], verbs: [...]}`. */
export function rbacRule(verb: string, resource: string, group: string): string {
  return `{apiGroups: [${group === "" ? '""' : group}], resources: [${resource}], verbs: [${verb}]}`;
}

/**
 * The message for a 403: who may not do what where, and the rule to ask for.
 * `Error from server (Forbidden): you (user "alice") cannot patch externalsecrets.external-secrets.io in namespace
 * "jenkins": ask for the RBAC rule {apiGroups: [external-secrets.io], resources: [externalsecrets], verbs: [patch]}`
 */
export function forbiddenMessage(e: KubeApiError): string {
  const parts = parseApiPath(e.path);
  const resource = e.resource ?? parts?.resource ?? "?";
  const group = parts?.group ?? "";
  const [plural, sub] = resource.split("/");
  const what = `${plural}${group ? `.${group}` : ""}${sub ? `/${sub}` : ""}`;
  const user = /User "([^"]*)"/.exec(e.serverMessage)?.[1];
  const who = user ? `you (user "${user}")` : "you";
  const named = parts?.name && !sub ? ` "${parts.name}"` : "";
  const rule = rbacRule(e.verb, resource, group);
  let where: string;
  let ask: string;
  if (parts?.namespace !== undefined) {
    where = ` in namespace "${parts.namespace}"`;
    ask = `ask for the RBAC rule ${rule} (a Role in "${parts.namespace}", or a ClusterRole)`;
  } else if (isClusterScoped(plural!)) {
    where = " (cluster-scoped)";
    ask = `ask for the RBAC rule ${rule} in a ClusterRole`;
  } else {
    where = " in all namespaces";
    ask = `ask for the RBAC rule ${rule} in a ClusterRole bound with a ClusterRoleBinding, or name a namespace with -n`;
  }
  return `Error from server (Forbidden): ${who} cannot ${e.verb} ${what}${named}${where}: ${ask}`;
}

const CLUSTER_SCOPED = new Set([
  "clustersecretstores",
  "namespaces",
  "customresourcedefinitions",
  "selfsubjectaccessreviews",
  "selfsubjectreviews",
  "clusterroles",
  "clusterrolebindings",
  "nodes",
]);

function isClusterScoped(plural: string): boolean {
  return CLUSTER_SCOPED.has(plural);
}

/** Whether an error says the external-secrets.io API is not served (a 404 that is not a Status about an object). */
export function isCrdMissing(e: unknown): boolean {
  // The apiserver's mux answers a path no API serves with a plain "404 page not found", not a Status.
  return e instanceof KubeApiError && e.status === 404 && e.details === undefined &&
    /page not found/i.test(e.serverMessage) && e.path.startsWith("/apis/external-secrets.io/");
}

/** The message for a cluster without the CRDs, kubectl's phrasing plus what to do. */
export const CRDS_MISSING =
  'the server doesn\'t have a resource type "externalsecrets" (the external-secrets.io/v1 CRDs are not installed ' +
  "in this cluster: install them with the kv-operator chart or ESO's CRDs)";

/** One line (or a few) for any error, as kubectl would phrase it. */
export function describeError(e: unknown): string {
  if (isCrdMissing(e)) return `error: ${CRDS_MISSING}`;
  if (e instanceof KubeApiError) {
    if (e.status === 403 || e.reason === "Forbidden") return forbiddenMessage(e);
    if (e.status === 401 || e.reason === "Unauthorized") {
      return `error: You must be logged in to the server (Unauthorized): ${e.message}`;
    }
    const server = e.serverMessage || e.message;
    return `Error from server (${e.reason}): ${server}`;
  }
  if (e instanceof KubeNetworkError) return `Unable to connect to the server: ${e.message}`;
  if (e instanceof KubeConfigError || e instanceof KubeCredentialError) return `error: ${e.message}`;
  if (e instanceof CliError) return e.message.startsWith("error:") ? e.message : `error: ${e.message}`;
  if (e instanceof Error) return `error: ${e.message}`;
  return `error: ${String(e)}`;
}

/** The exit code for an error. */
export function exitCodeOf(e: unknown): number {
  return e instanceof CliError ? e.exitCode : ExitCode.Error;
}
