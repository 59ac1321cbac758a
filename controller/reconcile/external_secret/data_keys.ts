/**
 * What ESO does to the keys of a `dataFrom` map before they reach the Secret (runtime/esutils/utils.go):
 * `conversionStrategy` replaces characters a Secret key cannot hold, then every key is checked. Pure functions; the
 * maps have no prototype, so a key named `__proto__` is a key like any other.
 *
 * @module
 */

// Go's unicode.IsLetter / unicode.IsNumber: Unicode categories L and N (a fixed character class, not a user pattern).
const LETTER_OR_NUMBER = /^[\p{L}\p{N}]$/u;

function keyChar(ch: string): boolean {
  return ch === "-" || ch === "." || ch === "_" || LETTER_OR_NUMBER.test(ch);
}

/** A map without a prototype. */
export function emptyMap<V>(): Record<string, V> {
  return Object.create(null);
}

/** The strategies of `conversionStrategy`. */
export type ConversionStrategy = "Default" | "Unicode";

/**
 * Replaces each character a Secret key cannot hold: `_` (Default) or `_UXXXX_` with the code point in lower-case hex,
 * at least four digits (Unicode). Two keys that end up the same are an error, as in ESO.
 */
export function convertKeys(
  strategy: ConversionStrategy | undefined,
  data: Record<string, Uint8Array>,
): Record<string, Uint8Array> {
  const out = emptyMap<Uint8Array>();
  for (const [key, value] of Object.entries(data)) {
    let converted = "";
    for (const ch of key) {
      converted += keyChar(ch)
        ? ch
        : strategy === "Unicode"
        ? `_U${ch.codePointAt(0)!.toString(16).padStart(4, "0")}_`
        : "_";
    }
    if (Object.hasOwn(out, converted)) {
      throw new Error(`conversionStrategy ${strategy ?? "Default"} turns two keys into the same key ${converted}`);
    }
    out[converted] = value;
  }
  return out;
}

/**
 * ESO's `ValidateKeys`: an empty key is dropped (it did not exist upstream); a key longer than 253 characters or with a
 * character other than letters, digits, `-`, `.` and `_` is an error that says how to fix it.
 */
export function validateKeys(data: Record<string, Uint8Array>): Record<string, Uint8Array> {
  const out = emptyMap<Uint8Array>();
  for (const [key, value] of Object.entries(data)) {
    if (key === "") continue;
    // Go counts bytes.
    const length = new TextEncoder().encode(key).length;
    if (length > 253) {
      throw new Error(`key ${key.slice(0, 64)}… is ${length} bytes long: a Secret key holds at most 253`);
    }
    for (const ch of key) {
      if (!keyChar(ch)) {
        throw new Error(
          `key ${key} holds the character ${JSON.stringify(ch)}, which a Secret key cannot hold (letters, digits, ` +
            "'-', '.' and '_' only): use rewrite or conversionStrategy",
        );
      }
    }
    out[key] = value;
  }
  return out;
}
