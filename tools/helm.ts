/**
 * The helm binary: built from the Go module proxy by tools/build_helm.sh the first time (minutes; progress on
 * stderr) and cached under ~/.cache/kv-operator/helm/. For `deno task release` and the chart tests.
 *
 * @module
 */
const SCRIPT = new URL("build_helm.sh", import.meta.url).pathname;

let helmPromise: Promise<string> | undefined;

/** The path of the helm binary, building it once per machine. */
export function ensureHelm(): Promise<string> {
  helmPromise ??= (async () => {
    const out = await new Deno.Command("bash", { args: [SCRIPT], stdout: "piped", stderr: "inherit" }).output();
    if (!out.success) throw new Error(`tools/build_helm.sh exited with code ${out.code} (see above)`);
    return new TextDecoder().decode(out.stdout).trim().split("\n").pop()!;
  })();
  return helmPromise;
}
