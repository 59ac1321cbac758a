import assert from "node:assert/strict";
import { detailText, type StatusReport, statusTable } from "./status.ts";
import { summarize } from "./summary.ts";
import { syncedEs } from "./testing.ts";

const NOW = new Date("2025-06-01T12:00:00Z");

Deno.test("statusTable(): kubectl-style columns, -A adds NAMESPACE, wide adds REFRESH and the whole message", () => {
  const ok = syncedEs();
  const bad = syncedEs({}, "False");
  bad.metadata = { ...bad.metadata, name: "broken" };
  bad.status!.conditions![0]!.message = "could not get secret data from provider: " + "x".repeat(80);
  const rows = [summarize(ok, NOW), summarize(bad, NOW)];
  assert.equal(
    statusTable(rows, { allNamespaces: false, wide: false, now: NOW }),
    [
      "NAME      STORE     READY   REASON              LAST SYNC   EXPIRES   NEXT REFRESH   TARGET    MESSAGE",
      "regcred   css/css   True    SecretSynced        10m         <none>    50m            regcred   secret synced",
      "broken    css/css   False   SecretSyncedError   10m         <none>    retrying       broken    " +
      "could not get secret data from provider: xxxxxxxxxxxxxxxxxx…",
    ].join("\n"),
  );
  const wide = statusTable(rows, { allNamespaces: true, wide: true, now: NOW });
  assert.match(
    wide.split("\n")[0]!,
    /^NAMESPACE {3}NAME {6}STORE {5}READY {3}REASON {3}.*NEXT REFRESH {3}REFRESH {7}TARGET {4}MESSAGE$/,
  );
  assert.match(wide, /jenkins {5}regcred {3}css\/css {3}True .* Periodic\/1h {3}regcred {3}secret synced/);
  assert.match(wide, /x{80}$/, "wide shows the whole message");
});

Deno.test("detailText(): store, refresh, target keys and sizes (no values), data refs, conditions, events", () => {
  const es = syncedEs({ target: { name: "regcred", template: { type: "kubernetes.io/dockerconfigjson" } } });
  const report: StatusReport = {
    externalSecret: es,
    summary: summarize(es, NOW),
    store: {
      kind: "ClusterSecretStore",
      name: "css",
      found: true,
      ready: "True",
      reason: "Valid",
      message: "store validated",
      vaultUrl: "https://zaldre.vault.azure.net/",
      authType: "ServicePrincipal",
    },
    target: {
      name: "regcred",
      found: true,
      type: "kubernetes.io/dockerconfigjson",
      keys: [{ name: ".dockerconfigjson", size: 123 }],
      managed: true,
      ownedByThis: true,
      dataHashMatches: true,
    },
    events: [
      {
        type: "Normal",
        reason: "Created",
        message: "secret created",
        count: 1,
        lastTimestamp: "2025-06-01T11:00:00Z",
        source: "external-secrets",
      },
      {
        type: "Normal",
        reason: "Updated",
        message: "secret updated",
        count: 3,
        firstTimestamp: "2025-06-01T11:10:00Z",
        lastTimestamp: "2025-06-01T11:50:00Z",
        source: "external-secrets",
      },
    ],
  };
  const text = detailText(report, NOW);
  assert.match(text, /^Name: +regcred\nNamespace: +jenkins\nReady: +True {2}SecretSynced: secret synced \(for 10m\)/);
  assert.match(text, /\nStore: +ClusterSecretStore\/css: Ready True \(Valid: store validated\)\n/);
  assert.match(text, /\nVault: +https:\/\/zaldre\.vault\.azure\.net\/ \(ServicePrincipal\)\n/);
  assert.match(text, /\nNext refresh: +in 50m \(2025-06-01T12:50:00Z\)\n/);
  assert.match(text, /\nForce-sync: +none pending/);
  assert.match(
    text,
    /\nTarget Secret: +regcred \(kubernetes\.io\/dockerconfigjson\), creationPolicy Owner, owned by this ExternalSecret\n {2}KEY {17}SIZE\n {2}\.dockerconfigjson {3}123 B\n {2}Data hash: matches/,
  );
  assert.match(
    text,
    /\nData:\n {2}SECRET KEY {3}REMOTE KEY {11}PROPERTY {3}VERSION\n {2}k {12}docker-config-json {3}- {10}latest\n/,
  );
  assert.match(
    text,
    /\nConditions:\n {2}TYPE {4}STATUS {3}REASON {9}SINCE {3}MESSAGE\n {2}Ready {3}True {5}SecretSynced {3}10m {5}secret synced\n/,
  );
  assert.match(text, /\n {2}Normal {3}Updated {3}10m \(x3 over 50m\) {3}external-secrets {3}secret updated$/);

  const blocked = detailText({
    ...report,
    target: { name: "regcred", found: false, keys: [], error: "Error from server (Forbidden): you cannot get secrets" },
    store: { kind: "ClusterSecretStore", name: "css", found: false },
    events: [],
    eventsError: "Error from server (Forbidden): you cannot list events",
  }, NOW);
  assert.match(blocked, /\nStore: +ClusterSecretStore\/css: not found\n/);
  assert.match(blocked, /\nTarget Secret: +regcred: cannot read it: Error from server \(Forbidden\)/);
  assert.match(blocked, /\nEvents: {2}cannot list them: /);
});

Deno.test("statusTable(): a fleet's CLUSTER column, problem rows with the whole reason, --no-headers", () => {
  const rows = [
    { ...summarize(syncedEs(), NOW), cluster: "east" },
    { cluster: "bare", problem: "CRDsMissing", message: "the server doesn't have a resource type " + "x".repeat(80) },
    { cluster: "west", namespace: "jenkins", name: "nosuch", problem: "NotFound", message: "not found" },
  ];
  const table = statusTable(rows, { allNamespaces: true, wide: false, cluster: true, now: NOW });
  const lines = table.split("\n");
  assert.match(lines[0]!, /^CLUSTER {3}NAMESPACE {3}NAME {6}STORE {5}READY {3}REASON {9}LAST SYNC/);
  assert.match(lines[1]!, /^east {6}jenkins {5}regcred {3}css\/css {3}True {4}SecretSynced {3}10m/);
  assert.match(lines[2]!, /^bare {6}- {11}- {9}- {9}- {7}CRDsMissing {4}- .*x{80}$/, "never shortened");
  assert.match(lines[3]!, /^west {6}jenkins {5}nosuch {4}- {9}- {7}NotFound {7}- /);
  const bare = statusTable(rows, { allNamespaces: true, wide: false, cluster: true, noHeaders: true, now: NOW });
  assert.equal(bare.split("\n").length, 3);
  assert.ok(bare.startsWith("east "));
});

Deno.test("statusTable(): EXPIRES shows how long until the earliest source expires, or that it has", () => {
  const soon = syncedEs();
  soon.status!.expiresAt = "2025-06-11T12:00:00Z";
  const gone = syncedEs();
  gone.metadata = { ...gone.metadata, name: "gone" };
  gone.status!.expiresAt = "2025-05-31T12:00:00Z";
  const table = statusTable([summarize(soon, NOW), summarize(gone, NOW)], {
    allNamespaces: false,
    wide: false,
    now: NOW,
  });
  assert.match(table.split("\n")[1]!, / 10d /);
  assert.match(table.split("\n")[2]!, / expired 24h ago /);
});
