import assert from "node:assert/strict";
import type { ExternalSecret } from "../../api/types.ts";
import { esChanged } from "./controller.ts";

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
