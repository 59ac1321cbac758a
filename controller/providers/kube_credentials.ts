/**
 * Reads the Kubernetes objects store credentials live in: credential Secrets, ServiceAccount annotations and
 * TokenRequest tokens, remembering Secret values for a short while so that many ExternalSecrets on one store cost
 * one read.
 *
 * @module
 */
import { requestServiceAccountToken } from "../kube/auth_api.ts";
import type { KubeClient } from "../kube/client.ts";
import { isNotFound } from "../kube/errors.ts";
import { secrets, serviceAccounts } from "../kube/resources.ts";
import { type CredentialSource, InvalidStoreError } from "./provider.ts";

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

  async secretValue(
    namespace: string,
    name: string,
    key: string,
    signal?: AbortSignal,
    options?: { identifier?: boolean },
  ): Promise<string> {
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
    // Client and tenant IDs are identifiers, not secrets: scrubbing them from logs would hide which identity failed.
    if (!options?.identifier) this.#onValue?.(value);
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
