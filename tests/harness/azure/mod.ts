// Azure emulators for tests and the demo: Key Vault (one HTTPS port per vault), Microsoft Entra ID's token
// endpoint (HTTPS), managed identity endpoints (IMDS and App Service forms, plain HTTP) and an admin API (plain
// HTTP), all on 127.0.0.1. The real Azure SDKs talk to them; see README.md for how to point a client at them.
import { adminHandler } from "./admin.ts";
import { ensureServerCertificate } from "./ca.ts";
import { type CounterSnapshot, type RecordFilter, RequestLog, type RequestRecord } from "./counters.ts";
import { entraHandler } from "./entra.ts";
import { FaultInjector, type Service } from "./faults.ts";
import { type Finished, type Handler, type RunningServer, startServer } from "./http.ts";
import {
  type Access,
  type ClientCertificate,
  type ClientCertificateAppOptions,
  type ClientSecretAppOptions,
  type FederatedIdentityOptions,
  IdentityRegistry,
  type ManagedIdentity,
  type ManagedIdentityOptions,
} from "./identities.ts";
import { imdsHandler } from "./imds.ts";
import { KEY_VAULT_RESOURCE, keyVaultHandler } from "./key_vault.ts";
import { ReadLimit, type ReadLimitOptions } from "./limits.ts";
import { isValidVaultName } from "./names.ts";
import { readSeedFile, type SeedData } from "./seed.ts";
import { type CreateCertificateInput, type CreateKeyInput, type Tags, Vault } from "./store.ts";
import { TokenIssuer } from "./tokens.ts";

export { type EmulatorCa, ensureEmulatorCa } from "./ca.ts";
export type { CounterSnapshot, RecordFilter, RequestRecord } from "./counters.ts";
export type {
  ErrorOutcome,
  FaultInjector,
  FaultMatch,
  FaultOutcome,
  FaultRule,
  FaultRuleState,
  Service,
} from "./faults.ts";
export type {
  Access,
  ClientCertificate,
  ClientCertificateAppOptions,
  ClientSecretAppOptions,
  FederatedIdentityOptions,
  ManagedIdentityOptions,
  VaultAccess,
} from "./identities.ts";
export { parseSeed, readSeedFile, type SeedData } from "./seed.ts";
export { KEY_VAULT_READ_LIMIT, KEY_VAULT_READ_WINDOW_MS, ReadLimit, type ReadLimitOptions } from "./limits.ts";

/** The tenant of the seed's ClusterSecretStore, so its manifests work against the emulator as they are. */
export const DEFAULT_TENANT_ID = "9b05fdb9-40c0-4f4a-a654-386013ae7d6a";
/** Loopback literal rather than "localhost": some machines resolve localhost to ::1 first, and we listen on IPv4. */
export const HOST = "127.0.0.1";

export interface AzureEmulatorOptions {
  /** Vault names to create, default ["demo"]. */
  vaults?: string[];
  /** Lifetime of issued access tokens, default 3600. Short ones exercise the SDKs' refresh paths. */
  tokenLifetimeSeconds?: number;
  /** Seed document (YAML or JSON, see README.md) applied after start. */
  seedFile?: string;
  /** Default tenant (vaults, managed identities, apps registered without one). */
  tenantId?: string;
  /**
   * First of a block of fixed ports: Entra = port, IMDS = port+1, admin = port+2, vaults = port+3, +4, ...
   * Absent or 0: every server on a free port.
   */
  port?: number;
  /** Seed of the PRNG behind fault `rate`s, default 1. */
  faultSeed?: number;
  /** Resource in the Key Vault challenge and required token audience; default https://vault.azure.net. */
  challengeResource?: string;
  /** IDENTITY_HEADER value the App Service form requires; default a random one. */
  identityHeader?: string;
  /** Where the CA lives; default ${XDG_CACHE_HOME:-$HOME/.cache}/kv-operator/emulator-ca. */
  caDir?: string;
  /** Called after every request (e.g. to log it). */
  onRequest?: (record: RequestRecord) => void;
  /**
   * Enforce Key Vault's read limit on every vault (each its own): at most `limit` GET/LIST per `windowMs` (default
   * 4,000 per 10 s), 429 with Retry-After beyond (`limits.ts`). Off when absent.
   */
  readLimit?: ReadLimitOptions;
}

export interface SetSecretOptions {
  contentType?: string;
  tags?: Tags;
  enabled?: boolean;
  notBefore?: Date;
  expires?: Date;
}

export interface StoredSecret {
  name: string;
  version: string;
  value: string;
  contentType?: string;
  tags?: Tags;
  enabled: boolean;
  /** Absolute id, as the SDK sees it. */
  id: string;
  deleted: boolean;
}

export interface AzureEmulators {
  /** Entra base URL: pass as `authorityHost` (or AZURE_AUTHORITY_HOST), e.g. https://127.0.0.1:PORT. */
  readonly authorityHost: string;
  readonly tenantId: string;
  /** Plain-HTTP base URL for AZURE_POD_IDENTITY_AUTHORITY_HOST (IMDS form). */
  readonly imdsEndpoint: string;
  /** IDENTITY_ENDPOINT value (App Service form); pair it with IDENTITY_HEADER = `identityHeader`. */
  readonly identityEndpoint: string;
  readonly identityHeader: string;
  /** Plain-HTTP base URL of the admin API (…/_admin/...). */
  readonly adminUrl: string;
  /** The CA to trust: NODE_EXTRA_CA_CERTS for node:https users (the Azure SDKs), caCerts for Deno fetch. */
  readonly caCertPath: string;
  readonly faults: FaultInjector;
  /** Lifetime of tokens issued from now on; may be changed at any time. */
  tokenLifetimeSeconds: number;

  vaultUrl(name: string): string;
  vaultNames(): string[];
  /** The vault's read limit (admitted and throttled counts), when `readLimit` is enforced. */
  readLimit(vault: string): ReadLimit | undefined;
  /** Starts another vault on its own port; returns its URL. */
  addVault(name: string): Promise<string>;

  addClientSecretApp(opts: ClientSecretAppOptions): void;
  addClientCertificateApp(opts: ClientCertificateAppOptions): ClientCertificate;
  addFederatedIdentity(opts: FederatedIdentityOptions): void;
  addManagedIdentity(opts: ManagedIdentityOptions): ManagedIdentity;
  /** Changes what one identity may do in one vault ("*" = every vault not named). */
  grant(clientId: string, vault: string, access: Access): void;
  /** A token as Entra would issue it (for tests of expired or foreign tokens); defaults: Key Vault audience, 1 h. */
  mintAccessToken(opts: { clientId: string; audience?: string; lifetimeSeconds?: number; tenantId?: string }): string;

  setSecret(vault: string, name: string, value: string, opts?: SetSecretOptions): { version: string; id: string };
  /** Reads a secret without HTTP, disabled and soft-deleted ones included; undefined when it does not exist. */
  getSecret(vault: string, name: string, version?: string): StoredSecret | undefined;
  /** Soft-deletes (or, with purge, removes) a secret without HTTP. */
  deleteSecret(vault: string, name: string, opts?: { purge?: boolean }): void;
  createKey(vault: string, name: string, opts?: CreateKeyInput): Promise<{ version: string; kid: string }>;
  createCertificate(
    vault: string,
    name: string,
    opts?: CreateCertificateInput,
  ): Promise<{ version: string; id: string; certPem: string }>;
  seed(data: SeedData): Promise<void>;

  counters(filter?: RecordFilter): CounterSnapshot;
  requests(filter?: RecordFilter): RequestRecord[];
  resetCounters(): void;
  stop(): Promise<void>;
}

class Emulators implements AzureEmulators {
  readonly faults: FaultInjector;
  readonly registry: IdentityRegistry;
  readonly issuer = new TokenIssuer();
  readonly log = new RequestLog();
  readonly vaults = new Map<string, { vault: Vault; server: RunningServer; readLimit?: ReadLimit }>();
  readonly servers: RunningServer[] = [];
  authorityHost = "";
  imdsEndpoint = "";
  identityEndpoint = "";
  adminUrl = "";
  tokenLifetimeSeconds: number;
  readonly identityHeader: string;
  #nextVaultPort: number;
  #stopped = false;

  constructor(
    readonly tenantId: string,
    readonly caCertPath: string,
    readonly tls: { certPem: string; keyPem: string },
    readonly options: AzureEmulatorOptions,
  ) {
    this.faults = new FaultInjector(options.faultSeed ?? 1);
    this.registry = new IdentityRegistry(tenantId);
    this.tokenLifetimeSeconds = options.tokenLifetimeSeconds ?? 3600;
    this.identityHeader = options.identityHeader ?? crypto.randomUUID();
    this.#nextVaultPort = options.port ? options.port + 3 : 0;
  }

  async serve(service: Service | "admin", handler: Handler, tls: boolean, port: number): Promise<RunningServer> {
    const server = await startServer({
      handler,
      port,
      ...(tls ? { tls: this.tls } : {}),
      ...(service === "admin" ? {} : { onFinished: (f: Finished) => this.#record(service, f) }),
    });
    this.servers.push(server);
    return server;
  }

  #record(service: Service, f: Finished): void {
    const record = this.log.add({
      at: Date.now() - Math.round(f.durationMs),
      service,
      ...(f.handled.vault !== undefined ? { vault: f.handled.vault } : {}),
      route: f.handled.route,
      caller: f.handled.caller,
      status: f.status,
      durationMs: Math.round(f.durationMs * 10) / 10,
      ...(f.handled.fault !== undefined ? { fault: f.handled.fault } : {}),
    });
    this.options.onRequest?.(record);
  }

  vaultUrl(name: string): string {
    const v = this.vaults.get(name);
    if (!v) throw new Error(`no vault ${name} (have: ${[...this.vaults.keys()].join(", ")})`);
    return `https://${HOST}:${v.server.port}`;
  }

  vaultNames(): string[] {
    return [...this.vaults.keys()];
  }

  readLimit(vault: string): ReadLimit | undefined {
    return this.vaults.get(vault)?.readLimit;
  }

  #vault(name: string): Vault {
    const v = this.vaults.get(name);
    if (!v) throw new Error(`no vault ${name} (have: ${[...this.vaults.keys()].join(", ")})`);
    return v.vault;
  }

  async addVault(name: string): Promise<string> {
    if (this.#stopped) throw new Error("emulators are stopped");
    if (!isValidVaultName(name)) throw new Error(`invalid vault name ${JSON.stringify(name)} (3-24 of a-z, 0-9, -)`);
    if (!this.vaults.has(name)) {
      const vault = new Vault(name);
      const readLimit = this.options.readLimit ? new ReadLimit(this.options.readLimit) : undefined;
      const handler = keyVaultHandler({
        registry: this.registry,
        issuer: this.issuer,
        faults: this.faults,
        tenantId: this.tenantId,
        authorityHost: () => this.authorityHost,
        resource: (this.options.challengeResource ?? KEY_VAULT_RESOURCE).replace(/\/$/, ""),
        ...(readLimit ? { readLimit } : {}),
      }, vault);
      const port = this.#nextVaultPort;
      if (port) this.#nextVaultPort++;
      const server = await this.serve("keyvault", handler, true, port);
      this.vaults.set(name, { vault, server, ...(readLimit ? { readLimit } : {}) });
    }
    return this.vaultUrl(name);
  }

  addClientSecretApp(opts: ClientSecretAppOptions): void {
    this.registry.addClientSecretApp(opts);
  }

  addClientCertificateApp(opts: ClientCertificateAppOptions): ClientCertificate {
    return this.registry.addClientCertificateApp(opts);
  }

  addFederatedIdentity(opts: FederatedIdentityOptions): void {
    this.registry.addFederatedIdentity(opts);
  }

  addManagedIdentity(opts: ManagedIdentityOptions): ManagedIdentity {
    return this.registry.addManagedIdentity(opts);
  }

  grant(clientId: string, vault: string, access: Access): void {
    this.registry.grant(clientId, vault, access);
  }

  mintAccessToken(opts: { clientId: string; audience?: string; lifetimeSeconds?: number; tenantId?: string }): string {
    const app = this.registry.apps.get(opts.clientId);
    const mi = this.registry.managed.get(opts.clientId);
    return this.issuer.mint({
      aud: opts.audience ?? this.options.challengeResource ?? KEY_VAULT_RESOURCE,
      tenantId: opts.tenantId ?? app?.tenantId ?? this.tenantId,
      clientId: opts.clientId,
      objectId: app?.objectId ?? mi?.objectId ?? crypto.randomUUID(),
    }, opts.lifetimeSeconds ?? this.tokenLifetimeSeconds).token;
  }

  setSecret(vault: string, name: string, value: string, opts: SetSecretOptions = {}): { version: string; id: string } {
    const v = this.#vault(vault).setSecret(name, {
      value,
      ...(opts.contentType !== undefined ? { contentType: opts.contentType } : {}),
      ...(opts.tags !== undefined ? { tags: opts.tags } : {}),
      ...(opts.enabled !== undefined ? { enabled: opts.enabled } : {}),
      ...(opts.notBefore ? { nbf: Math.floor(opts.notBefore.getTime() / 1000) } : {}),
      ...(opts.expires ? { exp: Math.floor(opts.expires.getTime() / 1000) } : {}),
    });
    const item = this.#vault(vault).secrets.get(name.toLowerCase());
    return { version: v.version, id: `${this.vaultUrl(vault)}/secrets/${item?.name ?? name}/${v.version}` };
  }

  getSecret(vault: string, name: string, version?: string): StoredSecret | undefined {
    const item = this.#vault(vault).secrets.get(name.toLowerCase());
    const v = version ? item?.versions.find((x) => x.version === version) : item?.versions.at(-1);
    if (!item || !v) return undefined;
    return {
      name: item.name,
      version: v.version,
      value: v.value,
      ...(v.contentType !== undefined ? { contentType: v.contentType } : {}),
      ...(v.tags !== undefined ? { tags: { ...v.tags } } : {}),
      enabled: v.attributes.enabled,
      id: `${this.vaultUrl(vault)}/secrets/${item.name}/${v.version}`,
      deleted: item.deleted !== undefined,
    };
  }

  deleteSecret(vault: string, name: string, opts: { purge?: boolean } = {}): void {
    const v = this.#vault(vault);
    if (!v.secrets.get(name.toLowerCase())?.deleted) v.deleteSecret(name);
    if (opts.purge) v.purgeSecret(name);
  }

  async createKey(vault: string, name: string, opts: CreateKeyInput = {}): Promise<{ version: string; kid: string }> {
    const v = await this.#vault(vault).createKey(name, opts);
    return { version: v.version, kid: `${this.vaultUrl(vault)}/keys/${name}/${v.version}` };
  }

  async createCertificate(
    vault: string,
    name: string,
    opts: CreateCertificateInput = {},
  ): Promise<{ version: string; id: string; certPem: string }> {
    const v = await this.#vault(vault).createCertificate(name, opts);
    return { version: v.version, id: `${this.vaultUrl(vault)}/certificates/${name}/${v.version}`, certPem: v.certPem };
  }

  async seed(data: SeedData): Promise<void> {
    for (const [vaultName, content] of Object.entries(data.vaults)) {
      await this.addVault(vaultName);
      const vault = this.#vault(vaultName);
      for (const [name, versions] of Object.entries(content.secrets)) {
        for (const version of versions) vault.setSecret(name, version);
      }
      for (const [name, key] of Object.entries(content.keys)) await vault.createKey(name, key);
      for (const [name, cert] of Object.entries(content.certificates)) await vault.createCertificate(name, cert);
    }
    for (const app of data.clientSecretApps) this.registry.addClientSecretApp(app);
    for (const fed of data.federatedIdentities) this.registry.addFederatedIdentity(fed);
    for (const mi of data.managedIdentities) this.registry.addManagedIdentity(mi);
    for (const rule of data.faults) this.faults.add(rule);
  }

  counters(filter?: RecordFilter): CounterSnapshot {
    return this.log.counters(filter);
  }

  requests(filter?: RecordFilter): RequestRecord[] {
    return this.log.records(filter);
  }

  resetCounters(): void {
    this.log.reset();
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.faults.stop();
    await Promise.all(this.servers.map((s) => s.close()));
  }
}

/** Starts Entra, IMDS, the admin API and the vaults; resolves when all listen. */
export async function startAzureEmulators(options: AzureEmulatorOptions = {}): Promise<AzureEmulators> {
  const cert = await ensureServerCertificate(options.caDir);
  const emulators = new Emulators(options.tenantId ?? DEFAULT_TENANT_ID, cert.caCertPath, cert, options);
  try {
    const base = options.port ?? 0;
    const ctx = {
      registry: emulators.registry,
      issuer: emulators.issuer,
      faults: emulators.faults,
      tokenLifetimeSeconds: () => emulators.tokenLifetimeSeconds,
    };
    const entra = await emulators.serve("entra", entraHandler(ctx), true, base);
    emulators.authorityHost = `https://${HOST}:${entra.port}`;
    const imds = await emulators.serve(
      "imds",
      imdsHandler({ ...ctx, identityHeader: emulators.identityHeader }),
      false,
      base && base + 1,
    );
    emulators.imdsEndpoint = `http://${HOST}:${imds.port}`;
    emulators.identityEndpoint = `http://${HOST}:${imds.port}/msi/token`;
    const admin = await emulators.serve("admin", adminHandler(emulators), false, base && base + 2);
    emulators.adminUrl = `http://${HOST}:${admin.port}`;
    for (const name of options.vaults ?? ["demo"]) await emulators.addVault(name);
    if (options.seedFile) await emulators.seed(await readSeedFile(options.seedFile));
  } catch (e) {
    await emulators.stop();
    throw e;
  }
  return emulators;
}
