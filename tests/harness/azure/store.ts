// The in-memory content of the emulated vaults: secrets (with versions and soft delete), keys and certificates.
// No HTTP here: key_vault.ts maps requests onto these operations and formats their results, the TypeScript handle
// calls them directly. Errors carry Key Vault's status, code and message.
import { createPublicKey, generateKeyPair, type JsonWebKey, X509Certificate } from "node:crypto";
import { promisify } from "node:util";
import { addCanary } from "../leak_check.ts";
import { isValidObjectName, isVersionId, newVersionId } from "./names.ts";
import { certificateThumbprints, generateCertificate, pemToDer, toPfx } from "./x509.ts";

export const RECOVERABLE_DAYS = 90;
export const RECOVERY_LEVEL = "Recoverable+Purgeable";
/** Key Vault's limits: 25 KB values, 15 tags. */
export const MAX_SECRET_VALUE_BYTES = 25 * 1024;
export const MAX_TAGS = 15;

export class KvError extends Error {
  override name = "KvError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly innerCode?: string,
  ) {
    super(message);
  }
}

export type Tags = Record<string, string>;

export interface Attributes {
  enabled: boolean;
  /** Seconds since the epoch, as Key Vault sends them. */
  nbf?: number;
  exp?: number;
  created: number;
  updated: number;
}

export interface SecretVersion {
  version: string;
  value: string;
  contentType?: string;
  tags?: Tags;
  attributes: Attributes;
  /** Set on a certificate's backing secret: the id path of the certificate's key, and managed = true. */
  kid?: string;
  managed?: boolean;
}

export interface KeyVersion {
  version: string;
  /** Public parts only. */
  jwk: JsonWebKey;
  keyOps: string[];
  tags?: Tags;
  attributes: Attributes;
  managed?: boolean;
}

export interface CertificateVersion {
  version: string;
  certPem: string;
  cer: Uint8Array;
  /** SHA-1 of the DER, base64url (the `x5t` Key Vault returns). */
  x5t: string;
  subject: string;
  contentType: SecretContentType;
  validityMonths: number;
  tags?: Tags;
  attributes: Attributes;
}

export type SecretContentType = "application/x-pkcs12" | "application/x-pem-file";

export interface DeletedInfo {
  deletedDate: number;
  scheduledPurgeDate: number;
}

export interface Item<V> {
  /** Name as first written (Key Vault names are case-insensitive but keep their casing). */
  name: string;
  /** Oldest first; the last one is the current version. */
  versions: V[];
  deleted?: DeletedInfo;
}

export interface SetSecretInput {
  value: string;
  contentType?: string;
  tags?: Tags;
  enabled?: boolean;
  nbf?: number;
  exp?: number;
}

export interface UpdateInput {
  contentType?: string;
  tags?: Tags;
  enabled?: boolean;
  nbf?: number;
  exp?: number;
}

export interface CreateKeyInput {
  kty?: "RSA" | "EC";
  /** RSA modulus bits, default 2048. */
  size?: number;
  /** EC curve, default P-256. */
  crv?: "P-256" | "P-384" | "P-521";
  tags?: Tags;
}

export interface CreateCertificateInput {
  /** Default "CN=<name>". */
  subject?: string;
  /** Backing secret format: "pfx" (application/x-pkcs12, Key Vault's default) or "pem". */
  format?: "pfx" | "pem";
  validityMonths?: number;
  tags?: Tags;
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function notFound(kind: "Secret" | "Key" | "Certificate", name: string, version?: string): KvError {
  const id = version ? `${name}/${version}` : name;
  return new KvError(
    404,
    `${kind}NotFound`,
    `A ${kind.toLowerCase()} with (name/id) ${id} was not found in this key vault. If you recently deleted this ` +
      `${kind.toLowerCase()} you may be able to recover it using the correct recovery command. For help resolving ` +
      `this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`,
  );
}

export function checkName(name: string): void {
  if (!isValidObjectName(name)) {
    throw new KvError(400, "BadParameter", `The request URI contains an invalid name: ${name}`);
  }
}

function checkTags(tags: Tags | undefined): void {
  if (tags === undefined) return;
  if (Object.keys(tags).length > MAX_TAGS) {
    throw new KvError(400, "BadParameter", `The number of tags cannot exceed ${MAX_TAGS}.`);
  }
}

/** Finds `version` ("" or absent: the current one). */
function pickVersion<V extends { version: string }>(
  item: Item<V>,
  kind: "Secret" | "Key" | "Certificate",
  version?: string,
): V {
  if (!version) {
    const latest = item.versions[item.versions.length - 1];
    if (!latest) throw notFound(kind, item.name);
    return latest;
  }
  const found = isVersionId(version) ? item.versions.find((v) => v.version === version) : undefined;
  if (!found) throw notFound(kind, item.name, version);
  return found;
}

function applyUpdate(attributes: Attributes, input: UpdateInput): Attributes {
  return {
    ...attributes,
    ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
    ...(input.nbf !== undefined ? { nbf: input.nbf } : {}),
    ...(input.exp !== undefined ? { exp: input.exp } : {}),
    updated: nowSeconds(),
  };
}

export class Vault {
  readonly secrets = new Map<string, Item<SecretVersion>>();
  readonly keys = new Map<string, Item<KeyVersion>>();
  readonly certificates = new Map<string, Item<CertificateVersion>>();

  constructor(readonly name: string) {}

  // ---- secrets

  #liveSecret(name: string): Item<SecretVersion> {
    checkName(name);
    const item = this.secrets.get(name.toLowerCase());
    if (!item || item.deleted) throw notFound("Secret", name);
    return item;
  }

  setSecret(name: string, input: SetSecretInput, managed?: { kid: string; version: string }): SecretVersion {
    checkName(name);
    addCanary(input.value);
    if (new TextEncoder().encode(input.value).length > MAX_SECRET_VALUE_BYTES) {
      throw new KvError(400, "BadParameter", "Secret value exceeds the maximum allowed size of 25 KB.");
    }
    checkTags(input.tags);
    const existing = this.secrets.get(name.toLowerCase());
    if (existing?.deleted) {
      throw new KvError(
        409,
        "Conflict",
        `Secret ${existing.name} is currently in a deleted but recoverable state, and its name cannot be reused; ` +
          `in this state, the secret can be recovered or purged.`,
        "ObjectIsDeletedButRecoverable",
      );
    }
    if (!managed && existing?.versions.at(-1)?.managed) {
      throw new KvError(403, "Forbidden", `Secret ${existing.name} is managed by a certificate and cannot be set.`);
    }
    const now = nowSeconds();
    const v: SecretVersion = {
      version: managed?.version ?? newVersionId(),
      value: input.value,
      ...(input.contentType !== undefined ? { contentType: input.contentType } : {}),
      ...(input.tags !== undefined ? { tags: { ...input.tags } } : {}),
      attributes: {
        enabled: input.enabled ?? true,
        ...(input.nbf !== undefined ? { nbf: input.nbf } : {}),
        ...(input.exp !== undefined ? { exp: input.exp } : {}),
        created: now,
        updated: now,
      },
      ...(managed ? { kid: managed.kid, managed: true } : {}),
    };
    if (existing) existing.versions.push(v);
    else this.secrets.set(name.toLowerCase(), { name, versions: [v] });
    return v;
  }

  /** Metadata of a version, disabled or not (for list and update). */
  secretVersion(name: string, version?: string): { item: Item<SecretVersion>; version: SecretVersion } {
    const item = this.#liveSecret(name);
    return { item, version: pickVersion(item, "Secret", version) };
  }

  /** A version with its value: 403 when disabled, as Key Vault answers. (nbf/exp are not enforced: nor are they there.) */
  getSecret(name: string, version?: string): { item: Item<SecretVersion>; version: SecretVersion } {
    const found = this.secretVersion(name, version);
    if (!found.version.attributes.enabled) {
      throw new KvError(403, "Forbidden", "Operation get is not allowed on a disabled secret.", "SecretDisabled");
    }
    return found;
  }

  updateSecret(
    name: string,
    version: string | undefined,
    input: UpdateInput,
  ): { item: Item<SecretVersion>; version: SecretVersion } {
    checkTags(input.tags);
    const { item, version: v } = this.secretVersion(name, version);
    if (v.managed) {
      throw new KvError(403, "Forbidden", `Secret ${item.name} is managed by a certificate and cannot be updated.`);
    }
    v.attributes = applyUpdate(v.attributes, input);
    if (input.contentType !== undefined) v.contentType = input.contentType;
    if (input.tags !== undefined) v.tags = { ...input.tags };
    return { item, version: v };
  }

  listSecrets(): Item<SecretVersion>[] {
    return [...this.secrets.values()].filter((i) => !i.deleted && i.versions.length > 0);
  }

  deleteSecret(name: string): Item<SecretVersion> {
    const item = this.#liveSecret(name);
    if (item.versions.at(-1)?.managed) {
      throw new KvError(403, "Forbidden", `Secret ${item.name} is managed by a certificate and cannot be deleted.`);
    }
    const now = nowSeconds();
    item.deleted = { deletedDate: now, scheduledPurgeDate: now + RECOVERABLE_DAYS * 86400 };
    return item;
  }

  #deletedSecret(name: string): Item<SecretVersion> {
    checkName(name);
    const item = this.secrets.get(name.toLowerCase());
    if (!item?.deleted) throw new KvError(404, "SecretNotFound", `Deleted Secret not found`);
    return item;
  }

  getDeletedSecret(name: string): Item<SecretVersion> {
    return this.#deletedSecret(name);
  }

  listDeletedSecrets(): Item<SecretVersion>[] {
    return [...this.secrets.values()].filter((i) => i.deleted);
  }

  recoverSecret(name: string): Item<SecretVersion> {
    const item = this.#deletedSecret(name);
    delete item.deleted;
    return item;
  }

  purgeSecret(name: string): void {
    const item = this.#deletedSecret(name);
    this.secrets.delete(item.name.toLowerCase());
  }

  // ---- keys

  getKey(name: string, version?: string): { item: Item<KeyVersion>; version: KeyVersion } {
    checkName(name);
    const item = this.keys.get(name.toLowerCase());
    if (!item || item.deleted) throw notFound("Key", name);
    return { item, version: pickVersion(item, "Key", version) };
  }

  listKeys(): Item<KeyVersion>[] {
    return [...this.keys.values()].filter((i) => !i.deleted);
  }

  /** Stores a key version from its public JWK (the private half is not kept: the emulator does no crypto ops). */
  putKey(name: string, jwk: JsonWebKey, opts: { version?: string; tags?: Tags; managed?: boolean } = {}): KeyVersion {
    checkName(name);
    checkTags(opts.tags);
    const now = nowSeconds();
    const pick = (names: string[]): JsonWebKey =>
      Object.fromEntries(names.flatMap((n) => (jwk[n] === undefined ? [] : [[n, jwk[n]]])));
    const publicOnly = pick(jwk.kty === "EC" ? ["kty", "crv", "x", "y"] : ["kty", "n", "e"]);
    const v: KeyVersion = {
      version: opts.version ?? newVersionId(),
      jwk: publicOnly,
      keyOps: jwk.kty === "EC" ? ["sign", "verify"] : ["encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey"],
      ...(opts.tags ? { tags: { ...opts.tags } } : {}),
      attributes: { enabled: true, created: now, updated: now },
      ...(opts.managed ? { managed: true } : {}),
    };
    const existing = this.keys.get(name.toLowerCase());
    if (existing) existing.versions.push(v);
    else this.keys.set(name.toLowerCase(), { name, versions: [v] });
    return v;
  }

  async createKey(name: string, input: CreateKeyInput = {}): Promise<KeyVersion> {
    checkName(name);
    const gen = promisify(generateKeyPair);
    const pair = input.kty === "EC"
      ? await gen("ec", { namedCurve: input.crv ?? "P-256" })
      : await gen("rsa", { modulusLength: input.size ?? 2048 });
    return this.putKey(name, pair.publicKey.export({ format: "jwk" }), input.tags ? { tags: input.tags } : {});
  }

  // ---- certificates

  getCertificate(name: string, version?: string): { item: Item<CertificateVersion>; version: CertificateVersion } {
    checkName(name);
    const item = this.certificates.get(name.toLowerCase());
    if (!item || item.deleted) throw notFound("Certificate", name);
    return { item, version: pickVersion(item, "Certificate", version) };
  }

  listCertificates(): Item<CertificateVersion>[] {
    return [...this.certificates.values()].filter((i) => !i.deleted);
  }

  /**
   * A new certificate version from a freshly generated self-signed RSA certificate, with its key and backing
   * secret under the same name and version, as Key Vault lays them out.
   */
  async createCertificate(name: string, input: CreateCertificateInput = {}): Promise<CertificateVersion> {
    checkName(name);
    checkTags(input.tags);
    const months = input.validityMonths ?? 12;
    const subject = input.subject ?? `CN=${name}`;
    const generated = await generateCertificate({ subject, days: Math.round(months * 30.5) });
    const x509 = new X509Certificate(generated.certPem);
    const contentType: SecretContentType = input.format === "pem" ? "application/x-pem-file" : "application/x-pkcs12";
    const secretValue = contentType === "application/x-pem-file"
      ? `${generated.keyPem.trim()}\n${generated.certPem.trim()}\n`
      : Buffer.from(await toPfx(generated)).toString("base64");
    const version = newVersionId();
    const now = nowSeconds();
    const nbf = Math.floor(Date.parse(x509.validFrom) / 1000);
    const exp = Math.floor(Date.parse(x509.validTo) / 1000);
    const jwk = createPublicKey(generated.certPem).export({ format: "jwk" });
    this.putKey(name, jwk, { version, managed: true });
    this.setSecret(name, { value: secretValue, contentType, nbf, exp }, { kid: `/keys/${name}/${version}`, version });
    const cer = pemToDer(generated.certPem);
    const v: CertificateVersion = {
      version,
      certPem: generated.certPem,
      cer,
      x5t: Buffer.from(certificateThumbprints(generated.certPem).sha1Hex, "hex").toString("base64url"),
      subject,
      contentType,
      validityMonths: months,
      ...(input.tags ? { tags: { ...input.tags } } : {}),
      attributes: { enabled: true, nbf, exp, created: now, updated: now },
    };
    const existing = this.certificates.get(name.toLowerCase());
    if (existing) existing.versions.push(v);
    else this.certificates.set(name.toLowerCase(), { name, versions: [v] });
    return v;
  }
}
