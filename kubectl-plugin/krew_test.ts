import assert from "node:assert/strict";
import { parse } from "yaml";
import { VERSION } from "./main.ts";

const MANIFEST = new URL("../deploy/krew/externalsecret.yaml", import.meta.url);

Deno.test("the krew manifest: a valid Plugin for kubectl-externalsecret, with documented placeholders only", async () => {
  const text = await Deno.readTextFile(MANIFEST);
  const m = parse(text);
  assert.equal(m.apiVersion, "krew.googlecontainertools.github.com/v1alpha2");
  assert.equal(m.kind, "Plugin");
  assert.equal(m.metadata.name, "externalsecret", "kubectl externalsecret <=> kubectl-externalsecret");
  assert.match(m.spec.shortDescription, /^.{1,50}$/, "krew asks for a short one-line description");
  const platforms = m.spec.platforms as {
    selector: { matchLabels: Record<string, string> };
    uri: string;
    sha256: string;
    bin: string;
  }[];
  const seen = platforms.map((p) => `${p.selector.matchLabels.os}/${p.selector.matchLabels.arch}`);
  assert.deepEqual(seen, ["linux/amd64", "linux/arm64", "darwin/amd64", "darwin/arm64", "windows/amd64"]);
  for (const p of platforms) {
    const os = p.selector.matchLabels.os!;
    assert.equal(p.bin, os === "windows" ? "kubectl-externalsecret.exe" : "kubectl-externalsecret");
    assert.ok(p.uri.endsWith(os === "windows" ? ".zip" : ".tar.gz"), p.uri);
    assert.ok(p.uri.includes(`${os}_${p.selector.matchLabels.arch}`), p.uri);
    assert.match(p.sha256, /^<SHA256-[a-z0-9-]+>$/);
  }
  // Every placeholder used is explained in the header comment, and the version is the plugin's.
  const used = new Set([...text.replace(/^#.*$/gm, "").matchAll(/<([A-Z0-9-]+)(?:-[a-z0-9-]+)?>/g)].map((x) => x[1]!));
  const header = text.split("\napiVersion:")[0]!;
  for (const p of used) assert.ok(header.includes(`<${p}`), `placeholder <${p}> is documented`);
  assert.match(header, new RegExp(`here ${VERSION.replaceAll(".", "\\.")}`));
});
