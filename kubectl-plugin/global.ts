/**
 * The flags every command shares, as kubectl spells them: `-n/--namespace`, `-A/--all-namespaces`, `--context`,
 * `--kubeconfig`, `-o/--output wide|json|yaml|name`, `-l/--selector`; plus connecting to the cluster they name.
 *
 * Nothing heavy is imported here: `--help` must stay fast, so the Kubernetes client loads only when a command
 * connects.
 *
 * @module
 */
import { type Command, Option } from "commander";
import { UsageError } from "./errors.ts";
import { parseSelector } from "./selector.ts";

/** The `-o` formats. */
export const OUTPUT_FORMATS = ["wide", "json", "yaml", "name"] as const;
/** One of the `-o` formats. */
export type OutputFormat = typeof OUTPUT_FORMATS[number];

/** The shared flags after parsing. */
export interface GlobalFlags {
  namespace?: string;
  allNamespaces?: boolean;
  context?: string;
  kubeconfig?: string;
  output?: OutputFormat;
  selector?: string;
}

/** Adds the shared flags to the root command (commander accepts them before or after the subcommand). */
export function addGlobalFlags(cmd: Command): Command {
  return cmd
    .option("-n, --namespace <namespace>", "namespace to use (default: the kubeconfig context's namespace)")
    .option("-A, --all-namespaces", "act on ExternalSecrets in every namespace")
    .option("--context <name>", "kubeconfig context to use")
    .option("--kubeconfig <path>", "kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)")
    .addOption(new Option("-o, --output <format>", "output format").choices(OUTPUT_FORMATS))
    .option("-l, --selector <selector>", "label selector, e.g. -l app=jenkins,tier!=dev");
}

/** The shared flags of the command being run (its own and its parents'). */
export function globalFlags(cmd: Command): GlobalFlags {
  const o = cmd.optsWithGlobals<GlobalFlags>();
  const flags: GlobalFlags = {};
  if (o.namespace !== undefined) {
    if (o.namespace === "") throw new UsageError("--namespace must not be empty");
    flags.namespace = o.namespace;
  }
  if (o.allNamespaces) flags.allNamespaces = true;
  if (o.context !== undefined) flags.context = o.context;
  if (o.kubeconfig !== undefined) flags.kubeconfig = o.kubeconfig;
  if (o.output !== undefined) flags.output = o.output;
  if (o.selector !== undefined) {
    parseSelector(o.selector);
    flags.selector = o.selector;
  }
  return flags;
}

/** Fails with a usage error when `-o` is set to a format `command` does not print. */
export function requireOutput(flags: GlobalFlags, allowed: readonly OutputFormat[], command: string): void {
  if (flags.output !== undefined && !allowed.includes(flags.output)) {
    throw new UsageError(
      `${command} does not support -o ${flags.output}${
        allowed.length ? ` (supported: ${allowed.join(", ")})` : " (it has no -o)"
      }`,
    );
  }
}

/**
 * Rewrites `--wait=TIMEOUT` into `--wait --wait-timeout=TIMEOUT` (and `--wait=false` into nothing), so that a
 * plain `--wait` never swallows the next argument (`sync --wait regcred`).
 */
export function expandWaitFlag(args: readonly string[]): string[] {
  const out: string[] = [];
  for (const a of args) {
    if (a === "--") {
      out.push(...args.slice(args.indexOf(a)));
      return out;
    }
    const m = /^--wait=(.*)$/.exec(a);
    if (!m) {
      out.push(a);
    } else if (m[1] === "false") {
      continue;
    } else if (m[1] === "true") {
      out.push("--wait");
    } else {
      out.push("--wait", `--wait-timeout=${m[1]}`);
    }
  }
  return out;
}

/** Where a command acts: one namespace, or every namespace (`namespace` undefined). */
export interface Scope {
  namespace: string | undefined;
  /** True when the namespace came from `-n` (not from the kubeconfig context). */
  explicit: boolean;
}

/** The scope the flags ask for, with the context's namespace as the default. */
export function scopeOf(flags: GlobalFlags, contextNamespace: string): Scope {
  if (flags.allNamespaces) return { namespace: undefined, explicit: true };
  if (flags.namespace !== undefined) return { namespace: flags.namespace, explicit: true };
  return { namespace: contextNamespace || "default", explicit: false };
}
