import assert from "node:assert/strict";
import { MAX_RECORDS, RequestLog } from "./counters.ts";

const base = { at: 0, service: "keyvault" as const, vault: "demo", durationMs: 1 };

Deno.test("counters summarize by route, caller, status and route x caller; filters narrow them", () => {
  const log = new RequestLog();
  log.add({ ...base, route: "GET /secrets", caller: "a", status: 200 });
  log.add({ ...base, route: "GET /secrets", caller: "b", status: 429 });
  log.add({ ...base, route: "PUT /secrets/{name}", caller: "a", status: 200, vault: "other" });
  const all = log.counters();
  assert.equal(all.total, 3);
  assert.deepEqual(all.byRoute, { "GET /secrets": 2, "PUT /secrets/{name}": 1 });
  assert.deepEqual(all.byCaller, { a: 2, b: 1 });
  assert.deepEqual(all.byStatus, { "200": 2, "429": 1 });
  assert.deepEqual(all.byRouteAndCaller["GET /secrets"], { a: 1, b: 1 });
  assert.equal(all.lastSeq, 3);
  assert.equal(log.counters({ vault: "other" }).total, 1);
  assert.equal(log.counters({ caller: "a", status: 200 }).total, 2);
  assert.deepEqual(log.records({ afterSeq: 2 }).map((r) => r.seq), [3]);
});

Deno.test("reset forgets records but seq keeps counting; the log is bounded", () => {
  const log = new RequestLog();
  log.add({ ...base, route: "r", caller: "a", status: 200 });
  log.reset();
  assert.equal(log.counters().total, 0);
  assert.equal(log.add({ ...base, route: "r", caller: "a", status: 200 }).seq, 2);
  for (let i = 0; i < MAX_RECORDS + 5; i++) log.add({ ...base, route: "r", caller: "a", status: 200 });
  assert.equal(log.records().length, MAX_RECORDS);
  assert.equal(log.forgotten, 6);
});
