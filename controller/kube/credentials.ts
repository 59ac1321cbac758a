/**
 * Credential sources: where the bearer token / client certificate of each request comes from.
 *
 * A source is asked before every request (cheap: it caches) and told when the apiserver answered 401, so a rotated
 * token file or an exec plugin gets a chance to produce fresh credentials before the client retries once.
 *
 * @module
 */

import { KubeCredentialError } from "./errors.ts";
import { readFsError } from "./_fs.ts";

/** A client certificate and its private key, PEM (PKCS#8, PKCS#1 and SEC1 keys all work with Deno's TLS). */
export interface ClientCertificate {
  certPem: string;
  keyPem: string;
}

/** What to present on a request. Any combination may be set (e.g. mTLS plus a bearer token). */
export interface Credentials {
  token?: string;
  basic?: { username: string; password: string };
  clientCertificate?: ClientCertificate;
}

/** Supplies credentials per request and learns about rejections. */
export interface CredentialSource {
  /** Human-readable origin, for error messages (never the secret itself), e.g. `token file "/var/run/.../token"`. */
  readonly description: string;
  /** The credentials to use now. May read a file or run a plugin; implementations cache. */
  get(signal?: AbortSignal): Promise<Credentials>;
  /**
   * The apiserver answered 401 to a request made with `rejected`. Returns true when a new {@linkcode get} may
   * return different credentials (worth one retry), false when nothing can change.
   */
  invalidate(rejected: Credentials): boolean;
}

/** Credentials fixed at load time (kubeconfig `token`, `client-certificate-data`, `username`/`password`). */
export class StaticCredentials implements CredentialSource {
  readonly description: string;
  readonly #creds: Credentials;
  constructor(creds: Credentials, description = "static credentials") {
    this.#creds = creds;
    this.description = description;
  }
  get(): Promise<Credentials> {
    return Promise.resolve(this.#creds);
  }
  invalidate(): boolean {
    return false;
  }
}

/** Options of {@linkcode FileTokenSource}. */
export interface FileTokenSourceOptions {
  /** Re-read the file when the cached token is older than this (client-go: one minute). @default {60000} */
  refreshMs?: number;
  /** Clock, for tests. @default {Date.now} */
  now?: () => number;
}

/**
 * A bearer token read from a file and re-read periodically and after a 401, so rotation (kubelet's projected
 * service account tokens, `tokenFile` in a kubeconfig) is picked up without a restart. If a re-read fails while a
 * token is cached, the cached token keeps being used (as client-go does); the first read failing is an error.
 */
export class FileTokenSource implements CredentialSource {
  readonly description: string;
  readonly #path: string;
  readonly #refreshMs: number;
  readonly #now: () => number;
  #token: string | undefined;
  #readAt = -Infinity;
  #inflight: Promise<Credentials> | undefined;

  constructor(path: string, options: FileTokenSourceOptions = {}) {
    this.#path = path;
    this.#refreshMs = options.refreshMs ?? 60_000;
    this.#now = options.now ?? Date.now;
    this.description = `token file "${path}"`;
  }

  get(): Promise<Credentials> {
    if (this.#token !== undefined && this.#now() - this.#readAt < this.#refreshMs) {
      return Promise.resolve({ token: this.#token });
    }
    this.#inflight ??= this.#read().finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  invalidate(rejected: Credentials): boolean {
    if (rejected.token === this.#token) this.#readAt = -Infinity;
    return true;
  }

  async #read(): Promise<Credentials> {
    let text: string;
    try {
      text = await Deno.readTextFile(this.#path);
    } catch (e) {
      if (this.#token !== undefined) {
        this.#readAt = this.#now();
        return { token: this.#token };
      }
      throw new KubeCredentialError(`Cannot read bearer token: ${readFsError(e, this.#path)}`, { cause: e });
    }
    const token = text.trim();
    if (token === "") {
      if (this.#token !== undefined) {
        this.#readAt = this.#now();
        return { token: this.#token };
      }
      throw new KubeCredentialError(`Cannot read bearer token: ${this.description} is empty`);
    }
    this.#token = token;
    this.#readAt = this.#now();
    return { token };
  }
}

/**
 * Combines sources; later sources override fields of earlier ones (e.g. an exec plugin's token over a static
 * client certificate). A 401 invalidates every part.
 */
export class CompositeCredentials implements CredentialSource {
  readonly description: string;
  readonly #parts: readonly CredentialSource[];
  constructor(parts: readonly CredentialSource[]) {
    this.#parts = parts;
    this.description = parts.length === 0 ? "no credentials" : parts.map((p) => p.description).join(" + ");
  }
  async get(signal?: AbortSignal): Promise<Credentials> {
    if (this.#parts.length === 1) return await this.#parts[0]!.get(signal);
    const all = await Promise.all(this.#parts.map((p) => p.get(signal)));
    return Object.assign({}, ...all) as Credentials;
  }
  invalidate(rejected: Credentials): boolean {
    let any = false;
    for (const p of this.#parts) any = p.invalidate(rejected) || any;
    return any;
  }
}
