import assert from "node:assert/strict";
import { objectKey, parseObjectKey, parseStoreKey, readKey, readKeyStore, storeKey, storeKeyOf } from "./keys.ts";

Deno.test("object keys: namespace/name, or name when cluster-scoped, and back", () => {
  assert.equal(objectKey({ namespace: "jenkins", name: "regcred" }), "jenkins/regcred");
  assert.equal(objectKey({ name: "azure" }), "azure");
  assert.deepEqual(parseObjectKey(objectKey({ namespace: "a", name: "b" })), { namespace: "a", name: "b" });
  assert.deepEqual(parseObjectKey(objectKey({ name: "b" })), { name: "b" });
});

Deno.test("store keys: one format for both kinds, parsed back; a SecretStore needs a namespace", () => {
  const ss = storeKey("SecretStore", "kv", "jenkins");
  const css = storeKey("ClusterSecretStore", "kv");
  assert.equal(ss, "SecretStore/jenkins/kv");
  assert.equal(css, "ClusterSecretStore/kv");
  assert.deepEqual(parseStoreKey(ss), { kind: "SecretStore", namespace: "jenkins", name: "kv" });
  assert.deepEqual(parseStoreKey(css), { kind: "ClusterSecretStore", name: "kv" });
  assert.throws(() => storeKey("SecretStore", "kv"), /needs a namespace/);
  assert.equal(storeKeyOf({ name: "kv" }, "ns"), "SecretStore/ns/kv");
  assert.equal(storeKeyOf({ kind: "ClusterSecretStore", name: "kv" }, "ns"), "ClusterSecretStore/kv");
  assert.equal(storeKeyOf({}, "ns"), undefined);
});

Deno.test("read keys name their store, and fields with separators cannot collide", () => {
  const store = storeKey("ClusterSecretStore", "kv");
  const a = readKey(store, "uid-1", "jenkins", ["a|b", ""]);
  const b = readKey(store, "uid-1", "jenkins", ["a", "b"]);
  assert.notEqual(a, b);
  assert.equal(readKeyStore(a), store);
  assert.equal(readKeyStore(readKey(storeKey("SecretStore", "kv", "ns"), "u", "", ["k"])), "SecretStore/ns/kv");
});
