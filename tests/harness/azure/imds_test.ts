// ManagedIdentityCredential (MSAL's managed identity sources) against the IMDS emulator, in both forms. Each case
// runs in its own process: MSAL fixes the source and endpoint of managed identity once per process.
import assert from "node:assert/strict";
import { ROUTES as IMDS } from "./imds.ts";
import { runProbe, withEmulators } from "./testing.ts";
import type { AzureEmulators } from "./mod.ts";

function imdsEnv(em: AzureEmulators): Record<string, string> {
  return {
    AZURE_POD_IDENTITY_AUTHORITY_HOST: em.imdsEndpoint,
    IDENTITY_ENDPOINT: "",
    IDENTITY_HEADER: "",
    KEYVAULT_URL: em.vaultUrl("demo"),
    SECRET_NAME: "db",
  };
}

function appServiceEnv(em: AzureEmulators, header = em.identityHeader): Record<string, string> {
  return {
    AZURE_POD_IDENTITY_AUTHORITY_HOST: "",
    IDENTITY_ENDPOINT: em.identityEndpoint,
    IDENTITY_HEADER: header,
    KEYVAULT_URL: em.vaultUrl("demo"),
    SECRET_NAME: "db",
  };
}

Deno.test("IMDS form: user-assigned by client_id, system-assigned without, unknown identity refused at once", async () => {
  await withEmulators({}, async (em) => {
    em.addManagedIdentity({ clientId: "mi-user" });
    em.addManagedIdentity({ clientId: "mi-system", default: true });
    em.setSecret("demo", "db", "from-imds");

    assert.deepEqual(await runProbe(["managed", "mi-user"], imdsEnv(em)), { ok: true, value: "from-imds" });
    assert.deepEqual(await runProbe(["managed"], imdsEnv(em)), { ok: true, value: "from-imds" });
    assert.deepEqual(em.requests({ service: "imds" }).map((r) => [r.route, r.caller, r.status]), [
      [IMDS.imds, "mi-user", 200],
      [IMDS.imds, "mi-system", 200],
    ]);
    assert.equal(em.counters({ service: "keyvault", caller: "mi-user", status: 200 }).total, 1);
    assert.equal(em.counters({ service: "keyvault", caller: "mi-system", status: 200 }).total, 1);

    em.resetCounters();
    const unknown = await runProbe(["managed", "mi-nobody"], imdsEnv(em));
    assert.equal(unknown.ok, false);
    assert.match(unknown.error?.message ?? "", /Identity not found/);
    // 400 is final for MSAL: one request, no retry loop.
    assert.deepEqual(em.requests({ service: "imds" }).map((r) => r.status), [400]);
  });
});

Deno.test("App Service form (IDENTITY_ENDPOINT + IDENTITY_HEADER): works with the header, refused without it", async () => {
  await withEmulators({}, async (em) => {
    em.addManagedIdentity({ clientId: "mi-app" });
    em.setSecret("demo", "db", "from-app-service");
    assert.deepEqual(await runProbe(["managed", "mi-app"], appServiceEnv(em)), { ok: true, value: "from-app-service" });
    assert.deepEqual(em.requests({ service: "imds" }).map((r) => [r.route, r.caller, r.status]), [
      [IMDS.appService, "mi-app", 200],
    ]);
    const refused = await runProbe(["managed", "mi-app"], appServiceEnv(em, "wrong-header"));
    assert.equal(refused.ok, false);
    assert.equal(em.counters({ route: IMDS.appService, status: 401 }).total, 1);
  });
});

Deno.test("a managed identity without access to the vault gets 403 from Key Vault", async () => {
  await withEmulators({}, async (em) => {
    em.addManagedIdentity({ clientId: "mi-none", vaults: { other: "read" } });
    em.setSecret("demo", "db", "x");
    const denied = await runProbe(["managed", "mi-none"], imdsEnv(em));
    assert.equal(denied.ok, false);
    assert.equal(denied.error?.statusCode, 403);
  });
});
