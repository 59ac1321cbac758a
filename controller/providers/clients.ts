/**
 * Provider clients per store: {@link StoreClientCache} keeps one client per store version (and per namespace for
 * referent authentication), so tokens are reused across reconciles. A client older than `recheckMs` is rebuilt from
 * fresh credentials and kept only if its fingerprint changed (a rotated client secret is picked up; an unchanged one
 * keeps its token).
 *
 * @module
 */
import { type StoreKey, storeKey } from "../runtime/keys.ts";
import type { Registry } from "../runtime/metrics.ts";
import {
  type CredentialSource,
  InvalidStoreError,
  type Provider,
  type SecretsClient,
  type StoreRef,
} from "./provider.ts";

/** A store object as the provider sees it. */
export function storeRefOf(
  kind: "SecretStore" | "ClusterSecretStore",
  store: { metadata: { name?: string; namespace?: string; uid?: string; generation?: number }; spec: StoreRef["spec"] },
): StoreRef {
  return {
    kind,
    name: store.metadata.name!,
    ...(kind === "SecretStore" ? { namespace: store.metadata.namespace! } : {}),
    uid: store.metadata.uid ?? "",
    // The generation, not the resourceVersion: a status write must not discard the client and its token.
    resourceVersion: String(store.metadata.generation ?? 0),
    spec: store.spec,
  };
}

/** The key of a store reference. */
export function storeKeyOfRef(store: StoreRef): StoreKey {
  return storeKey(store.kind, store.name, store.namespace);
}

interface Entry {
  client: Promise<SecretsClient>;
  builtAt: number;
}

/** One provider client per store version and credential namespace. */
export class StoreClientCache {
  readonly #providers: Record<string, Provider>;
  readonly #credentials: CredentialSource;
  readonly #recheckMs: number;
  readonly #entries = new Map<string, Entry>();

  constructor(
    providers: Record<string, Provider>,
    credentials: CredentialSource,
    options: { recheckMs?: number } = {},
  ) {
    this.#providers = providers;
    this.#credentials = credentials;
    this.#recheckMs = options.recheckMs ?? 5 * 60_000;
  }

  /**
   * The namespace a store's credentials resolve in: a SecretStore's own; for a ClusterSecretStore, the
   * ExternalSecret's only when referent (credential refs without a namespace), otherwise none.
   */
  scopeOf(store: StoreRef, namespace: string | undefined): string | undefined {
    if (store.kind === "SecretStore") return store.namespace;
    return this.providerFor(store).isReferent(store) ? namespace : undefined;
  }

  /** The provider a store uses, or an error naming the unsupported provider. */
  providerFor(store: StoreRef): Provider {
    const names = Object.keys(store.spec.provider ?? {});
    const name = names[0];
    if (names.length !== 1 || name === undefined) {
      throw new InvalidStoreError(`spec.provider must name exactly one provider, found ${names.length}`);
    }
    const provider = this.#providers[name];
    if (!provider) {
      throw new InvalidStoreError(
        `provider "${name}" is not supported by this controller (supported: ${
          Object.keys(this.#providers).join(", ")
        })`,
      );
    }
    return provider;
  }

  /** A client for `store`, resolving credentials in `namespace` where the store's refs name none. */
  async get(store: StoreRef, namespace: string | undefined): Promise<SecretsClient> {
    // One client per store, however many namespaces use it — unless its credentials resolve per namespace: one
    // token acquisition and one challenge per store and vault, not per namespace.
    const scope = this.scopeOf(store, namespace);
    const id = `${storeKeyOfRef(store)}@${store.uid}/${store.resourceVersion}|${scope ?? ""}`;
    const now = Date.now();
    const entry = this.#entries.get(id);
    if (entry && now - entry.builtAt < this.#recheckMs) return entry.client;
    const provider = this.providerFor(store);
    const fresh = provider.newClient(store, scope, this.#credentials);
    if (!entry) {
      this.#remember(id, fresh, now, store);
      return fresh;
    }
    // Rebuilt on schedule: keep the old client (and its cached token) unless the credentials changed.
    const [oldClient, newClient] = await Promise.all([entry.client.catch(() => undefined), fresh]);
    if (oldClient && oldClient.fingerprint === newClient.fingerprint) {
      await newClient.close();
      entry.builtAt = now;
      return oldClient;
    }
    await oldClient?.close();
    this.#remember(id, Promise.resolve(newClient), now, store);
    return newClient;
  }

  #remember(id: string, client: Promise<SecretsClient>, now: number, store: StoreRef): void {
    // A store changed (new resourceVersion): close the clients of its older versions.
    const prefix = `${storeKeyOfRef(store)}@`;
    for (const [key, e] of this.#entries) {
      if (key.startsWith(prefix) && !key.startsWith(`${prefix}${store.uid}/${store.resourceVersion}|`)) {
        this.#entries.delete(key);
        void e.client.then((c) => c.close(), () => {});
      }
    }
    this.#entries.set(id, { client, builtAt: now });
    // A failed build is not remembered: the next attempt builds again.
    client.catch(() => {
      if (this.#entries.get(id)?.client === client) this.#entries.delete(id);
    });
  }

  /** Drops every client of a store (deleted, or its credentials were rejected). */
  invalidate(store: StoreKey): void {
    const prefix = `${store}@`;
    for (const [key, e] of this.#entries) {
      if (key.startsWith(prefix)) {
        this.#entries.delete(key);
        void e.client.then((c) => c.close(), () => {});
      }
    }
  }

  /** `kv_operator_provider_clients`: the clients cached. */
  registerGauge(registry: Registry): void {
    registry.gauge({
      name: "kv_operator_provider_clients",
      help: "Provider clients cached (one per store version and credential namespace)",
      collect: (g) => g.set(this.size),
    });
  }

  /** Number of live clients (for metrics). */
  get size(): number {
    return this.#entries.size;
  }
}
