/**
 * Turns Azure SDK errors into the provider contract's errors, with messages that say what went wrong and where,
 * and never carry a secret value (SDK errors hold requests and responses; we read only codes and messages, and the
 * result passes through the credential's redactor).
 *
 * What the SDKs throw (captured from the emulators with @azure/identity 4.14, msal-node 7.2):
 * - a credential Entra ID rejects (wrong secret, unknown client, federated subject mismatch, bad certificate):
 *   `AuthenticationRequiredError` (not `AuthenticationError`), `cause` = MSAL `ServerError` with `status` and
 *   `errorNo`; message `invalid_client: Error(s): 7000215 - Timestamp: … - Description: AADSTS7000215: Invalid client
 *   secret provided. … Trace ID: … - Correlation ID: … - Trace ID: …`;
 * - an unknown tenant or an unreachable authority: `CredentialUnavailableError` "endpoints_resolution_error: …";
 * - a managed identity endpoint refusing: `CredentialUnavailableError` "ManagedIdentityCredential: Authentication
 *   failed. Message invalid_request: Error(s): … - Description: Identity not found - …", `cause` with `status`;
 * - Key Vault: `RestError` with `statusCode` and `code`.
 *
 * @module
 */
import { retryAfterMs } from "../../runtime/rate_limiter.ts";
import { NoSecretError, ProviderError } from "../provider.ts";
import { RequestTimeoutError } from "./timeouts.ts";

interface RestErrorLike {
  name?: string;
  message?: string;
  statusCode?: number;
  code?: string;
  response?: { headers?: { get(name: string): string | undefined } };
}

interface AuthErrorLike {
  name?: string;
  message?: string;
  statusCode?: number;
  errorResponse?: { error?: string; errorDescription?: string };
  cause?: { name?: string; status?: number; errorCode?: string; errorMessage?: string; message?: string };
}

/** Where the failing call went and as whom: for messages. */
export interface ErrorContext {
  /** What was being read, e.g. `secret "db-password"` or `a token`. */
  what: string;
  vaultUrl: string;
  /** The identity, e.g. `client 1111… (ServicePrincipal with a client secret, tenant …)`. */
  identity: string;
  /** The Entra ID authority the credential uses, if it uses one (not managed identity). */
  authority?: string;
  /** Removes secret values from a text (the credential's own). */
  redact?: (text: string) => string;
  /** The credential's last HTTP timeout (MSAL drops the cause of a failed discovery or token request). */
  lastTimeout?: () => RequestTimeoutError | undefined;
}

/** Names of the errors @azure/identity throws when no token could be had. */
const AUTH_ERRORS = new Set([
  "AuthenticationError",
  "AuthenticationRequiredError",
  "CredentialUnavailableError",
  "AggregateAuthenticationError",
]);

/** Keeps the first line of a text. */
function firstLine(text: string): string {
  return text.split(/\r?\n/)[0]!.trim();
}

/**
 * Entra ID's reason in an SDK error text: the first line of the `AADSTS…` description, without the trace,
 * correlation and timestamp lines Entra appends (separated by CRLF by Entra, by spaces in MSAL's flattened form).
 * Managed identity endpoints have no AADSTS code: their description is taken the same way.
 */
export function entraReason(text: string): string | undefined {
  const aadsts = /AADSTS\d+:[^\r\n]*/.exec(text)?.[0];
  const described = aadsts ?? /Description: ([^\r\n]*?)(?: - Correlation ID:|$)/m.exec(text)?.[1];
  if (!described) return undefined;
  return described.replace(/\s+-?\s*(Trace ID|Correlation ID|Timestamp):[\s\S]*$/, "").trim() || undefined;
}

/** JWTs (access tokens, assertions) and PEM blocks never belong in a message. */
function scrub(text: string, redact: ((text: string) => string) | undefined): string {
  const generic = text
    .replace(/\beyJ[\w-]*\.[\w-]+\.[\w-]*/g, "[redacted token]")
    .replace(/-----BEGIN [A-Z0-9 ]+-----[\s\S]*?(-----END [A-Z0-9 ]+-----|$)/g, "[redacted PEM]");
  return redact ? redact(generic) : generic;
}

function authFailure(err: AuthErrorLike, e: unknown, ctx: ErrorContext): ProviderError {
  const status = err.statusCode ?? err.cause?.status;
  const text = [err.errorResponse?.errorDescription, err.cause?.errorMessage, err.message].filter(Boolean).join("\n");
  let reason = entraReason(text);
  if (!reason && /endpoints_resolution_error/.test(text)) {
    reason = `cannot read the OpenID configuration of ${
      ctx.authority ?? "the authority"
    } (unknown tenant, or the authority is unreachable)`;
  }
  reason ??= firstLine(err.message ?? String(e)).replace(/^ManagedIdentityCredential: /, "");
  const statusText = status !== undefined && !reason.startsWith("AADSTS") ? ` (${status})` : "";
  const who = /managed identity/.test(ctx.identity) ? "The managed identity endpoint" : "Entra ID";
  return new ProviderError(
    scrub(`${who} did not issue a token for ${ctx.identity}: ${reason}${statusText}`, ctx.redact),
    {
      cause: e,
      ...(status !== undefined ? { statusCode: status } : {}),
    },
  );
}

/**
 * The {@link RequestTimeoutError} behind an SDK error, if any: thrown as is by Key Vault clients, wrapped (as a cause
 * or only in the message) by MSAL.
 */
function timeoutOf(e: unknown, ctx: ErrorContext): { host: string; within: string } | undefined {
  for (let cur = e, depth = 0; cur && depth < 5; depth++) {
    if (cur instanceof RequestTimeoutError) return { host: cur.host, within: cur.message.replace(/^.* within /, "") };
    cur = (cur as { cause?: unknown }).cause;
  }
  const m = /no answer from (\S+) within (\d+(?:\.\d+)? m?s)/.exec(String((e as Error)?.message ?? ""));
  if (m) return { host: m[1]!, within: m[2]! };
  // A token request that failed just now, right after this credential's own request timed out: that was why.
  const last = ctx.lastTimeout?.();
  if (last && AUTH_ERRORS.has((e as Error)?.name ?? "") && Date.now() - last.at < 5000) {
    return { host: last.host, within: last.message.replace(/^.* within /, "") };
  }
  return undefined;
}

/**
 * Maps an error thrown while reading `ctx.what` from `ctx.vaultUrl`. 404 → {@link NoSecretError}; authentication
 * failures name the identity and Entra's reason (e.g. AADSTS7000215, a wrong client secret) and carry Entra's status
 * (400/401: the credentials were rejected); 429 carries `Retry-After`.
 */
export function mapAzureError(e: unknown, ctx: ErrorContext): Error {
  const err = e as RestErrorLike & AuthErrorLike;
  if (err?.name === "AbortError") return e as Error;
  const { what, vaultUrl, identity } = ctx;
  const safe = (message: string): string => scrub(message, ctx.redact);
  const timeout = timeoutOf(e, ctx);
  if (timeout) {
    const vault = (() => {
      try {
        return new URL(vaultUrl).host === timeout.host;
      } catch {
        return false;
      }
    })();
    const who = vault
      ? `Key Vault ${vaultUrl}`
      : /managed identity/.test(identity)
      ? `The managed identity endpoint ${timeout.host}`
      : `Entra ID ${timeout.host}`;
    const doing = !vault
      ? `issuing a token for ${identity}`
      : what === "a token"
      ? "checking the store's credentials"
      : `reading ${what}`;
    return new ProviderError(safe(`${who} did not answer within ${timeout.within} (${doing})`), { cause: e });
  }
  if (AUTH_ERRORS.has(err?.name ?? "") || err?.errorResponse) return authFailure(err, e, ctx);
  if (err?.name === "RestError" || typeof err?.statusCode === "number") {
    const status = err.statusCode;
    const detail = `${err.code ? `${err.code}: ` : ""}${firstLine(err.message ?? "")}`;
    if (status === 404) return new NoSecretError(`${what} not found in Key Vault ${vaultUrl}`, { cause: e });
    if (status === 429) {
      const wait = err.response?.headers ? retryAfterMs(err.response.headers) : undefined;
      return new ProviderError(
        `Key Vault ${vaultUrl} is throttling requests (429)${
          wait !== undefined ? `, retry after ${Math.ceil(wait / 1000)} s` : ""
        }`,
        { cause: e, statusCode: 429, ...(wait !== undefined ? { retryAfterMs: wait } : {}) },
      );
    }
    if (status === 401 || status === 403) {
      return new ProviderError(
        safe(`Key Vault ${vaultUrl} denied ${identity} access to ${what} (${status} ${detail})`),
        {
          cause: e,
          statusCode: status,
        },
      );
    }
    if (status === undefined) {
      return new ProviderError(safe(`Cannot reach Key Vault ${vaultUrl}: ${firstLine(err.message ?? String(e))}`), {
        cause: e,
      });
    }
    return new ProviderError(safe(`Key Vault ${vaultUrl} failed reading ${what} (${status} ${detail})`), {
      cause: e,
      statusCode: status,
    });
  }
  return new ProviderError(
    safe(`Cannot read ${what} from Key Vault ${vaultUrl}: ${firstLine((e as Error)?.message ?? String(e))}`),
    { cause: e },
  );
}
