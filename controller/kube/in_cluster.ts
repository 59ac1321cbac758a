/**
 * In-cluster configuration: the pod's service account, as client-go's `rest.InClusterConfig` reads it.
 *
 * `KUBERNETES_SERVICE_HOST`/`KUBERNETES_SERVICE_PORT` give the server; `token`, `ca.crt` and `namespace` come from
 * `/var/run/secrets/kubernetes.io/serviceaccount/`. The token is re-read every minute and after a 401, so
 * kubelet's rotation of projected tokens (hourly by default) needs no restart. `POD_NAMESPACE` overrides the
 * namespace file, as in client-go.
 *
 * @module
 */

import type { ClusterConnection } from "./connection.ts";
import { CompositeCredentials, FileTokenSource } from "./credentials.ts";
import { KubeConfigError } from "./errors.ts";
import { denoEnv, readFsError, splitPemBundle } from "./_fs.ts";

/** Where the service account files are mounted. */
export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** Options of {@linkcode inClusterConnection}. */
export interface InClusterOptions {
  /** Prepended to {@linkcode SERVICE_ACCOUNT_DIR} (tests point it at a temp dir). @default {""} */
  pathPrefix?: string;
  /** Environment lookup, for tests. @default {Deno.env.get} */
  env?: (name: string) => string | undefined;
  /** Token re-read period. @default {60000} */
  tokenRefreshMs?: number;
  /** Namespace override (wins over `POD_NAMESPACE` and the namespace file). */
  namespace?: string;
}

function dir(options: InClusterOptions): string {
  return `${options.pathPrefix ?? ""}${SERVICE_ACCOUNT_DIR}`;
}

/** True when the service env vars are set and the token file exists (false when Deno may not read them). */
export async function isInCluster(options: InClusterOptions = {}): Promise<boolean> {
  const env = options.env ?? denoEnv;
  try {
    if (!env("KUBERNETES_SERVICE_HOST") || !env("KUBERNETES_SERVICE_PORT")) return false;
    return (await Deno.stat(`${dir(options)}/token`)).isFile;
  } catch {
    return false;
  }
}

/** Builds the connection from the pod's service account. Reads CA and namespace now; the token on first use. */
export async function inClusterConnection(options: InClusterOptions = {}): Promise<ClusterConnection> {
  const env = options.env ?? denoEnv;
  const host = env("KUBERNETES_SERVICE_HOST");
  const port = env("KUBERNETES_SERVICE_PORT");
  if (!host || !port) {
    throw new KubeConfigError(
      "Cannot load in-cluster configuration: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set (not running in a pod?)",
    );
  }
  const d = dir(options);
  let caPem: string;
  try {
    caPem = await Deno.readTextFile(`${d}/ca.crt`);
  } catch (e) {
    throw new KubeConfigError(`Cannot load in-cluster configuration: ${readFsError(e, `${d}/ca.crt`)}`, { cause: e });
  }
  const caCerts = splitPemBundle(caPem);
  if (caCerts.length === 0) {
    throw new KubeConfigError(`Cannot load in-cluster configuration: "${d}/ca.crt" holds no PEM certificate`);
  }
  let namespace = options.namespace || env("POD_NAMESPACE");
  if (!namespace) {
    try {
      namespace = (await Deno.readTextFile(`${d}/namespace`)).trim();
    } catch {
      // client-go falls back to "default" when the file is missing.
    }
  }
  const tokenOpts = options.tokenRefreshMs === undefined ? {} : { refreshMs: options.tokenRefreshMs };
  const hostPart = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  return {
    server: `https://${hostPart}:${port}`,
    caCerts,
    namespace: namespace || "default",
    credentials: new CompositeCredentials([new FileTokenSource(`${d}/token`, tokenOpts)]),
    insecureSkipTlsVerify: false,
    description: "in-cluster service account",
  };
}
