import assert from "node:assert/strict";
import {
  age,
  byteSize,
  colorEnabled,
  formatTable,
  humanDuration,
  Output,
  type Streams,
  toJson,
  toYaml,
  truncate,
  visibleWidth,
} from "./output.ts";

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

Deno.test("humanDuration() formats ages as kubectl does", () => {
  const cases: [number, string][] = [
    [-5 * S, "<invalid>"],
    [-1500, "0s"],
    [0, "0s"],
    [59 * S, "59s"],
    [119 * S, "119s"],
    [2 * M, "2m"],
    [5 * M + 30 * S, "5m30s"],
    [9 * M + 59 * S, "9m59s"],
    [10 * M + 30 * S, "10m"],
    [179 * M, "179m"],
    [3 * H, "3h"],
    [5 * H + 3 * M, "5h3m"],
    [8 * H + 30 * M, "8h"],
    [47 * H, "47h"],
    [2 * D, "2d"],
    [2 * D + 3 * H, "2d3h"],
    [7 * D + 23 * H, "7d23h"],
    [8 * D, "8d"],
    [729 * D, "729d"],
    [730 * D, "2y"],
    [3 * 365 * D + 40 * D, "3y40d"],
    [9 * 365 * D, "9y"],
  ];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, `${ms} ms`);
});

Deno.test("age() of a timestamp, and of nothing", () => {
  const now = new Date("2025-01-02T00:00:00Z");
  assert.equal(age("2025-01-01T23:55:00Z", now), "5m");
  assert.equal(age(undefined, now), "<unknown>");
  assert.equal(age("garbage", now), "<unknown>");
});

Deno.test("formatTable(): upper-case headers, 3 spaces between columns, no trailing spaces, colour takes no room", () => {
  const red = "\x1b[31mFalse\x1b[0m";
  const text = formatTable(["name", "ready", "message"], [["a", "True", "ok"], ["long-name", red, ""]]);
  assert.equal(
    text,
    [
      "NAME        READY   MESSAGE",
      "a           True    ok",
      `long-name   ${red}`,
    ].join("\n"),
  );
  assert.equal(visibleWidth(red), 5);
});

Deno.test("colour only on a terminal and never with NO_COLOR set", () => {
  assert.equal(colorEnabled(true, () => undefined), true);
  assert.equal(colorEnabled(false, () => undefined), false);
  assert.equal(colorEnabled(true, (n) => (n === "NO_COLOR" ? "1" : undefined)), false);
  assert.equal(colorEnabled(true, (n) => (n === "NO_COLOR" ? "" : undefined)), true, "empty NO_COLOR is unset");
  const lines: string[] = [];
  const streams: Streams = {
    out: (s) => lines.push(s),
    err: (s) => lines.push(s),
    outIsTerminal: true,
    errIsTerminal: true,
  };
  const tty = new Output(streams, () => undefined);
  assert.equal(tty.status("True"), "\x1b[32mTrue\x1b[0m");
  assert.equal(tty.status("False"), "\x1b[31mFalse\x1b[0m");
  const plain = new Output(streams, (n) => (n === "NO_COLOR" ? "1" : undefined));
  assert.equal(plain.status("True"), "True");
  plain.warn("careful");
  plain.error("broken");
  plain.error("Error from server (NotFound): x");
  assert.deepEqual(lines, ["Warning: careful\n", "error: broken\n", "Error from server (NotFound): x\n"]);
});

Deno.test("truncate(), byteSize()", () => {
  assert.equal(truncate("short", 10), "short");
  assert.equal(truncate("0123456789abc", 10), "012345678…");
  assert.equal(truncate("a\n  b", 10), "a b");
  assert.equal(byteSize(312), "312 B");
  assert.equal(byteSize(4300), "4.2 KiB");
  assert.equal(byteSize(3 * 1024 * 1024), "3.0 MiB");
});

Deno.test("toJson() indents like kubectl; toYaml() loads YAML on demand", async () => {
  assert.equal(toJson({ a: [1] }), '{\n    "a": [\n        1\n    ]\n}');
  assert.equal(await toYaml({ a: { b: "x" } }), "a:\n  b: x");
});
