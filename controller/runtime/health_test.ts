import assert from "node:assert/strict";
import FakeTimers from "@sinonjs/fake-timers";
import { HealthServer, staleAfter } from "./health.ts";
import { Registry } from "./metrics.ts";

/** Starts `server` on a free port, runs `body` with its base URL, then shuts it down and waits for it. */
async function serving(server: HealthServer, body: (base: string) => Promise<void>): Promise<void> {
  const ac = new AbortController();
  const stopped = server.start(ac.signal);
  const { port } = await server.listening;
  try {
    await body(`http://127.0.0.1:${port}`);
  } finally {
    ac.abort();
    await stopped;
  }
}

async function get(url: string): Promise<{ status: number; body: string; type: string | null }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.text(), type: res.headers.get("content-type") };
}

Deno.test("HealthServer answers ok on /healthz and /readyz when every check passes", async () => {
  const server = new HealthServer({ hostname: "127.0.0.1", port: 0 });
  server.addReadinessCheck("informer-sync", () => undefined);
  server.addLivenessCheck("watches", () => true);
  await serving(server, async (base) => {
    assert.deepEqual(await get(`${base}/healthz`), { status: 200, body: "ok", type: "text/plain; charset=utf-8" });
    assert.equal((await get(`${base}/livez`)).body, "ok");
    assert.equal((await get(`${base}/readyz`)).body, "ok");
    assert.deepEqual(await get(`${base}/readyz?verbose`), {
      status: 200,
      body: "[+]ping ok\n[+]informer-sync ok\nreadyz check passed\n",
      type: "text/plain; charset=utf-8",
    });
  });
});

Deno.test("HealthServer /readyz fails with 503 and kube-apiserver style lines naming the failing check", async () => {
  const server = new HealthServer({ hostname: "127.0.0.1", port: 0 });
  let synced = false;
  server.addReadinessCheck("informer-sync", () => synced || "externalsecrets cache not synced");
  server.addReadinessCheck("leader", () => undefined);
  await serving(server, async (base) => {
    const res = await get(`${base}/readyz`);
    assert.equal(res.status, 503);
    assert.equal(
      res.body,
      "[+]ping ok\n[-]informer-sync failed: externalsecrets cache not synced\n[+]leader ok\nreadyz check failed\n",
    );
    assert.equal((await get(`${base}/healthz`)).status, 200, "not ready is not dead");
    assert.deepEqual(await get(`${base}/readyz/leader`), {
      status: 200,
      body: "ok",
      type: "text/plain; charset=utf-8",
    });
    assert.equal((await get(`${base}/readyz/informer-sync`)).status, 503);
    assert.equal((await get(`${base}/readyz/nope`)).status, 404);
    synced = true;
    assert.equal((await get(`${base}/readyz`)).status, 200);
  });
});

Deno.test("HealthServer /healthz fails with 500 on a failing, throwing or hanging liveness check", async () => {
  const server = new HealthServer({ hostname: "127.0.0.1", port: 0, checkTimeoutMs: 50 });
  server.addLivenessCheck("watch-externalsecrets", () => false);
  server.addLivenessCheck("boom", () => {
    throw new Error("state is\ncorrupt");
  });
  server.addLivenessCheck("stuck", () => new Promise<undefined>(() => {}));
  await serving(server, async (base) => {
    const res = await get(`${base}/healthz`);
    assert.equal(res.status, 500);
    assert.equal(
      res.body,
      "[+]ping ok\n[-]watch-externalsecrets failed: not ok\n[-]boom failed: state is corrupt\n" +
        "[-]stuck failed: timed out after 50 ms\nhealthz check failed\n",
    );
  });
});

Deno.test("HealthServer serves the registry at /metrics in the Prometheus text format", async () => {
  const registry = new Registry();
  registry.counter({ name: "externalsecret_sync_calls_total", help: "x", labelNames: ["name", "namespace"] })
    .inc({ name: "regcred", namespace: "jenkins" });
  const server = new HealthServer({ hostname: "127.0.0.1", port: 0, registry });
  await serving(server, async (base) => {
    const res = await get(`${base}/metrics`);
    assert.equal(res.status, 200);
    assert.equal(res.type, "text/plain; version=0.0.4; charset=utf-8");
    assert.match(res.body, /^externalsecret_sync_calls_total\{name="regcred",namespace="jenkins"\} 1$/m);
  });
});

Deno.test("HealthServer rejects other paths and methods", async () => {
  const server = new HealthServer({ hostname: "127.0.0.1", port: 0 });
  await serving(server, async (base) => {
    assert.equal((await get(`${base}/`)).status, 404);
    assert.equal((await get(`${base}/metrics`)).status, 404, "no registry, no metrics");
    assert.equal((await get(`${base}/healthz/`)).status, 404);
    const res = await fetch(`${base}/healthz`, { method: "POST" });
    await res.body?.cancel();
    assert.equal(res.status, 405);
    assert.equal(res.headers.get("allow"), "GET, HEAD");
  });
});

Deno.test("HealthServer rejects bad or duplicate check names and a second start", async () => {
  const server = new HealthServer({ hostname: "127.0.0.1", port: 0 });
  assert.throws(() => server.addReadinessCheck("has space", () => undefined), TypeError);
  assert.throws(() => server.addReadinessCheck("a/b", () => undefined), TypeError);
  assert.throws(() => server.addReadinessCheck("ping", () => undefined), /already registered/);
  await serving(server, async () => {
    await assert.rejects(server.start(new AbortController().signal), /already started/);
  });
});

Deno.test("HealthServer.start() rejects when the port is taken", async () => {
  const first = new HealthServer({ hostname: "127.0.0.1", port: 0 });
  await serving(first, async () => {
    const { port } = await first.listening;
    const second = new HealthServer({ hostname: "127.0.0.1", port });
    await assert.rejects(second.start(new AbortController().signal), Deno.errors.AddrInUse);
    await assert.rejects(second.listening, Deno.errors.AddrInUse);
  });
});

Deno.test("staleAfter() fails once nothing was seen for longer than the limit", () => {
  const clock = FakeTimers.install({ now: 1_000_000, toFake: ["Date"] });
  try {
    const watch: { lastEventAt?: number } = {};
    const check = staleAfter("watch externalsecrets", 300_000, () => watch.lastEventAt);
    assert.equal(check(), undefined);
    clock.tick(300_001);
    assert.equal(check(), "watch externalsecrets: no event or bookmark for 300 s (limit 300 s)");
    watch.lastEventAt = Date.now() - 1000;
    assert.equal(check(), undefined);
    clock.tick(600_000);
    assert.match(String(check()), /no event or bookmark for 601 s/);
  } finally {
    clock.uninstall();
  }
});
