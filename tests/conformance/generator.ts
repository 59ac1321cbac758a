/**
 * Random templates from a small grammar over the supported constructs (actions, pipelines, variables, if/else,
 * range with break/continue, with, define/template, trim markers) and a mix of builtins and Sprig functions with
 * arguments of random types — well-typed and ill-typed — so that both engines' type checks and error messages are
 * exercised, not only their happy paths. Deterministic for a given seed.
 *
 * @module
 */

export { seededRandom as prng } from "../harness/prng.ts";

type Kind = "str" | "int" | "float" | "bool" | "list" | "dict" | "any";

export class Generator {
  private vars: string[] = [];
  private depth = 0;
  private rangeDepth = 0;
  constructor(private readonly rnd: () => number) {}

  private pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.rnd() * xs.length)]!;
  }
  private chance(p: number): boolean {
    return this.rnd() < p;
  }
  private int(lo: number, hi: number): number {
    return lo + Math.floor(this.rnd() * (hi - lo + 1));
  }

  expr(kind: Kind): string {
    this.depth++;
    try {
      if (this.depth > 4) return this.leaf(kind);
      // sometimes feed a value of the wrong kind, to compare type errors
      if (this.chance(0.06)) kind = this.pick(["str", "int", "float", "bool", "list", "dict"] as const);
      if (this.chance(0.35)) return this.leaf(kind);
      switch (kind) {
        case "str":
          return this.pick([
            () => `(upper ${this.expr("str")})`,
            () => `(lower ${this.expr("str")})`,
            () => `(trim ${this.expr("str")})`,
            () => `(title ${this.expr("str")})`,
            () => `(quote ${this.expr("any")})`,
            () => `(squote ${this.expr("any")})`,
            () => `(b64enc ${this.expr("str")})`,
            () => `(b64dec ${this.expr("str")})`,
            () => `(repeat ${this.int(0, 3)} ${this.expr("str")})`,
            () => `(substr ${this.int(-1, 3)} ${this.int(-1, 6)} ${this.expr("str")})`,
            () => `(trunc ${this.int(-4, 4)} ${this.expr("str")})`,
            () => `(replace "${this.pick(["a", "o", "", "l"])}" "${this.pick(["_", "", "XY"])}" ${this.expr("str")})`,
            () =>
              `(printf "${this.pick(["%v", "%s-%v", "%d", "%5.2f", "%q", "%x", "%T", "%v %v"])}" ${this.expr("any")} ${
                this.expr("any")
              })`,
            () => `(print ${this.expr("any")} ${this.expr("any")})`,
            () => `(toString ${this.expr("any")})`,
            () => `(default "dflt" ${this.expr("any")})`,
            () => `(join "${this.pick([",", "", " - "])}" ${this.expr("list")})`,
            () => `(cat ${this.expr("any")} ${this.expr("any")})`,
            () => `(toJson ${this.expr("any")})`,
            () => `(sha1sum ${this.expr("str")})`,
            () => `(indent ${this.int(0, 3)} ${this.expr("str")})`,
            () => `(snakecase ${this.expr("str")})`,
            () => `(kebabcase ${this.expr("str")})`,
            () => `(camelcase ${this.expr("str")})`,
            () => `(html ${this.expr("any")})`,
            () => `(js ${this.expr("any")})`,
            () => `(urlquery ${this.expr("any")})`,
            () => `(typeOf ${this.expr("any")})`,
            () => `(kindOf ${this.expr("any")})`,
            () => `(ternary ${this.expr("str")} ${this.expr("str")} ${this.expr("bool")})`,
            () =>
              `(regexReplaceAll "${this.pick(["[aeiou]", "(l+)", "^.", "x*"])}" ${this.expr("str")} "${
                this.pick(["-", "$1$1", "${1}!", ""])
              }")`,
            () =>
              `(${this.expr("str")} | ${
                this.pick([
                  "upper",
                  "lower",
                  "trim",
                  "b64enc",
                  "quote",
                  "len | toString",
                  "nospace",
                  "initials",
                  "swapcase",
                ])
              })`,
            () => `(index . "${this.pick(["name", "user", "dash-key", "empty", "missing"])}")`,
            () => `(toYaml ${this.expr("any")})`,
            () =>
              `(date "${
                this.pick(["2006-01-02", "15:04:05", "Mon Jan _2 2006", "2006-01-02T15:04:05Z07:00", "06/1/2 3PM"])
              }" ${
                this.pick([
                  "(int64 1700000000)",
                  "0",
                  "(int64 -86400)",
                  '(toDate "2006-01-02" "2024-02-29")',
                  "(int 86399)",
                ])
              })`,
            () =>
              `(toDate "${this.pick(["2006-01-02", "2006-01-02 15:04", "02/01/2006"])}" ${
                this.expr("str")
              } | date "2006")`,
            () => `(duration ${this.pick(['"90"', '"-3601"', "(int64 86400)", '"x"', "5"])})`,
            () => `(durationRound ${this.pick(['"2h5m"', '"-49h"', '"1s"', '"400h"', "(int64 999999999999)"])})`,
            () => `(semver "${this.pick(["1.2.3", "v2.0.0-rc.1+b", "1.2", "01.2.3", "x"])}" | toString)`,
            () =>
              `(toString (semverCompare "${this.pick([">=1.2", "~1.2.0", "^0.3", "1.x", "<2 || >3", "!=1.2.3"])}" "${
                this.pick(["1.2.3", "0.3.9", "2.5.0", "1.2.3-beta", "4.0.0"])
              }"))`,
            () =>
              `(urlParse "${this.pick(["https://u:p@h:8/p?q=1#f", "mailto:x@y", "/rel", "http://[::1]/"])}" | toJson)`,
            () => `(sha256sum ${this.expr("str")})`,
            () => `(adler32sum ${this.expr("str")})`,
            () =>
              `(printf "${this.pick(["%5.1f|%-4d|%x", "%q %v %T", "%08.3e %+d %s", "%[2]v %[1]v %v", "%c%U%o"])}" ${
                this.expr("any")
              } ${this.expr("any")} ${this.expr("any")})`,
            () => `(dig "${this.pick(["a", "b", "e"])}" "dflt" ${this.expr("dict")} | toString)`,
            () => `(abbrev ${this.int(3, 8)} ${this.expr("str")})`,
            () => `(wrap ${this.int(1, 6)} ${this.expr("str")})`,
            () =>
              `(regexSplit "${this.pick(["l", ",", "[aeiou]", ""])}" ${this.expr("str")} ${
                this.int(-1, 3)
              } | toString)`,
            () => `(quote (index (dict "k" ${this.expr("any")}) "${this.pick(["k", "z"])}"))`,
            () => `(coalesce ${this.expr("any")} ${this.expr("any")} | toString)`,
            () => `(ternary "a" "b" (empty ${this.expr("any")}))`,
            () => `(toPrettyJson ${this.expr("any")})`,
            () => `(fromYaml (toYaml ${this.expr("any")}) | toJson)`,
          ])();
        case "int":
          return this.pick([
            () => `(len ${this.expr(this.pick(["str", "list", "dict"] as const))})`,
            () => `(add ${this.expr("any")} ${this.expr("int")})`,
            () => `(sub ${this.expr("int")} ${this.expr("int")})`,
            () => `(mul ${this.expr("int")} ${this.int(-3, 3)})`,
            () => `(div ${this.expr("int")} ${this.int(-2, 3)})`,
            () => `(mod ${this.expr("int")} ${this.int(-2, 3)})`,
            () => `(max ${this.expr("int")} ${this.expr("int")})`,
            () => `(min ${this.expr("int")} ${this.expr("any")})`,
            () => `(atoi ${this.expr("str")})`,
            () => `(int ${this.expr("any")})`,
            () => `(int64 ${this.expr("any")})`,
            () => `(add1 ${this.expr("any")})`,
            () => `(index ${this.expr("list")} ${this.int(0, 2)})`,
          ])();
        case "float":
          return this.pick([
            () => `(float64 ${this.expr("any")})`,
            () => `(addf ${this.expr("float")} ${this.expr("any")})`,
            () => `(mulf ${this.expr("float")} ${this.expr("float")})`,
            () => `(divf ${this.expr("float")} ${this.pick(["2", "3", "0.5", "7"])})`,
            () => `(round ${this.expr("float")} ${this.int(0, 3)})`,
            () => `(floor ${this.expr("any")})`,
            () => `(ceil ${this.expr("any")})`,
            () => `(maxf ${this.expr("float")} ${this.expr("float")})`,
          ])();
        case "bool":
          return this.pick([
            () => `(eq ${this.expr("any")} ${this.expr("any")})`,
            () => `(ne ${this.expr("str")} ${this.expr("str")})`,
            () => `(lt ${this.expr("int")} ${this.expr("int")})`,
            () => `(le ${this.expr("any")} ${this.expr("any")})`,
            () => `(gt ${this.expr("float")} ${this.expr("float")})`,
            () => `(and ${this.expr("any")} ${this.expr("any")})`,
            () => `(or ${this.expr("any")} ${this.expr("any")})`,
            () => `(not ${this.expr("any")})`,
            () => `(empty ${this.expr("any")})`,
            () => `(has ${this.expr("any")} ${this.expr("list")})`,
            () => `(contains ${this.expr("str")} ${this.expr("str")})`,
            () => `(hasPrefix ${this.expr("str")} ${this.expr("str")})`,
            () => `(hasKey ${this.expr("dict")} "${this.pick(["a", "b", "name"])}")`,
            () => `(regexMatch "${this.pick(["^[a-z]+$", "o", "\\\\d"])}" ${this.expr("str")})`,
            () => `(deepEqual ${this.expr("any")} ${this.expr("any")})`,
            () => `(all ${this.expr("any")} ${this.expr("any")})`,
          ])();
        case "list":
          return this.pick([
            () => `(list ${this.expr("any")} ${this.expr("any")})`,
            () => `(list)`,
            () => `(splitList "${this.pick([",", "", "l"])}" ${this.expr("str")})`,
            () => `(until ${this.int(-2, 4)})`,
            () => `(append ${this.expr("list")} ${this.expr("any")})`,
            () => `(prepend ${this.expr("list")} ${this.expr("any")})`,
            () => `(rest ${this.expr("list")})`,
            () => `(initial ${this.expr("list")})`,
            () => `(reverse ${this.expr("list")})`,
            () => `(uniq ${this.expr("list")})`,
            () => `(compact ${this.expr("list")})`,
            () => `(sortAlpha ${this.expr("any")})`,
            () => `(without ${this.expr("list")} ${this.expr("any")})`,
            () => `(concat ${this.expr("list")} ${this.expr("list")})`,
            () => `(slice ${this.expr("list")} ${this.int(0, 1)})`,
            () => `(toStrings ${this.expr("any")})`,
            () => `(fromJson .jsonarr)`,
            () => `(regexFindAll "${this.pick(["[a-z]", "l+", "."])}" ${this.expr("str")} ${this.int(-1, 2)})`,
            () => `(keys ${this.expr("dict")} | sortAlpha)`,
            () => `(chunk ${this.int(1, 3)} ${this.expr("list")})`,
          ])();
        case "dict":
          return this.pick([
            () => `(dict "a" ${this.expr("any")} "b" ${this.expr("any")})`,
            () => `(dict)`,
            () => `(fromJson .json)`,
            () => `(fromYaml .yaml)`,
            () => `(merge ${this.expr("dict")} ${this.expr("dict")})`,
            () => `(mergeOverwrite ${this.expr("dict")} ${this.expr("dict")})`,
            () => `(pick ${this.expr("dict")} "a" "e")`,
            () => `(omit ${this.expr("dict")} "a")`,
            () => `(set (dict "x" 1) "y" ${this.expr("any")})`,
            () => `(split "${this.pick([",", "l"])}" ${this.expr("str")})`,
            () => `.`,
          ])();
        default:
          return this.expr(this.pick(["str", "int", "float", "bool", "list", "dict"] as const));
      }
    } finally {
      this.depth--;
    }
  }

  private leaf(kind: Kind): string {
    switch (kind) {
      case "str":
        return this.pick([
          ".name",
          ".user",
          ".empty",
          ".multi",
          ".unicode",
          ".csv",
          ".num",
          '"lit"',
          '""',
          '"héllo"',
          "`raw`",
          '"a,b"',
          ...this.vars,
        ]);
      case "int":
        return this.pick(["0", "1", "-3", "42", "7", "0x10", "'a'", "(len .name)"]);
      case "float":
        return this.pick(["1.5", "0.0", "-2.25", "1e3", "3.0"]);
      case "bool":
        return this.pick(["true", "false"]);
      case "list":
        return this.pick(["(list 1 2 3)", '(list "b" "a" "b")', "(list)", "(list nil 1)"]);
      case "dict":
        return this.pick(['(dict "a" 1)', "(dict)", "(fromJson .json)"]);
      default:
        return this.pick([".name", "1", "2.5", "true", "nil", "(list 1)", '(dict "k" "v")', ...this.vars]);
    }
  }

  statement(): string {
    this.depth++;
    try {
      if (this.depth > 3) return this.action();
      const r = this.rnd();
      if (r < 0.4) return this.action();
      if (r < 0.5) return this.pick(["text ", "\n", " x ", "a-b", "{", "}"]);
      if (r < 0.6) {
        const els = this.chance(0.5) ? `{{ else }}${this.block()}` : "";
        const elif = this.chance(0.2) ? `{{ else if ${this.expr("bool")} }}${this.block()}` : "";
        return `{{ if ${this.expr(this.pick(["bool", "any"] as const))} }}${this.block()}${elif}${els}{{ end }}`;
      }
      if (r < 0.72) {
        const decl = this.pick(["", "$v := ", "$i, $v := "]);
        const saved = this.vars.length;
        if (decl.includes("$v")) this.vars.push("$v");
        this.rangeDepth++;
        const body = this.block();
        this.rangeDepth--;
        this.vars.length = saved;
        const els = this.chance(0.3) ? `{{ else }}${this.block()}` : "";
        const over = this.chance(0.8) ? this.expr(this.pick(["list", "dict"] as const)) : this.pick(["3", "0", '"s"']);
        return `{{ range ${decl}${over} }}${body}${els}{{ end }}`;
      }
      if (r < 0.8) {
        const elseWith = this.chance(0.3) ? `{{ else with ${this.expr("any")} }}${this.block()}` : "";
        return `{{ with ${this.expr("any")} }}${this.block()}${elseWith}{{ else }}${this.block()}{{ end }}`;
      }
      if (r < 0.88) {
        const name = `$x${this.int(1, 3)}`;
        const first = `{{ ${name} := ${this.expr("any")} }}`;
        this.vars.push(name);
        return first + this.block();
      }
      if (r < 0.92 && this.rangeDepth > 0) return this.pick(["{{ break }}", "{{ continue }}"]);
      if (r < 0.93 && this.vars.some((v) => v.startsWith("$x"))) {
        const v = this.pick(this.vars.filter((x) => x.startsWith("$x")));
        return `{{ ${v} = ${this.expr("any")} }}{{ ${v} }}`;
      }
      if (r < 0.96) return `{{- ${this.expr("any")} -}}`;
      return `{{/* c */}}${this.action()}`;
    } finally {
      this.depth--;
    }
  }

  private action(): string {
    if (this.chance(0.15)) {
      return `{{ ${this.expr("any")} | ${this.pick(["len", "toString", "print", "quote", "typeOf", "toJson"])} }}`;
    }
    return `{{ ${this.expr(this.pick(["str", "int", "float", "bool", "list", "dict", "any"] as const))} }}`;
  }

  private block(): string {
    let s = "";
    const n = this.int(1, 3);
    for (let i = 0; i < n; i++) s += this.statement();
    return s;
  }

  template(): string {
    this.vars = [];
    this.depth = 0;
    this.rangeDepth = 0;
    let s = "";
    if (this.chance(0.1)) s += `{{ define "sub" }}[{{ . }}]{{ end }}`;
    const n = this.int(1, 4);
    for (let i = 0; i < n; i++) s += this.statement();
    if (s.includes('define "sub"')) s += `{{ template "sub" ${this.expr("any")} }}`;
    return s;
  }
}
