import assert from "node:assert/strict";
import { diagnose, type StoreFacts } from "./explain.ts";
import { syncedEs } from "./testing.ts";

const STORE: StoreFacts = {
  kind: "ClusterSecretStore",
  name: "css",
  found: true,
  ready: "True",
  vaultUrl: "https://zaldre.vault.azure.net/",
  missingCredentials: [],
};

function failing(message: string) {
  const es = syncedEs({}, "False");
  es.status!.conditions![0]!.message = message;
  return es;
}

Deno.test("diagnose(): Ready, a missing key, Key Vault's 403, a template line, refreshInterval 0", () => {
  assert.deepEqual(diagnose(syncedEs(), STORE).next, []);
  const nokey = diagnose(failing('secret "db-pw" not found in Key Vault https://zaldre.vault.azure.net/'), STORE);
  assert.match(nokey.next[0]!, /the key "db-pw" does not exist in https:\/\/zaldre.*--cluster-store css --name db-pw/);
  const denied = diagnose(
    failing("Key Vault https://zaldre.vault.azure.net/ denied the credentials of x access to secret y (403 Forbidden)"),
    STORE,
  );
  assert.match(denied.next[0]!, /"Key Vault Secrets User"/);
  const tpl = syncedEs({ target: { template: { data: { cfg: "a\n{{ .k | nope }}\nc" } } } }, "False");
  tpl.status!.conditions![0]!.message = 'template: cfg:2: function "nope" not defined';
  assert.match(diagnose(tpl, STORE).next[0]!, /spec\.target\.template\.data\["cfg"\] line 2: \{\{ \.k \| nope \}\}/);
  const once = syncedEs({ refreshInterval: "0" }, "False");
  assert.ok(diagnose(once, STORE).next.some((n) => /will not refresh by itself: refreshInterval is 0/.test(n)));
});

Deno.test("diagnose(): a missing store, a store not Ready with missing credentials, no controller", () => {
  const missing = diagnose(failing("x"), { ...STORE, kind: "SecretStore", name: "s", found: false });
  assert.equal(missing.why, 'SecretStore "s" does not exist in namespace "jenkins"');
  const creds = diagnose(failing("x"), {
    ...STORE,
    ready: "False",
    message: "invalid",
    missingCredentials: ["ns/sp (does not exist, authSecretRef.clientId)"],
  });
  assert.equal(creds.why, "css/css is not Ready: invalid");
  assert.match(creds.next[0]!, /create or fix the credentials Secret ns\/sp/);
  const fresh = syncedEs();
  delete fresh.status;
  assert.match(diagnose(fresh, STORE).next[0]!, /is a controller running/);
});
