/**
 * ESO's own template functions (runtime/template/v2): PKCS#12 in and out, PEM filters, certificate-chain ordering,
 * SANs, JWK to PEM, YAML and RSA decryption. PKCS#12 and DER parsing use node-forge (loaded lazily); key conversion,
 * JWK import and RSA-OAEP use node:crypto.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import {
  constants as cryptoConstants,
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  privateDecrypt,
} from "node:crypto";
import { def, type FuncMap, GoError } from "./func.ts";
import { forge } from "./lazy.ts";
import { pemDecode, pemDecodeAll, pemEncode } from "./pem.ts";
import { bytesToString, isAscii, stringToBytes } from "./gostr.ts";
import { base64Encode } from "./sprig/misc.ts";
import { GoSlice, type GoValue, T } from "./values.ts";
import { fromYAML, toYAML } from "./yaml_go.ts";

// deno-lint-ignore no-explicit-any
type Asn1 = any;

const toBin = (b: Uint8Array): string => {
  let s = "";
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
  return s;
};
const fromBin = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** What ESO reads from a certificate (x509.ParseCertificate fields). */
interface CertInfo {
  raw: Uint8Array;
  subjectKeyId: Uint8Array | null;
  authorityKeyId: Uint8Array | null;
  sans: string[];
  subject: Asn1;
}

const OID_SKI = "2.5.29.14", OID_AKI = "2.5.29.35", OID_SAN = "2.5.29.17";

function parseCert(der: Uint8Array): CertInfo {
  const f = forge();
  let a: Asn1;
  try {
    a = f.asn1.fromDer(toBin(der), { strict: true, parseAllBytes: true });
  } catch (e) {
    throw new GoError(`x509: malformed certificate (${(e as Error).message})`);
  }
  if (a?.type !== f.asn1.Type.SEQUENCE || !Array.isArray(a.value)) throw new GoError("x509: malformed certificate");
  const tbs = a.value[0];
  if (tbs?.type !== f.asn1.Type.SEQUENCE || !Array.isArray(tbs.value)) {
    throw new GoError("x509: malformed tbs certificate");
  }
  if (a.value.length !== 3) throw new GoError("x509: malformed certificate");
  let idx = 0;
  if (tbs.value[0]?.tagClass === f.asn1.Class.CONTEXT_SPECIFIC && tbs.value[0].type === 0) idx = 1;
  const subject = tbs.value[idx + 4];
  const info: CertInfo = { raw: der, subjectKeyId: null, authorityKeyId: null, sans: [], subject };
  for (const el of tbs.value.slice(idx + 6)) {
    if (el.tagClass !== f.asn1.Class.CONTEXT_SPECIFIC || el.type !== 3) continue;
    for (const ext of el.value[0].value) {
      const oid = f.asn1.derToOid(ext.value[0].value);
      const octets = ext.value[ext.value.length - 1].value as string;
      const inner = f.asn1.fromDer(octets);
      if (oid === OID_SKI) info.subjectKeyId = fromBin(inner.value);
      else if (oid === OID_AKI) {
        for (const part of inner.value) {
          if (part.tagClass === f.asn1.Class.CONTEXT_SPECIFIC && part.type === 0) {
            info.authorityKeyId = fromBin(part.value);
          }
        }
      } else if (oid === OID_SAN) info.sans = sansOf(inner);
    }
  }
  return info;
}

function sansOf(seq: Asn1): string[] {
  const dns: string[] = [], ips: string[] = [], emails: string[] = [], uris: string[] = [];
  for (const gn of seq.value) {
    const v = gn.value as string;
    switch (gn.type) {
      case 2:
        dns.push(v);
        break;
      case 1:
        emails.push(v);
        break;
      case 6:
        uris.push(v);
        break;
      case 7:
        ips.push(ipString(fromBin(v)));
        break;
    }
  }
  return [...dns, ...ips, ...emails, ...uris];
}

/** net.IP.String. */
function ipString(b: Uint8Array): string {
  if (b.length === 4) return [...b].join(".");
  if (b.length !== 16) return "?" + [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  const v4mapped = b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
  if (v4mapped) return [...b.slice(12)].join(".");
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((b[i]! << 8) | b[i + 1]!);
  let bestStart = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  let s = "";
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      s += "::";
      i += bestLen - 1;
      continue;
    }
    if (s !== "" && !s.endsWith(":")) s += ":";
    s += words[i]!.toString(16);
  }
  return s;
}

function bytesEqual(a: Uint8Array | null, b: Uint8Array | null): boolean {
  const x = a ?? new Uint8Array(), y = b ?? new Uint8Array();
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** ESO's fetchX509CertChains: order leaf → intermediates → root by AKI/SKI. */
function orderChain(certs: CertInfo[]): CertInfo[] {
  const n = certs.map((c) => ({ c, parent: null as number | null, isParent: false }));
  for (let i = 0; i < n.length; i++) {
    for (let j = 0; j < n.length; j++) {
      if (i === j) continue;
      if (bytesEqual(n[i]!.c.authorityKeyId, n[j]!.c.subjectKeyId)) {
        n[j]!.isParent = true;
        n[i]!.parent = j;
        break;
      }
    }
  }
  let leaf: number | null = null;
  for (let i = 0; i < n.length; i++) {
    if (!n[i]!.isParent) {
      if (leaf !== null) throw new GoError("found multiple leaf or disjunct certificates");
      leaf = i;
    }
  }
  if (leaf === null) throw new GoError("no leaf certificate found");
  const out: CertInfo[] = [];
  let cur: number | null = leaf;
  while (cur !== null) {
    if (out.length >= n.length) throw new GoError("constructing chain resulted in cycle");
    out.push(n[cur]!.c);
    cur = n[cur]!.parent;
  }
  return out;
}

function certsFromPEM(input: string): CertInfo[] {
  return pemDecodeAll(stringToBytes(input)).map((b) => parseCert(b.bytes));
}

function trimJunk(input: string): string {
  const i = input.indexOf("-----BEGIN");
  return i === -1 ? input : input.slice(i);
}

function filterPEM(pemType: string, input: string): string {
  let data = stringToBytes(trimJunk(input));
  let out = "";
  let rest = data;
  for (;;) {
    const [block, r] = pemDecode(data);
    rest = r;
    data = r;
    if (!block) break;
    if (block.type.toLowerCase() !== pemType.toLowerCase()) continue;
    out += pemEncode(block.type, block.bytes, block.headers);
  }
  if (out === "" && rest.length !== 0) throw new GoError("error filtering pem: found junk");
  return out;
}

const isRoot = (c: CertInfo): boolean => c.authorityKeyId === null || bytesEqual(c.authorityKeyId, c.subjectKeyId);

function filterCertChain(certType: string, input: string): string {
  const ordered = orderChain(certsFromPEM(input));
  switch (certType) {
    case "leaf": {
      const c = ordered[0]!;
      if (c.authorityKeyId !== null && !bytesEqual(c.authorityKeyId, c.subjectKeyId)) {
        return pemEncode("CERTIFICATE", c.raw);
      }
      break;
    }
    case "intermediate": {
      if (ordered.length < 2) return "";
      let out = "";
      for (const c of ordered.slice(1)) {
        if (isRoot(c)) break;
        out += pemEncode("CERTIFICATE", c.raw);
      }
      return out;
    }
    case "root": {
      const c = ordered[ordered.length - 1]!;
      if (isRoot(c)) return pemEncode("CERTIFICATE", c.raw);
    }
  }
  return "";
}

function certSANs(input: string): GoValue {
  const [block] = pemDecode(stringToBytes(trimJunk(input)));
  if (!block) throw new GoError("failed to decode PEM block");
  let c: CertInfo;
  try {
    c = parseCert(block.bytes);
  } catch (e) {
    throw new GoError(`failed to parse certificate: ${(e as Error).message}`);
  }
  return GoSlice.of(T.string, c.sans);
}

/** Go's parsePrivateKey (PKCS#1, PKCS#8, SEC 1) as a node KeyObject. */
function parsePrivateKeyDER(der: Uint8Array): KeyObject {
  for (const type of ["pkcs1", "pkcs8", "sec1"] as const) {
    try {
      return createPrivateKey({ key: Buffer.from(der.buffer, der.byteOffset, der.byteLength), format: "der", type });
    } catch {
      // try the next encoding
    }
  }
  throw new GoError("unable to parse private key type");
}

function pkcs8PEM(k: KeyObject): string {
  return k.export({ type: "pkcs8", format: "pem" }) as string;
}

// --- PKCS#12 -------------------------------------------------------------------------------------------------------

interface P12Contents {
  key: Uint8Array | null;
  certs: Uint8Array[];
}

const MAC_DIGESTS: Record<string, string> = {
  "1.3.14.3.2.26": "sha1",
  "2.16.840.1.101.3.4.2.1": "sha256",
  "2.16.840.1.101.3.4.2.2": "sha384",
  "2.16.840.1.101.3.4.2.3": "sha512",
};

/** Verifies a PFX's MAC with the BMP-encoded password and returns the PFX without it (see p12Decode). */
function checkMacAndStrip(pfx: Asn1, password: string): Asn1 {
  const f = forge();
  const macData = pfx.value[2];
  if (!macData) return pfx;
  const authSafeDer = pfx.value[1].value[1].value[0].value as string;
  const digestInfo = macData.value[0];
  const mdName = MAC_DIGESTS[f.asn1.derToOid(digestInfo.value[0].value[0].value)];
  if (!mdName) throw new GoError("pkcs12: unsupported MAC algorithm");
  const salt = macData.value[1].value as string;
  const iterBytes = macData.value[2]?.value as string | undefined;
  const iterations = iterBytes ? f.util.createBuffer(iterBytes).getInt(iterBytes.length * 8) : 1;
  const md = f.md[mdName].create();
  const key = f.pkcs12.generateKey(password, new f.util.ByteBuffer(salt), 3, iterations, md.digestLength, md);
  const hmac = f.hmac.create();
  hmac.start(mdName, key);
  hmac.update(authSafeDer);
  if (hmac.digest().getBytes() !== digestInfo.value[1].value) {
    throw new GoError("pkcs12: decryption password incorrect");
  }
  return f.asn1.create(pfx.tagClass, pfx.type, true, [pfx.value[0], pfx.value[1]]);
}

function p12Decode(input: string, password: string): P12Contents {
  const f = forge();
  let p12: Asn1;
  try {
    const asn = f.asn1.fromDer(toBin(stringToBytes(input)));
    try {
      p12 = f.pkcs12.pkcs12FromAsn1(asn, false, password);
    } catch (e) {
      // PBES2 derives its key from the UTF-8 password, the MAC and the legacy PBEs from its BMP form; forge uses one
      // string for both, so for a non-ASCII password check the MAC here and decrypt with the UTF-8 bytes.
      if (isAscii(password) || !/decrypt/i.test((e as Error).message ?? "")) throw e;
      p12 = f.pkcs12.pkcs12FromAsn1(checkMacAndStrip(asn, password), false, f.util.encodeUtf8(password));
    }
  } catch (e) {
    if (e instanceof GoError) throw e;
    const msg = (e as Error).message ?? String(e);
    if (/MAC could not be verified|Invalid password/i.test(msg)) {
      throw new GoError("pkcs12: decryption password incorrect");
    }
    throw new GoError(`pkcs12: ${msg}`);
  }
  const out: P12Contents = { key: null, certs: [] };
  for (const safe of p12.safeContents) {
    for (const bag of safe.safeBags) {
      if (bag.type === f.pki.oids.certBag) {
        const asn = bag.cert ? f.pki.certificateToAsn1(bag.cert) : bag.asn1;
        out.certs.push(fromBin(f.asn1.toDer(asn).getBytes()));
      } else if (bag.type === f.pki.oids.pkcs8ShroudedKeyBag || bag.type === f.pki.oids.keyBag) {
        if (out.key) throw new GoError("pkcs12: expected exactly one key bag");
        const asn = bag.key ? f.pki.wrapRsaPrivateKey(f.pki.privateKeyToAsn1(bag.key)) : bag.asn1;
        out.key = fromBin(f.asn1.toDer(asn).getBytes());
      }
    }
  }
  if (out.certs.length === 0) throw new GoError("pkcs12: certificate missing");
  if (!out.key) throw new GoError("pkcs12: private key missing");
  return out;
}

function pkcs12keyPass(pass: string, input: string): string {
  let c: P12Contents;
  try {
    c = p12Decode(input, pass);
  } catch (e) {
    throw new GoError(`unable to decode pkcs12 with password: ${(e as Error).message}`);
  }
  return pkcs8PEM(
    createPrivateKey({
      key: Buffer.from(c.key!.buffer, c.key!.byteOffset, c.key!.byteLength),
      format: "der",
      type: "pkcs8",
    }),
  );
}

function pkcs12certPass(pass: string, input: string): string {
  let c: P12Contents;
  try {
    c = p12Decode(input, pass);
  } catch (e) {
    throw new GoError(`unable to decode pkcs12 certificate with password: ${(e as Error).message}`);
  }
  const raw = c.certs.map((d) => pemEncode("CERTIFICATE", d)).join("");
  try {
    return orderChain(c.certs.map(parseCert)).map((x) => pemEncode("CERTIFICATE", x.raw)).join("");
  } catch {
    return raw;
  }
}

const OID = {
  data: "1.2.840.113549.1.7.1",
  encryptedData: "1.2.840.113549.1.7.6",
  certBag: "1.2.840.113549.1.12.10.1.3",
  shroudedKeyBag: "1.2.840.113549.1.12.10.1.2",
  x509Certificate: "1.2.840.113549.1.9.22.1",
  localKeyId: "1.2.840.113549.1.9.21",
  friendlyName: "1.2.840.113549.1.9.20",
  javaTrustStore: "2.16.840.1.113894.746875.1.1",
  anyExtendedKeyUsage: "2.5.29.37.0",
  sha256: "2.16.840.1.101.3.4.2.1",
};

/** PKCS#12 as go-pkcs12's Modern encoder writes it: PBES2 (PBKDF2-SHA256, AES-256-CBC) and an HMAC-SHA256 MAC. */
function p12Encode(keyDer: Uint8Array | null, certs: Uint8Array[], password: string, trustStore: boolean): string {
  const f = forge();
  const A = f.asn1, C = A.Class.UNIVERSAL, T_ = A.Type;
  const seq = (v: Asn1[]): Asn1 => A.create(C, T_.SEQUENCE, true, v);
  const set = (v: Asn1[]): Asn1 => A.create(C, T_.SET, true, v);
  const oid = (o: string): Asn1 => A.create(C, T_.OID, false, A.oidToDer(o).getBytes());
  const octets = (s: string): Asn1 => A.create(C, T_.OCTETSTRING, false, s);
  const ctx0 = (v: Asn1[]): Asn1 => A.create(A.Class.CONTEXT_SPECIFIC, 0, true, v);
  const attr = (id: string, value: Asn1): Asn1 => seq([oid(id), set([value])]);
  const pbeOpts = { algorithm: "aes256", count: 2048, saltSize: 16, prfAlgorithm: "sha256" };
  const utf8pw = f.util.encodeUtf8(password);
  // encryptPrivateKeyInfo encrypts the DER of any structure; reused for the certificate SafeContents
  const encrypt = (content: Asn1): [Asn1, Asn1] => {
    const epki = f.pki.encryptPrivateKeyInfo(content, utf8pw, pbeOpts);
    return [epki.value[0], epki.value[1]];
  };
  // forge writes a BMPString's JS characters as 16-bit units itself; Go refuses what UCS-2 cannot hold
  const bmp = (s: string): string => {
    for (const ch of s) {
      if (ch.codePointAt(0)! > 0xffff) {
        throw new GoError("pkcs12: string contains characters that cannot be encoded in UCS-2");
      }
    }
    return s;
  };
  const certBags: Asn1[] = certs.map((der, i) => {
    const attrs: Asn1[] = [];
    if (trustStore) {
      attrs.push(attr(OID.javaTrustStore, oid(OID.anyExtendedKeyUsage)));
      attrs.push(attr(OID.friendlyName, A.create(C, T_.BMPSTRING, false, bmp(subjectString(parseCert(der).subject)))));
    } else if (i === 0) {
      attrs.push(attr(OID.localKeyId, octets(f.md.sha1.create().update(toBin(der)).digest().getBytes())));
    }
    return seq([
      oid(OID.certBag),
      ctx0([seq([oid(OID.x509Certificate), ctx0([octets(toBin(der))])])]),
      set(attrs),
    ]);
  });
  const [certAlg, certEnc] = encrypt(seq(certBags));
  const authSafe: Asn1[] = [
    seq([
      oid(OID.encryptedData),
      ctx0([seq([
        A.create(C, T_.INTEGER, false, "\x00"),
        seq([oid(OID.data), certAlg, A.create(A.Class.CONTEXT_SPECIFIC, 0, false, certEnc.value)]),
      ])]),
    ]),
  ];
  if (keyDer) {
    const keyAsn = A.fromDer(toBin(keyDer));
    const keyId = f.md.sha1.create().update(toBin(certs[0]!)).digest().getBytes();
    const keyBag = seq([
      oid(OID.shroudedKeyBag),
      ctx0([f.pki.encryptPrivateKeyInfo(keyAsn, utf8pw, pbeOpts)]),
      set([attr(OID.localKeyId, octets(keyId))]),
    ]);
    authSafe.push(seq([oid(OID.data), ctx0([octets(A.toDer(seq([keyBag])).getBytes())])]));
  }
  const authSafeDer = A.toDer(seq(authSafe)).getBytes();
  const macSalt = f.random.getBytesSync(16);
  const macKey = f.pkcs12.generateKey(password, new f.util.ByteBuffer(macSalt), 3, 2048, 32, f.md.sha256.create());
  const hmac = f.hmac.create();
  hmac.start("sha256", macKey);
  hmac.update(authSafeDer);
  const mac = hmac.digest().getBytes();
  const pfx = seq([
    A.create(C, T_.INTEGER, false, "\x03"),
    seq([oid(OID.data), ctx0([octets(authSafeDer)])]),
    seq([
      seq([seq([oid(OID.sha256), A.create(C, T_.NULL, false, "")]), octets(mac)]),
      octets(macSalt),
      A.create(C, T_.INTEGER, false, A.integerToDer(2048).getBytes()),
    ]),
  ]);
  return base64Encode(fromBin(A.toDer(pfx).getBytes()));
}

const DN_NAMES: Record<string, string> = {
  "2.5.4.6": "C",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "2.5.4.3": "CN",
  "2.5.4.5": "SERIALNUMBER",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.9": "STREET",
  "2.5.4.17": "POSTALCODE",
};

/** pkix.Name.String (RFC 2253 order: last RDN first). */
function subjectString(name: Asn1): string {
  const f = forge();
  const rdns: string[] = [];
  for (const rdn of name.value) {
    const parts: string[] = [];
    for (const atv of rdn.value) {
      const o = f.asn1.derToOid(atv.value[0].value);
      const short = DN_NAMES[o];
      const val = atv.value[1];
      if (short) parts.push(`${short}=${escapeDN(f.util.decodeUtf8(val.value))}`);
      else parts.push(`${o}=#${f.util.bytesToHex(f.asn1.toDer(val).getBytes())}`);
    }
    rdns.push(parts.join("+"));
  }
  return rdns.reverse().join(",");
}

function escapeDN(s: string): string {
  let out = "";
  const chars = [...s];
  chars.forEach((c, i) => {
    if (',+"\\<>;'.includes(c) || (i === 0 && (c === " " || c === "#")) || (i === chars.length - 1 && c === " ")) {
      out += "\\" + c;
    } else out += c;
  });
  return out;
}

function firstPEMBlock(pemText: string): Uint8Array {
  const [block] = pemDecode(stringToBytes(pemText));
  if (!block) throw new GoError("runtime error: invalid memory address or nil pointer dereference");
  return block.bytes;
}

function keyDerFromPEM(key: string): Uint8Array {
  const k = parsePrivateKeyDER(firstPEMBlock(key));
  return new Uint8Array(k.export({ type: "pkcs8", format: "der" }) as Uint8Array);
}

function pemToPkcs12Pass(cert: string, key: string, pass: string, full: boolean): string {
  const data = stringToBytes(cert);
  const [block, rest] = pemDecode(data);
  if (!block) throw new GoError("runtime error: invalid memory address or nil pointer dereference");
  parseCert(block.bytes);
  const chain = [block.bytes];
  if (full) chain.push(...parseCaCerts(rest));
  return p12Encode(keyDerFromPEM(key), chain, pass, false);
}

function parseCaCerts(data: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let rest = data;
  while (rest.length > 0) {
    const [b, r] = pemDecode(rest);
    if (!b) throw new GoError("runtime error: invalid memory address or nil pointer dereference");
    parseCert(b.bytes);
    out.push(b.bytes);
    rest = r;
  }
  return out;
}

// --- JWK -----------------------------------------------------------------------------------------------------------

function parseJWK(text: string): KeyObject {
  let jwk: Record<string, unknown>;
  try {
    jwk = JSON.parse(text);
  } catch {
    throw new GoError("failed to parse key: invalid JSON", "failed to parse key: invalid JSON");
  }
  if (typeof jwk !== "object" || jwk === null || typeof jwk.kty !== "string") {
    throw new GoError("failed to parse key: invalid key type");
  }
  try {
    if ("d" in jwk) return createPrivateKey({ key: jwk as never, format: "jwk" });
    return createPublicKey({ key: jwk as never, format: "jwk" });
  } catch (e) {
    throw new GoError(`failed to parse key: ${(e as Error).message}`);
  }
}

function jwkPublicKeyPem(text: string): string {
  const k = parseJWK(text);
  if (k.type !== "public") throw new GoError(`x509: unsupported public key type: *${goKeyType(k)}.PrivateKey`);
  return k.export({ type: "spki", format: "pem" }) as string;
}

function jwkPrivateKeyPem(text: string): string {
  const k = parseJWK(text);
  if (k.type !== "private") {
    throw new GoError(`x509: unknown key type while marshaling PKCS#8: *${goKeyType(k)}.PublicKey`);
  }
  return pkcs8PEM(k);
}

function goKeyType(k: KeyObject): string {
  return k.asymmetricKeyType === "ec" ? "ecdsa" : k.asymmetricKeyType === "rsa" ? "rsa" : "ed25519";
}

// --- RSA -----------------------------------------------------------------------------------------------------------

function rsaDecrypt(scheme: string, hash: string, input: string, privateKey: string): string {
  switch (scheme) {
    case "None":
      return input;
    case "RSA-OAEP": {
      const [block] = pemDecode(stringToBytes(privateKey));
      if (!block) throw new GoError("failed to decode PEM block");
      let k: KeyObject;
      try {
        k = parsePrivateKeyDER(block.bytes);
      } catch (e) {
        throw new GoError(`could not parse private key: ${(e as Error).message}`);
      }
      if (k.asymmetricKeyType !== "rsa") throw new GoError("could not parse RSA private key");
      const oaepHash = hash === "SHA1" ? "sha1" : hash === "SHA512" ? "sha512" : "sha256";
      try {
        const out = privateDecrypt(
          { key: k, padding: cryptoConstants.RSA_PKCS1_OAEP_PADDING, oaepHash },
          stringToBytes(input),
        );
        return bytesToString(new Uint8Array(out));
      } catch {
        throw new GoError("error decrypting data with RSA: crypto/rsa: decryption error");
      }
    }
    default:
      throw new GoError(`decryption scheme ${scheme} is not supported`);
  }
}

export function esoFuncs(f: FuncMap): void {
  f.set("pkcs12key", def("string", (a) => pkcs12keyPass("", a[0] as string), "forge"));
  f.set("pkcs12keyPass", def("string, string", (a) => pkcs12keyPass(a[0] as string, a[1] as string), "forge"));
  f.set("pkcs12cert", def("string", (a) => pkcs12certPass("", a[0] as string), "forge"));
  f.set("pkcs12certPass", def("string, string", (a) => pkcs12certPass(a[0] as string, a[1] as string), "forge"));
  f.set(
    "pemToPkcs12",
    def("string, string", (a) => pemToPkcs12Pass(a[0] as string, a[1] as string, "", false), "forge"),
  );
  f.set(
    "pemToPkcs12Pass",
    def(
      "string, string, string",
      (a) => pemToPkcs12Pass(a[0] as string, a[1] as string, a[2] as string, false),
      "forge",
    ),
  );
  f.set(
    "fullPemToPkcs12",
    def("string, string", (a) => pemToPkcs12Pass(a[0] as string, a[1] as string, "", true), "forge"),
  );
  f.set(
    "fullPemToPkcs12Pass",
    def(
      "string, string, string",
      (a) => pemToPkcs12Pass(a[0] as string, a[1] as string, a[2] as string, true),
      "forge",
    ),
  );
  f.set(
    "pemTruststoreToPKCS12",
    def("string", (a) => p12Encode(null, parseCaCerts(stringToBytes(a[0] as string)), "", true), "forge"),
  );
  f.set(
    "pemTruststoreToPKCS12Pass",
    def(
      "string, string",
      (a) => p12Encode(null, parseCaCerts(stringToBytes(a[0] as string)), a[1] as string, true),
      "forge",
    ),
  );
  f.set("filterPEM", def("string, string", (a) => filterPEM(a[0] as string, a[1] as string)));
  f.set("filterCertChain", def("string, string", (a) => filterCertChain(a[0] as string, a[1] as string), "forge"));
  f.set("certSANs", def("string", (a) => certSANs(a[0] as string), "forge"));
  f.set("jwkPublicKeyPem", def("string", (a) => jwkPublicKeyPem(a[0] as string)));
  f.set("jwkPrivateKeyPem", def("string", (a) => jwkPrivateKeyPem(a[0] as string)));
  f.set("toYaml", def("any", (a) => toYAML(a[0]!)));
  f.set("fromYaml", def("string", (a) => fromYAML(a[0] as string)));
  f.set(
    "rsaDecrypt",
    def(
      "string, string, string, string",
      (a) => rsaDecrypt(a[0] as string, a[1] as string, a[2] as string, a[3] as string),
    ),
  );
}
