/**
 * Sprig's date functions (date.go) on the Go time model of go_time.ts.
 *
 * @module
 */

import { def, type FuncMap, GoError } from "../func.ts";
import {
  durationString,
  GoTime,
  loadLocation,
  LOCAL,
  parseDuration,
  parseTime,
  roundDuration,
  UTC,
  ZERO_SEC,
} from "../go_time.ts";
import { GoInt, type GoValue } from "../values.ts";

function asTime(v: GoValue, allowInt32: boolean): GoTime {
  if (v instanceof GoTime) return v;
  if (v instanceof GoInt) {
    const k = v.type.kind;
    if (k === "int64" || k === "int" || (allowInt32 && k === "int32")) return GoTime.unix(Number(v.v));
  }
  return GoTime.now();
}

function dateInZone(fmt: string, date: GoValue, zone: string): string {
  const t = asTime(date, true);
  const loc = loadLocation(zone) ?? UTC;
  return t.in(loc).format(fmt);
}

function since(t: GoTime): bigint {
  const now = GoTime.now();
  return (BigInt(now.sec) - BigInt(t.sec)) * 1000000000n + BigInt(now.nsec - t.nsec);
}

export function dateFuncs(f: FuncMap): void {
  f.set("now", def("", () => GoTime.now()));
  f.set("date", def("string, any", (a) => dateInZone(a[0] as string, a[1]!, "Local")));
  const inZone = def("string, any, string", (a) => dateInZone(a[0] as string, a[1]!, a[2] as string));
  f.set("dateInZone", inZone);
  f.set("date_in_zone", inZone);
  f.set("htmlDate", def("any", (a) => dateInZone("2006-01-02", a[0]!, "Local")));
  f.set("htmlDateInZone", def("any, string", (a) => dateInZone("2006-01-02", a[0]!, a[1] as string)));
  const modify = def("string, time", (a) => {
    const d = parseDuration(a[0] as string);
    const t = a[1] as GoTime | null ?? new GoTime(ZERO_SEC, 0, UTC);
    return d === null ? t : t.add(d);
  });
  f.set("dateModify", modify);
  f.set("date_modify", modify);
  const mustModify = def("string, time", (a) => {
    const d = parseDuration(a[0] as string);
    if (d === null) throw new GoError(`time: invalid duration ${JSON.stringify(a[0])}`);
    return (a[1] as GoTime).add(d);
  });
  f.set("mustDateModify", mustModify);
  f.set("must_date_modify", mustModify);
  f.set(
    "ago",
    def("any", (a) => {
      const v = a[0]!;
      let t: GoTime;
      if (v instanceof GoTime) t = v;
      else if (v instanceof GoInt && (v.type.kind === "int64" || v.type.kind === "int")) t = GoTime.unix(Number(v.v));
      else t = GoTime.now();
      return durationString(roundDuration(since(t), 1000000000n));
    }),
  );
  f.set(
    "duration",
    def("any", (a) => {
      const v = a[0]!;
      let n = 0n;
      if (typeof v === "string") {
        n = /^[+-]?[0-9]+$/.test(v) && BigInt(v) < 1n << 63n && BigInt(v) >= -(1n << 63n) ? BigInt(v) : 0n;
      } else if (v instanceof GoInt && v.type.kind === "int64") n = v.v;
      return durationString(BigInt.asIntN(64, n * 1000000000n));
    }),
  );
  f.set(
    "durationRound",
    def("any", (a) => {
      const v = a[0]!;
      let d = 0n;
      if (typeof v === "string") d = parseDuration(v) ?? 0n;
      else if (v instanceof GoInt && v.type.kind === "int64") d = v.v;
      else if (v instanceof GoTime) d = since(v);
      let u = BigInt.asUintN(64, d);
      if (d < 0n) u = BigInt.asUintN(64, -u);
      const H = 3600000000000n;
      const units: [bigint, string][] = [[H * 24n * 365n, "y"], [H * 24n * 30n, "mo"], [H * 24n, "d"], [H, "h"], [
        60000000000n,
        "m",
      ], [1000000000n, "s"]];
      for (const [n, s] of units) if (u > n) return (u / n).toString() + s;
      return "0s";
    }),
  );
  f.set(
    "toDate",
    def("string, string", (a) => {
      try {
        return parseTime(a[0] as string, a[1] as string, LOCAL);
      } catch {
        return new GoTime(ZERO_SEC, 0, UTC);
      }
    }),
  );
  f.set("mustToDate", def("string, string", (a) => parseTime(a[0] as string, a[1] as string, LOCAL)));
  f.set("unixEpoch", def("time", (a) => String((a[0] as GoTime).sec)));
}
