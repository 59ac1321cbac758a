// Key Vault's data plane for secrets (full), keys and certificates (read), as the SDKs call it. Every request goes
// through: route → bearer challenge and token checks (401) → fault injection → access check (403) → operation.
// Faults are applied after authentication so the SDK's unauthenticated first request never consumes one.
import type { FaultDecision, FaultInjector } from "./faults.ts";
import { type Exchange, type Handled, type Handler, jsonReply, type Reply } from "./http.ts";
import type { Access, IdentityRegistry } from "./identities.ts";
import { numericClaim } from "./jwt.ts";
import type { ReadLimit } from "./limits.ts";
import { decodeSkipToken, nextLinkFor, pageOf, PagingError, parseMaxResults } from "./paging.ts";
import {
  type Attributes,
  type CertificateVersion,
  checkName,
  type Item,
  type KeyVersion,
  KvError,
  RECOVERABLE_DAYS,
  RECOVERY_LEVEL,
  type SecretVersion,
  type Tags,
  type UpdateInput,
  type Vault,
} from "./store.ts";
import { issuerFor, type TokenIssuer } from "./tokens.ts";

export const KEY_VAULT_RESOURCE = "https://vault.azure.net";

export interface KeyVaultContext {
  registry: IdentityRegistry;
  issuer: TokenIssuer;
  faults: FaultInjector;
  tenantId: string;
  /** Base URL of the Entra emulator, for the challenge's authorization="<authority>/<tenant>". */
  authorityHost(): string;
  /** Resource named in the challenge and required as token audience; default https://vault.azure.net. */
  resource: string;
  /** Key Vault's GET/LIST limit for this vault, when enforced (`limits.ts`). */
  readLimit?: ReadLimit;
}

export const ROUTES = {
  listSecrets: "GET /secrets",
  setSecret: "PUT /secrets/{name}",
  getSecret: "GET /secrets/{name}/{version}",
  updateSecret: "PATCH /secrets/{name}/{version}",
  deleteSecret: "DELETE /secrets/{name}",
  listSecretVersions: "GET /secrets/{name}/versions",
  listDeletedSecrets: "GET /deletedsecrets",
  getDeletedSecret: "GET /deletedsecrets/{name}",
  purgeDeletedSecret: "DELETE /deletedsecrets/{name}",
  recoverDeletedSecret: "POST /deletedsecrets/{name}/recover",
  listKeys: "GET /keys",
  getKey: "GET /keys/{name}/{version}",
  listKeyVersions: "GET /keys/{name}/versions",
  listCertificates: "GET /certificates",
  getCertificate: "GET /certificates/{name}/{version}",
  listCertificateVersions: "GET /certificates/{name}/versions",
} as const;

export function kvError(
  status: number,
  code: string,
  message: string,
  innerCode?: string,
  headers?: Record<string, string>,
): Reply {
  const error = innerCode ? { code, message, innererror: { code: innerCode } } : { code, message };
  return jsonReply(status, { error }, headers);
}

function faultReply(d: Exclude<FaultDecision, { kind: "pass" }>): Reply | "drop" {
  if (d.kind === "drop") return "drop";
  const { status, retryAfterSeconds, code, message } = d.error;
  const defaults: Record<number, [string, string]> = {
    429: [
      "Throttled",
      "Request was not processed because too many requests were received. Reason: A generic throttling rule was applied.",
    ],
    500: ["InternalServerError", "An internal server error occurred."],
    503: ["ServiceUnavailable", "The service is temporarily unavailable."],
  };
  const [c, m] = defaults[status] ?? ["Error", `Injected fault (${status}).`];
  return kvError(
    status,
    code ?? c,
    message ?? m,
    undefined,
    retryAfterSeconds !== undefined ? { "retry-after": String(retryAfterSeconds) } : {},
  );
}

// ---- response shapes

function attributesJson(a: Attributes, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    enabled: a.enabled,
    ...(a.nbf !== undefined ? { nbf: a.nbf } : {}),
    ...(a.exp !== undefined ? { exp: a.exp } : {}),
    created: a.created,
    updated: a.updated,
    recoveryLevel: RECOVERY_LEVEL,
    recoverableDays: RECOVERABLE_DAYS,
    ...extra,
  };
}

function tagsJson(tags: Tags | undefined): Record<string, unknown> {
  return tags ? { tags } : {};
}

function secretBundle(
  origin: string,
  item: Item<SecretVersion>,
  v: SecretVersion,
  withValue: boolean,
): Record<string, unknown> {
  return {
    ...(withValue ? { value: v.value } : {}),
    ...(v.contentType !== undefined ? { contentType: v.contentType } : {}),
    id: `${origin}/secrets/${item.name}/${v.version}`,
    attributes: attributesJson(v.attributes),
    ...tagsJson(v.tags),
    ...(v.kid ? { kid: `${origin}${v.kid}`, managed: true } : {}),
  };
}

function secretItem(
  origin: string,
  item: Item<SecretVersion>,
  v: SecretVersion,
  withVersion: boolean,
): Record<string, unknown> {
  return {
    id: withVersion ? `${origin}/secrets/${item.name}/${v.version}` : `${origin}/secrets/${item.name}`,
    attributes: attributesJson(v.attributes),
    ...(v.contentType !== undefined ? { contentType: v.contentType } : {}),
    ...tagsJson(v.tags),
    ...(v.managed ? { managed: true } : {}),
  };
}

function deletedPart(origin: string, item: Item<SecretVersion>): Record<string, unknown> {
  return {
    recoveryId: `${origin}/deletedsecrets/${item.name}`,
    deletedDate: item.deleted?.deletedDate,
    scheduledPurgeDate: item.deleted?.scheduledPurgeDate,
  };
}

function keyBundle(origin: string, item: Item<KeyVersion>, v: KeyVersion): Record<string, unknown> {
  return {
    key: { kid: `${origin}/keys/${item.name}/${v.version}`, ...v.jwk, key_ops: v.keyOps },
    attributes: attributesJson(v.attributes, { exportable: false }),
    ...tagsJson(v.tags),
    ...(v.managed ? { managed: true } : {}),
  };
}

function certificatePolicy(
  origin: string,
  item: Item<CertificateVersion>,
  v: CertificateVersion,
): Record<string, unknown> {
  return {
    id: `${origin}/certificates/${item.name}/policy`,
    key_props: { exportable: true, kty: "RSA", key_size: 2048, reuse_key: false },
    secret_props: { contentType: v.contentType },
    x509_props: {
      subject: v.subject,
      ekus: ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"],
      key_usage: ["digitalSignature", "keyEncipherment"],
      validity_months: v.validityMonths,
    },
    lifetime_actions: [{ trigger: { lifetime_percentage: 80 }, action: { action_type: "AutoRenew" } }],
    issuer: { name: "Self" },
    attributes: { enabled: true, created: v.attributes.created, updated: v.attributes.updated },
  };
}

function certificateBundle(
  origin: string,
  item: Item<CertificateVersion>,
  v: CertificateVersion,
  withPolicy: boolean,
): Record<string, unknown> {
  return {
    id: `${origin}/certificates/${item.name}/${v.version}`,
    kid: `${origin}/keys/${item.name}/${v.version}`,
    sid: `${origin}/secrets/${item.name}/${v.version}`,
    x5t: v.x5t,
    cer: Buffer.from(v.cer).toString("base64"),
    attributes: attributesJson(v.attributes),
    ...tagsJson(v.tags),
    ...(withPolicy ? { policy: certificatePolicy(origin, item, v) } : {}),
  };
}

function certificateItem(
  origin: string,
  item: Item<CertificateVersion>,
  v: CertificateVersion,
  withVersion: boolean,
): Record<string, unknown> {
  return {
    id: withVersion ? `${origin}/certificates/${item.name}/${v.version}` : `${origin}/certificates/${item.name}`,
    x5t: v.x5t,
    attributes: attributesJson(v.attributes),
    ...tagsJson(v.tags),
  };
}

// ---- request bodies

function parseJsonBody(body: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch {
    throw new KvError(400, "BadParameter", "The request body is not valid JSON.");
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new KvError(400, "BadParameter", "The request body must be a JSON object.");
  }
  return v as Record<string, unknown>;
}

function parseTags(v: unknown): Tags | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "object" || Array.isArray(v) || Object.values(v).some((t) => typeof t !== "string")) {
    throw new KvError(400, "BadParameter", "Tags must be an object of string values.");
  }
  return v as Tags;
}

/** contentType, tags and attributes.{enabled,nbf,exp} of a set or update body. */
export function parseUpdate(body: Record<string, unknown>): UpdateInput {
  const out: UpdateInput = {};
  if (body.contentType !== undefined && body.contentType !== null) {
    if (typeof body.contentType !== "string") throw new KvError(400, "BadParameter", "contentType must be a string.");
    out.contentType = body.contentType;
  }
  const tags = parseTags(body.tags);
  if (tags) out.tags = tags;
  const attrs = body.attributes;
  if (attrs !== undefined && attrs !== null) {
    if (typeof attrs !== "object" || Array.isArray(attrs)) {
      throw new KvError(400, "BadParameter", "attributes must be an object.");
    }
    const a = attrs as Record<string, unknown>;
    if (a.enabled !== undefined && a.enabled !== null) {
      if (typeof a.enabled !== "boolean") {
        throw new KvError(400, "BadParameter", "attributes.enabled must be a boolean.");
      }
      out.enabled = a.enabled;
    }
    for (const k of ["nbf", "exp"] as const) {
      const t = a[k];
      if (t === undefined || t === null) continue;
      if (typeof t !== "number" || !Number.isInteger(t)) {
        throw new KvError(400, "BadParameter", `attributes.${k} must be an integer.`);
      }
      out[k] = t;
    }
  }
  return out;
}

// ---- routing

interface Operation {
  route: string;
  access: Exclude<Access, "none">;
  /** RBAC data action named in a 403, as Key Vault names it. */
  action: string;
  name?: string;
  run(vault: Vault, ex: Exchange, origin: string): Reply;
}

function listReply<T>(
  ex: Exchange,
  items: readonly T[],
  keyOf: (t: T) => string,
  toJson: (t: T) => Record<string, unknown>,
): Reply {
  const q = ex.url.searchParams;
  const raw = q.get("maxresults");
  const size = parseMaxResults(raw);
  const token = q.get("$skiptoken");
  const page = pageOf(items, keyOf, size, token ? decodeSkipToken(token) : undefined);
  const nextLink = page.nextAfter === undefined
    ? null
    : nextLinkFor(ex.url.origin, ex.url.pathname, q.get("api-version") ?? "", page.nextAfter, raw);
  return jsonReply(200, { value: page.items.map(toJson), nextLink });
}

const latest = <V>(i: Item<V>): V => i.versions[i.versions.length - 1] as V;
const byName = <V>(i: Item<V>): string => i.name.toLowerCase();

/** Maps method + path segments to an operation; undefined when Key Vault has no such route (for the emulator). */
export function resolveOperation(method: string, segments: string[]): Operation | undefined {
  const [collection, rawName, third, fourth] = segments;
  const name = rawName === undefined ? undefined : decodeURIComponent(rawName);
  const n = segments.length;
  const A = "Microsoft.KeyVault/vaults";
  if (collection === "secrets") {
    if (n === 1 || (n === 2 && name === "")) {
      if (method !== "GET") return undefined;
      return {
        route: ROUTES.listSecrets,
        access: "read",
        action: `${A}/secrets/readMetadata/action`,
        run: (vault, ex, origin) =>
          listReply(ex, vault.listSecrets(), byName, (i) => secretItem(origin, i, latest(i), false)),
      };
    }
    if (name === undefined || n > 3) return undefined;
    if (n === 2 && method === "PUT") {
      return {
        route: ROUTES.setSecret,
        access: "write",
        action: `${A}/secrets/setSecret/action`,
        name,
        run: (vault, ex, origin) => {
          checkName(name);
          const body = parseJsonBody(ex.body);
          if (typeof body.value !== "string") {
            throw new KvError(400, "BadParameter", "The parameter 'value' is required and must be a string.");
          }
          const v = vault.setSecret(name, { value: body.value, ...parseUpdate(body) });
          return jsonReply(200, secretBundle(origin, vault.secretVersion(name, v.version).item, v, true));
        },
      };
    }
    if (n === 2 && method === "DELETE") {
      return {
        route: ROUTES.deleteSecret,
        access: "write",
        action: `${A}/secrets/delete`,
        name,
        run: (vault, _ex, origin) => {
          const item = vault.deleteSecret(name);
          return jsonReply(200, { ...secretBundle(origin, item, latest(item), false), ...deletedPart(origin, item) });
        },
      };
    }
    if (n === 3 && third === "versions" && method === "GET") {
      return {
        route: ROUTES.listSecretVersions,
        access: "read",
        action: `${A}/secrets/readMetadata/action`,
        name,
        run: (vault, ex, origin) => {
          const { item } = vault.secretVersion(name);
          return listReply(ex, item.versions, (v) => v.version, (v) => secretItem(origin, item, v, true));
        },
      };
    }
    const version = n === 3 ? decodeURIComponent(third ?? "") : "";
    if (method === "GET") {
      return {
        route: ROUTES.getSecret,
        access: "read",
        action: `${A}/secrets/getSecret/action`,
        name,
        run: (vault, _ex, origin) => {
          const { item, version: v } = vault.getSecret(name, version);
          return jsonReply(200, secretBundle(origin, item, v, true));
        },
      };
    }
    if (method === "PATCH") {
      return {
        route: ROUTES.updateSecret,
        access: "write",
        action: `${A}/secrets/setSecret/action`,
        name,
        run: (vault, ex, origin) => {
          checkName(name);
          const { item, version: v } = vault.updateSecret(name, version, parseUpdate(parseJsonBody(ex.body)));
          return jsonReply(200, secretBundle(origin, item, v, false));
        },
      };
    }
    return undefined;
  }
  if (collection === "deletedsecrets") {
    if (n === 1 || (n === 2 && name === "")) {
      if (method !== "GET") return undefined;
      return {
        route: ROUTES.listDeletedSecrets,
        access: "read",
        action: `${A}/deletedsecrets/read`,
        run: (vault, ex, origin) =>
          listReply(
            ex,
            vault.listDeletedSecrets(),
            byName,
            (i) => ({ ...secretItem(origin, i, latest(i), false), ...deletedPart(origin, i) }),
          ),
      };
    }
    if (name === undefined) return undefined;
    if (n === 2 && method === "GET") {
      return {
        route: ROUTES.getDeletedSecret,
        access: "read",
        action: `${A}/deletedsecrets/read`,
        name,
        run: (vault, _ex, origin) => {
          const item = vault.getDeletedSecret(name);
          return jsonReply(200, { ...secretBundle(origin, item, latest(item), false), ...deletedPart(origin, item) });
        },
      };
    }
    if (n === 2 && method === "DELETE") {
      return {
        route: ROUTES.purgeDeletedSecret,
        access: "write",
        action: `${A}/secrets/purge/action`,
        name,
        run: (vault) => {
          vault.purgeSecret(name);
          return { status: 204 };
        },
      };
    }
    if (n === 3 && third === "recover" && method === "POST") {
      return {
        route: ROUTES.recoverDeletedSecret,
        access: "write",
        action: `${A}/secrets/recover/action`,
        name,
        run: (vault, _ex, origin) => {
          const item = vault.recoverSecret(name);
          return jsonReply(200, secretBundle(origin, item, latest(item), false));
        },
      };
    }
    return undefined;
  }
  if (collection === "keys" || collection === "certificates") {
    if (method !== "GET" || fourth !== undefined) return undefined;
    const isKey = collection === "keys";
    const action = isKey ? `${A}/keys/read` : `${A}/certificates/read`;
    if (n === 1 || (n === 2 && name === "")) {
      return {
        route: isKey ? ROUTES.listKeys : ROUTES.listCertificates,
        access: "read",
        action,
        run: (vault, ex, origin) =>
          isKey
            ? listReply(ex, vault.listKeys(), byName, (i) => ({
              kid: `${origin}/keys/${i.name}`,
              attributes: attributesJson(latest(i).attributes),
              ...tagsJson(latest(i).tags),
              ...(latest(i).managed ? { managed: true } : {}),
            }))
            : listReply(ex, vault.listCertificates(), byName, (i) => certificateItem(origin, i, latest(i), false)),
      };
    }
    if (name === undefined) return undefined;
    if (n === 3 && third === "versions") {
      return {
        route: isKey ? ROUTES.listKeyVersions : ROUTES.listCertificateVersions,
        access: "read",
        action,
        name,
        run: (vault, ex, origin) => {
          if (isKey) {
            const { item } = vault.getKey(name);
            return listReply(ex, item.versions, (v) => v.version, (v) => ({
              kid: `${origin}/keys/${item.name}/${v.version}`,
              attributes: attributesJson(v.attributes),
              ...tagsJson(v.tags),
            }));
          }
          const { item } = vault.getCertificate(name);
          return listReply(ex, item.versions, (v) => v.version, (v) => certificateItem(origin, item, v, true));
        },
      };
    }
    const version = n === 3 ? decodeURIComponent(third ?? "") : "";
    return {
      route: isKey ? ROUTES.getKey : ROUTES.getCertificate,
      access: "read",
      action,
      name,
      run: (vault, _ex, origin) => {
        if (isKey) {
          const { item, version: v } = vault.getKey(name, version);
          return jsonReply(200, keyBundle(origin, item, v));
        }
        const { item, version: v } = vault.getCertificate(name, version);
        return jsonReply(200, certificateBundle(origin, item, v, !version));
      },
    };
  }
  return undefined;
}

// ---- authentication

type AuthResult = { ok: true; caller: string } | { ok: false; caller: string; reply: Reply };

function challengeHeader(ctx: KeyVaultContext): Record<string, string> {
  return {
    "www-authenticate": `Bearer authorization="${ctx.authorityHost()}/${ctx.tenantId}", resource="${ctx.resource}"`,
  };
}

/** Checks the bearer token the way Key Vault does: present, ours, for this resource and tenant, within its time. */
export function authenticate(ctx: KeyVaultContext, authorization: string | null): AuthResult {
  const unauthorized = (caller: string, message: string): AuthResult => ({
    ok: false,
    caller,
    reply: kvError(401, "Unauthorized", message, undefined, challengeHeader(ctx)),
  });
  const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? "");
  if (!m?.[1]) return unauthorized("anonymous", "AKV10000: Request is missing a Bearer or PoP token.");
  const check = ctx.issuer.check(m[1]);
  if (!check.ok) {
    return unauthorized("invalid-token", "[BearerReadAccessTokenFailed] Error validating token: 'S2S12005'.");
  }
  const claims = check.claims;
  const caller = typeof claims.appid === "string" ? claims.appid : "invalid-token";
  const aud = typeof claims.aud === "string" ? claims.aud.replace(/\/$/, "") : "";
  if (aud !== ctx.resource) {
    return unauthorized(caller, `AKV10022: Invalid audience. Expected ${ctx.resource}, found: ${String(claims.aud)}.`);
  }
  if (claims.tid !== ctx.tenantId) {
    return unauthorized(
      caller,
      `AKV10032: Invalid issuer. Expected one of ${issuerFor(ctx.tenantId)}, found ${String(claims.iss)}.`,
    );
  }
  const now = Math.floor(Date.now() / 1000);
  if ((numericClaim(claims, "exp") ?? 0) <= now) {
    return unauthorized(caller, "[TokenExpired] Error validating token: 'S2S12086'.");
  }
  if ((numericClaim(claims, "nbf") ?? 0) > now) {
    return unauthorized(caller, "[TokenNotYetValid] Error validating token: 'S2S12085'.");
  }
  return { ok: true, caller };
}

function forbidden(caller: string, op: Operation, vault: Vault, ctx: KeyVaultContext): Reply {
  return kvError(
    403,
    "Forbidden",
    `Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role ` +
      `definitions were changed recently, please observe propagation time.\r\nCaller: appid=${caller};` +
      `iss=${issuerFor(ctx.tenantId)}\r\nAction: '${op.action}'\r\nResource: '/vaults/${vault.name}'\r\n` +
      `Assignment: (not found)\r\nDecisionReason: 'DeniedWithNoValidRBAC' \r\nVault: ${vault.name};location=emulator\r\n`,
    "ForbiddenByRbac",
  );
}

export function keyVaultHandler(ctx: KeyVaultContext, vault: Vault): Handler {
  return async (ex: Exchange): Promise<Handled> => {
    const segments = ex.url.pathname.split("/").slice(1);
    const op = resolveOperation(ex.method, segments);
    const auth = authenticate(ctx, ex.headers.get("authorization"));
    const route = op?.route ?? `${ex.method} (unknown)`;
    const done = (reply: Reply | "drop"): Handled => ({ reply, route, caller: auth.caller, vault: vault.name });
    if (!auth.ok) return done(auth.reply);
    if (ctx.readLimit && ex.method === "GET") {
      const admission = ctx.readLimit.admit();
      if (!admission.ok) {
        const message = "Request was not processed because too many requests were received. Reason: A generic " +
          `throttling rule was applied (${ctx.readLimit.limit} GET/LIST per ${ctx.readLimit.windowMs / 1000} s).`;
        const retry = { "retry-after": String(admission.retryAfterSeconds) };
        return { ...done(kvError(429, "Throttled", message, undefined, retry)), fault: "read-limit" };
      }
    }
    const decision = await ctx.faults.apply({
      service: "keyvault",
      vault: vault.name,
      route,
      caller: auth.caller,
      ...(op?.name !== undefined ? { name: op.name } : {}),
    });
    if (decision.kind !== "pass") return { ...done(faultReply(decision)), fault: decision.ruleId };
    if (!op) return done(kvError(404, "NotFound", `The emulator does not serve ${ex.method} ${ex.url.pathname}.`));
    if (!ex.url.searchParams.get("api-version")) {
      return done(kvError(400, "BadParameter", "The 'api-version' query parameter is missing."));
    }
    const access = ctx.registry.accessOf(auth.caller, vault.name);
    if (access === "none" || (op.access === "write" && access !== "write")) {
      return done(forbidden(auth.caller, op, vault, ctx));
    }
    try {
      return done(op.run(vault, ex, ex.url.origin));
    } catch (e) {
      if (e instanceof KvError) return done(kvError(e.status, e.code, e.message, e.innerCode));
      if (e instanceof PagingError) return done(kvError(400, "BadParameter", e.message));
      throw e;
    }
  };
}
