/**
 * `kubectl externalsecret render -f externalsecret.yaml --values values.yaml`: renders an ExternalSecret's target
 * Secret offline (no cluster, no vault) with the controller's own template engine, from values the user supplies.
 * This is the one command that prints secret values: they are the user's own input.
 *
 * @module
 */
import { ANNOTATION_DATA_HASH, dataHash, type ExternalSecret, LABEL_MANAGED } from "../mod.ts";
import type { Secret } from "../controller/kube/mod.ts";
import { CliError, ExitCode, UsageError } from "./errors.ts";
import { type GlobalFlags, requireOutput } from "./global.ts";
import { type Output, toJson, toYaml } from "./output.ts";
import { targetSecretName } from "./summary.ts";

/** Options of `render`. */
export interface RenderOptions {
  filename?: string;
  values?: string;
  decode?: boolean;
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return path === "-" ? await new Response(Deno.stdin.readable).text() : await Deno.readTextFile(path);
  } catch (e) {
    throw new CliError(`cannot read ${what} ${path}: ${(e as Error).message}`);
  }
}

/** An object of kind ExternalSecret with metadata and spec objects (the rest is the planner's to judge). */
function isExternalSecret(item: unknown): item is ExternalSecret {
  if (typeof item !== "object" || item === null) return false;
  const o = item as Record<string, unknown>;
  return o["kind"] === "ExternalSecret" && typeof o["metadata"] === "object" && o["metadata"] !== null &&
    typeof o["spec"] === "object" && o["spec"] !== null;
}

/** The ExternalSecrets in a YAML (or JSON) text; other kinds are skipped. */
export async function parseExternalSecrets(text: string, source: string): Promise<ExternalSecret[]> {
  const { parseAllDocuments } = await import("yaml");
  const out: ExternalSecret[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new CliError(`${source} is not valid YAML: ${doc.errors[0]!.message}`);
    const obj = doc.toJSON() as Record<string, unknown> | null;
    if (!obj || typeof obj !== "object") continue;
    const items = obj["kind"] === "List" && Array.isArray(obj["items"])
      ? obj["items"] as Record<string, unknown>[]
      : [obj];
    for (const item of items) {
      if (isExternalSecret(item)) out.push(item);
    }
  }
  if (out.length === 0) throw new CliError(`${source} contains no ExternalSecret`);
  return out;
}

/** The values file: a YAML map of `secretKey` → string value. */
export async function parseValues(text: string, source: string): Promise<Record<string, string>> {
  const { parse } = await import("yaml");
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new CliError(`${source} is not valid YAML: ${(e as Error).message.split("\n")[0]}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== "object" || Array.isArray(doc)) {
    throw new CliError(`${source} must be a map of secretKey: value`);
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
    if (typeof v !== "string") {
      throw new CliError(`${source}: the value of "${k}" must be a string (quote it, e.g. ${k}: "${String(v)}")`);
    }
    out[k] = v;
  }
  return out;
}

/** Renders the target Secret of `es` from `values` with the controller's engine (pure but for lazy imports). */
export async function renderTarget(es: ExternalSecret, values: Record<string, string>): Promise<Secret> {
  const keys = (es.spec.data ?? []).map((d) => d.secretKey);
  const missing = keys.filter((k) => !(k in values));
  const name = es.metadata?.name ?? "<unnamed>";
  if (missing.length > 0) {
    throw new CliError(
      `ExternalSecret ${name}: the values file has no ${missing.map((k) => `"${k}"`).join(", ")} ` +
        `(it needs every spec.data[].secretKey: ${keys.join(", ")})`,
    );
  }
  // Without dataFrom only the data[] keys come from the provider; with it, any key may.
  const chosen = (es.spec.dataFrom ?? []).length > 0 ? Object.keys(values) : keys;
  const enc = new TextEncoder();
  const input: Record<string, Uint8Array> = Object.fromEntries(chosen.map((k) => [k, enc.encode(values[k]!)]));
  const template = es.spec.target?.template;
  let rendered: {
    data: Record<string, Uint8Array>;
    labels: Record<string, string>;
    annotations: Record<string, string>;
  };
  if (template) {
    const { renderSecretTemplate } = await import("../mod.ts");
    try {
      // the controller's limits; in process (a CLI has no event loop to protect, and no worker to leave running)
      rendered = await renderSecretTemplate(template, input, {}, { offload: "never" });
    } catch (e) {
      throw new CliError(`ExternalSecret ${name}: ${(e as Error).message}`);
    }
  } else {
    rendered = { data: input, labels: {}, annotations: {} };
  }
  const data: Record<string, string> = {};
  for (const k of Object.keys(rendered.data).sort()) data[k] = b64(rendered.data[k]!);
  const secret: Secret = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: targetSecretName(es),
      ...(es.metadata?.namespace ? { namespace: es.metadata.namespace } : {}),
      labels: { ...rendered.labels, [LABEL_MANAGED]: "true" },
      annotations: { ...rendered.annotations, [ANNOTATION_DATA_HASH]: dataHash(rendered.data) },
    },
    type: template?.type ?? "Opaque",
    data,
  };
  return secret;
}

function b64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** Moves UTF-8 values from `data` (base64) to `stringData` (text), for reading; binary values stay in `data`. */
export function decodeForReading(secret: Secret): Secret {
  const data: Record<string, string> = {};
  const stringData: Record<string, string> = {};
  const dec = new TextDecoder("utf-8", { fatal: true });
  for (const [k, v] of Object.entries(secret.data ?? {})) {
    try {
      stringData[k] = dec.decode(Uint8Array.from(atob(v), (c) => c.charCodeAt(0)));
    } catch {
      data[k] = v;
    }
  }
  const { data: _d, ...rest } = secret;
  return { ...rest, ...(Object.keys(data).length ? { data } : {}), stringData };
}

/** Runs `render`; returns the exit code. */
export async function runRender(opts: RenderOptions, flags: GlobalFlags, out: Output): Promise<number> {
  requireOutput(flags, ["yaml", "json"], "render");
  if (!opts.filename) throw new UsageError("-f FILE is required: the ExternalSecret manifest to render");
  if (!opts.values) throw new UsageError("--values FILE is required: a YAML map of secretKey: value");
  if (opts.filename === "-" && opts.values === "-") throw new UsageError("only one of -f and --values can be stdin");
  const list = await parseExternalSecrets(await readText(opts.filename, "-f"), opts.filename);
  const values = await parseValues(await readText(opts.values, "--values"), opts.values);
  const rendered: Secret[] = [];
  for (const es of list) {
    const secret = await renderTarget(es, values);
    rendered.push(opts.decode ? decodeForReading(secret) : secret);
  }
  if (flags.output === "json") {
    out.out(toJson(rendered.length === 1 ? rendered[0] : { apiVersion: "v1", kind: "List", items: rendered }));
  } else {
    const docs: string[] = [];
    for (const s of rendered) docs.push(await toYaml(s));
    out.out(docs.join("\n---\n"));
  }
  return ExitCode.Ok;
}
