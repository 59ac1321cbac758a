// Certificates made with openssl: self-signed ones (client-certificate apps, Key Vault certificates) and, through
// ca.ts, the emulator CA and its server certificate. Keys are unencrypted PEM (PKCS#8).
import { createHash } from "node:crypto";
import { openssl, opensslSync } from "./openssl.ts";

export interface CertificateSpec {
  /** X.500 subject as Key Vault writes it, e.g. "CN=demo" or "CN=demo, O=Contoso". */
  subject: string;
  /** Validity in days; default 365. */
  days?: number;
  /** "rsa" (2048 bits, what Key Vault and MSAL's assertions use) or "ec" (P-256, fast). Default "rsa". */
  keyType?: "rsa" | "ec";
  /** subjectAltName entries in openssl syntax, e.g. ["DNS:localhost", "IP:127.0.0.1"]. */
  sans?: string[];
  /** Make a CA certificate (keyCertSign) instead of an end-entity one. */
  ca?: boolean;
  /** Sign with this CA instead of self-signing. */
  issuer?: { certPath: string; keyPath: string };
}

export interface GeneratedCertificate {
  certPem: string;
  keyPem: string;
}

/** "CN=a, O=b" → "/CN=a/O=b" (openssl's -subj form). */
export function subjectToOpenssl(subject: string): string {
  const parts = subject.split(",").map((p) => p.trim()).filter((p) => p.length > 0);
  if (parts.length === 0 || parts.some((p) => !/^[A-Za-z]+=.+$/.test(p))) {
    throw new Error(`invalid certificate subject ${JSON.stringify(subject)} (want e.g. "CN=name")`);
  }
  return "/" + parts.map((p) => p.replaceAll("/", "\\/")).join("/");
}

function configFor(spec: CertificateSpec): string {
  const ext = spec.ca ? ["basicConstraints = critical,CA:TRUE", "keyUsage = critical,keyCertSign,cRLSign"] : [
    "basicConstraints = critical,CA:FALSE",
    "keyUsage = critical,digitalSignature,keyEncipherment",
    "extendedKeyUsage = serverAuth,clientAuth",
  ];
  if (spec.sans && spec.sans.length > 0) ext.push(`subjectAltName = ${spec.sans.join(",")}`);
  ext.push("subjectKeyIdentifier = hash");
  if (spec.issuer) ext.push("authorityKeyIdentifier = keyid");
  return ["[req]", "distinguished_name = dn", "x509_extensions = ext", "[dn]", "[ext]", ...ext, ""].join("\n");
}

function reqArgs(spec: CertificateSpec): string[] {
  const key = spec.keyType === "ec" ? ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"] : [
    "-newkey",
    "rsa:2048",
  ];
  const issuer = spec.issuer ? ["-CA", spec.issuer.certPath, "-CAkey", spec.issuer.keyPath] : [];
  return [
    "req",
    "-x509",
    "-config",
    "req.cnf",
    ...key,
    "-noenc",
    "-keyout",
    "key.pem",
    "-out",
    "cert.pem",
    "-days",
    String(spec.days ?? 365),
    "-subj",
    subjectToOpenssl(spec.subject),
    ...issuer,
  ];
}

export async function generateCertificate(spec: CertificateSpec): Promise<GeneratedCertificate> {
  const dir = await Deno.makeTempDir({ prefix: "kv-emulator-cert-" });
  try {
    await Deno.writeTextFile(`${dir}/req.cnf`, configFor(spec));
    await openssl(reqArgs(spec), dir);
    return { certPem: await Deno.readTextFile(`${dir}/cert.pem`), keyPem: await Deno.readTextFile(`${dir}/key.pem`) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

export function generateCertificateSync(spec: CertificateSpec): GeneratedCertificate {
  const dir = Deno.makeTempDirSync({ prefix: "kv-emulator-cert-" });
  try {
    Deno.writeTextFileSync(`${dir}/req.cnf`, configFor(spec));
    opensslSync(reqArgs(spec), dir);
    return { certPem: Deno.readTextFileSync(`${dir}/cert.pem`), keyPem: Deno.readTextFileSync(`${dir}/key.pem`) };
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

/**
 * PKCS#12 with an empty password, as Key Vault exports certificates. SHA1/3DES PBE keeps it readable by older
 * parsers (Go's x/crypto/pkcs12, Java), which reject OpenSSL 3's AES/PBKDF2 default.
 */
export async function toPfx(cert: GeneratedCertificate): Promise<Uint8Array> {
  const dir = await Deno.makeTempDir({ prefix: "kv-emulator-pfx-" });
  try {
    await Deno.writeTextFile(`${dir}/cert.pem`, cert.certPem);
    await Deno.writeTextFile(`${dir}/key.pem`, cert.keyPem);
    await openssl([
      "pkcs12",
      "-export",
      "-in",
      "cert.pem",
      "-inkey",
      "key.pem",
      "-passout",
      "pass:",
      "-keypbe",
      "PBE-SHA1-3DES",
      "-certpbe",
      "PBE-SHA1-3DES",
      "-macalg",
      "sha1",
      "-out",
      "out.pfx",
    ], dir);
    return await Deno.readFile(`${dir}/out.pfx`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** DER bytes of the first certificate in a PEM text. */
export function pemToDer(pem: string): Uint8Array {
  const m = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pem);
  if (!m || m[1] === undefined) throw new Error("no PEM certificate found");
  return Uint8Array.from(atob(m[1].replace(/\s+/g, "")), (c) => c.charCodeAt(0));
}

export interface Thumbprints {
  sha1Hex: string;
  sha256Hex: string;
}

/** SHA-1 and SHA-256 of the DER certificate, lowercase hex: the `x5t` / `x5t#S256` that MSAL puts in assertions. */
export function certificateThumbprints(certPem: string): Thumbprints {
  const der = pemToDer(certPem);
  return {
    sha1Hex: createHash("sha1").update(der).digest("hex"),
    sha256Hex: createHash("sha256").update(der).digest("hex"),
  };
}
