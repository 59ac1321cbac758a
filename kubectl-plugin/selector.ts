/**
 * Label selectors as kubectl takes them (`-l`): `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`,
 * comma-separated. Parsed locally so that a typo is a usage error (exit 2) rather than a 400 from the server, and
 * matched locally where the plugin filters objects it already has.
 *
 * @module
 */
import { UsageError } from "./errors.ts";

/** One requirement of a selector. */
export type Requirement =
  | { key: string; op: "=" | "!="; value: string }
  | { key: string; op: "in" | "notin"; values: string[] }
  | { key: string; op: "exists" | "!exists" };

const KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

function checkKey(key: string, text: string): string {
  if (!KEY.test(key) || key.length > 316) {
    throw new UsageError(`invalid label selector "${text}": "${key}" is not a valid label key`);
  }
  return key;
}

function checkValue(value: string, text: string): string {
  if (!VALUE.test(value) || value.length > 63) {
    throw new UsageError(`invalid label selector "${text}": "${value}" is not a valid label value`);
  }
  return value;
}

/** Splits on commas that are not inside parentheses. */
function splitTop(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = "";
  for (const c of text) {
    if (c === "(") depth++;
    if (c === ")") depth--;
    if (c === "," && depth === 0) {
      parts.push(cur);
      cur = "";
    } else {
      cur += c;
    }
  }
  parts.push(cur);
  return parts;
}

/** Parses a selector; throws a {@link UsageError} naming the bad part. The empty selector matches everything. */
export function parseSelector(text: string): Requirement[] {
  if (text.trim() === "") return [];
  const out: Requirement[] = [];
  for (const raw of splitTop(text)) {
    const part = raw.trim();
    if (part === "") throw new UsageError(`invalid label selector "${text}": empty requirement`);
    let m: RegExpExecArray | null;
    if ((m = /^(\S+?)\s+(in|notin)\s*\(([^()]*)\)$/.exec(part))) {
      const values = m[3]!.split(",").map((v) => checkValue(v.trim(), text));
      out.push({ key: checkKey(m[1]!, text), op: m[2] as "in" | "notin", values });
    } else if ((m = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(part))) {
      out.push({ key: checkKey(m[1]!, text), op: m[2] === "!=" ? "!=" : "=", value: checkValue(m[3]!, text) });
    } else if ((m = /^!\s*(\S+)$/.exec(part))) {
      out.push({ key: checkKey(m[1]!, text), op: "!exists" });
    } else if (/^\S+$/.test(part)) {
      out.push({ key: checkKey(part, text), op: "exists" });
    } else {
      throw new UsageError(`invalid label selector "${text}": cannot parse "${part}"`);
    }
  }
  return out;
}

/** Whether `labels` satisfy every requirement. */
export function matchesSelector(reqs: readonly Requirement[], labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  return reqs.every((r) => {
    const has = Object.hasOwn(l, r.key);
    switch (r.op) {
      case "=":
        return has && l[r.key] === r.value;
      case "!=":
        return !has || l[r.key] !== r.value;
      case "in":
        return has && r.values.includes(l[r.key]!);
      case "notin":
        return !has || !r.values.includes(l[r.key]!);
      case "exists":
        return has;
      case "!exists":
        return !has;
    }
  });
}
