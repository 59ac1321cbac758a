// Pure pieces of the Entra and Key Vault handlers: scope parsing, AADSTS bodies, route mapping, body parsing.
import assert from "node:assert/strict";
import { aadError, resourceFromScope } from "./entra.ts";
import { parseUpdate, resolveOperation, ROUTES } from "./key_vault.ts";
import { KvError } from "./store.ts";

Deno.test("scope → resource: one '<resource>/.default', OIDC scopes ignored; v1 takes resource", () => {
  assert.equal(resourceFromScope("https://vault.azure.net/.default", null, true), "https://vault.azure.net");
  assert.equal(
    resourceFromScope("openid https://vault.azure.net/.default offline_access", null, true),
    "https://vault.azure.net",
  );
  assert.deepEqual(resourceFromScope("https://vault.azure.net/secrets.read", null, true), {
    error: "https://vault.azure.net/secrets.read",
  });
  assert.deepEqual(resourceFromScope("a/.default b/.default", null, true), { error: "a/.default b/.default" });
  assert.deepEqual(resourceFromScope(null, null, true), { error: "" });
  assert.equal(resourceFromScope(null, "https://vault.azure.net/", false), "https://vault.azure.net");
});

Deno.test("AADSTS bodies carry error, a description starting with the code, error_codes and ids", () => {
  const reply = aadError(401, "invalid_client", 7000215, "Invalid client secret provided.", "corr-1");
  assert.equal(reply.status, 401);
  const body = JSON.parse(reply.body ?? "");
  assert.equal(body.error, "invalid_client");
  assert.match(
    body.error_description,
    /^AADSTS7000215: Invalid client secret provided\. Trace ID: \S+ Correlation ID: corr-1 Timestamp: /,
  );
  assert.deepEqual(body.error_codes, [7000215]);
  assert.equal(body.correlation_id, "corr-1");
});

Deno.test("Key Vault routes: trailing slash = latest version, versions/recover sub-resources, unknown ones", () => {
  const route = (method: string, path: string): string | undefined =>
    resolveOperation(method, path.split("/").slice(1))?.route;
  assert.equal(route("GET", "/secrets"), ROUTES.listSecrets);
  assert.equal(route("GET", "/secrets/"), ROUTES.listSecrets);
  assert.equal(route("GET", "/secrets/db/"), ROUTES.getSecret);
  assert.equal(route("GET", "/secrets/db"), ROUTES.getSecret);
  assert.equal(route("GET", "/secrets/db/0123456789abcdef0123456789abcdef"), ROUTES.getSecret);
  assert.equal(route("PATCH", "/secrets/db/0123"), ROUTES.updateSecret);
  assert.equal(route("PUT", "/secrets/db"), ROUTES.setSecret);
  assert.equal(route("DELETE", "/secrets/db"), ROUTES.deleteSecret);
  assert.equal(route("GET", "/secrets/db/versions"), ROUTES.listSecretVersions);
  assert.equal(route("POST", "/deletedsecrets/db/recover"), ROUTES.recoverDeletedSecret);
  assert.equal(route("DELETE", "/deletedsecrets/db"), ROUTES.purgeDeletedSecret);
  assert.equal(route("GET", "/keys/k/"), ROUTES.getKey);
  assert.equal(route("GET", "/certificates/c/versions"), ROUTES.listCertificateVersions);
  assert.equal(route("POST", "/secrets/db/backup"), undefined);
  assert.equal(route("PUT", "/keys/k"), undefined);
  assert.equal(route("GET", "/storage"), undefined);
  const op = resolveOperation("GET", ["secrets", "my%2Dname", ""]);
  assert.equal(op?.name, "my-name");
  assert.equal(op?.access, "read");
  assert.equal(resolveOperation("PUT", ["secrets", "x"])?.access, "write");
});

Deno.test("set/update bodies: contentType, tags and attributes, with Key Vault's BadParameter on wrong types", () => {
  assert.deepEqual(
    parseUpdate({ contentType: "t", tags: { a: "b" }, attributes: { enabled: false, nbf: 1, exp: 2 } }),
    { contentType: "t", tags: { a: "b" }, enabled: false, nbf: 1, exp: 2 },
  );
  assert.deepEqual(parseUpdate({ attributes: {} }), {});
  for (
    const bad of [{ contentType: 1 }, { tags: { a: 1 } }, { attributes: { enabled: "yes" } }, {
      attributes: { exp: 1.5 },
    }]
  ) {
    assert.throws(
      () => parseUpdate(bad),
      (e) => e instanceof KvError && e.code === "BadParameter",
      JSON.stringify(bad),
    );
  }
});
