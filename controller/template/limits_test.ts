import assert from "node:assert/strict";
import {
  renderSecretTemplate,
  renderTemplate,
  stopTemplateWorkers,
  TemplateError,
  type TemplateLimits,
  templateWorkerStats,
} from "./mod.ts";

const SECRET = "canary-7f3e9a-secret-value";

/** Renders a hostile template; asserts a TemplateError naming the limit and the position, quickly, without data. */
function refused(tpl: string, limit: RegExp, limits: Partial<TemplateLimits> = {}): TemplateError {
  const t0 = performance.now();
  let err: unknown;
  try {
    renderTemplate(tpl, { value: SECRET }, limits);
  } catch (e) {
    err = e;
  }
  const ms = performance.now() - t0;
  assert.ok(err instanceof TemplateError, `expected a TemplateError for ${tpl}, got ${err}`);
  assert.match(err.message, /template limit: /);
  assert.match(err.message, limit);
  // the position: template name, line and column
  assert.match(err.message, /^template: template:1:\d+: executing "template" at </);
  assert.equal(err.line, 1);
  assert.ok(!err.message.includes(SECRET));
  assert.ok(ms < 5_000, `${tpl} took ${ms.toFixed(0)} ms`);
  return err;
}

Deno.test("limits: lists that would exhaust memory are refused before they are built", () => {
  refused("{{ range until 1000000000 }}x{{ end }}", /a list of 1000000000 elements is longer than 100000/);
  refused("{{ until 100000000 }}", /a list of 100000000 elements/);
  refused("{{ seq 1 300000000 }}", /a list of 300000000 elements/);
  refused("{{ untilStep 0 100000000000 2 }}", /a list of 50000000000 elements/);
  refused("{{ untilStep 10 -100000000 -1 }}", /a list of 100000010 elements/);
  refused('{{ splitList "" (repeat 200000 "a") }}', /elements is longer than 100000/);
  // growth one element at a time: the copies add up
  refused("{{ $l := list }}{{ range until 100000 }}{{ $l = append $l . }}{{ end }}", /functions built more than/);
});

Deno.test("limits: strings that would exhaust memory are refused before they are built", () => {
  refused("{{ randAlphaNum 500000000 }}", /a string of 500000000 characters is larger than 4194304/);
  refused("{{ randAlpha 5000000 }} {{ randNumeric 9 }}", /a string of 5000000 characters/);
  refused('{{ repeat 100000 (repeat 1000 "x") }}', /a string of 100000000 characters/);
  refused('{{ replace "a" (repeat 1000 "b") (repeat 100000 "a") }}', /a string of \d+ characters is larger/);
  refused('{{ indent 100000 (repeat 1000 "\\n") }}', /a string of \d+ characters is larger/);
  refused('{{ wrapWith 1 (repeat 1000 "-") (repeat 10000 "a") }}', /a string of \d+ characters is larger/);
  refused("{{ randBytes 100000000 }}", /a string of \d+ characters is larger/);
  // one large string printed through a list many times, and lists sharing elements (exponentially many paths)
  refused(
    '{{ $s := repeat 1000000 "x" }}{{ $l := list $s $s $s $s $s $s $s $s }}{{ join "," $l }}',
    /a string of \d+ characters is larger/,
  );
  refused(
    "{{ $l := list 1 }}{{ range until 40 }}{{ $l = list $l $l }}{{ end }}{{ deepCopy $l | len }}",
    /a string of \d+ characters is larger/,
  );
  refused("{{ $l := list 1 }}{{ range until 40 }}{{ $l = list $l $l }}{{ end }}{{ toJson $l }}", /larger than/);
});

Deno.test("limits: output, steps and wall time", () => {
  refused('{{ range until 2000 }}{{ repeat 1000 "x" }}{{ end }}', /output larger than 1048576 characters/);
  refused("{{ $l := list 1 }}{{ range until 40 }}{{ $l = list $l $l }}{{ end }}{{ $l }}", /output larger than/);
  refused("{{ range until 100000 }}{{ range until 100000 }}{{ end }}{{ end }}", /more than 1000000 steps/);
  const slow = refused(
    "{{ range until 100000 }}{{ range until 100000 }}{{ end }}{{ end }}",
    /rendering took longer than 200 ms/,
    { maxSteps: Infinity, timeoutMs: 200 },
  );
  assert.equal(slow.phase, "exec");
  // a limit can be raised for one render
  assert.equal(renderTemplate("{{ until 200000 | len }}", {}, { maxListLength: 300_000 }), "200000");
});

Deno.test("limits: ordinary templates are unaffected", () => {
  assert.equal(renderTemplate("{{ range until 3 }}{{ . }}{{ end }}", {}), "012");
  assert.equal(renderTemplate("{{ seq 1 5 }} {{ randAlphaNum 32 | len }}", {}), "1 2 3 4 5 32");
  assert.equal(renderTemplate('{{ .value | replace "-" "_" | upper }}', { value: "a-b" }), "A_B");
  assert.equal(renderTemplate('{{ repeat 1000 "x" | len }}', {}), "1000");
  assert.equal(renderTemplate("{{ until 100000 | len }}", {}), "100000");
});

Deno.test("limits: a catastrophic regular expression on a long input answers in linear time", () => {
  const t0 = performance.now();
  const out = renderTemplate(
    '{{ regexMatch "^(a|a)*$" (printf "%sb" (repeat 200000 "a")) }} {{ regexMatch "^(a|a)*$" (repeat 200000 "a") }}',
    {},
  );
  const ms = performance.now() - t0;
  assert.equal(out, "false true");
  assert.ok(ms < 5_000, `took ${ms.toFixed(0)} ms`);
});

Deno.test("limits: an invalid pattern is a clear template error", () => {
  assert.throws(
    () => renderTemplate('{{ regexFind "(" "x" }}', {}),
    (e: unknown) =>
      e instanceof TemplateError &&
      e.message.includes("error calling regexFind: regexp: Compile: error parsing regexp: missing closing )"),
  );
});

Deno.test("limits: the budget covers all templates of one ExternalSecret, in process and in a worker", async () => {
  const spec = {
    data: Object.fromEntries(Array.from({ length: 3 }, (_, i) => [`k${i}`, '{{ repeat 400000 "x" }}'])),
  };
  // (bcrypt sends the "auto" render to a worker)
  spec.data.k0 = '{{ bcrypt "x" | len }}{{ repeat 400000 "x" }}';
  for (const offload of ["auto", "never"] as const) {
    await assert.rejects(
      () => renderSecretTemplate(spec, { value: SECRET }, {}, { offload }),
      (e: unknown) =>
        e instanceof TemplateError && /^template k2: template: k2:1:3: .*output larger than 1048576/.test(e.message),
    );
  }
  assert.equal(templateWorkerStats().rendered, 1);
  stopTemplateWorkers();
});
