/**
 * The ExternalSecret controller: what it watches and how a change maps to the ExternalSecrets to reconcile (ESO's
 * predicates and mappers):
 *
 * - an ExternalSecret, when its generation, labels, annotations, finalizers or deletion change — never for our own
 *   status writes;
 * - a managed Secret (the informer holds only Secrets with the managed label), to the ExternalSecrets targeting it,
 *   so drift and deletion are repaired at once;
 * - a store, to the ExternalSecrets using it, when its spec or readiness changed or it was deleted.
 *
 * @module
 */
import { targetName } from "../../api/defaults.ts";
import { FORCE_SYNC_ANNOTATION, isRotationToken } from "../../api/force_sync.ts";
import type { ClusterSecretStore, ExternalSecret, SecretStore } from "../../api/types.ts";
import type { Secret } from "../../kube/types.ts";
import { Controller, watches } from "../../runtime/controller.ts";
import type { Informer, InformerChange } from "../../runtime/informer.ts";
import { type ObjectKey, objectKey, storeKey, storeKeyOf } from "../../runtime/keys.ts";
import type { Logger } from "../../runtime/log.ts";
import type { Registry } from "../../runtime/metrics.ts";
import { type StoreClientCache, storeRefOf } from "../../providers/clients.ts";
import { withoutIgnored } from "../eso_hash.ts";
import { getCondition } from "../conditions.ts";
import type { TargetSecret } from "../refresh.ts";
import { type ExternalSecretDeps, ExternalSecretReconciler, FINALIZER, indexTargets } from "./reconciler.ts";

/** Index of ExternalSecrets by the target Secret they write (`namespace/name`). */
export const BY_TARGET = "target";
/** Index of ExternalSecrets by the store they use ({@link storeKey}). */
export const BY_STORE = "store";

/**
 * ESO's ExternalSecret predicate: metadata that is not status changed — less labels and annotations whose keys start
 * with one of `ignoredPrefixes` (`--ignored-metadata-prefixes`).
 */
export function esChanged(
  old: ExternalSecret | undefined,
  cur: ExternalSecret,
  ignoredPrefixes: readonly string[] = [],
): boolean {
  if (!old) return true;
  const a = old.metadata;
  const b = cur.metadata;
  const same = (x: Record<string, string> | undefined, y: Record<string, string> | undefined): boolean =>
    sameStringMap(withoutIgnored(x, ignoredPrefixes), withoutIgnored(y, ignoredPrefixes));
  return a.generation !== b.generation || a.deletionTimestamp !== b.deletionTimestamp ||
    !same(a.labels, b.labels) || !same(a.annotations, b.annotations) ||
    JSON.stringify(a.finalizers) !== JSON.stringify(b.finalizers);
}

/** The same keys with the same values, in any order. */
function sameStringMap(x: Record<string, string> = {}, y: Record<string, string> = {}): boolean {
  const keys = Object.keys(x);
  return keys.length === Object.keys(y).length && keys.every((k) => Object.hasOwn(y, k) && y[k] === x[k]);
}

/**
 * The only change is our finalizer being added (our own first write, or anyone's): nothing to reconcile, so its
 * watch event does not run the ExternalSecret again (ESO's predicate lets it through; that second run reads and
 * writes nothing).
 */
export function onlyFinalizerAdded(
  old: ExternalSecret | undefined,
  cur: ExternalSecret,
  ignoredPrefixes: readonly string[] = [],
): boolean {
  const before = old?.metadata.finalizers ?? [];
  const after = cur.metadata.finalizers ?? [];
  if (!old || before.includes(FINALIZER) || !after.includes(FINALIZER)) return false;
  const rest = after.filter((f) => f !== FINALIZER);
  if (rest.length !== before.length || rest.some((f, i) => f !== before[i])) return false;
  // Nothing else changed: ESO's predicate sees no change once our finalizer is taken out again.
  const { finalizers: _, ...meta } = cur.metadata;
  const asBefore = old.metadata.finalizers ? { ...meta, finalizers: old.metadata.finalizers } : meta;
  return !esChanged(old, { ...cur, metadata: asBefore }, ignoredPrefixes);
}

/** A store's change worth re-checking its ExternalSecrets: spec (generation) or Ready condition. */
export function storeChanged(
  old: SecretStore | ClusterSecretStore | undefined,
  cur: SecretStore | ClusterSecretStore,
): boolean {
  if (!old) return true;
  const ra = getCondition(old.status?.conditions, "Ready");
  const rb = getCondition(cur.status?.conditions, "Ready");
  return old.metadata.generation !== cur.metadata.generation || ra?.status !== rb?.status ||
    ra?.message !== rb?.message;
}

/** Index of stores by the Secrets they read credentials from (`namespace/name`, `*` for each ES's namespace). */
export const BY_CREDENTIALS = "credentials";

/** Indexes stores by their credentials Secrets, which the controller never writes; call before the informer starts. */
export function indexCredentials<S extends SecretStore | ClusterSecretStore>(
  informer: Informer<S, S>,
  kind: S["kind"],
  clients: Pick<StoreClientCache, "providerFor">,
): void {
  informer.addIndex(BY_CREDENTIALS, (store) => {
    try {
      const ref = storeRefOf(kind, store);
      return clients.providerFor(ref).credentialSecrets(ref).map((s) => `${s.namespace ?? "*"}/${s.name}`);
    } catch {
      return []; // not a provider this controller runs: its store reports that
    }
  });
}

/** Adds the indexes the controller maps by; call before the informer starts. */
export function indexExternalSecrets(informer: Informer<ExternalSecret, ExternalSecret>): void {
  informer.addIndex(BY_TARGET, (es) => [objectKey({ namespace: es.metadata.namespace, name: targetName(es) })]);
  informer.addIndex(BY_STORE, (es) => {
    const key = storeKeyOf(es.spec.secretStoreRef, es.metadata.namespace!);
    return key ? [key] : [];
  });
}

/** What the ExternalSecret controller is built from. */
export interface ExternalSecretControllerOptions
  extends Omit<ExternalSecretDeps, "changedAt" | "forget" | "targets" | "secretStores" | "clusterSecretStores"> {
  targets: Informer<Secret, TargetSecret>;
  secretStores: Informer<SecretStore, SecretStore>;
  clusterSecretStores: Informer<ClusterSecretStore, ClusterSecretStore>;
  concurrency: number;
  registry: Registry;
  log: Logger;
}

/** When each rotation token was first seen; bounded (old tokens go: a rotation force-syncs within seconds). */
class RotationClock {
  readonly #seen = new Map<string, number>();

  firstSeen(token: string, now: number = Date.now()): number {
    const at = this.#seen.get(token);
    if (at !== undefined) return at;
    for (const [k, t] of this.#seen) if (now - t > 10 * 60_000 || this.#seen.size >= 1000) this.#seen.delete(k);
    this.#seen.set(token, now);
    return now;
  }
}

/** Builds the ExternalSecret controller over its informers (indexes them; subscribe before they start). */
export function externalSecretController(o: ExternalSecretControllerOptions): Controller<ObjectKey, ExternalSecret> {
  // When each ExternalSecret's last spec/label/annotation change was seen: a forced sync reads after it. A rotation
  // (force-sync value written by `vault set --sync` after its vault write) counts from when it was first seen, so
  // the ExternalSecrets it force-syncs share one read.
  const changedAt = new Map<ObjectKey, number>();
  const rotations = new RotationClock();
  // The resourceVersion of each target Secret as our last write left it: that write's own watch event is not a
  // change to reconcile (the Secret is exactly what the sync wrote; anyone else's write has another version).
  const written = new Map<ObjectKey, string>();
  const reconciler = new ExternalSecretReconciler({
    ...o,
    changedAt: (key) => changedAt.get(key),
    forget: (key) => changedAt.delete(key),
    wroteSecret: (key, rv) => rv ? written.set(key, rv) : written.delete(key),
    credentialsOf: (ns, name) => {
      const ss = o.secretStores.keysBy(BY_CREDENTIALS, `${ns}/${name}`)[0];
      if (ss) return `SecretStore ${ss}`;
      const css = [
        ...o.clusterSecretStores.keysBy(BY_CREDENTIALS, `${ns}/${name}`),
        ...o.clusterSecretStores.keysBy(BY_CREDENTIALS, `*/${name}`),
      ][0];
      return css ? `ClusterSecretStore ${css}` : undefined;
    },
  });
  indexExternalSecrets(o.externalSecrets);
  indexCredentials(o.secretStores, "SecretStore", o.clients);
  indexCredentials(o.clusterSecretStores, "ClusterSecretStore", o.clients);
  indexTargets(o.targets);
  const byStore =
    (kind: "SecretStore" | "ClusterSecretStore") => (c: InformerChange<SecretStore | ClusterSecretStore>) => {
      const m = c.object.metadata;
      const key = kind === "SecretStore" ? storeKey(kind, m.name!, m.namespace) : storeKey(kind, m.name!);
      // A deleted store's values need not wait for their keep time to leave memory.
      if (c.type === "delete") o.fetches.forgetStore(key);
      return c.type === "delete" || storeChanged(c.old, c.object) ? o.externalSecrets.keysBy(BY_STORE, key) : [];
    };
  return new Controller<ObjectKey, ExternalSecret>({
    name: "externalsecret",
    primary: {
      informer: o.externalSecrets,
      key: (es) => objectKey(es.metadata),
      predicate: (c) => {
        const ignored = o.ignoredMetadataPrefixes;
        const changed = c.type === "apply" && esChanged(c.old, c.object, ignored) &&
          !onlyFinalizerAdded(c.old, c.object, ignored);
        if (changed) {
          const token = c.object.metadata.annotations?.[FORCE_SYNC_ANNOTATION];
          const forcedByOther = token !== c.old?.metadata.annotations?.[FORCE_SYNC_ANNOTATION] &&
            isRotationToken(token);
          changedAt.set(objectKey(c.object.metadata), forcedByOther ? rotations.firstSeen(token) : Date.now());
        }
        return changed;
      },
    },
    watches: [
      watches(o.targets, (c) => {
        const key = objectKey(c.object.metadata);
        const ours = written.get(key);
        if (ours !== undefined && (c.type === "delete" || ours === c.object.metadata.resourceVersion)) {
          written.delete(key);
          if (c.type === "apply") return [];
        }
        return o.externalSecrets.keysBy(BY_TARGET, key);
      }),
      watches(o.secretStores, byStore("SecretStore")),
      watches(o.clusterSecretStores, byStore("ClusterSecretStore")),
    ],
    reconcile: (key, ctx) => reconciler.reconcile(key, ctx.signal),
    concurrency: o.concurrency,
    registry: o.registry,
    log: o.log,
  });
}
