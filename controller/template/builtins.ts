/**
 * Go's template builtins (text/template/funcs.go): and, or, not, len, index, slice, print, printf, println, the
 * comparisons, html, js, urlquery and call.
 *
 * @module
 */

import { def, type FuncMap, GoError } from "./func.ts";
import { sprint, sprintf, sprintln } from "./go_fmt.ts";
import { isPrint } from "./go_strconv.ts";
import { byteSlice, decodeRune, hasRawBytes, stringToBytes, utf8Len } from "./gostr.ts";
import {
  GoInt,
  GoMap,
  GoSlice,
  GoStruct,
  type GoValue,
  isGoObject,
  isTrue,
  isUnsigned,
  T,
  typeOf,
  typeString,
  zeroValue,
} from "./values.ts";

type BasicKind = "bool" | "int" | "uint" | "float" | "string" | "invalid";

function basicKind(v: GoValue): BasicKind {
  switch (typeof v) {
    case "boolean":
      return "bool";
    case "string":
      return "string";
    case "number":
      return "float";
  }
  if (v instanceof GoInt) return isUnsigned(v.type.kind) ? "uint" : "int";
  return "invalid";
}

function tname(v: GoValue): string {
  return typeString(typeOf(v)!);
}

function eq(arg1: GoValue, rest: GoValue[]): boolean {
  if (rest.length === 0) throw new GoError("missing argument for comparison");
  const k1 = basicKind(arg1);
  for (const arg of rest) {
    const k2 = basicKind(arg);
    let truth = false;
    if (k1 !== k2) {
      if (k1 === "int" && k2 === "uint") truth = (arg1 as GoInt).v >= 0n && (arg1 as GoInt).v === (arg as GoInt).v;
      else if (k1 === "uint" && k2 === "int") truth = (arg as GoInt).v >= 0n && (arg1 as GoInt).v === (arg as GoInt).v;
      else if (arg1 !== null && arg !== null) {
        throw new GoError(`incompatible types for comparison: ${tname(arg1)} and ${tname(arg)}`);
      }
    } else {
      switch (k1) {
        case "bool":
        case "float":
          truth = arg1 === arg;
          break;
        case "string":
          // strings with raw bytes may be spelled differently for the same bytes
          truth = arg1 === arg || ((hasRawBytes(arg1 as string) || hasRawBytes(arg as string)) &&
            compareBytes(arg1 as string, arg as string) === 0);
          break;
        case "int":
        case "uint":
          truth = (arg1 as GoInt).v === (arg as GoInt).v;
          break;
        default: {
          const t1 = typeOf(arg1), t2 = typeOf(arg);
          const kind1 = t1 ? t1.kind : "invalid", kind2 = t2 ? t2.kind : "invalid";
          if (kind1 !== kind2 && kind1 !== "invalid" && kind2 !== "invalid") {
            throw new GoError(
              sprintf("non-comparable types %s: %v, %s: %v", [arg1, tname(arg1), tname(arg), arg]),
              `non-comparable types ${tname(arg1)}, ${tname(arg)}`,
            );
          }
          const nil1 = isNilValue(arg1), nil2 = isNilValue(arg);
          if (nil1 || nil2) truth = nil1 === nil2;
          else {
            if (arg instanceof GoSlice || arg instanceof GoMap) {
              throw new GoError(
                sprintf("non-comparable type %s: %v", [arg, tname(arg)]),
                `non-comparable type ${tname(arg)}`,
              );
            }
            truth = structEqual(arg1, arg);
          }
        }
      }
    }
    if (truth) return true;
  }
  return false;
}

function isNilValue(v: GoValue): boolean {
  if (v === null) return true;
  if (v instanceof GoSlice || v instanceof GoMap) return v.nil;
  return false;
}

function structEqual(a: GoValue, b: GoValue): boolean {
  if (a instanceof GoStruct && b instanceof GoStruct) {
    if (a.type !== b.type) return false;
    for (const f of a.type.fields) if (a.fields.get(f) !== b.fields.get(f)) return false;
    return true;
  }
  return a === b;
}

function lt(arg1: GoValue, arg2: GoValue): boolean {
  const k1 = basicKind(arg1);
  if (k1 === "invalid") throw new GoError("invalid type for comparison");
  const k2 = basicKind(arg2);
  if (k2 === "invalid") throw new GoError("invalid type for comparison");
  if (k1 !== k2) {
    if (k1 === "int" && k2 === "uint") return (arg1 as GoInt).v < 0n || (arg1 as GoInt).v < (arg2 as GoInt).v;
    if (k1 === "uint" && k2 === "int") return (arg2 as GoInt).v >= 0n && (arg1 as GoInt).v < (arg2 as GoInt).v;
    throw new GoError(`incompatible types for comparison: ${tname(arg1)} and ${tname(arg2)}`);
  }
  switch (k1) {
    case "bool":
      throw new GoError("invalid type for comparison");
    case "float":
      return (arg1 as number) < (arg2 as number);
    case "int":
    case "uint":
      return (arg1 as GoInt).v < (arg2 as GoInt).v;
    default:
      return compareBytes(arg1 as string, arg2 as string) < 0;
  }
}

function compareBytes(a: string, b: string): number {
  const x = stringToBytes(a), y = stringToBytes(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

function le(a: GoValue, b: GoValue): boolean {
  return lt(a, b) || eq(a, [b]);
}

function indexArg(index: GoValue, cap: number): number {
  if (index instanceof GoInt) {
    const x = index.v;
    if (x < 0n || x > BigInt(cap)) throw new GoError(`index out of range: ${x}`);
    return Number(x);
  }
  if (index === null) throw new GoError("cannot index slice/array with nil");
  throw new GoError(`cannot index slice/array with type ${tname(index)}`);
}

function index(item: GoValue, indexes: GoValue[]): GoValue {
  if (item === null) throw new GoError("index of untyped nil");
  for (const idx of indexes) {
    if (typeof item === "string") {
      const b = stringToBytes(item);
      const x = indexArg(idx, b.length);
      if (x === b.length) throw new GoError("reflect: string index out of range");
      item = GoInt.of("uint8", BigInt(b[x]!));
    } else if (item instanceof GoSlice) {
      const x = indexArg(idx, item.items.length);
      if (x === item.items.length) throw new GoError("reflect: slice index out of range");
      item = item.items[x]!;
    } else if (item instanceof GoMap) {
      if (idx === null) throw new GoError("value is nil; should be of type string");
      if (typeof idx !== "string") throw new GoError(`value has type ${tname(idx)}; should be string`);
      const v = item.m.get(idx);
      item = v === undefined ? zeroValue(item.type.elem) : v;
    } else if (item === null) {
      throw new GoError("index of nil pointer");
    } else {
      throw new GoError(`can't index item of type ${tname(item)}`);
    }
  }
  return item;
}

function length(item: GoValue): GoInt {
  if (typeof item === "string") return GoInt.int(utf8Len(item));
  if (item instanceof GoSlice) return GoInt.int(item.items.length);
  if (item instanceof GoMap) return GoInt.int(item.m.size);
  if (item === null) throw new GoError("reflect: call of reflect.Value.Type on zero Value");
  throw new GoError(`len of type ${tname(item)}`);
}

/** Go's builtin slice (shadowed by Sprig's, kept for completeness). */
function goSlice(item: GoValue, indexes: GoValue[]): GoValue {
  if (item === null) throw new GoError("slice of untyped nil");
  if (indexes.length > 3) throw new GoError(`too many slice indexes: ${indexes.length}`);
  let cap: number;
  let len: number;
  if (typeof item === "string") {
    if (indexes.length === 3) throw new GoError("cannot 3-index slice a string");
    cap = len = utf8Len(item);
  } else if (item instanceof GoSlice) cap = len = item.items.length;
  else throw new GoError(`can't slice item of type ${tname(item)}`);
  const idx = [0, len, 0];
  indexes.forEach((x, i) => (idx[i] = indexArg(x, cap)));
  if (idx[0]! > idx[1]!) throw new GoError(`invalid slice index: ${idx[0]} > ${idx[1]}`);
  if (typeof item === "string") return byteSlice(item, idx[0]!, idx[1]!);
  return new GoSlice(item.type, item.items.slice(idx[0]!, idx[1]!));
}

const HTML_RE = /['"&<>\0]/g;
const HTML_MAP: Record<string, string> = {
  "\0": "\ufffd",
  '"': "&#34;",
  "'": "&#39;",
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
};

/** Go's evalArgs: one string argument is used as is, otherwise fmt.Sprint with printable values. */
function evalArgs(args: GoValue[]): string {
  if (args.length === 1 && typeof args[0] === "string") return args[0];
  return sprint(args.map((a) => (a === null ? "<no value>" : a)));
}

export function htmlEscape(s: string): string {
  return s.replace(HTML_RE, (c) => HTML_MAP[c]!);
}

export function jsEscape(s: string): string {
  const b = stringToBytes(s);
  let out = "";
  for (let i = 0; i < b.length;) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      switch (c) {
        case 0x5c:
          out += "\\\\";
          continue;
        case 0x27:
          out += "\\'";
          continue;
        case 0x22:
          out += '\\"';
          continue;
        case 0x3c:
          out += "\\u003C";
          continue;
        case 0x3e:
          out += "\\u003E";
          continue;
        case 0x26:
          out += "\\u0026";
          continue;
        case 0x3d:
          out += "\\u003D";
          continue;
      }
      if (c < 0x20) out += "\\u00" + c.toString(16).toUpperCase().padStart(2, "0");
      else out += String.fromCharCode(c);
      continue;
    }
    const [r, w] = decodeRune(b, i);
    if (r >= 0 && isPrint(r)) out += String.fromCodePoint(r);
    else out += "\\u" + (r < 0 ? 0xfffd : r).toString(16).toUpperCase().padStart(4, "0");
    i += w;
  }
  return out;
}

/** url.QueryEscape. */
export function queryEscape(s: string): string {
  const b = stringToBytes(s);
  let out = "";
  for (const c of b) {
    if (
      (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2d ||
      c === 0x5f || c === 0x2e || c === 0x7e
    ) out += String.fromCharCode(c);
    else if (c === 0x20) out += "+";
    else out += "%" + c.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

export function builtinFuncs(): FuncMap {
  const m: FuncMap = new Map();
  m.set("and", def("value, ...value", () => null));
  m.set("or", def("value, ...value", () => null));
  m.set("call", def("value, ...value", () => null));
  m.set("not", def("value", (a) => !isTrue(a[0]!)));
  m.set("len", def("value", (a) => length(a[0]!)));
  m.set("index", def("value, ...value", (a) => index(a[0]!, a.slice(1))));
  m.set("slice", def("value, ...value", (a) => goSlice(a[0]!, a.slice(1))));
  m.set("print", def("...any", (a) => sprint(a)));
  m.set("printf", def("string, ...any", (a) => sprintf(a[0] as string, a.slice(1))));
  m.set("println", def("...any", (a) => sprintln(a)));
  m.set("html", def("...any", (a) => htmlEscape(evalArgs(a))));
  m.set("js", def("...any", (a) => jsEscape(evalArgs(a))));
  m.set("urlquery", def("...any", (a) => queryEscape(evalArgs(a))));
  m.set("eq", def("value, ...value", (a) => eq(a[0]!, a.slice(1))));
  m.set("ne", def("value, value", (a) => !eq(a[0]!, [a[1]!])));
  m.set("lt", def("value, value", (a) => lt(a[0]!, a[1]!)));
  m.set("le", def("value, value", (a) => le(a[0]!, a[1]!)));
  m.set("gt", def("value, value", (a) => !le(a[0]!, a[1]!)));
  m.set("ge", def("value, value", (a) => !lt(a[0]!, a[1]!)));
  return m;
}

export { isGoObject, T };
