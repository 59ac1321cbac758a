import assert from "node:assert/strict";
import { realTime, VirtualClock, VirtualTimer } from "./virtual_clock.ts";

Deno.test("virtual clock: timers fire in due order, at the step's end, and only when time is advanced", () => {
  const clock = new VirtualClock(1_000);
  const seen: string[] = [];
  clock.setTimeout(() => seen.push(`b@${clock.now()}`), 20);
  clock.setTimeout(() => seen.push(`a@${clock.now()}`), 10);
  const gone = clock.setTimeout(() => seen.push("cancelled"), 15);
  clock.setTimeout((x) => seen.push(`c${x}@${clock.now()}`), 20, "!");
  clock.clearTimeout(gone);
  assert.equal(clock.nextAt(), 1_010);
  assert.equal(clock.pending, 3);
  assert.equal(clock.advanceTo(1_005), 0);
  assert.deepEqual(seen, []);
  // One step to 1,030: everything due by then fires, in due order (ties by creation), seeing the step's end.
  assert.equal(clock.advanceTo(1_030), 3);
  assert.deepEqual(seen, ["a@1030", "b@1030", "c!@1030"]);
  assert.equal(clock.nextAt(), undefined);
  // Time never goes back.
  clock.advanceTo(0);
  assert.equal(clock.now(), 1_030);
});

Deno.test("virtual clock: a timer added while firing fires in the same step if due by its end; intervals repeat", () => {
  const clock = new VirtualClock(0);
  const seen: number[] = [];
  clock.setTimeout(() => clock.setTimeout(() => seen.push(clock.now()), 0), 5);
  const tick = clock.setInterval(() => seen.push(-clock.now()), 100);
  clock.advanceTo(10);
  assert.deepEqual(seen, [10]);
  clock.advanceTo(100);
  clock.advanceTo(250);
  assert.deepEqual(seen, [10, -100, -250]);
  clock.clearTimeout(tick);
  clock.advanceTo(1_000);
  assert.deepEqual(seen, [10, -100, -250]);
  assert.equal(clock.pending, 0);
});

Deno.test("virtual clock: install puts Date, performance.now and the timers on it; uninstall restores them", () => {
  const start = Date.UTC(2026, 11, 1, 12, 0, 0);
  const clock = new VirtualClock(start);
  const [RealDate, realSetTimeout, perfNow] = [Date, globalThis.setTimeout, performance.now];
  const undo = clock.install();
  try {
    assert.equal(Date.now(), start);
    assert.equal(new Date().toISOString(), "2026-12-01T12:00:00.000Z");
    assert.ok(new Date() instanceof Date);
    assert.equal(new Date(0).getTime(), 0);
    assert.equal(Date.parse("2026-12-01T12:00:00Z"), start);
    const p0 = performance.now();
    let fired = false;
    const handle = setTimeout(() => fired = true, 60_000);
    assert.ok(handle instanceof VirtualTimer);
    assert.equal(typeof handle.unref, "function");
    clock.advanceTo(start + 60_000);
    assert.ok(fired);
    assert.equal(Date.now(), start + 60_000);
    assert.equal(performance.now() - p0, 60_000);
  } finally {
    undo();
  }
  assert.equal(Date, RealDate);
  assert.equal(globalThis.setTimeout, realSetTimeout);
  assert.equal(performance.now, perfNow);
  assert.ok(Math.abs(performance.now() - realTime.now()) < 1_000, "performance.now() is real time again");
});
