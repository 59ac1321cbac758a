/**
 * The controller's OCI image for real: `deno task image`'s build (buildah, from scratch), then the image run under
 * podman exactly as the chart's Deployment describes it (its args, env, volumes and securityContext: non-root,
 * read-only root filesystem, no capabilities, no privilege escalation, seccomp RuntimeDefault) with a ServiceAccount
 * token from the TokenRequest API as the in-cluster files, against a real kube-apiserver and the Azure emulators on
 * the host network. The chart is installed for real, so the controller runs with exactly the chart's RBAC. The seed's
 * jenkins/regcred must sync, and ESO's dashboard metrics must be served on the port the metrics Service targets.
 */
import assert from "node:assert/strict";
import { buildImage, IMAGE_USER, imageEntrypoint, projectVersion, SOURCE_URL } from "../../tools/image.ts";
import type { ExternalSecret } from "../../controller/api/types.ts";
import type { Secret } from "../../controller/kube/types.ts";
import { startAzureEmulators } from "../harness/azure/mod.ts";
import { freePort, run, startControlPlane } from "../harness/control_plane.ts";
import { eventually, getJson, ready, secretValue, SEED_DIR, seedStore } from "../harness/scenario.ts";
import { CHART_DIR, helm, type Manifest, one, parseManifests } from "./helm.ts";
import {
  envArgs,
  podman,
  runContainer,
  type RunningContainer,
  securityArgs,
  SERVICE_ACCOUNT_DIR,
  volumeArgs,
} from "./pod.ts";

const NS = "external-secrets";
const CLIENT_SECRET = "container-test-client-secret";
const DOCKER = JSON.stringify({ auths: { "zaldre.azurecr.io": { auth: btoa("puller:container-password") } } });

/** Metric names ESO's Grafana dashboard and alerts query (read from ESO v2.9's dashboard; our names are ESO's). */
const DASHBOARD_METRICS = [
  "externalsecret_sync_calls_total",
  "externalsecret_status_condition",
  "externalsecret_provider_api_calls_count",
  "externalsecret_reconcile_duration",
  "clustersecretstore_status_condition",
  "controller_runtime_reconcile_total",
  "controller_runtime_reconcile_time_seconds_bucket",
  "controller_runtime_active_workers",
  "controller_runtime_max_concurrent_reconciles",
  "workqueue_depth",
];

async function tarList(archive: string, member?: string): Promise<string> {
  const r = member
    ? await run("sh", ["-c", `tar -xOf "$0" "$1" | tar -tz`, archive, member])
    : await run("tar", ["-tf", archive]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

function procStatus(pid: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of Deno.readTextFileSync(`/proc/${pid}/status`).split("\n")) {
    const i = line.indexOf(":");
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

Deno.test("image: built from scratch, run as the chart's Deployment says, syncs the seed", async (t) => {
  const work = await Deno.makeTempDir({ prefix: "kv-image-test-" });
  const archive = `${work}/kv-operator-image.tar`;
  const buildStarted = performance.now();
  const img = await buildImage({ archive });
  const buildSeconds = (performance.now() - buildStarted) / 1000;
  const version = await projectVersion();
  let imageId = "";
  let container: RunningContainer | undefined;
  const cp = await startControlPlane({ crds: false });
  const az = await startAzureEmulators({ vaults: ["zaldre"] });
  try {
    await t.step(
      "the archive: numeric non-root user, labels, the binary's permissions, nothing but the controller",
      async () => {
        const inspect = await run("skopeo", ["inspect", "--config", `oci-archive:${archive}`]);
        assert.equal(inspect.code, 0, inspect.stderr);
        const config = JSON.parse(inspect.stdout).config;
        assert.equal(config.User, IMAGE_USER);
        assert.deepEqual(
          config.Entrypoint,
          imageEntrypoint(img.variant),
          "the Dockerfile's entrypoint for this variant",
        );
        assert.equal(config.Labels["org.opencontainers.image.version"], version);
        assert.equal(config.Labels["org.opencontainers.image.source"], SOURCE_URL);
        const head = (await run("git", ["rev-parse", "HEAD"])).stdout.trim();
        assert.match(config.Labels["org.opencontainers.image.revision"], new RegExp(`^${head}(-dirty)?$`));
        const digest = await run("skopeo", ["inspect", "--format", "{{.Digest}}", `oci-archive:${archive}`]);
        assert.equal(digest.stdout.trim(), img.digest, "the digest printed is the manifest's");

        const index = JSON.parse((await run("tar", ["-xOf", archive, "index.json"])).stdout);
        assert.equal(index.manifests[0].annotations["org.opencontainers.image.ref.name"], img.reference);
        const manifest = JSON.parse(
          (await run("tar", ["-xOf", archive, `blobs/sha256/${img.digest.slice(7)}`])).stdout,
        );
        const files = new Set<string>();
        for (const layer of manifest.layers) {
          for (const f of (await tarList(archive, `blobs/sha256/${layer.digest.slice(7)}`)).split("\n")) {
            if (f) files.add(f.replace(/^\.\//, "").replace(/\/$/, ""));
          }
        }
        for (const absent of ["bin/sh", "usr/bin/sh", "bin/busybox", "etc/passwd", "etc/group"]) {
          assert.ok(!files.has(absent), `${absent} is not in the image`);
        }
        const program = img.variant === "bundle"
          ? ["usr/local/bin/deno", "app/kv-operator.js"]
          : ["usr/local/bin/kv-operator"];
        for (const f of [...program, "etc/ssl/certs/ca-certificates.crt", "lib64/ld-linux-x86-64.so.2"]) {
          assert.ok(files.has(f), `${f} is in the image`);
        }
        const regular = [...files].filter((f) => !["tmp", "etc", "app", "usr", "lib", "lib64"].some((d) => f === d));
        assert.ok(regular.length < 25, `only the controller and its libraries: ${regular.join(" ")}`);
      },
    );

    await t.step("podman loads the archive", async () => {
      const r = await podman(["load", "-q", "-i", archive]);
      assert.equal(r.code, 0, r.stderr);
      const id = await podman(["image", "inspect", "--format", "{{.Id}}", img.reference]);
      assert.equal(id.code, 0, id.stderr);
      imageId = id.stdout.trim();
    });

    // The chart, installed for real: the ServiceAccount, RBAC, metrics Service and Deployment the container runs as.
    const metricsPort = freePort();
    const caDir = `${work}/emulator-ca`;
    await Deno.mkdir(caDir);
    await Deno.copyFile(az.caCertPath, `${caDir}/ca.crt`);
    const values = `${work}/values.yaml`;
    await Deno.writeTextFile(
      values,
      JSON.stringify({
        metrics: { listen: { port: metricsPort } },
        extraArgs: {
          "azure-authority-host": az.authorityHost,
          "azure-disable-challenge-resource-verification": true,
          // The emulators' vaults are on 127.0.0.1 ports; the default allows only Azure's Key Vault domains.
          "allowed-vault-hosts": "*.vault.azure.net,127.0.0.1:*",
        },
        // The emulators' CA, as a cluster would mount a CA bundle: a test setting, not a default.
        extraEnv: [{ name: "NODE_EXTRA_CA_CERTS", value: "/etc/kv-test/ca.crt" }],
        extraVolumes: [{ name: "emulator-ca", hostPath: { path: caDir } }],
        extraVolumeMounts: [{ name: "emulator-ca", mountPath: "/etc/kv-test", readOnly: true }],
      }),
    );
    const install = await helm([
      "install",
      "kv-operator",
      CHART_DIR,
      "-n",
      NS,
      "--create-namespace",
      "-f",
      values,
      "--kubeconfig",
      cp.kubeconfigPath,
    ]);
    assert.equal(install.code, 0, install.stderr);
    const manifest = await helm(["get", "manifest", "kv-operator", "-n", NS, "--kubeconfig", cp.kubeconfigPath]);
    const objects = parseManifests(manifest.stdout);
    const deployment = one(objects, "Deployment");
    const podSpec = deployment.spec.template.spec;
    const spec = podSpec.containers.find((c: Manifest) => c.name === "controller");
    const established = await cp.kubectl(["wait", "--for=condition=Established", "--timeout=60s", "crd", "--all"]);
    assert.equal(established.code, 0, established.stderr);

    await seedStore(cp, az, { clientId: "0e4c6a8b-1f2d-4c3e-9a5b-7d6f8e9a0b1c", clientSecret: CLIENT_SECRET });
    az.setSecret("zaldre", "docker-config-json", DOCKER, { contentType: "application/json" });
    const r01 = await cp.kubectl(["apply", "--server-side", "-f", `${SEED_DIR}01-externalsecret-regcred.yaml`]);
    assert.equal(r01.code, 0, r01.stderr);

    // What a kubelet gives the pod: the ServiceAccount's token (TokenRequest API), the cluster CA, the namespace.
    const saDir = `${work}/serviceaccount`;
    await Deno.mkdir(saDir);
    const token = await cp.kubectl(["create", "token", "-n", NS, podSpec.serviceAccountName, "--duration=1h"]);
    assert.equal(token.code, 0, token.stderr);
    await Deno.writeTextFile(`${saDir}/token`, token.stdout.trim());
    await Deno.writeTextFile(`${saDir}/ca.crt`, cp.caCertPem);
    await Deno.writeTextFile(`${saDir}/namespace`, NS);
    for (const f of ["token", "ca.crt", "namespace"]) await Deno.chmod(`${saDir}/${f}`, 0o644);
    const apiPort = new URL(cp.server).port;

    let startToReadyMs = 0;
    let readyLine: Record<string, unknown> = {};
    await t.step(
      "the containerised controller, confined as the Deployment says, syncs the seed's regcred",
      async () => {
        assert.equal(spec.image, img.reference, "the Deployment runs the image that was built");
        assert.equal(podSpec.automountServiceAccountToken, true);
        // Host network: the Deployment's ":PORT" would listen on every address; servers here bind 127.0.0.1 only.
        const args = (spec.args as string[]).map((a) => a.replace(/^--metrics-addr=:/, "--metrics-addr=127.0.0.1:"));
        const started = performance.now();
        container = await runContainer(`kv-operator-test-${crypto.randomUUID().slice(0, 8)}`, [
          "--network",
          "host",
          ...securityArgs(podSpec.securityContext, spec.securityContext, IMAGE_USER),
          ...volumeArgs(podSpec, spec),
          "-v",
          `${saDir}:${SERVICE_ACCOUNT_DIR}:ro`,
          ...envArgs(spec, NS),
          "-e",
          "KUBERNETES_SERVICE_HOST=127.0.0.1",
          "-e",
          `KUBERNETES_SERVICE_PORT=${apiPort}`,
          imageId,
          ...args,
        ]);
        readyLine = await container.waitForLog((l) => l.msg === "ready", 90_000);
        startToReadyMs = performance.now() - started;
        const startLine = await container.waitForLog((l) => l.msg === "starting");
        assert.equal(startLine.server, cp.server, "in-cluster configuration: KUBERNETES_SERVICE_HOST/PORT");

        const secret = await eventually("jenkins/regcred", async () => {
          const s = await getJson<Secret>(cp, ["secret", "-n", "jenkins", "regcred"]);
          return secretValue(s, ".dockerconfigjson") === DOCKER ? s : undefined;
        }, 60_000);
        assert.equal(secret.type, "kubernetes.io/dockerconfigjson");
        const es = await eventually("Ready", async () => {
          const e = await getJson<ExternalSecret>(cp, ["es", "-n", "jenkins", "regcred"]);
          return ready(e)?.status === "True" ? e : undefined;
        });
        assert.equal(ready(es)?.reason, "SecretSynced");
        const lease = await cp.kubectl([
          "get",
          "lease",
          "-n",
          NS,
          "external-secrets-controller",
          "-o",
          "jsonpath={.spec.holderIdentity}",
        ]);
        assert.notEqual(lease.stdout, "", "leader election on the Lease the chart's Role allows");
      },
    );

    await t.step(
      "the process is confined: non-root, no capabilities, no-new-privileges, seccomp, read-only /",
      async () => {
        assert.ok(container, "the controller runs");
        const pid = await container.pid();
        const s = procStatus(pid);
        assert.equal(s.Uid!.split(/\s+/)[0], "65532", "runs as the image's numeric user");
        assert.equal(s.Gid!.split(/\s+/)[0], "65532");
        for (const set of ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"]) {
          assert.equal(s[set], "0000000000000000", set);
        }
        assert.equal(s.NoNewPrivs, "1");
        assert.equal(s.Seccomp, "2", "a seccomp filter (podman's default profile: RuntimeDefault)");
        const root = Deno.readTextFileSync(`/proc/${pid}/mountinfo`).split("\n").find((l) => l.split(" ")[4] === "/");
        assert.match(root ?? "", /\sro[,\s]/, "the root filesystem is mounted read-only");
        assert.ok(
          !container.logs().some((l) =>
            /EROFS|Read-only file system|NotCapable|PermissionDenied/.test(JSON.stringify(l))
          ),
        );
      },
    );

    await t.step("ESO's dashboard metrics are served on the port the metrics Service targets", async () => {
      const svc = one(objects, "Service");
      assert.match(svc.metadata.name, /^external-secrets/);
      for (const [k, v] of Object.entries(svc.spec.selector)) {
        assert.equal(deployment.spec.template.metadata.labels[k], v);
      }
      const target = spec.ports.find((p: Manifest) => p.name === svc.spec.ports[0].targetPort);
      assert.equal(target.containerPort, metricsPort);
      const text = await eventually("metrics", async () => {
        const body = await fetch(`http://127.0.0.1:${target.containerPort}/metrics`).then((r) => r.text());
        return body.includes("externalsecret_sync_calls_total{") ? body : undefined;
      });
      for (const name of DASHBOARD_METRICS) {
        assert.match(text, new RegExp(`^${name}(\\{| )`, "m"), `${name} is served`);
      }
      assert.match(text, /^externalsecret_status_condition\{[^}]*name="regcred"[^}]*\} 1$/m);
      const readyz = await fetch(`http://127.0.0.1:${target.containerPort}${spec.readinessProbe.httpGet.path}`);
      await readyz.body?.cancel();
      assert.equal(readyz.status, 200, "the readiness probe passes");
    });

    await t.step("figures: image size, start to ready in the container, idle RSS", async () => {
      assert.ok(container);
      await new Promise((r) => setTimeout(r, 3000));
      const status = procStatus(await container.pid());
      const kb = (field: string): number => Number(/^(\d+)/.exec(status[field] ?? "")?.[1]);
      const rssKb = kb("VmRSS");
      assert.ok(rssKb > 0);
      // deno-lint-ignore no-console -- figures for the issue note
      console.log(
        `image: ${(img.sizeBytes / 1e6).toFixed(1)} MB (${img.variant}, ${img.digest}), built in ${
          buildSeconds.toFixed(1)
        } s; ` +
          `podman run to ready: ${
            startToReadyMs.toFixed(0)
          } ms (controller's own start-up: ${readyLine.startupMs} ms); ` +
          `idle RSS: ${(rssKb / 1024).toFixed(1)} MB (anonymous ${(kb("RssAnon") / 1024).toFixed(1)} MB, ` +
          `file-backed ${(kb("RssFile") / 1024).toFixed(1)} MB)`,
      );
    });

    await t.step("graceful stop, nothing refused, no secret value in the output", async () => {
      assert.ok(container);
      const c = container;
      container = undefined;
      const code = await c.stop();
      assert.equal(code, 0, `exit code; last output:\n${c.rawOutput().split("\n").slice(-10).join("\n")}`);
      const out = c.rawOutput();
      for (const v of [DOCKER, btoa(DOCKER), CLIENT_SECRET, "container-password"]) {
        assert.ok(!out.includes(v), "a secret value leaked");
      }
      const refused = c.logs().filter((l) => /Forbidden|"status":40[13]/.test(JSON.stringify(l)));
      assert.deepEqual(refused, [], "no request was refused");
      const bad = c.logs().filter((l) => l.level === "warn" || l.level === "error" || l.level === "raw");
      assert.deepEqual(bad, [], "no warnings, errors or non-JSON lines");
    });
  } finally {
    if (container) await container.stop(1);
    if (imageId) await podman(["rmi", "-f", imageId]);
    await az.stop();
    await cp.stop();
    await Deno.remove(work, { recursive: true });
  }
});
