/**
 * Kubernetes Events for our objects (`kubectl describe` shows them), recorded as `core/v1` Events from component
 * `external-secrets` like ESO. Repeats of the same event on the same object within ten minutes update one Event's
 * `count` instead of creating new ones (client-go's correlator does the same), so a failing ExternalSecret that
 * retries with back-off does not flood etcd.
 *
 * Recording never fails a reconcile: errors are reported to `onError` and dropped. Recording does not hold a reconcile
 * either: Events are written in the background, a few at a time, as client-go's broadcaster does (at 10,000
 * ExternalSecrets one awaited Event write per sync was a quarter of every sync's round trips).
 *
 * @module
 */
import type { KubeClient } from "../kube/client.ts";
import { mergePatch } from "../kube/patch.ts";
import { coreEvents } from "../kube/resources.ts";
import type { CoreEvent } from "../kube/types.ts";

/** The object an Event is about. */
export interface InvolvedObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; uid?: string; resourceVersion?: string };
}

const REPEAT_WINDOW_MS = 10 * 60_000;
const MAX_MESSAGE = 1024;
/** Event writes in flight at most; the rest wait in order. */
const WRITERS = 8;
/** Events waiting beyond this many are dropped (and reported): a stuck apiserver must not grow memory. */
const MAX_PENDING = 10_000;

/** Records Events through the API. */
export class EventRecorder {
  readonly #client: KubeClient;
  readonly #component: string;
  readonly #instance: string;
  readonly #onError: (e: unknown) => void;
  readonly #recent = new Map<string, { name: string; namespace: string; count: number; at: number }>();
  /** Namespace of Events about cluster-scoped objects (ClusterSecretStores): the API accepts only `default`. */
  readonly #clusterNamespace: string;
  readonly #pending: (() => Promise<void>)[] = [];
  #writing = 0;

  constructor(
    client: KubeClient,
    options: { component?: string; instance?: string; clusterNamespace?: string; onError?: (e: unknown) => void } = {},
  ) {
    this.#client = client;
    this.#component = options.component ?? "external-secrets";
    // ESO's recorder (controller-runtime's, source {component: external-secrets}) names no host, so `kubectl describe`
    // shows "From: external-secrets"; the pod is in the controller's logs when it matters.
    this.#instance = options.instance ?? "";
    this.#clusterNamespace = options.clusterNamespace ?? "default";
    this.#onError = options.onError ?? (() => {});
  }

  /**
   * Queues an Event; the promise resolves when it is written (or dropped after an error) and never rejects, so a
   * caller need not wait for it.
   */
  record(obj: InvolvedObject, type: "Normal" | "Warning", reason: string, message: string): Promise<void> {
    if (this.#pending.length >= MAX_PENDING) {
      this.#onError(new Error(`event ${reason} dropped: ${MAX_PENDING} Events are waiting to be written`));
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.#pending.push(() => this.#write(obj, type, reason, message).finally(resolve));
      this.#drain();
    });
  }

  #drain(): void {
    while (this.#writing < WRITERS && this.#pending.length > 0) {
      const next = this.#pending.shift()!;
      this.#writing++;
      void next().finally(() => {
        this.#writing--;
        this.#drain();
      });
    }
  }

  async #write(obj: InvolvedObject, type: "Normal" | "Warning", reason: string, message: string): Promise<void> {
    const meta = obj.metadata ?? {};
    const namespace = meta.namespace ?? this.#clusterNamespace;
    const text = message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 3)}...` : message;
    const key = `${meta.uid}|${type}|${reason}|${text}`;
    const now = new Date();
    const stamp = now.toISOString().replace(/\.\d{3}Z$/, "Z");
    this.#prune(now.getTime());
    try {
      const seen = this.#recent.get(key);
      if (seen && now.getTime() - seen.at < REPEAT_WINDOW_MS) {
        seen.count++;
        seen.at = now.getTime();
        await this.#client.patch(coreEvents, seen.name, mergePatch({ count: seen.count, lastTimestamp: stamp }), {
          namespace: seen.namespace,
        });
        return;
      }
      const event: CoreEvent = {
        apiVersion: "v1",
        kind: "Event",
        metadata: { name: `${meta.name}.${now.getTime().toString(16)}${crypto.randomUUID().slice(0, 4)}`, namespace },
        // JSON drops undefined fields; the cast only tells the compiler so.
        involvedObject: JSON.parse(JSON.stringify({
          apiVersion: obj.apiVersion,
          kind: obj.kind,
          name: meta.name,
          namespace: meta.namespace,
          uid: meta.uid,
          resourceVersion: meta.resourceVersion,
        })),
        reason,
        message: text,
        type,
        count: 1,
        firstTimestamp: stamp,
        lastTimestamp: stamp,
        source: { component: this.#component },
        reportingComponent: this.#component,
        ...(this.#instance ? { reportingInstance: this.#instance } : {}),
      };
      const created = await this.#client.create(coreEvents, event, { namespace });
      this.#recent.set(key, { name: created.metadata!.name!, namespace, count: 1, at: now.getTime() });
    } catch (e) {
      this.#recent.delete(key);
      this.#onError(e);
    }
  }

  #prune(now: number): void {
    if (this.#recent.size < 1000) return;
    for (const [k, v] of this.#recent) if (now - v.at >= REPEAT_WINDOW_MS) this.#recent.delete(k);
  }
}
