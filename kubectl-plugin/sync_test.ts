import assert from "node:assert/strict";
import type { ExternalSecret } from "../controller/api/types.ts";
import type { CoreEvent } from "../controller/kube/types.ts";
import { syncedResourceVersion } from "../controller/reconcile/eso_hash.ts";
import { UsageError } from "./errors.ts";
import {
  evaluate,
  exitCodeOf,
  forceSyncValue,
  newWarnings,
  outcomeLine,
  parseTimeout,
  type SyncOutcome,
  type SyncRequest,
} from "./sync.ts";
import { syncedEs } from "./testing.ts";

const requestedAt = Date.parse("2025-06-01T12:00:00.500Z");

/** The request as the patch left it: a new annotation, status not yet caught up. */
function requested(): SyncRequest {
  const es = syncedEs();
  es.metadata = { ...es.metadata, annotations: { a: "1", "external-secrets.io/force-sync": "1" } };
  return { es, expectedSrv: syncedResourceVersion(es.metadata), requestedAt };
}

function ev(name: string, count: number): CoreEvent {
  return { metadata: { name }, involvedObject: {}, count, type: "Warning", reason: "UpdateFailed" };
}

Deno.test("evaluate(): pending until the status carries the new syncedResourceVersion, then Ready", () => {
  const req = requested();
  assert.equal(evaluate(req, req.es, []).state, "pending");
  const done: ExternalSecret = { ...req.es, status: { ...req.es.status, syncedResourceVersion: req.expectedSrv } };
  assert.deepEqual(evaluate(req, done, []), { state: "refreshed", message: "SecretSynced: secret synced" });
  // A later change (someone else's) that the controller also synced counts too.
  const later = { ...done, metadata: { ...done.metadata, labels: { more: "x" } } };
  later.status = { ...later.status, syncedResourceVersion: syncedResourceVersion(later.metadata) };
  assert.equal(evaluate(req, later, []).state, "refreshed");
  assert.equal(evaluate(req, undefined, []).state, "gone");
});

Deno.test("evaluate(): a failure is reported only when it happened after the request", () => {
  const req = requested();
  const failing: ExternalSecret = {
    ...req.es,
    status: {
      ...req.es.status,
      conditions: [{
        type: "Ready",
        status: "False",
        reason: "SecretSyncedError",
        message: "boom",
        lastTransitionTime: "2025-06-01T11:00:00Z",
      }],
    },
  };
  assert.equal(evaluate(req, failing, []).state, "pending", "an old failure, no new Warning event");
  assert.deepEqual(evaluate(req, failing, [ev("e1", 2)]), { state: "failed", message: "SecretSyncedError: boom" });
  const transitioned = structuredClone(failing);
  transitioned.status!.conditions![0]!.lastTransitionTime = "2025-06-01T12:00:01Z";
  assert.equal(evaluate(req, transitioned, []).state, "failed", "it turned False after the request");
  const sameSecond = structuredClone(failing);
  sameSecond.status!.conditions![0]!.lastTransitionTime = "2025-06-01T12:00:00Z";
  assert.equal(evaluate(req, sameSecond, []).state, "pending", "second precision: the same second proves nothing");
});

Deno.test("newWarnings(): new Events and Events whose count grew", () => {
  const baseline = new Map([["e1", 2], ["e2", 1]]);
  assert.deepEqual(newWarnings(baseline, [ev("e1", 2), ev("e2", 1)]), []);
  assert.deepEqual(newWarnings(baseline, [ev("e1", 3), ev("e3", 1)]).map((e) => e.metadata?.name), ["e1", "e3"]);
  assert.deepEqual(newWarnings(undefined, [ev("e1", 1)]).length, 1);
  assert.deepEqual(newWarnings(baseline, undefined), []);
});

Deno.test("parseTimeout(): Go durations or seconds; garbage is a usage error", () => {
  assert.equal(parseTimeout("90s"), 90_000);
  assert.equal(parseTimeout("2m"), 120_000);
  assert.equal(parseTimeout("1h30m"), 5_400_000);
  assert.equal(parseTimeout("45"), 45_000);
  assert.equal(parseTimeout("0"), 0);
  assert.throws(() => parseTimeout("soon"), UsageError);
  assert.throws(() => parseTimeout("-1m"), UsageError);
});

Deno.test("forceSyncValue(): Unix time in nanoseconds", () => {
  assert.equal(forceSyncValue(1_700_000_000_123.456), "1700000000123456000");
  assert.notEqual(forceSyncValue(), forceSyncValue(Date.now() - 5));
});

Deno.test("exitCodeOf() and outcomeLine()", () => {
  const o = (state: SyncOutcome["state"]): SyncOutcome => ({ key: "ns/a", state, message: "m", elapsedMs: 1234 });
  assert.equal(exitCodeOf([o("ready"), o("ready")], false), 0);
  assert.equal(exitCodeOf([o("ready"), o("failed")], false), 3);
  assert.equal(exitCodeOf([o("ignored")], false), 3);
  assert.equal(exitCodeOf([o("timeout")], false), 3);
  assert.equal(exitCodeOf([o("ready")], true), 1);
  assert.equal(exitCodeOf([o("error")], false), 1);
  const plain = { green: (s: string) => s, red: (s: string) => s, yellow: (s: string) => s };
  assert.equal(outcomeLine(o("ready"), plain), "ns/a: Ready (m) after 1.2s");
  assert.equal(outcomeLine(o("failed"), plain), "ns/a: Failed (m)");
  assert.equal(outcomeLine(o("ignored"), plain), "ns/a: Not refreshed: m");
  assert.equal(outcomeLine(o("timeout"), plain), "ns/a: Timed out: m");
});
