/**
 * Differential conformance: the TypeScript template engine against Go's own text/template + Sprig (the reference
 * binary built from tests/conformance/go), over the hand-written cases of cases.ts and templates generated from a
 * grammar (generator.ts). The generated run uses a fixed seed so CI is repeatable; CONFORMANCE_SEED=<n> replays another
 * run, CONFORMANCE_SEED=random explores, CONFORMANCE_GENERATED changes its size.
 *
 * @module
 */

import assert from "node:assert/strict";
import { goMessageOf, preloadTemplateFunctions, renderNamed, TemplateError } from "../../controller/template/render.ts";
import { bytesToString, stringToBytes } from "../../controller/template/gostr.ts";
import { type Case, CASES, D, type Outcome } from "./cases.ts";
import { Generator, prng } from "./generator.ts";
import { type RefCase, type RefResult, runReference } from "./go_reference.ts";

const dec = new TextDecoder();

function dataOf(c: { data?: Record<string, string | Uint8Array> }): Record<string, string | Uint8Array> {
  return { ...D, ...(c.data ?? {}) };
}

function renderTS(name: string, tpl: string, data: Record<string, string | Uint8Array>): Outcome {
  const strData: Record<string, string> = {};
  for (const [k, v] of Object.entries(data)) strData[k] = typeof v === "string" ? v : bytesToString(v);
  try {
    // no time limit: key generation on a loaded CI machine can take seconds, and timing is not what is compared
    const out = renderNamed(name, tpl, strData, { timeoutMs: Infinity });
    const bytes = stringToBytes(out);
    return { ok: true, out: dec.decode(bytes), bytes };
  } catch (e) {
    if (e instanceof TemplateError) return { ok: false, phase: e.phase, message: goMessageOf(e) };
    return { ok: false, phase: "crash", message: `${(e as Error).stack ?? e}` };
  }
}

function fromGo(r: RefResult | undefined): Outcome {
  if (!r) return { ok: false, phase: "missing", message: "no result from Go" };
  if (r.ok) return { ok: true, out: dec.decode(r.output), bytes: r.output };
  return { ok: false, phase: r.phase, message: r.error };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function describe(o: Outcome): string {
  return o.ok ? `output ${JSON.stringify(o.out)}` : `${o.phase} error ${JSON.stringify(o.message)}`;
}

/** null when the outcomes agree, else a description of the disagreement. */
function compare(c: { errClass?: boolean; check?: Case["check"] }, ts: Outcome, go: Outcome): string | null {
  if (c.check) {
    const a = c.check(go, "go"), b = c.check(ts, "ts");
    if (a) return `Go fails the property check: ${a}`;
    if (b) return `TS fails the property check: ${b}`;
    return null;
  }
  if (ts.ok && go.ok) return sameBytes(ts.bytes, go.bytes) ? null : `TS ${describe(ts)}\n   Go ${describe(go)}`;
  if (!ts.ok && !go.ok) {
    if (ts.phase !== go.phase) return `TS ${describe(ts)}\n   Go ${describe(go)}`;
    if (c.errClass || ts.message === go.message) return null;
    return `TS ${describe(ts)}\n   Go ${describe(go)}`;
  }
  return `TS ${describe(ts)}\n   Go ${describe(go)}`;
}

Deno.test("template conformance with Go text/template + Sprig", async (t) => {
  await preloadTemplateFunctions();

  // hand-written cases, all through one Go process
  const refCases: RefCase[] = CASES.map((c, id) => ({
    id,
    ...(c.tmplName ? { name: c.tmplName } : {}),
    template: c.tpl,
    data: dataOf(c),
  }));
  const goResults = await runReference(refCases);
  const tsResults = CASES.map((c) => renderTS(c.tmplName ?? "template", c.tpl, dataOf(c)));

  // cross-verification round: each engine checks the other's generated artefact
  const verifyIdx = CASES.flatMap((c, i) => (c.verify ? [i] : []));
  const verifyCases: RefCase[] = [];
  for (const i of verifyIdx) {
    const c = CASES[i]!;
    const ts = tsResults[i]!;
    verifyCases.push({
      id: i,
      template: c.verify!.tpl,
      data: { ...dataOf(c), ...(c.verify!.data ?? {}), out: ts.ok ? ts.bytes : new Uint8Array() },
    });
  }
  const goVerifies = await runReference(verifyCases);

  let caseNo = 0;
  for (const [i, c] of CASES.entries()) {
    caseNo++;
    const label = `${String(caseNo).padStart(3, "0")} ${c.group}: ${
      c.tpl.length > 70 ? c.tpl.slice(0, 67) + "..." : c.tpl
    }`;
    await t.step(label.replaceAll("\n", "\\n"), () => {
      const ts = tsResults[i]!, go = fromGo(goResults.get(i));
      if (c.verify) {
        assert.ok(ts.ok, `TS failed: ${describe(ts)}`);
        assert.ok(go.ok, `Go failed: ${describe(go)}`);
        const goChecksTs = fromGo(goVerifies.get(i));
        const tsChecksGo = renderTS("template", c.verify.tpl, {
          ...dataOf(c),
          ...(c.verify.data ?? {}),
          out: go.bytes,
        });
        assert.ok(goChecksTs.ok, `Go could not verify the TS output: ${describe(goChecksTs)}`);
        assert.ok(tsChecksGo.ok, `TS could not verify the Go output: ${describe(tsChecksGo)}`);
        if (c.verify.expect !== undefined) {
          assert.equal(goChecksTs.out, c.verify.expect, "Go's verification of the TS output");
          assert.equal(tsChecksGo.out, c.verify.expect, "TS's verification of the Go output");
        } else {
          assert.equal(goChecksTs.out, tsChecksGo.out, "each engine's verification of the other's output");
        }
        return;
      }
      const problem = compare(c, ts, go);
      if (problem) assert.fail(`disagreement for ${JSON.stringify(c.tpl)}:\n   ${problem}`);
    });
  }
  assert.ok(CASES.length >= 400, `expected at least 400 hand-written cases, have ${CASES.length}`);
});

Deno.test("template conformance on generated templates", async () => {
  await preloadTemplateFunctions();
  const wanted = Deno.env.get("CONFORMANCE_SEED") ?? "20261128";
  const seed = wanted === "random" ? Math.floor(Math.random() * 2 ** 31) : Number(wanted);
  const count = Number(Deno.env.get("CONFORMANCE_GENERATED") ?? 2000);
  Deno.stderr.writeSync(new TextEncoder().encode(`[conformance] generated templates: seed=${seed} count=${count}\n`));
  const gen = new Generator(prng(seed));
  const tpls = Array.from({ length: count }, () => gen.template());
  const results = await runReference(tpls.map((template, id) => ({ id, template, data: D })));
  const problems: string[] = [];
  tpls.forEach((tpl, id) => {
    const ts = renderTS("template", tpl, D);
    const go = fromGo(results.get(id));
    // messages of errors raised inside Sprig functions come from different code; compare their class
    const fnError = !ts.ok && !go.ok &&
      /error calling (?!index|len|slice|eq|ne|lt|le|gt|ge|printf|print)/.test(go.message);
    const p = compare({ errClass: fnError }, ts, go);
    if (p) problems.push(`#${id} ${JSON.stringify(tpl)}\n   ${p}`);
  });
  assert.equal(
    problems.length,
    0,
    `${problems.length} of ${count} generated templates disagree (seed ${seed}):\n` + problems.slice(0, 15).join("\n"),
  );
});

Deno.test("PKCS#12 truststores from both engines are readable by OpenSSL and marked as Java trust anchors", async () => {
  await preloadTemplateFunctions();
  const chain = await Deno.readTextFile(new URL("./fixtures/chain.pem", import.meta.url));
  const tpl = '{{ pemTruststoreToPKCS12Pass .certs "changeit" }}';
  const go = fromGo((await runReference([{ id: 0, template: tpl, data: { certs: chain } }])).get(0));
  const ts = renderTS("template", tpl, { certs: chain });
  for (const [engine, o] of [["Go", go], ["TS", ts]] as const) {
    assert.ok(o.ok, `${engine} failed: ${describe(o)}`);
    const der = Uint8Array.from(atob(o.out), (c) => c.charCodeAt(0));
    const file = await Deno.makeTempFile({ suffix: ".p12" });
    try {
      await Deno.writeFile(file, der);
      const { success, stdout, stderr } = await new Deno.Command("openssl", {
        args: ["pkcs12", "-in", file, "-nokeys", "-passin", "pass:changeit"],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.ok(success, `openssl could not read the ${engine} truststore: ${dec.decode(stderr)}`);
      const text = dec.decode(stdout);
      assert.equal((text.match(/BEGIN CERTIFICATE/g) ?? []).length, 3, `${engine}: three certificates`);
      assert.equal(
        (text.match(/2\.16\.840\.1\.113894\.746875\.1\.1|Trusted key usage/g) ?? []).length,
        3,
        `${engine}: Java trust attribute`,
      );
      assert.match(text, /friendlyName: CN=root-ca,O=Conformance/, `${engine}: friendly name`);
    } finally {
      await Deno.remove(file);
    }
  }
});
