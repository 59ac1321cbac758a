import assert from "node:assert/strict";
import { CliError } from "./errors.ts";
import { parseExternalSecrets, renderTarget } from "./render.ts";

Deno.test("render: the controller's template limits apply (a hostile template fails fast with the limit named)", async () => {
  const [es] = await parseExternalSecrets(
    `kind: ExternalSecret
metadata: {name: hostile}
spec:
  target: {template: {data: {x: "{{ range until 1000000000 }}{{ end }}", y: "{{ randAlphaNum 500000000 }}"}}}
  data: [{secretKey: k, remoteRef: {key: k}}]
`,
    "hostile.yaml",
  );
  const t0 = performance.now();
  await assert.rejects(
    () => renderTarget(es!, { k: "v" }),
    (e: unknown) =>
      e instanceof CliError &&
      /ExternalSecret hostile: template x: template: x:1:\d+: .*template limit: a list of 1000000000 elements/.test(
        e.message,
      ),
  );
  assert.ok(performance.now() - t0 < 5_000);
});
