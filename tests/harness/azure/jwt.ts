// Minimal JWT (JWS compact) handling on node:crypto: enough to issue the emulator's access tokens and to check the
// assertions clients send (MSAL's certificate assertions, Kubernetes service-account tokens).
import { createPublicKey, type JsonWebKey, type KeyObject, sign, verify } from "node:crypto";
import { constants } from "node:crypto";

export type JsonObject = Record<string, unknown>;

export interface DecodedJwt {
  header: JsonObject;
  payload: JsonObject;
  /** `base64url(header) + "." + base64url(payload)`: the bytes the signature covers. */
  signingInput: string;
  signature: Uint8Array;
}

export class JwtFormatError extends Error {
  override name = "JwtFormatError";
}

export function base64UrlEncode(data: Uint8Array | string): string {
  return Buffer.from(typeof data === "string" ? new TextEncoder().encode(data) : data).toString("base64url");
}

export function base64UrlDecode(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new JwtFormatError("not base64url");
  return new Uint8Array(Buffer.from(text, "base64url"));
}

function parseJsonPart(part: string, what: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(base64UrlDecode(part)));
  } catch {
    throw new JwtFormatError(`${what} is not base64url JSON`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new JwtFormatError(`${what} is not a JSON object`);
  }
  return value as JsonObject;
}

/** Splits and decodes a compact JWS without checking anything but its form. */
export function decodeJwt(token: string): DecodedJwt {
  const parts = token.split(".");
  if (parts.length !== 3) throw new JwtFormatError(`want 3 dot-separated parts, got ${parts.length}`);
  const [h, p, s] = parts as [string, string, string];
  return {
    header: parseJsonPart(h, "header"),
    payload: parseJsonPart(p, "payload"),
    signingInput: `${h}.${p}`,
    signature: base64UrlDecode(s),
  };
}

interface AlgSpec {
  hash: string;
  kind: "rsa" | "pss" | "ec";
}

const ALGORITHMS: Record<string, AlgSpec> = {
  RS256: { hash: "sha256", kind: "rsa" },
  RS384: { hash: "sha384", kind: "rsa" },
  RS512: { hash: "sha512", kind: "rsa" },
  PS256: { hash: "sha256", kind: "pss" },
  PS384: { hash: "sha384", kind: "pss" },
  PS512: { hash: "sha512", kind: "pss" },
  ES256: { hash: "sha256", kind: "ec" },
  ES384: { hash: "sha384", kind: "ec" },
  ES512: { hash: "sha512", kind: "ec" },
};

interface KeyWithOptions {
  key: KeyObject;
  padding?: number;
  saltLength?: number;
  dsaEncoding?: "ieee-p1363";
}

function keyOptions(spec: AlgSpec, key: KeyObject): KeyWithOptions {
  // JWS wants raw r||s for ECDSA and a salt as long as the digest for PSS (RFC 7518 §3.4, §3.5).
  if (spec.kind === "pss") {
    return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST };
  }
  if (spec.kind === "ec") return { key, dsaEncoding: "ieee-p1363" };
  return { key };
}

/** Signs `payload` with `header.alg` (RS*, PS*, ES*). */
export function signJwt(header: JsonObject & { alg: string }, payload: JsonObject, privateKey: KeyObject): string {
  const spec = ALGORITHMS[header.alg];
  if (!spec) throw new Error(`unsupported alg ${header.alg}`);
  const input = `${base64UrlEncode(JSON.stringify(header))}.${base64UrlEncode(JSON.stringify(payload))}`;
  const signature = sign(spec.hash, new TextEncoder().encode(input), keyOptions(spec, privateKey));
  return `${input}.${base64UrlEncode(signature)}`;
}

/** True when the signature is valid for `publicKey` under the header's alg; false for "none" or unknown algs. */
export function verifyJwtSignature(jwt: DecodedJwt, publicKey: KeyObject): boolean {
  const alg = jwt.header.alg;
  const spec = typeof alg === "string" ? ALGORITHMS[alg] : undefined;
  if (!spec) return false;
  const keyType = publicKey.asymmetricKeyType;
  if ((spec.kind === "ec") !== (keyType === "ec")) return false;
  try {
    return verify(spec.hash, new TextEncoder().encode(jwt.signingInput), keyOptions(spec, publicKey), jwt.signature);
  } catch {
    return false;
  }
}

/** A public key from PEM (SPKI "PUBLIC KEY", "RSA PUBLIC KEY" or a certificate) or a JWK. */
export function publicKeyFrom(source: string | JsonWebKey): KeyObject {
  return typeof source === "string" ? createPublicKey(source) : createPublicKey({ key: source, format: "jwk" });
}

/** Reads a numeric date claim (seconds); undefined when absent or not a number. */
export function numericClaim(payload: JsonObject, name: string): number | undefined {
  const v = payload[name];
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

/** `aud` as a list (a JWT may carry one string or an array). */
export function audiences(payload: JsonObject): string[] {
  const aud = payload.aud;
  if (typeof aud === "string") return [aud];
  if (Array.isArray(aud)) return aud.filter((a): a is string => typeof a === "string");
  return [];
}
