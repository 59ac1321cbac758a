import assert from "node:assert/strict";
import type { RestError } from "@azure/core-rest-pipeline";
import { ReadLimit } from "./limits.ts";
import { ROUTES as KV } from "./key_vault.ts";
import { SecretClient } from "@azure/keyvault-secrets";
import { CLIENT_OPTIONS, clientSecretCredential, rejection, trace, withEmulators } from "./testing.ts";

Deno.test("read limit: `limit` per sliding window, then 429 until the oldest leaves; refusals do not count", () => {
  let now = 1_000_000;
  const limit = new ReadLimit({ limit: 3, windowMs: 10_000, now: () => now });
  assert.deepEqual([limit.admit(), limit.admit()], [{ ok: true }, { ok: true }]);
  now += 4_000;
  assert.deepEqual(limit.admit(), { ok: true });
  // Three in the last 10 s: the oldest (at +0) leaves at +10 s, 6 s from now.
  assert.deepEqual(limit.admit(), { ok: false, retryAfterSeconds: 6 });
  now += 5_500;
  assert.deepEqual(limit.admit(), { ok: false, retryAfterSeconds: 1 }, "0.5 s left rounds up to a whole second");
  now += 500;
  // Both requests at +0 have left: two places.
  assert.deepEqual([limit.admit(), limit.admit()], [{ ok: true }, { ok: true }]);
  assert.equal(limit.admit().ok, false);
  assert.equal(limit.admitted, 5);
  assert.equal(limit.throttled, 3);
  // The window slides: the request at +4 s leaves at +14 s.
  now += 4_000;
  assert.deepEqual(limit.admit(), { ok: true });
  assert.throws(() => new ReadLimit({ limit: 0 }), RangeError);
});

Deno.test("read limit: Key Vault's default is 4,000 per 10 s", () => {
  let now = 0;
  const limit = new ReadLimit({ now: () => now });
  for (let i = 0; i < 4000; i++) assert.ok(limit.admit().ok, `request ${i}`);
  assert.deepEqual(limit.admit(), { ok: false, retryAfterSeconds: 10 });
  now = 9_999;
  assert.deepEqual(limit.admit(), { ok: false, retryAfterSeconds: 1 });
  now = 10_000;
  assert.ok(limit.admit().ok);
});

Deno.test("read limit in the emulator: the real SDK gets 429 Throttled with Retry-After; challenges and writes are not counted", async () => {
  let now = Date.now();
  await withEmulators({ readLimit: { limit: 2, windowMs: 10_000, now: () => now } }, async (em) => {
    em.addClientSecretApp({ clientId: "app", secret: "app-secret" });
    // No SDK retries, so the 429 itself is seen.
    const client = new SecretClient(em.vaultUrl("demo"), clientSecretCredential(em, "app", "app-secret"), {
      ...CLIENT_OPTIONS,
      retryOptions: { maxRetries: 0 },
    });
    // Writes are not reads; the SDK's unauthenticated challenge request is not counted either.
    await client.setSecret("db", "v1");
    await client.setSecret("db", "v2");
    assert.equal((await client.getSecret("db")).value, "v2");
    const listed = [];
    for await (const p of client.listPropertiesOfSecrets()) listed.push(p.name);
    assert.deepEqual(listed, ["db"]);
    const e = await rejection(client.getSecret("db"));
    assert.equal((e as RestError).statusCode, 429);
    assert.equal(e.code, "Throttled");
    assert.equal((e as RestError).response?.headers.get("retry-after"), "10");
    const records = em.requests({ status: 429 });
    assert.equal(records.length, 1);
    assert.equal(records[0]?.fault, "read-limit");
    assert.equal(em.readLimit("demo")?.admitted, 2);
    now += 10_000;
    assert.equal((await client.getSecret("db")).value, "v2");
    assert.deepEqual(trace(em).slice(-2), [`${KV.getSecret} 429`, `${KV.getSecret} 200`]);
  });
});
