/**
 * `insecure-skip-tls-verify: true` honoured as kubectl honours it. Deno cannot skip certificate checks per
 * connection, only per process (`--unsafely-ignore-certificate-errors=HOSTS`), so when a context the command will
 * use asks for it, the plugin runs itself again with exactly those hosts (and the permissions it has now) and
 * returns that run's exit code. Every other host stays verified.
 *
 * @module
 */
import { CliError } from "./errors.ts";

/** Set for the re-run: the hosts whose certificates that process does not verify. */
const ENV = "KUBECTL_EXTERNALSECRET_INSECURE_HOSTS";

/** The hosts this process skips certificate verification for. */
export function insecureHosts(): Set<string> {
  return new Set((Deno.env.get(ENV) ?? "").split(",").filter((h) => h !== ""));
}

/** The hosts of the clusters of `contexts` (undefined: the current context) that set insecure-skip-tls-verify. */
export async function insecureHostsOf(
  kubeconfig: string | undefined,
  contexts: readonly (string | undefined)[],
): Promise<
  string[]
> {
  const { loadKubeconfig } = await import("../controller/kube/mod.ts");
  let config;
  try {
    config = await loadKubeconfig(kubeconfig !== undefined ? { kubeconfig } : {});
  } catch {
    return []; // the session reports a bad kubeconfig in its own words
  }
  const hosts = new Set<string>();
  for (const name of contexts) {
    const ctx = config.contexts.get(name ?? config.currentContext ?? "");
    const cluster = ctx ? config.clusters.get(ctx.cluster) : undefined;
    if (!cluster?.insecureSkipTlsVerify) continue;
    try {
      hosts.add(new URL(cluster.server).hostname);
    } catch {
      // not a URL: the session says so
    }
  }
  return [...hosts].sort();
}

const PERMISSIONS = ["net", "read", "env", "sys", "run", "write"] as const;

/**
 * When `hosts` are not all skipped by this process, runs the plugin again skipping them and returns its exit code;
 * undefined when this process can go on.
 */
export async function rerunSkippingVerification(hosts: readonly string[]): Promise<number | undefined> {
  const allowed = insecureHosts();
  if (hosts.every((h) => allowed.has(h))) return undefined;
  const all = [...new Set([...allowed, ...hosts])].sort();
  // The same grants as now, never more.
  const grants = PERMISSIONS.filter((name) => Deno.permissions.querySync({ name }).state === "granted")
    .map((name) => `--allow-${name}`);
  const main = new URL(Deno.mainModule);
  if (main.pathname.includes("/deno-compile-")) {
    // A `deno compile` binary takes runtime flags only when it is built, so it cannot run itself this way.
    throw new CliError(
      `insecure-skip-tls-verify (for ${hosts.join(", ")}) cannot be honoured by the compiled plugin: use the ` +
        "launcher build (deno task build:plugin), or give the cluster certificate-authority-data",
    );
  }
  const bundled = main.pathname.endsWith(".js");
  const cmd = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      ...(bundled ? ["--no-config", "--cached-only"] : []),
      ...grants,
      `--unsafely-ignore-certificate-errors=${all.join(",")}`,
      main.protocol === "file:" ? main.pathname : main.href,
      ...Deno.args,
    ],
    env: { [ENV]: all.join(",") },
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  });
  const status = await cmd.spawn().status;
  return status.code;
}
