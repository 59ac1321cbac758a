/**
 * The Go reference renderer (tests/conformance/go): built from the Go module proxy on first use, cached under
 * `${XDG_CACHE_HOME:-$HOME/.cache}/kv-operator/conformance/<hash of its sources>/`, run once per batch of cases.
 *
 * @module
 */

const GO_DIR = new URL("./go/", import.meta.url);
const SOURCES = ["go.mod", "go.sum", "main.go", "eso.go"];

export interface RefCase {
  id: number;
  name?: string;
  template: string;
  data: Record<string, string | Uint8Array>;
}

export type RefResult =
  | { id: number; ok: true; output: Uint8Array }
  | { id: number; ok: false; phase: string; error: string };

function cacheRoot(): string {
  const xdg = Deno.env.get("XDG_CACHE_HOME");
  const home = Deno.env.get("HOME") ?? "/tmp";
  return `${xdg && xdg !== "" ? xdg : `${home}/.cache`}/kv-operator/conformance`;
}

async function sourceHash(): Promise<string> {
  const parts: Uint8Array[] = [];
  for (const f of SOURCES) {
    parts.push(new TextEncoder().encode(`${f}\n`), await Deno.readFile(new URL(f, GO_DIR)));
  }
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    all.set(p, o);
    o += p.length;
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  return [...digest.slice(0, 12)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function findGo(): Promise<string> {
  for (const candidate of ["go", "/usr/local/go/bin/go"]) {
    try {
      const { success } = await new Deno.Command(candidate, { args: ["version"], stdout: "null", stderr: "null" })
        .output();
      if (success) return candidate;
    } catch {
      // not there; try the next
    }
  }
  throw new Error(
    "template conformance needs Go (the reference renderer is Go's text/template + Sprig): " +
      "`go` was not found on PATH nor at /usr/local/go/bin/go. Install Go 1.24+ with access to the Go module proxy.",
  );
}

let binaryPromise: Promise<string> | null = null;

/** Path of the reference binary, building it if this version of its sources has not been built yet. */
export function ensureReference(): Promise<string> {
  return binaryPromise ??= build();
}

async function build(): Promise<string> {
  const dir = `${cacheRoot()}/${await sourceHash()}`;
  const bin = `${dir}/conformance-ref`;
  try {
    await Deno.stat(bin);
    return bin;
  } catch {
    // not cached: build below
  }
  const go = await findGo();
  await Deno.mkdir(dir, { recursive: true });
  const tmp = `${bin}.tmp-${Deno.pid}`;
  const started = performance.now();
  const log = (s: string): void => {
    Deno.stderr.writeSync(new TextEncoder().encode(`[conformance] ${s}\n`));
  };
  log(`building the Go reference renderer (text/template + Sprig v3.3.0) into ${dir} ...`);
  const { success } = await new Deno.Command(go, {
    args: ["build", "-trimpath", "-mod=readonly", "-o", tmp, "."],
    cwd: GO_DIR.pathname,
    env: { GOFLAGS: "-mod=readonly", CGO_ENABLED: "0" },
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!success) throw new Error(`building the Go reference renderer failed (see the go output above)`);
  await Deno.rename(tmp, bin);
  log(`built in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return bin;
}

function b64(b: Uint8Array | string): string {
  const bytes = typeof b === "string" ? new TextEncoder().encode(b) : b;
  let s = "";
  for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return btoa(s);
}

function unb64(s: string): Uint8Array {
  return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
}

/** Runs all cases through the Go reference in one process. */
export async function runReference(cases: RefCase[]): Promise<Map<number, RefResult>> {
  const bin = await ensureReference();
  const input = JSON.stringify(cases.map((c) => ({
    id: c.id,
    name: c.name ?? "",
    template: c.template,
    data: Object.fromEntries(Object.entries(c.data).map(([k, v]) => [k, b64(v)])),
  })));
  const child = new Deno.Command(bin, {
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { TZ: "UTC" },
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(input));
  await writer.close();
  const { success, stdout, stderr } = await child.output();
  if (!success) throw new Error(`Go reference failed: ${new TextDecoder().decode(stderr)}`);
  const results = JSON.parse(new TextDecoder().decode(stdout)) as {
    id: number;
    ok: boolean;
    output?: string;
    phase?: string;
    error?: string;
  }[];
  const out = new Map<number, RefResult>();
  for (const r of results) {
    out.set(
      r.id,
      r.ok
        ? { id: r.id, ok: true, output: unb64(r.output ?? "") }
        : { id: r.id, ok: false, phase: r.phase ?? "", error: r.error ?? "" },
    );
  }
  return out;
}
