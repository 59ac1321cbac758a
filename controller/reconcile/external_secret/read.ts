/**
 * The read stage: what an ExternalSecret needs from its provider, and reading it through the shared read cache.
 *
 * - {@link planReads} (pure): one read per `dataFrom[].extract` and `data[]` item — its cache key (store version, credential scope, the
 *   remote-ref fields that change the provider's answer), how fresh a value must be (`notBefore`) and how long a
 *   value read for it may serve others (`keepMs`); or why the spec cannot be read (a feature not supported yet).
 * - {@link readValues}: carries the reads out against a provider client and the {@link FetchCache} (one read per key
 *   per refresh window however many ExternalSecrets ask), then applies each remote ref's property, decoding and
 *   null-byte policy ({@link applyRemoteRef}; an extracted map's keys converted and checked first), and merges the
 *   results in ESO's order.
 *
 * @module
 */
import { deletionPolicy, type RemoteRef, remoteRef } from "../../api/defaults.ts";
import { compileGoRegexp } from "../../api/go_regexp.ts";
import type { ExternalSecret, ExternalSecretFind, ExternalSecretRewrite } from "../../api/types.ts";
import {
  InvalidStoreError,
  ListingTooLongError,
  NoSecretError,
  ProviderError,
  type SecretRead,
  type SecretsClient,
  type StoreRef,
} from "../../providers/provider.ts";
import { applyRemoteRef, checkNullBytes, decodeValue, findFilter } from "../../providers/values.ts";
import { TerminalError } from "../../runtime/work_queue.ts";
import { convertKeys, emptyMap, validateKeys } from "./data_keys.ts";
import type { MissingItem } from "./plan.ts";
import { rewriteKeys, rewriteProblem } from "./rewrite.ts";
import { type ReadKey, readKey, storeKey } from "../../runtime/keys.ts";
import type { ChangeDetector } from "../change_detection.ts";
import { type FetchCache, refreshSpreadMs } from "../fetch_cache.ts";
import { type RefreshDecision, refreshIntervalMs } from "../refresh.ts";

/** One read: the value of `data[index]`'s `ref` goes to `secretKey`. */
export interface ValueRead {
  kind: "value";
  index: number;
  secretKey: string;
  ref: RemoteRef;
  key: ReadKey;
  /** A secret's latest version: the store's listing can tell whether it changed since it was read. */
  listable: boolean;
}

/** One read: `dataFrom[index].extract`, a JSON object (or the metadata) exploded into keys. */
export interface ExtractRead {
  kind: "extract";
  index: number;
  ref: RemoteRef;
  rewrite: ExternalSecretRewrite[];
  key: ReadKey;
}

/**
 * One read: `dataFrom[index].find` — the store's listing (`key`, one per store and window however many
 * ExternalSecrets ask), filtered here, then each match's value under `valueKey(name)` (shared with `data[]` reads of
 * that name), read again only when the listing says the secret changed since.
 */
export interface FindRead {
  kind: "find";
  index: number;
  find: ExternalSecretFind;
  rewrite: ExternalSecretRewrite[];
  key: ReadKey;
  /** A match's value (the key `data[]` reads of that name use too). */
  valueKey: (name: string) => ReadKey;
}

/** One read of a refresh. `dataFrom` reads come first, in order, then `data[]`: later keys override earlier ones. */
export type PlannedRead = ValueRead | ExtractRead | FindRead;

/**
 * How long a value confirmed by listings (a find match, or a key under change detection) may be kept: it is valid as
 * long as the listing shows the secret unchanged.
 */
const LISTED_VALUE_KEEP_MS = 25 * 3_600_000;
/** How long after a listed change time a read is surely of that version. */
const UPDATED_MARGIN_MS = 2000;

/** What to read, and how fresh it must be. */
export interface ReadPlan {
  reads: PlannedRead[];
  /** Epoch ms: a value read before this does not serve (see `fetch_cache.ts`). */
  notBefore: number;
  /** How long a value read now may serve other ExternalSecrets. */
  keepMs: number;
  /**
   * deletionPolicy Delete or Merge: an item whose secret the provider does not have is skipped (and reported), not a
   * failure (ESO's `GetProviderSecretData`).
   */
  skipMissing: boolean;
  /** The store's listing for change detection (not `find`'s: that one is never cut short). */
  listKey: ReadKey;
  /** The ExternalSecret's refresh interval: how long keys read count as in use by the store. */
  windowMs: number;
  /**
   * A periodic refresh: listable values may be checked against the store's listing ({@link ChangeDetector}). A
   * forced or first sync reads each value (what the user asked for).
   */
  periodic: boolean;
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
  const unsupported = unsupportedIn(es);
  if (unsupported) return { unsupported };
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
  const valueKey = (ref: { key: string; version?: string | undefined; metadataPolicy: string }): ReadKey =>
    readKey(sk, store.uid, scope, ["value", ref.key, ref.version ?? "", ref.metadataPolicy]);
  const reads: PlannedRead[] = (es.spec.dataFrom ?? []).map((item, index): PlannedRead => {
    const rewrite = item.rewrite ?? [];
    // ESO looks at find before extract.
    if (item.find) {
      const key = readKey(sk, store.uid, scope, ["list"]);
      return {
        kind: "find",
        index,
        find: item.find,
        rewrite,
        key,
        valueKey: (name) => valueKey({ key: name, metadataPolicy: "None" }),
      };
    }
    const ref = remoteRef(item.extract!);
    const what = ["map", ref.key, ref.version ?? "", ref.metadataPolicy, ref.property ?? ""];
    return { kind: "extract", index, ref, rewrite, key: readKey(sk, store.uid, scope, what) };
  });
  (es.spec.data ?? []).forEach((item, index) => {
    const ref = remoteRef(item.remoteRef);
    // ESO's Azure provider returns a certificate's DER as it is: `property` applies to its metadata only.
    if (ref.key.startsWith("cert/") && ref.metadataPolicy !== "Fetch") delete ref.property;
    const listable = !ref.version && ref.metadataPolicy === "None" && !/^(key|cert)\//.test(ref.key);
    reads.push({ kind: "value", index, secretKey: item.secretKey, ref, key: valueKey(ref), listable });
  });
  return {
    reads,
    notBefore,
    keepMs,
    skipMissing: deletionPolicy(es) !== "Retain",
    listKey: readKey(sk, store.uid, scope, ["versions"]),
    windowMs: interval,
    periodic: input.fresh === "window",
  };
}

/** The first part of the spec this controller cannot read yet, said as a condition message; undefined if none. */
function unsupportedIn(es: ExternalSecret): string | undefined {
  const not = (what: string): string => `${what} is not supported yet by this controller`;
  if (es.spec.data?.some((item) => item.sourceRef)) return not("spec.data[].sourceRef");
  for (const [i, item] of (es.spec.dataFrom ?? []).entries()) {
    if (item.sourceRef) return not(`spec.dataFrom[${i}].sourceRef`);
    if (!item.extract && !item.find) return `spec.dataFrom[${i}] needs one of extract, find or sourceRef`;
    const pattern = item.find?.name?.regexp;
    const compiled = pattern ? compileGoRegexp(pattern) : undefined;
    if (compiled && !compiled.ok) return `spec.dataFrom[${i}].find.name.regexp: ${compiled.error}`;
    const problem = rewriteProblem(item.rewrite);
    if (problem) return `spec.dataFrom[${i}].${problem}`;
  }
  return undefined;
}

/** Whole-second creation timestamps and a little clock skew between the apiserver and the controller. */
const CREATED_MARGIN_MS = 3000;

/** The oldest read a first sync may take: one that started after the ExternalSecret was created. */
function firstSyncFloor(es: ExternalSecret): number {
  const created = es.metadata.creationTimestamp ? Date.parse(es.metadata.creationTimestamp) : NaN;
  return Number.isNaN(created) ? Infinity : created + CREATED_MARGIN_MS;
}

/** What was read for one `data[]` item: the remote key, the version and its validity (no extra provider call). */
export interface SourceInfo {
  remoteKey: string;
  version?: string;
  expiresAt?: Date;
  notBefore?: Date;
}

/** The values read, by `secretKey`, when the oldest of them was read (the status' refreshTime), and their sources. */
export interface ReadResult {
  values: Record<string, Uint8Array>;
  fetchedAt: number;
  /** Items skipped because the provider has no such secret ({@link ReadPlan.skipMissing}). */
  missing: MissingItem[];
  /** One per `data[]` item read, in spec order. */
  sources: SourceInfo[];
}

/**
 * Reads the planned values through `cache`, then merges them as ESO does: each `dataFrom` map in order, then each
 * `data[]` value (a later key overrides an earlier one). `seen` is told every raw value read (the log redactor
 * scrubs them). A provider error rejects the whole read: nothing partial reaches the planner.
 */
export async function readValues(
  plan: ReadPlan,
  client: SecretsClient,
  cache: FetchCache,
  options: {
    now: number;
    signal?: AbortSignal | undefined;
    seen?: ((value: Uint8Array) => void) | undefined;
    /** Change detection for periodic refreshes; without it every key is read each window. */
    changes?: ChangeDetector | undefined;
  },
): Promise<ReadResult> {
  let fetchedAt = options.now;
  const sources: SourceInfo[] = [];
  // In plan order: dataFrom items, then data[].
  const missed: (MissingItem | undefined)[] = [];
  const parts = await mapLimited(plan.reads, READS_IN_FLIGHT, async (r, i): Promise<Record<string, Uint8Array>> => {
    try {
      return await readOne(r);
    } catch (e) {
      if (!(plan.skipMissing && e instanceof NoSecretError)) throw e;
      missed[i] = {
        item: r.kind === "value" ? `spec.data[${r.index}]` : `spec.dataFrom[${r.index}]`,
        key: r.kind === "find" ? "find" : r.ref.key,
      };
      return {};
    }
  });
  const values = emptyMap<Uint8Array>();
  for (const part of parts) Object.assign(values, part);
  return {
    values,
    fetchedAt,
    missing: missed.filter((m) => m !== undefined),
    sources: sources.filter((s) => s !== undefined),
  };

  async function readOne(r: PlannedRead): Promise<Record<string, Uint8Array>> {
    if (r.kind === "find") {
      try {
        return await itemKeys(await readFind(r), r.rewrite, r.find, r.find.name?.regexp ?? "find");
      } catch (e) {
        throw inItem(e, `spec.dataFrom[${r.index}].find`);
      }
    }
    const read = { key: r.ref.key, ...(r.ref.version ? { version: r.ref.version } : {}) };
    if (r.kind === "value") {
      const listed = r.listable ? await unchangedSince(r.ref.key) : undefined;
      const notBefore = listed?.notBefore ?? plan.notBefore;
      const keepMs = listed ? LISTED_VALUE_KEEP_MS : plan.keepMs;
      const got = await cache.get<SecretRead>(r.key, notBefore, keepMs, async () => {
        const got = await client.readSecret({ ...read, metadataPolicy: r.ref.metadataPolicy }, options.signal);
        options.seen?.(got.value);
        return got;
      });
      // A value the listing confirms is as current as the listing.
      fetchedAt = Math.min(fetchedAt, listed?.listedAt ?? got.fetchedAt);
      sources[r.index] = sourceOf(r.ref.key, got.value);
      return { [r.secretKey]: applyRemoteRef(got.value.value, r.ref) };
    }
    try {
      const got = await cache.get(r.key, plan.notBefore, plan.keepMs, async () => {
        const map = await client.getSecretMap({
          ...read,
          metadataPolicy: r.ref.metadataPolicy,
          ...(r.ref.property ? { property: r.ref.property } : {}),
        }, options.signal);
        for (const value of Object.values(map)) options.seen?.(value);
        return map;
      });
      fetchedAt = Math.min(fetchedAt, got.fetchedAt);
      return await itemKeys(got.value, r.rewrite, r.ref, r.ref.key);
    } catch (e) {
      throw inItem(e, `spec.dataFrom[${r.index}].extract`);
    }
  }

  /**
   * Change detection: when the store's listing (one per window) is worth it, the oldest read of `name` that is still
   * its current version, and when the listing was made; undefined to read it as usual (listing too long or refused,
   * secret not listed or disabled: the read says why).
   */
  async function unchangedSince(name: string): Promise<{ notBefore: number; listedAt: number } | undefined> {
    const changes = options.changes;
    if (!changes) return undefined;
    changes.note(plan.listKey, name, options.now);
    if (!plan.periodic) return undefined;
    const listed = await viaListing(changes, name);
    changes.served(listed ? "list" : "get");
    return listed;
  }

  async function viaListing(
    changes: ChangeDetector,
    name: string,
  ): Promise<{ notBefore: number; listedAt: number } | undefined> {
    const decision = changes.decide(plan.listKey, plan.windowMs, options.now);
    if (decision.mode !== "list") return undefined;
    let listing;
    try {
      listing = await cache.get(
        plan.listKey,
        plan.notBefore,
        plan.keepMs,
        () => client.listSecrets(options.signal, { maxPages: decision.maxPages }),
      );
    } catch (e) {
      // Too long, or not allowed (an access policy may grant Get without List): read key by key for a while. Any
      // other failure (throttling, 5xx, network) fails this refresh as a GET's would: falling back to a GET per key
      // would multiply the calls to a vault that is already throttling.
      const denied = e instanceof ProviderError && (e.statusCode === 401 || e.statusCode === 403);
      if (!(e instanceof ListingTooLongError) && !denied) throw e;
      changes.fallBack(plan.listKey, options.now, denied ? "denied" : "too-long");
      return undefined;
    }
    const entry = changes.entry(listing.value, name);
    if (!entry?.enabled || entry.updatedAt === undefined) return undefined;
    return { notBefore: Math.min(entry.updatedAt + UPDATED_MARGIN_MS, listing.fetchedAt), listedAt: listing.fetchedAt };
  }

  /**
   * The listing (fresh for this window), filtered; each match's value from the read cache if it was read after the
   * listing says the secret last changed, else one GET. The listing's age is what counts as the item's read time.
   */
  async function readFind(r: FindRead): Promise<Record<string, Uint8Array>> {
    const listing = await cache.get(r.key, plan.notBefore, plan.keepMs, () => client.listSecrets(options.signal));
    fetchedAt = Math.min(fetchedAt, listing.fetchedAt);
    const matches = listing.value.filter(findFilter(r.find));
    const values = await Promise.all(matches.map(async (m) => {
      // A value read after this listing is at least as new as what it lists; one read well after the listed change
      // time (Key Vault's has whole seconds; clocks differ a little) is that version, so it serves until the next
      // change. A secret read within that margin of its change is read once more in a later window.
      const notBefore = m.updatedAt !== undefined
        ? Math.min(m.updatedAt + UPDATED_MARGIN_MS, listing.fetchedAt)
        : plan.notBefore;
      // The same entry as a data[] read of that name: a SecretRead, so either can serve the other.
      const got = await cache.get<SecretRead>(r.valueKey(m.name), notBefore, LISTED_VALUE_KEEP_MS, async () => {
        const read = await client.readSecret({ key: m.name, metadataPolicy: "None" }, options.signal);
        options.seen?.(read.value);
        return read;
      });
      return [m.name, got.value.value] as const;
    }));
    const out = emptyMap<Uint8Array>();
    for (const [name, value] of values) out[name] = value;
    return out;
  }
}

/**
 * ESO's order for one `dataFrom` item's map (handleExtractSecrets, handleFindAllSecrets): keys rewritten, or, when
 * there is no rewrite, converted by `conversionStrategy`; then checked; then every value decoded by
 * `decodingStrategy` and checked for NUL bytes.
 */
async function itemKeys(
  map: Record<string, Uint8Array>,
  rewrite: ExternalSecretRewrite[],
  opts: Pick<RemoteRef, "conversionStrategy" | "decodingStrategy" | "nullBytePolicy"> | ExternalSecretFind,
  where: string,
): Promise<Record<string, Uint8Array>> {
  const renamed = rewrite.length ? await rewriteKeys(rewrite, map) : convertKeys(opts.conversionStrategy, map);
  const keys = validateKeys(renamed);
  const out = emptyMap<Uint8Array>();
  for (const [k, v] of Object.entries(keys)) {
    const value = decodeValue(v, opts.decodingStrategy, `${where} (${k})`);
    checkNullBytes(value, opts.nullBytePolicy, `${where} (${k})`);
    out[k] = value;
  }
  return out;
}

/** `e` with `where` in front of its message, of the same kind (NoSecretError still drives deletionPolicy). */
function inItem(e: unknown, where: string): unknown {
  if (!(e instanceof Error)) return e;
  const message = `${where}: ${e.message}`;
  if (e instanceof NoSecretError) return new NoSecretError(message, { cause: e });
  if (e instanceof InvalidStoreError) return new InvalidStoreError(message, { cause: e });
  if (e instanceof TerminalError) return new TerminalError(message, { cause: e });
  return new Error(message, { cause: e });
}

function sourceOf(remoteKey: string, read: SecretRead): SourceInfo {
  return {
    remoteKey,
    ...(read.version ? { version: read.version } : {}),
    ...(read.expiresAt ? { expiresAt: read.expiresAt } : {}),
    ...(read.notBefore ? { notBefore: read.notBefore } : {}),
  };
}

/**
 * Reads one ExternalSecret has waiting at once. The vault's rate limit serves waiters in turn, so an ExternalSecret
 * with thousands of keys queues only this many at a time and the others' reads interleave with its own: it cannot
 * hold the vault's budget for everyone (its own sync takes as long as its share allows).
 */
export const READS_IN_FLIGHT = 8;

/** `items.map(fn)` with at most `limit` calls pending at once; results in order, the first failure rejects. */
export async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
