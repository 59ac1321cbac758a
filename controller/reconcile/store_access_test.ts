import assert from "node:assert/strict";
import type { ClusterSecretStore } from "../api/types.ts";
import type { KubeClient } from "../kube/client.ts";
import { InvalidStoreError } from "../providers/provider.ts";
import { namespaceAllowed } from "./store_access.ts";

// Conditions by name and pattern only: no Namespace read happens, so no client is needed.
const noClient = undefined as unknown as KubeClient;

function css(conditions: NonNullable<ClusterSecretStore["spec"]["conditions"]>): ClusterSecretStore {
  return {
    apiVersion: "external-secrets.io/v1",
    kind: "ClusterSecretStore",
    metadata: { name: "shared" },
    spec: { provider: { azurekv: { vaultUrl: "https://v.vault.azure.net" } }, conditions },
  };
}

Deno.test("namespaceAllowed(): namespaceRegexes are Go regexps, in linear time; an invalid one is a store error", async () => {
  assert.equal(await namespaceAllowed(noClient, css([{ namespaceRegexes: ["^team-(a|b)$"] }]), "team-b"), true);
  assert.equal(await namespaceAllowed(noClient, css([{ namespaceRegexes: ["^team-(a|b)$"] }]), "team-c"), false);
  // Go syntax JavaScript lacks, and a pattern that would backtrack catastrophically in JavaScript.
  assert.equal(await namespaceAllowed(noClient, css([{ namespaceRegexes: ["^\\Qa.b\\E$"] }]), "a.b"), true);
  const started = performance.now();
  const long = `${"a".repeat(50_000)}!`;
  assert.equal(await namespaceAllowed(noClient, css([{ namespaceRegexes: ["^(a|a)*$"] }]), long), false);
  assert.ok(performance.now() - started < 5000, "linear time");
  await assert.rejects(
    namespaceAllowed(noClient, css([{ namespaceRegexes: ["(?<=x)y"] }]), "ns"),
    (e) =>
      e instanceof InvalidStoreError &&
      /conditions\[0\]\.namespaceRegexes\[0\] is not a valid Go regular/.test(e.message),
  );
});
