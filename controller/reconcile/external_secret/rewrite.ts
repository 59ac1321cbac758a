/**
 * `dataFrom[].rewrite` (ESO's `RewriteMap`, runtime/esutils/utils.go): operations applied in order to the keys of one
 * item's map. `regexp` replaces with Go's `ReplaceAllString` (`$1`, `${name}`), `transform` renders a template with
 * `.value` as the key. `merge` is not supported yet (refused when the reads are planned).
 *
 * @module
 */
import { compileGoRegexp } from "../../api/go_regexp.ts";
import type { ExternalSecretRewrite } from "../../api/types.ts";
import { renderTemplateAsync } from "../../template/mod.ts";
import { emptyMap } from "./data_keys.ts";

/** Why a rewrite list cannot run (an invalid pattern, an unsupported operation), or undefined. Checked up front. */
export function rewriteProblem(ops: ExternalSecretRewrite[] | undefined): string | undefined {
  for (const [i, op] of (ops ?? []).entries()) {
    if (op.merge) return `rewrite[${i}].merge is not supported yet by this controller`;
    if (op.regexp) {
      const re = compileGoRegexp(op.regexp.source);
      if (!re.ok) return `rewrite[${i}].regexp.source: ${re.error}`;
    }
  }
  return undefined;
}

/** Applies the operations in order; a later key of the same name wins. Errors name the operation and key. */
export async function rewriteKeys(
  ops: ExternalSecretRewrite[],
  data: Record<string, Uint8Array>,
): Promise<Record<string, Uint8Array>> {
  let cur = data;
  for (const [i, op] of ops.entries()) {
    const next = emptyMap<Uint8Array>();
    if (op.regexp) {
      const compiled = compileGoRegexp(op.regexp.source);
      if (!compiled.ok) throw new Error(`rewrite[${i}].regexp.source: ${compiled.error}`);
      for (const [k, v] of Object.entries(cur)) next[compiled.re.replaceAll(k, op.regexp.target)] = v;
    } else if (op.transform) {
      for (const [k, v] of Object.entries(cur)) {
        let key: string;
        try {
          key = await renderTemplateAsync(op.transform.template, { value: k }, "transform");
        } catch (e) {
          throw new Error(`rewrite[${i}].transform of key ${k}: ${(e as Error).message}`);
        }
        next[key] = v;
      }
    } else {
      continue;
    }
    cur = next;
  }
  return cur;
}
