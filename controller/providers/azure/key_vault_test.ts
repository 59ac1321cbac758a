import assert from "node:assert/strict";
import { createHttpHeaders, createPipelineRequest, type PipelineResponse } from "@azure/core-rest-pipeline";
import { budgetPolicy, callName } from "./key_vault.ts";

/** Runs one request through the policy with `next` answering `status` (or throwing). */
async function observed(status: number | Error, url = "https://kv.example/secrets/db/"): Promise<string[]> {
  const seen: string[] = [];
  const policy = budgetPolicy("kv.example", undefined, (call, s) => seen.push(`${call}:${s}`));
  const request = createPipelineRequest({ url, method: "GET" });
  const next = (): Promise<PipelineResponse> =>
    status instanceof Error
      ? Promise.reject(status)
      : Promise.resolve({ request, status, headers: createHttpHeaders() });
  await policy.sendRequest(request, next).catch(() => {});
  return seen;
}

Deno.test("provider calls: any failed call is an error, as ESO counts them; the bearer challenge is not counted", async () => {
  assert.deepEqual(await observed(200), ["GetSecret:success"]);
  assert.deepEqual(await observed(404), ["GetSecret:error"], "a missing secret is an error");
  assert.deepEqual(await observed(429), ["GetSecret:error"]);
  assert.deepEqual(await observed(503), ["GetSecret:error"]);
  assert.deepEqual(await observed(new TypeError("connection reset")), ["GetSecret:error"]);
  assert.deepEqual(await observed(401), [], "the 401 challenge precedes every first call");
  assert.equal(callName("GET", "/secrets"), "GetSecrets");
  assert.equal(callName("PUT", "/secrets/db"), "SetSecret");
});
