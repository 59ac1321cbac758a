/**
 * The project's test command (`deno task test [paths...]`, which first installs the npm packages from the frozen
 * lock): prepares what the tests need (the control-plane binaries, the Azure emulators' CA, Go-built references),
 * runs the static checks and `deno test`, and ends with one line `N passed, N failed` that CI reads.
 *
 * Static checks (fmt, lint, type check) count as tests: a red one fails the run like any other.
 *
 * @module
 */
// deno-lint-ignore-file no-console -- this is a command-line program; its output is for people.
import { ensureControlPlaneBinaries } from "./harness/control_plane.ts";

const root = new URL("../", import.meta.url).pathname;
const deno = Deno.execPath();

interface Outcome {
  passed: number;
  failed: number;
  failures: string[];
}

async function step(title: string, args: string[], env?: Record<string, string>): Promise<boolean> {
  const started = performance.now();
  console.log(`\n==> ${title}`);
  const { code } = await new Deno.Command(deno, {
    args,
    cwd: root,
    stdout: "inherit",
    stderr: "inherit",
    ...(env ? { env } : {}),
  }).output();
  console.log(
    `<== ${title}: ${code === 0 ? "ok" : `FAILED (exit ${code})`} in ${
      ((performance.now() - started) / 1000).toFixed(1)
    } s`,
  );
  return code === 0;
}

/** Counts leaf test cases in Deno's JUnit report (a test with steps is a container, its steps are the tests). */
export function countJUnit(xml: string): Outcome {
  const cases = [...xml.matchAll(/<testcase name="([^"]*)"[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g)].map((m) => ({
    name: m[1]!,
    body: m[3] ?? "",
  }));
  const names = cases.map((c) => c.name);
  const outcome: Outcome = { passed: 0, failed: 0, failures: [] };
  for (const c of cases) {
    if (names.some((n) => n.startsWith(`${c.name} &gt; `))) continue;
    if (/<skipped/.test(c.body)) continue;
    if (/<failure|<error/.test(c.body)) {
      outcome.failed++;
      outcome.failures.push(c.name.replaceAll("&gt;", ">").replaceAll("&apos;", "'").replaceAll("&quot;", '"'));
    } else {
      outcome.passed++;
    }
  }
  return outcome;
}

async function emulatorCaEnv(): Promise<Record<string, string>> {
  // The Azure SDK's TLS (node:tls in Deno) takes its extra roots from NODE_EXTRA_CA_CERTS at start-up, and this
  // machine points that at the system bundle; the test process must trust the emulators' CA instead.
  const modPath = new URL("harness/azure/mod.ts", import.meta.url);
  try {
    await Deno.stat(modPath);
  } catch {
    return {};
  }
  const { ensureEmulatorCa } = await import(modPath.href);
  const ca = await ensureEmulatorCa() as { certPath: string };
  // Keep what was trusted before (the machine's bundle, which may hold a registry proxy's CA: `deno bundle` and
  // `deno install` in tests still need the npm registry), plus the emulators' CA.
  const before = Deno.env.get("NODE_EXTRA_CA_CERTS") ?? "/etc/ssl/certs/ca-certificates.crt";
  const bundle = ca.certPath.replace(/[^/]+$/, "trust-bundle.crt");
  const parts = [await Deno.readTextFile(before).catch(() => ""), await Deno.readTextFile(ca.certPath)];
  await Deno.writeTextFile(bundle, parts.filter(Boolean).join("\n"));
  return { NODE_EXTRA_CA_CERTS: bundle };
}

async function main(): Promise<number> {
  const paths = Deno.args.length > 0 ? Deno.args : ["."];
  const total: Outcome = { passed: 0, failed: 0, failures: [] };
  const record = (name: string, ok: boolean): void => {
    if (ok) total.passed++;
    else {
      total.failed++;
      total.failures.push(name);
    }
  };

  console.log("\n==> control-plane binaries (kube-apiserver, etcd; built once from the Go module proxy)");
  await ensureControlPlaneBinaries();
  const env = await emulatorCaEnv();

  record("deno fmt --check", await step("deno fmt --check", ["fmt", "--check"]));
  record("deno lint", await step("deno lint", ["lint"]));
  record("deno check", await step("deno check", ["check", "--quiet", "."]));

  const junit = await Deno.makeTempFile({ prefix: "kv-junit-", suffix: ".xml" });
  // The leak scanner (tests/harness/leak_check.ts) writes here whatever it finds when a controller stops.
  const leaks = await Deno.makeTempFile({ prefix: "kv-leaks-", suffix: ".jsonl" });
  await step(
    "deno test",
    ["test", "--allow-all", "--no-prompt", `--junit-path=${junit}`, ...paths],
    { ...env, KV_LEAK_REPORT: leaks },
  );
  const hits = (await Deno.readTextFile(leaks).catch(() => "")).split("\n").filter(Boolean);
  await Deno.remove(leaks).catch(() => {});
  for (const line of [...new Set(hits)]) {
    const { test, hit } = JSON.parse(line) as { test: string; hit: string };
    record(`leak scanner: ${test}: ${hit}`, false);
  }
  if (hits.length === 0) {
    record("leak scanner: no Key Vault value in any controller's output, metrics, status or Events", true);
  }
  const xml = await Deno.readTextFile(junit).catch(() => "");
  await Deno.remove(junit).catch(() => {});
  if (xml === "") {
    record("deno test (no report: the run crashed)", false);
  } else {
    const o = countJUnit(xml);
    total.passed += o.passed;
    total.failed += o.failed;
    total.failures.push(...o.failures);
  }

  if (total.failures.length > 0) {
    console.log("\nFailed:");
    for (const f of total.failures) console.log(`  - ${f}`);
  }
  console.log(`\n${total.passed} passed, ${total.failed} failed`);
  return total.failed === 0 ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main());
