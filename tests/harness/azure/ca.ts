// The emulator CA, kept across runs so a trust setting made once (NODE_EXTRA_CA_CERTS) stays valid. Layout:
//   <dir>/ca.crt  <dir>/ca.key  <dir>/server/tls.crt  <dir>/server/tls.key
// Every piece is created in a temporary directory and renamed into place, so concurrent test processes never
// see half-written files: the first rename wins and the others use what it left.
import { createPrivateKey, createPublicKey } from "node:crypto";
import { openssl } from "./openssl.ts";
import { generateCertificate } from "./x509.ts";

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

export function defaultCaDir(): string {
  const cache = Deno.env.get("XDG_CACHE_HOME") || `${Deno.env.get("HOME") ?? "/tmp"}/.cache`;
  return `${cache}/kv-operator/emulator-ca`;
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

/**
 * Puts the freshly made directory `tmp` at `target` unless `stillNeeded()` turns false meanwhile (another process
 * won the race), moving an unusable `target` aside first. The first rename to land wins; losers discard theirs.
 */
async function install(tmp: string, target: string, stillNeeded: () => Promise<boolean>): Promise<void> {
  if (!(await stillNeeded())) {
    await Deno.remove(tmp, { recursive: true });
    return;
  }
  const parent = target.slice(0, target.lastIndexOf("/"));
  let stale: string | undefined;
  if (await exists(target)) {
    stale = `${parent}/.stale-${crypto.randomUUID()}`;
    await Deno.rename(target, stale).catch(() => (stale = undefined));
  }
  try {
    await Deno.rename(tmp, target);
  } catch (e) {
    await Deno.remove(tmp, { recursive: true });
    if (!(await exists(target))) throw e;
  }
  if (stale) await Deno.remove(stale, { recursive: true }).catch(() => {});
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

/** Creates (once) and returns the emulator CA. `dir` defaults to `${XDG_CACHE_HOME:-$HOME/.cache}/kv-operator/emulator-ca`. */
export async function ensureEmulatorCa(dir: string = defaultCaDir()): Promise<EmulatorCa> {
  const certPath = `${dir}/ca.crt`;
  const keyPath = `${dir}/ca.key`;
  const missing = async (): Promise<boolean> => !(await exists(certPath)) || !(await exists(keyPath));
  for (let attempt = 0;; attempt++) {
    if (await missing()) {
      const parent = dir.slice(0, dir.lastIndexOf("/")) || "/";
      await Deno.mkdir(parent, { recursive: true });
      const tmp = await Deno.makeTempDir({ dir: parent, prefix: ".emulator-ca-" });
      const ca = await generateCertificate({
        subject: "CN=kv-operator Azure emulator CA",
        keyType: "ec",
        days: 3650,
        ca: true,
      });
      await writeCertDir(tmp, { cert: "ca.crt", key: "ca.key" }, ca);
      await install(tmp, dir, missing);
    }
    try {
      return { certPath, keyPath, certPem: await Deno.readTextFile(certPath) };
    } catch (e) {
      // Replaced under our feet by a concurrent repair: read again.
      if (!(e instanceof Deno.errors.NotFound) || attempt >= 3) throw e;
    }
  }
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
  const serverDir = `${dir}/server`;
  const certPath = `${serverDir}/tls.crt`;
  const keyPath = `${serverDir}/tls.key`;
  for (let attempt = 0;; attempt++) {
    const ca = await ensureEmulatorCa(dir);
    const unusable = async (): Promise<boolean> => !(await serverCertUsable(ca, certPath));
    if (await unusable()) {
      const tmp = await Deno.makeTempDir({ dir, prefix: ".server-" });
      const leaf = await generateCertificate({
        subject: "CN=localhost",
        keyType: "ec",
        days: 825,
        sans: SERVER_SANS,
        issuer: { certPath: ca.certPath, keyPath: ca.keyPath },
      });
      await writeCertDir(tmp, { cert: "tls.crt", key: "tls.key" }, leaf);
      await install(tmp, serverDir, unusable);
    }
    try {
      const certPem = await Deno.readTextFile(certPath);
      const keyPem = await Deno.readTextFile(keyPath);
      // Two reads can straddle a concurrent swap; only a matching pair is worth returning.
      if (samePublicKey(certPem, keyPem) || attempt >= 3) {
        return { caCertPath: ca.certPath, certPath, keyPath, certPem, keyPem };
      }
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound) || attempt >= 3) throw e;
    }
  }
}
