/**
 * `deno task image`: the controller's OCI image, built without a daemon and written as `dist/kv-operator-image.tar`
 * (an `oci-archive`).
 *
 * The image is `FROM scratch` (deploy/Dockerfile): the controller, the few shared libraries `ldd` lists for it, the
 * CA bundle and an nsswitch.conf; no shell, no /etc/passwd, the numeric user 65532. The controller is the
 * `deno compile` binary where a denort runtime is available (`DENORT_BIN`), otherwise the pinned deno binary plus
 * the bundle (what `deno task build` writes) run with the compiled binary's permission flags (tools/compile.ts).
 *
 * This stages the build context in a temporary directory and builds deploy/Dockerfile with buildah (Debian's podman,
 * buildah, umoci, skopeo and runc are installed with apt when missing and we are root). `--stage-only` stages into
 * `dist/image/` and stops, for `docker build` on a machine with a registry. Prints the archive's size and digest.
 *
 * @module
 */
// deno-lint-ignore-file no-console -- a build script: its output is for people.
import { kvCacheDir } from "../tests/harness/cache_dir.ts";
import { TARGETS } from "./compile.ts";

/** The image's default name (users push it elsewhere; the chart's `image.repository` and kustomize's `images:`). */
export const IMAGE_REPOSITORY = "ghcr.io/kv-operator/kv-operator";
/** `org.opencontainers.image.source`. */
export const SOURCE_URL = "https://github.com/kv-operator/kv-operator";
/** The numeric user the image runs as (distroless' "nonroot"; no /etc/passwd needed). */
export const IMAGE_USER = "65532:65532";
/** Where the archive goes, relative to the repository. */
export const IMAGE_ARCHIVE = "dist/kv-operator-image.tar";
/** The Debian packages the container tooling needs (installed by this task or .ci/run when missing). */
export const CONTAINER_PACKAGES: readonly string[] = ["podman", "buildah", "umoci", "skopeo", "runc"];

const ROOT = new URL("../", import.meta.url).pathname;

/** Which controller the image carries: the compiled binary or deno + bundle. */
export type ImageVariant = "compiled" | "bundle";

/** The container's command for each variant: the same permission flags as `deno task compile` (tools/compile.ts). */
export function imageEntrypoint(variant: ImageVariant): string[] {
  if (variant === "compiled") return ["/usr/local/bin/kv-operator"];
  return [
    "/usr/local/bin/deno",
    "run",
    "--quiet",
    "--no-config",
    "--cached-only",
    ...TARGETS.controller!.permissions,
    "/app/kv-operator.js",
  ];
}

/** The version in deno.json: the image tag, the chart's appVersion and the release's version. */
export async function projectVersion(): Promise<string> {
  const cfg = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)) as { version?: string };
  if (!cfg.version) throw new Error("deno.json has no version");
  return cfg.version;
}

/** The shared libraries a dynamically linked ELF binary loads, as `ldd` lists them (absolute paths, loader too). */
export function parseLdd(output: string): string[] {
  const libs: string[] = [];
  for (const line of output.split("\n")) {
    const m = /=>\s+(\/\S+)\s+\(/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m) libs.push(m[1]!);
  }
  return libs;
}

/**
 * Container tooling as this machine allows it (../shared/docs/containers.md): vfs storage of our own under the
 * cache (no overlay mounts here; nothing shared with the host's storage), runc with cgroupfs (crun refuses the
 * hybrid cgroup layout), and no default ulimits (the sandbox refuses podman's RLIMIT_NOFILE).
 */
export async function containerEnv(): Promise<{ globalArgs: string[]; env: Record<string, string> }> {
  const dir = kvCacheDir("containers");
  await Deno.mkdir(dir, { recursive: true });
  const conf = `${dir}/containers.conf`;
  await Deno.writeTextFile(conf, "[containers]\ndefault_ulimits = []\n");
  return {
    globalArgs: ["--root", `${dir}/storage`, "--runroot", `${dir}/run`, "--storage-driver", "vfs"],
    env: { CONTAINERS_CONF: conf },
  };
}

async function which(cmd: string): Promise<boolean> {
  const r = await new Deno.Command("sh", { args: ["-c", `command -v ${cmd}`], stdout: "null", stderr: "null" })
    .output();
  return r.success;
}

/** Installs the container tooling with apt when a tool is missing (Debian, as root); throws when it cannot. */
export async function ensureContainerTools(): Promise<void> {
  const missing: string[] = [];
  for (const p of CONTAINER_PACKAGES) if (!await which(p)) missing.push(p);
  if (missing.length === 0) return;
  if (Deno.uid() !== 0 || !await which("apt-get")) {
    throw new Error(`missing ${missing.join(", ")}: apt-get install ${CONTAINER_PACKAGES.join(" ")}`);
  }
  console.error(`[image] installing ${CONTAINER_PACKAGES.join(" ")} with apt (about 2 min, once)`);
  const r = await new Deno.Command("sh", {
    args: ["-c", `apt-get update -qq && apt-get install -y -qq ${CONTAINER_PACKAGES.join(" ")}`],
    env: { DEBIAN_FRONTEND: "noninteractive" },
    stdout: "null",
    stderr: "inherit",
  }).output();
  if (!r.success) throw new Error(`apt-get install ${CONTAINER_PACKAGES.join(" ")} failed`);
}

async function run(cmd: string, args: string[], opts: { env?: Record<string, string>; quiet?: boolean } = {}) {
  const r = await new Deno.Command(cmd, {
    args,
    cwd: ROOT,
    ...(opts.env ? { env: opts.env } : {}),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(r.stdout);
  const stderr = new TextDecoder().decode(r.stderr);
  if (!r.success) throw new Error(`${cmd} ${args.join(" ")} failed:\n${stderr || stdout}`);
  if (!opts.quiet && stderr.trim()) console.error(stderr.trimEnd());
  return stdout;
}

async function copyInto(rootfs: string, from: string, to: string, mode?: number): Promise<void> {
  const dest = `${rootfs}${to}`;
  await Deno.mkdir(dest.slice(0, dest.lastIndexOf("/")), { recursive: true });
  // realPath: ldd names symlinks (libc.so.6 -> ...); the image gets the file under the name the loader asks for.
  await Deno.copyFile(await Deno.realPath(from), dest);
  if (mode !== undefined) await Deno.chmod(dest, mode);
}

/** What {@link stageImage} prepared. */
export interface StagedImage {
  variant: ImageVariant;
  /** The build context (holds `rootfs/`). */
  context: string;
  version: string;
  revision: string;
  /** Seconds since the epoch of the commit: the image's timestamps, so the same commit gives the same image. */
  timestamp: number;
}

async function gitOr(args: string[], fallback: string): Promise<string> {
  try {
    return (await run("git", args, { quiet: true })).trim() || fallback;
  } catch {
    return fallback;
  }
}

/** Builds the controller and lays out the image's build context (`rootfs/` and the Dockerfile) in `context`. */
export async function stageImage(context = `${ROOT}dist/image`): Promise<StagedImage> {
  const version = await projectVersion();
  const dirty = (await gitOr(["status", "--porcelain", "--untracked-files=no"], "")) !== "";
  const revision = (await gitOr(["rev-parse", "HEAD"], "unknown")) + (dirty ? "-dirty" : "");
  const timestamp = Number(await gitOr(["log", "-1", "--format=%ct"], "0"));
  const rootfs = `${context}/rootfs`;
  await Deno.remove(context, { recursive: true }).catch(() => {});
  await Deno.mkdir(rootfs, { recursive: true });

  const variant: ImageVariant = Deno.env.get("DENORT_BIN") ? "compiled" : "bundle";
  let binary: string;
  if (variant === "compiled") {
    console.error("[image] deno compile (DENORT_BIN is set)");
    await run(Deno.execPath(), ["run", "--allow-all", "tools/compile.ts", "controller"]);
    binary = `${ROOT}${TARGETS.controller!.output}`;
    await copyInto(rootfs, binary, "/usr/local/bin/kv-operator", 0o755);
  } else {
    console.error("[image] deno bundle controller/main.ts (no DENORT_BIN: deno + bundle)");
    await Deno.mkdir(`${rootfs}/app`);
    const bundle = `${rootfs}/app/kv-operator.js`;
    await run(Deno.execPath(), [
      "bundle",
      "--quiet",
      "--platform",
      "deno",
      // Not minified: the very bundle the tests run (tests/harness/controller_process.ts); minifying made esbuild
      // evaluate a CommonJS dependency's require("node:buffer") at load time, which Deno's ESM refuses.
      "-o",
      bundle,
      "controller/main.ts",
    ]);
    await Deno.chmod(bundle, 0o644);
    binary = Deno.execPath();
    await copyInto(rootfs, binary, "/usr/local/bin/deno", 0o755);
  }
  const libs = parseLdd(await run("ldd", [binary], { quiet: true }));
  if (libs.length === 0) throw new Error(`ldd lists no libraries for ${binary}`);
  for (const lib of libs) await copyInto(rootfs, lib, lib, 0o755);
  await copyInto(rootfs, "/etc/ssl/certs/ca-certificates.crt", "/etc/ssl/certs/ca-certificates.crt", 0o644);
  // Without it glibc asks DNS before /etc/hosts, so "localhost" could depend on the resolver.
  await Deno.writeTextFile(`${rootfs}/etc/nsswitch.conf`, "hosts: files dns\n");
  // Mount points for the emptyDir the Deployment puts on /tmp and the service account files.
  await Deno.mkdir(`${rootfs}/tmp`, { recursive: true });
  await Deno.chmod(`${rootfs}/tmp`, 0o1777);
  await Deno.copyFile(`${ROOT}deploy/Dockerfile`, `${context}/Dockerfile`);
  console.error(`[image] staged ${variant} root filesystem (${libs.length} libraries) in ${context}`);
  return { variant, context, version, revision, timestamp };
}

/** What {@link buildImage} produced. */
export interface BuiltImage {
  archive: string;
  /** The image reference recorded in the archive (`repository:version`). */
  reference: string;
  /** The manifest digest (`sha256:...`). */
  digest: string;
  sizeBytes: number;
  variant: ImageVariant;
}

/** Builds the image with buildah from the staged context and writes the `oci-archive`. */
export async function buildImage(
  opts: { archive?: string; repository?: string } = {},
): Promise<BuiltImage> {
  const started = performance.now();
  await ensureContainerTools();
  // A context of its own, so that two builds (tests, a release) never share one.
  const context = await Deno.makeTempDir({ prefix: "kv-image-" });
  try {
    return await buildFrom(await stageImage(context), opts, started);
  } finally {
    await Deno.remove(context, { recursive: true });
  }
}

async function buildFrom(
  staged: StagedImage,
  opts: { archive?: string; repository?: string },
  started: number,
): Promise<BuiltImage> {
  const archive = opts.archive ?? `${ROOT}${IMAGE_ARCHIVE}`;
  const reference = `${opts.repository ?? IMAGE_REPOSITORY}:${staged.version}`;
  const { globalArgs, env } = await containerEnv();
  const local = `localhost/kv-operator-build:${staged.version}`;
  console.error(`[image] buildah build --target ${staged.variant} -> ${reference}`);
  await run("buildah", [
    ...globalArgs,
    "build",
    "--quiet",
    "--isolation",
    "chroot",
    "--target",
    staged.variant,
    "--timestamp",
    String(staged.timestamp),
    "--build-arg",
    `VERSION=${staged.version}`,
    "--build-arg",
    `REVISION=${staged.revision}`,
    "--build-arg",
    `SOURCE=${SOURCE_URL}`,
    "-f",
    `${staged.context}/Dockerfile`,
    "-t",
    local,
    staged.context,
  ], { env, quiet: true });
  try {
    await Deno.mkdir(archive.slice(0, archive.lastIndexOf("/")) || "/", { recursive: true });
    await Deno.remove(archive).catch(() => {});
    await run("buildah", [...globalArgs, "push", "--quiet", local, `oci-archive:${archive}:${reference}`], {
      env,
      quiet: true,
    });
  } finally {
    // The local copy is only a step to the archive; vfs keeps a full copy per image, so do not let them pile up.
    await run("buildah", [...globalArgs, "rmi", local], { env, quiet: true }).catch(() => "");
  }
  const index = JSON.parse(await run("tar", ["-xOf", archive, "index.json"], { quiet: true })) as {
    manifests: { digest: string }[];
  };
  const digest = index.manifests[0]?.digest;
  if (!digest) throw new Error(`${archive} has no manifest`);
  const sizeBytes = (await Deno.stat(archive)).size;
  console.error(`[image] built in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return { archive, reference, digest, sizeBytes, variant: staged.variant };
}

async function main(args: string[]): Promise<number> {
  if (args.includes("--stage-only")) {
    const s = await stageImage();
    console.log(
      `docker build -f ${s.context}/Dockerfile --target ${s.variant} --build-arg VERSION=${s.version} ` +
        `--build-arg REVISION=${s.revision} -t ${IMAGE_REPOSITORY}:${s.version} ${s.context}`,
    );
    return 0;
  }
  const repo = args.find((a) => a.startsWith("--repository="))?.slice("--repository=".length);
  const img = await buildImage(repo ? { repository: repo } : {});
  console.log(`${img.archive}`);
  console.log(`  image:   ${img.reference} (${img.variant})`);
  console.log(`  size:    ${(img.sizeBytes / 1e6).toFixed(1)} MB (${img.sizeBytes} bytes)`);
  console.log(`  digest:  ${img.digest}`);
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
