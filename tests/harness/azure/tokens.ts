// Access tokens the emulator issues (Entra and IMDS) and Key Vault accepts: ES256 JWTs shaped like Entra's v1
// app tokens (aud, iss, tid, appid, oid, idtyp, exp). Each emulator instance has its own key, so a token from one
// run is never valid in another.
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { decodeJwt, type JsonObject, JwtFormatError, signJwt, verifyJwtSignature } from "./jwt.ts";

export interface TokenSubject {
  /** The audience: the resource the token is for, e.g. "https://vault.azure.net". */
  aud: string;
  tenantId: string;
  clientId: string;
  objectId: string;
  /** appidacr: "1" client secret, "2" certificate or assertion; absent for managed identities. */
  appidacr?: string;
  /** Resource id of a managed identity (`xms_mirid`). */
  managedIdentityResourceId?: string;
}

export interface MintedToken {
  token: string;
  /** Seconds since the epoch. */
  expiresOn: number;
  notBefore: number;
}

export type TokenCheck =
  | { ok: true; claims: JsonObject }
  | { ok: false; reason: "malformed" | "signature" };

export function issuerFor(tenantId: string): string {
  return `https://sts.windows.net/${tenantId}/`;
}

export class TokenIssuer {
  readonly kid = crypto.randomUUID();
  readonly #privateKey: KeyObject;
  readonly #publicKey: KeyObject;

  constructor() {
    // P-256: key generation takes well under a millisecond (RSA-2048 takes ~150 ms here), and only we verify.
    const pair = generateKeyPairSync("ec", { namedCurve: "P-256" });
    this.#privateKey = pair.privateKey;
    this.#publicKey = pair.publicKey;
  }

  /** `lifetimeSeconds` may be negative to make an already expired token for tests. */
  mint(subject: TokenSubject, lifetimeSeconds: number): MintedToken {
    const now = Math.floor(Date.now() / 1000);
    const expiresOn = now + lifetimeSeconds;
    const notBefore = Math.min(now, expiresOn);
    const payload: JsonObject = {
      aud: subject.aud,
      iss: issuerFor(subject.tenantId),
      iat: notBefore,
      nbf: notBefore,
      exp: expiresOn,
      appid: subject.clientId,
      ...(subject.appidacr !== undefined ? { appidacr: subject.appidacr } : {}),
      idp: issuerFor(subject.tenantId),
      idtyp: "app",
      oid: subject.objectId,
      sub: subject.objectId,
      tid: subject.tenantId,
      uti: crypto.randomUUID().replaceAll("-", "").slice(0, 22),
      ver: "1.0",
      ...(subject.managedIdentityResourceId ? { xms_mirid: subject.managedIdentityResourceId } : {}),
    };
    return {
      token: signJwt({ alg: "ES256", typ: "JWT", kid: this.kid }, payload, this.#privateKey),
      expiresOn,
      notBefore,
    };
  }

  /** Form and signature only; audience, tenant and time are the resource's business (key_vault.ts). */
  check(token: string): TokenCheck {
    try {
      const jwt = decodeJwt(token);
      if (jwt.header.kid !== this.kid || !verifyJwtSignature(jwt, this.#publicKey)) {
        return { ok: false, reason: "signature" };
      }
      return { ok: true, claims: jwt.payload };
    } catch (e) {
      if (e instanceof JwtFormatError) return { ok: false, reason: "malformed" };
      throw e;
    }
  }

  /** JWKS with the public signing key, served by the Entra emulator. */
  jwks(): { keys: JsonObject[] } {
    return { keys: [{ ...this.#publicKey.export({ format: "jwk" }), kid: this.kid, use: "sig", alg: "ES256" }] };
  }
}
