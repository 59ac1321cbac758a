/**
 * Runs a Deployment's controller container under podman the way a kubelet would run its pod, as far as one machine
 * without a cluster network allows: the pod's and container's securityContext turned into podman flags (anything
 * this cannot honour is an error, never silently dropped), emptyDir and hostPath volumes, the env with fieldRefs
 * resolved, the automounted ServiceAccount files, host networking so it reaches the test control plane and the
 * emulators on 127.0.0.1.
 *
 * @module
 */
import { containerEnv } from "../../tools/image.ts";
import { collectLogs, type LogLine } from "../harness/controller_process.ts";
import type { Manifest } from "./helm.ts";

/** Where a kubelet mounts the ServiceAccount token, CA and namespace. */
export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** `podman` with this machine's settings (tools/image.ts containerEnv). */
export async function podman(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { globalArgs, env } = await containerEnv();
  const out = await new Deno.Command("podman", {
    args: [...globalArgs, "--runtime", "runc", "--cgroup-manager", "cgroupfs", ...args],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

type SecurityContext = Record<string, unknown>;

const POD_KEYS = new Set([
  "runAsNonRoot",
  "runAsUser",
  "runAsGroup",
  "fsGroup",
  "supplementalGroups",
  "seccompProfile",
]);
const CONTAINER_KEYS = new Set([
  "runAsNonRoot",
  "runAsUser",
  "runAsGroup",
  "seccompProfile",
  "allowPrivilegeEscalation",
  "readOnlyRootFilesystem",
  "capabilities",
  "privileged",
]);

/**
 * The podman flags for a pod's and a container's securityContext (the container's fields win, as in Kubernetes).
 * `imageUser` is the image's USER, checked against runAsNonRoot as the kubelet does. Throws on any field it cannot
 * honour, so the container test can never run with less confinement than the manifest asks for.
 */
export function securityArgs(pod: SecurityContext = {}, container: SecurityContext = {}, imageUser = ""): string[] {
  for (const k of Object.keys(pod)) if (!POD_KEYS.has(k)) throw new Error(`pod securityContext.${k} is not supported`);
  for (const k of Object.keys(container)) {
    if (!CONTAINER_KEYS.has(k)) throw new Error(`container securityContext.${k} is not supported`);
  }
  const eff = { ...pod, ...container };
  const args: string[] = [];
  const [imageUid, imageGid] = imageUser.split(":");
  const uid = eff.runAsUser ?? imageUid;
  const gid = eff.runAsGroup ?? imageGid;
  if (
    eff.runAsNonRoot === true && (uid === undefined || uid === "" || !/^\d+$/.test(String(uid)) || Number(uid) === 0)
  ) {
    throw new Error(
      `runAsNonRoot: the user ${JSON.stringify(uid)} is not a numeric non-root UID (the kubelet refuses)`,
    );
  }
  if (eff.runAsUser !== undefined || eff.runAsGroup !== undefined) {
    args.push("--user", gid !== undefined && gid !== "" ? `${uid}:${gid}` : String(uid));
  }
  for (
    const g of [...(pod.fsGroup !== undefined ? [pod.fsGroup] : []), ...((pod.supplementalGroups as unknown[]) ?? [])]
  ) {
    args.push("--group-add", String(g));
  }
  const seccomp = (eff.seccompProfile as { type?: string } | undefined)?.type;
  // RuntimeDefault is podman's default profile; Unconfined must be asked for; Localhost needs a node's file.
  if (seccomp === "Unconfined") args.push("--security-opt", "seccomp=unconfined");
  else if (seccomp !== undefined && seccomp !== "RuntimeDefault") throw new Error(`seccompProfile ${seccomp}`);
  if (container.privileged === true) throw new Error("privileged containers are not run here");
  if (container.allowPrivilegeEscalation === false) args.push("--security-opt", "no-new-privileges");
  // podman's --read-only mounts its own tmpfs on /tmp, /run and /var/tmp unless told not to; a kubelet does not.
  if (container.readOnlyRootFilesystem === true) args.push("--read-only", "--read-only-tmpfs=false");
  const caps = (container.capabilities ?? {}) as { drop?: string[]; add?: string[] };
  for (const c of caps.drop ?? []) args.push("--cap-drop", c);
  for (const c of caps.add ?? []) args.push("--cap-add", c);
  return args;
}

/** The podman flags for a container's volume mounts (emptyDir → tmpfs, hostPath → bind mount). */
export function volumeArgs(podSpec: Manifest, container: Manifest): string[] {
  const args: string[] = [];
  for (const m of (container.volumeMounts ?? []) as Manifest[]) {
    const v = ((podSpec.volumes ?? []) as Manifest[]).find((x) => x.name === m.name);
    if (!v) throw new Error(`volumeMount ${m.name} has no volume`);
    if (v.emptyDir) args.push("--tmpfs", `${m.mountPath}:rw,mode=1777`);
    else if (v.hostPath) args.push("-v", `${v.hostPath.path}:${m.mountPath}:${m.readOnly ? "ro" : "rw"}`);
    else throw new Error(`volume ${m.name}: only emptyDir and hostPath are run here`);
  }
  return args;
}

/** The container's env as `-e` flags, fieldRefs resolved against the pod's namespace. */
export function envArgs(container: Manifest, namespace: string): string[] {
  const args: string[] = [];
  for (const e of (container.env ?? []) as Manifest[]) {
    if (e.value !== undefined) args.push("-e", `${e.name}=${e.value}`);
    else if (e.valueFrom?.fieldRef?.fieldPath === "metadata.namespace") args.push("-e", `${e.name}=${namespace}`);
    else throw new Error(`env ${e.name}: only values and the namespace fieldRef are run here`);
  }
  return args;
}

/** A running container. */
export interface RunningContainer {
  readonly name: string;
  /** The controller process's PID on the host (for /proc). */
  pid(): Promise<number>;
  logs(): LogLine[];
  rawOutput(): string;
  waitForLog(pred: (l: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** `podman stop` (SIGTERM, then SIGKILL after the grace period); resolves with the container's exit code. */
  stop(graceSeconds?: number): Promise<number>;
}

/** `podman run --rm --name NAME ...args` in the foreground, its output parsed as the controller's JSON log lines. */
export async function runContainer(name: string, args: string[]): Promise<RunningContainer> {
  const { globalArgs, env } = await containerEnv();
  const child = new Deno.Command("podman", {
    args: [...globalArgs, "--runtime", "runc", "--cgroup-manager", "cgroupfs", "run", "--rm", "--name", name, ...args],
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const collector = collectLogs(child, "container", 60_000);
  return {
    name,
    pid: async () => {
      const r = await podman(["inspect", "--format", "{{.State.Pid}}", name]);
      const pid = Number(r.stdout.trim());
      if (r.code !== 0 || !(pid > 0)) throw new Error(`no PID for container ${name}: ${r.stderr}`);
      return pid;
    },
    logs: collector.logs,
    rawOutput: collector.rawOutput,
    waitForLog: collector.waitForLog,
    stop: async (graceSeconds = 20) => {
      await podman(["stop", "-t", String(graceSeconds), name]);
      const status = await child.status;
      await collector.done;
      return status.code;
    },
  };
}
