import assert from "node:assert/strict";
import {
  apiErrorFromResponse,
  apiErrorFromStatus,
  causeChain,
  isAlreadyExists,
  isConflict,
  isForbidden,
  isGone,
  isInvalid,
  isNotFound,
  isRetryable,
  isTooManyRequests,
  isUnauthorized,
  KubeApiError,
  KubeNetworkError,
  parseRetryAfter,
} from "./errors.ts";

const forbiddenBody = JSON.stringify({
  kind: "Status",
  apiVersion: "v1",
  metadata: {},
  status: "Failure",
  message:
    'secrets "db" is forbidden: User "alice" cannot get resource "secrets" in API group "" in the namespace "ns"',
  reason: "Forbidden",
  details: { name: "db", kind: "secrets" },
  code: 403,
});

const ctx = {
  request: { verb: "get", resource: "secrets", name: "db", namespace: "ns" },
  method: "GET",
  path: "/api/v1/namespaces/ns/secrets/db",
};

Deno.test("apiErrorFromResponse() maps a Forbidden Status to a typed error naming verb and resource", () => {
  const e = apiErrorFromResponse(403, forbiddenBody, ctx);
  assert.ok(e instanceof KubeApiError);
  assert.equal(e.status, 403);
  assert.equal(e.reason, "Forbidden");
  assert.equal(e.verb, "get");
  assert.equal(e.resource, "secrets");
  assert.equal(e.details?.name, "db");
  assert.equal(
    e.message,
    'Cannot get secrets "db" in namespace "ns": 403 Forbidden: secrets "db" is forbidden: User "alice" cannot get resource "secrets" in API group "" in the namespace "ns"',
  );
  assert.ok(isForbidden(e));
  assert.ok(!isNotFound(e));
});

Deno.test("apiErrorFromResponse() names the API group of custom resources", () => {
  const e = apiErrorFromResponse(404, "", {
    ...ctx,
    request: { verb: "patch", resource: "externalsecrets/status", group: "external-secrets.io", name: "x" },
  });
  assert.match(e.message, /^Cannot patch externalsecrets\/status\.external-secrets\.io "x": 404 NotFound$/);
  assert.ok(isNotFound(e));
});

Deno.test("apiErrorFromResponse() falls back to the HTTP code's reason for non-Status bodies", () => {
  const cases: [number, (e: unknown) => boolean, string][] = [
    [404, isNotFound, "NotFound"],
    [409, isConflict, "Conflict"],
    [410, isGone, "Gone"],
    [422, isInvalid, "Invalid"],
    [401, isUnauthorized, "Unauthorized"],
    [429, isTooManyRequests, "TooManyRequests"],
  ];
  for (const [code, pred, reason] of cases) {
    const e = apiErrorFromResponse(code, "<html>\n<body>upstream\n error</body></html>", ctx);
    assert.equal(e.reason, reason);
    assert.ok(pred(e), `${code}`);
    assert.equal(e.serverMessage, "<html> <body>upstream error</body></html>");
  }
  assert.equal(apiErrorFromResponse(418, "", ctx).reason, "Unknown");
});

Deno.test("isConflict() and isAlreadyExists() tell the two 409 reasons apart", () => {
  const body = (reason: string): string => JSON.stringify({ kind: "Status", reason, code: 409, message: "m" });
  const conflict = apiErrorFromResponse(409, body("Conflict"), ctx);
  const exists = apiErrorFromResponse(409, body("AlreadyExists"), ctx);
  assert.ok(isConflict(conflict) && !isAlreadyExists(conflict));
  assert.ok(isAlreadyExists(exists) && !isConflict(exists));
});

Deno.test("apiErrorFromStatus() treats a watch ERROR 410 Expired as Gone", () => {
  const e = apiErrorFromStatus(
    { kind: "Status", status: "Failure", message: "too old resource version: 1 (2345)", reason: "Expired", code: 410 },
    { request: { verb: "watch", resource: "secrets" }, method: "GET", path: "/api/v1/secrets" },
  );
  assert.ok(isGone(e));
  assert.equal(e.reason, "Expired");
  assert.match(e.message, /^Cannot watch secrets: 410 Expired: too old resource version/);
});

Deno.test("apiErrorFromResponse() redacts Secret values the server echoes back", () => {
  const body = JSON.stringify({
    kind: "Status",
    reason: "Invalid",
    code: 422,
    message: 'data[k]: Invalid value: "hunter2-pw"',
  });
  const e = apiErrorFromResponse(422, body, { ...ctx, redact: ["hunter2-pw"] });
  assert.doesNotMatch(e.message, /hunter2/);
  assert.match(e.message, /\[redacted\]/);
});

Deno.test("apiErrorFromResponse() reads Retry-After from the header or the Status details", () => {
  const body = JSON.stringify({
    kind: "Status",
    reason: "TooManyRequests",
    code: 429,
    details: { retryAfterSeconds: 7 },
  });
  assert.equal(apiErrorFromResponse(429, body, ctx).retryAfterSeconds, 7);
  assert.equal(apiErrorFromResponse(429, body, { ...ctx, retryAfter: "2" }).retryAfterSeconds, 2);
});

Deno.test("parseRetryAfter() accepts seconds and HTTP dates", () => {
  assert.equal(parseRetryAfter("5"), 5);
  assert.equal(parseRetryAfter(null), undefined);
  assert.equal(parseRetryAfter("soon"), undefined);
  const now = Date.parse("2026-01-01T00:00:00Z");
  assert.equal(parseRetryAfter("Thu, 01 Jan 2026 00:00:10 GMT", now), 10);
  assert.equal(parseRetryAfter("Thu, 01 Jan 2025 00:00:10 GMT", now), 0);
});

Deno.test("isRetryable() is true for network errors, throttling and 5xx, false for client errors", () => {
  const mk = (code: number, reason = ""): KubeApiError =>
    apiErrorFromResponse(code, reason ? JSON.stringify({ kind: "Status", reason, code }) : "", ctx);
  assert.ok(isRetryable(new KubeNetworkError("x")));
  assert.ok(isRetryable(mk(429)));
  assert.ok(isRetryable(mk(503)));
  assert.ok(isRetryable(mk(504, "Timeout")));
  assert.ok(!isRetryable(mk(409, "Conflict")));
  assert.ok(!isRetryable(mk(403)));
  assert.ok(!isRetryable(new Error("other")));
});

Deno.test("causeChain() keeps the TLS cause of a fetch failure", () => {
  const inner = new Error("invalid peer certificate: UnknownIssuer");
  const mid = new Error("client error (Connect)", { cause: inner });
  const outer = new TypeError("error sending request", { cause: mid });
  assert.equal(
    causeChain(outer),
    "error sending request: client error (Connect): invalid peer certificate: UnknownIssuer",
  );
  const dup = new TypeError("x: invalid peer certificate: UnknownIssuer", { cause: inner });
  assert.equal(causeChain(dup), "x: invalid peer certificate: UnknownIssuer");
});
