// TEMP probe: native memory per response-body read pattern.
import { externalSecrets } from "../../controller/api/resources.ts";
import { createKubeClient, secrets } from "../../controller/kube/mod.ts";
import { startControlPlane } from "../harness/control_plane.ts";
const cp = await startControlPlane();
const client = await createKubeClient({ kubeconfig: cp.kubeconfigPath, context: "admin" });
await cp.kubectl(["create", "namespace", "p"]);
const rss = () => Number(/VmRSS:\s+(\d+)/.exec(Deno.readTextFileSync("/proc/self/status"))![1]) / 1024;
const hwm = () => Number(/VmHWM:\s+(\d+)/.exec(Deno.readTextFileSync("/proc/self/status"))![1]) / 1024;
let next = 0;
const N = 3000;
const t = performance.now();
let maxExt = 0;
await Promise.all(Array.from({ length: 10 }, async () => {
  while (next < N) {
    const i = next++;
    await client.create(secrets, { metadata: { name: `s-${i}` }, data: { v: btoa("x".repeat(100)) } }, {
      namespace: "p",
    });
    const m = Deno.memoryUsage();
    maxExt = Math.max(maxExt, m.external);
  }
}));
console.log(
  `mode=${Deno.args[0]} ${N} creates ${(performance.now() - t).toFixed(0)} ms; rss ${rss().toFixed(0)} MB hwm ${
    hwm().toFixed(0)
  } MB; max external ${(maxExt / 1048576).toFixed(1)} MB; now ${JSON.stringify(Deno.memoryUsage())}`,
);
client.close();
await cp.stop();
