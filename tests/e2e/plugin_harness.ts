/**
 * What the plugin's end-to-end tests share: the plugin built as it ships (`build:plugin`'s code-split bundle and
 * `#!/bin/sh` wrapper, into a temporary directory so parallel builds of `dist/` cannot interfere) and run by the
 * real `kubectl`, which finds `kubectl-externalsecret` on `PATH`; plus small helpers for waiting and reading objects.
 *
 * @module
 */
import assert from "node:assert/strict";
import { stringify } from "yaml";
import { buildPlugin } from "../../kubectl-plugin/build.ts";
import { type CommandResult, type ControlPlane, run } from "../harness/control_plane.ts";

export {
  eventually,
  getJson,
  ready as readyOf,
  secretValue as decode,
  SEED_DIR as SEED,
  seedManifest as seedDoc,
} from "../harness/scenario.ts";

/** A built plugin: the directory to put on `PATH`, and a runner through the real kubectl. */
export interface BuiltPlugin {
  binDir: string;
  /** `kubectl externalsecret ARGS`, with `KUBECONFIG` and `PATH` set; `env` adds variables. */
  kubectl(args: string[], opts?: { env?: Record<string, string>; stdin?: string }): Promise<CommandResult>;
  /** Every run so far: its arguments and what the plugin printed (to assert that no secret leaked). */
  runs(): { args: string[]; stdout: string; stderr: string }[];
  cleanup(): Promise<void>;
}

/** Builds the plugin into a temporary directory and returns a runner for `kubectl externalsecret ...`. */
export async function buildAndInstallPlugin(
  cp: ControlPlane,
  baseEnv: Record<string, string> = {},
): Promise<BuiltPlugin> {
  const root = await Deno.makeTempDir({ prefix: "kv-plugin-" });
  const wrapper = await buildPlugin(`${root}/`);
  const binDir = wrapper.slice(0, wrapper.lastIndexOf("/"));
  const runs: { args: string[]; stdout: string; stderr: string }[] = [];
  return {
    binDir,
    kubectl: async (args, opts = {}) => {
      const r = await run("kubectl", ["externalsecret", ...args], {
        env: {
          PATH: `${binDir}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`,
          KUBECONFIG: cp.kubeconfigPath,
          ...baseEnv,
          ...opts.env,
        },
        ...(opts.stdin !== undefined ? { stdin: opts.stdin } : {}),
      });
      runs.push({ args, stdout: r.stdout, stderr: r.stderr });
      return r;
    },
    runs: () => [...runs],
    cleanup: () => Deno.remove(root, { recursive: true }),
  };
}

/** `kubectl apply --server-side` of an object or a YAML text, as admin. */
export async function apply(cp: ControlPlane, obj: unknown): Promise<void> {
  const r = await cp.kubectl(["apply", "--server-side", "--field-manager=plugin-test", "-f", "-"], {
    stdin: typeof obj === "string" ? obj : stringify(obj),
  });
  assert.equal(r.code, 0, r.stderr);
}

/** Asserts that none of `values` (nor their base64) appears in `text`. */
export function assertNoSecrets(text: string, values: readonly string[]): void {
  for (const v of values) {
    assert.ok(!text.includes(v), `a secret value (${v.length} chars) appeared in the plugin's output`);
    const b64 = btoa(v);
    assert.ok(!text.includes(b64), `a secret value's base64 appeared in the plugin's output`);
  }
}
