/**
 * An in-memory provider for planner and read-stage tests: a vault of versioned values and tags, with call counts
 * and injectable failures. It implements the same contract as the Azure provider, so code under test cannot tell
 * the difference; it does no I/O.
 *
 * @module
 */
import type { ExternalSecretFind } from "../../api/types.ts";
import {
  type Capabilities,
  type CredentialSource,
  InvalidStoreError,
  type ListedSecret,
  ListingTooLongError,
  NoSecretError,
  type Provider,
  ProviderError,
  type PushOptions,
  type ReadRef,
  type SecretRead,
  type SecretsClient,
  type StoreRef,
  type ValidationResult,
} from "../provider.ts";
import { explodeJsonObject, findFilter, selectProperty } from "../values.ts";

const LIST_PAGE_SIZE = 25;

interface Version {
  version: string;
  value: Uint8Array;
  tags: Record<string, string>;
  expiresAt?: Date;
  enabled: boolean;
  updatedAt: number;
}

/** The fake vault: shared by every client the fake provider builds. */
export class FakeVault {
  readonly #secrets = new Map<string, Version[]>();
  #seq = 0;
  /** Calls made, by method (`getSecret`, `pushSecret`, ...). */
  readonly calls = new Map<string, number>();
  /** Failures to throw, by method, consumed one per call. */
  readonly #failures = new Map<string, Error[]>();

  /** The fake vault's clock (epoch ms), for `updatedAt`. */
  now: () => number = Date.now;

  /** Writes a new version of `key` and returns its version id. */
  set(
    key: string,
    value: string | Uint8Array,
    tags: Record<string, string> = {},
    options: { expiresAt?: Date; enabled?: boolean } = {},
  ): string {
    const version = `v${++this.#seq}`;
    const bytes = typeof value === "string" ? new TextEncoder().encode(value) : value;
    const list = this.#secrets.get(key) ?? [];
    list.push({
      version,
      value: bytes,
      tags,
      enabled: options.enabled ?? true,
      updatedAt: this.now(),
      ...(options.expiresAt ? { expiresAt: options.expiresAt } : {}),
    });
    this.#secrets.set(key, list);
    return version;
  }

  /** Removes every version of `key`. */
  delete(key: string): void {
    this.#secrets.delete(key);
  }

  /** Makes the next call of `method` fail with `error` (several calls queue several failures). */
  failNext(method: string, error: Error = new ProviderError("injected failure", { statusCode: 500 })): void {
    const list = this.#failures.get(method) ?? [];
    list.push(error);
    this.#failures.set(method, list);
  }

  /** How often `method` was called. */
  count(method: string): number {
    return this.calls.get(method) ?? 0;
  }

  /** @internal Counts a call and throws an injected failure, if one is queued. */
  enter(method: string): void {
    this.calls.set(method, this.count(method) + 1);
    const e = this.#failures.get(method)?.shift();
    if (e) throw e;
  }

  /** @internal The version asked for, or NoSecretError. */
  find(key: string, version?: string): Version {
    const list = this.#secrets.get(key);
    const v = version ? list?.find((x) => x.version === version) : list?.at(-1);
    if (!v) {
      throw new NoSecretError(`secret "${key}"${version ? ` version ${version}` : ""} not found in the fake vault`);
    }
    return v;
  }

  /** @internal Names of the secrets held. */
  names(): string[] {
    return [...this.#secrets.keys()].sort();
  }
}

class FakeClient implements SecretsClient {
  readonly fingerprint = "fake";
  readonly #vault: FakeVault;

  constructor(vault: FakeVault) {
    this.#vault = vault;
  }

  async getSecret(ref: ReadRef): Promise<Uint8Array> {
    return (await this.readSecret(ref)).value;
  }

  readSecret(ref: ReadRef): Promise<SecretRead> {
    return Promise.resolve().then(() => {
      this.#vault.enter("getSecret");
      const v = this.#vault.find(ref.key, ref.version);
      const value = ref.metadataPolicy === "Fetch" ? new TextEncoder().encode(JSON.stringify(v.tags)) : v.value;
      return { value, version: v.version, ...(v.expiresAt ? { expiresAt: v.expiresAt } : {}) };
    });
  }

  /** As the Azure client: `property` narrows the value first; with Fetch, one key `<key>_<tag>` per tag. */
  getSecretMap(ref: ReadRef): Promise<Record<string, Uint8Array>> {
    return Promise.resolve().then(() => {
      this.#vault.enter("getSecretMap");
      const v = this.#vault.find(ref.key, ref.version);
      if (ref.metadataPolicy === "Fetch") {
        const enc = new TextEncoder();
        return Object.fromEntries(Object.entries(v.tags).map(([t, x]) => [`${ref.key}_${t}`, enc.encode(x)]));
      }
      const value = ref.property
        ? new TextEncoder().encode(selectProperty(new TextDecoder().decode(v.value), ref.property, ref.key))
        : v.value;
      return explodeJsonObject(value, ref.key);
    });
  }

  async getAllSecrets(find: ExternalSecretFind): Promise<Record<string, Uint8Array>> {
    const keep = findFilter(find);
    const out: Record<string, Uint8Array> = {};
    for (const s of (await this.listSecrets()).filter(keep)) out[s.name] = await this.getSecret({ key: s.name });
    return out;
  }

  /** Key Vault's pages hold 25 secrets; `maxPages` is checked against that. */
  listSecrets(_signal?: AbortSignal, options: { maxPages?: number } = {}): Promise<ListedSecret[]> {
    return Promise.resolve().then(() => {
      this.#vault.enter("listSecrets");
      const names = this.#vault.names();
      if (options.maxPages !== undefined && names.length > options.maxPages * LIST_PAGE_SIZE) {
        throw new ListingTooLongError(options.maxPages);
      }
      return names.map((name) => {
        const v = this.#vault.find(name);
        return { name, enabled: v.enabled, tags: { ...v.tags }, updatedAt: v.updatedAt };
      });
    });
  }

  pushSecret(key: string, value: Uint8Array, options: PushOptions = {}): Promise<{ version: string }> {
    return Promise.resolve().then(() => {
      this.#vault.enter("pushSecret");
      return {
        version: this.#vault.set(key, value, options.tags ?? {}, {
          ...(options.expiresAt ? { expiresAt: options.expiresAt } : {}),
          ...(options.enabled === false ? { enabled: false } : {}),
        }),
      };
    });
  }

  deleteSecret(key: string): Promise<void> {
    return Promise.resolve().then(() => {
      this.#vault.enter("deleteSecret");
      this.#vault.delete(key);
    });
  }

  secretExists(key: string): Promise<boolean> {
    return Promise.resolve().then(() => {
      this.#vault.enter("secretExists");
      return this.#vault.names().includes(key);
    });
  }

  validate(): Promise<ValidationResult> {
    return Promise.resolve().then(() => {
      this.#vault.enter("validate");
      return "Ready" as const;
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** A provider over a {@link FakeVault}; stores name it as `spec.provider.fake` (any object). */
export class FakeProvider implements Provider {
  readonly capabilities: Capabilities;
  readonly vault: FakeVault;

  constructor(vault: FakeVault = new FakeVault(), capabilities: Capabilities = "ReadWrite") {
    this.vault = vault;
    this.capabilities = capabilities;
  }

  credentialSecrets(_store: StoreRef): { namespace?: string; name: string }[] {
    return [];
  }

  isReferent(_store: StoreRef): boolean {
    return false;
  }

  validateStore(store: StoreRef): string[] {
    if (!("fake" in (store.spec.provider ?? {}))) throw new InvalidStoreError("spec.provider.fake is missing");
    return [];
  }

  newClient(store: StoreRef, _namespace: string | undefined, _credentials: CredentialSource): Promise<SecretsClient> {
    this.validateStore(store);
    return Promise.resolve(new FakeClient(this.vault));
  }
}
