import assert from "node:assert/strict";
import { compileBlocker, exposeCommonJsExports, PLUGIN_PERMISSIONS, wrapperScript } from "./build.ts";
import { TARGETS } from "../tools/compile.ts";

Deno.test("wrapperScript(): exec deno run --cached-only with the plugin's permissions, passing every argument", () => {
  const s = wrapperScript("/opt/deno it's/deno", "/repo/dist/plugin/main.js", PLUGIN_PERMISSIONS);
  const lines = s.split("\n");
  assert.equal(lines[0], "#!/bin/sh");
  assert.equal(
    lines[2],
    `exec '/opt/deno it'\\''s/deno' run --quiet --no-config --cached-only --allow-net --allow-read --allow-env ` +
      `--allow-sys --allow-run '/repo/dist/plugin/main.js' "$@"`,
  );
  assert.deepEqual(PLUGIN_PERMISSIONS, TARGETS["plugin"]!.permissions, "the same permissions as the compiled binary");
});

Deno.test("compileBlocker(): a clear message when neither DENORT_BIN nor the network can provide denort", () => {
  assert.equal(compileBlocker(undefined, false, true), undefined);
  assert.equal(compileBlocker("/opt/denort", true, false), undefined);
  assert.match(compileBlocker("/opt/denort", false, false)!, /DENORT_BIN=\/opt\/denort does not exist/);
  const offline = compileBlocker(undefined, false, false)!;
  assert.match(offline, /dl\.deno\.land cannot be reached/);
  assert.match(offline, /DENORT_BIN=\/path\/to\/denort deno task compile:plugin/);
});

Deno.test("exposeCommonJsExports(): a chunk exporting only a CommonJS default gets named exports too", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/cjs.js`,
      "function r(){return {parse:(s)=>s+'!',stringify:1,delete:2,'a-b':3}}\nexport default r();\n",
    );
    await Deno.writeTextFile(`${dir}/esm.js`, "export const x = 1;\n");
    assert.deepEqual(await exposeCommonJsExports(dir), ["cjs.js"]);
    const m = await import(`file://${dir}/cjs.js?after`);
    assert.equal(m.parse("x"), "x!");
    assert.equal(m.stringify, 1);
    assert.equal(m.default.delete, 2, "reserved words stay reachable through default");
    assert.equal(await Deno.readTextFile(`${dir}/esm.js`), "export const x = 1;\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
