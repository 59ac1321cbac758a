/**
 * `-o jsonpath=TEMPLATE` and `-o custom-columns=SPEC` as kubectl reads them (the subset people use): `{.a.b}`,
 * `{.items[*].metadata.name}`, `[0]`, `[-1]`, `['key.with.dots']`, `[?(@.type=="Ready")]` (`==`, `!=`, or a bare
 * path for "exists"), `..name` (recursive), `{range .items[*]}...{end}`, `{"\n"}` literals. Several results are
 * joined by a space; objects and arrays print as JSON.
 *
 * @module
 */
import { UsageError } from "./errors.ts";
import { formatTable } from "./output.ts";

type Step =
  | { kind: "field"; name: string }
  | { kind: "recursive"; name: string }
  | { kind: "index"; index: number }
  | { kind: "all" }
  | { kind: "filter"; path: Step[]; op?: "==" | "!="; value?: string | number | boolean };

/** Parses a path such as `.items[*].metadata.name` (a leading `$` or `@` is the root). */
export function parsePath(text: string): Step[] {
  const steps: Step[] = [];
  let i = 0;
  const t = text.trim();
  if (t[0] === "$" || t[0] === "@") i = 1;
  const ident = (): string => {
    const m = /^[^.[\]\s()=!]+/.exec(t.slice(i));
    if (!m) throw new UsageError(`jsonpath: a field name is expected at "${t.slice(i)}" in "${text}"`);
    i += m[0].length;
    return m[0];
  };
  while (i < t.length) {
    if (t.startsWith("..", i)) {
      i += 2;
      steps.push({ kind: "recursive", name: ident() });
    } else if (t[i] === ".") {
      i++;
      if (i < t.length && t[i] !== "[") steps.push({ kind: "field", name: ident() });
    } else if (t[i] === "[") {
      const close = matching(t, i);
      const inner = t.slice(i + 1, close).trim();
      i = close + 1;
      if (inner === "*") steps.push({ kind: "all" });
      else if (/^-?\d+$/.test(inner)) steps.push({ kind: "index", index: Number(inner) });
      else if (/^'.*'$|^".*"$/.test(inner)) steps.push({ kind: "field", name: inner.slice(1, -1) });
      else if (inner.startsWith("?(") && inner.endsWith(")")) steps.push(parseFilter(inner.slice(2, -1), text));
      else throw new UsageError(`jsonpath: unsupported subscript [${inner}] in "${text}"`);
    } else {
      steps.push({ kind: "field", name: ident() });
    }
  }
  return steps;
}

function matching(t: string, open: number): number {
  let depth = 0;
  let quote: string | undefined;
  for (let j = open; j < t.length; j++) {
    const c = t[j]!;
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "[") depth++;
    else if (c === "]" && --depth === 0) return j;
  }
  throw new UsageError(`jsonpath: unclosed [ in "${t}"`);
}

function parseFilter(expr: string, text: string): Step {
  const m = /^(@[^=!]*?)\s*(==|!=)\s*(.+)$/.exec(expr.trim());
  if (!m) {
    if (!expr.trim().startsWith("@")) throw new UsageError(`jsonpath: unsupported filter ?(${expr}) in "${text}"`);
    return { kind: "filter", path: parsePath(expr) };
  }
  const raw = m[3]!.trim();
  let value: string | number | boolean;
  if (/^'.*'$|^".*"$/.test(raw)) value = raw.slice(1, -1);
  else if (raw === "true" || raw === "false") value = raw === "true";
  else if (!Number.isNaN(Number(raw))) value = Number(raw);
  else throw new UsageError(`jsonpath: unsupported value ${raw} in "${text}"`);
  return { kind: "filter", path: parsePath(m[1]!), op: m[2] as "==" | "!=", value };
}

function children(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (v !== null && typeof v === "object") return Object.values(v);
  return [];
}

/** Evaluates a path against `root`: every match, in document order. */
export function evaluatePath(steps: readonly Step[], root: unknown): unknown[] {
  let current: unknown[] = [root];
  for (const step of steps) {
    const next: unknown[] = [];
    for (const v of current) {
      switch (step.kind) {
        case "field":
          if (v !== null && typeof v === "object" && !Array.isArray(v) && step.name in v) {
            next.push((v as Record<string, unknown>)[step.name]);
          }
          break;
        case "recursive": {
          const walk = (x: unknown): void => {
            if (x !== null && typeof x === "object" && !Array.isArray(x) && step.name in x) {
              next.push((x as Record<string, unknown>)[step.name]);
            }
            for (const c of children(x)) walk(c);
          };
          walk(v);
          break;
        }
        case "index":
          if (Array.isArray(v)) {
            const i = step.index < 0 ? v.length + step.index : step.index;
            if (i >= 0 && i < v.length) next.push(v[i]);
          }
          break;
        case "all":
          next.push(...children(v));
          break;
        case "filter":
          for (const c of children(v)) {
            const found = evaluatePath(step.path, c);
            if (step.op === undefined ? found.length > 0 : found.some((f) => f === step.value) === (step.op === "==")) {
              next.push(c);
            }
          }
          break;
      }
    }
    current = next;
  }
  return current;
}

function show(v: unknown): string {
  if (typeof v === "string") return v;
  if (v === undefined) return "";
  return typeof v === "object" && v !== null ? JSON.stringify(v) : String(v);
}

type Node = { kind: "text"; text: string } | { kind: "path"; steps: Step[] } | {
  kind: "range";
  steps: Step[];
  body: Node[];
};

function parseTemplate(template: string): Node[] {
  const root: Node[] = [];
  const stack: Node[][] = [root];
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf("{", i);
    const top = stack[stack.length - 1]!;
    if (open < 0) {
      top.push({ kind: "text", text: template.slice(i) });
      break;
    }
    if (open > i) top.push({ kind: "text", text: template.slice(i, open) });
    const close = template.indexOf("}", open);
    if (close < 0) throw new UsageError(`jsonpath: unclosed { in "${template}"`);
    const expr = template.slice(open + 1, close).trim();
    i = close + 1;
    if (/^".*"$|^'.*'$/s.test(expr)) {
      top.push({ kind: "text", text: expr.slice(1, -1).replace(/\\n/g, "\n").replace(/\\t/g, "\t") });
    } else if (expr.startsWith("range ")) {
      const body: Node[] = [];
      top.push({ kind: "range", steps: parsePath(expr.slice(6)), body });
      stack.push(body);
    } else if (expr === "end") {
      if (stack.length === 1) throw new UsageError(`jsonpath: {end} without {range} in "${template}"`);
      stack.pop();
    } else {
      top.push({ kind: "path", steps: parsePath(expr) });
    }
  }
  if (stack.length > 1) throw new UsageError(`jsonpath: {range} without {end} in "${template}"`);
  return root;
}

function render(nodes: readonly Node[], data: unknown): string {
  let s = "";
  for (const n of nodes) {
    if (n.kind === "text") s += n.text;
    else if (n.kind === "path") s += evaluatePath(n.steps, data).map(show).join(" ");
    else for (const item of evaluatePath(n.steps, data)) s += render(n.body, item);
  }
  return s;
}

/** `-o jsonpath=TEMPLATE` applied to `data` (pure). */
export function jsonpath(template: string, data: unknown): string {
  return render(parseTemplate(template), data);
}

/** `-o custom-columns=HEADER:PATH,...` over `items` (pure); a missing value is `<none>`, as in kubectl. */
export function customColumns(spec: string, items: readonly unknown[], noHeaders: boolean): string {
  const columns = spec.split(",").map((c) => {
    const colon = c.indexOf(":");
    if (colon <= 0) throw new UsageError(`custom-columns: "${c}" is not HEADER:PATH`);
    let path = c.slice(colon + 1).trim();
    if (path.startsWith("{") && path.endsWith("}")) path = path.slice(1, -1);
    if (!path.startsWith(".") && !path.startsWith("$") && !path.startsWith("[")) path = `.${path}`;
    return { header: c.slice(0, colon), steps: parsePath(path) };
  });
  const rows = items.map((item) =>
    columns.map((c) => {
      const found = evaluatePath(c.steps, item);
      return found.length === 0 ? "<none>" : found.map(show).join(",");
    })
  );
  // Headers as given (kubectl does not upper-case custom column names).
  return formatTable(columns.map((c) => c.header), rows, { keepCase: true, noHeaders });
}
