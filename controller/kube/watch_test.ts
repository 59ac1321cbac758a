import assert from "node:assert/strict";
import { isWatchHealthy, parseEvent, type WatchHealth } from "./watch.ts";
import { secrets } from "./resources.ts";
import { KubeNetworkError } from "./errors.ts";

Deno.test("parseEvent() accepts the five event types", () => {
  for (const type of ["ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"]) {
    const ev = parseEvent(JSON.stringify({ type, object: { metadata: { resourceVersion: "7" } } }), secrets);
    assert.equal(ev.type, type);
  }
});

Deno.test("parseEvent() treats malformed lines as a broken stream", () => {
  for (const line of ["{", "[]", '{"type":"ADDED"}', '{"type":"NOPE","object":{}}', '{"type":"ADDED","object":null}']) {
    assert.throws(() => parseEvent(line, secrets), KubeNetworkError, line);
  }
});

Deno.test("isWatchHealthy() needs a sync and then a connection or recent activity", () => {
  const h = (over: Partial<WatchHealth>): WatchHealth => ({
    synced: true,
    connected: false,
    lastEventAt: 1000,
    lastError: undefined,
    failures: 0,
    relists: 0,
    reconnects: 0,
    resourceVersion: "1",
    ...over,
  });
  assert.equal(isWatchHealthy(h({ synced: false, connected: true }), 1000, 10), false);
  assert.equal(isWatchHealthy(h({ connected: true, lastEventAt: 0 }), 99_999, 10), true);
  assert.equal(isWatchHealthy(h({}), 1010, 10), true);
  assert.equal(isWatchHealthy(h({}), 1011, 10), false);
  assert.equal(isWatchHealthy(h({ lastEventAt: undefined }), 0, 10), false);
});
