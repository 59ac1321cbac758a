/**
 * Turns Azure SDK errors into the provider contract's errors, with messages that say what went wrong and where,
 * and never carry a secret value (SDK errors hold requests and responses; we read only codes and messages).
 *
 * @module
 */
import { NoSecretError, ProviderError } from "../provider.ts";

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
}

/** Parses `Retry-After` (seconds or an HTTP date) into milliseconds. */
export function retryAfterMs(value: string | undefined | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const s = Number(value);
  if (Number.isFinite(s)) return Math.max(0, s * 1000);
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

/** Keeps the first line of an AADSTS description: the rest is trace and correlation ids. */
function firstLine(text: string): string {
  return text.split(/\r?\n/)[0]!.trim();
}

/**
 * Maps an error thrown while reading `name` from `vaultUrl`. 404 → {@link NoSecretError}; authentication failures
 * name the identity and Entra's reason (e.g. AADSTS7000215, a wrong client secret); 429 carries `Retry-After`.
 */
export function mapAzureError(e: unknown, what: string, vaultUrl: string, identity: string): Error {
  const err = e as RestErrorLike & AuthErrorLike;
  if (err?.name === "AbortError") return e as Error;
  if (err?.name === "AuthenticationError" || err?.name === "CredentialUnavailableError" || err?.errorResponse) {
    const desc = err.errorResponse?.errorDescription ?? err.message ?? "unknown error";
    return new ProviderError(`Entra ID did not issue a token for ${identity}: ${firstLine(desc)}`, {
      cause: e,
      ...(err.statusCode !== undefined ? { statusCode: err.statusCode } : {}),
    });
  }
  if (err?.name === "RestError" || typeof err?.statusCode === "number") {
    const status = err.statusCode;
    const detail = `${err.code ? `${err.code}: ` : ""}${firstLine(err.message ?? "")}`;
    if (status === 404) return new NoSecretError(`${what} not found in Key Vault ${vaultUrl}`, { cause: e });
    if (status === 429) {
      const wait = retryAfterMs(err.response?.headers?.get("retry-after"));
      return new ProviderError(
        `Key Vault ${vaultUrl} is throttling requests (429)${
          wait !== undefined ? `, retry after ${Math.ceil(wait / 1000)} s` : ""
        }`,
        { cause: e, statusCode: 429, ...(wait !== undefined ? { retryAfterMs: wait } : {}) },
      );
    }
    if (status === 401 || status === 403) {
      return new ProviderError(`Key Vault ${vaultUrl} denied ${identity} access to ${what} (${status} ${detail})`, {
        cause: e,
        statusCode: status,
      });
    }
    if (status === undefined) {
      return new ProviderError(`Cannot reach Key Vault ${vaultUrl}: ${firstLine(err.message ?? String(e))}`, {
        cause: e,
      });
    }
    return new ProviderError(`Key Vault ${vaultUrl} failed reading ${what} (${status} ${detail})`, {
      cause: e,
      statusCode: status,
    });
  }
  return new ProviderError(
    `Cannot read ${what} from Key Vault ${vaultUrl}: ${firstLine((e as Error)?.message ?? String(e))}`,
    {
      cause: e,
    },
  );
}
