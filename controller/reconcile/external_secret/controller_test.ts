import assert from "node:assert/strict";
import type { ExternalSecret } from "../../api/types.ts";
import { esChanged, onlyFinalizerAdded } from "./controller.ts";
import { FINALIZER } from "./reconciler.ts";

const es = (
  labels: Record<string, string>,
  annotations: Record<string, string> = {},
  generation = 1,
): ExternalSecret => ({
  apiVersion: "external-secrets.io/v1",
  kind: "ExternalSecret",
  metadata: { name: "regcred", namespace: "jenkins", generation, labels, annotations },
  spec: {},
});

Deno.test("esChanged(): ESO's predicate; ignored prefixes leave GitOps bookkeeping out", () => {
  const FLUX = ["kustomize.toolkit.fluxcd.io/"];
  const old = es({ app: "a", "kustomize.toolkit.fluxcd.io/name": "x" });
  const noise = es({ "kustomize.toolkit.fluxcd.io/name": "y", app: "a" });
  assert.equal(esChanged(old, noise), true, "as ESO: any label change");
  assert.equal(esChanged(old, noise, FLUX), false);
  assert.equal(esChanged(old, es({ app: "b", "kustomize.toolkit.fluxcd.io/name": "x" }), FLUX), true);
  assert.equal(esChanged(old, es({ app: "a", "kustomize.toolkit.fluxcd.io/name": "x" }, {}, 2), FLUX), true);
  assert.equal(esChanged(undefined, old, FLUX), true, "a new object");
  assert.equal(esChanged(old, es({ app: "a" }, { "kustomize.toolkit.fluxcd.io/checksum": "1" }), FLUX), false);
});

const esm = (meta: Partial<ExternalSecret["metadata"]> = {}): ExternalSecret => ({
  apiVersion: "external-secrets.io/v1",
  kind: "ExternalSecret",
  metadata: { name: "regcred", namespace: "jenkins", generation: 1, resourceVersion: "10", ...meta },
  spec: { secretStoreRef: { name: "s", kind: "ClusterSecretStore" } },
} as ExternalSecret);

Deno.test("onlyFinalizerAdded(): our finalizer added and nothing else is no change to reconcile", () => {
  const before = esm();
  const after = esm({ resourceVersion: "11", finalizers: [FINALIZER] });
  assert.ok(esChanged(before, after), "ESO's predicate sees it");
  assert.ok(onlyFinalizerAdded(before, after));
  assert.ok(onlyFinalizerAdded(esm({ finalizers: ["other"] }), esm({ finalizers: ["other", FINALIZER] })));
});

Deno.test("onlyFinalizerAdded(): anything more, or another finalizer, or a removal is a change", () => {
  const after = (m: Partial<ExternalSecret["metadata"]>): ExternalSecret => esm({ finalizers: [FINALIZER], ...m });
  assert.ok(!onlyFinalizerAdded(undefined, after({})), "a new object");
  assert.ok(!onlyFinalizerAdded(esm(), after({ generation: 2 })), "with a spec change");
  assert.ok(!onlyFinalizerAdded(esm(), after({ annotations: { "external-secrets.io/force-sync": "1" } })));
  assert.ok(!onlyFinalizerAdded(esm(), after({ labels: { a: "b" } })));
  assert.ok(!onlyFinalizerAdded(esm(), after({ deletionTimestamp: "2026-01-01T00:00:00Z" })));
  assert.ok(!onlyFinalizerAdded(esm(), esm({ finalizers: ["other"] })), "someone else's finalizer");
  assert.ok(!onlyFinalizerAdded(esm({ finalizers: [FINALIZER] }), esm()), "ours removed");
  assert.ok(!onlyFinalizerAdded(esm({ finalizers: ["a"] }), esm({ finalizers: [FINALIZER] })), "another one replaced");
});

Deno.test("onlyFinalizerAdded(): with ignored prefixes, bookkeeping beside our finalizer is still no change", () => {
  const FLUX = ["kustomize.toolkit.fluxcd.io/"];
  const before = esm({ labels: { "kustomize.toolkit.fluxcd.io/name": "x" } });
  const after = esm({ labels: { "kustomize.toolkit.fluxcd.io/name": "y" }, finalizers: [FINALIZER] });
  assert.ok(!onlyFinalizerAdded(before, after), "as ESO sees labels");
  assert.ok(onlyFinalizerAdded(before, after, FLUX));
});
