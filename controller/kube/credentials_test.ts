import assert from "node:assert/strict";
import FakeTimers from "@sinonjs/fake-timers";
import { CompositeCredentials, FileTokenSource, StaticCredentials } from "./credentials.ts";
import { KubeCredentialError } from "./errors.ts";

Deno.test("FileTokenSource re-reads the token after refreshMs, so rotation is picked up", async () => {
  const dir = await Deno.makeTempDir();
  const clock = FakeTimers.createClock(1_000_000);
  try {
    const path = `${dir}/token`;
    await Deno.writeTextFile(path, "token-1\n");
    const src = new FileTokenSource(path, { now: () => clock.now });
    assert.deepEqual(await src.get(), { token: "token-1" });
    await Deno.writeTextFile(path, "token-2");
    clock.tick(59_999);
    assert.deepEqual(await src.get(), { token: "token-1" }, "cached within the minute");
    clock.tick(1);
    assert.deepEqual(await src.get(), { token: "token-2" });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("FileTokenSource re-reads at once after its token was rejected", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/token`;
    await Deno.writeTextFile(path, "old");
    const src = new FileTokenSource(path);
    const first = await src.get();
    await Deno.writeTextFile(path, "new");
    assert.equal(src.invalidate(first), true);
    assert.deepEqual(await src.get(), { token: "new" });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("FileTokenSource keeps the cached token when a re-read fails, and fails clearly on the first read", async () => {
  const dir = await Deno.makeTempDir();
  const clock = FakeTimers.createClock(0);
  try {
    const path = `${dir}/token`;
    await Deno.writeTextFile(path, "kept");
    const src = new FileTokenSource(path, { now: () => clock.now, refreshMs: 10 });
    await src.get();
    await Deno.remove(path);
    clock.tick(20);
    assert.deepEqual(await src.get(), { token: "kept" });

    const missing = new FileTokenSource(`${dir}/nope`);
    await assert.rejects(missing.get(), (e: unknown) => {
      assert.ok(e instanceof KubeCredentialError);
      assert.match(e.message, /^Cannot read bearer token: file ".*\/nope" does not exist$/);
      return true;
    });
    await Deno.writeTextFile(`${dir}/empty`, "\n");
    await assert.rejects(new FileTokenSource(`${dir}/empty`).get(), /is empty/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("FileTokenSource shares one read between concurrent callers", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/token`, "t");
    const src = new FileTokenSource(`${dir}/token`);
    const [a, b] = [src.get(), src.get()];
    assert.equal(a, b);
    assert.deepEqual(await a, { token: "t" });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("CompositeCredentials lets later sources override and invalidates all parts", async () => {
  const c = new CompositeCredentials([
    new StaticCredentials({ token: "static", clientCertificate: { certPem: "C", keyPem: "K" } }),
    new StaticCredentials({ token: "override" }),
  ]);
  assert.deepEqual(await c.get(), { token: "override", clientCertificate: { certPem: "C", keyPem: "K" } });
  assert.equal(c.invalidate({}), false, "static credentials cannot change");
  assert.equal(new CompositeCredentials([]).description, "no credentials");
});
