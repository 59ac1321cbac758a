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
import { describeError, ExitCode, exitCodeOf } from "./errors.ts";
import { addGlobalFlags, expandWaitFlag, globalFlags } from "./global.ts";
import { Output, processStreams } from "./output.ts";

/** The plugin's version. */
export const VERSION = "0.1.0";

const EXIT_CODES = `
Exit codes:
  0  success (status, sync --wait, vault set --sync --wait: every ExternalSecret concerned is Ready)
  1  error: the API refused (Forbidden, NotFound...), Key Vault or Entra ID failed, cluster unreachable, bad file
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

Exit codes: 0 written (with --sync --wait: every target holds the new value), 1 error, 2 usage, 3 some target
did not get the value (failed, ignored, timed out).

RBAC: get clustersecretstores (--cluster-store) or get secretstores (--store); with the store's credentials also
get on the Secrets its authSecretRef names (or create serviceaccounts/token for a referenced workload identity).
--sync: list and patch externalsecrets; --wait: get secrets (the targets, compared by hash) and list events.
Key Vault: the identity used needs permission to set secrets (e.g. "Key Vault Secrets Officer").

Examples:
  kubectl externalsecret vault set --cluster-store azure-keyvault-cluster-store --name docker-config-json \\
      --file new.json --sync --wait
  kubectl externalsecret vault set --store jenkins-secretstore -n jenkins --name api-key < key.txt
  kubectl externalsecret vault set --cluster-store css --name db-password --file pw.txt --use-local-credentials
  kubectl externalsecret vault set --cluster-store css --name cfg --file cfg.json --content-type application/json \\
      --tag owner=ci --tag rotated-by=$USER`;

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
    .argument("[name]", "an ExternalSecret (detailed view)")
    .addHelpText("after", STATUS_HELP)
    .action(async (name: string | undefined, _o: unknown, cmd: Command) => {
      const { runStatus } = await import("./status.ts");
      setCode(await runStatus(name, globalFlags(cmd), out));
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

  const vault = root.command("vault").description("write Key Vault secrets through a store");
  vault.command("set")
    .description("set a Key Vault secret through a store's credentials (or yours), optionally sync and wait")
    .option("--store <name>", "a SecretStore (in -n NAMESPACE) whose vault and credentials to use")
    .option("--cluster-store <name>", "a ClusterSecretStore whose vault and credentials to use")
    .option("--name <key>", "the Key Vault secret (NAME or secret/NAME)")
    .option("--file <path>", "read the value from this file (- for stdin)")
    .option("--value <value>", "the value itself (visible in shell history: prefer --file or stdin)")
    .option("--content-type <type>", "the secret's content type, e.g. application/json")
    .option("--tag <key=value>", "a tag on the new version (repeatable)", collect)
    .option("--expires <when>", "when the new version expires: a date (2027-12-01) or a duration (90d)")
    .option("--not-before <when>", "when the new version becomes valid: a date or a duration from now")
    .option("--use-local-credentials", "authenticate as you (DefaultAzureCredential), not as the store")
    .option("--sync", "then force-sync every ExternalSecret in scope that reads this key through this store")
    .option("--wait", "with --sync: wait until each target Secret holds the new value (--wait=TIMEOUT, default 60s)")
    .addOption(new Option("--wait-timeout <duration>").hideHelp())
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
