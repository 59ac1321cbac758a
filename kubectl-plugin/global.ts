/**
 * The flags every command shares, as kubectl spells them: `-n/--namespace`, `-A/--all-namespaces`, `--context`
 * (repeatable or comma-separated), `--kubeconfig`, `-o/--output wide|json|yaml|name|jsonpath=|custom-columns=`,
 * `--no-headers`, `-l/--selector`, `--request-timeout`, `--as`/`--as-group`; and the fleet flags `--all-contexts`,
 * `--contexts-from FILE`, `--parallel N`.
 *
 * Nothing heavy is imported here: `--help` must stay fast, so the Kubernetes client loads only when a command
 * connects.
 *
 * @module
 */
import { type Command, Option } from "commander";
import { UsageError } from "./errors.ts";
import { parseSelector } from "./selector.ts";

/** The `-o` formats (`jsonpath` and `custom-columns` carry their template after `=`). */
export const OUTPUT_FORMATS = ["wide", "json", "yaml", "name", "jsonpath", "custom-columns"] as const;
/** One of the `-o` formats. */
export type OutputFormat = typeof OUTPUT_FORMATS[number];

/** The shared flags after parsing. */
export interface GlobalFlags {
  namespace?: string;
  allNamespaces?: boolean;
  /** The one context a session connects to (in a fleet run: the context of that session). */
  context?: string;
  /** Every `--context` given (repeated or comma-separated), in order, without duplicates. */
  contexts?: string[];
  allContexts?: boolean;
  contextsFrom?: string;
  /** How many clusters are queried at once. */
  parallel?: number;
  kubeconfig?: string;
  output?: OutputFormat;
  /** The template of `-o jsonpath=...` or `-o custom-columns=...`. */
  template?: string;
  noHeaders?: boolean;
  selector?: string;
  /** Per request, per cluster (kubectl's `--request-timeout`); 0 means none. */
  requestTimeoutMs?: number;
  as?: string;
  asGroups?: string[];
}

/** Default of `--request-timeout`. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** Default of `--parallel`. */
export const DEFAULT_PARALLEL = 32;

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Parses `-o`: one of the formats, `jsonpath=TEMPLATE` or `custom-columns=SPEC`. */
export function parseOutput(text: string): { output: OutputFormat; template?: string } {
  const eq = text.indexOf("=");
  const name = eq < 0 ? text : text.slice(0, eq);
  if (eq >= 0 && (name === "jsonpath" || name === "custom-columns")) {
    const template = text.slice(eq + 1);
    if (template === "") throw new UsageError(`-o ${name}= needs a template`);
    return { output: name, template };
  }
  if ((OUTPUT_FORMATS as readonly string[]).includes(text) && text !== "jsonpath" && text !== "custom-columns") {
    return { output: text as OutputFormat };
  }
  throw new UsageError(
    `unable to match a printer suitable for the output format "${text}", allowed formats are: ` +
      "wide, json, yaml, name, jsonpath=TEMPLATE, custom-columns=SPEC",
  );
}

/**
 * Parses kubectl's `--request-timeout`: `0` (none), a bare number of seconds, or a duration (`500ms`, `10s`, `1m`,
 * `1h30m`).
 */
export function parseRequestTimeout(text: string): number {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t) * 1000;
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const parts = [...t.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== t) {
    throw new UsageError(
      `invalid --request-timeout "${text}": a number of seconds or a duration with a unit (e.g. 1s, 2m, 3h)`,
    );
  }
  return parts.reduce((ms, p) => ms + Number(p[1]) * unit[p[2]!]!, 0);
}

/** `--context a,b --context c` → `[a, b, c]` (order kept, duplicates and empty names dropped). */
export function splitContexts(values: readonly string[]): string[] {
  const out: string[] = [];
  for (const v of values) {
    for (const c of v.split(",").map((x) => x.trim())) if (c !== "" && !out.includes(c)) out.push(c);
  }
  return out;
}

/** Adds the shared flags to the root command (commander accepts them before or after the subcommand). */
export function addGlobalFlags(cmd: Command): Command {
  return cmd
    .option("-n, --namespace <namespace>", "namespace to use (default: the kubeconfig context's namespace)")
    .option("-A, --all-namespaces", "act on ExternalSecrets in every namespace")
    .option("--context <name>", "kubeconfig context to use (repeatable or comma-separated: several clusters)", collect)
    .option("--all-contexts", "every context in the kubeconfig (adds a CLUSTER column)")
    .option("--contexts-from <file>", "the contexts named in FILE, one a line (# comments; - for stdin)")
    .option("--parallel <n>", `how many clusters to query at once (default ${DEFAULT_PARALLEL})`)
    .option("--request-timeout <duration>", "per request and cluster, e.g. 5s (0: none; default 10s)")
    .option("--kubeconfig <path>", "kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)")
    .option("--as <user>", "user to impersonate for the operation")
    .option("--as-group <group>", "group to impersonate (repeatable)", collect)
    .addOption(
      new Option("-o, --output <format>", "output format: wide|json|yaml|name|jsonpath=TEMPLATE|custom-columns=SPEC"),
    )
    .option("--no-headers", "print tables without the header line")
    .option("-l, --selector <selector>", "label selector, e.g. -l app=jenkins,tier!=dev");
}

/** The shared flags of the command being run (its own and its parents'). */
export function globalFlags(cmd: Command): GlobalFlags {
  const o = cmd.optsWithGlobals<
    Omit<GlobalFlags, "context" | "output" | "parallel" | "requestTimeoutMs" | "asGroups" | "noHeaders"> & {
      context?: string[];
      output?: string;
      parallel?: string;
      requestTimeout?: string;
      asGroup?: string[];
      headers?: boolean;
    }
  >();
  const flags: GlobalFlags = {};
  if (o.namespace !== undefined) {
    if (o.namespace === "") throw new UsageError("--namespace must not be empty");
    flags.namespace = o.namespace;
  }
  if (o.allNamespaces) flags.allNamespaces = true;
  const contexts = splitContexts(o.context ?? []);
  if (o.context !== undefined && contexts.length === 0) throw new UsageError("--context must not be empty");
  if (contexts.length > 0) flags.contexts = contexts;
  if (contexts.length === 1) flags.context = contexts[0]!;
  if (o.allContexts) flags.allContexts = true;
  if (o.contextsFrom !== undefined) flags.contextsFrom = o.contextsFrom;
  if (o.parallel !== undefined) {
    const n = Number(o.parallel);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--parallel "${o.parallel}": a whole number of 1 or more`);
    flags.parallel = n;
  }
  flags.requestTimeoutMs = o.requestTimeout !== undefined
    ? parseRequestTimeout(o.requestTimeout)
    : DEFAULT_REQUEST_TIMEOUT_MS;
  if (o.kubeconfig !== undefined) flags.kubeconfig = o.kubeconfig;
  if (o.as !== undefined) {
    if (o.as === "") throw new UsageError("--as must not be empty");
    flags.as = o.as;
  }
  if (o.asGroup !== undefined) {
    if (o.as === undefined) throw new UsageError("--as-group needs --as: impersonating groups requires a user");
    flags.asGroups = o.asGroup;
  }
  if (o.output !== undefined) {
    const p = parseOutput(o.output);
    flags.output = p.output;
    if (p.template !== undefined) flags.template = p.template;
  }
  if (o.headers === false) flags.noHeaders = true;
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
