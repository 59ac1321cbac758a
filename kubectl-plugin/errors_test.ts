import assert from "node:assert/strict";
import { KubeApiError, KubeConfigError, KubeNetworkError } from "../controller/kube/errors.ts";
import { CliError, describeError, ExitCode, exitCodeOf, parseApiPath, UsageError } from "./errors.ts";

function forbidden(verb: string, path: string, resource: string, message: string): KubeApiError {
  return new KubeApiError({
    status: 403,
    reason: "Forbidden",
    serverMessage: message,
    request: { verb, resource },
    method: verb === "patch" ? "PATCH" : "GET",
    path,
  });
}

Deno.test("parseApiPath() splits group, namespace, resource, name and subresource", () => {
  assert.deepEqual(parseApiPath("/apis/external-secrets.io/v1/namespaces/jenkins/externalsecrets/regcred"), {
    group: "external-secrets.io",
    namespace: "jenkins",
    resource: "externalsecrets",
    name: "regcred",
  });
  assert.deepEqual(parseApiPath("/api/v1/namespaces/ns/serviceaccounts/sa/token"), {
    group: "",
    namespace: "ns",
    resource: "serviceaccounts/token",
    name: "sa",
  });
  assert.deepEqual(parseApiPath("/apis/external-secrets.io/v1/externalsecrets"), {
    group: "external-secrets.io",
    resource: "externalsecrets",
  });
  assert.deepEqual(parseApiPath("/api/v1/namespaces"), { group: "", resource: "namespaces" });
  assert.deepEqual(parseApiPath("/api/v1/namespaces/jenkins"), { group: "", resource: "namespaces", name: "jenkins" });
  assert.equal(parseApiPath("/healthz"), undefined);
});

Deno.test("a 403 names the user, verb, resource, namespace and the RBAC rule to ask for", () => {
  const e = forbidden(
    "patch",
    "/apis/external-secrets.io/v1/namespaces/jenkins/externalsecrets/regcred",
    "externalsecrets",
    'externalsecrets.external-secrets.io "regcred" is forbidden: User "alice" cannot patch resource "externalsecrets" in API group "external-secrets.io" in the namespace "jenkins"',
  );
  assert.equal(
    describeError(e),
    'Error from server (Forbidden): you (user "alice") cannot patch externalsecrets.external-secrets.io "regcred" ' +
      'in namespace "jenkins": ask for the RBAC rule {apiGroups: [external-secrets.io], resources: [externalsecrets], ' +
      'verbs: [patch]} (a Role in "jenkins", or a ClusterRole)',
  );
  assert.equal(exitCodeOf(e), ExitCode.Error);
});

Deno.test("a 403 on a cluster-wide list, a cluster-scoped kind and the core group", () => {
  const all = forbidden("list", "/apis/external-secrets.io/v1/externalsecrets", "externalsecrets", "forbidden");
  assert.match(
    describeError(all),
    /cannot list externalsecrets\.external-secrets\.io in all namespaces: .*ClusterRoleBinding, or name a namespace with -n$/,
  );
  assert.doesNotMatch(describeError(all), /user/, "no user in the message: none named");
  const css = forbidden("get", "/apis/external-secrets.io/v1/clustersecretstores/x", "clustersecretstores", "");
  assert.match(
    describeError(css),
    /cannot get clustersecretstores\.external-secrets\.io "x" \(cluster-scoped\): ask for the RBAC rule \{apiGroups: \[external-secrets\.io\], resources: \[clustersecretstores\], verbs: \[get\]\} in a ClusterRole$/,
  );
  const sec = forbidden("get", "/api/v1/namespaces/external-secrets/secrets/azure-credentials", "secrets", "");
  assert.match(
    describeError(sec),
    /cannot get secrets "azure-credentials" in namespace "external-secrets": ask for the RBAC rule \{apiGroups: \[""\], resources: \[secrets\], verbs: \[get\]\}/,
  );
  const tok = forbidden("create", "/api/v1/namespaces/ns/serviceaccounts/sa/token", "serviceaccounts/token", "");
  assert.match(
    describeError(tok),
    /cannot create serviceaccounts\/token in namespace "ns": .*resources: \[serviceaccounts\/token\]/,
  );
});

Deno.test("other errors read like kubectl's; usage errors exit 2", () => {
  const nf = new KubeApiError({
    status: 404,
    reason: "NotFound",
    serverMessage: 'externalsecrets.external-secrets.io "nope" not found',
    request: { verb: "get", resource: "externalsecrets" },
    method: "GET",
    path: "/apis/external-secrets.io/v1/namespaces/x/externalsecrets/nope",
  });
  assert.equal(describeError(nf), 'Error from server (NotFound): externalsecrets.external-secrets.io "nope" not found');
  assert.match(describeError(new KubeNetworkError("Cannot get x: refused")), /^Unable to connect to the server: /);
  assert.equal(describeError(new KubeConfigError("no context")), "error: no context");
  assert.equal(describeError(new UsageError("bad flag")), "error: bad flag");
  assert.equal(exitCodeOf(new UsageError("x")), ExitCode.Usage);
  assert.equal(exitCodeOf(new CliError("x", ExitCode.NotReady)), 3);
  assert.equal(exitCodeOf(new Error("x")), 1);
  assert.deepEqual(ExitCode, { Ok: 0, Error: 1, Usage: 2, NotReady: 3 });
});
