/**
 * The Helm chart (deploy/charts/kv-operator) with the real helm: lint, template (every controller flag, AKS and
 * OpenShift values, the checks that refuse broken values), kept in step with the kustomize base, and real installs
 * on a real kube-apiserver under Pod Security "restricted" (default, AKS-style and OpenShift-style values).
 */
import assert from "node:assert/strict";
import { parseAllDocuments } from "yaml";
import { program } from "../../controller/main.ts";
import { startControlPlane } from "../harness/control_plane.ts";
import { CHART_DIR, helm, type Manifest, one, renderChart, renderKustomize } from "./helm.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const AKS_CLIENT_ID = "7c0b3f5e-2d4a-4e1b-9f6c-8a2e5d1c3b47";
const AKS = ["--set", "azureWorkloadIdentity.enabled=true", "--set", `azureWorkloadIdentity.clientId=${AKS_CLIENT_ID}`];
const OPENSHIFT_FORCE = ["--set", "global.compatibility.openshift.adaptSecurityContext=force"];
const FIXED_UID = ["--set", "securityContext.runAsUser=65532", "--set", "podSecurityContext.fsGroup=65532"];

function controller(objects: Manifest[]): Manifest {
  return one(objects, "Deployment").spec.template.spec.containers.find((c: Manifest) => c.name === "controller");
}

/** A value each flag accepts, found from the flag itself (so new flags need no edit here unless unusual). */
function sampleValue(opt: ReturnType<typeof program>["options"][number]): string {
  const known: Record<string, string> = {
    loglevel: "debug",
    "metrics-addr": "127.0.0.1:9090",
    "azure-authority-host": "https://login.example.test",
    kubeconfig: "/etc/kv-operator/kubeconfig",
  };
  const name = opt.long!.slice(2);
  if (known[name]) return known[name];
  if (opt.optional) return String(!opt.defaultValue);
  if (opt.argChoices?.length) return opt.argChoices.find((c) => c !== opt.defaultValue) ?? opt.argChoices[0]!;
  if (opt.parseArg) {
    for (const candidate of ["7", "45s"]) {
      try {
        opt.parseArg(candidate, opt.defaultValue);
        return candidate;
      } catch { /* next */ }
    }
    throw new Error(`no sample value for --${name}: add one to sampleValue`);
  }
  return `sample-${name}`;
}

Deno.test("chart: lint and template", async (t) => {
  await t.step("helm lint --strict passes with default, AKS and OpenShift values", async () => {
    for (const args of [[], AKS, [...OPENSHIFT_FORCE, ...FIXED_UID]]) {
      const r = await helm(["lint", "--strict", CHART_DIR, ...args]);
      assert.equal(r.code, 0, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
    }
  });

  await t.step("every controller flag can be set through extraArgs, and the controller accepts the args", async () => {
    const options = program().options.filter((o) => o.long && o.long !== "--version");
    assert.ok(options.length >= 15, "the flags are read from controller/main.ts");
    const extra: Record<string, string> = {};
    for (const o of options) extra[o.long!.slice(2)] = sampleValue(o);
    const set = Object.entries(extra).flatMap((
      [k, v],
    ) => ["--set-string", `extraArgs.${k.replaceAll(".", "\\.")}=${v}`]);
    const args: string[] = controller(await renderChart(set)).args;
    for (const [k, v] of Object.entries(extra)) assert.ok(args.includes(`--${k}=${v}`), `--${k}=${v} in ${args}`);
    const cmd = program().exitOverride();
    cmd.parse(args, { from: "user" });
    const opts = cmd.opts();
    for (const o of options) {
      const sample = extra[o.long!.slice(2)]!;
      const want = o.parseArg ? o.parseArg(sample, o.defaultValue) : sample;
      assert.deepEqual(opts[o.attributeName()], want, `--${o.long} reaches the controller as ${sample}`);
    }
  });

  await t.step("values map to their flags; booleans and bare flags render as the controller reads them", async () => {
    const args: string[] = controller(
      await renderChart([
        "--set",
        "concurrent=4",
        "--set",
        "controllerClass=team-a",
        "--set",
        "scopedNamespace=jenkins",
        "--set",
        "log.level=debug",
        "--set",
        "storeRequeueInterval=2m",
        "--set",
        "leaderElectionID=kv-lease",
        "--set",
        "metrics.listen.port=9100",
        "--set",
        "extraArgs.enable-flood-gate=false",
        "--set",
        "extraArgs.kv-burst=50",
        "--set",
        "extraArgs.azure-disable-challenge-resource-verification=",
      ]),
    ).args;
    assert.deepEqual(args, [
      "--enable-leader-election",
      "--concurrent=4",
      "--metrics-addr=:9100",
      "--loglevel=debug",
      "--controller-class=team-a",
      "--namespace=jenkins",
      "--store-requeue-interval=2m",
      "--leader-election-id=kv-lease",
      "--azure-disable-challenge-resource-verification",
      "--enable-flood-gate=false",
      "--kv-burst=50",
    ]);
    const cmd = program().exitOverride();
    cmd.parse(args, { from: "user" });
    assert.equal(cmd.opts().enableFloodGate, false);
    assert.equal(cmd.opts().kvBurst, 50);
    assert.equal(cmd.opts().azureDisableChallengeResourceVerification, true);
    // From a values file YAML numbers arrive as floats: still 50, not 5e+01.
    const file = await Deno.makeTempFile({ suffix: ".yaml" });
    await Deno.writeTextFile(file, "extraArgs:\n  kv-burst: 50\n  kv-requests-per-second: 1000000\n");
    const fromFile: string[] = controller(await renderChart(["-f", file])).args;
    await Deno.remove(file);
    assert.deepEqual(fromFile.slice(-2), ["--kv-burst=50", "--kv-requests-per-second=1000000"]);
  });

  await t.step("the metrics Service selects the controller's pods and targets its metrics port", async () => {
    for (
      const [what, objects] of [
        ["chart", await renderChart(["--set", "metrics.listen.port=9100"])],
        ["chart, another release", await renderChart([], { release: "kv", namespace: "ops" })],
        ["kustomize", await renderKustomize(`${ROOT}deploy/base`)],
      ] as const
    ) {
      const svc = one(objects, "Service");
      const deploy = one(objects, "Deployment");
      assert.match(
        svc.metadata.name,
        /^external-secrets/,
        `${what}: ESO's dashboard selects service=~"external-secrets.*"`,
      );
      const podLabels = deploy.spec.template.metadata.labels;
      for (const [k, v] of Object.entries(svc.spec.selector)) assert.equal(podLabels[k], v, `${what}: selector ${k}`);
      assert.equal(svc.spec.ports.length, 1);
      const port = svc.spec.ports[0];
      const c = controller(objects);
      const target = c.ports.find((p: Manifest) => p.name === port.targetPort || p.containerPort === port.targetPort);
      assert.ok(target, `${what}: targetPort ${port.targetPort} is a port of the controller`);
      const addr = c.args.find((a: string) => a.startsWith("--metrics-addr="));
      assert.equal(addr, `--metrics-addr=:${target.containerPort}`, `${what}: the controller serves metrics there`);
      assert.equal(c.readinessProbe.httpGet.port, port.targetPort, `${what}: the probes use the same port`);
    }
  });

  await t.step("the chart and the kustomize base agree: args, securityContext, RBAC, image, resources", async () => {
    const chart = await renderChart();
    const kust = await renderKustomize(`${ROOT}deploy/base`);
    const [cc, kc] = [controller(chart), controller(kust)];
    assert.deepEqual(cc.args, kc.args, "container args");
    assert.deepEqual(cc.securityContext, kc.securityContext, "container securityContext");
    assert.deepEqual(
      one(chart, "Deployment").spec.template.spec.securityContext,
      one(kust, "Deployment").spec.template.spec.securityContext,
      "pod securityContext",
    );
    assert.equal(cc.image, kc.image, "image");
    assert.deepEqual(cc.resources, kc.resources, "resources");
    assert.deepEqual(cc.livenessProbe, kc.livenessProbe, "liveness probe");
    assert.deepEqual(cc.readinessProbe, kc.readinessProbe, "readiness probe");
    assert.deepEqual(cc.env, kc.env, "env");
    assert.deepEqual(
      cc.volumeMounts.map((m: Manifest) => m.mountPath),
      kc.volumeMounts.map((m: Manifest) => m.mountPath),
      "mounts",
    );
    assert.equal(one(chart, "Deployment").spec.replicas, one(kust, "Deployment").spec.replicas, "replicas");
    assert.deepEqual(one(chart, "ClusterRole").rules, one(kust, "ClusterRole").rules, "ClusterRole rules");
    assert.deepEqual(one(chart, "Role").rules, one(kust, "Role").rules, "leader-election Role rules");
    const ports = (o: Manifest[]): unknown => one(o, "Service").spec.ports;
    assert.deepEqual(ports(chart), ports(kust), "metrics Service ports");
    assert.equal(one(chart, "Service").metadata.name, one(kust, "Service").metadata.name, "metrics Service name");
  });

  await t.step("the chart's CRDs are the repository's crds/, kept on uninstall", async () => {
    const crds = (await renderChart()).filter((o) => o.kind === "CustomResourceDefinition");
    const files = [...Deno.readDirSync(`${ROOT}crds`)].map((e) => e.name).filter((n) =>
      n.startsWith("external-secrets.io_")
    );
    assert.equal(crds.length, files.length);
    for (const f of files) {
      const want = parseAllDocuments(Deno.readTextFileSync(`${ROOT}crds/${f}`))[0]!.toJSON() as Manifest;
      const got = crds.find((c) => c.metadata.name === want.metadata.name);
      assert.ok(got, `${want.metadata.name} is in the chart`);
      assert.equal(got.metadata.annotations["helm.sh/resource-policy"], "keep");
      const { annotations: _, ...meta } = got.metadata;
      assert.deepEqual({ ...got, metadata: meta }, want, `${f}: the same CRD`);
    }
    assert.equal(
      (await renderChart(["--set", "installCRDs=false"])).filter((o) => o.kind === "CustomResourceDefinition").length,
      0,
    );
  });

  await t.step(
    "AKS: the ServiceAccount names the identity and the pod asks for the token; placeholders fail",
    async () => {
      const objects = await renderChart([
        ...AKS,
        "--set",
        "azureWorkloadIdentity.tenantId=9b05fdb9-40c0-4f4a-a654-386013ae7d6a",
      ]);
      const sa = one(objects, "ServiceAccount");
      assert.equal(sa.metadata.annotations["azure.workload.identity/client-id"], AKS_CLIENT_ID);
      assert.equal(
        sa.metadata.annotations["azure.workload.identity/tenant-id"],
        "9b05fdb9-40c0-4f4a-a654-386013ae7d6a",
      );
      assert.equal(one(objects, "Deployment").spec.template.metadata.labels["azure.workload.identity/use"], "true");
      for (
        const bad of [
          ["--set", "azureWorkloadIdentity.enabled=true"],
          [
            "--set",
            "azureWorkloadIdentity.enabled=true",
            "--set",
            "azureWorkloadIdentity.clientId=00000000-0000-0000-0000-000000000000",
          ],
          ["--set", "azureWorkloadIdentity.enabled=true", "--set", "azureWorkloadIdentity.clientId=<CLIENT_ID>"],
          [
            "--set-string",
            "serviceAccount.annotations.azure\\.workload\\.identity/client-id=00000000-0000-0000-0000-000000000000",
          ],
        ]
      ) {
        const r = await helm(["template", "kv-operator", CHART_DIR, ...bad]);
        assert.notEqual(r.code, 0, `${bad.join(" ")} must not render`);
        assert.match(r.stderr, /client.?ID.*\(a GUID\)|client-id must be your identity's client ID/i);
      }
    },
  );

  await t.step("OpenShift: no fixed UID, GID or fsGroup when asked or detected; kept elsewhere", async () => {
    const uid = (o: Manifest[]): unknown[] => {
      const d = one(o, "Deployment").spec.template.spec;
      return [d.containers[0].securityContext.runAsUser, d.securityContext.fsGroup];
    };
    assert.deepEqual(uid(await renderChart(FIXED_UID)), [65532, 65532], "plain Kubernetes: as set");
    assert.deepEqual(uid(await renderChart([...FIXED_UID, ...OPENSHIFT_FORCE])), [undefined, undefined], "force");
    assert.deepEqual(
      uid(await renderChart([...FIXED_UID, "--api-versions", "security.openshift.io/v1"])),
      [undefined, undefined],
      "auto on a cluster that serves security.openshift.io/v1",
    );
    const forced = one(await renderChart([...FIXED_UID, ...OPENSHIFT_FORCE]), "Deployment").spec.template.spec;
    assert.equal(forced.securityContext.runAsNonRoot, true, "the rest of the securityContext stays");
    assert.deepEqual(forced.containers[0].securityContext.capabilities, { drop: ["ALL"] });
  });

  await t.step(
    "ServiceMonitor: only where prometheus-operator's API is served, selecting the metrics Service",
    async () => {
      const on = ["--set", "serviceMonitor.enabled=true"];
      assert.equal((await renderChart(on)).filter((o) => o.kind === "ServiceMonitor").length, 0, "skipIfMissing");
      const objects = await renderChart([...on, "--api-versions", "monitoring.coreos.com/v1/ServiceMonitor"]);
      const sm = one(objects, "ServiceMonitor");
      const svc = one(objects, "Service");
      for (const [k, v] of Object.entries(sm.spec.selector.matchLabels)) assert.equal(svc.metadata.labels[k], v, k);
      assert.equal(sm.spec.endpoints[0].port, svc.spec.ports[0].name);
      assert.deepEqual(sm.spec.namespaceSelector.matchNames, [svc.metadata.namespace]);
      const fail = await helm(["template", "x", CHART_DIR, ...on, "--set", "serviceMonitor.renderMode=failIfMissing"]);
      assert.notEqual(fail.code, 0);
      assert.match(fail.stderr, /does not serve monitoring\.coreos\.com\/v1 ServiceMonitor/);
    },
  );

  await t.step(
    "grafanaDashboard: the dashboard of deploy/monitoring as a ConfigMap for Grafana's sidecar",
    async () => {
      assert.equal((await renderChart()).filter((o) => o.kind === "ConfigMap").length, 0, "off by default");
      const cm = one(
        await renderChart([
          "--set",
          "grafanaDashboard.enabled=true",
          "--set",
          "grafanaDashboard.annotations.grafana_folder=Secrets",
          "--set",
          "grafanaDashboard.extraLabels.team=platform",
        ]),
        "ConfigMap",
      );
      assert.equal(cm.metadata.labels.grafana_dashboard, "1");
      assert.equal(cm.metadata.labels.team, "platform");
      assert.equal(cm.metadata.annotations.grafana_folder, "Secrets");
      const file = await Deno.readTextFile(
        new URL("../../deploy/monitoring/kv-operator-dashboard.json", import.meta.url),
      );
      assert.equal(cm.data["kv-operator-dashboard.json"], file, "the same dashboard as deploy/monitoring");
      assert.equal(JSON.parse(cm.data["kv-operator-dashboard.json"]).uid, "kv-operator");
    },
  );

  await t.step("log.format: text renders --log-format=text; json (the default) renders nothing", async () => {
    assert.ok(!controller(await renderChart()).args.some((a: string) => a.startsWith("--log-format")));
    assert.ok(controller(await renderChart(["--set", "log.format=text"])).args.includes("--log-format=text"));
  });

  await t.step("values that would install something broken are refused with the reason", async () => {
    const cases: [string[], RegExp][] = [
      [["--set", "leaderElect=false"], /replicaCount > 1 needs leaderElect/],
      [["--set", "storeRequeueInterval=5 minutes"], /storeRequeueInterval must be a duration/],
      [["--set", "global.compatibility.openshift.adaptSecurityContext=yes"], /adaptSecurityContext.*one of 'auto'/],
      [["--set", "log.level=loud"], /log\/level.*one of 'debug', 'info', 'warn', 'error'/],
      [["--set", "log.format=xml"], /log\/format.*one of 'json', 'text'/],
      [["--set", "concurrent=0"], /concurrent.*minimum/],
    ];
    for (const [args, message] of cases) {
      const r = await helm(["template", "x", CHART_DIR, ...args]);
      assert.notEqual(r.code, 0, args.join(" "));
      assert.match(r.stderr, message);
    }
    const single = one(await renderChart(["--set", "leaderElect=false", "--set", "replicaCount=1"]), "Deployment");
    assert.ok(!single.spec.template.spec.containers[0].args.includes("--enable-leader-election"));
  });
});

Deno.test("chart: helm install on a real kube-apiserver under Pod Security restricted", async (t) => {
  const cp = await startControlPlane({ crds: false });
  const kube = ["--kubeconfig", cp.kubeconfigPath];
  try {
    for (const ns of ["external-secrets", "kv-aks", "kv-openshift", "psa-probe"]) {
      // warn, not enforce: no pods run here (no kubelet), but the API server warns about templates that would fail.
      const r = await cp.kubectl(["create", "namespace", ns]);
      assert.equal(r.code, 0, r.stderr);
      const l = await cp.kubectl(["label", "namespace", ns, "pod-security.kubernetes.io/warn=restricted"]);
      assert.equal(l.code, 0, l.stderr);
    }

    await t.step("a pod template the restricted profile refuses is reported (the checks below can fail)", async () => {
      const r = await helm([
        "install",
        "probe",
        CHART_DIR,
        "-n",
        "psa-probe",
        "--set",
        "installCRDs=false",
        "--set",
        "securityContext.enabled=false",
        ...kube,
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /would violate PodSecurity \\?"restricted/);
      assert.equal((await helm(["uninstall", "probe", "-n", "psa-probe", ...kube])).code, 0);
    });

    await t.step("default values: installed, CRDs established, no Pod Security warning", async () => {
      const r = await helm(["install", "kv-operator", CHART_DIR, "-n", "external-secrets", ...kube]);
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stderr, /PodSecurity|[Ww]arning/, r.stderr);
      const w = await cp.kubectl([
        "wait",
        "--for=condition=Established",
        "--timeout=60s",
        "crd/externalsecrets.external-secrets.io",
        "crd/secretstores.external-secrets.io",
        "crd/clustersecretstores.external-secrets.io",
        "crd/clusterexternalsecrets.external-secrets.io",
      ]);
      assert.equal(w.code, 0, w.stderr);
      const svc = await cp.kubectl(["get", "svc", "-n", "external-secrets", "-o", "name"]);
      assert.match(svc.stdout, /service\/external-secrets-kv-operator-metrics/);
    });

    await t.step("AKS-style and OpenShift-style values install beside it (CRDs left to the first)", async () => {
      for (
        const [release, ns, args] of [
          ["aks", "kv-aks", AKS],
          ["openshift", "kv-openshift", [...OPENSHIFT_FORCE, ...FIXED_UID]],
        ] as const
      ) {
        const r = await helm(["install", release, CHART_DIR, "-n", ns, "--set", "installCRDs=false", ...args, ...kube]);
        assert.equal(r.code, 0, `${ns}: ${r.stderr}`);
        assert.doesNotMatch(r.stderr, /PodSecurity|[Ww]arning/, r.stderr);
      }
      const sa = await cp.kubectl([
        "get",
        "sa",
        "-n",
        "kv-aks",
        "aks-kv-operator",
        "-o",
        "jsonpath={.metadata.annotations.azure\\.workload\\.identity/client-id}",
      ]);
      assert.equal(sa.stdout, AKS_CLIENT_ID);
      const uid = await cp.kubectl([
        "get",
        "deploy",
        "-n",
        "kv-openshift",
        "openshift-kv-operator",
        "-o",
        "jsonpath={.spec.template.spec.containers[0].securityContext}",
      ]);
      assert.equal(uid.code, 0, uid.stderr);
      assert.doesNotMatch(uid.stdout, /runAsUser/);
    });

    await t.step("helm uninstall removes the release but keeps the CRDs (and so every ExternalSecret)", async () => {
      const r = await helm(["uninstall", "kv-operator", "-n", "external-secrets", ...kube]);
      assert.equal(r.code, 0, r.stderr);
      const crds = await cp.kubectl(["get", "crd", "-o", "name"]);
      assert.equal(crds.stdout.split("\n").filter((l) => l.includes("external-secrets.io")).length, 4, crds.stdout);
      const deploy = await cp.kubectl(["get", "deploy", "-n", "external-secrets", "-o", "name"]);
      assert.equal(deploy.stdout.trim(), "", "the Deployment is gone");
    });
  } finally {
    await cp.stop();
  }
});
