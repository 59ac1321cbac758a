// `deno task dev:vault` end to end: the printed lines are exactly the six exports, a separate SDK program
// configured only by them reads the seeded secret, and Ctrl-C (SIGINT) stops it cleanly.
import assert from "node:assert/strict";
import { runProbe } from "./testing.ts";

const ROOT = new URL("../../../", import.meta.url).pathname;
const NAMES = [
  "AZURE_AUTHORITY_HOST",
  "NODE_EXTRA_CA_CERTS",
  "AZURE_TENANT_ID",
  "AZURE_CLIENT_ID",
  "AZURE_CLIENT_SECRET",
  "KEYVAULT_URL",
];

async function readLines(stream: ReadableStream<Uint8Array>, count: number): Promise<string[]> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  try {
    while (text.split("\n").length <= count) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
  } finally {
    await reader.cancel();
  }
  return text.split("\n").slice(0, count);
}

Deno.test("deno task dev:vault prints the six export lines; an SDK program using only them works; SIGINT stops it", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "dev:vault", "--seed", "tests/harness/azure/testdata/demo_seed.yaml"],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  try {
    const lines = await readLines(child.stdout, NAMES.length);
    assert.deepEqual(lines.map((l) => l.split("=")[0]), NAMES.map((n) => `export ${n}`));
    const env = Object.fromEntries(lines.map((l) => {
      const m = /^export ([A-Z_]+)=(\S+)$/.exec(l);
      assert.ok(m?.[1] && m[2], `not a paste-able line: ${l}`);
      return [m[1], m[2]];
    }));
    assert.match(env.AZURE_AUTHORITY_HOST ?? "", /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.match(env.KEYVAULT_URL ?? "", /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.ok((await Deno.stat(env.NODE_EXTRA_CA_CERTS ?? "")).isFile);

    const result = await runProbe(["environment"], { ...env, SECRET_NAME: "docker-config-json" });
    assert.equal(result.ok, true, JSON.stringify(result.error));
    assert.ok(JSON.parse(result.value ?? "").auths["myregistry.azurecr.io"]);
  } finally {
    child.kill("SIGINT");
    const status = await child.status;
    const err = await stderr;
    assert.equal(status.code, 0, err);
    assert.match(err, /# admin API: http:\/\/127\.0\.0\.1:\d+\/_admin/);
  }
});
