import assert from "node:assert/strict";
import { planExpiry } from "./expiry.ts";

const NOW = new Date("2026-12-01T12:00:00Z");
const inDays = (d: number): Date => new Date(NOW.getTime() + d * 86_400_000);

Deno.test("planExpiry(): per-source version and expiry, the earliest one, and nothing for sources without exp", () => {
  const p = planExpiry(
    [
      { remoteKey: "a", version: "v1", expiresAt: inDays(90) },
      { remoteKey: "b", version: "v7" },
      { remoteKey: "c", version: "v2", expiresAt: inDays(45) },
    ],
    undefined,
    NOW,
  );
  assert.deepEqual(p.sources, [
    { key: "a", version: "v1", expiresAt: "2027-03-01T12:00:00Z" },
    { key: "b", version: "v7" },
    { key: "c", version: "v2", expiresAt: "2027-01-15T12:00:00Z" },
  ]);
  assert.equal(p.expiresAt, "2027-01-15T12:00:00Z");
  assert.deepEqual(p.events, []);
  assert.equal(p.note, undefined);
});

Deno.test("planExpiry(): SourceExpiring once per version within the threshold, SourceExpired after; no values", () => {
  const first = planExpiry([{ remoteKey: "docker-config-json", version: "v1", expiresAt: inDays(10) }], undefined, NOW);
  assert.equal(first.sources[0]?.expiry, "Expiring");
  assert.deepEqual(first.events, [{
    type: "Warning",
    reason: "SourceExpiring",
    message: 'secret "docker-config-json" version v1 expires at 2026-12-11T12:00:00Z (in 10 days)',
  }]);
  const again = planExpiry(
    [{ remoteKey: "docker-config-json", version: "v1", expiresAt: inDays(9) }],
    { sources: first.sources },
    inDays(1),
  );
  assert.deepEqual(again.events, [], "once per version");
  const expired = planExpiry(
    [{ remoteKey: "docker-config-json", version: "v1", expiresAt: inDays(10) }],
    { sources: first.sources },
    inDays(11),
  );
  assert.equal(expired.events[0]?.reason, "SourceExpired");
  assert.match(expired.note ?? "", /docker-config-json expired at 2026-12-11T12:00:00Z \(still synced/);
  const rotated = planExpiry(
    [{ remoteKey: "docker-config-json", version: "v2", expiresAt: inDays(20) }],
    { sources: expired.sources },
    NOW,
  );
  assert.equal(rotated.events[0]?.reason, "SourceExpiring", "a new version that expires soon warns again");
  const later = planExpiry([{ remoteKey: "k", version: "v1", expiresAt: inDays(40) }], undefined, NOW);
  assert.deepEqual(later.events, [], "outside the 30-day default");
  const custom = planExpiry(
    [{ remoteKey: "k", version: "v1", expiresAt: inDays(40) }],
    undefined,
    NOW,
    60 * 86_400_000,
  );
  assert.equal(custom.events.length, 1, "the threshold is a parameter (--expiry-warning)");
});
