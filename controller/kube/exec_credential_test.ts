import assert from "node:assert/strict";
import FakeTimers from "@sinonjs/fake-timers";
import { type ExecConfig, ExecCredentialSource, parseExecCredential, validateExecConfig } from "./exec_credential.ts";
import { KubeCredentialError } from "./errors.ts";

const V1 = "client.authentication.k8s.io/v1";
const V1BETA1 = "client.authentication.k8s.io/v1beta1";

/**
 * A real exec plugin: a shell script that counts its runs, records its arguments, its `FOO` env var and
 * KUBERNETES_EXEC_INFO, and prints `response.json` with RUN replaced by the run number.
 */
async function plugin(): Promise<{ dir: string; command: string; respond(doc: unknown): Promise<void> }> {
  const dir = await Deno.makeTempDir({ prefix: "kv-exec-" });
  const command = `${dir}/plugin.sh`;
  await Deno.writeTextFile(
    command,
    `#!/bin/sh
d=$(dirname "$0")
n=$(cat "$d/count" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$d/count"
printf '%s' "$KUBERNETES_EXEC_INFO" > "$d/info.json"
printf '%s\\n' "$@" > "$d/args.txt"
printf '%s' "$FOO" > "$d/foo.txt"
if [ -f "$d/fail" ]; then echo "login failed: AADSTS7000215 invalid client secret" >&2; exit 3; fi
sed "s/RUN/$n/g" "$d/response.json"
`,
  );
  await Deno.chmod(command, 0o755);
  return {
    dir,
    command,
    respond: (doc) => Deno.writeTextFile(`${dir}/response.json`, JSON.stringify(doc)),
  };
}

function config(command: string, extra: Partial<ExecConfig> = {}): ExecConfig {
  return { apiVersion: V1, command, args: [], env: [], provideClusterInfo: false, interactiveMode: "Never", ...extra };
}

Deno.test("ExecCredentialSource runs the plugin once and caches until shortly before expirationTimestamp", async () => {
  const p = await plugin();
  const clock = FakeTimers.createClock(Date.parse("2026-01-01T00:00:00Z"));
  try {
    await p.respond({
      apiVersion: V1,
      kind: "ExecCredential",
      status: { token: "tok-RUN", expirationTimestamp: "2026-01-01T01:00:00Z" },
    });
    const src = new ExecCredentialSource(config(p.command), { now: () => clock.now, isTerminal: () => false });
    assert.deepEqual(await src.get(), { token: "tok-1" });
    assert.deepEqual(await src.get(), { token: "tok-1" });
    clock.tick(60 * 60_000 - 10_001);
    assert.deepEqual(await src.get(), { token: "tok-1" }, "still valid 10 s before expiry");
    clock.tick(1);
    assert.deepEqual(await src.get(), { token: "tok-2" }, "refreshed within the last 10 s");
    assert.equal(src.runs, 2);
  } finally {
    await Deno.remove(p.dir, { recursive: true });
  }
});

Deno.test("ExecCredentialSource keeps credentials without expiry until they are rejected", async () => {
  const p = await plugin();
  try {
    await p.respond({ apiVersion: V1BETA1, kind: "ExecCredential", status: { token: "tok-RUN" } });
    const src = new ExecCredentialSource(config(p.command, { apiVersion: V1BETA1 }), { isTerminal: () => false });
    const first = await src.get();
    assert.deepEqual(await src.get(), { token: "tok-1" });
    assert.equal(src.invalidate({ token: "some-other-token" }), true);
    assert.deepEqual(await src.get(), { token: "tok-1" }, "a stale rejection does not drop newer credentials");
    src.invalidate(first);
    assert.deepEqual(await src.get(), { token: "tok-2" });
  } finally {
    await Deno.remove(p.dir, { recursive: true });
  }
});

Deno.test("ExecCredentialSource shares one run between concurrent callers", async () => {
  const p = await plugin();
  try {
    await p.respond({ apiVersion: V1, kind: "ExecCredential", status: { token: "tok-RUN" } });
    const src = new ExecCredentialSource(config(p.command), { isTerminal: () => false });
    const all = await Promise.all([src.get(), src.get(), src.get()]);
    assert.deepEqual(all.map((c) => c.token), ["tok-1", "tok-1", "tok-1"]);
    assert.equal(src.runs, 1);
  } finally {
    await Deno.remove(p.dir, { recursive: true });
  }
});

Deno.test("ExecCredentialSource passes args, env and KUBERNETES_EXEC_INFO with cluster info", async () => {
  const p = await plugin();
  try {
    await p.respond({
      apiVersion: V1,
      kind: "ExecCredential",
      status: { clientCertificateData: "CERT", clientKeyData: "KEY" },
    });
    const src = new ExecCredentialSource(
      config(p.command, {
        args: ["get-token", "--server-id", "6dae42f8"],
        env: [{ name: "FOO", value: "bar baz" }],
        provideClusterInfo: true,
      }),
      {
        isTerminal: () => false,
        cluster: { server: "https://k:6443", certificateAuthorityData: "Q0E=", config: { audience: "x" } },
      },
    );
    assert.deepEqual(await src.get(), { clientCertificate: { certPem: "CERT", keyPem: "KEY" } });
    assert.equal(await Deno.readTextFile(`${p.dir}/args.txt`), "get-token\n--server-id\n6dae42f8\n");
    assert.equal(await Deno.readTextFile(`${p.dir}/foo.txt`), "bar baz");
    assert.deepEqual(JSON.parse(await Deno.readTextFile(`${p.dir}/info.json`)), {
      apiVersion: V1,
      kind: "ExecCredential",
      spec: {
        interactive: false,
        cluster: { server: "https://k:6443", "certificate-authority-data": "Q0E=", config: { audience: "x" } },
      },
    });
  } finally {
    await Deno.remove(p.dir, { recursive: true });
  }
});

Deno.test("ExecCredentialSource reports a failing plugin with its exit code and stderr", async () => {
  const p = await plugin();
  try {
    await Deno.writeTextFile(`${p.dir}/fail`, "");
    const src = new ExecCredentialSource(config(p.command), { isTerminal: () => false });
    await assert.rejects(src.get(), (e: unknown) => {
      assert.ok(e instanceof KubeCredentialError);
      assert.match(e.message, /plugin\.sh": it exited with code 3: login failed: AADSTS7000215 invalid client secret$/);
      return true;
    });
  } finally {
    await Deno.remove(p.dir, { recursive: true });
  }
});

Deno.test("ExecCredentialSource explains a missing command with the install hint", async () => {
  const src = new ExecCredentialSource(
    config("kubelogin-definitely-missing", { installHint: "Install kubelogin: https://azure.github.io/kubelogin" }),
    { isTerminal: () => false },
  );
  await assert.rejects(
    src.get(),
    /Cannot run exec plugin "kubelogin-definitely-missing": executable not found\n\nInstall kubelogin/,
  );
});

Deno.test("ExecCredentialSource refuses interactiveMode Always without a terminal", async () => {
  const src = new ExecCredentialSource(config("/bin/true", { interactiveMode: "Always" }), { isTerminal: () => false });
  await assert.rejects(src.get(), /needs an interactive terminal/);
  assert.equal(src.runs, 0);
});

Deno.test("ExecCredentialSource names --allow-run when Deno may not run the plugin", async () => {
  const script = `
    import { ExecCredentialSource } from ${JSON.stringify(new URL("./exec_credential.ts", import.meta.url).href)};
    const s = new ExecCredentialSource({ apiVersion: "${V1}", command: "/bin/echo", args: [], env: [],
      provideClusterInfo: false, interactiveMode: "Never" }, { isTerminal: () => false });
    try { await s.get(); } catch (e) { await Deno.stdout.write(new TextEncoder().encode(String(e.message))); }
  `;
  const denied = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-check",
      "--allow-read",
      "--deny-run",
      `data:application/typescript,${encodeURIComponent(script)}`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(
    new TextDecoder().decode(denied.stdout),
    'Cannot run exec plugin "/bin/echo": Deno needs --allow-run=/bin/echo',
    new TextDecoder().decode(denied.stderr),
  );
});

Deno.test("validateExecConfig() follows client-go's rules for apiVersion and interactiveMode", () => {
  const { interactiveMode: _, ...noMode } = config("x");
  assert.equal(validateExecConfig({ ...noMode, apiVersion: V1BETA1 }), "IfAvailable");
  assert.throws(() => validateExecConfig(noMode), /interactiveMode must be set for client.authentication.k8s.io\/v1/);
  assert.throws(
    () => validateExecConfig(config("x", { apiVersion: "client.authentication.k8s.io/v1alpha1" })),
    /apiVersion must be one of/,
  );
  assert.throws(
    () => validateExecConfig(config("x", { interactiveMode: "Sometimes" as never })),
    /Never, IfAvailable or Always/,
  );
});

Deno.test("parseExecCredential() rejects outputs client-go rejects", () => {
  const c = config("p");
  const parse = (doc: unknown): unknown => parseExecCredential(JSON.stringify(doc), c);
  assert.throws(() => parseExecCredential("not json", c), /not JSON/);
  assert.throws(() => parse({ apiVersion: V1, kind: "Other", status: { token: "t" } }), /kind "Other"/);
  assert.throws(() => parse({ apiVersion: V1BETA1, kind: "ExecCredential", status: { token: "t" } }), /configured for/);
  assert.throws(() => parse({ apiVersion: V1, kind: "ExecCredential" }), /no status/);
  assert.throws(() => parse({ apiVersion: V1, kind: "ExecCredential", status: {} }), /neither status.token/);
  assert.throws(
    () => parse({ apiVersion: V1, kind: "ExecCredential", status: { clientCertificateData: "C" } }),
    /only one of/,
  );
  assert.throws(
    () => parse({ apiVersion: V1, kind: "ExecCredential", status: { token: "t", expirationTimestamp: "soon" } }),
    /not a timestamp/,
  );
  assert.deepEqual(
    parse({
      apiVersion: V1,
      kind: "ExecCredential",
      status: { token: "t", expirationTimestamp: "2026-01-01T00:00:00Z" },
    }),
    { credentials: { token: "t" }, expiresAt: Date.parse("2026-01-01T00:00:00Z") },
  );
});
