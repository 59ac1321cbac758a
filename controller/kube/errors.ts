/**
 * Typed errors of the Kubernetes client.
 *
 * Every error the client throws is a {@linkcode KubeError}: the apiserver said no ({@linkcode KubeApiError}, with the
 * Status `reason`), the apiserver could not be reached ({@linkcode KubeNetworkError}, keeping the TLS/socket cause),
 * the kubeconfig or in-cluster files are unusable ({@linkcode KubeConfigError}) or credentials could not be obtained
 * ({@linkcode KubeCredentialError}). Cancellation by an `AbortSignal` is not wrapped: the signal's reason is
 * rethrown as is, so callers can tell "I stopped it" from "it failed".
 *
 * Messages never contain request bodies, so Secret data cannot leak through them.
 *
 * @module
 */

import type { Status } from "./types.ts";

/** Status reasons (`metav1.StatusReason`) the client names; the apiserver may send others. */
export type StatusReason =
  | "Unauthorized"
  | "Forbidden"
  | "NotFound"
  | "AlreadyExists"
  | "Conflict"
  | "Gone"
  | "Invalid"
  | "ServerTimeout"
  | "StoreReadError"
  | "Timeout"
  | "TooManyRequests"
  | "BadRequest"
  | "MethodNotAllowed"
  | "NotAcceptable"
  | "RequestEntityTooLarge"
  | "UnsupportedMediaType"
  | "InternalError"
  | "Expired"
  | "ServiceUnavailable"
  | "Unknown";

/** `details` of a Status: which object, and for `Invalid` which fields. */
export type StatusDetails = NonNullable<Status["details"]>;

/** Base class of everything the client throws (except abort reasons). */
export class KubeError extends Error {
  override name = "KubeError";
}

/** What a request was about, for error messages: `get secrets "db" in namespace "ns"`. */
export interface RequestDescription {
  /** Kubernetes verb: get, list, watch, create, update, patch, delete, deletecollection. */
  verb: string;
  /** Plural resource name, e.g. `secrets`, with `/subresource` when there is one. */
  resource?: string;
  /** API group ("" for core). */
  group?: string;
  name?: string;
  namespace?: string;
}

/** Renders a request description as `get secrets "db" in namespace "ns"`. */
export function describeRequest(d: RequestDescription, method: string, path: string): string {
  if (d.resource === undefined) return `${d.verb} ${method} ${path}`;
  const what = d.group ? `${d.resource}.${d.group}` : d.resource;
  let s = `${d.verb} ${what}`;
  if (d.name !== undefined) s += ` "${d.name}"`;
  if (d.namespace !== undefined) s += ` in namespace "${d.namespace}"`;
  return s;
}

const REASON_BY_CODE: Record<number, StatusReason> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  405: "MethodNotAllowed",
  406: "NotAcceptable",
  409: "Conflict",
  410: "Gone",
  413: "RequestEntityTooLarge",
  415: "UnsupportedMediaType",
  422: "Invalid",
  429: "TooManyRequests",
  500: "InternalError",
  503: "ServiceUnavailable",
  504: "Timeout",
};

/** Options of {@linkcode KubeApiError}. */
export interface KubeApiErrorInit {
  status: number;
  reason: string;
  serverMessage: string;
  details?: StatusDetails | undefined;
  request: RequestDescription;
  method: string;
  path: string;
  retryAfterSeconds?: number | undefined;
  /** Extra context appended in parentheses, e.g. which credentials were rejected. */
  hint?: string | undefined;
}

/**
 * The apiserver answered with an error Status. `reason` is the Status reason (or, when the body was not a Status,
 * the reason the HTTP code implies, as client-go does); `serverMessage` is the Status message, e.g.
 * `secrets "db" is forbidden: User "alice" cannot get resource "secrets" in API group "" in the namespace "ns"`.
 */
export class KubeApiError extends KubeError {
  override name = "KubeApiError";
  /** HTTP status code (or the Status `code` of a watch ERROR event). */
  readonly status: number;
  /** Status reason, e.g. `NotFound`, `Conflict`, `Forbidden`, `Expired`. */
  readonly reason: StatusReason | (string & Record<never, never>);
  /** The Status message from the server. */
  readonly serverMessage: string;
  /** Status details (name, kind, `causes` for `Invalid`), if the server sent them. */
  readonly details: StatusDetails | undefined;
  /** The Kubernetes verb that failed (`get`, `patch`, ...). */
  readonly verb: string;
  /** The resource (plural, with `/subresource`) that was addressed, when known. */
  readonly resource: string | undefined;
  /** HTTP method and path (without query) of the request. */
  readonly method: string;
  readonly path: string;
  /** Seconds the server asked us to wait (`Retry-After` or `details.retryAfterSeconds`). */
  readonly retryAfterSeconds: number | undefined;

  constructor(init: KubeApiErrorInit) {
    const desc = describeRequest(init.request, init.method, init.path);
    const msg = init.serverMessage ? `: ${init.serverMessage}` : "";
    const hint = init.hint ? ` (${init.hint})` : "";
    super(`Cannot ${desc}: ${init.status} ${init.reason}${msg}${hint}`);
    this.status = init.status;
    this.reason = init.reason;
    this.serverMessage = init.serverMessage;
    this.details = init.details;
    this.verb = init.request.verb;
    this.resource = init.request.resource;
    this.method = init.method;
    this.path = init.path;
    this.retryAfterSeconds = init.retryAfterSeconds;
  }
}

/** The apiserver could not be reached or the connection broke (DNS, TCP, TLS, timeout, stream reset). */
export class KubeNetworkError extends KubeError {
  override name = "KubeNetworkError";
  /** True when our own request or idle timeout fired. */
  readonly timedOut: boolean;
  constructor(message: string, options: { cause?: unknown; timedOut?: boolean } = {}) {
    super(message, { cause: options.cause });
    this.timedOut = options.timedOut ?? false;
  }
}

/** The kubeconfig, the in-cluster files or the selected context cannot be used. */
export class KubeConfigError extends KubeError {
  override name = "KubeConfigError";
}

/** Credentials could not be obtained (token file unreadable, exec plugin failed or returned garbage). */
export class KubeCredentialError extends KubeError {
  override name = "KubeCredentialError";
}

/** Options of {@linkcode apiErrorFromResponse}. */
export interface ApiErrorContext {
  request: RequestDescription;
  method: string;
  path: string;
  /** The value of the `Retry-After` header, if any. */
  retryAfter?: string | null;
  /**
   * Strings that must not appear in the error (values of the Secret that was sent). Each occurrence in the server
   * message is replaced by `[redacted]`.
   */
  redact?: readonly string[];
  /** Appended to the message in parentheses. */
  hint?: string | undefined;
}

/** Builds the typed error for an HTTP error response, from its body (a Status, or anything else). */
export function apiErrorFromResponse(status: number, body: string, ctx: ApiErrorContext): KubeApiError {
  const parsed = parseStatus(body);
  let serverMessage = parsed?.message ?? "";
  if (parsed === undefined) {
    // Not a Status (a proxy, a load balancer, an aggregated API gone wrong): keep a short, single-line excerpt.
    serverMessage = body.replace(/\s+/g, " ").trim().slice(0, 300);
  }
  serverMessage = redact(serverMessage, ctx.redact);
  const reason = parsed?.reason || REASON_BY_CODE[status] || "Unknown";
  const retryAfterSeconds = parseRetryAfter(ctx.retryAfter) ?? parsed?.details?.retryAfterSeconds;
  return new KubeApiError({
    status: parsed?.code && parsed.code >= 400 ? parsed.code : status,
    reason,
    serverMessage,
    details: parsed?.details,
    request: ctx.request,
    method: ctx.method,
    path: ctx.path,
    retryAfterSeconds,
    hint: ctx.hint,
  });
}

/** Builds the typed error for a watch `ERROR` event (its object is a Status; 410 `Expired` means relist). */
export function apiErrorFromStatus(status: Status, ctx: ApiErrorContext): KubeApiError {
  const code = status.code ?? 500;
  return new KubeApiError({
    status: code,
    reason: status.reason || REASON_BY_CODE[code] || "Unknown",
    serverMessage: redact(status.message ?? "", ctx.redact),
    details: status.details,
    request: ctx.request,
    method: ctx.method,
    path: ctx.path,
    retryAfterSeconds: status.details?.retryAfterSeconds,
  });
}

function parseStatus(body: string): Status | undefined {
  if (!body.trimStart().startsWith("{")) return undefined;
  try {
    const v: unknown = JSON.parse(body);
    if (v !== null && typeof v === "object" && (v as { kind?: unknown }).kind === "Status") return v as Status;
  } catch {
    // fall through: not JSON
  }
  return undefined;
}

/** Parses `Retry-After` (seconds or an HTTP date); undefined when absent or unparsable. */
export function parseRetryAfter(value: string | null | undefined, nowMs: number = Date.now()): number | undefined {
  if (value === null || value === undefined || value.trim() === "") return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v);
  const t = Date.parse(v);
  if (Number.isNaN(t)) return undefined;
  return Math.max(0, Math.ceil((t - nowMs) / 1000));
}

function redact(message: string, secrets: readonly string[] | undefined): string {
  if (!secrets || secrets.length === 0 || message === "") return message;
  let out = message;
  // Longest first, so a value that contains another is replaced whole.
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) {
    if (s.length >= 3) out = out.split(s).join("[redacted]");
  }
  return out;
}

/** Renders an error and its `cause` chain on one line: `fetch failed: ... invalid peer certificate: UnknownIssuer`. */
export function causeChain(err: unknown): string {
  const parts: string[] = [];
  let cur: unknown = err;
  for (let depth = 0; cur !== undefined && cur !== null && depth < 8; depth++) {
    const msg = cur instanceof Error ? cur.message : String(cur);
    if (msg && !parts.some((p) => p.includes(msg))) parts.push(msg);
    cur = cur instanceof Error ? cur.cause : undefined;
  }
  return parts.join(": ");
}

function reasonIs(e: unknown, reasons: readonly string[], code: number): boolean {
  if (!(e instanceof KubeApiError)) return false;
  if (reasons.includes(e.reason)) return true;
  return (e.reason === "Unknown" || e.reason === "") && e.status === code;
}

/** The object does not exist (404 `NotFound`). */
export function isNotFound(e: unknown): e is KubeApiError {
  return reasonIs(e, ["NotFound"], 404);
}
/** Optimistic concurrency failed or the apply conflicts with another field manager (409 `Conflict`). */
export function isConflict(e: unknown): e is KubeApiError {
  return reasonIs(e, ["Conflict"], 409);
}
/** The object already exists (409 `AlreadyExists`). */
export function isAlreadyExists(e: unknown): e is KubeApiError {
  return reasonIs(e, ["AlreadyExists"], 409);
}
/** RBAC (or an admission policy) denied the request (403 `Forbidden`). */
export function isForbidden(e: unknown): e is KubeApiError {
  return reasonIs(e, ["Forbidden"], 403);
}
/** The credentials were rejected (401 `Unauthorized`). */
export function isUnauthorized(e: unknown): e is KubeApiError {
  return reasonIs(e, ["Unauthorized"], 401);
}
/** The resourceVersion is too old: relist (410 `Gone`, or `Expired` as watch ERROR events and expired continue tokens say). */
export function isGone(e: unknown): e is KubeApiError {
  return e instanceof KubeApiError && (e.status === 410 || e.reason === "Gone" || e.reason === "Expired");
}
/** Validation failed (422 `Invalid`); `details.causes` name the fields. */
export function isInvalid(e: unknown): e is KubeApiError {
  return reasonIs(e, ["Invalid"], 422);
}
/** The server is throttling us (429 `TooManyRequests`); see `retryAfterSeconds`. */
export function isTooManyRequests(e: unknown): e is KubeApiError {
  return reasonIs(e, ["TooManyRequests"], 429);
}

/**
 * Whether trying the same request again later can succeed without anything else changing: network errors,
 * throttling, timeouts and 5xx. Conflicts are not included (the caller must re-read first).
 */
export function isRetryable(e: unknown): boolean {
  if (e instanceof KubeNetworkError) return true;
  if (!(e instanceof KubeApiError)) return false;
  if (["TooManyRequests", "ServerTimeout", "Timeout", "ServiceUnavailable", "InternalError"].includes(e.reason)) {
    return true;
  }
  return e.status === 429 || e.status >= 500;
}
