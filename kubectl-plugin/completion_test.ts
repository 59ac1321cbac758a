import assert from "node:assert/strict";
import { complete, completionScript, kubectlCompleteScript } from "./completion.ts";
import { program } from "./main.ts";
import { Output } from "./output.ts";

const root = () =>
  program(new Output({ out: () => {}, err: () => {}, outIsTerminal: false, errIsTerminal: false }), () => {});
const values = (lines: string[]): string[] => lines.slice(0, -1).map((l) => l.split("\t")[0]!);

Deno.test("complete(): commands, subcommands, flags (own and global), -o values, shells; directive last", async () => {
  const st = await complete(root(), ["st"]);
  assert.deepEqual(values(st), ["status"]);
  assert.equal(st.at(-1), ":4");
  assert.match(st[0]!, /^status\tshow ExternalSecrets/);
  assert.deepEqual(values(await complete(root(), ["vault", ""])), ["get", "list", "versions", "set"]);
  assert.deepEqual(values(await complete(root(), ["sync", "--wa"])), ["--wait"]);
  assert.deepEqual(values(await complete(root(), ["vault", "set", "--wa"])), ["--wait", "--wave-size"]);
  assert.ok(values(await complete(root(), ["status", "--all-c"])).includes("--all-contexts"), "global flags too");
  assert.deepEqual(values(await complete(root(), ["status", "-o", "j"])), ["json", "jsonpath="]);
  assert.deepEqual(values(await complete(root(), ["status", "--output=y"])), ["--output=yaml"]);
  assert.deepEqual(values(await complete(root(), ["completion", ""])), ["bash", "zsh", "fish"]);
  assert.deepEqual(await complete(root(), ["render", "-f", ""]), [":0"], "file names: the shell's own completion");
});

Deno.test("complete(): --context from the kubeconfig, also after a comma", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const kc = `${dir}/config`;
    await Deno.writeTextFile(
      kc,
      "apiVersion: v1\nkind: Config\nclusters: []\nusers: []\ncontexts:\n" +
        "- {name: east, context: {cluster: a, user: u}}\n- {name: west, context: {cluster: b, user: u}}\n",
    );
    assert.deepEqual(values(await complete(root(), ["--kubeconfig", kc, "status", "--context", ""])), ["east", "west"]);
    assert.deepEqual(values(await complete(root(), ["--kubeconfig", kc, "status", "--context", "east,w"])), [
      "east,west",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("completion scripts call kubectl-externalsecret __complete; kubectl_complete-externalsecret passes args", () => {
  for (const shell of ["bash", "zsh", "fish"] as const) {
    assert.match(completionScript(shell), /kubectl-externalsecret __complete/);
  }
  const s = kubectlCompleteScript();
  assert.match(s, /^#!\/bin\/sh\n/);
  assert.match(s, /exec "\$d\/kubectl-externalsecret" __complete "\$@"/);
});
