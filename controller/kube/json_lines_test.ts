import assert from "node:assert/strict";
import { LineSplitter } from "./json_lines.ts";

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

Deno.test("LineSplitter joins lines split across chunks and splits several lines per chunk", () => {
  const s = new LineSplitter();
  assert.deepEqual(s.push(enc('{"type":"ADD')), []);
  assert.deepEqual(s.push(enc('ED"}\n{"a":1}\n{"b"')), ['{"type":"ADDED"}', '{"a":1}']);
  assert.deepEqual(s.push(enc(":2}\n")), ['{"b":2}']);
  assert.deepEqual(s.flush(), []);
});

Deno.test("LineSplitter keeps multi-byte characters that are split between chunks", () => {
  const bytes = enc('{"v":"ünïcødé €"}\n');
  const s = new LineSplitter();
  const out: string[] = [];
  for (let i = 0; i < bytes.length; i++) out.push(...s.push(bytes.subarray(i, i + 1)));
  assert.deepEqual(out, ['{"v":"ünïcødé €"}']);
});

Deno.test("LineSplitter skips blank lines, strips CR and returns an unterminated last line on flush", () => {
  const s = new LineSplitter();
  assert.deepEqual(s.push(enc('\n\r\n{"a":1}\r\n  \n{"b"')), ['{"a":1}']);
  assert.deepEqual(s.flush(), ['{"b"']);
});

Deno.test("LineSplitter handles a very long line delivered in many chunks", () => {
  const value = "x".repeat(5 * 1024 * 1024);
  const bytes = enc(`{"data":"${value}"}\n{"next":true}\n`);
  const s = new LineSplitter();
  const out: string[] = [];
  for (let i = 0; i < bytes.length; i += 16 * 1024) out.push(...s.push(bytes.subarray(i, i + 16 * 1024)));
  assert.equal(out.length, 2);
  assert.equal((JSON.parse(out[0]!) as { data: string }).data.length, value.length);
  assert.equal(out[1], '{"next":true}');
});

Deno.test("LineSplitter throws on a line longer than maxLineLength, then recovers", () => {
  const s = new LineSplitter({ maxLineLength: 10 });
  s.push(enc("12345"));
  assert.throws(() => s.push(enc("678901")), RangeError);
  assert.deepEqual(s.push(enc("\nok\n")), ["ok"]);
});
