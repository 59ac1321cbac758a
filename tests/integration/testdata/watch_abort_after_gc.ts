// Run by watch_abort_test.ts with --v8-flags=--expose-gc: watches Secrets, forces garbage collections, aborts, and
// exits 0 only if the watcher ended promptly (Deno 2.9 loses fetch aborts once the Response is collected).
import { createKubeClient, secrets, Watcher } from "../../../controller/kube/mod.ts";

const client = await createKubeClient({ kubeconfig: Deno.args[0]! });
const root = new AbortController();
const w = new Watcher(client, secrets, { signal: root.signal });
const done = (async () => {
  for await (const _ of w) { /* drain */ }
})();
while (!w.health.connected) await new Promise((r) => setTimeout(r, 20));
for (let i = 0; i < 3; i++) (globalThis as { gc?: () => void }).gc?.();
root.abort();
const timer = setTimeout(() => Deno.exit(3), 3000);
await done;
clearTimeout(timer);
client.close();
