/**
 * Watches the Secrets stores read their credentials from — by name (a field selector each), never all Secrets — so
 * a changed credentials Secret re-validates its stores at once instead of at the next periodic re-check (which,
 * with a cached token, took minutes). One watch per distinct Secret, started when the first store names it and
 * stopped when the last one stops naming it. A referent ClusterSecretStore's credentials live in each
 * ExternalSecret's namespace: those are watched by name across namespaces.
 *
 * @module
 */
import type { ClusterSecretStore, SecretStore } from "../../api/types.ts";
import type { KubeClient } from "../../kube/client.ts";
import { secrets } from "../../kube/resources.ts";
import { Watcher } from "../../kube/watch.ts";
import type { StoreClientCache } from "../../providers/clients.ts";
import { storeRefOf } from "../../providers/clients.ts";
import type { Watch } from "../../runtime/controller.ts";
import type { InformerChange } from "../../runtime/informer.ts";
import { type StoreKey, storeKey } from "../../runtime/keys.ts";
import type { Logger } from "../../runtime/log.ts";

interface Entry {
  stores: Set<StoreKey>;
  stop: AbortController;
}

/** What a change of a credentials Secret does before its stores are re-validated (forget cached credentials). */
export type CredentialsChanged = (stores: StoreKey[]) => void;

/** The credentials watches of every store. */
export class CredentialWatch {
  readonly #client: KubeClient;
  readonly #clients: Pick<StoreClientCache, "providerFor">;
  readonly #onChange: CredentialsChanged;
  readonly #log: Logger;
  /** `namespace/name` or `*\/name` → the watch and the stores using it. */
  readonly #entries = new Map<string, Entry>();
  /** Store → the Secrets it names. */
  readonly #byStore = new Map<StoreKey, string[]>();
  #signal: AbortSignal | undefined;
  #enqueue: ((key: string) => void) | undefined;

  constructor(
    client: KubeClient,
    clients: Pick<StoreClientCache, "providerFor">,
    onChange: CredentialsChanged,
    log: Logger,
  ) {
    this.#client = client;
    this.#clients = clients;
    this.#onChange = onChange;
    this.#log = log;
  }

  /** A store changed (or went): follow the Secrets it names now. */
  update(kind: "SecretStore" | "ClusterSecretStore", c: InformerChange<SecretStore | ClusterSecretStore>): void {
    const m = c.object.metadata;
    const key = kind === "SecretStore" ? storeKey(kind, m.name!, m.namespace) : storeKey(kind, m.name!);
    const wanted = c.type === "delete" ? [] : this.#secretsOf(kind, c.object);
    const before = this.#byStore.get(key) ?? [];
    for (const s of before) if (!wanted.includes(s)) this.#release(s, key);
    for (const s of wanted) if (!before.includes(s)) this.#acquire(s, key);
    if (wanted.length) this.#byStore.set(key, wanted);
    else this.#byStore.delete(key);
  }

  /** This as a related watch of the store controller: a changed credentials Secret enqueues its stores. */
  asWatch(): Watch {
    return {
      connect: (enqueue) => this.#enqueue = enqueue,
      start: (signal) => this.start(signal),
    };
  }

  /** Starts the watches (those named so far and all later ones) until `signal` aborts. */
  start(signal: AbortSignal): void {
    this.#signal = signal;
    for (const [id, e] of this.#entries) this.#run(id, e);
    signal.addEventListener("abort", () => {
      for (const e of this.#entries.values()) e.stop.abort();
    }, { once: true });
  }

  /** How many Secrets are watched (for tests and metrics). */
  get size(): number {
    return this.#entries.size;
  }

  #secretsOf(kind: "SecretStore" | "ClusterSecretStore", store: SecretStore | ClusterSecretStore): string[] {
    try {
      const ref = storeRefOf(kind, store);
      const out = this.#clients.providerFor(ref).credentialSecrets(ref).map((s) => `${s.namespace ?? "*"}/${s.name}`);
      return [...new Set(out)];
    } catch {
      return []; // a provider this controller does not run: its store reports that
    }
  }

  #acquire(id: string, store: StoreKey): void {
    let e = this.#entries.get(id);
    if (!e) {
      e = { stores: new Set(), stop: new AbortController() };
      this.#entries.set(id, e);
      if (this.#signal) this.#run(id, e);
    }
    e.stores.add(store);
  }

  #release(id: string, store: StoreKey): void {
    const e = this.#entries.get(id);
    if (!e) return;
    e.stores.delete(store);
    if (e.stores.size === 0) {
      e.stop.abort();
      this.#entries.delete(id);
    }
  }

  #run(id: string, e: Entry): void {
    if (this.#signal?.aborted) return;
    const slash = id.indexOf("/");
    const ns = id.slice(0, slash);
    const name = id.slice(slash + 1);
    const watcher = new Watcher(this.#client, secrets, {
      ...(ns === "*" ? {} : { namespace: ns }),
      fieldSelector: `metadata.name=${name}`,
      signal: e.stop.signal,
      onError: (error) => this.#log.debug("credentials watch failed; retrying", { secret: id, error }),
    });
    void (async () => {
      let synced = false;
      for await (const ev of watcher) {
        if (ev.type === "InitDone") synced = true;
        // Only changes after the first list: the stores were validated against what the list showed.
        if (synced && (ev.type === "Apply" || ev.type === "Delete")) {
          const stores = [...e.stores];
          this.#onChange(stores);
          for (const s of stores) this.#enqueue?.(s);
        }
      }
    })().catch((error) => this.#log.warn("credentials watch stopped", { secret: id, error }));
  }
}
