/**
 * Provider-independent handling of fetched values, as ESO does it: `property` (a gjson path into a JSON value),
 * `decodingStrategy` and `nullBytePolicy`. Pure functions.
 *
 * @module
 */

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
