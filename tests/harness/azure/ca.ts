// The emulator CA, kept across runs so a trust setting made once (NODE_EXTRA_CA_CERTS) stays valid. Layout:
//   <dir>/ca.crt  <dir>/ca.key  <dir>/server/tls.crt  <dir>/server/tls.key
// Every piece is created in a temporary directory and renamed into place, so concurrent test processes never
// see half-written files: the first rename wins and the others use what it left.
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

/** Renames `from` to `to` unless `to` already holds something; then `from` is discarded. */
async function publish(from: string, to: string): Promise<void> {
  try {
    await Deno.rename(from, to);
  } catch (e) {
    await Deno.remove(from, { recursive: true });
    if (!(await exists(to))) throw e;
  }
}

async function writeCertDir(
  dir: string,
  names: { cert: string; key: string },
  pem: { certPem: string; keyPem: string },
): Promise<void> {
  await Deno.writeTextFile(`${dir}/${names.cert}`, pem.certPem);
  await Deno.writeTextFile(`${dir}/${names.key}`, pem.keyPem, { mode: 0o600 });
}

/** Creates (once) and returns the emulator CA. `dir` defaults to `${XDG_CACHE_HOME:-$HOME/.cache}/kv-operator/emulator-ca`. */
export async function ensureEmulatorCa(dir: string = defaultCaDir()): Promise<EmulatorCa> {
  const certPath = `${dir}/ca.crt`;
  const keyPath = `${dir}/ca.key`;
  if (!(await exists(certPath)) || !(await exists(keyPath))) {
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
    await Deno.chmod(tmp, 0o755); // ca.crt must be readable by whoever trusts it; ca.key stays 0600
    // An empty leftover directory would block nothing (rename replaces it); a complete one wins.
    await publish(tmp, dir);
  }
  return { certPath, keyPath, certPem: await Deno.readTextFile(certPath) };
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
  if (!(await serverCertUsable(ca, certPath))) {
    const tmp = await Deno.makeTempDir({ dir, prefix: ".server-" });
    const leaf = await generateCertificate({
      subject: "CN=localhost",
      keyType: "ec",
      days: 825,
      sans: SERVER_SANS,
      issuer: { certPath: ca.certPath, keyPath: ca.keyPath },
    });
    await writeCertDir(tmp, { cert: "tls.crt", key: "tls.key" }, leaf);
    await Deno.chmod(tmp, 0o755);
    let stale: string | undefined;
    if (await exists(serverDir)) {
      // Expiring or from an older CA: move it aside so the rename below can land.
      stale = `${dir}/.stale-${crypto.randomUUID()}`;
      await Deno.rename(serverDir, stale).catch(() => (stale = undefined));
    }
    await publish(tmp, serverDir);
    if (stale) await Deno.remove(stale, { recursive: true }).catch(() => {});
  }
  return {
    caCertPath: ca.certPath,
    certPath,
    keyPath,
    certPem: await Deno.readTextFile(certPath),
    keyPem: await Deno.readTextFile(keyPath),
  };
}
