/**
 * The fault matrix: Key Vault failing every way it can (500, 429 with and without Retry-After, slow, dropped
 * connections, hung), Entra ID down at a cold start, the API server and etcd killed and restarted, a watch forced
 * to 410, the controller SIGKILLed in the middle of syncs, and the leader of two replicas killed. Real parts
 * throughout: the API server and etcd, the Azure SDKs against the emulators, the bundled controller.
 *
 * Throughout, an invariant is polled every 200 ms: no managed Secret is ever deleted, emptied, blanked or partially
 * written (its data always hashes to its data-hash annotation and holds a value the vault really held for that key).
 * After each fault, a rotated value must reach every Secret within a bound derived from the queue's back-off: a
 * fault of D seconds costs at most ≈2·D of retry delay (per-key exponential back-off doubles, so the retry that
 * follows the fault comes at most one doubling after it), plus one refresh interval, plus a slack for the fault's
 * own leftovers (a hung request's timeout, a lease's expiry).
 */
import assert from "node:assert/strict";
import { externalSecrets } from "../../controller/api/resources.ts";
import { createKubeClient, type KubeClient, secrets } from "../../controller/kube/mod.ts";
import { dataHash } from "../../controller/reconcile/eso_hash.ts";
import { ANNOTATION_DATA_HASH, LABEL_MANAGED, secretDataBytes } from "../../controller/reconcile/refresh.ts";
import { type AzureEmulators, startAzureEmulators } from "../harness/azure/mod.ts";
import { type ControlPlane, startControlPlane } from "../harness/control_plane.ts";
import { type ControllerProcess, startController } from "../harness/controller_process.ts";
import { apply, seedStore } from "../harness/scenario.ts";

const KEYS = 4;
const PER_KEY = 5;
const INTERVAL_S = 4;
// deno-lint-ignore no-console -- the table for docs/reliability.md
const report = (line: string): void => console.log(line);

/** Polls the managed Secrets and records every violation of the invariant. */
class Invariant {
  readonly violations: string[] = [];
  readonly #seen = new Set<string>();
  #stop = false;
  #done: Promise<void> | undefined;

  constructor(
    readonly client: KubeClient,
    readonly ns: string,
    readonly allowed: Map<string, Set<string>>,
    readonly keyOf: (secret: string) => string,
  ) {}

  start(): void {
    this.#done = (async () => {
      while (!this.#stop) {
        await this.check().catch(() => {}); // the API server may be down: nothing to check then
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
  }

  async check(): Promise<void> {
    const list = await this.client.list(secrets, { namespace: this.ns, labelSelector: `${LABEL_MANAGED}=true` });
    const names = new Set(list.items.map((s) => s.metadata!.name!));
    for (const name of this.#seen) if (!names.has(name)) this.violations.push(`${name} was deleted`);
    for (const s of list.items) {
      const name = s.metadata!.name!;
      this.#seen.add(name);
      const data = secretDataBytes(s);
      const value = data["value"] ? new TextDecoder().decode(data["value"]) : undefined;
      if (!value) this.violations.push(`${name} is empty or blank`);
      else if (!this.allowed.get(this.keyOf(name))?.has(value)) this.violations.push(`${name} holds a value never set`);
      if (s.metadata?.annotations?.[ANNOTATION_DATA_HASH] !== dataHash(data)) {
        this.violations.push(`${name} is partially written (data does not match its hash)`);
      }
    }
  }

  async stop(): Promise<void> {
    this.#stop = true;
    await this.#done;
  }
}

Deno.test("fault matrix: no Secret lost or corrupted, convergence within the back-off bound", async (t) => {
  const cp: ControlPlane = await startControlPlane();
  const az: AzureEmulators = await startAzureEmulators({ vaults: ["zaldre"] });
  const controllers: ControllerProcess[] = [];
  const client = await createKubeClient({ kubeconfig: cp.kubeconfigPath, context: "admin" });
  const rows: string[] = [];
  let invariant: Invariant | undefined;
  try {
    await seedStore(cp, az, { clientId: "1b2c3d4e-fault-client", clientSecret: "fault-client-secret" });
    const ns = await cp.newNamespace("faults");
    const allowed = new Map<string, Set<string>>();
    let round = 0;
    const rotate = (): string => {
      round++;
      for (let k = 0; k < KEYS; k++) {
        const v = `value-${k}-round-${round}`;
        allowed.set(`key-${k}`, (allowed.get(`key-${k}`) ?? new Set()).add(v));
        az.setSecret("zaldre", `key-${k}`, v);
      }
      return `round-${round}`;
    };
    rotate();
    const names: string[] = [];
    const objects = [];
    for (let k = 0; k < KEYS; k++) {
      for (let i = 0; i < PER_KEY; i++) {
        const name = `es-${k}-${i}`;
        names.push(name);
        objects.push({
          apiVersion: "external-secrets.io/v1",
          kind: "ExternalSecret",
          metadata: { name, namespace: ns },
          spec: {
            refreshInterval: `${INTERVAL_S}s`,
            secretStoreRef: { kind: "ClusterSecretStore", name: "azure-keyvault-cluster-store" },
            data: [{ secretKey: "value", remoteRef: { key: `key-${k}` } }],
          },
        });
      }
    }
    const start = async (args: string[] = []): Promise<ControllerProcess> => {
      const c = await startController({
        kubeconfig: cp.kubeconfigPath,
        authorityHost: az.authorityHost,
        caCertPath: az.caCertPath,
        args: ["--loglevel=info", ...args],
      });
      controllers.push(c);
      return c;
    };
    const stopAll = async (signal: Deno.Signal = "SIGTERM"): Promise<void> => {
      for (const c of controllers.splice(0)) await c.stop(signal).catch(() => {});
    };
    await start();
    await apply(cp, ...objects);
    const converged = async (what: string, tag: string, boundMs: number, since: number): Promise<number> => {
      const deadline = since + boundMs + 60_000;
      while (Date.now() < deadline) {
        const list = await client.list(secrets, { namespace: ns, labelSelector: `${LABEL_MANAGED}=true` }).catch(
          () => undefined,
        );
        const done = list && names.every((n) => {
          const s = list.items.find((x) => x.metadata?.name === n);
          const v = s?.data?.["value"];
          return v !== undefined && new TextDecoder().decode(Uint8Array.fromBase64(v)).endsWith(tag);
        });
        if (done) {
          const ms = Date.now() - since;
          rows.push(`| ${what} | ${(boundMs / 1000).toFixed(0)} s | ${(ms / 1000).toFixed(1)} s |`);
          assert.ok(ms <= boundMs, `${what}: converged in ${ms} ms, bound ${boundMs} ms`);
          return ms;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`${what}: not converged within ${boundMs + 60_000} ms`);
    };
    await converged("initial sync", "round-1", 30_000, Date.now());
    invariant = new Invariant(client, ns, allowed, (n) => `key-${n.split("-")[1]}`);
    invariant.start();
    const interval = INTERVAL_S * 1000;
    const bound = (faultMs: number, slackMs = 5000): number => 2 * faultMs + interval + slackMs;

    /** Rotates during a Key Vault fault of `ms`, removes it, and checks convergence. */
    const vaultFault = async (what: string, ms: number, add: () => string[], slackMs?: number): Promise<void> => {
      await t.step(what, async () => {
        const ids = add();
        const tag = rotate();
        await new Promise((r) => setTimeout(r, ms));
        for (const id of ids) az.faults.remove(id);
        await converged(what, tag, bound(ms, slackMs), Date.now() - ms);
      });
    };
    const kv = { service: "keyvault" as const };
    await vaultFault("Key Vault 500 for 6 s", 6000, () => [az.faults.fail(kv, 500)]);
    await vaultFault("Key Vault 429 with Retry-After: 2 for 6 s", 6000, () => [
      az.faults.add({ match: kv, outcome: { status: 429, retryAfterSeconds: 2 } }),
    ]);
    await vaultFault("Key Vault 429 without Retry-After for 6 s", 6000, () => [
      az.faults.add({ match: kv, outcome: { status: 429 } }),
    ]);
    await vaultFault("Key Vault slow (2.5 s a request) for 6 s", 6000, () => [az.faults.latency(kv, 2500)], 8000);
    await vaultFault("Key Vault drops connections for 6 s", 6000, () => [az.faults.drop(kv)]);
    // A hung request ends at the SDK's timeout or when the fault's latency runs out, whichever comes first.
    await vaultFault("Key Vault hangs (20 s a request) for 6 s", 6000, () => [az.faults.latency(kv, 20_000)], 25_000);

    await t.step("API server killed and restarted (down 3 s)", async () => {
      const tag = rotate();
      const since = Date.now();
      await cp.restart("apiserver", { downMs: 3000 });
      await converged("API server killed and restarted (down 3 s)", tag, bound(3000 + (Date.now() - since)), since);
    });

    await t.step("etcd killed and restarted (down 3 s)", async () => {
      const tag = rotate();
      const since = Date.now();
      await cp.restart("etcd", { downMs: 3000 });
      await converged("etcd killed and restarted (down 3 s)", tag, bound(3000 + (Date.now() - since)), since);
    });

    await t.step("watch forced to relist (410 Gone): etcd compacted, then the API server restarted", async () => {
      const before = controllers[0]!.logs().length;
      // Compact etcd to its current revision: a watch resuming from an older resourceVersion gets 410 Gone.
      const etcdUrl = Deno.readTextFileSync(`${cp.dir}/kube-apiserver.log`).match(/--etcd-servers=(\S+)/)?.[1];
      const status = await fetch(`${etcdUrl ?? ""}/v3/kv/range`, {
        method: "POST",
        body: JSON.stringify({ key: btoa("/") }),
      }).then((r) => r.json()).catch(() => undefined) as { header?: { revision?: string } } | undefined;
      if (etcdUrl && status?.header?.revision) {
        await fetch(`${etcdUrl}/v3/kv/compaction`, {
          method: "POST",
          body: JSON.stringify({ revision: status.header.revision, physical: true }),
        });
      }
      const tag = rotate();
      const since = Date.now();
      await cp.restart("apiserver", { downMs: 500 });
      await converged("watch relist after 410", tag, bound(500 + (Date.now() - since)), since);
      assert.ok(controllers[0]!.logs().length > before, "the controller kept working");
    });

    await t.step("Entra ID down while the controller cold-starts", async () => {
      await stopAll();
      const id = az.faults.fail({ service: "entra" }, 503);
      const tag = rotate();
      await start();
      await new Promise((r) => setTimeout(r, 5000));
      az.faults.remove(id);
      const since = Date.now() - 5000;
      // The store's validation is retried within 30 s of a failure; the ExternalSecrets follow it.
      await converged("Entra ID down at cold start for 5 s", tag, bound(5000, 35_000), since);
    });

    await t.step("controller SIGKILLed in the middle of syncs, then started again", async () => {
      const tag = rotate();
      const since = Date.now();
      await new Promise((r) => setTimeout(r, 300));
      await stopAll("SIGKILL");
      await start();
      await converged("controller SIGKILLed mid-sync", tag, bound(Date.now() - since), since);
    });

    await t.step("the leader of two replicas killed: the other takes over", async () => {
      await stopAll();
      const le = [
        "--enable-leader-election",
        "--leader-election-namespace=default",
        "--leader-election-id=fault-matrix",
        "--leader-election-lease-duration=4s",
        "--leader-election-renew-deadline=3s",
        "--leader-election-retry-period=1s",
      ];
      const a = await start(le);
      await a.waitForLog((l) => l.msg === "controllers starting", 20_000);
      const b = await start(le);
      const tag = rotate();
      const since = Date.now();
      await a.stop("SIGKILL");
      controllers.splice(controllers.indexOf(a), 1);
      await converged("leader SIGKILLed (lease 4 s)", tag, bound(4000, 10_000), since);
      assert.ok(b.logs().some((l) => l.msg === "controllers starting"), "the standby took over");
    });

    await invariant.check();
    await invariant.stop();
    report("\n| fault | bound | converged in |\n| --- | --- | --- |\n" + rows.join("\n"));
    assert.deepEqual(invariant.violations, [], "the invariant held throughout");
    const es = await client.list(externalSecrets, { namespace: ns });
    assert.equal(es.items.length, names.length, "every ExternalSecret is still there");
  } finally {
    await invariant?.stop();
    for (const c of controllers) await c.stop().catch(() => {});
    client.close();
    await az.stop();
    await cp.stop();
  }
});
