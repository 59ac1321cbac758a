/**
 * Provider-independent handling of fetched values, as ESO does it: `property` (a gjson path into a JSON value),
 * `decodingStrategy` and `nullBytePolicy`; exploding a JSON object (`extract`); filtering a listing (`find`). Pure
 * functions.
 *
 * @module
 */
import { compileGoRegexp } from "../api/go_regexp.ts";
import type { ExternalSecretFind } from "../api/types.ts";
import type { ListedSecret } from "./provider.ts";

/** The property does not exist in the value. The message names the key and property, never the value. */
export class PropertyNotFoundError extends Error {
  override readonly name = "PropertyNotFoundError";
}

/** Splits a gjson path on unescaped dots (`a\.b.c` → [`a.b`, `c`]). */
export function splitPath(path: string): string[] {
  const parts: string[] = [];
  let cur = "";
  for (let i = 0; i < path.length; i++) {
    const c = path[i]!;
    if (c === "\\" && i + 1 < path.length) {
      cur += path[++i];
    } else if (c === ".") {
      parts.push(cur);
      cur = "";
    } else {
      cur += c;
    }
  }
  parts.push(cur);
  return parts;
}

function step(value: unknown, part: string): { found: boolean; value?: unknown } {
  if (Array.isArray(value)) {
    if (part === "#") return { found: true, value: value.length };
    if (/^\d+$/.test(part)) {
      const i = Number(part);
      return i < value.length ? { found: true, value: value[i] } : { found: false };
    }
    return { found: false };
  }
  if (value !== null && typeof value === "object" && Object.hasOwn(value, part)) {
    return { found: true, value: (value as Record<string, unknown>)[part] };
  }
  return { found: false };
}

function lookup(root: unknown, parts: string[]): { found: boolean; value?: unknown } {
  let cur: { found: boolean; value?: unknown } = { found: true, value: root };
  for (const part of parts) {
    cur = step(cur.value, part);
    if (!cur.found) return cur;
  }
  return cur;
}

/**
 * Selects `property` from a JSON document the way ESO's Azure provider does with gjson: dots separate levels,
 * `\.` escapes a dot, numbers index arrays, `#` is an array's length. If the path has dots and is not found, it is
 * retried as one key with the dots kept (ESO's fallback for keys like `tls.crt`). Strings come back unquoted, other
 * JSON values as their JSON text.
 */
export function selectProperty(json: string, property: string, keyForErrors: string): string {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch {
    throw new PropertyNotFoundError(
      `property ${property} cannot be read from key ${keyForErrors}: the value is not valid JSON`,
    );
  }
  let hit = lookup(doc, splitPath(property));
  if (!hit.found && property.includes(".")) hit = lookup(doc, [property]);
  if (!hit.found) throw new PropertyNotFoundError(`property ${property} does not exist in key ${keyForErrors}`);
  return typeof hit.value === "string" ? hit.value : JSON.stringify(hit.value);
}

function decodeBase64(text: string, url: boolean): Uint8Array | undefined {
  let s = text.trim();
  if (url) s = s.replaceAll("-", "+").replaceAll("_", "/");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return undefined;
  if (s.length % 4 !== 0) {
    if (s.includes("=")) return undefined;
    s += "=".repeat((4 - (s.length % 4)) % 4);
  }
  try {
    const bin = atob(s);
    return Uint8Array.from(bin, (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/** The strategies of `remoteRef.decodingStrategy`. */
export type DecodingStrategy = "None" | "Base64" | "Base64URL" | "Auto";

/**
 * Decodes a fetched value. `Base64`/`Base64URL` fail on invalid input (naming the key, not the value); `Auto` tries
 * standard then URL-safe base64 and keeps the value as it is when neither applies, as ESO does.
 */
export function decodeValue(
  value: Uint8Array,
  strategy: DecodingStrategy | undefined,
  keyForErrors: string,
): Uint8Array {
  if (strategy === undefined || strategy === "None") return value;
  const text = new TextDecoder().decode(value);
  if (strategy === "Auto") return decodeBase64(text, false) ?? decodeBase64(text, true) ?? value;
  const out = decodeBase64(text, strategy === "Base64URL");
  if (out === undefined) {
    throw new Error(`Cannot decode the value of key ${keyForErrors} as ${strategy}: it is not valid ${strategy}`);
  }
  return out;
}

/** Applies `nullBytePolicy: Fail` (a NUL byte in a value is an error that names the key). */
export function checkNullBytes(value: Uint8Array, policy: "Ignore" | "Fail" | undefined, keyForErrors: string): void {
  if (policy === "Fail" && value.includes(0)) {
    throw new Error(`The value of key ${keyForErrors} contains a NUL byte and nullBytePolicy is Fail`);
  }
}

/** The fields of a remote ref applied to a value after it was read. */
export interface ValuePolicy {
  key: string;
  property?: string;
  decodingStrategy?: DecodingStrategy;
  nullBytePolicy?: "Ignore" | "Fail";
}

/**
 * Applies a remote ref to a read value, in ESO's order: `property` (a gjson path), then `decodingStrategy`, then
 * `nullBytePolicy`. Errors name the key, never the value.
 */
export function applyRemoteRef(value: Uint8Array, ref: ValuePolicy): Uint8Array {
  let v = value;
  if (ref.property) v = new TextEncoder().encode(selectProperty(new TextDecoder().decode(v), ref.property, ref.key));
  v = decodeValue(v, ref.decodingStrategy, ref.key);
  checkNullBytes(v, ref.nullBytePolicy, ref.key);
  return v;
}

/** The value is not a JSON object, so it cannot be exploded into keys. The message names the key, never the value. */
export class NotAnObjectError extends Error {
  override readonly name = "NotAnObjectError";
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && " \t\n\r".includes(text[i]!)) i++;
  return i;
}

/** The end of the JSON value starting at `i` (the text is known to be valid JSON). */
function valueEnd(text: string, i: number): number {
  let depth = 0;
  let inString = false;
  for (let j = i; j < text.length; j++) {
    const c = text[j]!;
    if (inString) {
      if (c === "\\") j++;
      else if (c === '"') {
        inString = false;
        if (depth === 0) return j + 1;
      }
    } else if (c === '"') inString = true;
    else if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") {
      if (--depth === 0) return j + 1;
      if (depth < 0) return j;
    } else if (depth === 0 && (c === "," || " \t\n\r".includes(c))) return j;
  }
  return text.length;
}

/**
 * A JSON object's top-level members as they appear in the text (Go's `map[string]json.RawMessage`): the key decoded,
 * the value's raw JSON text. Later duplicates win, as in Go.
 */
function rawMembers(text: string): [string, string][] {
  const out: [string, string][] = [];
  let i = skipSpace(text, 0) + 1; // past "{"
  for (;;) {
    i = skipSpace(text, i);
    if (text[i] === "}") return out;
    if (text[i] === ",") i = skipSpace(text, i + 1);
    const keyEnd = valueEnd(text, i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    i = skipSpace(text, skipSpace(text, keyEnd) + 1); // past ":"
    const end = valueEnd(text, i);
    out.push([key, text.slice(i, end)]);
    i = end;
  }
}

/**
 * Explodes a JSON object into keys as ESO's `dataFrom.extract` does (Azure's `getSecretMapMap`): one key per
 * top-level member; a string member is unquoted, `null` becomes empty, any other value keeps its JSON text as
 * written. A top-level `null` is an empty map (Go unmarshals it into a nil map); anything else that is not an
 * object is an error naming the key.
 */
export function explodeJsonObject(value: Uint8Array, keyForErrors: string): Record<string, Uint8Array> {
  const text = new TextDecoder().decode(value);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new NotAnObjectError(
      `the value of key ${keyForErrors} is not valid JSON, so it cannot be extracted into keys (dataFrom.extract ` +
        "needs a JSON object)",
    );
  }
  if (doc === null) return {};
  if (typeof doc !== "object" || Array.isArray(doc)) {
    throw new NotAnObjectError(
      `the value of key ${keyForErrors} is a JSON ${Array.isArray(doc) ? "array" : typeof doc}, not an object, so ` +
        "it cannot be extracted into keys",
    );
  }
  const enc = new TextEncoder();
  // No prototype: a member named `__proto__` is a key like any other.
  const out: Record<string, Uint8Array> = Object.create(null);
  for (const [k, raw] of rawMembers(text)) {
    out[k] = raw.startsWith('"') ? enc.encode(JSON.parse(raw) as string) : raw === "null" ? new Uint8Array() : enc
      .encode(raw);
  }
  return out;
}

/**
 * What `dataFrom.find` keeps of a listing, as ESO's Azure provider filters it (`isValidSecret`): enabled secrets only
 * (ESO has no expiry rule: an expired secret is kept), every `tags` entry equal, `name.regexp` matching the name
 * (Go's regexp, unanchored). `path` is ignored, as ESO's Azure provider ignores it. Throws on an invalid pattern.
 */
export function findFilter(find: ExternalSecretFind): (s: ListedSecret) => boolean {
  const pattern = find.name?.regexp;
  const compiled = pattern ? compileGoRegexp(pattern) : undefined;
  if (compiled && !compiled.ok) throw new Error(`find.name.regexp: ${compiled.error}`);
  const re = compiled?.ok ? compiled.re : undefined;
  const tags = Object.entries(find.tags ?? {});
  return (s) =>
    s.enabled && tags.every(([k, v]) => Object.hasOwn(s.tags, k) && s.tags[k] === v) && (!re || re.test(s.name));
}
