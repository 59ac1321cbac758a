import assert from "node:assert/strict";
import { compileBlocker, exposeCommonJsExports, PLUGIN_PERMISSIONS, wrapperScript } from "./build.ts";
import { TARGETS } from "../tools/compile.ts";

Deno.test("wrapperScript(): exec deno run --cached-only with the plugin's permissions; no absolute path", () => {
  const s = wrapperScript("plugin/it's/main.js", PLUGIN_PERMISSIONS);
  const lines = s.split("\n");
  assert.equal(lines[0], "#!/bin/sh");
  assert.equal(
    lines.at(-2),
    `exec "$deno" run --quiet --no-config --cached-only --allow-net --allow-read --allow-env ` +
      `--allow-sys --allow-run "$dir"/'plugin/it'\\''s/main.js' "$@"`,
  );
  assert.deepEqual(
    lines.slice(1).filter((l) => /(^|[\s='"])\/[a-z]/.test(l)),
    [],
    "no absolute path after the shebang",
  );
  assert.throws(() => wrapperScript("/repo/dist/plugin/main.js", PLUGIN_PERMISSIONS), /must be relative/);
  assert.deepEqual(PLUGIN_PERMISSIONS, TARGETS["plugin"]!.permissions, "the same permissions as the compiled binary");
});

Deno.test("wrapperScript(): found through a symlink, from any directory, with deno only on PATH", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/store/v1/plugin`, { recursive: true });
    await Deno.mkdir(`${dir}/bin`);
    await Deno.mkdir(`${dir}/denobin`);
    await Deno.writeTextFile(`${dir}/store/v1/plugin/main.js`, "console.log(JSON.stringify(Deno.args));\n");
    await Deno.writeTextFile(`${dir}/store/v1/kubectl-x`, wrapperScript("plugin/main.js", PLUGIN_PERMISSIONS));
    await Deno.chmod(`${dir}/store/v1/kubectl-x`, 0o755);
    await Deno.symlink("../store/v1/kubectl-x", `${dir}/bin/kubectl-x`);
    await Deno.symlink(Deno.execPath(), `${dir}/denobin/deno`);
    const run = (path: string) =>
      new Deno.Command(`${dir}/bin/kubectl-x`, {
        args: ["a b", "--c"],
        cwd: "/",
        env: { PATH: path, DENO_DIR: `${dir}/cache` },
        clearEnv: true,
        stdout: "piped",
        stderr: "piped",
      }).output();
    const ok = await run(`${dir}/denobin:/usr/bin:/bin`);
    assert.equal(new TextDecoder().decode(ok.stderr), "");
    assert.equal(new TextDecoder().decode(ok.stdout).trim(), JSON.stringify(["a b", "--c"]));
    const none = await run("/usr/bin:/bin");
    assert.equal(none.code, 127);
    assert.match(new TextDecoder().decode(none.stderr), /needs Deno 2 .* on PATH/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
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
