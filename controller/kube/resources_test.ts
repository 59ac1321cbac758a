import assert from "node:assert/strict";
import {
  apiVersionOf,
  leases,
  namespaces,
  resourcePath,
  secrets,
  selfSubjectAccessReviews,
  serviceAccounts,
} from "./resources.ts";
import { clusterSecretStores, externalSecrets } from "../api/resources.ts";

Deno.test("resourcePath() builds core, grouped, namespaced and cluster-scoped paths", () => {
  assert.equal(resourcePath(secrets), "/api/v1/secrets");
  assert.equal(resourcePath(secrets, { namespace: "ns" }), "/api/v1/namespaces/ns/secrets");
  assert.equal(resourcePath(secrets, { namespace: "ns", name: "db" }), "/api/v1/namespaces/ns/secrets/db");
  assert.equal(resourcePath(namespaces, { name: "ns" }), "/api/v1/namespaces/ns");
  assert.equal(
    resourcePath(leases, { namespace: "kube-system", name: "kv-operator" }),
    "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kv-operator",
  );
  assert.equal(
    resourcePath(externalSecrets, { namespace: "jenkins", name: "regcred", subresource: "status" }),
    "/apis/external-secrets.io/v1/namespaces/jenkins/externalsecrets/regcred/status",
  );
  assert.equal(
    resourcePath(clusterSecretStores, { name: "azure" }),
    "/apis/external-secrets.io/v1/clustersecretstores/azure",
  );
  assert.equal(
    resourcePath(serviceAccounts, { namespace: "ns", name: "sa", subresource: "token" }),
    "/api/v1/namespaces/ns/serviceaccounts/sa/token",
  );
  assert.equal(resourcePath(selfSubjectAccessReviews), "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews");
});

Deno.test("resourcePath() encodes segments and rejects what would change the path", () => {
  assert.equal(resourcePath(secrets, { namespace: "ns", name: "a:b" }), "/api/v1/namespaces/ns/secrets/a%3Ab");
  assert.throws(() => resourcePath(secrets, { namespace: "ns", name: "../x" }), RangeError);
  assert.throws(() => resourcePath(secrets, { namespace: "ns", name: "" }), RangeError);
  assert.throws(() => resourcePath(secrets, { namespace: "..", name: "x" }), RangeError);
  assert.throws(() => resourcePath(clusterSecretStores, { namespace: "ns" }), /cluster-scoped/);
  assert.throws(() => resourcePath(secrets, { namespace: "ns", subresource: "status" }), /needs a name/);
});

Deno.test("apiVersionOf() omits the empty core group", () => {
  assert.equal(apiVersionOf(secrets), "v1");
  assert.equal(apiVersionOf(externalSecrets), "external-secrets.io/v1");
});
