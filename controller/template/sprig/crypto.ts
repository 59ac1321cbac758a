/**
 * Sprig's crypto functions (crypto.go): hashes, bcrypt/htpasswd, derivePassword, AES, key and certificate
 * generation. Hashing, scrypt, AES and key generation use node:crypto; bcrypt and X.509 building use lazily loaded
 * libraries (bcryptjs, node-forge).
 *
 * @module
 */

import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  generateKeyPairSync,
  scryptSync,
} from "node:crypto";
import { def, type FuncMap, GoError } from "../func.ts";
import { reserveString } from "../budget.ts";
import { formatValue } from "../go_fmt.ts";
import { bytesToString, stringToBytes } from "../gostr.ts";
import { GoInt, GoSlice, GoStruct, type GoValue, T2 } from "../values.ts";
import { base64Decode, base64Encode } from "./misc.ts";
import { bcrypt as bcryptLib, forge } from "../lazy.ts";

function hexOf(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += x.toString(16).padStart(2, "0");
  return s;
}

function hash(alg: string, s: string): string {
  return createHash(alg).update(stringToBytes(s)).digest("hex");
}

function adler32(b: Uint8Array): number {
  let a = 1, c = 0;
  for (const x of b) {
    a = (a + x) % 65521;
    c = (c + a) % 65521;
  }
  return ((c << 16) | a) >>> 0;
}

function bcryptHash(s: string): string {
  const lib = bcryptLib();
  const b = stringToBytes(s);
  if (b.length > 72) return "failed to encrypt string with bcrypt: bcrypt: password length exceeds 72 bytes";
  // Go's x/crypto/bcrypt writes the $2a$ prefix at cost 10
  return lib.hashSync(s, 10).replace(/^\$2b\$/, "$2a$");
}

const TEMPLATES: Record<string, string[]> = {
  maximum: ["anoxxxxxxxxxxxxxxxxx", "axxxxxxxxxxxxxxxxxno"],
  long: [
    "CvcvnoCvcvCvcv",
    "CvcvCvcvnoCvcv",
    "CvcvCvcvCvcvno",
    "CvccnoCvcvCvcv",
    "CvccCvcvnoCvcv",
    "CvccCvcvCvcvno",
    "CvcvnoCvccCvcv",
    "CvcvCvccnoCvcv",
    "CvcvCvccCvcvno",
    "CvcvnoCvcvCvcc",
    "CvcvCvcvnoCvcc",
    "CvcvCvcvCvccno",
    "CvccnoCvccCvcv",
    "CvccCvccnoCvcv",
    "CvccCvccCvcvno",
    "CvcvnoCvccCvcc",
    "CvcvCvccnoCvcc",
    "CvcvCvccCvccno",
    "CvccnoCvcvCvcc",
    "CvccCvcvnoCvcc",
    "CvccCvcvCvccno",
  ],
  medium: ["CvcnoCvc", "CvcCvcno"],
  short: ["Cvcn"],
  basic: ["aaanaaan", "aannaaan", "aaannaaa"],
  pin: ["nnnn"],
};
const CHARS: Record<string, string> = {
  V: "AEIOU",
  C: "BCDFGHJKLMNPQRSTVWXYZ",
  v: "aeiou",
  c: "bcdfghjklmnpqrstvwxyz",
  A: "AEIOUBCDFGHJKLMNPQRSTVWXYZ",
  a: "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz",
  n: "0123456789",
  o: "@&%?,=[]_:-+*$#!'^~;()/.",
  x: "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()",
};

function u32be(n: number): Uint8Array {
  return Uint8Array.of((n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Master Password algorithm (sprig's derivePassword). */
function derivePassword(counter: number, type: string, password: string, user: string, site: string): string {
  const templates = TEMPLATES[type];
  if (!templates) return `cannot find password template ${type}`;
  const seed = stringToBytes("com.lyndir.masterpassword");
  const userB = stringToBytes(user), siteB = stringToBytes(site);
  const salt = concat(seed, u32be(userB.length), userB);
  const key = scryptSync(stringToBytes(password), salt, 64, { N: 32768, r: 8, p: 2, maxmem: 64 * 1024 * 1024 });
  const msg = concat(seed, u32be(siteB.length), siteB, u32be(counter));
  const h = new Uint8Array(createHmac("sha256", key).update(msg).digest());
  const temp = templates[h[0]! % templates.length]!;
  let out = "";
  for (let i = 0; i < temp.length; i++) {
    const chars = CHARS[temp[i]!]!;
    out += chars[h[i + 1]! % chars.length];
  }
  return out;
}

function aesKey(password: string): Uint8Array {
  const key = new Uint8Array(32);
  key.set(stringToBytes(password).subarray(0, 32));
  return key;
}

function encryptAES(password: string, plaintext: string): string {
  if (plaintext === "") return "";
  const content = stringToBytes(plaintext);
  const padding = 16 - (content.length % 16);
  const padded = concat(content, new Uint8Array(padding).fill(padding));
  const iv = crypto.getRandomValues(new Uint8Array(16));
  const c = createCipheriv("aes-256-cbc", aesKey(password), iv);
  c.setAutoPadding(false);
  const enc = concat(new Uint8Array(c.update(padded)), new Uint8Array(c.final()));
  return base64Encode(concat(iv, enc));
}

function decryptAES(password: string, crypt64: string): string {
  if (crypt64 === "") return "";
  let crypt: Uint8Array;
  try {
    crypt = base64Decode(crypt64);
  } catch (e) {
    throw new GoError((e as Error).message);
  }
  if (crypt.length < 16) {
    throw new GoError(`runtime error: slice bounds out of range [:16] with capacity ${crypt.length}`);
  }
  const iv = crypt.subarray(0, 16);
  const body = crypt.subarray(16);
  if (body.length % 16 !== 0) throw new GoError("crypto/cipher: input not full blocks");
  if (body.length === 0) throw new GoError("runtime error: index out of range [-1]");
  const d = createDecipheriv("aes-256-cbc", aesKey(password), iv);
  d.setAutoPadding(false);
  const dec = concat(new Uint8Array(d.update(body)), new Uint8Array(d.final()));
  const n = dec.length - dec[dec.length - 1]!;
  if (n < 0) throw new GoError(`runtime error: slice bounds out of range [:${n}]`);
  return bytesToString(dec.subarray(0, n));
}

function genPrivateKey(typ: string): string {
  switch (typ) {
    case "":
    case "rsa": {
      const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 4096 });
      return privateKey.export({ type: "pkcs1", format: "pem" }) as string;
    }
    case "ecdsa": {
      const { privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
      return privateKey.export({ type: "sec1", format: "pem" }) as string;
    }
    case "ed25519": {
      const { privateKey } = generateKeyPairSync("ed25519");
      return privateKey.export({ type: "pkcs8", format: "pem" }) as string;
    }
    case "dsa":
      throw new GoError("failed to generate private key: dsa keys are not supported by this engine");
    default:
      return "Unknown type " + typ;
  }
}

function certificate(cert: string, key: string): GoStruct {
  return new GoStruct(T2.certificate as GoStruct["type"], new Map([["Cert", cert], ["Key", key]]));
}

/** An RSA private key PEM (any of sprig's accepted encodings) as a forge key. */
function rsaKeyFromPEM(pemText: string): unknown {
  const f = forge();
  let ko;
  try {
    ko = createPrivateKey(pemText);
  } catch (e) {
    throw new GoError(`parsing private key: ${(e as Error).message}`);
  }
  if (ko.asymmetricKeyType !== "rsa") {
    throw new GoError(
      `parsing private key: only RSA keys can sign certificates in this engine (got ${ko.asymmetricKeyType})`,
    );
  }
  return f.pki.privateKeyFromPem(ko.export({ type: "pkcs1", format: "pem" }) as string);
}

function newRsaKeyPem(): string {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return privateKey.export({ type: "pkcs1", format: "pem" }) as string;
}

function strList(v: GoValue, what: string): string[] {
  if (v === null) return [];
  const items = (v as GoSlice).items;
  return items.map((x) => {
    if (typeof x !== "string") throw new GoError(`${what}: ${formatValue(x)} is not a string`);
    return x;
  });
}

function parseIP(s: string): string | null {
  if (
    /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(s) &&
    s.split(".").every((p) => Number(p) <= 255 && !/^0\d/.test(p))
  ) {
    return s;
  }
  if (s.includes(":") && /^[0-9a-fA-F:.]+$/.test(s)) return s;
  return null;
}

interface CertOpts {
  cn: string;
  ips: string[];
  dns: string[];
  days: number;
  isCA: boolean;
  keyPem: string;
  signer?: { cert: string; key: string };
}

function buildCert(o: CertOpts): GoStruct {
  const f = forge();
  const key = rsaKeyFromPEM(o.keyPem) as { n: unknown; e: unknown };
  const pub = f.pki.setRsaPublicKey(key.n, key.e);
  const cert = f.pki.createCertificate();
  cert.publicKey = pub;
  const serial = crypto.getRandomValues(new Uint8Array(16));
  // A positive DER INTEGER with no leading zero byte: first byte in 0x01..0x7f. (Stripping leading zero digits left
  // odd-length hex or a first byte >= 0x80, which Go rejects as a negative serial number.)
  serial[0] = (serial[0]! & 0x7f) | 0x01;
  cert.serialNumber = hexOf(serial);
  const now = new Date();
  cert.validity.notBefore = now;
  cert.validity.notAfter = new Date(now.getTime() + o.days * 86400000);
  cert.setSubject([{ name: "commonName", value: o.cn }]);
  let signKey = key;
  let signerSki: string | null = null;
  if (o.signer) {
    let signerCert;
    try {
      signerCert = f.pki.certificateFromPem(o.signer.cert);
    } catch {
      throw new GoError("unable to decode certificate");
    }
    cert.setIssuer(signerCert.subject.attributes);
    const skiExt = signerCert.getExtension("subjectKeyIdentifier") as { subjectKeyIdentifier?: string } | null;
    if (skiExt?.subjectKeyIdentifier) signerSki = f.util.hexToBytes(skiExt.subjectKeyIdentifier);
    signKey = rsaKeyFromPEM(o.signer.key) as typeof key;
  } else cert.setIssuer([{ name: "commonName", value: o.cn }]);
  const ext: unknown[] = [
    { name: "keyUsage", critical: true, digitalSignature: true, keyEncipherment: true, keyCertSign: o.isCA },
    { name: "extKeyUsage", serverAuth: true, clientAuth: true },
    { name: "basicConstraints", critical: true, cA: o.isCA },
  ];
  // Go's x509.CreateCertificate derives a CA's SubjectKeyId from its key, and sets AuthorityKeyId from a separate
  // signer's SubjectKeyId; ESO's chain functions rely on both.
  if (o.isCA) ext.push({ name: "subjectKeyIdentifier" });
  if (signerSki) ext.push({ name: "authorityKeyIdentifier", keyIdentifier: signerSki });
  const alt = [...o.dns.map((d) => ({ type: 2, value: d })), ...o.ips.map((ip) => ({ type: 7, ip }))];
  if (alt.length > 0) ext.push({ name: "subjectAltName", altNames: alt });
  cert.setExtensions(ext);
  cert.sign(signKey, f.md.sha256.create());
  return certificate(f.pki.certificateToPem(cert).replace(/\r\n/g, "\n"), o.keyPem);
}

function certArgs(a: GoValue[]): { cn: string; ips: string[]; dns: string[]; days: number } {
  const ips = strList(a[1]!, "error parsing ip");
  for (const ip of ips) if (!parseIP(ip)) throw new GoError(`error parsing ip: ${ip}`);
  return {
    cn: a[0] as string,
    ips,
    dns: strList(a[2]!, "error processing alternate dns name"),
    days: Number((a[3] as GoInt).v),
  };
}

function signerOf(v: GoValue): { cert: string; key: string } {
  const s = v as GoStruct;
  return { cert: s.fields.get("Cert") as string, key: s.fields.get("Key") as string };
}

export function cryptoFuncs(f: FuncMap): void {
  f.set("sha1sum", def("string", (a) => hash("sha1", a[0] as string)));
  f.set("sha256sum", def("string", (a) => hash("sha256", a[0] as string)));
  f.set("sha512sum", def("string", (a) => hash("sha512", a[0] as string)));
  f.set("adler32sum", def("string", (a) => String(adler32(stringToBytes(a[0] as string)))));
  f.set("bcrypt", def("string", (a) => bcryptHash(a[0] as string), "bcrypt"));
  f.set(
    "htpasswd",
    def("string, string", (a) => {
      const user = a[0] as string;
      if (user.includes(":")) return `invalid username: ${user}`;
      return `${user}:${bcryptHash(a[1] as string)}`;
    }, "bcrypt"),
  );
  f.set(
    "randBytes",
    def("int", (a) => {
      const n = Number((a[0] as GoInt).v);
      if (n < 0) throw new GoError("runtime error: makeslice: len out of range");
      reserveString(Math.ceil(n / 3) * 4);
      return base64Encode(crypto.getRandomValues(new Uint8Array(n)));
    }),
  );
  f.set(
    "derivePassword",
    def(
      "uint32, string, string, string, string",
      (a) => derivePassword(Number((a[0] as GoInt).v), a[1] as string, a[2] as string, a[3] as string, a[4] as string),
    ),
  );
  f.set("encryptAES", def("string, string", (a) => encryptAES(a[0] as string, a[1] as string)));
  f.set("decryptAES", def("string, string", (a) => decryptAES(a[0] as string, a[1] as string)));
  f.set("genPrivateKey", def("string", (a) => genPrivateKey(a[0] as string)));
  f.set(
    "buildCustomCert",
    def("string, string", (a) => {
      let cert: string, key: string;
      try {
        cert = bytesToString(base64Decode(a[0] as string));
      } catch {
        throw new GoError("unable to decode base64 certificate");
      }
      try {
        key = bytesToString(base64Decode(a[1] as string));
      } catch {
        throw new GoError("unable to decode base64 private key");
      }
      try {
        forge().pki.certificateFromPem(cert);
      } catch {
        throw new GoError("unable to decode certificate");
      }
      try {
        createPrivateKey(key);
      } catch (e) {
        throw new GoError(`error parsing private key: ${(e as Error).message}`);
      }
      return certificate(cert, key);
    }, "forge"),
  );
  f.set(
    "genCA",
    def("string, int", (a) =>
      buildCert({
        cn: a[0] as string,
        ips: [],
        dns: [],
        days: Number((a[1] as GoInt).v),
        isCA: true,
        keyPem: newRsaKeyPem(),
      }), "forge"),
  );
  f.set(
    "genCAWithKey",
    def("string, int, string", (a) =>
      buildCert({
        cn: a[0] as string,
        ips: [],
        dns: [],
        days: Number((a[1] as GoInt).v),
        isCA: true,
        keyPem: a[2] as string,
      }), "forge"),
  );
  f.set(
    "genSelfSignedCert",
    def(
      "string, []any, []any, int",
      (a) => buildCert({ ...certArgs(a), isCA: false, keyPem: newRsaKeyPem() }),
      "forge",
    ),
  );
  f.set(
    "genSelfSignedCertWithKey",
    def(
      "string, []any, []any, int, string",
      (a) => buildCert({ ...certArgs(a), isCA: false, keyPem: a[4] as string }),
      "forge",
    ),
  );
  f.set(
    "genSignedCert",
    def(
      "string, []any, []any, int, cert",
      (a) => buildCert({ ...certArgs(a), isCA: false, keyPem: newRsaKeyPem(), signer: signerOf(a[4]!) }),
      "forge",
    ),
  );
  f.set(
    "genSignedCertWithKey",
    def(
      "string, []any, []any, int, cert, string",
      (a) => buildCert({ ...certArgs(a), isCA: false, keyPem: a[5] as string, signer: signerOf(a[4]!) }),
      "forge",
    ),
  );
  void GoSlice;
}
