import assert from "node:assert/strict";
import type { ExternalSecret } from "../../api/types.ts";
import { esChanged, onlyFinalizerAdded } from "./controller.ts";
import { FINALIZER } from "./reconciler.ts";

const es = (meta: Partial<ExternalSecret["metadata"]> = {}): ExternalSecret => ({
  apiVersion: "external-secrets.io/v1",
  kind: "ExternalSecret",
  metadata: { name: "regcred", namespace: "jenkins", generation: 1, resourceVersion: "10", ...meta },
  spec: { secretStoreRef: { name: "s", kind: "ClusterSecretStore" } },
} as ExternalSecret);

Deno.test("onlyFinalizerAdded(): our finalizer added and nothing else is no change to reconcile", () => {
  const before = es();
  const after = es({ resourceVersion: "11", finalizers: [FINALIZER] });
  assert.ok(esChanged(before, after), "ESO's predicate sees it");
  assert.ok(onlyFinalizerAdded(before, after));
  assert.ok(onlyFinalizerAdded(es({ finalizers: ["other"] }), es({ finalizers: ["other", FINALIZER] })));
});

Deno.test("onlyFinalizerAdded(): anything more, or another finalizer, or a removal is a change", () => {
  const after = (m: Partial<ExternalSecret["metadata"]>): ExternalSecret => es({ finalizers: [FINALIZER], ...m });
  assert.ok(!onlyFinalizerAdded(undefined, after({})), "a new object");
  assert.ok(!onlyFinalizerAdded(es(), after({ generation: 2 })), "with a spec change");
  assert.ok(!onlyFinalizerAdded(es(), after({ annotations: { "external-secrets.io/force-sync": "1" } })));
  assert.ok(!onlyFinalizerAdded(es(), after({ labels: { a: "b" } })));
  assert.ok(!onlyFinalizerAdded(es(), after({ deletionTimestamp: "2026-01-01T00:00:00Z" })));
  assert.ok(!onlyFinalizerAdded(es(), es({ finalizers: ["other"] })), "someone else's finalizer");
  assert.ok(!onlyFinalizerAdded(es({ finalizers: [FINALIZER] }), es()), "ours removed");
  assert.ok(!onlyFinalizerAdded(es({ finalizers: ["a"] }), es({ finalizers: [FINALIZER] })), "another one replaced");
});
