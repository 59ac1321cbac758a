/**
 * Executor for parsed templates, a port of text/template/exec.go with `missingkey=error`: the same evaluation order,
 * argument checks, truth rules, range semantics and error texts.
 *
 * @module
 */

import { type Budget, budget, RenderPreempted } from "./budget.ts";
import { formatValue, sprintf } from "./go_fmt.ts";
import { quote } from "./go_strconv.ts";
import { type FuncMap, GoError, type GoFunc } from "./func.ts";
import {
  type BranchNode,
  type ChainNode,
  errorContext,
  type FieldNode,
  type IdentifierNode,
  type ListNode,
  type Node,
  nodeString,
  type NumberNode,
  type PipeNode,
  type TemplateNode,
  type Tree,
  type VariableNode,
} from "./parser.ts";
import {
  assignable,
  GoComplex,
  GoInt,
  GoMap,
  GoSlice,
  GoStruct,
  type GoType,
  type GoValue,
  type IntKind,
  isGoObject,
  isTrue,
  isUnsigned,
  T,
  typeOf,
  typeString,
  wrapInt,
  zeroValue,
} from "./values.ts";

/** An execution failure with Go's message. `line`/`col` locate the node (col is Go's 0-based byte column). */
export class ExecFailure extends Error {
  constructor(
    message: string,
    readonly line: number | undefined,
    readonly col: number | undefined,
    readonly redacted: string,
  ) {
    super(message);
  }
}

/** Go's "nil interface" (a nil element of a []interface{} or map[string]interface{}), distinct from "no value". */
class Iface {
  constructor(readonly v: GoValue) {}
}
/** Go's missingVal: no piped-in final argument. */
const MISSING = Symbol("missing");

/**
 * A value whose static type is interface{} (an element of a []interface{} or map[string]interface{} reached by a
 * field chain or range): Go reports such values as "interface {}" in errors and treats nil ones differently.
 */
type Val = GoValue | Iface;

function norm(v: Val): GoValue {
  return v instanceof Iface ? v.v : v;
}

const BREAK = Symbol("break");
const CONTINUE = Symbol("continue");

/** Recursion limit for {{template}}; Go's is 100000, JavaScript's stack is smaller. */
export const MAX_EXEC_DEPTH = 1000;

interface Variable {
  name: string;
  value: Val;
}

export interface ExecEnv {
  readonly funcs: FuncMap;
  readonly builtins: FuncMap;
  readonly set: Map<string, Tree>;
}

class State {
  node: Node | null = null;
  vars: Variable[];
  out: string[] = [];
  readonly budget: Budget = budget();
  constructor(
    readonly env: ExecEnv,
    public tmplName: string,
    dot: GoValue,
    public depth: number,
  ) {
    this.vars = [{ name: "$", value: dot }];
  }

  /** Go's state.errorf: the message is formatted with fmt rules, the location and context included. */
  errorf(format: string, args: GoValue[] = [], redactedArgs?: GoValue[]): never {
    const name = this.tmplName;
    let head: string;
    let line: number | undefined, col: number | undefined;
    if (!this.node) head = `template: ${doublePercent(name)}: `;
    else {
      const ec = errorContext(this.node);
      head = `template: ${ec.location}: executing ${quote(doublePercent(name))} at <${doublePercent(ec.context)}>: `;
      line = ec.line;
      col = ec.col;
    }
    // like Go, the location is part of the format string (a '%' in a template name shows in the message)
    throw new ExecFailure(sprintf(head + format, args), line, col, sprintf(head + format, redactedArgs ?? args));
  }

  /** Reports an exceeded limit at the current node (the message names the limit, never a value). */
  overLimit(message: string | undefined, at?: Node): void {
    if (message === undefined) return;
    if (at) this.node = at;
    this.errorf("%s", [message]);
  }

  emit(text: string): void {
    this.overLimit(this.budget.write(text.length));
    this.out.push(text);
  }

  mark(): number {
    return this.vars.length;
  }
  pop(mark: number): void {
    this.vars.length = mark;
  }
  setVar(name: string, value: Val): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i]!.name === name) {
        this.vars[i]!.value = value;
        return;
      }
    }
    this.errorf("undefined variable: %s", [String(name)]);
  }
  setTopVar(n: number, value: Val): void {
    this.vars[this.vars.length - n]!.value = value;
  }
  varValue(name: string): Val {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i]!.name === name) return this.vars[i]!.value;
    }
    this.errorf("undefined variable: %s", [String(name)]);
  }

  walk(dot: Val, node: Node): void {
    this.node = node;
    switch (node.type) {
      case "action": {
        this.overLimit(this.budget.step());
        const val = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.printValue(node, val);
        return;
      }
      case "break":
        throw BREAK;
      case "continue":
        throw CONTINUE;
      case "comment":
        return;
      case "if":
      case "with":
        return this.walkIfOrWith(node, dot);
      case "list":
        for (const n of node.nodes) this.walk(dot, n);
        return;
      case "range":
        return this.walkRange(dot, node);
      case "template":
        return this.walkTemplate(dot, node);
      case "text":
        this.emit(node.text);
        return;
      default:
        this.errorf("unknown node: %s", [String(nodeString(node))]);
    }
  }

  walkIfOrWith(node: BranchNode, dot: Val): void {
    const mark = this.mark();
    try {
      const val = this.evalPipeline(dot, node.pipe);
      const truth = isTrue(val);
      if (truth) {
        this.walk(node.type === "with" ? val : dot, node.list);
      } else if (node.elseList) {
        this.walk(dot, node.elseList);
      }
    } finally {
      this.pop(mark);
    }
  }

  walkRange(dot: Val, r: BranchNode): void {
    this.node = r;
    const outer = this.mark();
    try {
      const val = this.evalPipeline(dot, r.pipe);
      const mark = this.mark();
      const decl = r.pipe.decl;
      const oneIteration = (index: Val, elem: Val): void => {
        if (decl.length > 0) {
          if (r.pipe.isAssign) {
            if (decl.length > 1) this.setVar(decl[0]!.ident[0]!, index);
            else this.setVar(decl[0]!.ident[0]!, elem);
          } else this.setTopVar(1, elem);
        }
        if (decl.length > 1) {
          if (r.pipe.isAssign) this.setVar(decl[1]!.ident[0]!, elem);
          else this.setTopVar(2, index);
        }
        this.overLimit(this.budget.step(), r);
        try {
          this.walk(elem, r.list);
        } catch (e) {
          if (e !== CONTINUE) throw e;
        } finally {
          this.pop(mark);
        }
      };
      let ran = false;
      if (val instanceof GoInt) {
        if (decl.length > 1) {
          this.errorf("can't use %v to iterate over more than one variable", [val], [
            `a value of type ${typeString(val.type)}`,
          ]);
        }
        for (let i = 0n; i < val.v; i++) {
          ran = true;
          oneIteration(null, new GoInt(val.type, i));
        }
      } else if (val instanceof GoSlice) {
        const ifaceElem = val.type.elem.kind === "interface";
        for (let i = 0; i < val.items.length; i++) {
          ran = true;
          const item = val.items[i]!;
          oneIteration(GoInt.int(i), ifaceElem ? new Iface(item) : item);
        }
      } else if (val instanceof GoMap) {
        const ifaceElem = val.type.elem.kind === "interface";
        for (const k of val.sortedKeys()) {
          ran = true;
          const item = val.m.get(k)!;
          oneIteration(k, ifaceElem ? new Iface(item) : item);
        }
      } else if (val === null) {
        // a nil value acts like an empty map
      } else {
        this.errorf("range can't iterate over %v", [val], [`a value of type ${typeString(typeOf(val)!)}`]);
      }
      if (!ran && r.elseList) this.walk(dot, r.elseList);
    } catch (e) {
      if (e !== BREAK) throw e;
    } finally {
      this.pop(outer);
    }
  }

  walkTemplate(dot: Val, t: TemplateNode): void {
    this.node = t;
    const tree = this.env.set.get(t.name);
    if (!tree) this.errorf("template %q not defined", [t.name]);
    if (this.depth === MAX_EXEC_DEPTH) this.errorf("exceeded maximum template depth (%s)", [String(MAX_EXEC_DEPTH)]);
    const newDot = this.evalPipeline(dot, t.pipe);
    const s = new State(this.env, tree.name, newDot, this.depth + 1);
    s.out = this.out;
    s.walk(newDot, tree.root);
  }

  evalPipeline(dot: Val, pipe: PipeNode | null): GoValue {
    if (!pipe) return null;
    this.node = pipe;
    let value: Val | typeof MISSING = MISSING;
    for (const cmd of pipe.cmds) {
      value = norm(this.evalCommand(dot, cmd, value));
    }
    const v = value as GoValue;
    for (const variable of pipe.decl) {
      if (pipe.isAssign) this.setVar(variable.ident[0]!, v);
      else this.vars.push({ name: variable.ident[0]!, value: v });
    }
    return v;
  }

  notAFunction(args: Node[], final: Val | typeof MISSING): void {
    if (args.length > 1 || final !== MISSING) {
      this.errorf("can't give argument to non-function %s", [String(nodeString(args[0]!))]);
    }
  }

  evalCommand(dot: Val, cmd: { args: Node[] }, final: Val | typeof MISSING): Val {
    const first = cmd.args[0]!;
    switch (first.type) {
      case "field":
        return this.evalFieldNode(dot, first, cmd.args, final);
      case "chain":
        return this.evalChainNode(dot, first, cmd.args, final);
      case "identifier":
        return this.evalFunction(dot, first, cmd as Node, cmd.args, final);
      case "pipe":
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first);
      case "variable":
        return this.evalVariableNode(dot, first, cmd.args, final);
    }
    this.node = first;
    this.notAFunction(cmd.args, final);
    switch (first.type) {
      case "bool":
        return first.value;
      case "dot":
        return dot;
      case "nil":
        this.errorf("nil is not a command");
        break;
      case "number":
        return this.idealConstant(first);
      case "string":
        return first.text;
    }
    this.errorf("can't evaluate command %q", [nodeString(first)]);
  }

  idealConstant(c: NumberNode): GoValue {
    this.node = c;
    if (c.isComplex) return new GoComplex(c.complex![0], c.complex![1]);
    const isHexInt = c.text.length > 2 && c.text[0] === "0" && (c.text[1] === "x" || c.text[1] === "X") &&
      !/[pP]/.test(c.text);
    const isRuneInt = c.text[0] === "'";
    if (c.isFloat && !isHexInt && !isRuneInt && /[.eEpP]/.test(c.text)) return c.float64;
    if (c.isInt) return GoInt.int(c.int64);
    if (c.isUint) this.errorf("%s overflows int", [String(c.text)]);
    return null;
  }

  evalFieldNode(dot: Val, field: FieldNode, args: Node[], final: Val | typeof MISSING): Val {
    this.node = field;
    return this.evalFieldChain(dot, dot, field, field.ident, args, final);
  }

  evalChainNode(dot: Val, chain: ChainNode, args: Node[] | null, final: Val | typeof MISSING): Val {
    this.node = chain;
    if (chain.field.length === 0) this.errorf("internal error: no fields in evalChainNode");
    if (chain.node.type === "nil") this.errorf("indirection through explicit nil in %s", [String(nodeString(chain))]);
    const pipe = this.evalArg(dot, null, chain.node);
    return this.evalFieldChain(dot, pipe, chain, chain.field, args, final);
  }

  evalVariableNode(dot: Val, variable: VariableNode, args: Node[] | null, final: Val | typeof MISSING): Val {
    this.node = variable;
    const value = this.varValue(variable.ident[0]!);
    if (variable.ident.length === 1) {
      this.notAFunction(args ?? [], final);
      return value;
    }
    return this.evalFieldChain(dot, value, variable, variable.ident.slice(1), args, final);
  }

  evalFieldChain(
    dot: Val,
    receiver: Val,
    node: Node,
    ident: string[],
    args: Node[] | null,
    final: Val | typeof MISSING,
  ): Val {
    const n = ident.length;
    for (let i = 0; i < n - 1; i++) receiver = this.evalField(dot, ident[i]!, node, null, MISSING, receiver);
    return this.evalField(dot, ident[n - 1]!, node, args, final, receiver);
  }

  evalFunction(dot: Val, node: IdentifierNode, cmd: Node, args: Node[] | null, final: Val | typeof MISSING): Val {
    this.node = node;
    const name = node.ident;
    let f = this.env.funcs.get(name);
    let isBuiltin = false;
    if (!f) {
      f = this.env.builtins.get(name);
      isBuiltin = true;
    }
    if (!f) this.errorf("%q is not a defined function", [name]);
    return this.evalCall(dot, f, isBuiltin, cmd, name, args, final);
  }

  evalField(
    dot: Val,
    fieldName: string,
    node: Node,
    args: Node[] | null,
    final: Val | typeof MISSING,
    receiver: Val,
  ): Val {
    if (receiver === null) this.errorf("nil data; no entry for key %q", [fieldName]);
    let typName: string;
    if (receiver instanceof Iface) {
      if (receiver.v === null) this.errorf("nil pointer evaluating interface {}.%s", [fieldName]);
      typName = "interface {}";
      receiver = receiver.v;
    } else typName = typeString(typeOf(receiver)!);
    if (isGoObject(receiver) && receiver.method) {
      const m = receiver.method(fieldName);
      if (m) {
        const f: GoFunc = m.variadic
          ? { params: m.params.slice(0, -1), variadic: m.params[m.params.length - 1]!, call: (a) => m.call(a) }
          : { params: m.params, call: (a) => m.call(a) };
        return this.evalCall(dot, f, false, node, fieldName, args, final);
      }
    }
    const hasArgs = (args !== null && args.length > 1) || final !== MISSING;
    if (receiver instanceof GoStruct || (isGoObject(receiver) && receiver.field)) {
      const field = receiver instanceof GoStruct ? receiver.fields.get(fieldName) : receiver.field!(fieldName);
      if (field !== undefined) {
        if (hasArgs) this.errorf("%s has arguments but cannot be invoked as function", [String(fieldName)]);
        return field;
      }
    }
    if (receiver instanceof GoMap) {
      if (hasArgs) this.errorf("%s is not a method but has arguments", [String(fieldName)]);
      const result = receiver.m.get(fieldName);
      if (result === undefined) this.errorf("map has no entry for key %q", [fieldName]);
      return receiver.type.elem.kind === "interface" ? new Iface(result) : result;
    }
    this.errorf("can't evaluate field %s in type %s", [fieldName, typName]);
  }

  evalCall(
    dot: Val,
    fun: GoFunc,
    isBuiltin: boolean,
    node: Node,
    name: string,
    argNodes: Node[] | null,
    final: Val | typeof MISSING,
  ): Val {
    const args = argNodes ? argNodes.slice(1) : [];
    let numIn = args.length;
    if (final !== MISSING) numIn++;
    let numFixed = args.length;
    const nParams = fun.params.length + (fun.variadic ? 1 : 0);
    if (fun.variadic) {
      numFixed = fun.params.length;
      if (numIn < numFixed) {
        this.errorf("wrong number of args for %s: want at least %s got %s", [
          String(name),
          String(numFixed),
          String(args.length),
        ]);
      }
    } else if (numIn !== nParams) {
      this.errorf("wrong number of args for %s: want %s got %s", [String(name), String(nParams), String(numIn)]);
    }

    if (isBuiltin && (name === "and" || name === "or")) {
      let v: GoValue = null;
      for (const arg of args) {
        v = norm(this.evalArg(dot, T.reflectValue, arg));
        if (isTrue(v) === (name === "or")) return v;
      }
      if (final !== MISSING) v = norm(this.validateType(final, T.reflectValue));
      return v;
    }

    const argv: GoValue[] = new Array(numIn);
    let i = 0;
    for (; i < numFixed && i < args.length; i++) {
      const raw = this.evalArg(dot, fun.params[i]!, args[i]!);
      if (isBuiltin && name === "len" && raw instanceof Iface && raw.v === null) {
        // len sees the interface value itself: a nil element of an []interface{} is a "nil pointer" to it
        this.node = node;
        this.errorf("error calling %s: %v", [name, "len of nil pointer"]);
      }
      argv[i] = norm(raw);
    }
    if (fun.variadic) {
      for (; i < args.length; i++) argv[i] = norm(this.evalArg(dot, fun.variadic, args[i]!));
    }
    if (final !== MISSING) {
      let t: GoType;
      if (fun.variadic) t = numIn - 1 < numFixed ? fun.params[numIn - 1]! : fun.variadic;
      else t = fun.params[fun.params.length - 1]!;
      argv[i] = norm(this.validateType(final, t));
    }
    if (isBuiltin && name === "call") {
      const calleeName = args.length === 0 ? formatValue(norm(final as Val)) : nodeString(args[0]!);
      const fn = argv[0] ?? null;
      this.node = node;
      if (fn === null) this.errorf("error calling call: call of nil");
      this.errorf("error calling call: non-function %s of type %s", [
        String(calleeName),
        String(typeString(typeOf(fn)!)),
      ]);
    }
    // (this.node stays where argument evaluation left it, as in Go, unless a limit is reported here)
    this.overLimit(this.budget.step(), node);
    if (this.budget.sliced && (fun.needs !== undefined || HEAVY.has(name))) {
      throw new RenderPreempted(`${name} runs off the event loop`, true);
    }
    let result: GoValue;
    try {
      if (WEIGHED.has(name)) this.budget.string(weight(argv, this.budget.limits.maxStringSize));
      result = fun.call(argv);
      checkBuilt(this.budget, result);
    } catch (e) {
      if (e instanceof ExecFailure) throw e;
      this.node = node;
      if (e instanceof GoError) {
        this.errorf("error calling %s: %v", [name, e.message], [name, e.redacted ?? e.message]);
      }
      if (e instanceof RangeError && /call stack/i.test(e.message)) {
        this.errorf("error calling %s: stack overflow", [String(name)]);
      }
      if (e instanceof RangeError && /string length|array length/i.test(e.message)) {
        this.errorf("error calling %s: %s", [name, "template limit: value too large"]);
      }
      throw e;
    }
    // a single call may be slow (bcrypt, key generation): the clock is read after each one
    this.overLimit(this.budget.checkTime(), node);
    return result;
  }

  validateType(value: Val, typ: GoType | null): Val {
    if (value === null) {
      if (typ === null) return null;
      if (canBeNil(typ)) return zeroValue(typ);
      this.errorf("invalid value; expected %s", [String(typeString(typ))]);
    }
    if (typ === null) return value;
    if (typ.kind === "reflectValue") return value;
    if (value instanceof Iface) {
      if (typ.kind === "interface") return value.v;
      if (value.v === null) this.errorf("wrong type for value; expected %s; got interface {}", [typeString(typ)]);
      value = value.v;
    }
    const vt = typeOf(value)!;
    if (!assignable(vt, typ)) {
      this.errorf("wrong type for value; expected %s; got %s", [String(typeString(typ)), String(typeString(vt))]);
    }
    return value;
  }

  evalArg(dot: Val, typ: GoType | null, n: Node): Val {
    this.node = n;
    switch (n.type) {
      case "dot":
        return this.validateType(dot, typ);
      case "nil":
        if (typ && canBeNil(typ)) return typ.kind === "reflectValue" ? null : zeroValue(typ);
        this.errorf("cannot assign nil to %s", [String(typ ? typeString(typ) : "<nil>")]);
        break;
      case "field":
        return this.validateType(this.evalFieldNode(dot, n, [n], MISSING), typ);
      case "variable":
        return this.validateType(this.evalVariableNode(dot, n, null, MISSING), typ);
      case "pipe":
        return this.validateType(this.evalPipeline(dot, n), typ);
      case "identifier":
        return this.validateType(this.evalFunction(dot, n, n, null, MISSING), typ);
      case "chain":
        return this.validateType(this.evalChainNode(dot, n, null, MISSING), typ);
    }
    if (!typ) this.errorf("can't handle %s for arg of type <nil>", [String(nodeString(n))]);
    switch (typ.kind) {
      case "bool":
        if (n.type === "bool") return n.value;
        this.errorf("expected bool; found %s", [String(nodeString(n))]);
        break;
      case "float64":
        if (n.type === "number" && n.isFloat) return n.float64;
        this.errorf("expected float; found %s", [String(nodeString(n))]);
        break;
      case "int":
      case "int8":
      case "int16":
      case "int32":
      case "int64":
        if (n.type === "number" && n.isInt) return new GoInt(typ, wrapInt(typ.kind as IntKind, n.int64));
        this.errorf("expected integer; found %s", [String(nodeString(n))]);
        break;
      case "uint":
      case "uint8":
      case "uint16":
      case "uint32":
      case "uint64":
        if (n.type === "number" && n.isUint) return new GoInt(typ, wrapInt(typ.kind as IntKind, n.uint64));
        this.errorf("expected unsigned integer; found %s", [String(nodeString(n))]);
        break;
      case "interface":
      case "reflectValue":
        return this.evalEmptyInterface(dot, n);
      case "string":
        if (n.type === "string") return n.text;
        this.errorf("expected string; found %s", [String(nodeString(n))]);
    }
    this.errorf("can't handle %s for arg of type %s", [String(nodeString(n)), String(typeString(typ))]);
  }

  evalEmptyInterface(dot: Val, n: Node): Val {
    this.node = n;
    switch (n.type) {
      case "bool":
        return n.value;
      case "dot":
        return dot;
      case "number":
        return this.idealConstant(n);
      case "string":
        return n.text;
    }
    this.errorf("can't handle assignment of %s to empty interface argument", [String(nodeString(n))]);
  }

  printValue(n: Node, v: GoValue): void {
    this.node = n;
    if (v !== null && typeof v === "object") {
      this.overLimit(this.budget.write(weight([v], this.budget.limits.maxOutputSize)));
    }
    this.emit(v === null ? "<no value>" : formatValue(v));
  }
}

// CPU-heavy functions besides those of the lazily loaded libraries (bcrypt, node-forge): a render that calls one
// leaves the event loop for a worker.
const HEAVY = new Set(["genPrivateKey", "derivePassword"]);

// Functions whose result is about as large as their arguments printed, or that walk them deeply: their arguments are
// weighed first, so that formatting a list holding one large string many times (or deep-copying lists that share
// elements, exponentially many paths) fails before the work starts.
const WEIGHED = new Set([
  "deepCopy",
  "mustDeepCopy",
  "deepEqual",
  "uniq",
  "mustUniq",
  "has",
  "mustHas",
  "without",
  "mustWithout",
  "merge",
  "mustMerge",
  "mergeOverwrite",
  "mustMergeOverwrite",
  "cat",
  "join",
  "print",
  "printf",
  "println",
  "quote",
  "squote",
  "toJson",
  "toPrettyJson",
  "toRawJson",
  "mustToJson",
  "mustToPrettyJson",
  "mustToRawJson",
  "toYaml",
  "toString",
  "toStrings",
  "html",
  "js",
  "urlquery",
]);

/** Approximate printed size of values (strings' lengths plus one per element), counting stops past `cap`. */
function weight(values: readonly GoValue[], cap: number): number {
  let w = 0;
  const stack: GoValue[] = [...values];
  while (stack.length > 0 && w <= cap) {
    const v = stack.pop()!;
    w++;
    if (typeof v === "string") w += v.length;
    else if (v instanceof GoSlice) stack.push(...v.items.slice(0, Math.max(0, cap - w + 1)));
    else if (v instanceof GoMap) {
      for (const [k, x] of v.m) {
        if (w > cap) break;
        w += typeof k === "string" ? k.length : 1;
        stack.push(x);
      }
    }
  }
  return w;
}

/**
 * A function's result must fit the limits, and counts towards the total built (functions whose size is known up
 * front also check before building; a result passed through unchanged counts again, so the total is approximate).
 */
function checkBuilt(b: Budget, v: GoValue): void {
  if (typeof v === "string") b.string(v.length);
  else if (v instanceof GoSlice) b.list(v.items.length);
  else if (v instanceof GoMap) {
    // a map is mutated in place by set/unset, so only its size counts, not each call's result
    if (v.m.size > b.limits.maxListLength) b.list(v.m.size);
  }
}

function doublePercent(s: string): string {
  return s.replaceAll("%", "%%");
}

function canBeNil(t: GoType): boolean {
  switch (t.kind) {
    case "interface":
    case "map":
    case "ptr":
    case "slice":
    case "func":
    case "reflectValue":
    case "error":
      return true;
  }
  return false;
}

/** Executes the template `name` of a parsed set on `data`; returns the output as a (byte-preserving) string. */
export function execute(env: ExecEnv, name: string, data: GoValue): string {
  const s = new State(env, name, data, 0);
  const tree = env.set.get(name);
  if (!tree) return s.errorf("%q is an incomplete or empty template", [name]);
  try {
    s.walk(data, tree.root);
  } catch (e) {
    if (e instanceof RangeError && /call stack/i.test(e.message)) {
      s.errorf("exceeded maximum template depth (%s)", [String(MAX_EXEC_DEPTH)]);
    }
    throw e;
  }
  return s.out.join("");
}

export { isUnsigned };
export type { ListNode };
