import assert from "node:assert/strict";
import {
  DEFAULT_AUTHORITY_HOSTS,
  DEFAULT_VAULT_HOSTS,
  hostAllowed,
  hostMatches,
  parseHostPattern,
  parseHostPatterns,
} from "./endpoints.ts";

Deno.test("hostMatches: exact hosts, one-label wildcards, ports (443 when none, * for any)", () => {
  assert.ok(hostMatches("kv1.vault.azure.net", "*.vault.azure.net"));
  assert.ok(!hostMatches("vault.azure.net", "*.vault.azure.net"), "the suffix itself is not a vault");
  assert.ok(!hostMatches("a.b.vault.azure.net", "*.vault.azure.net"), "one label only");
  assert.ok(!hostMatches("kv1.vault.azure.net.evil.com", "*.vault.azure.net"));
  assert.ok(!hostMatches("kv1evault.azure.net", "*.vault.azure.net"));
  assert.ok(!hostMatches("kv1.vault.azure.net:8443", "*.vault.azure.net"), "no port means 443");
  assert.ok(hostMatches("kv1.vault.azure.net:8443", "*.vault.azure.net:*"));
  assert.ok(hostMatches("login.microsoftonline.com", "login.microsoftonline.com"));
  assert.ok(hostMatches("login.microsoftonline.com", "login.microsoftonline.com:443"));
  assert.ok(!hostMatches("login.microsoftonline.com.evil", "login.microsoftonline.com"));
  assert.ok(hostMatches("127.0.0.1:4443", "127.0.0.1:4443"));
  assert.ok(!hostMatches("127.0.0.1:4444", "127.0.0.1:4443"));
  assert.ok(hostMatches("127.0.0.1:4444", "127.0.0.1:*"));
  assert.ok(hostMatches("[::1]:4444", "[::1]:*"));
  assert.ok(hostMatches("KV1.Vault.Azure.Net", "*.vault.azure.net"), "case-insensitive");
  assert.ok(!hostAllowed("kv.vault.azure.net", []));
  assert.ok(hostAllowed("kv.vault.azure.cn", DEFAULT_VAULT_HOSTS));
  assert.ok(!hostAllowed("kv.vault.microsoftazure.de", DEFAULT_VAULT_HOSTS), "Azure Germany is gone");
  assert.ok(hostAllowed("login.microsoftonline.us", DEFAULT_AUTHORITY_HOSTS));
});

Deno.test("parseHostPattern(s): normalises, accepts https:// and a trailing slash, refuses anything else", () => {
  assert.equal(parseHostPattern(" HTTPS://Login.Example.com/ "), "login.example.com");
  assert.deepEqual(parseHostPatterns("*.vault.azure.net, 127.0.0.1:* ,,"), ["*.vault.azure.net", "127.0.0.1:*"]);
  for (const bad of ["http://x", "*", "*.", "a.*.b", "x/y", "x:99999999", "user@x", "x:y"]) {
    assert.throws(() => parseHostPattern(bad), /is not a host pattern/, bad);
  }
});
