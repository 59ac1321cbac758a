import assert from "node:assert/strict";
import type { ExternalSecret } from "../../api/types.ts";
import type { Secret } from "../../kube/types.ts";
import { dataHash, syncedResourceVersion } from "../eso_hash.ts";
import {
  failureOf,
  MAX_SECRET_BYTES,
  type Plan,
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

function plainEs(target: ExternalSecret["spec"]["target"], labels?: Record<string, string>): ExternalSecret {
  return {
    apiVersion: "external-secrets.io/v1",
    kind: "ExternalSecret",
    metadata: {
      name: "app",
      namespace: "jenkins",
      uid: "uid-app",
      generation: 1,
      ...(labels ? { labels, annotations: { note: "from-es" } } : {}),
    },
    spec: {
      refreshInterval: "1h",
      secretStoreRef: { kind: "ClusterSecretStore", name: "kv" },
      target: { name: "app", ...target },
      data: [{ secretKey: "a", remoteRef: { key: "a" } }, { secretKey: "b", remoteRef: { key: "b" } }],
    },
  };
}

const MANAGER = "externalsecrets.external-secrets.io/app";

function existing(data: Record<string, string>, owned: string[], extra: Partial<Secret["metadata"]> = {}): Secret {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: "app",
      namespace: "jenkins",
      uid: "uid-secret",
      labels: { [LABEL_MANAGED]: "true" },
      managedFields: [{
        manager: MANAGER,
        operation: "Update",
        fieldsV1: { "f:data": Object.fromEntries(owned.map((k) => [`f:${k}`, {}])) },
      }],
      ...extra,
    },
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, btoa(v)])),
  };
}

Deno.test("planSync(): no data at all — Delete deletes (SecretDeleted), never existed is a noop, Retain keeps", async () => {
  const missing = [{ item: "spec.data[0]", key: "a" }, { item: "spec.data[1]", key: "b" }];
  const del = plainEs({ creationPolicy: "Owner", deletionPolicy: "Delete" });
  const gone = await planSync(input(del, existing({ a: "1" }, ["a"]), { values: {}, missing }));
  assert.equal(gone.kind, "delete");
  assert.equal(gone.kind === "delete" && gone.uid, "uid-secret", "deleted only if it is still that Secret");
  const readyOf = (p: Plan) => p.status.conditions?.find((c) => c.type === "Ready");
  assert.equal(readyOf(gone)?.reason, "SecretDeleted");
  assert.equal(readyOf(gone)?.status, "True");
  assert.deepEqual(gone.events.map((e) => e.reason), ["MissingProviderSecret", "MissingProviderSecret", "Deleted"]);
  const never = await planSync(input(del, undefined, { values: {}, missing }));
  assert.equal(never.kind, "noop");
  assert.equal(readyOf(never)?.reason, "SecretDeleted");
  const orphan = await planSync(input(plainEs({ creationPolicy: "Orphan", deletionPolicy: "Delete" }), undefined, {
    values: {},
  }));
  assert.match(failureOf(orphan) ?? "", /needs creationPolicy Owner, not Orphan/);
  const retain = await planSync(input(plainEs({}), existing({ a: "1" }, ["a"]), { values: {} }));
  assert.equal(retain.kind, "noop");
  assert.match(readyOf(retain)?.message ?? "", /kept as it is \(deletionPolicy Retain\)/);
});

Deno.test("planSync(): some keys gone — Owner keeps only what is still backed; Merge drops only its own keys", async () => {
  const some = { values: { a: enc("1") }, missing: [{ item: "spec.data[1]", key: "b" }] };
  const owner = await planSync(
    input(plainEs({ deletionPolicy: "Delete" }), existing({ a: "1", b: "2" }, ["a", "b"]), some),
  );
  assert.deepEqual(Object.keys(writeOf(owner)!.secret.data!), ["a"]);
  assert.equal(owner.status.conditions?.find((c) => c.type === "Ready")?.reason, "SecretSynced");
  const target = existing({ a: "1", b: "2", theirs: "x" }, ["a", "b"]);
  const merge = await planSync(input(plainEs({ creationPolicy: "Merge", deletionPolicy: "Merge" }), target, {
    ...some,
    targetData: { a: enc("1"), b: enc("2"), theirs: enc("x") },
  }));
  assert.deepEqual(Object.keys(writeOf(merge)!.secret.data!), ["a", "theirs"]);
  const all = await planSync(input(plainEs({ creationPolicy: "Merge", deletionPolicy: "Merge" }), target, {
    values: {},
    targetData: { a: enc("1"), b: enc("2"), theirs: enc("x") },
  }));
  assert.deepEqual(Object.keys(writeOf(all)!.secret.data!), ["theirs"], "Merge: the Secret stays, our keys go");
});

Deno.test("planSync(): without a template the ExternalSecret's labels and annotations are copied (not the owner mark)", async () => {
  const es = plainEs({}, { team: "core", [LABEL_CREATED_BY]: "forged" });
  const plan = await planSync(input(es, undefined, { values: { a: enc("1") } }));
  const meta = writeOf(plan)!.secret.metadata!;
  assert.equal(meta.labels?.team, "core");
  assert.equal(meta.annotations?.note, "from-es");
  assert.notEqual(meta.labels?.[LABEL_CREATED_BY], "forged");
  const before = existing({ a: "1" }, ["a"], {
    labels: { [LABEL_MANAGED]: "true", old: "x", theirs: "y" },
    managedFields: [{
      manager: MANAGER,
      operation: "Update",
      fieldsV1: { "f:metadata": { "f:labels": { "f:old": {} } } },
    }],
  });
  const again = await planSync(input(es, before, { values: { a: enc("1") } }));
  const labels = writeOf(again)!.secret.metadata!.labels!;
  assert.equal(labels.old, undefined, "a label this ExternalSecret wrote and no longer has is removed");
  assert.equal(labels.theirs, "y", "others' labels stay");
});

Deno.test("planSync(): Owner deletes the Secrets it created under an earlier target name", async () => {
  const plan = await planSync(input(plainEs({}), undefined, { values: { a: enc("1") }, orphans: ["old-name"] }));
  assert.equal(plan.kind, "write");
  assert.deepEqual(plan.kind === "write" && plan.orphans, ["old-name"]);
  assert.ok(plan.events.some((e) => e.reason === "Deleted" && e.message.includes("old-name")));
  const orphanPolicy = await planSync(
    input(plainEs({ creationPolicy: "Orphan" }), undefined, { values: { a: enc("1") }, orphans: ["old-name"] }),
  );
  assert.equal(orphanPolicy.kind === "write" && orphanPolicy.orphans, undefined, "only Owner cleans up");
});
