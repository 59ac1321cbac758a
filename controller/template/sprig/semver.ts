/**
 * Masterminds/semver v3 as Sprig exposes it: `semver` (a *semver.Version with methods) and `semverCompare`
 * (constraints with ranges, wildcards, ~, ^ and its prerelease rules). The constraint grammar is matched with the
 * library's own regular expressions, run through our RE2 engine.
 *
 * @module
 */

import { def, type FuncMap, GoError } from "../func.ts";
import { GoInt, type GoMethod, type GoObject, type GoType, type GoValue, T, T2 } from "../values.ts";
import { GoRegexp } from "./regex.ts";

const semVerRegex = String.raw`v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?` +
  String.raw`(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?` +
  String.raw`(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?`;
const cvRegex = String.raw`v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?` +
  String.raw`(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?` +
  String.raw`(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?`;
const ops = String.raw`=||!=|>|<|>=|=>|<=|=<|~|~>|\^`;

let regexes: { version: GoRegexp; constraint: GoRegexp; range: GoRegexp; find: GoRegexp; valid: GoRegexp } | null =
  null;
function re(): NonNullable<typeof regexes> {
  return regexes ??= {
    version: new GoRegexp("^" + semVerRegex + "$"),
    constraint: new GoRegexp(String.raw`^\s*(${ops})\s*(${cvRegex})\s*$`),
    range: new GoRegexp(String.raw`\s*(${cvRegex})\s+-\s+(${cvRegex})\s*`),
    find: new GoRegexp(String.raw`(${ops})\s*(${cvRegex})`),
    valid: new GoRegexp(String.raw`^(\s*(${ops})\s*(${cvRegex})\s*)((?:\s+|,\s*)(${ops})\s*(${cvRegex})\s*)*$`),
  };
}

function submatch(r: GoRegexp, s: string): string[] | null {
  const m = r.findAll(s, 1)[0];
  if (!m) return null;
  const out: string[] = [];
  for (let i = 0; i < m.length; i += 2) out.push(m[i]! >= 0 ? s.slice(m[i], m[i + 1]) : "");
  return out;
}

const ALLOWED = /^[a-zA-Z0-9-]*$/;
const NUM = /^[0-9]*$/;

/** A parsed version (semver.Version). */
export class SemVersion implements GoObject {
  readonly goType: GoType = T2.semver;
  constructor(
    readonly major: bigint,
    readonly minor: bigint,
    readonly patch: bigint,
    readonly pre: string,
    readonly metadata: string,
    readonly original: string,
  ) {}

  goString(): string {
    let s = `${this.major}.${this.minor}.${this.patch}`;
    if (this.pre !== "") s += "-" + this.pre;
    if (this.metadata !== "") s += "+" + this.metadata;
    return s;
  }

  toJSON(): GoValue {
    return this.goString();
  }

  method(name: string): GoMethod | undefined {
    const u64 = (v: bigint): GoMethod => ({ params: [], result: T.int64, call: () => GoInt.of("uint64", v) });
    const str = (v: string): GoMethod => ({ params: [], result: T.string, call: () => v });
    switch (name) {
      case "Major":
        return u64(this.major);
      case "Minor":
        return u64(this.minor);
      case "Patch":
        return u64(this.patch);
      case "Prerelease":
        return str(this.pre);
      case "Metadata":
        return str(this.metadata);
      case "Original":
        return str(this.original);
      case "String":
        return str(this.goString());
    }
    return undefined;
  }

  compare(o: SemVersion): number {
    for (const [a, b] of [[this.major, o.major], [this.minor, o.minor], [this.patch, o.patch]] as const) {
      if (a < b) return -1;
      if (a > b) return 1;
    }
    if (this.pre === "" && o.pre === "") return 0;
    if (this.pre === "") return 1;
    if (o.pre === "") return -1;
    return comparePrerelease(this.pre, o.pre);
  }
}

function comparePrerelease(v: string, o: string): number {
  const sp = v.split("."), op = o.split(".");
  const l = Math.max(sp.length, op.length);
  for (let i = 0; i < l; i++) {
    const d = comparePrePart(sp[i] ?? "", op[i] ?? "");
    if (d !== 0) return d;
  }
  return 0;
}

function parseU64(s: string): bigint | null {
  if (!/^[0-9]+$/.test(s)) return null;
  const v = BigInt(s);
  return v >= 1n << 64n ? null : v;
}

function comparePrePart(s: string, o: string): number {
  if (s === o) return 0;
  if (s === "") return o !== "" ? -1 : 1;
  if (o === "") return s !== "" ? 1 : -1;
  const oi = parseU64(o), si = parseU64(s);
  if (oi === null && si === null) return s > o ? 1 : -1;
  if (oi === null) return -1;
  if (si === null) return 1;
  return si > oi ? 1 : -1;
}

/** semver.NewVersion. */
export function newVersion(v: string): SemVersion {
  const m = submatch(re().version, v);
  if (!m) throw new GoError("Invalid Semantic Version");
  const seg = (s: string): bigint => {
    const x = parseU64(s);
    if (x === null) {
      throw new GoError(`Error parsing version segment: strconv.ParseUint: parsing "${s}": value out of range`);
    }
    return x;
  };
  const major = seg(m[1]!);
  const minor = m[2] ? seg(m[2].slice(1)) : 0n;
  const patch = m[3] ? seg(m[3].slice(1)) : 0n;
  const pre = m[5]!, meta = m[8]!;
  if (pre !== "") {
    for (const p of pre.split(".")) {
      if (NUM.test(p)) {
        if (p.length > 1 && p[0] === "0") throw new GoError("Version segment starts with 0");
      } else if (!ALLOWED.test(p)) throw new GoError("Invalid Prerelease string");
    }
  }
  if (meta !== "") {
    for (const p of meta.split(".")) if (!ALLOWED.test(p)) throw new GoError("Invalid Metadata string");
  }
  return new SemVersion(major, minor, patch, pre, meta, v);
}

interface Constraint {
  con: SemVersion;
  orig: string;
  op: string;
  minorDirty: boolean;
  patchDirty: boolean;
  dirty: boolean;
}

const isX = (x: string): boolean => x === "x" || x === "*" || x === "X";

function parseConstraint(c: string): Constraint {
  if (c.length > 0) {
    const m = submatch(re().constraint, c);
    if (!m) throw new GoError(`improper constraint: ${c}`);
    let ver = m[2]!;
    let minorDirty = false, patchDirty = false, dirty = false;
    if (isX(m[3]!) || m[3] === "") {
      ver = `0.0.0${m[6]}`;
      dirty = true;
    } else if (isX(m[4]!.replace(/^\./, "")) || m[4] === "") {
      minorDirty = dirty = true;
      ver = `${m[3]}.0.0${m[6]}`;
    } else if (isX(m[5]!.replace(/^\./, "")) || m[5] === "") {
      dirty = patchDirty = true;
      ver = `${m[3]}${m[4]}.0${m[6]}`;
    }
    let con: SemVersion;
    try {
      con = newVersion(ver);
    } catch {
      throw new GoError("constraint Parser Error");
    }
    return { con, orig: m[2]!, op: m[1]!, minorDirty, patchDirty, dirty };
  }
  return { con: newVersion("0.0.0"), orig: c, op: "", minorDirty: false, patchDirty: false, dirty: true };
}

function rewriteRange(i: string): string {
  const r = re().range;
  const ms = r.findAll(i, -1);
  let o = i;
  for (const m of ms) {
    const whole = i.slice(m[0], m[1]);
    const v1 = i.slice(m[2], m[3]);
    const v11 = i.slice(m[22], m[23]);
    o = o.replace(whole, `>= ${v1}, <= ${v11} `);
  }
  return o;
}

/** semver.NewConstraint + Check. */
export function semverCompare(constraint: string, version: string): boolean {
  const c = rewriteRange(constraint);
  const ors = c.split("||");
  const parsed: Constraint[][] = [];
  for (const v of ors) {
    if (!re().valid.matchString(v)) throw new GoError(`improper constraint: ${v}`);
    const found = re().find.findAll(v, -1).map((m) => v.slice(m[0], m[1]));
    const cs = found.length === 0 ? [v] : found;
    parsed.push(cs.map(parseConstraint));
  }
  const ver = newVersion(version);
  return parsed.some((and) => and.every((k) => check(ver, k)));
}

function check(v: SemVersion, c: Constraint): boolean {
  const preBlocked = v.pre !== "" && c.con.pre === "";
  switch (c.op) {
    case "":
    case "=":
      if (preBlocked) return false;
      if (c.dirty) return tilde(v, c);
      return v.compare(c.con) === 0;
    case "!=":
      if (c.dirty) {
        if (v.pre !== "" && c.con.pre === "") return false;
        if (c.con.major !== v.major) return true;
        if (c.con.minor !== v.minor && !c.minorDirty) return true;
        else if (c.minorDirty) return false;
        else if (c.con.patch !== v.patch && !c.patchDirty) return true;
        else if (c.patchDirty) {
          if (v.pre !== "" || c.con.pre !== "") return comparePrerelease(v.pre, c.con.pre) !== 0;
          return false;
        }
      }
      return v.compare(c.con) !== 0;
    case ">":
      if (preBlocked) return false;
      if (!c.dirty) return v.compare(c.con) === 1;
      if (v.major > c.con.major) return true;
      if (v.major < c.con.major) return false;
      if (c.minorDirty) return false;
      if (c.patchDirty) return v.minor > c.con.minor;
      return v.compare(c.con) === 1;
    case "<":
      if (preBlocked) return false;
      return v.compare(c.con) < 0;
    case ">=":
    case "=>":
      if (preBlocked) return false;
      return v.compare(c.con) >= 0;
    case "<=":
    case "=<":
      if (preBlocked) return false;
      if (!c.dirty) return v.compare(c.con) <= 0;
      if (v.major > c.con.major) return false;
      if (v.major === c.con.major && v.minor > c.con.minor && !c.minorDirty) return false;
      return true;
    case "~":
    case "~>":
      if (preBlocked) return false;
      return tilde(v, c);
    case "^": {
      if (preBlocked) return false;
      if (v.compare(c.con) < 0) return false;
      if (c.con.major > 0n || c.minorDirty) return v.major === c.con.major;
      if (c.con.major === 0n && v.major > 0n) return false;
      if (c.con.minor > 0n || c.patchDirty) return v.minor === c.con.minor;
      if (c.con.minor === 0n && v.minor > 0n) return false;
      return c.con.patch === v.patch;
    }
  }
  return false;
}

function tilde(v: SemVersion, c: Constraint): boolean {
  if (v.pre !== "" && c.con.pre === "") return false;
  if (v.compare(c.con) < 0) return false;
  if (c.con.major === 0n && c.con.minor === 0n && c.con.patch === 0n && !c.minorDirty && !c.patchDirty) return true;
  if (v.major !== c.con.major) return false;
  if (v.minor !== c.con.minor && !c.minorDirty) return false;
  return true;
}

export function semverFuncs(f: FuncMap): void {
  f.set("semver", def("string", (a) => newVersion(a[0] as string)));
  f.set("semverCompare", def("string, string", (a) => semverCompare(a[0] as string, a[1] as string)));
}
