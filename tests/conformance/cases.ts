/**
 * Hand-written conformance cases: every template construct, Go builtin, Sprig function and ESO function, rendered by
 * both engines. Deterministic cases compare output bytes or the error (phase and message); non-deterministic ones
 * (random, time, keys, bcrypt) check properties of both outputs, and generated artefacts (PKCS#12, certificates,
 * AES) are verified by feeding one engine's output to the other.
 *
 * @module
 */

const fixture = (name: string): Uint8Array => Deno.readFileSync(new URL(`./fixtures/${name}`, import.meta.url));
const text = (name: string): string => new TextDecoder().decode(fixture(name));

export type Outcome = { ok: true; out: string; bytes: Uint8Array } | { ok: false; phase: string; message: string };

export interface Case {
  /** Group and short description, shown in the test report. */
  group: string;
  tpl: string;
  data?: Record<string, string | Uint8Array>;
  /** Template name (ESO uses the secret key). */
  tmplName?: string;
  /** Compare errors by phase only (the messages come from different libraries). */
  errClass?: boolean;
  /** Property check applied to each engine's outcome; returns a problem or null. Replaces output equality. */
  check?: (o: Outcome, engine: "ts" | "go") => string | null;
  /**
   * Cross-verification: the output of each engine is given to the other engine as `.out` in this template; both
   * verifications must agree with `expect` (or, without `expect`, with each other).
   */
  verify?: { tpl: string; data?: Record<string, string | Uint8Array>; expect?: string };
}

export const D: Record<string, string> = {
  name: "world",
  user: "admin",
  password: "s3cr3t-P@ss",
  "dash-key": "dashed",
  empty: "",
  num: "42",
  float: "3.75",
  neg: "-7",
  bool: "true",
  json: '{"a":1,"b":[1,2,{"c":"x"}],"d":null,"e":"str","f":1.5e3,"g":true}',
  jsonarr: '[1,"two",3.5,true,null]',
  b64: "aGVsbG8gd29ybGQ=",
  multi: "line1\nline2\nline3",
  spaces: "  padded  ",
  unicode: "héllo wörld ☃ 日本",
  html: '<a href="x">&\'</a>',
  yaml: "a: 1\nb:\n  - x\n  - y\nc: yes\nd: ~\ne: 1.5\n",
  csv: "a,b,,c",
  url: "https://user:pa%20ss@example.com:8443/p/a%2Fb?q=1&r=a+b#frag",
  semver: "1.2.3-beta.1+build.5",
  dockerconfig: '{"auths":{"registry.example.com":{"auth":"dXNlcjpwYXNz"}}}',
  pct: "100%",
};

const cases: Case[] = [];
const add = (group: string, tpls: string[], extra: Partial<Case> = {}): void => {
  for (const tpl of tpls) cases.push({ group, tpl, ...extra });
};

// --- text, actions, comments, trim markers --------------------------------------------------------------------------
add("text", [
  "",
  "plain text",
  "{{ .name }}",
  "hello {{ .name }}!",
  "{{.name}}{{.user}}",
  "a {{- .name -}} b",
  "a  \n {{- .name }} \n b",
  "a {{ .name -}}\n\n   b",
  "{{- .name -}}",
  "{{/* a comment */}}x",
  "x {{- /* trimmed comment */ -}} y",
  "{{/* multi\nline */}}after",
  "{{ `raw {{ not an action }}` }}",
  '{{ "quoted \\"string\\" \\t\\n" }}',
  "{{ 'a' }} {{ '\\n' }} {{ '日' }}",
  "{{ 1 }} {{ -1 }} {{ 0x1F }} {{ 0o17 }} {{ 0b101 }} {{ 1_000 }}",
  "{{ 1.5 }} {{ 1e3 }} {{ .5 }} {{ 1. }} {{ 1e-7 }} {{ 123456789.0 }}",
  "{{ true }} {{ false }}",
  "{{ . }}",
  '{{ index . "dash-key" }}',
  "{{ .unicode }}",
  "{{ .multi }}",
  "line1\n{{ .name }}\nline3\n",
  "{{ .pct }}",
  "{{ .dockerconfig }}",
]);

// --- variables -----------------------------------------------------------------------------------------------------
add("variables", [
  "{{ $x := .name }}{{ $x }}",
  "{{ $x := 1 }}{{ $x = 2 }}{{ $x }}",
  "{{ $ }}",
  "{{ $.name }}",
  '{{ $x := dict "a" (dict "b" "deep") }}{{ $x.a.b }}',
  "{{ with $x := .name }}{{ $x }}{{ end }}",
  "{{ $x := 1 }}{{ if true }}{{ $x = 5 }}{{ end }}{{ $x }}",
  "{{ $x := 1 }}{{ if true }}{{ $x := 5 }}{{ end }}{{ $x }}",
  '{{ range $i, $v := list "a" "b" }}{{ $i }}{{ $v }}{{ end }}',
  "{{ $i := 0 }}{{ range $i = list 3 4 }}{{ end }}{{ $i }}",
  "{{ $a, $b := 1, 2 }}",
  "{{ $undefined }}",
  "{{ $x := 1 }}{{ $x.field }}",
]);

// --- conditionals --------------------------------------------------------------------------------------------------
add("if", [
  "{{ if .name }}yes{{ end }}",
  "{{ if .empty }}yes{{ else }}no{{ end }}",
  '{{ if eq .num "42" }}forty-two{{ else if eq .num "1" }}one{{ else }}other{{ end }}',
  "{{ if false }}a{{ else if false }}b{{ else if true }}c{{ end }}",
  "{{ if 0 }}a{{ else }}b{{ end }}",
  "{{ if 0.0 }}a{{ else }}b{{ end }}",
  "{{ if list }}a{{ else }}b{{ end }}",
  "{{ if dict }}a{{ else }}b{{ end }}",
  '{{ if (dict "a" 1) }}a{{ else }}b{{ end }}',
  "{{ if nil }}a{{ else }}b{{ end }}",
  "{{ if and .name .user }}both{{ end }}",
  "{{ if or .empty .user }}{{ or .empty .user }}{{ end }}",
  "{{ if not .empty }}not empty{{ end }}",
  "{{ if .missing }}x{{ end }}",
  "{{ if }}x{{ end }}",
  "{{ if .name }}x",
  "{{ else }}",
  "{{ end }}",
  "{{ if .name }}a{{ else }}b{{ else }}c{{ end }}",
]);

// --- with ----------------------------------------------------------------------------------------------------------
add("with", [
  "{{ with .name }}{{ . }}{{ end }}",
  "{{ with .empty }}{{ . }}{{ else }}empty{{ end }}",
  "{{ with fromJson .json }}{{ .e }}{{ end }}",
  "{{ with .empty }}a{{ else with .name }}{{ . }}{{ end }}",
  "{{ with $x := .user }}{{ $x }}-{{ . }}{{ end }}",
  "{{ with 0 }}x{{ else }}zero{{ end }}",
]);

// --- range ---------------------------------------------------------------------------------------------------------
add("range", [
  "{{ range list 1 2 3 }}{{ . }},{{ end }}",
  '{{ range $k, $v := dict "b" 2 "a" 1 "c" 3 }}{{ $k }}={{ $v }};{{ end }}',
  "{{ range $k, $v := . }}{{ $k }} {{ end }}",
  "{{ range list }}x{{ else }}empty{{ end }}",
  "{{ range dict }}x{{ else }}empty{{ end }}",
  "{{ range nil }}x{{ else }}nil{{ end }}",
  "{{ range 3 }}{{ . }}{{ end }}",
  "{{ range $i := 4 }}{{ $i }}{{ end }}",
  "{{ range 0 }}x{{ else }}none{{ end }}",
  "{{ range $i, $v := 3 }}{{ end }}",
  "{{ range list 1 2 3 4 5 }}{{ if eq . 3 }}{{ break }}{{ end }}{{ . }}{{ end }}",
  "{{ range list 1 2 3 4 5 }}{{ if eq . 3 }}{{ continue }}{{ end }}{{ . }}{{ end }}",
  '{{ range $i, $e := splitList "," .csv }}[{{ $i }}:{{ $e }}]{{ end }}',
  "{{ range .name }}{{ . }}{{ end }}",
  "{{ range 1.5 }}{{ end }}",
  '{{ range $x := list "a" }}{{ $x }}{{ end }}{{ $x }}',
  "{{ break }}",
  "{{ continue }}",
  "{{ range list (list 1 2) (list 3) }}{{ range . }}{{ . }}{{ end }};{{ end }}",
  "{{ range (fromJson .jsonarr) }}{{ . }}|{{ end }}",
  "{{ range $k, $v := fromJson .json }}{{ $k }}:{{ $v }} {{ end }}",
  "{{ range (list nil 1) }}{{ . }}{{ end }}",
  "{{ range $a, $b, $c := list 1 }}{{ end }}",
  '{{ range split "," .csv }}{{ . }}.{{ end }}',
]);

// --- define / template / block -------------------------------------------------------------------------------------
add("templates", [
  '{{ define "t" }}T({{ . }}){{ end }}{{ template "t" .name }}',
  '{{ define "t" }}T{{ end }}{{ template "t" }}',
  '{{ template "nope" }}',
  '{{ block "b" .user }}block:{{ . }}{{ end }}',
  '{{ define "a" }}A{{ template "b" }}{{ end }}{{ define "b" }}B{{ end }}{{ template "a" }}',
  '{{ define "t" }}{{ .missing }}{{ end }}{{ template "t" . }}',
  '{{ define "t" }}1{{ end }}{{ define "t" }}2{{ end }}',
  '{{ define "t" }}{{ $ }}{{ end }}{{ template "t" "dot" }}',
  '{{ define "rec" }}{{ if gt (len .) 0 }}{{ first . }}{{ template "rec" (rest .) }}{{ end }}{{ end }}{{ template "rec" (list 1 2 3) }}',
  '{{ define "x" }}{{ end }}',
  '{{ template "x" }}{{ define "x" }}late{{ end }}',
  "{{ define }}{{ end }}",
  '{{ define "t" }}unterminated',
]);

// --- fields, maps, chains ------------------------------------------------------------------------------------------
add("fields", [
  "{{ .missing }}",
  "{{ .name.sub }}",
  "{{ (fromJson .json).a }}",
  "{{ (fromJson .json).b }}",
  "{{ (fromJson .json).d }}",
  "{{ (fromJson .json).d.x }}",
  "{{ (fromJson .json).zz }}",
  "{{ (fromJson .json).e.x }}",
  "{{ $m := fromJson .json }}{{ $m.a }} {{ $m.g }} {{ $m.f }}",
  '{{ (dict "a" (dict "b" (dict "c" "deep"))).a.b.c }}',
  "{{ (list 1).x }}",
  "{{ nil.x }}",
  "{{ .name arg }}",
  '{{ (genCA "x" 1).Cert | len | lt 100 }}',
  '{{ (semver "1.2.3").Minor }} {{ (semver "v2").String }} {{ (semver "1.2.3-rc.1+b").Prerelease }}',
  '{{ (semver "1.2.3").Nope }}',
  "{{ (dict).x }}",
  '{{ $x := dict "a" nil }}{{ $x.a }}',
  '{{ $x := dict "a" nil }}{{ $x.a.b }}',
  "{{ $x := index (list nil) 0 }}{{ $x.a }}",
]);

// --- builtins ------------------------------------------------------------------------------------------------------
add("builtins", [
  '{{ and 1 0 2 }} {{ and 1 2 }} {{ and "" 1 }} {{ or 0 "" }} {{ or 0 3 }} {{ or nil false }}',
  "{{ and }}",
  "{{ not 0 }} {{ not 1 }} {{ not .empty }} {{ not nil }}",
  '{{ len .name }} {{ len .unicode }} {{ len (list 1 2) }} {{ len (dict "a" 1) }} {{ len . }}',
  "{{ len 3 }}",
  "{{ len nil }}",
  '{{ index (list 1 2 3) 1 }} {{ index (dict "a" "b") "a" }} {{ index (dict "a" "b") "z" }}',
  "{{ index .name 0 }} {{ index .unicode 1 }}",
  "{{ index (list 1 2) 5 }}",
  "{{ index (list 1 2) 2 }}",
  "{{ index (list 1 2) -1 }}",
  '{{ index (list 1 2) "a" }}',
  "{{ index (list (list 1 2) (list 3 4)) 1 0 }}",
  "{{ index nil 1 }}",
  "{{ index 5 1 }}",
  '{{ index (dict "a" 1) 1 }}',
  '{{ index (dict "a" 1) nil }}',
  '{{ index . "name" }} {{ index . "missing" }}|',
  "{{ index (list nil) 0 }}",
  '{{ print 1 2 "a" "b" 3 nil }}',
  '{{ print }}|{{ println }}|{{ println 1 "x" }}',
  '{{ html .html }} {{ html 1 "<" }} {{ html nil }}',
  '{{ js .html }} {{ js "line\\nnew\\u2028=" }} {{ js .unicode }}',
  '{{ urlquery .url }} {{ urlquery "a b" 1 }}',
  '{{ eq 1 1 }} {{ eq 1 2 }} {{ eq "a" "a" }} {{ eq 1 2 3 1 }} {{ eq .num "42" }}',
  "{{ eq 1 1.0 }}",
  "{{ eq (int64 1) 1 }} {{ eq (int 1) (int64 1) }}",
  "{{ eq nil nil }} {{ eq .name nil }}",
  "{{ eq (list 1) (list 1) }}",
  "{{ eq (dict) nil }}",
  "{{ eq 1 }}",
  '{{ ne 1 2 }} {{ ne "a" "a" }}',
  '{{ lt 1 2 }} {{ lt 2 1 }} {{ lt "a" "b" }} {{ lt 1.5 2.5 }} {{ le 2 2 }} {{ gt 3 2 }} {{ ge 2 3 }}',
  "{{ lt true false }}",
  '{{ lt 1 "a" }}',
  "{{ lt (list) 1 }}",
  "{{ lt (int64 -1) (int 0) }}",
  "{{ call .name }}",
  "{{ call nil }}",
  "{{ slice (list 1 2 3) 1 }} {{ slice (list 1 2 3) 1 2 }} {{ slice (list 1 2 3) }}",
]);

// --- printf and fmt ------------------------------------------------------------------------------------------------
const printfVals = [
  "42",
  "-42",
  "3.14159",
  "-0.5",
  '"str"',
  '"héllo"',
  "true",
  "nil",
  "(list 1 2)",
  '(list "a" "b")',
  '(dict "k" "v" "a" 1)',
  "(int64 255)",
  "1e21",
  "0.000001234",
];
const verbs = ["%v", "%d", "%s", "%q", "%x", "%X", "%f", "%e", "%g", "%t", "%T", "%5v", "%-6v|", "%08.3f", "%+d", "%c"];
for (const v of printfVals) {
  cases.push({ group: "printf", tpl: `{{ printf "${verbs.join(" ")}" ${Array(verbs.length).fill(v).join(" ")} }}` });
}
add("printf", [
  '{{ printf "%s" }}',
  '{{ printf "%d %d" 1 }}',
  '{{ printf "%d" 1 2 3 }}',
  '{{ printf "%!" 1 }}',
  '{{ printf "%" }}',
  '{{ printf "%[2]d %[1]d" 1 2 }}',
  '{{ printf "%[3]d" 1 2 }}',
  '{{ printf "%*d|%-*d|" 5 1 4 2 }}',
  '{{ printf "%.*f" 2 3.14159 }}',
  '{{ printf "%6.2f|%-8.3e|%+.1g" 3.14159 1234.5678 0.000123 }}',
  '{{ printf "%#x %#o %#b %O" 255 8 5 8 }}',
  '{{ printf "%x % x %#x %X" "hi" "hi" "hi" "hi" }}',
  '{{ printf "%U %#U %c %q" 65 9731 9731 97 }}',
  '{{ printf "%5.1s|%-5s|%.2s" "abc" "ab" "héllo" }}',
  '{{ printf "%+q %#q %q" "héllo" "back`tick" "tab\\t" }}',
  '{{ printf "%v %+v" (dict "a" (list 1 "x")) (list (dict "b" 2)) }}',
  '{{ printf "%05d|%-05d|% d|%+05d" 42 42 42 -42 }}',
  '{{ printf "%.0f %.0f %.0f %.0f %.1f" 0.5 1.5 2.5 -0.5 0.25 }}',
  '{{ printf "%g %g %g %g %g" 100000.0 1000000.0 1e-4 1e-5 123456789.0 }}',
  '{{ printf "%e %E %.3e" 0.0 123.456 9.9996 }}',
  '{{ printf "%v %v %v" 1e100 1.7976931348623157e308 5e-324 }}',
  '{{ printf "%d" "str" }}',
  '{{ printf "%s" 42 }}',
  '{{ printf "%t" 1 }}',
  '{{ printf "%p" 1 }}',
  '{{ printf "%z" 1 }}',
  '{{ printf "%v" .pct }}',
  '{{ printf "%%d %d%%" 5 }}',
  '{{ printf "%.3d|%.0d|%8.3d" 7 0 -7 }}',
  '{{ printf "%s" (semver "1.2.3") }}',
  '{{ printf "%v %s" (toDate "2006-01-02" "2024-02-29") (toDate "2006-01-02" "2024-02-29") }}',
  "{{ printf .name }}",
  "{{ printf 1 }}",
  '{{ printf "%v" (list) }} {{ printf "%v" (dict) }}',
  '{{ printf "%6.2v|%-8q|" 3.14159 "x" }}',
  '{{ printf "%x %X %x" 3.5 -1 "" }}',
]);

// --- pipelines and parse/exec errors -------------------------------------------------------------------------------
add("pipelines", [
  '{{ .name | upper | printf "%s!" }}',
  '{{ "x" | printf "%s-%s" "y" }}',
  "{{ .name | len }}",
  "{{ .name | .user }}",
  "{{ 1 | 2 }}",
  "{{ .name | nil }}",
  "{{ (print 1) (print 2) }}",
  "{{ (.name) }}",
  "{{ .name | not }}",
  "{{ list 1 2 | len }}",
  "{{ nosuchfunc 1 }}",
  "{{ .name | nosuchfunc }}",
  "{{ upper }}",
  "{{ upper 1 }}",
  "{{ upper .name .user }}",
  '{{ repeat "a" 3 }}',
  '{{ repeat 3.5 "a" }}',
  '{{ repeat 99999999999999999999 "a" }}',
  '{{ repeat (len .name) "ab" }}',
  '{{ repeat (add 1 1) "ab" }}',
  "{{ 9223372036854775807 }} {{ -9223372036854775808 }}",
  "{{ 18446744073709551615 }}",
  "{{ 1+2i }}",
  "{{ nil }}",
  "{{ }}",
  "{{ . | }}",
  "{{ ( }}",
  "{{ ) }}",
  "{{ .name",
  '{{ "unterminated }}',
  "{{ `unterminated }}",
  "{{ 'ab' }}",
  "{{ 3x }}",
  "{{ .a-b }}",
  "{{ @ }}",
  "{{ .name }\n}",
  "{{/* unclosed comment }}",
  "{{ /* late comment */ }}",
  "a\nb\n{{ if .x }}\n{{ .name ",
  "{{ $x := }}",
  "{{ $x = 1 }}",
  "{{ 1 := 2 }}",
  "{{ .name.(x) }}",
  "{{ true.x }}",
  '{{ "s".x }}',
  "{{ . .name }}",
  "{{ 1 2 }}",
  '{{ "a" | "b" }}',
  "{{ if 1 }}{{ end }}{{ end }}",
  "{{ range }}{{ end }}",
  "{{ with }}{{ end }}",
  "{{ template 1 }}",
  '{{ block "x" }}',
  "x{{- -}}y",
  "{{- 3 }} {{- -3 }}",
  "{{3 -}} {{ -3}}",
]);

// --- Sprig: strings ------------------------------------------------------------------------------------------------
add("sprig-strings", [
  '{{ trim .spaces }}|{{ trim "\\t x \\n" }}',
  '{{ upper .unicode }} {{ lower "ÀÉÎ ABC" }} {{ upper "ß" }}',
  '{{ title "hello wORLD foo_bar a-b" }} {{ untitle "Hello World" }}',
  "{{ substr 1 3 .name }} {{ substr -1 2 .name }} {{ substr 2 -1 .name }} {{ substr 2 100 .name }}",
  "{{ substr 4 2 .name }}",
  "{{ substr -1 9 .name }}",
  "{{ substr 9 -1 .name }}",
  "{{ trunc 3 .name }} {{ trunc -2 .name }} {{ trunc 10 .name }} {{ trunc 0 .name }} {{ trunc -10 .name }}",
  '{{ abbrev 5 "hello world" }} {{ abbrev 3 "hello" }} {{ abbrevboth 5 10 "1234 5678 9123 4567" }}',
  '{{ repeat 3 "ab" }}|{{ repeat 0 "x" }}',
  '{{ repeat -1 "x" }}',
  '{{ trimAll "$" "$$5.00$" }} {{ trimall "ab" "abcba" }} {{ trimSuffix "-" "a-" }} {{ trimPrefix "-" "-a" }}',
  '{{ nospace " a b\\tc " }} {{ nospace .unicode }}',
  '{{ initials "First Second third" }} {{ initials .unicode }}',
  '{{ swapcase "Hello World ß" }}',
  '{{ snakecase "HelloWorld" }} {{ snakecase "getHTTPResponse" }} {{ snakecase "some-kebab Case" }} {{ snakecase "v2Beta1Name" }}',
  '{{ camelcase "hello_world" }} {{ camelcase "http_server-name" }} {{ camelcase "_leading" }} {{ camelcase "ABC_def" }}',
  '{{ kebabcase "HelloWorld" }} {{ kebabcase "snake_case_here" }} {{ kebabcase "XMLHttpRequest2" }}',
  '{{ wrap 10 "this is a long line of text to wrap" }}',
  '{{ wrapWith 5 "\\t" "Hello World" }} {{ wrap 3 "abcdefgh ij" }}',
  '{{ contains "orl" .name }} {{ hasPrefix "wo" .name }} {{ hasSuffix "ld" .name }} {{ contains "x" .name }}',
  '{{ quote .name 1 nil "a\\"b" }} {{ squote .name 1 nil }} {{ quote }}',
  '{{ cat "a" 1 nil (list 1) "b" }}',
  "{{ indent 4 .multi }}|{{ nindent 2 .multi }}",
  '{{ replace "o" "0" .name }} {{ replace "" "-" "abc" }}',
  '{{ plural "one" "many" 1 }} {{ plural "one" "many" 2 }}',
  '{{ toString 1 }} {{ toString 1.5 }} {{ toString nil }} {{ toString (list 1 "a") }} {{ toString true }}',
  '{{ split "," .csv }} {{ (split "," .csv)._1 }}',
  '{{ splitList "," .csv }} {{ splitList "" "abc" }} {{ splitList "," "" | len }}',
  '{{ splitn "," 2 .csv }} {{ splitn "," 0 .csv }}',
  '{{ toStrings (list 1 "a" nil 2.5) }} {{ toStrings "x" }} {{ toStrings nil }}',
  '{{ join "-" (list 1 "a" nil) }} {{ join "," "single" }} {{ join "," (splitList "," .csv) }}',
  '{{ sortAlpha (list "b" "C" "a" 10 2) }} {{ sortAlpha "x" }}',
  "{{ hello }}",
  '{{ base "/a/b/c.txt" }} {{ dir "/a/b/c.txt" }} {{ clean "/a/../b//c/." }} {{ ext "x.tar.gz" }} {{ isAbs "/x" }} {{ isAbs "x" }}',
  '{{ osBase "a/b/" }} {{ osDir "file" }} {{ osClean "" }} {{ osExt "noext" }} {{ osIsAbs "/" }} {{ base "" }} {{ dir "/" }}',
  '{{ clean "../../x" }} {{ clean "a/../.." }} {{ dir "a/b/" }}',
  '{{ b64enc .name }} {{ b64dec .b64 }} {{ b64dec "not base64!" }} {{ b64dec "aGk" }}',
  '{{ b32enc .name }} {{ b32dec (b32enc .unicode) }} {{ b32dec "MZXW6===" }} {{ b32dec "bad!" }}',
  "{{ b64enc .unicode | b64dec }}",
  "{{ .b64 | b64dec | upper }}",
  "{{ trim }}",
  "{{ upper 5 }}",
]);
// removed by ESO: leak the environment or reach the network
add("eso-removed", ['{{ env "HOME" }}', '{{ expandenv "$HOME" }}', '{{ getHostByName "localhost" }}']);

// --- Sprig: math -----------------------------------------------------------------------------------------------------
add("sprig-math", [
  '{{ add 1 2 3 }} {{ add }} {{ add "4" 1.9 }} {{ add1 5 }} {{ sub 5 7 }} {{ mul 2 3 4 }} {{ div 7 2 }} {{ mod -7 3 }}',
  "{{ div 1 0 }}",
  "{{ mod 1 0 }}",
  "{{ add 9223372036854775807 1 }}",
  '{{ max 1 5 3 }} {{ min 4 -2 8 }} {{ biggest "7" 3 }} {{ maxf 1.5 2 }} {{ minf 3 1.25 }}',
  "{{ addf 1.1 2.2 }} {{ add1f 0.1 }} {{ subf 3 1.1 }} {{ mulf 1.1 3 }} {{ divf 10 3 }} {{ divf 1 8 }}",
  "{{ divf 1 0 }}",
  "{{ ceil 1.2 }} {{ floor -1.2 }} {{ round 3.14159 2 }} {{ round 2.5 0 }} {{ round 1.005 2 }} {{ round -1.5 0 }} {{ round 1.234 1 0.3 }}",
  '{{ atoi "42" }} {{ atoi "x" }} {{ atoi "-3" }} {{ atoi " 1" }}',
  '{{ int "12" }} {{ int 3.9 }} {{ int "0x1F" }} {{ int "5.0" }} {{ int true }} {{ int nil }} {{ int "bad" }}',
  '{{ int64 "-9" }} {{ float64 "1.5" }} {{ float64 2 }} {{ float64 "x" }} {{ int64 1e3 }}',
  '{{ toDecimal "0777" }} {{ toDecimal 777 }} {{ toDecimal "9" }}',
  "{{ seq 5 }}|{{ seq 2 5 }}|{{ seq 5 2 }}|{{ seq 0 2 10 }}|{{ seq 10 -3 1 }}|{{ seq }}|{{ seq -2 }}",
  "{{ until 5 }} {{ until -3 }} {{ untilStep 0 10 3 }} {{ untilStep 10 0 -4 }} {{ untilStep 0 10 -1 }}",
  '{{ typeOf (add 1 1) }} {{ typeOf (addf 1 1) }} {{ typeOf (int "1") }} {{ typeOf (atoi "1") }} {{ typeOf 1 }} {{ typeOf 1.0 }}',
  "{{ add .num 1 }} {{ mul .float 2 }} {{ addf .float 1 }}",
  "{{ randInt 1 1 }}",
]);

// --- Sprig: lists --------------------------------------------------------------------------------------------------
add("sprig-lists", [
  '{{ list 1 "two" 3.0 nil (list) }}',
  "{{ tuple 1 2 }}",
  '{{ append (list 1 2) 3 }} {{ push (list) "x" }} {{ prepend (list 2) 1 }}',
  '{{ append "notalist" 1 }}',
  "{{ mustAppend 1 1 }}",
  "{{ first (list 1 2 3) }} {{ last (list 1 2 3) }} {{ first (list) }} {{ rest (list 1 2 3) }} {{ initial (list 1 2 3) }}",
  "{{ rest (list) }}|{{ initial (list) | toJson }}|{{ first list }}",
  "{{ first .name }}",
  "{{ first nil }}",
  '{{ reverse (list 1 2 3) }} {{ uniq (list 1 2 1 "a" "a" 2) }} {{ without (list 1 2 3 2) 2 }} {{ compact (list 0 1 "" nil "a" false) }}',
  '{{ has 2 (list 1 2 3) }} {{ has "2" (list 1 2) }} {{ has 1 nil }} {{ mustHas 1 (list 1) }}',
  '{{ has 1 "str" }}',
  '{{ slice (list 1 2 3 4) 1 3 }} {{ slice (list "a" "b") 1 }} {{ slice (list) }}',
  "{{ slice (list 1 2) 3 }}",
  '{{ slice (splitList "," .csv) 1 3 | typeOf }}',
  "{{ concat (list 1 2) (list 3) (list) }} {{ concat }}",
  "{{ concat (list 1) 2 }}",
  "{{ chunk 2 (list 1 2 3 4 5) }} {{ chunk 3 (list 1 2 3) }} {{ chunk 2 (list) }}",
  "{{ chunk 0 (list 1) }}",
  '{{ sortAlpha (list "banana" "apple") | first }}',
  "{{ list 1 2 | toJson }} {{ list | toJson }}",
  '{{ typeOf (list) }} {{ typeOf (splitList "," "a") }} {{ typeOf (until 2) }} {{ kindOf (list) }}',
  "{{ until 3 | toJson }} {{ reverse (until 3) }}",
  '{{ dig "a" "b" "def" (dict "a" (dict "b" "found")) }} {{ dig "a" "x" "def" (dict "a" (dict)) }}',
  '{{ dig "a" "def" (fromJson .json) }} {{ dig "b" "c" "def" (fromJson .json) }}',
  '{{ dig "a" "def" }}',
  '{{ dig "a" "b" "def" (dict "a" "notamap") }}',
  '{{ dig 1 "def" (dict) }}',
]);

add("sprig-must", [
  "{{ mustPush (list 1) 2 }} {{ mustPrepend (list 1) 0 }} {{ mustFirst (list 3 4) }} {{ mustLast (list 3 4) }}",
  "{{ mustRest (list 1 2 3) }} {{ mustInitial (list 1 2 3) }} {{ mustReverse (list 1 2) }} {{ mustUniq (list 1 1 2) }}",
  '{{ mustWithout (list 1 2 3) 2 }} {{ mustSlice (list 1 2 3) 1 }} {{ mustCompact (list "" 1) }} {{ mustChunk 2 (list 1 2 3) }}',
  '{{ mustPush "x" 1 }}',
  "{{ mustFirst 5 }}",
  "{{ mustReverse (dict) }}",
  '{{ mustSlice "str" 1 }}',
  "{{ mustChunk 1 nil }}",
  '{{ pemTruststoreToPKCS12Pass "not pem" "x" }}',
]);

// --- Sprig: dicts --------------------------------------------------------------------------------------------------
add("sprig-dicts", [
  '{{ dict "a" 1 "b" "two" }} {{ dict "odd" }} {{ dict 1 2 }} {{ dict }}',
  '{{ get (dict "a" 1) "a" }} {{ get (dict "a" 1) "z" }}|',
  '{{ $d := dict "a" 1 }}{{ $_ := set $d "b" 2 }}{{ $d }} {{ unset $d "a" }}',
  '{{ hasKey (dict "a" nil) "a" }} {{ hasKey (dict) "a" }}',
  '{{ hasKey . "name" }}',
  "{{ keys . }}",
  '{{ keys (dict "b" 1 "a" 2) (dict "c" 3) | sortAlpha }}',
  '{{ pluck "a" (dict "a" 1) (dict "b" 2) (dict "a" 3) }}',
  '{{ pick (dict "a" 1 "b" 2 "c" 3) "a" "c" "z" }} {{ omit (dict "a" 1 "b" 2) "a" }}',
  '{{ values (dict "a" 1) }} {{ values (dict "a" 1 "b" 1) | len }}',
  '{{ merge (dict "a" 1 "b" (dict "x" 1)) (dict "a" 2 "b" (dict "y" 2) "c" 3) }}',
  '{{ mergeOverwrite (dict "a" 1 "b" (dict "x" 1)) (dict "a" 2 "b" (dict "x" 9 "y" 2)) }}',
  '{{ merge (dict "a" "" "l" (list)) (dict "a" "filled" "l" (list 1)) }}',
  '{{ mergeOverwrite (dict "a" "keep") (dict "a" "" "n" nil) }}',
  '{{ merge (dict "l" (list 1)) (dict "l" (list 2 3)) }} {{ mergeOverwrite (dict "l" (list 1)) (dict "l" (list 2 3)) }}',
  '{{ mustMerge (dict) (dict "a" 1) }} {{ mustMergeOverwrite (dict "a" 1) (dict "a" 2) }}',
  "{{ merge . (dict) }}",
  '{{ deepCopy (dict "a" (list 1 2)) }} {{ mustDeepCopy (list 1) }}',
  '{{ dict "b" 2 "a" 1 | toJson }} {{ dict "k" (dict "n" nil) | toJson }}',
  '{{ ternary "yes" "no" true }} {{ ternary "yes" "no" false }}',
  '{{ ternary 1 2 "notbool" }}',
]);

// --- Sprig: defaults, reflection, JSON -----------------------------------------------------------------------------
add("sprig-defaults", [
  '{{ default "def" .empty }} {{ default "def" .name }} {{ default 5 0 }} {{ default "d" nil }} {{ default "d" (list) }} {{ default "d" }}',
  '{{ .empty | default "fallback" }}',
  '{{ empty .empty }} {{ empty 0 }} {{ empty (list) }} {{ empty (dict "a" 1) }} {{ empty false }} {{ empty nil }} {{ empty (genCA "x" 1) }}',
  '{{ coalesce .empty 0 nil "first" "second" }} {{ coalesce }} {{ coalesce 0 "" }}',
  '{{ all 1 "a" true }} {{ all 1 "" }} {{ all }} {{ any 0 "" nil }} {{ any 0 1 }} {{ any }}',
  "{{ fromJson .json }}",
  "{{ fromJson .jsonarr }}",
  '{{ fromJson "not json" }}',
  '{{ fromJson "" }}',
  '{{ fromJson "123" }} {{ fromJson "\\"s\\"" }} {{ fromJson "null" }} {{ fromJson "1e400" }}',
  "{{ mustFromJson .json | toJson }}",
  '{{ mustFromJson "{bad" }}',
  '{{ mustFromJson "" }}',
  "{{ toJson .json }}",
  '{{ toJson .html }} {{ toRawJson .html }} {{ toJson "\\u2028 \\x01 \\b\\f" }}',
  "{{ fromJson .json | toJson }}",
  "{{ fromJson .json | toPrettyJson }}",
  "{{ fromJson .json | toRawJson }}",
  "{{ toJson (list 1.5 1e21 1e-7 100 0.1 -0.0) }}",
  '{{ toJson (dict "<k>" "&v") }} {{ toRawJson (dict "<k>" "&v") }}',
  '{{ toPrettyJson (dict) }} {{ toPrettyJson (list) }} {{ toPrettyJson (dict "a" (list)) }}',
  '{{ mustToJson (dict "a" 1) }} {{ mustToPrettyJson (list 1) }} {{ mustToRawJson "<" }}',
  '{{ toJson (semver "1.2.3") }} {{ toJson (genCA "x" 1 | typeOf) }}',
  '{{ toJson (toDate "2006-01-02" "2020-01-02") }}',
  '{{ typeOf .name }} {{ typeOf 1 }} {{ typeOf nil }} {{ typeOf (dict) }} {{ typeOf . }} {{ typeOf (semver "1.0.0") }} {{ typeOf (now) }} {{ typeOf (genCA "x" 1) }}',
  '{{ kindOf .name }} {{ kindOf 1 }} {{ kindOf nil }} {{ kindOf (dict) }} {{ kindOf (semver "1.0.0") }} {{ kindOf (now) }} {{ kindOf true }}',
  '{{ typeIs "string" .name }} {{ typeIs "int" .name }} {{ typeIsLike "semver.Version" (semver "1.0.0") }} {{ kindIs "map" . }}',
  '{{ deepEqual (list 1 2) (list 1 2) }} {{ deepEqual (dict "a" 1) (dict "a" 2) }} {{ deepEqual 1 1.0 }} {{ deepEqual nil nil }} {{ deepEqual (list) (rest (list)) }}',
  '{{ fail "custom failure" }}',
  "{{ fail .name }}",
]);

// --- Sprig: regex --------------------------------------------------------------------------------------------------
add("sprig-regex", [
  '{{ regexMatch "^[a-z]+$" .name }} {{ regexMatch "[0-9]" .name }} {{ regexMatch "(" "x" }}',
  '{{ mustRegexMatch "(" "x" }}',
  '{{ regexFind "[a-z]+" "123abc456def" }} {{ regexFind "x" "abc" }}|',
  '{{ regexFindAll "[a-z]" "a1b2c3" -1 }} {{ regexFindAll "[a-z]" "a1b2c3" 2 }} {{ regexFindAll "x" "abc" -1 }} {{ regexFindAll "a*" "baaab" -1 }}',
  '{{ regexFindAll "" "abc" -1 }} {{ regexFindAll "a|" "xax" -1 | toJson }}',
  '{{ regexReplaceAll "a(x*)b" "-ab-axxb-" "${1}W" }} {{ regexReplaceAll "a(x*)b" "-ab-axxb-" "$1W" }} {{ regexReplaceAll "(?P<first>\\\\w+) (?P<last>\\\\w+)" "John Smith" "$last, $first" }}',
  '{{ regexReplaceAll "x*" "abc" "-" }} {{ regexReplaceAll "a" "aaa" "$$" }} {{ regexReplaceAll "(a)" "aa" "${2}|$1x|${1}x" }}',
  '{{ regexReplaceAllLiteral "a(x*)b" "-ab-axxb-" "${1}" }}',
  '{{ regexSplit "," .csv -1 }} {{ regexSplit "," .csv 2 }} {{ regexSplit "x*" "abc" -1 }} {{ regexSplit "," "" -1 | len }} {{ regexSplit "," .csv 0 | toJson }}',
  '{{ regexQuoteMeta "a.b*c[d]$" }}',
  '{{ regexMatch "(?i)WORLD" .name }} {{ regexFind "(?s)a.b" "a\\nb" }} {{ regexFind "a.b" "a\\nb" }}| {{ regexFindAll "(?m)^\\\\w+$" .multi -1 }}',
  '{{ regexFindAll "\\\\d+" "a12b345" -1 }} {{ regexFindAll "\\\\s" "a b\\tc" -1 | len }} {{ regexFindAll "\\\\bw\\\\w*" "word wide" -1 }}',
  '{{ regexFindAll "[[:alpha:]]+" "ab12cd" -1 }} {{ regexFindAll "[^[:digit:]]" "a1b" -1 }} {{ regexFind "\\\\pL+" .unicode }} {{ regexFind "\\\\p{Greek}+" "abc αβγ" }}',
  '{{ regexFind "\\\\Qa.b\\\\E" "xa.by" }} {{ regexFind "\\\\x41\\\\x{42}" "zABz" }} {{ regexMatch "\\\\Aabc\\\\z" "abc" }} {{ regexFind "(?U)a+" "aaa" }} {{ regexFind "a+?" "aaa" }}',
  '{{ regexFind "a{2,3}" "aaaa" }} {{ regexFind "a{2}" "aaa" }} {{ regexFind "x{,2}" "x{,2}" }} {{ regexFind "[a-c-]+" "a-b-d" }}',
  '{{ regexMatch "a{1001}" "a" }} {{ regexMatch "(?=x)" "x" }} {{ regexMatch "\\\\1" "x" }} {{ regexMatch "a**" "a" }} {{ regexMatch "[z-a]" "a" }}',
  '{{ regexFind "(a)|(b)" "b" }} {{ regexReplaceAll "(a)|(b)" "ab" "[$1$2]" }} {{ regexReplaceAll "é" .unicode "E" }}',
  '{{ regexFindAll "." .unicode -1 | len }} {{ regexReplaceAll "" "日本" "-" }} {{ regexSplit "" "日本" -1 }}',
  '{{ regexFind "[\\\\d\\\\s]+" "ab 12 c" }} {{ regexFind "[^\\\\w]+" "ab!?c" }} {{ regexReplaceAll "(?i)HELLO" "hello Hello" "x" }}',
  '{{ regexFind "." "\\r" | len }} {{ regexMatch "^$" "" }} {{ regexFindAll "$" "a\\nb" -1 | len }} {{ regexFindAll "(?m)$" "a\\nb" -1 | len }}',
  '{{ regexFindAll "(" "x" -1 }}',
  '{{ regexFind "[" "x" }}',
  '{{ regexReplaceAll "(" "x" "y" }}',
  '{{ regexSplit "(" "x" -1 }}',
  '{{ mustRegexFindAll "[a" "x" -1 }}',
  '{{ mustRegexFind "a)" "x" }}',
  '{{ mustRegexReplaceAll "*" "x" "y" }} ',
  '{{ mustRegexReplaceAllLiteral "a" "aba" "$1" }} {{ mustRegexSplit "b" "aba" -1 }}',
  // RE2 is linear: a pattern that backtracks exponentially in JavaScript answers at once
  '{{ regexMatch "^(a|a)*$" (printf "%sb" (repeat 40 "a")) }} {{ regexMatch "^(a+)+$" (repeat 40 "a") }}',
  '{{ regexReplaceAll "(?<word>[a-z]+)" "ab cd" "<${word}>" }} {{ regexMatch "(?<=a)b" "ab" }} {{ mustRegexMatch "(?!a)" "b" }}',
]);

// --- Sprig: semver, url, uuid, misc ---------------------------------------------------------------------------------
add("sprig-semver", [
  '{{ semverCompare ">=1.2.3" "1.3.0" }} {{ semverCompare "<1.0" "1.0.0" }} {{ semverCompare "~1.2" "1.2.9" }} {{ semverCompare "^1.2" "1.9.0" }} {{ semverCompare "^0.2.3" "0.2.9" }} {{ semverCompare "^0.2.3" "0.3.0" }}',
  '{{ semverCompare "1.x" "1.5.0" }} {{ semverCompare "*" "5.0.0" }} {{ semverCompare ">1.2 <2" "1.5.0" }} {{ semverCompare "1.2 - 1.4" "1.3.0" }} {{ semverCompare ">=1, <2 || >3" "4.0.0" }} {{ semverCompare "!=1.2.3" "1.2.3" }}',
  '{{ semverCompare ">=1.0.0" "1.1.0-beta" }} {{ semverCompare ">=1.0.0-0" "1.1.0-beta" }} {{ semverCompare "=1.2.3" "v1.2.3" }} {{ semverCompare "~1.2.3" "1.3.0" }} {{ semverCompare "<=1.2" "1.2.9" }} {{ semverCompare ">1.2" "1.2.5" }}',
  '{{ semverCompare "bad constraint!!" "1.0.0" }}',
  '{{ semverCompare ">1" "not-a-version" }}',
  '{{ semver .semver }} {{ (semver .semver).Major }} {{ (semver .semver).Metadata }} {{ (semver "v1.2").Original }} {{ semver "1" }}',
  '{{ semver "01.2.3" }} {{ semver "1.2.3-01" }}',
  '{{ semver "x.y" }}',
  '{{ (semver "1.2.3").Major | typeOf }} {{ eq (semver "1.2.3").Major 1 }}',
]);
add("sprig-url", [
  "{{ urlParse .url }}",
  "{{ (urlParse .url).host }} {{ (urlParse .url).hostname }} {{ (urlParse .url).userinfo }} {{ (urlParse .url).path }} {{ (urlParse .url).query }}",
  '{{ urlParse "mailto:a@b.c" }} {{ urlParse "/relative/path?x" }} {{ urlParse "http://[::1]:80/" }}',
  '{{ urlParse "http://host:badport/" }}',
  '{{ urlParse ":nope" }}',
  '{{ urlJoin (dict "scheme" "https" "host" "example.com" "path" "/a b" "query" "x=1" "fragment" "f g") }}',
  '{{ urlJoin (dict "scheme" "http" "host" "h" "userinfo" "u:p@ss") }} {{ urlJoin (dict "path" "a:b") }} {{ urlJoin (dict "opaque" "x:y" "scheme" "s") }}',
  "{{ urlJoin (urlParse .url) }}",
  '{{ urlJoin (dict "host" 5) }}',
]);
add("sprig-misc", [
  "{{ adler32sum .name }} {{ sha1sum .name }} {{ sha256sum .name }} {{ sha512sum .empty }}",
  "{{ sha256sum .unicode }} {{ adler32sum .unicode }}",
  '{{ derivePassword 1 "long" "password" "user" "example.com" }} {{ derivePassword 2 "pin" "pw" "u" "s" }} {{ derivePassword 1 "nope" "p" "u" "s" }}',
  '{{ derivePassword 1 "maximum" .password .user "site" }} {{ derivePassword 3 "basic" "x" "y" "z" }}',
  '{{ derivePassword -1 "long" "p" "u" "s" }}',
  '{{ encryptAES "key" "" }}|{{ decryptAES "key" "" }}|',
  '{{ encryptAES "secretkey" .password | decryptAES "secretkey" }}',
  '{{ decryptAES "k" "!!" }}',
  '{{ decryptAES "k" "YWJj" }}',
  '{{ htpasswd "bad:user" "x" }}',
  '{{ genPrivateKey "nope" }}',
  '{{ buildCustomCert "bad" "bad" }}',
  '{{ genSignedCert "x" nil nil 1 (genCA "ca" 1) | typeOf }}',
  '{{ genSelfSignedCert "x" (list "not-an-ip") nil 1 }}',
  '{{ genSelfSignedCert "x" (list 1) nil 1 }}',
  '{{ duration "95" }} {{ duration 95 }} {{ duration (int64 3600) }} {{ duration "bad" }}',
  '{{ durationRound "2h10m5s" }} {{ durationRound "-40h" }} {{ durationRound "400d" }} {{ durationRound (int64 3000000000) }} {{ durationRound 5 }} {{ durationRound "8760h1s" }}',
  '{{ toDate "2006-01-02" "2024-03-05" }} {{ toDate "2006-01-02 15:04" "2024-03-05 13:07" | date "Jan 2, 2006 3:04 PM" }}',
  '{{ toDate "2006-01-02" "bad" }}',
  '{{ mustToDate "2006-01-02" "2024-13-01" }}',
  '{{ mustToDate "2006-01-02" .name }}',
  '{{ toDate "2006-01-02T15:04:05Z07:00" "2024-03-05T10:11:12+02:00" }} {{ toDate time.RFC3339 "x" }}',
  '{{ $t := toDate "2006-01-02T15:04:05.000Z" "2021-06-07T08:09:10.123Z" }}{{ $t | date "2006-01-02T15:04:05.999999999Z07:00 Mon Monday Jan January 1 01 _2 2 002 __2 15 3 03 PM pm 4 04 5 05 .000 ,999 MST -0700 -07:00 Z07:00 06" }}',
  '{{ toDate "2006-01-02" "2024-02-29" | unixEpoch }} {{ toDate "2006-01-02" "1969-12-31" | unixEpoch }} {{ (toDate "2006-01-02" "2024-02-29").Unix }} {{ (toDate "2006-01-02" "2024-02-29").Year }}',
  '{{ date "2006-01-02" (int64 86400) }} {{ date "15:04" 3600 }} {{ htmlDate (int64 0) }} {{ htmlDateInZone 0 "UTC" }} {{ dateInZone "2006-01-02 15:04 MST" (int64 1700000000) "UTC" }}',
  '{{ dateInZone "2006-01-02 15:04 -07:00" (int64 1700000000) "America/New_York" }} {{ dateInZone "15:04 -0700" (int64 1700000000) "Asia/Kolkata" }} {{ dateInZone "15:04" (int64 0) "Not/AZone" }}',
  '{{ date_in_zone "2006" (int64 0) "UTC" }} {{ dateModify "1h30m" (toDate "2006-01-02" "2024-01-01") }} {{ date_modify "bad" (toDate "2006-01-02" "2024-01-01") }} {{ dateModify "-24h" (toDate "2006-01-02" "2024-03-01") | htmlDate }}',
  '{{ mustDateModify "bad" (toDate "2006-01-02" "2024-01-01") }}',
  '{{ must_date_modify "1.5h" (toDate "2006-01-02" "2024-01-01") }}',
  '{{ dateModify "1h" "notatime" }}',
  '{{ unixEpoch (toDate "2006-01-02" "2000-01-01") }} {{ (toDate "2006-01-02" "2000-01-01").Format "Mon Jan 2" }} {{ (toDate "2006-01-02" "2000-01-01").UTC }}',
  '{{ toDate "02/01/2006" "31/12/1999" }} {{ toDate "Jan 2 2006" "Feb 29 2023" }}',
]);
add("sprig-nondet", [
  "{{ randAlphaNum 16 | len }} {{ randAlpha 8 | len }} {{ randNumeric 6 | len }} {{ randAscii 5 | len }} {{ randAlphaNum 0 }}|",
  "{{ randBytes 12 | b64dec | len }}",
  "{{ uuidv4 | len }}",
  "{{ randInt 5 6 }}",
  '{{ shuffle "aaaa" }}',
  '{{ now | typeOf }} {{ now | date "2006" | len }} {{ ago (now) }} {{ durationRound (now) }}',
  '{{ genPrivateKey "rsa" | len | lt 3000 }} {{ genPrivateKey "ecdsa" | len | lt 200 }} {{ genPrivateKey "ed25519" | len }}',
  '{{ bcrypt "x" | len }} {{ htpasswd "user" "pw" | len }} {{ bcrypt "x" | substr 0 7 }}',
]);
// property checks on random output
const re = (r: RegExp) => (o: Outcome): string | null =>
  o.ok ? (r.test(o.out) ? null : `output ${JSON.stringify(o.out)} does not match ${r}`) : `error: ${o.message}`;
cases.push({ group: "sprig-nondet", tpl: "{{ randAlphaNum 24 }}", check: re(/^[A-Za-z0-9]{24}$/) });
cases.push({ group: "sprig-nondet", tpl: "{{ randAlpha 24 }}", check: re(/^[A-Za-z]{24}$/) });
cases.push({ group: "sprig-nondet", tpl: "{{ randNumeric 24 }}", check: re(/^[0-9]{24}$/) });
cases.push({ group: "sprig-nondet", tpl: "{{ randAscii 24 }}", check: re(/^[\x20-\x7e]{24}$/) });
cases.push({
  group: "sprig-nondet",
  tpl: "{{ uuidv4 }}",
  check: re(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
});
cases.push({ group: "sprig-nondet", tpl: "{{ randInt 10 20 }}", check: re(/^1[0-9]$/) });
cases.push({
  group: "sprig-nondet",
  tpl: '{{ shuffle "abcdef" | splitList "" | sortAlpha | join "" }}',
  check: re(/^abcdef$/),
});
cases.push({
  group: "sprig-nondet",
  tpl: "{{ now }}",
  check: re(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \+0000 UTC m=\+\d+\.\d{9}$/),
});
cases.push({
  group: "sprig-nondet",
  tpl: '{{ now | date "2006-01-02T15:04:05Z07:00" }}',
  check: re(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
});
cases.push({ group: "sprig-nondet", tpl: "{{ now | unixEpoch }}", check: re(/^1[7-9]\d{8}$/) });
cases.push({ group: "sprig-nondet", tpl: '{{ ago (toDate "2006" "2000") }}', check: re(/^\d+h\d+m\d+s$/) });
cases.push({ group: "sprig-nondet", tpl: "{{ bcrypt .password }}", check: re(/^\$2a\$10\$[./A-Za-z0-9]{53}$/) });
cases.push({
  group: "sprig-nondet",
  tpl: '{{ htpasswd "user" .password }}',
  check: re(/^user:\$2a\$10\$[./A-Za-z0-9]{53}$/),
});
cases.push({
  group: "sprig-nondet",
  tpl: '{{ genPrivateKey "" }}',
  check: re(/^-----BEGIN RSA PRIVATE KEY-----\n[\s\S]+-----END RSA PRIVATE KEY-----\n$/),
});
cases.push({
  group: "sprig-nondet",
  tpl: '{{ genPrivateKey "ecdsa" }}',
  check: re(/^-----BEGIN EC PRIVATE KEY-----\n[\s\S]+\n-----END EC PRIVATE KEY-----\n$/),
});
cases.push({
  group: "sprig-nondet",
  tpl: '{{ genPrivateKey "ed25519" }}',
  check: re(/^-----BEGIN PRIVATE KEY-----\n[A-Za-z0-9+/=]{64}\n-----END PRIVATE KEY-----\n$/),
});
cases.push({
  group: "sprig-nondet",
  tpl: '{{ (genCA "my-ca" 365).Cert }}',
  check: re(/^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n$/),
});

// cross-verified generators: each engine's output is checked by the other engine
cases.push({
  group: "cross",
  tpl: '{{ encryptAES "k3y" .password }}',
  verify: { tpl: '{{ decryptAES "k3y" .out }}', expect: D.password! },
});
cases.push({
  group: "cross",
  tpl: '{{ encryptAES "a-very-long-key-that-is-longer-than-32-bytes!" .unicode }}',
  verify: { tpl: '{{ decryptAES "a-very-long-key-that-is-longer-than-32-bytes!" .out }}', expect: D.unicode! },
});
cases.push({
  group: "cross",
  tpl:
    '{{ $c := genSelfSignedCert "svc.local" (list "10.0.0.1" "::1") (list "svc.local" "alt.local") 30 }}{{ $c.Cert }}',
  verify: { tpl: "{{ certSANs .out }}", expect: "[svc.local alt.local 10.0.0.1 ::1]" },
});
cases.push({
  group: "cross",
  tpl: '{{ $ca := genCA "root" 30 }}{{ $c := genSignedCert "leaf" nil (list "leaf.local") 30 $ca }}{{ $c.Cert }}',
  verify: { tpl: "{{ certSANs .out }}", expect: "[leaf.local]" },
});
cases.push({
  group: "cross",
  tpl: '{{ (genCAWithKey "k" 10 .key).Key }}',
  data: { key: text("leaf.pkcs1.key") },
  verify: { tpl: "{{ .out }}", expect: text("leaf.pkcs1.key") },
});
cases.push({
  group: "cross",
  tpl: '{{ (genSelfSignedCertWithKey "k" nil nil 10 .key).Cert }}',
  data: { key: text("leaf.key") },
  verify: { tpl: "{{ certSANs .out }}", expect: "[]" },
});
cases.push({
  group: "cross",
  tpl: '{{ $ca := genCA "root" 30 }}{{ $ca.Cert }}',
  verify: {
    tpl: '{{ filterCertChain "root" .out | len | lt 100 }} {{ filterCertChain "leaf" .out }}|',
    expect: "true |",
  },
});
cases.push({
  group: "cross",
  tpl:
    '{{ $ca := buildCustomCert (b64enc .root) (b64enc .rootkey) }}{{ (genSignedCertWithKey "w" nil (list "w.local") 5 $ca .key).Cert }}',
  data: { root: text("root.crt"), rootkey: text("root.key"), key: text("leaf.key") },
  verify: {
    tpl: '{{ certSANs .out }} {{ print .out .root | filterCertChain "leaf" | len | lt 100 }}',
    expect: "[w.local] true",
  },
});
cases.push({
  group: "cross",
  tpl: "{{ (buildCustomCert (b64enc .crt) (b64enc .key)).Cert }}",
  data: { crt: text("leaf.crt"), key: text("leaf.key") },
  verify: { tpl: "{{ .out }}", expect: text("leaf.crt") },
});

// --- ESO functions -------------------------------------------------------------------------------------------------
const pki: Record<string, string | Uint8Array> = {
  root: text("root.crt"),
  inter: text("intermediate.crt"),
  leaf: text("leaf.crt"),
  leafkey: text("leaf.key"),
  leafpkcs1: text("leaf.pkcs1.key"),
  eccrt: text("ec.crt"),
  eckey: text("ec.key"),
  ecsec1: text("ec.sec1.key"),
  chain: text("chain.pem"),
  p12: fixture("leaf-nopass.p12"),
  p12pass: fixture("leaf-pass.p12"),
  p12ec: fixture("ec-pass.p12"),
  p12legacy: fixture("leaf-legacy.p12"),
  oaep256: fixture("oaep-sha256.bin"),
  oaep1: fixture("oaep-sha1.bin"),
};
add("eso-pkcs12", [
  "{{ .p12 | pkcs12key }}",
  "{{ .p12 | pkcs12cert }}",
  '{{ .p12pass | pkcs12keyPass "s3cret" }}',
  '{{ .p12pass | pkcs12certPass "s3cret" }}',
  '{{ .p12ec | pkcs12keyPass "ecpass" }}',
  '{{ .p12ec | pkcs12certPass "ecpass" }}',
  '{{ .p12legacy | pkcs12keyPass "legacy" }}',
  '{{ .p12legacy | pkcs12certPass "legacy" }}',
  '{{ .p12pass | pkcs12keyPass "wrong" }}',
  '{{ .p12pass | pkcs12certPass "wrong" }}',
  "{{ .leaf | pkcs12key }}",
  '{{ pkcs12cert "" }}',
  '{{ .p12 | pkcs12cert | filterCertChain "leaf" | certSANs }}',
], { data: pki, errClass: true });
add("eso-pem", [
  '{{ filterPEM "CERTIFICATE" .chain }}',
  '{{ filterPEM "certificate" (print .leafkey .leaf) }}',
  '{{ filterPEM "PRIVATE KEY" (print .leaf .leafkey) }}',
  '{{ filterPEM "RSA PRIVATE KEY" .leafpkcs1 }}',
  '{{ filterPEM "CERTIFICATE" (print "junk before" .leaf "junk after") }}',
  '{{ filterPEM "PRIVATE KEY" (print .leaf "junk\\n" .leafkey) }}',
  '{{ filterPEM "CERTIFICATE" "---junk---" }}',
  '{{ filterPEM "CERTIFICATE" "" }}|',
  '{{ filterPEM "EC PRIVATE KEY" .leaf }}|',
  '{{ filterCertChain "leaf" .chain }}',
  '{{ filterCertChain "intermediate" .chain }}',
  '{{ filterCertChain "root" .chain }}',
  '{{ filterCertChain "leaf" (print .root .leaf .inter) }}',
  '{{ filterCertChain "root" .leaf }}|',
  '{{ filterCertChain "leaf" .root }}|',
  '{{ filterCertChain "intermediate" .leaf }}|',
  '{{ filterCertChain "other" .chain }}|',
  '{{ filterCertChain "leaf" (print .leaf .eccrt) }}',
  '{{ filterCertChain "leaf" "" }}',
  '{{ filterCertChain "leaf" .leafkey }}',
  "{{ certSANs .leaf }}",
  '{{ certSANs .eccrt }} {{ certSANs .root }} {{ certSANs (print "junk" .leaf) | len }}',
  "{{ range certSANs .leaf }}{{ . }};{{ end }}",
  '{{ certSANs "not a pem" }}',
  "{{ certSANs .leafkey }}",
], { data: pki });
add("eso-convert", [
  "{{ pemToPkcs12 .leaf .leafpkcs1 | len | lt 1000 }}",
  '{{ pemToPkcs12 .leaf "nokey" }}',
  '{{ pemToPkcs12 "nocert" .leafkey }}',
  "{{ fullPemToPkcs12 .leaf .leafkey | len | lt 1000 }}",
  '{{ pemTruststoreToPKCS12 "garbage" }}',
  '{{ rsaDecrypt "RSA-OAEP" "SHA256" .oaep256 .leafkey }}',
  '{{ rsaDecrypt "RSA-OAEP" "SHA1" .oaep1 .leafpkcs1 }}',
  '{{ rsaDecrypt "RSA-OAEP" "SHA1" .oaep256 .leafkey }}',
  '{{ rsaDecrypt "None" "SHA1" "passthrough" "" }}',
  '{{ rsaDecrypt "RSA-PKCS1" "SHA1" "x" .leafkey }}',
  '{{ rsaDecrypt "RSA-OAEP" "SHA256" "x" "not a key" }}',
  '{{ rsaDecrypt "RSA-OAEP" "SHA256" "x" .eckey }}',
  '{{ rsaDecrypt "RSA-OAEP" "SHA256" .oaep256 .ecsec1 }}',
], { data: pki, errClass: true });
for (
  const [name, tpl, verify, expect] of [
    ["pemToPkcs12", "{{ pemToPkcs12 .leaf .leafkey }}", "{{ .out | b64dec | pkcs12cert }}", text("leaf.crt")],
    ["pemToPkcs12 key", "{{ pemToPkcs12 .leaf .leafpkcs1 }}", "{{ .out | b64dec | pkcs12key }}", null],
    [
      "pemToPkcs12Pass",
      '{{ pemToPkcs12Pass .leaf .leafkey "p@ss" }}',
      '{{ .out | b64dec | pkcs12certPass "p@ss" }}',
      text("leaf.crt"),
    ],
    [
      "fullPemToPkcs12",
      "{{ fullPemToPkcs12 (print .leaf .inter .root) .leafkey }}",
      "{{ .out | b64dec | pkcs12cert }}",
      text("chain.pem"),
    ],
    [
      "fullPemToPkcs12Pass",
      '{{ fullPemToPkcs12Pass (print .leaf .root .inter) .leafkey "x" }}',
      '{{ .out | b64dec | pkcs12certPass "x" }}',
      text("chain.pem"),
    ],
    ["EC key", '{{ pemToPkcs12Pass .eccrt .ecsec1 "e" }}', '{{ .out | b64dec | pkcs12keyPass "e" }}', null],
    [
      "unicode password",
      '{{ pemToPkcs12Pass .leaf .leafkey "pässwörd" }}',
      '{{ .out | b64dec | pkcs12keyPass "pässwörd" }}',
      null,
    ],
  ] as const
) {
  cases.push({
    group: "cross",
    tpl: tpl,
    data: pki,
    verify: { tpl: verify, ...(expect ? { expect } : {}) },
  });
  void name;
}

// YAML
const yamlData: Record<string, string> = {
  ...D,
  nested: "top:\n  list:\n    - 1\n    - two\n    - k: v\n  empty: {}\n  none: null\nother: 'quoted'\n",
};
add("eso-yaml", [
  "{{ fromYaml .yaml }}",
  "{{ (fromYaml .yaml).b }} {{ (fromYaml .yaml).c }} {{ (fromYaml .yaml).a | typeOf }}",
  "{{ fromYaml .nested | toJson }}",
  '{{ fromYaml "" }}',
  '{{ fromYaml "- a\\n- b" | len }}',
  "{{ toYaml (fromYaml .nested) }}",
  "{{ toYaml (fromJson .json) }}",
  '{{ toYaml (dict "a" 1 "b" "two" "c" (list 1 "x" (dict "k" "v")) "d" nil "e" true "f" 1.5) }}',
  '{{ toYaml (list "yes" "no" "on" "y" "null" "~" "" "1" "1.5" "0x1F" "1e3" "2024-01-02" "12:30" ".inf" "+1" "007") }}',
  '{{ toYaml (list "a: b" "#c" "- d" "e #f" "[g]" "{h}" "i,j" "k\'l" "m\\"n" "@o" "`p" "q:" "?r" "s?" "*t" "&u" "!v" "%w" "|x" ">y") }}',
  '{{ toYaml (list " lead" "trail " "tab\\tin" "multi\\nline" "multi\\nline\\n" "\\nleading" "x\\n\\n" "a  b" "ünïcödé" "\\u0001ctrl") }}',
  '{{ toYaml (dict "long" (repeat 30 "word ")) }}',
  '{{ toYaml (dict "k10" 1 "k2" 2 "K1" 3 "a" 4 "_b" 5 "1" 6 "10" 7 "9" 8) }}',
  "{{ toYaml .name }} {{ toYaml 5 }} {{ toYaml nil }} {{ toYaml (list) }} {{ toYaml (dict) }} {{ toYaml 1e20 }} {{ toYaml 0.1 }}",
  '{{ toYaml (dict "m" .multi "n" (dict "inner" .multi)) }}',
  '{{ toYaml (list (list 1 2) (list) (dict "a" (list 3))) }}',
  '{{ toYaml (semver "1.2.3") }} {{ toYaml (toDate "2006-01-02" "2020-01-02") }}',
  '{{ toYaml (dict "key with spaces" "v" "multi\\nkey" "w" "yes" "bool-like key") }}',
  "{{ .yaml | fromYaml | toYaml }}",
  '{{ fromYaml "k: |\\n  a\\n  b" | toJson }} {{ fromYaml "k: >\\n  a\\n  b" | toJson }} {{ fromYaml "k: |+\\n  a\\n" | toJson }}',
  "{{ fromYaml (toYaml .) | toJson }}",
], { data: yamlData });

// JWK: built from the fixture keys with node:crypto at load time (inputs only; the outputs are compared with Go)
import { createPrivateKey, createPublicKey, generateKeyPairSync } from "node:crypto";
const jwkOf = (pemText: string, pub: boolean): string => {
  const k = pub ? createPublicKey(pemText) : createPrivateKey(pemText);
  return JSON.stringify(k.export({ format: "jwk" }));
};
const ed = generateKeyPairSync("ed25519");
const p384 = generateKeyPairSync("ec", { namedCurve: "secp384r1" });
const jwks: Record<string, string> = {
  rsaPub: jwkOf(text("leaf.key"), true),
  rsaPriv: jwkOf(text("leaf.key"), false),
  ecPub: jwkOf(text("ec.key"), true),
  ecPriv: jwkOf(text("ec.key"), false),
  edPub: JSON.stringify(ed.publicKey.export({ format: "jwk" })),
  edPriv: JSON.stringify(ed.privateKey.export({ format: "jwk" })),
  p384Priv: JSON.stringify(p384.privateKey.export({ format: "jwk" })),
};
add("eso-jwk", [
  "{{ jwkPublicKeyPem .rsaPub }}",
  "{{ jwkPublicKeyPem .ecPub }}",
  "{{ jwkPublicKeyPem .edPub }}",
  "{{ jwkPrivateKeyPem .rsaPriv }}",
  "{{ jwkPrivateKeyPem .ecPriv }}",
  "{{ jwkPrivateKeyPem .edPriv }}",
  "{{ jwkPrivateKeyPem .p384Priv }}",
], { data: jwks });
add("eso-jwk", [
  "{{ jwkPublicKeyPem .rsaPriv }}",
  "{{ jwkPrivateKeyPem .rsaPub }}",
  '{{ jwkPublicKeyPem "not json" }}',
  '{{ jwkPublicKeyPem "{\\"kty\\":\\"oct\\",\\"k\\":\\"AAAA\\"}" }}',
], { data: jwks, errClass: true });

// --- ESO-style templates users write -------------------------------------------------------------------------------
add("eso-realistic", [
  '{"auths":{"{{ .registry }}":{"username":"{{ .user }}","password":"{{ .password }}","auth":"{{ printf "%s:%s" .user .password | b64enc }}"}}}',
  "{{ .dockerconfig | fromJson | toJson }}",
  "{{ $cfg := .dockerconfig | fromJson }}{{ range $host, $v := $cfg.auths }}{{ $host }}={{ $v.auth | b64dec }}{{ end }}",
  '{{ index . "dash-key" | upper }}',
  "postgres://{{ .user }}:{{ .password | urlquery }}@db:5432/app",
  "{{- range $k, $v := . }}\n{{ $k }}: {{ $v | quote }}\n{{- end }}",
  "{{ .b64 | b64dec | fromJson }}",
  "user={{ .user }}\npassword={{ .password }}\n",
  "{{ .yaml | fromYaml | toJson }}",
  '{{ .json | fromJson | dig "b" "def" | toJson }}',
  "{{ (.json | fromJson).a | int | add 1 }}",
  '{{ if hasKey (.json | fromJson) "e" }}has e{{ end }}',
  "{{ .password | sha256sum | trunc 16 }}",
  "{{ .user | b64enc }}:{{ .password | b64enc }}",
  '{{ printf "%s" .password | quote }}',
  "{{ .multi | indent 4 | trim }}",
  "{{ with .missing }}{{ . }}{{ end }}",
], { data: { ...D, registry: "registry.example.com" } });

// names: ESO names each template after its key, and errors carry the name
cases.push({ group: "names", tpl: "{{ .nope }}", tmplName: ".dockerconfigjson" });
cases.push({ group: "names", tpl: '{{ fail "x" }}', tmplName: "tls.crt" });
cases.push({ group: "names", tpl: '{{ template "n" }}', tmplName: "100%" });
cases.push({ group: "names", tpl: "a\nb\n  {{ .nope }}", tmplName: "multi/line" });
cases.push({ group: "names", tpl: "é日 {{ .nope }}", tmplName: "unicode-columns" });

// binary data survives
cases.push({ group: "binary", tpl: "{{ .bin }}", data: { bin: Uint8Array.from([0, 1, 0xff, 0xfe, 0x80, 0x41]) } });
cases.push({
  group: "binary",
  tpl: "{{ .bin | b64enc }} {{ len .bin }}",
  data: { bin: Uint8Array.from([0xff, 0x00, 0xc3]) },
});
cases.push({ group: "binary", tpl: "{{ .bin | sha256sum }}", data: { bin: Uint8Array.from([0x80, 0x81, 0x82]) } });
cases.push({
  group: "binary",
  tpl: '{{ printf "%x %q" .bin .bin }}',
  data: { bin: Uint8Array.from([0xff, 0x61, 0xc3]) },
});
cases.push({ group: "binary", tpl: "{{ toJson .bin }}", data: { bin: Uint8Array.from([0x61, 0xff, 0x62]) } });
cases.push({
  group: "binary",
  tpl:
    '{{ regexFindAll "." .bin -1 | len }} {{ regexReplaceAll "[a-z]" .bin "." | b64enc }} {{ regexSplit "b" .bin -1 | len }}',
  data: { bin: Uint8Array.from([0x61, 0xff, 0x62, 0xc3, 0xa9, 0x80, 0x63]) },
});
cases.push({ group: "binary", tpl: '{{ b64dec "/w==" | b64enc }} {{ b64dec "/w==" | len }}' });

export const CASES: Case[] = cases;
