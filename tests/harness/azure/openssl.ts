// Thin wrapper over the openssl CLI (OpenSSL 3 is installed on every machine we use); X.509 creation is the one
// thing neither WebCrypto nor node:crypto offers.

/** Runs openssl with `args` in `cwd`; returns stdout as bytes, throws with stderr on a non-zero exit. */
export async function openssl(args: string[], cwd?: string): Promise<Uint8Array> {
  const out = await new Deno.Command("openssl", { args, ...(cwd ? { cwd } : {}), stdin: "null" }).output();
  if (!out.success) throw new Error(`openssl ${args[0]} failed: ${new TextDecoder().decode(out.stderr).trim()}`);
  return out.stdout;
}

/** Synchronous variant, for the few registry calls that hand back a certificate at once. */
export function opensslSync(args: string[], cwd?: string): Uint8Array {
  const out = new Deno.Command("openssl", { args, ...(cwd ? { cwd } : {}), stdin: "null" }).outputSync();
  if (!out.success) throw new Error(`openssl ${args[0]} failed: ${new TextDecoder().decode(out.stderr).trim()}`);
  return out.stdout;
}
