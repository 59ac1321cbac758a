import assert from "node:assert/strict";
import * as lib from "./mod.ts";

Deno.test("mod.ts exports the template engine, the planner and ESO's hashes", async () => {
  assert.equal(
    lib.renderTemplate("{{ .user }}:{{ .password | b64enc }}", { user: "jenkins", password: "s3cret" }),
    "jenkins:czNjcmV0",
  );
  assert.throws(() => lib.renderTemplate("{{ .missing }}", {}), lib.TemplateError);
  assert.equal(lib.parseGoDuration("24h"), 86_400_000);
  const plan = await lib.planSync({
    es: {
      apiVersion: "external-secrets.io/v1",
      kind: "ExternalSecret",
      metadata: { name: "x", namespace: "n", uid: "u" },
      spec: { data: [{ secretKey: "k", remoteRef: { key: "k" } }] },
    },
    target: undefined,
    values: { k: new TextEncoder().encode("v") },
    now: new Date(0),
  });
  assert.equal(lib.writeOf(plan)?.op, "create");
});
