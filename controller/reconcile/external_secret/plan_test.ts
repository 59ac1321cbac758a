import assert from "node:assert/strict";
import type { ExternalSecret } from "../../api/types.ts";
import type { Secret } from "../../kube/types.ts";
import { dataHash, syncedResourceVersion } from "../eso_hash.ts";
import {
  failureOf,
  MAX_SECRET_BYTES,
  planFailure,
  planFinalize,
  planSync,
  specProblem,
  type SyncInput,
  writeOf,
} from "./plan.ts";
import { ANNOTATION_DATA_HASH, LABEL_CREATED_BY, LABEL_MANAGED, summarizeSecret } from "../refresh.ts";

const NOW = new Date("2026-11-28T12:00:00.000Z");
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b64: string | undefined): string =>
  new TextDecoder().decode(Uint8Array.from(atob(b64 ?? ""), (c) => c.charCodeAt(0)));
const DOCKER = '{"auths":{"r.example":{"auth":"dTpw"}}}';

function regcred(target: ExternalSecret["spec"]["target"] = {}): ExternalSecret {
  return {
    apiVersion: "external-secrets.io/v1",
    kind: "ExternalSecret",
    metadata: { name: "regcred", namespace: "jenkins", uid: "uid-es", generation: 2 },
    spec: {
      refreshInterval: "24h",
      secretStoreRef: { kind: "ClusterSecretStore", name: "azure-keyvault-cluster-store" },
      target: {
        name: "regcred",
        creationPolicy: "Owner",
        template: { type: "kubernetes.io/dockerconfigjson", data: { ".dockerconfigjson": "{{ .dockerconfig }}" } },
        ...target,
      },
      data: [{ secretKey: "dockerconfig", remoteRef: { key: "docker-config-json" } }],
    },
  };
}

const input = (es: ExternalSecret, target?: Secret, extra: Partial<SyncInput> = {}): SyncInput => ({
  es,
  target: target ? summarizeSecret(target) : undefined,
  values: { dockerconfig: enc(DOCKER) },
  now: NOW,
  ...extra,
});

async function created(es = regcred()): Promise<Secret> {
  const plan = await planSync(input(es));
  assert.equal(writeOf(plan)?.op, "create");
  return {
    ...writeOf(plan)!.secret,
    metadata: { ...writeOf(plan)!.secret.metadata, uid: "uid-secret", resourceVersion: "7" },
  };
}

Deno.test("planSync() creates the seed's Secret: rendered, typed, owned, marked, hashed", async () => {
  const es = regcred();
  const plan = await planSync(input(es));
  assert.equal(writeOf(plan)?.op, "create");
  const s = writeOf(plan)!.secret;
  assert.equal(s.type, "kubernetes.io/dockerconfigjson");
  assert.deepEqual(Object.keys(s.data!), [".dockerconfigjson"]);
  assert.equal(dec(s.data![".dockerconfigjson"]), DOCKER);
  assert.equal(s.metadata?.labels?.[LABEL_MANAGED], "true");
  assert.ok(s.metadata?.labels?.[LABEL_CREATED_BY]);
  assert.equal(s.metadata?.annotations?.[ANNOTATION_DATA_HASH], dataHash({ ".dockerconfigjson": enc(DOCKER) }));
  assert.deepEqual(s.metadata?.ownerReferences, [{
    apiVersion: "external-secrets.io/v1",
    kind: "ExternalSecret",
    name: "regcred",
    uid: "uid-es",
    controller: true,
    blockOwnerDeletion: true,
  }]);
  assert.equal(plan.status.refreshTime, "2026-11-28T12:00:00Z");
  assert.equal(plan.status.syncedResourceVersion, syncedResourceVersion(es.metadata));
  assert.deepEqual(plan.status.binding, { name: "regcred" });
  const ready = plan.status.conditions?.find((c) => c.type === "Ready");
  assert.deepEqual({ ...ready, lastTransitionTime: undefined }, {
    type: "Ready",
    status: "True",
    reason: "SecretSynced",
    message: "secret synced",
    lastTransitionTime: undefined,
  });
  assert.deepEqual(plan.events, [{ type: "Normal", reason: "Created", message: "secret created" }]);
  assert.equal(failureOf(plan), undefined);
});

Deno.test("planSync() writes nothing when the Secret already holds the rendered data", async () => {
  const plan = await planSync(input(regcred(), await created()));
  assert.equal(writeOf(plan), undefined);
  assert.deepEqual(plan.events, []);
  assert.equal(plan.status.conditions?.[0]?.status, "True");
});

Deno.test("planSync() updates changed data and keeps what others put on the Secret", async () => {
  const existing = await created();
  existing.metadata!.labels!["team"] = "ci";
  existing.metadata!.annotations!["reloader.stakater.com/match"] = "true";
  const plan = await planSync({ ...input(regcred(), existing), values: { dockerconfig: enc('{"auths":{}}') } });
  assert.equal(writeOf(plan)?.op, "update");
  const s = writeOf(plan)!.secret;
  assert.equal(dec(s.data![".dockerconfigjson"]), '{"auths":{}}');
  assert.equal(s.metadata?.resourceVersion, "7", "optimistic concurrency on the version we saw");
  assert.equal(s.metadata?.labels?.["team"], "ci");
  assert.equal(s.metadata?.annotations?.["reloader.stakater.com/match"], "true");
  assert.equal(s.metadata?.annotations?.[ANNOTATION_DATA_HASH], dataHash({ ".dockerconfigjson": enc('{"auths":{}}') }));
  assert.deepEqual(plan.events, [{ type: "Normal", reason: "Updated", message: "secret updated" }]);
});

Deno.test("planSync() refuses a Secret another ExternalSecret owns", async () => {
  const existing = await created();
  existing.metadata!.ownerReferences![0]!.uid = "someone-else";
  existing.metadata!.ownerReferences![0]!.name = "other";
  const plan = await planSync(input(regcred(), existing));
  assert.equal(writeOf(plan), undefined);
  assert.match(failureOf(plan) ?? "", /target is owned by another ExternalSecret \(other\)/);
  assert.equal(plan.status.conditions?.[0]?.reason, "SecretSyncedError");
  assert.equal(plan.events[0]?.type, "Warning");
});

Deno.test("planSync() recreates an owned Secret whose type must change (Kubernetes forbids it in place)", async () => {
  const existing = await created();
  existing.type = "Opaque";
  const plan = await planSync(input(regcred(), existing));
  assert.equal(writeOf(plan)?.op, "recreate");
  assert.equal(writeOf(plan)!.secret.metadata?.resourceVersion, undefined);
  assert.equal(writeOf(plan)!.secret.metadata?.uid, undefined);
  assert.equal(writeOf(plan)!.secret.type, "kubernetes.io/dockerconfigjson");
});

Deno.test("planSync() does not recreate a Secret it does not own to change its type", async () => {
  const existing = await created(regcred({ creationPolicy: "Orphan" }));
  existing.type = "Opaque";
  const plan = await planSync(input(regcred({ creationPolicy: "Orphan" }), existing));
  assert.equal(writeOf(plan), undefined);
  assert.match(
    failureOf(plan) ?? "",
    /cannot change the type of Secret jenkins\/regcred from Opaque to kubernetes\.io\/dockerconfigjson/,
  );
});

Deno.test("planSync() never rewrites an immutable target", async () => {
  const existing = await created();
  existing.immutable = true;
  const plan = await planSync({ ...input(regcred(), existing), values: { dockerconfig: enc("{}") } });
  assert.equal(writeOf(plan), undefined);
  assert.equal(failureOf(plan), "could not update secret, target is immutable");
});

Deno.test("planSync() with creationPolicy None writes nothing and reports synced", async () => {
  const plan = await planSync(input(regcred({ creationPolicy: "None" })));
  assert.equal(writeOf(plan), undefined);
  assert.equal(plan.status.conditions?.[0]?.reason, "SecretSynced");
});

Deno.test("planSync() with creationPolicy Merge needs the target, and merges into it", async () => {
  const missing = await planSync(input(regcred({ creationPolicy: "Merge" })));
  assert.equal(writeOf(missing), undefined);
  // ESO v2.9 (externalsecret_controller.go, markAsDone with ConditionReasonSecretMissing): Ready=True, refreshed,
  // checked again at the next interval — not a failure, and never terminal.
  assert.equal(missing.kind, "noop");
  assert.equal(missing.status.conditions?.[0]?.status, "True");
  assert.equal(missing.status.conditions?.[0]?.reason, "SecretMissing");
  assert.equal(missing.status.refreshTime, "2026-11-28T12:00:00Z");
  assert.equal(missing.kind === "noop" && missing.next.requeueAfterMs, 24 * 3_600_000);

  const theirs: Secret = {
    metadata: { name: "regcred", namespace: "jenkins", resourceVersion: "3" },
    type: "kubernetes.io/dockerconfigjson",
    data: { other: btoa("keep") },
  };
  const merged = await planSync({
    ...input(regcred({ creationPolicy: "Merge" }), theirs),
    targetData: { other: enc("keep") },
  });
  assert.equal(writeOf(merged)?.op, "update");
  assert.deepEqual(Object.keys(writeOf(merged)!.secret.data!).sort(), [".dockerconfigjson", "other"]);
  assert.equal(writeOf(merged)!.secret.metadata?.ownerReferences, undefined, "Merge never takes ownership");
  assert.equal(writeOf(merged)!.secret.metadata?.labels?.[LABEL_CREATED_BY], undefined);
});

Deno.test("planSync() with creationPolicy Orphan creates without an owner", async () => {
  const plan = await planSync(input(regcred({ creationPolicy: "Orphan" })));
  assert.equal(writeOf(plan)?.op, "create");
  assert.equal(writeOf(plan)!.secret.metadata?.ownerReferences, undefined);
  assert.equal(writeOf(plan)!.secret.metadata?.labels?.[LABEL_MANAGED], "true");
});

Deno.test("planSync() reports a template error by key, without the secret value", async () => {
  const es = regcred({ template: { data: { ".dockerconfigjson": "{{ .dockerconfig | fromJson | missingFn }}" } } });
  const plan = await planSync(input(es));
  assert.equal(writeOf(plan), undefined);
  assert.match(failureOf(plan) ?? "", /could not render the target template: .*\.dockerconfigjson/);
  assert.ok(!(failureOf(plan) ?? "").includes("dTpw"), "no secret value in the message");
});

Deno.test("planSync() without a template copies the provider values as they are", async () => {
  const es = regcred();
  delete es.spec.target!.template;
  const plan = await planSync(input(es));
  assert.deepEqual(Object.keys(writeOf(plan)!.secret.data!), ["dockerconfig"]);
  assert.equal(writeOf(plan)!.secret.type, "Opaque");
});

Deno.test("planSync() plans when to come back: the next refresh, early by the per-key amount", async () => {
  const plan = await planSync({ ...input(regcred()), clock: new Date(NOW.getTime() + 60_000), earlyMs: 5000 });
  assert.equal(plan.kind, "write");
  assert.equal(plan.kind === "write" && plan.next.requeueAfterMs, 24 * 3_600_000 - 60_000 - 5000);
});

Deno.test("planFailure() is Ready=False with the cause, a Warning, refreshTime kept, and says how to retry", () => {
  const es = { ...regcred(), status: { refreshTime: "2026-11-27T12:00:00Z" } };
  const cause = new Error("429");
  const plan = planFailure(es, "could not get secret data from provider: throttled", NOW, "backoff", cause);
  assert.equal(plan.kind, "fail");
  assert.equal(plan.kind === "fail" && plan.retry, "backoff");
  assert.equal(plan.kind === "fail" && plan.cause, cause);
  assert.equal(plan.status.refreshTime, "2026-11-27T12:00:00Z");
  assert.equal(plan.status.conditions?.[0]?.reason, "SecretSyncedError");
  assert.deepEqual(plan.events, [{
    type: "Warning",
    reason: "UpdateFailed",
    message: "could not get secret data from provider: throttled",
  }]);
  const spec = planFailure(es, "bad spec", NOW, "terminal");
  assert.equal(spec.kind === "fail" && spec.retry, "terminal");
});

Deno.test("planFinalize() deletes only a Secret this ExternalSecret owns, and only with deletionPolicy Delete", async () => {
  const owned = summarizeSecret(await created());
  const theirs = summarizeSecret({ metadata: { name: "regcred", namespace: "jenkins" }, data: {} });
  assert.equal(planFinalize(regcred({ deletionPolicy: "Delete" }), owned).kind, "delete");
  assert.equal(planFinalize(regcred({ deletionPolicy: "Delete" }), theirs).kind, "noop");
  assert.equal(planFinalize(regcred({ deletionPolicy: "Delete" }), undefined).kind, "noop");
  assert.equal(planFinalize(regcred(), owned).kind, "noop", "Retain keeps it");
});

Deno.test("specProblem(): a duplicate secretKey with deletionPolicy Retain, as ESO's webhook says it", () => {
  const es = regcred();
  es.spec.data = [
    { secretKey: "a", remoteRef: { key: "x" } },
    { secretKey: "a", remoteRef: { key: "y" } },
    { secretKey: "b", remoteRef: { key: "z" } },
  ];
  assert.equal(specProblem(es), "duplicate secretKey found: a");
  assert.equal(
    specProblem(
      regcred({ deletionPolicy: "Delete" }) && { ...es, spec: { ...es.spec, target: { deletionPolicy: "Delete" } } },
    ),
    undefined,
  );
  assert.equal(specProblem(regcred()), undefined);
});

Deno.test("planSync() refuses a Secret over 1 MiB with a clear message", async () => {
  const big = new Uint8Array(MAX_SECRET_BYTES + 1);
  const es = regcred();
  delete es.spec.target!.template;
  const plan = await planSync({ ...input(es), values: { dockerconfig: big } });
  assert.equal(plan.kind, "fail");
  assert.match(failureOf(plan) ?? "", /would hold 1048\d+ bytes of data; Kubernetes allows at most 1048576 \(1 MiB\)/);
});
