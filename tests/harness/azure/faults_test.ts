import assert from "node:assert/strict";
import { FaultInjector, matches, parseFaultRule, type RequestInfo, seededRandom } from "./faults.ts";

const GET: RequestInfo = {
  service: "keyvault",
  vault: "demo",
  route: "GET /secrets/{name}/{version}",
  caller: "app",
  name: "Db",
};

Deno.test("matching by service, vault, route (one or several), caller and case-insensitive name", () => {
  assert.ok(matches(undefined, GET));
  assert.ok(matches({ service: "keyvault", vault: "demo", caller: "app", name: "db" }, GET));
  assert.ok(matches({ route: ["PUT /secrets/{name}", GET.route] }, GET));
  assert.ok(!matches({ route: "PUT /secrets/{name}" }, GET));
  assert.ok(!matches({ vault: "other" }, GET));
  assert.ok(!matches({ service: "entra" }, GET));
  assert.ok(!matches({ name: "other" }, GET));
});

Deno.test("a sequence is consumed one outcome per matching request, then the rule removes itself", async () => {
  const f = new FaultInjector();
  f.add({ match: { route: GET.route }, sequence: [{ status: 429, retryAfterSeconds: 3 }, "pass", "drop"] });
  assert.deepEqual(await f.apply({ ...GET, route: "PUT /secrets/{name}" }), { kind: "pass" });
  const first = await f.apply(GET);
  assert.equal(first.kind, "error");
  assert.deepEqual(first.kind === "error" ? first.error : undefined, { status: 429, retryAfterSeconds: 3 });
  assert.deepEqual(await f.apply(GET), { kind: "pass" });
  assert.equal((await f.apply(GET)).kind, "drop");
  assert.deepEqual(f.list(), []);
  assert.deepEqual(await f.apply(GET), { kind: "pass" });
});

Deno.test("rates draw from a seeded PRNG: same seed, same decisions; rate 0 never, 1 always", async () => {
  const run = async (seed: number): Promise<string> => {
    const f = new FaultInjector(seed);
    f.fail({}, 500, { rate: 0.3 });
    let s = "";
    for (let i = 0; i < 200; i++) s += (await f.apply(GET)).kind === "error" ? "x" : ".";
    return s;
  };
  const a = await run(7);
  assert.equal(a, await run(7));
  assert.notEqual(a, await run(8));
  const share = a.split("").filter((c) => c === "x").length / a.length;
  assert.ok(share > 0.2 && share < 0.4, `share ${share}`);
  const never = new FaultInjector();
  never.fail({}, 500, { rate: 0 });
  assert.equal((await never.apply(GET)).kind, "pass");
  assert.ok(seededRandom(1)() >= 0 && seededRandom(1)() < 1);
});

Deno.test("times limits a rule; latency adds up across rules and the first outcome wins", async () => {
  const f = new FaultInjector();
  f.latency({}, 30, { times: 1 });
  f.latency({ route: GET.route }, 20);
  f.fail({ caller: "app" }, 503, { count: 1 });
  f.fail({}, 500, { count: 1 });
  let t = performance.now();
  const d = await f.apply(GET);
  assert.ok(performance.now() - t >= 49);
  assert.equal(d.kind === "error" ? d.error.status : 0, 503);
  t = performance.now();
  const d2 = await f.apply(GET);
  assert.ok(performance.now() - t < 45);
  assert.equal(d2.kind === "error" ? d2.error.status : 0, 500);
  assert.equal(f.list().length, 1);
  assert.equal(f.list()[0]?.matched, 2);
});

Deno.test("stop() ends pending latency waits at once", async () => {
  const f = new FaultInjector();
  f.latency({}, 60_000);
  const pending = f.apply(GET);
  f.stop();
  assert.deepEqual(await pending, { kind: "pass" });
});

Deno.test("parseFaultRule checks JSON rules and says what is wrong", () => {
  assert.deepEqual(
    parseFaultRule({ match: { route: "GET /secrets", service: "keyvault" }, sequence: ["drop", { status: 429 }] }),
    {
      match: { route: "GET /secrets", service: "keyvault" },
      sequence: ["drop", { status: 429 }],
    },
  );
  assert.throws(() => parseFaultRule({ match: { service: "storage" } }), /service/);
  assert.throws(() => parseFaultRule({ sequence: [{ status: 42 }] }), /sequence\[0\]/);
  assert.throws(() => parseFaultRule({ rate: 2 }), /rate/);
  assert.throws(() => parseFaultRule({ outcome: "pass" }), /outcome/);
  assert.throws(() => parseFaultRule([]), /object/);
});
