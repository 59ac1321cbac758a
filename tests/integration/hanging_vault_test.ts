/**
 * A tenant's 30 ExternalSecrets on a "vault" that accepts connections (TLS included, with a certificate the
 * controller trusts) and never answers, against the bundled controller with its default workers (10), request
 * timeout (15 s) and per-vault cap: another namespace's ExternalSecret still picks up a rotated value within 5 s of
 * its force-sync, again and again while the hanging reads time out and retry, and each hanging ExternalSecret ends
 * with a condition saying why. Without timeouts and the cap, the hanging reads held every worker indefinitely.
 */
import assert from "node:assert/strict";
import { stringify } from "yaml";
import type { ExternalSecret } from "../../controller/api/types.ts";
import type { Secret } from "../../controller/kube/types.ts";
import { ensureServerCertificate } from "../harness/azure/ca.ts";
import { startAzureEmulators } from "../harness/azure/mod.ts";
import { type ControlPlane, startControlPlane } from "../harness/control_plane.ts";
import { startController } from "../harness/controller_process.ts";
import { eventually, ready, secretValue } from "../harness/scenario.ts";

const HOSTILE = 30;

/** A TLS listener that completes handshakes, reads what it is sent, and never answers. */
async function hangingServer(): Promise<{ url: string; connections: () => number; stop: () => void }> {
  const cert = await ensureServerCertificate();
  const listener = Deno.listenTls({ hostname: "127.0.0.1", port: 0, cert: cert.certPem, key: cert.keyPem });
  const conns: Deno.Conn[] = [];
  (async () => {
    for await (const conn of listener) {
      conns.push(conn);
      // Drain what the client sends, answer nothing.
      conn.readable.pipeTo(new WritableStream()).catch(() => {});
    }
  })().catch(() => {});
  return {
    url: `https://127.0.0.1:${listener.addr.port}`,
    connections: () => conns.length,
    stop: () => {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed by the client */ }
      }
    },
  };
}

async function kubectl(cp: ControlPlane, args: string[], stdin?: string): Promise<string> {
  const r = await cp.kubectl(args, stdin === undefined ? {} : { stdin });
  assert.equal(r.code, 0, `kubectl ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

function b64(s: string): string {
  return btoa(s);
}

function spStore(ns: string, vaultUrl: string, tenantId: string): unknown[] {
  return [
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "azure", namespace: ns },
      data: { "client-id": b64("hang-test-app"), "client-secret": b64("hang-test-secret-value") },
    },
    {
      apiVersion: "external-secrets.io/v1",
      kind: "SecretStore",
      metadata: { name: "kv", namespace: ns },
      spec: {
        provider: {
          azurekv: {
            vaultUrl,
            tenantId,
            authSecretRef: {
              clientId: { name: "azure", key: "client-id" },
              clientSecret: { name: "azure", key: "client-secret" },
            },
          },
        },
      },
    },
  ];
}

function externalSecret(ns: string, name: string, key: string): unknown {
  return {
    apiVersion: "external-secrets.io/v1",
    kind: "ExternalSecret",
    metadata: { name, namespace: ns },
    spec: {
      refreshInterval: "1h",
      secretStoreRef: { kind: "SecretStore", name: "kv" },
      target: { name },
      data: [{ secretKey: "value", remoteRef: { key } }],
    },
  };
}

Deno.test("a vault that never answers holds a bounded share of the workers: other namespaces keep syncing", async () => {
  const cp = await startControlPlane();
  const az = await startAzureEmulators({ vaults: ["shared"] });
  const hang = await hangingServer();
  try {
    az.addClientSecretApp({ clientId: "hang-test-app", secret: "hang-test-secret-value" });
    az.setSecret("shared", "rotating", "value-0");
    const bystander = await cp.newNamespace("bystander");
    const hostile = await cp.newNamespace("hostile");
    const apply = (objs: unknown[]): Promise<string> =>
      kubectl(cp, ["apply", "--server-side", "-f", "-"], objs.map((o) => stringify(o)).join("---\n"));
    await apply([
      ...spStore(bystander, az.vaultUrl("shared"), az.tenantId),
      externalSecret(bystander, "app", "rotating"),
    ]);

    const controller = await startController({
      kubeconfig: cp.kubeconfigPath,
      authorityHost: az.authorityHost,
      caCertPath: az.caCertPath,
    });
    const holds = async (value: string): Promise<boolean> => {
      const r = await cp.kubectl(["get", "secret", "-n", bystander, "app", "-o", "json"]);
      return r.code === 0 && secretValue(JSON.parse(r.stdout) as Secret, "value") === value;
    };
    try {
      await eventually("the bystander's first sync", () => holds("value-0"));

      await apply([
        ...spStore(hostile, hang.url, az.tenantId),
        ...Array.from({ length: HOSTILE }, (_, i) => externalSecret(hostile, `hang-${i}`, `key-${i}`)),
      ]);
      await eventually(
        "the hostile reads to reach the hanging vault",
        () => Promise.resolve(hang.connections() >= 1),
        30_000,
      );

      // Rotations while the hanging reads hold their workers, time out (15 s) and retry.
      const delays: number[] = [];
      for (let round = 1; round <= 5; round++) {
        az.setSecret("shared", "rotating", `value-${round}`);
        const started = Date.now();
        await kubectl(cp, ["annotate", "es", "-n", bystander, "app", `force-sync=${started}`, "--overwrite"]);
        await eventually(`round ${round}: the bystander to hold value-${round}`, () => holds(`value-${round}`), 5000);
        delays.push(Date.now() - started);
        await new Promise((r) => setTimeout(r, 3000));
      }
      // Every hanging ExternalSecret says why it did not sync.
      const conditions = await eventually("every hanging ExternalSecret to be Ready=False", async () => {
        const list = JSON.parse(await kubectl(cp, ["get", "es", "-n", hostile, "-o", "json"])) as {
          items: ExternalSecret[];
        };
        const cs = list.items.map((es) => ready(es));
        return cs.length === HOSTILE && cs.every((c) => c?.status === "False") ? cs : undefined;
      }, 60_000);
      // Timed out reading, or waiting for a store whose validation timed out.
      const timedOut = conditions.filter((c) =>
        /^(could not get secret data from provider|SecretStore "kv" is not ready): Key Vault https:\/\/127\.0\.0\.1:\d+ did not answer within 15 s \((reading secret "key-\d+"|checking the store's credentials)\)$/
          .test(c!.message ?? "")
      ).length;
      // (Those the per-vault cap turned away were requeued without a condition: the cap is not their failure.)
      assert.equal(
        timedOut,
        HOSTILE,
        JSON.stringify(conditions.map((c) =>
          c?.message
        )),
      );
      // Some held a slot until the timeout (conditions show only each one's latest failure).
      const timedOutNames = new Set(
        controller.logs().filter((l) => l.msg === "sync failed" && /did not answer within 15 s/.test(String(l.error)))
          .map((l) => l.name),
      );
      assert.ok(timedOutNames.size >= 1, `${timedOutNames.size} ExternalSecrets timed out`);
      const health = await fetch(`${controller.metricsUrl}/healthz`);
      assert.equal(health.status, 200);
      await health.body?.cancel();
      // deno-lint-ignore no-console -- figures for the issue note
      console.log(
        `bystander force-sync → rotated value: ${
          delays.join(", ")
        } ms; hanging ExternalSecrets: ${timedOutNames.size} timed out at least once, ${timedOut} with a timeout condition at the end; ${hang.connections()} connections to the hanging vault`,
      );
    } finally {
      assert.equal(await controller.stop(), 0);
    }
  } finally {
    hang.stop();
    await az.stop();
    await cp.stop();
  }
});
