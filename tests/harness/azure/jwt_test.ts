import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import {
  audiences,
  base64UrlDecode,
  base64UrlEncode,
  decodeJwt,
  JwtFormatError,
  signJwt,
  verifyJwtSignature,
} from "./jwt.ts";

Deno.test("base64url round-trips bytes and rejects other alphabets", () => {
  const bytes = new Uint8Array([0, 250, 251, 252, 253, 254, 255]);
  assert.equal(base64UrlEncode(bytes), "APr7_P3-_w");
  assert.deepEqual(base64UrlDecode("APr7_P3-_w"), bytes);
  assert.throws(() => base64UrlDecode("AP+/"), JwtFormatError);
});

Deno.test("decodeJwt splits header, payload and signature, and names what is malformed", () => {
  const token = `${base64UrlEncode('{"alg":"none"}')}.${base64UrlEncode('{"sub":"x"}')}.${base64UrlEncode("sig")}`;
  const jwt = decodeJwt(token);
  assert.deepEqual(jwt.header, { alg: "none" });
  assert.deepEqual(jwt.payload, { sub: "x" });
  assert.equal(jwt.signingInput, token.split(".").slice(0, 2).join("."));
  assert.deepEqual(jwt.signature, new TextEncoder().encode("sig"));
  assert.throws(() => decodeJwt("a.b"), /want 3 dot-separated parts/);
  assert.throws(() => decodeJwt(`${base64UrlEncode("[1]")}.e30.`), /header is not a JSON object/);
  assert.throws(() => decodeJwt(`e30.${base64UrlEncode("not json")}.`), /payload is not base64url JSON/);
});

for (
  const [alg, type] of [["RS256", "rsa"], ["PS256", "rsa"], ["ES256", "ec"], ["ES384", "ec"]] as const
) {
  Deno.test(`${alg}: signature verifies with the right key only, and not after tampering`, () => {
    const opts = type === "rsa" ? { modulusLength: 2048 } : { namedCurve: alg === "ES384" ? "P-384" : "P-256" };
    const pair = generateKeyPairSync(type as "rsa", opts as { modulusLength: number });
    const other = generateKeyPairSync(type as "rsa", opts as { modulusLength: number });
    const token = signJwt({ alg }, { sub: "me", n: 1 }, pair.privateKey);
    assert.equal(verifyJwtSignature(decodeJwt(token), pair.publicKey), true);
    assert.equal(verifyJwtSignature(decodeJwt(token), other.publicKey), false);
    const [h, , s] = token.split(".");
    const tampered = `${h}.${base64UrlEncode('{"sub":"you","n":1}')}.${s}`;
    assert.equal(verifyJwtSignature(decodeJwt(tampered), pair.publicKey), false);
  });
}

Deno.test("alg none and algorithm/key mismatches never verify", () => {
  const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const token = signJwt({ alg: "RS256" }, {}, rsa.privateKey);
  const none = decodeJwt(token);
  none.header.alg = "none";
  assert.equal(verifyJwtSignature(none, rsa.publicKey), false);
  const asEc = decodeJwt(token);
  asEc.header.alg = "ES256";
  assert.equal(verifyJwtSignature(asEc, rsa.publicKey), false);
});

Deno.test("audiences reads a string or an array", () => {
  assert.deepEqual(audiences({ aud: "a" }), ["a"]);
  assert.deepEqual(audiences({ aud: ["a", 1, "b"] }), ["a", "b"]);
  assert.deepEqual(audiences({}), []);
});
