import assert from "node:assert/strict";
import { referencesIn } from "./where_used.ts";
import { syncedEs } from "./testing.ts";

Deno.test("referencesIn(): data and dataFrom keys, per-item stores, pinned versions, the store filter", () => {
  const es = syncedEs({
    data: [
      { secretKey: "a", remoteRef: { key: "secret/Docker-Config-JSON" } },
      { secretKey: "b", remoteRef: { key: "docker-config-json", version: "0123" } },
      { secretKey: "c", remoteRef: { key: "other" } },
      {
        secretKey: "d",
        remoteRef: { key: "docker-config-json" },
        sourceRef: { storeRef: { name: "local", kind: "SecretStore" } },
      },
    ],
    dataFrom: [{ extract: { key: "docker-config-json" } }],
  });
  assert.deepEqual(referencesIn(es.spec, "docker-config-json", undefined), {
    stores: ["css/css", "ss/local"],
    secretKeys: ["a", "b", "d", "(dataFrom)"],
    versions: ["latest", "0123"],
  });
  assert.deepEqual(referencesIn(es.spec, "docker-config-json", { kind: "SecretStore", name: "local" }), {
    stores: ["ss/local"],
    secretKeys: ["d"],
    versions: ["latest"],
  });
  assert.equal(referencesIn(es.spec, "nothing", undefined), undefined);
  assert.equal(referencesIn(es.spec, "other", { kind: "ClusterSecretStore", name: "elsewhere" }), undefined);
});
