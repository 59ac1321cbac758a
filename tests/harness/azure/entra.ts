// Microsoft Entra ID token endpoint, as MSAL (inside @azure/identity) uses it for the client-credentials flow:
// OpenID discovery, then POST /{tenant}/oauth2/v2.0/token with a client secret, a certificate assertion or a
// federated assertion (workload identity). Errors are the AADSTS bodies MSAL turns into AuthenticationErrors.
import type { FaultDecision, FaultInjector } from "./faults.ts";
import { type Exchange, type Handled, type Handler, jsonReply, type Reply } from "./http.ts";
import type { AppRegistration, IdentityRegistry } from "./identities.ts";
import { audiences, type DecodedJwt, decodeJwt, JwtFormatError, numericClaim, verifyJwtSignature } from "./jwt.ts";
import type { TokenIssuer } from "./tokens.ts";

export interface EntraContext {
  registry: IdentityRegistry;
  issuer: TokenIssuer;
  faults: FaultInjector;
  tokenLifetimeSeconds(): number;
}

export const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/** Scopes MSAL may add next to the resource's "/.default"; they carry no resource. */
const OIDC_SCOPES = new Set(["openid", "profile", "offline_access"]);
/** Clock skew allowed on client assertions, as Entra allows. */
const ASSERTION_SKEW_SECONDS = 300;

export const ROUTES = {
  openidV2: "GET /{tenant}/v2.0/.well-known/openid-configuration",
  openidV1: "GET /{tenant}/.well-known/openid-configuration",
  keys: "GET /{tenant}/discovery/v2.0/keys",
  tokenV2: "POST /{tenant}/oauth2/v2.0/token",
  tokenV1: "POST /{tenant}/oauth2/token",
} as const;

/** An AADSTS error body as Entra sends it (error, error_description with trace/correlation ids, error_codes). */
export function aadError(
  status: number,
  error: string,
  code: number,
  message: string,
  correlationId: string = crypto.randomUUID(),
): Reply {
  const traceId = crypto.randomUUID();
  const timestamp = new Date().toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
  return jsonReply(status, {
    error,
    error_description: `AADSTS${code}: ${message} Trace ID: ${traceId} Correlation ID: ${correlationId} ` +
      `Timestamp: ${timestamp}`,
    error_codes: [code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `https://login.microsoftonline.com/error?code=${code}`,
  });
}

function faultReply(d: Exclude<FaultDecision, { kind: "pass" }>): Reply | "drop" {
  if (d.kind === "drop") return "drop";
  const { status, retryAfterSeconds, code, message } = d.error;
  const reply = aadError(
    status,
    code ?? (status === 429 || status >= 500 ? "temporarily_unavailable" : "invalid_request"),
    status === 429 ? 50196 : 90033,
    message ??
      (status === 429 ? "The server throttled the request." : "A transient error has occurred. Please try again."),
  );
  if (retryAfterSeconds !== undefined) reply.headers = { ...reply.headers, "retry-after": String(retryAfterSeconds) };
  return reply;
}

function tenantNotFound(tenant: string): Reply {
  return aadError(
    400,
    "invalid_tenant",
    90002,
    `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the ` +
      `correct cloud.`,
  );
}

function openIdConfiguration(origin: string, tenant: string, v2: boolean): unknown {
  const base = `${origin}/${tenant}`;
  return {
    token_endpoint: v2 ? `${base}/oauth2/v2.0/token` : `${base}/oauth2/token`,
    token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
    jwks_uri: `${base}/discovery/v2.0/keys`,
    response_modes_supported: ["query", "fragment", "form_post"],
    subject_types_supported: ["pairwise"],
    id_token_signing_alg_values_supported: ["RS256", "ES256"],
    response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
    scopes_supported: ["openid", "profile", "email", "offline_access"],
    // MSAL requires the issuer's scheme, host and port to equal the authority's.
    issuer: v2 ? `${base}/v2.0` : `https://sts.windows.net/${tenant}/`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: `${origin}/oidc/userinfo`,
    authorization_endpoint: v2 ? `${base}/oauth2/v2.0/authorize` : `${base}/oauth2/authorize`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    claims_supported: ["sub", "iss", "aud", "exp", "iat", "nbf", "tid", "oid"],
    kerberos_endpoint: `${base}/kerberos`,
    tenant_region_scope: null,
    cloud_instance_name: "emulator.localhost",
    cloud_graph_host_name: "graph.windows.net",
    msgraph_host: "graph.microsoft.com",
    rbac_url: "https://pas.windows.net",
  };
}

/** scope (v2) or resource (v1) → the resource the token is for, or an error text. */
export function resourceFromScope(
  scope: string | null,
  resource: string | null,
  v2: boolean,
): string | { error: string } {
  if (!v2) return resource ? resource.replace(/\/$/, "") : { error: "resource" };
  const scopes = (scope ?? "").split(" ").filter((s) => s.length > 0 && !OIDC_SCOPES.has(s));
  if (scopes.length !== 1 || !scopes[0]?.endsWith("/.default")) return { error: scope ?? "" };
  return scopes[0].slice(0, -"/.default".length);
}

type CredentialCheck = { ok: true; appidacr: string } | { ok: false; reply: Reply };

function checkTimes(jwt: DecodedJwt, correlationId: string): Reply | undefined {
  const now = Math.floor(Date.now() / 1000);
  const exp = numericClaim(jwt.payload, "exp");
  const nbf = numericClaim(jwt.payload, "nbf");
  if (
    exp === undefined || exp + ASSERTION_SKEW_SECONDS < now || (nbf !== undefined && nbf - ASSERTION_SKEW_SECONDS > now)
  ) {
    return aadError(
      400,
      "invalid_client",
      700024,
      `Client assertion is not within its valid time range. Current time: ${new Date(now * 1000).toISOString()}, ` +
        `expiry time of assertion ${exp === undefined ? "(none)" : new Date(exp * 1000).toISOString()}.`,
      correlationId,
    );
  }
  return undefined;
}

function checkCertificateAssertion(
  app: AppRegistration,
  jwt: DecodedJwt,
  ex: Exchange,
  correlationId: string,
): CredentialCheck {
  const x5tS256 = jwt.header["x5t#S256"];
  const x5t = jwt.header.x5t;
  const hexOf = (v: unknown): string => typeof v === "string" ? Buffer.from(v, "base64url").toString("hex") : "";
  const cert = app.certificates.find((c) =>
    (typeof x5tS256 === "string" && c.sha256Hex === hexOf(x5tS256)) ||
    (typeof x5t === "string" && c.sha1Hex === hexOf(x5t))
  );
  if (!cert) {
    const used = hexOf(x5tS256 ?? x5t).toUpperCase();
    return {
      ok: false,
      reply: aadError(
        401,
        "invalid_client",
        700027,
        `Client assertion contains an invalid signature. [Reason - The key was not found., Thumbprint of key used by ` +
          `client: '${used}'. Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured ` +
          `keys for app Id '${app.clientId}'.]`,
        correlationId,
      ),
    };
  }
  if (!verifyJwtSignature(jwt, cert.publicKey)) {
    return {
      ok: false,
      reply: aadError(
        401,
        "invalid_client",
        700027,
        "Client assertion contains an invalid signature. [Reason - Signature validation failed.]",
        correlationId,
      ),
    };
  }
  // The audience is the token endpoint the client discovered (any of our host spellings, v1 or v2 path).
  const okAud = audiences(jwt.payload).some((a) => {
    try {
      const u = new URL(a);
      return u.port === ex.url.port && /^\/[^/]+\/oauth2\/(v2\.0\/)?token$/.test(u.pathname);
    } catch {
      return false;
    }
  });
  if (!okAud) {
    return {
      ok: false,
      reply: aadError(
        401,
        "invalid_client",
        700212,
        "The audience claim of the client assertion does not match the token endpoint.",
        correlationId,
      ),
    };
  }
  const timeError = checkTimes(jwt, correlationId);
  return timeError ? { ok: false, reply: timeError } : { ok: true, appidacr: "2" };
}

function checkFederatedAssertion(app: AppRegistration, jwt: DecodedJwt, correlationId: string): CredentialCheck {
  const iss = typeof jwt.payload.iss === "string" ? jwt.payload.iss : "";
  const sub = typeof jwt.payload.sub === "string" ? jwt.payload.sub : "";
  const aud = audiences(jwt.payload);
  const byIssuer = app.federated.filter((f) => f.issuer === iss);
  const bySubject = byIssuer.filter((f) => f.subject === sub);
  const matching = bySubject.filter((f) => f.audiences.some((a) => aud.includes(a)));
  const detail = `Assertion Issuer: '${iss}'. Assertion Subject: '${sub}'. Assertion Audience: '${aud.join(",")}'.`;
  const noMatch = (code: number, what: string): CredentialCheck => ({
    ok: false,
    reply: aadError(
      400,
      "invalid_client",
      code,
      `No matching federated identity record found for presented assertion${what}. ${detail} Please check your ` +
        `federated identity credential Subject, Audience and Issuer against the presented assertion.`,
      correlationId,
    ),
  });
  if (byIssuer.length === 0) return noMatch(700211, " issuer");
  if (bySubject.length === 0) return noMatch(700213, " subject");
  if (matching.length === 0) return noMatch(700212, " audience");
  const timeError = checkTimes(jwt, correlationId);
  if (timeError) return { ok: false, reply: timeError };
  const kid = typeof jwt.header.kid === "string" ? jwt.header.kid : undefined;
  const verified = matching.some((f) =>
    f.keys.length === 0 ||
    f.keys.some((k) => (k.kid === undefined || kid === undefined || k.kid === kid) && verifyJwtSignature(jwt, k.key))
  );
  if (!verified) {
    return {
      ok: false,
      reply: aadError(
        401,
        "invalid_client",
        700027,
        "Client assertion failed signature validation. [Reason - The key was not found.]",
        correlationId,
      ),
    };
  }
  return { ok: true, appidacr: "2" };
}

function checkCredential(
  app: AppRegistration,
  form: URLSearchParams,
  ex: Exchange,
  correlationId: string,
): CredentialCheck {
  const secret = form.get("client_secret");
  const assertion = form.get("client_assertion");
  if (secret !== null) {
    if (app.secrets.has(secret)) return { ok: true, appidacr: "1" };
    return {
      ok: false,
      reply: aadError(
        401,
        "invalid_client",
        7000215,
        `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not ` +
          `the client secret ID, for a secret added to app '${app.clientId}'.`,
        correlationId,
      ),
    };
  }
  if (assertion === null) {
    return {
      ok: false,
      reply: aadError(
        401,
        "invalid_client",
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        correlationId,
      ),
    };
  }
  if (form.get("client_assertion_type") !== JWT_BEARER) {
    return {
      ok: false,
      reply: aadError(400, "invalid_request", 50027, `client_assertion_type must be '${JWT_BEARER}'.`, correlationId),
    };
  }
  let jwt: DecodedJwt;
  try {
    jwt = decodeJwt(assertion);
  } catch (e) {
    if (!(e instanceof JwtFormatError)) throw e;
    return {
      ok: false,
      reply: aadError(401, "invalid_client", 50027, "JWT token is invalid or malformed.", correlationId),
    };
  }
  // A certificate assertion is issued by the app itself; anything else is a federated (workload identity) token.
  const selfIssued = jwt.payload.iss === app.clientId && jwt.payload.sub === app.clientId;
  return selfIssued
    ? checkCertificateAssertion(app, jwt, ex, correlationId)
    : checkFederatedAssertion(app, jwt, correlationId);
}

async function token(ctx: EntraContext, ex: Exchange, tenant: string, v2: boolean, route: string): Promise<Handled> {
  const form = new URLSearchParams(ex.body);
  const clientId = form.get("client_id");
  const caller = clientId ?? "anonymous";
  const done = (reply: Reply | "drop"): Handled => ({ reply, route, caller });
  const decision = await ctx.faults.apply({ service: "entra", route, caller });
  if (decision.kind !== "pass") return { ...done(faultReply(decision)), fault: decision.ruleId };
  const correlationId = form.get("client-request-id") ?? ex.url.searchParams.get("client-request-id") ??
    crypto.randomUUID();

  if (!ctx.registry.tenants().has(tenant)) return done(tenantNotFound(tenant));
  const grantType = form.get("grant_type");
  if (grantType !== "client_credentials") {
    return done(
      aadError(
        400,
        "unsupported_grant_type",
        70003,
        `The app requested an unsupported grant type '${grantType ?? ""}'.`,
        correlationId,
      ),
    );
  }
  if (!clientId) {
    return done(
      aadError(
        400,
        "invalid_request",
        900144,
        "The request body must contain the following parameter: 'client_id'.",
        correlationId,
      ),
    );
  }
  const app = ctx.registry.apps.get(clientId);
  if (!app || app.tenantId !== tenant) {
    return done(aadError(
      400,
      "unauthorized_client",
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the ` +
        `application has not been installed by the administrator of the tenant or consented to by any user in the ` +
        `tenant. You may have sent your authentication request to the wrong tenant.`,
      correlationId,
    ));
  }
  const resource = resourceFromScope(form.get("scope"), form.get("resource"), v2);
  if (typeof resource !== "string") {
    return done(aadError(
      400,
      "invalid_scope",
      1002012,
      `The provided value for scope ${resource.error} is not valid. Client credential flows must have a scope value ` +
        `with /.default suffixed to the resource identifier (application ID URI).`,
      correlationId,
    ));
  }
  const credential = checkCredential(app, form, ex, correlationId);
  if (!credential.ok) return done(credential.reply);

  const lifetime = ctx.tokenLifetimeSeconds();
  const minted = ctx.issuer.mint(
    { aud: resource, tenantId: tenant, clientId, objectId: app.objectId, appidacr: credential.appidacr },
    lifetime,
  );
  const body: Record<string, unknown> = {
    token_type: "Bearer",
    expires_in: lifetime,
    ext_expires_in: lifetime,
    access_token: minted.token,
  };
  if (!v2) {
    Object.assign(body, { expires_on: String(minted.expiresOn), not_before: String(minted.notBefore), resource });
  }
  return done(jsonReply(200, body, { "cache-control": "no-store, no-cache", pragma: "no-cache" }));
}

export function entraHandler(ctx: EntraContext): Handler {
  return async (ex: Exchange): Promise<Handled> => {
    const segments = ex.url.pathname.split("/").slice(1);
    const tenant = decodeURIComponent(segments[0] ?? "");
    const rest = segments.slice(1).join("/");
    const origin = ex.url.origin;
    const known = ctx.registry.tenants().has(tenant);
    const simple = async (route: string, body: () => unknown): Promise<Handled> => {
      const decision = await ctx.faults.apply({ service: "entra", route, caller: "anonymous" });
      if (decision.kind !== "pass") {
        return { reply: faultReply(decision), route, caller: "anonymous", fault: decision.ruleId };
      }
      return { reply: known ? jsonReply(200, body()) : tenantNotFound(tenant), route, caller: "anonymous" };
    };
    if (ex.method === "GET" && rest === "v2.0/.well-known/openid-configuration") {
      return await simple(ROUTES.openidV2, () => openIdConfiguration(origin, tenant, true));
    }
    if (ex.method === "GET" && rest === ".well-known/openid-configuration") {
      return await simple(ROUTES.openidV1, () => openIdConfiguration(origin, tenant, false));
    }
    if (ex.method === "GET" && (rest === "discovery/v2.0/keys" || rest === "discovery/keys")) {
      return await simple(ROUTES.keys, () => ctx.issuer.jwks());
    }
    if (ex.method === "POST" && rest === "oauth2/v2.0/token") return await token(ctx, ex, tenant, true, ROUTES.tokenV2);
    if (ex.method === "POST" && rest === "oauth2/token") return await token(ctx, ex, tenant, false, ROUTES.tokenV1);
    return {
      reply: aadError(
        404,
        "invalid_request",
        900561,
        `The endpoint ${ex.method} ${ex.url.pathname} is not supported by the emulator.`,
      ),
      route: `${ex.method} (unknown)`,
      caller: "anonymous",
    };
  };
}
