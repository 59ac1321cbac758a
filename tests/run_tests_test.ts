import assert from "node:assert/strict";
import { countJUnit } from "./run_tests.ts";

Deno.test("countJUnit() counts steps as tests and their container not at all", () => {
  const xml = `<testsuites><testsuite name="a">
    <testcase name="suite" classname="a"></testcase>
    <testcase name="suite &gt; one" classname="a"></testcase>
    <testcase name="suite &gt; two" classname="a"><failure message="x">boom</failure></testcase>
    <testcase name="plain" classname="a"></testcase>
    <testcase name="ignored" classname="a"><skipped/></testcase>
  </testsuite></testsuites>`;
  assert.deepEqual(countJUnit(xml), { passed: 2, failed: 1, failures: ["suite > two"] });
});

Deno.test("countJUnit() finds nothing in an empty report", () => {
  assert.deepEqual(countJUnit("<testsuites></testsuites>"), { passed: 0, failed: 0, failures: [] });
});
