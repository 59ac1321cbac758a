import assert from "node:assert/strict";
import { syncedEs } from "./testing.ts";
import { forceSyncIgnored, isUpToDate, nextRefresh, storeShort, summarize, targetSecretName } from "./summary.ts";

const NOW = new Date("2025-06-01T12:00:00Z");

Deno.test("nextRefresh(): periodic, due, pending force-sync, never, on change, failing, deleting", () => {
  assert.deepEqual(nextRefresh(syncedEs(), NOW), {
    text: "50m",
    detail: "in 50m (2025-06-01T12:50:00Z)",
    atMs: Date.parse("2025-06-01T12:50:00Z"),
  });
  assert.equal(nextRefresh(syncedEs({ refreshInterval: "5m" }), NOW).text, "now");
  const annotated = syncedEs();
  annotated.metadata.annotations = { a: "2" };
  assert.equal(nextRefresh(annotated, NOW).text, "now");
  assert.match(nextRefresh(annotated, NOW).detail, /force-sync pending/);
  assert.equal(nextRefresh(syncedEs({ refreshInterval: "0" }), NOW).text, "<never>");
  assert.equal(nextRefresh(syncedEs({ refreshPolicy: "CreatedOnce" }), NOW).text, "<never>");
  assert.equal(nextRefresh(syncedEs({ refreshPolicy: "OnChange" }), NOW).text, "on change");
  assert.equal(nextRefresh(syncedEs({}, "False"), NOW).text, "retrying");
  const fresh = syncedEs();
  delete fresh.status;
  assert.equal(nextRefresh(fresh, NOW).text, "pending");
  const deleting = syncedEs();
  deleting.metadata.deletionTimestamp = "2025-06-01T11:59:00Z";
  assert.equal(nextRefresh(deleting, NOW).text, "deleting");
  assert.equal(nextRefresh(syncedEs({ refreshInterval: "bogus" }), NOW).text, "<invalid>");
});

Deno.test("forceSyncIgnored(): refreshInterval 0 under Periodic, and CreatedOnce, once synced", () => {
  assert.equal(forceSyncIgnored(syncedEs()), undefined);
  assert.match(forceSyncIgnored(syncedEs({ refreshInterval: "0" }))!, /refreshInterval is 0/);
  assert.match(
    forceSyncIgnored(syncedEs({ refreshInterval: "0s", refreshPolicy: "Periodic" }))!,
    /refreshInterval is 0/,
  );
  assert.match(forceSyncIgnored(syncedEs({ refreshPolicy: "CreatedOnce" }))!, /CreatedOnce/);
  assert.equal(forceSyncIgnored(syncedEs({ refreshPolicy: "OnChange", refreshInterval: "0" })), undefined);
  const never = syncedEs({ refreshInterval: "0" });
  delete never.status;
  assert.equal(forceSyncIgnored(never), undefined, "it has not synced yet: the first sync still happens");
});

Deno.test("summarize(), isUpToDate(), storeShort(), targetSecretName()", () => {
  const s = summarize(syncedEs({ target: { name: "other" } }), NOW);
  assert.equal(s.name, "regcred");
  assert.equal(s.namespace, "jenkins");
  assert.equal(s.storeKind, "ClusterSecretStore");
  assert.equal(s.ready, "True");
  assert.equal(s.reason, "SecretSynced");
  assert.equal(s.lastSync, "2025-06-01T11:50:00Z");
  assert.equal(s.target, "other");
  assert.equal(s.upToDate, true);
  const es = syncedEs();
  es.metadata.labels = { x: "y" };
  assert.equal(isUpToDate(es), false);
  const bare = syncedEs({ secretStoreRef: { name: "ss1" } });
  delete bare.status;
  assert.equal(summarize(bare, NOW).ready, "Unknown");
  assert.equal(summarize(bare, NOW).storeKind, "SecretStore");
  assert.equal(storeShort("SecretStore", "a"), "ss/a");
  assert.equal(storeShort("ClusterSecretStore", "a"), "css/a");
  assert.equal(targetSecretName(bare), "regcred");
});
