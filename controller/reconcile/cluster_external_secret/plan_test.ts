import assert from "node:assert/strict";
import type { ClusterExternalSecret, ExternalSecret } from "../../api/types.ts";
import {
  ALREADY_EXISTS,
  type CesInput,
  cesStatus,
  childInSync,
  controllingCes,
  desiredChild,
  type NamespaceSummary,
  planClusterExternalSecret,
  refreshMs,
  selects,
} from "./plan.ts";

const SPEC: ExternalSecret["spec"] = {
  refreshInterval: "24h",
  secretStoreRef: { kind: "ClusterSecretStore", name: "azure-keyvault-cluster-store" },
  target: { name: "regcred", creationPolicy: "Owner", deletionPolicy: "Retain" },
  data: [{ secretKey: "dockerconfig", remoteRef: { key: "docker-config-json" } }],
};

function ces(spec: Partial<ClusterExternalSecret["spec"]> = {}, meta: Partial<ClusterExternalSecret["metadata"]> = {}) {
  return {
    apiVersion: "external-secrets.io/v1",
    kind: "ClusterExternalSecret",
    metadata: { name: "regcred", uid: "uid-1", ...meta },
    spec: { externalSecretSpec: SPEC, namespaceSelectors: [{ matchLabels: { regcred: "yes" } }], ...spec },
  } satisfies ClusterExternalSecret;
}

const ns = (name: string, labels: Record<string, string> = {}, terminating = false): NamespaceSummary => ({
  metadata: { name, labels, ...(terminating ? { deletionTimestamp: "2026-01-01T00:00:00Z" } : {}) },
});

function input(c: ClusterExternalSecret, namespaces: NamespaceSummary[], existing: ExternalSecret[] = []): CesInput {
  return {
    ces: c,
    namespaces,
    childIn: (namespace, name) => existing.find((e) => e.metadata.namespace === namespace && e.metadata.name === name),
    owned: existing.filter((e) => controllingCes(e) === c.metadata.name),
  };
}

Deno.test("ClusterExternalSecret: selected namespaces get a child each; others none", () => {
  const c = ces({ namespaces: ["by-name"] });
  const plan = planClusterExternalSecret(
    input(c, [ns("a", { regcred: "yes" }), ns("b", { regcred: "no" }), ns("by-name"), ns("gone", {}, false)]),
  );
  assert.equal(plan.kind, "sync");
  if (plan.kind !== "sync") return;
  assert.deepEqual(plan.writes.map((w) => [w.namespace, w.create]), [["a", true], ["by-name", true]]);
  assert.deepEqual(plan.deletes, []);
  assert.equal(plan.esName, "regcred");
  const child = plan.writes[0]!.object;
  assert.equal(child.metadata.name, "regcred");
  assert.equal(child.metadata.namespace, "a");
  assert.deepEqual(child.spec, SPEC);
  // ESO: controllerutil.SetControllerReference(ces, es) — a controller reference with blockOwnerDeletion.
  assert.deepEqual(child.metadata.ownerReferences, [{
    apiVersion: "external-secrets.io/v1",
    kind: "ClusterExternalSecret",
    name: "regcred",
    uid: "uid-1",
    controller: true,
    blockOwnerDeletion: true,
  }]);
  assert.equal(plan.requeueMs, 3_600_000, "ESO's RequeueInterval without refreshTime: 1h");
});

Deno.test("ClusterExternalSecret: selectors are ORed, the deprecated one included; an empty selector selects all", () => {
  const c = ces({
    namespaceSelector: { matchLabels: { old: "1" } },
    namespaceSelectors: [{ matchLabels: { b: "1" } }],
  });
  assert.equal(selects(c, ns("x", { old: "1" })), true);
  assert.equal(selects(c, ns("x", { b: "1" })), true);
  assert.equal(selects(c, ns("x", { c: "1" })), false);
  assert.equal(selects(ces({ namespaceSelectors: [{}] }), ns("any")), true);
  assert.equal(selects(ces({ namespaceSelectors: [] }), ns("any")), false, "no selector, no names: nothing");
});

Deno.test("ClusterExternalSecret: an unowned ExternalSecret of that name is a failed namespace, never overwritten", () => {
  const theirs = {
    apiVersion: "external-secrets.io/v1",
    kind: "ExternalSecret",
    metadata: { namespace: "a", name: "regcred" },
    spec: SPEC,
  } satisfies ExternalSecret;
  const plan = planClusterExternalSecret(input(ces(), [ns("a", { regcred: "yes" })], [theirs]));
  assert.ok(plan.kind === "sync");
  assert.deepEqual(plan.writes, []);
  assert.deepEqual(plan.failed, { a: ALREADY_EXISTS });
  const status = cesStatus(ces(), "regcred", [], plan.failed);
  assert.deepEqual(status.failedNamespaces, [{
    namespace: "a",
    reason: "external secret already exists in namespace",
  }]);
  assert.deepEqual(status.conditions, [{
    type: "Ready",
    status: "False",
    message: "one or more namespaces failed: a: external secret already exists in namespace",
  }]);
  assert.equal(status.provisionedNamespaces, undefined);
});

Deno.test("ClusterExternalSecret: an owned child in sync is left alone; drift is put back", () => {
  const c = ces({ externalSecretMetadata: { labels: { team: "platform" } } });
  const child = desiredChild(c, "a", "regcred");
  const stored = { ...structuredClone(child), metadata: { ...child.metadata, resourceVersion: "7", uid: "child" } };
  const inSync = planClusterExternalSecret(input(c, [ns("a", { regcred: "yes" })], [stored]));
  assert.ok(inSync.kind === "sync");
  assert.deepEqual([inSync.writes, inSync.unchanged], [[], ["a"]]);

  const drifted = structuredClone(stored);
  drifted.metadata.labels = { team: "platform", extra: "x" };
  drifted.metadata.annotations = { "external-secrets.io/force-sync": "by-hand" };
  drifted.spec.refreshInterval = "1m";
  const plan = planClusterExternalSecret(input(c, [ns("a", { regcred: "yes" })], [drifted]));
  assert.ok(plan.kind === "sync");
  assert.equal(plan.writes.length, 1);
  const w = plan.writes[0]!;
  assert.equal(w.create, false);
  // ESO replaces labels and annotations wholesale, and the spec; the object's identity stays for the update.
  assert.deepEqual(w.object.metadata.labels, { team: "platform" });
  assert.equal(w.object.metadata.annotations, undefined);
  assert.equal(w.object.spec.refreshInterval, "24h");
  assert.equal(w.object.metadata.resourceVersion, "7");
  assert.equal(w.object.metadata.uid, "child");
});

Deno.test("ClusterExternalSecret: the force-sync annotation is propagated, and removed with it", () => {
  const forced = ces({}, { annotations: { "external-secrets.io/force-sync": "1700000000", other: "no" } });
  const child = desiredChild(forced, "a", "regcred");
  assert.deepEqual(child.metadata.annotations, { "external-secrets.io/force-sync": "1700000000" });
  const withMeta = ces({ externalSecretMetadata: { annotations: { "external-secrets.io/force-sync": "x", a: "1" } } });
  assert.deepEqual(desiredChild(withMeta, "a", "regcred", child).metadata.annotations, { a: "1" });
  assert.equal(childInSync(child, desiredChild(ces(), "a", "regcred", child)), false);
});

Deno.test("ClusterExternalSecret: other owner references are kept; ours is replaced in place", () => {
  const other = { apiVersion: "v1", kind: "ConfigMap", name: "x", uid: "cm" };
  const stale = {
    apiVersion: "external-secrets.io/v1",
    kind: "ClusterExternalSecret",
    name: "regcred",
    uid: "old",
    controller: true,
  };
  const existing = { ...desiredChild(ces(), "a", "regcred") };
  existing.metadata = { ...existing.metadata, ownerReferences: [stale, other] };
  const out = desiredChild(ces(), "a", "regcred", existing).metadata.ownerReferences!;
  assert.deepEqual(out.map((r) => r.uid), ["uid-1", "cm"]);
});

Deno.test("ClusterExternalSecret: children go when their namespace stops matching or the name changes", () => {
  const c = ces();
  const owned = (namespace: string, name = "regcred"): ExternalSecret => desiredChild(c, namespace, name);
  const plan = planClusterExternalSecret(
    input(c, [ns("a", { regcred: "yes" }), ns("b"), ns("dying", { regcred: "yes" }, true)], [
      owned("a"),
      owned("b"),
      owned("a", "old-name"),
      owned("dying"),
    ]),
  );
  assert.ok(plan.kind === "sync");
  assert.deepEqual(plan.deletes, [{ namespace: "b", name: "regcred" }, { namespace: "a", name: "old-name" }]);
  // A namespace being deleted: neither provisioned nor cleaned up (its deletion takes the child).
  assert.deepEqual([plan.unchanged, plan.writes.length], [["a"], 0]);
});

Deno.test("ClusterExternalSecret: deletion deletes every child it controls, and only those", () => {
  const c = ces({}, { deletionTimestamp: "2026-01-01T00:00:00Z" });
  const mine = desiredChild(c, "a", "regcred");
  const foreign = { ...desiredChild(ces({}, { name: "other" }), "b", "regcred") };
  const plan = planClusterExternalSecret(input(c, [ns("a", { regcred: "yes" })], [mine, foreign]));
  assert.deepEqual(plan, { kind: "finalize", deletes: [{ namespace: "a", name: "regcred" }] });
});

Deno.test("ClusterExternalSecret: an invalid selector fails the whole pass as ESO's 'unknown' namespace", () => {
  const c = ces({ namespaceSelectors: [{ matchExpressions: [{ key: "k", operator: "In", values: [] }] }] });
  const plan = planClusterExternalSecret(input(c, [ns("a", { k: "v" })]));
  assert.ok(plan.kind === "invalid");
  assert.deepEqual(plan.status.failedNamespaces, [{
    namespace: "unknown",
    reason:
      'failed to convert label selector namespaceSelectors[0]: matchExpressions[0] (key "k"): operator In needs ' +
      "at least one value",
  }]);
  assert.equal(plan.status.conditions?.[0]?.status, "False");
});

Deno.test("ClusterExternalSecret: externalSecretName, refreshTime and the status shape", () => {
  const c = ces({ externalSecretName: "pull-secret", refreshTime: "1m" });
  const plan = planClusterExternalSecret(input(c, [ns("a", { regcred: "yes" })]));
  assert.ok(plan.kind === "sync");
  assert.equal(plan.writes[0]!.object.metadata.name, "pull-secret");
  assert.equal(plan.requeueMs, 60_000);
  assert.equal(refreshMs(ces({ refreshTime: "0s" })), null);
  assert.deepEqual(cesStatus(c, "pull-secret", ["b", "a"], {}), {
    externalSecretName: "pull-secret",
    provisionedNamespaces: ["a", "b"],
    conditions: [{ type: "Ready", status: "True" }],
  });
  const many = cesStatus(c, "x", [], { b: "boom", a: "x".repeat(5000) });
  assert.equal(many.failedNamespaces![0]!.reason!.length, 1024, "reasons are bounded");
  assert.match(many.conditions![0]!.message!, /^one or more namespaces failed: a: x+ \(and 1 more/);
});
