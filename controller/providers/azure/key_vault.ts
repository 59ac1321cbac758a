/**
 * The Azure Key Vault {@link SecretsClient}: reads and writes secrets with the official SDK, every call passing
 * through the vault's traffic budget (client-side rate limit, shared 429 back-off) and counted per ESO's
 * `externalsecret_provider_api_calls_count{provider="Azure/KeyVault",call,status}`.
 *
 * @module
 */
import type { PipelinePolicy } from "@azure/core-rest-pipeline";
import { CertificateClient } from "@azure/keyvault-certificates";
import { type JsonWebKey, KeyClient } from "@azure/keyvault-keys";
import { type KeyVaultSecret, SecretClient, type SecretProperties } from "@azure/keyvault-secrets";
import type { ExternalSecretFind } from "../../api/types.ts";
import {
  type ListedSecret,
  ListingTooLongError,
  NoSecretError,
  type PushOptions,
  type ReadRef,
  type SecretRead,
  type SecretsClient,
  type ValidationResult,
} from "../provider.ts";
import type { ResolvedAuth } from "./auth.ts";
import { retryAfterMs } from "../../runtime/rate_limiter.ts";
import { explodeJsonObject, findFilter, selectProperty } from "../values.ts";
import { type ErrorContext, mapAzureError } from "./errors.ts";
import { DEFAULT_AZURE_REQUEST_TIMEOUT_MS, RequestTimeoutError, timeoutHttpClient } from "./timeouts.ts";

/** Outgoing traffic control for one vault host, shared by every client of that vault. */
export interface VaultBudget {
  /** Waits until a request to `host` may be sent (rate limit; a 429's Retry-After blocks everyone). */
  acquire(host: string, signal?: AbortSignal): Promise<void>;
  /** Records that `host` answered 429 with this Retry-After. */
  throttled(host: string, retryAfterMs: number): void;
}

/** Receives one observation per HTTP call to Key Vault. */
export type CallObserver = (call: string, status: "success" | "error") => void;

/** ESO's call names for the requests the SDK sends. */
export function callName(method: string, path: string): string {
  if (/^\/secrets\/?$/.test(path)) return "GetSecrets";
  if (/^\/secrets\/[^/]+\/versions\/?$/.test(path)) return "GetSecrets";
  if (path.startsWith("/secrets/")) {
    return method === "PUT" ? "SetSecret" : method === "DELETE" ? "DeleteSecret" : "GetSecret";
  }
  if (path.startsWith("/keys/")) return method === "GET" ? "GetKey" : "ImportKey";
  if (path.startsWith("/certificates/")) return method === "GET" ? "GetCertificate" : "ImportCertificate";
  return `${method} ${path.split("/")[1] ?? ""}`;
}

/**
 * A pipeline policy run before every attempt (including the SDK's own retries): it waits for the vault's budget,
 * and reports 429s so that all callers of that vault back off, not just this one.
 */
export function budgetPolicy(
  host: string,
  budget: VaultBudget | undefined,
  observe: CallObserver | undefined,
): PipelinePolicy {
  return {
    name: "kvOperatorVaultBudget",
    async sendRequest(request, next) {
      if (budget) await budget.acquire(host, request.abortSignal as AbortSignal | undefined);
      const call = callName(request.method, new URL(request.url).pathname);
      try {
        const response = await next(request);
        if (response.status === 429 && budget) {
          budget.throttled(host, retryAfterMs(response.headers) ?? 1000);
        }
        // 401 is the bearer challenge that precedes every first call: part of the protocol, not a failure.
        if (response.status !== 401) {
          // As ESO: any failed call is an error, a 404 (missing secret) included.
          observe?.(call, response.status < 400 ? "success" : "error");
        }
        return response;
      } catch (e) {
        observe?.(call, "error");
        throw e;
      }
    },
  };
}

/** Splits ESO's `[secret|key|cert]/name` key (default `secret`). */
export function parseObjectKey(key: string): { type: "secret" | "key" | "cert"; name: string } {
  const parts = key.split("/");
  if (parts.length === 1) return { type: "secret", name: key };
  const [type, name] = parts;
  if ((type === "secret" || type === "key" || type === "cert") && name) return { type, name };
  throw new Error(`unknown Azure Keyvault object Type for key "${key}": use secret/<name>, key/<name> or cert/<name>`);
}

/** RFC 3339 in UTC with whole seconds, as Go's `time.RFC3339` formats it. */
function rfc3339(d: Date): string {
  return `${d.toISOString().slice(0, 19)}Z`;
}

/** Tags and dates of a secret, key or certificate. */
interface ObjectProperties {
  tags?: Record<string, string> | undefined;
  expiresOn?: Date | undefined;
  createdOn?: Date | undefined;
  updatedOn?: Date | undefined;
  notBefore?: Date | undefined;
}

function abort(signal: AbortSignal | undefined): { abortSignal?: AbortSignal } {
  return signal ? { abortSignal: signal } : {};
}

function base64url(b: Uint8Array | undefined): string | undefined {
  return b && b.length ? b.toBase64({ alphabet: "base64url", omitPadding: true }) : undefined;
}

/**
 * A key as ESO returns it (go-autorest's `JSONWebKey` marshalled): its fields in that struct's order, byte fields as
 * unpadded base64url, empty ones left out. Key Vault never returns private parts.
 */
export function jwkJson(k: JsonWebKey): Record<string, unknown> {
  const fields: [string, unknown][] = [
    ["kid", k.kid],
    ["kty", k.kty],
    ["key_ops", k.keyOps?.length ? k.keyOps : undefined],
    ["n", base64url(k.n)],
    ["e", base64url(k.e)],
    ["d", base64url(k.d)],
    ["dp", base64url(k.dp)],
    ["dq", base64url(k.dq)],
    ["qi", base64url(k.qi)],
    ["p", base64url(k.p)],
    ["q", base64url(k.q)],
    ["k", base64url(k.k)],
    ["key_hsm", base64url(k.t)],
    ["crv", k.crv],
    ["x", base64url(k.x)],
    ["y", base64url(k.y)],
  ];
  return Object.fromEntries(fields.filter(([, v]) => v !== undefined && v !== ""));
}

/**
 * A secret's, key's or certificate's tags and attributes, keyed as ESO's default Azure client keys them
 * (`getSecretAllMetadata`).
 */
export function secretMetadata(object: { properties: ObjectProperties }): Record<string, string> {
  const p = object.properties;
  const out: Record<string, string> = Object.assign(Object.create(null), p.tags ?? {});
  const set = (key: string, d: Date | undefined): void => {
    if (d) out[key] = rfc3339(d);
  };
  set("attribute.expires", p.expiresOn);
  set("attribute.created", p.createdOn);
  set("attribute.updated", p.updatedOn);
  set("attribute.notBefore", p.notBefore);
  return out;
}

/**
 * `dataFrom.extract` with metadataPolicy Fetch (ESO's `getSecretTags` + `getSecretMapProperties`): every tag as
 * `<name>_<tag>`, a tag holding a JSON object of strings exploded to `<name>_<tag>_<field>`, every attribute as
 * `<name>_attribute.<x>`. With `property`, only `<key>_<property>` (ESO names it after the key as written), and the
 * tag must exist.
 */
export function metadataMap(ref: ReadRef, name: string, metadata: Record<string, string>): Record<string, Uint8Array> {
  const enc = new TextEncoder();
  const all: Record<string, Uint8Array> = Object.create(null);
  for (const [tag, value] of Object.entries(metadata)) {
    const fields = tag.startsWith("attribute.") ? undefined : stringObject(value);
    if (fields) { for (const [k, v] of Object.entries(fields)) all[`${name}_${tag}_${k}`] = enc.encode(v); }
    else all[`${name}_${tag}`] = enc.encode(value);
  }
  if (!ref.property) return all;
  if (!Object.hasOwn(metadata, ref.property.split(".")[0]!) && !Object.hasOwn(metadata, ref.property)) {
    throw new Error(`tag ${ref.property} does not exist on key ${ref.key}`);
  }
  const wanted = `${ref.key}_${ref.property}`;
  return { [wanted]: all[wanted] ?? new Uint8Array() };
}

/** A JSON object whose values are all strings (Go's `json.Unmarshal` into `map[string]string`), or undefined. */
function stringObject(text: string): Record<string, string> | undefined {
  try {
    const doc: unknown = JSON.parse(text);
    if (doc === null || typeof doc !== "object" || Array.isArray(doc)) return undefined;
    return Object.values(doc).every((v) => typeof v === "string") ? doc as Record<string, string> : undefined;
  } catch {
    return undefined;
  }
}

/** Options of {@link AzureKeyVaultClient}. */
export interface KeyVaultClientOptions {
  vaultUrl: string;
  auth: ResolvedAuth;
  budget?: VaultBudget;
  observe?: CallObserver;
  /** Needed when the vault's challenge names a resource that does not match its host (emulators). */
  disableChallengeResourceVerification?: boolean;
  /** The resource validation asks a token for (`clouds.ts` `keyVaultResource`); default https://vault.azure.net. */
  tokenResource?: string;
  /** Time limit of each HTTP attempt to the vault. @default {15000} */
  requestTimeoutMs?: number;
}

/** Reads and writes one vault with one identity. */
export class AzureKeyVaultClient implements SecretsClient {
  readonly fingerprint: string;
  /** The vault's `URL.host`: what the controller caps in-flight syncs by. */
  readonly endpoint: string;
  readonly #client: SecretClient;
  readonly #keys: KeyClient;
  readonly #certs: CertificateClient;
  readonly #vaultUrl: string;
  readonly #auth: ResolvedAuth;
  readonly #tokenResource: string;
  /** Whether a call has got through (challenge learnt, token cached): from then on calls run side by side. */
  #warm = false;
  #turn: Promise<void> = Promise.resolve();
  /** A cold call that timed out, and when: the calls queued behind it share its outcome instead of each waiting. */
  #coldTimeout: { error: unknown; at: number } | undefined;

  constructor(options: KeyVaultClientOptions) {
    this.#vaultUrl = options.vaultUrl;
    this.#auth = options.auth;
    this.#tokenResource = (options.tokenResource ?? "https://vault.azure.net").replace(/\/+$/, "");
    this.fingerprint = options.auth.fingerprint;
    const host = this.endpoint = new URL(options.vaultUrl).host;
    // One pipeline configuration for the three object types: same budget, retries, timeout and identity.
    const clientOptions = {
      httpClient: timeoutHttpClient(options.requestTimeoutMs ?? DEFAULT_AZURE_REQUEST_TIMEOUT_MS),
      ...(options.disableChallengeResourceVerification ? { disableChallengeResourceVerification: true } : {}),
      // Few SDK retries: the controller's queue owns back-off, so a failing vault does not pin a worker for minutes.
      retryOptions: { maxRetries: 2, retryDelayInMs: 500, maxRetryDelayInMs: 4000 },
      additionalPolicies: [{
        policy: budgetPolicy(host, options.budget, options.observe),
        position: "perRetry" as const,
      }],
      userAgentOptions: { userAgentPrefix: "kv-operator" },
    };
    this.#client = new SecretClient(options.vaultUrl, options.auth.credential, clientOptions);
    this.#keys = new KeyClient(options.vaultUrl, options.auth.credential, clientOptions);
    this.#certs = new CertificateClient(options.vaultUrl, options.auth.credential, clientOptions);
  }

  /** The vault this client reads. */
  get vaultUrl(): string {
    return this.#vaultUrl;
  }

  /**
   * Runs `call` — one at a time until one call on this client has got through. A cold client's first request makes
   * the anonymous request that learns Key Vault's challenge and asks Entra ID for a token; concurrent first requests
   * would each do both (a cold start over many ExternalSecrets made dozens of 401s and several token requests).
   * "Got through" includes a 404: authentication worked.
   */
  async #single<T>(call: () => Promise<T>, warms = true): Promise<T> {
    if (this.#warm) return await call();
    const before = this.#turn;
    let release!: () => void;
    this.#turn = new Promise<void>((r) => release = r);
    try {
      await before;
      if (this.#warm) {
        release();
        return await call();
      }
      // The call ahead just timed out: a vault that does not answer would make each queued call wait in turn.
      if (this.#coldTimeout && Date.now() - this.#coldTimeout.at < 1000) throw this.#coldTimeout.error;
      try {
        const out = await call();
        this.#warm = warms;
        return out;
      } catch (e) {
        if ((e as { statusCode?: number }).statusCode === 404) this.#warm = warms;
        if (e instanceof RequestTimeoutError) this.#coldTimeout = { error: e, at: Date.now() };
        throw e;
      }
    } finally {
      release();
    }
  }

  /**
   * The raw value of `ref.key` at `ref.version` (latest when empty), or with metadataPolicy Fetch its metadata as a
   * JSON object: the tags plus `attribute.created`, `attribute.updated`, `attribute.expires` and
   * `attribute.notBefore` (RFC 3339, whole seconds, when set), as ESO's default (go-autorest) Azure client returns
   * them. `property`, decoding and null-byte checks are applied by the caller, so one read serves every
   * ExternalSecret that wants a different part of the same value.
   */
  async getSecret(ref: ReadRef, signal?: AbortSignal): Promise<Uint8Array> {
    return (await this.readSecret(ref, signal)).value;
  }

  /** {@link getSecret} with the version read and its `exp`/`nbf`/`updated` attributes, from the same response. */
  async readSecret(ref: ReadRef, signal?: AbortSignal): Promise<SecretRead> {
    const { type, name } = parseObjectKey(ref.key);
    const fetch = ref.metadataPolicy === "Fetch";
    const enc = new TextEncoder();
    if (type === "key") {
      const key = await this.#call(
        `key "${name}"`,
        ref.version,
        () => this.#keys.getKey(name, { ...(ref.version ? { version: ref.version } : {}), ...abort(signal) }),
      );
      return withAttributes(
        enc.encode(JSON.stringify(fetch ? secretMetadata(key) : jwkJson(key.key ?? {}))),
        key.properties,
      );
    }
    if (type === "cert") {
      const cert = await this.#call(
        `certificate "${name}"`,
        ref.version,
        () =>
          ref.version
            ? this.#certs.getCertificateVersion(name, ref.version, abort(signal))
            : this.#certs.getCertificate(name, abort(signal)),
      );
      const value = fetch ? enc.encode(JSON.stringify(secretMetadata(cert))) : cert.cer ?? new Uint8Array();
      return withAttributes(value, cert.properties);
    }
    const secret = await this.#read(name, ref.version, signal);
    const value = fetch ? enc.encode(JSON.stringify(secretMetadata(secret))) : enc.encode(secret.value ?? "");
    return withAttributes(value, secret.properties);
  }

  async #call<T>(what: string, version: string | undefined, call: () => Promise<T>): Promise<T> {
    try {
      return await this.#single(call);
    } catch (e) {
      throw mapAzureError(e, this.#context(`${what}${version ? ` version ${version}` : ""}`));
    }
  }

  async #read(name: string, version: string | undefined, signal?: AbortSignal): Promise<KeyVaultSecret> {
    const what = `secret "${name}"${version ? ` version ${version}` : ""}`;
    try {
      return await this.#single(() =>
        this.#client.getSecret(name, {
          ...(version ? { version } : {}),
          ...(signal ? { abortSignal: signal } : {}),
        })
      );
    } catch (e) {
      throw mapAzureError(e, this.#context(what));
    }
  }

  /**
   * `dataFrom.extract` (ESO's `GetSecretMap`): the value, narrowed by `ref.property`, exploded into one key per
   * top-level JSON member; with metadataPolicy Fetch the metadata instead, one key `<name>_<tag>` per tag (a tag
   * holding a JSON object of strings explodes to `<name>_<tag>_<field>`) and per attribute. Key and certificate
   * objects are refused, as ESO refuses them.
   */
  async getSecretMap(ref: ReadRef, signal?: AbortSignal): Promise<Record<string, Uint8Array>> {
    const { type, name } = parseObjectKey(ref.key);
    if (type !== "secret") {
      throw new Error(
        `dataFrom cannot read the Key Vault ${type === "cert" ? "certificate" : "key"} "${name}": only secrets can ` +
          "be extracted into keys",
      );
    }
    const secret = await this.#read(name, ref.version, signal);
    if (ref.metadataPolicy === "Fetch") return metadataMap(ref, name, secretMetadata(secret));
    let value = secret.value ?? "";
    if (ref.property) value = selectProperty(value, ref.property, ref.key);
    return explodeJsonObject(new TextEncoder().encode(value), ref.key);
  }

  /** `dataFrom.find` as ESO's `GetAllSecrets`: the listing, filtered, then the value of each match. */
  async getAllSecrets(find: ExternalSecretFind, signal?: AbortSignal): Promise<Record<string, Uint8Array>> {
    const keep = findFilter(find);
    const out: Record<string, Uint8Array> = Object.create(null);
    for (const s of (await this.listSecrets(signal)).filter(keep)) {
      out[s.name] = await this.getSecret({ key: s.name }, signal);
    }
    return out;
  }

  /**
   * Every page of the vault's secret listing (names, enabled, tags, updated; no values). With `maxPages`, a listing
   * with more pages than that costs `maxPages + 1` calls and throws {@link ListingTooLongError}.
   */
  async listSecrets(signal?: AbortSignal, options: { maxPages?: number } = {}): Promise<ListedSecret[]> {
    const out: ListedSecret[] = [];
    const pages = this.#client.listPropertiesOfSecrets({ ...(signal ? { abortSignal: signal } : {}) }).byPage();
    let pagesRead = 0;
    try {
      for await (const page of pages) {
        // The SDK's mapped pages do not say whether another follows, so the one past the budget is what tells.
        if (options.maxPages !== undefined && ++pagesRead > options.maxPages) {
          throw new ListingTooLongError(options.maxPages);
        }
        for (const p of page) {
          out.push({
            name: p.name,
            enabled: p.enabled !== false,
            tags: { ...p.tags },
            ...(p.updatedOn ? { updatedAt: p.updatedOn.getTime() } : {}),
          });
        }
      }
    } catch (e) {
      if (e instanceof ListingTooLongError) throw e;
      throw mapAzureError(e, this.#context("the list of secrets"));
    }
    return out;
  }

  async pushSecret(
    key: string,
    value: Uint8Array,
    options: PushOptions = {},
    signal?: AbortSignal,
  ): Promise<{ version: string }> {
    const { type, name } = parseObjectKey(key);
    if (type !== "secret") throw new Error(`Writing Key Vault ${type} objects is not supported: only secret/<name>`);
    try {
      const res = await this.#single(() =>
        this.#client.setSecret(name, new TextDecoder().decode(value), {
          ...(options.contentType ? { contentType: options.contentType } : {}),
          ...(options.enabled === false ? { enabled: false } : {}),
          ...(options.tags ? { tags: options.tags } : {}),
          ...(options.expiresAt ? { expiresOn: options.expiresAt } : {}),
          ...(options.notBefore ? { notBefore: options.notBefore } : {}),
          ...(signal ? { abortSignal: signal } : {}),
        })
      );
      return { version: res.properties.version ?? "" };
    } catch (e) {
      throw mapAzureError(e, this.#context(`secret "${name}"`));
    }
  }

  /** Deletes a secret (soft delete: Key Vault keeps it recoverable); a secret already gone is no error. */
  async deleteSecret(key: string, signal?: AbortSignal): Promise<void> {
    const { type, name } = parseObjectKey(key);
    if (type !== "secret") throw new Error(`Deleting Key Vault ${type} objects is not supported: only secret/<name>`);
    try {
      // The poller is not awaited: the delete is accepted once this returns; purging is Key Vault's business.
      await this.#single(() => this.#client.beginDeleteSecret(name, { ...(signal ? { abortSignal: signal } : {}) }));
    } catch (e) {
      const mapped = mapAzureError(e, this.#context(`secret "${name}"`));
      if (!(mapped instanceof NoSecretError)) throw mapped;
    }
  }

  /** Whether the vault has the secret (its latest version). */
  async secretExists(key: string, signal?: AbortSignal): Promise<boolean> {
    try {
      await this.getSecret({ key }, signal);
      return true;
    } catch (e) {
      if (e instanceof NoSecretError) return false;
      throw e;
    }
  }

  /**
   * Gets a token for Key Vault: proves the credential works without reading any secret. Asked exactly as the Key
   * Vault pipeline asks (`enableCae`), so that reads reuse this token: MSAL keeps CAE and non-CAE tokens in separate
   * caches, and a plain `getToken` would cost a second token exchange per client.
   */
  async validate(signal?: AbortSignal): Promise<ValidationResult> {
    try {
      // Serialised with a cold client's first request (one token request), but it learns no challenge: not warming.
      await this.#single(() =>
        this.#auth.credential.getToken(`${this.#tokenResource}/.default`, {
          enableCae: true,
          ...(signal ? { abortSignal: signal } : {}),
        }), false);
      return "Ready";
    } catch (e) {
      throw mapAzureError(e, this.#context("a token"));
    }
  }

  /** Every secret's properties (name, enabled, dates, tags, content type), never a value: `vault list`. */
  async listSecretProperties(signal?: AbortSignal): Promise<SecretInfo[]> {
    const out: SecretInfo[] = [];
    try {
      for await (const p of this.#client.listPropertiesOfSecrets(signal ? { abortSignal: signal } : {})) {
        out.push(secretInfo(p));
      }
    } catch (e) {
      throw mapAzureError(e, this.#context("the list of secrets"));
    }
    return out;
  }

  /** The properties of every version of secret `name`, newest first: `vault versions`. */
  async listSecretVersions(name: string, signal?: AbortSignal): Promise<SecretInfo[]> {
    const out: SecretInfo[] = [];
    try {
      for await (const p of this.#client.listPropertiesOfSecretVersions(name, signal ? { abortSignal: signal } : {})) {
        out.push(secretInfo(p));
      }
    } catch (e) {
      throw mapAzureError(e, this.#context(`the versions of secret "${name}"`));
    }
    return out.sort((a, b) => (b.createdOn ?? "").localeCompare(a.createdOn ?? ""));
  }

  /** The value and properties of secret `name` (latest version unless `version`): `vault get`. */
  async getSecretWithProperties(
    name: string,
    version?: string,
    signal?: AbortSignal,
  ): Promise<{ value: string; info: SecretInfo }> {
    try {
      const s = await this.#client.getSecret(name, {
        ...(version ? { version } : {}),
        ...(signal ? { abortSignal: signal } : {}),
      });
      return { value: s.value ?? "", info: secretInfo(s.properties) };
    } catch (e) {
      throw mapAzureError(e, this.#context(`secret "${name}"${version ? ` version ${version}` : ""}`));
    }
  }

  #context(what: string): ErrorContext {
    return {
      what,
      vaultUrl: this.#vaultUrl,
      identity: this.#auth.identity,
      redact: this.#auth.redact,
      ...(this.#auth.lastTimeout ? { lastTimeout: this.#auth.lastTimeout } : {}),
      ...(this.#auth.authority ? { authority: this.#auth.authority } : {}),
    };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** What `vault list|versions|get` show about a secret version (never its value). */
export interface SecretInfo {
  name: string;
  version: string;
  enabled: boolean;
  createdOn?: string;
  updatedOn?: string;
  expiresOn?: string;
  contentType?: string;
  tags: Record<string, string>;
}

function secretInfo(p: SecretProperties): SecretInfo {
  const info: SecretInfo = { name: p.name, version: p.version ?? "", enabled: p.enabled !== false, tags: p.tags ?? {} };
  if (p.createdOn) info.createdOn = p.createdOn.toISOString();
  if (p.updatedOn) info.updatedOn = p.updatedOn.toISOString();
  if (p.expiresOn) info.expiresOn = p.expiresOn.toISOString();
  if (p.contentType) info.contentType = p.contentType;
  return info;
}

/** A value read with the version and validity attributes that came with it (no extra call). */
function withAttributes(
  value: Uint8Array,
  p: {
    version?: string | undefined;
    expiresOn?: Date | undefined;
    notBefore?: Date | undefined;
    updatedOn?: Date | undefined;
  },
): SecretRead {
  return {
    value,
    ...(p.version ? { version: p.version } : {}),
    ...(p.expiresOn ? { expiresAt: p.expiresOn } : {}),
    ...(p.notBefore ? { notBefore: p.notBefore } : {}),
    ...(p.updatedOn ? { updatedAt: p.updatedOn } : {}),
  };
}
