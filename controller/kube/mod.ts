/**
 * The project's Deno-native Kubernetes client: kubeconfig / in-cluster loading, a typed REST client on `fetch`,
 * typed errors, patch builders and a list+watch loop with resume, bookmarks and 410 relist.
 *
 * ```ts
 * const client = await createKubeClient({ context: "admin" });
 * const secret = await client.get(secrets, "db", { namespace: "apps" });
 * for await (const ev of watcher(client, externalSecrets, { signal })) { ... }
 * ```
 *
 * Permissions: `--allow-net` (apiserver), `--allow-read` (kubeconfig, certificates, token files), `--allow-env`
 * (`KUBECONFIG`, `HOME`, `KUBERNETES_SERVICE_*`, `POD_NAMESPACE`), and `--allow-run=<plugin>` for exec plugins.
 *
 * @module
 */

export * from "./types.ts";
export * from "./errors.ts";
export * from "./resources.ts";
export * from "./patch.ts";
export * from "./credentials.ts";
export * from "./exec_credential.ts";
export * from "./kubeconfig.ts";
export * from "./in_cluster.ts";
export * from "./connection.ts";
export * from "./client.ts";
export * from "./watch.ts";
export * from "./auth_api.ts";
export { Backoff, type BackoffOptions, sleep } from "./backoff.ts";

import { KubeClient, type KubeClientOptions } from "./client.ts";
import { loadClusterConnection, type LoadConnectionOptions } from "./connection.ts";

/** Options of {@linkcode createKubeClient}: where to connect plus client behaviour. */
export interface CreateKubeClientOptions extends LoadConnectionOptions, KubeClientOptions {}

/** Finds the connection the way kubectl does ({@linkcode loadClusterConnection}) and returns a client for it. */
export async function createKubeClient(options: CreateKubeClientOptions = {}): Promise<KubeClient> {
  return new KubeClient(await loadClusterConnection(options), options);
}
