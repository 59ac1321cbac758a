/**
 * Patch bodies: JSON merge patch, JSON patch (RFC 6902), strategic merge patch and server-side apply, plus the
 * finalizer patches (kube-rs style: `test` + `add`/`remove`, so we never drop someone else's finalizer or add ours
 * twice when our view is stale — a failed `test` is a 422 `Invalid` and the caller re-reads).
 *
 * @module
 */

import type { KubeObject } from "./types.ts";
import { apiVersionOf, type ResourceType } from "./resources.ts";

/** One RFC 6902 operation. */
export type JsonPatchOp =
  | { op: "add" | "replace" | "test"; path: string; value: unknown }
  | { op: "remove"; path: string }
  | { op: "move" | "copy"; from: string; path: string };

/** A patch, tagged with how the apiserver must read it. */
export type Patch =
  | { type: "merge"; body: unknown }
  | { type: "json"; body: JsonPatchOp[] }
  | { type: "strategic"; body: unknown }
  | { type: "apply"; body: KubeObject };

/** Content-Type of each patch type. */
export const PATCH_CONTENT_TYPES: Readonly<Record<Patch["type"], string>> = Object.freeze({
  merge: "application/merge-patch+json",
  json: "application/json-patch+json",
  strategic: "application/strategic-merge-patch+json",
  apply: "application/apply-patch+yaml",
});

/** RFC 7386 merge patch: `null` deletes a key; lists are replaced whole. Works for every resource incl. CRDs. */
export function mergePatch(body: unknown): Patch {
  return { type: "merge", body };
}

/** RFC 6902 JSON patch. */
export function jsonPatch(ops: JsonPatchOp[]): Patch {
  return { type: "json", body: ops };
}

/** Strategic merge patch (built-in types only; the apiserver rejects it for custom resources). */
export function strategicMergePatch(body: unknown): Patch {
  return { type: "strategic", body };
}

/**
 * Server-side apply: `body` is the full intent of one field manager (give `fieldManager`, and usually `force`,
 * in the patch options). Must carry `apiVersion`, `kind` and `metadata.name`; see {@linkcode applyBody}.
 */
export function applyPatch<T extends KubeObject>(body: T): Patch {
  if (!body.apiVersion || !body.kind || !body.metadata?.name) {
    throw new TypeError("Cannot build apply patch: body needs apiVersion, kind and metadata.name");
  }
  if (body.metadata.managedFields !== undefined || body.metadata.resourceVersion !== undefined) {
    // managedFields must not be sent; a resourceVersion would turn apply into a compare-and-swap, which is
    // rarely what a controller means. Both usually come from echoing a read object back.
    const { managedFields: _m, resourceVersion: _r, ...metadata } = body.metadata;
    return { type: "apply", body: { ...body, metadata } };
  }
  return { type: "apply", body };
}

/**
 * The body of a server-side apply for `res`: `apiVersion`/`kind` from the descriptor, `metadata.name`/`namespace`,
 * and the fields this manager owns.
 */
export function applyBody<T extends KubeObject>(
  res: ResourceType<T>,
  name: string,
  fields: Omit<T, "apiVersion" | "kind">,
  namespace?: string,
): T {
  const meta = { ...(fields.metadata ?? {}), name };
  if (namespace !== undefined) meta.namespace = namespace;
  return { ...fields, apiVersion: apiVersionOf(res), kind: res.kind, metadata: meta } as T;
}

/** Escapes one JSON Pointer segment (`/` → `~1`, `~` → `~0`): `jsonPointer("metadata", "annotations", "a/b")`. */
export function jsonPointer(...segments: (string | number)[]): string {
  return segments.map((s) => "/" + String(s).replaceAll("~", "~0").replaceAll("/", "~1")).join("");
}

/**
 * JSON patch that adds `finalizer` to `obj`, guarded by a `test` of the finalizers we saw. Returns undefined when
 * it is already there.
 */
export function addFinalizerPatch(obj: KubeObject, finalizer: string): Patch | undefined {
  const current = obj.metadata?.finalizers;
  if (current?.includes(finalizer)) return undefined;
  if (current === undefined || current.length === 0) {
    // An absent (or empty) list cannot be appended to with "/-"; create it, after testing it is still absent.
    return jsonPatch([
      { op: "test", path: "/metadata/finalizers", value: current ?? null },
      { op: "add", path: "/metadata/finalizers", value: [finalizer] },
    ]);
  }
  return jsonPatch([
    { op: "test", path: "/metadata/finalizers", value: current },
    { op: "add", path: "/metadata/finalizers/-", value: finalizer },
  ]);
}

/**
 * JSON patch that removes `finalizer` from `obj` at the index we saw it, guarded by a `test` of that index.
 * Returns undefined when it is not there.
 */
export function removeFinalizerPatch(obj: KubeObject, finalizer: string): Patch | undefined {
  const i = obj.metadata?.finalizers?.indexOf(finalizer) ?? -1;
  if (i < 0) return undefined;
  const path = jsonPointer("metadata", "finalizers", i);
  return jsonPatch([{ op: "test", path, value: finalizer }, { op: "remove", path }]);
}

/** Merge patch setting (string) or removing (`null`) annotations. */
export function annotationsPatch(annotations: Record<string, string | null>): Patch {
  return mergePatch({ metadata: { annotations } });
}

/** Merge patch setting (string) or removing (`null`) labels. */
export function labelsPatch(labels: Record<string, string | null>): Patch {
  return mergePatch({ metadata: { labels } });
}
