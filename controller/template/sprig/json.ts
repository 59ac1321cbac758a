/**
 * encoding/json as Sprig uses it: Go's encoder (sorted keys, HTML escaping, Go's float format, nil slices as null)
 * and a decoder producing Go's `interface{}` shapes (map[string]interface{}, []interface{}, float64, ...).
 *
 * @module
 */

import { GoError } from "../func.ts";
import { formatFloatJSON } from "../go_strconv.ts";
import { decodeRune, stringToBytes } from "../gostr.ts";
import { GoInt, GoMap, GoSlice, GoStruct, type GoValue, isGoObject, T, typeOf, typeString } from "../values.ts";

const HEX = "0123456789abcdef";

function encodeString(s: string, escapeHTML: boolean): string {
  const b = stringToBytes(s);
  let out = '"';
  for (let i = 0; i < b.length;) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      if (c >= 0x20 && c !== 0x22 && c !== 0x5c && !(escapeHTML && (c === 0x3c || c === 0x3e || c === 0x26))) {
        out += String.fromCharCode(c);
        continue;
      }
      switch (c) {
        case 0x5c:
          out += "\\\\";
          break;
        case 0x22:
          out += '\\"';
          break;
        case 0x08:
          out += "\\b";
          break;
        case 0x0c:
          out += "\\f";
          break;
        case 0x0a:
          out += "\\n";
          break;
        case 0x0d:
          out += "\\r";
          break;
        case 0x09:
          out += "\\t";
          break;
        default:
          out += "\\u00" + HEX[c >> 4] + HEX[c & 15];
      }
      continue;
    }
    const [r, w] = decodeRune(b, i);
    if (r < 0) {
      out += "\\ufffd";
      i += 1;
      continue;
    }
    if (r === 0x2028 || r === 0x2029) out += "\\u202" + HEX[r & 15];
    else out += String.fromCodePoint(r);
    i += w;
  }
  return out + '"';
}

/** json.Marshal / MarshalIndent; throws GoError for unsupported values. */
export function marshalJSON(v: GoValue, opts: { escapeHTML: boolean; indent?: string }): string {
  const ind = opts.indent;
  const enc = (v: GoValue, depth: number): string => {
    if (v === null) return "null";
    switch (typeof v) {
      case "string":
        return encodeString(v, opts.escapeHTML);
      case "boolean":
        return v ? "true" : "false";
      case "number":
        if (!Number.isFinite(v)) {
          throw new GoError(`json: unsupported value: ${Number.isNaN(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf"}`);
        }
        return formatFloatJSON(v);
    }
    if (v instanceof GoInt) return v.v.toString();
    const nl = (d: number): string => (ind === undefined ? "" : "\n" + ind.repeat(d));
    const colon = ind === undefined ? ":" : ": ";
    if (v instanceof GoSlice) {
      if (v.nil) return "null";
      if (v.items.length === 0) return "[]";
      return "[" + v.items.map((x) => nl(depth + 1) + enc(x, depth + 1)).join(",") + nl(depth) + "]";
    }
    if (v instanceof GoMap) {
      if (v.nil) return "null";
      if (v.m.size === 0) return "{}";
      return "{" + v.sortedKeys().map((k) =>
        nl(depth + 1) + encodeString(k, opts.escapeHTML) + colon + enc(v.m.get(k)!, depth + 1)
      ).join(",") + nl(depth) + "}";
    }
    if (v instanceof GoStruct) {
      if (v.type.fields.length === 0) return "{}";
      return "{" + v.type.fields.map((k) =>
        nl(depth + 1) + encodeString(k, opts.escapeHTML) + colon + enc(v.fields.get(k) ?? null, depth + 1)
      ).join(",") + nl(depth) + "}";
    }
    if (isGoObject(v) && v.toJSON) return enc(v.toJSON(), depth);
    throw new GoError(`json: unsupported type: ${typeString(typeOf(v)!)}`);
  };
  return enc(v, 0);
}

function fromJS(x: unknown): GoValue {
  if (x === null) return null;
  switch (typeof x) {
    case "string":
      return fixSurrogates(x);
    case "number":
      return x;
    case "boolean":
      return x;
  }
  if (Array.isArray(x)) return GoSlice.of(T.iface, x.map(fromJS));
  const m = GoMap.of(T.iface);
  for (const [k, v] of Object.entries(x as Record<string, unknown>)) m.m.set(fixSurrogates(k), fromJS(v));
  return m;
}

/** Go replaces escaped lone surrogates (\ud800) with U+FFFD. */
function fixSurrogates(s: string): string {
  return /[\ud800-\udfff]/.test(s)
    ? s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd")
    : s;
}

/** json.Unmarshal into interface{}. Throws GoError with a Go-like message (redacted variant without input). */
export function unmarshalJSON(s: string): GoValue {
  const t = s.replace(/^[ \t\r\n]+/, "");
  if (t === "") throw new GoError("unexpected end of JSON input");
  let parsed: unknown;
  try {
    parsed = JSON.parse(s);
  } catch (e) {
    const msg = (e as Error).message;
    if (/end of JSON input|Unterminated/i.test(msg)) throw new GoError("unexpected end of JSON input");
    const m = /Unexpected token '?(.)'?/.exec(msg) ?? /Unexpected non-whitespace character/.exec(msg);
    const ch = m && m[1] ? m[1] : "?";
    throw new GoError(
      `invalid character '${ch}' looking for beginning of value`,
      "invalid character in JSON input (redacted)",
    );
  }
  return fromJS(parsed);
}
