/**
 * The plugin over a fleet, through the real kubectl: two real control planes with the controller on each (the seed's
 * store and `jenkins/regcred` in both, one vault in the emulator), a third control plane without the CRDs, a context
 * whose port nobody listens on, and one whose listener accepts and never answers — all in one kubeconfig.
 */
// deno-lint-ignore-file no-console -- the timings are printed for the report, never asserted on speed
import assert from "node:assert/strict";
import { parse as parseYaml, stringify } from "yaml";
import type { Secret } from "../../controller/kube/types.ts";
import { startAzureEmulators } from "../harness/azure/mod.ts";
import { type ControlPlane, freePort, run, startControlPlane } from "../harness/control_plane.ts";
import { type ControllerProcess, startController } from "../harness/controller_process.ts";
import { seedStore } from "../harness/scenario.ts";
import {
  apply,
  assertNoSecrets,
  buildAndInstallPlugin,
  type BuiltPlugin,
  decode,
  eventually,
  getJson,
  readyOf,
  SEED,
} from "./plugin_harness.ts";

const CLIENT_ID = "5f0c5d0e-3c1b-4c8e-9a51-0d6f3b2a7c11";
const CLIENT_SECRET = "fleet-store-client-secret";
const auth = (pw: string): string => JSON.stringify({ auths: { "zaldre.azurecr.io": { auth: btoa(`puller:${pw}`) } } });
const V1 = auth("fleet-first-password");
const V2 = auth("fleet-rotated-password");

/** Columns of a kubectl-style table line. */
function cols(line: string): string[] {
  return line.trim().split(/ {3,}/);
}

/** The table's rows keyed by their first column (CLUSTER). */
function rowsByCluster(stdout: string): Map<string, string[][]> {
  const out = new Map<string, string[][]>();
  for (const line of stdout.trimEnd().split("\n").slice(1)) {
    const c = cols(line);
    out.set(c[0]!, [...out.get(c[0]!) ?? [], c]);
  }
  return out;
}

// deno-lint-ignore no-explicit-any -- kubeconfig documents are plain YAML
type Doc = Record<string, any>;

/** One kubeconfig holding each control plane's admin as context NAME, plus extra contexts. */
async function fleetKubeconfig(
  path: string,
  planes: Record<string, ControlPlane>,
  extra: Record<string, { server: string; insecure?: boolean; user?: string }>,
): Promise<void> {
  const clusters: Doc[] = [];
  const users: Doc[] = [];
  const contexts: Doc[] = [];
  for (const [name, cp] of Object.entries(planes)) {
    const k = parseYaml(await Deno.readTextFile(cp.kubeconfigPath)) as Doc;
    clusters.push({ name, cluster: k.clusters[0].cluster });
    users.push({ name, user: k.users.find((u: Doc) => u.name === "admin").user });
    contexts.push({ name, context: { cluster: name, user: name, namespace: "jenkins" } });
  }
  for (const [name, e] of Object.entries(extra)) {
    clusters.push({ name, cluster: { server: e.server, ...(e.insecure ? { "insecure-skip-tls-verify": true } : {}) } });
    contexts.push({ name, context: { cluster: name, user: e.user ?? Object.keys(planes)[0], namespace: "jenkins" } });
  }
  await Deno.writeTextFile(
    path,
    stringify({ apiVersion: "v1", kind: "Config", clusters, users, contexts, "current-context": contexts[0]!.name }),
  );
}

/** A TCP listener that accepts connections and never answers (a hung apiserver or load balancer). */
function silentListener(): { port: number; close(): void } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  (async () => {
    try {
      for await (const c of listener) held.push(c);
    } catch {
      // closed
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    close: () => {
      for (const c of held) {
        try {
          c.close();
        } catch {
          // already closed by the peer
        }
      }
      listener.close();
    },
  };
}

Deno.test("kubectl externalsecret over a fleet: contexts, CLUSTER column, unreachable and CRD-less rows, one exit code", async (t) => {
  const east = await startControlPlane();
  const west = await startControlPlane();
  const bare = await startControlPlane({ crds: false });
  const az = await startAzureEmulators({ vaults: ["zaldre"] });
  const silent = silentListener();
  const dir = await Deno.makeTempDir({ prefix: "kv-fleet-" });
  const controllers: ControllerProcess[] = [];
  let plugin: BuiltPlugin | undefined;
  try {
    az.setSecret("zaldre", "docker-config-json", V1, { contentType: "application/json" });
    for (const cp of [east, west]) {
      await seedStore(cp, az, { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, access: "write" });
      const r = await cp.kubectl(["apply", "--server-side", "-f", `${SEED}01-externalsecret-regcred.yaml`]);
      assert.equal(r.code, 0, r.stderr);
      controllers.push(
        await startController({
          kubeconfig: cp.kubeconfigPath,
          authorityHost: az.authorityHost,
          caCertPath: Deno.env.get("NODE_EXTRA_CA_CERTS") ?? az.caCertPath,
        }),
      );
    }
    const kubeconfig = `${dir}/fleet.kubeconfig`;
    await fleetKubeconfig(kubeconfig, { east, west, bare }, {
      down: { server: `https://127.0.0.1:${freePort()}` },
      hang: { server: `https://127.0.0.1:${silent.port}` },
    });
    plugin = await buildAndInstallPlugin(east, {
      NO_COLOR: "1",
      KUBECONFIG: kubeconfig,
      AZURE_AUTHORITY_HOST: az.authorityHost,
      KV_DISABLE_CHALLENGE_RESOURCE_VERIFICATION: "true",
      // The emulated vault listens on 127.0.0.1: allowed as an operator would allow a private endpoint.
      KV_ALLOWED_VAULT_HOSTS: "127.0.0.1:*",
    });
    const k = plugin.kubectl;
    for (const cp of [east, west]) {
      await eventually("regcred synced", async () => {
        return decode(await getJson<Secret>(cp, ["secret", "-n", "jenkins", "regcred"]), ".dockerconfigjson") === V1;
      });
    }

    await t.step(
      "status -A --all-contexts: a CLUSTER column, every cluster a row, the hung one within its timeout, exit 1",
      async () => {
        const started = Date.now();
        const r = await k(["status", "-A", "--all-contexts", "--request-timeout=2s"]);
        const elapsed = Date.now() - started;
        assert.equal(r.code, 1, r.stdout + r.stderr);
        const lines = r.stdout.trimEnd().split("\n");
        assert.deepEqual(cols(lines[0]!).slice(0, 6), ["CLUSTER", "NAMESPACE", "NAME", "STORE", "READY", "REASON"]);
        const rows = rowsByCluster(r.stdout);
        assert.deepEqual([...rows.keys()], ["east", "west", "bare", "down", "hang"], "in the kubeconfig's order");
        for (const c of ["east", "west"]) {
          assert.deepEqual(rows.get(c)!.map((row) => row.slice(1, 6)), [
            ["jenkins", "regcred", "css/azure-keyvault-cluster-store", "True", "SecretSynced"],
          ]);
        }
        assert.equal(rows.get("bare")![0]![5], "CRDsMissing");
        assert.match(rows.get("bare")![0]!.at(-1)!, /doesn't have a resource type "externalsecrets"/);
        assert.equal(rows.get("down")![0]![5], "Unreachable");
        assert.match(rows.get("down")![0]!.at(-1)!, /unreachable|refused/i);
        assert.equal(rows.get("hang")![0]![5], "Unreachable");
        assert.match(rows.get("hang")![0]!.at(-1)!, /no answer from https:\/\/127\.0\.0\.1:\d+ within 2000 ms/);
        assert.match(
          r.stderr,
          /^5 clusters: 2 answered, 1 without the CRDs, 2 unreachable; 2 ExternalSecrets: 2 Ready, 0 not Ready$/m,
        );
        assert.ok(elapsed < 15_000, `the hung cluster is reported within its timeout (took ${elapsed} ms)`);
        console.log(`status -A --all-contexts over 5 contexts (2 answering, --request-timeout=2s): ${elapsed} ms`);
      },
    );

    await t.step("--context repeated or comma-separated, --contexts-from FILE: exit 0 when all are Ready", async () => {
      for (const args of [["--context", "east,west"], ["--context", "east", "--context", "west"]]) {
        const r = await k(["status", ...args]);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.deepEqual([...rowsByCluster(r.stdout).keys()], ["east", "west"]);
        assert.match(r.stderr, /^2 clusters: 2 answered; 2 ExternalSecrets: 2 Ready, 0 not Ready$/m);
      }
      await Deno.writeTextFile(`${dir}/contexts.txt`, "# the production pair\nwest\n\neast  # primary\n");
      const r = await k(["status", "--contexts-from", `${dir}/contexts.txt`, "--no-headers"]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const lines = r.stdout.trimEnd().split("\n");
      assert.deepEqual(lines.map((l) => cols(l).slice(0, 2)), [["west", "regcred"], ["east", "regcred"]]);
      const piped = await k(["status", "--contexts-from", "-", "-o", "name"], { stdin: "east\n" });
      assert.equal(piped.code, 0, piped.stderr);
      assert.equal(piped.stdout, "east\texternalsecret.external-secrets.io/regcred\n");
      const missing = await k(["status", "--contexts-from", `${dir}/nope.txt`]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /cannot read --contexts-from .*nope\.txt/);
    });

    await t.step("status NAME over contexts: its row per cluster; a CRD-less cluster says so", async () => {
      const r = await k(["status", "regcred", "--context", "east,bare"]);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      const rows = rowsByCluster(r.stdout);
      assert.equal(rows.get("east")![0]![1], "regcred");
      assert.equal(rows.get("bare")![0]![4], "CRDsMissing");
      const nf = await k(["status", "regcred", "nosuch", "--context", "east,west"]);
      assert.equal(nf.code, 3, nf.stdout + nf.stderr);
      assert.deepEqual(rowsByCluster(nf.stdout).get("west")!.map((row) => [row[1], row[4]]), [
        ["regcred", "SecretSynced"],
        ["nosuch", "NotFound"],
      ]);
      const one = await k(["status", "--context", "bare"]);
      assert.equal(one.code, 1);
      assert.equal(one.stdout, "");
      assert.match(
        one.stderr,
        /^error: the server doesn't have a resource type "externalsecrets" \(the external-secrets\.io\/v1 CRDs are not installed/m,
      );
    });

    await t.step("status --all-contexts -o json: a versioned FleetStatus document", async () => {
      const r = await k(["status", "--context", "east,down", "-o", "json"]);
      assert.equal(r.code, 1, r.stderr);
      const doc = JSON.parse(r.stdout);
      assert.equal(doc.apiVersion, "kubectl-externalsecret.kv-operator.io/v1");
      assert.equal(doc.kind, "FleetStatus");
      assert.deepEqual(doc.clusters.map((c: Doc) => [c.context, c.reachable, c.items.length]), [
        ["east", true, 1],
        ["down", false, 0],
      ]);
      assert.equal(doc.clusters[1].reason, "Unreachable");
    });

    await t.step("sync --wait over contexts: lines per cluster, exit 0; an unreachable one makes it 1", async () => {
      const r = await k(["sync", "regcred", "--context", "east,west", "--wait"]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      for (const c of ["east", "west"]) {
        assert.match(
          r.stdout,
          new RegExp(`^\\[${c}\\] externalsecret\\.external-secrets\\.io/regcred sync requested$`, "m"),
        );
        assert.match(r.stdout, new RegExp(`^\\[${c}\\] jenkins/regcred: Ready \\(.*\\) after \\d+\\.\\ds$`, "m"));
      }
      assert.match(r.stderr, /^2 clusters: 2 answered; 2 ExternalSecrets: 2 Ready, 0 not Ready$/m);
      const down = await k(["sync", "regcred", "--context", "east,down", "--request-timeout=2s"]);
      assert.equal(down.code, 1, down.stdout + down.stderr);
      assert.match(down.stdout, /^\[east\] externalsecret\.external-secrets\.io\/regcred sync requested$/m);
      assert.match(down.stdout, /^\[down\] Unreachable: /m);
      assert.match(down.stderr, /^2 clusters: 1 answered, 1 unreachable; 1 ExternalSecret: 1 requested, 0 failed$/m);
    });

    await t.step("timing: status --all-contexts over 50 unreachable contexts (parallel, bounded)", async () => {
      const extra: Record<string, { server: string }> = {};
      for (let i = 0; i < 25; i++) extra[`down-${i}`] = { server: `https://127.0.0.1:${freePort()}` };
      for (let i = 0; i < 25; i++) extra[`hang-${i}`] = { server: `https://127.0.0.1:${silent.port}` };
      const many = `${dir}/many.kubeconfig`;
      await fleetKubeconfig(many, {}, extra);
      const started = Date.now();
      const r = await k(["status", "--all-contexts", "--request-timeout=2s"], { env: { KUBECONFIG: many } });
      const elapsed = Date.now() - started;
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.stdout.trimEnd().split("\n").length, 51);
      assert.match(r.stderr, /^50 clusters: 0 answered, 50 unreachable; 0 ExternalSecrets/m);
      console.log(
        `status --all-contexts over 50 unreachable contexts (25 refused, 25 hung, 2s timeout): ${elapsed} ms`,
      );
      const serial = Date.now();
      const r1 = await k(["status", "--all-contexts", "--request-timeout=1s", "--parallel=25"], {
        env: { KUBECONFIG: many },
      });
      assert.equal(r1.code, 1);
      console.log(`... with --parallel=25 and a 1s timeout: ${Date.now() - serial} ms`);
      const two = Date.now();
      const r2 = await k(["status", "-A", "--context", "east,west"]);
      assert.equal(r2.code, 0, r2.stderr);
      console.log(`status -A over 2 clusters: ${Date.now() - two} ms`);
    });

    await t.step(
      "where-used KEY across contexts: both clusters' jenkins/regcred, the failed ones as rows",
      async () => {
        const r = await k(["where-used", "docker-config-json", "--all-contexts", "--request-timeout=2s"]);
        assert.equal(r.code, 1, r.stdout + r.stderr);
        const rows = rowsByCluster(r.stdout);
        assert.deepEqual(cols(r.stdout.split("\n")[0]!), [
          "CLUSTER",
          "NAMESPACE",
          "KIND",
          "NAME",
          "STORE",
          "SECRET KEYS",
          "VERSION",
          "READY",
        ]);
        for (const c of ["east", "west"]) {
          assert.deepEqual(rows.get(c), [[
            c,
            "jenkins",
            "ExternalSecret",
            "regcred",
            "css/azure-keyvault-cluster-store",
            "dockerconfig", // the seed's secretKey (its template writes .dockerconfigjson)
            "latest",
            "True",
          ]]);
        }
        assert.match(rows.get("bare")![0]!.at(-1)!, /^CRDsMissing: /);
        assert.match(rows.get("down")![0]!.at(-1)!, /^Unreachable: /);
        assert.match(r.stderr, /^5 clusters: 2 answered, 1 without the CRDs, 2 unreachable; 2 references: 2 Ready/m);
        const ok = await k(["where-used", "secret/docker-config-json", "--context", "east,west", "-o", "json"]);
        assert.equal(ok.code, 0, ok.stderr);
        const doc = JSON.parse(ok.stdout);
        assert.equal(doc.kind, "WhereUsed");
        assert.equal(doc.apiVersion, "kubectl-externalsecret.kv-operator.io/v1");
        assert.deepEqual(
          doc.clusters.map((c: Doc) => c.references.map((x: Doc) => `${c.context}:${x.namespace}/${x.name}`)),
          [
            ["east:jenkins/regcred"],
            ["west:jenkins/regcred"],
          ],
        );
        const none = await k(["where-used", "docker-config-json", "--store", "other", "--context", "east"]);
        assert.equal(none.code, 0, none.stderr);
        assert.equal(none.stdout, "");
        assert.match(none.stderr, /No ExternalSecret reads "docker-config-json" through ss\/other/);
        assert.equal((await k(["where-used", "not a name!"])).code, 2);
      },
    );

    const regcred = async (cp: ControlPlane): Promise<string | undefined> =>
      decode(await getJson<Secret>(cp, ["secret", "-n", "jenkins", "regcred"]), ".dockerconfigjson");
    const rotate = ["vault", "set", "--cluster-store", "azure-keyvault-cluster-store", "--name", "docker-config-json"];

    await t.step(
      "fleet rotation: the vault written once, exit 0 only when both clusters' regcred hold it",
      async () => {
        await Deno.writeTextFile(`${dir}/v2.json`, V2);
        const r = await k([...rotate, "--file", `${dir}/v2.json`, "--sync", "--wait", "--context", "east,west"]);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        // No polling: exit 0 means both Secrets already hold it.
        assert.equal(await regcred(east), V2);
        assert.equal(await regcred(west), V2);
        assert.equal(az.getSecret("zaldre", "docker-config-json")?.value, V2);
        assert.equal([...r.stdout.matchAll(/set in Key Vault/g)].length, 1, "written once");
        assert.match(
          r.stdout,
          /^\[east\] secret "docker-config-json" set in Key Vault https:\/\/127\.0\.0\.1:\d+: version [0-9a-f]{32}, /m,
        );
        for (const c of ["east", "west"]) {
          assert.match(
            r.stdout,
            new RegExp(
              `^\\[${c}\\] jenkins/regcred: Ready \\(Secret jenkins/regcred holds the new value\\) after`,
              "m",
            ),
          );
          assert.match(r.stdout, new RegExp(`^\\[${c}\\] 1/1 ExternalSecrets hold the new value$`, "m"));
        }
        assert.match(r.stderr, /^2 clusters: 2 answered; 2 ExternalSecrets: 2 hold the new value, 0 do not$/m);
      },
    );

    await t.step("fleet rotation in waves over every context: stops after a failed wave, exit 1", async () => {
      const v3 = auth("fleet-third-password");
      await Deno.writeTextFile(`${dir}/v3.json`, v3);
      const r = await k([
        ...rotate,
        "--file",
        `${dir}/v3.json`,
        "--sync",
        "--wait=30s",
        "--all-contexts",
        "--wave-size=2",
        "--request-timeout=2s",
      ]);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.equal(await regcred(east), v3);
      assert.equal(await regcred(west), v3);
      assert.match(r.stdout, /^\[bare\] CRDsMissing: /m);
      assert.match(r.stdout, /^\[down\] Unreachable: /m);
      assert.match(r.stdout, /^\[hang\] Skipped: not synced, 2 cluster\(s\) failed \(--max-failures 0\)$/m);
      assert.doesNotMatch(r.stdout, /^\[hang\] Unreachable/m, "the third wave never started");
      assert.match(r.stderr, /; 1 cluster\(s\) skipped$/m);
      assert.equal((await k([...rotate, "--value", "x", "--wave-size=1"])).code, 2, "waves need several contexts");
      assertNoSecrets(r.stdout + r.stderr, [v3, "fleet-third-password"]);
    });

    await t.step("kubectl conventions: -o jsonpath= and custom-columns=, --no-headers, --as/--as-group", async () => {
      const jp = await k(["status", "--context", "east", "-o", "jsonpath={.items[*].metadata.name}"]);
      assert.equal(jp.code, 0, jp.stderr);
      assert.equal(jp.stdout, "regcred\n");
      const range = await k([
        "status",
        "--context",
        "east,west",
        "-o",
        `jsonpath={range .clusters[*]}{.context}={.items[0].status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}`,
      ]);
      assert.equal(range.code, 0, range.stderr);
      assert.equal(range.stdout, "east=True\nwest=True\n");
      const cc = await k([
        "status",
        "--context",
        "east",
        "-o",
        "custom-columns=ES:.metadata.name,KEY:.spec.data[0].remoteRef.key",
      ]);
      assert.equal(cc.code, 0, cc.stderr);
      assert.equal(cc.stdout, "ES        KEY\nregcred   docker-config-json\n");
      const bare = await k(["status", "--context", "east", "--no-headers"]);
      assert.equal(bare.code, 0, bare.stderr);
      assert.match(bare.stdout, /^regcred {3}css\/azure-keyvault-cluster-store {3}True /);
      const as = await k(["status", "--context", "east", "--as", "mallory", "--as-group", "nobody"]);
      assert.equal(as.code, 1, as.stdout + as.stderr);
      assert.match(
        as.stderr,
        /Forbidden\): you \(user "mallory"\) cannot list externalsecrets\.external-secrets\.io in namespace "jenkins"/,
      );
      const noUser = await k(["status", "--as-group", "nobody"]);
      assert.equal(noUser.code, 2);
      assert.match(noUser.stderr, /--as-group needs --as/);
    });

    await t.step("insecure-skip-tls-verify is honoured like kubectl, with its warning", async () => {
      const loose = `${dir}/loose.kubeconfig`;
      await fleetKubeconfig(loose, { east }, { loose: { server: east.server, insecure: true, user: "east" } });
      const r = await k(["status", "--context", "loose"], { env: { KUBECONFIG: loose } });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /^NAME {3}.*\nregcred {3}/);
      assert.match(r.stderr, /Warning: the server's certificate for https:\/\/127\.0\.0\.1:\d+ will not be checked/);
      const both = await k(["status", "--context", "east,loose"], { env: { KUBECONFIG: loose } });
      assert.equal(both.code, 0, both.stdout + both.stderr);
      assert.deepEqual([...rowsByCluster(both.stdout).keys()], ["east", "loose"]);
    });

    await t.step(
      "completion: kubectl's plugin completion (kubectl_complete-externalsecret) and completion bash",
      async () => {
        const env = { PATH: `${plugin!.binDir}:${Deno.env.get("PATH")}`, KUBECONFIG: kubeconfig };
        const kc = (args: string[]) => run("kubectl", ["__complete", "externalsecret", ...args], { env });
        const st = await kc(["st"]);
        assert.equal(st.code, 0, st.stderr);
        const lines = st.stdout.trimEnd().split("\n");
        assert.deepEqual(lines.map((l) => l.split("\t")[0]), ["status", ":4"]);
        const ctxs = await kc(["status", "--context", ""]);
        assert.deepEqual(ctxs.stdout.trimEnd().split("\n"), ["east", "west", "bare", "down", "hang", ":4"]);
        const names = await kc(["status", "--context", "west", ""]);
        assert.deepEqual(
          names.stdout.trimEnd().split("\n"),
          ["regcred", ":4"],
          "from the cluster, in the context's namespace",
        );
        const ns = await kc(["sync", "--context", "east", "-n", "jen"]);
        assert.deepEqual(ns.stdout.trimEnd().split("\n"), ["jenkins", ":4"]);
        const stores = await kc(["vault", "set", "--cluster-store", ""]);
        assert.deepEqual(stores.stdout.trimEnd().split("\n"), ["azure-keyvault-cluster-store", ":4"]);
        const keys = await kc(["where-used", "--context", "east", "dock"]);
        assert.deepEqual(keys.stdout.trimEnd().split("\n"), ["docker-config-json", ":4"], "keys the cluster reads");
        const script = await k(["completion", "bash"]);
        assert.equal(script.code, 0, script.stderr);
        await Deno.writeTextFile(`${dir}/completion.bash`, script.stdout);
        const bash = await run("bash", [
          "-c",
          `source ${dir}/completion.bash && COMP_WORDS=(kubectl-externalsecret st) COMP_CWORD=1 && ` +
          `_kubectl_externalsecret && printf '%s\\n' "\${COMPREPLY[@]}" && complete -p kubectl-externalsecret`,
        ], { env });
        assert.equal(bash.code, 0, bash.stderr);
        assert.equal(bash.stderr, "", "sources cleanly");
        assert.match(bash.stdout, /^status\ncomplete .*-F _kubectl_externalsecret kubectl-externalsecret\n$/);
        const bad = await k(["completion", "tcsh"]);
        assert.equal(bad.code, 2);
        assert.match(bad.stderr, /unsupported shell "tcsh"/);
      },
    );

    await t.step("explain NAME: why not Ready and the next step, per cluster", async () => {
      const es = (name: string, spec: Doc): Doc => ({
        apiVersion: "external-secrets.io/v1",
        kind: "ExternalSecret",
        metadata: { name, namespace: "jenkins" },
        spec: {
          refreshInterval: "1h",
          secretStoreRef: { name: "azure-keyvault-cluster-store", kind: "ClusterSecretStore" },
          data: [{ secretKey: "v", remoteRef: { key: "docker-config-json" } }],
          ...spec,
        },
      });
      const store = {
        apiVersion: "external-secrets.io/v1",
        kind: "SecretStore",
        metadata: { name: "broken-store", namespace: "jenkins" },
        spec: {
          provider: {
            azurekv: {
              vaultUrl: az.vaultUrl("zaldre"),
              tenantId: az.tenantId,
              authSecretRef: {
                clientId: { name: "absent-creds", key: "client-id" },
                clientSecret: { name: "absent-creds", key: "client-secret" },
              },
            },
          },
        },
      };
      await apply(
        west,
        [
          store,
          es("nokey", { data: [{ secretKey: "v", remoteRef: { key: "no-such-secret" } }] }),
          es("badtpl", { target: { template: { data: { out: "first line\n{{ .v | nosuchfunction }}" } } } }),
          es("viabroken", { secretStoreRef: { name: "broken-store", kind: "SecretStore" } }),
        ].map((d) => stringify(d)).join("---\n"),
      );
      for (const n of ["nokey", "badtpl", "viabroken"]) {
        await eventually(
          `${n} not Ready`,
          async () => readyOf(await getJson(west, ["es", "-n", "jenkins", n]))?.status === "False",
        );
      }
      const r = await k(["explain", "nokey", "badtpl", "viabroken", "regcred", "--context", "west"]);
      assert.equal(r.code, 3, r.stdout + r.stderr);
      const block = (name: string): string =>
        r.stdout.split(/(?=^ExternalSecret )/m).find((b) => b.startsWith(`ExternalSecret jenkins/${name}:`)) ?? "";
      assert.match(block("nokey"), /: not Ready \(SecretSyncedError\)\n {2}Why: {2}.*not found in Key Vault/);
      assert.match(
        block("nokey"),
        /Next: the key "no-such-secret" does not exist in https:\/\/127\.0\.0\.1:\d+.*: create it \(kubectl externalsecret vault set --cluster-store azure-keyvault-cluster-store --name no-such-secret --file FILE\)/,
      );
      assert.match(
        block("badtpl"),
        /Next: fix the template at spec\.target\.template\.data\["out"\] line 2: \{\{ \.v \| nosuchfunction \}\}/,
      );
      assert.match(block("viabroken"), /Why: {2}ss\/broken-store is not Ready/);
      assert.match(
        block("viabroken"),
        /Next: create or fix the credentials Secret jenkins\/absent-creds \(does not exist, authSecretRef\.clientId\)/,
      );
      assert.match(block("regcred"), /: Ready\n {2}Why: {2}Ready: SecretSynced/);
      const fleet = await k(["explain", "regcred", "--context", "east,down", "--request-timeout=2s", "-o", "json"]);
      assert.equal(fleet.code, 1, fleet.stderr);
      const doc = JSON.parse(fleet.stdout);
      assert.equal(doc.kind, "Explanation");
      assert.deepEqual(doc.clusters.map((c: Doc) => [c.context, c.reachable, c.items.map((i: Doc) => i.ready)]), [
        ["east", true, ["True"]],
        ["down", false, []],
      ]);
      const both = await k(["explain", "regcred", "--context", "east,west"]);
      assert.equal(both.code, 0, both.stdout + both.stderr);
      assert.match(both.stdout, /^\[east\] ExternalSecret jenkins\/regcred: Ready$/m);
      assert.match(both.stdout, /^\[west\] ExternalSecret jenkins\/regcred: Ready$/m);
      // badtpl also reads the seed's key: a rotation would rightly report it as not following.
      const del = await west.kubectl(["delete", "es", "-n", "jenkins", "nokey", "badtpl", "viabroken"]);
      assert.equal(del.code, 0, del.stderr);
    });

    await t.step(
      "-o json|yaml for sync --wait and vault set: versioned result documents, nothing else on stdout",
      async () => {
        const one = await k(["sync", "regcred", "--context", "east", "--wait", "-o", "json"]);
        assert.equal(one.code, 0, one.stdout + one.stderr);
        const doc = JSON.parse(one.stdout);
        assert.equal(doc.apiVersion, "kubectl-externalsecret.kv-operator.io/v1");
        assert.equal(doc.kind, "SyncResult");
        assert.equal(doc.ok, true);
        assert.deepEqual(doc.items.map((i: Doc) => [i.namespace, i.name, i.state]), [["jenkins", "regcred", "ready"]]);
        assert.equal(doc.clusters, undefined, "one cluster: no clusters list");
        const fleet = await k([
          "sync",
          "regcred",
          "--context",
          "east,down",
          "--wait",
          "-o",
          "yaml",
          "--request-timeout=2s",
        ]);
        assert.equal(fleet.code, 1, fleet.stderr);
        const y = parseYaml(fleet.stdout) as Doc;
        assert.equal(y.ok, false);
        assert.deepEqual(y.items.map((i: Doc) => `${i.context}:${i.name}:${i.state}`), ["east:regcred:ready"]);
        assert.deepEqual(y.clusters.map((c: Doc) => [c.context, c.reachable, c.reason]), [
          ["east", true, undefined],
          ["down", false, "Unreachable"],
        ]);
        const v4 = auth("fleet-fourth-password");
        await Deno.writeTextFile(`${dir}/v4.json`, v4);
        const set = await k([
          ...rotate,
          "--file",
          `${dir}/v4.json`,
          "--sync",
          "--wait",
          "--context",
          "east,west",
          "-o",
          "json",
        ]);
        assert.equal(set.code, 0, set.stdout + set.stderr);
        const r = JSON.parse(set.stdout);
        assert.equal(r.kind, "VaultSetResult");
        assert.equal(r.written.secret, "docker-config-json");
        assert.equal(r.written.context, "east");
        assert.match(r.written.version, /^[0-9a-f]{32}$/);
        assert.equal(r.written.bytes, new TextEncoder().encode(v4).length);
        assert.equal(r.written.writtenWith, "the credentials of ClusterSecretStore/azure-keyvault-cluster-store");
        assert.equal(r.sync.ok, true);
        assert.deepEqual(r.sync.items.map((i: Doc) => `${i.context}:${i.namespace}/${i.name}:${i.state}`), [
          "east:jenkins/regcred:ready",
          "west:jenkins/regcred:ready",
        ]);
        assert.equal(await regcred(west), v4);
        const plain = await k([...rotate, "--file", `${dir}/v4.json`, "--context", "west", "-o", "yaml"]);
        assert.equal(plain.code, 0, plain.stderr);
        const p = parseYaml(plain.stdout) as Doc;
        assert.deepEqual(Object.keys(p), ["apiVersion", "kind", "written"]);
        assertNoSecrets(one.stdout + fleet.stdout + set.stdout + plain.stdout, [v4, "fleet-fourth-password"]);
      },
    );

    await t.step("vault list, versions, get (redacted unless --reveal) through the store's credentials", async () => {
      const via = ["--cluster-store", "azure-keyvault-cluster-store", "--context", "east"];
      const list = await k(["vault", "list", ...via]);
      assert.equal(list.code, 0, list.stderr);
      assert.deepEqual(cols(list.stdout.split("\n")[0]!), [
        "NAME",
        "ENABLED",
        "UPDATED",
        "EXPIRES",
        "CONTENT TYPE",
        "TAGS",
      ]);
      // The latest version came from vault set without --content-type.
      assert.match(list.stdout, /^docker-config-json {3}true {6}\S+ +<never> {3}<none> +<none>$/m);
      const versions = await k(["vault", "versions", "docker-config-json", ...via, "-o", "json"]);
      assert.equal(versions.code, 0, versions.stderr);
      const v = JSON.parse(versions.stdout);
      assert.equal(v.kind, "VaultSecretVersions");
      assert.ok(v.items.length >= 4, `every rotation is a version (${v.items.length})`);
      assert.ok(v.items.every((i: Doc) => /^[0-9a-f]{32}$/.test(i.version) && !("value" in i)));
      const table = await k(["vault", "versions", "secret/docker-config-json", ...via]);
      assert.equal(table.code, 0, table.stderr);
      assert.equal(table.stdout.trimEnd().split("\n").length, v.items.length + 1);
      const get = await k(["vault", "get", "docker-config-json", ...via]);
      assert.equal(get.code, 0, get.stderr);
      assert.match(get.stdout, /^Value: +<redacted: \d+ B; --reveal prints it>$/m);
      assert.match(get.stdout, /^Read with: +the credentials of ClusterSecretStore\/azure-keyvault-cluster-store$/m);
      assert.match(get.stdout, new RegExp(`^Version: +${v.items[0].version}$`, "m"), "the latest");
      const old = await k([
        "vault",
        "get",
        "docker-config-json",
        ...via,
        "--secret-version",
        v.items.at(-1).version,
        "--reveal",
      ]);
      assert.equal(old.code, 0, old.stderr);
      assert.match(old.stdout, /^Value: +\{"auths"/m, "--reveal prints the value");
      assert.match(old.stderr, /Warning: printing the value of secret "docker-config-json" \(--reveal\)/);
      const none = await k(["vault", "get", "no-such-secret", ...via]);
      assert.equal(none.code, 1);
      assert.match(none.stderr, /error: cannot read Key Vault: secret "no-such-secret" not found in Key Vault/);
    });

    await t.step("no secret value appeared in the plugin's output", () => {
      const text = plugin!.runs().filter((r) => !r.args.includes("--reveal")).map((r) => r.stdout + r.stderr).join(
        "\n",
      );
      assertNoSecrets(text, [V1, V2, "fleet-first-password", "fleet-rotated-password", CLIENT_SECRET]);
    });
  } finally {
    for (const c of controllers) await c.stop();
    await plugin?.cleanup();
    silent.close();
    await Deno.remove(dir, { recursive: true });
    await az.stop();
    for (const cp of [east, west, bare]) await cp.stop();
  }
});
