/**
 * How template functions are declared: a Go signature (so that argument checking and constant conversion behave as
 * Go's reflect-based calls do) and an implementation over {@link GoValue}s.
 *
 * @module
 */

import { type GoType, type GoValue, T, T2 } from "./values.ts";

/** An error a Go function returned (or a panic it raised); the template reports it as "error calling NAME: ...". */
export class GoError extends Error {
  /** The same message with any input data replaced, for messages that quote their input. */
  readonly redacted: string | undefined;
  constructor(message: string, redacted?: string) {
    super(message);
    this.redacted = redacted;
  }
}

/** Which lazily loaded library a function needs (see lazy.ts). */
export type LazyLib = "forge" | "bcrypt";

export interface GoFunc {
  /** Fixed parameter types. */
  readonly params: readonly GoType[];
  /** Element type of a trailing `...` parameter. */
  readonly variadic?: GoType;
  readonly call: (args: GoValue[]) => GoValue;
  /** Library that must be loaded before the function can run. */
  readonly needs?: LazyLib;
}

const TYPES: Record<string, GoType> = {
  string: T.string,
  int: T.int,
  int64: T.int64,
  uint32: T.uint32,
  float64: T.float64,
  bool: T.bool,
  any: T.iface,
  value: T.reflectValue,
  time: T.time,
  map: T2.mapIface,
  "[]any": T2.sliceIface,
  "[]string": T2.sliceString,
  cert: T2.certificate,
};

function parseType(s: string): GoType {
  const t = TYPES[s.trim()];
  if (!t) throw new Error("unknown type in signature: " + s);
  return t;
}

/**
 * Declares a function: `def("string, int", impl)` or `def("string, ...any", impl)`.
 */
export function def(sig: string, call: (args: GoValue[]) => GoValue, needs?: LazyLib): GoFunc {
  const parts = sig.split(",").map((p) => p.trim()).filter((p) => p !== "");
  const params: GoType[] = [];
  let variadic: GoType | undefined;
  parts.forEach((p, i) => {
    if (p.startsWith("...")) {
      if (i !== parts.length - 1) throw new Error("variadic must be last: " + sig);
      variadic = parseType(p.slice(3));
    } else params.push(parseType(p));
  });
  const f: { params: GoType[]; call: typeof call; variadic?: GoType; needs?: LazyLib } = { params, call };
  if (variadic) f.variadic = variadic;
  if (needs) f.needs = needs;
  return f;
}

export type FuncMap = Map<string, GoFunc>;
