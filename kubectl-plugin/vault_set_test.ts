import assert from "node:assert/strict";
import type { ExternalSecret } from "../controller/api/types.ts";
import { dataHash } from "../controller/reconcile/eso_hash.ts";
import { CliError, UsageError } from "./errors.ts";
import { syncedEs } from "./testing.ts";
import {
  expectedDataHash,
  keyMatches,
  parseSecretName,
  parseTags,
  parseWhen,
  readValue,
  referenceOf,
  type StoreId,
  valueSource,
} from "./vault_set.ts";

const CSS: StoreId = { kind: "ClusterSecretStore", name: "css" };

Deno.test("parseSecretName(): NAME or secret/NAME, Key Vault's character rules", () => {
  assert.equal(parseSecretName("docker-config-json"), "docker-config-json");
  assert.equal(parseSecretName("secret/docker-config-json"), "docker-config-json");
  for (const bad of [undefined, "", "key/signing", "cert/tls", "has_underscore", "a".repeat(128), "secret/"]) {
    assert.throws(() => parseSecretName(bad), UsageError, String(bad));
  }
});

Deno.test("parseTags(): KEY=VALUE, at most 15", () => {
  assert.equal(parseTags(undefined), undefined);
  assert.deepEqual(parseTags(["owner=ci", "note=a=b"]), { owner: "ci", note: "a=b" });
  assert.throws(() => parseTags(["novalue"]), UsageError);
  assert.throws(() => parseTags(["=x"]), UsageError);
  assert.throws(() => parseTags(Array.from({ length: 16 }, (_, i) => `t${i}=v`)), UsageError);
});

Deno.test("valueSource(): --file, --value, stdin; never both; a terminal on stdin is not a value", () => {
  assert.deepEqual(valueSource({ file: "a.json" }, true), { kind: "file", path: "a.json" });
  assert.deepEqual(valueSource({ file: "-" }, true), { kind: "stdin" });
  assert.deepEqual(valueSource({ value: "v" }, true), { kind: "value", value: "v" });
  assert.deepEqual(valueSource({}, false), { kind: "stdin" });
  assert.throws(() => valueSource({}, true), UsageError);
  assert.throws(() => valueSource({ file: "a", value: "b" }, false), UsageError);
});

Deno.test("readValue(): text as is (trailing newline kept), empty and non-UTF-8 refused", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/v.json`, '{"a":1}\n');
    assert.equal(await readValue({ kind: "file", path: `${dir}/v.json` }), '{"a":1}\n');
    await Deno.writeFile(`${dir}/bin`, new Uint8Array([0xff, 0xfe, 0x00]));
    await assert.rejects(() => readValue({ kind: "file", path: `${dir}/bin` }), /not UTF-8 text/);
    await Deno.writeTextFile(`${dir}/empty`, "");
    await assert.rejects(() => readValue({ kind: "file", path: `${dir}/empty` }), /empty/);
    await assert.rejects(() => readValue({ kind: "file", path: `${dir}/missing` }), CliError);
    assert.equal(await readValue({ kind: "value", value: "v" }), "v");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("keyMatches(): NAME or secret/NAME, case-insensitive like Key Vault", () => {
  assert.equal(keyMatches("docker-config-json", "docker-config-json"), true);
  assert.equal(keyMatches("secret/Docker-Config-JSON", "docker-config-json"), true);
  assert.equal(keyMatches("key/docker-config-json", "docker-config-json"), false);
  assert.equal(keyMatches("docker-config", "docker-config-json"), false);
});

Deno.test("referenceOf(): through which store, latest or pinned", () => {
  const es = syncedEs();
  assert.equal(referenceOf(es, CSS, "docker-config-json"), "follows");
  assert.equal(referenceOf(es, CSS, "other"), undefined);
  assert.equal(referenceOf(es, { kind: "ClusterSecretStore", name: "another" }, "docker-config-json"), undefined);
  const pinned = syncedEs({ data: [{ secretKey: "k", remoteRef: { key: "docker-config-json", version: "abc" } }] });
  assert.equal(referenceOf(pinned, CSS, "docker-config-json"), "pinned");
  // A SecretStore serves only its own namespace; sourceRef.storeRef overrides the ExternalSecret's store.
  const ss = syncedEs({ secretStoreRef: { name: "ss1", kind: "SecretStore" } });
  assert.equal(
    referenceOf(ss, { kind: "SecretStore", name: "ss1", namespace: "jenkins" }, "docker-config-json"),
    "follows",
  );
  assert.equal(
    referenceOf(ss, { kind: "SecretStore", name: "ss1", namespace: "other" }, "docker-config-json"),
    undefined,
  );
  const override = syncedEs({
    data: [{
      secretKey: "k",
      remoteRef: { key: "docker-config-json" },
      sourceRef: { storeRef: { name: "elsewhere", kind: "ClusterSecretStore" } },
    }],
  });
  assert.equal(referenceOf(override, CSS, "docker-config-json"), undefined);
  assert.equal(
    referenceOf(override, { kind: "ClusterSecretStore", name: "elsewhere" }, "docker-config-json"),
    "follows",
  );
  const extract = syncedEs({ data: [], dataFrom: [{ extract: { key: "secret/docker-config-json" } }] });
  assert.equal(referenceOf(extract, CSS, "docker-config-json"), "follows");
});

Deno.test("expectedDataHash(): what the target's data will hash to, rendered by the controller's planner", async () => {
  const value = '{"auths":{"r.io":{"auth":"eDp5"}}}\n';
  const seed = syncedEs({
    target: {
      name: "regcred",
      creationPolicy: "Owner",
      template: { type: "kubernetes.io/dockerconfigjson", data: { ".dockerconfigjson": "{{ .dockerconfig }}" } },
    },
    data: [{ secretKey: "dockerconfig", remoteRef: { key: "docker-config-json" } }],
  });
  assert.equal(
    await expectedDataHash(seed, CSS, "docker-config-json", value),
    dataHash({ ".dockerconfigjson": new TextEncoder().encode(value) }),
  );
  const plain = syncedEs({
    data: [
      { secretKey: "auths", remoteRef: { key: "docker-config-json", property: "auths" } },
      { secretKey: "raw", remoteRef: { key: "secret/docker-config-json" } },
    ],
  });
  assert.equal(
    await expectedDataHash(plain, CSS, "docker-config-json", value),
    dataHash({
      auths: new TextEncoder().encode('{"r.io":{"auth":"eDp5"}}'),
      raw: new TextEncoder().encode(value),
    }),
  );
  const cases: [string, ExternalSecret][] = [
    ["another key", syncedEs({ data: [...plain.spec.data!, { secretKey: "o", remoteRef: { key: "other" } }] })],
    ["pinned", syncedEs({ data: [{ secretKey: "k", remoteRef: { key: "docker-config-json", version: "v1" } }] })],
    ["merge", syncedEs({ target: { creationPolicy: "Merge" } })],
    ["dataFrom", syncedEs({ dataFrom: [{ extract: { key: "docker-config-json" } }] })],
    [
      "missing property",
      syncedEs({ data: [{ secretKey: "k", remoteRef: { key: "docker-config-json", property: "nope" } }] }),
    ],
  ];
  for (const [what, es] of cases) {
    assert.equal(await expectedDataHash(es, CSS, "docker-config-json", value), undefined, what);
  }
});

Deno.test("parseWhen(): ISO dates and times, or a duration from now; anything else is a usage error", () => {
  const now = new Date("2026-12-01T12:00:00Z");
  assert.equal(parseWhen("90d", "--expires", now)?.toISOString(), "2027-03-01T12:00:00.000Z");
  assert.equal(parseWhen("36h", "--expires", now)?.toISOString(), "2026-12-03T00:00:00.000Z");
  assert.equal(parseWhen("2027-12-01", "--expires", now)?.toISOString(), "2027-12-01T00:00:00.000Z");
  assert.equal(parseWhen("2027-12-01T09:30:00+02:00", "--expires", now)?.toISOString(), "2027-12-01T07:30:00.000Z");
  assert.equal(parseWhen(undefined, "--expires", now), undefined);
  for (const bad of ["soon", "90", "2027-13-45", "1y"]) {
    assert.throws(() => parseWhen(bad, "--expires", now), UsageError, bad);
  }
});

Deno.test("vault set: the value and --contexts-from cannot both be stdin (usage error, nothing contacted)", async () => {
  const { main } = await import("./main.ts");
  const { Output } = await import("./output.ts");
  let err = "";
  const o = new Output(
    { out: () => {}, err: (s) => (err += s), outIsTerminal: false, errIsTerminal: false },
    () => undefined,
  );
  const code = await main([
    "vault",
    "set",
    "--cluster-store",
    "c",
    "--name",
    "k",
    "--file",
    "-",
    "--contexts-from",
    "-",
  ], o);
  assert.equal(code, 2);
  assert.match(err, /cannot both come from stdin/);
});
