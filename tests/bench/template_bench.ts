/**
 * Template engine benchmark (`deno task bench`): renders the seed's regcred template — `{{ .dockerconfig }}` for a
 * `kubernetes.io/dockerconfigjson` Secret — 100,000 times, plus two heavier ESO-style templates, and prints the
 * figures. A measurement, not a test: it never fails on speed.
 *
 * @module
 */
// deno-lint-ignore-file no-console -- a benchmark prints its figures

import { renderSecretTemplate, renderTemplate } from "../../controller/template/mod.ts";

const N = Number(Deno.args[0] ?? 100_000);
const dockerconfig = JSON.stringify({ auths: { "registry.example.com": { auth: btoa("user:pass") } } });
const data = { dockerconfig };

function bench(label: string, n: number, fn: () => void): void {
  for (let i = 0; i < Math.min(1000, n); i++) fn(); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < n; i++) fn();
  const ms = performance.now() - t0;
  console.log(
    `${label}: ${n.toLocaleString("en")} renders in ${(ms / 1000).toFixed(2)} s — ${
      (ms * 1000 / n).toFixed(2)
    } µs/render, ${Math.round(n / (ms / 1000)).toLocaleString("en")} renders/s`,
  );
}

// the seed's template: .dockerconfigjson: "{{ .dockerconfig }}"
bench("regcred {{ .dockerconfig }}", N, () => {
  renderTemplate("{{ .dockerconfig }}", data);
});

// the same with the parse cache defeated (each text differs), i.e. parse + execute every time, as Go's ESO does
let k = 0;
bench("regcred, parsed every time", N, () => {
  renderTemplate(`{{ .dockerconfig }}{{/* ${k++} */}}`, data);
});

const heavier = '{{ $c := .dockerconfig | fromJson }}{{ range $h, $v := $c.auths }}{"auths":{"{{ $h }}":' +
  '{"auth":"{{ $v.auth }}","username":"{{ $v.auth | b64dec | splitList ":" | first }}"}}}{{ end }}';
bench("fromJson/range/b64dec pipeline", Math.round(N / 10), () => {
  renderTemplate(heavier, data);
});

const spec = { type: "kubernetes.io/dockerconfigjson", data: { ".dockerconfigjson": "{{ .dockerconfig }}" } };
const t0 = performance.now();
const n = Math.round(N / 10);
for (let i = 0; i < n; i++) await renderSecretTemplate(spec, data);
const ms = performance.now() - t0;
console.log(
  `renderSecretTemplate(regcred spec): ${n.toLocaleString("en")} in ${(ms / 1000).toFixed(2)} s — ${
    (ms * 1000 / n).toFixed(2)
  } µs/render`,
);
