/**
 * A real kube-apiserver + etcd on 127.0.0.1 for tests and the demo, set up the way controller-runtime's envtest does
 * it (see ../shared/docs/control-plane.md §3): generated CAs, RBAC on, client-certificate users, a service-account
 * signing key so the TokenRequest API works. The binaries are built from the Go module proxy by
 * `build_control_plane.sh` and cached by version.
 *
 * Users: `admin` (group system:masters) and `alice` (group dev-team, no grants: tests give her what they need).
 *
 * @module
 */
import { stringify } from "yaml";

/** A running control plane. */
export interface ControlPlane {
  /** `https://127.0.0.1:PORT`. */
  readonly server: string;
  /** Kubeconfig with contexts `admin` (current) and `alice`. */
  readonly kubeconfigPath: string;
  /** Working directory: certificates, kubeconfig, logs. */
  readonly dir: string;
  /** PEM of the CA that signed the API server's serving certificate. */
  readonly caCertPem: string;
  /** PEM of the public key that verifies service-account tokens (issuer {@link ControlPlane.server}). */
  readonly serviceAccountPublicKeyPem: string;
  /** The issuer written into service-account tokens. */
  readonly serviceAccountIssuer: string;
  /** Client certificate and key of a user. */
  user(name: "admin" | "alice"): { certPem: string; keyPem: string };
  /** Creates a namespace with a unique name starting with `prefix` and returns the name. */
  newNamespace(prefix?: string): Promise<string>;
  /** Runs the real kubectl against this control plane. */
  kubectl(args: string[], opts?: KubectlOptions): Promise<CommandResult>;
  /** Installs the CRDs from `crds/` and waits until they are established. */
  installCrds(): Promise<void>;
  /**
   * Kills etcd or the API server (SIGKILL: no graceful shutdown), keeps it down for `downMs`, and starts it again
   * with the same data, ports and certificates; resolves once it answers again (for fault tests).
   */
  restart(which: "etcd" | "apiserver", opts?: { downMs?: number }): Promise<void>;
  /** Stops the API server, then etcd, and removes the working directory (unless it was given). */
  stop(): Promise<void>;
}

/** Options for {@link ControlPlane.kubectl}. */
export interface KubectlOptions {
  context?: "admin" | "alice";
  stdin?: string;
  env?: Record<string, string>;
}

/** Exit code and output of a finished command. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options for {@link startControlPlane}. */
export interface StartOptions {
  /** Install the project's CRDs before returning. Default true. */
  crds?: boolean;
  /** Keep state here instead of a fresh temporary directory (used by `dev:cluster`). */
  dir?: string;
  /** Leave the processes running when this process exits (used by `dev:cluster up`). */
  detached?: boolean;
}

const REPO_ROOT = new URL("../../", import.meta.url);
const BUILD_SCRIPT = new URL("tests/harness/build_control_plane.sh", REPO_ROOT).pathname;

let binDirPromise: Promise<string> | undefined;

/**
 * Returns the directory holding `kube-apiserver` and `etcd`, building them the first time (minutes; progress is
 * shown on stderr). Later calls in the same process reuse the answer.
 */
export function ensureControlPlaneBinaries(): Promise<string> {
  binDirPromise ??= (async () => {
    const out = await new Deno.Command("bash", { args: [BUILD_SCRIPT], stdout: "piped", stderr: "inherit" })
      .output();
    if (!out.success) {
      throw new Error(`Cannot build the control plane: ${BUILD_SCRIPT} exited with code ${out.code} (see above)`);
    }
    const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
    return lines[lines.length - 1]!;
  })();
  return binDirPromise;
}

/** Runs a command to completion and returns its output. */
export async function run(cmd: string, args: string[], opts: {
  stdin?: string;
  env?: Record<string, string>;
  cwd?: string;
} = {}): Promise<CommandResult> {
  const child = new Deno.Command(cmd, {
    args,
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    ...(opts.env ? { env: opts.env } : {}),
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
  }).spawn();
  if (opts.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(opts.stdin));
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

async function mustRun(cmd: string, args: string[], opts: { stdin?: string; cwd?: string } = {}): Promise<string> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

/** Returns a TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Generates the CAs, the serving certificate, the users and the service-account key pair with openssl. */
async function generateCertificates(dir: string): Promise<void> {
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  const ca = async (name: string): Promise<void> => {
    await mustRun("openssl", [
      "req",
      "-x509",
      ...ec,
      "-days",
      "30",
      "-subj",
      `/CN=kv-operator-test-${name}`,
      "-keyout",
      `${dir}/${name}.key`,
      "-out",
      `${dir}/${name}.crt`,
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    ]);
  };
  const leaf = async (name: string, subj: string, caName: string, ext: string): Promise<void> => {
    await mustRun("openssl", [
      "req",
      ...ec,
      "-subj",
      subj,
      "-keyout",
      `${dir}/${name}.key`,
      "-out",
      `${dir}/${name}.csr`,
    ]);
    await Deno.writeTextFile(`${dir}/${name}.ext`, ext);
    await mustRun("openssl", [
      "x509",
      "-req",
      "-in",
      `${dir}/${name}.csr`,
      "-CA",
      `${dir}/${caName}.crt`,
      "-CAkey",
      `${dir}/${caName}.key`,
      // A random serial per certificate, not -CAcreateserial: leaves of one CA are signed at once, and two openssl
      // runs sharing the CA's serial file race (one reads it half-written: "Unable to load number").
      "-set_serial",
      `0x${randomSerial()}`,
      "-days",
      "30",
      "-out",
      `${dir}/${name}.crt`,
      "-extfile",
      `${dir}/${name}.ext`,
    ]);
  };
  await Promise.all([ca("serving-ca"), ca("client-ca")]);
  const clientExt = "extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\nbasicConstraints=CA:FALSE\n";
  await Promise.all([
    leaf(
      "apiserver",
      "/CN=localhost",
      "serving-ca",
      "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n" +
        "keyUsage=critical,digitalSignature\nbasicConstraints=CA:FALSE\n",
    ),
    leaf("admin", "/CN=admin/O=system:masters", "client-ca", clientExt),
    leaf("alice", "/CN=alice/O=dev-team", "client-ca", clientExt),
    mustRun("openssl", ["genrsa", "-out", `${dir}/sa.key`, "2048"]),
  ]);
  await mustRun("openssl", ["rsa", "-in", `${dir}/sa.key`, "-pubout", "-out", `${dir}/sa.pub`]);
}

/** 16 random bytes in hex, the first below 0x80 so that the serial is positive. */
function randomSerial(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0]! &= 0x7f;
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function b64(text: string): string {
  return btoa(text);
}

async function writeKubeconfig(dir: string, server: string): Promise<string> {
  const read = (f: string): Promise<string> => Deno.readTextFile(`${dir}/${f}`);
  const user = async (name: string): Promise<Record<string, unknown>> => ({
    name,
    user: {
      "client-certificate-data": b64(await read(`${name}.crt`)),
      "client-key-data": b64(await read(`${name}.key`)),
    },
  });
  const config = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{
      name: "kv-test",
      cluster: { server, "certificate-authority-data": b64(await read("serving-ca.crt")) },
    }],
    users: [await user("admin"), await user("alice")],
    contexts: [
      { name: "admin", context: { cluster: "kv-test", user: "admin", namespace: "default" } },
      { name: "alice", context: { cluster: "kv-test", user: "alice", namespace: "default" } },
    ],
    "current-context": "admin",
  };
  const path = `${dir}/kubeconfig`;
  await Deno.writeTextFile(path, stringify(config));
  return path;
}

/** A process started by the harness, with its output appended to a log file. */
interface Proc {
  pid: number;
  done: Promise<unknown>;
}

async function startProcess(bin: string, args: string[], logPath: string, detached: boolean): Promise<Proc> {
  if (detached) {
    // setsid + nohup: the process outlives this one (dev:cluster up); its PID is recorded for `down`.
    const quoted = [bin, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
    const out = await mustRun("sh", ["-c", `nohup setsid ${quoted} >>'${logPath}' 2>&1 </dev/null & echo $!`]);
    return { pid: Number(out.trim()), done: Promise.resolve() };
  }
  const out = await Deno.open(logPath, { create: true, append: true });
  const err = await Deno.open(logPath, { create: true, append: true });
  const child = new Deno.Command(bin, { args, stdin: "null", stdout: "piped", stderr: "piped" }).spawn();
  const done = Promise.all([child.stdout.pipeTo(out.writable), child.stderr.pipeTo(err.writable), child.status]);
  return { pid: child.pid, done };
}

/** True while the process exists and has not exited (a zombie child of ours counts as exited). */
export function running(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(Deno.readTextFileSync(`/proc/${pid}/status`));
  } catch {
    return false;
  }
}

/** SIGTERM, wait up to `graceMs`, then SIGKILL. */
export async function stopPid(pid: number, graceMs = 20_000): Promise<void> {
  if (!running(pid)) return;
  Deno.kill(pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (running(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (running(pid)) Deno.kill(pid, "SIGKILL");
  while (running(pid)) await new Promise((r) => setTimeout(r, 20));
}

async function waitFor(
  what: string,
  timeoutMs: number,
  check: () => Promise<boolean>,
  logPath?: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  let tail = "";
  if (logPath) {
    const text = await Deno.readTextFile(logPath).catch(() => "");
    tail = `\n--- last lines of ${logPath} ---\n${text.split("\n").slice(-30).join("\n")}`;
  }
  throw new Error(`Timed out after ${timeoutMs / 1000} s waiting for ${what}${tail}`);
}

/** State of a control plane kept on disk, so `dev:cluster down` can stop one that `up` started. */
export interface ControlPlaneState {
  server: string;
  kubeconfigPath: string;
  etcdPid: number;
  apiserverPid: number;
  etcdDataDir: string;
}

/**
 * Starts etcd and kube-apiserver on free 127.0.0.1 ports and waits until the API server is ready (RBAC bootstrap
 * done). Takes a few seconds once the binaries are cached.
 */
export async function startControlPlane(opts: StartOptions = {}): Promise<ControlPlane> {
  const binDir = await ensureControlPlaneBinaries();
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? await Deno.makeTempDir({ prefix: "kv-cp-" });
  await Deno.mkdir(dir, { recursive: true });
  await generateCertificates(dir);

  // etcd's data on tmpfs when there is one: the API server's writes are then memory-speed.
  const shm = await Deno.stat("/dev/shm").then((s) => s.isDirectory).catch(() => false);
  const etcdData = shm ? await Deno.makeTempDir({ dir: "/dev/shm", prefix: "kv-etcd-" }) : `${dir}/etcd-data`;
  const etcdPort = freePort();
  const etcdPeerPort = freePort();
  const etcdUrl = `http://127.0.0.1:${etcdPort}`;
  const etcdLog = `${dir}/etcd.log`;
  const etcdArgs = [
    `--data-dir=${etcdData}`,
    `--listen-client-urls=${etcdUrl}`,
    `--advertise-client-urls=${etcdUrl}`,
    `--listen-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
    `--initial-cluster=default=http://127.0.0.1:${etcdPeerPort}`,
    "--unsafe-no-fsync=true",
    "--log-level=warn",
  ];
  const etcdHealthy = (): Promise<void> =>
    waitFor(
      "etcd /health",
      30_000,
      async () => (await fetch(`${etcdUrl}/health`).then((r) => r.text())).includes('"true"'),
      etcdLog,
    );
  let etcd = await startProcess(`${binDir}/etcd`, etcdArgs, etcdLog, opts.detached ?? false);
  await etcdHealthy();

  const port = freePort();
  const server = `https://127.0.0.1:${port}`;
  const apiLog = `${dir}/kube-apiserver.log`;
  const apiArgs = [
    `--etcd-servers=${etcdUrl}`,
    "--bind-address=127.0.0.1",
    `--secure-port=${port}`,
    "--advertise-address=127.0.0.1",
    "--endpoint-reconciler-type=none",
    `--tls-cert-file=${dir}/apiserver.crt`,
    `--tls-private-key-file=${dir}/apiserver.key`,
    `--client-ca-file=${dir}/client-ca.crt`,
    `--service-account-issuer=${server}`,
    `--service-account-key-file=${dir}/sa.pub`,
    `--service-account-signing-key-file=${dir}/sa.key`,
    "--authorization-mode=RBAC",
    "--service-cluster-ip-range=10.0.0.0/24",
    "--allow-privileged=true",
    "--disable-admission-plugins=ServiceAccount",
    `--cert-dir=${dir}`,
    "--profiling=false",
    "--v=1",
  ];
  let apiserver = await startProcess(`${binDir}/kube-apiserver`, apiArgs, apiLog, opts.detached ?? false);

  const read = (f: string): string => Deno.readTextFileSync(`${dir}/${f}`);
  const caCertPem = read("serving-ca.crt");
  const admin = { certPem: read("admin.crt"), keyPem: read("admin.key") };
  const apiReady = async (): Promise<void> => {
    const http = Deno.createHttpClient({ caCerts: [caCertPem], cert: admin.certPem, key: admin.keyPem });
    try {
      await waitFor(
        "kube-apiserver /readyz",
        90_000,
        async () => (await fetch(`${server}/readyz`, { client: http }).then((r) => r.text())) === "ok",
        apiLog,
      );
    } finally {
      http.close();
    }
  };
  try {
    await apiReady();
  } catch (e) {
    await stopPid(apiserver.pid, 2000);
    await stopPid(etcd.pid, 2000);
    throw e;
  }
  const kubeconfigPath = await writeKubeconfig(dir, server);
  const state: ControlPlaneState = {
    server,
    kubeconfigPath,
    etcdPid: etcd.pid,
    apiserverPid: apiserver.pid,
    etcdDataDir: etcdData,
  };
  await Deno.writeTextFile(`${dir}/state.json`, JSON.stringify(state, null, 2));

  const cp: ControlPlane = {
    server,
    kubeconfigPath,
    dir,
    caCertPem,
    serviceAccountPublicKeyPem: read("sa.pub"),
    serviceAccountIssuer: server,
    user: (name) => (name === "admin" ? admin : { certPem: read("alice.crt"), keyPem: read("alice.key") }),
    kubectl: (args, o = {}) =>
      run("kubectl", [`--kubeconfig=${kubeconfigPath}`, `--context=${o.context ?? "admin"}`, ...args], {
        ...(o.stdin !== undefined ? { stdin: o.stdin } : {}),
        ...(o.env ? { env: o.env } : {}),
      }),
    newNamespace: async (prefix = "t") => {
      const name = `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
      const r = await cp.kubectl(["create", "namespace", name]);
      if (r.code !== 0) throw new Error(`Cannot create namespace ${name}: ${r.stderr.trim()}`);
      return name;
    },
    installCrds: async () => {
      const crdDir = new URL("crds/", REPO_ROOT).pathname;
      const r = await cp.kubectl(["apply", "--server-side", "-k", crdDir]);
      if (r.code !== 0) throw new Error(`Cannot install CRDs: ${r.stderr.trim()}`);
      const w = await cp.kubectl([
        "wait",
        "--for=condition=Established",
        "--timeout=60s",
        "crd/externalsecrets.external-secrets.io",
        "crd/secretstores.external-secrets.io",
        "crd/clustersecretstores.external-secrets.io",
        "crd/clusterexternalsecrets.external-secrets.io",
      ]);
      if (w.code !== 0) throw new Error(`CRDs not established: ${w.stderr.trim()}`);
    },
    restart: async (which, o = {}) => {
      const proc = which === "etcd" ? etcd : apiserver;
      if (running(proc.pid)) Deno.kill(proc.pid, "SIGKILL");
      await proc.done.catch(() => {});
      while (running(proc.pid)) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, o.downMs ?? 0));
      if (which === "etcd") {
        etcd = await startProcess(`${binDir}/etcd`, etcdArgs, etcdLog, false);
        await etcdHealthy();
      } else {
        apiserver = await startProcess(`${binDir}/kube-apiserver`, apiArgs, apiLog, false);
        await apiReady();
      }
    },
    stop: async () => {
      await stopPid(apiserver.pid);
      await stopPid(etcd.pid);
      await Promise.all([apiserver.done, etcd.done]).catch(() => {});
      await Deno.remove(etcdData, { recursive: true }).catch(() => {});
      if (ownDir) await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
  if (opts.crds ?? true) await cp.installCrds();
  return cp;
}
