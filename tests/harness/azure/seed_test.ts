import assert from "node:assert/strict";
import { parseSeed, readSeedFile, SeedError } from "./seed.ts";
import { withEmulators } from "./testing.ts";

Deno.test("seed: string shorthand, mappings as JSON, versions, valueFile, attributes and identities", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/big.txt`, "from a file");
    const data = await parseSeed(
      `
vaults:
  demo:
    secrets:
      plain: hello
      json: { value: { a: 1 }, contentType: application/json, tags: { team: x } }
      rotated: { versions: [ old, { value: new, enabled: false, expires: "2030-01-01T00:00:00Z" } ] }
      file: { valueFile: big.txt }
    keys: { k: { kty: EC } }
    certificates: { c: { format: pem, subject: "CN=c" } }
clientSecretApps: [ { clientId: app, secret: s, vaults: { demo: read } } ]
federatedIdentities: [ { clientId: wi, issuer: "https://i", subject: "system:serviceaccount:a:b" } ]
managedIdentities: [ { clientId: mi, default: true } ]
faults: [ { match: { route: "GET /secrets" }, sequence: [ { status: 429, retryAfterSeconds: 1 } ] } ]
`,
      dir,
    );
    const secrets = data.vaults.demo?.secrets ?? {};
    assert.deepEqual(secrets.plain, [{ value: "hello" }]);
    assert.deepEqual(secrets.json, [{ value: '{"a":1}', contentType: "application/json", tags: { team: "x" } }]);
    assert.deepEqual(secrets.rotated, [{ value: "old" }, { value: "new", enabled: false, exp: 1893456000 }]);
    assert.deepEqual(secrets.file, [{ value: "from a file" }]);
    assert.deepEqual(data.vaults.demo?.keys, { k: { kty: "EC" } });
    assert.deepEqual(data.vaults.demo?.certificates, { c: { format: "pem", subject: "CN=c" } });
    assert.deepEqual(data.clientSecretApps, [{ clientId: "app", secret: "s", vaults: { demo: "read" } }]);
    assert.equal(data.federatedIdentities[0]?.subject, "system:serviceaccount:a:b");
    assert.deepEqual(data.managedIdentities, [{ clientId: "mi", default: true }]);
    assert.equal(data.faults.length, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("seed: mistakes are reported with their path", async () => {
  const bad = async (text: string): Promise<string> => {
    try {
      await parseSeed(text, ".");
    } catch (e) {
      assert.ok(e instanceof SeedError);
      return e.message;
    }
    throw new Error("accepted");
  };
  assert.match(await bad("vault: {}"), /unknown field vault/);
  assert.match(
    await bad("vaults: { demo: { secrets: { s: { value: 1 } } } }"),
    /vaults\.demo\.secrets\.s\[0\]: want value/,
  );
  assert.match(await bad("clientSecretApps: [ { clientId: a } ]"), /clientSecretApps\[0\]\.secret/);
  assert.match(
    await bad("clientSecretApps: [ { clientId: a, secret: b, vaults: { demo: admin } } ]"),
    /read, write or none/,
  );
  assert.match(await bad("faults: [ { rate: 7 } ]"), /faults\[0\]/);
  assert.match(await bad("vaults: ["), /not YAML or JSON/);
});

Deno.test("the demo seed file gives vault zaldre the seed's docker-config-json", async () => {
  const file = new URL("./testdata/demo_seed.yaml", import.meta.url).pathname;
  await withEmulators({ vaults: [], seedFile: file }, (em) => {
    assert.deepEqual(em.vaultNames(), ["zaldre"]);
    const secret = em.getSecret("zaldre", "docker-config-json");
    assert.equal(secret?.contentType, "application/json");
    const config = JSON.parse(secret?.value ?? "");
    const entry = config.auths["myregistry.azurecr.io"];
    assert.equal(atob(entry.auth), `${entry.username}:${entry.password}`);
  });
  assert.ok((await readSeedFile(file)).vaults.zaldre);
});
