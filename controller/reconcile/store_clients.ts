/**
 * Provider clients and the credentials they are built from.
 *
 * - {@link KubeCredentialSource} reads credential Secrets, ServiceAccount annotations and TokenRequest tokens,
 *   remembering Secret values for a short while so that many ExternalSecrets on one store cost one read.
 * - {@link StoreClientCache} keeps one client per store version (and per namespace for referent authentication),
 *   so tokens are reused across reconciles. A client older than `recheckMs` is rebuilt from fresh credentials and
 *   kept only if its fingerprint changed (a rotated client secret is picked up; an unchanged one keeps its token).
 *
 * @module
 */
import { requestServiceAccountToken } from "../kube/auth_api.ts";
import type { KubeClient } from "../kube/client.ts";
import { isNotFound } from "../kube/errors.ts";
import { secrets, serviceAccounts } from "../kube/resources.ts";
import {
  type CredentialSource,
  InvalidStoreError,
  type Provider,
  type SecretsClient,
  type StoreRef,
} from "../providers/provider.ts";

/** Reads credentials through the Kubernetes API. */
export class KubeCredentialSource implements CredentialSource {
  readonly #client: KubeClient;
  readonly #ttlMs: number;
  readonly #values = new Map<string, { at: number; data: Record<string, string> | undefined }>();
  readonly #onValue: ((value: string) => void) | undefined;

  constructor(client: KubeClient, options: { ttlMs?: number; onValue?: (value: string) => void } = {}) {
    this.#client = client;
    this.#ttlMs = options.ttlMs ?? 30_000;
    this.#onValue = options.onValue;
  }

  async secretValue(namespace: string, name: string, key: string, signal?: AbortSignal): Promise<string> {
    const id = `${namespace}/${name}`;
    let entry = this.#values.get(id);
    if (!entry || Date.now() - entry.at > this.#ttlMs) {
      let data: Record<string, string> | undefined;
      try {
        data = (await this.#client.get(secrets, name, { namespace, ...(signal ? { signal } : {}) })).data ?? {};
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      entry = { at: Date.now(), data };
      this.#values.set(id, entry);
    }
    if (!entry.data) throw new InvalidStoreError(`credentials Secret ${id} does not exist`);
    const b64 = entry.data[key];
    if (b64 === undefined) {
      throw new InvalidStoreError(
        `credentials Secret ${id} has no key "${key}" (it has: ${
          Object.keys(entry.data).sort().join(", ") || "no keys"
        })`,
      );
    }
    const value = new TextDecoder().decode(Uint8Array.fromBase64(b64));
    this.#onValue?.(value);
    return value;
  }

  async serviceAccountAnnotations(
    namespace: string,
    name: string,
    signal?: AbortSignal,
  ): Promise<Record<string, string>> {
    try {
      const sa = await this.#client.get(serviceAccounts, name, { namespace, ...(signal ? { signal } : {}) });
      return sa.metadata?.annotations ?? {};
    } catch (e) {
      if (isNotFound(e)) throw new InvalidStoreError(`ServiceAccount ${namespace}/${name} does not exist`);
      throw e;
    }
  }

  async serviceAccountToken(
    namespace: string,
    name: string,
    audiences: string[],
    signal?: AbortSignal,
  ): Promise<{ token: string; expiresAt: Date }> {
    try {
      const t = await requestServiceAccountToken(this.#client, namespace, name, {
        audiences,
        expirationSeconds: 3600,
        ...(signal ? { signal } : {}),
      });
      return { token: t.token, expiresAt: new Date(t.expiresAt) };
    } catch (e) {
      if (isNotFound(e)) throw new InvalidStoreError(`ServiceAccount ${namespace}/${name} does not exist`);
      throw e;
    }
  }

  /** Forgets remembered Secret values (after an authentication failure, to re-read rotated credentials). */
  forget(): void {
    this.#values.clear();
  }
}

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

/** The cache key of a store reference: `Kind/namespace/name` or `Kind/name`. */
export function storeKey(kind: string, name: string, namespace?: string): string {
  return namespace ? `${kind}/${namespace}/${name}` : `${kind}/${name}`;
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
    const id = `${storeKey(store.kind, store.name, store.namespace)}@${store.uid}/${store.resourceVersion}|${
      namespace ?? ""
    }`;
    const now = Date.now();
    const entry = this.#entries.get(id);
    if (entry && now - entry.builtAt < this.#recheckMs) return entry.client;
    const provider = this.providerFor(store);
    const fresh = provider.newClient(store, namespace, this.#credentials);
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
    const prefix = `${storeKey(store.kind, store.name, store.namespace)}@`;
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
  invalidate(kind: string, name: string, namespace?: string): void {
    const prefix = `${storeKey(kind, name, namespace)}@`;
    for (const [key, e] of this.#entries) {
      if (key.startsWith(prefix)) {
        this.#entries.delete(key);
        void e.client.then((c) => c.close(), () => {});
      }
    }
  }

  /** Number of live clients (for metrics). */
  get size(): number {
    return this.#entries.size;
  }
}
