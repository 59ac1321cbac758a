/**
 * `dataFrom.find` and `dataFrom.rewrite` against a real apiserver, the Key Vault emulator over the real Azure SDK and
 * the bundled controller, as ESO v2.9 leaves the cluster, and what find costs in vault calls:
 *
 * - providers/v1/azure/keyvault/keyvault.go (`getAllSecretsWithLegacySDK`, `isValidSecret`, `okByName`,
 *   `okByTags`): the paged listing, filtered on enabled, every tag equal and the name regexp (Go's regexp,
 *   unanchored); keys are the secret names; `find.path` is ignored;
 * - pkg/controllers/externalsecret/externalsecret_controller_secret.go (`handleFindAllSecrets`): rewrite, or the
 *   conversion strategy when there is none, then ValidateKeys, then decoding; no match is no data (Retain keeps);
 * - runtime/esutils/utils.go (`RewriteMap`, `RewriteRegexp`, `RewriteTransform`): operations in order, regexp with
 *   Go's `ReplaceAllString` (`$1`, `${name}`), transform with `.value` as the key.
 *
 * Cost: ESO lists and GETs every match per ExternalSecret per refresh (ESO#2779); here one listing per store and
 * refresh window serves every ExternalSecret, and a match is read again only when the listing shows it changed.
 */
import assert from "node:assert/strict";
import type { ExternalSecret } from "../../controller/api/types.ts";
import type { Secret } from "../../controller/kube/types.ts";
import { startAzureEmulators } from "../harness/azure/mod.ts";
import { startControlPlane } from "../harness/control_plane.ts";
import { type ControllerProcess, startController } from "../harness/controller_process.ts";
import { apply, eventually, getJson, ready, secretValue, seedStore } from "../harness/scenario.ts";

// deno-lint-ignore no-console -- figures for the issue note
const report = (line: string): void => console.log(line);

const STORE = { kind: "ClusterSecretStore", name: "azure-keyvault-cluster-store" };
const N = 20;
const INTERVAL_S = 10;

function findEs(ns: string, name: string, dataFrom: unknown[], refreshInterval = "1h"): unknown {
  return {
    apiVersion: "external-secrets.io/v1",
    kind: "ExternalSecret",
    metadata: { name, namespace: ns },
    spec: { refreshInterval, secretStoreRef: STORE, dataFrom },
  };
}

Deno.test("dataFrom.find and rewrite: name, tags, both, none, rewrite chains, Go regexps, shared listing", async (t) => {
  const cp = await startControlPlane();
  const az = await startAzureEmulators({ vaults: ["zaldre"] });
  let controller: ControllerProcess | undefined;
  try {
    const css = await seedStore(cp, az, { clientId: "9a8b7c6d-find-client", clientSecret: "find-secret" });
    az.setSecret("zaldre", "db-user", "u", { tags: { team: "core" } });
    az.setSecret("zaldre", "db-pass", "p", { tags: { team: "core" } });
    az.setSecret("zaldre", "db-host", "h", { tags: { team: "other" } });
    az.setSecret("zaldre", "api-key", btoa("k"), { tags: { team: "core" } });
    az.setSecret("zaldre", "db-disabled", "d", { tags: { team: "core" }, enabled: false });
    az.setSecret("zaldre", "a".repeat(127), "all-a");
    az.setSecret("zaldre", `${"a".repeat(126)}b`, "almost");
    // Enough secrets for a second page of the listing (Key Vault pages by 25).
    for (let i = 0; i < 30; i++) az.setSecret("zaldre", `filler-${i}`, `f${i}`, { tags: { team: "budget" } });
    const ns = await cp.newNamespace("find");
    controller = await startController({
      kubeconfig: cp.kubeconfigPath,
      authorityHost: az.authorityHost,
      caCertPath: az.caCertPath,
    });
    const secret = (name: string): Promise<Secret | undefined> => getJson<Secret>(cp, ["secret", "-n", ns, name]);
    const keysOf = async (name: string): Promise<string[]> => {
      const s = await eventually(name, () => secret(name));
      return Object.keys(s.data ?? {}).sort();
    };
    const readyOf = (name: string, reason: string): Promise<ExternalSecret> =>
      eventually(`${name} ${reason}`, async () => {
        const es = await getJson<ExternalSecret>(cp, ["externalsecret", "-n", ns, name]);
        return ready(es)?.reason === reason ? es : undefined;
      });

    await apply(
      cp,
      findEs(ns, "by-name", [{ find: { name: { regexp: "^db-" }, path: "ignored/by/azure" } }]),
      findEs(ns, "by-tags", [{ find: { tags: { team: "core" }, decodingStrategy: "Auto" } }]),
      findEs(ns, "by-both", [{ find: { name: { regexp: "^db-" }, tags: { team: "core" } } }]),
      findEs(ns, "no-match", [{ find: { name: { regexp: "^nothing-" } } }]),
      findEs(ns, "rewritten", [{
        find: { tags: { team: "core" } },
        rewrite: [
          { regexp: { source: "^db-(?P<what>[a-z]+)$", target: "DB_${what}" } },
          { transform: { template: `{{ .value | upper | replace "-" "_" }}` } },
        ],
      }]),
      findEs(ns, "catastrophic", [{
        find: { name: { regexp: "^(a|a)*$" } },
        rewrite: [{ regexp: { source: "^(a|a)*$", target: "matched" } }],
      }]),
      findEs(ns, "bad-pattern", [{ find: { name: { regexp: "(" } } }]),
    );

    await t.step("by name, by tags, by both; disabled secrets skipped; path ignored", async () => {
      assert.deepEqual(await keysOf("by-name"), ["db-host", "db-pass", "db-user"]);
      assert.deepEqual(await keysOf("by-tags"), ["api-key", "db-pass", "db-user"]);
      assert.equal(secretValue(await secret("by-tags"), "api-key"), "k", "the find's decodingStrategy applies");
      assert.deepEqual(await keysOf("by-both"), ["db-pass", "db-user"]);
    });

    await t.step("no match: no data, the Secret is not created (deletionPolicy Retain)", async () => {
      const es = await readyOf("no-match", "SecretSynced");
      assert.match(ready(es)?.message ?? "", /no data/);
      assert.equal(await secret("no-match"), undefined);
    });

    await t.step("rewrite: regexp with ${name} then a transform template, in order", async () => {
      assert.deepEqual(await keysOf("rewritten"), ["API_KEY", "DB_PASS", "DB_USER"]);
      assert.equal(secretValue(await secret("rewritten"), "DB_USER"), "u");
    });

    await t.step(
      "^(a|a)*$ in find and rewrite: linear time, the right answer; an invalid pattern says so",
      async () => {
        const started = Date.now();
        const s = await eventually("catastrophic", () => secret("catastrophic"), 20_000);
        assert.deepEqual(Object.keys(s.data ?? {}), ["matched"], "only the all-a name matches");
        assert.equal(secretValue(s, "matched"), "all-a");
        assert.ok(Date.now() - started < 20_000);
        const bad = await readyOf("bad-pattern", "SecretSyncedError");
        assert.match(ready(bad)?.message ?? "", /find\.name\.regexp: error parsing regexp: missing closing \)/);
      },
    );

    await t.step("namespaceRegexes ^(a|a)*$ on a 63-character namespace: linear time, the right answer", async () => {
      // pkg/controllers/secretstore/client_manager.go (shouldProcessSecret): Go's regexp.MatchString per pattern.
      const guarded = structuredClone(css);
      guarded.metadata = { name: "regex-guarded" };
      guarded.spec.conditions = [{ namespaceRegexes: ["^(a|a)*$"] }];
      const broken = structuredClone(guarded);
      broken.metadata = { name: "regex-broken" };
      broken.spec.conditions = [{ namespaceRegexes: ["("] }];
      await apply(cp, guarded, broken);
      const all = "a".repeat(63);
      const almost = `${"a".repeat(62)}b`;
      for (const n of [all, almost]) {
        const r = await cp.kubectl(["create", "namespace", n]);
        assert.equal(r.code, 0, r.stderr);
      }
      const es = (namespace: string, name: string, store: string): unknown => ({
        apiVersion: "external-secrets.io/v1",
        kind: "ExternalSecret",
        metadata: { name, namespace },
        spec: {
          refreshInterval: "1h",
          secretStoreRef: { kind: "ClusterSecretStore", name: store },
          data: [{ secretKey: "user", remoteRef: { key: "db-user" } }],
        },
      });
      const started = Date.now();
      await apply(cp, es(all, "guarded", "regex-guarded"), es(almost, "guarded", "regex-guarded"));
      await apply(cp, es(all, "broken", "regex-broken"));
      const allowed = await eventually("allowed", () => getJson<Secret>(cp, ["secret", "-n", all, "guarded"]), 20_000);
      assert.equal(secretValue(allowed, "user"), "u");
      const denied = await eventually("denied", async () => {
        const got = await getJson<ExternalSecret>(cp, ["externalsecret", "-n", almost, "guarded"]);
        return ready(got)?.reason === "SecretSyncedError" ? got : undefined;
      }, 20_000);
      assert.match(ready(denied)?.message ?? "", /not allowed from namespace .*denied by spec\.condition/);
      assert.ok(Date.now() - started < 20_000);
      const invalid = await eventually("invalid pattern", async () => {
        const got = await getJson<ExternalSecret>(cp, ["externalsecret", "-n", all, "broken"]);
        return ready(got)?.reason === "SecretSyncedError" ? got : undefined;
      }, 20_000);
      assert.match(
        ready(invalid)?.message ?? "",
        /namespaceRegexes\[0\] is not a valid Go regular expression: error parsing regexp: missing closing \)/,
      );
    });

    await t.step(
      `${N} ExternalSecrets with one find over 3 windows: one listing per window, GETs only for changes`,
      async () => {
        const pages = 2; // 37 secrets, 25 per page
        const lists = (afterSeq: number) =>
          az.requests({ service: "keyvault", route: "GET /secrets", afterSeq }).filter((r) => r.status === 200);
        const gets = (afterSeq: number) =>
          az.requests({ service: "keyvault", route: "GET /secrets/{name}/{version}", afterSeq }).filter((r) =>
            r.status === 200
          );
        const names = Array.from({ length: N }, (_, i) => `fleet-${i}`);
        const before = az.counters().lastSeq;
        await apply(
          cp,
          ...names.map((n) => findEs(ns, n, [{ find: { tags: { team: "budget" } } }], `${INTERVAL_S}s`)),
        );
        for (const n of names) assert.equal((await keysOf(n)).length, 30);
        const initialLists = lists(before).length;
        const initialGets = gets(before).length;
        report(
          `initial sync of ${N}: ${initialLists} listing requests (${pages} pages each), ${initialGets} GETs`,
        );

        // ExternalSecrets created in one burst may start in two groups (a first sync accepts a listing at most one
        // jitter spread old); they share one listing from the next window on. Measure from then, over 3 windows.
        await new Promise((r) => setTimeout(r, INTERVAL_S * 1000 + 2000));
        const start = az.counters().lastSeq;
        const observeMs = 3 * INTERVAL_S * 1000;
        const until = Date.now() + observeMs;
        let changed = false;
        while (Date.now() < until) {
          // Change one match once a listing has completed, well before the next one (a read within 2 s of a change is
          // read once more in the next window, by design).
          if (!changed && lists(start).length >= pages) {
            az.setSecret("zaldre", "filler-7", "f7-new", { tags: { team: "budget" } });
            changed = true;
          }
          await new Promise((r) => setTimeout(r, 250));
        }
        // A listing is its pages, sent back to back.
        const starts: number[] = [];
        for (const r of lists(start)) if (!starts.length || r.at - starts.at(-1)! > 2000) starts.push(r.at);
        const gaps = starts.slice(1).map((at, i) => at - starts[i]!);
        const windowGets = gets(start).length;
        report(
          `${N} ExternalSecrets, ${observeMs / 1000} s (refresh every ${INTERVAL_S} s): ${starts.length} listings of ` +
            `${pages} pages (${lists(start).length} requests), gaps ${gaps.join(", ")} ms; ${windowGets} GET(s), ` +
            `1 match changed. ESO's model: ${N} × (${pages} pages + 30 GETs) = ${N * (pages + 30)} calls per window`,
        );
        assert.ok(changed);
        // At most one listing per window: listings are a refresh interval apart, less the 1 s jitter spread.
        assert.ok(gaps.every((g) => g >= INTERVAL_S * 1000 - 2000), `listings too close: ${gaps.join(", ")} ms`);
        assert.ok(starts.length <= 4 && starts.length >= 3, `${starts.length} listings in ${observeMs} ms`);
        assert.equal(lists(start).length, starts.length * pages);
        assert.ok(windowGets <= 1, `${windowGets} GETs for 1 changed match`);
        await eventually("the changed match reached every Secret", async () => {
          for (const n of names) if (secretValue(await secret(n), "filler-7") !== "f7-new") return false;
          return true;
        }, 2 * INTERVAL_S * 1000);
      },
    );
  } finally {
    await controller?.stop();
    await az.stop();
    await cp.stop();
  }
});
