import assert from "node:assert/strict";
import type { ExternalSecret } from "../api/types.ts";
import type { Secret } from "../kube/types.ts";
import { dataHash, syncedResourceVersion } from "./eso_hash.ts";
import { planSync, type SyncInput } from "./external_secret_plan.ts";
import { ANNOTATION_DATA_HASH, LABEL_CREATED_BY, LABEL_MANAGED, summarizeSecret } from "./refresh.ts";

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
  assert.equal(plan.write?.op, "create");
  return {
    ...plan.write!.secret,
    metadata: { ...plan.write!.secret.metadata, uid: "uid-secret", resourceVersion: "7" },
  };
}

Deno.test("planSync() creates the seed's Secret: rendered, typed, owned, marked, hashed", async () => {
  const es = regcred();
  const plan = await planSync(input(es));
  assert.equal(plan.write?.op, "create");
  const s = plan.write!.secret;
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
  assert.equal(plan.failure, undefined);
});

Deno.test("planSync() writes nothing when the Secret already holds the rendered data", async () => {
  const plan = await planSync(input(regcred(), await created()));
  assert.equal(plan.write, undefined);
  assert.deepEqual(plan.events, []);
  assert.equal(plan.status.conditions?.[0]?.status, "True");
});

Deno.test("planSync() updates changed data and keeps what others put on the Secret", async () => {
  const existing = await created();
  existing.metadata!.labels!["team"] = "ci";
  existing.metadata!.annotations!["reloader.stakater.com/match"] = "true";
  const plan = await planSync({ ...input(regcred(), existing), values: { dockerconfig: enc('{"auths":{}}') } });
  assert.equal(plan.write?.op, "update");
  const s = plan.write!.secret;
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
  assert.equal(plan.write, undefined);
  assert.match(plan.failure ?? "", /target is owned by another ExternalSecret \(other\)/);
  assert.equal(plan.status.conditions?.[0]?.reason, "SecretSyncedError");
  assert.equal(plan.events[0]?.type, "Warning");
});

Deno.test("planSync() recreates an owned Secret whose type must change (Kubernetes forbids it in place)", async () => {
  const existing = await created();
  existing.type = "Opaque";
  const plan = await planSync(input(regcred(), existing));
  assert.equal(plan.write?.op, "recreate");
  assert.equal(plan.write!.secret.metadata?.resourceVersion, undefined);
  assert.equal(plan.write!.secret.metadata?.uid, undefined);
  assert.equal(plan.write!.secret.type, "kubernetes.io/dockerconfigjson");
});

Deno.test("planSync() does not recreate a Secret it does not own to change its type", async () => {
  const existing = await created(regcred({ creationPolicy: "Orphan" }));
  existing.type = "Opaque";
  const plan = await planSync(input(regcred({ creationPolicy: "Orphan" }), existing));
  assert.equal(plan.write, undefined);
  assert.match(
    plan.failure ?? "",
    /cannot change the type of Secret jenkins\/regcred from Opaque to kubernetes\.io\/dockerconfigjson/,
  );
});

Deno.test("planSync() never rewrites an immutable target", async () => {
  const existing = await created();
  existing.immutable = true;
  const plan = await planSync({ ...input(regcred(), existing), values: { dockerconfig: enc("{}") } });
  assert.equal(plan.write, undefined);
  assert.equal(plan.failure, "could not update secret, target is immutable");
});

Deno.test("planSync() with creationPolicy None writes nothing and reports synced", async () => {
  const plan = await planSync(input(regcred({ creationPolicy: "None" })));
  assert.equal(plan.write, undefined);
  assert.equal(plan.status.conditions?.[0]?.reason, "SecretSynced");
});

Deno.test("planSync() with creationPolicy Merge needs the target, and merges into it", async () => {
  const missing = await planSync(input(regcred({ creationPolicy: "Merge" })));
  assert.equal(missing.write, undefined);
  assert.equal(missing.status.conditions?.[0]?.reason, "SecretMissing");

  const theirs: Secret = {
    metadata: { name: "regcred", namespace: "jenkins", resourceVersion: "3" },
    type: "kubernetes.io/dockerconfigjson",
    data: { other: btoa("keep") },
  };
  const merged = await planSync({
    ...input(regcred({ creationPolicy: "Merge" }), theirs),
    targetData: { other: enc("keep") },
  });
  assert.equal(merged.write?.op, "update");
  assert.deepEqual(Object.keys(merged.write!.secret.data!).sort(), [".dockerconfigjson", "other"]);
  assert.equal(merged.write!.secret.metadata?.ownerReferences, undefined, "Merge never takes ownership");
  assert.equal(merged.write!.secret.metadata?.labels?.[LABEL_CREATED_BY], undefined);
});

Deno.test("planSync() with creationPolicy Orphan creates without an owner", async () => {
  const plan = await planSync(input(regcred({ creationPolicy: "Orphan" })));
  assert.equal(plan.write?.op, "create");
  assert.equal(plan.write!.secret.metadata?.ownerReferences, undefined);
  assert.equal(plan.write!.secret.metadata?.labels?.[LABEL_MANAGED], "true");
});

Deno.test("planSync() reports a template error by key, without the secret value", async () => {
  const es = regcred({ template: { data: { ".dockerconfigjson": "{{ .dockerconfig | fromJson | missingFn }}" } } });
  const plan = await planSync(input(es));
  assert.equal(plan.write, undefined);
  assert.match(plan.failure ?? "", /could not render the target template: .*\.dockerconfigjson/);
  assert.ok(!(plan.failure ?? "").includes("dTpw"), "no secret value in the message");
});

Deno.test("planSync() without a template copies the provider values as they are", async () => {
  const es = regcred();
  delete es.spec.target!.template;
  const plan = await planSync(input(es));
  assert.deepEqual(Object.keys(plan.write!.secret.data!), ["dockerconfig"]);
  assert.equal(plan.write!.secret.type, "Opaque");
});
