/**
 * Kubeconfig files: parse, merge (`KUBECONFIG`), select a context, and turn it into a {@linkcode ClusterConnection}.
 *
 * Rules followed (client-go `clientcmd`):
 * - `--kubeconfig` names exactly one file, which must exist; otherwise `KUBECONFIG` lists files (`:`-separated,
 *   `;` on Windows; missing ones skipped), otherwise `~/.kube/config`;
 * - merging: for clusters, users and contexts the first file that defines a name wins; `current-context` comes
 *   from the first file that sets it;
 * - relative paths (`certificate-authority`, `client-certificate`, `client-key`, `tokenFile`, an exec `command`
 *   containing a slash) are relative to the file that holds them;
 * - `*-data` fields win over their file counterparts; `tokenFile` wins over `token` (re-read every minute);
 *   an exec plugin's token wins over both.
 *
 * What Deno cannot do is an error, never silently ignored: `insecure-skip-tls-verify` (no per-client switch; needs
 * `--unsafely-ignore-certificate-errors` and an explicit opt-in), `tls-server-name`, `auth-provider`.
 *
 * @module
 */

import { KubeConfigError } from "./errors.ts";
import { denoEnv, dirname, readFsError, resolvePath, splitPemBundle } from "./_fs.ts";
import { type ExecConfig, ExecCredentialSource } from "./exec_credential.ts";
import {
  CompositeCredentials,
  type Credentials,
  type CredentialSource,
  FileTokenSource,
  StaticCredentials,
} from "./credentials.ts";
import type { ClusterConnection, Impersonation } from "./connection.ts";

/** A `clusters[].cluster` entry. */
export interface KubeconfigCluster {
  server: string;
  certificateAuthority?: string;
  certificateAuthorityData?: string;
  insecureSkipTlsVerify?: boolean;
  tlsServerName?: string;
  proxyUrl?: string;
  disableCompression?: boolean;
  /** `extensions` by name (the exec plugin reads `client.authentication.k8s.io/exec`). */
  extensions?: Record<string, unknown>;
}

/** A `users[].user` entry. */
export interface KubeconfigUser {
  token?: string;
  tokenFile?: string;
  clientCertificate?: string;
  clientCertificateData?: string;
  clientKey?: string;
  clientKeyData?: string;
  username?: string;
  password?: string;
  as?: string;
  asUid?: string;
  asGroups?: string[];
  asUserExtra?: Record<string, string[]>;
  exec?: ExecConfig;
  authProvider?: { name: string };
}

/** A `contexts[].context` entry. */
export interface KubeconfigContext {
  cluster: string;
  user: string;
  namespace?: string;
}

/** A parsed (possibly merged) kubeconfig. Maps keep the order of first definition. */
export interface Kubeconfig {
  clusters: Map<string, KubeconfigCluster>;
  users: Map<string, KubeconfigUser>;
  contexts: Map<string, KubeconfigContext>;
  currentContext?: string;
  /** The files it came from, in precedence order. */
  files: string[];
}

type Obj = Record<string, unknown>;

class Reader {
  constructor(readonly source: string) {}
  fail(path: string, why: string): never {
    throw new KubeConfigError(`Cannot load kubeconfig "${this.source}": ${path} ${why}`);
  }
  obj(v: unknown, path: string): Obj {
    if (v === undefined || v === null) return {};
    if (typeof v !== "object" || Array.isArray(v)) this.fail(path, "must be a mapping");
    return v as Obj;
  }
  list(v: unknown, path: string): unknown[] {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) this.fail(path, "must be a list");
    return v;
  }
  str(o: Obj, key: string, path: string): string | undefined {
    const v = o[key];
    if (v === undefined || v === null || v === "") return undefined;
    if (typeof v !== "string") this.fail(`${path}.${key}`, "must be a string");
    return v;
  }
  bool(o: Obj, key: string, path: string): boolean | undefined {
    const v = o[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "boolean") this.fail(`${path}.${key}`, "must be true or false");
    return v;
  }
  strList(o: Obj, key: string, path: string): string[] | undefined {
    const v = o[key];
    if (v === undefined || v === null) return undefined;
    const l = this.list(v, `${path}.${key}`);
    return l.map((x, i) => {
      if (typeof x !== "string") this.fail(`${path}.${key}[${i}]`, "must be a string");
      return x;
    });
  }
}

function setIf<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}

/**
 * Parses one kubeconfig document (YAML or JSON). `source` is its path: relative paths inside are resolved against
 * its directory. An empty document is an empty config. Duplicate names within one file: the first wins.
 * The YAML parser is loaded on first use, so programs that never read a kubeconfig (in-cluster) do not pay for it.
 */
export async function parseKubeconfig(text: string, source: string): Promise<Kubeconfig> {
  let doc: unknown;
  try {
    if (/^\s*\{/.test(text)) {
      try {
        doc = JSON.parse(text);
      } catch {
        doc = (await import("yaml")).parse(text);
      }
    } else {
      doc = (await import("yaml")).parse(text);
    }
  } catch (e) {
    throw new KubeConfigError(
      `Cannot load kubeconfig "${source}": not valid YAML: ${e instanceof Error ? e.message.split("\n")[0] : e}`,
    );
  }
  return kubeconfigFromDocument(doc, source);
}

/** Builds a {@linkcode Kubeconfig} from an already parsed document (see {@linkcode parseKubeconfig}). */
export function kubeconfigFromDocument(doc: unknown, source: string): Kubeconfig {
  const r: Reader = new Reader(source);
  const root = r.obj(doc, "the document");
  const baseDir = dirname(source);
  const abs = (p: string | undefined): string | undefined => p === undefined ? undefined : resolvePath(baseDir, p);
  const out: Kubeconfig = { clusters: new Map(), users: new Map(), contexts: new Map(), files: [source] };

  const named = (key: string, inner: string, each: (o: Obj, path: string, name: string) => void): void => {
    r.list(root[key], key).forEach((item, i) => {
      const entry = r.obj(item, `${key}[${i}]`);
      const name = r.str(entry, "name", `${key}[${i}]`);
      if (name === undefined) r.fail(`${key}[${i}].name`, "is required");
      each(r.obj(entry[inner], `${key}[${i}].${inner}`), `${key}[${i}].${inner}`, name);
    });
  };

  named("clusters", "cluster", (c, p, name) => {
    if (out.clusters.has(name)) return;
    const cluster: KubeconfigCluster = { server: r.str(c, "server", p) ?? "" };
    setIf(cluster, "certificateAuthority", abs(r.str(c, "certificate-authority", p)));
    setIf(cluster, "certificateAuthorityData", r.str(c, "certificate-authority-data", p));
    setIf(cluster, "insecureSkipTlsVerify", r.bool(c, "insecure-skip-tls-verify", p));
    setIf(cluster, "tlsServerName", r.str(c, "tls-server-name", p));
    setIf(cluster, "proxyUrl", r.str(c, "proxy-url", p));
    setIf(cluster, "disableCompression", r.bool(c, "disable-compression", p));
    const ext = r.list(c["extensions"], `${p}.extensions`);
    if (ext.length > 0) {
      const extensions: Record<string, unknown> = {};
      ext.forEach((e, i) => {
        const eo = r.obj(e, `${p}.extensions[${i}]`);
        const en = r.str(eo, "name", `${p}.extensions[${i}]`);
        if (en !== undefined && !(en in extensions)) extensions[en] = eo["extension"];
      });
      cluster.extensions = extensions;
    }
    out.clusters.set(name, cluster);
  });

  named("users", "user", (u, p, name) => {
    if (out.users.has(name)) return;
    const user: KubeconfigUser = {};
    setIf(user, "token", r.str(u, "token", p));
    setIf(user, "tokenFile", abs(r.str(u, "tokenFile", p)));
    setIf(user, "clientCertificate", abs(r.str(u, "client-certificate", p)));
    setIf(user, "clientCertificateData", r.str(u, "client-certificate-data", p));
    setIf(user, "clientKey", abs(r.str(u, "client-key", p)));
    setIf(user, "clientKeyData", r.str(u, "client-key-data", p));
    setIf(user, "username", r.str(u, "username", p));
    setIf(user, "password", r.str(u, "password", p));
    setIf(user, "as", r.str(u, "as", p));
    setIf(user, "asUid", r.str(u, "as-uid", p));
    setIf(user, "asGroups", r.strList(u, "as-groups", p));
    if (u["as-user-extra"] !== undefined && u["as-user-extra"] !== null) {
      const extra = r.obj(u["as-user-extra"], `${p}.as-user-extra`);
      const m: Record<string, string[]> = {};
      for (const k of Object.keys(extra)) m[k] = r.strList(extra, k, `${p}.as-user-extra`) ?? [];
      user.asUserExtra = m;
    }
    if (u["auth-provider"] !== undefined && u["auth-provider"] !== null) {
      const ap = r.obj(u["auth-provider"], `${p}.auth-provider`);
      user.authProvider = { name: r.str(ap, "name", `${p}.auth-provider`) ?? "" };
    }
    if (u["exec"] !== undefined && u["exec"] !== null) {
      const ep = `${p}.exec`;
      const e = r.obj(u["exec"], ep);
      const command = r.str(e, "command", ep);
      if (command === undefined) r.fail(`${ep}.command`, "is required");
      const apiVersion = r.str(e, "apiVersion", ep);
      if (apiVersion === undefined) r.fail(`${ep}.apiVersion`, "is required");
      const env = r.list(e["env"], `${ep}.env`).map((x, i) => {
        const eo = r.obj(x, `${ep}.env[${i}]`);
        const n = r.str(eo, "name", `${ep}.env[${i}]`);
        if (n === undefined) r.fail(`${ep}.env[${i}].name`, "is required");
        return { name: n, value: r.str(eo, "value", `${ep}.env[${i}]`) ?? "" };
      });
      const exec: ExecConfig = {
        apiVersion,
        // client-go: a command with a path separator is relative to the kubeconfig; a bare name is looked up on PATH.
        command: /[\\/]/.test(command) ? resolvePath(baseDir, command) : command,
        args: r.strList(e, "args", ep) ?? [],
        env,
        provideClusterInfo: r.bool(e, "provideClusterInfo", ep) ?? false,
      };
      setIf(exec, "installHint", r.str(e, "installHint", ep));
      const mode = r.str(e, "interactiveMode", ep);
      if (mode !== undefined) exec.interactiveMode = mode as NonNullable<ExecConfig["interactiveMode"]>;
      user.exec = exec;
    }
    out.users.set(name, user);
  });

  named("contexts", "context", (c, p, name) => {
    if (out.contexts.has(name)) return;
    const ctx: KubeconfigContext = { cluster: r.str(c, "cluster", p) ?? "", user: r.str(c, "user", p) ?? "" };
    setIf(ctx, "namespace", r.str(c, "namespace", p));
    out.contexts.set(name, ctx);
  });

  setIf(out, "currentContext", r.str(root, "current-context", "the document"));
  return out;
}

/** Merges kubeconfigs in precedence order: first definition of each name wins; first `current-context` wins. */
export function mergeKubeconfigs(configs: readonly Kubeconfig[]): Kubeconfig {
  const out: Kubeconfig = { clusters: new Map(), users: new Map(), contexts: new Map(), files: [] };
  for (const c of configs) {
    for (const [k, v] of c.clusters) if (!out.clusters.has(k)) out.clusters.set(k, v);
    for (const [k, v] of c.users) if (!out.users.has(k)) out.users.set(k, v);
    for (const [k, v] of c.contexts) if (!out.contexts.has(k)) out.contexts.set(k, v);
    if (out.currentContext === undefined && c.currentContext !== undefined) out.currentContext = c.currentContext;
    out.files.push(...c.files);
  }
  return out;
}

/** Options of {@linkcode loadKubeconfig}. */
export interface LoadKubeconfigOptions {
  /** An explicit file (`--kubeconfig`): only this file is read, and it must exist. */
  kubeconfig?: string;
  /** Environment lookup, for tests. @default {Deno.env.get} */
  env?: (name: string) => string | undefined;
}

/**
 * The files that would be read, in precedence order, and whether they are explicit (must exist).
 * Empty when there is nothing to try (no `KUBECONFIG`, no home directory).
 */
export function kubeconfigPaths(options: LoadKubeconfigOptions = {}): { paths: string[]; explicit: boolean } {
  if (options.kubeconfig) return { paths: [options.kubeconfig], explicit: true };
  const env = options.env ?? denoEnv;
  const list = env("KUBECONFIG");
  if (list) {
    const sep = Deno.build.os === "windows" ? ";" : ":";
    const seen = new Set<string>();
    const paths = list.split(sep).filter((p) => p !== "" && !seen.has(p) && seen.add(p));
    return { paths, explicit: false };
  }
  const home = env("HOME") ?? env("USERPROFILE");
  return { paths: home ? [`${home}/.kube/config`] : [], explicit: false };
}

/**
 * Loads and merges the kubeconfig files {@linkcode kubeconfigPaths} names. Missing implicit files are skipped;
 * the result may be empty (no contexts) when none exists: {@linkcode selectContext} then explains.
 */
export async function loadKubeconfig(options: LoadKubeconfigOptions = {}): Promise<Kubeconfig> {
  const { paths, explicit } = kubeconfigPaths(options);
  const configs: Kubeconfig[] = [];
  for (const path of paths) {
    let text: string;
    try {
      text = await Deno.readTextFile(path);
    } catch (e) {
      if (!explicit && e instanceof Deno.errors.NotFound) continue;
      throw new KubeConfigError(`Cannot load kubeconfig: ${readFsError(e, path)}`, { cause: e });
    }
    configs.push(await parseKubeconfig(text, path));
  }
  const merged = mergeKubeconfigs(configs);
  if (configs.length === 0) merged.files = paths;
  return merged;
}

/** Overrides for {@linkcode selectContext} (kubectl's `--context`, `--cluster`, `--user`, `--namespace`). */
export interface SelectOptions {
  context?: string;
  cluster?: string;
  user?: string;
  namespace?: string;
}

/** The effective context after overrides. */
export interface SelectedContext {
  contextName: string;
  clusterName: string;
  userName: string;
  cluster: KubeconfigCluster;
  user: KubeconfigUser;
  /** Override, else the context's namespace, else `default`. */
  namespace: string;
}

/** Picks the context (override or `current-context`) and resolves its cluster and user. */
export function selectContext(config: Kubeconfig, options: SelectOptions = {}): SelectedContext {
  const where = config.files.length ? ` (kubeconfig: ${config.files.join(", ")})` : "";
  const names = (m: Map<string, unknown>): string => m.size ? [...m.keys()].map((k) => `"${k}"`).join(", ") : "none";
  const contextName = options.context ?? config.currentContext;
  let ctx: KubeconfigContext | undefined;
  if (contextName === undefined) {
    if (options.cluster === undefined) {
      throw new KubeConfigError(
        config.contexts.size === 0 && config.clusters.size === 0
          ? `Cannot find a Kubernetes configuration: no kubeconfig found${where} and not running in a cluster`
          : `Cannot select a context: current-context is not set and no context was given${where}: available contexts are ${
            names(config.contexts)
          }`,
      );
    }
  } else {
    ctx = config.contexts.get(contextName);
    if (ctx === undefined) {
      throw new KubeConfigError(
        `Cannot select context "${contextName}": it does not exist${where}: available contexts are ${
          names(config.contexts)
        }`,
      );
    }
  }
  const clusterName = options.cluster ?? ctx?.cluster ?? "";
  const userName = options.user ?? ctx?.user ?? "";
  const cluster = config.clusters.get(clusterName);
  if (cluster === undefined) {
    throw new KubeConfigError(
      `Cannot use context "${
        contextName ?? ""
      }": cluster "${clusterName}" does not exist${where}: available clusters are ${names(config.clusters)}`,
    );
  }
  if (!cluster.server) throw new KubeConfigError(`Cannot use cluster "${clusterName}": it has no server${where}`);
  let user: KubeconfigUser = {};
  if (userName !== "") {
    const u = config.users.get(userName);
    if (u === undefined) {
      throw new KubeConfigError(
        `Cannot use context "${contextName ?? ""}": user "${userName}" does not exist${where}: available users are ${
          names(config.users)
        }`,
      );
    }
    user = u;
  }
  return {
    contextName: contextName ?? "",
    clusterName,
    userName,
    cluster,
    user,
    namespace: options.namespace || ctx?.namespace || "default",
  };
}

/** Options of {@linkcode connectionFromKubeconfig}. */
export interface KubeconfigConnectionOptions extends SelectOptions {
  /**
   * Accept `insecure-skip-tls-verify: true`. Deno cannot skip verification per client: the process must run with
   * `--unsafely-ignore-certificate-errors=<host>`, and the caller sets this to say it does. Without it such a
   * cluster is an error that says exactly this.
   */
  allowInsecureSkipTlsVerify?: boolean;
  /** Token file re-read period. @default {60000} */
  tokenFileRefreshMs?: number;
  /** Options for exec plugins (timeout, clock, terminal detection). */
  exec?: { timeoutMs?: number; isTerminal?: () => boolean; now?: () => number };
}

function decodeData(value: string, what: string, where: string): string {
  try {
    return new TextDecoder().decode(Uint8Array.fromBase64(value.replace(/\s+/g, "")));
  } catch {
    throw new KubeConfigError(`Cannot use ${where}: ${what} is not valid base64`);
  }
}

async function readPem(path: string, what: string, where: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    throw new KubeConfigError(`Cannot use ${where}: cannot read ${what}: ${readFsError(e, path)}`, { cause: e });
  }
}

function proxyFromUrl(proxyUrl: string, where: string): Deno.Proxy {
  let u: URL;
  try {
    u = new URL(proxyUrl);
  } catch {
    throw new KubeConfigError(`Cannot use ${where}: proxy-url "${proxyUrl}" is not a URL`);
  }
  const transport = ({ "http:": "http", "https:": "https", "socks5:": "socks5", "socks5h:": "socks5" } as const)[
    u.protocol as "http:"
  ];
  if (transport === undefined) {
    throw new KubeConfigError(
      `Cannot use ${where}: proxy-url scheme "${u.protocol}" is not supported (http, https, socks5, socks5h are)`,
    );
  }
  const proxy: Deno.Proxy = { transport, url: `${u.protocol}//${u.host}` };
  if (u.username) {
    proxy.basicAuth = { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) };
  }
  return proxy;
}

/**
 * Builds the connection for a context: reads CA and client certificate files, sets up token file / exec plugin
 * sources, checks everything Deno cannot honour. Nothing is contacted.
 */
export async function connectionFromKubeconfig(
  config: Kubeconfig,
  options: KubeconfigConnectionOptions = {},
): Promise<ClusterConnection> {
  const sel = selectContext(config, options);
  const { cluster, user } = sel;
  const where = `context "${sel.contextName}"`;

  let server: URL;
  try {
    server = new URL(cluster.server);
  } catch {
    throw new KubeConfigError(`Cannot use ${where}: server "${cluster.server}" is not a URL`);
  }
  if (server.protocol !== "https:" && server.protocol !== "http:") {
    throw new KubeConfigError(`Cannot use ${where}: server "${cluster.server}" must be an https:// URL`);
  }

  const caCerts: string[] = [];
  const hasCa = cluster.certificateAuthorityData !== undefined || cluster.certificateAuthority !== undefined;
  if (cluster.insecureSkipTlsVerify) {
    if (hasCa) {
      throw new KubeConfigError(
        `Cannot use ${where}: cluster "${sel.clusterName}" sets both insecure-skip-tls-verify and a certificate authority`,
      );
    }
    if (!options.allowInsecureSkipTlsVerify) {
      throw new KubeConfigError(
        `Cannot use ${where}: cluster "${sel.clusterName}" sets insecure-skip-tls-verify, which Deno cannot honour per connection: ` +
          `set certificate-authority-data instead, or run with --unsafely-ignore-certificate-errors=${server.hostname} and allow it explicitly`,
      );
    }
  } else if (cluster.certificateAuthorityData !== undefined) {
    caCerts.push(...splitPemBundle(decodeData(cluster.certificateAuthorityData, "certificate-authority-data", where)));
  } else if (cluster.certificateAuthority !== undefined) {
    caCerts.push(...splitPemBundle(await readPem(cluster.certificateAuthority, "certificate-authority", where)));
  }
  if (hasCa && caCerts.length === 0) {
    throw new KubeConfigError(`Cannot use ${where}: the certificate authority holds no PEM certificate`);
  }
  if (cluster.tlsServerName !== undefined) {
    throw new KubeConfigError(
      `Cannot use ${where}: cluster "${sel.clusterName}" sets tls-server-name, which Deno's fetch cannot honour: use a server URL whose host is in the certificate`,
    );
  }

  if (user.authProvider !== undefined) {
    throw new KubeConfigError(
      `Cannot use ${where}: user "${sel.userName}" uses auth-provider "${user.authProvider.name}", which is not supported: use an exec credential plugin (e.g. kubelogin convert-kubeconfig)`,
    );
  }
  const hasToken = user.token !== undefined || user.tokenFile !== undefined;
  if (hasToken && (user.username !== undefined || user.password !== undefined)) {
    throw new KubeConfigError(
      `Cannot use ${where}: user "${sel.userName}" sets both a bearer token and username/password`,
    );
  }

  const sources: CredentialSource[] = [];
  const staticCreds: Credentials = {};
  const certData = user.clientCertificateData !== undefined
    ? decodeData(user.clientCertificateData, "client-certificate-data", where)
    : user.clientCertificate !== undefined
    ? await readPem(user.clientCertificate, "client-certificate", where)
    : undefined;
  const keyData = user.clientKeyData !== undefined
    ? decodeData(user.clientKeyData, "client-key-data", where)
    : user.clientKey !== undefined
    ? await readPem(user.clientKey, "client-key", where)
    : undefined;
  if ((certData === undefined) !== (keyData === undefined)) {
    throw new KubeConfigError(
      `Cannot use ${where}: user "${sel.userName}" has a client ${
        certData === undefined ? "key" : "certificate"
      } but no client ${certData === undefined ? "certificate" : "key"}`,
    );
  }
  if (certData !== undefined && keyData !== undefined) {
    if (user.exec !== undefined) {
      throw new KubeConfigError(
        `Cannot use ${where}: user "${sel.userName}" sets both a client certificate and an exec plugin`,
      );
    }
    staticCreds.clientCertificate = { certPem: certData, keyPem: keyData };
  }
  if (user.username !== undefined || user.password !== undefined) {
    staticCreds.basic = { username: user.username ?? "", password: user.password ?? "" };
  }
  if (user.token !== undefined && user.tokenFile === undefined) staticCreds.token = user.token;
  if (Object.keys(staticCreds).length > 0) {
    sources.push(new StaticCredentials(staticCreds, `user "${sel.userName}" in kubeconfig`));
  }
  if (user.tokenFile !== undefined) {
    const opts = options.tokenFileRefreshMs === undefined ? {} : { refreshMs: options.tokenFileRefreshMs };
    sources.push(new FileTokenSource(user.tokenFile, opts));
  }
  if (user.exec !== undefined) {
    const execOpts: ConstructorParameters<typeof ExecCredentialSource>[1] = { ...options.exec };
    if (user.exec.provideClusterInfo) {
      const info: NonNullable<typeof execOpts.cluster> = { server: cluster.server };
      setIf(info, "tlsServerName", cluster.tlsServerName);
      setIf(info, "insecureSkipTlsVerify", cluster.insecureSkipTlsVerify);
      if (caCerts.length > 0) info.certificateAuthorityData = btoa(caCerts.join(""));
      setIf(info, "proxyUrl", cluster.proxyUrl);
      setIf(info, "disableCompression", cluster.disableCompression);
      setIf(info, "config", cluster.extensions?.["client.authentication.k8s.io/exec"]);
      execOpts.cluster = info;
    }
    sources.push(new ExecCredentialSource(user.exec, execOpts));
  }

  let impersonation: Impersonation | undefined;
  if (user.as !== undefined || user.asGroups !== undefined || user.asUid !== undefined) {
    if (user.as === undefined) {
      throw new KubeConfigError(`Cannot use ${where}: user "${sel.userName}" sets as-groups or as-uid without as`);
    }
    impersonation = { user: user.as };
    setIf(impersonation, "uid", user.asUid);
    setIf(impersonation, "groups", user.asGroups);
    setIf(impersonation, "extra", user.asUserExtra);
  }

  const conn: ClusterConnection = {
    server: cluster.server.replace(/\/+$/, ""),
    caCerts,
    namespace: sel.namespace,
    credentials: new CompositeCredentials(sources),
    insecureSkipTlsVerify: cluster.insecureSkipTlsVerify === true,
    description: `kubeconfig context "${sel.contextName}"`,
  };
  if (cluster.proxyUrl !== undefined) conn.proxy = proxyFromUrl(cluster.proxyUrl, where);
  if (impersonation !== undefined) conn.impersonation = impersonation;
  return conn;
}
