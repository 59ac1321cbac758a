/**
 * Client-certificate authentication for a ServicePrincipal (`authSecretRef.clientCertificate`: a PEM text holding the
 * private key and its certificate), built on `ClientAssertionCredential` instead of `ClientCertificateCredential`.
 *
 * Why: `ClientCertificateCredential` (@azure/identity 4.14) uses one text both to find the certificate (thumbprint)
 * and as the private key, which MSAL hands to jsonwebtoken, which calls `node:crypto` `createPrivateKey(text)`.
 * Deno 2.9.6's `createPrivateKey` rejects a PEM text with more than one block ("DECODER routines::unsupported"), so
 * the credential always fails with "secretOrPrivateKey must be an asymmetric key when using PS256": whatever the
 * order of the blocks, whether the PEM is given as `certificate` or `certificatePath`, with or without
 * `sendCertificateChain` (they all feed the same text to `createPrivateKey`). A process-wide patch of `node:crypto`
 * would work but must load before the SDK and changes every caller in the process.
 *
 * So we split the PEM ourselves and sign the assertion MSAL would sign for that certificate (the client assertion
 * format Entra ID documents for certificate credentials): header `alg: PS256` with the SHA-256 thumbprint
 * (`x5t#S256`), claims `aud` = the tenant's v2.0 token endpoint, `iss` = `sub` = the client id, `jti`, `nbf`, `iat`
 * and `exp` 10 minutes later. Like MSAL, an assertion is reused until shortly before it expires. Only the SDK's public
 * API is used; the token request on the wire is the one `ClientCertificateCredential` sends.
 *
 * @module
 */
import { ClientAssertionCredential, type ClientAssertionCredentialOptions } from "@azure/identity";
import { createHash, createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";
import { InvalidStoreError } from "../provider.ts";

/** Lifetime of an assertion (MSAL's), and how long before its expiry a new one is signed. */
const ASSERTION_LIFETIME_S = 600;
const ASSERTION_RENEW_BEFORE_S = 60;

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)\r?\n?-----END \1-----/g;
const KEY_LABELS = new Set(["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY"]);

/** The parts of a client certificate an assertion needs. Holds no PEM text. */
export interface ClientCertificate {
  /** RSA-PSS/SHA-256 signing key (not extractable). */
  signingKey: CryptoKey;
  /** base64url SHA-256 of the certificate's DER: the assertion's `x5t#S256`. */
  thumbprintSha256: string;
  /** Upper-case hex SHA-1 of the DER, as the Azure portal shows it (for messages). */
  thumbprintSha1: string;
  subject: string;
  notAfter: Date;
}

function fail(what: string, cause?: unknown): never {
  throw new InvalidStoreError(
    `authSecretRef.clientCertificate ${what}`,
    cause === undefined ? undefined : { cause },
  );
}

/**
 * Parses `authSecretRef.clientCertificate`: exactly one unencrypted RSA private key (PKCS#8 or PKCS#1) and one or
 * more certificates in any order, one of which matches the key. Errors say what is wrong, never what is in it.
 */
export async function parseClientCertificate(pem: string): Promise<ClientCertificate> {
  const blocks = [...pem.matchAll(BLOCK)].map((m) => ({ label: m[1]!, text: m[0] }));
  const keys = blocks.filter((b) => KEY_LABELS.has(b.label));
  const certs = blocks.filter((b) => b.label === "CERTIFICATE");
  if (keys.length === 0) fail("holds no private key: it must be a PEM text with the private key and its certificate");
  if (keys.length > 1) fail(`holds ${keys.length} private keys: it must hold exactly one`);
  if (certs.length === 0) fail("holds no certificate: it must be a PEM text with the private key and its certificate");
  const keyBlock = keys[0]!;
  if (keyBlock.label === "ENCRYPTED PRIVATE KEY" || /Proc-Type:\s*4,ENCRYPTED/.test(keyBlock.text)) {
    fail("holds an encrypted private key: ESO reads an unencrypted one (there is no password field)");
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(keyBlock.text);
  } catch (e) {
    fail(`has a private key that cannot be read (${(e as Error).message})`, e);
  }
  if (key.asymmetricKeyType !== "rsa") {
    fail(`has an ${key.asymmetricKeyType?.toUpperCase() ?? "unknown"} key: Entra ID client assertions need an RSA key`);
  }
  let leaf: X509Certificate | undefined;
  for (const c of certs) {
    let x: X509Certificate;
    try {
      x = new X509Certificate(c.text);
    } catch (e) {
      fail(`has a certificate that cannot be read (${(e as Error).message})`, e);
    }
    if (x.checkPrivateKey(key)) {
      leaf = x;
      break;
    }
  }
  if (!leaf) {
    fail(
      `has ${certs.length === 1 ? "a certificate" : `${certs.length} certificates`} but none matches its private key`,
    );
  }
  const der = new Uint8Array(leaf.raw);
  const pkcs8 = key.export({ type: "pkcs8", format: "der" });
  const signingKey = await crypto.subtle.importKey(
    "pkcs8",
    new Uint8Array(pkcs8),
    { name: "RSA-PSS", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return {
    signingKey,
    thumbprintSha256: createHash("sha256").update(der).digest("base64url"),
    thumbprintSha1: createHash("sha1").update(der).digest("hex").toUpperCase(),
    subject: leaf.subject.replaceAll("\n", ", "),
    notAfter: new Date(leaf.validTo),
  };
}

function b64url(data: string | Uint8Array): string {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  return bytes.toBase64({ alphabet: "base64url", omitPadding: true });
}

/** The token endpoint an assertion is addressed to (its `aud`). */
export function tokenEndpoint(authorityHost: string, tenantId: string): string {
  return `${authorityHost.replace(/\/+$/, "")}/${tenantId}/oauth2/v2.0/token`;
}

/** Signs one client assertion (a PS256 JWT) for `clientId` addressed to `audience`. */
export async function signClientAssertion(
  cert: ClientCertificate,
  clientId: string,
  audience: string,
  nowSeconds: number = Math.floor(Date.now() / 1000),
): Promise<string> {
  const header = { alg: "PS256", typ: "JWT", "x5t#S256": cert.thumbprintSha256 };
  const claims = {
    aud: audience,
    iss: clientId,
    sub: clientId,
    jti: crypto.randomUUID(),
    nbf: nowSeconds,
    iat: nowSeconds,
    exp: nowSeconds + ASSERTION_LIFETIME_S,
  };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const signature = await crypto.subtle.sign(
    { name: "RSA-PSS", saltLength: 32 },
    cert.signingKey,
    new TextEncoder().encode(input),
  );
  return `${input}.${b64url(new Uint8Array(signature))}`;
}

/**
 * A credential for a ServicePrincipal with a certificate: `ClientAssertionCredential` fed with assertions signed by
 * {@link signClientAssertion}. `authorityHost` is the one the credential's options name (the assertion's audience).
 */
export function clientCertificateCredential(
  tenantId: string,
  clientId: string,
  cert: ClientCertificate,
  authorityHost: string,
  options: ClientAssertionCredentialOptions = {},
): ClientAssertionCredential {
  const audience = tokenEndpoint(authorityHost, tenantId);
  let current: { jwt: string; renewAt: number } | undefined;
  let signing: Promise<string> | undefined;
  const getAssertion = (): Promise<string> => {
    const now = Math.floor(Date.now() / 1000);
    if (current && now < current.renewAt) return Promise.resolve(current.jwt);
    signing ??= signClientAssertion(cert, clientId, audience, now).then((jwt) => {
      current = { jwt, renewAt: now + ASSERTION_LIFETIME_S - ASSERTION_RENEW_BEFORE_S };
      return jwt;
    }).finally(() => {
      signing = undefined;
    });
    return signing;
  };
  return new ClientAssertionCredential(tenantId, clientId, getAssertion, { ...options, authorityHost });
}
