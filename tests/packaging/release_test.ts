/**
 * `deno task release`: every artefact in one folder, each consistent with the others and with the sources. The
 * checksums pass `sha256sum -c`, the krew manifest names the archives with their real sums, the chart package holds
 * the CRDs as files and renders like the chart directory, the plugin archive installs as krew would (a link in a bin
 * directory) and runs through the real kubectl with only `deno` on PATH.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { VERSION as PLUGIN_VERSION } from "../../kubectl-plugin/main.ts";
import { krewManifest, pluginArchiveName, release, sha256sums } from "../../tools/release.ts";
import { IMAGE_REPOSITORY, projectVersion } from "../../tools/image.ts";
import { run } from "../harness/control_plane.ts";
import { helm, parseManifests, renderChart } from "./helm.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

Deno.test("krewManifest: fills the template, drops platforms not built, refuses leftovers", () => {
  const template = Deno.readTextFileSync(`${ROOT}deploy/krew/externalsecret.yaml`);
  const text = krewManifest(template, {
    version: "1.2.3",
    ownerRepo: "o/r",
    sha256: { [pluginArchiveName("linux", "amd64")]: "a".repeat(64) },
  });
  const m = parse(text);
  assert.equal(m.spec.version, "v1.2.3");
  assert.equal(m.spec.homepage, "https://github.com/o/r/tree/main/kubectl-plugin");
  assert.equal(m.spec.platforms.length, 1);
  assert.equal(
    m.spec.platforms[0].uri,
    "https://github.com/o/r/releases/download/v1.2.3/kubectl-externalsecret_linux_amd64.tar.gz",
  );
  assert.equal(m.spec.platforms[0].sha256, "a".repeat(64));
  assert.throws(
    () =>
      krewManifest(template.replace("homepage: https", "homepage: <ELSEWHERE> https"), {
        version: "1",
        ownerRepo: "o/r",
        sha256: {},
      }),
    /placeholder/,
  );
  assert.equal(sha256sums([{ name: "b", sha256: "2" }, { name: "a", sha256: "1" }]), "1  a\n2  b\n");
});

Deno.test("deno task release: consistent artefacts, checkable with sha256sum -c", async (t) => {
  const out = await Deno.makeTempDir({ prefix: "kv-release-test-" });
  try {
    const version = await projectVersion();
    const r = await release(out);
    const names = r.files.map((f) => f.name);

    await t.step("every artefact is there and SHA256SUMS checks in that folder", async () => {
      for (
        const want of [
          `kv-operator-${version}.oci.tar`,
          `kv-operator-${version}.tgz`,
          "externalsecret.yaml",
          pluginArchiveName("linux", "amd64"),
          pluginArchiveName("darwin", "arm64"),
        ]
      ) assert.ok(names.includes(want), `${want} in ${names}`);
      const check = await run("sha256sum", ["-c", "--strict", "SHA256SUMS"], { cwd: out });
      assert.equal(check.code, 0, check.stdout + check.stderr);
      const listed = Deno.readTextFileSync(`${out}/SHA256SUMS`).trim().split("\n").map((l) => l.split("  ")[1]);
      const present = [...Deno.readDirSync(out)].map((e) => e.name).filter((n) => n !== "SHA256SUMS").sort();
      assert.deepEqual(listed.sort(), present, "every file is listed, and only those");
    });

    await t.step("the krew manifest names each plugin archive with its real sha256", async () => {
      const m = parse(await Deno.readTextFile(`${out}/externalsecret.yaml`));
      assert.equal(m.spec.version, `v${PLUGIN_VERSION}`);
      assert.ok(m.spec.platforms.length >= 4);
      for (const p of m.spec.platforms) {
        const name = p.uri.split("/").pop();
        const file = r.files.find((f) => f.name === name);
        assert.ok(file, `${name} is in the release`);
        assert.equal(p.sha256, file.sha256, name);
        assert.ok(p.uri.includes(`/v${version}/`), p.uri);
      }
      assert.doesNotMatch(Deno.readTextFileSync(`${out}/externalsecret.yaml`), /<[A-Z0-9-]+>/);
    });

    await t.step(
      "the chart package: this version, the CRDs as files, renders as the chart directory does",
      async () => {
        const tgz = `${out}/kv-operator-${version}.tgz`;
        const chart = parse((await helm(["show", "chart", tgz])).stdout);
        assert.equal(chart.version, version);
        assert.equal(chart.appVersion, version);
        const list = await run("tar", ["-tvzf", tgz]);
        assert.match(list.stdout, /kv-operator\/files\/crds\/external-secrets\.io_externalsecrets\.yaml/);
        assert.doesNotMatch(list.stdout, /^l/m, "no symbolic links in the package");
        assert.doesNotMatch(list.stdout, /kustomization\.yaml/, ".helmignore keeps crds/kustomization.yaml out");
        const packaged = await helm(["template", "kv-operator", tgz, "-n", "external-secrets"]);
        assert.equal(packaged.code, 0, packaged.stderr);
        assert.deepEqual(parseManifests(packaged.stdout), await renderChart());
      },
    );

    await t.step("the image archive holds the version's image", async () => {
      const index = JSON.parse(
        (await run("tar", ["-xOf", `${out}/kv-operator-${version}.oci.tar`, "index.json"])).stdout,
      );
      assert.equal(
        index.manifests[0].annotations["org.opencontainers.image.ref.name"],
        `${IMAGE_REPOSITORY}:${version}`,
      );
    });

    await t.step("the plugin archive installs as krew does and runs through kubectl with deno from PATH", async () => {
      const home = `${out}/krew-home`;
      const store = `${home}/store/externalsecret/v${version}`;
      await Deno.mkdir(store, { recursive: true });
      await Deno.mkdir(`${home}/bin`);
      await Deno.mkdir(`${home}/deno`);
      const x = await run("tar", ["-xzf", `${out}/${pluginArchiveName("linux", "amd64")}`, "-C", store]);
      assert.equal(x.code, 0, x.stderr);
      const launcher = Deno.readTextFileSync(`${store}/kubectl-externalsecret`);
      assert.ok(!launcher.includes(ROOT), "nothing of this checkout in the launcher");
      assert.ok(!launcher.includes(Deno.execPath()), "nor this machine's deno");
      await Deno.symlink(`${store}/kubectl-externalsecret`, `${home}/bin/kubectl-externalsecret`);
      await Deno.symlink(Deno.execPath(), `${home}/deno/deno`);
      const v = await run("kubectl", ["externalsecret", "--version"], {
        env: { PATH: `${home}/bin:${home}/deno:/usr/bin:/bin`, DENO_DIR: `${home}/deno-cache`, HOME: home },
        cwd: "/",
      });
      assert.equal(v.code, 0, v.stderr);
      assert.equal(v.stdout.trim(), PLUGIN_VERSION);
    });
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
