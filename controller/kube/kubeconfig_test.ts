import assert from "node:assert/strict";
import {
  connectionFromKubeconfig,
  type Kubeconfig,
  kubeconfigPaths,
  loadKubeconfig,
  mergeKubeconfigs,
  parseKubeconfig,
  selectContext,
} from "./kubeconfig.ts";
import { KubeConfigError } from "./errors.ts";

const CA = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n";
const CA2 = "-----BEGIN CERTIFICATE-----\nMIIBsecond\n-----END CERTIFICATE-----\n";
const CERT = "-----BEGIN CERTIFICATE-----\nMIIBclient\n-----END CERTIFICATE-----\n";
const KEY = "-----BEGIN EC PRIVATE KEY-----\nMHcfake\n-----END EC PRIVATE KEY-----\n";

const BASE = `
apiVersion: v1
kind: Config
current-context: dev
clusters:
  - name: dev
    cluster:
      server: https://127.0.0.1:6443/
      certificate-authority: pki/ca.crt
  - name: prod
    cluster:
      server: https://prod.example:443
      certificate-authority-data: ${btoa(CA + CA2)}
      proxy-url: socks5://user:p%40ss@proxy:1080
users:
  - name: dev
    user:
      client-certificate: pki/user.crt
      client-key: /abs/user.key
  - name: tok
    user:
      token: abc
contexts:
  - name: dev
    context: {cluster: dev, user: dev, namespace: apps}
  - name: prod
    context: {cluster: prod, user: tok}
`;

async function tempDir(files: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "kv-kubeconfig-" });
  for (const [name, text] of Object.entries(files)) {
    const path = `${dir}/${name}`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(path, text);
  }
  return dir;
}

function cfg(yaml: string, source = "/home/u/.kube/config"): Promise<Kubeconfig> {
  return parseKubeconfig(yaml, source);
}

Deno.test("parseKubeconfig() reads clusters, users, contexts and resolves relative paths against the file", async () => {
  const c = await cfg(BASE);
  assert.equal(c.currentContext, "dev");
  assert.deepEqual(c.clusters.get("dev"), {
    server: "https://127.0.0.1:6443/",
    certificateAuthority: "/home/u/.kube/pki/ca.crt",
  });
  assert.deepEqual(c.users.get("dev"), {
    clientCertificate: "/home/u/.kube/pki/user.crt",
    clientKey: "/abs/user.key",
  });
  assert.deepEqual(c.contexts.get("dev"), { cluster: "dev", user: "dev", namespace: "apps" });
  assert.deepEqual(c.files, ["/home/u/.kube/config"]);
});

Deno.test("parseKubeconfig() reads exec plugins, resolving only commands that contain a slash", async () => {
  const c = await cfg(
    `
users:
  - name: aks
    user:
      exec:
        apiVersion: client.authentication.k8s.io/v1beta1
        command: kubelogin
        args: [get-token, --login, azurecli]
        env: [{name: AAD_LOGIN_METHOD, value: azurecli}]
        installHint: install kubelogin
        provideClusterInfo: true
  - name: local
    user:
      exec: {apiVersion: client.authentication.k8s.io/v1, command: ./bin/plugin, interactiveMode: Never}
`,
    "/cfg/kube.yaml",
  );
  assert.deepEqual(c.users.get("aks")?.exec, {
    apiVersion: "client.authentication.k8s.io/v1beta1",
    command: "kubelogin",
    args: ["get-token", "--login", "azurecli"],
    env: [{ name: "AAD_LOGIN_METHOD", value: "azurecli" }],
    installHint: "install kubelogin",
    provideClusterInfo: true,
  });
  assert.equal(c.users.get("local")?.exec?.command, "/cfg/./bin/plugin");
  assert.equal(c.users.get("local")?.exec?.interactiveMode, "Never");
});

Deno.test("parseKubeconfig() treats an empty document as an empty config and explains malformed ones", async () => {
  assert.equal((await cfg("")).contexts.size, 0);
  await assert.rejects(
    cfg("clusters: {a: 1}", "/x"),
    /^KubeConfigError: Cannot load kubeconfig "\/x": clusters must be a list$/,
  );
  await assert.rejects(
    cfg("clusters: [{name: a, cluster: {server: 5}}]", "/x"),
    (e: unknown) => e instanceof KubeConfigError && /clusters\[0\]\.cluster\.server must be a string/.test(e.message),
  );
  await assert.rejects(cfg("users: [{user: {}}]", "/x"), /users\[0\]\.name is required/);
  await assert.rejects(cfg("a: [", "/x"), /not valid YAML/);
  await assert.rejects(cfg('{"clusters": 5}', "/x"), /clusters must be a list/, "JSON kubeconfigs are read too");
  await assert.rejects(
    cfg("users: [{name: u, user: {exec: {command: x}}}]", "/x"),
    /users\[0\]\.user\.exec\.apiVersion is required/,
  );
});

Deno.test("mergeKubeconfigs() lets the first file win per name and for current-context", async () => {
  const a = await cfg(
    `
clusters: [{name: c, cluster: {server: https://a}}]
users: [{name: u, user: {token: from-a}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
`,
    "/a",
  );
  const b = await cfg(
    `
current-context: y
clusters: [{name: c, cluster: {server: https://b}}, {name: d, cluster: {server: https://d}}]
users: [{name: u, user: {token: from-b}}]
contexts: [{name: y, context: {cluster: d, user: u}}]
`,
    "/b",
  );
  const c = await cfg(`current-context: x`, "/c");
  const m = mergeKubeconfigs([a, b, c]);
  assert.equal(m.clusters.get("c")?.server, "https://a");
  assert.equal(m.clusters.get("d")?.server, "https://d");
  assert.equal(m.users.get("u")?.token, "from-a");
  assert.equal(m.currentContext, "y", "from the first file that sets it");
  assert.deepEqual([...m.contexts.keys()], ["x", "y"]);
  assert.deepEqual(m.files, ["/a", "/b", "/c"]);
});

Deno.test("kubeconfigPaths() prefers --kubeconfig, then KUBECONFIG (deduplicated), then ~/.kube/config", () => {
  const env = (vars: Record<string, string>) => (n: string): string | undefined => vars[n];
  assert.deepEqual(kubeconfigPaths({ kubeconfig: "/x", env: env({ KUBECONFIG: "/y" }) }), {
    paths: ["/x"],
    explicit: true,
  });
  assert.deepEqual(kubeconfigPaths({ env: env({ KUBECONFIG: "/a::/b:/a", HOME: "/h" }) }), {
    paths: ["/a", "/b"],
    explicit: false,
  });
  assert.deepEqual(kubeconfigPaths({ env: env({ HOME: "/h" }) }), { paths: ["/h/.kube/config"], explicit: false });
  assert.deepEqual(kubeconfigPaths({ env: env({}) }), { paths: [], explicit: false });
});

Deno.test("loadKubeconfig() merges KUBECONFIG files, skipping missing ones, but requires an explicit file", async () => {
  const dir = await tempDir({
    "one": "current-context: a\ncontexts: [{name: a, context: {cluster: c, user: u}}]\n",
    "two": "current-context: b\nclusters: [{name: c, cluster: {server: https://two}}]\n",
  });
  try {
    const env = (n: string): string | undefined =>
      n === "KUBECONFIG" ? `${dir}/missing:${dir}/one:${dir}/two` : undefined;
    const c = await loadKubeconfig({ env });
    assert.equal(c.currentContext, "a");
    assert.equal(c.clusters.get("c")?.server, "https://two");
    assert.deepEqual(c.files, [`${dir}/one`, `${dir}/two`]);
    await assert.rejects(
      loadKubeconfig({ kubeconfig: `${dir}/missing` }),
      /^KubeConfigError: Cannot load kubeconfig: file ".*\/missing" does not exist$/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("selectContext() applies overrides and explains what is missing", async () => {
  const c = await cfg(BASE);
  assert.equal(selectContext(c).namespace, "apps");
  assert.equal(selectContext(c, { namespace: "other" }).namespace, "other");
  const prod = selectContext(c, { context: "prod" });
  assert.equal(prod.namespace, "default");
  assert.equal(prod.userName, "tok");
  assert.equal(selectContext(c, { context: "prod", user: "dev" }).userName, "dev");
  assert.throws(
    () => selectContext(c, { context: "nope" }),
    /^KubeConfigError: Cannot select context "nope": it does not exist \(kubeconfig: \/home\/u\/\.kube\/config\): available contexts are "dev", "prod"$/,
  );
  const noCurrent = await cfg(BASE.replace("current-context: dev", ""));
  assert.throws(() => selectContext(noCurrent), /current-context is not set/);
  const empty = await cfg("");
  assert.throws(() => selectContext(empty, {}), /no kubeconfig found/);
  assert.throws(() => selectContext(c, { context: "dev", cluster: "zzz" }), /cluster "zzz" does not exist/);
  assert.throws(() => selectContext(c, { context: "dev", user: "zzz" }), /user "zzz" does not exist/);
});

Deno.test("connectionFromKubeconfig() reads the CA and client certificate files", async () => {
  const dir = await tempDir({ "pki/ca.crt": CA, "pki/user.crt": CERT, "pki/user.key": KEY });
  try {
    const c = await parseKubeconfig(BASE.replace("/abs/user.key", "pki/user.key"), `${dir}/config`);
    const conn = await connectionFromKubeconfig(c);
    assert.equal(conn.server, "https://127.0.0.1:6443");
    assert.equal(conn.namespace, "apps");
    assert.deepEqual(conn.caCerts, [CA]);
    assert.deepEqual(await conn.credentials.get(), { clientCertificate: { certPem: CERT, keyPem: KEY } });
    assert.equal(conn.description, 'kubeconfig context "dev"');
    assert.equal(conn.proxy, undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("connectionFromKubeconfig() decodes *-data fields, splits CA bundles and maps proxy-url", async () => {
  const conn = await connectionFromKubeconfig(await cfg(BASE), { context: "prod" });
  assert.deepEqual(conn.caCerts, [CA, CA2]);
  assert.deepEqual(await conn.credentials.get(), { token: "abc" });
  assert.deepEqual(conn.proxy, {
    transport: "socks5",
    url: "socks5://proxy:1080",
    basicAuth: { username: "user", password: "p@ss" },
  });
});

Deno.test("connectionFromKubeconfig() names the missing file and the permission flag", async () => {
  await assert.rejects(
    connectionFromKubeconfig(await cfg(BASE, "/nonexistent/config")),
    /^KubeConfigError: Cannot use context "dev": cannot read certificate-authority: file "\/nonexistent\/pki\/ca.crt" does not exist$/,
  );
});

function single(cluster: string, user: string): Promise<Kubeconfig> {
  return cfg(`
current-context: c
clusters: [{name: c, cluster: ${cluster}}]
users: [{name: u, user: ${user}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
`);
}

Deno.test("connectionFromKubeconfig() refuses insecure-skip-tls-verify unless allowed, naming the Deno flag", async () => {
  const c = await single("{server: 'https://10.0.0.1:6443', insecure-skip-tls-verify: true}", "{token: t}");
  await assert.rejects(
    connectionFromKubeconfig(c),
    (e: unknown) =>
      e instanceof KubeConfigError && e.message.includes("insecure-skip-tls-verify") &&
      e.message.includes("--unsafely-ignore-certificate-errors=10.0.0.1"),
  );
  const conn = await connectionFromKubeconfig(c, { allowInsecureSkipTlsVerify: true });
  assert.equal(conn.insecureSkipTlsVerify, true);
  assert.deepEqual(conn.caCerts, []);
  await assert.rejects(
    connectionFromKubeconfig(
      await single(
        `{server: 'https://x', insecure-skip-tls-verify: true, certificate-authority-data: '${btoa(CA)}'}`,
        "{}",
      ),
      { allowInsecureSkipTlsVerify: true },
    ),
    /both insecure-skip-tls-verify and a certificate authority/,
  );
});

Deno.test("connectionFromKubeconfig() rejects what Deno or client-go cannot do", async () => {
  const cases: [string, string, RegExp][] = [
    ["{server: 'https://x', tls-server-name: kubernetes}", "{}", /tls-server-name/],
    ["{server: 'https://x', proxy-url: 'ftp://p'}", "{}", /proxy-url scheme "ftp:" is not supported/],
    ["{server: 'x'}", "{}", /server "x" is not a URL/],
    ["{server: 'https://x'}", "{auth-provider: {name: azure}}", /auth-provider "azure".*exec credential plugin/],
    ["{server: 'https://x'}", "{token: t, username: a, password: b}", /both a bearer token and username\/password/],
    ["{server: 'https://x'}", `{client-certificate-data: '${btoa(CERT)}'}`, /client certificate but no client key/],
    ["{server: 'https://x'}", "{client-key-data: '!!notbase64'}", /client-key-data is not valid base64/],
    ["{server: 'https://x'}", "{as-groups: [g]}", /as-groups or as-uid without as/],
    [
      "{server: 'https://x'}",
      `{client-certificate-data: '${btoa(CERT)}', client-key-data: '${
        btoa(KEY)
      }', exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: p}}`,
      /both a client certificate and an exec plugin/,
    ],
  ];
  for (const [cluster, user, re] of cases) {
    await assert.rejects(connectionFromKubeconfig(await single(cluster, user)), re, `${cluster} ${user}`);
  }
});

Deno.test("connectionFromKubeconfig() prefers tokenFile over token and sets impersonation and basic auth", async () => {
  const dir = await tempDir({ token: "from-file\n" });
  try {
    const conn = await connectionFromKubeconfig(
      await single(
        "{server: 'https://x'}",
        `{token: inline, tokenFile: ${dir}/token, as: bob, as-groups: [a, b], as-user-extra: {scopes: [s1]}}`,
      ),
    );
    assert.deepEqual(await conn.credentials.get(), { token: "from-file" });
    assert.deepEqual(conn.impersonation, { user: "bob", groups: ["a", "b"], extra: { scopes: ["s1"] } });
    const basic = await connectionFromKubeconfig(await single("{server: 'http://x'}", "{username: u, password: p}"));
    assert.deepEqual(await basic.credentials.get(), { basic: { username: "u", password: "p" } });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("connectionFromKubeconfig() runs a relative exec plugin with the cluster info when asked", async () => {
  const dir = await tempDir({
    "bin/plugin":
      `#!/bin/sh\nprintf '%s' "$KUBERNETES_EXEC_INFO" > "$(dirname "$0")/info.json"\necho '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"from-plugin"}}'\n`,
  });
  try {
    await Deno.chmod(`${dir}/bin/plugin`, 0o755);
    const conn = await connectionFromKubeconfig(
      await parseKubeconfig(
        `
current-context: c
clusters:
  - name: c
    cluster:
      server: https://x:6443
      certificate-authority-data: ${btoa(CA)}
      extensions: [{name: client.authentication.k8s.io/exec, extension: {audience: aud}}]
users:
  - name: u
    user:
      token: ignored-when-the-plugin-returns-one
      exec: {apiVersion: client.authentication.k8s.io/v1, command: bin/plugin, interactiveMode: IfAvailable, provideClusterInfo: true}
contexts: [{name: c, context: {cluster: c, user: u}}]
`,
        `${dir}/config`,
      ),
      { exec: { isTerminal: () => false } },
    );
    assert.deepEqual(await conn.credentials.get(), { token: "from-plugin" });
    assert.deepEqual(JSON.parse(await Deno.readTextFile(`${dir}/bin/info.json`)), {
      apiVersion: "client.authentication.k8s.io/v1",
      kind: "ExecCredential",
      spec: {
        interactive: false,
        cluster: { server: "https://x:6443", "certificate-authority-data": btoa(CA), config: { audience: "aud" } },
      },
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("kubeconfigPaths() names the --allow-env flag when KUBECONFIG may not be read", async () => {
  const script = `
    import { kubeconfigPaths } from ${JSON.stringify(new URL("./kubeconfig.ts", import.meta.url).href)};
    try { kubeconfigPaths(); } catch (e) { await Deno.stdout.write(new TextEncoder().encode(e.name + ": " + e.message)); }
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-check",
      "--allow-read",
      "--allow-env=HOME",
      `data:application/typescript,${encodeURIComponent(script)}`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(
    new TextDecoder().decode(out.stdout),
    "KubeConfigError: Cannot read environment variable KUBECONFIG: run Deno with --allow-env=KUBECONFIG (or a list that includes it)",
    new TextDecoder().decode(out.stderr),
  );
});
