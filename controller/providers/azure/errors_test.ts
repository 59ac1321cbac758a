import assert from "node:assert/strict";
import { createHttpHeaders, createPipelineRequest, RestError } from "@azure/core-rest-pipeline";
import {
  AuthenticationError,
  AuthenticationRequiredError,
  ClientSecretCredential,
  CredentialUnavailableError,
} from "@azure/identity";
import { startAzureEmulators } from "../../../tests/harness/azure/mod.ts";
import { NoSecretError, ProviderError } from "../provider.ts";
import { entraReason, type ErrorContext, mapAzureError } from "./errors.ts";

const VAULT = "https://zaldre.vault.azure.net";
const CLIENT = "5f0c5d0e-3c1b-4c8e-9a51-0d6f3b2a7c11";
const SECRET = "super-secret-client-value";
const ctx: ErrorContext = {
  what: "a token",
  vaultUrl: VAULT,
  identity: `client ${CLIENT} (ServicePrincipal with a client secret, tenant t-1)`,
  authority: "https://login.microsoftonline.com",
  redact: (t) => t.replaceAll(SECRET, "[redacted]"),
};

/** The text msal-node's ServerError carries (flattened by MSAL; Entra separates the trailer with CRLF). */
function msalText(code: number, description: string, error = "invalid_client"): string {
  return `${error}: Error(s): ${code} - Timestamp: 2026-11-28 09:50:49Z - Description: AADSTS${code}: ${description}` +
    ` Trace ID: e441e7ef Correlation ID: 08134d35 Timestamp: 2026-11-28 09:50:49Z - Correlation ID: 08134d35 - Trace` +
    ` ID: e441e7ef`;
}

function serverError(message: string, status: number): Error {
  return Object.assign(new Error(message), { name: "ServerError", status, errorMessage: message.split(": ")[1] });
}

function restError(status: number, code: string, message: string, headers: Record<string, string> = {}): RestError {
  const request = createPipelineRequest({ url: `${VAULT}/secrets/db?api-version=2026-04-01` });
  return new RestError(message, {
    statusCode: status,
    code,
    request,
    response: { status, headers: createHttpHeaders(headers), request, bodyAsText: "" },
  });
}

function assertClean(e: Error): void {
  assert.ok(!e.message.includes(SECRET), `no secret in: ${e.message}`);
  assert.ok(!/Trace ID|Correlation ID|Timestamp/.test(e.message), `no Entra trailer in: ${e.message}`);
}

Deno.test("entraReason: the first line of the AADSTS description, in Entra's CRLF form and MSAL's flattened form", () => {
  assert.equal(
    entraReason(
      "AADSTS7000215: Invalid client secret provided.\r\nTrace ID: 1\r\nCorrelation ID: 2\r\nTimestamp: 2026-01-01",
    ),
    "AADSTS7000215: Invalid client secret provided.",
  );
  assert.equal(
    entraReason(msalText(700016, "Application with identifier 'x' was not found in the directory 't'.")),
    "AADSTS700016: Application with identifier 'x' was not found in the directory 't'.",
  );
  assert.equal(
    entraReason("invalid_request: Error(s): Not Available - Description: Identity not found - Correlation ID: N/A"),
    "Identity not found",
  );
  assert.equal(entraReason("socket hang up"), undefined);
});

Deno.test("mapAzureError: a wrong client secret (AuthenticationRequiredError, identity 4.14) names the client and AADSTS7000215", () => {
  const message = msalText(
    7000215,
    `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${CLIENT}'.`,
  );
  const e = mapAzureError(
    new AuthenticationRequiredError({
      scopes: ["https://vault.azure.net/.default"],
      message,
      cause: serverError(message, 401),
    }),
    ctx,
  );
  assert.ok(e instanceof ProviderError);
  assert.equal(e.statusCode, 401, "Entra's status: the store reconciler drops the rejected client on 400/401");
  assert.equal(
    e.message,
    `Entra ID did not issue a token for client ${CLIENT} (ServicePrincipal with a client secret, tenant t-1): ` +
      `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client ` +
      `secret value, not the client secret ID, for a secret added to app '${CLIENT}'.`,
  );
  assertClean(e);
});

Deno.test("mapAzureError: AuthenticationError (status + OAuth body) and federated subject mismatch", () => {
  const tenant = mapAzureError(
    new AuthenticationError(400, {
      error: "invalid_tenant",
      error_description: "AADSTS90002: Tenant 't-1' not found.\r\nTrace ID: a\r\nCorrelation ID: b\r\nTimestamp: c",
    }),
    ctx,
  ) as ProviderError;
  assert.equal(tenant.statusCode, 400);
  assert.match(tenant.message, /^Entra ID did not issue a token for client .*: AADSTS90002: Tenant 't-1' not found\.$/);
  assertClean(tenant);

  const subject = msalText(
    700213,
    "No matching federated identity record found for presented assertion subject. Assertion Issuer: 'https://k8s'. Assertion Subject: 'system:serviceaccount:ns:other'. Assertion Audience: 'api://AzureADTokenExchange'.",
  );
  const wi = mapAzureError(new AuthenticationRequiredError({ scopes: [], message: subject }), {
    ...ctx,
    identity: "workload identity c-1 (ServiceAccount ns/other, tenant t-1)",
  }) as ProviderError;
  assert.match(
    wi.message,
    /ServiceAccount ns\/other.*AADSTS700213: .*Assertion Subject: 'system:serviceaccount:ns:other'/,
  );
  assertClean(wi);
});

Deno.test("mapAzureError: unknown tenant or unreachable authority (endpoints_resolution_error) says where", () => {
  const e = mapAzureError(
    new CredentialUnavailableError(
      "endpoints_resolution_error: See https://aka.ms/msal.js.errors#endpoints_resolution_error for details",
    ),
    ctx,
  ) as ProviderError;
  assert.equal(e.statusCode, undefined, "worth retrying: it may be the network");
  assert.match(
    e.message,
    /: cannot read the OpenID configuration of https:\/\/login\.microsoftonline\.com \(unknown tenant, or the authority is unreachable\)$/,
  );
});

Deno.test("mapAzureError: managed identity endpoint refusals name the identity, the reason and the status", () => {
  const text =
    "invalid_request: Error(s): Not Available - Timestamp: Not Available - Description: Identity not found - Correlation ID: Not Available - Trace ID: Not Available";
  const e = mapAzureError(
    new CredentialUnavailableError(`ManagedIdentityCredential: Authentication failed. Message ${text}`, {
      cause: serverError(text, 400),
    }),
    { what: "a token", vaultUrl: VAULT, identity: "managed identity mi-1" },
  ) as ProviderError;
  assert.equal(
    e.message,
    "The managed identity endpoint did not issue a token for managed identity mi-1: Identity not found (400)",
  );
  assert.equal(e.statusCode, 400);
});

Deno.test("mapAzureError: Key Vault RestErrors: 404 → NoSecretError, 429 with Retry-After, 403, 5xx", () => {
  assert.ok(
    mapAzureError(restError(404, "SecretNotFound", "A secret with (name/id) db was not found"), {
      ...ctx,
      what: 'secret "db"',
    }) instanceof NoSecretError,
  );
  const throttled = mapAzureError(
    restError(429, "Throttled", "Too many", { "retry-after": "7" }),
    ctx,
  ) as ProviderError;
  assert.equal(throttled.retryAfterMs, 7000);
  assert.equal(throttled.statusCode, 429);
  assert.match(throttled.message, /throttling requests \(429\), retry after 7 s/);
  const denied = mapAzureError(restError(403, "Forbidden", "Caller is not authorized\nInner detail"), {
    ...ctx,
    what: 'secret "db"',
  }) as ProviderError;
  assert.equal(
    denied.message,
    `Key Vault ${VAULT} denied ${ctx.identity} access to secret "db" (403 Forbidden: Caller is not authorized)`,
  );
  const failing = mapAzureError(restError(503, "ServiceUnavailable", "busy"), ctx) as ProviderError;
  assert.equal(failing.statusCode, 503);
});

Deno.test("mapAzureError: aborts pass through; secret values, tokens and PEM blocks never reach a message", () => {
  const abort = Object.assign(new Error("The operation was aborted."), { name: "AbortError" });
  assert.equal(mapAzureError(abort, ctx), abort);
  const leaky = new Error(
    `request failed: client_secret=${SECRET}&client_assertion=eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl ` +
      "-----BEGIN PRIVATE KEY-----\nMIIEvQ\n-----END PRIVATE KEY-----",
  );
  const e = mapAzureError(leaky, ctx);
  assert.ok(!e.message.includes(SECRET));
  assert.ok(!e.message.includes("eyJ"));
  assert.ok(!e.message.includes("MIIEvQ"));
  const auth = mapAzureError(
    new AuthenticationRequiredError({ scopes: [], message: `network_error: posting client_secret=${SECRET}` }),
    ctx,
  );
  assert.ok(!auth.message.includes(SECRET), auth.message);
});

Deno.test("mapAzureError on the error the real SDK throws for a wrong secret (emulator)", async () => {
  const em = await startAzureEmulators({ vaults: ["demo"] });
  try {
    em.addClientSecretApp({ clientId: CLIENT, secret: "the-right-one" });
    const credential = new ClientSecretCredential(em.tenantId, CLIENT, SECRET, {
      authorityHost: em.authorityHost,
      disableInstanceDiscovery: true,
    });
    let thrown: unknown;
    try {
      await credential.getToken("https://vault.azure.net/.default");
    } catch (e) {
      thrown = e;
    }
    assert.equal((thrown as Error).name, "AuthenticationRequiredError");
    const e = mapAzureError(thrown, { ...ctx, authority: em.authorityHost }) as ProviderError;
    assert.equal(e.statusCode, 401);
    assert.match(e.message, new RegExp(`for client ${CLIENT} .*: AADSTS7000215: Invalid client secret provided\\.`));
    assertClean(e);
  } finally {
    await em.stop();
  }
});
