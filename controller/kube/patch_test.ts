import assert from "node:assert/strict";
import {
  addFinalizerPatch,
  annotationsPatch,
  applyBody,
  applyPatch,
  jsonPointer,
  PATCH_CONTENT_TYPES,
  removeFinalizerPatch,
} from "./patch.ts";
import { externalSecrets } from "../api/resources.ts";
import { secrets } from "./resources.ts";

const F = "externalsecrets.external-secrets.io/externalsecret-cleanup";

Deno.test("addFinalizerPatch() creates the list after testing it is absent", () => {
  assert.deepEqual(addFinalizerPatch({ metadata: { name: "x" } }, F), {
    type: "json",
    body: [
      { op: "test", path: "/metadata/finalizers", value: null },
      { op: "add", path: "/metadata/finalizers", value: [F] },
    ],
  });
  assert.deepEqual(addFinalizerPatch({ metadata: { finalizers: [] } }, F)?.body, [
    { op: "test", path: "/metadata/finalizers", value: [] },
    { op: "add", path: "/metadata/finalizers", value: [F] },
  ]);
});

Deno.test("addFinalizerPatch() appends after testing the list is as seen, and is a no-op when present", () => {
  assert.deepEqual(addFinalizerPatch({ metadata: { finalizers: ["other"] } }, F)?.body, [
    { op: "test", path: "/metadata/finalizers", value: ["other"] },
    { op: "add", path: "/metadata/finalizers/-", value: F },
  ]);
  assert.equal(addFinalizerPatch({ metadata: { finalizers: ["other", F] } }, F), undefined);
});

Deno.test("removeFinalizerPatch() removes at the seen index after testing it", () => {
  assert.deepEqual(removeFinalizerPatch({ metadata: { finalizers: ["a", F, "b"] } }, F)?.body, [
    { op: "test", path: "/metadata/finalizers/1", value: F },
    { op: "remove", path: "/metadata/finalizers/1" },
  ]);
  assert.equal(removeFinalizerPatch({ metadata: { finalizers: ["a"] } }, F), undefined);
  assert.equal(removeFinalizerPatch({}, F), undefined);
});

Deno.test("jsonPointer() escapes ~ and /", () => {
  assert.equal(
    jsonPointer("metadata", "annotations", "external-secrets.io/force-sync"),
    "/metadata/annotations/external-secrets.io~1force-sync",
  );
  assert.equal(jsonPointer("a~b", 0), "/a~0b/0");
});

Deno.test("applyPatch() requires identity fields and drops managedFields and resourceVersion", () => {
  assert.throws(() => applyPatch({ kind: "Secret", metadata: { name: "x" } }), /apiVersion/);
  const p = applyPatch({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "x", resourceVersion: "5", managedFields: [{}], labels: { a: "b" } },
  });
  assert.deepEqual(p, {
    type: "apply",
    body: { apiVersion: "v1", kind: "Secret", metadata: { name: "x", labels: { a: "b" } } },
  });
  assert.equal(PATCH_CONTENT_TYPES[p.type], "application/apply-patch+yaml");
});

Deno.test("applyBody() fills apiVersion, kind, name and namespace from the descriptor", () => {
  const body = applyBody(
    secrets,
    "db",
    { type: "Opaque", data: { k: "dg==" }, metadata: { labels: { a: "b" } } },
    "ns",
  );
  assert.deepEqual(body, {
    apiVersion: "v1",
    kind: "Secret",
    type: "Opaque",
    data: { k: "dg==" },
    metadata: { labels: { a: "b" }, name: "db", namespace: "ns" },
  });
  assert.equal(applyBody(externalSecrets, "e", { metadata: {}, spec: {} }).apiVersion, "external-secrets.io/v1");
});

Deno.test("annotationsPatch() is a merge patch where null deletes", () => {
  assert.deepEqual(annotationsPatch({ a: "1", b: null }), {
    type: "merge",
    body: { metadata: { annotations: { a: "1", b: null } } },
  });
});
