/**
 * Conversions Sprig relies on: spf13/cast (toInt64, toFloat64), sprig's strval, empty and reflect.DeepEqual.
 *
 * @module
 */

import { formatValue } from "../go_fmt.ts";
import { GoError } from "../func.ts";
import { parseGoFloat, parseGoInt } from "../go_strconv.ts";
import { GoInt, GoMap, GoSlice, GoStruct, type GoValue, isGoObject, typeOf } from "../values.ts";

/** sprig's strval: strings as is, Stringers via String(), the rest with %v. */
export function strval(v: GoValue): string {
  if (typeof v === "string") return v;
  if (isGoObject(v) && v.goString) return v.goString();
  return formatValue(v);
}

/** Go's int64(f) conversion (amd64 yields the minimum int64 for NaN and out-of-range values). */
export function floatToInt64(f: number): bigint {
  if (!Number.isFinite(f) || f >= 9223372036854775808 || f < -9223372036854775808) return -(1n << 63n);
  return BigInt(Math.trunc(f));
}

function trimZeroDecimal(s: string): string {
  let foundZero = false;
  for (let i = s.length; i > 0; i--) {
    const c = s[i - 1];
    if (c === ".") {
      if (foundZero) return s.slice(0, i - 1);
    } else if (c === "0") foundZero = true;
    else return s;
  }
  return s;
}

/** cast.ToInt64 (errors become 0). */
export function toInt64(v: GoValue): bigint {
  if (v === null) return 0n;
  if (v instanceof GoInt) return BigInt.asIntN(64, v.v);
  switch (typeof v) {
    case "number":
      return floatToInt64(v);
    case "boolean":
      return v ? 1n : 0n;
    case "string":
      return parseGoInt(trimZeroDecimal(v), 0) ?? 0n;
  }
  return 0n;
}

/** cast.ToFloat64 (errors become 0). */
export function toFloat64(v: GoValue): number {
  if (v === null) return 0;
  if (v instanceof GoInt) return Number(v.v);
  switch (typeof v) {
    case "number":
      return v;
    case "boolean":
      return v ? 1 : 0;
    case "string":
      return parseGoFloat(v) ?? 0;
  }
  return 0;
}

/** sprig's empty: the zero value of its type (structs are never empty). */
export function empty(v: GoValue): boolean {
  if (v === null) return true;
  switch (typeof v) {
    case "string":
      return v.length === 0;
    case "boolean":
      return !v;
    case "number":
      return v === 0;
  }
  if (v instanceof GoInt) return v.v === 0n;
  if (v instanceof GoSlice) return v.items.length === 0;
  if (v instanceof GoMap) return v.m.size === 0;
  return false;
}

/** reflect.DeepEqual. */
export function deepEqual(a: GoValue, b: GoValue): boolean {
  if (a === null || b === null) return a === b;
  const ta = typeOf(a), tb = typeOf(b);
  if (!sameType(ta!, tb!)) return false;
  if (typeof a === "number") return a === b;
  if (typeof a !== "object") return a === b;
  if (a instanceof GoInt) return a.v === (b as GoInt).v;
  if (a instanceof GoSlice) {
    const bs = b as GoSlice;
    if (a.nil !== bs.nil) return false;
    return a.items.length === bs.items.length && a.items.every((x, i) => deepEqual(x, bs.items[i]!));
  }
  if (a instanceof GoMap) {
    const bm = b as GoMap;
    if (a.nil !== bm.nil || a.m.size !== bm.m.size) return false;
    for (const [k, v] of a.m) {
      if (!bm.m.has(k) || !deepEqual(v, bm.m.get(k)!)) return false;
    }
    return true;
  }
  if (a instanceof GoStruct) {
    const bs = b as GoStruct;
    return a.type.fields.every((f) => deepEqual(a.fields.get(f) ?? null, bs.fields.get(f) ?? null));
  }
  if (isGoObject(a) && isGoObject(b) && a.goString && b.goString) return a === b || a.goString() === b.goString();
  return a === b;
}

function sameType(a: import("../values.ts").GoType, b: import("../values.ts").GoType): boolean {
  if (a === b) return true;
  if (a.kind !== b.kind) return false;
  if (a.kind === "slice" || a.kind === "map") return sameType(a.elem, (b as typeof a).elem);
  if (a.kind === "struct" || a.kind === "ptr") return a.name === (b as typeof a).name;
  return true;
}

/** The elements of a slice, or a Go-style panic naming the kind (sprig's "Cannot X on type Y"). */
export function listItems(v: GoValue, what: (kind: string) => string): GoValue[] {
  if (v instanceof GoSlice) return v.items;
  if (v === null) throw new GoError("runtime error: invalid memory address or nil pointer dereference");
  const t = typeOf(v)!;
  throw new GoError(what(t.kind === "time" || t.kind === "struct" ? "struct" : t.kind));
}

/** Go's unicode.IsSpace. */
export function isSpace(r: number): boolean {
  if (r <= 0xff) return r === 0x20 || (r >= 0x09 && r <= 0x0d) || r === 0x85 || r === 0xa0;
  return r === 0x1680 || (r >= 0x2000 && r <= 0x200a) || r === 0x2028 || r === 0x2029 || r === 0x202f ||
    r === 0x205f || r === 0x3000;
}

/** strings.TrimSpace. */
export function trimSpace(s: string): string {
  let i = 0, j = s.length;
  while (i < j && isSpace(s.codePointAt(i)!)) i++;
  while (j > i && isSpace(s.charCodeAt(j - 1))) j--;
  return s.slice(i, j);
}

/** Runtime panics that sprig functions hit, with Go's messages. */
export function sliceBoundsError(spec: string): GoError {
  return new GoError(`runtime error: slice bounds out of range ${spec}`);
}
