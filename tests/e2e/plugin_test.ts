/**
 * The kubectl plugin end to end: the real `kubectl` runs `kubectl externalsecret ...` (the shipped wrapper and
 * bundle, found on `PATH`) against a real kube-apiserver, the Azure emulators (spoken to by the real Azure SDKs) and
 * the controller as a separate process. Each step asserts output and exit codes; the last one asserts that no
 * secret value ever appeared in the plugin's output (render excepted: it prints the user's own values).
 */
import assert from "node:assert/strict";
import { parse as parseYaml } from "yaml";
import type { ExternalSecret } from "../../controller/api/types.ts";
import type { Secret } from "../../controller/kube/types.ts";
import { startAzureEmulators } from "../harness/azure/mod.ts";
import { type ControlPlane, startControlPlane } from "../harness/control_plane.ts";
import { type ControllerProcess, startController } from "../harness/controller_process.ts";
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
  seedDoc,
} from "./plugin_harness.ts";

const STORE_APP = { id: "5f0c5d0e-3c1b-4c8e-9a51-0d6f3b2a7c11", secret: "store-app-client-secret-value" };
const READONLY_APP = { id: "7a1d2c3b-0000-4c8e-9a51-0d6f3b2a7c22", secret: "readonly-app-client-secret-value" };
const PERSON = { id: "0d3c5f6e-1a2b-4c5d-8e9f-a0b1c2d3e4f5", secret: "person-own-client-secret-value" };
const DOCKER_V1 = JSON.stringify({ auths: { "zaldre.azurecr.io": { auth: btoa("puller:first-password") } } });
const DOCKER_V2 = JSON.stringify({ auths: { "zaldre.azurecr.io": { auth: btoa("puller:second-password") } } });
const WRITTEN_BY_STORE = "value-written-through-the-store-credentials";
const WRITTEN_FROM_STDIN = "value-written-from-stdin";
const WRITTEN_LOCALLY = "value-written-with-local-credentials";
const ARGV_VALUE = "value-given-on-argv";

/** Columns of a kubectl-style table line (cells are separated by three or more spaces). */
function cols(line: string): string[] {
  return line.trim().split(/ {3,}/);
}

/** Every column starts at the same offset as its header (kubectl's alignment). */
function assertAligned(table: string): void {
  const [header, ...rows] = table.trimEnd().split("\n");
  const starts = [...header!.matchAll(/(?:^|(?<= {3}))(\S)/g)].map((m) => m.index!);
  for (const row of rows) {
    for (const s of starts.slice(1)) {
      assert.equal(row.slice(s - 3, s), "   ", `column at ${s} is preceded by 3 spaces in: ${row}`);
    }
  }
}

Deno.test("kubectl externalsecret: status, sync, vault set, render, RBAC, through the real kubectl", async (t) => {
  const cp: ControlPlane = await startControlPlane();
  const az = await startAzureEmulators({ vaults: ["zaldre"] });
  let controller: ControllerProcess | undefined;
  let plugin: BuiltPlugin | undefined;
  try {
    az.addClientSecretApp({ clientId: STORE_APP.id, secret: STORE_APP.secret, vaults: { zaldre: "write" } });
    az.addClientSecretApp({ clientId: READONLY_APP.id, secret: READONLY_APP.secret, vaults: { zaldre: "read" } });
    az.addClientSecretApp({ clientId: PERSON.id, secret: PERSON.secret, vaults: { zaldre: "write" } });
    az.setSecret("zaldre", "docker-config-json", DOCKER_V1, { contentType: "application/json" });
    for (const ns of ["jenkins", "external-secrets"]) {
      assert.equal((await cp.kubectl(["create", "namespace", ns])).code, 0);
    }

    // The seed's 03 (credentials the emulator knows), 04 (the emulator's vault) and 01 verbatim; a read-only
    // store beside it; an ExternalSecret that fails (no such key) and one with refreshInterval 0.
    const creds = await seedDoc("03-secret-azure-credentials.yaml");
    creds.data = { "client-id": btoa(STORE_APP.id), "client-secret": btoa(STORE_APP.secret) };
    await apply(cp, creds);
    await apply(cp, {
      ...creds,
      metadata: { name: "readonly-credentials", namespace: "external-secrets" },
      data: { "client-id": btoa(READONLY_APP.id), "client-secret": btoa(READONLY_APP.secret) },
    });
    const css = await seedDoc("04-clustersecretstore-service-principal.yaml");
    css.spec.provider.azurekv.vaultUrl = az.vaultUrl("zaldre");
    await apply(cp, css);
    const readonly = structuredClone(css);
    readonly.metadata.name = "readonly-store";
    readonly.spec.provider.azurekv.authSecretRef.clientId.name = "readonly-credentials";
    readonly.spec.provider.azurekv.authSecretRef.clientSecret.name = "readonly-credentials";
    await apply(cp, readonly);
    assert.equal((await cp.kubectl(["apply", "-f", `${SEED}01-externalsecret-regcred.yaml`])).code, 0);
    const es = (name: string, spec: Record<string, unknown>, labels?: Record<string, string>) => ({
      apiVersion: "external-secrets.io/v1",
      kind: "ExternalSecret",
      metadata: { name, namespace: "jenkins", ...(labels ? { labels } : {}) },
      spec: { secretStoreRef: { name: "azure-keyvault-cluster-store", kind: "ClusterSecretStore" }, ...spec },
    });
    await apply(
      cp,
      es("broken", { data: [{ secretKey: "x", remoteRef: { key: "no-such-secret" } }] }, { tier: "test" }),
    );
    await apply(
      cp,
      es("once", { refreshInterval: "0", data: [{ secretKey: "x", remoteRef: { key: "docker-config-json" } }] }),
    );

    controller = await startController({
      kubeconfig: cp.kubeconfigPath,
      authorityHost: az.authorityHost,
      caCertPath: Deno.env.get("NODE_EXTRA_CA_CERTS") ?? az.caCertPath,
    });
    plugin = await buildAndInstallPlugin(cp, {
      NO_COLOR: "1",
      AZURE_AUTHORITY_HOST: az.authorityHost,
      KV_DISABLE_CHALLENGE_RESOURCE_VERIFICATION: "true",
      KV_ALLOWED_VAULT_HOSTS: "127.0.0.1:*",
    });
    const k = plugin.kubectl;
    for (const name of ["regcred", "once"]) {
      await eventually(
        `${name} Ready`,
        async () => readyOf(await getJson(cp, ["es", "-n", "jenkins", name]))?.status === "True",
      );
    }
    await eventually(
      "broken fails",
      async () => readyOf(await getJson(cp, ["es", "-n", "jenkins", "broken"]))?.status === "False",
    );

    await t.step("kubectl finds kubectl-externalsecret on PATH", async () => {
      const list = await cp.kubectl(["plugin", "list"], { env: { PATH: `${plugin!.binDir}:${Deno.env.get("PATH")}` } });
      assert.match(list.stdout, new RegExp(`${plugin!.binDir}/kubectl-externalsecret`));
      const help = await k(["--help"]);
      assert.equal(help.code, 0, help.stderr);
      assert.match(help.stdout, /Usage: kubectl externalsecret/);
      assert.match(help.stdout, /Exit codes:/);
      const bad = await k(["sync", "--bogus"]);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /unknown option '--bogus'/);
    });

    await t.step("status: a kubectl-style table; exit 3 while one is not Ready; -l narrows it", async () => {
      const r = await k(["status", "-n", "jenkins"]);
      assert.equal(r.code, 3, r.stderr);
      const lines = r.stdout.trimEnd().split("\n");
      assert.deepEqual(cols(lines[0]!), [
        "NAME",
        "STORE",
        "READY",
        "REASON",
        "LAST SYNC",
        "EXPIRES",
        "NEXT REFRESH",
        "TARGET",
        "MESSAGE",
      ]);
      assertAligned(r.stdout);
      const rows = Object.fromEntries(lines.slice(1).map((l) => [cols(l)[0], cols(l)]));
      assert.deepEqual(Object.keys(rows), ["broken", "once", "regcred"]);
      const [, store, ready, reason, lastSync, expires, next, target, message] = rows["regcred"]!;
      assert.equal(expires, "<none>", "no exp on the seed's secret");
      assert.equal(store, "css/azure-keyvault-cluster-store");
      assert.equal(ready, "True");
      assert.equal(reason, "SecretSynced");
      assert.match(lastSync!, /^\d+s$/);
      assert.match(next!, /^(23h|24h)$/, "refreshInterval 24h");
      assert.equal(target, "regcred");
      assert.equal(message, "secret synced");
      assert.deepEqual(rows["broken"]!.slice(2, 4), ["False", "SecretSyncedError"]);
      assert.equal(rows["broken"]![4], "<never>");
      assert.equal(rows["broken"]![5], "<none>");
      assert.equal(rows["broken"]![6], "pending");
      assert.match(rows["broken"]![8]!, /no-such-secret/);
      assert.equal(rows["once"]![6], "<never>", "refreshInterval 0: no next refresh");

      const ok = await k(["status", "-n", "jenkins", "-l", "tier!=test"]);
      assert.equal(ok.code, 0, "every one shown is Ready");
      assert.deepEqual(ok.stdout.trim().split("\n").slice(1).map((l) => cols(l)[0]), ["once", "regcred"]);

      const all = await k(["status", "-A"]);
      assert.equal(all.code, 3);
      assert.deepEqual(cols(all.stdout.split("\n")[0]!).slice(0, 2), ["NAMESPACE", "NAME"]);
      assert.match(all.stdout, /\njenkins {3,}regcred {3,}/);

      const wide = await k(["status", "-n", "jenkins", "-o", "wide"]);
      assert.deepEqual(cols(wide.stdout.split("\n")[0]!).slice(7, 9), ["REFRESH", "TARGET"]);
      assert.match(wide.stdout, /\nregcred .* Periodic\/24h {3,}regcred /);

      const empty = await k(["status", "-n", "default"]);
      assert.equal(empty.code, 0);
      assert.equal(empty.stdout, "");
      assert.equal(empty.stderr.trim(), "No resources found in default namespace.");
    });

    await t.step("status -o json | yaml | name", async () => {
      const json = await k(["status", "-n", "jenkins", "-o", "json"]);
      assert.equal(json.code, 3);
      const list = JSON.parse(json.stdout) as { kind: string; items: ExternalSecret[] };
      assert.equal(list.kind, "List");
      assert.deepEqual(list.items.map((i) => i.metadata.name), ["broken", "once", "regcred"]);
      assert.equal(list.items[2]!.status?.conditions?.[0]?.reason, "SecretSynced");
      assert.equal(list.items[2]!.metadata.managedFields, undefined, "managedFields hidden, as kubectl does");
      const yaml = parseYaml((await k(["status", "-n", "jenkins", "-o", "yaml"])).stdout) as typeof list;
      assert.deepEqual(yaml.items.map((i) => i.metadata.name), ["broken", "once", "regcred"]);
      const names = await k(["status", "-n", "jenkins", "-o", "name"]);
      assert.equal(
        names.stdout,
        "externalsecret.external-secrets.io/broken\nexternalsecret.external-secrets.io/once\n" +
          "externalsecret.external-secrets.io/regcred\n",
      );
    });

    await t.step("status NAME: store, refresh, target key names and sizes, data refs, conditions, events", async () => {
      const r = await k(["status", "regcred", "-n", "jenkins"]);
      assert.equal(r.code, 0, r.stderr);
      const out = r.stdout;
      assert.match(out, /^Name: +regcred\nNamespace: +jenkins\nReady: +True {2}SecretSynced: secret synced/);
      assert.match(out, /\nStore: +ClusterSecretStore\/azure-keyvault-cluster-store: Ready True \(Valid: /);
      assert.match(
        out,
        new RegExp(`\\nVault: +${az.vaultUrl("zaldre").replaceAll(".", "\\.")}/? \\(ServicePrincipal\\)\\n`),
      );
      assert.match(out, /\nRefresh: +Periodic, every 24h\n/);
      assert.match(out, /\nNext refresh: +in 2[34]h \(/);
      assert.match(
        out,
        /\nTarget Secret: +regcred \(kubernetes\.io\/dockerconfigjson\), creationPolicy Owner, owned by this/,
      );
      assert.match(out, new RegExp(`\\n  \\.dockerconfigjson {3}${DOCKER_V1.length} B\\n`), "key name and size");
      assert.match(out, /\n {2}Data hash: matches the controller's annotation\n/);
      assert.match(out, /\n {2}dockerconfig {3}docker-config-json {3}- {10}latest\n/);
      assert.match(out, /\nEvents:\n {2}TYPE .*\n {2}Normal {3}Created {3}\S+ +external-secrets {3}secret created/);

      const json = JSON.parse((await k(["status", "regcred", "-n", "jenkins", "-o", "json"])).stdout);
      assert.deepEqual(json.target.keys, [{ name: ".dockerconfigjson", size: DOCKER_V1.length }]);
      assert.equal(json.store.ready, "True");
      assert.equal(json.summary.ready, "True");
      assert.ok(json.events.some((e: { reason: string }) => e.reason === "Created"));
      const yaml = parseYaml((await k(["status", "regcred", "-n", "jenkins", "-o", "yaml"])).stdout);
      assert.equal(yaml.target.name, "regcred");

      const failing = await k(["status", "broken", "-n", "jenkins"]);
      assert.equal(failing.code, 3);
      assert.match(failing.stdout, /\nReady: +False {2}SecretSyncedError: .*no-such-secret/);
      assert.match(failing.stdout, /\nTarget Secret: +broken: does not exist/);
      assert.match(failing.stdout, /\n {2}Warning {3}UpdateFailed /);

      const missing = await k(["status", "nope", "-n", "jenkins"]);
      assert.equal(missing.code, 1);
      assert.equal(
        missing.stderr.trim(),
        'Error from server (NotFound): externalsecrets.external-secrets.io "nope" not found',
      );
    });

    await t.step("sync NAME: sets the force-sync annotation; the controller refreshes", async () => {
      const before = await getJson<ExternalSecret>(cp, ["es", "-n", "jenkins", "regcred"]);
      const r = await k(["sync", "regcred", "-n", "jenkins"]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, "externalsecret.external-secrets.io/regcred sync requested\n");
      const after = await getJson<ExternalSecret>(cp, ["es", "-n", "jenkins", "regcred"]);
      const value = after?.metadata.annotations?.["external-secrets.io/force-sync"];
      assert.match(value ?? "", /^\d{19}$/, "Unix time in nanoseconds");
      assert.ok(Math.abs(Number(BigInt(value!) / 1_000_000n) - Date.now()) < 60_000);
      await eventually("syncedResourceVersion moved", async () => {
        const e = await getJson<ExternalSecret>(cp, ["es", "-n", "jenkins", "regcred"]);
        return e?.status?.syncedResourceVersion !== before?.status?.syncedResourceVersion;
      });
    });

    await t.step("sync --wait: returns once the Secret has the vault's new value and Ready is True", async () => {
      az.setSecret("zaldre", "docker-config-json", DOCKER_V2);
      const r = await k(["sync", "regcred", "-n", "jenkins", "--wait"]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stdout,
        /^externalsecret\.external-secrets\.io\/regcred sync requested\njenkins\/regcred: Ready \(SecretSynced: secret synced\) after \d+\.\ds\n$/,
      );
      const secret = await getJson<Secret>(cp, ["secret", "-n", "jenkins", "regcred"]);
      assert.equal(decode(secret, ".dockerconfigjson"), DOCKER_V2, "already there when sync --wait returned");
    });

    await t.step("sync --wait on a failing ExternalSecret reports the controller's failure, exit 3", async () => {
      const started = Date.now();
      const r = await k(["sync", "broken", "-n", "jenkins", "--wait=30s"]);
      assert.equal(r.code, 3, r.stdout + r.stderr);
      assert.match(
        r.stdout,
        /\njenkins\/broken: Failed \(SecretSyncedError: secret "no-such-secret" not found in Key Vault /,
      );
      assert.ok(Date.now() - started < 25_000, "reported the failure, did not wait for the timeout");
    });

    await t.step("sync of refreshInterval 0: warns the request will be ignored and does not wait for it", async () => {
      const started = Date.now();
      const r = await k(["sync", "once", "-n", "jenkins", "--wait=60s"]);
      assert.equal(r.code, 3);
      assert.match(
        r.stderr,
        /^Warning: externalsecret "once" in namespace "jenkins": this request will be ignored: refreshInterval is 0 \(refreshPolicy Periodic\)/,
      );
      assert.match(r.stdout, /\njenkins\/once: Not refreshed: refreshInterval is 0/);
      assert.ok(Date.now() - started < 10_000, "no waiting for an ignored request");
      const noWait = await k(["sync", "once", "-n", "jenkins"]);
      assert.equal(noWait.code, 0, "without --wait the request itself succeeded");
      assert.match(noWait.stderr, /this request will be ignored/);
    });

    await t.step("sync -l and --all select several; -o name prints just the names", async () => {
      const sel = await k(["sync", "-n", "jenkins", "-l", "tier=test", "-o", "name"]);
      assert.equal(sel.code, 0, sel.stderr);
      assert.equal(sel.stdout, "externalsecret.external-secrets.io/broken\n");
      const all = await k(["sync", "--all", "-n", "jenkins", "--wait=30s"]);
      assert.equal(all.code, 3, "broken fails and once is ignored");
      assert.match(all.stdout, /jenkins\/regcred: Ready /);
      assert.match(all.stdout, /jenkins\/broken: Failed /);
      assert.match(all.stdout, /jenkins\/once: Not refreshed/);
    });

    await t.step("vault set with the store's credentials (file, stdin, --value with a warning)", async () => {
      const dir = await Deno.makeTempDir();
      try {
        await Deno.writeTextFile(`${dir}/v.txt`, WRITTEN_BY_STORE);
        const before = az.counters({ route: "PUT /secrets/{name}", caller: STORE_APP.id }).total;
        const r = await k([
          "vault",
          "set",
          "--cluster-store",
          "azure-keyvault-cluster-store",
          "--name",
          "plugin-written",
          "--file",
          `${dir}/v.txt`,
          "--content-type",
          "text/plain",
          "--tag",
          "owner=ci",
        ]);
        assert.equal(r.code, 0, r.stderr);
        const stored = az.getSecret("zaldre", "plugin-written");
        assert.equal(stored?.value, WRITTEN_BY_STORE);
        assert.equal(stored?.contentType, "text/plain");
        assert.deepEqual(stored?.tags, { owner: "ci" });
        assert.equal(
          r.stdout,
          `secret "plugin-written" set in Key Vault ${az.vaultUrl("zaldre")}: version ${stored!.version}, ` +
            `${WRITTEN_BY_STORE.length} B, written with the credentials of ClusterSecretStore/azure-keyvault-cluster-store\n`,
        );
        assert.equal(
          az.counters({ route: "PUT /secrets/{name}", caller: STORE_APP.id }).total,
          before + 1,
          "as the store's app",
        );

        const setOff = ["vault", "set", "--cluster-store", "azure-keyvault-cluster-store", "--name", "plugin-off"];
        const disabled = await k([...setOff, "--file", `${dir}/v.txt`, "--disabled"]);
        assert.equal(disabled.code, 0, disabled.stderr);
        assert.equal(az.getSecret("zaldre", "plugin-off")?.enabled, false, "--disabled writes a disabled version");
        const both = await k([...setOff, "--file", `${dir}/v.txt`, "--disabled", "--sync"]);
        assert.equal(both.code, 2, both.stderr);
        assert.match(both.stderr, /--disabled with --sync/);

        const piped = await k([
          "vault",
          "set",
          "--cluster-store",
          "azure-keyvault-cluster-store",
          "--name",
          "from-stdin",
        ], {
          stdin: WRITTEN_FROM_STDIN,
        });
        assert.equal(piped.code, 0, piped.stderr);
        assert.equal(az.getSecret("zaldre", "from-stdin")?.value, WRITTEN_FROM_STDIN);

        const argv = await k([
          "vault",
          "set",
          "--cluster-store",
          "azure-keyvault-cluster-store",
          "--name",
          "argv",
          "--value",
          ARGV_VALUE,
        ]);
        assert.equal(argv.code, 0, argv.stderr);
        assert.match(argv.stderr, /^Warning: --value puts the secret in your shell history/);
        assert.equal(az.getSecret("zaldre", "argv")?.value, ARGV_VALUE);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });

    await t.step("vault set with a read-only store: Key Vault's refusal, clearly, exit 1", async () => {
      const r = await k(["vault", "set", "--cluster-store", "readonly-store", "--name", "nope", "--value", ARGV_VALUE]);
      assert.equal(r.code, 1);
      assert.match(
        r.stderr,
        new RegExp(`error: cannot set secret "nope": Key Vault \\S+ denied client ${READONLY_APP.id} .*\\(403 `),
      );
      assert.match(
        r.stderr,
        /the store's identity may not write secrets .*: write as yourself with --use-local-credentials/,
      );
      assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
      assert.equal(az.getSecret("zaldre", "nope"), undefined);
    });

    await t.step("vault set --use-local-credentials: DefaultAzureCredential from the environment", async () => {
      const before = az.counters({ route: "PUT /secrets/{name}", caller: PERSON.id }).total;
      const r = await k(
        [
          "vault",
          "set",
          "--cluster-store",
          "azure-keyvault-cluster-store",
          "--name",
          "by-person",
          "--use-local-credentials",
        ],
        {
          stdin: WRITTEN_LOCALLY,
          env: { AZURE_TENANT_ID: az.tenantId, AZURE_CLIENT_ID: PERSON.id, AZURE_CLIENT_SECRET: PERSON.secret },
        },
      );
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /written with your own Azure credentials \(DefaultAzureCredential\)\n$/);
      assert.equal(az.getSecret("zaldre", "by-person")?.value, WRITTEN_LOCALLY);
      assert.equal(az.counters({ route: "PUT /secrets/{name}", caller: PERSON.id }).total, before + 1, "as the person");
    });

    await t.step("render: the seed's template offline, from a values file", async () => {
      const dir = await Deno.makeTempDir();
      try {
        await Deno.writeTextFile(`${dir}/values.yaml`, `dockerconfig: '${DOCKER_V1}'\n`);
        const r = await k(["render", "-f", `${SEED}01-externalsecret-regcred.yaml`, "--values", `${dir}/values.yaml`], {
          env: { KUBECONFIG: "/nonexistent" },
        });
        assert.equal(r.code, 0, r.stderr);
        const secret = parseYaml(r.stdout) as Secret;
        assert.equal(secret.kind, "Secret");
        assert.equal(secret.metadata?.name, "regcred");
        assert.equal(secret.type, "kubernetes.io/dockerconfigjson");
        assert.equal(decode(secret, ".dockerconfigjson"), DOCKER_V1);
        const decoded = parseYaml(
          (await k([
            "render",
            "-f",
            `${SEED}01-externalsecret-regcred.yaml`,
            "--values",
            `${dir}/values.yaml`,
            "--decode",
          ])).stdout,
        ) as Secret;
        assert.equal(decoded.stringData?.[".dockerconfigjson"], DOCKER_V1);
        await Deno.writeTextFile(`${dir}/empty.yaml`, "{}\n");
        const missing = await k([
          "render",
          "-f",
          `${SEED}01-externalsecret-regcred.yaml`,
          "--values",
          `${dir}/empty.yaml`,
        ]);
        assert.equal(missing.code, 1);
        assert.match(missing.stderr, /the values file has no "dockerconfig"/);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });

    await t.step("a user without RBAC gets a clear forbidden message naming the permission, exit 1", async () => {
      const list = await k(["status", "-n", "jenkins", "--context", "alice"]);
      assert.equal(list.code, 1);
      assert.equal(
        list.stderr.trim(),
        'Error from server (Forbidden): you (user "alice") cannot list externalsecrets.external-secrets.io in namespace ' +
          '"jenkins": ask for the RBAC rule {apiGroups: [external-secrets.io], resources: [externalsecrets], verbs: [list]} ' +
          '(a Role in "jenkins", or a ClusterRole)',
      );
      assert.equal(list.stdout, "");
      // Read-only access: status works (and says what it may not read); sync needs patch.
      for (
        const args of [
          [
            "create",
            "role",
            "es-reader",
            "-n",
            "jenkins",
            "--verb=get,list",
            "--resource=externalsecrets.external-secrets.io",
          ],
          ["create", "rolebinding", "alice-es-reader", "-n", "jenkins", "--role=es-reader", "--user=alice"],
        ]
      ) assert.equal((await cp.kubectl(args)).code, 0);
      const st = await eventually("alice can list", async () => {
        const r = await k(["status", "regcred", "-n", "jenkins", "--context", "alice"]);
        return r.code === 0 ? r : undefined;
      });
      assert.match(
        st.stdout,
        /\nTarget Secret: +regcred: cannot read it: Error from server \(Forbidden\): you \(user "alice"\) cannot get secrets "regcred" in namespace "jenkins"/,
      );
      assert.match(
        st.stdout,
        /\nStore: +ClusterSecretStore\/azure-keyvault-cluster-store: cannot read it: .*cannot get clustersecretstores\.external-secrets\.io "azure-keyvault-cluster-store" \(cluster-scoped\)/,
      );
      const sync = await k(["sync", "regcred", "-n", "jenkins", "--context", "alice"]);
      assert.equal(sync.code, 1);
      assert.equal(
        sync.stderr.trim(),
        'Error from server (Forbidden): you (user "alice") cannot patch externalsecrets.external-secrets.io "regcred" ' +
          'in namespace "jenkins": ask for the RBAC rule {apiGroups: [external-secrets.io], resources: [externalsecrets], ' +
          'verbs: [patch]} (a Role in "jenkins", or a ClusterRole)',
      );
      const vault = await k([
        "vault",
        "set",
        "--cluster-store",
        "azure-keyvault-cluster-store",
        "--name",
        "x",
        "--value",
        "v",
        "--context",
        "alice",
      ]);
      assert.equal(vault.code, 1);
      assert.match(
        vault.stderr,
        /cannot get clustersecretstores\.external-secrets\.io "azure-keyvault-cluster-store" \(cluster-scoped\): ask for the RBAC rule \{apiGroups: \[external-secrets\.io\], resources: \[clustersecretstores\], verbs: \[get\]\} in a ClusterRole/,
      );
      for (const r of [list, sync, vault]) assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
    });

    await t.step("no secret value ever appeared in the plugin's output (render aside)", () => {
      const runs = plugin!.runs().filter((r) => r.args[0] !== "render");
      const withoutRender = runs.map((r) => r.stdout + r.stderr).join("\n");
      assertNoSecrets(withoutRender, [
        DOCKER_V1,
        DOCKER_V2,
        "first-password",
        "second-password",
        WRITTEN_BY_STORE,
        WRITTEN_FROM_STDIN,
        WRITTEN_LOCALLY,
        ARGV_VALUE,
        STORE_APP.secret,
        READONLY_APP.secret,
        PERSON.secret,
      ]);
      assert.ok(withoutRender.includes('secret "plugin-written" set') && withoutRender.includes("Data hash: matches"));
    });
  } finally {
    if (controller) await controller.stop();
    await plugin?.cleanup();
    await az.stop();
    await cp.stop();
  }
});
