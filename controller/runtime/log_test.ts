import assert from "node:assert/strict";
import { isLogFormat, isLogLevel, Logger, Redactor, serializeError } from "./log.ts";

function capture(options: ConstructorParameters<typeof Logger>[0] = {}): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const log = new Logger({ now: () => new Date("2026-01-02T03:04:05.678Z"), ...options, sink: (l) => lines.push(l) });
  return { log, lines };
}

function parse(line: string | undefined): Record<string, unknown> {
  assert.ok(line !== undefined, "a line was written");
  assert.ok(!line.includes("\n"), "one line");
  return JSON.parse(line);
}

Deno.test("Logger writes one JSON object per line with ts, level, msg first, then bound and call fields", () => {
  const { log, lines } = capture();
  const es = log.child({ controller: "externalsecret" }).child({ namespace: "jenkins", name: "regcred" });
  es.info("synced", { keys: 2 });
  assert.equal(
    lines[0],
    '{"ts":"2026-01-02T03:04:05.678Z","level":"info","msg":"synced","controller":"externalsecret","namespace":"jenkins","name":"regcred","keys":2}',
  );
});

Deno.test("Logger drops lines below the minimum level and setLevel() applies to children", () => {
  const { log, lines } = capture({ level: "warn" });
  const child = log.child({ controller: "x" });
  child.debug("d");
  child.info("i");
  child.warn("w");
  child.error("e");
  assert.deepEqual(lines.map((l) => parse(l).level), ["warn", "error"]);
  assert.equal(child.enabled("info"), false);
  log.setLevel("debug");
  assert.equal(child.enabled("debug"), true);
  child.debug("now visible");
  assert.equal(parse(lines[2]).msg, "now visible");
  assert.ok(isLogLevel("warn") && !isLogLevel("verbose"));
});

Deno.test("Logger serialises errors as {name, message, reason} with the cause chain and no stack above debug", () => {
  const { log, lines } = capture();
  class ProviderError extends Error {
    override name = "ProviderError";
    reason = "SecretSyncedError";
    status = 503;
  }
  const err = new ProviderError('Cannot read secret "db" from vault "kv": HTTP 503', {
    cause: new TypeError("fetch failed"),
  });
  log.error("reconcile failed", { err });
  const rec = parse(lines[0]);
  assert.deepEqual(rec.err, {
    name: "ProviderError",
    message: 'Cannot read secret "db" from vault "kv": HTTP 503',
    reason: "SecretSyncedError",
    status: 503,
    cause: { name: "TypeError", message: "fetch failed" },
  });
});

Deno.test("Logger includes error stacks at debug level", () => {
  const { log, lines } = capture({ level: "debug" });
  log.info("x", { err: new Error("boom") });
  const err = parse(lines[0]).err as { stack?: string };
  assert.match(err.stack ?? "", /Error: boom/);
});

Deno.test("Logger always writes valid JSON: bigint, undefined, cycles, non-Error throws", () => {
  const { log, lines } = capture();
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  log.info("big", { n: 10n, u: undefined, thrown: serializeError("plain string") });
  log.info("cycle", { cyclic });
  const first = parse(lines[0]);
  assert.equal(first.n, "10");
  assert.ok(!("u" in first));
  assert.deepEqual(first.thrown, { name: "NonError", message: "plain string" });
  const second = parse(lines[1]);
  assert.equal(second.msg, "cycle");
  assert.match(String(second.logError), /circular/i);
});

Deno.test("Logger call fields cannot overwrite ts, level or msg", () => {
  const { log, lines } = capture();
  log.info("real", { msg: "fake", level: "error", ts: "never" });
  const rec = parse(lines[0]);
  assert.equal(rec.msg, "real");
  assert.equal(rec.level, "info");
  assert.equal(rec.ts, "2026-01-02T03:04:05.678Z");
});

Deno.test("Logger survives a throwing sink", () => {
  const log = new Logger({
    sink: () => {
      throw new Error("disk full");
    },
  });
  log.error("still fine");
});

Deno.test("Redactor replaces registered values and their base64 form in every string of the line", () => {
  const redactor = new Redactor();
  const { log, lines } = capture({ redactor });
  redactor.add("hunter2-password");
  redactor.add(new TextEncoder().encode("s3cr3t-token"));
  log.warn("value hunter2-password leaked", {
    nested: { list: ["prefix hunter2-password suffix", "ok"] },
    b64: `data: ${btoa("hunter2-password")}`,
    err: new Error("token=s3cr3t-token rejected"),
  });
  const line = lines[0]!;
  assert.ok(!line.includes("hunter2"), line);
  assert.ok(!line.includes("s3cr3t"), line);
  assert.ok(!line.includes(btoa("hunter2-password")), line);
  const rec = parse(line);
  assert.equal(rec.msg, "value [REDACTED] leaked");
  assert.deepEqual(rec.nested, { list: ["prefix [REDACTED] suffix", "ok"] });
  assert.equal(rec.b64, "data: [REDACTED]");
  assert.equal((rec.err as { message: string }).message, "token=[REDACTED] rejected");
});

Deno.test("Redactor ignores values shorter than minLength and merges overlapping matches", () => {
  const r = new Redactor();
  r.add("abc");
  assert.equal(r.size, 2, "only the 4-char base64 and 6-char hex forms of 'abc' are kept");
  assert.equal(r.redact("abc abc"), "abc abc");
  r.add("abcdef");
  r.add("abcdefgh");
  assert.equal(r.redact("xabcdefghx abcdefx"), "x[REDACTED]x [REDACTED]x");
  assert.equal(r.redact("abcdabcdef"), "abcd[REDACTED]");
});

Deno.test("Redactor.delete() forgets a value and maxEntries evicts the oldest", () => {
  const r = new Redactor({ maxEntries: 8 });
  r.add("first-secret");
  r.add("second-secret");
  assert.equal(r.size, 8, "each value, its base64, hex and upper-case forms (lower case is the value)");
  r.add("third-secret");
  assert.equal(r.redact("first-secret"), "first-secret", "evicted");
  assert.equal(r.redact("third-secret"), "[REDACTED]");
  r.delete("third-secret");
  assert.equal(r.redact("third-secret"), "third-secret");
  assert.equal(r.redact("second-secret"), "[REDACTED]");
});

Deno.test("Redactor spreads values with a shared prefix over distinct anchors", () => {
  const r = new Redactor();
  const pems: string[] = [];
  for (let i = 0; i < 2_000; i++) {
    const pem = `-----BEGIN PRIVATE KEY-----\n${crypto.randomUUID()}${i}\n-----END PRIVATE KEY-----`;
    pems.push(pem);
    r.add(pem);
  }
  assert.equal(r.size, 10_000);
  const msg = "-----BEGIN PRIVATE KEY----- is the header of a key; reconciled jenkins/regcred in 12 ms";
  const started = performance.now();
  for (let i = 0; i < 2_000; i++) assert.equal(r.redact(msg), msg);
  const perCallMs = (performance.now() - started) / 2_000;
  // Generous bound; checking each of the 4,000 values at each position would cost milliseconds per call.
  assert.ok(perCallMs < 0.2, `redact took ${perCallMs.toFixed(4)} ms per call`);
  assert.equal(r.redact(`key: ${pems[1234]}!`), "key: [REDACTED]!");
});

Deno.test("Logger writes to stderr by default, one line per call", async () => {
  const url = new URL("./log.ts", import.meta.url).href;
  const code = `import { Logger } from ${JSON.stringify(url)};
const log = new Logger({ level: "warn" });
log.info("filtered");
log.warn("first", { n: 1 });
log.error("second");`;
  const { code: exit, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-config", code],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(exit, 0, new TextDecoder().decode(stderr));
  assert.equal(stdout.length, 0);
  const lines = new TextDecoder().decode(stderr).split("\n");
  assert.equal(lines.length, 3);
  assert.equal(lines[2], "");
  assert.deepEqual([parse(lines[0]).msg, parse(lines[1]).msg], ["first", "second"]);
});

Deno.test("Redactor catches a value's base64, hex, upper- and lower-case forms", () => {
  const r = new Redactor({ minLength: 8 });
  const v = "Canary-Value-42";
  r.add(v);
  const hex = new TextEncoder().encode(v).toHex();
  for (const form of [v, btoa(v), hex, v.toUpperCase(), v.toLowerCase()]) {
    assert.equal(r.redact(`rejected: "${form}" is invalid`), 'rejected: "[REDACTED]" is invalid', form);
  }
});

Deno.test("--log-format text: klog's layout, strings quoted, numbers bare, errors as their message chain", () => {
  const { log, lines } = capture({ format: "text", pid: 4242, level: "debug", fields: { logger: "kv-operator" } });
  const es = log.child({ controller: "externalsecret" });
  es.info("synced", { namespace: "jenkins", name: "regcred", keys: 2, forced: false });
  es.warn("sync failed", {
    error: new Error('Key Vault https://zaldre.vault.azure.net/ has no secret "db" (404)', {
      cause: new TypeError("fetch failed"),
    }),
  });
  log.debug("multi\nline", { obj: { a: [1, "x"] }, clientId: "2c9d5a7e-ops-client" });
  new Logger({ format: "text", pid: 1, now: () => new Date("2026-12-31T23:59:59.001Z"), sink: (l) => lines.push(l) })
    .error("no logger field");
  assert.deepEqual(lines, [
    'I0102 03:04:05.678000    4242 kv-operator] "synced" controller="externalsecret" namespace="jenkins" name="regcred" keys=2 forced=false',
    'W0102 03:04:05.678000    4242 kv-operator] "sync failed" controller="externalsecret" error="Key Vault https://zaldre.vault.azure.net/ has no secret \\"db\\" (404): fetch failed"',
    'D0102 03:04:05.678000    4242 kv-operator] "multi\\nline" obj={"a":[1,"x"]} clientId="2c9d5a7e-ops-client"',
    'E1231 23:59:59.001000       1 kv-operator] "no logger field"',
  ]);
});

Deno.test("--log-format text redacts registered secret values exactly as JSON does", () => {
  const redactor = new Redactor({ minLength: 8 });
  redactor.add("s3cr3t-value-123");
  const { log, lines } = capture({ format: "text", pid: 1, redactor });
  log.info("read s3cr3t-value-123", { v: "x s3cr3t-value-123", err: new Error("got s3cr3t-value-123") });
  assert.equal(lines.length, 1);
  assert.ok(!lines[0]!.includes("s3cr3t-value-123"), lines[0]);
  assert.equal((lines[0]!.match(/\[REDACTED\]/g) ?? []).length, 3);
  assert.ok(isLogFormat("text") && isLogFormat("json") && !isLogFormat("logfmt"));
});
