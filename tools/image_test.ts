import assert from "node:assert/strict";
import { CONTROLLER_ENV, TARGETS } from "./compile.ts";
import { IMAGE_USER, imageEntrypoint, parseLdd } from "./image.ts";

Deno.test("parseLdd: the libraries and the loader, not the vDSO", () => {
  const out = [
    "\tlinux-vdso.so.1 (0x00007ffd)",
    "\tlibdl.so.2 => /lib/x86_64-linux-gnu/libdl.so.2 (0x00007f9d)",
    "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f9c)",
    "\t/lib64/ld-linux-x86-64.so.2 (0x00007f9e)",
  ].join("\n");
  assert.deepEqual(parseLdd(out), [
    "/lib/x86_64-linux-gnu/libdl.so.2",
    "/lib/x86_64-linux-gnu/libc.so.6",
    "/lib64/ld-linux-x86-64.so.2",
  ]);
  assert.deepEqual(parseLdd("\tnot a dynamic executable"), []);
});

Deno.test("deploy/Dockerfile: each target's entrypoint and user are what tools/image.ts and compile.ts say", () => {
  const text = Deno.readTextFileSync(new URL("../deploy/Dockerfile", import.meta.url));
  const stages = text.split(/^FROM /m).slice(1);
  const targets = new Map(stages.map((s) => [/^scratch AS (\S+)/.exec(s)?.[1], s]));
  assert.deepEqual([...targets.keys()].sort(), ["bundle", "compiled"]);
  for (const variant of ["bundle", "compiled"] as const) {
    const stage = targets.get(variant)!;
    const entry = /^ENTRYPOINT (\[.*\])$/m.exec(stage)?.[1];
    assert.deepEqual(JSON.parse(entry ?? "null"), imageEntrypoint(variant), variant);
    assert.match(stage, new RegExp(`^USER ${IMAGE_USER}$`, "m"));
    const env = Object.fromEntries(
      [...stage.matchAll(/^ENV (.*)$/gm)].flatMap((m) => m[1]!.split(" ").map((kv) => kv.split("=", 2))),
    );
    for (const [k, v] of Object.entries(CONTROLLER_ENV)) assert.equal(env[k], v, `${variant}: ENV ${k}`);
    for (const label of ["version", "revision", "source"]) {
      assert.match(stage, new RegExp(`org\\.opencontainers\\.image\\.${label}=\\$`), `${variant}: ${label} label`);
    }
  }
  for (const p of TARGETS.controller!.permissions) assert.ok(imageEntrypoint("bundle").includes(p), p);
});
