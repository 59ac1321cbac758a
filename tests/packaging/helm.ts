/**
 * The real helm (built from the Go module proxy by tools/build_helm.sh, cached) and the real kubectl's kustomize, for
 * the packaging tests: render the chart or the kustomize base into parsed objects.
 *
 * @module
 */
import { parseAllDocuments } from "yaml";
import { ensureHelm } from "../../tools/helm.ts";
import { type CommandResult, run } from "../harness/control_plane.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
/** The chart's directory. */
export const CHART_DIR = `${ROOT}deploy/charts/kv-operator`;

/** A rendered Kubernetes object (only the fields the tests read are typed). */
// deno-lint-ignore no-explicit-any -- rendered manifests are read by path, as a person reads YAML
type Field = any;
export type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; [k: string]: Field };
  [k: string]: Field;
};

/** Runs helm with `args`; HELM_* state goes to a temporary home so the machine's helm config plays no part. */
export async function helm(args: string[], env: Record<string, string> = {}): Promise<CommandResult> {
  const bin = await ensureHelm();
  const home = `${Deno.env.get("TMPDIR") ?? "/tmp"}/kv-helm-home`;
  return await run(bin, args, {
    env: {
      HELM_CACHE_HOME: `${home}/cache`,
      HELM_CONFIG_HOME: `${home}/config`,
      HELM_DATA_HOME: `${home}/data`,
      ...env,
    },
  });
}

/** Parses a multi-document YAML stream into objects (empty documents dropped). */
export function parseManifests(text: string): Manifest[] {
  return parseAllDocuments(text).map((d) => d.toJSON()).filter((o) => o && typeof o === "object") as Manifest[];
}

/** `helm template RELEASE CHART -n NAMESPACE ...args` → objects; throws with helm's message on failure. */
export async function renderChart(
  args: string[] = [],
  opts: { release?: string; namespace?: string } = {},
): Promise<Manifest[]> {
  const r = await helm([
    "template",
    opts.release ?? "kv-operator",
    CHART_DIR,
    "-n",
    opts.namespace ?? "external-secrets",
    ...args,
  ]);
  if (r.code !== 0) throw new Error(`helm template failed: ${r.stderr}`);
  return parseManifests(r.stdout);
}

/** `kubectl kustomize DIR` (the real kubectl's built-in kustomize) → objects. */
export async function renderKustomize(dir: string): Promise<Manifest[]> {
  const r = await run("kubectl", ["kustomize", dir]);
  if (r.code !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${r.stderr}`);
  return parseManifests(r.stdout);
}

/** The one object of `kind` (and `name`, when given); throws when there is not exactly one. */
export function one(objects: Manifest[], kind: string, name?: string): Manifest {
  const hits = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (hits.length !== 1) {
    throw new Error(`expected one ${kind}${name ? ` ${name}` : ""}, found ${hits.length}`);
  }
  return hits[0]!;
}
