/**
 * Sprig's arithmetic (numeric.go and the inline functions of functions.go): int64 math with Go's wrap-around,
 * shopspring/decimal for the `...f` functions, spf13/cast conversions.
 *
 * @module
 */

import { def, type FuncMap, GoError } from "../func.ts";
import { formatValue } from "../go_fmt.ts";
import { parseGoInt } from "../go_strconv.ts";
import { GoInt, type GoValue } from "../values.ts";
import { floatToInt64, toFloat64, toInt64 } from "./conv.ts";

const i64 = (n: bigint): GoInt => GoInt.int64(n);

/** A decimal number: value = coef × 10^-scale. */
interface Dec {
  coef: bigint;
  scale: number;
}

function decFromFloat(f: number): Dec {
  if (Number.isNaN(f)) throw new GoError("Cannot create a Decimal from NaN");
  if (!Number.isFinite(f)) throw new GoError(`Cannot create a Decimal from ${f > 0 ? "+Inf" : "-Inf"}`);
  if (f === 0) return { coef: 0n, scale: 0 };
  const e = Math.abs(f).toExponential(); // shortest round-trip digits, as decimal.NewFromFloat uses
  const m = /^(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(e)!;
  const digits = m[1]! + (m[2] ?? "");
  const exp = Number(m[3]) - (digits.length - 1);
  let coef = BigInt(digits);
  if (f < 0) coef = -coef;
  if (exp >= 0) return { coef: coef * 10n ** BigInt(exp), scale: 0 };
  return { coef, scale: -exp };
}

function align(a: Dec, b: Dec): [bigint, bigint, number] {
  const s = Math.max(a.scale, b.scale);
  return [a.coef * 10n ** BigInt(s - a.scale), b.coef * 10n ** BigInt(s - b.scale), s];
}

function decToFloat(d: Dec): number {
  const neg = d.coef < 0n;
  let s = (neg ? -d.coef : d.coef).toString();
  if (d.scale > 0) {
    s = s.padStart(d.scale + 1, "0");
    s = s.slice(0, s.length - d.scale) + "." + s.slice(s.length - d.scale);
  }
  return Number((neg ? "-" : "") + s);
}

const DIVISION_PRECISION = 16;

function decOp(op: string, a: Dec, b: Dec): Dec {
  switch (op) {
    case "+": {
      const [x, y, s] = align(a, b);
      return { coef: x + y, scale: s };
    }
    case "-": {
      const [x, y, s] = align(a, b);
      return { coef: x - y, scale: s };
    }
    case "*":
      return { coef: a.coef * b.coef, scale: a.scale + b.scale };
    default: {
      if (b.coef === 0n) throw new GoError("decimal division by 0");
      // round half away from zero to 16 places
      const [x, y] = align(a, b);
      const num = x * 10n ** BigInt(DIVISION_PRECISION + 1);
      let q = num / y;
      const neg = q < 0n;
      if (neg) q = -q;
      const last = q % 10n;
      q = q / 10n;
      if (last >= 5n) q += 1n;
      return { coef: neg ? -q : q, scale: DIVISION_PRECISION };
    }
  }
}

function execDecimalOp(a: GoValue, b: GoValue[], op: string): number {
  let prt = decFromFloat(toFloat64(a));
  for (const x of b) prt = decOp(op, prt, decFromFloat(toFloat64(x)));
  return decToFloat(prt);
}

function goRound(a: GoValue, p: bigint, rOpt: GoValue[]): number {
  const roundOn = rOpt.length > 0 ? (rOpt[0] as number) : 0.5;
  const val = toFloat64(a);
  const pow = Math.pow(10, Number(p));
  const digit = pow * val;
  const div = digit - Math.trunc(digit);
  const r = div >= roundOn ? Math.ceil(digit) : Math.floor(digit);
  return r / pow;
}

function atoi(s: string): GoInt {
  if (!/^[+-]?[0-9]+$/.test(s)) return GoInt.int(0);
  let v = BigInt(s);
  const max = (1n << 63n) - 1n, min = -(1n << 63n);
  if (v > max) v = max;
  if (v < min) v = min;
  return GoInt.int(v);
}

export function mathFuncs(f: FuncMap): void {
  f.set("atoi", def("string", (a) => atoi(a[0] as string)));
  f.set("int64", def("any", (a) => i64(toInt64(a[0]!))));
  f.set("int", def("any", (a) => GoInt.int(toInt64(a[0]!))));
  f.set("float64", def("any", (a) => toFloat64(a[0]!)));
  f.set("toDecimal", def("any", (a) => i64(parseGoInt(formatValue(a[0]!), 8) ?? 0n)));
  f.set("add1", def("any", (a) => i64(toInt64(a[0]!) + 1n)));
  f.set("add", def("...any", (a) => i64(a.reduce<bigint>((s, x) => BigInt.asIntN(64, s + toInt64(x)), 0n))));
  f.set("sub", def("any, any", (a) => i64(toInt64(a[0]!) - toInt64(a[1]!))));
  f.set(
    "div",
    def("any, any", (a) => {
      const d = toInt64(a[1]!);
      if (d === 0n) throw new GoError("runtime error: integer divide by zero");
      return i64(toInt64(a[0]!) / d);
    }),
  );
  f.set(
    "mod",
    def("any, any", (a) => {
      const d = toInt64(a[1]!);
      if (d === 0n) throw new GoError("runtime error: integer divide by zero");
      return i64(toInt64(a[0]!) % d);
    }),
  );
  f.set(
    "mul",
    def(
      "any, ...any",
      (a) => i64(a.slice(1).reduce<bigint>((s, x) => BigInt.asIntN(64, s * toInt64(x)), toInt64(a[0]!))),
    ),
  );
  f.set(
    "randInt",
    def("int, int", (a) => {
      const min = (a[0] as GoInt).v, max = (a[1] as GoInt).v;
      const n = max - min;
      if (n <= 0n) throw new GoError("invalid argument to Intn");
      return GoInt.int(min + BigInt(Math.floor(Math.random() * Number(n))));
    }),
  );
  f.set("add1f", def("any", (a) => execDecimalOp(a[0]!, [GoInt.int(1)], "+")));
  f.set("addf", def("...any", (a) => execDecimalOp(0, a, "+")));
  f.set("subf", def("any, ...any", (a) => execDecimalOp(a[0]!, a.slice(1), "-")));
  f.set("divf", def("any, ...any", (a) => execDecimalOp(a[0]!, a.slice(1), "/")));
  f.set("mulf", def("any, ...any", (a) => execDecimalOp(a[0]!, a.slice(1), "*")));
  const max = def("any, ...any", (a) => {
    let aa = toInt64(a[0]!);
    for (const b of a.slice(1)) {
      const bb = toInt64(b);
      if (bb > aa) aa = bb;
    }
    return i64(aa);
  });
  f.set("max", max);
  f.set("biggest", max);
  f.set(
    "min",
    def("any, ...any", (a) => {
      let aa = toInt64(a[0]!);
      for (const b of a.slice(1)) {
        const bb = toInt64(b);
        if (bb < aa) aa = bb;
      }
      return i64(aa);
    }),
  );
  f.set(
    "maxf",
    def("any, ...any", (a) => a.slice(1).reduce<number>((m, b) => goMax(m, toFloat64(b)), toFloat64(a[0]!))),
  );
  f.set(
    "minf",
    def("any, ...any", (a) => a.slice(1).reduce<number>((m, b) => goMin(m, toFloat64(b)), toFloat64(a[0]!))),
  );
  f.set("ceil", def("any", (a) => Math.ceil(toFloat64(a[0]!))));
  f.set("floor", def("any", (a) => Math.floor(toFloat64(a[0]!))));
  f.set("round", def("any, int, ...float64", (a) => goRound(a[0]!, (a[1] as GoInt).v, a.slice(2))));
  void floatToInt64;
}

function goMax(x: number, y: number): number {
  if (x === Infinity || y === Infinity) return Infinity;
  if (Number.isNaN(x) || Number.isNaN(y)) return NaN;
  if (x === 0 && y === 0) return Object.is(x, -0) ? y : x;
  return x > y ? x : y;
}
function goMin(x: number, y: number): number {
  if (x === -Infinity || y === -Infinity) return -Infinity;
  if (Number.isNaN(x) || Number.isNaN(y)) return NaN;
  if (x === 0 && y === 0) return Object.is(x, -0) ? x : y;
  return x < y ? x : y;
}
