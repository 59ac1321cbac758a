/**
 * The provider contract, shaped like ESO's `SecretsClient` (apis/externalsecrets/v1/provider.go) so that the
 * reconciler's semantics (NoSecretError → deletionPolicy, validation results → store conditions) carry over.
 *
 * A provider builds a {@link SecretsClient} for a store; the controller caches clients per store version and closes
 * them when the store changes. Values are bytes, as in a Kubernetes Secret.
 *
 * @module
 */
import type { ExternalSecretFind, SecretStoreSpec } from "../api/types.ts";

/** The provider has no such secret (Key Vault: 404). Drives `deletionPolicy`, like ESO's `esv1.NoSecretError`. */
export class NoSecretError extends Error {
  override readonly name = "NoSecretError";
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/**
 * A listing asked for with `maxPages` has more pages than that: reading each secret is cheaper than listing them all
 * (change detection falls back to one read per key).
 */
export class ListingTooLongError extends Error {
  override readonly name = "ListingTooLongError";
  constructor(readonly maxPages: number) {
    super(`the vault's listing is longer than ${maxPages} page(s)`);
  }
}

/** The store's configuration is wrong; retrying without a change to the store or its credentials cannot help. */
export class InvalidStoreError extends Error {
  override readonly name = "InvalidStoreError";
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/**
 * A provider call failed in a way worth retrying (throttling, 5xx, network). `retryAfterMs` is the provider's own
 * hint (Key Vault's `Retry-After`), which the work queue honours instead of its backoff when it is longer.
 */
export class ProviderError extends Error {
  override readonly name = "ProviderError";
  readonly retryAfterMs: number | undefined;
  readonly statusCode: number | undefined;
  constructor(message: string, options?: ErrorOptions & { retryAfterMs?: number; statusCode?: number }) {
    super(message, options);
    this.retryAfterMs = options?.retryAfterMs;
    this.statusCode = options?.statusCode;
  }
}

/** Outcome of validating a store, as ESO's `ValidationResult`. */
export type ValidationResult = "Ready" | "Unknown" | "Error";

/** What a store can do, as ESO's `SecretStoreCapabilities`. */
export type Capabilities = "ReadOnly" | "WriteOnly" | "ReadWrite";

/** Options of a write (`vault set`, PushSecret later). */
export interface PushOptions {
  contentType?: string;
  tags?: Record<string, string>;
  /** When the new version expires (Key Vault's `exp`). */
  expiresAt?: Date;
  /** Not valid before (Key Vault's `nbf`). */
  notBefore?: Date;
  /** `false`: the new version is written disabled (Key Vault serves it to nobody until enabled). */
  enabled?: boolean;
}

/**
 * What one read asks the provider for: the fields of a remote ref that change the provider's answer. `property`,
 * decoding and null-byte policy are applied after the read ({@link applyRemoteRef} in `values.ts`), so one read serves
 * every ExternalSecret that wants a different part of the same value.
 */
export interface ReadRef {
  key: string;
  version?: string;
  /** `Fetch`: the secret's metadata (tags) as JSON instead of its value. */
  metadataPolicy?: "None" | "Fetch";
  /**
   * Read by {@link SecretsClient.getSecretMap} only: ESO narrows the value to this gjson path (or, with Fetch, this
   * tag) before exploding it into keys. {@link SecretsClient.getSecret} ignores it (see `values.ts`).
   */
  property?: string;
}

/**
 * A value read and what the provider says about it, from the same call (no extra request): the version read and
 * its validity window (Key Vault's `exp` and `nbf` attributes), for expiry awareness.
 */
export interface SecretRead {
  value: Uint8Array;
  version?: string;
  /** When the version expires (Key Vault's `exp`), if set. */
  expiresAt?: Date;
  /** Not valid before (Key Vault's `nbf`), if set. */
  notBefore?: Date;
  updatedAt?: Date;
}

/** One entry of a vault's listing: what `dataFrom.find` filters on, and what tells a changed secret. */
export interface ListedSecret {
  name: string;
  enabled: boolean;
  tags: Record<string, string>;
  /**
   * When the secret's current version (or its attributes) last changed, epoch ms, if the provider says. A value read
   * after this (with a margin for clocks) is still the current one, so `find` need not read it again.
   */
  updatedAt?: number;
}

/** A client bound to one store (and, for referent authentication, one namespace). */
export interface SecretsClient {
  /** Changes when the client's credentials change; a cached client with another fingerprint is stale. */
  readonly fingerprint: string;
  /** Where its calls go (a vault's host): syncs waiting on one endpoint at once are capped. */
  readonly endpoint?: string;
  /** One value. Throws {@link NoSecretError} when the provider has no such secret. */
  getSecret(ref: ReadRef, signal?: AbortSignal): Promise<Uint8Array>;
  /** {@link SecretsClient.getSecret} with the version and validity the provider returned with it. */
  readSecret(ref: ReadRef, signal?: AbortSignal): Promise<SecretRead>;
  /** A JSON object value exploded into keys (`dataFrom.extract`). */
  getSecretMap(ref: ReadRef, signal?: AbortSignal): Promise<Record<string, Uint8Array>>;
  /** Every secret matching `find` (`dataFrom.find`): {@link listSecrets}, filtered, then one read per match. */
  getAllSecrets(find: ExternalSecretFind, signal?: AbortSignal): Promise<Record<string, Uint8Array>>;
  /**
   * The vault's secrets without their values (every page of the listing). With `maxPages`, throws
   * {@link ListingTooLongError} as soon as the listing turns out to have more pages than that (having asked for at
   * most `maxPages + 1`).
   */
  listSecrets(signal?: AbortSignal, options?: { maxPages?: number }): Promise<ListedSecret[]>;
  /** Writes a value; returns the new version. */
  pushSecret(key: string, value: Uint8Array, options?: PushOptions, signal?: AbortSignal): Promise<{ version: string }>;
  /** Deletes a value (ESO's `DeleteSecret`); a value that is already gone is no error. */
  deleteSecret(key: string, signal?: AbortSignal): Promise<void>;
  /** Whether the provider has the value (ESO's `SecretExists`). */
  secretExists(key: string, signal?: AbortSignal): Promise<boolean>;
  /** Checks that the client can authenticate. */
  validate(signal?: AbortSignal): Promise<ValidationResult>;
  /** Releases what the client holds. */
  close(): Promise<void>;
}

/** A store as the provider sees it: its kind, name, namespace (SecretStore only) and spec. */
export interface StoreRef {
  kind: "SecretStore" | "ClusterSecretStore";
  name: string;
  namespace?: string;
  uid: string;
  resourceVersion: string;
  spec: SecretStoreSpec;
}

/** Reads the Kubernetes objects a store's credentials live in. Implemented by the controller over its client. */
export interface CredentialSource {
  /**
   * The value of one key of a Secret, or a clear error naming the Secret and key when either is missing. With
   * `identifier`, the value names something (a client or tenant ID) and is not a secret: logs may show it.
   */
  secretValue(
    namespace: string,
    name: string,
    key: string,
    signal?: AbortSignal,
    options?: { identifier?: boolean },
  ): Promise<string>;
  /** A ServiceAccount's annotations (workload identity reads client and tenant ids from them). */
  serviceAccountAnnotations(namespace: string, name: string, signal?: AbortSignal): Promise<Record<string, string>>;
  /** A token for a ServiceAccount from the TokenRequest API. */
  serviceAccountToken(
    namespace: string,
    name: string,
    audiences: string[],
    signal?: AbortSignal,
  ): Promise<{ token: string; expiresAt: Date }>;
}

/** A provider: validates store specs and builds clients. */
export interface Provider {
  /** What stores of this provider can do: a `ReadOnly` provider is never written (`vault set` refuses). */
  readonly capabilities: Capabilities;
  /**
   * Whether the store's credentials resolve in each ExternalSecret's namespace (ESO's referent authentication: a
   * ClusterSecretStore whose credential refs name no namespace). Only then do clients and reads differ by namespace.
   */
  isReferent(store: StoreRef): boolean;
  /**
   * The Secrets a store reads its credentials from; `namespace` is undefined where it is each ExternalSecret's own
   * (referent authentication). The controller never writes these (a tenant could otherwise take them over).
   */
  credentialSecrets(store: StoreRef): { namespace?: string; name: string }[];
  /** Static checks of the spec (no I/O); returns warnings, throws {@link InvalidStoreError}. */
  validateStore(store: StoreRef): string[];
  /**
   * Builds a client. `namespace` is the namespace credentials resolve in for a SecretStore (its own) or a
   * ClusterSecretStore whose refs name no namespace ("referent authentication": the ExternalSecret's namespace).
   */
  newClient(store: StoreRef, namespace: string | undefined, credentials: CredentialSource): Promise<SecretsClient>;
}
