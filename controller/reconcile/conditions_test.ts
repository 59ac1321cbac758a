import assert from "node:assert/strict";
import { setCondition, stampTransitions } from "./conditions.ts";

Deno.test("stampTransitions() stamps only the conditions whose status changed, at the given time", () => {
  const before = setCondition(
    undefined,
    { type: "Ready", status: "False", reason: "SecretSyncedError", message: "x" },
    new Date(0),
  );
  const readAt = new Date("2026-12-01T10:00:00Z");
  const wroteAt = new Date("2026-12-01T10:00:07Z");
  const changed = {
    conditions: setCondition(before, { type: "Ready", status: "True", reason: "SecretSynced", message: "ok" }, readAt),
  };
  assert.equal(stampTransitions(before, changed, wroteAt).conditions?.[0]?.lastTransitionTime, "2026-12-01T10:00:07Z");
  const same = {
    conditions: setCondition(before, { type: "Ready", status: "False", reason: "Other", message: "y" }, readAt),
  };
  assert.equal(stampTransitions(before, same, wroteAt).conditions?.[0]?.lastTransitionTime, "1970-01-01T00:00:00Z");
});
