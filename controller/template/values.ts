/**
 * The Go value model the engine works on. Go templates are typed at run time (reflect): `eq 1 1.0` fails, an `int64`
 * cannot be passed where a function wants an `int`, `keys .` fails because `.` is a `map[string]string`. To behave like
 * Go we carry Go's dynamic type with every value.
 *
 * Representation: `string` → JS string, `bool` → JS boolean, `float64` → JS number, integers → {@link GoInt}
 * (bigint, so int64 arithmetic wraps as in Go), slices/maps/structs → classes below, Go's nil → `null`.
 *
 * @module
 */

/** A Go type, as far as templates can observe it (printing, `typeOf`, `kindOf`, argument checks). */
export type GoType =
  | {
    readonly kind:
      | "string"
      | "bool"
      | "float64"
      | "complex128"
      | "interface"
      | "time"
      | "error"
      | "reflectValue"
      | "func";
  }
  | { readonly kind: IntKind }
  | { readonly kind: "slice"; readonly elem: GoType }
  | { readonly kind: "map"; readonly key: GoType; readonly elem: GoType }
  | { readonly kind: "struct"; readonly name: string; readonly fields: readonly string[] }
  | { readonly kind: "ptr"; readonly elem: GoType; readonly name: string };

export type IntKind = "int" | "int8" | "int16" | "int32" | "int64" | "uint" | "uint8" | "uint16" | "uint32" | "uint64";

export const T = {
  string: { kind: "string" } as GoType,
  bool: { kind: "bool" } as GoType,
  float64: { kind: "float64" } as GoType,
  int: { kind: "int" } as GoType,
  int32: { kind: "int32" } as GoType,
  int64: { kind: "int64" } as GoType,
  uint8: { kind: "uint8" } as GoType,
  uint32: { kind: "uint32" } as GoType,
  iface: { kind: "interface" } as GoType,
  time: { kind: "time" } as GoType,
  error: { kind: "error" } as GoType,
  reflectValue: { kind: "reflectValue" } as GoType,
  func: { kind: "func" } as GoType,
} as const;

const sliceCache = new Map<GoType, GoType>();
/** `[]elem`, interned so that types can be compared by identity. */
export function sliceOf(elem: GoType): GoType {
  let t = sliceCache.get(elem);
  if (!t) {
    t = { kind: "slice", elem };
    sliceCache.set(elem, t);
  }
  return t;
}
const mapCache = new Map<GoType, GoType>();
/** `map[string]elem` (every map a template sees has string keys). */
export function mapOf(elem: GoType): GoType {
  let t = mapCache.get(elem);
  if (!t) {
    t = { kind: "map", key: T.string, elem };
    mapCache.set(elem, t);
  }
  return t;
}

export const T2 = {
  sliceIface: sliceOf(T.iface),
  sliceString: sliceOf(T.string),
  sliceInt: sliceOf(T.int),
  sliceSliceIface: sliceOf(sliceOf(T.iface)),
  mapIface: mapOf(T.iface),
  mapString: mapOf(T.string),
  semver: {
    kind: "ptr",
    elem: { kind: "struct", name: "semver.Version", fields: [] },
    name: "*semver.Version",
  } as GoType,
  certificate: { kind: "struct", name: "sprig.certificate", fields: ["Cert", "Key"] } as GoType,
} as const;

/** Go's `reflect.Type.String()`. */
export function typeString(t: GoType): string {
  switch (t.kind) {
    case "interface":
      return "interface {}";
    case "time":
      return "time.Time";
    case "error":
      return "error";
    case "reflectValue":
      return "reflect.Value";
    case "func":
      return "func()";
    case "slice":
      return "[]" + typeString(t.elem);
    case "map":
      return "map[" + typeString(t.key) + "]" + typeString(t.elem);
    case "struct":
      return t.name;
    case "ptr":
      return t.name;
    default:
      return t.kind;
  }
}

/** Go's `reflect.Kind.String()` for a type. */
export function kindString(t: GoType): string {
  switch (t.kind) {
    case "time":
    case "struct":
      return "struct";
    case "ptr":
      return "ptr";
    case "reflectValue":
      return "struct";
    default:
      return t.kind;
  }
}

/** A Go integer of a given kind. */
export class GoInt {
  constructor(readonly type: GoType & { kind: IntKind }, readonly v: bigint) {}
  static int(n: number | bigint): GoInt {
    return new GoInt(T.int as GoType & { kind: IntKind }, BigInt.asIntN(64, BigInt(n)));
  }
  static int64(n: number | bigint): GoInt {
    return new GoInt(T.int64 as GoType & { kind: IntKind }, BigInt.asIntN(64, BigInt(n)));
  }
  static of(kind: IntKind, n: bigint): GoInt {
    return new GoInt({ kind } as GoType & { kind: IntKind }, wrapInt(kind, n));
  }
  toNumber(): number {
    return Number(this.v);
  }
}

/** Wraps n to the range of the Go integer kind (Go's integer overflow semantics). */
export function wrapInt(kind: IntKind, n: bigint): bigint {
  switch (kind) {
    case "int8":
      return BigInt.asIntN(8, n);
    case "int16":
      return BigInt.asIntN(16, n);
    case "int32":
      return BigInt.asIntN(32, n);
    case "uint8":
      return BigInt.asUintN(8, n);
    case "uint16":
      return BigInt.asUintN(16, n);
    case "uint32":
      return BigInt.asUintN(32, n);
    case "uint":
    case "uint64":
      return BigInt.asUintN(64, n);
    default:
      return BigInt.asIntN(64, n);
  }
}

export function isUnsigned(kind: string): boolean {
  return kind === "uint" || kind === "uint8" || kind === "uint16" || kind === "uint32" || kind === "uint64";
}

/** A Go slice. `nil` marks a nil slice (prints `[]`, encodes to JSON `null`). */
export class GoSlice {
  constructor(readonly type: GoType & { kind: "slice" }, readonly items: GoValue[], readonly nil = false) {}
  static of(elem: GoType, items: GoValue[]): GoSlice {
    return new GoSlice(sliceOf(elem) as GoType & { kind: "slice" }, items);
  }
}

/** A Go map with string keys. */
export class GoMap {
  constructor(readonly type: GoType & { kind: "map" }, readonly m: Map<string, GoValue>, readonly nil = false) {}
  static of(elem: GoType, m: Map<string, GoValue> = new Map()): GoMap {
    return new GoMap(mapOf(elem) as GoType & { kind: "map" }, m);
  }
  sortedKeys(): string[] {
    return [...this.m.keys()].sort(compareGoStrings);
  }
}

/** A Go complex128 (only template constants such as 1+2i produce one). */
export class GoComplex {
  readonly goType: GoType = { kind: "complex128" };
  constructor(readonly re: number, readonly im: number) {}
}

/** A Go struct value (only `sprig.certificate` and friends reach templates). */
export class GoStruct {
  constructor(readonly type: GoType & { kind: "struct" }, readonly fields: Map<string, GoValue>) {}
}

/** A value with methods that fmt prints through `String()` (Go's fmt.Stringer), e.g. *semver.Version. */
export interface GoObject {
  readonly goType: GoType;
  /** fmt.Stringer; absent if the type has no String method. */
  goString?(): string;
  /** A method callable from a template (`.Major`). */
  method?(name: string): GoMethod | undefined;
  /** A field readable from a template. */
  field?(name: string): GoValue | undefined;
  /** encoding/json output for this value. */
  toJSON?(): GoValue;
}

/** A bound method of a {@link GoObject}. */
export interface GoMethod {
  readonly params: readonly GoType[];
  readonly variadic?: boolean;
  readonly result: GoType;
  readonly returnsError?: boolean;
  call(args: GoValue[]): GoValue;
}

export function isGoObject(v: unknown): v is GoObject {
  return typeof v === "object" && v !== null && "goType" in v;
}

/** Any value a template can hold. `null` is Go's nil (an empty interface or a missing value). */
export type GoValue = string | boolean | number | GoInt | GoSlice | GoMap | GoStruct | GoComplex | GoObject | null;

/** Go's byte-wise string ordering (UTF-16 order differs from UTF-8 order only for astral vs. U+E000..U+FFFF). */
export function compareGoStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i), y = b.charCodeAt(i);
    if (x !== y) {
      const xs = x >= 0xd800 && x <= 0xdfff, ys = y >= 0xd800 && y <= 0xdfff;
      if (xs !== ys) return xs ? 1 : -1; // a surrogate encodes U+10000.. which sorts after every BMP char in UTF-8
      return x - y;
    }
  }
  return a.length - b.length;
}

/** The dynamic Go type of a value; `null` for nil. */
export function typeOf(v: GoValue): GoType | null {
  switch (typeof v) {
    case "string":
      return T.string;
    case "boolean":
      return T.bool;
    case "number":
      return T.float64;
    default:
      if (v === null) return null;
      if (v instanceof GoInt || v instanceof GoSlice || v instanceof GoMap || v instanceof GoStruct) return v.type;
      return v.goType;
  }
}

/** Go's `%T`. */
export function typeName(v: GoValue): string {
  const t = typeOf(v);
  return t ? typeString(t) : "<nil>";
}

/** reflect Kind name, "invalid" for nil. */
export function kindName(v: GoValue): string {
  const t = typeOf(v);
  return t ? kindString(t) : "invalid";
}

/** The zero value of a Go type (for `index` of a missing map key and friends). */
export function zeroValue(t: GoType): GoValue {
  switch (t.kind) {
    case "string":
      return "";
    case "bool":
      return false;
    case "float64":
      return 0;
    case "slice":
      return new GoSlice(t, [], true);
    case "map":
      return new GoMap(t, new Map(), true);
    case "interface":
    case "ptr":
    case "error":
    case "func":
      return null;
    case "time":
      return null;
    case "struct":
      return new GoStruct(t, new Map(t.fields.map((f) => [f, ""])));
    case "reflectValue":
      return null;
    case "complex128":
      return new GoComplex(0, 0);
    default:
      return new GoInt(t, 0n);
  }
}

/** reflect's AssignableTo for the types we model. */
export function assignable(v: GoType, to: GoType): boolean {
  if (to.kind === "interface") return true;
  if (v === to) return true;
  if (v.kind !== to.kind) return false;
  switch (v.kind) {
    case "slice":
      return assignable2(v.elem, (to as typeof v).elem);
    case "map":
      return assignable2(v.elem, (to as typeof v).elem);
    case "struct":
      return v.name === (to as typeof v).name;
    case "ptr":
      return v.name === (to as typeof v).name;
    default:
      return true;
  }
}

function assignable2(a: GoType, b: GoType): boolean {
  // element types must be identical, not merely assignable
  if (a.kind !== b.kind) return false;
  if (a.kind === "slice" || a.kind === "map") return assignable2(a.elem, (b as typeof a).elem);
  if (a.kind === "struct" || a.kind === "ptr") return a.name === (b as typeof a).name;
  return true;
}

/** Go's template truth (text/template isTrue); `undefined` when Go reports "can't use". */
export function isTrue(v: GoValue): boolean {
  if (v === null) return false;
  switch (typeof v) {
    case "string":
      return v.length > 0;
    case "boolean":
      return v;
    case "number":
      return v !== 0;
  }
  if (v instanceof GoInt) return v.v !== 0n;
  if (v instanceof GoComplex) return v.re !== 0 || v.im !== 0;
  if (v instanceof GoSlice) return v.items.length > 0;
  if (v instanceof GoMap) return v.m.size > 0;
  return true; // structs and non-nil pointers
}

export { byteSlice, bytesToString, isAscii, stringToBytes, utf8Len } from "./gostr.ts";
