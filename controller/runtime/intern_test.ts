import assert from "node:assert/strict";
import { Interner } from "./intern.ts";

Deno.test("Interner: equal strings come back as one copy; other values pass through", () => {
  const i = new Interner();
  const a = JSON.parse('"external-secrets.io/v1"') as string;
  const b = JSON.parse('"external-secrets.io/v1"') as string;
  assert.equal(i.string(a), a);
  assert.equal(i.string(b), a);
  assert.equal(i.string(undefined), undefined);
  assert.equal(i.string(3), 3);
  assert.equal(i.size, 1);
});

Deno.test("Interner: lists are shared and frozen; the table stops growing at its bound", () => {
  const i = new Interner(2);
  const l1 = i.list(["a", "b"]);
  assert.equal(i.list(["a", "b"]), l1);
  assert.ok(Object.isFrozen(l1));
  assert.notEqual(i.list(["a"]), i.list(["b"]), "different lists are different");
  assert.deepEqual(i.list(["c", "d"]), ["c", "d"], "past the bound: a copy, not shared");
  const x = "x".repeat(3);
  assert.equal(i.string(x), x);
  assert.ok(i.size <= 4);
});
