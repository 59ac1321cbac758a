/**
 * Parser for Go's text/template, a port of text/template/parse/parse.go and node.go: the same tree, the same checks
 * (undefined variables and functions, break/continue outside range, ...) and the same error texts.
 *
 * @module
 */

import { Item, Lexer, type Token, tokenString } from "./lexer.ts";
import { parseGoFloat, parseGoInt, parseGoUint, quote, unquote } from "./go_strconv.ts";
import { utf8Len } from "./gostr.ts";
import { sprintf } from "./go_fmt.ts";

/** What every node of one Parse call shares: the source text and the top-level name used in messages. */
export interface Source {
  readonly text: string;
  readonly parseName: string;
}

interface Base {
  readonly src: Source;
  readonly pos: number;
}

export interface ListNode extends Base {
  readonly type: "list";
  readonly nodes: Node[];
}
export interface TextNode extends Base {
  readonly type: "text";
  readonly text: string;
}
export interface ActionNode extends Base {
  readonly type: "action";
  readonly line: number;
  readonly pipe: PipeNode;
}
export interface PipeNode extends Base {
  readonly type: "pipe";
  readonly line: number;
  isAssign: boolean;
  readonly decl: VariableNode[];
  readonly cmds: CommandNode[];
}
export interface CommandNode extends Base {
  readonly type: "command";
  readonly args: Node[];
}
export interface IdentifierNode extends Base {
  readonly type: "identifier";
  readonly ident: string;
}
export interface VariableNode extends Base {
  readonly type: "variable";
  readonly ident: string[];
}
export interface DotNode extends Base {
  readonly type: "dot";
}
export interface NilNode extends Base {
  readonly type: "nil";
}
export interface FieldNode extends Base {
  readonly type: "field";
  readonly ident: string[];
}
export interface ChainNode extends Base {
  readonly type: "chain";
  readonly node: Node;
  readonly field: string[];
}
export interface BoolNode extends Base {
  readonly type: "bool";
  readonly value: boolean;
}
export interface NumberNode extends Base {
  readonly type: "number";
  readonly text: string;
  isInt: boolean;
  isUint: boolean;
  isFloat: boolean;
  isComplex: boolean;
  int64: bigint;
  uint64: bigint;
  float64: number;
  complex?: [number, number];
}
export interface StringNode extends Base {
  readonly type: "string";
  readonly quoted: string;
  readonly text: string;
}
export interface EndNode extends Base {
  readonly type: "end";
}
export interface ElseNode extends Base {
  readonly type: "else";
  readonly line: number;
}
export interface BranchNode extends Base {
  readonly type: "if" | "range" | "with";
  readonly line: number;
  readonly pipe: PipeNode;
  readonly list: ListNode;
  readonly elseList: ListNode | null;
}
export interface BreakNode extends Base {
  readonly type: "break";
  readonly line: number;
}
export interface ContinueNode extends Base {
  readonly type: "continue";
  readonly line: number;
}
export interface TemplateNode extends Base {
  readonly type: "template";
  readonly line: number;
  readonly name: string;
  readonly pipe: PipeNode | null;
}
export interface CommentNode extends Base {
  readonly type: "comment";
}

export type Node =
  | ListNode
  | TextNode
  | ActionNode
  | PipeNode
  | CommandNode
  | IdentifierNode
  | VariableNode
  | DotNode
  | NilNode
  | FieldNode
  | ChainNode
  | BoolNode
  | NumberNode
  | StringNode
  | EndNode
  | ElseNode
  | BranchNode
  | BreakNode
  | ContinueNode
  | TemplateNode
  | CommentNode;

/** A parsed template: one tree of a template set. */
export interface Tree {
  name: string;
  root: ListNode;
  readonly src: Source;
}

/** A parse failure, with Go's message ("template: name:line: ..."). */
export class ParseFailure extends Error {
  constructor(message: string, readonly line: number) {
    super(message);
  }
}

/** Go's Node.String(), used for the `<...>` context of execution errors. */
export function nodeString(n: Node): string {
  switch (n.type) {
    case "list":
      return n.nodes.map(nodeString).join("");
    case "text":
      return n.text;
    case "comment":
      return "{{/* */}}";
    case "pipe": {
      let s = "";
      if (n.decl.length > 0) {
        s += n.decl.map(nodeString).join(", ");
        s += n.isAssign ? " = " : " := ";
      }
      return s + n.cmds.map(nodeString).join(" | ");
    }
    case "action":
      return "{{" + nodeString(n.pipe) + "}}";
    case "command":
      return n.args.map((a) => (a.type === "pipe" ? "(" + nodeString(a) + ")" : nodeString(a))).join(" ");
    case "identifier":
      return n.ident;
    case "variable":
      return n.ident.join(".");
    case "dot":
      return ".";
    case "nil":
      return "nil";
    case "field":
      return n.ident.map((i) => "." + i).join("");
    case "chain":
      return (n.node.type === "pipe" ? "(" + nodeString(n.node) + ")" : nodeString(n.node)) +
        n.field.map((f) => "." + f).join("");
    case "bool":
      return n.value ? "true" : "false";
    case "number":
      return n.text;
    case "string":
      return n.quoted;
    case "end":
      return "{{end}}";
    case "else":
      return "{{else}}";
    case "if":
    case "range":
    case "with":
      return "{{" + n.type + " " + nodeString(n.pipe) + "}}" + nodeString(n.list) +
        (n.elseList ? "{{else}}" + nodeString(n.elseList) : "") + "{{end}}";
    case "break":
      return "{{break}}";
    case "continue":
      return "{{continue}}";
    case "template":
      return "{{template " + quote(n.name) + (n.pipe ? " " + nodeString(n.pipe) : "") + "}}";
  }
}

/** Go's Tree.ErrorContext: "name:line:col" (col is a 0-based byte offset in the line) and the node's text. */
export function errorContext(n: Node): { location: string; context: string; line: number; col: number } {
  const text = n.src.text.slice(0, n.pos);
  const nl = text.lastIndexOf("\n");
  const col = nl === -1 ? utf8Len(text) : utf8Len(text.slice(nl + 1));
  let line = 1;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return { location: `${n.src.parseName}:${line}:${col}`, context: nodeString(n), line, col };
}

export function isEmptyTree(n: Node | null): boolean {
  if (n === null) return true;
  switch (n.type) {
    case "comment":
      return true;
    case "list":
      return n.nodes.every(isEmptyTree);
    case "text":
      return n.text.trim().length === 0;
    default:
      return false;
  }
}

const MAX_STACK_DEPTH = 10000;

class TreeParser {
  name: string;
  root: ListNode | null = null;
  readonly src: Source;
  lex!: Lexer;
  token: Token[] = [];
  peekCount = 0;
  vars: string[] = ["$"];
  treeSet!: Map<string, Tree>;
  actionLine = 0;
  rangeDepth = 0;
  stackDepth = 0;
  hasFunction!: (name: string) => boolean;

  constructor(name: string, src: Source) {
    this.name = name;
    this.src = src;
  }

  next(): Token {
    if (this.peekCount > 0) this.peekCount--;
    else this.token[0] = this.lex.nextItem();
    return this.token[this.peekCount]!;
  }
  backup(): void {
    this.peekCount++;
  }
  backup2(t1: Token): void {
    this.token[1] = t1;
    this.peekCount = 2;
  }
  backup3(t2: Token, t1: Token): void {
    this.token[1] = t1;
    this.token[2] = t2;
    this.peekCount = 3;
  }
  peek(): Token {
    if (this.peekCount > 0) return this.token[this.peekCount - 1]!;
    this.peekCount = 1;
    this.token[0] = this.lex.nextItem();
    return this.token[0];
  }
  nextNonSpace(): Token {
    let t: Token;
    do t = this.next(); while (t.typ === Item.Space);
    return t;
  }
  peekNonSpace(): Token {
    const t = this.nextNonSpace();
    this.backup();
    return t;
  }

  /** Go's Tree.errorf: the template name is part of the format string, as in Go. */
  errorf(format: string, args: string[] = []): never {
    this.root = null;
    const line = this.token[0]?.line ?? 1;
    throw new ParseFailure(sprintf(`template: ${this.src.parseName}:${line}: ` + format, args), line);
  }

  expect(expected: Item, context: string): Token {
    const t = this.nextNonSpace();
    if (t.typ !== expected) this.unexpected(t, context);
    return t;
  }

  expectOneOf(e1: Item, e2: Item, context: string): Token {
    const t = this.nextNonSpace();
    if (t.typ !== e1 && t.typ !== e2) this.unexpected(t, context);
    return t;
  }

  unexpected(token: Token, context: string): never {
    if (token.typ === Item.Error) {
      let extra = "";
      if (this.actionLine !== 0 && this.actionLine !== token.line) {
        extra = ` in action started at ${this.src.parseName}:${this.actionLine}`;
        if (token.val.endsWith(" action")) extra = extra.slice(" in action".length);
      }
      this.errorf("%s%s", [String(tokenString(token)), String(extra)]);
    }
    this.errorf("unexpected %s in %s", [String(tokenString(token)), String(context)]);
  }

  startParse(lex: Lexer, treeSet: Map<string, Tree>, hasFunction: (n: string) => boolean): void {
    this.root = null;
    this.lex = lex;
    this.vars = ["$"];
    this.treeSet = treeSet;
    this.hasFunction = hasFunction;
    this.stackDepth = 0;
  }

  add(): void {
    const tree = this.treeSet.get(this.name);
    if (!tree || isEmptyTree(tree.root)) {
      this.treeSet.set(this.name, { name: this.name, root: this.root!, src: this.src });
      return;
    }
    if (!isEmptyTree(this.root)) this.errorf("template: multiple definition of template %q", [this.name]);
  }

  parse(): void {
    this.root = this.newList(this.peek().pos);
    while (this.peek().typ !== Item.EOF) {
      if (this.peek().typ === Item.LeftDelim) {
        const delim = this.next();
        if (this.nextNonSpace().typ === Item.Define) {
          const newT = new TreeParser("definition", this.src);
          newT.startParse(this.lex, this.treeSet, this.hasFunction);
          newT.parseDefinition();
          continue;
        }
        this.backup2(delim);
      }
      const n = this.textOrAction();
      if (n.type === "end" || n.type === "else") this.errorf("unexpected %s", [String(nodeString(n))]);
      this.root.nodes.push(n);
    }
  }

  parseDefinition(): void {
    const context = "define clause";
    const name = this.expectOneOf(Item.String, Item.RawString, context);
    try {
      this.name = unquote(name.val);
    } catch (e) {
      this.errorf("%s", [(e as Error).message]);
    }
    this.expect(Item.RightDelim, context);
    const [list, end] = this.itemList();
    this.root = list;
    if (end.type !== "end") this.errorf("unexpected %s in %s", [String(nodeString(end)), String(context)]);
    this.add();
  }

  itemList(): [ListNode, Node] {
    const list = this.newList(this.peekNonSpace().pos);
    while (this.peekNonSpace().typ !== Item.EOF) {
      const n = this.textOrAction();
      if (n.type === "end" || n.type === "else") return [list, n];
      list.nodes.push(n);
    }
    this.errorf("unexpected EOF");
  }

  textOrAction(): Node {
    const token = this.nextNonSpace();
    switch (token.typ) {
      case Item.Text:
        return { type: "text", src: this.src, pos: token.pos, text: token.val };
      case Item.LeftDelim: {
        this.actionLine = token.line;
        try {
          return this.action();
        } finally {
          this.actionLine = 0;
        }
      }
      case Item.Comment:
        return { type: "comment", src: this.src, pos: token.pos };
      default:
        this.unexpected(token, "input");
    }
  }

  action(): Node {
    const token = this.nextNonSpace();
    switch (token.typ) {
      case Item.Block:
        return this.blockControl();
      case Item.Break:
        return this.breakControl(token.pos, token.line, "break");
      case Item.Continue:
        return this.breakControl(token.pos, token.line, "continue");
      case Item.Else:
        return this.elseControl();
      case Item.End:
        return { type: "end", src: this.src, pos: this.expect(Item.RightDelim, "end").pos };
      case Item.If:
        return this.parseControl("if");
      case Item.Range:
        return this.parseControl("range");
      case Item.Template:
        return this.templateControl();
      case Item.With:
        return this.parseControl("with");
    }
    this.backup();
    const t = this.peek();
    return { type: "action", src: this.src, pos: t.pos, line: t.line, pipe: this.pipeline("command", Item.RightDelim) };
  }

  breakControl(pos: number, line: number, kind: "break" | "continue"): Node {
    const token = this.nextNonSpace();
    if (token.typ !== Item.RightDelim) this.unexpected(token, `{{${kind}}}`);
    if (this.rangeDepth === 0) this.errorf("{{%s}} outside {{range}}", [String(kind)]);
    return { type: kind, src: this.src, pos, line };
  }

  pipeline(context: string, end: Item): PipeNode {
    const token = this.peekNonSpace();
    const pipe: PipeNode = {
      type: "pipe",
      src: this.src,
      pos: token.pos,
      line: token.line,
      isAssign: false,
      decl: [],
      cmds: [],
    };
    decls: for (;;) {
      const v = this.peekNonSpace();
      if (v.typ === Item.Variable) {
        this.next();
        const tokenAfterVariable = this.peek();
        const next = this.peekNonSpace();
        if (next.typ === Item.Assign || next.typ === Item.Declare) {
          pipe.isAssign = next.typ === Item.Assign;
          this.nextNonSpace();
          pipe.decl.push(this.newVariable(v.pos, v.val));
          this.vars.push(v.val);
        } else if (next.typ === Item.Char && next.val === ",") {
          this.nextNonSpace();
          pipe.decl.push(this.newVariable(v.pos, v.val));
          this.vars.push(v.val);
          if (context === "range" && pipe.decl.length < 2) {
            const p = this.peekNonSpace().typ;
            if (p === Item.Variable || p === Item.RightDelim || p === Item.RightParen) continue decls;
            this.errorf("range can only initialize variables");
          }
          this.errorf("too many declarations in %s", [String(context)]);
        } else if (tokenAfterVariable.typ === Item.Space) {
          this.backup3(v, tokenAfterVariable);
        } else {
          this.backup2(v);
        }
      }
      break;
    }
    for (;;) {
      const token = this.nextNonSpace();
      switch (token.typ) {
        case end:
          this.checkPipeline(pipe, context);
          return pipe;
        case Item.Bool:
        case Item.CharConstant:
        case Item.Complex:
        case Item.Dot:
        case Item.Field:
        case Item.Identifier:
        case Item.Number:
        case Item.Nil:
        case Item.RawString:
        case Item.String:
        case Item.Variable:
        case Item.LeftParen:
          this.backup();
          pipe.cmds.push(this.command());
          break;
        default:
          this.unexpected(token, context);
      }
    }
  }

  checkPipeline(pipe: PipeNode, context: string): void {
    if (pipe.cmds.length === 0) this.errorf("missing value for %s", [String(context)]);
    pipe.cmds.slice(1).forEach((c, i) => {
      const t = c.args[0]!.type;
      if (t === "bool" || t === "dot" || t === "nil" || t === "number" || t === "string") {
        this.errorf("non executable command in pipeline stage %s", [String(i + 2)]);
      }
    });
  }

  parseControl(context: "if" | "range" | "with"): BranchNode {
    const mark = this.vars.length;
    try {
      const pipe = this.pipeline(context, Item.RightDelim);
      if (context === "range") this.rangeDepth++;
      let [list, next] = this.itemList();
      if (context === "range") this.rangeDepth--;
      let elseList: ListNode | null = null;
      if (next.type === "else") {
        if (context === "if" && this.peek().typ === Item.If) {
          this.next();
          elseList = this.newList(next.pos);
          elseList.nodes.push(this.parseControl("if"));
        } else if (context === "with" && this.peek().typ === Item.With) {
          this.next();
          elseList = this.newList(next.pos);
          elseList.nodes.push(this.parseControl("with"));
        } else {
          [elseList, next] = this.itemList();
          if (next.type !== "end") this.errorf("expected end; found %s", [String(nodeString(next))]);
        }
      }
      void list;
      return { type: context, src: this.src, pos: pipe.pos, line: pipe.line, pipe, list, elseList };
    } finally {
      this.vars.length = mark;
    }
  }

  elseControl(): Node {
    const peek = this.peekNonSpace();
    if (peek.typ === Item.If || peek.typ === Item.With) {
      return { type: "else", src: this.src, pos: peek.pos, line: peek.line };
    }
    const token = this.expect(Item.RightDelim, "else");
    return { type: "else", src: this.src, pos: token.pos, line: token.line };
  }

  blockControl(): Node {
    const context = "block clause";
    const token = this.nextNonSpace();
    const name = this.parseTemplateName(token, context);
    const pipe = this.pipeline(context, Item.RightDelim);
    const block = new TreeParser(name, this.src);
    block.startParse(this.lex, this.treeSet, this.hasFunction);
    const [list, end] = block.itemList();
    block.root = list;
    if (end.type !== "end") this.errorf("unexpected %s in %s", [String(nodeString(end)), String(context)]);
    block.add();
    return { type: "template", src: this.src, pos: token.pos, line: token.line, name, pipe };
  }

  templateControl(): Node {
    const context = "template clause";
    const token = this.nextNonSpace();
    const name = this.parseTemplateName(token, context);
    let pipe: PipeNode | null = null;
    if (this.nextNonSpace().typ !== Item.RightDelim) {
      this.backup();
      pipe = this.pipeline(context, Item.RightDelim);
    }
    return { type: "template", src: this.src, pos: token.pos, line: token.line, name, pipe };
  }

  parseTemplateName(token: Token, context: string): string {
    if (token.typ === Item.String || token.typ === Item.RawString) {
      try {
        return unquote(token.val);
      } catch (e) {
        this.errorf("%s", [(e as Error).message]);
      }
    }
    this.unexpected(token, context);
  }

  command(): CommandNode {
    const cmd: CommandNode = { type: "command", src: this.src, pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      this.peekNonSpace();
      const operand = this.operand();
      if (operand) cmd.args.push(operand);
      const token = this.next();
      if (token.typ === Item.Space) continue;
      if (token.typ === Item.RightDelim || token.typ === Item.RightParen) this.backup();
      else if (token.typ !== Item.Pipe) this.unexpected(token, "operand");
      break;
    }
    if (cmd.args.length === 0) this.errorf("empty command");
    return cmd;
  }

  operand(): Node | null {
    let node = this.term();
    if (!node) return null;
    if (this.peek().typ === Item.Field) {
      const chainPos = this.peek().pos;
      const fields: string[] = [];
      while (this.peek().typ === Item.Field) {
        const f = this.next().val;
        fields.push(f.slice(1));
      }
      const chain: ChainNode = { type: "chain", src: this.src, pos: chainPos, node, field: fields };
      switch (node.type) {
        case "field":
          node = this.newField(chainPos, nodeString(chain));
          break;
        case "variable":
          node = this.newVariable(chainPos, nodeString(chain));
          break;
        case "bool":
        case "string":
        case "number":
        case "nil":
        case "dot":
          this.errorf("unexpected . after term %q", [nodeString(node)]);
          break;
        default:
          node = chain;
      }
    }
    return node;
  }

  term(): Node | null {
    const token = this.nextNonSpace();
    switch (token.typ) {
      case Item.Identifier:
        if (!this.hasFunction(token.val)) this.errorf("function %q not defined", [token.val]);
        return { type: "identifier", src: this.src, pos: token.pos, ident: token.val };
      case Item.Dot:
        return { type: "dot", src: this.src, pos: token.pos };
      case Item.Nil:
        return { type: "nil", src: this.src, pos: token.pos };
      case Item.Variable:
        return this.useVar(token.pos, token.val);
      case Item.Field:
        return this.newField(token.pos, token.val);
      case Item.Bool:
        return { type: "bool", src: this.src, pos: token.pos, value: token.val === "true" };
      case Item.CharConstant:
      case Item.Complex:
      case Item.Number:
        return this.newNumber(token.pos, token.val, token.typ);
      case Item.LeftParen: {
        if (this.stackDepth >= MAX_STACK_DEPTH) this.errorf("max expression depth exceeded");
        this.stackDepth++;
        try {
          return this.pipeline("parenthesized pipeline", Item.RightParen);
        } finally {
          this.stackDepth--;
        }
      }
      case Item.String:
      case Item.RawString: {
        let s: string;
        try {
          s = unquote(token.val);
        } catch (e) {
          this.errorf("%s", [(e as Error).message]);
        }
        return { type: "string", src: this.src, pos: token.pos, quoted: token.val, text: s };
      }
    }
    this.backup();
    return null;
  }

  useVar(pos: number, name: string): Node {
    const v = this.newVariable(pos, name);
    if (this.vars.includes(v.ident[0]!)) return v;
    this.errorf("undefined variable %q", [v.ident[0]!]);
  }

  newList(pos: number): ListNode {
    return { type: "list", src: this.src, pos, nodes: [] };
  }
  newVariable(pos: number, ident: string): VariableNode {
    return { type: "variable", src: this.src, pos, ident: ident.split(".") };
  }
  newField(pos: number, ident: string): FieldNode {
    return { type: "field", src: this.src, pos, ident: ident.slice(1).split(".") };
  }

  newNumber(pos: number, text: string, typ: Item): NumberNode {
    const n: NumberNode = {
      type: "number",
      src: this.src,
      pos,
      text,
      isInt: false,
      isUint: false,
      isFloat: false,
      isComplex: false,
      int64: 0n,
      uint64: 0n,
      float64: 0,
    };
    if (typ === Item.CharConstant) {
      let s: string;
      try {
        s = unquote(text);
      } catch {
        this.errorf("%s", [
          text.length <= 2 || text[1] !== "\\" ? `malformed character constant: ${text}` : "invalid syntax",
        ]);
      }
      const r = s.codePointAt(0) ?? 0;
      n.int64 = BigInt(r);
      n.isInt = true;
      n.uint64 = BigInt(r);
      n.isUint = true;
      n.float64 = r;
      n.isFloat = true;
      return n;
    }
    const simplify = (re: number, im: number): NumberNode => {
      n.isComplex = true;
      n.complex = [re, im];
      if (im === 0) {
        n.isFloat = true;
        n.float64 = re;
        if (Number.isInteger(re) && Math.abs(re) < 2 ** 63) {
          n.isInt = true;
          n.int64 = BigInt(re);
        }
        if (Number.isInteger(re) && re >= 0 && re < 2 ** 64) {
          n.isUint = true;
          n.uint64 = BigInt(re);
        }
      }
      return n;
    };
    if (typ === Item.Complex) {
      const m = /^([+-]?[^+-]*(?:[eEpP][+-][^+-]*)?)([+-].*)i$/.exec(text);
      const re = m ? parseGoFloat(m[1]!) : null, im = m ? parseGoFloat(m[2]!) : null;
      if (re === null || im === null) this.errorf("%s", [`expected integer`]);
      return simplify(re!, im!);
    }
    if (text.endsWith("i")) {
      const f = parseGoFloat(text.slice(0, -1));
      if (f !== null) return simplify(0, f);
    }
    const u = parseGoUint(text, 0);
    if (u !== null) {
      n.isUint = true;
      n.uint64 = u;
    }
    const i = parseGoInt(text, 0);
    if (i !== null) {
      n.isInt = true;
      n.int64 = i;
      if (i === 0n) {
        n.isUint = true;
        n.uint64 = u ?? 0n;
      }
    }
    if (n.isInt) {
      n.isFloat = true;
      n.float64 = Number(n.int64);
    } else if (n.isUint) {
      n.isFloat = true;
      n.float64 = Number(n.uint64);
    } else {
      const f = parseGoFloat(text);
      if (f !== null) {
        if (!/[.eEpP]/.test(text)) this.errorf("integer overflow: %q", [text]);
        n.isFloat = true;
        n.float64 = f;
        if (Number.isInteger(f) && Math.abs(f) < 2 ** 63) {
          n.isInt = true;
          n.int64 = BigInt(f);
        }
        if (Number.isInteger(f) && f >= 0 && f < 2 ** 64) {
          n.isUint = true;
          n.uint64 = BigInt(f);
        }
      }
    }
    if (!n.isInt && !n.isUint && !n.isFloat) this.errorf("illegal number syntax: %q", [text]);
    return n;
  }
}

/**
 * Parses a template the way `template.New(name).Funcs(f).Parse(text)` does and returns the template set (the
 * top-level tree under `name`, plus every `define`/`block`).
 */
export function parseTemplate(
  name: string,
  text: string,
  hasFunction: (name: string) => boolean,
  leftDelim = "{{",
  rightDelim = "}}",
): Map<string, Tree> {
  const src: Source = { text, parseName: name };
  const treeSet = new Map<string, Tree>();
  const t = new TreeParser(name, src);
  const lex = new Lexer(text, leftDelim, rightDelim);
  lex.breakOK = !hasFunction("break");
  lex.continueOK = !hasFunction("continue");
  t.startParse(lex, treeSet, hasFunction);
  t.parse();
  t.add();
  return treeSet;
}
