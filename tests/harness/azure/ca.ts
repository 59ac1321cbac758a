// The emulator CA, kept across runs so a trust setting made once (NODE_EXTRA_CA_CERTS) stays valid. Layout:
//   <dir>/ca.crt  <dir>/ca.key  <dir>/server/tls.crt  <dir>/server/tls.key
// Creation and repair happen under a lock file (test processes start in parallel), each piece is written to a
// temporary directory and renamed into place, so readers, who take no lock, never see half-written files.
import { createPrivateKey, createPublicKey } from "node:crypto";
import { openssl } from "./openssl.ts";
import { generateCertificate } from "./x509.ts";
import { kvCacheDir } from "../cache_dir.ts";

export interface EmulatorCa {
  certPath: string;
  keyPath: string;
  certPem: string;
}

export interface ServerCertificate {
  caCertPath: string;
  certPath: string;
  keyPath: string;
  certPem: string;
  keyPem: string;
}

/** Host names the server certificate covers: vaults are told apart by port, so these are all we need. */
export const SERVER_SANS = ["DNS:localhost", "IP:127.0.0.1", "IP:::1"];
/** A lock older than this is taken to be left by a crashed process. */
const STALE_LOCK_MS = 30_000;

export function defaultCaDir(): string {
  return kvCacheDir("emulator-ca");
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** Runs `fn` holding `lockPath` (created exclusively), across processes. */
async function withLock<T>(lockPath: string, fn: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      (await Deno.open(lockPath, { createNew: true, write: true })).close();
      break;
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
      const age = await Deno.stat(lockPath).then((s) => Date.now() - (s.mtime?.getTime() ?? 0), () => 0);
      if (age > STALE_LOCK_MS) await Deno.remove(lockPath).catch(() => {});
      else await new Promise((r) => setTimeout(r, 20));
    }
  }
  try {
    return await fn();
  } finally {
    await Deno.remove(lockPath).catch(() => {});
  }
}

/** Replaces `target` by the directory `tmp` (the old one, if any, is moved aside first, then removed). */
async function install(tmp: string, target: string): Promise<void> {
  const stale = `${target}.stale-${crypto.randomUUID()}`;
  const hadOld = await Deno.rename(target, stale).then(() => true, () => false);
  await Deno.rename(tmp, target);
  if (hadOld) await Deno.remove(stale, { recursive: true });
}

async function writeCertDir(
  dir: string,
  names: { cert: string; key: string },
  pem: { certPem: string; keyPem: string },
): Promise<void> {
  await Deno.writeTextFile(`${dir}/${names.key}`, pem.keyPem, { mode: 0o600 });
  await Deno.writeTextFile(`${dir}/${names.cert}`, pem.certPem);
  await Deno.chmod(dir, 0o755); // certificates must be readable by whoever trusts them; keys stay 0600
}

/** Reads `paths` again when a concurrent repair swaps them away between our reads. */
async function readAll(paths: string[]): Promise<string[]> {
  for (let attempt = 0;; attempt++) {
    try {
      return await Promise.all(paths.map((p) => Deno.readTextFile(p)));
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound) || attempt >= 5) throw e;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** Creates (once) and returns the emulator CA. `dir` defaults to `${XDG_CACHE_HOME:-$HOME/.cache}/kv-operator/emulator-ca`. */
export async function ensureEmulatorCa(dir: string = defaultCaDir()): Promise<EmulatorCa> {
  const certPath = `${dir}/ca.crt`;
  const keyPath = `${dir}/ca.key`;
  const missing = async (): Promise<boolean> => !(await exists(certPath)) || !(await exists(keyPath));
  if (await missing()) {
    const parent = dir.slice(0, dir.lastIndexOf("/")) || "/";
    await Deno.mkdir(parent, { recursive: true });
    await withLock(`${dir}.lock`, async () => {
      if (!(await missing())) return; // made by whoever held the lock before us
      const tmp = await Deno.makeTempDir({ dir: parent, prefix: ".emulator-ca-" });
      const ca = await generateCertificate({
        subject: "CN=kv-operator Azure emulator CA",
        keyType: "ec",
        days: 3650,
        ca: true,
      });
      await writeCertDir(tmp, { cert: "ca.crt", key: "ca.key" }, ca);
      await install(tmp, dir);
    });
  }
  const [certPem = ""] = await readAll([certPath]);
  return { certPath, keyPath, certPem };
}

function samePublicKey(certPem: string, keyPem: string): boolean {
  const a = createPublicKey(certPem).export({ format: "jwk" });
  const b = createPublicKey(createPrivateKey(keyPem)).export({ format: "jwk" });
  return a.x === b.x && a.y === b.y && a.n === b.n;
}

async function serverCertUsable(ca: EmulatorCa, certPath: string): Promise<boolean> {
  if (!(await exists(certPath))) return false;
  // Valid and chaining to the current CA 30 days from now, so a long test run never crosses an expiry.
  const at = Math.floor(Date.now() / 1000) + 30 * 86400;
  try {
    await openssl(["verify", "-CAfile", ca.certPath, "-attime", String(at), certPath]);
    return true;
  } catch {
    return false;
  }
}

/** The TLS certificate every emulator server presents: SANs localhost, 127.0.0.1 and ::1, signed by the CA. */
export async function ensureServerCertificate(dir: string = defaultCaDir()): Promise<ServerCertificate> {
  const ca = await ensureEmulatorCa(dir);
  const serverDir = `${dir}/server`;
  const certPath = `${serverDir}/tls.crt`;
  const keyPath = `${serverDir}/tls.key`;
  const unusable = async (): Promise<boolean> => !(await serverCertUsable(ca, certPath));
  if (await unusable()) {
    await withLock(`${dir}/server.lock`, async () => {
      if (!(await unusable())) return;
      const tmp = await Deno.makeTempDir({ dir, prefix: ".server-" });
      const leaf = await generateCertificate({
        subject: "CN=localhost",
        keyType: "ec",
        days: 825,
        sans: SERVER_SANS,
        issuer: { certPath: ca.certPath, keyPath: ca.keyPath },
      });
      await writeCertDir(tmp, { cert: "tls.crt", key: "tls.key" }, leaf);
      await install(tmp, serverDir);
    });
  }
  for (let attempt = 0;; attempt++) {
    const [certPem = "", keyPem = ""] = await readAll([certPath, keyPath]);
    // Two reads can straddle a concurrent repair; only a matching pair is worth returning.
    if (samePublicKey(certPem, keyPem) || attempt >= 5) {
      return { caCertPath: ca.certPath, certPath, keyPath, certPem, keyPem };
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}
