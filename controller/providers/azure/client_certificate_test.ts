import assert from "node:assert/strict";
import { ClientCertificateCredential } from "@azure/identity";
import { SecretClient } from "@azure/keyvault-secrets";
import { constants, createHash, createPrivateKey, createPublicKey, verify, X509Certificate } from "node:crypto";
import { startAzureEmulators } from "../../../tests/harness/azure/mod.ts";
import { generateCertificate } from "../../../tests/harness/azure/x509.ts";
import { InvalidStoreError } from "../provider.ts";
import {
  clientCertificateCredential,
  parseClientCertificate,
  signClientAssertion,
  tokenEndpoint,
} from "./client_certificate.ts";

const SCOPE = "https://vault.azure.net/.default";
const TOKEN_ROUTE = "POST /{tenant}/oauth2/v2.0/token";

function decodePart(part: string): Record<string, unknown> {
  return JSON.parse(
    new TextDecoder().decode(Uint8Array.from(atob(part.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0))),
  );
}

async function rejects(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a rejection");
}

Deno.test("parseClientCertificate: key and certificate in either order, PKCS#8 or PKCS#1; thumbprints of the DER", async () => {
  const { certPem, keyPem } = await generateCertificate({ subject: "CN=parse-me" });
  const pkcs1 = createPrivateKey(keyPem).export({ type: "pkcs1", format: "pem" }) as string;
  const der = new X509Certificate(certPem).raw;
  for (const pem of [keyPem + certPem, certPem + keyPem, pkcs1 + certPem, `# comment\r\n${certPem}\r\n${keyPem}`]) {
    const cert = await parseClientCertificate(pem);
    assert.equal(cert.thumbprintSha256, createHash("sha256").update(der).digest("base64url"));
    assert.equal(cert.thumbprintSha1, createHash("sha1").update(der).digest("hex").toUpperCase());
    assert.match(cert.subject, /CN=parse-me/);
    assert.ok(cert.notAfter.getTime() > Date.now());
  }
});

Deno.test("parseClientCertificate: a chain picks the certificate that matches the key, wherever it is", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const ca = await generateCertificate({ subject: "CN=test-ca", ca: true });
    await Deno.writeTextFile(`${dir}/ca.crt`, ca.certPem);
    await Deno.writeTextFile(`${dir}/ca.key`, ca.keyPem);
    const leaf = await generateCertificate({
      subject: "CN=leaf",
      issuer: { certPath: `${dir}/ca.crt`, keyPath: `${dir}/ca.key` },
    });
    const cert = await parseClientCertificate(ca.certPem + leaf.keyPem + leaf.certPem);
    assert.match(cert.subject, /CN=leaf/);
    assert.equal(
      cert.thumbprintSha256,
      createHash("sha256").update(new X509Certificate(leaf.certPem).raw).digest("base64url"),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseClientCertificate: clear InvalidStoreErrors that never quote the PEM", async () => {
  const a = await generateCertificate({ subject: "CN=a" });
  const b = await generateCertificate({ subject: "CN=b" });
  const ec = await generateCertificate({ subject: "CN=ec", keyType: "ec" });
  const encrypted = createPrivateKey(a.keyPem).export({
    type: "pkcs8",
    format: "pem",
    cipher: "aes-256-cbc",
    passphrase: "pw",
  }) as string;
  const cases: [string, RegExp][] = [
    [a.certPem, /holds no private key/],
    [a.keyPem, /holds no certificate/],
    ["not a PEM at all", /holds no private key/],
    [a.keyPem + b.keyPem + a.certPem, /holds 2 private keys/],
    [encrypted + a.certPem, /encrypted private key/],
    [ec.keyPem + ec.certPem, /has an EC key: Entra ID client assertions need an RSA key/],
    [a.keyPem + b.certPem, /has a certificate but none matches its private key/],
    [a.keyPem + b.certPem + ec.certPem, /has 2 certificates but none matches its private key/],
    [a.keyPem.replace(/\n[A-Za-z0-9+/]{20}/, "\n!!!!!!!!!!!!!!!!!!!!") + a.certPem, /private key that cannot be read/],
  ];
  for (const [pem, message] of cases) {
    const e = await rejects(parseClientCertificate(pem));
    assert.ok(e instanceof InvalidStoreError, `${message}: ${e}`);
    assert.match(e.message, /^authSecretRef\.clientCertificate /);
    assert.match(e.message, message);
    assert.ok(!e.message.includes("-----BEGIN") && !e.message.includes(a.keyPem.split("\n")[1]!));
  }
});

Deno.test("signClientAssertion: PS256 JWT with x5t#S256, iss = sub = client, aud = token endpoint, 10 minutes", async () => {
  const { certPem, keyPem } = await generateCertificate({ subject: "CN=signer" });
  const cert = await parseClientCertificate(keyPem + certPem);
  const aud = tokenEndpoint("https://login.example/", "tenant-1");
  assert.equal(aud, "https://login.example/tenant-1/oauth2/v2.0/token");
  const jwt = await signClientAssertion(cert, "client-1", aud, 1_800_000_000);
  const [h, p, s] = jwt.split(".") as [string, string, string];
  assert.deepEqual(decodePart(h), { alg: "PS256", typ: "JWT", "x5t#S256": cert.thumbprintSha256 });
  const claims = decodePart(p);
  assert.equal(claims.aud, aud);
  assert.equal(claims.iss, "client-1");
  assert.equal(claims.sub, "client-1");
  assert.equal(claims.nbf, 1_800_000_000);
  assert.equal(claims.exp, 1_800_000_600);
  assert.match(String(claims.jti), /^[0-9a-f-]{36}$/);
  const ok = verify(
    "sha256",
    new TextEncoder().encode(`${h}.${p}`),
    { key: createPublicKey(certPem), padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
    Buffer.from(s, "base64url"),
  );
  assert.ok(ok, "the signature verifies with the certificate's public key");
});

Deno.test("clientCertificateCredential gets a token from Entra (emulator) where ClientCertificateCredential cannot", async () => {
  const em = await startAzureEmulators({ vaults: ["demo"] });
  try {
    const registered = em.addClientCertificateApp({ clientId: "cert-app", vaults: { demo: "read" } });
    const stranger = await generateCertificate({ subject: "CN=stranger" });
    em.setSecret("demo", "s", "read-by-certificate");
    const options = { authorityHost: em.authorityHost, disableInstanceDiscovery: true };

    // The SDK's own credential, as shipped, under this Deno: the reason client_certificate.ts exists. If this starts
    // working (a Deno or SDK upgrade), ClientCertificateCredential can be used again.
    const stock = new ClientCertificateCredential(em.tenantId, "cert-app", { certificate: registered.pem }, options);
    const stockError = await rejects(stock.getToken(SCOPE));
    assert.match(stockError.message, /secretOrPrivateKey must be an asymmetric key/);
    assert.equal(em.counters({ route: TOKEN_ROUTE }).total, 0, "it fails before sending anything");

    for (const pem of [registered.pem, registered.certPem + registered.keyPem!]) {
      const cert = await parseClientCertificate(pem);
      const credential = clientCertificateCredential(em.tenantId, "cert-app", cert, em.authorityHost, options);
      const client = new SecretClient(em.vaultUrl("demo"), credential, { disableChallengeResourceVerification: true });
      assert.equal((await client.getSecret("s")).value, "read-by-certificate");
      assert.equal((await client.getSecret("s")).value, "read-by-certificate");
    }
    assert.deepEqual(em.requests({ route: TOKEN_ROUTE }).map((r) => [r.caller, r.status]), [
      ["cert-app", 200],
      ["cert-app", 200],
    ], "one token per credential, reused for the second read");

    const wrong = await parseClientCertificate(stranger.keyPem + stranger.certPem);
    const refused = clientCertificateCredential(em.tenantId, "cert-app", wrong, em.authorityHost, options);
    const e = await rejects(refused.getToken(SCOPE));
    assert.match(e.message, /AADSTS700027: Client assertion contains an invalid signature/);
  } finally {
    await em.stop();
  }
});
