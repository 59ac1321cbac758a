/**
 * Expiry awareness end to end (the seed's trigger: "in 30 days the credential is going to expire"): a Key Vault
 * version with `exp` set is seen in the ExternalSecret's status, in `/metrics`, as a `SourceExpiring` Event and in
 * the plugin; `kubectl externalsecret vault set --expires 90d --sync --wait` writes a version whose `exp` is 90 days
 * out and the Secret follows — all at no extra Key Vault call. Real apiserver, emulators, the bundled controller,
 * the plugin through the real kubectl.
 */
import assert from "node:assert/strict";
import { ClientSecretCredential } from "@azure/identity";
import { SecretClient } from "@azure/keyvault-secrets";
import type { ExternalSecret } from "../../controller/api/types.ts";
import type { CoreEvent, Secret } from "../../controller/kube/types.ts";
import { startAzureEmulators } from "../harness/azure/mod.ts";
import { startControlPlane } from "../harness/control_plane.ts";
import { type ControllerProcess, startController } from "../harness/controller_process.ts";
import { seedStore } from "../harness/scenario.ts";
import {
  assertNoSecrets,
  buildAndInstallPlugin,
  type BuiltPlugin,
  decode,
  eventually,
  getJson,
  SEED,
} from "./plugin_harness.ts";

const CLIENT_ID = "9d2b7f3e-expiry-client";
const CLIENT_SECRET = "expiry-client-secret";
const DAY = 86_400_000;
const V1 = JSON.stringify({ auths: { "zaldre.azurecr.io": { auth: btoa("puller:expires-in-ten-days") } } });
const V2 = JSON.stringify({ auths: { "zaldre.azurecr.io": { auth: btoa("puller:good-for-ninety-days") } } });

interface List<T> {
  items: T[];
}

Deno.test("expiry: status, metric, SourceExpiring Event and plugin; vault set --expires 90d", async (t) => {
  const cp = await startControlPlane();
  const az = await startAzureEmulators({ vaults: ["zaldre"] });
  let controller: ControllerProcess | undefined;
  let plugin: BuiltPlugin | undefined;
  const dir = await Deno.makeTempDir();
  try {
    const expires = new Date(Math.floor((Date.now() + 10 * DAY) / 1000) * 1000);
    az.setSecret("zaldre", "docker-config-json", V1, { expires });
    az.setSecret("zaldre", "no-expiry", "plain");
    await seedStore(cp, az, { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, access: "write" });
    controller = await startController({
      kubeconfig: cp.kubeconfigPath,
      authorityHost: az.authorityHost,
      caCertPath: Deno.env.get("NODE_EXTRA_CA_CERTS") ?? az.caCertPath,
    });
    const before = az.counters().lastSeq;
    assert.equal((await cp.kubectl(["apply", "--server-side", "-f", `${SEED}01-externalsecret-regcred.yaml`])).code, 0);
    const es = await eventually("regcred synced with its source's expiry", async () => {
      const es = await getJson<ExternalSecret>(cp, ["externalsecret", "-n", "jenkins", "regcred"]);
      return es?.status?.sources?.[0]?.expiresAt ? es : undefined;
    });

    await t.step("the status names the version synced and its expiry", () => {
      const source = es.status!.sources![0]!;
      assert.equal(source.key, "docker-config-json");
      assert.equal(source.version, az.getSecret("zaldre", "docker-config-json")?.version);
      assert.equal(source.expiresAt, expires.toISOString().replace(/\.\d{3}Z$/, "Z"));
      assert.equal(source.expiry, "Expiring", "10 days is within the 30-day default");
      assert.equal(es.status!.expiresAt, source.expiresAt, "the earliest expiry of its sources");
      const ready = es.status!.conditions!.find((c) => c.type === "Ready");
      assert.equal(ready?.status, "True");
    });

    await t.step("no extra Key Vault call: one GET, as for a secret without expiry", () => {
      const calls = az.requests({ service: "keyvault", afterSeq: before }).filter((r) => r.status !== 401);
      assert.deepEqual(calls.map((r) => r.route), ["GET /secrets/{name}/{version}"]);
    });

    await t.step("/metrics has the expiry gauge in Unix seconds", async () => {
      const series = 'externalsecret_source_expiry_timestamp_seconds{namespace="jenkins",name="regcred",' +
        'remote_key="docker-config-json",store="azure-keyvault-cluster-store"}';
      const value = await eventually("the gauge", () => controller!.metric(series));
      assert.equal(Number(value), expires.getTime() / 1000);
    });

    await t.step("a SourceExpiring Warning Event names the key and the date, never the value", async () => {
      const event = await eventually("SourceExpiring", async () => {
        const list = await getJson<List<CoreEvent>>(cp, ["events", "-n", "jenkins"]);
        return list?.items.find((e) => e.reason === "SourceExpiring" && e.involvedObject.name === "regcred");
      });
      assert.equal(event.type, "Warning");
      assert.match(
        event.message ?? "",
        /secret "docker-config-json" version [0-9a-f]+ expires at \S+ \(in (9|10) days\)/,
      );
      assertNoSecrets(event.message ?? "", [V1, "expires-in-ten-days"]);
    });

    plugin = await buildAndInstallPlugin(cp, {
      NO_COLOR: "1",
      AZURE_AUTHORITY_HOST: az.authorityHost,
      KV_DISABLE_CHALLENGE_RESOURCE_VERIFICATION: "true",
      KV_ALLOWED_VAULT_HOSTS: "127.0.0.1:*",
    });

    const expiresColumn = async (args: string[] = []): Promise<string | undefined> => {
      const r = await plugin!.kubectl(["status", "-n", "jenkins", ...args]);
      assert.ok(r.code === 0 || r.code === 3, r.stdout + r.stderr);
      const lines = r.stdout.trimEnd().split("\n");
      const header = lines[0]!.split(/\s{2,}/);
      const row = lines.slice(1).map((l) => l.split(/\s{2,}/)).find((c) => c[0] === "regcred");
      return row?.[header.indexOf("EXPIRES")];
    };

    await t.step(
      "the plugin: EXPIRES about 10d, --expiring-within filters, status NAME names the version",
      async () => {
        assert.match((await expiresColumn()) ?? "", /^(9|10)d$/);
        assert.match((await expiresColumn(["--expiring-within", "30d"])) ?? "", /^(9|10)d$/);
        const none = await plugin!.kubectl(["status", "-n", "jenkins", "--expiring-within", "5d"]);
        assert.equal(none.code, 0, none.stdout + none.stderr);
        assert.match(none.stderr, /No resources found in jenkins namespace/);
        const detail = await plugin!.kubectl(["status", "-n", "jenkins", "regcred"]);
        assert.match(
          detail.stdout,
          /\nSource: +docker-config-json version [0-9a-f]+: expires \S+ \((9|10)d\), Expiring\n/,
        );
        const bad = await plugin!.kubectl(["status", "-n", "jenkins", "--expiring-within", "soon"]);
        assert.equal(bad.code, 2, bad.stderr);
      },
    );

    await t.step(
      "vault set --expires 90d --sync --wait: exp 90 days out (read through the SDK), Secret follows",
      async () => {
        await Deno.writeTextFile(`${dir}/new.json`, V2);
        const started = Date.now();
        const r = await plugin!.kubectl([
          "vault",
          "set",
          "--cluster-store",
          "azure-keyvault-cluster-store",
          "--name",
          "docker-config-json",
          "--file",
          `${dir}/new.json`,
          "--expires",
          "90d",
          "--sync",
          "--wait",
        ]);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.match(r.stdout, /; expires at \d{4}-\d{2}-\d{2}T/);
        const kv = new SecretClient(
          az.vaultUrl("zaldre"),
          new ClientSecretCredential(az.tenantId, CLIENT_ID, CLIENT_SECRET, {
            authorityHost: az.authorityHost,
            disableInstanceDiscovery: true,
          }),
          { disableChallengeResourceVerification: true },
        );
        const written = await kv.getSecret("docker-config-json");
        const exp = written.properties.expiresOn!.getTime();
        assert.ok(Math.abs(exp - (started + 90 * DAY)) < 60_000, `exp ${written.properties.expiresOn?.toISOString()}`);
        assert.equal(
          decode(await getJson<Secret>(cp, ["secret", "-n", "jenkins", "regcred"]), ".dockerconfigjson"),
          V2,
        );
        const after = await eventually("the status follows", async () => {
          const es = await getJson<ExternalSecret>(cp, ["externalsecret", "-n", "jenkins", "regcred"]);
          return es?.status?.sources?.[0]?.version === written.properties.version ? es : undefined;
        });
        assert.equal(Date.parse(after.status!.expiresAt!), Math.floor(exp / 1000) * 1000);
        assert.equal(after.status!.sources![0]!.expiry, undefined, "90 days out is no longer within the warning");
      },
    );

    await t.step("after the rotation EXPIRES shows about 90 days", async () => {
      assert.match((await expiresColumn()) ?? "", /^(89|90)d$/);
    });

    await t.step("bad --expires values are usage errors (exit 2) and write nothing", async () => {
      const version = az.getSecret("zaldre", "docker-config-json")?.version;
      for (const bad of ["soon", "2020-01-01", "90x"]) {
        const r = await plugin!.kubectl([
          "vault",
          "set",
          "--cluster-store",
          "azure-keyvault-cluster-store",
          "--name",
          "docker-config-json",
          "--file",
          `${dir}/new.json`,
          "--expires",
          bad,
        ]);
        assert.equal(r.code, 2, `${bad}: ${r.stdout}${r.stderr}`);
        assert.match(r.stderr, /--expires/);
      }
      assert.equal(az.getSecret("zaldre", "docker-config-json")?.version, version);
    });

    await t.step("no value appeared in the plugin's output", () => {
      assertNoSecrets(plugin!.runs().map((r) => r.stdout + r.stderr).join("\n"), [V1, V2, CLIENT_SECRET]);
    });
  } finally {
    await controller?.stop();
    await plugin?.cleanup();
    await Deno.remove(dir, { recursive: true });
    await az.stop();
    await cp.stop();
  }
});
