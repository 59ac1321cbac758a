/**
 * Regression: a watch must end when its signal aborts even after garbage collections. In Deno 2.9 a fetch abort no
 * longer ends the body once the Response was collected; the controller then hung on SIGTERM (docs/design.md).
 */
import assert from "node:assert/strict";
import { startControlPlane } from "../harness/control_plane.ts";

Deno.test("a watch ends promptly on abort after garbage collections", async () => {
  const cp = await startControlPlane({ crds: false });
  try {
    const script = new URL("./testdata/watch_abort_after_gc.ts", import.meta.url).pathname;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", "--v8-flags=--expose-gc", script, cp.kubeconfigPath],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(
      out.code,
      0,
      `exit ${out.code} (3 = still watching 3 s after abort): ${new TextDecoder().decode(out.stderr)}`,
    );
  } finally {
    await cp.stop();
  }
});
