/**
 * A cluster as ESO's Helm chart leaves it, built on a real API server without network access (CI has none, and ESO's
 * files are not committed here): CRDs with ESO's version history and Helm's field manager, and an ExternalSecret +
 * Secret exactly as ESO v2.9 writes them after a sync.
 *
 * The CRDs are derived from our own `crds/` by default. `ESO_CRDS_BUNDLE=/path/to/bundle.yaml` (ESO's published
 * `deploy/crds/bundle.yaml`) uses ESO's real CRDs instead, for a check by hand against the real thing.
 *
 * History, as on a cluster that ran ESO before 0.17 and was upgraded since:
 * 1. CRDs with `v1beta1` served and stored, created by Helm 3 (`kubectl create --field-manager=helm`: an Update, as
 *    Helm 3 writes), and objects stored as `v1beta1` in etcd;
 * 2. the v2.9 CRDs (`v1` stored, `v1beta1` listed but neither served nor stored), applied by Helm 4 (server-side apply,
 *    field manager `helm`), and `status.storedVersions` = `[v1beta1, v1]`.
 *
 * @module
 */
import { parseAllDocuments, stringify } from "yaml";
import { dataHash, ownerLabelValue, syncedResourceVersion } from "../../controller/reconcile/eso_hash.ts";
import type { ExternalSecret } from "../../controller/api/types.ts";
import type { Secret } from "../../controller/kube/types.ts";
import type { ControlPlane } from "./control_plane.ts";

// deno-lint-ignore no-explicit-any -- CRDs are edited by path, as a person would with yq
type Obj = Record<string, any>;

const REPO_ROOT = new URL("../../", import.meta.url);
const GROUP = "external-secrets.io";

/** The CRDs of the kinds this operator serves, by name. */
export const CRD_NAMES = [
  `externalsecrets.${GROUP}`,
  `secretstores.${GROUP}`,
  `clustersecretstores.${GROUP}`,
  `clusterexternalsecrets.${GROUP}`,
] as const;

/** What Helm puts on every object it creates (release `external-secrets` in namespace `external-secrets`). */
function helmOwned(crd: Obj): Obj {
  const out = structuredClone(crd);
  out.metadata.labels = { ...out.metadata.labels, "app.kubernetes.io/managed-by": "Helm" };
  out.metadata.annotations = {
    ...out.metadata.annotations,
    "meta.helm.sh/release-name": "external-secrets",
    "meta.helm.sh/release-namespace": "external-secrets",
  };
  return out;
}

async function ourCrds(): Promise<Obj[]> {
  const out: Obj[] = [];
  for (const name of CRD_NAMES) {
    const text = await Deno.readTextFile(new URL(`crds/${name.replace(/^([^.]+)\.(.*)$/, "$2_$1")}.yaml`, REPO_ROOT));
    out.push(parseAllDocuments(text)[0]!.toJSON());
  }
  return out;
}

/** ESO v2.9's CRDs: from ESO's bundle when given, else ours reshaped as ESO ships them. */
async function esoCrds(bundlePath: string | undefined): Promise<Obj[]> {
  if (bundlePath) {
    return parseAllDocuments(await Deno.readTextFile(bundlePath)).map((d) => d.toJSON() as Obj)
      .filter((d) => d?.kind === "CustomResourceDefinition" && d.spec.group === GROUP);
  }
  return (await ourCrds()).map((crd) => {
    const out = structuredClone(crd);
    delete out.metadata.annotations;
    out.metadata.annotations = { "controller-gen.kubebuilder.io/version": "v0.19.0" };
    const v1 = out.spec.versions.find((v: Obj) => v.name === "v1");
    // ESO's v1beta1 carries a full schema of its own; a copy of v1's stands in for it (no conversion either way).
    const v1beta1 = { ...structuredClone(v1), name: "v1beta1", served: false, storage: false, deprecated: true };
    delete v1beta1.selectableFields;
    // Not identical to v1's (ESO's differ anyway): the API server would merge identical schemas into one, and then
    // refuse v1's per-version selectableFields.
    v1beta1.schema.openAPIV3Schema.description = `${crd.spec.names.kind} (v1beta1, deprecated)`;
    out.spec.versions = [v1, v1beta1];
    return out;
  });
}

/** The same CRDs as ESO < 0.17 had them: `v1beta1` served and stored, `v1` served only. */
function beforeV017(crds: Obj[]): Obj[] {
  return crds.filter((crd) => crd.spec.versions.some((v: Obj) => v.name === "v1beta1")).map((crd) => {
    const out = structuredClone(crd);
    for (const v of out.spec.versions) {
      v.served = true;
      v.storage = v.name === "v1beta1";
      delete v.deprecated;
    }
    return out;
  });
}

async function must(cp: ControlPlane, args: string[], stdin?: string): Promise<string> {
  const r = await cp.kubectl(args, stdin === undefined ? {} : { stdin });
  if (r.code !== 0) throw new Error(`kubectl ${args.slice(0, 3).join(" ")} failed: ${r.stderr.trim()}`);
  return r.stdout;
}

async function established(cp: ControlPlane, names: string[]): Promise<void> {
  await must(cp, ["wait", "--for=condition=Established", "--timeout=60s", ...names.map((n) => `crd/${n}`)]);
}

/** Options of {@link installEsoCrds}. */
export interface EsoCrdOptions {
  /** ESO's `deploy/crds/bundle.yaml`; default: `$ESO_CRDS_BUNDLE`, else CRDs derived from ours. */
  bundlePath?: string;
  /** Objects to create while `v1beta1` is the storage version (they stay stored as `v1beta1` in etcd). */
  v1beta1Objects?: Obj[];
}

/**
 * Installs the CRDs with ESO's history (see the module comment) and returns the v2.9 CRDs as applied. Objects given in
 * `v1beta1Objects` are created (client-side `kubectl apply`, as users did) while v1beta1 is stored.
 */
export async function installEsoCrds(cp: ControlPlane, opts: EsoCrdOptions = {}): Promise<Obj[]> {
  const v29 = (await esoCrds(opts.bundlePath ?? Deno.env.get("ESO_CRDS_BUNDLE"))).map(helmOwned);
  const old = beforeV017(v29);
  const list = (items: Obj[]): string => stringify({ apiVersion: "v1", kind: "List", items });
  await must(cp, ["create", "--field-manager=helm", "-f", "-"], list(old));
  await established(cp, old.map((c) => c.metadata.name));
  if (opts.v1beta1Objects?.length) await must(cp, ["apply", "-f", "-"], list(opts.v1beta1Objects));
  await must(
    cp,
    ["apply", "--server-side", "--field-manager=helm", "--force-conflicts", "-f", "-"],
    list(v29),
  );
  for (const crd of old) {
    await must(cp, [
      "patch",
      "crd",
      crd.metadata.name,
      "--subresource=status",
      "--type=merge",
      "-p",
      JSON.stringify({ status: { storedVersions: ["v1beta1", "v1"] } }),
    ]);
  }
  await established(cp, v29.map((c) => c.metadata.name));
  return v29;
}

/** ESO's finalizer on every ExternalSecret it reconciled. */
export const ESO_FINALIZER = "externalsecrets.external-secrets.io/externalsecret-cleanup";

/**
 * Makes an existing ExternalSecret and its target Secret look exactly as ESO v2.9 leaves them after a sync of `data`
 * at `syncedAt`: the finalizer (merge patch), the Secret with ESO's labels, data-hash annotation and controller owner
 * reference (created under ESO's field manager `externalsecrets.external-secrets.io/<name>`), and the status (Ready
 * SecretSynced, refreshTime, syncedResourceVersion, binding) under ESO's manager `external-secrets`.
 */
export async function syncAsEso(
  cp: ControlPlane,
  ref: { namespace: string; name: string },
  data: Record<string, string>,
  syncedAt: Date,
): Promise<{ es: ExternalSecret; secret: Secret }> {
  const get = async <T>(args: string[]): Promise<T> => JSON.parse(await must(cp, ["get", ...args, "-o", "json"]));
  const esArgs = ["externalsecret", "-n", ref.namespace, ref.name];
  await must(cp, [
    "patch",
    ...esArgs,
    "--type=merge",
    "--field-manager=external-secrets",
    "-p",
    JSON.stringify({ metadata: { finalizers: [ESO_FINALIZER] } }),
  ]);
  const es = await get<ExternalSecret>(esArgs);
  const bytes = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, new TextEncoder().encode(v)]));
  const targetName = es.spec.target?.name ?? ref.name;
  const secret = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: targetName,
      namespace: ref.namespace,
      labels: {
        "reconcile.external-secrets.io/created-by": ownerLabelValue(ref.namespace, ref.name),
        "reconcile.external-secrets.io/managed": "true",
      },
      annotations: { "reconcile.external-secrets.io/data-hash": dataHash(bytes) },
      ownerReferences: [{
        apiVersion: `${GROUP}/v1`,
        kind: "ExternalSecret",
        name: ref.name,
        uid: es.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      }],
    },
    ...(es.spec.target?.template?.type ? { type: es.spec.target.template.type } : {}),
    data: Object.fromEntries(Object.entries(bytes).map(([k, v]) => [k, v.toBase64()])),
  };
  await must(
    cp,
    ["create", `--field-manager=externalsecrets.external-secrets.io/${ref.name}`, "-f", "-"],
    stringify(secret),
  );
  const time = syncedAt.toISOString().replace(/\.\d+Z$/, "Z");
  await must(cp, [
    "patch",
    ...esArgs,
    "--subresource=status",
    "--type=merge",
    "--field-manager=external-secrets",
    "-p",
    JSON.stringify({
      status: {
        binding: { name: targetName },
        conditions: [{
          type: "Ready",
          status: "True",
          reason: "SecretSynced",
          message: "secret synced",
          lastTransitionTime: time,
        }],
        refreshTime: time,
        syncedResourceVersion: syncedResourceVersion(es.metadata),
      },
    }),
  ]);
  return {
    es: await get<ExternalSecret>(esArgs),
    secret: await get<Secret>(["secret", "-n", ref.namespace, targetName]),
  };
}

/** ESO's store status after a successful validation, written under its manager `external-secrets`. */
export async function validateAsEso(
  cp: ControlPlane,
  store: { kind: string; name: string; namespace?: string },
): Promise<void> {
  const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  await must(cp, [
    "patch",
    store.kind,
    store.name,
    ...(store.namespace ? ["-n", store.namespace] : []),
    "--subresource=status",
    "--type=merge",
    "--field-manager=external-secrets",
    "-p",
    JSON.stringify({
      status: {
        capabilities: "ReadWrite",
        conditions: [{
          type: "Ready",
          status: "True",
          reason: "Valid",
          message: "store validated",
          lastTransitionTime: now,
        }],
      },
    }),
  ]);
}
