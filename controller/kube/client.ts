/**
 * A small Kubernetes REST client on `fetch` + `Deno.createHttpClient` (no `@kubernetes/client-node` at runtime).
 *
 * Guarantees:
 * - every failure is a typed {@linkcode KubeError} (`KubeApiError` with the Status reason, `KubeNetworkError` with
 *   the TLS/socket cause); aborting via `signal` rethrows the signal's reason;
 * - error messages never contain request bodies, and Secret values the server echoes back are redacted;
 * - a 401 makes the credential source re-read its token file / re-run its exec plugin, then the request is
 *   retried once; a 429 with `Retry-After` (API priority and fairness) is retried up to `maxThrottleRetries` times;
 * - one `Deno.HttpClient` per client certificate (HTTP/2 multiplexes all requests and watches on one connection);
 *   when an exec plugin rotates the certificate, the old client is closed once its last request finishes.
 *
 * @module
 */

import type { ClusterConnection } from "./connection.ts";
import type { ClientCertificate, Credentials } from "./credentials.ts";
import {
  apiErrorFromResponse,
  causeChain,
  describeRequest,
  KubeError,
  KubeNetworkError,
  type RequestDescription,
} from "./errors.ts";
import { type Patch, PATCH_CONTENT_TYPES } from "./patch.ts";
import { resourcePath, type ResourceType } from "./resources.ts";
import type { KubeObject, ObjectList, Status } from "./types.ts";
import { sleep } from "./backoff.ts";
import { anySignal } from "./signals.ts";

/** Options of {@linkcode KubeClient}. */
export interface KubeClientOptions {
  /** User-Agent header. @default {"kv-operator/0.1.0 (<os>/<arch>) deno/<version>"} */
  userAgent?: string;
  /** Timeout of ordinary requests (headers and body); streams only time out until headers. @default {30000} */
  requestTimeoutMs?: number;
  /** Retries of a 429 answer (honouring `Retry-After`, capped at 10 s each). @default {3} */
  maxThrottleRetries?: number;
  /** Called with each `Warning` header the apiserver sends (deprecations, unknown fields). */
  onWarning?: (warning: string) => void;
}

/** Query parameter values; `undefined` ones are left out. */
export type Query = Record<string, string | number | boolean | undefined>;

/** A raw request. */
export interface RequestOptions {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** Path starting with `/`, e.g. from {@linkcode resourcePath}. */
  path: string;
  query?: Query;
  /** JSON-serialised; never included in errors. */
  body?: unknown;
  /** @default {"application/json"} when there is a body */
  contentType?: string;
  signal?: AbortSignal | undefined;
  /** Overrides `requestTimeoutMs`; `null` disables it. */
  timeoutMs?: number | null;
  /** What the request is about, for error messages. */
  describe?: RequestDescription;
}

/** A streaming response (watch). Always call {@linkcode KubeStream.close}, also after reading to the end. */
export interface KubeStream {
  readonly body: ReadableStream<Uint8Array>;
  /** Cancels the body if still open and releases the connection slot. Idempotent. */
  close(): Promise<void>;
}

/** Common options of the typed methods. */
export interface CallOptions {
  /** Namespace for namespaced resources. @default the object's namespace, else the connection's namespace */
  namespace?: string;
  signal?: AbortSignal;
}

/** Options of writes (create, replace, patch). */
export interface WriteOptions extends CallOptions {
  /** Recorded in `managedFields`; required for apply patches. */
  fieldManager?: string;
  /** Validate and default, but do not persist (`dryRun=All`). */
  dryRun?: boolean;
  /** How unknown/duplicate fields are treated. @default server default (`Warn`) */
  fieldValidation?: "Strict" | "Warn" | "Ignore";
  /** Target a subresource, e.g. `status`. */
  subresource?: string;
}

/** Options of {@linkcode KubeClient.patch}. */
export interface PatchOptions extends WriteOptions {
  /** Apply only: take ownership of fields another manager owns instead of failing with 409 Conflict. */
  force?: boolean;
}

/** Options of {@linkcode KubeClient.list}. */
export interface ListOptions {
  /** Namespace to list in; **omit for all namespaces** (cluster-scoped resources: always omit). */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Page size; continue with `continue`. */
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: "NotOlderThan" | "Exact";
  signal?: AbortSignal;
}

/** Options of {@linkcode KubeClient.delete}. */
export interface DeleteOptions extends CallOptions {
  propagationPolicy?: "Orphan" | "Background" | "Foreground";
  gracePeriodSeconds?: number;
  /** Delete only if the object still has this uid / resourceVersion (409 Conflict otherwise). */
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

/** Default User-Agent: `kv-operator/0.1.0 (linux/x86_64) deno/2.9.6`. */
export const DEFAULT_USER_AGENT: string =
  `kv-operator/0.1.0 (${Deno.build.os}/${Deno.build.arch}) deno/${Deno.version.deno}`;

interface PooledClient {
  client: Deno.HttpClient;
  inUse: number;
  retired: boolean;
}

/**
 * The Kubernetes client: raw {@linkcode KubeClient.request} and typed helpers keyed by {@linkcode ResourceType}.
 * Watches live in `watch.ts`. Close it (or `using`) to release connections.
 */
export class KubeClient implements Disposable {
  /** The apiserver base URL. */
  readonly server: string;
  /** The default namespace (context namespace, or the pod's). */
  readonly namespace: string;
  readonly #conn: ClusterConnection;
  readonly #userAgent: string;
  readonly #timeoutMs: number;
  readonly #maxThrottleRetries: number;
  readonly #onWarning: ((w: string) => void) | undefined;
  readonly #pool = new Map<string, PooledClient>();
  readonly #observers: ((method: string, code: number) => void)[] = [];
  #closed = false;

  constructor(connection: ClusterConnection, options: KubeClientOptions = {}) {
    this.#conn = connection;
    this.server = connection.server;
    this.namespace = connection.namespace;
    this.#userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
    this.#timeoutMs = options.requestTimeoutMs ?? 30_000;
    this.#maxThrottleRetries = options.maxThrottleRetries ?? 3;
    this.#onWarning = options.onWarning;
  }

  /**
   * Tells `fn` about every HTTP answer (method, status; 0 when no answer came), retries included: the client-side
   * request count of `rest_client_requests_total`.
   */
  observeResponses(fn: (method: string, code: number) => void): void {
    this.#observers.push(fn);
  }

  /** Where the connection came from (`kubeconfig context "admin"`). */
  get description(): string {
    return this.#conn.description;
  }

  /** Sends a request and parses the JSON answer (`undefined` for an empty body). */
  async request<T>(opts: RequestOptions): Promise<T> {
    const { response, release, cancelTimer } = await this.#send(opts, false);
    try {
      const text = await response.text();
      return (text === "" ? undefined : JSON.parse(text)) as T;
    } catch (e) {
      throw this.#wrapFetchError(e, opts, cancelTimer.timedOut());
    } finally {
      cancelTimer.clear();
      release();
    }
  }

  /** Sends a request whose answer is a stream (watch). The request timeout applies until the headers arrive. */
  async openStream(opts: RequestOptions): Promise<KubeStream> {
    const { response, release, cancelTimer } = await this.#send(opts, true);
    cancelTimer.clear();
    const body = response.body ?? new ReadableStream<Uint8Array>({ start: (c) => c.close() });
    let closed = false;
    return {
      body,
      close: async () => {
        // Deno 2.9: once the Response is garbage-collected, aborting the fetch no longer ends its body, so the
        // stream keeps the Response reachable until it is closed (and watchEvents also cancels its reader).
        void response.status;
        if (closed) return;
        closed = true;
        try {
          await body.cancel();
        } catch {
          // already errored or locked and released: nothing to cancel
        } finally {
          release();
        }
      },
    };
  }

  // ---- typed helpers ------------------------------------------------------------------------------------------

  /** GET one object (or a subresource of it). */
  get<T extends KubeObject>(
    res: ResourceType<T>,
    name: string,
    opts: CallOptions & { subresource?: string } = {},
  ): Promise<T> {
    const namespace = this.#ns(res, opts.namespace);
    return this.request<T>({
      method: "GET",
      path: resourcePath(res, { namespace, name, subresource: opts.subresource }),
      signal: opts.signal,
      describe: this.#describe("get", res, name, namespace, opts.subresource),
    });
  }

  /** LIST objects; one page when `limit` is set. Omitting `namespace` lists across all namespaces. */
  list<T extends KubeObject>(res: ResourceType<T>, opts: ListOptions = {}): Promise<ObjectList<T>> {
    return this.request<ObjectList<T>>({
      method: "GET",
      path: resourcePath(res, { namespace: opts.namespace }),
      query: {
        labelSelector: opts.labelSelector,
        fieldSelector: opts.fieldSelector,
        limit: opts.limit,
        continue: opts.continue,
        resourceVersion: opts.resourceVersion,
        resourceVersionMatch: opts.resourceVersionMatch,
      },
      signal: opts.signal,
      describe: this.#describe("list", res, undefined, opts.namespace),
    });
  }

  /** POST a new object. */
  create<T extends KubeObject>(res: ResourceType<T>, obj: T, opts: WriteOptions = {}): Promise<T> {
    const namespace = this.#ns(res, opts.namespace, obj.metadata?.namespace);
    return this.request<T>({
      method: "POST",
      path: resourcePath(res, { namespace }),
      query: writeQuery(opts),
      body: obj,
      signal: opts.signal,
      describe: this.#describe("create", res, obj.metadata?.name, namespace),
    });
  }

  /** PUT the whole object (optimistic concurrency: 409 Conflict if `metadata.resourceVersion` is stale). */
  replace<T extends KubeObject>(res: ResourceType<T>, obj: T, opts: WriteOptions = {}): Promise<T> {
    const name = obj.metadata?.name;
    if (!name) throw new TypeError(`Cannot replace ${res.plural}: object has no metadata.name`);
    const namespace = this.#ns(res, opts.namespace, obj.metadata?.namespace);
    return this.request<T>({
      method: "PUT",
      path: resourcePath(res, { namespace, name, subresource: opts.subresource }),
      query: writeQuery(opts),
      body: obj,
      signal: opts.signal,
      describe: this.#describe("update", res, name, namespace, opts.subresource),
    });
  }

  /** PATCH with any {@linkcode Patch} (merge, json, strategic, apply). Apply needs `fieldManager`. */
  patch<T extends KubeObject>(
    res: ResourceType<T>,
    name: string,
    patch: Patch,
    opts: PatchOptions = {},
  ): Promise<T> {
    if (patch.type === "apply" && !opts.fieldManager) {
      throw new TypeError(`Cannot apply ${res.plural} "${name}": fieldManager is required for server-side apply`);
    }
    const namespace = this.#ns(res, opts.namespace, (patch.body as KubeObject | undefined)?.metadata?.namespace);
    return this.request<T>({
      method: "PATCH",
      path: resourcePath(res, { namespace, name, subresource: opts.subresource }),
      query: { ...writeQuery(opts), force: patch.type === "apply" && opts.force ? true : undefined },
      body: patch.body,
      contentType: PATCH_CONTENT_TYPES[patch.type],
      signal: opts.signal,
      describe: this.#describe("patch", res, name, namespace, opts.subresource),
    });
  }

  /**
   * DELETE an object. Returns the object when the server returns it (e.g. still there, waiting for finalizers),
   * `null` when it answers with a Status (gone).
   */
  async delete<T extends KubeObject>(res: ResourceType<T>, name: string, opts: DeleteOptions = {}): Promise<T | null> {
    const namespace = this.#ns(res, opts.namespace);
    const body: Record<string, unknown> = { apiVersion: "v1", kind: "DeleteOptions" };
    if (opts.propagationPolicy) body["propagationPolicy"] = opts.propagationPolicy;
    if (opts.gracePeriodSeconds !== undefined) body["gracePeriodSeconds"] = opts.gracePeriodSeconds;
    if (opts.preconditions) body["preconditions"] = opts.preconditions;
    if (opts.dryRun) body["dryRun"] = ["All"];
    const out = await this.request<T | Status>({
      method: "DELETE",
      path: resourcePath(res, { namespace, name }),
      body,
      signal: opts.signal,
      describe: this.#describe("delete", res, name, namespace),
    });
    return out && (out as KubeObject).kind !== "Status" ? out as T : null;
  }

  /** POST to a subresource, e.g. a ServiceAccount's `token` (TokenRequest) or a Pod's `eviction`. */
  createSubresource<B, R>(
    res: ResourceType<KubeObject>,
    name: string,
    subresource: string,
    body: B,
    opts: WriteOptions = {},
  ): Promise<R> {
    const namespace = this.#ns(res, opts.namespace);
    return this.request<R>({
      method: "POST",
      path: resourcePath(res, { namespace, name, subresource }),
      query: writeQuery(opts),
      body,
      signal: opts.signal,
      describe: this.#describe("create", res, name, namespace, subresource),
    });
  }

  /** Closes all HTTP connections; in-flight requests fail. */
  close(): void {
    this.#closed = true;
    for (const p of this.#pool.values()) p.client.close();
    this.#pool.clear();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  // ---- internals ----------------------------------------------------------------------------------------------

  #ns(res: ResourceType<KubeObject>, explicit?: string, fromObject?: string): string | undefined {
    if (!res.namespaced) return undefined;
    return explicit || fromObject || this.namespace;
  }

  #describe(
    verb: string,
    res: ResourceType<KubeObject>,
    name: string | undefined,
    namespace: string | undefined,
    subresource?: string,
  ): RequestDescription {
    const d: RequestDescription = { verb, resource: subresource ? `${res.plural}/${subresource}` : res.plural };
    if (res.group) d.group = res.group;
    if (name !== undefined) d.name = name;
    if (namespace !== undefined) d.namespace = namespace;
    return d;
  }

  #httpClient(cert: ClientCertificate | undefined): { client: Deno.HttpClient; release: () => void } {
    if (this.#closed) throw new KubeError(`Cannot send request: the client for ${this.server} is closed`);
    const key = cert ? `${cert.certPem}\u0000${cert.keyPem}` : "";
    let pooled = this.#pool.get(key);
    if (pooled === undefined) {
      const opts: Deno.CreateHttpClientOptions & { cert?: string; key?: string } = {};
      if (!this.#conn.insecureSkipTlsVerify && this.#conn.caCerts.length > 0) opts.caCerts = this.#conn.caCerts;
      if (this.#conn.proxy) opts.proxy = this.#conn.proxy;
      if (cert) {
        opts.cert = cert.certPem;
        opts.key = cert.keyPem;
      }
      let client: Deno.HttpClient;
      try {
        client = Deno.createHttpClient(opts);
      } catch (e) {
        throw new KubeNetworkError(
          `Cannot set up TLS for ${this.server} (${this.#conn.description}): ${causeChain(e)}`,
          { cause: e },
        );
      }
      // A new certificate supersedes the others (exec plugin rotation): retire them.
      for (const [k, p] of this.#pool) {
        p.retired = true;
        if (p.inUse === 0) {
          p.client.close();
          this.#pool.delete(k);
        }
      }
      pooled = { client, inUse: 0, retired: false };
      this.#pool.set(key, pooled);
    }
    const p = pooled;
    p.inUse++;
    let released = false;
    return {
      client: p.client,
      release: () => {
        if (released) return;
        released = true;
        p.inUse--;
        if (p.retired && p.inUse === 0) {
          p.client.close();
          if (this.#pool.get(key) === p) this.#pool.delete(key);
        }
      },
    };
  }

  /**
   * Request headers as a list of pairs: Deno sends a `Headers` object's repeated names as one comma-joined line,
   * which the apiserver would read as one impersonated group; pairs go out as separate lines.
   */
  #headers(opts: RequestOptions, creds: Credentials): [string, string][] {
    const h: [string, string][] = [["accept", "application/json"], ["user-agent", this.#userAgent]];
    if (opts.body !== undefined) h.push(["content-type", opts.contentType ?? "application/json"]);
    if (creds.token) h.push(["authorization", `Bearer ${creds.token}`]);
    else if (creds.basic) {
      const bytes = new TextEncoder().encode(`${creds.basic.username}:${creds.basic.password}`);
      h.push(["authorization", `Basic ${bytes.toBase64()}`]);
    }
    const imp = this.#conn.impersonation;
    if (imp) {
      h.push(["impersonate-user", imp.user]);
      if (imp.uid) h.push(["impersonate-uid", imp.uid]);
      for (const g of imp.groups ?? []) h.push(["impersonate-group", g]);
      for (const [k, vs] of Object.entries(imp.extra ?? {})) {
        for (const v of vs) h.push([`impersonate-extra-${encodeURIComponent(k)}`, v]);
      }
    }
    return h;
  }

  async #send(
    opts: RequestOptions,
    stream: boolean,
  ): Promise<{ response: Response; release: () => void; cancelTimer: Timer }> {
    const url = this.server + opts.path + queryString(opts.query);
    const describe = opts.describe ?? { verb: opts.method.toLowerCase() };
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    let retried401 = false;
    for (let throttled = 0;; throttled++) {
      opts.signal?.throwIfAborted();
      const creds = await this.#conn.credentials.get(opts.signal);
      const { client, release: releaseClient } = this.#httpClient(creds.clientCertificate);
      const timeoutMs = opts.timeoutMs === undefined ? this.#timeoutMs : opts.timeoutMs;
      const timer = new Timer(timeoutMs);
      // Not AbortSignal.any: see signals.ts. The link lives until the response is released (a stream's close).
      const linked = opts.signal ? anySignal([opts.signal, timer.signal]) : { signal: timer.signal, unlink: () => {} };
      const signal = linked.signal;
      const release = (): void => {
        linked.unlink();
        releaseClient();
      };
      let response: Response;
      try {
        response = await fetch(url, {
          method: opts.method,
          headers: this.#headers(opts, creds),
          body: body ?? null,
          client,
          signal,
        });
      } catch (e) {
        timer.clear();
        release();
        for (const o of this.#observers) o(opts.method, 0);
        throw this.#wrapFetchError(e, opts, timer.timedOut());
      }
      for (const o of this.#observers) o(opts.method, response.status);
      this.#warnings(response);
      if (response.ok) return { response, release, cancelTimer: timer };

      const text = await response.text().catch(() => "");
      timer.clear();
      release();
      if (response.status === 401) {
        // Always tell the source (so the next request re-reads / re-runs), retry only once.
        const mayChange = this.#conn.credentials.invalidate(creds);
        if (mayChange && !retried401) {
          retried401 = true;
          continue;
        }
      }
      const err = apiErrorFromResponse(response.status, text, {
        request: describe,
        method: opts.method,
        path: opts.path,
        retryAfter: response.headers.get("retry-after"),
        redact: secretStrings(opts.body),
        hint: response.status === 401 ? `credentials from ${this.#conn.credentials.description}` : undefined,
      });
      if (response.status === 429 && throttled < this.#maxThrottleRetries && !stream) {
        await sleep(Math.min(10, err.retryAfterSeconds ?? 1) * 1000, opts.signal);
        continue;
      }
      throw err;
    }
  }

  #wrapFetchError(e: unknown, opts: RequestOptions, timedOut: boolean): unknown {
    if (opts.signal?.aborted) return opts.signal.reason;
    if (e instanceof KubeError) return e;
    const desc = describeRequest(opts.describe ?? { verb: opts.method.toLowerCase() }, opts.method, opts.path);
    if (timedOut) {
      return new KubeNetworkError(
        `Cannot ${desc}: no answer from ${this.server} within ${opts.timeoutMs ?? this.#timeoutMs} ms`,
        {
          cause: e,
          timedOut: true,
        },
      );
    }
    if (e instanceof SyntaxError) {
      return new KubeNetworkError(`Cannot ${desc}: the answer from ${this.server} is not valid JSON`, { cause: e });
    }
    return new KubeNetworkError(`Cannot ${desc}: ${this.server} unreachable: ${causeChain(e)}`, { cause: e });
  }

  #warnings(response: Response): void {
    if (!this.#onWarning) return;
    const raw = response.headers.get("warning");
    if (!raw) return;
    for (const w of parseWarnings(raw)) this.#onWarning(w);
  }
}

/** Timeout that can tell whether it fired. */
class Timer {
  readonly #controller = new AbortController();
  readonly #id: ReturnType<typeof setTimeout> | undefined;
  #fired = false;
  constructor(ms: number | null) {
    if (ms !== null && ms > 0) {
      this.#id = setTimeout(() => {
        this.#fired = true;
        this.#controller.abort(new DOMException("request timed out", "TimeoutError"));
      }, ms);
    }
  }
  get signal(): AbortSignal {
    return this.#controller.signal;
  }
  timedOut(): boolean {
    return this.#fired;
  }
  clear(): void {
    if (this.#id !== undefined) clearTimeout(this.#id);
  }
}

function writeQuery(opts: WriteOptions): Query {
  return {
    fieldManager: opts.fieldManager,
    dryRun: opts.dryRun ? "All" : undefined,
    fieldValidation: opts.fieldValidation,
  };
}

/** `?a=1&b=x` from the defined entries; empty string when none. */
export function queryString(query: Query | undefined): string {
  if (!query) return "";
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== "") p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : "";
}

/** Splits a `Warning` header (`299 - "text", 299 - "other"`) into its texts. */
export function parseWarnings(header: string): string[] {
  const out: string[] = [];
  const re = /\d{3} \S+ "((?:[^"\\]|\\.)*)"/g;
  for (const m of header.matchAll(re)) out.push(m[1]!.replace(/\\(.)/g, "$1"));
  return out;
}

/**
 * The values in a request body that must never appear in an error: `data`/`stringData` values of a Secret (and
 * their decoded form), and values of JSON patch operations on those paths.
 */
export function secretStrings(body: unknown): string[] {
  const out: string[] = [];
  const addMap = (m: unknown, decode: boolean): void => {
    if (m === null || typeof m !== "object") return;
    for (const v of Object.values(m as Record<string, unknown>)) {
      if (typeof v !== "string") continue;
      out.push(v);
      if (decode) {
        try {
          out.push(new TextDecoder().decode(Uint8Array.fromBase64(v)));
        } catch {
          // not base64: nothing more to redact
        }
      }
    }
  };
  if (Array.isArray(body)) {
    for (const op of body) {
      if (op === null || typeof op !== "object") continue;
      const { path, value } = op as { path?: unknown; value?: unknown };
      if (typeof path !== "string" || !/^\/(data|stringData)(\/|$)/.test(path)) continue;
      if (typeof value === "string") addMap({ v: value }, path.startsWith("/data"));
      else addMap(value, path.startsWith("/data"));
    }
  } else if (body !== null && typeof body === "object") {
    const o = body as Record<string, unknown>;
    addMap(o["data"], true);
    addMap(o["stringData"], false);
  }
  return out.filter((s) => s.length >= 3);
}
