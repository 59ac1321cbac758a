import assert from "node:assert/strict";
import { inClusterConnection, isInCluster, SERVICE_ACCOUNT_DIR } from "./in_cluster.ts";
import { loadClusterConnection } from "./connection.ts";

const CA = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n";

async function fakePod(files: { token?: string; ca?: string; namespace?: string }): Promise<string> {
  const prefix = await Deno.makeTempDir({ prefix: "kv-pod-" });
  const d = `${prefix}${SERVICE_ACCOUNT_DIR}`;
  await Deno.mkdir(d, { recursive: true });
  if (files.token !== undefined) await Deno.writeTextFile(`${d}/token`, files.token);
  if (files.ca !== undefined) await Deno.writeTextFile(`${d}/ca.crt`, files.ca);
  if (files.namespace !== undefined) await Deno.writeTextFile(`${d}/namespace`, files.namespace);
  return prefix;
}

const podEnv = (extra: Record<string, string> = {}) => (n: string): string | undefined =>
  ({ KUBERNETES_SERVICE_HOST: "10.0.0.1", KUBERNETES_SERVICE_PORT: "443", ...extra })[n];

Deno.test("inClusterConnection() reads the service account files under the path prefix", async () => {
  const prefix = await fakePod({ token: "sa-token-1\n", ca: CA, namespace: "kv-system\n" });
  try {
    const conn = await inClusterConnection({ pathPrefix: prefix, env: podEnv() });
    assert.equal(conn.server, "https://10.0.0.1:443");
    assert.deepEqual(conn.caCerts, [CA]);
    assert.equal(conn.namespace, "kv-system");
    assert.deepEqual(await conn.credentials.get(), { token: "sa-token-1" });
    assert.equal(conn.description, "in-cluster service account");
  } finally {
    await Deno.remove(prefix, { recursive: true });
  }
});

Deno.test("inClusterConnection() re-reads a rotated token after the refresh period", async () => {
  const prefix = await fakePod({ token: "one", ca: CA });
  try {
    const conn = await inClusterConnection({ pathPrefix: prefix, env: podEnv(), tokenRefreshMs: 0 });
    assert.deepEqual(await conn.credentials.get(), { token: "one" });
    await Deno.writeTextFile(`${prefix}${SERVICE_ACCOUNT_DIR}/token`, "two");
    assert.deepEqual(await conn.credentials.get(), { token: "two" });
  } finally {
    await Deno.remove(prefix, { recursive: true });
  }
});

Deno.test("inClusterConnection() brackets IPv6 hosts and lets POD_NAMESPACE win", async () => {
  const prefix = await fakePod({ token: "t", ca: CA, namespace: "from-file" });
  try {
    const conn = await inClusterConnection({
      pathPrefix: prefix,
      env: podEnv({ KUBERNETES_SERVICE_HOST: "fd00::1", POD_NAMESPACE: "from-env" }),
    });
    assert.equal(conn.server, "https://[fd00::1]:443");
    assert.equal(conn.namespace, "from-env");
    const noNs = await fakePod({ token: "t", ca: CA });
    try {
      assert.equal((await inClusterConnection({ pathPrefix: noNs, env: podEnv() })).namespace, "default");
    } finally {
      await Deno.remove(noNs, { recursive: true });
    }
  } finally {
    await Deno.remove(prefix, { recursive: true });
  }
});

Deno.test("inClusterConnection() explains a missing environment or CA", async () => {
  await assert.rejects(
    inClusterConnection({ env: () => undefined }),
    /KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set/,
  );
  const prefix = await fakePod({ token: "t" });
  try {
    await assert.rejects(
      inClusterConnection({ pathPrefix: prefix, env: podEnv() }),
      /Cannot load in-cluster configuration: file ".*\/ca.crt" does not exist/,
    );
  } finally {
    await Deno.remove(prefix, { recursive: true });
  }
});

Deno.test("isInCluster() needs both the env vars and the token file", async () => {
  const prefix = await fakePod({ token: "t", ca: CA });
  try {
    assert.equal(await isInCluster({ pathPrefix: prefix, env: podEnv() }), true);
    assert.equal(await isInCluster({ pathPrefix: prefix, env: () => undefined }), false);
    assert.equal(await isInCluster({ pathPrefix: `${prefix}/nowhere`, env: podEnv() }), false);
  } finally {
    await Deno.remove(prefix, { recursive: true });
  }
});

Deno.test("loadClusterConnection() uses a kubeconfig when there is one, else the pod's service account", async () => {
  const prefix = await fakePod({ token: "t", ca: CA, namespace: "pod-ns" });
  const home = await Deno.makeTempDir({ prefix: "kv-home-" });
  try {
    const env = podEnv({ HOME: home });
    const inCluster = await loadClusterConnection({ env, inClusterOptions: { pathPrefix: prefix } });
    assert.equal(inCluster.description, "in-cluster service account");
    assert.equal(inCluster.namespace, "pod-ns");
    const ns = await loadClusterConnection({ env, namespace: "x", inClusterOptions: { pathPrefix: prefix } });
    assert.equal(ns.namespace, "x");

    await assert.rejects(
      loadClusterConnection({ env, inCluster: "never", inClusterOptions: { pathPrefix: prefix } }),
      /^KubeConfigError: Cannot find a Kubernetes configuration: no kubeconfig found \(looked at .*\/\.kube\/config\)$/,
    );
    await assert.rejects(
      loadClusterConnection({ env, kubeconfig: `${home}/missing`, inClusterOptions: { pathPrefix: prefix } }),
      /does not exist/,
      "an explicit kubeconfig never falls back",
    );

    await Deno.mkdir(`${home}/.kube`);
    await Deno.writeTextFile(
      `${home}/.kube/config`,
      "current-context: c\nclusters: [{name: c, cluster: {server: 'https://k'}}]\ncontexts: [{name: c, context: {cluster: c}}]\n",
    );
    const fromFile = await loadClusterConnection({ env, inClusterOptions: { pathPrefix: prefix } });
    assert.equal(fromFile.description, 'kubeconfig context "c"');
    const forced = await loadClusterConnection({ env, inCluster: "only", inClusterOptions: { pathPrefix: prefix } });
    assert.equal(forced.description, "in-cluster service account");
  } finally {
    await Deno.remove(prefix, { recursive: true });
    await Deno.remove(home, { recursive: true });
  }
});
