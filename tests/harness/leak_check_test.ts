import assert from "node:assert/strict";
import { addCanary, findLeaks } from "./leak_check.ts";

Deno.test("findLeaks(): a canary in any form is found and reported without its value", () => {
  const v = "Leak-Canary-0f9e8d7c";
  addCanary(v);
  addCanary("short"); // under 8 characters: not a canary
  const hex = new TextEncoder().encode(v).toHex();
  for (const form of [v, btoa(v), hex, v.toUpperCase(), v.toLowerCase()]) {
    const hits = findLeaks({ "the controller's output": `{"msg":"x","error":"${form}"}` });
    assert.deepEqual(hits, ["a Key Vault value (20 characters) appeared in the controller's output"], form);
    assert.ok(!hits[0]!.includes(v));
  }
  assert.deepEqual(findLeaks({ status: "short and sweet, [REDACTED]" }), []);
});
