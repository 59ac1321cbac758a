/**
 * One simulated cluster of `deno task bench:fleet`: a controller's ExternalSecret refresh path on the shipped code,
 * with the apiserver replaced by in-memory objects.
 *
 * Shipped code, as the controller runs it: the work queue (`runtime/work_queue.ts`: scheduling, requeues, back-off
 * with jitter, the retry bucket), the refresh rules and per-key jitter (`reconcile/refresh.ts`, `runtime/jitter.ts`),
 * the read stage (`planReads` + `readValues`), the read cache (`fetch_cache.ts`), the in-flight cap and the per-vault
 * rate limiter with its Retry-After gate (`runtime/rate_limiter.ts`, wired as `manager.ts` wires it), the client
 * cache and the Azure provider with the real SDK (`providers/`), and the planner (`planSync`: the Secret, the status
 * and when to come back), with the binary's defaults (`main.ts`'s own flag parser).
 *
 * Simulated: the apiserver. The ExternalSecrets, their status and the target Secrets are objects in this process:
 * a planned Secret write or status patch replaces the object at once (what the watch would show next), Events are
 * dropped, and the reconcile reads them directly instead of from informer caches. Each step mirrors
 * `ExternalSecretReconciler#sync` for this scenario (no finalizer patch, store gate or templateFrom: the
 * regcred shape has none of them).
 *
 * @module
 */
import type { ExternalSecret } from "../../controller/api/types.ts";
import { program } from "../../controller/main.ts";
import { StoreClientCache, storeRefOf } from "../../controller/providers/clients.ts";
import { DEFAULT_ENDPOINT_POLICY } from "../../controller/providers/azure/endpoints.ts";
import { AzureKeyVaultProvider } from "../../controller/providers/azure/provider.ts";
import type { CredentialSource, StoreRef } from "../../controller/providers/provider.ts";
import { ChangeDetector } from "../../controller/reconcile/change_detection.ts";
import { kubeTime } from "../../controller/reconcile/conditions.ts";
import { planReads, readValues } from "../../controller/reconcile/external_secret/read.ts";
import { planFailure, planSync } from "../../controller/reconcile/external_secret/plan.ts";
import { FetchCache, refreshSpreadMs } from "../../controller/reconcile/fetch_cache.ts";
import {
  decideRefresh,
  msUntilNextRefresh,
  refreshIntervalMs,
  summarizeSecret,
  type TargetSecret,
} from "../../controller/reconcile/refresh.ts";
import { keyFraction } from "../../controller/runtime/jitter.ts";
import { objectKey } from "../../controller/runtime/keys.ts";
import { HostRateLimiter, InFlightLimiter, InFlightLimitError } from "../../controller/runtime/rate_limiter.ts";
import { type Action, awaitChange, requeue, TerminalError, WorkQueue } from "../../controller/runtime/work_queue.ts";

export const NAMESPACE = "bench";
export const STORE = "azure-keyvault-cluster-store";
const CREDENTIALS = { namespace: "external-secrets", name: "azure-credentials" };

const pad = (i: number): string => String(i).padStart(5, "0");
/** The Key Vault secret ExternalSecret `i` reads, and its value at a version (the regcred shape). */
export const keyName = (k: number): string => `docker-config-json-${pad(k)}`;
export const keyValue = (k: number, version: number): string =>
  JSON.stringify({ auths: { [`registry-${k}.example.com`]: { auth: btoa(`robot-${k}:token-v${version}-${k}`) } } });

/** The shipped binary's settings that shape vault traffic, from its own flag parser (defaults unless overridden). */
export interface ControllerSettings {
  concurrency: number;
  ratePerSecond: number;
  burst: number;
  maxInFlight: number;
  requestTimeoutMs: number;
  /** `--enable-change-detection`: periodic refreshes list the store's versions and read only what changed. */
  changeDetection: boolean;
}

/** `main.ts`'s defaults, with `args` (its flags) applied. */
export function controllerSettings(args: readonly string[]): ControllerSettings {
  const f = program().exitOverride().parse([...args], { from: "user" }).opts();
  return {
    concurrency: f.concurrent,
    ratePerSecond: f.kvRequestsPerSecond,
    burst: f.kvBurst,
    maxInFlight: f.kvMaxInFlight ?? Math.max(1, Math.ceil(f.concurrent / 2)),
    requestTimeoutMs: f.azureRequestTimeout,
    changeDetection: f.enableChangeDetection,
  };
}

/**
 * What the simulation needs to know before it moves virtual time: which syncs are running, and which of them wait on
 * virtual time (the rate limiter, the in-flight cap, an SDK retry delay after a 429) rather than on real work.
 */
export interface IoTracker {
  /** A reconcile began / ended. */
  begin(): void;
  end(): void;
  /** A sync waits on virtual time / no longer does. */
  park(): void;
  unpark(): void;
  /** The vault answered 429: the SDK waits on virtual time before its retry (which passes `acquire` again). */
  throttled(): void;
  /** The SDK came back from such a wait (or gave up: the sync failed with the 429). */
  retried(): void;
}

/** What every simulated cluster shares: the vault, the identity provider, the scenario. */
export interface FleetScenario {
  vaultUrl: string;
  authorityHost: string;
  tenantId: string;
  interval: string;
  keys: number;
  externalSecrets: number;
  settings: ControllerSettings;
  io: IoTracker;
  /** Seeded randomness for the queues' back-off jitter. */
  random: () => number;
  /** The rotated key and its new value, once rotated. */
  rotation?: { key: number; value: string };
  /** Called when every ExternalSecret of the cluster reading the rotated key holds the new value. */
  onRotated(cluster: SimCluster): void;
}

/** One cluster: its own ExternalSecrets, queue, read cache, limiter, client cache and credential. */
export class SimCluster {
  readonly index: number;
  /** Syncs that failed (the queue retried them with back-off). */
  failedSyncs = 0;
  readonly #s: FleetScenario;
  readonly #es = new Map<string, ExternalSecret>();
  readonly #targets = new Map<string, TargetSecret>();
  readonly #holding = new Set<string>();
  #rotatedDone = false;
  readonly #queue: WorkQueue;
  readonly #fetches = new FetchCache();
  readonly #clients: StoreClientCache;
  readonly #inFlight: InFlightLimiter;
  readonly #store: StoreRef;
  /** One per controller, as the reconciler keeps it (absent with `--enable-change-detection=false`). */
  readonly #changes: ChangeDetector | undefined;

  constructor(scenario: FleetScenario, index: number, clientId: string, clientSecret: string) {
    this.index = index;
    this.#s = scenario;
    const st = scenario.settings;
    const limiter = new HostRateLimiter({ ratePerSecond: st.ratePerSecond, burst: st.burst });
    const io = scenario.io;
    const azure = new AzureKeyVaultProvider({
      authorityHost: scenario.authorityHost,
      disableChallengeResourceVerification: true,
      endpoints: {
        ...DEFAULT_ENDPOINT_POLICY,
        authorityHosts: [new URL(scenario.authorityHost).host],
        vaultHosts: [new URL(scenario.vaultUrl).host],
      },
      requestTimeoutMs: st.requestTimeoutMs,
      // As manager.ts wires it (countedBudget without the metrics); the tracker is told what waits on virtual time.
      budget: {
        acquire: async (host, signal) => {
          io.retried();
          io.park();
          try {
            await limiter.acquire(host, signal);
          } finally {
            io.unpark();
          }
        },
        throttled: (host, ms) => {
          io.throttled();
          limiter.block(host, ms);
        },
      },
    });
    const values: Record<string, string> = {
      "client-id": clientId,
      "client-secret": clientSecret,
      "tenant-id": scenario.tenantId,
    };
    this.#clients = new StoreClientCache({ azurekv: azure }, memoryCredentials(values));
    this.#inFlight = new InFlightLimiter({ max: st.maxInFlight });
    this.#changes = st.changeDetection ? new ChangeDetector() : undefined;
    this.#store = storeRefOf("ClusterSecretStore", {
      metadata: { name: STORE, uid: `store-${index}`, generation: 1 },
      spec: {
        provider: {
          azurekv: {
            tenantId: scenario.tenantId,
            vaultUrl: scenario.vaultUrl,
            authSecretRef: {
              clientId: { ...CREDENTIALS, key: "client-id" },
              clientSecret: { ...CREDENTIALS, key: "client-secret" },
            },
          },
        },
      },
    });
    this.#queue = new WorkQueue({
      name: "externalsecret",
      concurrency: st.concurrency,
      random: scenario.random,
      reconcile: async (key, ctx) => {
        scenario.io.begin();
        try {
          return await this.#reconcile(key, ctx.signal);
        } finally {
          scenario.io.end();
        }
      },
    });
  }

  /** Creates the ExternalSecrets (now, as a controller start finds them) and starts the queue. */
  start(signal: AbortSignal): Promise<void> {
    const created = kubeTime(new Date());
    for (let i = 0; i < this.#s.externalSecrets; i++) {
      const es = regcred(i, this.#s.keys, this.#s.interval, created, `${this.index}-${i}`);
      const key = objectKey(es.metadata);
      this.#es.set(key, es);
      // The informer's initial list goes in as low priority, as the controller adds it.
      this.#queue.add(key, "low");
    }
    return this.#queue.start(signal);
  }

  /** ExternalSecrets reading the rotated key that hold its new value. */
  get holding(): number {
    return this.#holding.size;
  }

  /** `ExternalSecretReconciler#sync` for this scenario, with the apiserver's part done in memory. */
  async #reconcile(key: string, signal: AbortSignal): Promise<Action> {
    const es = this.#es.get(key);
    if (!es) return awaitChange();
    const now = new Date();
    const earlyMs = Math.floor(keyFraction(key) * refreshSpreadMs(Math.max(0, refreshIntervalMs(es))));
    const target = this.#targets.get(key);
    const decision = decideRefresh(es, target, now, earlyMs);
    if (!decision.refresh) {
      const ms = msUntilNextRefresh(es, now, earlyMs);
      return ms === undefined ? awaitChange() : requeue(ms);
    }
    const reads = planReads({
      es,
      store: this.#store,
      fresh: decision.fresh,
      now: now.getTime(),
      credentialScope: this.#clients.scopeOf(this.#store, NAMESPACE),
    });
    if ("unsupported" in reads) throw new TerminalError(reads.unsupported);
    let read;
    try {
      const client = await this.#clients.get(this.#store, NAMESPACE);
      this.#s.io.park();
      const release = await this.#inFlight.acquire(client.endpoint ?? STORE, signal).finally(() => this.#s.io.unpark());
      const options = { now: now.getTime(), signal, changes: this.#changes };
      read = await readValues(reads, client, this.#fetches, options).finally(release);
    } catch (e) {
      if (e instanceof InFlightLimitError) return requeue(1000 + Math.floor(keyFraction(key) * 2000));
      // The SDK's last 429 is not followed by a retry: it gave up.
      if (statusOf(e) === 429) this.#s.io.retried();
      this.failedSyncs++;
      const failed = planFailure(es, `could not get secret data from provider: ${(e as Error).message}`, now);
      es.status = failed.status;
      throw e;
    }
    const plan = await planSync({
      es,
      target,
      values: read.values,
      sources: read.sources,
      now: new Date(read.fetchedAt),
      clock: new Date(),
      earlyMs,
    });
    if (plan.kind === "fail") {
      this.failedSyncs++;
      es.status = plan.status;
      throw new Error(plan.message, { cause: plan.cause });
    }
    if (plan.kind === "write") this.#write(key, plan.write.secret);
    es.status = plan.status;
    return plan.next;
  }

  /** The Secret write, as the apiserver would store it; and whether it now holds the rotated value. */
  #write(key: string, secret: Parameters<typeof summarizeSecret>[0]): void {
    const prior = this.#targets.get(key);
    const meta = { ...secret.metadata, uid: prior?.metadata.uid ?? `secret-${key}`, resourceVersion: "1" };
    this.#targets.set(key, summarizeSecret({ ...secret, metadata: meta }));
    const rotation = this.#s.rotation;
    if (!rotation || this.#rotatedDone) return;
    const index = Number(key.slice(key.lastIndexOf("-") + 1));
    if (index % this.#s.keys !== rotation.key) return;
    const b64 = secret.data?.[".dockerconfigjson"];
    const held = b64 !== undefined && new TextDecoder().decode(Uint8Array.fromBase64(b64)) === rotation.value;
    if (held) this.#holding.add(key);
    else this.#holding.delete(key);
    if (this.#holding.size === readersOf(rotation.key, this.#s.keys, this.#s.externalSecrets)) {
      this.#rotatedDone = true;
      this.#s.onRotated(this);
    }
  }
}

/** The HTTP status an error (or its cause) carries. */
function statusOf(e: unknown): number | undefined {
  for (let x = e, depth = 0; x instanceof Error && depth < 5; x = x.cause, depth++) {
    const status = (x as { statusCode?: unknown }).statusCode;
    if (typeof status === "number") return status;
  }
  return undefined;
}

/** How many of `n` ExternalSecrets read key `k` (ExternalSecret i reads key i mod keys). */
export function readersOf(k: number, keys: number, n: number): number {
  return Math.floor(n / keys) + (k < n % keys ? 1 : 0);
}

/** ExternalSecret `i` in the seed's regcred shape (`01-externalsecret-regcred.yaml`), reading key `i mod keys`. */
function regcred(i: number, keys: number, interval: string, created: string, uid: string): ExternalSecret {
  return {
    apiVersion: "external-secrets.io/v1",
    kind: "ExternalSecret",
    metadata: {
      name: `regcred-${pad(i)}`,
      namespace: NAMESPACE,
      uid,
      generation: 1,
      resourceVersion: "1",
      creationTimestamp: created,
    },
    spec: {
      refreshPolicy: "Periodic",
      refreshInterval: interval,
      secretStoreRef: { name: STORE, kind: "ClusterSecretStore" },
      target: {
        name: `regcred-${pad(i)}`,
        creationPolicy: "Owner",
        template: { type: "kubernetes.io/dockerconfigjson", data: { ".dockerconfigjson": "{{ .dockerconfig }}" } },
      },
      data: [{ secretKey: "dockerconfig", remoteRef: { key: keyName(i % keys) } }],
    },
  } as ExternalSecret;
}

/** The credentials Secret, in memory (the apiserver is simulated). */
function memoryCredentials(values: Record<string, string>): CredentialSource {
  const where = `${CREDENTIALS.namespace}/${CREDENTIALS.name}`;
  return {
    secretValue: (namespace, name, key) => {
      const v = `${namespace}/${name}` === where ? values[key] : undefined;
      return v === undefined
        ? Promise.reject(new Error(`Secret ${namespace}/${name} has no key ${key}`))
        : Promise.resolve(v);
    },
    serviceAccountAnnotations: () => Promise.reject(new Error("no ServiceAccounts in the fleet simulation")),
    serviceAccountToken: () => Promise.reject(new Error("no ServiceAccounts in the fleet simulation")),
  };
}
