import assert from "node:assert/strict";
import { readKey, storeKey } from "../runtime/keys.ts";
import { ChangeDetector, KEY_BY_KEY_MS } from "./change_detection.ts";

const LIST = readKey(storeKey("ClusterSecretStore", "kv"), "uid", "", ["versions"]);
const OTHER = readKey(storeKey("ClusterSecretStore", "kv2"), "uid2", "", ["versions"]);
const T = 1_000_000;
const MIN = 60_000;

Deno.test("ChangeDetector.decide(): keys read one by one until a window has passed; then fewer pages than keys", () => {
  const d = new ChangeDetector();
  assert.deepEqual(d.decide(LIST, MIN, T), { mode: "get" }, "nothing known");
  d.note(LIST, "a", T);
  d.note(LIST, "A", T);
  d.note(LIST, "b", T + 10);
  assert.deepEqual(d.decide(LIST, MIN, T + MIN - 3001), { mode: "get" }, "the count is not complete yet");
  assert.deepEqual(d.decide(LIST, MIN, T + MIN - 3000), { mode: "list", maxPages: 1 }, "refreshes come 3 s early");
  assert.deepEqual(d.decide(LIST, MIN, T + MIN), { mode: "list", maxPages: 1 }, "a and b (names case-insensitive)");
  for (let i = 0; i < 30; i++) d.note(LIST, `k${i}`, T + MIN);
  assert.deepEqual(d.decide(LIST, MIN, T + MIN), { mode: "list", maxPages: 31 }, "32 keys in use");
  d.note(OTHER, "a", T);
  assert.deepEqual(d.decide(OTHER, MIN, T + MIN), { mode: "get" }, "counted per store: one key is cheaper read");
});

Deno.test("ChangeDetector.decide(): keys nobody read in two windows no longer count", () => {
  const d = new ChangeDetector();
  for (let i = 0; i < 10; i++) d.note(LIST, `k${i}`, T);
  d.note(LIST, "k0", T + MIN);
  d.note(LIST, "k1", T + 2 * MIN);
  assert.deepEqual(d.decide(LIST, MIN, T + 2 * MIN + 1), { mode: "list", maxPages: 1 }, "k0 and k1 only");
});

Deno.test("ChangeDetector.fallBack(): key by key for an hour, then listed again; reported once", () => {
  const fallbacks: string[] = [];
  const d = new ChangeDetector({ onFallback: (_k, reason) => fallbacks.push(reason) });
  const HOUR = 3_600_000;
  d.note(LIST, "a", T);
  d.note(LIST, "b", T);
  d.fallBack(LIST, T + HOUR, "too-long");
  d.fallBack(LIST, T + HOUR + 1, "denied");
  assert.deepEqual(fallbacks, ["too-long"]);
  assert.deepEqual(d.decide(LIST, HOUR, T + HOUR + 1), { mode: "get" });
  assert.deepEqual(d.decide(LIST, HOUR, T + HOUR + KEY_BY_KEY_MS), { mode: "list", maxPages: 1 });
});

Deno.test("ChangeDetector.entry(): finds a listed secret whatever the case of its name", () => {
  const d = new ChangeDetector();
  const listing = [{ name: "Docker-Config", enabled: true, tags: {}, updatedAt: 5 }];
  assert.equal(d.entry(listing, "docker-config")?.updatedAt, 5);
  assert.equal(d.entry(listing, "absent"), undefined);
});
