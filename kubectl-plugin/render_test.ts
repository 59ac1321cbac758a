import assert from "node:assert/strict";
import { dataHash } from "../controller/reconcile/eso_hash.ts";
import { CliError } from "./errors.ts";
import { decodeForReading, parseExternalSecrets, parseValues, renderTarget } from "./render.ts";

const SEED_ES = new URL("../../shared/seed/manifests/01-externalsecret-regcred.yaml", import.meta.url);

Deno.test("render: the seed's regcred template renders a dockerconfigjson Secret from supplied values", async () => {
  const [es] = await parseExternalSecrets(await Deno.readTextFile(SEED_ES), "01");
  const value = '{"auths":{"zaldre.azurecr.io":{"auth":"cHVsbGVyOnB3"}}}';
  const secret = await renderTarget(es!, { dockerconfig: value });
  assert.equal(secret.metadata?.name, "regcred");
  assert.equal(secret.metadata?.namespace, "jenkins");
  assert.equal(secret.type, "kubernetes.io/dockerconfigjson");
  assert.deepEqual(Object.keys(secret.data ?? {}), [".dockerconfigjson"]);
  assert.equal(atob(secret.data![".dockerconfigjson"]!), value);
  assert.equal(
    secret.metadata?.annotations?.["reconcile.external-secrets.io/data-hash"],
    dataHash({ ".dockerconfigjson": new TextEncoder().encode(value) }),
  );
  assert.equal(decodeForReading(secret).stringData?.[".dockerconfigjson"], value);
  assert.equal(decodeForReading(secret).data, undefined);
});

Deno.test("render: every data[].secretKey needs a value; without a template the values are the data", async () => {
  const [es] = await parseExternalSecrets(
    `apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: app}
spec:
  secretStoreRef: {name: s}
  data:
    - {secretKey: user, remoteRef: {key: u}}
    - {secretKey: pass, remoteRef: {key: p}}
`,
    "es.yaml",
  );
  await assert.rejects(() => renderTarget(es!, { user: "u" }), /no "pass"/);
  const s = await renderTarget(es!, { user: "admin", pass: "pw", extra: "ignored without dataFrom" });
  assert.deepEqual(Object.keys(s.data ?? {}), ["pass", "user"]);
  assert.equal(s.type, "Opaque");
  assert.equal(s.metadata?.namespace, undefined);
});

Deno.test("render: template errors and bad files are reported, not thrown raw", async () => {
  const [es] = await parseExternalSecrets(
    `kind: ExternalSecret
metadata: {name: bad}
spec:
  target: {template: {data: {x: "{{ .missing }}"}}}
  data: [{secretKey: k, remoteRef: {key: k}}]
`,
    "bad.yaml",
  );
  await assert.rejects(
    () => renderTarget(es!, { k: "v" }),
    (e: unknown) => e instanceof CliError && /ExternalSecret bad/.test(e.message),
  );
  await assert.rejects(() => parseExternalSecrets("kind: ConfigMap\n", "cm.yaml"), /contains no ExternalSecret/);
  await assert.rejects(() => parseValues("port: 8080\n", "v.yaml"), /must be a string \(quote it/);
  await assert.rejects(() => parseValues("- a\n", "v.yaml"), /must be a map/);
  assert.deepEqual(await parseValues("", "v.yaml"), {});
});

Deno.test("render: List documents and multi-document files", async () => {
  const list = await parseExternalSecrets(
    `apiVersion: v1
kind: List
items:
  - {kind: ExternalSecret, metadata: {name: a}, spec: {}}
---
kind: ExternalSecret
metadata: {name: b}
spec: {}
`,
    "l.yaml",
  );
  assert.deepEqual(list.map((e) => e.metadata.name), ["a", "b"]);
});
