/**
 * `kubectl externalsecret`: a kubectl plugin for ExternalSecrets (`external-secrets.io/v1`) kept in step with Azure
 * Key Vault. kubectl runs it when `kubectl-externalsecret` is on `PATH`.
 *
 * Only the command-line definition lives here. Each command's module (and the Kubernetes client, the Azure SDK, the
 * template engine) is imported when that command runs, so `--help` starts fast.
 *
 * @module
 */
import { Command, CommanderError, Option } from "commander";
import { describeError, ExitCode, exitCodeOf, UsageError } from "./errors.ts";
import { addGlobalFlags, expandWaitFlag, globalFlags } from "./global.ts";
import { Output, processStreams } from "./output.ts";

/** The plugin's version. */
export const VERSION = "0.1.0";

const EXIT_CODES = `
Exit codes:
  0  success (status, sync --wait, vault set --sync --wait: every ExternalSecret concerned is Ready)
  1  error: the API refused (Forbidden, NotFound...), Key Vault or Entra ID failed, bad file, a cluster unreachable
     or without the CRDs (over several contexts: any cluster that could not answer)
  2  usage error: unknown flag, missing or conflicting arguments
  3  not all Ready: status listed one that is not Ready, or a --wait ended failed, ignored or timed out`;

const ROOT_HELP = `
Examples:
  kubectl externalsecret status -A                      # every ExternalSecret, kubectl-style
  kubectl externalsecret status regcred -n jenkins      # conditions, target keys, store, events, next refresh
  kubectl externalsecret sync regcred -n jenkins --wait # force a refresh and wait for Ready
  kubectl externalsecret vault set --cluster-store azure-keyvault-cluster-store \\
      --name docker-config-json --file new.json --sync --wait   # rotate, and see the cluster follow
  kubectl externalsecret render -f es.yaml --values values.yaml # render the target Secret offline
${EXIT_CODES}

Fleets: --context a,b (repeatable), --all-contexts or --contexts-from FILE run status, sync, explain,
where-used and vault set --sync over many clusters (--parallel N at once, default 32; --request-timeout per request, default 10s),
with a CLUSTER column, a row per cluster that cannot answer, and a summary line on stderr.

Secret values are never printed, except by render (they are your own input).
Environment: KUBECONFIG; NO_COLOR (no colour; colour is used only on a terminal);
  KUBECTL_EXTERNALSECRET_DEBUG=1 (stack traces on errors).`;

const STATUS_HELP = `
Without NAME: a table (NAME, STORE, READY, REASON, LAST SYNC, NEXT REFRESH, TARGET, MESSAGE); -o wide adds
REFRESH and the whole message; -o json|yaml prints the ExternalSecrets as a List; -o name their names.
With NAME: Ready, the store and its readiness, last and next refresh, whether a force-sync is pending, the target
Secret's key names and sizes (never values), the data references, conditions and recent Events; -o json|yaml
prints all of it as one document.

Exit code 3 when any ExternalSecret shown is not Ready (scripts can gate on it).

RBAC: list externalsecrets.external-secrets.io (get, with NAME). With NAME it also reads, and says so when it
may not: get secrets (the target: key names and sizes), get secretstores or clustersecretstores, list events.

Examples:
  kubectl externalsecret status
  kubectl externalsecret status -A -o wide
  kubectl externalsecret status -l app=jenkins -n jenkins -o name
  kubectl externalsecret status regcred -n jenkins
  kubectl externalsecret status regcred -n jenkins -o yaml`;

const SYNC_HELP = `
Forces a refresh as ESO understands it: sets the annotation external-secrets.io/force-sync=<unix time in ns>
(any label or annotation change moves status.syncedResourceVersion, which makes the controller read the vault).
With --wait[=TIMEOUT] (default 60s) it waits until each one's status.syncedResourceVersion is the new
"<generation>-<hash>" and Ready is True, or reports the failure the controller recorded after the request.

ESO ignores the request for an ExternalSecret with refreshInterval 0 (refreshPolicy Periodic) or refreshPolicy
CreatedOnce that has synced once: sync warns, and --wait does not wait for it (it counts as not refreshed).

Exit codes: 0 requested (with --wait: all Ready), 1 API error, 3 with --wait: some failed, were ignored or timed out.

RBAC: get (NAME) or list (-l, --all) and patch externalsecrets.external-secrets.io; with --wait also list events
(to tell a failure after the request from an older one; without it, failures show only at the timeout).

Examples:
  kubectl externalsecret sync regcred -n jenkins
  kubectl externalsecret sync regcred -n jenkins --wait
  kubectl externalsecret sync -l team=ci -n jenkins --wait=2m
  kubectl externalsecret sync --all -A --wait`;

const VAULT_SET_HELP = `
Writes a new version of a Key Vault secret through a store: by default with the store's own credentials (the
client the controller builds: its authSecretRef Secret, workload or managed identity), or with
--use-local-credentials your own (DefaultAzureCredential: AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET,
workload identity, managed identity, az login...). The value comes from --file, stdin, or --value (which warns:
argv ends up in shell history and the process list). It is never printed.

--sync force-syncs every ExternalSecret in scope that reads that key (spec.data[].remoteRef.key NAME or secret/NAME,
latest version) through that store: a --cluster-store serves all namespaces (or only -n NAMESPACE), a --store only
its own namespace. --wait[=TIMEOUT] (default 60s) then waits until each target Secret holds the new value: where
the Secret is built from this key alone, its data must hash to what the new value renders to; otherwise it must
have refreshed after the write.

Emulators and sovereign proxies: --azure-authority-host or AZURE_AUTHORITY_HOST (Entra ID host; disables
instance discovery), --azure-disable-challenge-resource-verification or
KV_DISABLE_CHALLENGE_RESOURCE_VERIFICATION=true (accept a vault whose host is not *.vault.azure.net),
KV_ALLOWED_VAULT_HOSTS=PATTERNS (vault hosts a store may name; default Azure's Key Vault domains).

Over several contexts (--context a,b, --all-contexts, --contexts-from): the vault is written once (through the
first context that reaches the store), then each cluster's consumers are force-synced in waves (--wave-size N,
default all); once more than --max-failures N clusters (default 0) failed, the rest are skipped.

Exit codes: 0 written (with --sync --wait: every target, in every cluster, holds the new value), 1 error (or a
cluster failed), 2 usage, 3 some target did not get the value (failed, ignored, timed out, skipped).

RBAC: get clustersecretstores (--cluster-store) or get secretstores (--store); with the store's credentials also
get on the Secrets its authSecretRef names (or create serviceaccounts/token for a referenced workload identity).
--sync: list and patch externalsecrets; --wait: get secrets (the targets, compared by hash) and list events.
Key Vault: the identity used needs permission to set secrets (e.g. "Key Vault Secrets Officer").

Examples:
  kubectl externalsecret vault set --cluster-store azure-keyvault-cluster-store --name docker-config-json \\
      --file new.json --sync --wait
  kubectl externalsecret vault set --cluster-store azure-keyvault-cluster-store --name docker-config-json \\
      --file new.json --sync --wait --all-contexts --wave-size 10
  kubectl externalsecret vault set --store jenkins-secretstore -n jenkins --name api-key < key.txt
  kubectl externalsecret vault set --cluster-store css --name db-password --file pw.txt --use-local-credentials
  kubectl externalsecret vault set --cluster-store css --name cfg --file cfg.json --content-type application/json \\
      --tag owner=ci --tag rotated-by=$USER`;

const EXPLAIN_HELP = `
For each ExternalSecret: Ready or not, why (the controller's message, or what the plugin found), and the next
step: a missing or not-Ready store (and which credentials Secret or key it names is missing), Key Vault refusing
the identity (the role it needs), a key that does not exist in the vault, a template error (the template line),
or ESO's rules that stop it refreshing (refreshInterval 0, CreatedOnce). Secrets are read for their key names
only. Over several contexts each line carries [CONTEXT] and a summary line goes to stderr; -o json|yaml prints an
Explanation document (apiVersion kubectl-externalsecret.kv-operator.io/v1).

Exit codes: 0 all Ready, 1 an API error (or a cluster could not answer), 2 usage, 3 some not Ready.

RBAC: get externalsecrets; get secretstores or clustersecretstores; get secrets (credentials: key names only).

Examples:
  kubectl externalsecret explain regcred -n jenkins
  kubectl externalsecret explain regcred -n jenkins --all-contexts`;

const WHERE_USED_HELP = `
Lists every ExternalSecret (and ClusterExternalSecret, where its CRD is installed) whose spec.data[].remoteRef.key
or dataFrom[].extract.key names KEY, in all namespaces unless -n narrows it: NAMESPACE, KIND, NAME, STORE,
SECRET KEYS (the target keys it fills), VERSION (latest, or the pinned version) and READY. Over several contexts
(--context a,b, --all-contexts, --contexts-from) a CLUSTER column is added, a cluster that cannot answer is a row
with the reason, and a summary line goes to stderr. -o json|yaml prints a WhereUsed document
(apiVersion kubectl-externalsecret.kv-operator.io/v1).

Exit codes: 0 answered (whether or not anything reads KEY), 1 a cluster could not answer, 2 usage.

RBAC: list externalsecrets.external-secrets.io (all namespaces, or -n); list clusterexternalsecrets when served.

Examples:
  kubectl externalsecret where-used docker-config-json
  kubectl externalsecret where-used docker-config-json --cluster-store azure-keyvault-cluster-store --all-contexts`;

const COMPLETION_HELP = `
kubectl (1.26 or later) completes "kubectl externalsecret ..." itself when kubectl's own completion is set up and
the executable kubectl_complete-externalsecret (written beside kubectl-externalsecret by build:plugin) is on PATH.
This script is for running kubectl-externalsecret directly. Commands, flags, contexts (--context, also after a
comma), namespaces, ExternalSecret and store names are completed; names come from the cluster within 2 s.

RBAC: none beyond what listing names needs (list namespaces, externalsecrets, secretstores, clustersecretstores).

Examples:
  kubectl externalsecret completion bash > ~/.kubectl-externalsecret-completion.bash
  source <(kubectl-externalsecret completion bash)
  kubectl-externalsecret completion zsh > "\${fpath[1]}/_kubectl-externalsecret"
  kubectl-externalsecret completion fish | source`;

const VAULT_READ_HELP = `
Reads the vault a store points at, with the store's own credentials (as the controller reads it) or with
--use-local-credentials your own. list and versions show properties only; get shows them and the value's size,
and the value itself only with --reveal (which warns on stderr). -o json|yaml prints a document
(apiVersion kubectl-externalsecret.kv-operator.io/v1).

Exit codes: 0 read, 1 error (store, credentials, Key Vault's refusal, no such secret), 2 usage.

RBAC: get clustersecretstores or secretstores, and the Secrets their authSecretRef names. Key Vault: the identity
needs list (list, versions) and get (get) permission on secrets, e.g. "Key Vault Secrets User".

Examples:
  kubectl externalsecret vault list --cluster-store azure-keyvault-cluster-store
  kubectl externalsecret vault versions docker-config-json --cluster-store azure-keyvault-cluster-store
  kubectl externalsecret vault get docker-config-json --cluster-store azure-keyvault-cluster-store`;

const RENDER_HELP = `
Renders the target Secret of each ExternalSecret in FILE offline (no cluster, no vault) with the controller's
template engine (Go text/template, Sprig, ESO functions). The values file is a YAML map of secretKey: value, the
values as the provider would return them (after property and decodingStrategy).

This is the only command that prints secret values: they are the ones you supplied. By default the Secret's data
is base64, as it would be stored; --decode shows UTF-8 values as stringData.

RBAC: none (offline).

Examples:
  kubectl externalsecret render -f 01-externalsecret-regcred.yaml --values values.yaml
  kubectl externalsecret render -f es.yaml --values values.yaml --decode
  kubectl externalsecret render -f es.yaml --values values.yaml -o json`;

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** The command line. `run` receives each command's work and sets the exit code. */
export function program(out: Output, setCode: (code: number) => void): Command {
  const root = new Command("kubectl externalsecret")
    .description(
      "Show, force-sync and rotate ExternalSecrets (external-secrets.io/v1) kept in step with Azure Key Vault.",
    )
    .version(VERSION, "--version", "print the plugin's version")
    .helpOption("-h, --help", "show help")
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({
      writeOut: (s) => out.out(s.replace(/\n$/, "")),
      writeErr: (s) => out.err(s.replace(/\n$/, "")),
    })
    .exitOverride()
    .addHelpText("after", ROOT_HELP);
  addGlobalFlags(root);

  root.command("status")
    .description("show ExternalSecrets: a table, or one in detail")
    .argument("[names...]", "ExternalSecrets (detailed view; in a fleet run, their rows)")
    .option("--expiring-within <when>", "only those whose Key Vault source expires within this (30d) or before a date")
    .addHelpText("after", STATUS_HELP)
    .action(async (names: string[], o: { expiringWithin?: string }, cmd: Command) => {
      const { runStatus } = await import("./status.ts");
      setCode(await runStatus(names, globalFlags(cmd), out, o));
    });

  root.command("sync")
    .description("force ExternalSecrets to refresh now (optionally wait for Ready)")
    .argument("[names...]", "ExternalSecrets to sync")
    .option("--all", "every ExternalSecret in the namespace (or in all namespaces with -A)")
    .option("--wait", "wait until each has refreshed and report Ready or the failure (--wait=TIMEOUT, default 60s)")
    .addOption(new Option("--wait-timeout <duration>").hideHelp())
    .addHelpText("after", SYNC_HELP)
    .action(async (names: string[], o: { all?: boolean; wait?: boolean; waitTimeout?: string }, cmd: Command) => {
      const { runSync } = await import("./sync.ts");
      setCode(await runSync(names, o, globalFlags(cmd), out));
    });

  root.command("explain")
    .description("why an ExternalSecret is not Ready, and the next step")
    .argument("<names...>", "ExternalSecrets (in -n NAMESPACE)")
    .addHelpText("after", EXPLAIN_HELP)
    .action(async (names: string[], _o: unknown, cmd: Command) => {
      const { runExplain } = await import("./explain.ts");
      setCode(await runExplain(names, globalFlags(cmd), out));
    });

  root.command("where-used")
    .description("which ExternalSecrets read a Key Vault secret, through which store, and their state")
    .argument("<key>", "the Key Vault secret (NAME or secret/NAME)")
    .option("--store <name>", "only references through this SecretStore")
    .option("--cluster-store <name>", "only references through this ClusterSecretStore")
    .addHelpText("after", WHERE_USED_HELP)
    .action(async (key: string, o: { store?: string; clusterStore?: string }, cmd: Command) => {
      const { runWhereUsed } = await import("./where_used.ts");
      setCode(await runWhereUsed(key, o, globalFlags(cmd), out));
    });

  const vault = root.command("vault").description("read and write Key Vault secrets through a store");
  const vaultAccess = (c: Command): Command =>
    c.option("--store <name>", "a SecretStore (in -n NAMESPACE) whose vault and credentials to use")
      .option("--cluster-store <name>", "a ClusterSecretStore whose vault and credentials to use")
      .option("--use-local-credentials", "authenticate as you (DefaultAzureCredential), not as the store")
      .option("--azure-authority-host <url>", "Entra ID authority (default $AZURE_AUTHORITY_HOST; emulators, proxies)")
      .option(
        "--azure-disable-challenge-resource-verification",
        "accept a vault host outside *.vault.azure.net (emulators only; or KV_DISABLE_CHALLENGE_RESOURCE_VERIFICATION=true)",
      )
      .addHelpText("after", VAULT_READ_HELP);
  vaultAccess(vault.command("get").description("a secret's properties; its value only with --reveal"))
    .argument("<key>", "the Key Vault secret (NAME or secret/NAME)")
    // Not --version: the root command owns it (the plugin's version).
    .option("--secret-version <version>", "a version (default: the latest)")
    .option("--reveal", "print the value (it ends up on your screen and in your scrollback)")
    .action(async (key: string, o: Record<string, unknown>, cmd: Command) => {
      const { runVaultGet } = await import("./vault_read.ts");
      setCode(await runVaultGet(key, o, globalFlags(cmd), out));
    });
  vaultAccess(vault.command("list").description("the vault's secrets: name, enabled, updated, expires, tags"))
    .action(async (o: Record<string, unknown>, cmd: Command) => {
      const { runVaultList } = await import("./vault_read.ts");
      setCode(await runVaultList(o, globalFlags(cmd), out));
    });
  vaultAccess(vault.command("versions").description("every version of a secret, newest first"))
    .argument("<key>", "the Key Vault secret (NAME or secret/NAME)")
    .action(async (key: string, o: Record<string, unknown>, cmd: Command) => {
      const { runVaultVersions } = await import("./vault_read.ts");
      setCode(await runVaultVersions(key, o, globalFlags(cmd), out));
    });
  vault.command("set")
    .description("set a Key Vault secret through a store's credentials (or yours), optionally sync and wait")
    .option("--store <name>", "a SecretStore (in -n NAMESPACE) whose vault and credentials to use")
    .option("--cluster-store <name>", "a ClusterSecretStore whose vault and credentials to use")
    .option("--name <key>", "the Key Vault secret (NAME or secret/NAME)")
    .option("--file <path>", "read the value from this file (- for stdin)")
    .option("--value <value>", "the value itself (visible in shell history: prefer --file or stdin)")
    .option("--content-type <type>", "the secret's content type, e.g. application/json")
    .option("--disabled", "write the new version disabled (Key Vault serves it to no one until it is enabled)")
    .option("--tag <key=value>", "a tag on the new version (repeatable)", collect)
    .option("--expires <when>", "when the new version expires: a date (2027-12-01) or a duration (90d)")
    .option("--not-before <when>", "when the new version becomes valid: a date or a duration from now")
    .option("--use-local-credentials", "authenticate as you (DefaultAzureCredential), not as the store")
    .option("--sync", "then force-sync every ExternalSecret in scope that reads this key through this store")
    .option("--wait", "with --sync: wait until each target Secret holds the new value (--wait=TIMEOUT, default 60s)")
    .addOption(new Option("--wait-timeout <duration>").hideHelp())
    .option("--wave-size <n>", "over several contexts: sync this many clusters at a time (default: all)")
    .option("--max-failures <n>", "over several contexts: start no new wave once more clusters failed (default 0)")
    .option("--azure-authority-host <url>", "Entra ID authority (default $AZURE_AUTHORITY_HOST; emulators, proxies)")
    .option(
      "--azure-disable-challenge-resource-verification",
      "accept a vault host outside *.vault.azure.net (emulators only; or KV_DISABLE_CHALLENGE_RESOURCE_VERIFICATION=true)",
    )
    .addHelpText("after", VAULT_SET_HELP)
    .action(async (o: Record<string, unknown>, cmd: Command) => {
      const { runVaultSet } = await import("./vault_set.ts");
      setCode(await runVaultSet(o, globalFlags(cmd), out));
    });

  root.command("completion")
    .description("print a shell completion script (bash, zsh, fish) for kubectl-externalsecret")
    .argument("<shell>", "bash, zsh or fish")
    .addHelpText("after", COMPLETION_HELP)
    .action(async (shell: string) => {
      const { COMPLETION_SHELLS, completionScript } = await import("./completion.ts");
      if (!(COMPLETION_SHELLS as readonly string[]).includes(shell)) {
        throw new UsageError(`unsupported shell "${shell}" (supported: ${COMPLETION_SHELLS.join(", ")})`);
      }
      out.out(completionScript(shell as typeof COMPLETION_SHELLS[number]));
      setCode(ExitCode.Ok);
    });

  root.command("render")
    .description("render an ExternalSecret's target Secret offline from values you supply (prints them)")
    .option("-f, --filename <file>", "the ExternalSecret manifest (YAML or JSON; - for stdin)")
    .option("--values <file>", "YAML map of secretKey: value")
    .option("--decode", "show UTF-8 values as stringData instead of base64 data")
    .addHelpText("after", RENDER_HELP)
    .action(async (o: { filename?: string; values?: string; decode?: boolean }, cmd: Command) => {
      const { runRender } = await import("./render.ts");
      setCode(await runRender(o, globalFlags(cmd), out));
    });
  return root;
}

/** Runs the plugin with `args` (without the program name); returns the exit code. */
export async function main(args: string[], out: Output = new Output(processStreams())): Promise<number> {
  let code: number = ExitCode.Ok;
  const cmd = program(out, (c) => (code = c));
  if (args.length === 0) {
    cmd.outputHelp();
    return ExitCode.Ok;
  }
  try {
    if (args[0] === "__complete") {
      // kubectl's plugin completion protocol (kubectl_complete-externalsecret), never shown in --help.
      const { complete } = await import("./completion.ts");
      for (const line of await complete(cmd, args.slice(1))) out.out(line);
      return ExitCode.Ok;
    }
    await cmd.parseAsync(expandWaitFlag(args), { from: "user" });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.code === "commander.helpDisplayed" || e.code === "commander.version" ? ExitCode.Ok : ExitCode.Usage;
    }
    out.err(describeError(e));
    if (Deno.env.get("KUBECTL_EXTERNALSECRET_DEBUG") === "1" && e instanceof Error && e.stack) out.err(e.stack);
    return exitCodeOf(e);
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
