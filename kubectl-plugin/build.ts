/**
 * Installation of the plugin.
 *
 * - `deno task build:plugin`: bundles `kubectl-plugin/main.ts` with code splitting into `dist/plugin/` (each
 *   command's modules — the Kubernetes client, the Azure SDK, the template engine — in chunks loaded only when that
 *   command runs), and writes the executable `dist/bin/kubectl-externalsecret`, a `#!/bin/sh` launcher that runs the
 *   bundle (found relative to itself) with a fixed permission set and the Deno beside it (`dist/bin/deno`, a link to
 *   this Deno) or on PATH. Put `dist/bin` on `PATH` and kubectl finds the plugin. The release archives
 *   (tools/release.ts) hold the same launcher and bundle, without the link.
 * - `deno task compile:plugin`: the same bundle as one binary, `dist/kubectl-externalsecret`, with `deno compile`.
 *   That needs the `denort` runtime, downloaded from dl.deno.land unless `DENORT_BIN` names one; without either it
 *   stops with a message that says so.
 *
 * @module
 */
// deno-lint-ignore-file no-console -- a build script: its output is for people.
import { kubectlCompleteScript } from "./completion.ts";

/** The permissions the plugin runs with: the apiserver and vaults (net), kubeconfig and files (read), KUBECONFIG and
 * AZURE_* (env), node:os/tls (sys), exec credential plugins and `az` (run). */
export const PLUGIN_PERMISSIONS: readonly string[] = [
  "--allow-net",
  "--allow-read",
  "--allow-env",
  "--allow-sys",
  "--allow-run",
];

const ROOT = new URL("../", import.meta.url).pathname;
const ENTRY = "kubectl-plugin/main.ts";
const BUNDLE_DIR = "dist/plugin";
const BIN_DIR = "dist/bin";
const COMPILED = "dist/kubectl-externalsecret";

function quote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/**
 * The launcher kubectl runs: `exec deno run --quiet --no-config --cached-only <permissions> <bundle> "$@"`, with the
 * bundle found relative to the launcher's own real location (krew links it into ~/.krew/bin) and `deno` taken from
 * beside the launcher if there is one (a local build links the pinned Deno there), else from PATH. No absolute
 * paths, so the same file works on any machine and in any directory.
 */
export function wrapperScript(bundleRelative: string, permissions: readonly string[]): string {
  if (bundleRelative.startsWith("/")) throw new Error(`the bundle's path must be relative, not ${bundleRelative}`);
  return [
    "#!/bin/sh",
    "# kubectl-externalsecret: written by kubectl-plugin/build.ts; do not edit. Runs the plugin's bundle with Deno 2.",
    "set -e",
    "self=$0",
    'while [ -L "$self" ]; do',
    '  link=$(readlink "$self")',
    '  case $link in /*) self=$link ;; *) self=$(dirname "$self")/$link ;; esac',
    "done",
    'dir=$(CDPATH= cd -- "$(dirname -- "$self")" && pwd)',
    'if [ -x "$dir/deno" ]; then deno=$dir/deno; else deno=$(command -v deno || true); fi',
    'if [ -z "$deno" ]; then',
    '  echo "kubectl-externalsecret needs Deno 2 (https://deno.com) on PATH" >&2',
    "  exit 127",
    "fi",
    `exec "$deno" run --quiet --no-config --cached-only ${permissions.join(" ")} "$dir"/${quote(bundleRelative)} "$@"`,
    "",
  ].join("\n");
}

async function deno(args: string[]): Promise<{ ok: boolean; stderr: string }> {
  const r = await new Deno.Command(Deno.execPath(), { args, cwd: ROOT, stdout: "inherit", stderr: "piped" }).output();
  const stderr = new TextDecoder().decode(r.stderr);
  if (stderr) console.error(stderr.trimEnd());
  return { ok: r.success, stderr };
}

const RESERVED = new Set(
  ("break case catch class const continue debugger default delete do else enum export extends false finally for " +
    "function if import in instanceof new null return super switch this throw true try typeof var void while with " +
    "yield let static implements interface package private protected public await arguments eval").split(" "),
);

/**
 * With code splitting, esbuild turns `await import("yaml")` of a CommonJS package (yaml resolves to its CommonJS
 * build under Deno) into a chunk ending in `export default require_x();`: the module namespace then has only
 * `default`, and `(await import("yaml")).parse` (as `controller/kube/kubeconfig.ts` writes it) is undefined. This
 * adds the CommonJS module's own properties as named exports of such chunks; the names are read by loading the
 * chunk once here.
 */
export async function exposeCommonJsExports(dir: string): Promise<string[]> {
  const patched: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isFile || !entry.name.endsWith(".js")) continue;
    const path = `${dir}/${entry.name}`;
    const text = await Deno.readTextFile(path);
    const m = /export default ([\w$]+\(\));?\s*$/.exec(text);
    if (!m) continue;
    const mod = await import(`file://${path}?names`) as { default?: unknown };
    const value = mod.default;
    if (value === null || (typeof value !== "object" && typeof value !== "function")) continue;
    const names = Object.keys(value).filter((k) => /^[A-Za-z_$][\w$]*$/.test(k) && !RESERVED.has(k));
    if (names.length === 0) continue;
    const tail = `const __cjs=${m[1]};export default __cjs;export const{${names.join(",")}}=__cjs;\n`;
    await Deno.writeTextFile(path, text.slice(0, m.index) + tail);
    patched.push(entry.name);
  }
  return patched;
}

/**
 * Bundles the plugin into `<outRoot>dist/plugin/` and writes the wrapper `<outRoot>dist/bin/kubectl-externalsecret`
 * (`outRoot` defaults to the repository; tests build into a temporary directory); returns the wrapper's path.
 */
export async function buildPlugin(outRoot: string = ROOT): Promise<string> {
  await Deno.remove(`${outRoot}${BUNDLE_DIR}`, { recursive: true }).catch(() => {});
  const b = await deno([
    "bundle",
    "--quiet",
    "--platform",
    "deno",
    "--code-splitting",
    "--minify",
    "--outdir",
    `${outRoot}${BUNDLE_DIR}`,
    ENTRY,
  ]);
  if (!b.ok) throw new Error(`deno bundle ${ENTRY} failed`);
  await exposeCommonJsExports(`${outRoot}${BUNDLE_DIR}`);
  await Deno.mkdir(`${outRoot}${BIN_DIR}`, { recursive: true });
  const wrapper = `${outRoot}${BIN_DIR}/kubectl-externalsecret`;
  await Deno.writeTextFile(wrapper, wrapperScript("../plugin/main.js", PLUGIN_PERMISSIONS));
  await Deno.chmod(wrapper, 0o755);
  // A local build runs with the pinned Deno, linked beside the launcher (the launcher prefers it to PATH's).
  const denoLink = `${outRoot}${BIN_DIR}/deno`;
  await Deno.remove(denoLink).catch(() => {});
  await Deno.symlink(Deno.execPath(), denoLink);
  const completer = `${outRoot}${BIN_DIR}/kubectl_complete-externalsecret`;
  await Deno.writeTextFile(completer, kubectlCompleteScript());
  await Deno.chmod(completer, 0o755);
  return wrapper;
}

/** Why `deno compile` cannot work here, or undefined when it can try (pure, for tests). */
export function compileBlocker(denort: string | undefined, denortExists: boolean, online: boolean): string | undefined {
  if (denort !== undefined) {
    return denortExists
      ? undefined
      : `DENORT_BIN=${denort} does not exist: point it at a denort binary for Deno ${Deno.version.deno}`;
  }
  if (online) return undefined;
  return `deno compile needs the denort runtime for Deno ${Deno.version.deno}, and dl.deno.land cannot be reached.\n` +
    `Download denort-${Deno.build.target}.zip from https://dl.deno.land/release/v${Deno.version.deno}/ on a machine ` +
    `that can, unzip it here, and run: DENORT_BIN=/path/to/denort deno task compile:plugin\n` +
    `Without it, use deno task build:plugin (a wrapper that runs the bundle with deno).`;
}

async function reachable(url: string): Promise<boolean> {
  try {
    const r = await fetch(url, { method: "HEAD", signal: AbortSignal.timeout(4000) });
    await r.body?.cancel();
    return true;
  } catch {
    return false;
  }
}

/**
 * Compiles the bundle into one binary, `dist/kubectl-externalsecret` (or `dist/kubectl-externalsecret-<target>` for
 * another platform's `--target`, e.g. `aarch64-apple-darwin`, as the krew archives need); returns the exit code.
 */
export async function compilePlugin(target?: string): Promise<number> {
  const denort = Deno.env.get("DENORT_BIN") || undefined;
  const exists = denort !== undefined && await Deno.stat(denort).then((s) => s.isFile, () => false);
  const online = denort === undefined && await reachable("https://dl.deno.land/");
  const blocker = compileBlocker(denort, exists, online);
  if (blocker) {
    console.error(`error: ${blocker}`);
    return 1;
  }
  await buildPlugin();
  const output = target ? `${COMPILED}-${target}` : COMPILED;
  const c = await deno([
    "compile",
    "--quiet",
    "--no-config",
    ...PLUGIN_PERMISSIONS,
    ...(target ? ["--target", target] : []),
    "--output",
    output,
    `${BUNDLE_DIR}/main.js`,
  ]);
  if (!c.ok) {
    console.error(`error: deno compile failed${denort ? ` with DENORT_BIN=${denort}` : ""} (see above)`);
    return 1;
  }
  console.log(`${ROOT}${output}`);
  return 0;
}

async function main(mode: string | undefined): Promise<number> {
  if (mode === "compile") return await compilePlugin(Deno.args[1]);
  if (mode !== undefined && mode !== "bundle") {
    console.error("usage: deno run -A kubectl-plugin/build.ts [bundle | compile [TARGET]]");
    return 2;
  }
  const wrapper = await buildPlugin();
  console.log(wrapper);
  console.error(`Put ${ROOT}${BIN_DIR} on PATH; then: kubectl externalsecret --help`);
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args[0]));
