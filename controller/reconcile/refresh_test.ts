import assert from "node:assert/strict";
import type { ExternalSecret } from "../api/types.ts";
import type { Secret } from "../kube/types.ts";
import { dataHash, syncedResourceVersion } from "./eso_hash.ts";
import {
  ANNOTATION_DATA_HASH,
  decideRefresh,
  isSecretValid,
  LABEL_MANAGED,
  msUntilNextRefresh,
  parseGoDuration,
  shouldRefresh,
  summarizeSecret,
  type TargetSecret,
} from "./refresh.ts";

const NOW = new Date("2026-11-28T12:00:00Z");
const ago = (ms: number): string => new Date(NOW.getTime() - ms).toISOString();

function es(spec: Partial<ExternalSecret["spec"]> = {}, status?: ExternalSecret["status"]): ExternalSecret {
  const metadata = { name: "regcred", namespace: "jenkins", uid: "u1", generation: 1 };
  return {
    apiVersion: "external-secrets.io/v1",
    kind: "ExternalSecret",
    metadata,
    spec: { refreshInterval: "1h", data: [{ secretKey: "k", remoteRef: { key: "k" } }], ...spec },
    ...(status ? { status } : {}),
  };
}

function syncedAt(e: ExternalSecret, when: string): ExternalSecret {
  return { ...e, status: { refreshTime: when, syncedResourceVersion: syncedResourceVersion(e.metadata) } };
}

function managedSecret(data: Record<string, string>, hashOf = data): TargetSecret {
  const bytes = (m: Record<string, string>): Record<string, Uint8Array> =>
    Object.fromEntries(Object.entries(m).map(([k, v]) => [k, new TextEncoder().encode(v)]));
  const secret: Secret = {
    metadata: {
      name: "regcred",
      namespace: "jenkins",
      labels: { [LABEL_MANAGED]: "true" },
      annotations: { [ANNOTATION_DATA_HASH]: dataHash(bytes(hashOf)) },
    },
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, btoa(v)])),
  };
  return summarizeSecret(secret);
}

Deno.test("parseGoDuration() reads Go durations", () => {
  assert.equal(parseGoDuration("24h"), 86_400_000);
  assert.equal(parseGoDuration("1h30m"), 5_400_000);
  assert.equal(parseGoDuration("1.5h"), 5_400_000);
  assert.equal(parseGoDuration("90s"), 90_000);
  assert.equal(parseGoDuration("250ms"), 250);
  assert.equal(parseGoDuration("0"), 0);
  assert.equal(parseGoDuration("0s"), 0);
  assert.equal(parseGoDuration("1h0m0s"), 3_600_000);
  assert.throws(() => parseGoDuration("1 hour"), /Cannot parse duration "1 hour"/);
  assert.throws(() => parseGoDuration("10"), RangeError);
});

Deno.test("shouldRefresh() Periodic: never synced, interval elapsed or not, metadata changed", () => {
  assert.equal(shouldRefresh(es(), NOW).refresh, true);
  const fresh = syncedAt(es(), ago(10 * 60_000));
  assert.equal(shouldRefresh(fresh, NOW).refresh, false);
  const stale = syncedAt(es(), ago(61 * 60_000));
  assert.deepEqual(shouldRefresh(stale, NOW), { refresh: true, reason: "refreshInterval elapsed", fresh: "window" });
  const annotated = { ...fresh, metadata: { ...fresh.metadata, annotations: { "force-sync": "1" } } };
  assert.equal(shouldRefresh(annotated, NOW).refresh, true);
  assert.equal(shouldRefresh(annotated, NOW).fresh, "forced");
  assert.equal(shouldRefresh(es(), NOW).fresh, "new");
  const future = syncedAt(es(), new Date(NOW.getTime() + 60_000).toISOString());
  assert.equal(shouldRefresh(future, NOW).refresh, true);
});

Deno.test("shouldRefresh() with refreshInterval 0 syncs once and then ignores even a force-sync", () => {
  const zero = es({ refreshInterval: "0" });
  assert.equal(shouldRefresh(zero, NOW).refresh, true);
  const synced = syncedAt(zero, ago(1000));
  assert.equal(shouldRefresh(synced, NOW).refresh, false);
  const forced = { ...synced, metadata: { ...synced.metadata, annotations: { "force-sync": "2" } } };
  assert.equal(shouldRefresh(forced, NOW).refresh, false);
});

Deno.test("shouldRefresh() CreatedOnce and OnChange", () => {
  const once = es({ refreshPolicy: "CreatedOnce" });
  assert.equal(shouldRefresh(once, NOW).refresh, true);
  const onceSynced = syncedAt(once, ago(48 * 3_600_000));
  assert.equal(shouldRefresh(onceSynced, NOW).refresh, false);
  const onceAnnotated = { ...onceSynced, metadata: { ...onceSynced.metadata, annotations: { x: "y" } } };
  assert.equal(shouldRefresh(onceAnnotated, NOW).refresh, false);

  const onChange = syncedAt(es({ refreshPolicy: "OnChange" }), ago(48 * 3_600_000));
  assert.equal(shouldRefresh(onChange, NOW).refresh, false);
  const changed = { ...onChange, metadata: { ...onChange.metadata, generation: 2 } };
  assert.equal(shouldRefresh(changed, NOW).refresh, true);
});

Deno.test("isSecretValid() needs the managed label and a matching data hash", () => {
  const e = es();
  assert.equal(isSecretValid(e, undefined), false);
  assert.equal(isSecretValid(e, managedSecret({ a: "1" })), true);
  assert.equal(isSecretValid(e, managedSecret({ a: "edited" }, { a: "1" })), false);
  const unlabelled = managedSecret({ a: "1" });
  delete unlabelled.metadata.labels;
  assert.equal(isSecretValid(e, unlabelled), false);
  assert.equal(isSecretValid(es({ target: { creationPolicy: "Orphan" } }), undefined), true);
});

Deno.test("decideRefresh() repairs a missing or edited target between refreshes", () => {
  const fresh = syncedAt(es(), ago(60_000));
  assert.equal(decideRefresh(fresh, managedSecret({ a: "1" }), NOW).refresh, false);
  assert.deepEqual(decideRefresh(fresh, undefined, NOW), {
    refresh: true,
    reason: "target Secret is missing",
    fresh: "window",
  });
  assert.equal(
    decideRefresh(fresh, managedSecret({ a: "x" }, { a: "1" }), NOW).reason,
    "target Secret was changed by someone else",
  );
});

Deno.test("msUntilNextRefresh() is interval minus age, none for 0 or non-polling policies", () => {
  assert.equal(msUntilNextRefresh(syncedAt(es(), ago(10 * 60_000)), NOW), 50 * 60_000);
  assert.equal(msUntilNextRefresh(syncedAt(es(), ago(2 * 3_600_000)), NOW), 0);
  assert.equal(msUntilNextRefresh(syncedAt(es({ refreshInterval: "0" }), ago(1)), NOW), undefined);
  assert.equal(msUntilNextRefresh(es({ refreshPolicy: "OnChange" }), NOW), undefined);
});

Deno.test("summarizeSecret() keeps metadata, key names and a hash, never the values", () => {
  const t = managedSecret({ password: "hunter2", user: "admin" });
  assert.deepEqual(t.keys, ["password", "user"]);
  assert.ok(!JSON.stringify(t).includes(btoa("hunter2")));
  assert.ok(!JSON.stringify(t).includes("hunter2"));
});

Deno.test("shouldRefresh() and msUntilNextRefresh() agree on an early refresh", () => {
  const e = syncedAt(es(), ago(59 * 60_000)); // 1 min before the 1h interval elapses
  assert.equal(shouldRefresh(e, NOW).refresh, false);
  assert.equal(shouldRefresh(e, NOW, 90_000).refresh, true, "90 s early: due now");
  assert.equal(msUntilNextRefresh(e, NOW, 90_000), 0);
  assert.equal(msUntilNextRefresh(e, NOW, 30_000), 30_000);
  assert.equal(shouldRefresh(e, NOW, 30_000).refresh, false);
});

Deno.test("shouldRefresh(): with ignored prefixes, GitOps bookkeeping is no change; anything else still is", () => {
  const FLUX = ["kustomize.toolkit.fluxcd.io/", "argocd.argoproj.io/"];
  const base = es();
  const meta = {
    ...base.metadata,
    labels: { app: "jenkins", "kustomize.toolkit.fluxcd.io/name": "apps" },
    annotations: { "argocd.argoproj.io/tracking-id": "apps:v1" },
  };
  const synced = { ...base, metadata: meta };
  const status = { refreshTime: ago(60_000), syncedResourceVersion: syncedResourceVersion(meta, FLUX) };
  const at = (m: typeof meta): ExternalSecret => ({ ...synced, metadata: m, status });
  const noise = {
    ...meta,
    labels: { ...meta.labels, "kustomize.toolkit.fluxcd.io/name": "apps-2" },
    annotations: { "argocd.argoproj.io/tracking-id": "apps:v2", "argocd.argoproj.io/sync-wave": "1" },
  };
  assert.equal(shouldRefresh(at(noise), NOW, 0, FLUX).refresh, false, "only Flux and Argo keys changed");
  assert.equal(shouldRefresh(at(noise), NOW).refresh, true, "without the flag, as ESO: any change re-syncs");
  const real = { ...noise, labels: { ...noise.labels, app: "jenkins-2" } };
  assert.equal(shouldRefresh(at(real), NOW, 0, FLUX).reason, "spec, labels or annotations changed");
  const forced = { ...noise, annotations: { ...noise.annotations, "external-secrets.io/force-sync": "1" } };
  assert.equal(shouldRefresh(at(forced), NOW, 0, FLUX).fresh, "forced", "force-sync still forces");
  assert.equal(
    syncedResourceVersion(meta, []),
    syncedResourceVersion(meta),
    "no prefixes: ESO's value, byte for byte",
  );
});
