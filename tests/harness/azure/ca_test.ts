import assert from "node:assert/strict";
import { ensureEmulatorCa, ensureServerCertificate } from "./ca.ts";
import { openssl } from "./openssl.ts";

Deno.test("the CA is created once, concurrently safely, and kept; the server certificate chains to it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const caDir = `${dir}/nested/emulator-ca`;
    const results = await Promise.all([1, 2, 3, 4].map(() => ensureEmulatorCa(caDir)));
    assert.equal(new Set(results.map((r) => r.certPem)).size, 1, "every caller sees the same CA");
    assert.equal(results[0]?.certPath, `${caDir}/ca.crt`);
    assert.equal((await Deno.stat(`${caDir}/ca.key`)).mode! & 0o777, 0o600);
    assert.deepEqual([...Deno.readDirSync(`${dir}/nested`)].map((e) => e.name), ["emulator-ca"], "no temp dirs left");

    const servers = await Promise.all([1, 2, 3].map(() => ensureServerCertificate(caDir)));
    assert.equal(new Set(servers.map((s) => s.certPem)).size, 1);
    const server = servers[0]!;
    assert.equal(server.caCertPath, `${caDir}/ca.crt`);
    await openssl(["verify", "-CAfile", server.caCertPath, server.certPath]);
    const text = new TextDecoder().decode(
      await openssl(["x509", "-in", server.certPath, "-noout", "-ext", "subjectAltName"]),
    );
    assert.match(text, /DNS:localhost, IP Address:127\.0\.0\.1/);

    // Kept across runs: a second call changes nothing.
    assert.equal((await ensureEmulatorCa(caDir)).certPem, results[0]?.certPem);
    assert.equal((await ensureServerCertificate(caDir)).certPem, server.certPem);

    // A server certificate from another CA is replaced.
    await Deno.remove(`${caDir}/ca.crt`);
    await Deno.remove(`${caDir}/ca.key`);
    await Deno.remove(caDir, { recursive: true });
    const renewed = await ensureServerCertificate(caDir);
    assert.notEqual(renewed.certPem, server.certPem);
    await openssl(["verify", "-CAfile", renewed.caCertPath, renewed.certPath]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a stale server certificate (signed by an older CA) is regenerated in place", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const first = await ensureServerCertificate(dir);
    // Swap in a new CA under the existing server certificate.
    await Deno.remove(`${dir}/ca.crt`);
    await Deno.remove(`${dir}/ca.key`);
    const ca = await ensureEmulatorCa(dir);
    const second = await ensureServerCertificate(dir);
    assert.notEqual(second.certPem, first.certPem);
    await openssl(["verify", "-CAfile", ca.certPath, second.certPath]);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["ca.crt", "ca.key", "server"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parallel processes creating the CA and server certificate agree on one", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const caDir = `${dir}/emulator-ca`;
    const module = new URL("./ca.ts", import.meta.url).href;
    const code = `const { ensureServerCertificate } = await import(${JSON.stringify(module)});
      const s = await ensureServerCertificate(${JSON.stringify(caDir)});
      console.log(JSON.stringify([await Deno.readTextFile(s.caCertPath), s.certPem]));`;
    const outs = await Promise.all(
      [1, 2, 3, 4].map(() => new Deno.Command(Deno.execPath(), { args: ["eval", code], stdin: "null" }).output()),
    );
    for (const o of outs) assert.ok(o.success, new TextDecoder().decode(o.stderr));
    const seen = new Set(outs.map((o) => new TextDecoder().decode(o.stdout).trim()));
    assert.equal(seen.size, 1, "all processes returned the same CA and server certificate");
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["emulator-ca"], "no locks or temp dirs left");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
