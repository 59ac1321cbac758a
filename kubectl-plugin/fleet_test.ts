import assert from "node:assert/strict";
import { KubeApiError, KubeNetworkError } from "../controller/kube/mod.ts";
import {
  boundedMap,
  type ClusterResult,
  fleetContexts,
  fleetExitCode,
  parseContextsFile,
  problemOf,
  summaryLine,
} from "./fleet.ts";

const crdMissing = new KubeApiError({
  status: 404,
  reason: "NotFound",
  serverMessage: "404 page not found",
  request: { verb: "list", resource: "externalsecrets", group: "external-secrets.io" },
  method: "GET",
  path: "/apis/external-secrets.io/v1/externalsecrets",
});

Deno.test("fleetContexts(): one cluster unless a fleet flag or several --context; order kept, no duplicates", async () => {
  assert.equal(await fleetContexts({}), undefined);
  assert.equal(await fleetContexts({ contexts: ["a"], context: "a" }), undefined);
  assert.deepEqual(await fleetContexts({ contexts: ["a", "b"] }), ["a", "b"]);
  const file = (): Promise<string> => Promise.resolve("# fleet\nc\n\na # again\nd\n");
  assert.deepEqual(await fleetContexts({ contexts: ["a"], contextsFrom: "f" }, file), ["a", "c", "d"]);
  await assert.rejects(() => fleetContexts({ contextsFrom: "f" }, () => Promise.resolve("# none\n")), /no contexts/);
});

Deno.test("parseContextsFile(): one a line, comments and blanks skipped", () => {
  assert.deepEqual(parseContextsFile("x\n  y  \n#z\ny\n"), ["x", "y"]);
});

Deno.test("problemOf(): unreachable, CRDs missing, forbidden, other", () => {
  assert.equal(problemOf(new KubeNetworkError("Cannot list: refused")).reason, "Unreachable");
  assert.deepEqual(problemOf(crdMissing).reason, "CRDsMissing");
  assert.match(problemOf(crdMissing).message, /doesn't have a resource type "externalsecrets"/);
  const forbidden = new KubeApiError({
    status: 403,
    reason: "Forbidden",
    serverMessage: 'User "alice" cannot list',
    request: { verb: "list", resource: "externalsecrets", group: "external-secrets.io" },
    method: "GET",
    path: "/apis/external-secrets.io/v1/namespaces/j/externalsecrets",
  });
  assert.equal(problemOf(forbidden).reason, "Forbidden");
  assert.deepEqual(problemOf(new Error("boom")), { reason: "Error", message: "boom" });
});

Deno.test("boundedMap(): never more than the limit at once, results in order", async () => {
  let running = 0;
  let peak = 0;
  const out = await boundedMap([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
    running++;
    peak = Math.max(peak, running);
    await new Promise((r) => setTimeout(r, 5 * (8 - n)));
    running--;
    return n * 10;
  });
  assert.deepEqual(out, [10, 20, 30, 40, 50, 60, 70]);
  assert.equal(peak, 3);
});

Deno.test("summaryLine() and fleetExitCode(): 1 when a cluster failed, 3 when something is not Ready, else 0", () => {
  const ok: ClusterResult<number> = { context: "a", elapsedMs: 1, ok: true, value: 1 };
  const down: ClusterResult<number> = {
    context: "b",
    elapsedMs: 1,
    ok: false,
    problem: { reason: "Unreachable", message: "refused" },
  };
  assert.equal(
    summaryLine([ok, down], { what: "ExternalSecrets", ready: 2, notReady: 1 }),
    "2 clusters: 1 answered, 1 unreachable; 3 ExternalSecrets: 2 Ready, 1 not Ready",
  );
  assert.equal(
    summaryLine([ok], { what: "ExternalSecrets", ready: 1, notReady: 0 }),
    "1 cluster: 1 answered; 1 ExternalSecret: 1 Ready, 0 not Ready",
  );
  assert.equal(fleetExitCode([ok, down], 0), 1);
  assert.equal(fleetExitCode([ok], 1), 3);
  assert.equal(fleetExitCode([ok], 0), 0);
});
