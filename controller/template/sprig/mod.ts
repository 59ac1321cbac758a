/**
 * Sprig v3.3.0's text function map, minus the functions ESO removes (env, expandenv, getHostByName).
 *
 * @module
 */

import type { FuncMap } from "../func.ts";
import { cryptoFuncs } from "./crypto.ts";
import { dateFuncs } from "./date.ts";
import { listFuncs } from "./lists.ts";
import { mathFuncs } from "./math.ts";
import { miscFuncs } from "./misc.ts";
import { regexFuncs } from "./regex.ts";
import { semverFuncs } from "./semver.ts";
import { stringFuncs } from "./strings.ts";

export function sprigFuncs(f: FuncMap): void {
  stringFuncs(f);
  mathFuncs(f);
  listFuncs(f);
  miscFuncs(f);
  regexFuncs(f);
  dateFuncs(f);
  semverFuncs(f);
  cryptoFuncs(f);
}
