/**
 * `deno task demo`: the seed's story on this machine, on embedded defaults. A real kube-apiserver + etcd, the Azure
 * emulators (Key Vault `zaldre` holding `docker-config-json`), the CRDs, the seed's five manifests (03 and 04 pointed
 * at the emulator, the others as they are) and the controller (the shipped bundle) — then it prints what happened,
 * how to look and how to rotate the value, and stays up until Ctrl-C.
 *
 * @module
 */
// deno-lint-ignore-file no-console -- a program for people: its output is the point.
import type { ExternalSecret } from "../../controller/api/types.ts";
import { ensureEmulatorCa, startAzureEmulators } from "./azure/mod.ts";
import { startControlPlane } from "./control_plane.ts";
import { bundle, startController } from "./controller_process.ts";
import { eventually, getJson, ready, SEED_DIR, seedStore } from "./scenario.ts";
import { kvCacheDir } from "./cache_dir.ts";

const DEMO_DIR = kvCacheDir("demo");
const REPO_ROOT = new URL("../../", import.meta.url).pathname;
const CLIENT_ID = "7d2b9c1e-4f3a-4e8b-9c0d-1a2b3c4d5e6f";
const CLIENT_SECRET = "demo-client-secret";
const SEED_SECRET = JSON.stringify({
  auths: { "zaldre.azurecr.io": { username: "jenkins", password: "s3cret-v1", auth: btoa("jenkins:s3cret-v1") } },
});

const bold = (s: string): string => Deno.stdout.isTerminal() && !Deno.env.get("NO_COLOR") ? `\x1b[1m${s}\x1b[0m` : s;
const step = (s: string): void => console.error(`• ${s}`);

async function trustBundle(caPath: string): Promise<string> {
  // The machine's CAs (they may include a registry proxy's) plus the emulators' CA, for the Azure SDK's node:tls.
  const before = Deno.env.get("NODE_EXTRA_CA_CERTS") ?? "/etc/ssl/certs/ca-certificates.crt";
  const path = `${DEMO_DIR}/trust-bundle.crt`;
  const parts = [await Deno.readTextFile(before).catch(() => ""), await Deno.readTextFile(caPath)];
  await Deno.writeTextFile(path, parts.filter(Boolean).join("\n"));
  return path;
}

async function pluginBinDir(): Promise<string | undefined> {
  // The kubectl plugin is built by `deno task build:plugin` when it exists in this checkout.
  const entry = new URL("kubectl-plugin/main.ts", `file://${REPO_ROOT}`);
  if (!await Deno.stat(entry).then(() => true, () => false)) return undefined;
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", "build:plugin"],
    cwd: REPO_ROOT,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!r.success) {
    console.error(
      `  (the kubectl plugin did not build: ${new TextDecoder().decode(r.stderr).trim().split("\n").pop()})`,
    );
    return undefined;
  }
  return `${REPO_ROOT}dist/bin`;
}

async function main(): Promise<number> {
  const started = performance.now();
  await Deno.remove(DEMO_DIR, { recursive: true }).catch(() => {});
  await Deno.mkdir(DEMO_DIR, { recursive: true });

  step("starting a real kube-apiserver + etcd (built once from the Go module proxy; the first time takes minutes)");
  const cp = await startControlPlane({ dir: `${DEMO_DIR}/cluster` });
  const ca = await ensureEmulatorCa();
  const trust = await trustBundle(ca.certPath);
  step('starting the Azure emulators (Entra ID, Key Vault "zaldre", IMDS) over HTTPS');
  const az = await startAzureEmulators({ vaults: ["zaldre"] });
  let controller: Awaited<ReturnType<typeof startController>> | undefined;
  const stop = async (): Promise<void> => {
    await controller?.stop().catch(() => {});
    await az.stop().catch(() => {});
    await cp.stop().catch(() => {});
  };
  try {
    az.setSecret("zaldre", "docker-config-json", SEED_SECRET, { contentType: "application/json" });

    step("applying the seed's manifests (03 and 04 pointed at the emulator; 01, 02, 05 as they are)");
    await seedStore(cp, az, { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, access: "write" });
    await cp.kubectl(["create", "namespace", "my-namespace"]);
    for (
      const f of [
        "01-externalsecret-regcred.yaml",
        "02-secretstore-workload-identity.yaml",
        "05-secretstore-service-principal.yaml",
      ]
    ) {
      const r = await cp.kubectl(["apply", "--server-side", "-f", `${SEED_DIR}${f}`]);
      if (r.code !== 0) throw new Error(`${f}: ${r.stderr}`);
    }

    step("starting the controller (logs: " + `${DEMO_DIR}/controller.log)`);
    await bundle("controller/main.ts", "kv-operator");
    controller = await startController({
      kubeconfig: cp.kubeconfigPath,
      authorityHost: az.authorityHost,
      caCertPath: trust,
      args: ["--loglevel=info"],
    });
    const logFile = await Deno.open(`${DEMO_DIR}/controller.log`, { write: true, create: true, truncate: true });
    const es = await eventually("jenkins/regcred to sync", async () => {
      const e = await getJson<ExternalSecret>(cp, ["es", "-n", "jenkins", "regcred"]);
      return ready(e)?.status === "True" ? e : undefined;
    }, 60_000);
    const plugin = await pluginBinDir();
    const secs = ((performance.now() - started) / 1000).toFixed(1);

    const table = await cp.kubectl(["get", "es,ss,css", "-A"]);
    console.log(`
${
      bold(`The seed scenario is running (up in ${secs} s).`)
    } jenkins/regcred was synced from Key Vault at ${es.status?.refreshTime}.

${table.stdout.trim()}

What happened: the ClusterSecretStore authenticated to the (emulated) Key Vault as a service principal, the
ExternalSecret read \`docker-config-json\` and rendered it into the kubernetes.io/dockerconfigjson Secret
jenkins/regcred, owned by the ExternalSecret. The stores from 02 (placeholder vault URL) and 05 (credentials Secret
missing) are reported as not Ready, and nothing else is affected.

${bold("Paste these lines into another shell:")}
export KUBECONFIG=${cp.kubeconfigPath}
${plugin ? `export PATH=${plugin}:$PATH\n` : ""}export NODE_EXTRA_CA_CERTS=${trust}
export AZURE_AUTHORITY_HOST=${az.authorityHost}
export KV_DISABLE_CHALLENGE_RESOURCE_VERIFICATION=true
export KV_ALLOWED_VAULT_HOSTS='127.0.0.1:*'

${bold("Look:")}
kubectl get es,ss,css -A
kubectl describe externalsecret -n jenkins regcred
kubectl get secret -n jenkins regcred -o jsonpath='{.data.\\.dockerconfigjson}' | base64 -d; echo
kubectl get secretstore -n jenkins jenkins-secretstore -o jsonpath='{.status.conditions[0].message}'; echo
${plugin ? "kubectl externalsecret status -A\nkubectl externalsecret status -n jenkins regcred\n" : ""}curl -s http://${
      controller.metricsUrl.replace("http://", "")
    }/metrics | grep ^externalsecret_

${bold("Rotate the credential (the seed's story), then watch regcred follow:")}
${
      plugin
        ? `echo '{"auths":{"zaldre.azurecr.io":{"auth":"'$(printf 'jenkins:s3cret-v2' | base64)'"}}}' > /tmp/new.json
kubectl externalsecret vault set --cluster-store azure-keyvault-cluster-store --name docker-config-json --file /tmp/new.json --sync --wait
`
        : ""
    }# or change the value in the emulated vault directly and force a sync, as with ESO:
curl -s -X PUT ${az.adminUrl}/_admin/vaults/zaldre/secrets/docker-config-json -d '{"value":"{\\"auths\\":{}}"}'
kubectl annotate externalsecret -n jenkins regcred force-sync=$(date +%s) --overwrite
# without force-sync the Secret follows at the next refresh (refreshInterval 24h in the seed; try 30s):
kubectl patch externalsecret -n jenkins regcred --type=merge -p '{"spec":{"refreshInterval":"30s"}}'

Press Ctrl-C to stop everything.`);

    // Keep the controller's log in a file people can tail.
    let written = 0;
    const flush = (): void => {
      const out = controller!.rawOutput();
      if (out.length > written) {
        logFile.writeSync(new TextEncoder().encode(out.slice(written)));
        written = out.length;
      }
    };
    const timer = setInterval(flush, 500);
    await new Promise<void>((resolve) => {
      const done = (): void => resolve();
      Deno.addSignalListener("SIGINT", done);
      Deno.addSignalListener("SIGTERM", done);
    });
    clearInterval(timer);
    flush();
    logFile.close();
    console.error("\nstopping the controller, the emulators and the control plane ...");
    await stop();
    return 0;
  } catch (e) {
    console.error(`demo failed: ${(e as Error).message}`);
    if (controller) console.error(controller.rawOutput().split("\n").slice(-20).join("\n"));
    await stop();
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main());
