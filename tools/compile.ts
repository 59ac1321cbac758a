/**
 * `deno task compile` / `compile:plugin`: the single binaries. Bundles the entry point first (a 2 MB embedded payload
 * instead of ~95 MB of node_modules), then runs `deno compile` on the bundle with the binary's permission set.
 *
 * `deno compile` needs `denort`, which it downloads from dl.deno.land; machines that cannot reach it must provide
 * one with `DENORT_BIN=/path/to/denort`. When neither works, this says so plainly.
 *
 * @module
 */
// deno-lint-ignore-file no-console -- a build script: its output is for people.

/**
 * The flags each binary runs with (the tests run the same bundle with the same flags): its permissions and, for the
 * controller, a small V8 heap: 1 MB young-generation semi-spaces (V8's 16 MB default let RSS grow ≈70 MB under a
 * sync burst for garbage that dies young) and an old generation that grows by 30 % of the live size between full
 * collections instead of up to 4× (1,000 ExternalSecrets: 25 MB live, 63 MB held) — `docs/benchmarks.md`.
 */
export const TARGETS: Record<string, { entry: string; output: string; permissions: string[] }> = {
  controller: {
    entry: "controller/main.ts",
    output: "dist/kv-operator",
    permissions: [
      "--allow-net",
      "--allow-read",
      "--allow-env",
      "--allow-sys",
      "--allow-run",
      "--v8-flags=--max-semi-space-size=1,--heap-growing-percent=30",
    ],
  },
  plugin: {
    entry: "kubectl-plugin/main.ts",
    output: "dist/kubectl-externalsecret",
    permissions: ["--allow-net", "--allow-read", "--allow-env", "--allow-sys", "--allow-run"],
  },
};

/**
 * glibc malloc settings the controller runs with (the image sets them; a binary run by hand needs them in its
 * environment, as `deno compile` cannot carry them): one arena instead of one per thread, freed memory given back
 * above 64 KiB at the top of the heap, and allocations of 32 KiB or more mapped on their own so that they go back to
 * the system when freed. Glibc's defaults kept freed memory of a sync burst resident: 1,000 ExternalSecrets peaked at
 * 167 MB without them, 147 MB with them (`docs/benchmarks.md`).
 */
export const CONTROLLER_ENV: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: "1",
  MALLOC_TRIM_THRESHOLD_: "65536",
  MALLOC_MMAP_THRESHOLD_: "32768",
};

async function run(args: string[], cwd: string): Promise<{ ok: boolean; stderr: string }> {
  const r = await new Deno.Command(Deno.execPath(), { args, cwd, stdout: "inherit", stderr: "piped" }).output();
  const stderr = new TextDecoder().decode(r.stderr);
  await Deno.stderr.write(r.stderr);
  return { ok: r.success, stderr };
}

async function main(name: string | undefined): Promise<number> {
  const target = name ? TARGETS[name] : undefined;
  if (!target) {
    console.error(`usage: deno run -A tools/compile.ts ${Object.keys(TARGETS).join("|")}`);
    return 2;
  }
  const root = new URL("../", import.meta.url).pathname;
  await Deno.mkdir(`${root}dist`, { recursive: true });
  const bundlePath = `${target.output}.bundle.js`;
  console.error(`bundling ${target.entry} -> ${bundlePath}`);
  const b = await run(["bundle", "--quiet", "--platform", "deno", "-o", bundlePath, target.entry], root);
  if (!b.ok) return 1;
  const denort = Deno.env.get("DENORT_BIN");
  console.error(`compiling ${bundlePath} -> ${target.output}${denort ? ` (denort: ${denort})` : ""}`);
  const c = await run(["compile", "--no-config", ...target.permissions, "--output", target.output, bundlePath], root);
  if (c.ok) return 0;
  if (!denort && /dl\.deno\.land|denort|dns error|Connect|failed to lookup/i.test(c.stderr)) {
    console.error(
      `\ndeno compile needs the denort runtime for Deno ${Deno.version.deno}, and this machine cannot download it.\n` +
        `Provide one and run again: DENORT_BIN=/path/to/denort deno task compile${
          name === "plugin" ? ":plugin" : ""
        }\n` +
        `(denort-${Deno.build.target}.zip from https://dl.deno.land/release/v${Deno.version.deno}/). ` +
        `The bundle ${bundlePath} runs as is: deno run ${target.permissions.join(" ")} ${bundlePath}`,
    );
  }
  return 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args[0]));
