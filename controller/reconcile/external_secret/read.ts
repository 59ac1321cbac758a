/**
 * The read stage: what an ExternalSecret needs from its provider, and reading it through the shared read cache.
 *
 * - {@link planReads} (pure): one read per `data[]` item — its cache key (store version, credential scope, the
 *   remote-ref fields that change the provider's answer), how fresh a value must be (`notBefore`) and how long a
 *   value read for it may serve others (`keepMs`); or why the spec cannot be read (a feature not supported yet).
 * - {@link readValues}: carries the reads out against a provider client and the {@link FetchCache} (one read per key
 *   per refresh window however many ExternalSecrets ask), then applies each remote ref's property, decoding and
 *   null-byte policy ({@link applyRemoteRef}).
 *
 * @module
 */
import { type RemoteRef, remoteRef } from "../../api/defaults.ts";
import type { ExternalSecret } from "../../api/types.ts";
import type { SecretsClient, StoreRef } from "../../providers/provider.ts";
import { applyRemoteRef } from "../../providers/values.ts";
import { type ReadKey, readKey, storeKey } from "../../runtime/keys.ts";
import { type FetchCache, refreshSpreadMs } from "../fetch_cache.ts";
import { type RefreshDecision, refreshIntervalMs } from "../refresh.ts";

/** One read: the value of `ref` goes to `secretKey`. */
export interface PlannedRead {
  secretKey: string;
  ref: RemoteRef;
  key: ReadKey;
}

/** What to read, and how fresh it must be. */
export interface ReadPlan {
  reads: PlannedRead[];
  /** Epoch ms: a value read before this does not serve (see `fetch_cache.ts`). */
  notBefore: number;
  /** How long a value read now may serve other ExternalSecrets. */
  keepMs: number;
}

/** Inputs of {@link planReads}. */
export interface ReadInput {
  es: ExternalSecret;
  store: StoreRef;
  /** Why the refresh runs (how fresh values must be). */
  fresh: RefreshDecision["fresh"];
  now: number;
  /** When the controller saw the ExternalSecret's last change (a forced sync reads after it). */
  changedAt?: number | undefined;
  /** The namespace the store's credentials resolve in for this ExternalSecret (referent auth), if any. */
  credentialScope?: string | undefined;
}

/** The spec asks for something this controller cannot read yet: the message says what. */
export interface Unsupported {
  unsupported: string;
}

/**
 * Plans the reads of a refresh. Every refresh wants a value newer than the one it has (refreshTime has whole
 * seconds, so "newer" means a later second); a forced one wants a read that started after the change that forced it
 * was seen (ExternalSecrets force-synced together still share such a read); a first sync accepts a value as old as
 * its interval's jitter spread, or any read that started after the ExternalSecret was created: whoever created it
 * wrote the vault before, so such a read already sees that write. That is what lets 10,000 ExternalSecrets found at
 * start-up over 100 keys cost about 100 reads, however long they take. (Not `changedAt`: our own finalizer patch
 * moves that past the reads of the ExternalSecrets synced just before.)
 */
export function planReads(input: ReadInput): ReadPlan | Unsupported {
  const { es, store, now } = input;
  if (es.spec.dataFrom?.length) return { unsupported: "spec.dataFrom is not supported yet by this controller" };
  if (es.spec.data?.some((item) => item.sourceRef)) {
    return { unsupported: "spec.data[].sourceRef is not supported yet by this controller" };
  }
  const interval = refreshIntervalMs(es);
  const lastRefresh = es.status?.refreshTime ? Date.parse(es.status.refreshTime) : 0;
  const newer = lastRefresh + 1000;
  const notBefore = input.fresh === "window"
    ? newer
    : input.fresh === "forced"
    ? Math.max(newer, input.changedAt ?? now)
    : Math.min(now - refreshSpreadMs(interval), firstSyncFloor(es));
  const keepMs = Math.min(25 * 3_600_000, Math.max(interval, 0) + refreshSpreadMs(interval));
  // Reads are shared by every ExternalSecret using the store with the same credentials: across namespaces, unless
  // referent authentication resolves credentials per namespace.
  const scope = input.credentialScope ?? "";
  const sk = storeKey(store.kind, store.name, store.namespace);
  const reads = (es.spec.data ?? []).map((item): PlannedRead => {
    const ref = remoteRef(item.remoteRef);
    return {
      secretKey: item.secretKey,
      ref,
      key: readKey(sk, store.uid, scope, ["value", ref.key, ref.version ?? "", ref.metadataPolicy]),
    };
  });
  return { reads, notBefore, keepMs };
}

/** Whole-second creation timestamps and a little clock skew between the apiserver and the controller. */
const CREATED_MARGIN_MS = 3000;

/** The oldest read a first sync may take: one that started after the ExternalSecret was created. */
function firstSyncFloor(es: ExternalSecret): number {
  const created = es.metadata.creationTimestamp ? Date.parse(es.metadata.creationTimestamp) : NaN;
  return Number.isNaN(created) ? Infinity : created + CREATED_MARGIN_MS;
}

/** The values read, by `secretKey`, and when the oldest of them was read (the status' refreshTime). */
export interface ReadResult {
  values: Record<string, Uint8Array>;
  fetchedAt: number;
}

/**
 * Reads the planned values through `cache`. `seen` is told every raw value read (the log redactor scrubs them). A
 * provider error rejects the whole read: nothing partial reaches the planner.
 */
export async function readValues(
  plan: ReadPlan,
  client: SecretsClient,
  cache: FetchCache,
  options: { now: number; signal?: AbortSignal | undefined; seen?: ((value: Uint8Array) => void) | undefined },
): Promise<ReadResult> {
  let fetchedAt = options.now;
  const entries = await Promise.all(plan.reads.map(async (r) => {
    const got = await cache.get(r.key, plan.notBefore, plan.keepMs, async () => {
      const value = await client.getSecret(
        {
          key: r.ref.key,
          ...(r.ref.version ? { version: r.ref.version } : {}),
          metadataPolicy: r.ref.metadataPolicy,
        },
        options.signal,
      );
      options.seen?.(value);
      return value;
    });
    fetchedAt = Math.min(fetchedAt, got.fetchedAt);
    return [r.secretKey, applyRemoteRef(got.value, r.ref)] as const;
  }));
  return { values: Object.fromEntries(entries), fetchedAt };
}
