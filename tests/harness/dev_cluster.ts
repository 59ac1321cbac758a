/**
 * `deno task dev:cluster up|down|env`: a local control plane for people, kept running between commands.
 *
 * - `up`   builds the binaries if needed, starts etcd + kube-apiserver in the background, installs the CRDs and prints
 *          the `export KUBECONFIG=...` line;
 * - `env`  prints that line again (`eval "$(deno task -q dev:cluster env)"`);
 * - `down` stops both processes and removes their state.
 *
 * @module
 */
// deno-lint-ignore-file no-console -- a command-line program: its output is for people.
import { type ControlPlaneState, running, startControlPlane, stopPid } from "./control_plane.ts";
import { kvCacheDir } from "./cache_dir.ts";

const STATE_DIR = Deno.env.get("KV_DEV_CLUSTER_DIR") ?? kvCacheDir("dev-cluster");
const STATE_FILE = `${STATE_DIR}/state.json`;

async function readState(): Promise<ControlPlaneState | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(STATE_FILE)) as ControlPlaneState;
  } catch {
    return undefined;
  }
}

async function healthy(state: ControlPlaneState): Promise<boolean> {
  return running(state.apiserverPid) && running(state.etcdPid) &&
    (await Deno.stat(state.kubeconfigPath).then(() => true, () => false));
}

async function down(state: ControlPlaneState | undefined): Promise<void> {
  if (state) {
    await stopPid(state.apiserverPid);
    await stopPid(state.etcdPid);
    await Deno.remove(state.etcdDataDir, { recursive: true }).catch(() => {});
  }
  await Deno.remove(STATE_DIR, { recursive: true }).catch(() => {});
}

async function main(command: string | undefined): Promise<number> {
  const state = await readState();
  switch (command) {
    case "up": {
      if (state && await healthy(state)) {
        console.error(`dev cluster already running at ${state.server}`);
        console.log(`export KUBECONFIG=${state.kubeconfigPath}`);
        return 0;
      }
      await down(state); // leftovers of a half-dead cluster
      const started = performance.now();
      const cp = await startControlPlane({ dir: STATE_DIR, detached: true });
      console.error(`dev cluster up at ${cp.server} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      console.error(
        "users: context admin (system:masters), context alice (no grants); stop it with: deno task dev:cluster down",
      );
      console.log(`export KUBECONFIG=${cp.kubeconfigPath}`);
      return 0;
    }
    case "env": {
      if (!state || !await healthy(state)) {
        console.error("no dev cluster is running: start one with `deno task dev:cluster up`");
        return 1;
      }
      console.log(`export KUBECONFIG=${state.kubeconfigPath}`);
      return 0;
    }
    case "down": {
      if (!state) console.error("no dev cluster state found; nothing to stop");
      await down(state);
      if (state) console.error("dev cluster stopped");
      return 0;
    }
    default:
      console.error("usage: deno task dev:cluster up|down|env");
      return 2;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args[0]));
