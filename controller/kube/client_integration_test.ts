/**
 * The Kubernetes client against a real kube-apiserver + etcd (tests/harness/control_plane.ts): authentication
 * (mTLS, tokens, token files, exec plugins, in-cluster, impersonation), typed errors, CRUD and every patch type on
 * Secrets and on an ExternalSecret, TokenRequest, and the watcher (selectors, resume, bookmarks, 410 relist).
 */
import assert from "node:assert/strict";
import { externalSecrets } from "../api/resources.ts";
import { type ControlPlane, freePort, startControlPlane } from "../../tests/harness/control_plane.ts";
import {
  addFinalizerPatch,
  applyBody,
  applyPatch,
  canI,
  type ClusterConnection,
  createKubeClient,
  isAlreadyExists,
  isConflict,
  isForbidden,
  isGone,
  isInvalid,
  isNotFound,
  isUnauthorized,
  isWatchHealthy,
  jsonPatch,
  KubeApiError,
  KubeClient,
  KubeNetworkError,
  labelsPatch,
  mergePatch,
  removeFinalizerPatch,
  requestServiceAccountToken,
  type Secret,
  secrets,
  SERVICE_ACCOUNT_DIR,
  serviceAccounts,
  StaticCredentials,
  strategicMergePatch,
  type UntypedObject,
  type Watcher,
  watcher,
  type WatcherEvent,
  type WatchEvent,
  watchEvents,
  whoAmI,
} from "./mod.ts";

const FINALIZER = "externalsecrets.external-secrets.io/externalsecret-cleanup";

async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Runs a watcher in the background, collecting its events; `stop()` aborts it and waits for the loop to end. */
function collect<T extends UntypedObject | Secret>(
  make: (signal: AbortSignal) => Watcher<T>,
): { w: Watcher<T>; events: WatcherEvent<T>[]; stop(): Promise<void> } {
  const ac = new AbortController();
  const w = make(ac.signal);
  const events: WatcherEvent<T>[] = [];
  const done = (async () => {
    for await (const ev of w) events.push(ev);
  })();
  return {
    w,
    events,
    stop: async () => {
      ac.abort();
      await done;
    },
  };
}

const names = <T extends { metadata?: { name?: string } }>(evs: WatcherEvent<T>[]): string[] =>
  evs.map((e) => "object" in e ? `${e.type}:${e.object.metadata?.name}` : e.type);

function connection(cp: ControlPlane, over: Partial<ClusterConnection>): ClusterConnection {
  return {
    server: cp.server,
    caCerts: [cp.caCertPem],
    namespace: "default",
    credentials: new StaticCredentials({}),
    insecureSkipTlsVerify: false,
    description: "test connection",
    ...over,
  };
}

async function kubeconfigWithUser(cp: ControlPlane, dir: string, user: string): Promise<string> {
  const path = `${dir}/kubeconfig-${crypto.randomUUID().slice(0, 6)}`;
  await Deno.writeTextFile(
    path,
    `apiVersion: v1
kind: Config
current-context: t
clusters: [{name: c, cluster: {server: "${cp.server}", certificate-authority-data: ${btoa(cp.caCertPem)}}}]
contexts: [{name: t, context: {cluster: c, user: u}}]
users:
  - name: u
    user: ${user}
`,
  );
  return path;
}

async function serviceAccountToken(admin: KubeClient, ns: string, name: string): Promise<string> {
  await admin.create(serviceAccounts, { metadata: { name } }, { namespace: ns }).catch((e) => {
    if (!isAlreadyExists(e)) throw e;
  });
  return (await requestServiceAccountToken(admin, ns, name)).token;
}

Deno.test("KubeClient against a real kube-apiserver", async (t) => {
  const cp = await startControlPlane();
  const tmp = await Deno.makeTempDir({ prefix: "kv-kube-it-" });
  const admin = async (): Promise<KubeClient> =>
    await createKubeClient({ kubeconfig: cp.kubeconfigPath, context: "admin" });
  try {
    await t.step("authenticates with the admin client certificate from the kubeconfig (mTLS)", async () => {
      using c = await admin();
      const me = await whoAmI(c);
      assert.equal(me.username, "admin");
      assert.ok(me.groups.includes("system:masters"), me.groups.join(","));
      assert.equal(c.namespace, "default");
      assert.deepEqual(await canI(c, { verb: "delete", resource: "secrets", namespace: "x" }), {
        allowed: true,
        reason: "",
      });
    });

    await t.step("observeResponses sees every answer: method and status, failures included", async () => {
      using c = await admin();
      const seen: string[] = [];
      c.observeResponses((method, code) => seen.push(`${method} ${code}`));
      await c.get(serviceAccounts, "default", { namespace: "default" }).catch(() => {});
      await assert.rejects(c.get(secrets, "no-such-secret", { namespace: "default" }), (e) => isNotFound(e));
      assert.equal(seen.length, 2, seen.join(", "));
      assert.match(seen[0]!, /^GET (200|404)$/);
      assert.equal(seen[1], "GET 404");
    });

    await t.step("a wrong CA is a KubeNetworkError that keeps the TLS cause", async () => {
      const wrongCa = await Deno.readTextFile(`${cp.dir}/client-ca.crt`);
      using c = new KubeClient(connection(cp, { caCerts: [wrongCa] }));
      await assert.rejects(c.get(secrets, "x"), (e: unknown) => {
        assert.ok(e instanceof KubeNetworkError, String(e));
        assert.match(
          e.message,
          /^Cannot get secrets "x" in namespace "default": https:\/\/127\.0\.0\.1:\d+ unreachable: /,
        );
        assert.match(e.message, /invalid peer certificate: UnknownIssuer/);
        return true;
      });
    });

    await t.step("a closed port is a KubeNetworkError, not a hang", async () => {
      using c = new KubeClient(connection(cp, { server: `https://127.0.0.1:${freePort()}` }));
      await assert.rejects(
        c.list(secrets),
        (e: unknown) => e instanceof KubeNetworkError && /refused/i.test(e.message),
      );
    });

    await t.step("alice without RBAC grants gets a typed Forbidden naming verb and resource", async () => {
      using c = await createKubeClient({ kubeconfig: cp.kubeconfigPath, context: "alice" });
      assert.equal((await whoAmI(c)).username, "alice");
      await assert.rejects(c.get(secrets, "db", { namespace: "kube-system" }), (e: unknown) => {
        assert.ok(isForbidden(e));
        assert.equal(e.status, 403);
        assert.equal(e.verb, "get");
        assert.equal(e.resource, "secrets");
        assert.equal(
          e.message,
          'Cannot get secrets "db" in namespace "kube-system": 403 Forbidden: secrets "db" is forbidden: User "alice" cannot get resource "secrets" in API group "" in the namespace "kube-system"',
        );
        return true;
      });
      await assert.rejects(c.list(externalSecrets), (e: unknown) => {
        assert.ok(isForbidden(e));
        assert.match(
          e.message,
          /^Cannot list externalsecrets\.external-secrets\.io: 403 Forbidden: .*cannot list resource "externalsecrets"/,
        );
        return true;
      });
      assert.equal((await canI(c, { verb: "get", resource: "secrets", namespace: "kube-system" })).allowed, false);
    });

    await t.step("a rejected bearer token is a typed Unauthorized naming the credential source", async () => {
      using c = new KubeClient(connection(cp, { credentials: new StaticCredentials({ token: "nope" }, "test token") }));
      await assert.rejects(c.list(secrets, { namespace: "default" }), (e: unknown) => {
        assert.ok(isUnauthorized(e));
        assert.match(e.message, /401 Unauthorized: Unauthorized \(credentials from test token\)$/);
        return true;
      });
    });

    await t.step("Secrets: create, get, list with selector and pages, replace, conflicts, delete", async () => {
      using c = await admin();
      const ns = await cp.newNamespace("crud");
      const created = await c.create(secrets, {
        metadata: { name: "db", labels: { app: "crud" } },
        stringData: { password: "s3cr3t" },
      }, { namespace: ns, fieldManager: "kv-test" });
      assert.equal(created.metadata?.namespace, ns);
      assert.equal(typeof created.metadata?.creationTimestamp, "string", "timestamps stay strings");
      const got = await c.get(secrets, "db", { namespace: ns });
      assert.equal(got.data?.["password"], btoa("s3cr3t"));

      await assert.rejects(
        c.create(secrets, { metadata: { name: "db", namespace: ns } }),
        (e: unknown) => isAlreadyExists(e) && e.status === 409 && !isConflict(e),
      );

      for (const n of ["p1", "p2", "p3"]) {
        await c.create(secrets, { metadata: { name: n, namespace: ns, labels: { app: "crud" } } });
      }
      await c.create(secrets, { metadata: { name: "other", namespace: ns } });
      const page1 = await c.list(secrets, { namespace: ns, labelSelector: "app=crud", limit: 2 });
      assert.equal(page1.items.length, 2);
      assert.ok(page1.metadata.continue);
      const page2 = await c.list(secrets, {
        namespace: ns,
        labelSelector: "app=crud",
        limit: 2,
        continue: page1.metadata.continue,
      });
      assert.deepEqual([...page1.items, ...page2.items].map((s) => s.metadata?.name).sort(), ["db", "p1", "p2", "p3"]);
      const byField = await c.list(secrets, { namespace: ns, fieldSelector: "metadata.name=p2" });
      assert.deepEqual(byField.items.map((s) => s.metadata?.name), ["p2"]);

      const updated = await c.replace(secrets, { ...got, stringData: { password: "n3w" } });
      assert.equal(updated.data?.["password"], btoa("n3w"));
      await assert.rejects(c.replace(secrets, { ...got, stringData: { password: "stale" } }), (e: unknown) => {
        assert.ok(isConflict(e));
        assert.match(e.message, /the object has been modified; please apply your changes to the latest version/);
        assert.doesNotMatch(e.message, /stale/);
        return true;
      });

      assert.equal(
        await c.delete(secrets, "db", { namespace: ns }),
        null,
        "a deleted Secret is answered with a Status",
      );
      await assert.rejects(c.get(secrets, "db", { namespace: ns }), (e: unknown) => isNotFound(e));
      await assert.rejects(c.delete(secrets, "db", { namespace: ns }), (e: unknown) => isNotFound(e));
    });

    await t.step("Invalid Secrets are typed with field causes and never echo the data", async () => {
      using c = await admin();
      const ns = await cp.newNamespace("invalid");
      await assert.rejects(
        c.create(secrets, { metadata: { name: "Bad_Name" }, data: { "bad key!": btoa("topsecretvalue") } }, {
          namespace: ns,
        }),
        (e: unknown) => {
          assert.ok(isInvalid(e));
          assert.ok((e.details?.causes?.length ?? 0) >= 2, JSON.stringify(e.details));
          assert.doesNotMatch(e.message, /topsecretvalue/);
          assert.doesNotMatch(e.message, new RegExp(btoa("topsecretvalue")));
          return true;
        },
      );
    });

    await t.step("Secrets: merge, JSON, strategic merge and server-side apply patches", async () => {
      using c = await admin();
      const ns = await cp.newNamespace("patch");
      await c.create(secrets, { metadata: { name: "s" }, stringData: { a: "1" } }, { namespace: ns });

      let s = await c.patch(secrets, "s", labelsPatch({ tier: "x" }), { namespace: ns });
      assert.deepEqual(s.metadata?.labels, { tier: "x" });
      s = await c.patch(secrets, "s", jsonPatch([{ op: "add", path: "/data/b", value: btoa("2") }]), { namespace: ns });
      assert.equal(s.data?.["b"], btoa("2"));
      s = await c.patch(secrets, "s", strategicMergePatch({ metadata: { labels: { tier: null, extra: "y" } } }), {
        namespace: ns,
      });
      assert.deepEqual(s.metadata?.labels, { extra: "y" });
      s = await c.patch(secrets, "s", mergePatch({ data: { a: null } }), { namespace: ns });
      assert.deepEqual(Object.keys(s.data ?? {}), ["b"]);

      const body = applyBody(secrets, "applied", {
        type: "Opaque",
        stringData: { k: "v" },
        metadata: { labels: { m: "1" } },
      }, ns);
      const applied = await c.patch(secrets, "applied", applyPatch(body), { fieldManager: "kv-operator", force: true });
      assert.equal(applied.data?.["k"], btoa("v"));
      const mf = applied.metadata?.managedFields ?? [];
      assert.ok(mf.some((m) => m.manager === "kv-operator" && m.operation === "Apply"), JSON.stringify(mf));

      // Another manager takes the label over; our apply without force conflicts, with force wins.
      await c.patch(
        secrets,
        "applied",
        applyPatch(applyBody(secrets, "applied", { metadata: { labels: { m: "2" } } }, ns)),
        {
          fieldManager: "someone-else",
          force: true,
        },
      );
      await assert.rejects(
        c.patch(secrets, "applied", applyPatch(body), { fieldManager: "kv-operator" }),
        (e: unknown) => isConflict(e) && /conflict with "someone-else"/.test(e.message),
      );
      const forced = await c.patch(secrets, "applied", applyPatch(body), { fieldManager: "kv-operator", force: true });
      assert.equal(forced.metadata?.labels?.["m"], "1");
      assert.throws(() => c.patch(secrets, "applied", applyPatch(body)), /fieldManager is required/);
    });

    await t.step("finalizers: test+add, test+remove, and a stale view is rejected", async () => {
      using c = await admin();
      const ns = await cp.newNamespace("fin");
      const s0 = await c.create(secrets, { metadata: { name: "f" } }, { namespace: ns });
      const s1 = await c.patch(secrets, "f", addFinalizerPatch(s0, FINALIZER)!, { namespace: ns });
      assert.deepEqual(s1.metadata?.finalizers, [FINALIZER]);
      const s2 = await c.patch(secrets, "f", addFinalizerPatch(s1, "other.io/keep")!, { namespace: ns });
      assert.deepEqual(s2.metadata?.finalizers, [FINALIZER, "other.io/keep"]);
      // Adding again from the stale view s0 (no finalizers) must fail the test, not duplicate or drop entries.
      await assert.rejects(
        c.patch(secrets, "f", addFinalizerPatch(s0, FINALIZER)!, { namespace: ns }),
        (e: unknown) => isInvalid(e),
      );
      const deleting = await c.delete(secrets, "f", { namespace: ns });
      assert.ok(deleting?.metadata?.deletionTimestamp, "a Secret held by finalizers is returned by delete");
      const s3 = await c.patch(secrets, "f", removeFinalizerPatch(s2, FINALIZER)!, { namespace: ns });
      assert.deepEqual(s3.metadata?.finalizers, ["other.io/keep"]);
      await c.patch(secrets, "f", removeFinalizerPatch(s3, "other.io/keep")!, { namespace: ns });
      await assert.rejects(c.get(secrets, "f", { namespace: ns }), (e: unknown) => isNotFound(e));
    });

    await t.step(
      "ExternalSecret (CRD): create, status subresource, apply, finalizer, strategic merge refused",
      async () => {
        using c = await admin();
        const ns = await cp.newNamespace("es");
        const es = await c.create(externalSecrets, {
          apiVersion: "external-secrets.io/v1",
          kind: "ExternalSecret",
          metadata: { name: "regcred" },
          spec: {
            secretStoreRef: { name: "store", kind: "SecretStore" },
            data: [{ secretKey: "k", remoteRef: { key: "r" } }],
          },
        }, { namespace: ns });
        assert.equal((es.spec as { refreshInterval?: string }).refreshInterval, "1h0m0s", "CRD defaults applied");

        const condition = {
          type: "Ready",
          status: "True",
          reason: "SecretSynced",
          message: "ok",
          lastTransitionTime: "2026-01-01T00:00:00Z",
        };
        const withStatus = await c.patch(
          externalSecrets,
          "regcred",
          mergePatch({ status: { conditions: [condition] } }),
          {
            namespace: ns,
            subresource: "status",
          },
        );
        assert.deepEqual((withStatus.status as { conditions: unknown[] }).conditions, [condition]);
        // A status write through the main resource is ignored (status is a subresource).
        const ignored = await c.patch(
          externalSecrets,
          "regcred",
          mergePatch({ status: { refreshTime: "2026-01-01T00:00:00Z" } }),
          {
            namespace: ns,
          },
        );
        assert.equal((ignored.status as { refreshTime?: string }).refreshTime, undefined);

        const ssa = await c.patch(
          externalSecrets,
          "regcred",
          applyPatch({
            apiVersion: "external-secrets.io/v1",
            kind: "ExternalSecret",
            metadata: { name: "regcred", namespace: ns },
            status: { refreshTime: "2026-01-02T00:00:00Z", syncedResourceVersion: "1-abc" },
          }),
          { fieldManager: "kv-operator", force: true, subresource: "status" },
        );
        assert.equal((ssa.status as { syncedResourceVersion?: string }).syncedResourceVersion, "1-abc");

        const fin = await c.patch(externalSecrets, "regcred", addFinalizerPatch(ssa, FINALIZER)!, { namespace: ns });
        assert.deepEqual(fin.metadata?.finalizers, [FINALIZER]);
        await c.patch(externalSecrets, "regcred", removeFinalizerPatch(fin, FINALIZER)!, { namespace: ns });

        await assert.rejects(
          c.patch(externalSecrets, "regcred", strategicMergePatch({ metadata: { labels: { a: "b" } } }), {
            namespace: ns,
          }),
          (e: unknown) => e instanceof KubeApiError && e.status === 415 && e.reason === "UnsupportedMediaType",
        );
        assert.equal(await c.delete(externalSecrets, "regcred", { namespace: ns }), null, "gone: a Status answers");
      },
    );

    await t.step("TokenRequest gives a ServiceAccount token the apiserver accepts", async () => {
      using c = await admin();
      const ns = await cp.newNamespace("sa");
      await c.create(serviceAccounts, { metadata: { name: "operator" } }, { namespace: ns });
      const tok = await requestServiceAccountToken(c, ns, "operator", { expirationSeconds: 600 });
      assert.ok(tok.expiresAt > Date.now() + 500_000);
      using asSa = new KubeClient(connection(cp, { credentials: new StaticCredentials({ token: tok.token }) }));
      const me = await whoAmI(asSa);
      assert.equal(me.username, `system:serviceaccount:${ns}:operator`);
      await assert.rejects(asSa.list(secrets, { namespace: ns }), (e: unknown) => isForbidden(e));
    });

    await t.step("tokenFile: a rejected token is re-read at once; a rotated one after the refresh period", async () => {
      using c = await admin();
      const ns = await cp.newNamespace("tokfile");
      const [t1, t2] = [await serviceAccountToken(c, ns, "one"), await serviceAccountToken(c, ns, "two")];
      const file = `${tmp}/token-${ns}`;
      await Deno.writeTextFile(file, "not-a-valid-token");
      const kc = await kubeconfigWithUser(cp, tmp, `{tokenFile: "${file}"}`);
      using slow = await createKubeClient({ kubeconfig: kc });
      await assert.rejects(whoAmI(slow), (e: unknown) => {
        assert.ok(isUnauthorized(e));
        assert.ok(e.message.endsWith(`(credentials from token file "${file}")`), e.message);
        return true;
      });
      await Deno.writeTextFile(file, t1);
      assert.equal((await whoAmI(slow)).username, `system:serviceaccount:${ns}:one`, "re-read after the 401");

      using fast = await createKubeClient({ kubeconfig: kc, tokenFileRefreshMs: 200 });
      assert.equal((await whoAmI(fast)).username, `system:serviceaccount:${ns}:one`);
      await Deno.writeTextFile(file, t2);
      await new Promise((r) => setTimeout(r, 250));
      assert.equal((await whoAmI(fast)).username, `system:serviceaccount:${ns}:two`, "re-read after the period");
      assert.equal((await whoAmI(slow)).username, `system:serviceaccount:${ns}:one`, "valid token kept for a minute");
    });

    await t.step("in-cluster configuration works against the server and follows token rotation", async () => {
      using c = await admin();
      const ns = await cp.newNamespace("pod");
      const prefix = `${tmp}/pod-${ns}`;
      const d = `${prefix}${SERVICE_ACCOUNT_DIR}`;
      await Deno.mkdir(d, { recursive: true });
      await Deno.writeTextFile(`${d}/token`, await serviceAccountToken(c, ns, "first"));
      await Deno.writeTextFile(`${d}/ca.crt`, cp.caCertPem);
      await Deno.writeTextFile(`${d}/namespace`, ns);
      const port = new URL(cp.server).port;
      const env = (n: string): string | undefined =>
        ({ KUBERNETES_SERVICE_HOST: "127.0.0.1", KUBERNETES_SERVICE_PORT: port })[n];
      using pod = await createKubeClient({
        inCluster: "only",
        inClusterOptions: { pathPrefix: prefix, env, tokenRefreshMs: 200 },
      });
      assert.equal(pod.namespace, ns);
      assert.equal(pod.description, "in-cluster service account");
      assert.equal((await whoAmI(pod)).username, `system:serviceaccount:${ns}:first`);
      // kubelet rotates the projected token by swapping the file.
      await Deno.writeTextFile(`${d}/token.new`, await serviceAccountToken(c, ns, "second"));
      await Deno.rename(`${d}/token.new`, `${d}/token`);
      await new Promise((r) => setTimeout(r, 250));
      assert.equal((await whoAmI(pod)).username, `system:serviceaccount:${ns}:second`);
    });

    await t.step("exec plugin: client certificate from the plugin, cached until expiry, then rotated", async () => {
      const dir = `${tmp}/exec`;
      await Deno.mkdir(dir, { recursive: true });
      const pem = (name: "admin" | "alice"): { cert: string; key: string } => {
        const u = cp.user(name);
        return { cert: JSON.stringify(u.certPem), key: JSON.stringify(u.keyPem) };
      };
      const a = pem("alice"), b = pem("admin");
      // Odd runs answer with alice's certificate, even runs with admin's; each expires 2 s after issue.
      await Deno.writeTextFile(
        `${dir}/plugin.sh`,
        `#!/bin/sh
d=$(dirname "$0")
n=$(cat "$d/count" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$d/count"
exp=$(date -u -d '+2 seconds' +%Y-%m-%dT%H:%M:%SZ)
if [ $((n % 2)) -eq 1 ]; then cert='${a.cert}'; key='${a.key}'; else cert='${b.cert}'; key='${b.key}'; fi
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"clientCertificateData":%s,"clientKeyData":%s,"expirationTimestamp":"%s"}}' "$cert" "$key" "$exp"
`,
      );
      await Deno.chmod(`${dir}/plugin.sh`, 0o755);
      const kc = await kubeconfigWithUser(
        cp,
        dir,
        `{exec: {apiVersion: client.authentication.k8s.io/v1, command: ./plugin.sh, interactiveMode: Never}}`,
      );
      using c = await createKubeClient({ kubeconfig: kc });
      assert.equal((await whoAmI(c)).username, "alice");
      assert.equal((await whoAmI(c)).username, "alice");
      assert.equal((await Deno.readTextFile(`${dir}/count`)).trim(), "1", "cached while valid");
      await until("the exec credential to expire", async () => (await whoAmI(c)).username === "admin", 5000);
      assert.equal((await Deno.readTextFile(`${dir}/count`)).trim(), "2");
    });

    await t.step("exec plugin: a rejected token makes the client re-run the plugin and retry once", async () => {
      using admin_ = await admin();
      const ns = await cp.newNamespace("exectok");
      const token = await serviceAccountToken(admin_, ns, "plugin");
      const dir = `${tmp}/exec-${ns}`;
      await Deno.mkdir(dir);
      await Deno.writeTextFile(
        `${dir}/plugin.sh`,
        // The first run answers with a token the apiserver rejects: the client must re-run it and retry once.
        `#!/bin/sh
d=$(dirname "$0")
n=$(cat "$d/count" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$d/count"
if [ $n -eq 1 ]; then t=expired-token; else t='${token}'; fi
echo '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"'$t'"}}'
`,
      );
      await Deno.chmod(`${dir}/plugin.sh`, 0o755);
      const kc = await kubeconfigWithUser(
        cp,
        dir,
        `{exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: ${dir}/plugin.sh}}`,
      );
      using c = await createKubeClient({ kubeconfig: kc });
      assert.equal((await whoAmI(c)).username, `system:serviceaccount:${ns}:plugin`);
      assert.equal((await Deno.readTextFile(`${dir}/count`)).trim(), "2");
      assert.equal((await whoAmI(c)).username, `system:serviceaccount:${ns}:plugin`);
      assert.equal((await Deno.readTextFile(`${dir}/count`)).trim(), "2", "the good token is cached");
    });

    await t.step("impersonation from the kubeconfig (as, as-groups) sends every group", async () => {
      const u = cp.user("admin");
      const kc = await kubeconfigWithUser(
        cp,
        tmp,
        `{client-certificate-data: ${btoa(u.certPem)}, client-key-data: ${
          btoa(u.keyPem)
        }, as: alice, as-groups: [dev-team, auditors]}`,
      );
      using c = await createKubeClient({ kubeconfig: kc });
      const me = await whoAmI(c);
      assert.equal(me.username, "alice");
      assert.ok(me.groups.includes("dev-team") && me.groups.includes("auditors"), me.groups.join(","));
    });

    await t.step("watcher: label selector, Init/InitApply/InitDone, then Apply/Delete", async () => {
      using c = await admin();
      const ns = await cp.newNamespace("watch");
      await c.create(secrets, { metadata: { name: "before", labels: { app: "w" } } }, { namespace: ns });
      const col = collect((signal) => watcher(c, secrets, { namespace: ns, labelSelector: "app=w", signal }));
      await until("InitDone", () => col.events.some((e) => e.type === "InitDone"));
      assert.ok(col.w.health.synced);
      await until("connected", () => col.w.health.connected);
      assert.ok(isWatchHealthy(col.w.health, Date.now(), 1000));
      await c.create(secrets, { metadata: { name: "a", labels: { app: "w" } } }, { namespace: ns });
      await c.create(secrets, { metadata: { name: "unlabelled" } }, { namespace: ns });
      await c.patch(secrets, "a", mergePatch({ stringData: { k: "v" } }), { namespace: ns });
      await c.delete(secrets, "a", { namespace: ns });
      await until("Delete:a", () => names(col.events).includes("Delete:a"));
      await col.stop();
      assert.deepEqual(names(col.events), [
        "Init",
        "InitApply:before",
        "InitDone",
        "Apply:a",
        "Apply:a",
        "Delete:a",
      ]);
      assert.equal(col.w.health.connected, false, "not connected once stopped");
    });

    await t.step("watcher resumes from the last resourceVersion when the server ends the stream", async () => {
      using c = await admin();
      const ns = await cp.newNamespace("resume");
      const col = collect((signal) => watcher(c, secrets, { namespace: ns, timeoutSeconds: 1, signal }));
      await until("InitDone", () => col.events.some((e) => e.type === "InitDone"));
      const want: string[] = [];
      for (let i = 0; i < 8; i++) {
        want.push(`s${i}`);
        await c.create(secrets, { metadata: { name: `s${i}` } }, { namespace: ns });
        await new Promise((r) => setTimeout(r, 400));
      }
      await until("all Apply events", () => col.events.filter((e) => e.type === "Apply").length >= 8);
      await new Promise((r) => setTimeout(r, 1200)); // one more stream rotation: nothing replayed
      await col.stop();
      assert.deepEqual(
        col.events.filter((e) => e.type === "Apply").map((e) => "object" in e && e.object.metadata?.name),
        want,
      );
      assert.equal(col.events.filter((e) => e.type === "Init").length, 1, "no relist");
      assert.ok(col.w.health.reconnects >= 3, `reconnects=${col.w.health.reconnects}`);
      assert.equal(col.w.health.relists, 0);
      assert.equal(col.w.health.failures, 0);
    });

    await t.step("bookmarks advance the watcher's resourceVersion without events", async () => {
      using c = await admin();
      const ns = await cp.newNamespace("bm");
      const other = await cp.newNamespace("bm-other");
      const col = collect((signal) => watcher(c, secrets, { namespace: ns, timeoutSeconds: 4, signal }));
      await until("InitDone", () => col.events.some((e) => e.type === "InitDone"));
      const mine = await c.create(secrets, { metadata: { name: "mine" } }, { namespace: ns });
      const elsewhere = await c.create(secrets, { metadata: { name: "elsewhere" } }, { namespace: other });
      // resourceVersions are opaque, but on etcd they are revisions: a bookmark after the other namespace's write
      // carries a version at least that new, although this watch saw no event for it.
      await until(
        "a bookmark past the other namespace's write",
        () => Number(col.w.health.resourceVersion) >= Number(elsewhere.metadata?.resourceVersion),
        10_000,
      );
      await col.stop();
      assert.ok(Number(elsewhere.metadata?.resourceVersion) > Number(mine.metadata?.resourceVersion));
      assert.deepEqual(names(col.events), ["Init", "InitDone", "Apply:mine"]);

      // The raw stream shows the bookmark itself (the initial-events-end one of a streaming list).
      const seen: WatchEvent<Secret>[] = [];
      for await (
        const ev of watchEvents(c, secrets, {
          namespace: ns,
          sendInitialEvents: true,
          resourceVersionMatch: "NotOlderThan",
          timeoutSeconds: 5,
        })
      ) {
        seen.push(ev);
        if (ev.type === "BOOKMARK") break;
      }
      assert.deepEqual(seen.map((e) => e.type), ["ADDED", "BOOKMARK"]);
      assert.equal(
        (seen[1]?.object.metadata as { annotations?: Record<string, string> })?.annotations
          ?.["k8s.io/initial-events-end"],
        "true",
      );
    });

    await t.step("watcher relists on 410 Gone (ERROR Expired from a too old resourceVersion)", async () => {
      using c = await admin();
      const ns = await cp.newNamespace("gone");
      const spec = { secretStoreRef: { name: "s" }, data: [{ secretKey: "k", remoteRef: { key: "r" } }] };
      for (const n of ["x", "y"]) {
        await c.create(externalSecrets, {
          apiVersion: "external-secrets.io/v1",
          kind: "ExternalSecret",
          metadata: { name: n },
          spec,
        }, {
          namespace: ns,
        });
      }
      await c.list(externalSecrets, { namespace: ns }); // the CRD's watch cache is ready
      const errors: unknown[] = [];
      const col = collect((signal) =>
        watcher(c, externalSecrets, {
          namespace: ns,
          initialResourceVersion: "1",
          onError: (e) => errors.push(e),
          backoff: { initialMs: 50 },
          signal,
        })
      );
      await until("InitDone after the relist", () => col.events.some((e) => e.type === "InitDone"));
      await c.create(externalSecrets, {
        apiVersion: "external-secrets.io/v1",
        kind: "ExternalSecret",
        metadata: { name: "z" },
        spec,
      }, {
        namespace: ns,
      });
      await until("Apply:z", () => names(col.events).includes("Apply:z"));
      await col.stop();
      assert.ok(
        errors.some((e) => isGone(e) && /too old resource version: 1 /.test((e as Error).message)),
        String(errors),
      );
      assert.deepEqual(names(col.events), ["Init", "InitApply:x", "InitApply:y", "InitDone", "Apply:z"]);
    });

    await t.step("watcher keeps retrying a Forbidden list with backoff and reports it, until aborted", async () => {
      using c = await createKubeClient({ kubeconfig: cp.kubeconfigPath, context: "alice" });
      const errors: unknown[] = [];
      const col = collect((signal) =>
        watcher(c, secrets, { onError: (e) => errors.push(e), backoff: { initialMs: 20, maxMs: 40 }, signal })
      );
      await until("three failures", () => errors.length >= 3);
      assert.equal(col.w.health.synced, false);
      assert.ok(isForbidden(col.w.health.lastError));
      assert.ok(col.w.health.failures >= 3);
      await col.stop();
      assert.deepEqual(col.events, []);
    });

    await t.step(
      "aborting ends the watch loop without an error; the raw stream rethrows the abort reason",
      async () => {
        using c = await admin();
        const ns = await cp.newNamespace("abort");
        const col = collect((signal) => watcher(c, secrets, { namespace: ns, signal }));
        await until("connected", () => col.w.health.connected);
        await col.stop();
        // From a known version there are no initial events: next() waits on the stream until the abort.
        const rv = (await c.list(secrets, { namespace: ns })).metadata.resourceVersion;
        const ac = new AbortController();
        const it = watchEvents(c, secrets, { namespace: ns, resourceVersion: rv, signal: ac.signal });
        const next = it.next();
        setTimeout(() => ac.abort(new Error("stop now")), 100);
        try {
          await assert.rejects(next, /stop now/);
        } finally {
          await it.return();
        }
      },
    );
  } finally {
    await cp.stop();
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
});
