// Faults injected in the emulators, observed through the real SDKs and the counters.
import assert from "node:assert/strict";
import { ROUTES as ENTRA } from "./entra.ts";
import { ROUTES as KV } from "./key_vault.ts";
import { appClient, rejection, withEmulators } from "./testing.ts";

Deno.test("429 with Retry-After, then success: the SDK waits as told and succeeds; counters show 429 then 200", async () => {
  await withEmulators({}, async (em) => {
    const client = appClient(em);
    em.setSecret("demo", "s", "v");
    await client.getSecret("s"); // challenge and token out of the way
    const after = em.counters().lastSeq;

    em.faults.throttle({ route: KV.getSecret, name: "s" }, { count: 1, retryAfterSeconds: 2 });
    const started = performance.now();
    assert.equal((await client.getSecret("s")).value, "v");
    const elapsed = performance.now() - started;

    const records = em.requests({ afterSeq: after });
    assert.deepEqual(records.map((r) => [r.route, r.status]), [[KV.getSecret, 429], [KV.getSecret, 200]]);
    const [throttled, ok] = records as [typeof records[0], typeof records[0]];
    assert.ok(throttled.fault);
    assert.ok(elapsed >= 2000, `the call took ${elapsed} ms, less than Retry-After`);
    // The retry arrived no earlier than Retry-After after the 429 was sent.
    assert.ok(ok.at - (throttled.at + throttled.durationMs) >= 1990, `retry came ${ok.at - throttled.at} ms later`);
    assert.equal(em.faults.list().length, 0, "a used-up sequence rule removes itself");
  });
});

Deno.test("throttling beyond the SDK's retries surfaces as RestError 429 Throttled", async () => {
  await withEmulators({}, async (em) => {
    const client = appClient(em);
    em.setSecret("demo", "s", "v");
    await client.getSecret("s");
    em.faults.throttle({ route: KV.getSecret }, { count: 10, retryAfterSeconds: 0 });
    const err = await rejection(client.getSecret("s"));
    assert.equal(err.statusCode, 429);
    assert.equal(err.code, "Throttled");
    // First attempt + 3 retries (the SDK default).
    assert.equal(em.counters({ route: KV.getSecret, status: 429 }).total, 4);
  });
});

Deno.test("a dropped connection and 503s are retried by the SDK", async () => {
  await withEmulators({}, async (em) => {
    const client = appClient(em);
    em.setSecret("demo", "s", "v");
    await client.getSecret("s");
    const after = em.counters().lastSeq;
    em.faults.add({ match: { route: KV.getSecret }, sequence: ["drop", { status: 503 }, "pass"] });
    assert.equal((await client.getSecret("s")).value, "v");
    assert.deepEqual(em.requests({ afterSeq: after }).map((r) => r.status), [0, 503, 200]);
  });
});

Deno.test("latency applies to the matching route only", async () => {
  await withEmulators({}, async (em) => {
    const client = appClient(em);
    em.setSecret("demo", "s", "v");
    await client.getSecret("s");
    em.faults.latency({ route: KV.getSecret }, 300);
    let t = performance.now();
    await client.getSecret("s");
    assert.ok(performance.now() - t >= 300);
    t = performance.now();
    for await (const _ of client.listPropertiesOfSecrets()) { /* drain */ }
    assert.ok(performance.now() - t < 300);
  });
});

Deno.test("faults on the token endpoint: a 429 there is waited out and retried by the credential", async () => {
  await withEmulators({}, async (em) => {
    em.faults.throttle({ route: ENTRA.tokenV2, caller: "app-rw" }, { count: 1, retryAfterSeconds: 1 });
    const client = appClient(em);
    em.setSecret("demo", "s", "v");
    assert.equal((await client.getSecret("s")).value, "v");
    assert.deepEqual(em.requests({ route: ENTRA.tokenV2 }).map((r) => r.status), [429, 200]);
  });
});

Deno.test("counters by route and caller, filters and reset", async () => {
  await withEmulators({ vaults: ["demo", "second"] }, async (em) => {
    const a = appClient(em, "app-a");
    const b = appClient(em, "app-b", "second");
    em.setSecret("demo", "x", "1");
    em.setSecret("second", "x", "2");
    await a.getSecret("x");
    await a.getSecret("x");
    await b.getSecret("x");
    const c = em.counters({ service: "keyvault", status: 200 });
    assert.deepEqual(c.byRouteAndCaller[KV.getSecret], { "app-a": 2, "app-b": 1 });
    assert.equal(em.counters({ vault: "second", status: 200 }).total, 1);
    assert.equal(em.counters().byCaller["anonymous"], 4, "two 401 challenges and two discovery calls");
    const mark = em.counters().lastSeq;
    await a.getSecret("x");
    assert.equal(em.counters({ afterSeq: mark }).total, 1);
    em.resetCounters();
    assert.equal(em.counters().total, 0);
  });
});
