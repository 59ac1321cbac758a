import assert from "node:assert/strict";
import { type LabelSelector, labelSelectorMatches, labelSelectorProblem } from "./label_selector.ts";

Deno.test("label selectors: matchLabels and every requirement must hold; empty matches all", () => {
  const labels = { team: "a", env: "prod" };
  assert.equal(labelSelectorMatches({}, labels), true);
  assert.equal(labelSelectorMatches({}, {}), true);
  assert.equal(labelSelectorMatches({ matchLabels: { team: "a" } }, labels), true);
  assert.equal(labelSelectorMatches({ matchLabels: { team: "b" } }, labels), false);
  const expr = (operator: string, values?: string[]): LabelSelector => ({
    matchExpressions: [{ key: "env", operator, ...(values ? { values } : {}) }],
  });
  assert.equal(labelSelectorMatches(expr("In", ["prod", "qa"]), labels), true);
  assert.equal(labelSelectorMatches(expr("In", ["qa"]), labels), false);
  assert.equal(labelSelectorMatches(expr("NotIn", ["prod"]), labels), false);
  assert.equal(labelSelectorMatches(expr("NotIn", ["prod"]), { team: "a" }), true, "NotIn holds without the key");
  assert.equal(labelSelectorMatches(expr("Exists"), labels), true);
  assert.equal(labelSelectorMatches(expr("DoesNotExist"), labels), false);
  assert.equal(labelSelectorMatches({ matchLabels: { team: "a" }, ...expr("In", ["qa"]) }, labels), false);
  assert.equal(labelSelectorMatches(expr("Gt", ["1"]), labels), false, "an invalid operator never matches");
});

Deno.test("label selectors: what apimachinery refuses to convert is named", () => {
  assert.equal(labelSelectorProblem({ matchLabels: { a: "b" } }), undefined);
  assert.match(labelSelectorProblem({ matchExpressions: [{ key: "k", operator: "In", values: [] }] })!, /needs at/);
  assert.match(labelSelectorProblem({ matchExpressions: [{ key: "k", operator: "Exists", values: ["x"] }] })!, /no/);
  assert.match(
    labelSelectorProblem({ matchExpressions: [{ key: "k", operator: "exists" }] })!,
    /matchExpressions\[0\] \(key "k"\): "exists" is not a valid operator/,
  );
});
