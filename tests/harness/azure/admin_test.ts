// The admin API, driven over plain HTTP as another process would, with the SDK observing the effects.
import assert from "node:assert/strict";
import { ROUTES as KV } from "./key_vault.ts";
import type { AzureEmulators } from "./mod.ts";
import { clientSecretCredential, secretClient, withEmulators } from "./testing.ts";

async function admin(
  em: AzureEmulators,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${em.adminUrl}/_admin${path}`, {
    method,
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  return { status: res.status, json: await res.json() };
}

Deno.test("admin API: summary, identities, secrets, faults and counters", async () => {
  await withEmulators({}, async (em) => {
    const summary = await admin(em, "GET", "");
    assert.equal(summary.status, 200);
    assert.deepEqual((summary.json as { vaults: unknown }).vaults, { demo: em.vaultUrl("demo") });
    assert.equal((summary.json as { authorityHost: string }).authorityHost, em.authorityHost);

    assert.equal((await admin(em, "POST", "/identities/client-secret", { clientId: "ops", secret: "pw" })).status, 200);
    const put = await admin(em, "PUT", "/vaults/demo/secrets/db", {
      value: "v1",
      contentType: "text/plain",
      tags: { a: "b" },
    });
    assert.equal(put.status, 200);
    const client = secretClient(em, clientSecretCredential(em, "ops", "pw"));
    const got = await client.getSecret("db");
    assert.equal(got.value, "v1");
    assert.equal(got.properties.version, (put.json as { version: string }).version);
    assert.equal(((await admin(em, "GET", "/vaults/demo/secrets/db")).json as { value: string }).value, "v1");

    // A fault added over HTTP is seen by the SDK; counters over HTTP show it.
    const fault = await admin(em, "POST", "/faults", {
      match: { route: KV.getSecret },
      sequence: [{ status: 429, retryAfterSeconds: 0 }],
    });
    assert.match((fault.json as { id: string }).id, /^fault-\d+$/);
    await admin(em, "DELETE", "/counters");
    assert.equal((await client.getSecret("db")).value, "v1");
    const counters = (await admin(em, "GET", `/counters?route=${encodeURIComponent(KV.getSecret)}`)).json as {
      byStatus: Record<string, number>;
    };
    assert.deepEqual(counters.byStatus, { "200": 1, "429": 1 });
    const requests = (await admin(em, "GET", "/requests?service=keyvault")).json as {
      status: number;
      caller: string;
    }[];
    assert.deepEqual(requests.map((r) => [r.status, r.caller]), [[429, "ops"], [200, "ops"]]);

    // Access, vaults, token lifetime, seed.
    assert.equal((await admin(em, "PUT", "/identities/ops/access/demo", { access: "read" })).status, 200);
    assert.equal((await client.setSecret("db", "v2").catch((e) => e)).statusCode, 403);
    const added = await admin(em, "PUT", "/vaults/second");
    assert.equal((added.json as { url: string }).url, em.vaultUrl("second"));
    assert.equal((await admin(em, "PUT", "/token-lifetime", { seconds: 60 })).status, 200);
    assert.equal(em.tokenLifetimeSeconds, 60);
    const seeded = await admin(em, "POST", "/seed", "vaults:\n  second:\n    secrets:\n      s: seeded\n");
    assert.equal(seeded.status, 200);
    assert.equal(em.getSecret("second", "s")?.value, "seeded");

    await admin(em, "DELETE", "/vaults/demo/secrets/db?purge=true");
    assert.equal(em.getSecret("demo", "db"), undefined);

    // Mistakes answer 4xx with a message.
    assert.equal((await admin(em, "PUT", "/vaults/demo/secrets/x", { nope: 1 })).status, 400);
    assert.equal((await admin(em, "POST", "/faults", { rate: 9 })).status, 400);
    assert.equal((await admin(em, "GET", "/vaults/demo/secrets/none")).status, 404);
    assert.equal((await admin(em, "GET", "/nothing")).status, 404);
    // Admin calls are not counted.
    assert.equal(em.counters({ caller: "admin" }).total, 0);
  });
});

Deno.test("admin API: a client-certificate app registered over HTTP gets its PEM back", async () => {
  await withEmulators({}, async (em) => {
    const res = await admin(em, "POST", "/identities/client-certificate", { clientId: "cert-app" });
    const cert = res.json as { pem: string; thumbprintSha256: string };
    assert.match(cert.pem, /BEGIN PRIVATE KEY[\s\S]+BEGIN CERTIFICATE/);
    assert.match(cert.thumbprintSha256, /^[0-9a-f]{64}$/);
    assert.equal((await admin(em, "POST", "/identities/managed", { clientId: "mi", default: true })).status, 200);
    assert.equal(em.counters().total, 0);
  });
});
