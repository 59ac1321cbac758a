/**
 * The function map ESO gives its templates: Sprig's text functions (minus env, expandenv, getHostByName) and ESO's
 * own, over Go's builtins.
 *
 * @module
 */

import { builtinFuncs } from "./builtins.ts";
import { esoFuncs } from "./eso_functions.ts";
import type { FuncMap } from "./func.ts";
import { sprigFuncs } from "./sprig/mod.ts";

let funcs: FuncMap | null = null;
let builtins: FuncMap | null = null;

/** ESO's function map (user functions shadow builtins, e.g. Sprig's `slice`). */
export function esoFuncMap(): FuncMap {
  if (!funcs) {
    funcs = new Map();
    sprigFuncs(funcs);
    esoFuncs(funcs);
  }
  return funcs;
}

export function builtinFuncMap(): FuncMap {
  return builtins ??= builtinFuncs();
}
