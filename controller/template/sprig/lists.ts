/**
 * Sprig's list and dict functions (list.go, dict.go), including mergo's merge rules for `merge`/`mergeOverwrite`.
 *
 * @module
 */

import { def, type FuncMap, GoError } from "../func.ts";
import { reserveList } from "../budget.ts";
import { formatValue } from "../go_fmt.ts";
import { GoInt, GoMap, GoSlice, GoStruct, type GoValue, T, T2, typeOf, typeString } from "../values.ts";
import { deepEqual, empty, listItems, strval, toInt64 } from "./conv.ts";

const iface = (items: GoValue[]): GoSlice => GoSlice.of(T.iface, items);
const nilIface = (): GoSlice => new GoSlice(T2.sliceIface as GoSlice["type"], [], true);

function kindOfName(v: GoValue): string {
  const t = typeOf(v);
  if (!t) return "invalid";
  switch (t.kind) {
    case "time":
    case "struct":
      return "struct";
    default:
      return t.kind;
  }
}

function typeAssertMap(v: GoValue): GoMap {
  if (v instanceof GoMap && v.type === T2.mapIface) return v;
  const got = v === null ? "nil" : typeString(typeOf(v)!);
  throw new GoError(`interface conversion: interface {} is ${got}, not map[string]interface {}`);
}

function typeAssertString(v: GoValue): string {
  if (typeof v === "string") return v;
  const got = v === null ? "nil" : typeString(typeOf(v)!);
  throw new GoError(`interface conversion: interface {} is ${got}, not string`);
}

function isEmptyDeref(v: GoValue | undefined): boolean {
  return v === undefined || empty(v);
}

/** mergo.Merge / MergeWithOverwrite for map[string]interface{} (what sprig's merge functions use). */
function mergeMaps(dst: GoMap, src: GoMap, overwrite: boolean): void {
  for (const [key, sv] of src.m) {
    if (sv === null) {
      if (overwrite) dst.m.set(key, null);
      continue;
    }
    const dv = dst.m.get(key);
    if (sv instanceof GoMap || sv instanceof GoStruct) {
      if (sv instanceof GoMap && dv instanceof GoMap) mergeMaps(dv, sv, overwrite);
    } else if (sv instanceof GoSlice) {
      let dstSlice: GoValue;
      if ((src.m.size > 0) && (overwrite || dst.m.size === 0)) dstSlice = sv;
      else if (dv === undefined || dv === null) dstSlice = new GoSlice(sv.type, []);
      else dstSlice = dv;
      dst.m.set(key, dstSlice);
    }
    if (dv !== undefined && !isEmptyDeref(dv)) {
      if (sv instanceof GoSlice) continue;
      if (sv instanceof GoMap && dv instanceof GoMap) continue;
    }
    const isPtr = typeOf(sv)?.kind === "ptr";
    if ((!isPtr && overwrite) || dv === undefined || isEmptyDeref(dv)) dst.m.set(key, sv);
  }
}

function deepCopy(v: GoValue): GoValue {
  if (v instanceof GoSlice) return new GoSlice(v.type, v.items.map(deepCopy), v.nil);
  if (v instanceof GoMap) return new GoMap(v.type, new Map([...v.m].map(([k, x]) => [k, deepCopy(x)])), v.nil);
  if (v instanceof GoStruct) return new GoStruct(v.type, new Map(v.fields));
  return v;
}

/** How many elements untilStep builds (checked against the budget before building). */
function untilCount(start: bigint, stop: bigint, step: bigint): bigint {
  if (stop < start) return step >= 0n ? 0n : (start - stop + (-step) - 1n) / -step;
  return step <= 0n ? 0n : (stop - start + step - 1n) / step;
}

function untilStep(start: bigint, stop: bigint, step: bigint): GoSlice {
  reserveList(untilCount(start, stop, step));
  const v: GoValue[] = [];
  if (stop < start) {
    if (step >= 0n) return GoSlice.of(T.int, v);
    for (let i = start; i > stop; i += step) v.push(GoInt.int(i));
    return GoSlice.of(T.int, v);
  }
  if (step <= 0n) return GoSlice.of(T.int, v);
  for (let i = start; i < stop; i += step) v.push(GoInt.int(i));
  return GoSlice.of(T.int, v);
}

function seq(params: bigint[]): string {
  let inc = 1n;
  let out: GoSlice;
  switch (params.length) {
    case 0:
      return "";
    case 1: {
      const start = 1n, end = params[0]!;
      if (end < start) inc = -1n;
      out = untilStep(start, end + inc, inc);
      break;
    }
    case 3: {
      const start = params[0]!, end = params[2]!, step = params[1]!;
      if (end < start) {
        inc = -1n;
        if (step > 0n) return "";
      }
      out = untilStep(start, end + inc, step);
      break;
    }
    case 2: {
      const start = params[0]!, end = params[1]!;
      const step = end < start ? -1n : 1n;
      out = untilStep(start, end + step, step);
      break;
    }
    default:
      return "";
  }
  return out.items.map((x) => (x as GoInt).v.toString()).join(" ");
}

function toInt(v: GoValue): number {
  return Number(BigInt.asIntN(64, toInt64(v)));
}

export function listFuncs(f: FuncMap): void {
  const list = def("...any", (a) => iface(a));
  f.set("list", list);
  f.set("tuple", list);
  const pushOp = (must: boolean) =>
    def("any, any", (a) => {
      const items = listItems(a[0]!, (k) => `Cannot push on type ${k}`);
      void must;
      return iface([...items, a[1]!]);
    });
  f.set("append", pushOp(false));
  f.set("push", pushOp(false));
  f.set("mustAppend", pushOp(true));
  f.set("mustPush", pushOp(true));
  const prepend = def("any, any", (a) => iface([a[1]!, ...listItems(a[0]!, (k) => `Cannot prepend on type ${k}`)]));
  f.set("prepend", prepend);
  f.set("mustPrepend", prepend);
  const first = def("any", (a) => {
    const items = listItems(a[0]!, (k) => `Cannot find first on type ${k}`);
    return items.length === 0 ? null : items[0]!;
  });
  f.set("first", first);
  f.set("mustFirst", first);
  const last = def("any", (a) => {
    const items = listItems(a[0]!, (k) => `Cannot find last on type ${k}`);
    return items.length === 0 ? null : items[items.length - 1]!;
  });
  f.set("last", last);
  f.set("mustLast", last);
  const rest = def("any", (a) => {
    const items = listItems(a[0]!, (k) => `Cannot find rest on type ${k}`);
    return items.length === 0 ? nilIface() : iface(items.slice(1));
  });
  f.set("rest", rest);
  f.set("mustRest", rest);
  const initial = def("any", (a) => {
    const items = listItems(a[0]!, (k) => `Cannot find initial on type ${k}`);
    return items.length === 0 ? nilIface() : iface(items.slice(0, -1));
  });
  f.set("initial", initial);
  f.set("mustInitial", initial);
  const reverse = def("any", (a) => iface([...listItems(a[0]!, (k) => `Cannot find reverse on type ${k}`)].reverse()));
  f.set("reverse", reverse);
  f.set("mustReverse", reverse);
  const uniq = def("any", (a) => {
    const out: GoValue[] = [];
    for (const x of listItems(a[0]!, (k) => `Cannot find uniq on type ${k}`)) {
      if (!out.some((y) => deepEqual(x, y))) out.push(x);
    }
    return iface(out);
  });
  f.set("uniq", uniq);
  f.set("mustUniq", uniq);
  const without = def("any, ...any", (a) => {
    const omit = a.slice(1);
    return iface(
      listItems(a[0]!, (k) => `Cannot find without on type ${k}`).filter((x) => !omit.some((y) => deepEqual(x, y))),
    );
  });
  f.set("without", without);
  f.set("mustWithout", without);
  const has = def("any, any", (a) => {
    const hay = a[1]!;
    if (hay === null) return false;
    return listItems(hay, (k) => `Cannot find has on type ${k}`).some((x) => deepEqual(a[0]!, x));
  });
  f.set("has", has);
  f.set("mustHas", has);
  const slice = def("any, ...any", (a) => {
    const l = a[0]!;
    const items = listItems(l, (k) => `list should be type of slice or array but ${k}`);
    if (items.length === 0) return null;
    const n = items.length;
    const start = a.length > 1 ? toInt(a[1]!) : 0;
    const end = a.length > 2 ? toInt(a[2]!) : n;
    if (start < 0 || start > end || end > n) {
      throw new GoError("reflect.Value.Slice: slice index out of bounds");
    }
    return new GoSlice((l as GoSlice).type, items.slice(start, end));
  });
  f.set("slice", slice);
  f.set("mustSlice", slice);
  f.set(
    "concat",
    def("...any", (a) => {
      const res: GoValue[] = [];
      for (const l of a) {
        if (l instanceof GoSlice) res.push(...l.items);
        else if (l === null) throw new GoError("runtime error: invalid memory address or nil pointer dereference");
        else throw new GoError(`Cannot concat type ${kindOfName(l)} as list`);
      }
      return res.length === 0 ? nilIface() : iface(res);
    }),
  );
  const compact = def(
    "any",
    (a) => iface(listItems(a[0]!, (k) => `Cannot compact on type ${k}`).filter((x) => !empty(x))),
  );
  f.set("compact", compact);
  f.set("mustCompact", compact);
  const chunk = def("int, any", (a) => {
    const size = Number((a[0] as GoInt).v);
    const items = listItems(a[1]!, (k) => `Cannot chunk type ${k}`);
    const l = items.length;
    const csF = Math.floor((l - 1) / size) + 1;
    if (!Number.isFinite(csF) || csF < 0) throw new GoError("runtime error: makeslice: len out of range");
    const out: GoValue[] = [];
    for (let i = 0; i < csF; i++) {
      let clen = size;
      if (i === csF - 1) {
        clen = Math.floor(l % size);
        if (clen === 0) clen = size;
      }
      if (clen < 0) throw new GoError("runtime error: makeslice: len out of range");
      const row: GoValue[] = [];
      for (let j = 0; j < clen; j++) {
        const ix = i * size + j;
        if (ix >= l) throw new GoError("reflect: slice index out of range");
        row.push(items[ix]!);
      }
      out.push(iface(row));
    }
    return GoSlice.of(T2.sliceIface, out);
  });
  f.set("chunk", chunk);
  f.set("mustChunk", chunk);

  f.set(
    "until",
    def("int", (a) => {
      const c = (a[0] as GoInt).v;
      return untilStep(0n, c, c < 0n ? -1n : 1n);
    }),
  );
  f.set("untilStep", def("int, int, int", (a) => untilStep((a[0] as GoInt).v, (a[1] as GoInt).v, (a[2] as GoInt).v)));
  f.set("seq", def("...int", (a) => seq(a.map((x) => (x as GoInt).v))));

  // dicts
  f.set(
    "dict",
    def("...any", (a) => {
      const m = GoMap.of(T.iface);
      for (let i = 0; i < a.length; i += 2) {
        const key = strval(a[i]!);
        m.m.set(key, i + 1 >= a.length ? "" : a[i + 1]!);
      }
      return m;
    }),
  );
  f.set(
    "get",
    def("map, string", (a) => {
      const m = a[0] as GoMap;
      const v = m.m.get(a[1] as string);
      return v === undefined ? "" : v;
    }),
  );
  f.set(
    "set",
    def("map, string, any", (a) => {
      const m = mapOrNilPanic(a[0]!);
      m.m.set(a[1] as string, a[2]!);
      return m;
    }),
  );
  f.set(
    "unset",
    def("map, string", (a) => {
      const m = a[0] as GoMap;
      m.m.delete(a[1] as string);
      return m;
    }),
  );
  f.set("hasKey", def("map, string", (a) => (a[0] as GoMap).m.has(a[1] as string)));
  f.set(
    "pluck",
    def("string, ...map", (a) => {
      const res: GoValue[] = [];
      for (const d of a.slice(1) as GoMap[]) {
        const v = d.m.get(a[0] as string);
        if (v !== undefined) res.push(v);
      }
      return iface(res);
    }),
  );
  f.set(
    "keys",
    def("...map", (a) => {
      const k: GoValue[] = [];
      for (const d of a as GoMap[]) k.push(...d.m.keys());
      return GoSlice.of(T.string, k);
    }),
  );
  f.set(
    "pick",
    def("map, ...string", (a) => {
      const src = a[0] as GoMap;
      const res = GoMap.of(T.iface);
      for (const k of a.slice(1) as string[]) if (src.m.has(k)) res.m.set(k, src.m.get(k)!);
      return res;
    }),
  );
  f.set(
    "omit",
    def("map, ...string", (a) => {
      const src = a[0] as GoMap;
      const omit = new Set(a.slice(1) as string[]);
      const res = GoMap.of(T.iface);
      for (const [k, v] of src.m) if (!omit.has(k)) res.m.set(k, v);
      return res;
    }),
  );
  for (
    const [name, overwrite] of [["merge", false], ["mergeOverwrite", true], ["mustMerge", false], [
      "mustMergeOverwrite",
      true,
    ]] as const
  ) {
    f.set(
      name,
      def("map, ...map", (a) => {
        let dst = a[0] as GoMap;
        for (const src of a.slice(1) as GoMap[]) {
          if (dst.nil && src.nil) continue;
          if (dst.nil) dst = GoMap.of(T.iface);
          if (src.nil) continue;
          mergeMaps(dst, src, overwrite);
        }
        return dst.nil ? null : dst;
      }),
    );
  }
  f.set("values", def("map", (a) => iface([...(a[0] as GoMap).m.values()])));
  f.set("deepCopy", def("any", (a) => deepCopy(a[0]!)));
  f.set("mustDeepCopy", def("any", (a) => deepCopy(a[0]!)));
  f.set(
    "dig",
    def("...any", (a) => {
      if (a.length < 3) throw new GoError("dig needs at least three arguments");
      let dict = typeAssertMap(a[a.length - 1]!);
      const dflt = a[a.length - 2]!;
      const ks = a.slice(0, -2).map(typeAssertString);
      for (let i = 0; i < ks.length; i++) {
        const step = dict.m.get(ks[i]!);
        if (step === undefined) return dflt;
        if (i === ks.length - 1) return step;
        dict = typeAssertMap(step);
      }
      return dflt;
    }),
  );
  void formatValue;
}

function mapOrNilPanic(v: GoValue): GoMap {
  const m = v as GoMap;
  if (m.nil) throw new GoError("assignment to entry in nil map");
  return m;
}
