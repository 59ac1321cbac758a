/**
 * A session with one cluster (one kubeconfig context): the only place the plugin connects — to the apiserver, and
 * through a store to its vault. Commands gather through a session, then report and print. A command on one cluster
 * opens exactly one; a fleet run (`fleet.ts`) opens one per context.
 *
 * Nothing heavy is imported at load time: `--help` must stay fast, so the Kubernetes client and the Azure SDK load
 * only when a session connects.
 *
 * @module
 */
import type { AzureKVProvider, ClusterSecretStore, SecretStore } from "../mod.ts";
import type { KubeClient } from "../controller/kube/mod.ts";
import type { SecretsClient, StoreRef } from "../controller/providers/mod.ts";
import { CliError } from "./errors.ts";
import { DEFAULT_REQUEST_TIMEOUT_MS, type GlobalFlags } from "./global.ts";

/** A store named on the command line. */
export interface StoreId {
  kind: "SecretStore" | "ClusterSecretStore";
  name: string;
  namespace?: string;
}

/** How to reach a vault: the store's own credentials, or with `useLocalCredentials` the person's own. */
export interface VaultOptions {
  useLocalCredentials?: boolean | undefined;
  azureAuthorityHost?: string | undefined;
  azureDisableChallengeResourceVerification?: boolean | undefined;
}

/** A connected cluster. */
export interface Session {
  /** The context's client (typed: `client.get(externalSecrets, ...)` returns an ExternalSecret). */
  readonly client: KubeClient;
  /** The context's namespace (kubectl's default for `-n`). */
  readonly namespace: string;
  /** A store as the provider sees it; a clear error when it does not exist or is not Azure Key Vault. */
  store(id: StoreId): Promise<StoreRef>;
  /** A vault client for `store`, resolving credentials in `credentialNamespace` where the store names none. */
  vault(
    store: StoreRef,
    options: VaultOptions,
    credentialNamespace: string | undefined,
  ): Promise<{ kv: SecretsClient; identity: string; vaultUrl: string }>;
  close(): void;
}

/** Connects to the cluster the flags name (kubectl's rules: `--kubeconfig`, `KUBECONFIG`, `--context`). */
export async function openSession(flags: GlobalFlags, onWarning: (w: string) => void): Promise<Session> {
  const { KubeClient, loadClusterConnection } = await import("../controller/kube/mod.ts");
  const { insecureHosts } = await import("./insecure.ts");
  const allowed = insecureHosts();
  const conn = await loadClusterConnection({
    ...(flags.kubeconfig !== undefined ? { kubeconfig: flags.kubeconfig } : {}),
    ...(flags.context !== undefined ? { context: flags.context } : {}),
    // Only when this process runs with --unsafely-ignore-certificate-errors for hosts (insecure.ts re-runs it so).
    ...(allowed.size > 0 ? { allowInsecureSkipTlsVerify: true } : {}),
  });
  if (conn.insecureSkipTlsVerify) {
    const host = new URL(conn.server).hostname;
    if (!allowed.has(host)) {
      throw new CliError(
        `${conn.description} sets insecure-skip-tls-verify for ${host}, but this process does not skip verification for it`,
      );
    }
    // kubectl's own warning for such a connection.
    onWarning(
      `the server's certificate for ${conn.server} will not be checked for validity (insecure-skip-tls-verify): ` +
        "this makes your HTTPS connections insecure",
    );
  }
  // kubectl's --as/--as-group replace whatever impersonation the kubeconfig user sets.
  if (flags.as !== undefined) {
    conn.impersonation = { user: flags.as, ...(flags.asGroups ? { groups: flags.asGroups } : {}) };
  }
  const client = new KubeClient(conn, {
    userAgent: `kubectl-externalsecret/0.1.0 (${Deno.build.os}/${Deno.build.arch}) deno/${Deno.version.deno}`,
    onWarning,
    // 0 is no timeout, as in kubectl.
    requestTimeoutMs: flags.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
  });
  return {
    client,
    namespace: client.namespace,
    store: (id) => readStore(client, id),
    vault: (store, options, ns) => vaultClient(client, store, options, ns),
    close: () => client.close(),
  };
}

async function readStore(client: KubeClient, id: StoreId): Promise<StoreRef> {
  const { clusterSecretStores, secretStores } = await import("../mod.ts");
  const { isNotFound } = await import("../controller/kube/mod.ts");
  const { storeRefOf } = await import("../controller/providers/mod.ts");
  let store: SecretStore | ClusterSecretStore;
  try {
    store = id.kind === "ClusterSecretStore"
      ? await client.get(clusterSecretStores, id.name)
      : await client.get(secretStores, id.name, { namespace: id.namespace! });
  } catch (e) {
    if (isNotFound(e)) {
      throw new CliError(`${id.kind} "${id.name}" not found${id.namespace ? ` in namespace "${id.namespace}"` : ""}`);
    }
    throw e;
  }
  if (!store.spec.provider?.azurekv) {
    throw new CliError(
      `${id.kind} "${id.name}" does not use the azurekv provider: only Azure Key Vault can be written`,
    );
  }
  return storeRefOf(id.kind, store);
}

function flagOrEnv(flag: string | undefined, env: string): string | undefined {
  return flag ?? (Deno.env.get(env) || undefined);
}

async function vaultClient(
  client: KubeClient,
  store: StoreRef,
  opts: VaultOptions,
  credentialNamespace: string | undefined,
): Promise<{ kv: SecretsClient; identity: string; vaultUrl: string }> {
  const p = await import("../controller/providers/mod.ts");
  const authorityHost = flagOrEnv(opts.azureAuthorityHost, "AZURE_AUTHORITY_HOST");
  const disableChallenge = opts.azureDisableChallengeResourceVerification === true ||
    Deno.env.get("KV_DISABLE_CHALLENGE_RESOURCE_VERIFICATION") === "true";
  const spec = store.spec.provider.azurekv as AzureKVProvider;
  // The same endpoint limits as the controller's defaults: a store's author must not pick where our tokens go.
  const { DEFAULT_ENDPOINT_POLICY, checkVaultHost, parseHostPatterns } = await import(
    "../controller/providers/azure/endpoints.ts"
  );
  const allowedVaults = Deno.env.get("KV_ALLOWED_VAULT_HOSTS");
  const endpoints = {
    ...DEFAULT_ENDPOINT_POLICY,
    ...(allowedVaults ? { vaultHosts: parseHostPatterns(allowedVaults) } : {}),
  };
  if (opts.useLocalCredentials) {
    const { DefaultAzureCredential } = await import("@azure/identity");
    p.checkVaultUrl(spec.vaultUrl);
    checkVaultHost(spec, endpoints);
    const credential = new DefaultAzureCredential(
      authorityHost ? { authorityHost, disableInstanceDiscovery: true } : {},
    );
    const identity = "your own Azure credentials (DefaultAzureCredential)";
    // A variable, not a literal: the shape of ResolvedAuth grows (redaction), and nothing here is secret.
    const auth = { credential, identity, fingerprint: "local", redact: (text: string): string => text };
    const kv = new p.AzureKeyVaultClient({
      vaultUrl: spec.vaultUrl,
      auth,
      ...(disableChallenge ? { disableChallengeResourceVerification: true } : {}),
    });
    return { kv, identity, vaultUrl: spec.vaultUrl };
  }
  const provider = new p.AzureKeyVaultProvider({
    endpoints,
    ...(authorityHost ? { authorityHost } : {}),
    ...(disableChallenge ? { disableChallengeResourceVerification: true } : {}),
  });
  if (provider.capabilities === "ReadOnly") throw new CliError(`${store.kind} "${store.name}" is read-only`);
  try {
    const kv = await provider.newClient(store, credentialNamespace, new p.KubeCredentialSource(client));
    return { kv, identity: `the credentials of ${store.kind}/${store.name}`, vaultUrl: spec.vaultUrl };
  } catch (e) {
    if (e instanceof p.InvalidStoreError) {
      const hint = store.kind === "ClusterSecretStore" && credentialNamespace === undefined &&
          /has no namespace/.test(e.message)
        ? " (give -n NAMESPACE to use the credentials in that namespace)"
        : "";
      throw new CliError(`cannot use ${store.kind} "${store.name}": ${e.message}${hint}`);
    }
    throw e;
  }
}
