import assert from "node:assert/strict";
import { generateAll } from "./codegen.ts";

Deno.test("crds/ and controller/api/types.ts are what `deno task codegen` generates from schema.ts", async () => {
  const root = new URL("../../", import.meta.url);
  for (const file of await generateAll()) {
    const committed = await Deno.readTextFile(new URL(file.path, root));
    assert.equal(committed, file.text, `${file.path} is stale: run \`deno task codegen\``);
  }
});
