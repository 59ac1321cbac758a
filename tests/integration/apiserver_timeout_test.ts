/**
 * The controller's Kubernetes client against a real kube-apiserver that stops answering (frozen with SIGSTOP, so its
 * connections stay open and nothing is refused): an ordinary request ends with a timeout error after the client's
 * request timeout, while a watch opened before keeps its stream (the timeout covers only the wait for its headers)
 * and delivers the next event once the apiserver runs again.
 */
import assert from "node:assert/strict";
import { createKubeClient, KubeNetworkError, secrets, watchEvents } from "../../controller/kube/mod.ts";
import { startControlPlane } from "../harness/control_plane.ts";

Deno.test("an apiserver that stops answering: requests time out, an open watch survives", async () => {
  const cp = await startControlPlane({ crds: false });
  const { apiserverPid } = JSON.parse(await Deno.readTextFile(`${cp.dir}/state.json`)) as { apiserverPid: number };
  using client = await createKubeClient({ kubeconfig: cp.kubeconfigPath, requestTimeoutMs: 1000 });
  const stop = new AbortController();
  let frozen = false;
  try {
    const ns = await cp.newNamespace("timeouts");
    const events: string[] = [];
    const watching = (async () => {
      for await (const ev of watchEvents(client, secrets, { namespace: ns, signal: stop.signal })) {
        if (ev.type === "ADDED") events.push(ev.object.metadata?.name ?? "");
      }
    })().catch((e) => {
      if (!stop.signal.aborted) throw e;
    });
    await client.create(secrets, { metadata: { name: "before" } }, { namespace: ns });
    for (let i = 0; i < 50 && !events.includes("before"); i++) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(events, ["before"]);

    Deno.kill(apiserverPid, "SIGSTOP");
    frozen = true;
    const started = Date.now();
    await assert.rejects(
      client.get(secrets, "before", { namespace: ns }),
      (e: unknown) =>
        e instanceof KubeNetworkError && /no answer from https:\/\/127\.0\.0\.1:\d+ within 1000 ms/.test(e.message),
    );
    const waited = Date.now() - started;
    assert.ok(waited >= 900 && waited < 5000, `gave up after ${waited} ms`);
    await new Promise((r) => setTimeout(r, 1500)); // longer than the request timeout, with the watch open
    Deno.kill(apiserverPid, "SIGCONT");
    frozen = false;

    await client.create(secrets, { metadata: { name: "after" } }, { namespace: ns });
    for (let i = 0; i < 100 && !events.includes("after"); i++) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(events, ["before", "after"], "the watch opened before the freeze delivered the next event");
    stop.abort();
    await watching;
  } finally {
    if (frozen) Deno.kill(apiserverPid, "SIGCONT");
    stop.abort();
    await cp.stop();
  }
});
