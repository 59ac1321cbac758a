/**
 * The parts of Go's time package templates reach through Sprig: time.Time with Format/Parse on Go's reference-time
 * layouts, locations (Local is UTC here, as in a container), durations (ParseDuration, String) and the methods a
 * template may call on a time value.
 *
 * @module
 */

import { GoError } from "./func.ts";
import { GoInt, type GoMethod, type GoObject, type GoType, type GoValue, T } from "./values.ts";

/** A time zone: offset and abbreviation at a given instant. */
export interface Location {
  readonly name: string;
  zone(unixSec: number): { offset: number; abbr: string };
}

export const UTC: Location = { name: "UTC", zone: () => ({ offset: 0, abbr: "UTC" }) };
/** Go's time.Local; the controller runs in a container whose zone is UTC, and so does the reference renderer. */
export const LOCAL: Location = { name: "Local", zone: () => ({ offset: 0, abbr: "UTC" }) };

const zoneCache = new Map<string, Location>();

/** time.LoadLocation; null when the name is unknown. */
export function loadLocation(name: string): Location | null {
  if (name === "" || name === "UTC") return UTC;
  if (name === "Local") return LOCAL;
  const cached = zoneCache.get(name);
  if (cached) return cached;
  let fmt: Intl.DateTimeFormat;
  let abbrFmt: Intl.DateTimeFormat;
  try {
    fmt = new Intl.DateTimeFormat("en-US", {
      timeZone: name,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    abbrFmt = new Intl.DateTimeFormat("en-US", { timeZone: name, timeZoneName: "short" });
  } catch {
    return null;
  }
  const loc: Location = {
    name,
    zone(unixSec: number) {
      const d = new Date(unixSec * 1000);
      const parts = Object.fromEntries(fmt.formatToParts(d).map((p) => [p.type, p.value]));
      const asUTC = Date.UTC(
        Number(parts.year),
        Number(parts.month) - 1,
        Number(parts.day),
        Number(parts.hour),
        Number(parts.minute),
        Number(parts.second),
      );
      const offset = Math.round((asUTC - Math.floor(unixSec) * 1000) / 1000);
      let abbr = abbrFmt.formatToParts(d).find((p) => p.type === "timeZoneName")?.value ?? "";
      const m = /^GMT([+-])(\d+)(?::(\d\d))?$/.exec(abbr);
      if (m) abbr = m[1]! + m[2]!.padStart(2, "0") + (m[3] ?? "");
      else if (abbr === "GMT" && offset === 0) abbr = name.startsWith("Etc/") || name === "GMT" ? "GMT" : abbr;
      return { offset, abbr };
    },
  };
  zoneCache.set(name, loc);
  return loc;
}

const START = performance.now();

const TIME_METHODS = new Map<string, (t: GoTime) => GoMethod>();

/** A Go time.Time. */
export class GoTime implements GoObject {
  readonly goType: GoType = T.time;
  constructor(
    readonly sec: number,
    readonly nsec: number,
    readonly loc: Location,
    /** Monotonic reading (time.Now only), printed by String() as m=+... */
    readonly mono?: number,
  ) {}

  static now(): GoTime {
    const ms = Date.now();
    const sec = Math.floor(ms / 1000);
    return new GoTime(sec, (ms - sec * 1000) * 1e6, LOCAL, performance.now() - START);
  }

  static unix(sec: number, nsec = 0): GoTime {
    return new GoTime(sec, nsec, LOCAL);
  }

  in(loc: Location): GoTime {
    return new GoTime(this.sec, this.nsec, loc);
  }

  add(ns: bigint): GoTime {
    const total = BigInt(this.sec) * 1000000000n + BigInt(this.nsec) + ns;
    let s = total / 1000000000n;
    let n = total % 1000000000n;
    if (n < 0n) {
      n += 1000000000n;
      s -= 1n;
    }
    return new GoTime(
      Number(s),
      Number(n),
      this.loc,
      this.mono === undefined ? undefined : this.mono + Number(ns) / 1e6,
    );
  }

  /** Calendar fields in the time's zone. */
  fields(): Fields {
    const { offset, abbr } = this.loc.zone(this.sec);
    const local = this.sec + offset;
    const days = Math.floor(local / 86400);
    const secOfDay = local - days * 86400;
    const [year, month, day] = civilFromDays(days);
    const weekday = ((days % 7) + 11) % 7; // 1970-01-01 was a Thursday (4)
    const yday = days - daysFromCivil(year, 1, 1) + 1;
    return {
      year,
      month,
      day,
      hour: Math.floor(secOfDay / 3600),
      min: Math.floor((secOfDay % 3600) / 60),
      sec: secOfDay % 60,
      nsec: this.nsec,
      weekday,
      yday,
      offset,
      abbr,
    };
  }

  format(layout: string): string {
    return formatTime(this, layout);
  }

  goString(): string {
    let s = this.format("2006-01-02 15:04:05.999999999 -0700 MST");
    if (this.mono !== undefined) {
      const ns = Math.round(this.mono * 1e6);
      const sign = ns < 0 ? "-" : "+";
      const a = Math.abs(ns);
      s += ` m=${sign}${Math.floor(a / 1e9)}.${String(a % 1e9).padStart(9, "0")}`;
    }
    return s;
  }

  toJSON(): GoValue {
    return this.format("2006-01-02T15:04:05.999999999Z07:00");
  }

  method(name: string): GoMethod | undefined {
    return TIME_METHODS.get(name)?.(this);
  }

  isZero(): boolean {
    return this.sec === ZERO_SEC && this.nsec === 0;
  }
}

/** Seconds from 1970 to 0001-01-01 (Go's zero time). */
export const ZERO_SEC = -62135596800;

const noArg = (result: GoType, f: () => GoValue): GoMethod => ({ params: [], result, call: () => f() });
TIME_METHODS.set("Unix", (t) => noArg(T.int64, () => GoInt.int64(t.sec)));
TIME_METHODS.set(
  "UnixMilli",
  (t) => noArg(T.int64, () => GoInt.int64(BigInt(t.sec) * 1000n + BigInt(Math.floor(t.nsec / 1e6)))),
);
TIME_METHODS.set("UnixNano", (t) => noArg(T.int64, () => GoInt.int64(BigInt(t.sec) * 1000000000n + BigInt(t.nsec))));
TIME_METHODS.set("Year", (t) => noArg(T.int, () => GoInt.int(t.fields().year)));
TIME_METHODS.set("Day", (t) => noArg(T.int, () => GoInt.int(t.fields().day)));
TIME_METHODS.set("Hour", (t) => noArg(T.int, () => GoInt.int(t.fields().hour)));
TIME_METHODS.set("Minute", (t) => noArg(T.int, () => GoInt.int(t.fields().min)));
TIME_METHODS.set("Second", (t) => noArg(T.int, () => GoInt.int(t.fields().sec)));
TIME_METHODS.set("Nanosecond", (t) => noArg(T.int, () => GoInt.int(t.nsec)));
TIME_METHODS.set("YearDay", (t) => noArg(T.int, () => GoInt.int(t.fields().yday)));
TIME_METHODS.set("IsZero", (t) => noArg(T.bool, () => t.isZero()));
TIME_METHODS.set("UTC", (t) => noArg(T.time, () => t.in(UTC)));
TIME_METHODS.set("String", (t) => noArg(T.string, () => t.goString()));
TIME_METHODS.set("Format", (t) => ({ params: [T.string], result: T.string, call: (a) => t.format(a[0] as string) }));

interface Fields {
  year: number;
  month: number;
  day: number;
  hour: number;
  min: number;
  sec: number;
  nsec: number;
  weekday: number;
  yday: number;
  offset: number;
  abbr: string;
}

export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(z: number): [number, number, number] {
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const y = yoe + era * 400;
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  return [y + (m <= 2 ? 1 : 0), m, d];
}

const LONG_DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const LONG_MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];

type Chunk =
  | "January"
  | "Jan"
  | "1"
  | "01"
  | "Monday"
  | "Mon"
  | "2"
  | "_2"
  | "02"
  | "__2"
  | "002"
  | "15"
  | "3"
  | "03"
  | "4"
  | "04"
  | "5"
  | "05"
  | "2006"
  | "06"
  | "PM"
  | "pm"
  | "MST"
  | "Z0700"
  | "Z070000"
  | "Z07"
  | "Z07:00"
  | "Z07:00:00"
  | "-0700"
  | "-070000"
  | "-07"
  | "-07:00"
  | "-07:00:00"
  | { frac: "0" | "9"; n: number; sep: string };

function startsWithLowerCase(s: string): boolean {
  return s.length > 0 && s[0]! >= "a" && s[0]! <= "z";
}

function isDigitAt(s: string, i: number): boolean {
  return i < s.length && s[i]! >= "0" && s[i]! <= "9";
}

/** Go's nextStdChunk: [prefix, chunk, suffix]. */
function nextStdChunk(layout: string): [string, Chunk | null, string] {
  for (let i = 0; i < layout.length; i++) {
    const c = layout[i]!;
    const rest = layout.slice(i);
    const pre = layout.slice(0, i);
    switch (c) {
      case "J":
        if (rest.startsWith("Jan")) {
          if (rest.startsWith("January")) return [pre, "January", layout.slice(i + 7)];
          if (!startsWithLowerCase(layout.slice(i + 3))) return [pre, "Jan", layout.slice(i + 3)];
        }
        break;
      case "M":
        if (rest.startsWith("Mon")) {
          if (rest.startsWith("Monday")) return [pre, "Monday", layout.slice(i + 6)];
          if (!startsWithLowerCase(layout.slice(i + 3))) return [pre, "Mon", layout.slice(i + 3)];
        }
        if (rest.startsWith("MST")) return [pre, "MST", layout.slice(i + 3)];
        break;
      case "0":
        if (i + 1 < layout.length && layout[i + 1]! >= "1" && layout[i + 1]! <= "6") {
          return [pre, ("0" + layout[i + 1]) as Chunk, layout.slice(i + 2)];
        }
        if (rest.startsWith("002")) return [pre, "002", layout.slice(i + 3)];
        break;
      case "1":
        if (rest.startsWith("15")) return [pre, "15", layout.slice(i + 2)];
        return [pre, "1", layout.slice(i + 1)];
      case "2":
        if (rest.startsWith("2006")) return [pre, "2006", layout.slice(i + 4)];
        return [pre, "2", layout.slice(i + 1)];
      case "_":
        if (rest.startsWith("_2")) {
          if (rest.startsWith("_2006")) return [layout.slice(0, i + 1), "2006", layout.slice(i + 5)];
          return [pre, "_2", layout.slice(i + 2)];
        }
        if (rest.startsWith("__2")) return [pre, "__2", layout.slice(i + 3)];
        break;
      case "3":
      case "4":
      case "5":
        return [pre, c as Chunk, layout.slice(i + 1)];
      case "P":
        if (rest.startsWith("PM")) return [pre, "PM", layout.slice(i + 2)];
        break;
      case "p":
        if (rest.startsWith("pm")) return [pre, "pm", layout.slice(i + 2)];
        break;
      case "-":
        for (const s of ["-07:00:00", "-070000", "-07:00", "-0700", "-07"] as const) {
          if (rest.startsWith(s)) return [pre, s, layout.slice(i + s.length)];
        }
        break;
      case "Z":
        for (const s of ["Z07:00:00", "Z070000", "Z07:00", "Z0700", "Z07"] as const) {
          if (rest.startsWith(s)) return [pre, s, layout.slice(i + s.length)];
        }
        break;
      case ".":
      case ",":
        if (i + 1 < layout.length && (layout[i + 1] === "0" || layout[i + 1] === "9")) {
          const ch = layout[i + 1]!;
          let j = i + 1;
          while (j < layout.length && layout[j] === ch) j++;
          if (!isDigitAt(layout, j)) {
            return [pre, { frac: ch as "0" | "9", n: j - (i + 1), sep: c }, layout.slice(j)];
          }
        }
        break;
    }
  }
  return [layout, null, ""];
}

function pad(n: number, w: number): string {
  const s = String(Math.abs(n));
  return (n < 0 ? "-" : "") + s.padStart(w, "0");
}

function formatTime(t: GoTime, layout: string): string {
  const f = t.fields();
  let out = "";
  while (layout !== "") {
    const [prefix, std, suffix] = nextStdChunk(layout);
    out += prefix;
    if (std === null) break;
    layout = suffix;
    if (typeof std === "object") {
      const digits = String(f.nsec).padStart(9, "0").slice(0, std.n);
      if (std.frac === "0") out += std.sep + digits;
      else {
        const trimmed = digits.replace(/0+$/, "");
        if (trimmed !== "") out += std.sep + trimmed;
      }
      continue;
    }
    switch (std) {
      case "2006": {
        const y = f.year;
        out += y < 0 ? "-" + String(-y).padStart(4, "0") : String(y).padStart(4, "0");
        break;
      }
      case "06":
        out += pad(((f.year % 100) + 100) % 100, 2);
        break;
      case "January":
        out += LONG_MONTHS[f.month - 1];
        break;
      case "Jan":
        out += LONG_MONTHS[f.month - 1]!.slice(0, 3);
        break;
      case "01":
        out += pad(f.month, 2);
        break;
      case "1":
        out += f.month;
        break;
      case "Monday":
        out += LONG_DAYS[f.weekday];
        break;
      case "Mon":
        out += LONG_DAYS[f.weekday]!.slice(0, 3);
        break;
      case "2":
        out += f.day;
        break;
      case "_2":
        out += String(f.day).padStart(2, " ");
        break;
      case "02":
        out += pad(f.day, 2);
        break;
      case "__2":
        out += String(f.yday).padStart(3, " ");
        break;
      case "002":
        out += pad(f.yday, 3);
        break;
      case "15":
        out += pad(f.hour, 2);
        break;
      case "3":
        out += f.hour % 12 === 0 ? 12 : f.hour % 12;
        break;
      case "03":
        out += pad(f.hour % 12 === 0 ? 12 : f.hour % 12, 2);
        break;
      case "4":
        out += f.min;
        break;
      case "04":
        out += pad(f.min, 2);
        break;
      case "5":
        out += f.sec;
        break;
      case "05":
        out += pad(f.sec, 2);
        break;
      case "PM":
        out += f.hour >= 12 ? "PM" : "AM";
        break;
      case "pm":
        out += f.hour >= 12 ? "pm" : "am";
        break;
      case "MST":
        if (f.abbr !== "") out += f.abbr;
        else out += formatOffset(f.offset, false, false, true);
        break;
      default: {
        // zone offsets
        if (f.offset === 0 && std.startsWith("Z")) {
          out += "Z";
          break;
        }
        const colon = std.includes(":");
        const secs = std.endsWith("0000") || std.endsWith(":00:00");
        const hoursOnly = std === "-07" || std === "Z07";
        out += formatOffset(f.offset, colon, secs, hoursOnly);
      }
    }
  }
  return out;
}

function formatOffset(offset: number, colon: boolean, secs: boolean, hoursOnly: boolean): string {
  let zone = Math.trunc(offset / 60);
  let absoffset = offset;
  let s = "";
  if (zone < 0) {
    s = "-";
    zone = -zone;
    absoffset = -absoffset;
  } else s = "+";
  s += pad(Math.floor(zone / 60), 2);
  if (!hoursOnly) {
    if (colon) s += ":";
    s += pad(zone % 60, 2);
  }
  if (secs) {
    if (colon) s += ":";
    s += pad(absoffset % 60, 2);
  }
  return s;
}

/** time.ParseInLocation for the common layouts; throws GoError with Go's message. */
export function parseTime(layout: string, value: string, loc: Location): GoTime {
  const alayout = layout, avalue = value;
  let year = 1, month = -1, day = -1, yday = -1, hour = 0, min = 0, sec = 0, nsec = 0;
  let pmSet = false, amSet = false;
  let zoneOffset: number | null = null;
  const fail = (elem: string, v: string, msg = ""): never => {
    if (msg !== "") {
      throw new GoError(`parsing time ${goq(avalue)}${msg}`, `parsing time (redacted)${msg}`);
    }
    throw new GoError(
      `parsing time ${goq(alayout === "" ? avalue : avalue)} as ${goq(alayout)}: cannot parse ${goq(v)} as ${
        goq(elem)
      }${msg}`,
      `parsing time (redacted) as ${goq(alayout)}: cannot parse value as ${goq(elem)}`,
    );
  };
  const getnum = (v: string, fixed: boolean): [number, string] | null => {
    if (!isDigitAt(v, 0)) return null;
    if (!isDigitAt(v, 1)) {
      if (fixed) return null;
      return [Number(v[0]), v.slice(1)];
    }
    return [Number(v.slice(0, 2)), v.slice(2)];
  };
  while (true) {
    const [prefix, std, suffix] = nextStdChunk(layout);
    const stdstr = layout.slice(prefix.length, layout.length - suffix.length);
    // skip prefix (spaces are flexible)
    {
      let p = prefix, v = value;
      while (p.length > 0 && v.length > 0) {
        if (p[0] === " ") {
          if (v[0] !== " ") break;
          p = p.replace(/^ +/, "");
          v = v.replace(/^ +/, "");
          continue;
        }
        if (p[0] !== v[0]) break;
        p = p.slice(1);
        v = v.slice(1);
      }
      if (p.length > 0) fail(prefix, value);
      value = v;
    }
    if (std === null) {
      if (value.length !== 0) {
        throw new GoError(
          `parsing time ${goq(avalue)}: extra text: ${goq(value)}`,
          "parsing time (redacted): extra text",
        );
      }
      break;
    }
    layout = suffix;
    const hold = value;
    let ok = true;
    if (typeof std === "object") {
      // fractional second in the layout: the value must have the separator and digits
      if (value.length < 1 + std.n && std.frac === "0") fail(stdstr, hold);
      if (std.frac === "0") {
        if (value[0] !== "." && value[0] !== ",") fail(stdstr, hold);
        const digits = value.slice(1, 1 + std.n);
        if (!/^\d+$/.test(digits) || digits.length !== std.n) fail(stdstr, hold);
        nsec = Number(digits.padEnd(9, "0"));
        value = value.slice(1 + std.n);
      } else if (value.length >= 2 && (value[0] === "." || value[0] === ",") && isDigitAt(value, 1)) {
        let i = 1;
        while (i < value.length && isDigitAt(value, i)) i++;
        nsec = Number(value.slice(1, i).slice(0, 9).padEnd(9, "0"));
        value = value.slice(i);
      }
      continue;
    }
    switch (std) {
      case "2006": {
        if (value.length < 4 || !/^\d{4}/.test(value)) ok = false;
        else {
          year = Number(value.slice(0, 4));
          value = value.slice(4);
        }
        break;
      }
      case "06": {
        if (!/^\d\d/.test(value)) ok = false;
        else {
          year = Number(value.slice(0, 2));
          year += year >= 69 ? 1900 : 2000;
          value = value.slice(2);
        }
        break;
      }
      case "January":
      case "Jan": {
        const names = std === "January" ? LONG_MONTHS : LONG_MONTHS.map((m) => m.slice(0, 3));
        const i = names.findIndex((n) => value.toLowerCase().startsWith(n.toLowerCase()));
        if (i < 0) ok = false;
        else {
          month = i + 1;
          value = value.slice(names[i]!.length);
        }
        break;
      }
      case "Monday":
      case "Mon": {
        const names = std === "Monday" ? LONG_DAYS : LONG_DAYS.map((m) => m.slice(0, 3));
        const i = names.findIndex((n) => value.toLowerCase().startsWith(n.toLowerCase()));
        if (i < 0) ok = false;
        else value = value.slice(names[i]!.length);
        break;
      }
      case "01":
      case "1":
      case "02":
      case "_2":
      case "2":
      case "15":
      case "03":
      case "3":
      case "04":
      case "4":
      case "05":
      case "5": {
        if (std === "_2" && value[0] === " ") value = value.slice(1);
        const fixed = std.length === 2 && std !== "_2";
        const r = getnum(value, fixed);
        if (!r) {
          ok = false;
          break;
        }
        const [n, rest] = r;
        value = rest;
        if (std === "01" || std === "1") {
          month = n;
          if (n <= 0 || n > 12) fail(stdstr, hold, ": month out of range");
        } else if (std === "02" || std === "_2" || std === "2") day = n;
        else if (std === "15") {
          hour = n;
          if (n > 23) fail(stdstr, hold, ": hour out of range");
        } else if (std === "03" || std === "3") {
          hour = n;
          if (n > 12) fail(stdstr, hold, ": hour out of range");
        } else if (std === "04" || std === "4") {
          min = n;
          if (n > 59) fail(stdstr, hold, ": minute out of range");
        } else {
          sec = n;
          if (n > 59) fail(stdstr, hold, ": second out of range");
          // fractional seconds after seconds even if not in layout
          if (value.length >= 2 && (value[0] === "." || value[0] === ",") && isDigitAt(value, 1)) {
            const [, nextStd] = nextStdChunk(layout);
            if (!(typeof nextStd === "object")) {
              let i = 1;
              while (i < value.length && isDigitAt(value, i)) i++;
              nsec = Number(value.slice(1, i).slice(0, 9).padEnd(9, "0"));
              value = value.slice(i);
            }
          }
        }
        break;
      }
      case "__2":
      case "002": {
        const m = /^ {0,2}(\d{1,3})/.exec(value);
        if (!m) ok = false;
        else {
          yday = Number(m[1]);
          value = value.slice(m[0].length);
        }
        break;
      }
      case "PM":
      case "pm": {
        const p = value.slice(0, 2).toUpperCase();
        if (p === "PM") pmSet = true;
        else if (p === "AM") amSet = true;
        else ok = false;
        if (ok) value = value.slice(2);
        break;
      }
      case "MST": {
        const m = /^(UTC|GMT|[A-Z]{3,5})/.exec(value);
        if (!m) ok = false;
        else {
          if (m[1] === "UTC" || m[1] === "GMT") zoneOffset = 0;
          value = value.slice(m[0].length);
        }
        break;
      }
      default: {
        if (std.startsWith("Z") && value.startsWith("Z")) {
          value = value.slice(1);
          zoneOffset = 0;
          break;
        }
        const re = std.endsWith(":00:00")
          ? /^([+-])(\d\d):(\d\d):(\d\d)/
          : std.endsWith("0000") && !std.includes(":")
          ? /^([+-])(\d\d)(\d\d)(\d\d)/
          : std.endsWith(":00")
          ? /^([+-])(\d\d):(\d\d)/
          : std.endsWith("00")
          ? /^([+-])(\d\d)(\d\d)/
          : /^([+-])(\d\d)/;
        const m = re.exec(value);
        if (!m) ok = false;
        else {
          const off = Number(m[2]) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0);
          zoneOffset = m[1] === "-" ? -off : off;
          value = value.slice(m[0].length);
        }
      }
    }
    if (!ok) fail(stdstr, hold);
  }
  if (pmSet && hour < 12) hour += 12;
  else if (amSet && hour === 12) hour = 0;
  if (yday >= 0) {
    const start = daysFromCivil(year, 1, 1);
    const [y, m, d] = civilFromDays(start + yday - 1);
    void y;
    if (month < 0) month = m;
    if (day < 0) day = d;
  }
  if (month < 0) month = 1;
  if (day < 0) day = 1;
  const dim = [31, isLeap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
  if (day < 1 || day > dim) {
    throw new GoError(
      `parsing time ${goq(avalue)}: day out of range`,
      "parsing time (redacted): day out of range",
    );
  }
  const local = daysFromCivil(year, month, day) * 86400 + hour * 3600 + min * 60 + sec;
  if (zoneOffset !== null) {
    const t = new GoTime(local - zoneOffset, nsec, UTC);
    if (zoneOffset === 0 && loc !== UTC) return t.in(UTC);
    return new GoTime(local - zoneOffset, nsec, fixedZone(zoneOffset, loc, local - zoneOffset));
  }
  const off = loc.zone(local).offset;
  return new GoTime(local - off, nsec, loc);
}

function fixedZone(offset: number, loc: Location, at: number): Location {
  const z = loc.zone(at);
  if (z.offset === offset) return loc;
  return { name: "", zone: () => ({ offset, abbr: "" }) };
}

function isLeap(y: number): boolean {
  return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
}

function goq(s: string): string {
  return JSON.stringify(s);
}

const UNITS: Record<string, bigint> = {
  ns: 1n,
  us: 1000n,
  "µs": 1000n,
  "μs": 1000n,
  ms: 1000000n,
  s: 1000000000n,
  m: 60000000000n,
  h: 3600000000000n,
};

/** time.ParseDuration; null on error. */
export function parseDuration(s: string): bigint | null {
  const orig = s;
  let neg = false;
  if (s !== "" && (s[0] === "-" || s[0] === "+")) {
    neg = s[0] === "-";
    s = s.slice(1);
  }
  if (s === "0") return 0n;
  if (s === "") return null;
  let total = 0;
  let totalBig = 0n;
  while (s !== "") {
    const m = /^(\d*)(?:\.(\d*))?/.exec(s)!;
    if (m[0] === "" || m[0] === ".") return null;
    s = s.slice(m[0].length);
    const u = /^[^0-9.]+/.exec(s);
    if (!u) return null;
    const unit = UNITS[u[0]];
    if (unit === undefined) return null;
    s = s.slice(u[0].length);
    const whole = BigInt(m[1] || "0");
    let v = whole * unit;
    if (m[2]) {
      const frac = m[2];
      const scale = 10n ** BigInt(frac.length);
      v += (BigInt(frac) * unit) / scale;
    }
    totalBig += v;
    total++;
  }
  void orig;
  if (totalBig > (1n << 63n) - (neg ? 0n : 1n)) return null;
  return neg ? -totalBig : totalBig;
}

/** time.Duration.String. */
export function durationString(d: bigint): string {
  if (d === 0n) return "0s";
  const neg = d < 0n;
  let u = neg ? -d : d;
  if (u < 1000000000n) {
    let unit: string, div: bigint;
    if (u < 1000n) return (neg ? "-" : "") + u + "ns";
    if (u < 1000000n) {
      unit = "µs";
      div = 1000n;
    } else {
      unit = "ms";
      div = 1000000n;
    }
    return (neg ? "-" : "") + fracStr(u, div) + unit;
  }
  let out = "";
  const h = u / 3600000000000n;
  u -= h * 3600000000000n;
  const m = u / 60000000000n;
  u -= m * 60000000000n;
  if (h > 0n) out += h + "h";
  if (h > 0n || m > 0n) out += m + "m";
  out += fracStr(u, 1000000000n) + "s";
  return (neg ? "-" : "") + out;
}

function fracStr(v: bigint, div: bigint): string {
  const whole = v / div;
  const frac = v % div;
  if (frac === 0n) return whole.toString();
  const digits = div.toString().length - 1;
  return whole + "." + frac.toString().padStart(digits, "0").replace(/0+$/, "");
}

/** Duration.Round(time.Second). */
export function roundDuration(d: bigint, m: bigint): bigint {
  let r = d % m;
  if (d < 0n) {
    r = -r;
    if (r + r < m) return d + r;
    const d1 = d - m + r;
    return d1 < d ? d1 : -(1n << 63n);
  }
  if (r + r < m) return d - r;
  const d1 = d + m - r;
  return d1 > d ? d1 : (1n << 63n) - 1n;
}
