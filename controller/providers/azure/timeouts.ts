/**
 * A time limit on every HTTP attempt the Azure SDKs make (Key Vault, Entra ID, managed identity endpoints): an
 * `HttpClient` wrapper, because it is the one hook every SDK client honours (`ManagedIdentityCredential` replaces
 * `additionalPolicies` with its own, but keeps `httpClient`). Without it, a vault or authority that accepts the
 * connection and never answers holds a worker until the socket dies, which can be hours.
 *
 * The limit covers the whole attempt, response body included. The error it throws is not a `RestError`, so the SDK's
 * retry policy does not retry it: a server that did not answer in the limit gets no second chance in the same call
 * (the controller's queue retries later, with back-off).
 *
 * @module
 */
import { createDefaultHttpClient, type HttpClient, type PipelineResponse } from "@azure/core-rest-pipeline";

/** An HTTP attempt got no complete answer within the time limit. */
export class RequestTimeoutError extends Error {
  override readonly name = "RequestTimeoutError";
  /** `URL.host` of the server that did not answer. */
  readonly host: string;
  readonly timeoutMs: number;
  /** When it happened (epoch ms). */
  readonly at: number = Date.now();
  constructor(host: string, timeoutMs: number) {
    super(`no answer from ${host} within ${seconds(timeoutMs)}`);
    this.host = host;
    this.timeoutMs = timeoutMs;
  }
}

/** An HttpClient with a time limit; remembers its last timeout (MSAL replaces the error with its own). */
export interface TimeoutHttpClient extends HttpClient {
  readonly lastTimeout: RequestTimeoutError | undefined;
}

/** "15 s", "1.5 s", "200 ms". */
export function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}

/** Default limit of one Azure HTTP attempt. */
export const DEFAULT_AZURE_REQUEST_TIMEOUT_MS = 15_000;

let sharedClient: HttpClient | undefined;

/**
 * An HttpClient that aborts an attempt after `timeoutMs` and then throws {@link RequestTimeoutError}. By default it
 * sends through one process-wide SDK client, so connections are pooled as the SDKs pool them by default.
 */
export function timeoutHttpClient(timeoutMs: number, inner?: HttpClient): TimeoutHttpClient {
  const next = inner ?? (sharedClient ??= createDefaultHttpClient());
  let last: RequestTimeoutError | undefined;
  return {
    get lastTimeout(): RequestTimeoutError | undefined {
      return last;
    },
    async sendRequest(request): Promise<PipelineResponse> {
      const outer = request.abortSignal;
      const controller = new AbortController();
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, timeoutMs);
      const onAbort = (): void => controller.abort();
      if (outer?.aborted) controller.abort();
      outer?.addEventListener("abort", onAbort, { once: true });
      request.abortSignal = controller.signal;
      try {
        return await next.sendRequest(request);
      } catch (e) {
        if (timedOut && !outer?.aborted) throw last = new RequestTimeoutError(new URL(request.url).host, timeoutMs);
        throw e;
      } finally {
        clearTimeout(timer);
        outer?.removeEventListener("abort", onAbort);
        if (outer) request.abortSignal = outer;
        else delete request.abortSignal;
      }
    },
  };
}
