/**
 * Sprig's defaults, JSON, reflection, encoding, URL, UUID and flow-control functions.
 *
 * @module
 */

import { def, type FuncMap, GoError } from "../func.ts";
import { quote } from "../go_strconv.ts";
import { bytesToString, stringToBytes } from "../gostr.ts";
import { GoMap, type GoValue, kindName, T, typeName } from "../values.ts";
import { deepEqual, empty, strval } from "./conv.ts";
import { decodeJSON, marshalJSON, unmarshalJSON } from "./json.ts";
import { parseURL, urlString } from "./url.ts";

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

export function base64Encode(b: Uint8Array): string {
  let out = "";
  let i = 0;
  for (; i + 2 < b.length; i += 3) {
    const v = (b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!;
    out += B64[v >> 18]! + B64[(v >> 12) & 63]! + B64[(v >> 6) & 63]! + B64[v & 63]!;
  }
  const rem = b.length - i;
  if (rem === 1) {
    const v = b[i]! << 16;
    out += B64[v >> 18]! + B64[(v >> 12) & 63]! + "==";
  } else if (rem === 2) {
    const v = (b[i]! << 16) | (b[i + 1]! << 8);
    out += B64[v >> 18]! + B64[(v >> 12) & 63]! + B64[(v >> 6) & 63]! + "=";
  }
  return out;
}

class CorruptInput extends Error {
  constructor(readonly at: number, kind: string) {
    super(`illegal ${kind} data at input byte ${at}`);
  }
}

/** base64.StdEncoding.DecodeString with Go's error positions. */
export function base64Decode(s: string): Uint8Array {
  const src = stringToBytes(s);
  const out: number[] = [];
  let si = 0;
  const map = (c: number): number => {
    const i = B64.indexOf(String.fromCharCode(c));
    return c < 128 && i >= 0 ? i : 0xff;
  };
  for (;;) {
    const dbuf = [0, 0, 0, 0];
    let dlen = 4;
    let err: CorruptInput | null = null;
    let j = 0;
    let done = false;
    for (; j < 4; j++) {
      if (src.length === si) {
        if (j === 0) return Uint8Array.from(out);
        throw new CorruptInput(si - j, "base64");
      }
      const inb = src[si]!;
      si++;
      const o = map(inb);
      if (o !== 0xff) {
        dbuf[j] = o;
        continue;
      }
      if (inb === 0x0a || inb === 0x0d) {
        j--;
        continue;
      }
      if (inb !== 0x3d) throw new CorruptInput(si - 1, "base64");
      if (j === 0 || j === 1) throw new CorruptInput(si - 1, "base64");
      if (j === 2) {
        while (si < src.length && (src[si] === 0x0a || src[si] === 0x0d)) si++;
        if (si === src.length) throw new CorruptInput(src.length, "base64");
        if (src[si] !== 0x3d) throw new CorruptInput(si - 1, "base64");
        si++;
      }
      while (si < src.length && (src[si] === 0x0a || src[si] === 0x0d)) si++;
      if (si < src.length) err = new CorruptInput(si, "base64");
      dlen = j;
      done = true;
      break;
    }
    const val = (dbuf[0]! << 18) | (dbuf[1]! << 12) | (dbuf[2]! << 6) | dbuf[3]!;
    const bytes = [(val >> 16) & 255, (val >> 8) & 255, val & 255];
    for (let k = 0; k < dlen - 1; k++) out.push(bytes[k]!);
    if (err) throw err;
    if (done) return Uint8Array.from(out);
  }
}

export function base32Encode(b: Uint8Array): string {
  let out = "";
  for (let i = 0; i < b.length; i += 5) {
    const chunk = b.subarray(i, i + 5);
    let bits = 0n;
    for (let k = 0; k < 5; k++) bits = (bits << 8n) | BigInt(chunk[k] ?? 0);
    const nChars = [0, 2, 4, 5, 7, 8][chunk.length]!;
    for (let k = 0; k < 8; k++) {
      out += k < nChars ? B32[Number((bits >> BigInt(35 - 5 * k)) & 31n)]! : "=";
    }
  }
  return out;
}

/** base32.StdEncoding.DecodeString with Go's error positions. */
export function base32Decode(s: string): Uint8Array {
  const src = stringToBytes(s).filter((c) => c !== 0x0a && c !== 0x0d);
  const olen = src.length;
  let p = 0;
  const out: number[] = [];
  let end = false;
  while (p < src.length && !end) {
    const dbuf = new Array<number>(8).fill(0);
    let dlen = 8;
    for (let j = 0; j < 8;) {
      if (p >= src.length) throw new CorruptInput(olen - (src.length - p) - j, "base32");
      const inb = src[p]!;
      p++;
      const rem = src.length - p;
      if (inb === 0x3d && j >= 2 && rem < 8) {
        if (rem + j < 7) throw new CorruptInput(olen, "base32");
        for (let k = 0; k < 7 - j; k++) {
          if (rem > k && src[p + k] !== 0x3d) throw new CorruptInput(olen - rem + k - 1, "base32");
        }
        dlen = j;
        end = true;
        if (dlen === 1 || dlen === 3 || dlen === 6) throw new CorruptInput(olen - rem - 1, "base32");
        break;
      }
      const idx = inb < 128 ? B32.indexOf(String.fromCharCode(inb)) : -1;
      if (idx < 0) throw new CorruptInput(olen - rem - 1, "base32");
      dbuf[j] = idx;
      j++;
    }
    let bits = 0n;
    for (let k = 0; k < 8; k++) bits = (bits << 5n) | BigInt(dbuf[k]!);
    const nBytes = [0, 0, 1, 1, 2, 3, 3, 4, 5][dlen]!;
    for (let k = 0; k < nBytes; k++) out.push(Number((bits >> BigInt(32 - 8 * k)) & 255n));
  }
  return Uint8Array.from(out);
}

function uuidv4(): string {
  return crypto.randomUUID();
}

export function miscFuncs(f: FuncMap): void {
  f.set(
    "default",
    def("any, ...any", (a) => {
      const given = a.slice(1);
      if (given.length === 0 || empty(given[0]!)) return a[0]!;
      return given[0]!;
    }),
  );
  f.set("empty", def("any", (a) => empty(a[0]!)));
  f.set("coalesce", def("...any", (a) => a.find((v) => !empty(v)) ?? null));
  f.set("all", def("...any", (a) => a.every((v) => !empty(v))));
  f.set("any", def("...any", (a) => a.some((v) => !empty(v))));
  f.set(
    "fromJson",
    // errors are ignored, but a partially decoded value is kept, as Go's json.Unmarshal leaves it
    def("string", (a) => decodeJSON(a[0] as string)[0]),
  );
  f.set("mustFromJson", def("string", (a) => unmarshalJSON(a[0] as string)));
  const toJson = (escapeHTML: boolean, indent?: string) => (v: GoValue): string =>
    marshalJSON(v, indent === undefined ? { escapeHTML } : { escapeHTML, indent });
  const swallow = (fn: (v: GoValue) => string) => (a: GoValue[]): string => {
    try {
      return fn(a[0]!);
    } catch (e) {
      if (e instanceof GoError) return "";
      throw e;
    }
  };
  f.set("toJson", def("any", swallow(toJson(true))));
  f.set("mustToJson", def("any", (a) => toJson(true)(a[0]!)));
  f.set("toPrettyJson", def("any", swallow(toJson(true, "  "))));
  f.set("mustToPrettyJson", def("any", (a) => toJson(true, "  ")(a[0]!)));
  // toRawJson panics on error (sprig), which the template reports like an error
  f.set("toRawJson", def("any", (a) => toJson(false)(a[0]!)));
  f.set("mustToRawJson", def("any", (a) => toJson(false)(a[0]!)));
  f.set("ternary", def("any, any, bool", (a) => (a[2] ? a[0]! : a[1]!)));
  f.set("typeOf", def("any", (a) => typeName(a[0]!)));
  f.set("typeIs", def("string, any", (a) => a[0] === typeName(a[1]!)));
  f.set(
    "typeIsLike",
    def("string, any", (a) => {
      const t = typeName(a[1]!);
      return a[0] === t || "*" + a[0] === t;
    }),
  );
  f.set("kindOf", def("any", (a) => kindName(a[0]!)));
  f.set("kindIs", def("string, any", (a) => a[0] === kindName(a[1]!)));
  f.set("deepEqual", def("any, any", (a) => deepEqual(a[0]!, a[1]!)));
  f.set("b64enc", def("string", (a) => base64Encode(stringToBytes(a[0] as string))));
  f.set(
    "b64dec",
    def("string", (a) => {
      try {
        return bytesToString(base64Decode(a[0] as string));
      } catch (e) {
        return (e as Error).message;
      }
    }),
  );
  f.set("b32enc", def("string", (a) => base32Encode(stringToBytes(a[0] as string))));
  f.set(
    "b32dec",
    def("string", (a) => {
      try {
        return bytesToString(base32Decode(a[0] as string));
      } catch (e) {
        return (e as Error).message;
      }
    }),
  );
  f.set(
    "fail",
    def("string", (a) => {
      throw new GoError(a[0] as string);
    }),
  );
  f.set("uuidv4", def("", () => uuidv4()));
  f.set(
    "urlParse",
    def("string", (a) => {
      const u = parseURL(a[0] as string);
      if (u instanceof Error) {
        throw new GoError(`unable to parse url: ${u.message}`, "unable to parse url (redacted)");
      }
      const m = GoMap.of(T.iface);
      for (const [k, v] of Object.entries(u)) m.m.set(k, v);
      return m;
    }),
  );
  f.set(
    "urlJoin",
    def("map", (a) => {
      const d = a[0] as GoMap;
      const get = (k: string): string => {
        const v = d.m.get(k);
        if (v === undefined) return "";
        if (typeof v !== "string") {
          const kind = v === null ? "invalid" : kindName(v);
          if (v === null) throw new GoError("runtime error: invalid memory address or nil pointer dereference");
          throw new GoError(`unable to parse ${k} key, must be of type string, but ${kind} found`);
        }
        return v;
      };
      return urlString({
        scheme: get("scheme"),
        host: get("host"),
        path: get("path"),
        query: get("query"),
        opaque: get("opaque"),
        fragment: get("fragment"),
        userinfo: get("userinfo"),
      });
    }),
  );
  void quote;
  void strval;
}
