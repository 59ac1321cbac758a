// The real @azure/keyvault-* SDKs against the Key Vault emulator over HTTPS.
import assert from "node:assert/strict";
import { createPrivateKey, createPublicKey } from "node:crypto";
import { CertificateClient } from "@azure/keyvault-certificates";
import { KeyClient } from "@azure/keyvault-keys";
import type { RestError } from "@azure/core-rest-pipeline";
import { openssl } from "./openssl.ts";
import {
  appClient,
  CLIENT_OPTIONS,
  clientSecretCredential,
  rejection,
  secretClient,
  trace,
  withEmulators,
} from "./testing.ts";
import { ROUTES as KV } from "./key_vault.ts";
import { ROUTES as ENTRA } from "./entra.ts";
import { pemToDer } from "./x509.ts";

const POLL = { intervalInMs: 10 };

Deno.test("challenge flow: 401 with the challenge, discovery and token, then the withheld request", async () => {
  await withEmulators({}, async (em) => {
    const client = appClient(em);
    await client.setSecret("first", "v1");
    assert.deepEqual(trace(em), [
      `${KV.setSecret} 401`,
      `${ENTRA.openidV2} 200`,
      `${ENTRA.tokenV2} 200`,
      `${KV.setSecret} 200`,
    ]);
    assert.equal(em.requests()[0]?.caller, "anonymous");
    assert.equal(em.requests()[3]?.caller, "app-rw");
    // The token is cached: one more call is one more request.
    assert.equal((await client.getSecret("first")).value, "v1");
    assert.equal(em.counters().total, 5);

    // The challenge exactly as Key Vault words it.
    const ca = await Deno.readTextFile(em.caCertPath);
    const http = Deno.createHttpClient({ caCerts: [ca] });
    try {
      const res = await fetch(`${em.vaultUrl("demo")}/secrets/first?api-version=2026-04-01`, { client: http });
      assert.equal(res.status, 401);
      assert.equal(
        res.headers.get("www-authenticate"),
        `Bearer authorization="${em.authorityHost}/${em.tenantId}", resource="https://vault.azure.net"`,
      );
      assert.equal((await res.json()).error.code, "Unauthorized");
    } finally {
      http.close();
    }
  });
});

Deno.test("set and get: latest and by version, with contentType, tags, enabled, notBefore and expiresOn", async () => {
  await withEmulators({}, async (em) => {
    const client = appClient(em);
    const notBefore = new Date("2026-01-01T00:00:00Z");
    const expiresOn = new Date("2030-06-01T12:00:00Z");
    const v1 = await client.setSecret("db-password", "one", {
      contentType: "text/plain",
      tags: { owner: "team-a" },
      notBefore,
      expiresOn,
    });
    const v2 = await client.setSecret("db-password", "two");
    assert.notEqual(v1.properties.version, v2.properties.version);
    assert.match(v1.properties.version ?? "", /^[0-9a-f]{32}$/);

    const latest = await client.getSecret("db-password");
    assert.equal(latest.value, "two");
    assert.equal(latest.properties.version, v2.properties.version);
    assert.equal(latest.properties.vaultUrl, em.vaultUrl("demo"));

    const old = await client.getSecret("db-password", { version: v1.properties.version ?? "" });
    assert.equal(old.value, "one");
    assert.equal(old.properties.contentType, "text/plain");
    assert.deepEqual(old.properties.tags, { owner: "team-a" });
    assert.equal(old.properties.enabled, true);
    assert.equal(old.properties.notBefore?.toISOString(), notBefore.toISOString());
    assert.equal(old.properties.expiresOn?.toISOString(), expiresOn.toISOString());
    assert.equal(old.properties.recoveryLevel, "Recoverable+Purgeable");

    // What the SDK wrote is what the store holds.
    assert.equal(em.getSecret("demo", "db-password")?.value, "two");
    assert.equal(em.getSecret("demo", "db-password", v1.properties.version)?.value, "one");
  });
});

Deno.test("names are case-insensitive and keep the casing they were created with", async () => {
  await withEmulators({}, async (em) => {
    const client = appClient(em);
    await client.setSecret("MySecret", "x");
    const got = await client.getSecret("mysecret");
    assert.equal(got.value, "x");
    assert.equal(got.name, "MySecret");
  });
});

Deno.test("listPropertiesOfSecrets follows nextLink pages (25 by default, maxresults when asked)", async () => {
  await withEmulators({}, async (em) => {
    const client = appClient(em);
    const names = Array.from({ length: 30 }, (_, i) => `s-${String(i).padStart(2, "0")}`);
    for (const n of names) em.setSecret("demo", n, `value-${n}`);
    em.setSecret("demo", "gone", "x");
    em.deleteSecret("demo", "gone");

    const seen: string[] = [];
    for await (const p of client.listPropertiesOfSecrets()) seen.push(p.name);
    assert.deepEqual(seen, names);
    // Two pages (after the unauthenticated first request the SDK always makes).
    assert.equal(em.counters({ route: KV.listSecrets, status: 200 }).total, 2);

    em.resetCounters();
    const sizes: number[] = [];
    for await (const page of client.listPropertiesOfSecrets().byPage({ maxPageSize: 7 })) sizes.push(page.length);
    assert.deepEqual(sizes, [7, 7, 7, 7, 2]);
    assert.equal(em.counters({ route: KV.listSecrets }).total, 5);
  });
});

Deno.test("listPropertiesOfSecretVersions lists every version", async () => {
  await withEmulators({}, async (em) => {
    const client = appClient(em);
    const versions: string[] = [];
    for (const v of ["a", "b", "c"]) versions.push((await client.setSecret("rotating", v)).properties.version ?? "");
    const listed: string[] = [];
    for await (const p of client.listPropertiesOfSecretVersions("rotating")) listed.push(p.version ?? "");
    assert.deepEqual(listed.toSorted(), versions.toSorted());
  });
});

Deno.test("updateSecretProperties; a disabled secret answers 403 Forbidden (SecretDisabled) until re-enabled", async () => {
  await withEmulators({}, async (em) => {
    const client = appClient(em);
    const { properties } = await client.setSecret("toggle", "value");
    const version = properties.version ?? "";
    const updated = await client.updateSecretProperties("toggle", version, { enabled: false, tags: { state: "off" } });
    assert.equal(updated.enabled, false);
    assert.deepEqual(updated.tags, { state: "off" });

    const err = await rejection(client.getSecret("toggle")) as RestError & {
      details?: { error?: { innerError?: { code?: string } } };
    };
    assert.equal(err.statusCode, 403);
    assert.equal(err.code, "Forbidden");
    assert.equal(err.details?.error?.innerError?.code, "SecretDisabled");
    // Listing still shows it (disabled).
    const listed = [];
    for await (const p of client.listPropertiesOfSecrets()) listed.push([p.name, p.enabled]);
    assert.deepEqual(listed, [["toggle", false]]);

    await client.updateSecretProperties("toggle", version, { enabled: true });
    assert.equal((await client.getSecret("toggle")).value, "value");
  });
});

Deno.test("soft delete: deleted secrets 404, block set (ObjectIsDeletedButRecoverable), recover and purge", async () => {
  await withEmulators({}, async (em) => {
    const client = appClient(em);
    await client.setSecret("temp", "keep-me");
    const deleted = await (await client.beginDeleteSecret("temp", POLL)).pollUntilDone();
    assert.equal(deleted.recoveryId, `${em.vaultUrl("demo")}/deletedsecrets/temp`);
    assert.ok(deleted.scheduledPurgeDate && deleted.deletedOn);

    assert.equal((await rejection(client.getSecret("temp"))).statusCode, 404);
    const conflict = await rejection(client.setSecret("temp", "again")) as RestError & {
      details?: { error?: { innerError?: { code?: string } } };
    };
    assert.equal(conflict.statusCode, 409);
    assert.equal(conflict.details?.error?.innerError?.code, "ObjectIsDeletedButRecoverable");

    const inBin: string[] = [];
    for await (const d of client.listDeletedSecrets()) inBin.push(d.name);
    assert.deepEqual(inBin, ["temp"]);
    assert.equal((await client.getDeletedSecret("temp")).name, "temp");

    await (await client.beginRecoverDeletedSecret("temp", POLL)).pollUntilDone();
    assert.equal((await client.getSecret("temp")).value, "keep-me");

    await (await client.beginDeleteSecret("temp", POLL)).pollUntilDone();
    await client.purgeDeletedSecret("temp");
    assert.equal((await rejection(client.getDeletedSecret("temp"))).statusCode, 404);
    assert.equal(em.getSecret("demo", "temp"), undefined);
    await client.setSecret("temp", "fresh");
    assert.equal((await client.getSecret("temp")).value, "fresh");
  });
});

Deno.test("errors map to RestErrors with Key Vault's codes: 404, 400 (names, size), 403 (access)", async () => {
  await withEmulators({ vaults: ["demo", "other"] }, async (em) => {
    const client = appClient(em);
    await client.setSecret("exists", "x");

    const missing = await rejection(client.getSecret("missing"));
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.code, "SecretNotFound");
    const badVersion = await rejection(client.getSecret("exists", { version: "0123456789abcdef0123456789abcdef" }));
    assert.equal(badVersion.code, "SecretNotFound");

    for (const name of ["bad_name", "a".repeat(128), "dots.not.allowed"]) {
      const bad = await rejection(client.setSecret(name, "x"));
      assert.equal(bad.statusCode, 400, name);
      assert.equal(bad.code, "BadParameter", name);
    }
    assert.equal((await client.setSecret("a".repeat(127), "ok")).name, "a".repeat(127));
    assert.equal((await rejection(client.setSecret("big", "x".repeat(25 * 1024 + 1)))).code, "BadParameter");

    // A reader may get and list, not write; an identity without access to a vault gets nothing there.
    em.addClientSecretApp({ clientId: "reader", secret: "r", vaults: { demo: "read" } });
    const reader = secretClient(em, clientSecretCredential(em, "reader", "r"));
    assert.equal((await reader.getSecret("exists")).value, "x");
    const denied = await rejection(reader.setSecret("exists", "y"));
    assert.equal(denied.statusCode, 403);
    assert.equal(denied.code, "Forbidden");
    assert.match(denied.message, /appid=reader/);
    const elsewhere = secretClient(em, clientSecretCredential(em, "reader", "r"), "other");
    assert.equal((await rejection(elsewhere.getSecret("exists"))).statusCode, 403);

    // Access can change while running.
    em.grant("reader", "demo", "none");
    assert.equal((await rejection(reader.getSecret("exists"))).statusCode, 403);
  });
});

Deno.test("KeyClient.getKey returns the public JWK only (RSA and EC)", async () => {
  await withEmulators({}, async (em) => {
    em.addClientSecretApp({ clientId: "app", secret: "s" });
    const keys = new KeyClient(em.vaultUrl("demo"), clientSecretCredential(em, "app", "s"), CLIENT_OPTIONS);
    const rsa = await em.createKey("demo", "signing");
    const ec = await em.createKey("demo", "ec-key", { kty: "EC", crv: "P-256" });

    const gotRsa = await keys.getKey("signing");
    assert.equal(gotRsa.id, rsa.kid);
    assert.equal(gotRsa.keyType, "RSA");
    assert.equal(gotRsa.key?.n?.length, 256);
    assert.deepEqual([...(gotRsa.key?.e ?? [])], [1, 0, 1]);
    assert.equal(gotRsa.key?.d, undefined);
    const gotEc = await keys.getKey("ec-key", { version: ec.version });
    assert.equal(gotEc.keyType, "EC");
    assert.equal(gotEc.key?.crv, "P-256");
    assert.equal(gotEc.key?.x?.length, 32);
    assert.equal(gotEc.key?.d, undefined);
    assert.equal((await rejection(keys.getKey("nope"))).code, "KeyNotFound");
  });
});

Deno.test("CertificateClient.getCertificate returns the DER; the backing secret holds PFX or PEM", async () => {
  await withEmulators({}, async (em) => {
    em.addClientSecretApp({ clientId: "app", secret: "s" });
    const credential = clientSecretCredential(em, "app", "s");
    const certs = new CertificateClient(em.vaultUrl("demo"), credential, CLIENT_OPTIONS);
    const secrets = secretClient(em, credential);
    const keys = new KeyClient(em.vaultUrl("demo"), credential, CLIENT_OPTIONS);
    const pfx = await em.createCertificate("demo", "tls-pfx", { subject: "CN=demo.example" });
    const pem = await em.createCertificate("demo", "tls-pem", { format: "pem" });

    const got = await certs.getCertificate("tls-pfx");
    assert.deepEqual(new Uint8Array(got.cer ?? []), pemToDer(pfx.certPem));
    assert.equal(got.policy?.subject, "CN=demo.example");
    assert.equal(got.secretId, `${em.vaultUrl("demo")}/secrets/tls-pfx/${pfx.version}`);
    assert.equal(got.properties.version, pfx.version);
    const byVersion = await certs.getCertificateVersion("tls-pem", pem.version);
    assert.deepEqual(new Uint8Array(byVersion.cer ?? []), pemToDer(pem.certPem));

    // PFX (base64): openssl reads it with the empty password and finds our certificate and a key.
    const pfxSecret = await secrets.getSecret("tls-pfx");
    assert.equal(pfxSecret.properties.contentType, "application/x-pkcs12");
    assert.equal(pfxSecret.properties.managed, true);
    assert.equal(pfxSecret.properties.certificateKeyId, `${em.vaultUrl("demo")}/keys/tls-pfx/${pfx.version}`);
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeFile(`${dir}/c.pfx`, Uint8Array.from(atob(pfxSecret.value ?? ""), (c) => c.charCodeAt(0)));
      const dump = new TextDecoder().decode(
        await openssl(["pkcs12", "-in", `${dir}/c.pfx`, "-passin", "pass:", "-nodes"]),
      );
      assert.match(dump, /BEGIN PRIVATE KEY/);
      assert.deepEqual(pemToDer(dump), pemToDer(pfx.certPem));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }

    // PEM: private key then certificate, and they belong together.
    const pemSecret = await secrets.getSecret("tls-pem");
    assert.equal(pemSecret.properties.contentType, "application/x-pem-file");
    const value = pemSecret.value ?? "";
    assert.ok(value.indexOf("PRIVATE KEY") < value.indexOf("CERTIFICATE"));
    // Deno's createPrivateKey rejects a PEM bundle (Node takes the first block), so cut the key out.
    const keyPem = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/.exec(value)?.[0] ?? "";
    const fromKey = createPublicKey(createPrivateKey(keyPem)).export({ format: "jwk" });
    assert.deepEqual(fromKey, createPublicKey(pem.certPem).export({ format: "jwk" }));

    // The certificate's key is readable as a key; its secret cannot be overwritten.
    const key = await keys.getKey("tls-pem");
    assert.equal(Buffer.from(key.key?.n ?? []).toString("base64url"), fromKey.n);
    assert.equal((await rejection(secrets.setSecret("tls-pem", "overwrite"))).statusCode, 403);
  });
});
