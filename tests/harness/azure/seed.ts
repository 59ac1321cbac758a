// Seed documents (YAML or JSON): vaults with their secrets, keys and certificates, identities and faults, applied
// at start (`seedFile`, `--seed`) or later through the admin API. Format: see README.md.
import { parse as parseYaml } from "yaml";
import { type FaultRule, parseFaultRule } from "./faults.ts";
import type { Access, VaultAccess } from "./identities.ts";
import type { CreateCertificateInput, CreateKeyInput, SetSecretInput, Tags } from "./store.ts";

export interface SeedSecretVersion extends SetSecretInput {}

export interface SeedVault {
  /** Versions oldest first; the last is the current one. */
  secrets: Record<string, SeedSecretVersion[]>;
  keys: Record<string, CreateKeyInput>;
  certificates: Record<string, CreateCertificateInput>;
}

export interface SeedData {
  vaults: Record<string, SeedVault>;
  clientSecretApps: { clientId: string; secret: string; tenantId?: string; vaults?: VaultAccess }[];
  federatedIdentities: {
    clientId: string;
    issuer: string;
    subject: string;
    audience?: string;
    tenantId?: string;
    vaults?: VaultAccess;
    issuerPublicKeyPem?: string;
  }[];
  managedIdentities: { clientId: string; default?: boolean; vaults?: VaultAccess }[];
  faults: FaultRule[];
}

export class SeedError extends Error {
  override name = "SeedError";
}

type Obj = Record<string, unknown>;

function isObj(x: unknown): x is Obj {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function obj(x: unknown, where: string): Obj {
  if (x === undefined || x === null) return {};
  if (!isObj(x)) throw new SeedError(`${where}: want a mapping`);
  return x;
}

function list(x: unknown, where: string): unknown[] {
  if (x === undefined || x === null) return [];
  if (!Array.isArray(x)) throw new SeedError(`${where}: want a list`);
  return x;
}

function str(x: unknown, where: string): string {
  if (typeof x !== "string" || x === "") throw new SeedError(`${where}: want a non-empty string`);
  return x;
}

function optStr(x: unknown, where: string): string | undefined {
  return x === undefined || x === null ? undefined : str(x, where);
}

/** A date as ISO-8601 text or epoch seconds → epoch seconds. */
export function epochSeconds(x: unknown, where: string): number | undefined {
  if (x === undefined || x === null) return undefined;
  if (typeof x === "number" && Number.isFinite(x)) return Math.floor(x);
  if (x instanceof Date) return Math.floor(x.getTime() / 1000);
  if (typeof x === "string" && !Number.isNaN(Date.parse(x))) return Math.floor(Date.parse(x) / 1000);
  throw new SeedError(`${where}: want an ISO-8601 date or epoch seconds`);
}

function tags(x: unknown, where: string): Tags | undefined {
  if (x === undefined || x === null) return undefined;
  const o = obj(x, where);
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, String(v)]));
}

function access(x: unknown, where: string): VaultAccess | undefined {
  if (x === undefined || x === null) return undefined;
  const out: VaultAccess = {};
  for (const [vault, level] of Object.entries(obj(x, where))) {
    if (level !== "read" && level !== "write" && level !== "none") {
      throw new SeedError(`${where}.${vault}: want read, write or none`);
    }
    out[vault] = level as Access;
  }
  return out;
}

async function secretVersion(x: unknown, where: string, baseDir: string): Promise<SeedSecretVersion> {
  if (typeof x === "string") return { value: x };
  const o = obj(x, where);
  let value: string;
  if (o.valueFile !== undefined) {
    const file = str(o.valueFile, `${where}.valueFile`);
    value = await Deno.readTextFile(file.startsWith("/") ? file : `${baseDir}/${file}`);
  } else if (typeof o.value === "string") {
    value = o.value;
  } else if (o.value !== undefined && o.value !== null && typeof o.value === "object") {
    // A mapping as value is stored as its JSON text: handy for dockerconfigjson and similar.
    value = JSON.stringify(o.value);
  } else {
    throw new SeedError(`${where}: want value (string or mapping) or valueFile`);
  }
  const contentType = optStr(o.contentType, `${where}.contentType`);
  const t = tags(o.tags, `${where}.tags`);
  const nbf = epochSeconds(o.notBefore, `${where}.notBefore`);
  const exp = epochSeconds(o.expires, `${where}.expires`);
  if (o.enabled !== undefined && typeof o.enabled !== "boolean") {
    throw new SeedError(`${where}.enabled: want a boolean`);
  }
  return {
    value,
    ...(contentType !== undefined ? { contentType } : {}),
    ...(t ? { tags: t } : {}),
    ...(typeof o.enabled === "boolean" ? { enabled: o.enabled } : {}),
    ...(nbf !== undefined ? { nbf } : {}),
    ...(exp !== undefined ? { exp } : {}),
  };
}

/**
 * Parses and checks a seed document. `baseDir` resolves relative `valueFile` / `issuerPublicKeyFile` paths
 * (the seed file's directory).
 */
export async function parseSeed(text: string, baseDir: string): Promise<SeedData> {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new SeedError(`not YAML or JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  const root = obj(doc, "seed");
  const known = new Set(["vaults", "clientSecretApps", "federatedIdentities", "managedIdentities", "faults"]);
  for (const k of Object.keys(root)) if (!known.has(k)) throw new SeedError(`seed: unknown field ${k}`);

  const data: SeedData = {
    vaults: {},
    clientSecretApps: [],
    federatedIdentities: [],
    managedIdentities: [],
    faults: [],
  };
  for (const [vaultName, rawVault] of Object.entries(obj(root.vaults, "vaults"))) {
    const w = `vaults.${vaultName}`;
    const v = obj(rawVault, w);
    const vault: SeedVault = { secrets: {}, keys: {}, certificates: {} };
    for (const [name, raw] of Object.entries(obj(v.secrets, `${w}.secrets`))) {
      const sw = `${w}.secrets.${name}`;
      const versions = isObj(raw) && raw.versions !== undefined ? list(raw.versions, `${sw}.versions`) : [raw];
      vault.secrets[name] = await Promise.all(versions.map((x, i) => secretVersion(x, `${sw}[${i}]`, baseDir)));
    }
    for (const [name, raw] of Object.entries(obj(v.keys, `${w}.keys`))) {
      const o = obj(raw, `${w}.keys.${name}`);
      if (o.kty !== undefined && o.kty !== "RSA" && o.kty !== "EC") {
        throw new SeedError(`${w}.keys.${name}.kty: want RSA or EC`);
      }
      const t = tags(o.tags, `${w}.keys.${name}.tags`);
      vault.keys[name] = {
        ...(o.kty !== undefined ? { kty: o.kty as "RSA" | "EC" } : {}),
        ...(typeof o.size === "number" ? { size: o.size } : {}),
        ...(typeof o.crv === "string" ? { crv: o.crv as "P-256" } : {}),
        ...(t ? { tags: t } : {}),
      };
    }
    for (const [name, raw] of Object.entries(obj(v.certificates, `${w}.certificates`))) {
      const cw = `${w}.certificates.${name}`;
      const o = obj(raw, cw);
      if (o.format !== undefined && o.format !== "pfx" && o.format !== "pem") {
        throw new SeedError(`${cw}.format: want pfx or pem`);
      }
      const subject = optStr(o.subject, `${cw}.subject`);
      const t = tags(o.tags, `${cw}.tags`);
      vault.certificates[name] = {
        ...(subject !== undefined ? { subject } : {}),
        ...(o.format !== undefined ? { format: o.format as "pfx" | "pem" } : {}),
        ...(typeof o.validityMonths === "number" ? { validityMonths: o.validityMonths } : {}),
        ...(t ? { tags: t } : {}),
      };
    }
    data.vaults[vaultName] = vault;
  }
  for (const [i, raw] of list(root.clientSecretApps, "clientSecretApps").entries()) {
    const w = `clientSecretApps[${i}]`;
    const o = obj(raw, w);
    const tenantId = optStr(o.tenantId, `${w}.tenantId`);
    const vaults = access(o.vaults, `${w}.vaults`);
    data.clientSecretApps.push({
      clientId: str(o.clientId, `${w}.clientId`),
      secret: str(o.secret, `${w}.secret`),
      ...(tenantId ? { tenantId } : {}),
      ...(vaults ? { vaults } : {}),
    });
  }
  for (const [i, raw] of list(root.federatedIdentities, "federatedIdentities").entries()) {
    const w = `federatedIdentities[${i}]`;
    const o = obj(raw, w);
    const audience = optStr(o.audience, `${w}.audience`);
    const tenantId = optStr(o.tenantId, `${w}.tenantId`);
    const vaults = access(o.vaults, `${w}.vaults`);
    const keyFile = optStr(o.issuerPublicKeyFile, `${w}.issuerPublicKeyFile`);
    const issuerPublicKeyPem = keyFile
      ? await Deno.readTextFile(keyFile.startsWith("/") ? keyFile : `${baseDir}/${keyFile}`)
      : optStr(o.issuerPublicKeyPem, `${w}.issuerPublicKeyPem`);
    data.federatedIdentities.push({
      clientId: str(o.clientId, `${w}.clientId`),
      issuer: str(o.issuer, `${w}.issuer`),
      subject: str(o.subject, `${w}.subject`),
      ...(audience ? { audience } : {}),
      ...(tenantId ? { tenantId } : {}),
      ...(vaults ? { vaults } : {}),
      ...(issuerPublicKeyPem ? { issuerPublicKeyPem } : {}),
    });
  }
  for (const [i, raw] of list(root.managedIdentities, "managedIdentities").entries()) {
    const w = `managedIdentities[${i}]`;
    const o = obj(raw, w);
    const vaults = access(o.vaults, `${w}.vaults`);
    data.managedIdentities.push({
      clientId: str(o.clientId, `${w}.clientId`),
      ...(o.default === true ? { default: true } : {}),
      ...(vaults ? { vaults } : {}),
    });
  }
  data.faults = list(root.faults, "faults").map((f, i) => {
    try {
      return parseFaultRule(f);
    } catch (e) {
      throw new SeedError(`faults[${i}]: ${e instanceof Error ? e.message : String(e)}`);
    }
  });
  return data;
}

export async function readSeedFile(path: string): Promise<SeedData> {
  const text = await Deno.readTextFile(path);
  const slash = path.lastIndexOf("/");
  const baseDir = slash < 0 ? "." : slash === 0 ? "/" : path.slice(0, slash);
  try {
    return await parseSeed(text, baseDir);
  } catch (e) {
    if (e instanceof SeedError) throw new SeedError(`${path}: ${e.message}`);
    throw e;
  }
}
