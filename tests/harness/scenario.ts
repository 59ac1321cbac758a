/**
 * Small helpers the controller's integration tests share: waiting for a condition, reading objects through the real
 * kubectl, and the seed's stores pointed at the Azure emulators.
 *
 * @module
 */
import { parseAllDocuments, stringify } from "yaml";
import type { ClusterSecretStore } from "../../controller/api/types.ts";
import type { Secret } from "../../controller/kube/types.ts";
import type { AzureEmulators } from "./azure/mod.ts";
import type { ControlPlane } from "./control_plane.ts";

/** The seed's manifests directory (`../shared/seed/manifests/`). */
export const SEED_DIR = new URL("../../../shared/seed/manifests/", import.meta.url).pathname;

/** Polls `fn` until it returns something other than undefined/false; throws with the last error on timeout. */
export async function eventually<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as T;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last}` : ""}`);
}

/** `kubectl get ... -o json`, or undefined when kubectl fails (e.g. NotFound). */
export async function getJson<T>(cp: ControlPlane, args: string[]): Promise<T | undefined> {
  const r = await cp.kubectl(["get", ...args, "-o", "json"]);
  return r.code === 0 ? JSON.parse(r.stdout) as T : undefined;
}

/** Server-side applies objects (a list is applied as one `List`); throws with kubectl's message on failure. */
export async function apply(cp: ControlPlane, ...objects: unknown[]): Promise<void> {
  const doc = objects.length === 1 ? objects[0] : { apiVersion: "v1", kind: "List", items: objects };
  const r = await cp.kubectl(["apply", "--server-side", "--field-manager=integration-test", "-f", "-"], {
    stdin: stringify(doc),
  });
  if (r.code !== 0) throw new Error(`kubectl apply failed: ${r.stderr}`);
}

/** The decoded value of a Secret's key. */
export function secretValue(secret: Secret | undefined, key: string): string | undefined {
  const v = secret?.data?.[key];
  return v === undefined ? undefined : new TextDecoder().decode(Uint8Array.from(atob(v), (c) => c.charCodeAt(0)));
}

/** The Ready condition of an object. */
export function ready(
  o: { status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] } } | undefined,
): { type: string; status: string; reason?: string; message?: string } | undefined {
  return o?.status?.conditions?.find((c) => c.type === "Ready");
}

/** Reads one seed manifest as a plain object, to adjust what the acceptance allows (vault URL, credentials). */
// deno-lint-ignore no-explicit-any -- manifests are edited by path, as a person would with yq
export async function seedManifest(file: string): Promise<Record<string, any>> {
  return parseAllDocuments(await Deno.readTextFile(`${SEED_DIR}${file}`))[0]!.toJSON();
}

/**
 * Sets up the seed's cluster-wide store on the emulators: namespaces, 03 (credentials the emulator knows), 04 (vault
 * URL of the emulator's vault `zaldre`). Returns the client id used.
 */
export async function seedStore(
  cp: ControlPlane,
  az: AzureEmulators,
  opts: { clientId: string; clientSecret: string; access?: "read" | "write" },
): Promise<ClusterSecretStore> {
  az.addClientSecretApp({
    clientId: opts.clientId,
    secret: opts.clientSecret,
    vaults: { zaldre: opts.access ?? "read" },
  });
  for (const ns of ["jenkins", "external-secrets"]) {
    const r = await cp.kubectl(["create", "namespace", ns]);
    if (r.code !== 0 && !/AlreadyExists/.test(r.stderr)) throw new Error(`Cannot create namespace ${ns}: ${r.stderr}`);
  }
  const creds = await seedManifest("03-secret-azure-credentials.yaml");
  creds.data = {
    "client-id": btoa(opts.clientId),
    "client-secret": btoa(opts.clientSecret),
    "tenant-id": btoa(az.tenantId),
  };
  const css = await seedManifest("04-clustersecretstore-service-principal.yaml");
  css.spec.provider.azurekv.vaultUrl = az.vaultUrl("zaldre");
  await apply(cp, creds, css);
  return css as ClusterSecretStore;
}
