/**
 * Go strings are byte strings; secret data may be binary (a PKCS#12 keystore). We keep JS strings and map each byte
 * that is not part of valid UTF-8 to a lone surrogate U+DC80..U+DCFF ("surrogateescape"), so bytes survive a round
 * trip through the engine unchanged.
 *
 * @module
 */

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

// deno-lint-ignore no-control-regex
const ASCII = /^[\x00-\x7f]*$/;
const ESCAPED = /[\udc80-\udcff]/;

export function isAscii(s: string): boolean {
  return ASCII.test(s);
}

/** True if the string holds escaped raw bytes (is not valid UTF-8 in Go). */
export function hasRawBytes(s: string): boolean {
  return ESCAPED.test(s);
}

/** The bytes of a Go string. */
export function stringToBytes(s: string): Uint8Array {
  if (!ESCAPED.test(s)) return encoder.encode(s);
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0xdc80 && c <= 0xdcff) {
      // a lone low surrogate (not preceded by a high one) is an escaped byte
      out.push(c - 0xdc00);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      }
    }
    if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return Uint8Array.from(out);
}

/** A Go string from bytes: valid UTF-8 decodes normally, invalid bytes become escapes. */
export function bytesToString(b: Uint8Array): string {
  try {
    return strictDecoder.decode(b);
  } catch {
    return decodeEscaping(b);
  }
}

function decodeEscaping(b: Uint8Array): string {
  let out = "";
  let i = 0;
  while (i < b.length) {
    const [r, w] = decodeRune(b, i);
    if (r < 0) out += String.fromCharCode(0xdc00 + b[i]!);
    else out += String.fromCodePoint(r);
    i += w;
  }
  return out;
}

/** Decodes one rune at i: [rune, width], rune -1 for an invalid byte (width 1), as Go's utf8.DecodeRune. */
export function decodeRune(b: Uint8Array, i: number): [number, number] {
  const c0 = b[i]!;
  if (c0 < 0x80) return [c0, 1];
  const n = b.length - i;
  const cont = (k: number): number => {
    const c = b[i + k];
    return c !== undefined && (c & 0xc0) === 0x80 ? c & 63 : -1;
  };
  if (c0 >= 0xc2 && c0 <= 0xdf && n >= 2) {
    const c1 = cont(1);
    if (c1 >= 0) return [((c0 & 31) << 6) | c1, 2];
  } else if (c0 >= 0xe0 && c0 <= 0xef && n >= 3) {
    const c1 = cont(1), c2 = cont(2);
    if (c1 >= 0 && c2 >= 0) {
      const r = ((c0 & 15) << 12) | (c1 << 6) | c2;
      if (r >= 0x800 && (r < 0xd800 || r > 0xdfff)) return [r, 3];
    }
  } else if (c0 >= 0xf0 && c0 <= 0xf4 && n >= 4) {
    const c1 = cont(1), c2 = cont(2), c3 = cont(3);
    if (c1 >= 0 && c2 >= 0 && c3 >= 0) {
      const r = ((c0 & 7) << 18) | (c1 << 12) | (c2 << 6) | c3;
      if (r >= 0x10000 && r <= 0x10ffff) return [r, 4];
    }
  }
  return [-1, 1];
}

/** Go's len(s): bytes. */
export function utf8Len(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xdc80 && c <= 0xdcff) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

/** Go's s[start:end] on byte offsets. */
export function byteSlice(s: string, start: number, end?: number): string {
  if (ASCII.test(s)) return s.slice(start, end);
  return bytesToString(stringToBytes(s).subarray(start, end));
}

/** The runes of a Go string as Go's `for range` sees them: invalid bytes are U+FFFD. */
export function runes(s: string): number[] {
  const out: number[] = [];
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    out.push(c >= 0xd800 && c <= 0xdfff ? 0xfffd : c);
  }
  return out;
}

/** Go's utf8.RuneCountInString. */
export function runeCount(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Replaces escaped bytes with U+FFFD (what Go does when it must produce valid UTF-8, e.g. JSON). */
export function toValidUtf8(s: string): string {
  return ESCAPED.test(s)
    ? s.replace(/[\ud800-\udfff]/g, (m, off: number, str: string) => {
      const c = m.charCodeAt(0);
      if (c <= 0xdbff) {
        const d = str.charCodeAt(off + 1);
        return d >= 0xdc00 && d <= 0xdfff ? m : "\ufffd";
      }
      const p = str.charCodeAt(off - 1);
      return p >= 0xd800 && p <= 0xdbff ? m : "\ufffd";
    })
    : s;
}
