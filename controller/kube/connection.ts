/**
 * Where and how to reach an apiserver ({@linkcode ClusterConnection}), and {@linkcode loadClusterConnection}, which
 * finds it the way kubectl does: `--kubeconfig`, else `KUBECONFIG`, else `~/.kube/config`, else the in-cluster
 * service account.
 *
 * @module
 */

import type { CredentialSource } from "./credentials.ts";
import { KubeConfigError } from "./errors.ts";
import { connectionFromKubeconfig, type KubeconfigConnectionOptions, loadKubeconfig } from "./kubeconfig.ts";
import { inClusterConnection, type InClusterOptions, isInCluster } from "./in_cluster.ts";

/** Impersonation headers (`as`, `as-uid`, `as-groups`, `as-user-extra`). */
export interface Impersonation {
  user: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

/** Everything a {@linkcode KubeClient} needs to talk to one apiserver as one identity. */
export interface ClusterConnection {
  /** Base URL, without a trailing slash, e.g. `https://127.0.0.1:6443`. */
  server: string;
  /** Extra trusted roots (PEM, one certificate each); empty means the system roots only. */
  caCerts: string[];
  /** Namespace of the context (or the pod), used when a call names none. */
  namespace: string;
  credentials: CredentialSource;
  proxy?: Deno.Proxy;
  impersonation?: Impersonation;
  /** Set only when the caller allowed it; TLS then relies on `--unsafely-ignore-certificate-errors`. */
  insecureSkipTlsVerify: boolean;
  /** Where this came from, for messages: `kubeconfig context "admin"`, `in-cluster service account`. */
  description: string;
}

/** Options of {@linkcode loadClusterConnection}. */
export interface LoadConnectionOptions extends KubeconfigConnectionOptions {
  /** Explicit kubeconfig file (`--kubeconfig`). */
  kubeconfig?: string;
  /**
   * `auto`: kubeconfig if one is found, else in-cluster (kubectl's order); `never`: kubeconfig only;
   * `only`: in-cluster only. @default {"auto"}
   */
  inCluster?: "auto" | "never" | "only";
  /** In-cluster options (path prefix for tests, token re-read period). */
  inClusterOptions?: InClusterOptions;
  /** Environment lookup, for tests. @default {Deno.env.get} */
  env?: (name: string) => string | undefined;
}

/**
 * Finds the connection as kubectl would. Explicit choices (`kubeconfig`, `context`) never fall back to in-cluster.
 */
export async function loadClusterConnection(options: LoadConnectionOptions = {}): Promise<ClusterConnection> {
  const mode = options.inCluster ?? "auto";
  const inClusterOpts: InClusterOptions = { ...options.inClusterOptions };
  if (options.env !== undefined && inClusterOpts.env === undefined) inClusterOpts.env = options.env;
  if (options.namespace !== undefined) inClusterOpts.namespace = options.namespace;
  if (mode === "only") return await inClusterConnection(inClusterOpts);
  const loadOpts: { kubeconfig?: string; env?: (name: string) => string | undefined } = {};
  if (options.kubeconfig !== undefined) loadOpts.kubeconfig = options.kubeconfig;
  if (options.env !== undefined) loadOpts.env = options.env;
  const config = await loadKubeconfig(loadOpts);
  const empty = config.contexts.size === 0 && config.clusters.size === 0;
  const explicit = options.kubeconfig !== undefined || options.context !== undefined;
  if (empty && !explicit && mode === "auto" && await isInCluster(inClusterOpts)) {
    return await inClusterConnection(inClusterOpts);
  }
  if (empty && !explicit) {
    throw new KubeConfigError(
      `Cannot find a Kubernetes configuration: no kubeconfig found${
        config.files.length ? ` (looked at ${config.files.join(", ")})` : ""
      }${mode === "auto" ? " and not running in a cluster" : ""}`,
    );
  }
  return await connectionFromKubeconfig(config, options);
}
