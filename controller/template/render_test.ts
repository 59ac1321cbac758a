import assert from "node:assert/strict";
import { renderSecretTemplate, renderTemplate, stopTemplateWorkers, TemplateError } from "./mod.ts";

const dec = new TextDecoder();
const fixture = (name: string): Uint8Array =>
  Deno.readFileSync(new URL(`../../tests/conformance/fixtures/${name}`, import.meta.url));

const SECRET = "hunter2-super-secret-value";

Deno.test("renderTemplate renders the seed's regcred template", () => {
  const cfg = '{"auths":{"r.io":{"auth":"dXNlcjpwYXNz"}}}';
  assert.equal(renderTemplate("{{ .dockerconfig }}", { dockerconfig: cfg }), cfg);
});

Deno.test("TemplateError carries Go's message, phase and position", () => {
  try {
    renderTemplate("line1\n  {{ .nope }}", {});
    assert.fail("expected an error");
  } catch (e) {
    assert.ok(e instanceof TemplateError);
    assert.equal(e.phase, "exec");
    assert.equal(e.templateName, "template");
    assert.equal(e.line, 2);
    assert.equal(e.col, 5);
    assert.equal(e.message, 'template: template:2:5: executing "template" at <.nope>: map has no entry for key "nope"');
  }
  assert.throws(
    () => renderTemplate("{{ if }}", {}),
    (e: unknown) => e instanceof TemplateError && e.phase === "parse",
  );
});

Deno.test("error messages never contain secret values", () => {
  const data = { password: SECRET, json: `{"k": "${SECRET}"}`, other: "x" };
  const templates = [
    "{{ fail .password }}",
    "{{ range .password }}{{ end }}",
    "{{ range $a, $b := 5 }}{{ end }}",
    '{{ mustToDate "2006-01-02" .password }}',
    "{{ mustFromJson .password }}",
    "{{ eq (fromJson .json) (fromJson .json) }}",
    '{{ urlParse (printf "http://h:%s/" .password) }}',
    '{{ regexFind (printf "(%s" .password) .other }}',
    '{{ printf "%s" .password | fail }}',
  ];
  for (const t of templates) {
    try {
      renderTemplate(t, data);
      assert.fail(`expected ${t} to fail`);
    } catch (e) {
      assert.ok(e instanceof TemplateError, `${t}: ${e}`);
      assert.ok(!e.message.includes(SECRET), `${t} leaks the secret: ${e.message}`);
      assert.ok(!e.message.includes("hunter2"), `${t} leaks part of the secret: ${e.message}`);
    }
  }
});

Deno.test("renderSecretTemplate: template data replaces provider data by default (Replace)", async () => {
  const out = await renderSecretTemplate(
    { type: "kubernetes.io/dockerconfigjson", data: { ".dockerconfigjson": "{{ .dockerconfig }}" } },
    { dockerconfig: '{"auths":{}}', unrelated: "dropped" },
  );
  assert.deepEqual(Object.keys(out.data), [".dockerconfigjson"]);
  assert.equal(dec.decode(out.data[".dockerconfigjson"]), '{"auths":{}}');
  assert.equal(out.type, "kubernetes.io/dockerconfigjson");
});

Deno.test("renderSecretTemplate: Merge keeps provider keys beside templated ones", async () => {
  const out = await renderSecretTemplate(
    { mergePolicy: "Merge", data: { a: "{{ .a | upper }}" } },
    { a: "x", b: "y" },
  );
  assert.equal(dec.decode(out.data.a), "X");
  assert.equal(dec.decode(out.data.b), "y");
});

Deno.test("renderSecretTemplate: without data or templateFrom the provider data is kept", async () => {
  const out = await renderSecretTemplate({ metadata: { labels: { team: "{{ .team }}" } } }, { team: "ops", k: "v" });
  assert.equal(dec.decode(out.data.k), "v");
  assert.equal(dec.decode(out.data.team), "ops");
  assert.equal(out.labels.team, "ops");
});

Deno.test("renderSecretTemplate: templateFrom Values, KeysAndValues, literal and targets", async () => {
  const out = await renderSecretTemplate(
    {
      data: { "config.yaml": "user: {{ .user }}" },
      templateFrom: [
        { configMap: { name: "cm", items: [{ key: "dsn", templateAs: "Values" }] } },
        { configMap: { name: "cm", items: [{ key: "many", templateAs: "KeysAndValues" }] } },
        { secret: { name: "s", items: [{ key: "tpl" }] }, target: "Annotations" },
        { literal: "team: {{ .team }}\nenv: prod", target: "Labels" },
      ],
    },
    { user: "admin", password: "pw", team: "ops" },
    {
      configMaps: { cm: { dsn: "postgres://{{ .user }}:{{ .password }}@db", many: "k1: {{ .user }}\nk2: fixed" } },
      secrets: { s: { tpl: new TextEncoder().encode("owner={{ .team }}") } },
    },
  );
  assert.equal(dec.decode(out.data.dsn), "postgres://admin:pw@db");
  assert.equal(dec.decode(out.data.k1), "admin");
  assert.equal(dec.decode(out.data.k2), "fixed");
  assert.equal(dec.decode(out.data["config.yaml"]), "user: admin");
  assert.equal(out.annotations.tpl, "owner=ops");
  assert.deepEqual(out.labels, { team: "ops", env: "prod" });
  assert.equal(out.data.user, undefined, "Replace drops provider keys");
});

Deno.test("renderSecretTemplate: errors name the key and hide the values", async () => {
  await assert.rejects(
    () => renderSecretTemplate({ data: { ".dockerconfigjson": "{{ .nope }}" } }, { password: SECRET }),
    (e: unknown) =>
      e instanceof TemplateError &&
      e.message.startsWith("template .dockerconfigjson: template: .dockerconfigjson:1:3") &&
      e.templateName === ".dockerconfigjson",
  );
  await assert.rejects(
    () => renderSecretTemplate({ data: { k: "{{ fail .password }}" } }, { password: SECRET }),
    (e: unknown) => e instanceof TemplateError && !e.message.includes(SECRET) && e.message.startsWith("template k:"),
  );
  await assert.rejects(
    () => renderSecretTemplate({ templateFrom: [{ literal: "{{ .password }}: [1" }] }, { password: SECRET }),
    (e: unknown) => e instanceof TemplateError && e.phase === "apply" && !e.message.includes(SECRET),
  );
  await assert.rejects(
    () => renderSecretTemplate({ templateFrom: [{ configMap: { name: "missing", items: [{ key: "x" }] } }] }, {}),
    (e: unknown) => e instanceof TemplateError && /configMap missing not found/.test(e.message),
  );
});

Deno.test("renderSecretTemplate: binary provider data survives and lazily loaded functions work", async () => {
  const bin = Uint8Array.from([0, 0xff, 0x80, 0x41]);
  const spec = { data: { raw: "{{ .bin }}", key: "{{ .keystore | pkcs12key }}" } };
  const data = { bin, keystore: fixture("leaf-nopass.p12") };
  try {
    // in a worker (pkcs12key is CPU-heavy) and in process: the same result
    for (const offload of ["auto", "never"] as const) {
      const out = await renderSecretTemplate(spec, data, {}, { offload });
      assert.deepEqual([...out.data.raw!], [...bin]);
      assert.match(dec.decode(out.data.key), /^-----BEGIN PRIVATE KEY-----\n/);
    }
  } finally {
    stopTemplateWorkers();
  }
});

Deno.test("importing the engine does not load node-forge or bcryptjs", async () => {
  const lazy = new URL("./lazy.ts", import.meta.url).href;
  const mod = new URL("./mod.ts", import.meta.url).href;
  const code = `import * as m from "${mod}"; import { isLoaded } from "${lazy}";
    const before = isLoaded("forge") || isLoaded("bcrypt");
    await m.renderTemplateAsync('{{ "x" | sha256sum }}', {});
    const plain = isLoaded("forge") || isLoaded("bcrypt");
    await m.renderTemplateAsync('{{ htpasswd "u" "p" | len }}', {});
    console.log(JSON.stringify([before, plain, isLoaded("bcrypt"), isLoaded("forge")]));`;
  const { stdout, success } = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--config", new URL("../../deno.json", import.meta.url).pathname, code],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  assert.ok(success);
  assert.deepEqual(JSON.parse(dec.decode(stdout)), [false, false, true, false]);
});
