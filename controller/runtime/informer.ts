/**
 * An informer: a {@link Watcher}-fed in-memory cache of one resource, with secondary indexes and change callbacks.
 *
 * Objects can be shrunk by a `transform` before they are stored (client-go's `SetTransform`): the controller keeps
 * only what it needs (e.g. of a managed Secret: metadata and a hash of its data, never the values), which keeps
 * memory flat however large the Secrets are.
 *
 * Guarantees: callbacks run synchronously in event order; after a relist (410 Gone) the callbacks see exactly the
 * differences between the old and the new list, so nothing is missed while the watch was broken.
 *
 * @module
 */
import type { KubeClient } from "../kube/client.ts";
import type { ResourceType } from "../kube/resources.ts";
import type { KubeObject } from "../kube/types.ts";
import { Watcher, type WatchHealth } from "../kube/watch.ts";
import { type ObjectKey, objectKey } from "./keys.ts";

/** What changed in the cache. `old` is the previous version when there was one. */
export type InformerChange<S> =
  | { type: "apply"; object: S; old: S | undefined }
  | { type: "delete"; object: S };

/**
 * A secondary index: value → the keys of the objects that yield it. Most values name one object (an ExternalSecret's
 * target Secret): that key is held as it is, and a Set only once a second one shares the value — a Set per object
 * was most of an index's memory.
 */
export class KeyIndex {
  readonly #m = new Map<string, ObjectKey | Set<ObjectKey>>();

  add(value: string, key: ObjectKey): void {
    const have = this.#m.get(value);
    if (have === undefined) this.#m.set(value, key);
    else if (typeof have === "string") {
      if (have !== key) this.#m.set(value, new Set([have, key]));
    } else have.add(key);
  }

  delete(value: string, key: ObjectKey): void {
    const have = this.#m.get(value);
    if (have === key) this.#m.delete(value);
    else if (have !== undefined && typeof have !== "string") {
      have.delete(key);
      if (have.size === 1) this.#m.set(value, have.values().next().value!);
    }
  }

  /** The keys under `value` (a new array). */
  get(value: string): ObjectKey[] {
    const have = this.#m.get(value);
    return have === undefined ? [] : typeof have === "string" ? [have] : [...have];
  }

  /** Distinct values indexed. */
  get size(): number {
    return this.#m.size;
  }
}

/** Options of {@link Informer}. */
export interface InformerOptions<T extends KubeObject, S> {
  namespace?: string;
  labelSelector?: string;
  /** Shrinks each object before it is stored. */
  transform: (object: T) => S;
  /** Told about watch failures the watcher recovers from. */
  onError?: (error: unknown) => void;
}

/** A cache of one resource kept current by list+watch. */
export class Informer<
  T extends KubeObject,
  S extends { metadata?: { namespace?: string; name?: string; resourceVersion?: string } },
> {
  readonly name: string;
  readonly #client: KubeClient;
  readonly #res: ResourceType<T>;
  readonly #opts: InformerOptions<T, S>;
  #store = new Map<ObjectKey, S>();
  readonly #listeners: ((change: InformerChange<S>) => void)[] = [];
  readonly #indexers = new Map<string, (s: S) => string[]>();
  readonly #indexes = new Map<string, KeyIndex>();
  #watcher: Watcher<T> | undefined;
  #synced = false;

  constructor(client: KubeClient, res: ResourceType<T>, opts: InformerOptions<T, S>) {
    this.#client = client;
    this.#res = res;
    this.#opts = opts;
    this.name = res.plural;
  }

  /** True once the first full list has been loaded. */
  get synced(): boolean {
    return this.#synced;
  }

  /** The watch's health, for readiness and liveness checks. */
  get health(): WatchHealth | undefined {
    return this.#watcher?.health;
  }

  /** Number of cached objects. */
  get size(): number {
    return this.#store.size;
  }

  /** The cached object with this key (`namespace/name`, or `name` if cluster-scoped). */
  get(key: ObjectKey): S | undefined {
    return this.#store.get(key);
  }

  /** All cached objects. */
  list(): IterableIterator<S> {
    return this.#store.values();
  }

  /** Calls `listener` for every change, in order (controllers subscribe before {@link Informer.start}). */
  subscribe(listener: (change: InformerChange<S>) => void): void {
    this.#listeners.push(listener);
  }

  /** Adds a secondary index; call before {@link Informer.start}. */
  addIndex(name: string, fn: (s: S) => string[]): void {
    this.#indexers.set(name, fn);
    this.#indexes.set(name, new KeyIndex());
  }

  /** Keys of the objects whose index `name` yields `value`. */
  keysBy(name: string, value: string): ObjectKey[] {
    return this.#indexes.get(name)?.get(value) ?? [];
  }

  #index(key: ObjectKey, obj: S | undefined, add: boolean): void {
    if (!obj) return;
    for (const [name, fn] of this.#indexers) {
      const idx = this.#indexes.get(name)!;
      for (const value of fn(obj)) {
        if (add) idx.add(value, key);
        else idx.delete(value, key);
      }
    }
  }

  #put(obj: S): void {
    const key = objectKey(obj.metadata);
    const old = this.#store.get(key);
    this.#index(key, old, false);
    this.#store.set(key, obj);
    this.#index(key, obj, true);
    for (const l of this.#listeners) l({ type: "apply", object: obj, old });
  }

  #remove(key: ObjectKey): void {
    const old = this.#store.get(key);
    if (!old) return;
    this.#index(key, old, false);
    this.#store.delete(key);
    for (const l of this.#listeners) l({ type: "delete", object: old });
  }

  /** Runs list+watch until `signal` aborts. */
  async start(signal: AbortSignal): Promise<void> {
    this.#watcher = new Watcher(this.#client, this.#res, {
      signal,
      ...(this.#opts.namespace !== undefined ? { namespace: this.#opts.namespace } : {}),
      ...(this.#opts.labelSelector !== undefined ? { labelSelector: this.#opts.labelSelector } : {}),
      ...(this.#opts.onError ? { onError: this.#opts.onError } : {}),
    });
    let buffer: Map<ObjectKey, S> | undefined;
    for await (const ev of this.#watcher) {
      switch (ev.type) {
        case "Init":
          buffer = new Map();
          break;
        case "InitApply": {
          const obj = this.#opts.transform(ev.object);
          buffer?.set(objectKey(obj.metadata), obj);
          break;
        }
        case "InitDone": {
          const fresh = buffer ?? new Map<ObjectKey, S>();
          buffer = undefined;
          for (const key of [...this.#store.keys()]) if (!fresh.has(key)) this.#remove(key);
          for (const obj of fresh.values()) {
            const old = this.#store.get(objectKey(obj.metadata));
            if (!old || old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) this.#put(obj);
          }
          this.#synced = true;
          break;
        }
        case "Apply":
          this.#put(this.#opts.transform(ev.object));
          break;
        case "Delete":
          this.#remove(objectKey(ev.object.metadata));
          break;
      }
    }
  }
}
