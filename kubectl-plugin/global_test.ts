import assert from "node:assert/strict";
import { UsageError } from "./errors.ts";
import { expandWaitFlag, requireOutput, scopeOf } from "./global.ts";
import { main } from "./main.ts";
import { Output } from "./output.ts";

/** Runs the plugin in-process with captured output. */
async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const o = new Output({
    out: (s) => (out += s),
    err: (s) => (err += s),
    outIsTerminal: false,
    errIsTerminal: false,
  }, () => undefined);
  const code = await main(args, o);
  return { code, out, err };
}

Deno.test("expandWaitFlag(): --wait never swallows the next argument; --wait=T carries a timeout", () => {
  assert.deepEqual(expandWaitFlag(["sync", "--wait", "regcred"]), ["sync", "--wait", "regcred"]);
  assert.deepEqual(expandWaitFlag(["sync", "--wait=2m", "a"]), ["sync", "--wait", "--wait-timeout=2m", "a"]);
  assert.deepEqual(expandWaitFlag(["--wait=true"]), ["--wait"]);
  assert.deepEqual(expandWaitFlag(["--wait=false", "x"]), ["x"]);
  assert.deepEqual(expandWaitFlag(["--", "--wait=1s"]), ["--", "--wait=1s"]);
});

Deno.test("scopeOf(): -A, -n, else the context's namespace", () => {
  assert.deepEqual(scopeOf({ allNamespaces: true, namespace: "x" }, "ctx"), { namespace: undefined, explicit: true });
  assert.deepEqual(scopeOf({ namespace: "x" }, "ctx"), { namespace: "x", explicit: true });
  assert.deepEqual(scopeOf({}, "ctx"), { namespace: "ctx", explicit: false });
  assert.deepEqual(scopeOf({}, ""), { namespace: "default", explicit: false });
});

Deno.test("requireOutput() rejects formats a command does not print", () => {
  requireOutput({ output: "wide" }, ["wide", "json"], "status");
  requireOutput({}, [], "vault set");
  assert.throws(() => requireOutput({ output: "wide" }, ["name"], "sync"), UsageError);
  assert.throws(() => requireOutput({ output: "json" }, [], "vault set"), /has no -o/);
});

Deno.test("--help: every command documents examples, RBAC and exit codes", async () => {
  const root = await run(["--help"]);
  assert.equal(root.code, 0);
  assert.match(root.out, /Exit codes:\n {2}0 .*\n {2}1 .*\n( {5}.*\n)? {2}2 .*\n {2}3 {2}not all Ready/);
  for (const cmd of [["status"], ["sync"], ["explain"], ["where-used"], ["vault", "set"], ["completion"], ["render"]]) {
    const r = await run([...cmd, "--help"]);
    assert.equal(r.code, 0, cmd.join(" "));
    assert.match(r.out, /Examples:\n {2}kubectl externalsecret /, cmd.join(" "));
    assert.match(r.out, /RBAC: /, cmd.join(" "));
    assert.match(r.out, /-n, --namespace/, `${cmd.join(" ")} shows the global flags`);
  }
  assert.match((await run(["render", "--help"])).out, /only command that prints secret values/);
  const none = await run([]);
  assert.equal(none.code, 0);
  assert.match(none.out, /Usage: kubectl externalsecret/);
  assert.equal((await run(["--version"])).out.trim(), "0.1.0");
});

Deno.test("usage errors exit 2 before anything is contacted", async () => {
  const cases: string[][] = [
    ["bogus"],
    ["status", "--frobnicate"],
    ["-o", "table", "status"],
    ["status", "regcred", "-A"],
    ["status", "regcred", "-l", "app=x"],
    ["status", "-l", "app in x"],
    ["sync"],
    ["sync", "regcred", "--all"],
    ["sync", "regcred", "-A"],
    ["sync", "regcred", "--wait=soon"],
    ["sync", "regcred", "-o", "wide"],
    ["vault", "set", "--name", "x", "--value", "v"],
    ["vault", "set", "--store", "a", "--cluster-store", "b", "--name", "x", "--value", "v"],
    ["vault", "set", "--cluster-store", "b", "--name", "bad_name", "--value", "v"],
    ["vault", "set", "--cluster-store", "b", "--name", "x", "--value", "v", "--wait"],
    ["vault", "set", "--cluster-store", "b", "--name", "x", "--value", "v", "--tag", "novalue"],
    ["render", "--values", "v.yaml"],
    ["render", "-f", "es.yaml"],
    ["render", "-f", "es.yaml", "--values", "v.yaml", "-o", "name"],
  ];
  for (const args of cases) {
    const r = await run(args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.err}`);
    assert.match(r.err, /error/, args.join(" "));
    assert.doesNotMatch(r.err, /\n\s+at /, `${args.join(" ")}: no stack trace`);
  }
});

Deno.test("parseOutput(), parseRequestTimeout(), splitContexts(): kubectl's spellings", async () => {
  const { parseOutput, parseRequestTimeout, splitContexts } = await import("./global.ts");
  assert.deepEqual(parseOutput("wide"), { output: "wide" });
  assert.deepEqual(parseOutput("jsonpath={.items[*].metadata.name}"), {
    output: "jsonpath",
    template: "{.items[*].metadata.name}",
  });
  assert.deepEqual(parseOutput("custom-columns=N:.metadata.name"), {
    output: "custom-columns",
    template: "N:.metadata.name",
  });
  assert.throws(() => parseOutput("jsonpath"), /unable to match a printer/);
  assert.throws(() => parseOutput("jsonpath="), /needs a template/);
  assert.throws(() => parseOutput("table"), UsageError);
  assert.equal(parseRequestTimeout("0"), 0);
  assert.equal(parseRequestTimeout("5"), 5000);
  assert.equal(parseRequestTimeout("1m30s"), 90_000);
  assert.equal(parseRequestTimeout("500ms"), 500);
  assert.throws(() => parseRequestTimeout("soon"), /invalid --request-timeout/);
  assert.deepEqual(splitContexts(["a,b", "c", "a", " ,d"]), ["a", "b", "c", "d"]);
});

Deno.test("flags: --as-group needs --as; -o is checked; --parallel is a positive whole number", async () => {
  assert.equal((await run(["status", "--as-group", "g"])).code, 2);
  const bad = await run(["status", "-o", "table"]);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /unable to match a printer suitable for the output format "table"/);
  assert.equal((await run(["status", "--parallel", "0"])).code, 2);
  assert.equal((await run(["status", "--request-timeout", "x"])).code, 2);
});
