import assert from "node:assert/strict";
import { isValidObjectName, isValidVaultName, isVersionId, newVersionId } from "./names.ts";

Deno.test("object names: 1-127 of 0-9, a-z, A-Z and '-'", () => {
  for (const ok of ["a", "A-1", "docker-config-json", "x".repeat(127), "-", "123"]) {
    assert.ok(isValidObjectName(ok), ok);
  }
  for (const bad of ["", "x".repeat(128), "a_b", "a.b", "a/b", "a b", "é"]) assert.ok(!isValidObjectName(bad), bad);
});

Deno.test("vault names: 3-24, start with a letter, no trailing or double hyphen", () => {
  for (const ok of ["demo", "zaldre", "a-b", "Vault1", "a".repeat(24)]) assert.ok(isValidVaultName(ok), ok);
  for (const bad of ["ab", "a".repeat(25), "1vault", "vault-", "va--ult", "va_ult"]) {
    assert.ok(!isValidVaultName(bad), bad);
  }
});

Deno.test("versions are 32 lowercase hex digits, and new ones are unique", () => {
  const a = newVersionId();
  assert.ok(isVersionId(a));
  assert.notEqual(a, newVersionId());
  assert.ok(!isVersionId(a.toUpperCase()));
  assert.ok(!isVersionId("latest"));
});
