/**
 * Go's fmt package as templates use it: Sprint, Sprintln, Sprintf with Go's verbs, flags, width, precision, argument
 * indexes and its `%!verb(type=value)` error notation.
 *
 * @module
 */

import { canBackquote, formatFloat, isPrint, quote, quoteRune, quoteToASCII } from "./go_strconv.ts";
import { runeCount, stringToBytes } from "./gostr.ts";
import {
  GoComplex,
  GoInt,
  GoMap,
  GoSlice,
  GoStruct,
  type GoValue,
  isGoObject,
  isUnsigned,
  typeName,
  typeOf,
  typeString,
} from "./values.ts";

interface Flags {
  plus: boolean;
  minus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  plusV: boolean;
  sharpV: boolean;
  wid: number;
  widPresent: boolean;
  prec: number;
  precPresent: boolean;
}

function newFlags(): Flags {
  return {
    plus: false,
    minus: false,
    sharp: false,
    space: false,
    zero: false,
    plusV: false,
    sharpV: false,
    wid: 0,
    widPresent: false,
    prec: 0,
    precPresent: false,
  };
}

class Printer {
  buf = "";
  f: Flags = newFlags();
  erroring = false;

  writePadding(n: number): void {
    if (n <= 0) return;
    this.buf += (this.f.zero && !this.f.minus ? "0" : " ").repeat(n);
  }

  padString(s: string): void {
    if (!this.f.widPresent || this.f.wid === 0) {
      this.buf += s;
      return;
    }
    const width = this.f.wid - runeCount(s);
    if (!this.f.minus) {
      this.writePadding(width);
      this.buf += s;
    } else {
      this.buf += s;
      this.writePadding(width);
    }
  }

  truncate(s: string): string {
    if (this.f.precPresent) {
      let n = this.f.prec;
      let i = 0;
      for (const ch of s) {
        n--;
        if (n < 0) return s.slice(0, i);
        i += ch.length;
      }
    }
    return s;
  }

  fmtS(s: string): void {
    this.padString(this.truncate(s));
  }

  fmtQ(s: string): void {
    s = this.truncate(s);
    if (this.f.sharp && canBackquote(s)) {
      this.padString("`" + s + "`");
      return;
    }
    this.padString(this.f.plus ? quoteToASCII(s) : quote(s));
  }

  fmtSx(s: string, upper: boolean): void {
    const b = stringToBytes(s);
    let length = b.length;
    if (this.f.precPresent && this.f.prec < length) length = this.f.prec;
    let width = 2 * length;
    if (width > 0) {
      if (this.f.space) {
        if (this.f.sharp) width *= 2;
        width += length - 1;
      } else if (this.f.sharp) width += 2;
    } else {
      if (this.f.widPresent) this.writePadding(this.f.wid);
      return;
    }
    if (this.f.widPresent && this.f.wid > width && !this.f.minus) this.writePadding(this.f.wid - width);
    const digits = upper ? "0123456789ABCDEFX" : "0123456789abcdefx";
    let out = "";
    if (this.f.sharp) out += "0" + digits[16];
    for (let i = 0; i < length; i++) {
      if (this.f.space && i > 0) {
        out += " ";
        if (this.f.sharp) out += "0" + digits[16];
      }
      const c = b[i]!;
      out += digits[c >> 4]! + digits[c & 15]!;
    }
    this.buf += out;
    if (this.f.widPresent && this.f.wid > width && this.f.minus) this.writePadding(this.f.wid - width);
  }

  fmtInteger(v: bigint, signed: boolean, verb: string): void {
    switch (verb) {
      case "v":
      case "d":
        return this.fmtInt(v, 10, verb, false);
      case "b":
        return this.fmtInt(v, 2, verb, false);
      case "o":
      case "O":
        return this.fmtInt(v, 8, verb, false);
      case "x":
        return this.fmtInt(v, 16, verb, false);
      case "X":
        return this.fmtInt(v, 16, verb, true);
      case "c":
        return this.padString(String.fromCodePoint(validRune(v)));
      case "q":
        return this.padString(quoteRune(validRune(v), this.f.plus));
      case "U":
        return this.fmtUnicode(v);
      default:
        void signed;
        this.badVerb(verb);
    }
  }

  fmtUnicode(u: bigint): void {
    let prec = 4;
    if (this.f.precPresent && this.f.prec > 4) prec = this.f.prec;
    let s = BigInt.asUintN(64, u).toString(16).toUpperCase();
    if (s.length < prec) s = "0".repeat(prec - s.length) + s;
    s = "U+" + s;
    const n = Number(u);
    if (this.f.sharp && u >= 0n && u <= 0x10ffffn && isPrint(n)) s += " '" + String.fromCodePoint(n) + "'";
    const z = this.f.zero;
    this.f.zero = false;
    this.padString(s);
    this.f.zero = z;
  }

  fmtInt(v: bigint, base: number, verb: string, upper: boolean): void {
    const negative = v < 0n;
    let u = negative ? -v : v;
    let prec = 0;
    if (this.f.precPresent) {
      prec = this.f.prec;
      if (prec === 0 && u === 0n) {
        const z = this.f.zero;
        this.f.zero = false;
        this.writePadding(this.f.wid);
        this.f.zero = z;
        return;
      }
    } else if (this.f.zero && !this.f.minus && this.f.widPresent) {
      prec = this.f.wid;
      if (negative || this.f.plus || this.f.space) prec--;
    }
    let s = u.toString(base);
    if (upper) s = s.toUpperCase();
    u = 0n;
    if (s.length < prec) s = "0".repeat(prec - s.length) + s;
    if (this.f.sharp) {
      if (base === 2) s = "0b" + s;
      else if (base === 8) {
        if (s[0] !== "0") s = "0" + s;
      } else if (base === 16) s = (upper ? "0X" : "0x") + s;
    }
    if (verb === "O") s = "0o" + s;
    if (negative) s = "-" + s;
    else if (this.f.plus) s = "+" + s;
    else if (this.f.space) s = " " + s;
    const z = this.f.zero;
    this.f.zero = false;
    this.padString(s);
    this.f.zero = z;
  }

  fmtFloatVerb(v: number, verb: string): void {
    switch (verb) {
      case "v":
        return this.fmtFloat(v, "g", -1);
      case "g":
      case "G":
      case "x":
      case "X":
        return this.fmtFloat(v, verb, -1);
      case "f":
      case "e":
      case "E":
        return this.fmtFloat(v, verb, 6);
      case "F":
        return this.fmtFloat(v, "f", 6);
      default:
        this.badVerb(verb);
    }
  }

  fmtFloat(v: number, verb: string, prec: number): void {
    if (this.f.precPresent) prec = this.f.prec;
    let num = formatFloat(v, verb, prec);
    if (num[0] === "-" || num[0] === "+") {
      // keep sign
    } else num = "+" + num;
    if (this.f.space && num[0] === "+" && !this.f.plus) num = " " + num.slice(1);
    if (num[1] === "I" || num[1] === "N") {
      const z = this.f.zero;
      this.f.zero = false;
      if (num[1] === "N" && !this.f.space && !this.f.plus) num = num.slice(1);
      this.padString(num);
      this.f.zero = z;
      return;
    }
    if (this.f.sharp) {
      let digits = 0;
      if (verb === "v" || verb === "g" || verb === "G") {
        digits = prec;
        if (digits === -1) digits = 6;
      }
      let tail = "";
      let body = num;
      const ei = body.search(/[eE]/);
      if (ei >= 0) {
        tail = body.slice(ei);
        body = body.slice(0, ei);
      }
      let hasDot = false;
      let sawNonzero = false;
      for (let i = 1; i < body.length; i++) {
        const c = body[i]!;
        if (c === ".") hasDot = true;
        else {
          if (c !== "0") sawNonzero = true;
          if (sawNonzero) digits--;
        }
      }
      if (!hasDot) {
        if (body.length === 2 && body[1] === "0") digits--;
        body += ".";
      }
      while (digits > 0) {
        body += "0";
        digits--;
      }
      num = body + tail;
    }
    if (this.f.plus || num[0] !== "+") {
      if (this.f.zero && !this.f.minus && this.f.widPresent && this.f.wid > num.length) {
        this.buf += num[0];
        this.writePadding(this.f.wid - num.length);
        this.buf += num.slice(1);
        return;
      }
      this.padString(num);
      return;
    }
    this.padString(num.slice(1));
  }

  fmtComplex(v: GoComplex, verb: string): void {
    if (!"vbgGxXfFeE".includes(verb)) return this.badVerb(verb);
    const oldPlus = this.f.plus;
    this.buf += "(";
    this.fmtFloatVerb(v.re, verb);
    this.f.plus = true;
    this.fmtFloatVerb(v.im, verb);
    this.buf += "i)";
    this.f.plus = oldPlus;
  }

  fmtString(s: string, verb: string): void {
    switch (verb) {
      case "v":
        if (this.f.sharpV) this.fmtQ(s);
        else this.fmtS(s);
        return;
      case "s":
        return this.fmtS(s);
      case "x":
        return this.fmtSx(s, false);
      case "X":
        return this.fmtSx(s, true);
      case "q":
        return this.fmtQ(s);
      default:
        this.badVerb(verb);
    }
  }

  fmtBool(v: boolean, verb: string): void {
    if (verb === "t" || verb === "v") this.padString(v ? "true" : "false");
    else this.badVerb(verb);
  }

  badVerb(verb: string): void {
    this.erroring = true;
    this.buf += "%!" + verb + "(";
    if (this.arg !== undefined) {
      if (this.arg === null) this.buf += "<nil>";
      else {
        this.buf += typeName(this.arg) + "=";
        this.printArg(this.arg, "v", 0);
      }
    } else this.buf += "<nil>";
    this.buf += ")";
    this.erroring = false;
  }

  arg: GoValue | undefined = undefined;

  handleMethods(v: GoValue, verb: string): boolean {
    if (this.erroring) return false;
    if (this.f.sharpV) return false;
    if (verb === "v" || verb === "s" || verb === "x" || verb === "X" || verb === "q") {
      if (isGoObject(v) && v.goString) {
        this.fmtString(v.goString(), verb);
        return true;
      }
    }
    return false;
  }

  printArg(v: GoValue, verb: string, depth: number): void {
    this.arg = v;
    if (v === null) {
      if (depth === 0) {
        if (verb === "T" || verb === "v") this.padString("<nil>");
        else this.badVerb(verb);
      } else {
        // a nil element of a []interface{} or map[string]interface{}: Go prints <nil> whatever the verb
        this.buf += "<nil>";
      }
      return;
    }
    if (depth === 0) {
      if (verb === "T") {
        this.fmtS(typeName(v));
        return;
      }
      if (verb === "p") {
        this.badVerb(verb);
        return;
      }
    }
    switch (typeof v) {
      case "string":
        return this.fmtString(v, verb);
      case "boolean":
        return this.fmtBool(v, verb);
      case "number":
        return this.fmtFloatVerb(v, verb);
    }
    if (v instanceof GoInt) return this.fmtInteger(v.v, !isUnsigned(v.type.kind), verb);
    if (v instanceof GoComplex) return this.fmtComplex(v, verb);
    if (this.handleMethods(v, verb)) return;
    this.arg = v;
    if (v instanceof GoSlice) {
      if (this.f.sharpV) {
        this.buf += typeString(v.type);
        if (v.nil) {
          this.buf += "(nil)";
          return;
        }
        this.buf += "{";
        v.items.forEach((x, i) => {
          if (i > 0) this.buf += ", ";
          this.printArg(x, verb, depth + 1);
        });
        this.buf += "}";
        return;
      }
      this.buf += "[";
      v.items.forEach((x, i) => {
        if (i > 0) this.buf += " ";
        this.printArg(x, verb, depth + 1);
      });
      this.buf += "]";
      return;
    }
    if (v instanceof GoMap) {
      if (this.f.sharpV) {
        this.buf += typeString(v.type);
        if (v.nil) {
          this.buf += "(nil)";
          return;
        }
        this.buf += "{";
      } else this.buf += "map[";
      v.sortedKeys().forEach((k, i) => {
        if (i > 0) this.buf += this.f.sharpV ? ", " : " ";
        this.printArg(k, verb, depth + 1);
        this.buf += ":";
        this.printArg(v.m.get(k)!, verb, depth + 1);
      });
      this.buf += this.f.sharpV ? "}" : "]";
      return;
    }
    if (v instanceof GoStruct) {
      if (this.f.sharpV) this.buf += typeString(v.type);
      this.buf += "{";
      v.type.fields.forEach((name, i) => {
        if (i > 0) this.buf += this.f.sharpV ? ", " : " ";
        if (this.f.plusV || this.f.sharpV) this.buf += name + ":";
        this.printArg(v.fields.get(name) ?? null, verb, depth + 1);
      });
      this.buf += "}";
      return;
    }
    // other objects without String(): print as a struct of nothing
    const t = typeOf(v);
    this.buf += t && t.kind === "ptr" ? "&{}" : "{}";
  }

  doPrintf(format: string, a: GoValue[]): void {
    const end = format.length;
    let argNum = 0;
    let afterIndex = false;
    let reordered = false;
    let goodArgNum = true;
    const argNumber = (argNum: number, i: number): [number, number, boolean] => {
      if (format.length <= i || format[i] !== "[") return [argNum, i, false];
      reordered = true;
      const [index, wid, ok] = parseArgNumber(format.slice(i));
      if (ok && 0 <= index && index < a.length) return [index, i + wid, true];
      goodArgNum = false;
      return [argNum, i + wid, ok];
    };
    let i = 0;
    formatLoop: while (i < end) {
      goodArgNum = true;
      const lasti = i;
      while (i < end && format[i] !== "%") i++;
      if (i > lasti) this.buf += format.slice(lasti, i);
      if (i >= end) break;
      i++;
      this.f = newFlags();
      simple: for (; i < end; i++) {
        const c = format[i]!;
        switch (c) {
          case "#":
            this.f.sharp = true;
            break;
          case "0":
            this.f.zero = true;
            break;
          case "+":
            this.f.plus = true;
            break;
          case "-":
            this.f.minus = true;
            break;
          case " ":
            this.f.space = true;
            break;
          default:
            if (c >= "a" && c <= "z" && argNum < a.length) {
              if (c === "v" || c === "w") {
                this.f.sharpV = this.f.sharp;
                this.f.sharp = false;
                this.f.plusV = this.f.plus;
                this.f.plus = false;
              }
              this.printArg(a[argNum]!, c === "w" ? "w" : c, 0);
              argNum++;
              i++;
              continue formatLoop;
            }
            break simple;
        }
      }
      [argNum, i, afterIndex] = argNumber(argNum, i);
      if (i < end && format[i] === "*") {
        i++;
        [this.f.wid, this.f.widPresent, argNum] = intFromArg(a, argNum);
        if (!this.f.widPresent) this.buf += "%!(BADWIDTH)";
        if (this.f.wid < 0) {
          this.f.wid = -this.f.wid;
          this.f.minus = true;
          this.f.zero = false;
        }
        afterIndex = false;
      } else {
        [this.f.wid, this.f.widPresent, i] = parsenum(format, i, end);
        if (afterIndex && this.f.widPresent) goodArgNum = false;
      }
      if (i + 1 < end && format[i] === ".") {
        i++;
        if (afterIndex) goodArgNum = false;
        [argNum, i, afterIndex] = argNumber(argNum, i);
        if (i < end && format[i] === "*") {
          i++;
          [this.f.prec, this.f.precPresent, argNum] = intFromArg(a, argNum);
          if (this.f.prec < 0) {
            this.f.prec = 0;
            this.f.precPresent = false;
          }
          if (!this.f.precPresent) this.buf += "%!(BADPREC)";
          afterIndex = false;
        } else {
          [this.f.prec, this.f.precPresent, i] = parsenum(format, i, end);
          if (!this.f.precPresent) {
            this.f.prec = 0;
            this.f.precPresent = true;
          }
        }
      }
      if (!afterIndex) [argNum, i, afterIndex] = argNumber(argNum, i);
      if (i >= end) {
        this.buf += "%!(NOVERB)";
        break;
      }
      const cp = format.codePointAt(i)!;
      const verb = String.fromCodePoint(cp);
      i += verb.length;
      if (verb === "%") {
        this.buf += "%";
      } else if (!goodArgNum) {
        this.buf += "%!" + verb + "(BADINDEX)";
      } else if (argNum >= a.length) {
        this.buf += "%!" + verb + "(MISSING)";
      } else {
        if (verb === "v" || verb === "w") {
          this.f.sharpV = this.f.sharp;
          this.f.sharp = false;
          this.f.plusV = this.f.plus;
          this.f.plus = false;
        }
        this.printArg(a[argNum]!, verb, 0);
        argNum++;
      }
    }
    if (!reordered && argNum < a.length) {
      this.f = newFlags();
      this.buf += "%!(EXTRA ";
      a.slice(argNum).forEach((arg, k) => {
        if (k > 0) this.buf += ", ";
        if (arg === null) this.buf += "<nil>";
        else {
          this.buf += typeName(arg) + "=";
          this.printArg(arg, "v", 0);
        }
      });
      this.buf += ")";
    }
  }
}

function validRune(v: bigint): number {
  if (v < 0n || v > 0x10ffffn) return 0xfffd;
  const n = Number(v);
  return n >= 0xd800 && n <= 0xdfff ? 0xfffd : n;
}

function tooLarge(x: number): boolean {
  return x > 1e6 || x < -1e6;
}

function parsenum(s: string, start: number, end: number): [number, boolean, number] {
  if (start >= end) return [0, false, end];
  let num = 0;
  let isnum = false;
  let i = start;
  for (; i < end && s[i]! >= "0" && s[i]! <= "9"; i++) {
    if (tooLarge(num)) return [0, false, end];
    num = num * 10 + (s.charCodeAt(i) - 48);
    isnum = true;
  }
  return [num, isnum, i];
}

function parseArgNumber(format: string): [number, number, boolean] {
  if (format.length < 3) return [0, 1, false];
  for (let i = 1; i < format.length; i++) {
    if (format[i] === "]") {
      const [width, ok, newi] = parsenum(format, 1, i);
      if (!ok || newi !== i) return [0, i + 1, false];
      return [width - 1, i + 1, true];
    }
  }
  return [0, 1, false];
}

function intFromArg(a: GoValue[], argNum: number): [number, boolean, number] {
  let num = 0;
  let isInt = false;
  let newArgNum = argNum;
  if (argNum < a.length) {
    const v = a[argNum]!;
    if (v instanceof GoInt) {
      if (v.v >= -(1n << 63n) && v.v < 1n << 63n) {
        num = Number(v.v);
        isInt = true;
      }
    }
    newArgNum = argNum + 1;
    if (tooLarge(num)) {
      num = 0;
      isInt = false;
    }
  }
  return [num, isInt, newArgNum];
}

/** fmt.Sprintf. */
export function sprintf(format: string, args: GoValue[]): string {
  const p = new Printer();
  p.doPrintf(format, args);
  return p.buf;
}

/** fmt.Sprint: spaces between operands when neither side is a string. */
export function sprint(args: GoValue[]): string {
  const p = new Printer();
  let prevString = false;
  args.forEach((arg, n) => {
    const isString = typeof arg === "string";
    if (n > 0 && !isString && !prevString) p.buf += " ";
    p.f = newFlags();
    p.printArg(arg, "v", 0);
    prevString = isString;
  });
  return p.buf;
}

/** fmt.Sprintln: always spaces, trailing newline. */
export function sprintln(args: GoValue[]): string {
  const p = new Printer();
  args.forEach((arg, n) => {
    if (n > 0) p.buf += " ";
    p.f = newFlags();
    p.printArg(arg, "v", 0);
  });
  return p.buf + "\n";
}

/** fmt.Sprint of one value (`%v`), the fast path used for template output. */
export function formatValue(v: GoValue): string {
  if (typeof v === "string") return v;
  const p = new Printer();
  p.printArg(v, "v", 0);
  return p.buf;
}
