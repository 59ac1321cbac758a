/**
 * Go's encoding/pem (Decode with Go 1.26's rules, Encode) on byte arrays.
 *
 * @module
 */

import { base64Decode, base64Encode } from "./sprig/misc.ts";

export interface PemBlock {
  type: string;
  headers: Map<string, string>;
  bytes: Uint8Array;
}

const te = new TextEncoder();
const PEM_START = te.encode("\n-----BEGIN ");
const PEM_END = te.encode("\n-----END ");
const PEM_EOL = te.encode("-----");

function indexOf(h: Uint8Array, n: Uint8Array, from = 0): number {
  outer: for (let i = from; i <= h.length - n.length; i++) {
    for (let j = 0; j < n.length; j++) if (h[i + j] !== n[j]) continue outer;
    return i;
  }
  return -1;
}

function lastIndexOf(h: Uint8Array, n: Uint8Array): number {
  outer: for (let i = h.length - n.length; i >= 0; i--) {
    for (let j = 0; j < n.length; j++) if (h[i + j] !== n[j]) continue outer;
    return i;
  }
  return -1;
}

function hasPrefix(a: Uint8Array, p: Uint8Array): boolean {
  return a.length >= p.length && p.every((x, i) => a[i] === x);
}

function hasSuffix(a: Uint8Array, s: Uint8Array): boolean {
  return a.length >= s.length && s.every((x, i) => a[a.length - s.length + i] === x);
}

function trimRightSpTab(a: Uint8Array): Uint8Array {
  let e = a.length;
  while (e > 0 && (a[e - 1] === 0x20 || a[e - 1] === 0x09)) e--;
  return a.subarray(0, e);
}

function getLine(data: Uint8Array): [Uint8Array, Uint8Array, number] {
  let i = data.indexOf(0x0a);
  let j: number;
  if (i < 0) {
    i = data.length;
    j = i;
  } else {
    j = i + 1;
    if (i > 0 && data[i - 1] === 0x0d) i--;
  }
  return [trimRightSpTab(data.subarray(0, i)), data.subarray(j), j];
}

const latin1 = (b: Uint8Array): string => String.fromCharCode(...b);

function trimSpaceBytes(b: Uint8Array): string {
  return latin1(b).trim();
}

/** pem.Decode: the first block and the rest, or [null, data]. */
export function pemDecode(data: Uint8Array): [PemBlock | null, Uint8Array] {
  let rest = data;
  let endTrailerIndex = 0;
  for (;;) {
    if (endTrailerIndex < 0 || endTrailerIndex > rest.length) return [null, data];
    rest = rest.subarray(endTrailerIndex);
    let endIndex = indexOf(rest, PEM_END);
    if (endIndex < 0) return [null, data];
    endTrailerIndex = endIndex + PEM_END.length;
    const beginIndex = lastIndexOf(rest.subarray(0, endIndex), PEM_START.subarray(1));
    if (beginIndex < 0 || (beginIndex > 0 && rest[beginIndex - 1] !== 0x0a)) continue;
    rest = rest.subarray(beginIndex + PEM_START.length - 1);
    endIndex -= beginIndex + PEM_START.length - 1;
    endTrailerIndex -= beginIndex + PEM_START.length - 1;
    let [typeLine, r2, consumed] = getLine(rest);
    rest = r2;
    endIndex -= consumed;
    endTrailerIndex -= consumed;
    if (!hasSuffix(typeLine, PEM_EOL)) continue;
    typeLine = typeLine.subarray(0, typeLine.length - PEM_EOL.length);
    const block: PemBlock = { type: latin1(typeLine), headers: new Map(), bytes: new Uint8Array() };
    let bad = false;
    for (;;) {
      if (rest.length === 0) return [null, data];
      const [line, next, c] = getLine(rest);
      const colon = line.indexOf(0x3a);
      if (colon < 0) break;
      block.headers.set(trimSpaceBytes(line.subarray(0, colon)), trimSpaceBytes(line.subarray(colon + 1)));
      rest = next;
      endIndex -= c;
      endTrailerIndex -= c;
    }
    if (block.headers.size > 0 && endIndex < 0) continue;
    let endTrailer = rest.subarray(endTrailerIndex);
    const endTrailerLen = typeLine.length + PEM_EOL.length;
    if (endTrailer.length < endTrailerLen) continue;
    const restOfEndLine = endTrailer.subarray(endTrailerLen);
    endTrailer = endTrailer.subarray(0, endTrailerLen);
    if (!hasPrefix(endTrailer, typeLine) || !hasSuffix(endTrailer, PEM_EOL)) continue;
    if (getLine(restOfEndLine)[0].length !== 0) continue;
    if (endIndex > 0) {
      const b64 = latin1(rest.subarray(0, endIndex)).replace(/[ \t]/g, "");
      try {
        block.bytes = base64Decode(b64);
      } catch {
        bad = true;
      }
    }
    if (bad) continue;
    rest = getLine(rest.subarray(endIndex + PEM_END.length - 1))[1];
    return [block, rest];
  }
}

/** All blocks, as Go code looping on pem.Decode sees them. */
export function pemDecodeAll(data: Uint8Array): PemBlock[] {
  const out: PemBlock[] = [];
  for (;;) {
    const [b, rest] = pemDecode(data);
    if (!b) return out;
    out.push(b);
    data = rest;
  }
}

/** pem.EncodeToMemory. */
export function pemEncode(type: string, bytes: Uint8Array, headers?: Map<string, string>): string {
  let s = `-----BEGIN ${type}-----\n`;
  if (headers && headers.size > 0) {
    const keys = [...headers.keys()].filter((k) => k !== "Proc-Type").sort();
    if (headers.has("Proc-Type")) keys.unshift("Proc-Type");
    for (const k of keys) s += `${k}: ${headers.get(k)}\n`;
    s += "\n";
  }
  const b64 = base64Encode(bytes);
  for (let i = 0; i < b64.length; i += 64) s += b64.slice(i, i + 64) + "\n";
  return s + `-----END ${type}-----\n`;
}
