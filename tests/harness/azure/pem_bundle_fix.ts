// Importing this module patches node:crypto's createPrivateKey to accept a PEM text holding several blocks (a
// private key plus certificates), as Node does. Deno 2.9.6 throws "DECODER routines::unsupported" on such input,
// which breaks @azure/identity's ClientCertificateCredential: it hands MSAL the whole key+certificate PEM and
// jsonwebtoken then signs with createPrivateKey(thatPem). jsonwebtoken takes its reference to createPrivateKey
// when it loads, so this module must be evaluated before @azure/identity is (import it first).
import crypto from "node:crypto";

const PRIVATE_KEY_BLOCK = /-----BEGIN ((?:RSA |EC |ENCRYPTED )?PRIVATE KEY)-----[\s\S]+?-----END \1-----/;

/** The first private-key block of a multi-block PEM text; any other input unchanged. */
export function firstPrivateKeyBlock<T>(key: T): T | string {
  if (typeof key !== "string" || (key.match(/-----BEGIN /g) ?? []).length < 2) return key;
  return PRIVATE_KEY_BLOCK.exec(key)?.[0] ?? key;
}

const original = crypto.createPrivateKey;
if (!(original as { pemBundleFix?: boolean }).pemBundleFix) {
  const patched = (key: Parameters<typeof original>[0]): ReturnType<typeof original> => {
    if (typeof key === "object" && key !== null && "key" in key && typeof key.key === "string") {
      return original({ ...key, key: firstPrivateKeyBlock(key.key) } as Parameters<typeof original>[0]);
    }
    return original(firstPrivateKeyBlock(key) as Parameters<typeof original>[0]);
  };
  Object.assign(patched, { pemBundleFix: true });
  (crypto as { createPrivateKey: typeof original }).createPrivateKey = patched as typeof original;
}
