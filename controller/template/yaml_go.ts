/**
 * ESO's toYaml/fromYaml are sigs.k8s.io/yaml: JSON encoding, then go.yaml.in/yaml/v2's emitter. This reproduces that
 * emitter's choices for the JSON-shaped values it sees: scalar resolution (which strings must be quoted), the choice
 * between plain, single-quoted, double-quoted and literal styles, line wrapping at 80 columns, key order.
 *
 * @module
 */

import { parseDocument, visit } from "yaml";
import { GoError } from "./func.ts";
import { formatFloat, parseGoFloat, parseGoInt, parseGoUint } from "./go_strconv.ts";
import { GoMap, GoSlice, type GoValue, T } from "./values.ts";
import { marshalJSON } from "./sprig/json.ts";
import { hasRawBytes } from "./gostr.ts";

/** A value after JSON→YAML 1.1 resolution (what yaml.Unmarshal of the JSON produces). */
type YNode = null | boolean | string | { int: bigint } | { float: number } | YNode[] | Map<string, YNode>;

const MAP_KEYS = new Set([
  "y",
  "Y",
  "yes",
  "Yes",
  "YES",
  "true",
  "True",
  "TRUE",
  "on",
  "On",
  "ON",
  "n",
  "N",
  "no",
  "No",
  "NO",
  "false",
  "False",
  "FALSE",
  "off",
  "Off",
  "OFF",
  "",
  "~",
  "null",
  "Null",
  "NULL",
  ".nan",
  ".NaN",
  ".NAN",
  ".inf",
  ".Inf",
  ".INF",
  "+.inf",
  "+.Inf",
  "+.INF",
  "-.inf",
  "-.Inf",
  "-.INF",
  "<<",
]);
const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const BASE60 = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;

function looksLikeTimestamp(s: string): boolean {
  const m = /^(\d{4})-(\d{1,2})-(\d{1,2})(.*)$/.exec(s);
  if (!m) return false;
  const mo = Number(m[2]), d = Number(m[3]);
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return false;
  const rest = m[4]!;
  if (rest === "") return true;
  return /^[Tt ]\d{1,2}:\d{1,2}:\d{1,2}(\.\d+)?(Z|[+-]\d\d:\d\d)?$/.test(rest);
}

/** True when the plain string would be read back as something other than a string. */
function resolvesNonString(s: string): boolean {
  if (MAP_KEYS.has(s)) return true;
  const c = s[0];
  if (c === undefined) return true;
  if (c === ".") return parseGoFloat(s) !== null;
  if (c === "+" || c === "-" || (c >= "0" && c <= "9")) {
    if (looksLikeTimestamp(s)) return true;
    const plain = s.replace(/_/g, "");
    if (parseGoInt(plain, 0) !== null || parseGoUint(plain, 0) !== null) return true;
    if (YAML_STYLE_FLOAT.test(plain) && parseGoFloat(plain) !== null) return true;
    if (plain.startsWith("0b") && /^[01]+$/.test(plain.slice(2))) return true;
    if (plain.startsWith("-0b") && /^[01]+$/.test(plain.slice(3))) return true;
  }
  return false;
}

/** Resolution of a JSON scalar token as yaml.v2 reads it. */
function resolveJSONNumber(text: string): YNode {
  const i = parseGoInt(text, 0);
  if (i !== null) return { int: i };
  const u = parseGoUint(text, 0);
  if (u !== null) return { int: u };
  return { float: Number(text) };
}

function toYNode(v: unknown): YNode {
  // v comes from our own JSON encoding, re-parsed with number texts preserved
  return v as YNode;
}

/** Parses Go-produced JSON keeping number texts (so ints stay ints, as yaml.v2 does). */
function parseJSONKeepingNumbers(s: string): YNode {
  let i = 0;
  const ws = (): void => {
    while (i < s.length && " \t\r\n".includes(s[i]!)) i++;
  };
  const val = (): YNode => {
    ws();
    const c = s[i]!;
    if (c === "{") {
      i++;
      const m = new Map<string, YNode>();
      ws();
      if (s[i] === "}") {
        i++;
        return m;
      }
      for (;;) {
        ws();
        const k = str();
        ws();
        i++; // :
        m.set(k, val());
        ws();
        if (s[i] === ",") {
          i++;
          continue;
        }
        i++;
        return m;
      }
    }
    if (c === "[") {
      i++;
      const a: YNode[] = [];
      ws();
      if (s[i] === "]") {
        i++;
        return a;
      }
      for (;;) {
        a.push(val());
        ws();
        if (s[i] === ",") {
          i++;
          continue;
        }
        i++;
        return a;
      }
    }
    if (c === '"') return str();
    if (s.startsWith("true", i)) {
      i += 4;
      return true;
    }
    if (s.startsWith("false", i)) {
      i += 5;
      return false;
    }
    if (s.startsWith("null", i)) {
      i += 4;
      return null;
    }
    const m = /^-?[0-9.eE+-]+/.exec(s.slice(i))!;
    i += m[0].length;
    return resolveJSONNumber(m[0]);
  };
  const str = (): string => {
    const start = i;
    i++;
    while (s[i] !== '"') i += s[i] === "\\" ? 2 : 1;
    i++;
    return JSON.parse(s.slice(start, i));
  };
  return val();
}

function isLetter(c: string): boolean {
  return /\p{L}/u.test(c);
}
function isDigit(c: string): boolean {
  return /\p{Nd}/u.test(c);
}

/** yaml.v2 keyList.Less for string keys. */
function keyLess(a: string, b: string): boolean {
  const ar = [...a], br = [...b];
  for (let i = 0; i < ar.length && i < br.length; i++) {
    if (ar[i] === br[i]) continue;
    const al = isLetter(ar[i]!), bl = isLetter(br[i]!);
    if (al && bl) return ar[i]!.codePointAt(0)! < br[i]!.codePointAt(0)!;
    if (al || bl) return bl;
    let an = 0n, bn = 0n;
    if (ar[i] === "0" || br[i] === "0") {
      for (let j = i - 1; j >= 0 && isDigit(ar[j]!); j--) {
        if (ar[j] !== "0") {
          an = 1n;
          bn = 1n;
          break;
        }
      }
    }
    let ai = i, bi = i;
    for (; ai < ar.length && isDigit(ar[ai]!); ai++) an = an * 10n + BigInt(ar[ai]!.codePointAt(0)! - 48);
    for (; bi < br.length && isDigit(br[bi]!); bi++) bn = bn * 10n + BigInt(br[bi]!.codePointAt(0)! - 48);
    if (an !== bn) return an < bn;
    if (ai !== bi) return ai < bi;
    return ar[i]!.codePointAt(0)! < br[i]!.codePointAt(0)!;
  }
  return ar.length < br.length;
}

const isBreak = (c: number): boolean => c === 0x0d || c === 0x0a || c === 0x85 || c === 0x2028 || c === 0x2029;
const isSpace = (c: number): boolean => c === 0x20;
const isBlankz = (c: number | undefined): boolean =>
  c === undefined || c === 0x20 || c === 0x09 || isBreak(c) || c === 0;
function isPrintable(c: number): boolean {
  return c === 0x0a || (c >= 0x20 && c <= 0x7e) || c === 0x85 || (c >= 0xa0 && c <= 0xd7ff) ||
    (c >= 0xe000 && c <= 0xfffd && c !== 0xfeff) || (c >= 0x10000 && c <= 0x10ffff);
}

interface Analysis {
  multiline: boolean;
  flowPlain: boolean;
  blockPlain: boolean;
  singleQuoted: boolean;
  block: boolean;
}

function analyze(value: string): Analysis {
  const cs = [...value].map((c) => c.codePointAt(0)!);
  if (cs.length === 0) {
    return { multiline: false, flowPlain: false, blockPlain: true, singleQuoted: true, block: false };
  }
  let blockInd = false, flowInd = false, lineBreaks = false, special = false;
  let leadingSpace = false, leadingBreak = false, trailingSpace = false, trailingBreak = false;
  let breakSpace = false, spaceBreak = false, precededByWs = true, prevSpace = false, prevBreak = false;
  if (value.startsWith("---") || value.startsWith("...")) blockInd = flowInd = true;
  let followedByWs = isBlankz(cs[1]);
  for (let i = 0; i < cs.length; i++) {
    const c = cs[i]!;
    const ch = String.fromCodePoint(c);
    if (i === 0) {
      if ("#,[]{}&*!|>'\"%@`".includes(ch)) flowInd = blockInd = true;
      if (ch === "?" || ch === ":") {
        flowInd = true;
        if (followedByWs) blockInd = true;
      }
      if (ch === "-" && followedByWs) flowInd = blockInd = true;
    } else {
      if (",?[]{}".includes(ch)) flowInd = true;
      if (ch === ":") {
        flowInd = true;
        if (followedByWs) blockInd = true;
      }
      if (ch === "#" && precededByWs) flowInd = blockInd = true;
    }
    if (!isPrintable(c)) special = true;
    if (isSpace(c)) {
      if (i === 0) leadingSpace = true;
      if (i === cs.length - 1) trailingSpace = true;
      if (prevBreak) breakSpace = true;
      prevSpace = true;
      prevBreak = false;
    } else if (isBreak(c)) {
      lineBreaks = true;
      if (i === 0) leadingBreak = true;
      if (i === cs.length - 1) trailingBreak = true;
      if (prevSpace) spaceBreak = true;
      prevBreak = true;
      prevSpace = false;
    } else {
      prevSpace = prevBreak = false;
    }
    precededByWs = isBlankz(c);
    followedByWs = isBlankz(cs[i + 2]);
  }
  const a: Analysis = { multiline: lineBreaks, flowPlain: true, blockPlain: true, singleQuoted: true, block: true };
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) a.flowPlain = a.blockPlain = false;
  if (trailingSpace) a.block = false;
  if (breakSpace) a.flowPlain = a.blockPlain = a.singleQuoted = false;
  if (spaceBreak || special) {
    a.flowPlain =
      a.blockPlain =
      a.singleQuoted =
      a.block =
        false;
  }
  if (lineBreaks) a.flowPlain = a.blockPlain = false;
  if (flowInd) a.flowPlain = false;
  if (blockInd) a.blockPlain = false;
  return a;
}

const BEST_WIDTH = 80;

class Emitter {
  out = "";
  column = 0;
  indent = 0;
  whitespace = true;
  indention = true;

  write(s: string): void {
    this.out += s;
    this.column += [...s].length;
  }
  writeBreak(): void {
    this.out += "\n";
    this.column = 0;
  }
  writeIndent(): void {
    if (!this.indention || this.column > this.indent || (this.column === this.indent && !this.whitespace)) {
      this.writeBreak();
    }
    while (this.column < this.indent) this.write(" ");
    this.whitespace = true;
    this.indention = true;
  }
  writeIndicator(ind: string, needWs: boolean, isWs: boolean, isIndention: boolean): void {
    if (needWs && !this.whitespace) this.write(" ");
    this.write(ind);
    this.whitespace = isWs;
    this.indention = this.indention && isIndention;
  }

  plain(value: string, allowBreaks: boolean): void {
    if (!this.whitespace) this.write(" ");
    const cs = [...value];
    let spaces = false, breaks = false;
    for (let i = 0; i < cs.length; i++) {
      const c = cs[i]!.codePointAt(0)!;
      if (isSpace(c)) {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && cs[i + 1] !== " ") {
          this.writeIndent();
        } else this.write(" ");
        spaces = true;
      } else if (isBreak(c)) {
        if (!breaks && c === 0x0a) this.writeBreak();
        this.writeBreak();
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        this.write(cs[i]!);
        this.indention = false;
        spaces = breaks = false;
      }
    }
    this.whitespace = false;
    this.indention = false;
  }

  singleQuoted(value: string, allowBreaks: boolean): void {
    this.writeIndicator("'", true, false, false);
    const cs = [...value];
    let spaces = false, breaks = false;
    for (let i = 0; i < cs.length; i++) {
      const c = cs[i]!.codePointAt(0)!;
      if (isSpace(c)) {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && i !== 0 && i !== cs.length - 1 && cs[i + 1] !== " ") {
          this.writeIndent();
        } else this.write(" ");
        spaces = true;
      } else if (isBreak(c)) {
        if (!breaks && c === 0x0a) this.writeBreak();
        this.writeBreak();
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        this.write(cs[i] === "'" ? "''" : cs[i]!);
        this.indention = false;
        spaces = breaks = false;
      }
    }
    this.writeIndicator("'", false, false, false);
  }

  doubleQuoted(value: string, allowBreaks: boolean): void {
    this.writeIndicator('"', true, false, false);
    const cs = [...value];
    let spaces = false;
    for (let i = 0; i < cs.length; i++) {
      const c = cs[i]!.codePointAt(0)!;
      if (!isPrintable(c) || c === 0xfeff || isBreak(c) || c === 0x22 || c === 0x5c) {
        let e: string;
        switch (c) {
          case 0:
            e = "0";
            break;
          case 7:
            e = "a";
            break;
          case 8:
            e = "b";
            break;
          case 9:
            e = "t";
            break;
          case 0x0a:
            e = "n";
            break;
          case 0x0b:
            e = "v";
            break;
          case 0x0c:
            e = "f";
            break;
          case 0x0d:
            e = "r";
            break;
          case 0x1b:
            e = "e";
            break;
          case 0x22:
            e = '"';
            break;
          case 0x5c:
            e = "\\";
            break;
          case 0x85:
            e = "N";
            break;
          case 0xa0:
            e = "_";
            break;
          case 0x2028:
            e = "L";
            break;
          case 0x2029:
            e = "P";
            break;
          default:
            if (c <= 0xff) e = "x" + c.toString(16).toUpperCase().padStart(2, "0");
            else if (c <= 0xffff) e = "u" + c.toString(16).toUpperCase().padStart(4, "0");
            else e = "U" + c.toString(16).toUpperCase().padStart(8, "0");
        }
        this.write("\\" + e);
        spaces = false;
      } else if (isSpace(c)) {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && i !== 0 && i !== cs.length - 1) {
          this.writeIndent();
          if (cs[i + 1] === " ") this.write("\\");
        } else this.write(" ");
        spaces = true;
      } else {
        this.write(cs[i]!);
        spaces = false;
      }
    }
    this.writeIndicator('"', false, false, false);
  }

  literal(value: string): void {
    this.writeIndicator("|", true, false, false);
    const cs = [...value];
    if (cs.length > 0 && (cs[0] === " " || isBreak(cs[0]!.codePointAt(0)!))) {
      this.writeIndicator("2", false, false, false);
    }
    let chomp = "";
    if (cs.length === 0) chomp = "-";
    else {
      const last = cs[cs.length - 1]!.codePointAt(0)!;
      if (!isBreak(last)) chomp = "-";
      else if (cs.length === 1) chomp = "+";
      else if (isBreak(cs[cs.length - 2]!.codePointAt(0)!)) chomp = "+";
    }
    if (chomp) this.writeIndicator(chomp, false, false, false);
    this.writeBreak();
    this.indention = true;
    this.whitespace = true;
    let breaks = true;
    for (const ch of cs) {
      const c = ch.codePointAt(0)!;
      if (isBreak(c)) {
        this.writeBreak();
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        this.write(ch);
        this.indention = false;
        breaks = false;
      }
    }
  }

  scalarString(s: string, simpleKey: boolean): void {
    const canPlain = !resolvesNonString(s) && !(BASE60.test(s) && /^[-+0-9]/.test(s) && s.includes(":"));
    let style: "plain" | "single" | "double" | "literal" = s.includes("\n") ? "literal" : canPlain ? "plain" : "double";
    const a = analyze(s);
    if (style === "plain") {
      if (!a.blockPlain || (s.length === 0 && simpleKey)) style = "single";
    }
    if (style === "single" && !a.singleQuoted) style = "double";
    if (style === "literal" && (!a.block || simpleKey)) style = "double";
    switch (style) {
      case "plain":
        return this.plain(s, !simpleKey);
      case "single":
        return this.singleQuoted(s, !simpleKey);
      case "double":
        return this.doubleQuoted(s, !simpleKey);
      case "literal":
        return this.literal(s);
    }
  }

  scalarPlain(s: string): void {
    this.plain(s, false);
  }

  node(n: YNode, simpleKey = false): void {
    if (n === null) return this.scalarPlain("null");
    if (typeof n === "boolean") return this.scalarPlain(n ? "true" : "false");
    if (typeof n === "string") return this.scalarString(n, simpleKey);
    if (Array.isArray(n)) return this.sequence(n);
    if (n instanceof Map) return this.mapping(n);
    if ("int" in n) return this.scalarPlain(n.int.toString());
    const f = n.float;
    const s = Number.isNaN(f) ? ".nan" : f === Infinity ? ".inf" : f === -Infinity ? "-.inf" : formatFloat(f, "g", -1);
    return this.scalarPlain(s);
  }

  sequence(a: YNode[]): void {
    if (a.length === 0) {
      this.writeIndicator("[]", true, false, false);
      return;
    }
    const saved = this.indent;
    // sequences inside a mapping are not indented (yaml.v2 "indentless" block sequences)
    for (const item of a) {
      this.writeIndent();
      this.writeIndicator("-", true, false, true);
      this.indent = saved + 2;
      this.node(item);
      this.indent = saved;
    }
  }

  mapping(m: Map<string, YNode>): void {
    if (m.size === 0) {
      this.writeIndicator("{}", true, false, false);
      return;
    }
    const keys = [...m.keys()].sort((a, b) => (keyLess(a, b) ? -1 : keyLess(b, a) ? 1 : 0));
    const saved = this.indent;
    for (const k of keys) {
      this.writeIndent();
      if (k.includes("\n") || [...k].length > 128) {
        // not a simple key: yaml.v2 writes "? key" / ": value"
        this.writeIndicator("?", true, false, true);
        this.indent = saved + 2;
        this.node(k);
        this.indent = saved;
        this.writeIndent();
        this.writeIndicator(":", true, false, true);
      } else {
        this.node(k, true);
        this.writeIndicator(":", false, false, false);
      }
      const v = m.get(k)!;
      if (Array.isArray(v) && v.length > 0) {
        // block sequence value: on the next lines at the same indent
        this.sequence(v);
      } else if (v instanceof Map && v.size > 0) {
        this.indent = saved + 2;
        this.mapping(v);
        this.indent = saved;
      } else {
        this.indent = saved + 2;
        this.node(v);
        this.indent = saved;
      }
    }
  }
}

/** sigs.k8s.io/yaml.Marshal (without the trailing newline, as ESO's toYaml trims it); "" on error. */
export function toYAML(v: GoValue): string {
  let json: string;
  try {
    json = marshalJSON(v, { escapeHTML: true });
  } catch {
    return "";
  }
  const node = toYNode(parseJSONKeepingNumbers(json));
  const e = new Emitter();
  // a block scalar at the root is indented like a mapping value
  if (typeof node === "string") e.indent = 2;
  e.node(node);
  let out = e.out;
  if (out.startsWith("\n")) out = out.slice(1);
  return out.replace(/\n$/, "");
}

/** ESO's fromYaml: a map[string]interface{}, with a parse error placed under "Error". */
export function fromYAML(s: string): GoMap {
  const m = GoMap.of(T.iface);
  let doc: unknown;
  try {
    const parsed = parseDocument(s, { version: "1.1", merge: true, uniqueKeys: false });
    if (parsed.errors.length > 0) throw parsed.errors[0];
    if (!s.endsWith("\n")) {
      // go-yaml keeps no final line break in a block scalar that ends the input without one; `yaml` adds it
      visit(parsed, {
        Scalar(_key, node) {
          if (
            (node.type === "BLOCK_LITERAL" || node.type === "BLOCK_FOLDED") && node.range &&
            node.range[1] >= s.length &&
            typeof node.value === "string"
          ) node.value = node.value.replace(/\n$/, "");
        },
      });
    }
    doc = parsed.toJS({ maxAliasCount: 100 });
  } catch (e) {
    m.m.set("Error", `error converting YAML to JSON: yaml: ${(e as Error).message.split("\n")[0]}`);
    return m;
  }
  if (doc === null || doc === undefined) return m;
  if (typeof doc !== "object" || Array.isArray(doc) || doc instanceof Date) {
    const kind = Array.isArray(doc)
      ? "array"
      : typeof doc === "string"
      ? "string"
      : typeof doc === "number"
      ? "number"
      : typeof doc === "boolean"
      ? "bool"
      : "string";
    m.m.set(
      "Error",
      `error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${kind} into Go value of type map[string]interface {}`,
    );
    return m;
  }
  for (const [k, v] of Object.entries(doc as Record<string, unknown>)) m.m.set(k, jsToGo(v));
  return m;
}

function jsToGo(v: unknown): GoValue {
  if (v === null || v === undefined) return null;
  if (typeof v === "string") return v;
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  if (v instanceof Date) return v.toISOString().replace(".000Z", "Z");
  if (Array.isArray(v)) return GoSlice.of(T.iface, v.map(jsToGo));
  const m = GoMap.of(T.iface);
  if (v instanceof Map) { for (const [k, x] of v) m.m.set(String(k), jsToGo(x)); }
  else for (const [k, x] of Object.entries(v as Record<string, unknown>)) m.m.set(k, jsToGo(x));
  return m;
}

export { GoError, hasRawBytes };
