import assert from "node:assert/strict";
import { dataHash, metaHash, ownerLabelValue, syncedResourceVersion } from "./eso_hash.ts";

// Expected values computed with Go 1.26 exactly as ESO does: hex(sha3.Sum224([]byte(fmt.Sprintf("%+v", x)))).

Deno.test("dataHash() equals ESO's ObjectHash of map[string][]byte", () => {
  const data = { b: Uint8Array.of(0, 255), ".dockerconfigjson": new TextEncoder().encode('{"auths":{}}') };
  assert.equal(dataHash(data), "61137cf512d663770480a87c106d9b8b61b43ebe88b0534680eb5a4c");
  assert.equal(dataHash({}), "74a974446e359fb3e6baff9bd0058950e6edd0f040888d9989b0a11b");
});

Deno.test("metaHash() equals ESO's HashMeta of labels and annotations", () => {
  assert.equal(
    metaHash({ app: "jenkins" }, { "force-sync": "1700000000", a: "x y" }),
    "9632a1e2a86868f5a9d7bf7b19ecd408389941d6ee1c4bbeb3032e58",
  );
  assert.equal(metaHash(undefined, undefined), "f47fe3c0b255b6dd8047cdffa772587bb829efe7a1cb70febeda2eb2");
});

Deno.test("syncedResourceVersion() is <generation>-<metaHash> and moves with any annotation", () => {
  const base = { generation: 3, labels: { app: "jenkins" }, annotations: { "force-sync": "1700000000", a: "x y" } };
  assert.equal(syncedResourceVersion(base), "3-9632a1e2a86868f5a9d7bf7b19ecd408389941d6ee1c4bbeb3032e58");
  assert.notEqual(
    syncedResourceVersion({ ...base, annotations: { ...base.annotations, "force-sync": "1700000001" } }),
    syncedResourceVersion(base),
  );
});

Deno.test("ownerLabelValue() equals ESO's created-by label and fits a label value", () => {
  const v = ownerLabelValue("jenkins", "regcred");
  assert.equal(v, "1cf42b7cbea8052203c7c4aab67001ce159a93a68acc02f6baa9f1c2");
  assert.ok(v.length <= 63);
});
