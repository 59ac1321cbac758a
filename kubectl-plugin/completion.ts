/**
 * Shell completion. `__complete ARGS... WORD` answers as cobra-based tools do (one candidate a line, `value\tdescription`,
 * then `:DIRECTIVE`), which is what kubectl (≥ 1.26) expects from `kubectl_complete-externalsecret` when completing
 * `kubectl externalsecret ...`; `completion bash|zsh|fish` prints a script for the `kubectl-externalsecret` command
 * itself. Commands and flags come from the command-line definition; contexts from the kubeconfig; namespaces,
 * ExternalSecrets and stores from the cluster (a short timeout: completion must never hang the shell).
 *
 * @module
 */
import type { Command, Option } from "commander";
import { type GlobalFlags, OUTPUT_FORMATS } from "./global.ts";

/** Cobra's directives: complete nothing else (no file names). */
const NO_FILE_COMP = 4;
/** Cobra's directive: let the shell complete file names. */
const DEFAULT = 0;

/** The completion script each shell sources; it calls `kubectl-externalsecret __complete`. */
export const COMPLETION_SHELLS = ["bash", "zsh", "fish"] as const;

interface Context {
  cmd: Command;
  /** The flag whose value is being completed, if any. */
  awaiting?: Option;
  flags: GlobalFlags;
  positional: string[];
}

function findOption(cmd: Command, arg: string): Option | undefined {
  for (let c: Command | null = cmd; c; c = c.parent) {
    const o = c.options.find((x) => x.long === arg || x.short === arg);
    if (o) return o;
  }
  return undefined;
}

function takesValue(o: Option): boolean {
  return o.required || o.optional;
}

/** Walks the words before the one being completed: the command reached, flags seen, the flag awaiting a value. */
function walk(root: Command, words: readonly string[]): Context {
  let cmd = root;
  const flags: GlobalFlags = {};
  const positional: string[] = [];
  let pending: Option | undefined;
  for (const w of words) {
    if (pending) {
      record(flags, pending, w);
      pending = undefined;
      continue;
    }
    if (w.startsWith("-") && w !== "-") {
      const [name, value] = w.includes("=")
        ? [w.slice(0, w.indexOf("=")), w.slice(w.indexOf("=") + 1)]
        : [w, undefined];
      const o = findOption(cmd, name);
      if (o && takesValue(o) && value === undefined && o.long !== "--wait") pending = o;
      else if (o && value !== undefined) record(flags, o, value);
      continue;
    }
    const sub = cmd.commands.find((c) => c.name() === w || c.aliases().includes(w));
    if (sub && positional.length === 0) cmd = sub;
    else positional.push(w);
  }
  return { cmd, ...(pending ? { awaiting: pending } : {}), flags, positional };
}

function record(flags: GlobalFlags, o: Option, value: string): void {
  if (o.long === "--context") flags.context = value.split(",").at(-1)!;
  else if (o.long === "--namespace") flags.namespace = value;
  else if (o.long === "--kubeconfig") flags.kubeconfig = value;
}

/** What `__complete` prints for `args` (the last one is the word being completed). */
export async function complete(root: Command, args: readonly string[]): Promise<string[]> {
  const word = args.at(-1) ?? "";
  const ctx = walk(root, args.slice(0, -1));
  const { candidates, directive } = await candidatesFor(ctx, word);
  const matching = candidates.filter((c) => c.split("\t")[0]!.startsWith(word));
  return [...matching, `:${directive}`];
}

async function candidatesFor(ctx: Context, word: string): Promise<{ candidates: string[]; directive: number }> {
  const none = { candidates: [] as string[], directive: NO_FILE_COMP };
  // A flag's value: --flag VALUE, or --flag=VALUE in the word itself.
  let flag = ctx.awaiting;
  let prefix = "";
  if (!flag && word.startsWith("--") && word.includes("=")) {
    flag = findOption(ctx.cmd, word.slice(0, word.indexOf("=")));
    prefix = word.slice(0, word.indexOf("=") + 1);
  }
  if (flag) {
    const values = await flagValues(flag, ctx, word.slice(prefix.length));
    if (values === "files") return { candidates: [], directive: DEFAULT };
    return { candidates: values.map((v) => prefix + v), directive: NO_FILE_COMP };
  }
  if (word.startsWith("-")) {
    const out: string[] = [];
    for (let c: Command | null = ctx.cmd; c; c = c.parent) {
      for (const o of c.options) {
        if (o.hidden || !o.long) continue;
        out.push(`${o.long}\t${o.description}`);
      }
    }
    return { candidates: out, directive: NO_FILE_COMP };
  }
  const subs = ctx.cmd.commands.filter((c) => !(c as Command & { _hidden?: boolean })._hidden);
  if (subs.length > 0) {
    return { candidates: subs.map((c) => `${c.name()}\t${c.description()}`), directive: NO_FILE_COMP };
  }
  switch (ctx.cmd.name()) {
    case "completion":
      return ctx.positional.length === 0 ? { candidates: [...COMPLETION_SHELLS], directive: NO_FILE_COMP } : none;
    case "status":
    case "sync":
    case "explain":
      return { candidates: await fromCluster(ctx.flags, "externalsecrets"), directive: NO_FILE_COMP };
    case "where-used":
    case "get":
    case "versions":
      // Key Vault secret names as the cluster's ExternalSecrets name them (no vault access while typing).
      return ctx.positional.length === 0 ? { candidates: await remoteKeys(ctx.flags), directive: NO_FILE_COMP } : none;
    default:
      return none;
  }
}

async function flagValues(o: Option, ctx: Context, value: string): Promise<string[] | "files"> {
  switch (o.long) {
    case "--context": {
      // Comma-separated: complete the last name, keep the others.
      const head = value.includes(",") ? value.slice(0, value.lastIndexOf(",") + 1) : "";
      return (await contextNames(ctx.flags)).map((c) => head + c);
    }
    case "--namespace":
      return await fromCluster(ctx.flags, "namespaces");
    case "--output":
      return OUTPUT_FORMATS.map((f) => (f === "jsonpath" || f === "custom-columns" ? `${f}=` : f));
    case "--cluster-store":
      return await fromCluster(ctx.flags, "clustersecretstores");
    case "--store":
      return await fromCluster(ctx.flags, "secretstores");
    case "--kubeconfig":
    case "--file":
    case "--filename":
    case "--values":
    case "--contexts-from":
      return "files";
    default:
      return [];
  }
}

async function contextNames(flags: GlobalFlags): Promise<string[]> {
  try {
    const { loadKubeconfig } = await import("../controller/kube/mod.ts");
    const config = await loadKubeconfig(flags.kubeconfig !== undefined ? { kubeconfig: flags.kubeconfig } : {});
    return [...config.contexts.keys()];
  } catch {
    return [];
  }
}

/** Names from the cluster the flags point at, or none when it cannot answer within 2 s. */
async function fromCluster(
  flags: GlobalFlags,
  what: "namespaces" | "externalsecrets" | "secretstores" | "clustersecretstores",
): Promise<string[]> {
  try {
    const { openSession } = await import("./session.ts");
    const kube = await import("../controller/kube/mod.ts");
    const api = await import("../mod.ts");
    const session = await openSession({ ...flags, requestTimeoutMs: 2000 }, () => {});
    try {
      const c = session.client;
      const ns = flags.namespace ?? session.namespace;
      const list = what === "namespaces"
        ? await c.list(kube.namespaces, { limit: 500 })
        : what === "externalsecrets"
        ? await c.list(api.externalSecrets, { namespace: ns, limit: 500 })
        : what === "secretstores"
        ? await c.list(api.secretStores, { namespace: ns, limit: 500 })
        : await c.list(api.clusterSecretStores, { limit: 500 });
      return list.items.map((i) => i.metadata?.name ?? "").filter((n) => n !== "").sort();
    } finally {
      session.close();
    }
  } catch {
    return [];
  }
}

/** The Key Vault keys the ExternalSecrets in every namespace read (`data[].remoteRef.key`, `dataFrom[].extract.key`). */
async function remoteKeys(flags: GlobalFlags): Promise<string[]> {
  try {
    const { openSession } = await import("./session.ts");
    const api = await import("../mod.ts");
    const session = await openSession({ ...flags, requestTimeoutMs: 2000 }, () => {});
    try {
      const list = await session.client.list(api.externalSecrets, { limit: 500 });
      const keys = new Set<string>();
      for (const es of list.items) {
        for (const d of es.spec.data ?? []) keys.add(d.remoteRef.key.replace(/^secret\//, ""));
        for (const d of es.spec.dataFrom ?? []) if (d.extract) keys.add(d.extract.key.replace(/^secret\//, ""));
      }
      return [...keys].sort();
    } finally {
      session.close();
    }
  } catch {
    return [];
  }
}

/** The completion script for `shell`; the completions come from `kubectl-externalsecret __complete`. */
export function completionScript(shell: typeof COMPLETION_SHELLS[number]): string {
  switch (shell) {
    case "bash":
      return `# bash completion for kubectl-externalsecret (also: kubectl externalsecret, through kubectl_complete-externalsecret)
# source <(kubectl-externalsecret completion bash)
_kubectl_externalsecret() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" out directive c
  out=$(kubectl-externalsecret __complete "\${COMP_WORDS[@]:1:COMP_CWORD-1}" "$cur" 2>/dev/null) || return 0
  directive=\${out##*:}
  out=\${out%:*}
  COMPREPLY=()
  local IFS=$'\\n'
  for c in $out; do
    [ -n "$c" ] && COMPREPLY+=("\${c%%$'\\t'*}")
  done
  if [ "\${#COMPREPLY[@]}" -eq 0 ] && [ $((directive & 4)) -eq 0 ]; then
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
  return 0
}
complete -o nosort -F _kubectl_externalsecret kubectl-externalsecret 2>/dev/null ||
  complete -F _kubectl_externalsecret kubectl-externalsecret`;
    case "zsh":
      return `#compdef kubectl-externalsecret
# zsh completion for kubectl-externalsecret: source <(kubectl-externalsecret completion zsh)
_kubectl_externalsecret() {
  local -a lines comps
  local out directive line
  out=$(kubectl-externalsecret __complete "\${(@)words[2,CURRENT-1]}" "\${words[CURRENT]}" 2>/dev/null) || return 1
  lines=("\${(@f)out}")
  directive=\${lines[-1]#:}
  for line in "\${(@)lines[1,-2]}"; do
    [[ -n $line ]] && comps+=("\${line//:/\\\\:}")
  done
  comps=("\${(@)comps//$'\\t'/:}")
  if (( \${#comps} == 0 )) && (( (directive & 4) == 0 )); then
    _files
  else
    _describe 'kubectl-externalsecret' comps
  fi
}
compdef _kubectl_externalsecret kubectl-externalsecret`;
    case "fish":
      return `# fish completion for kubectl-externalsecret: kubectl-externalsecret completion fish | source
function __kubectl_externalsecret_complete
  set -l args (commandline -opc)[2..-1]
  kubectl-externalsecret __complete $args (commandline -ct) 2>/dev/null | string match -v -r '^:'
end
complete -c kubectl-externalsecret -f -a '(__kubectl_externalsecret_complete)'`;
  }
}

/** The `kubectl_complete-externalsecret` executable kubectl (≥ 1.26) runs to complete `kubectl externalsecret`. */
export function kubectlCompleteScript(): string {
  return [
    "#!/bin/sh",
    "# kubectl_complete-externalsecret: kubectl (>= 1.26) runs it to complete `kubectl externalsecret ...`;",
    "# written by `deno task build:plugin` (kubectl-plugin/build.ts) beside kubectl-externalsecret; do not edit.",
    'd=$(dirname "$0")',
    'if [ -x "$d/kubectl-externalsecret" ]; then exec "$d/kubectl-externalsecret" __complete "$@"; fi',
    'exec kubectl-externalsecret __complete "$@"',
    "",
  ].join("\n");
}
