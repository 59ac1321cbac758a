// The real @azure/identity credentials (MSAL underneath) against the Entra emulator, and Key Vault's token checks.
import assert from "node:assert/strict";
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import {
  type AccessToken,
  ClientSecretCredential,
  type TokenCredential,
  WorkloadIdentityCredential,
} from "@azure/identity";
import { ROUTES as ENTRA } from "./entra.ts";
import { decodeJwt, signJwt } from "./jwt.ts";
import { ROUTES as KV } from "./key_vault.ts";
import type { AzureEmulators } from "./mod.ts";
import {
  appClient,
  clientSecretCredential,
  CREDENTIAL_OPTIONS,
  rejection,
  runProbe,
  secretClient,
  trace,
  withEmulators,
} from "./testing.ts";

const VAULT_SCOPE = "https://vault.azure.net/.default";

Deno.test("ClientSecretCredential gets a signed JWT for the Key Vault audience with the lifetime asked for", async () => {
  await withEmulators({ tokenLifetimeSeconds: 1800 }, async (em) => {
    em.addClientSecretApp({ clientId: "app-1", secret: "s3cret" });
    const before = Date.now();
    const token = await clientSecretCredential(em, "app-1", "s3cret").getToken(VAULT_SCOPE);
    const claims = decodeJwt(token.token).payload;
    assert.equal(claims.aud, "https://vault.azure.net");
    assert.equal(claims.appid, "app-1");
    assert.equal(claims.tid, em.tenantId);
    assert.equal(claims.appidacr, "1");
    assert.ok(Math.abs(token.expiresOnTimestamp - (before + 1800_000)) < 5000);
    assert.deepEqual(trace(em), [`${ENTRA.openidV2} 200`, `${ENTRA.tokenV2} 200`]);
  });
});

Deno.test("wrong secret, unknown client and unknown tenant fail with the AADSTS errors MSAL reports", async () => {
  await withEmulators({}, async (em) => {
    em.addClientSecretApp({ clientId: "app-1", secret: "right" });
    const wrong = await rejection(clientSecretCredential(em, "app-1", "wrong").getToken(VAULT_SCOPE));
    // @azure/identity 4.14 wraps MSAL's ServerError as AuthenticationRequiredError (it does so against Entra too).
    assert.equal(wrong.name, "AuthenticationRequiredError");
    assert.match(wrong.message, /AADSTS7000215: Invalid client secret provided/);
    const unknown = await rejection(clientSecretCredential(em, "nobody", "x").getToken(VAULT_SCOPE));
    assert.match(unknown.message, /AADSTS700016: Application with identifier 'nobody' was not found/);
    // The SDK surfaces the same error from a Key Vault call.
    const viaVault = await rejection(secretClient(em, clientSecretCredential(em, "app-1", "wrong")).getSecret("x"));
    assert.match(viaVault.message, /AADSTS7000215/);

    const otherTenant = new ClientSecretCredential(
      "00000000-0000-0000-0000-00000000dead",
      "app-1",
      "right",
      { authorityHost: em.authorityHost, ...CREDENTIAL_OPTIONS },
    );
    // MSAL fails already at discovery, which Entra answers 400 (AADSTS90002) for an unknown tenant.
    assert.match((await rejection(otherTenant.getToken(VAULT_SCOPE))).message, /endpoints_resolution_error/);
    assert.equal(em.counters({ route: ENTRA.openidV2, status: 400 }).total, 1);
    assert.equal(em.counters({ route: ENTRA.tokenV2, status: 401 }).total, 2);
  });
});

Deno.test("ClientCertificateCredential: registered certificate works (with and without x5c); another one is refused", async () => {
  await withEmulators({}, async (em) => {
    const cert = em.addClientCertificateApp({ clientId: "cert-app" });
    const stranger = em.addClientCertificateApp({ clientId: "other-app" });
    assert.ok(cert.keyPem);
    em.setSecret("demo", "s", "by-cert");
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(`${dir}/cert.pem`, cert.pem);
      await Deno.writeTextFile(`${dir}/stranger.pem`, stranger.pem);
      const env = {
        AZURE_TENANT_ID: em.tenantId,
        AZURE_CLIENT_ID: "cert-app",
        AZURE_AUTHORITY_HOST: em.authorityHost,
        KEYVAULT_URL: em.vaultUrl("demo"),
        SECRET_NAME: "s",
      };
      // In a separate process: see pem_bundle_fix.ts for the Deno bug that needs loading first.
      assert.deepEqual(await runProbe(["certificate", `${dir}/cert.pem`], env), { ok: true, value: "by-cert" });
      assert.deepEqual(await runProbe(["certificate", `${dir}/cert.pem`, "chain"], env), {
        ok: true,
        value: "by-cert",
      });
      const refused = await runProbe(["certificate", `${dir}/stranger.pem`], env);
      assert.equal(refused.ok, false);
      assert.match(refused.error?.message ?? "", /AADSTS700027: Client assertion contains an invalid signature/);
      assert.deepEqual(em.requests({ route: ENTRA.tokenV2 }).map((r) => [r.caller, r.status]), [
        ["cert-app", 200],
        ["cert-app", 200],
        ["cert-app", 401],
      ]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

/** A stand-in for kube-apiserver's service-account signer: RS256 tokens like TokenRequest returns. */
function serviceAccountToken(
  key: KeyObject,
  claims: { iss: string; sub: string; aud?: string[]; lifetimeSeconds?: number; kid?: string },
): string {
  const now = Math.floor(Date.now() / 1000);
  return signJwt({ alg: "RS256", kid: claims.kid ?? "sa-key-1" }, {
    aud: claims.aud ?? ["api://AzureADTokenExchange"],
    exp: now + (claims.lifetimeSeconds ?? 3600),
    iat: now,
    nbf: now,
    iss: claims.iss,
    sub: claims.sub,
    "kubernetes.io": { namespace: "jenkins", serviceaccount: { name: "eso", uid: crypto.randomUUID() } },
  }, key);
}

async function workloadToken(em: AzureEmulators, tokenFile: string, token: string): Promise<AccessToken> {
  await Deno.writeTextFile(tokenFile, token);
  const credential = new WorkloadIdentityCredential({
    tenantId: em.tenantId,
    clientId: "wi-app",
    tokenFilePath: tokenFile,
    authorityHost: em.authorityHost,
    ...CREDENTIAL_OPTIONS,
  });
  return await credential.getToken(VAULT_SCOPE);
}

Deno.test("WorkloadIdentityCredential: federated assertion checked by issuer, subject, audience and signature", async () => {
  await withEmulators({}, async (em) => {
    const issuer = "https://kubernetes.default.svc.cluster.local";
    const subject = "system:serviceaccount:jenkins:eso";
    const sa = generateKeyPairSync("rsa", { modulusLength: 2048 });
    em.addFederatedIdentity({
      clientId: "wi-app",
      issuer,
      subject,
      issuerPublicKeyPem: sa.publicKey.export({ type: "spki", format: "pem" }).toString(),
    });
    em.setSecret("demo", "docker-config-json", '{"auths":{}}');
    const dir = await Deno.makeTempDir();
    const tokenFile = `${dir}/token`;
    try {
      // Through Key Vault, as the controller will use it.
      await Deno.writeTextFile(tokenFile, serviceAccountToken(sa.privateKey, { iss: issuer, sub: subject }));
      const credential = new WorkloadIdentityCredential({
        tenantId: em.tenantId,
        clientId: "wi-app",
        tokenFilePath: tokenFile,
        authorityHost: em.authorityHost,
        ...CREDENTIAL_OPTIONS,
      });
      assert.equal((await secretClient(em, credential).getSecret("docker-config-json")).value, '{"auths":{}}');
      assert.equal(em.counters({ route: ENTRA.tokenV2, caller: "wi-app", status: 200 }).total, 1);

      const fails = async (token: string): Promise<string> =>
        (await rejection(workloadToken(em, tokenFile, token))).message;
      assert.match(
        await fails(serviceAccountToken(sa.privateKey, { iss: issuer, sub: "system:serviceaccount:x:y" })),
        /AADSTS700213/,
      );
      assert.match(
        await fails(serviceAccountToken(sa.privateKey, { iss: "https://elsewhere", sub: subject })),
        /AADSTS700211/,
      );
      assert.match(
        await fails(serviceAccountToken(sa.privateKey, { iss: issuer, sub: subject, aud: ["other"] })),
        /AADSTS700212/,
      );
      assert.match(
        await fails(serviceAccountToken(sa.privateKey, { iss: issuer, sub: subject, lifetimeSeconds: -600 })),
        /AADSTS700024/,
      );
      const forged = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
      assert.match(await fails(serviceAccountToken(forged, { iss: issuer, sub: subject })), /AADSTS700027/);

      // Without a registered key, only issuer/subject/audience are checked.
      em.addFederatedIdentity({ clientId: "wi-app", issuer: "https://unchecked", subject });
      const token = await workloadToken(
        em,
        tokenFile,
        serviceAccountToken(forged, { iss: "https://unchecked", sub: subject }),
      );
      assert.equal(decodeJwt(token.token).payload.appid, "wi-app");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

Deno.test("WorkloadIdentityCredential with the issuer's JWKS (as /openid/v1/jwks serves it)", async () => {
  await withEmulators({}, async (em) => {
    const sa = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const jwk = { ...sa.publicKey.export({ format: "jwk" }), kid: "k1", use: "sig", alg: "ES256" };
    em.addFederatedIdentity({
      clientId: "wi-app",
      issuer: "https://issuer",
      subject: "sub",
      issuerJwks: { keys: [jwk] },
    });
    const dir = await Deno.makeTempDir();
    try {
      const now = Math.floor(Date.now() / 1000);
      const token = signJwt({ alg: "ES256", kid: "k1" }, {
        iss: "https://issuer",
        sub: "sub",
        aud: "api://AzureADTokenExchange",
        exp: now + 600,
        iat: now,
      }, sa.privateKey);
      assert.ok((await workloadToken(em, `${dir}/t`, token)).token);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

Deno.test("short-lived tokens are refreshed: a second token request, and Key Vault never sees an expired one", async () => {
  await withEmulators({ tokenLifetimeSeconds: 3 }, async (em) => {
    const client = appClient(em);
    em.setSecret("demo", "s", "v");
    assert.equal((await client.getSecret("s")).value, "v");
    assert.equal(em.counters({ route: ENTRA.tokenV2 }).total, 1);
    await new Promise((r) => setTimeout(r, 3200)); // past the first token's expiry
    assert.equal((await client.getSecret("s")).value, "v");
    assert.equal(em.counters({ route: ENTRA.tokenV2, status: 200 }).total, 2);
    // Only the very first request (no token yet) was refused.
    assert.deepEqual(em.requests({ service: "keyvault" }).map((r) => r.status), [401, 200, 200]);
  });
});

/** A credential handing out a fixed token, to show Key Vault's answers to bad ones. */
function fixedToken(token: string): TokenCredential {
  return { getToken: () => Promise.resolve({ token, expiresOnTimestamp: Date.now() + 3600_000 }) };
}

Deno.test("Key Vault refuses expired, foreign-audience, foreign-tenant and foreign-signer tokens with 401", async () => {
  await withEmulators({}, async (em) => {
    em.addClientSecretApp({ clientId: "app", secret: "s" });
    em.setSecret("demo", "s", "v");
    const attempt = async (token: string): Promise<string> => {
      const err = await rejection(secretClient(em, fixedToken(token)).getSecret("s"));
      assert.equal(err.statusCode, 401);
      assert.equal(err.code, "Unauthorized");
      return err.message;
    };
    assert.match(await attempt(em.mintAccessToken({ clientId: "app", lifetimeSeconds: -5 })), /TokenExpired/);
    assert.match(
      await attempt(em.mintAccessToken({ clientId: "app", audience: "https://storage.azure.com" })),
      /AKV10022: Invalid audience/,
    );
    assert.match(
      await attempt(em.mintAccessToken({ clientId: "app", tenantId: "other-tenant" })),
      /AKV10032: Invalid issuer/,
    );
    assert.match(await attempt("not-a-jwt"), /Error validating token/);
    await withEmulators({}, async (other) => {
      other.addClientSecretApp({ clientId: "app", secret: "s" });
      assert.match(await attempt(other.mintAccessToken({ clientId: "app" })), /Error validating token/);
    });
    // A valid one works through the same path.
    assert.equal(
      (await secretClient(em, fixedToken(em.mintAccessToken({ clientId: "app" }))).getSecret("s")).value,
      "v",
    );
    assert.equal(em.counters({ route: KV.getSecret, status: 401, caller: "app" }).total > 0, true);
  });
});
