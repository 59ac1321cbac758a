import assert from "node:assert/strict";
import { shellBlock, shellBlocks } from "./doc_commands.ts";

const DOC = [
  "# Title",
  "```sh",
  "kubectl get pods",
  "```",
  "Text.",
  "```yaml",
  "kind: Namespace",
  "```",
  "```bash",
  "kubectl apply -k crds/ \\",
  "  --server-side",
  "```",
  "",
].join("\n");

Deno.test("shellBlocks returns the sh/bash blocks in order, not other languages", () => {
  assert.deepEqual(shellBlocks(DOC), ["kubectl get pods\n", "kubectl apply -k crds/ \\\n  --server-side\n"]);
});

Deno.test("shellBlock finds the first match and names what is missing", () => {
  assert.equal(shellBlock(DOC, "kubectl apply", (b) => b.includes("kubectl apply")), shellBlocks(DOC)[1]);
  assert.throws(
    () => shellBlock(DOC, "kubectl delete", (b) => b.includes("kubectl delete")),
    /no shell block with kubectl delete/,
  );
});
