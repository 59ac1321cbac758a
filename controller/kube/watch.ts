/**
 * Watching: {@linkcode watchEvents} is one WATCH request as an async iterable of raw events; {@linkcode watcher} is
 * the long-lived list+watch loop a controller builds its caches on (kube-rs `watcher` semantics).
 *
 * The watcher is a small state machine:
 *
 * ```
 * Listing --(all pages)--> Watching(rv) --(stream ends)--> Watching(last rv)       resume, no relist
 *    ^                          |----(network/5xx/403)--> backoff, Watching(last rv)
 *    |                          |----(410 Gone / ERROR Expired)--> Listing           relist
 *    +---(error: backoff, retry the page; expired continue token: start over)
 * ```
 *
 * Events: `Init`, `InitApply` per listed object, `InitDone` (swap your store now), then `Apply` / `Delete`.
 * `Init` can come again (a relist) and may even repeat before `InitDone` if the list had to start over: treat it
 * as "start a fresh buffer". Bookmarks only advance the resourceVersion and the health clock.
 *
 * @module
 */

import type { KubeClient, KubeStream } from "./client.ts";
import { apiErrorFromStatus, causeChain, isGone, KubeError, KubeNetworkError } from "./errors.ts";
import { LineSplitter } from "./json_lines.ts";
import { resourcePath, type ResourceType } from "./resources.ts";
import type { KubeObject, Status, WatchEvent } from "./types.ts";
import { Backoff, type BackoffOptions, sleep } from "./backoff.ts";
import { anySignal } from "./signals.ts";

/** Options of {@linkcode watchEvents}. */
export interface WatchOptions {
  /** Omit for all namespaces (or for cluster-scoped resources). */
  namespace?: string | undefined;
  labelSelector?: string | undefined;
  fieldSelector?: string | undefined;
  /** Start after this version; omitted means "now" (no replay). */
  resourceVersion?: string | undefined;
  /** @default {true} */
  allowWatchBookmarks?: boolean;
  /** The server ends the stream after this many seconds (it does anyway after 30–60 min). */
  timeoutSeconds?: number | undefined;
  /** Stream initial state as ADDED events, ended by a bookmark (needs `resourceVersionMatch: NotOlderThan`). */
  sendInitialEvents?: boolean | undefined;
  resourceVersionMatch?: "NotOlderThan" | "Exact" | undefined;
  /** Fail with a {@linkcode KubeNetworkError} when no bytes arrive for this long while waiting. @default none */
  idleTimeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
  /** Called once the server accepted the watch (headers received). */
  onConnected?: (() => void) | undefined;
}

/**
 * One WATCH request: yields events as they arrive until the server ends the stream. `ERROR` events are yielded, not
 * thrown (a 410 `Expired` there means "relist"). HTTP errors throw {@linkcode KubeApiError}; a broken or idle stream
 * throws {@linkcode KubeNetworkError}; aborting throws the signal's reason. Breaking out of the loop closes the stream.
 */
export async function* watchEvents<T extends KubeObject>(
  client: KubeClient,
  res: ResourceType<T>,
  opts: WatchOptions = {},
): AsyncGenerator<WatchEvent<T>, void, undefined> {
  const path = resourcePath(res, { namespace: opts.namespace });
  const describe = {
    verb: "watch",
    resource: res.plural,
    ...(res.group ? { group: res.group } : {}),
    ...(opts.namespace !== undefined ? { namespace: opts.namespace } : {}),
  };
  const idle = new AbortController();
  const linked = opts.signal ? anySignal([opts.signal, idle.signal]) : { signal: idle.signal, unlink: () => {} };
  const signal = linked.signal;
  let stream: KubeStream;
  try {
    stream = await client.openStream({
      method: "GET",
      path,
      query: {
        watch: true,
        resourceVersion: opts.resourceVersion,
        allowWatchBookmarks: opts.allowWatchBookmarks ?? true,
        timeoutSeconds: opts.timeoutSeconds,
        labelSelector: opts.labelSelector,
        fieldSelector: opts.fieldSelector,
        sendInitialEvents: opts.sendInitialEvents,
        resourceVersionMatch: opts.resourceVersionMatch,
      },
      signal,
      describe,
    });
  } catch (e) {
    linked.unlink(); // failed attempts must not pile listeners onto a long-lived signal
    throw e;
  }
  opts.onConnected?.();
  const reader = stream.body.getReader();
  // Cancel the read ourselves on abort: Deno does not always end a fetch body when its signal aborts (signals.ts).
  const onAbort = (): void => void reader.cancel(signal.reason).catch(() => {});
  signal.addEventListener("abort", onAbort, { once: true });
  const splitter = new LineSplitter();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const idleMs = opts.idleTimeoutMs;
  try {
    for (;;) {
      if (idleMs !== undefined && idleMs > 0) {
        timer = setTimeout(() => {
          idle.abort(
            new KubeNetworkError(`Cannot watch ${res.plural}: no data from ${client.server} for ${idleMs} ms`, {
              timedOut: true,
            }),
          );
        }, idleMs);
      }
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (e) {
        if (opts.signal?.aborted) throw opts.signal.reason;
        if (idle.signal.aborted) throw idle.signal.reason;
        throw new KubeNetworkError(
          `Cannot watch ${res.plural}: the stream from ${client.server} broke: ${causeChain(e)}`,
          {
            cause: e,
          },
        );
      } finally {
        clearTimeout(timer);
      }
      if (chunk.done) break;
      let lines: string[];
      try {
        lines = splitter.push(chunk.value);
      } catch (e) {
        throw new KubeNetworkError(`Cannot watch ${res.plural}: ${causeChain(e)}`, { cause: e });
      }
      for (const line of lines) yield parseEvent<T>(line, res);
    }
    // Deno may end an aborted body as if it were complete: tell that apart from the server ending it.
    if (opts.signal?.aborted) throw opts.signal.reason;
    if (idle.signal.aborted) throw idle.signal.reason;
    for (const line of splitter.flush()) yield parseEvent<T>(line, res);
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", onAbort);
    linked.unlink();
    reader.releaseLock();
    await stream.close();
  }
}

/** Parses one watch line into an event; malformed lines are a {@linkcode KubeNetworkError} (broken stream). */
export function parseEvent<T extends KubeObject>(line: string, res: ResourceType<T>): WatchEvent<T> {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (e) {
    throw new KubeNetworkError(`Cannot watch ${res.plural}: a watch event is not valid JSON`, { cause: e });
  }
  const ev = v as { type?: unknown; object?: unknown };
  const types = ["ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"];
  if (
    v === null || typeof v !== "object" || typeof ev.type !== "string" || !types.includes(ev.type) ||
    ev.object === null || typeof ev.object !== "object"
  ) {
    throw new KubeNetworkError(`Cannot watch ${res.plural}: unexpected watch event shape`);
  }
  return v as WatchEvent<T>;
}

// ---- watcher ----------------------------------------------------------------------------------------------------

/** What a {@linkcode watcher} yields (kube-rs `watcher::Event`). */
export type WatcherEvent<T> =
  | { type: "Init" }
  | { type: "InitApply"; object: T }
  | { type: "InitDone" }
  | { type: "Apply"; object: T }
  | { type: "Delete"; object: T };

/** Live health of a watcher, for `/readyz` and `/healthz`. */
export interface WatchHealth {
  /** A full list has completed at least once (caches can be trusted). */
  readonly synced: boolean;
  /** A watch stream is open right now. */
  readonly connected: boolean;
  /** Epoch ms of the last sign of life: list page, watch accepted, any event incl. bookmarks. */
  readonly lastEventAt: number | undefined;
  /** The last error (cleared by the next success). */
  readonly lastError: unknown;
  /** Consecutive failures since the last success. */
  readonly failures: number;
  /** How many times the watcher listed from scratch after the first list (410 Gone). */
  readonly relists: number;
  /** How many watch streams were opened after the first. */
  readonly reconnects: number;
  /** The resourceVersion the next watch would start from. */
  readonly resourceVersion: string | undefined;
}

/** Options of {@linkcode watcher}. */
export interface WatcherOptions {
  /** Omit for all namespaces (or for cluster-scoped resources). */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Page size of the initial list. @default {500} */
  pageSize?: number;
  /** Server-side timeout of each watch request. @default random in [300, 600) s, as client-go */
  timeoutSeconds?: number;
  /** A stream silent this long is treated as dead. @default {(timeoutSeconds + 60) s} */
  idleTimeoutMs?: number;
  /**
   * Start by watching from this resourceVersion instead of listing (e.g. resuming with a store that is still
   * valid). If it is too old, the server answers 410 and the watcher lists as usual.
   */
  initialResourceVersion?: string;
  backoff?: BackoffOptions;
  /** Stops the watcher: the iteration then ends without an error. */
  signal?: AbortSignal;
  /** Told about every failure the watcher recovers from (log it). */
  onError?: (error: unknown) => void;
  /** Clock for `lastEventAt`. @default {Date.now} */
  now?: () => number;
}

type MutableHealth = { -readonly [K in keyof WatchHealth]: WatchHealth[K] };

/**
 * A list+watch loop over one resource; iterate it once. It never throws except for programming errors: failures
 * go to `onError` and {@linkcode Watcher.health}, and it resumes with backoff. It ends when `signal` aborts or the
 * consumer breaks out of the loop. Objects are read one at a time, so memory stays at one page / one event.
 */
export class Watcher<T extends KubeObject> implements AsyncIterable<WatcherEvent<T>> {
  readonly #client: KubeClient;
  readonly #res: ResourceType<T>;
  readonly #opts: WatcherOptions;
  readonly #health: MutableHealth = {
    synced: false,
    connected: false,
    lastEventAt: undefined,
    lastError: undefined,
    failures: 0,
    relists: 0,
    reconnects: 0,
    resourceVersion: undefined,
  };
  #started = false;

  constructor(client: KubeClient, res: ResourceType<T>, opts: WatcherOptions = {}) {
    this.#client = client;
    this.#res = res;
    this.#opts = opts;
  }

  /** Live health (the same object, updated in place). */
  get health(): WatchHealth {
    return this.#health;
  }

  [Symbol.asyncIterator](): AsyncGenerator<WatcherEvent<T>, void, undefined> {
    if (this.#started) throw new Error("Cannot iterate watcher: it can be iterated only once");
    this.#started = true;
    return this.#run();
  }

  async *#run(): AsyncGenerator<WatcherEvent<T>, void, undefined> {
    const opts = this.#opts;
    const h = this.#health;
    const now = opts.now ?? Date.now;
    const stop = new AbortController();
    const linked = opts.signal ? anySignal([opts.signal, stop.signal]) : { signal: stop.signal, unlink: () => {} };
    const signal = linked.signal;
    const backoff = new Backoff(opts.backoff);
    const selectors = {
      ...(opts.labelSelector !== undefined ? { labelSelector: opts.labelSelector } : {}),
      ...(opts.fieldSelector !== undefined ? { fieldSelector: opts.fieldSelector } : {}),
    };
    const nsOpt = opts.namespace !== undefined ? { namespace: opts.namespace } : {};
    let rv: string | undefined = opts.initialResourceVersion;
    let listed = false;

    const alive = (): void => {
      h.lastEventAt = now();
    };
    const succeeded = (): void => {
      h.failures = 0;
      h.lastError = undefined;
      backoff.reset();
    };
    const failed = async (e: unknown): Promise<void> => {
      h.failures++;
      h.lastError = e;
      opts.onError?.(e);
      await sleep(backoff.next(), signal);
    };

    try {
      while (!signal.aborted) {
        if (rv === undefined) {
          // ---- Listing ----
          h.connected = false;
          let cont: string | undefined;
          let sentInit = false;
          let listRv: string | undefined;
          while (!signal.aborted) {
            let page;
            try {
              page = await this.#client.list(this.#res, {
                ...nsOpt,
                ...selectors,
                limit: opts.pageSize ?? 500,
                ...(cont !== undefined ? { continue: cont } : {}),
                signal,
              });
            } catch (e) {
              if (signal.aborted) return;
              if (isGone(e) && cont !== undefined) {
                // The continue token expired: start the list over.
                cont = undefined;
                sentInit = false;
                opts.onError?.(e);
                continue;
              }
              await failed(e);
              continue;
            }
            alive();
            if (!sentInit) {
              sentInit = true;
              if (listed) h.relists++;
              yield { type: "Init" };
            }
            for (const object of page.items) yield { type: "InitApply", object };
            cont = page.metadata.continue || undefined;
            listRv = page.metadata.resourceVersion;
            if (cont === undefined) break;
          }
          if (signal.aborted) return;
          listed = true;
          h.synced = true;
          rv = listRv ?? "";
          h.resourceVersion = rv;
          succeeded();
          yield { type: "InitDone" };
          continue;
        }

        // ---- Watching ----
        const timeoutSeconds = opts.timeoutSeconds ?? Math.floor(300 * (1 + Math.random()));
        const startedAt = now();
        let events = 0;
        let relist = false;
        try {
          for await (
            const ev of watchEvents(this.#client, this.#res, {
              ...nsOpt,
              ...selectors,
              resourceVersion: rv,
              allowWatchBookmarks: true,
              timeoutSeconds,
              idleTimeoutMs: opts.idleTimeoutMs ?? (timeoutSeconds + 60) * 1000,
              signal,
              onConnected: () => {
                h.connected = true;
                alive();
              },
            })
          ) {
            alive();
            if (ev.type === "ERROR") {
              const err = apiErrorFromStatus(ev.object as Status, {
                request: { verb: "watch", resource: this.#res.plural },
                method: "GET",
                path: resourcePath(this.#res, nsOpt),
              });
              if (isGone(err)) {
                relist = true;
                opts.onError?.(err);
                break;
              }
              throw err;
            }
            events++;
            succeeded();
            const nextRv = ev.object.metadata?.resourceVersion;
            if (nextRv) {
              rv = nextRv;
              h.resourceVersion = rv;
            }
            if (ev.type === "ADDED" || ev.type === "MODIFIED") yield { type: "Apply", object: ev.object };
            else if (ev.type === "DELETED") yield { type: "Delete", object: ev.object };
          }
          h.connected = false;
          if (signal.aborted) return;
          if (relist) {
            rv = undefined;
            continue;
          }
          // Normal end (timeoutSeconds): resume from the last version. A stream that ends at once without
          // events is suspicious (a proxy cutting it): back off so we do not spin.
          h.reconnects++;
          if (events === 0 && now() - startedAt < 1000) await sleep(backoff.next(), signal);
        } catch (e) {
          h.connected = false;
          if (signal.aborted) return;
          if (isGone(e)) {
            opts.onError?.(e);
            rv = undefined;
            continue;
          }
          h.reconnects++;
          await failed(e instanceof KubeError ? e : new KubeNetworkError(causeChain(e), { cause: e }));
        }
      }
    } finally {
      h.connected = false;
      stop.abort();
      linked.unlink();
    }
  }
}

/**
 * Starts a list+watch over `res` (see the module doc). Iterate the result once; read `.health` any time.
 *
 * ```ts
 * const w = watcher(client, secrets, { labelSelector: "reconcile.external-secrets.io/managed=true", signal });
 * for await (const ev of w) { ... }
 * ```
 */
export function watcher<T extends KubeObject>(
  client: KubeClient,
  res: ResourceType<T>,
  opts: WatcherOptions = {},
): Watcher<T> {
  return new Watcher(client, res, opts);
}

/**
 * Whether a watcher looks healthy: synced, and either connected or heard from within `maxSilenceMs`
 * (reconnecting between two streams is normal).
 */
export function isWatchHealthy(health: WatchHealth, nowMs: number, maxSilenceMs: number): boolean {
  if (!health.synced) return false;
  if (health.connected) return true;
  return health.lastEventAt !== undefined && nowMs - health.lastEventAt <= maxSilenceMs;
}
