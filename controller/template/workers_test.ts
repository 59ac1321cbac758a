import assert from "node:assert/strict";
import {
  configureTemplateWorkers,
  renderSecretTemplate,
  stopTemplateWorkers,
  TemplateError,
  TemplateWorkersBusy,
  templateWorkerStats,
} from "./mod.ts";

const dec = new TextDecoder();

/** Counts timer ticks while `f` runs: a blocked event loop shows as a long gap between ticks. */
async function whileTicking<R>(f: () => Promise<R>): Promise<{ result: R; ms: number; maxGapMs: number }> {
  let last = performance.now();
  let maxGapMs = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    maxGapMs = Math.max(maxGapMs, now - last);
    last = now;
  }, 10);
  const t0 = performance.now();
  try {
    const result = await f();
    maxGapMs = Math.max(maxGapMs, performance.now() - last);
    return { result, ms: performance.now() - t0, maxGapMs };
  } finally {
    clearInterval(timer);
  }
}

Deno.test("workers: a long render runs off the event loop (a timer keeps firing) and gives the right result", async () => {
  try {
    // a few hundred ms of steps: past the 5 ms slice, so the render moves to a worker
    const spec = {
      data: {
        n: "{{ $n := 0 }}{{ range until 600 }}{{ range until 500 }}{{ $n = add $n 1 }}{{ end }}{{ end }}{{ $n }}",
      },
    };
    await renderSecretTemplate(spec, {}); // starts the worker (startup is not what is measured)
    const { result, ms, maxGapMs } = await whileTicking(() => renderSecretTemplate(spec, {}));
    assert.equal(dec.decode(result.data.n), "300000");
    assert.ok(templateWorkerStats().rendered >= 2, "rendered in a worker");
    // deno-lint-ignore no-console -- figures for the report
    console.log(`long render: ${ms.toFixed(0)} ms, longest event-loop gap ${maxGapMs.toFixed(0)} ms`);
    // on the event loop the gap would be the whole render; a loaded machine adds scheduling noise
    assert.ok(maxGapMs < Math.max(250, ms / 4), `event loop blocked for ${maxGapMs.toFixed(0)} ms of ${ms.toFixed(0)}`);
  } finally {
    stopTemplateWorkers();
  }
});

Deno.test("workers: 20 bcrypt calls do not hold the event loop, and other renders finish meanwhile", async () => {
  try {
    const heavy = {
      data: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`h${i}`, "{{ .pw | bcrypt | len }}"])),
    };
    const pending = renderSecretTemplate(heavy, { pw: "p" });
    // a bystander's ordinary template renders in process, at once
    const t0 = performance.now();
    const light = await renderSecretTemplate({ data: { u: "{{ .u | upper }}" } }, { u: "x" });
    const lightMs = performance.now() - t0;
    assert.equal(dec.decode(light.data.u), "X");
    const { result, ms, maxGapMs } = await whileTicking(() => pending);
    assert.equal(dec.decode(result.data.h19), "60");
    // deno-lint-ignore no-console -- figures for the report
    console.log(
      `20 bcrypt: ${ms.toFixed(0)} ms more, gap ${maxGapMs.toFixed(0)} ms; bystander ${lightMs.toFixed(1)} ms`,
    );
    assert.ok(lightMs < 100, `bystander took ${lightMs} ms`);
    assert.ok(maxGapMs < Math.max(250, ms / 4), `event loop blocked for ${maxGapMs.toFixed(0)} ms of ${ms.toFixed(0)}`);
  } finally {
    stopTemplateWorkers();
  }
});

Deno.test("workers: a render stuck inside one function call is stopped by terminating its worker", async () => {
  configureTemplateWorkers({ killGraceMs: 0 });
  try {
    // RSA-4096 generation is one long call; with a 1 ms limit the engine cannot stop it, the pool must
    const spec = { data: { k: '{{ genPrivateKey "rsa" }}{{ genPrivateKey "rsa" }}{{ genPrivateKey "rsa" }}' } };
    const t0 = performance.now();
    await assert.rejects(
      () => renderSecretTemplate(spec, {}, {}, { limits: { timeoutMs: 1 } }),
      (e: unknown) => e instanceof TemplateError && /template limit: rendering took longer than 1 ms/.test(e.message),
    );
    assert.ok(performance.now() - t0 < 20_000);
    // the pool recovers: the next render gets a fresh worker
    const ok = await renderSecretTemplate({ data: { e: '{{ genPrivateKey "ed25519" | len | lt 50 }}' } }, {});
    assert.equal(dec.decode(ok.data.e), "true");
  } finally {
    configureTemplateWorkers({ killGraceMs: 1_000 });
    stopTemplateWorkers();
  }
});

Deno.test("workers: limits and errors come back from a worker as TemplateErrors naming key, limit and position", async () => {
  try {
    await assert.rejects(
      () =>
        renderSecretTemplate({ data: { k: "{{ bcrypt .v }}{{ range until 1000000000 }}{{ end }}" } }, {
          v: "s3cr3t-value",
        }),
      (e: unknown) =>
        e instanceof TemplateError && e.templateName === "k" && e.line === 1 &&
        /^template k: template: k:1:\d+: executing "k" at <until 1000000000>: error calling until: template limit: a list of 1000000000 elements/
          .test(e.message) &&
        !e.message.includes("s3cr3t-value"),
    );
    assert.ok(templateWorkerStats().rendered >= 1);
  } finally {
    stopTemplateWorkers();
  }
});

Deno.test("workers: a full queue refuses at once (TemplateWorkersBusy), so waiting renders cannot pile up", async () => {
  configureTemplateWorkers({ workers: 1, queue: 1 });
  try {
    const spec = { data: { h: "{{ .pw | bcrypt | len }}" } };
    const results = await Promise.allSettled([1, 2, 3].map((i) => renderSecretTemplate(spec, { pw: `p${i}` })));
    assert.deepEqual(results.map((r) => r.status), ["fulfilled", "fulfilled", "rejected"]);
    const busy = (results[2] as PromiseRejectedResult).reason;
    assert.ok(busy instanceof TemplateWorkersBusy && busy instanceof TemplateError);
    assert.match(busy.message, /all template workers are busy \(1 rendering, 1 waiting\); will retry/);
  } finally {
    configureTemplateWorkers({ workers: Math.max(1, Math.min(2, navigator.hardwareConcurrency - 1)), queue: 4 });
    stopTemplateWorkers();
  }
});
