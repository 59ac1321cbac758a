// Managed identity endpoints over plain HTTP, in the two forms MSAL's ManagedIdentityApplication speaks:
// - IMDS: GET /metadata/identity/oauth2/token[/]?api-version=2018-02-01&resource=...[&client_id=...] with
//   "Metadata: true" (reached through AZURE_POD_IDENTITY_AUTHORITY_HOST; MSAL adds a trailing slash);
// - App Service: GET /msi/token?api-version=2019-08-01&resource=...[&client_id=...] with X-IDENTITY-HEADER
//   (reached through IDENTITY_ENDPOINT + IDENTITY_HEADER).
import type { FaultDecision, FaultInjector } from "./faults.ts";
import { type Exchange, type Handled, type Handler, jsonReply, type Reply } from "./http.ts";
import type { IdentityRegistry, ManagedIdentity } from "./identities.ts";
import type { TokenIssuer } from "./tokens.ts";

export interface ImdsContext {
  registry: IdentityRegistry;
  issuer: TokenIssuer;
  faults: FaultInjector;
  tokenLifetimeSeconds(): number;
  /** The secret App Service puts in IDENTITY_HEADER. */
  identityHeader: string;
}

export const IMDS_PATH = "/metadata/identity/oauth2/token";
export const APP_SERVICE_PATH = "/msi/token";
export const ROUTES = {
  imds: `GET ${IMDS_PATH}`,
  appService: `GET ${APP_SERVICE_PATH}`,
} as const;

function imdsError(status: number, error: string, description: string): Reply {
  return jsonReply(status, { error, error_description: description });
}

function faultReply(d: Exclude<FaultDecision, { kind: "pass" }>): Reply | "drop" {
  if (d.kind === "drop") return "drop";
  const { status, retryAfterSeconds, code, message } = d.error;
  const reply = imdsError(
    status,
    code ?? (status === 429 ? "too_many_requests" : status >= 500 ? "server_error" : "invalid_request"),
    message ?? `Injected fault (${status}).`,
  );
  if (retryAfterSeconds !== undefined) reply.headers = { ...reply.headers, "retry-after": String(retryAfterSeconds) };
  return reply;
}

function mintFor(
  ctx: ImdsContext,
  mi: ManagedIdentity,
  resource: string,
): { token: string; expiresOn: number; notBefore: number; lifetime: number } {
  const lifetime = ctx.tokenLifetimeSeconds();
  const minted = ctx.issuer.mint(
    {
      aud: resource.replace(/\/$/, ""),
      tenantId: ctx.registry.defaultTenantId,
      clientId: mi.clientId,
      objectId: mi.objectId,
      managedIdentityResourceId: mi.resourceId,
    },
    lifetime,
  );
  return { ...minted, lifetime };
}

async function handleImds(ctx: ImdsContext, ex: Exchange): Promise<Handled> {
  const q = ex.url.searchParams;
  const selected = ctx.registry.findManaged({
    clientId: q.get("client_id"),
    objectId: q.get("object_id"),
    resourceId: q.get("msi_res_id") ?? q.get("mi_res_id"),
  });
  const caller = selected?.clientId ?? q.get("client_id") ?? "anonymous";
  const done = (reply: Reply | "drop"): Handled => ({ reply, route: ROUTES.imds, caller });
  const decision = await ctx.faults.apply({ service: "imds", route: ROUTES.imds, caller });
  if (decision.kind !== "pass") return { ...done(faultReply(decision)), fault: decision.ruleId };
  if (ex.headers.get("metadata")?.toLowerCase() !== "true") {
    return done(imdsError(400, "invalid_request", "Required metadata header not specified"));
  }
  if (!q.get("api-version")) {
    return done(imdsError(400, "invalid_request", "Required query variable 'api-version' is missing"));
  }
  const resource = q.get("resource");
  if (!resource) return done(imdsError(400, "invalid_request", "Required audience parameter not specified"));
  if (!selected) return done(imdsError(400, "invalid_request", "Identity not found"));
  const t = mintFor(ctx, selected, resource);
  return done(jsonReply(200, {
    access_token: t.token,
    client_id: selected.clientId,
    expires_in: String(t.lifetime),
    expires_on: String(t.expiresOn),
    ext_expires_in: String(t.lifetime),
    not_before: String(t.notBefore),
    resource,
    token_type: "Bearer",
  }));
}

async function handleAppService(ctx: ImdsContext, ex: Exchange): Promise<Handled> {
  const q = ex.url.searchParams;
  const selected = ctx.registry.findManaged({
    clientId: q.get("client_id"),
    objectId: q.get("object_id") ?? q.get("principal_id"),
    resourceId: q.get("mi_res_id") ?? q.get("msi_res_id"),
  });
  const caller = selected?.clientId ?? q.get("client_id") ?? "anonymous";
  const done = (reply: Reply | "drop"): Handled => ({ reply, route: ROUTES.appService, caller });
  const decision = await ctx.faults.apply({ service: "imds", route: ROUTES.appService, caller });
  if (decision.kind !== "pass") return { ...done(faultReply(decision)), fault: decision.ruleId };
  if (ex.headers.get("x-identity-header") !== ctx.identityHeader) {
    return done(imdsError(401, "unauthorized", "The X-IDENTITY-HEADER header is missing or wrong."));
  }
  const resource = q.get("resource");
  if (!resource) return done(imdsError(400, "invalid_request", "Required query parameter 'resource' is missing"));
  if (!selected) return done(imdsError(400, "invalid_request", "Identity not found"));
  const t = mintFor(ctx, selected, resource);
  return done(jsonReply(200, {
    access_token: t.token,
    expires_on: String(t.expiresOn),
    resource,
    token_type: "Bearer",
    client_id: selected.clientId,
  }));
}

export function imdsHandler(ctx: ImdsContext): Handler {
  return async (ex: Exchange): Promise<Handled> => {
    const path = ex.url.pathname.replace(/\/+$/, "");
    if (ex.method === "GET" && path === IMDS_PATH) return await handleImds(ctx, ex);
    if (ex.method === "GET" && path === APP_SERVICE_PATH) return await handleAppService(ctx, ex);
    return { reply: imdsError(404, "not_found", "Not found"), route: `${ex.method} (unknown)`, caller: "anonymous" };
  };
}
