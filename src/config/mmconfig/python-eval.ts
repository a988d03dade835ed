/**
 * A tree-walking evaluator for the safe subset of Python that OpenMMLab config files are written in.
 *
 * Python is never run and nothing is `eval`ed: the file is parsed with a real Python grammar
 * (`@lezer/python`) and the module-level assignments are interpreted one by one. Everything outside
 * the subset is rejected with an {@link AtoError}:
 *
 * - `PARSE_ERROR`: what Python itself would reject (syntax errors, `name 'x' is not defined`, type
 *   errors such as `'a' - 1`, division by zero, a missing index or key).
 * - `UNSUPPORTED_SYNTAX`: valid Python that a config file may not use here (imports, functions,
 *   lambdas, method calls other than `str.format`, built-ins other than `dict`, `round`, `int` and
 *   `range`, ...).
 *
 * Python's int/float distinction is kept during evaluation (floats are wrapped) so that values
 * formatted into strings print exactly as Python prints them; the returned values are plain JSON-like
 * data: numbers, strings, booleans, `null`, arrays (lists and tuples) and plain objects (dicts).
 */
import type { SyntaxNode } from '@lezer/common';
import type * as LezerPython from '@lezer/python';
import { lazyRequire } from '../../_lazy.js';
import { AtoError, type AtoErrorCode, offsetToLineColumn } from '../../errors.js';

/** The result of evaluating one config file. */
export interface PythonConfig {
  /** The file's config keys (module-level names except `_base_` and `__dunder__` names), as plain data. */
  values: Record<string, unknown>;
  /** The `_base_` value normalised to an array (empty when the file has none). */
  bases: string[];
  /** Where each entry of `bases` is written (1-based line and column), parallel to `bases`. */
  baseLocations: Array<{ line: number; column: number }>;
}

// ---------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------

/** A Python float, kept apart from ints (plain JS numbers) so that it prints the way Python does. */
class PyFloat {
  constructor(readonly value: number) {}
}

/** A Python tuple: an array in the result, but `(1, 2)` when printed. */
class PyTuple {
  constructor(readonly items: PyValue[]) {}
}

type DictKey = string | number | boolean | null;
type PyDict = Map<DictKey, PyValue>;
type PyValue = null | boolean | number | string | PyFloat | PyTuple | PyValue[] | PyDict;

/** A failure raised by a helper that has no node at hand; the evaluator adds the location. */
class PyFail {
  constructor(
    readonly code: AtoErrorCode,
    readonly detail: string,
    readonly hint: string = PYTHON_ERROR_HINT,
  ) {}
}

interface Scope {
  vars: Map<string, PyValue>;
  parent: Scope | undefined;
}

const DEFAULT_HINT =
  'config files are evaluated without running Python: use literals, dict(...), arithmetic and names assigned earlier in the file';
const NAME_HINT =
  'assign the name earlier in the same file; values inherited from _base_ files cannot be referenced by name';
const SYNTAX_HINT = 'fix the Python syntax at this position';
const PYTHON_ERROR_HINT = 'fix the value: Python itself would raise this error when running the file';
/** Upper bound on the length of lists and strings built by `*`, `range` and comprehensions. */
const MAX_ITEMS = 10_000_000;

/** The built-ins that config files may call. */
const SUPPORTED_BUILTINS = new Set(['dict', 'round', 'int', 'range']);

/** Python's other built-in names: using one is unsupported rather than undefined. */
const PYTHON_BUILTINS = new Set(
  (
    'abs aiter all anext any ascii bin bool breakpoint bytearray bytes callable chr classmethod compile ' +
    'complex copyright credits delattr dir divmod enumerate eval exec exit filter float format frozenset ' +
    'getattr globals hasattr hash help hex id input isinstance issubclass iter len license list locals map ' +
    'max memoryview min next object oct open ord pow print property quit repr reversed set setattr slice ' +
    'sorted staticmethod str sum super tuple type vars zip __import__ __build_class__ __name__ __file__ ' +
    '__doc__ __spec__ __loader__ __package__ __builtins__ NotImplemented Ellipsis BaseException Exception'
  ).split(' '),
);

/** Lezer node names of constructs outside the subset, with the words used in messages. */
const UNSUPPORTED_NODES = new Map<string, string>([
  ['LambdaExpression', 'lambda expressions'],
  ['FunctionDefinition', 'function definitions'],
  ['ClassDefinition', 'class definitions'],
  ['DecoratedStatement', 'decorators'],
  ['ImportStatement', 'import statements'],
  ['IfStatement', 'if statements'],
  ['ForStatement', 'for loops'],
  ['WhileStatement', 'while loops'],
  ['WithStatement', 'with statements'],
  ['TryStatement', 'try statements'],
  ['MatchStatement', 'match statements'],
  ['UpdateStatement', 'augmented assignments (+=, -=, ...)'],
  ['DeleteStatement', 'del statements'],
  ['ScopeStatement', 'global and nonlocal statements'],
  ['AssertStatement', 'assert statements'],
  ['RaiseStatement', 'raise statements'],
  ['ReturnStatement', 'return statements'],
  ['YieldStatement', 'yield statements'],
  ['BreakStatement', 'break statements'],
  ['ContinueStatement', 'continue statements'],
  ['PrintStatement', 'print statements'],
  ['TypeDefinition', 'type alias statements'],
  ['YieldExpression', 'yield expressions'],
  ['AwaitExpression', 'await expressions'],
  ['NamedExpression', 'assignment expressions (:=)'],
  ['SetExpression', 'set literals'],
  ['SetComprehensionExpression', 'set comprehensions'],
  ['DictionaryComprehensionExpression', 'dict comprehensions'],
  ['ComprehensionExpression', 'generator expressions'],
  ['Ellipsis', 'Ellipsis literals (...)'],
  ['TypeDef', 'type annotations'],
]);

// ---------------------------------------------------------------------------------------------
// Entry point
// ---------------------------------------------------------------------------------------------

/**
 * Evaluate one OpenMMLab-style Python config file without running Python.
 *
 * Module-level assignments are evaluated in order; `values` holds every assigned name except `_base_`
 * and names starting with `__`, converted to plain data (tuples become arrays, floats plain numbers).
 * `bases` is the `_base_` value normalised to an array. Inheritance is not applied here (see
 * `loadMmConfigFile`).
 *
 * @param source The file's text.
 * @param file The file's path, used in error locations only.
 * @throws {AtoError} `PARSE_ERROR` for invalid Python or a Python-level error (undefined name, type
 *   error, ...); `UNSUPPORTED_SYNTAX` for valid Python outside the supported subset.
 *
 * @example
 * ```ts
 * evaluatePythonConfig("_base_ = './base.py'\nlr = 0.1 * 2\nmodel = dict(depth=50)", 'conf.py');
 * // { values: { lr: 0.2, model: { depth: 50 } }, bases: ['./base.py'], baseLocations: [...] }
 * ```
 */
export function evaluatePythonConfig(source: string, file: string): PythonConfig {
  return new Evaluator(source, file).run();
}

// ---------------------------------------------------------------------------------------------
// Source pre-scan: brackets, unterminated strings and `1.` floats (which @lezer/python misreads)
// ---------------------------------------------------------------------------------------------

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isIdentStart = (c: number): boolean =>
  (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c >= 128;
const isIdentPart = (c: number): boolean => isIdentStart(c) || isDigit(c);
const STRING_PREFIX = /^(?:[rRbBuUfF]|[rR][bBfF]|[bBfF][rR])$/;
const CLOSER_OF: Record<string, string> = { '(': ')', '[': ']', '{': '}' };

interface Prepared {
  /** The text given to the parser. */
  text: string;
  /** Offsets in `text` of the `0` digits inserted after `1.`-style floats, ascending. */
  inserted: number[];
}

/** Stands for the `=` of a format spec starting with `:=` (lezer reads `:=` as the walrus operator). */
const SPEC_EQUALS = '\u0001';

/**
 * Scan the source like Python's tokenizer does for brackets and strings (including the replacement
 * fields of f-strings), failing on the errors it reports, and work around two misreadings of
 * `@lezer/python`: `1.` becomes `1.0`, and the `=` of a `{x:=^9}` format spec is masked.
 */
function prepareSource(src: string, fail: (offset: number, detail: string) => never): Prepared {
  const n = src.length;
  const inserts: number[] = [];
  const masked: number[] = [];

  const unterminated = (start: number, triple: boolean, at: number): never =>
    fail(
      start,
      `unterminated ${triple ? 'triple-quoted ' : ''}string literal (detected at line ${offsetToLineColumn(src, at).line})`,
    );

  const skipString = (start: number, quotePos: number): number => {
    const fstring = /f/i.test(src.slice(start, quotePos));
    const q = src.charCodeAt(quotePos);
    const triple = src.charCodeAt(quotePos + 1) === q && src.charCodeAt(quotePos + 2) === q;
    let j = quotePos + (triple ? 3 : 1);
    for (;;) {
      if (j >= n) unterminated(start, triple, n);
      const c = src.charCodeAt(j);
      if (c === 92) {
        j += 2;
        continue;
      }
      if (c === q && (!triple || (src.charCodeAt(j + 1) === q && src.charCodeAt(j + 2) === q))) {
        return j + (triple ? 3 : 1);
      }
      if (c === 10 && !triple) unterminated(start, triple, j);
      if (fstring && (c === 123 || c === 125)) {
        if (src.charCodeAt(j + 1) === c) j += 2;
        else if (c === 123) j = scanField(j + 1, q);
        else fail(j, "f-string: single '}' is not allowed");
        continue;
      }
      j++;
    }
  };

  /** A replacement field of an f-string, after its `{`: expression, conversion, spec, `}`. */
  const scanField = (start: number, quote: number): number => {
    let j = scanCode(start, true);
    if (src[j] === '!') j += 2;
    if (src[j] === ':') {
      if (src[j + 1] === '=') masked.push(j + 1);
      // The spec, possibly with nested fields, up to the closing brace
      j++;
      while (j < n && src.charCodeAt(j) !== quote) {
        const c = src[j]!;
        if (c === '}') return j + 1;
        j = c === '{' ? scanField(j + 1, quote) : j + 1;
      }
      return j;
    }
    return src[j] === '}' ? j + 1 : j;
  };

  const skipDigits = (j: number): number => {
    while (j < n && (isDigit(src.charCodeAt(j)) || src.charCodeAt(j) === 95)) j++;
    return j;
  };

  const scanNumber = (start: number): number => {
    let j = start;
    if (src[j] === '0' && /[xXoObB]/.test(src[j + 1] ?? '')) {
      j += 2;
      while (j < n && /[0-9a-zA-Z_]/.test(src[j]!)) j++;
      return j;
    }
    j = skipDigits(j);
    if (src[j] === '.') {
      if (isDigit(src.charCodeAt(j + 1))) j = skipDigits(j + 1);
      else if (j > start) {
        // `1.` is a float in Python: make it `1.0` for the parser
        inserts.push(j + 1);
        j++;
      }
    }
    const e = src[j];
    if (e === 'e' || e === 'E') {
      const s = src[j + 1];
      if (isDigit(src.charCodeAt(j + 1))) j = skipDigits(j + 1);
      else if ((s === '+' || s === '-') && isDigit(src.charCodeAt(j + 2))) j = skipDigits(j + 2);
    }
    if (src[j] === 'j' || src[j] === 'J') j++;
    return j;
  };

  /**
   * Code up to the end of the file, or (in a replacement field) up to the `}`, `:` or `!` that ends
   * the field's expression.
   */
  const scanCode = (start: number, field: boolean): number => {
    const stack: number[] = [];
    let i = start;
    while (i < n) {
      const c = src.charCodeAt(i);
      if (c === 35) {
        // comment
        while (i < n && src.charCodeAt(i) !== 10) i++;
      } else if (c === 34 || c === 39) {
        i = skipString(i, i);
      } else if (isIdentStart(c)) {
        let j = i + 1;
        while (j < n && isIdentPart(src.charCodeAt(j))) j++;
        const next = src.charCodeAt(j);
        i = (next === 34 || next === 39) && STRING_PREFIX.test(src.slice(i, j)) ? skipString(i, j) : j;
      } else if (isDigit(c) || (c === 46 && isDigit(src.charCodeAt(i + 1)))) {
        i = scanNumber(i);
      } else {
        const ch = src[i]!;
        if (field && stack.length === 0 && (ch === '}' || ch === ':' || (ch === '!' && src[i + 1] !== '='))) {
          return i;
        }
        if (ch === '(' || ch === '[' || ch === '{') stack.push(i);
        else if (ch === ')' || ch === ']' || ch === '}') {
          const open = stack.pop();
          if (open === undefined) fail(i, `unmatched '${ch}'`);
          const opener = src[open]!;
          if (CLOSER_OF[opener] !== ch) {
            fail(i, `closing parenthesis '${ch}' does not match opening parenthesis '${opener}'`);
          }
        }
        i++;
      }
    }
    const unclosed = stack.pop();
    if (unclosed !== undefined) fail(unclosed, `'${src[unclosed]}' was never closed`);
    return i;
  };

  scanCode(0, false);
  if (inserts.length === 0 && masked.length === 0) return { text: src, inserted: [] };
  let text = src;
  if (masked.length > 0) {
    const chars = text.split('');
    for (const at of masked) chars[at] = SPEC_EQUALS;
    text = chars.join('');
  }
  if (inserts.length === 0) return { text, inserted: [] };
  let out = '';
  let from = 0;
  const inserted: number[] = [];
  for (const [k, at] of inserts.entries()) {
    out += `${text.slice(from, at)}0`;
    inserted.push(at + k);
    from = at;
  }
  return { text: out + text.slice(from), inserted };
}

// ---------------------------------------------------------------------------------------------
// The evaluator
// ---------------------------------------------------------------------------------------------

/** Children of a node, without comments. */
function childrenOf(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = node.firstChild; c; c = c.nextSibling) if (c.name !== 'Comment') out.push(c);
  return out;
}

/** Keywords after which an expression is expected (for syntax error messages). */
const EXPECTS_EXPRESSION = new Set([
  'not',
  'and',
  'or',
  'in',
  'is',
  'if',
  'else',
  'for',
  'lambda',
  'return',
  'yield',
  'await',
]);
const CLOSER_OF_NODE = new Map([
  ['ArgList', ')'],
  ['ParenthesizedExpression', ')'],
  ['TupleExpression', ')'],
  ['ComprehensionExpression', ')'],
  ['ArrayExpression', ']'],
  ['ArrayComprehensionExpression', ']'],
  ['MemberExpression', ']'],
  ['DictionaryExpression', '}'],
  ['DictionaryComprehensionExpression', '}'],
  ['SetExpression', '}'],
]);

class Evaluator {
  /** Source with newlines normalised, used for locations. */
  private readonly source: string;
  /** Text given to the parser (the source with `1.` floats completed). */
  private text = '';
  private inserted: number[] = [];
  private readonly module: Scope = { vars: new Map(), parent: undefined };
  private baseNode: SyntaxNode | undefined;

  constructor(
    source: string,
    private readonly file: string,
  ) {
    this.source = source.includes('\r') ? source.replace(/\r\n?/g, '\n') : source;
  }

  run(): PythonConfig {
    const prepared = prepareSource(this.source, (offset, detail) => {
      throw this.errorAtSource('PARSE_ERROR', offset, `invalid syntax: ${detail}`, SYNTAX_HINT);
    });
    this.text = prepared.text;
    this.inserted = prepared.inserted;
    // the grammar loads on the first Python config read, not when the core is imported
    const tree = lazyRequire<typeof LezerPython>('@lezer/python').parser.parse(this.text);
    // Any error node is a syntax error: report the first one
    let bad: SyntaxNode | undefined;
    tree.iterate({
      enter: (ref) => {
        if (bad) return false;
        if (ref.type.isError) {
          bad = ref.node;
          return false;
        }
        return undefined;
      },
    });
    if (bad) throw this.syntaxError(bad);
    for (const statement of childrenOf(tree.topNode)) this.statement(statement);
    return this.result();
  }

  private result(): PythonConfig {
    const values: Record<string, unknown> = {};
    for (const [name, value] of this.module.vars) {
      if (name === '_base_' || name.startsWith('__')) continue;
      setOwn(values, name, toPlain(value));
    }
    const bases: string[] = [];
    const baseLocations: Array<{ line: number; column: number }> = [];
    if (this.module.vars.has('_base_')) {
      const raw = this.module.vars.get('_base_') ?? null;
      const node = this.baseNode!;
      const list =
        typeof raw === 'string'
          ? [raw]
          : Array.isArray(raw)
            ? raw
            : raw instanceof PyTuple
              ? raw.items
              : undefined;
      if (!list || list.some((b) => typeof b !== 'string')) {
        throw this.error(
          'PARSE_ERROR',
          node.from,
          `_base_ must be a string or a list of strings, not ${describeType(raw)}`,
          "write _base_ = '../path/to/base.py' or a list of such paths",
        );
      }
      // Point at each list element when _base_ is written as a literal list
      const elements = ['ArrayExpression', 'TupleExpression'].includes(node.name)
        ? childrenOf(node).filter((c) => !['[', ']', '(', ')', ','].includes(c.name))
        : [];
      for (const [i, base] of list.entries()) {
        bases.push(base as string);
        const at = elements.length === list.length ? elements[i]!.from : node.from;
        baseLocations.push(this.lineColumn(at));
      }
    }
    return { values, bases, baseLocations };
  }

  // -- errors -----------------------------------------------------------------------------------

  /** Map an offset in the parsed text back to the source. */
  private toSource(offset: number): number {
    let shift = 0;
    for (const at of this.inserted) {
      if (at < offset) shift++;
      else break;
    }
    return offset - shift;
  }

  private lineColumn(offset: number): { line: number; column: number } {
    return offsetToLineColumn(this.source, this.toSource(offset));
  }

  private error(code: AtoErrorCode, offset: number, detail: string, hint?: string): AtoError {
    const fix = hint ?? (code === 'PARSE_ERROR' ? PYTHON_ERROR_HINT : DEFAULT_HINT);
    return this.errorAtSource(code, this.toSource(offset), detail, fix);
  }

  private errorAtSource(code: AtoErrorCode, offset: number, detail: string, hint?: string): AtoError {
    const { line, column } = offsetToLineColumn(this.source, offset);
    return new AtoError(code, detail, { location: { file: this.file, line, column }, hint });
  }

  private unsupported(node: SyntaxNode, detail: string, hint = DEFAULT_HINT): never {
    throw this.error('UNSUPPORTED_SYNTAX', node.from, detail, hint);
  }

  private unsupportedNode(node: SyntaxNode): never {
    const what = UNSUPPORTED_NODES.get(node.name);
    if (what) this.unsupported(node, `${what} are not supported in config files`);
    const snippet = this.slice(node).split('\n')[0]!.slice(0, 40);
    this.unsupported(node, `'${snippet}' (${node.name}) is not supported in config files`);
  }

  /** Describe a lezer error node as "expected X, found Y". */
  private syntaxError(bad: SyntaxNode): AtoError {
    let at = bad.from;
    let found: string;
    if (bad.to > bad.from) {
      found = `'${this.text.slice(bad.from, bad.to).split('\n')[0]!.trim().slice(0, 30)}'`;
    } else {
      while (at < this.text.length && /[ \t\f]/.test(this.text[at]!)) at++;
      const rest = this.text.slice(at);
      if (rest === '') found = 'end of file';
      else if (rest[0] === '\n') found = 'end of line';
      else found = `'${/^(?:[\w.]+|\S)/u.exec(rest)![0]}'`;
    }
    // What comes before the error: an operator or opener wants an expression, anything else ended one
    let back = bad.from - 1;
    while (back >= 0 && /\s/.test(this.text[back]!)) back--;
    const before = back < 0 ? '' : this.text[back]!;
    const word = /\w+$/u.exec(this.text.slice(Math.max(0, back - 20), back + 1))?.[0] ?? '';
    let expected: string;
    if (before === '.') expected = 'an attribute name';
    else if (before === '' || /[([{,:=+\-*/%@<>!&|^~]/.test(before) || EXPECTS_EXPRESSION.has(word)) {
      expected = before === '' ? 'a statement' : 'an expression';
    } else {
      // Inside brackets, the innermost real one (lezer's recovery may invent others)
      let closer: string | undefined;
      for (let n: SyntaxNode | null = bad.parent; n && !closer; n = n.parent) {
        const c = CLOSER_OF_NODE.get(n.name);
        const opener = this.text[n.name === 'MemberExpression' ? (n.firstChild?.to ?? n.from) : n.from];
        if (c && opener && CLOSER_OF[opener] === c) closer = c;
      }
      expected = closer ? `',' or '${closer}'` : 'end of line';
    }
    return this.error('PARSE_ERROR', at, `invalid syntax: expected ${expected}, found ${found}`, SYNTAX_HINT);
  }

  // -- statements -------------------------------------------------------------------------------

  private slice(node: SyntaxNode): string {
    return this.text.slice(node.from, node.to);
  }

  private statement(node: SyntaxNode): void {
    // A module-level statement must start its line
    let i = node.from - 1;
    while (i >= 0 && (this.text[i] === ' ' || this.text[i] === '\t' || this.text[i] === '\f')) i--;
    if (i < node.from - 1 && (i < 0 || this.text[i] === '\n')) {
      throw this.error('PARSE_ERROR', node.from, 'invalid syntax: unexpected indent', SYNTAX_HINT);
    }
    this.simpleStatement(node);
  }

  private simpleStatement(node: SyntaxNode): void {
    switch (node.name) {
      case 'StatementGroup':
        // a = 1; b = 2
        for (const kid of childrenOf(node)) if (kid.name !== ';') this.simpleStatement(kid);
        return;
      case 'AssignStatement':
        this.assign(node);
        return;
      case 'ExpressionStatement': {
        const kids = childrenOf(node);
        // A docstring (a bare string literal) is allowed and ignored
        if (kids.length === 1 && (kids[0]!.name === 'String' || kids[0]!.name === 'ContinuedString')) {
          this.evalExpr(kids[0]!, this.module);
          return;
        }
        const first = kids[0] ?? node;
        if (first.name !== 'CallExpression' && UNSUPPORTED_NODES.has(first.name)) this.unsupportedNode(first);
        this.unsupported(
          node,
          `expression statements ('${this.slice(node).split('\n')[0]!.slice(0, 40)}') are not supported in config files`,
          'a config file may only assign values: write name = value',
        );
        return;
      }
      case 'PassStatement':
      case ';':
        return;
      default:
        this.unsupportedNode(node);
    }
  }

  private assign(node: SyntaxNode): void {
    const groups: SyntaxNode[][] = [[]];
    for (const kid of childrenOf(node)) {
      if (kid.name === 'TypeDef')
        this.unsupported(kid, 'annotated assignments are not supported in config files');
      if (kid.name === 'AssignOp') {
        if (this.slice(kid) !== '=') this.unsupportedNode(kid);
        groups.push([]);
      } else groups[groups.length - 1]!.push(kid);
    }
    const valueNodes = groups.pop()!;
    for (const target of groups) for (const n of target) this.checkTarget(n);
    const value = this.evalSequence(valueNodes, this.module);
    for (const target of groups) {
      this.bind(target, value, this.module);
      // Remember where _base_ is written, to locate errors about its entries
      if (target.length === 1 && target[0]!.name === 'VariableName' && this.slice(target[0]!) === '_base_') {
        this.baseNode = valueNodes.length === 1 ? valueNodes[0]! : target[0]!;
      }
    }
  }

  /** Reject what cannot be assigned to, before the value is evaluated (as Python's compiler does). */
  private checkTarget(node: SyntaxNode): void {
    switch (node.name) {
      case 'VariableName':
      case ',':
        return;
      case '*':
        this.unsupported(node, 'starred assignment targets are not supported in config files');
        return;
      case 'TupleExpression':
      case 'ArrayExpression':
      case 'ParenthesizedExpression':
        for (const kid of childrenOf(node).slice(1, -1)) this.checkTarget(kid);
        return;
      case 'MemberExpression':
        this.unsupported(node, 'assignments to subscripts or attributes are not supported in config files');
        return;
      default:
        throw this.error(
          'PARSE_ERROR',
          node.from,
          `invalid syntax: cannot assign to ${this.slice(node).split('\n')[0]!.slice(0, 30)}`,
          SYNTAX_HINT,
        );
    }
  }

  /** Bind a target (nodes of one side of `=`, or of a `for` target) to a value. */
  private bind(target: SyntaxNode[], value: PyValue, scope: Scope): void {
    if (target.some((n) => n.name === ',')) {
      this.unpack(target, value, scope);
      return;
    }
    const node = target[0]!;
    switch (node.name) {
      case 'VariableName': {
        const name = this.slice(node);
        scope.vars.set(name, value);
        if (name === '_base_' && scope === this.module) this.baseNode = node;
        return;
      }
      case 'TupleExpression':
      case 'ArrayExpression':
        this.unpack(childrenOf(node).slice(1, -1), value, scope);
        return;
      case 'ParenthesizedExpression':
        this.bind(childrenOf(node).slice(1, -1), value, scope);
        return;
      case 'MemberExpression':
        this.unsupported(node, 'assignments to subscripts or attributes are not supported in config files');
        return;
      default:
        throw this.error(
          'PARSE_ERROR',
          node.from,
          `invalid syntax: cannot assign to ${this.slice(node).slice(0, 30)}`,
          SYNTAX_HINT,
        );
    }
  }

  private unpack(nodes: SyntaxNode[], value: PyValue, scope: Scope): void {
    const targets: SyntaxNode[] = [];
    for (const n of nodes) {
      if (n.name === '*') this.unsupported(n, 'starred assignment targets are not supported in config files');
      if (n.name !== ',') targets.push(n);
    }
    const items = this.wrap(nodes[0] ?? null, () => iterate(value));
    if (items.length !== targets.length) {
      const detail =
        items.length > targets.length
          ? `too many values to unpack (expected ${targets.length})`
          : `not enough values to unpack (expected ${targets.length}, got ${items.length})`;
      throw this.error('PARSE_ERROR', nodes[0]?.from ?? 0, detail);
    }
    for (const [i, t] of targets.entries()) this.bind([t], items[i]!, scope);
  }

  // -- expressions ------------------------------------------------------------------------------

  /** Run a helper, turning its {@link PyFail} into an error located at `node`. */
  private wrap<T>(node: SyntaxNode | null, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof PyFail) throw this.error(e.code, node?.from ?? 0, e.detail, e.hint);
      throw e;
    }
  }

  private evalExpr(node: SyntaxNode, scope: Scope): PyValue {
    try {
      return this.evalNode(node, scope);
    } catch (e) {
      if (e instanceof PyFail) throw this.error(e.code, node.from, e.detail, e.hint);
      throw e;
    }
  }

  /** Evaluate `a`, or `a, b, *c` as a tuple. */
  private evalSequence(nodes: SyntaxNode[], scope: Scope): PyValue {
    if (nodes.length === 1) return this.evalExpr(nodes[0]!, scope);
    return new PyTuple(this.evalItems(nodes, scope));
  }

  /** Evaluate comma-separated items with `*x` unpacking (brackets already removed). */
  private evalItems(nodes: SyntaxNode[], scope: Scope): PyValue[] {
    const out: PyValue[] = [];
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i]!;
      if (node.name === ',') continue;
      if (node.name === '*') {
        const next = nodes[++i]!;
        const value = this.evalExpr(next, scope);
        for (const item of this.wrap(next, () => iterate(value))) out.push(item);
      } else out.push(this.evalExpr(node, scope));
    }
    return out;
  }

  private evalNode(node: SyntaxNode, scope: Scope): PyValue {
    switch (node.name) {
      case 'Number':
        return parseNumber(this.slice(node));
      case 'String':
        return decodeStringLiteral(this.slice(node)).value;
      case 'FormatString':
        return this.formatString(node, scope);
      case 'ContinuedString': {
        let out = '';
        for (const part of childrenOf(node)) out += this.evalExpr(part, scope) as string;
        return out;
      }
      case 'Boolean':
        return this.slice(node) === 'True';
      case 'None':
        return null;
      case 'VariableName':
        return this.lookup(node, scope);
      case 'ParenthesizedExpression': {
        const inner = childrenOf(node).slice(1, -1);
        if (inner.length !== 1) this.unsupportedNode(node);
        return this.evalExpr(inner[0]!, scope);
      }
      case 'TupleExpression':
        return new PyTuple(this.evalItems(childrenOf(node).slice(1, -1), scope));
      case 'ArrayExpression':
        return this.evalItems(childrenOf(node).slice(1, -1), scope);
      case 'DictionaryExpression':
        return this.dictLiteral(node, scope);
      case 'ArrayComprehensionExpression':
        return this.comprehension(node, scope);
      case 'CallExpression':
        return this.call(node, scope);
      case 'MemberExpression':
        return this.member(node, scope);
      case 'UnaryExpression':
        return this.unary(node, scope);
      case 'BinaryExpression':
        return this.binary(node, scope);
      case 'ConditionalExpression': {
        const [then, , cond, , otherwise] = childrenOf(node);
        return truthy(this.evalExpr(cond!, scope))
          ? this.evalExpr(then!, scope)
          : this.evalExpr(otherwise!, scope);
      }
      default:
        return this.unsupportedNode(node);
    }
  }

  private lookup(node: SyntaxNode, scope: Scope): PyValue {
    const name = this.slice(node);
    for (let s: Scope | undefined = scope; s; s = s.parent) {
      const value = s.vars.get(name);
      if (value !== undefined || s.vars.has(name)) return value ?? null;
    }
    if (SUPPORTED_BUILTINS.has(name)) {
      this.unsupported(
        node,
        `the built-in '${name}' can only be called in config files, not used as a value`,
      );
    }
    if (PYTHON_BUILTINS.has(name)) {
      this.unsupported(node, `the built-in '${name}' is not supported in config files`);
    }
    if (name === '_base_') {
      throw this.error(
        'PARSE_ERROR',
        node.from,
        "name '_base_' is not defined",
        'assign _base_ before using it',
      );
    }
    throw this.error('PARSE_ERROR', node.from, `name '${name}' is not defined`, NAME_HINT);
  }

  private isBound(name: string, scope: Scope): boolean {
    for (let s: Scope | undefined = scope; s; s = s.parent) if (s.vars.has(name)) return true;
    return false;
  }

  private dictLiteral(node: SyntaxNode, scope: Scope): PyValue {
    const kids = childrenOf(node).slice(1, -1);
    const out: PyDict = new Map();
    for (let i = 0; i < kids.length; i++) {
      const kid = kids[i]!;
      if (kid.name === ',') continue;
      if (kid.name === '**') {
        const src = kids[++i]!;
        const value = this.evalExpr(src, scope);
        if (!(value instanceof Map)) {
          throw this.error('PARSE_ERROR', src.from, `'${typeName(value)}' object is not a mapping`);
        }
        for (const [k, v] of value) out.set(k, v);
        continue;
      }
      const key = this.wrap(kid, () => toKey(this.evalExpr(kid, scope)));
      const valueNode = kids[i + 2]!;
      out.set(key, this.evalExpr(valueNode, scope));
      i += 2;
    }
    return out;
  }

  private comprehension(node: SyntaxNode, scope: Scope): PyValue {
    const kids = childrenOf(node).slice(1, -1);
    const element = kids[0]!;
    type Clause = { kind: 'for'; target: SyntaxNode[]; iter: SyntaxNode } | { kind: 'if'; cond: SyntaxNode };
    const clauses: Clause[] = [];
    for (let i = 1; i < kids.length; ) {
      const kid = kids[i]!;
      if (kid.name === 'for') {
        const target: SyntaxNode[] = [];
        i++;
        while (i < kids.length && kids[i]!.name !== 'in') target.push(kids[i++]!);
        clauses.push({ kind: 'for', target, iter: kids[i + 1]! });
        i += 2;
      } else if (kid.name === 'if') {
        clauses.push({ kind: 'if', cond: kids[i + 1]! });
        i += 2;
      } else this.unsupported(kid, `'${this.slice(kid)}' in a list comprehension is not supported`);
    }
    // The comprehension's own scope: loop variables do not leak
    const inner: Scope = { vars: new Map(), parent: scope };
    const out: PyValue[] = [];
    const run = (index: number): void => {
      const clause = clauses[index];
      if (!clause) {
        if (out.length >= MAX_ITEMS)
          this.unsupported(node, 'list comprehensions with more than 10,000,000 items');
        out.push(this.evalExpr(element, inner));
        return;
      }
      if (clause.kind === 'if') {
        if (truthy(this.evalExpr(clause.cond, inner))) run(index + 1);
        return;
      }
      const iterable = this.evalExpr(clause.iter, inner);
      for (const item of this.wrap(clause.iter, () => iterate(iterable))) {
        this.bind(clause.target, item, inner);
        run(index + 1);
      }
    };
    run(0);
    return out;
  }

  private member(node: SyntaxNode, scope: Scope): PyValue {
    const kids = childrenOf(node);
    const objectNode = kids[0]!;
    if (kids[1]?.name === '.') {
      const hint = /^_base_\b/.test(this.slice(node))
        ? 'values inherited from _base_ files cannot be referenced; repeat the value in this file'
        : DEFAULT_HINT;
      this.unsupported(
        node,
        `attribute access ('${this.slice(node).slice(0, 40)}') is not supported in config files`,
        hint,
      );
    }
    const object = this.evalExpr(objectNode, scope);
    const inner = kids.slice(2, -1);
    if (inner.some((k) => k.name === ':')) {
      if (inner.some((k) => k.name === ',')) {
        this.unsupported(node, 'multi-dimensional slicing is not supported in config files');
      }
      const slots: Array<SyntaxNode | undefined> = [undefined, undefined, undefined];
      let slot = 0;
      for (const k of inner) {
        if (k.name === ':') slot++;
        else slots[slot] = k;
      }
      const bounds = slots.map((s) => (s ? this.evalExpr(s, scope) : null));
      return this.wrap(inner[0] ?? node, () => sliceValue(object, bounds[0]!, bounds[1]!, bounds[2]!));
    }
    const index = this.evalSequence(inner, scope);
    return this.wrap(inner[0] ?? node, () => subscript(object, index));
  }

  private unary(node: SyntaxNode, scope: Scope): PyValue {
    const [op, operandNode] = childrenOf(node);
    const operand = this.evalExpr(operandNode!, scope);
    const symbol = this.slice(op!);
    if (symbol === 'not') return !truthy(operand);
    if (op!.name === 'BitOp')
      this.unsupported(op!, 'bitwise operators (~) are not supported in config files');
    if (!isNumeric(operand)) {
      throw this.error(
        'PARSE_ERROR',
        op!.from,
        `bad operand type for unary ${symbol}: '${typeName(operand)}'`,
      );
    }
    if (operand instanceof PyFloat) return symbol === '-' ? new PyFloat(-operand.value) : operand;
    const n = Number(operand);
    return symbol === '-' ? (n === 0 ? 0 : -n) : n;
  }

  private binary(node: SyntaxNode, scope: Scope): PyValue {
    const kids = childrenOf(node);
    const left = kids[0]!;
    const right = kids[kids.length - 1]!;
    const ops = kids.slice(1, -1);
    const op = ops.map((o) => this.slice(o)).join(' ');
    const opNode = ops[0]!;
    if (op === 'and' || op === 'or') {
      const l = this.evalExpr(left, scope);
      if (truthy(l) === (op === 'or')) return l;
      return this.evalExpr(right, scope);
    }
    if (isComparison(ops)) {
      // a < b < c means a < b and b < c
      const operands: SyntaxNode[] = [right];
      const operators: string[] = [op];
      let first = left;
      while (first.name === 'BinaryExpression') {
        const k = childrenOf(first);
        const o = k.slice(1, -1);
        if (!isComparison(o)) break;
        operands.unshift(k[k.length - 1]!);
        operators.unshift(o.map((x) => this.slice(x)).join(' '));
        first = k[0]!;
      }
      let prev = this.evalExpr(first, scope);
      for (const [i, operand] of operands.entries()) {
        const next = this.evalExpr(operand, scope);
        if (!this.wrap(opNode, () => compare(operators[i]!, prev, next))) return false;
        prev = next;
      }
      return true;
    }
    if (opNode.name === 'BitOp') {
      this.unsupported(opNode, `bitwise operators (${op}) are not supported in config files`);
    }
    const l = this.evalExpr(left, scope);
    const r = this.evalExpr(right, scope);
    if (op === '@')
      this.unsupported(opNode, 'the matrix multiplication operator (@) is not supported in config files');
    return this.wrap(opNode, () => arithmetic(op, l, r));
  }

  // -- calls ------------------------------------------------------------------------------------

  private call(node: SyntaxNode, scope: Scope): PyValue {
    const [callee, argList] = childrenOf(node);
    if (callee!.name === 'MemberExpression') {
      const parts = childrenOf(callee!);
      if (parts[1]?.name === '.') {
        const method = this.slice(parts[2]!);
        if (method !== 'format') {
          this.unsupported(
            callee!,
            `method calls ('.${method}()') are not supported in config files`,
            "only str.format() can be called on a value, e.g. '{}-{}'.format(a, b)",
          );
        }
        const object = this.evalExpr(parts[0]!, scope);
        if (typeof object !== 'string') {
          throw this.error(
            'PARSE_ERROR',
            parts[2]!.from,
            `'${typeName(object)}' object has no attribute 'format'`,
          );
        }
        const { args, kwargs } = this.args(argList!, scope);
        return this.wrap(callee!, () => formatTemplate(object, args, kwargs));
      }
    }
    if (callee!.name === 'VariableName') {
      const name = this.slice(callee!);
      if (!this.isBound(name, scope) && SUPPORTED_BUILTINS.has(name)) {
        const { args, kwargs } = this.args(argList!, scope);
        return this.wrap(node, () => callBuiltin(name, args, kwargs));
      }
      if (!this.isBound(name, scope) && PYTHON_BUILTINS.has(name)) {
        this.unsupported(
          callee!,
          `the built-in function ${name}() is not supported in config files`,
          'the supported built-ins are dict(), round(), int() and range()',
        );
      }
    }
    const value = this.evalExpr(callee!, scope);
    throw this.error('PARSE_ERROR', callee!.from, `'${typeName(value)}' object is not callable`);
  }

  private args(argList: SyntaxNode, scope: Scope): { args: PyValue[]; kwargs: Map<string, PyValue> } {
    const kids = childrenOf(argList).filter((k) => k.name !== '(' && k.name !== ')' && k.name !== ',');
    const forNode = kids.find((k) => k.name === 'for');
    if (forNode) this.unsupported(forNode, 'generator expressions are not supported in config files');
    const args: PyValue[] = [];
    const kwargs = new Map<string, PyValue>();
    const literal = new Set<string>();
    let keywordSeen: 'keyword' | 'unpacking' | undefined;
    for (let i = 0; i < kids.length; i++) {
      const kid = kids[i]!;
      if (kid.name === '*') {
        const src = kids[++i]!;
        const value = this.evalExpr(src, scope);
        args.push(...this.wrap(src, () => iterate(value)));
      } else if (kid.name === '**') {
        const src = kids[++i]!;
        const value = this.evalExpr(src, scope);
        if (!(value instanceof Map)) {
          throw this.error(
            'PARSE_ERROR',
            src.from,
            `argument after ** must be a mapping, not ${typeName(value)}`,
          );
        }
        for (const [k, v] of value) {
          if (typeof k !== 'string') throw this.error('PARSE_ERROR', src.from, 'keywords must be strings');
          if (kwargs.has(k)) {
            throw this.error('PARSE_ERROR', src.from, `got multiple values for keyword argument '${k}'`);
          }
          kwargs.set(k, v);
        }
        keywordSeen = 'unpacking';
      } else if (kids[i + 1]?.name === 'AssignOp') {
        const name = this.slice(kid);
        if (literal.has(name)) {
          throw this.error(
            'PARSE_ERROR',
            kid.from,
            `invalid syntax: keyword argument repeated: ${name}`,
            SYNTAX_HINT,
          );
        }
        literal.add(name);
        const value = this.evalExpr(kids[i + 2]!, scope);
        if (kwargs.has(name)) {
          throw this.error('PARSE_ERROR', kid.from, `got multiple values for keyword argument '${name}'`);
        }
        kwargs.set(name, value);
        keywordSeen ??= 'keyword';
        i += 2;
      } else {
        if (keywordSeen) {
          throw this.error(
            'PARSE_ERROR',
            kid.from,
            `invalid syntax: positional argument follows keyword argument${keywordSeen === 'unpacking' ? ' unpacking' : ''}`,
            SYNTAX_HINT,
          );
        }
        args.push(this.evalExpr(kid, scope));
      }
    }
    return { args, kwargs };
  }

  // -- f-strings --------------------------------------------------------------------------------

  private formatString(node: SyntaxNode, scope: Scope): string {
    const text = this.slice(node);
    const { raw, prefixLength, quoteLength } = stringShape(text);
    const bodyEnd = node.to - quoteLength;
    let pos = node.from + prefixLength + quoteLength;
    let out = '';
    for (const part of childrenOf(node)) {
      if (part.name !== 'FormatReplacement') continue;
      out += this.wrap(node, () => decodeBody(this.text.slice(pos, part.from), raw, true));
      out += this.replacement(part, scope);
      pos = part.to;
    }
    return out + this.wrap(node, () => decodeBody(this.text.slice(pos, bodyEnd), raw, true));
  }

  private replacement(node: SyntaxNode, scope: Scope): string {
    const exprs: SyntaxNode[] = [];
    let conversion: string | undefined;
    let spec: SyntaxNode | undefined;
    let selfDoc: SyntaxNode | undefined;
    for (const kid of childrenOf(node)) {
      if (kid.name === '{' || kid.name === '}') continue;
      if (kid.name === 'FormatConversion') conversion = this.slice(kid).slice(1);
      else if (kid.name === 'FormatSpec') spec = kid;
      else if (kid.name === 'FormatSelfDoc') selfDoc = kid;
      else exprs.push(kid);
    }
    let value = this.evalSequence(exprs, scope);
    const prefix = selfDoc ? this.text.slice(node.from + 1, selfDoc.nextSibling?.from ?? selfDoc.to) : '';
    if (selfDoc && !conversion && !spec) conversion = 'r';
    if (conversion) {
      const c = conversion;
      value = this.wrap(node, () => convert(value, c));
    }
    let specText = '';
    if (spec) {
      // The spec may hold nested replacement fields: f'{x:{width}.{digits}f}'
      let pos = spec.from + 1;
      for (const part of childrenOf(spec)) {
        if (part.name !== 'FormatReplacement') continue;
        specText += this.text.slice(pos, part.from) + this.replacement(part, scope);
        pos = part.to;
      }
      specText += this.text.slice(pos, spec.to);
      if (specText.startsWith(SPEC_EQUALS)) specText = `=${specText.slice(1)}`;
    }
    const v = value;
    return prefix + this.wrap(node, () => formatValue(v, specText));
  }
}

// ---------------------------------------------------------------------------------------------
// Value helpers
// ---------------------------------------------------------------------------------------------

function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  } else target[key] = value;
}

/** Convert an evaluated value to plain data: tuples become arrays, floats numbers, dicts objects. */
function toPlain(value: PyValue): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof PyFloat) return value.value;
  if (Array.isArray(value)) return value.map(toPlain);
  if (value instanceof PyTuple) return value.items.map(toPlain);
  const out: Record<string, unknown> = {};
  for (const [k, v] of value) setOwn(out, keyString(k), toPlain(v));
  return out;
}

/** A dict key as a JSON object key (the way `json.dumps` writes it). */
function keyString(key: DictKey): string {
  if (typeof key === 'string') return key;
  if (key === null) return 'null';
  if (typeof key === 'boolean') return key ? 'true' : 'false';
  return Number.isInteger(key) ? intToString(key) : floatRepr(key);
}

function typeName(value: PyValue): string {
  if (value === null) return 'NoneType';
  switch (typeof value) {
    case 'boolean':
      return 'bool';
    case 'number':
      return 'int';
    case 'string':
      return 'str';
  }
  if (value instanceof PyFloat) return 'float';
  if (value instanceof PyTuple) return 'tuple';
  return Array.isArray(value) ? 'list' : 'dict';
}

function describeType(value: PyValue): string {
  const name = typeName(value);
  return /^[aeiou]/.test(name) ? `an ${name}` : `a ${name}`;
}

function isNumeric(value: PyValue): value is number | boolean | PyFloat {
  return typeof value === 'number' || typeof value === 'boolean' || value instanceof PyFloat;
}

function numberOf(value: number | boolean | PyFloat): number {
  return value instanceof PyFloat ? value.value : Number(value);
}

function truthy(value: PyValue): boolean {
  if (value === null) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') return value.length > 0;
  if (value instanceof PyFloat) return value.value !== 0;
  if (value instanceof PyTuple) return value.items.length > 0;
  if (Array.isArray(value)) return value.length > 0;
  return value.size > 0;
}

function toKey(value: PyValue): DictKey {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof PyFloat) return value.value;
  if (value instanceof PyTuple) {
    throw new PyFail('UNSUPPORTED_SYNTAX', 'tuple dict keys are not supported in config files', DEFAULT_HINT);
  }
  throw new PyFail('PARSE_ERROR', `unhashable type: '${typeName(value)}'`);
}

/** The items of an iterable value. */
function iterate(value: PyValue): PyValue[] {
  if (Array.isArray(value)) return value;
  if (value instanceof PyTuple) return value.items;
  if (typeof value === 'string') return Array.from(value);
  if (value instanceof Map) return [...value.keys()];
  throw new PyFail('PARSE_ERROR', `'${typeName(value)}' object is not iterable`);
}

function sequenceItems(value: PyValue): PyValue[] | undefined {
  if (Array.isArray(value)) return value;
  if (value instanceof PyTuple) return value.items;
  return undefined;
}

function equals(a: PyValue, b: PyValue): boolean {
  if (isNumeric(a) && isNumeric(b)) return numberOf(a) === numberOf(b);
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b;
  if (Array.isArray(a) || Array.isArray(b) || a instanceof PyTuple || b instanceof PyTuple) {
    if (Array.isArray(a) !== Array.isArray(b)) return false;
    const x = sequenceItems(a);
    const y = sequenceItems(b);
    return !!x && !!y && x.length === y.length && x.every((item, i) => equals(item, y[i]!));
  }
  if (a instanceof Map && b instanceof Map) {
    if (a.size !== b.size) return false;
    for (const [k, v] of a) if (!b.has(k) || !equals(v, b.get(k) ?? null)) return false;
    return true;
  }
  return false;
}

/** `a < b` and friends: -1, 0 or 1, or undefined when Python cannot order the values. */
function order(a: PyValue, b: PyValue): number | undefined {
  if (isNumeric(a) && isNumeric(b)) {
    const x = numberOf(a);
    const y = numberOf(b);
    return x < y ? -1 : x > y ? 1 : x === y ? 0 : Number.NaN;
  }
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  const x = sequenceItems(a);
  const y = sequenceItems(b);
  if (x && y && Array.isArray(a) === Array.isArray(b)) {
    for (let i = 0; i < Math.min(x.length, y.length); i++) {
      if (!equals(x[i]!, y[i]!)) return order(x[i]!, y[i]!);
    }
    return x.length - y.length;
  }
  return undefined;
}

function isComparison(ops: SyntaxNode[]): boolean {
  const first = ops[0]?.name;
  return (
    first === 'CompareOp' || first === 'in' || first === 'is' || (first === 'not' && ops[1]?.name === 'in')
  );
}

function compare(op: string, a: PyValue, b: PyValue): boolean {
  switch (op) {
    case '==':
      return equals(a, b);
    case '!=':
      return !equals(a, b);
    case 'is':
    case 'is not': {
      const same =
        a instanceof PyFloat && b instanceof PyFloat
          ? a.value === b.value
          : a === b || (a === null && b === null);
      return op === 'is' ? same : !same;
    }
    case 'in':
    case 'not in': {
      let found: boolean;
      if (typeof b === 'string') {
        if (typeof a !== 'string') {
          throw new PyFail(
            'PARSE_ERROR',
            `'in <string>' requires string as left operand, not ${typeName(a)}`,
          );
        }
        found = b.includes(a);
      } else if (b instanceof Map) found = b.has(toKey(a));
      else {
        const items = sequenceItems(b);
        if (!items) throw new PyFail('PARSE_ERROR', `argument of type '${typeName(b)}' is not iterable`);
        found = items.some((item) => equals(a, item));
      }
      return op === 'in' ? found : !found;
    }
  }
  const o = order(a, b);
  if (o === undefined) {
    throw new PyFail(
      'PARSE_ERROR',
      `'${op}' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`,
    );
  }
  switch (op) {
    case '<':
      return o < 0;
    case '<=':
      return o <= 0;
    case '>':
      return o > 0;
    case '>=':
      return o >= 0;
    default:
      throw new PyFail('UNSUPPORTED_SYNTAX', `the comparison operator ${op} is not supported`, DEFAULT_HINT);
  }
}

/** Python's `int` as an index (bools count, floats do not). */
function asIndex(value: PyValue, message?: string): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return Number(value);
  throw new PyFail(
    'PARSE_ERROR',
    message ?? `'${typeName(value)}' object cannot be interpreted as an integer`,
  );
}

function subscript(object: PyValue, index: PyValue): PyValue {
  if (object instanceof Map) {
    const key = toKey(index);
    if (!object.has(key)) throw new PyFail('PARSE_ERROR', `KeyError: ${pyRepr(index)}`);
    return object.get(key) ?? null;
  }
  const kind = typeName(object);
  const items = typeof object === 'string' ? Array.from(object) : sequenceItems(object);
  if (!items) throw new PyFail('PARSE_ERROR', `'${kind}' object is not subscriptable`);
  let i = asIndex(index, `${kind} indices must be integers or slices, not ${typeName(index)}`);
  if (i < 0) i += items.length;
  if (i < 0 || i >= items.length) {
    throw new PyFail('PARSE_ERROR', `${kind === 'str' ? 'string' : kind} index out of range`);
  }
  return items[i]!;
}

function sliceValue(object: PyValue, start: PyValue, stop: PyValue, step: PyValue): PyValue {
  const items = typeof object === 'string' ? Array.from(object) : sequenceItems(object);
  if (!items) throw new PyFail('PARSE_ERROR', `'${typeName(object)}' object is not subscriptable`);
  const what = 'slice indices must be integers or None or have an __index__ method';
  const by = step === null ? 1 : asIndex(step, what);
  if (by === 0) throw new PyFail('PARSE_ERROR', 'slice step cannot be zero');
  const length = items.length;
  // Python's slice.indices()
  const clamp = (value: PyValue, fallback: number): number => {
    if (value === null) return fallback;
    let v = asIndex(value, what);
    if (v < 0) {
      v += length;
      if (v < 0) v = by < 0 ? -1 : 0;
    } else if (v >= length) v = by < 0 ? length - 1 : length;
    return v;
  };
  const from = clamp(start, by < 0 ? length - 1 : 0);
  const to = clamp(stop, by < 0 ? -1 : length);
  const out: PyValue[] = [];
  for (let i = from; by > 0 ? i < to : i > to; i += by) out.push(items[i]!);
  if (typeof object === 'string') return out.join('');
  return object instanceof PyTuple ? new PyTuple(out) : out;
}

// ---------------------------------------------------------------------------------------------
// Arithmetic
// ---------------------------------------------------------------------------------------------

const int0 = (n: number): number => (n === 0 ? 0 : n);

/** An int result: no negative zero, and no overflow past the float range. */
function intResult(n: number): number {
  if (!Number.isFinite(n)) {
    throw new PyFail(
      'UNSUPPORTED_SYNTAX',
      'integers beyond the float range (about 1.8e308) are not supported in config files',
      DEFAULT_HINT,
    );
  }
  return int0(n);
}

function floorDivInt(x: number, y: number): number {
  const r = x % y;
  let q = (x - r) / y;
  if (r !== 0 && r < 0 !== y < 0) q -= 1;
  return int0(q);
}

function modInt(x: number, y: number): number {
  let r = x % y;
  if (r !== 0 && r < 0 !== y < 0) r += y;
  return int0(r);
}

/** CPython's float_divmod. */
function divmodFloat(x: number, y: number): [number, number] {
  let mod = x % y;
  let div = (x - mod) / y;
  if (mod) {
    if (y < 0 !== mod < 0) {
      mod += y;
      div -= 1;
    }
  } else mod = y < 0 ? -0 : 0;
  let floordiv: number;
  if (div) {
    floordiv = Math.floor(div);
    if (div - floordiv > 0.5) floordiv += 1;
  } else {
    const q = x / y;
    floordiv = q < 0 || Object.is(q, -0) ? -0 : 0;
  }
  return [floordiv, mod];
}

/** `x ** y` for integers, exactly rounded, or undefined when the result is far beyond the float range. */
function exactPower(x: number, y: number): number | undefined {
  if (x === 0 || x === 1) return y === 0 ? 1 : x;
  if (x === -1) return y % 2 === 0 ? 1 : -1;
  if (y * Math.log2(Math.abs(x)) > 1100) return undefined;
  return Number(BigInt(x) ** BigInt(y));
}

function power(x: number, y: number, float: boolean): PyValue {
  if (x === 0 && y < 0) throw new PyFail('PARSE_ERROR', '0.0 cannot be raised to a negative power');
  if (!float && y >= 0) {
    // int ** non-negative int is an int (V8's Math.pow is not always correctly rounded)
    return intResult(exactPower(x, y) ?? x ** y);
  }
  if (x < 0 && !Number.isInteger(y)) {
    throw new PyFail('UNSUPPORTED_SYNTAX', 'complex numbers are not supported in config files', DEFAULT_HINT);
  }
  if (x === 1 || y === 0) return new PyFloat(1);
  let r = x ** y;
  if (Number.isInteger(x) && Number.isInteger(y)) {
    const exact = exactPower(x, Math.abs(y));
    if (exact !== undefined && y >= 0) r = exact;
    else if (exact !== undefined && Number.isSafeInteger(exact)) r = 1 / exact;
  }
  if (!Number.isFinite(r) && Number.isFinite(x) && Number.isFinite(y)) {
    throw new PyFail('PARSE_ERROR', 'OverflowError: (34, Numerical result out of range)');
  }
  return new PyFloat(r);
}

function repeat(items: PyValue, times: number): PyValue {
  const count = Math.max(0, times);
  if (typeof items === 'string') {
    if (items.length * count > MAX_ITEMS)
      throw new PyFail('UNSUPPORTED_SYNTAX', 'strings longer than 10,000,000 characters');
    return items.repeat(count);
  }
  const list = sequenceItems(items)!;
  if (list.length * count > MAX_ITEMS)
    throw new PyFail('UNSUPPORTED_SYNTAX', 'lists longer than 10,000,000 items');
  const out: PyValue[] = [];
  for (let i = 0; i < count; i++) out.push(...list);
  return items instanceof PyTuple ? new PyTuple(out) : out;
}

function arithmetic(op: string, a: PyValue, b: PyValue): PyValue {
  if (isNumeric(a) && isNumeric(b)) {
    const x = numberOf(a);
    const y = numberOf(b);
    const float = a instanceof PyFloat || b instanceof PyFloat;
    switch (op) {
      case '+':
        return float ? new PyFloat(x + y) : intResult(x + y);
      case '-':
        return float ? new PyFloat(x - y) : intResult(x - y);
      case '*':
        return float ? new PyFloat(x * y) : intResult(x * y);
      case '/':
        if (y === 0) throw new PyFail('PARSE_ERROR', 'division by zero');
        return new PyFloat(x / y);
      case '//':
        if (y === 0) {
          throw new PyFail(
            'PARSE_ERROR',
            float ? 'float floor division by zero' : 'integer division or modulo by zero',
          );
        }
        return float ? new PyFloat(divmodFloat(x, y)[0]) : floorDivInt(x, y);
      case '%':
        if (y === 0)
          throw new PyFail('PARSE_ERROR', float ? 'float modulo by zero' : 'integer modulo by zero');
        return float ? new PyFloat(divmodFloat(x, y)[1]) : modInt(x, y);
      case '**':
        return power(x, y, float);
    }
  }
  const isSeq = (v: PyValue) => typeof v === 'string' || sequenceItems(v) !== undefined;
  if (op === '+') {
    if (typeof a === 'string' && typeof b === 'string') return a + b;
    if (Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
    if (a instanceof PyTuple && b instanceof PyTuple) return new PyTuple([...a.items, ...b.items]);
    if (isSeq(a)) {
      throw new PyFail(
        'PARSE_ERROR',
        `can only concatenate ${typeName(a)} (not "${typeName(b)}") to ${typeName(a)}`,
      );
    }
  }
  if (op === '*') {
    if (isSeq(a) && (typeof b === 'number' || typeof b === 'boolean')) return repeat(a, Number(b));
    if (isSeq(b) && (typeof a === 'number' || typeof a === 'boolean')) return repeat(b, Number(a));
    if (isSeq(a) || isSeq(b)) {
      throw new PyFail(
        'PARSE_ERROR',
        `can't multiply sequence by non-int of type '${typeName(isSeq(a) ? b : a)}'`,
      );
    }
  }
  if (op === '%' && typeof a === 'string') {
    throw new PyFail(
      'UNSUPPORTED_SYNTAX',
      "printf-style string formatting ('...' % x) is not supported in config files",
      "use an f-string or '...'.format(x)",
    );
  }
  throw new PyFail(
    'PARSE_ERROR',
    `unsupported operand type(s) for ${op}: '${typeName(a)}' and '${typeName(b)}'`,
  );
}

// ---------------------------------------------------------------------------------------------
// Built-ins
// ---------------------------------------------------------------------------------------------

function noKeywords(name: string, kwargs: Map<string, PyValue>): void {
  if (kwargs.size > 0) throw new PyFail('PARSE_ERROR', `${name}() takes no keyword arguments`);
}

function callBuiltin(name: string, args: PyValue[], kwargs: Map<string, PyValue>): PyValue {
  switch (name) {
    case 'dict':
      return builtinDict(args, kwargs);
    case 'round':
      return builtinRound(args, kwargs);
    case 'int':
      return builtinInt(args, kwargs);
    default:
      return builtinRange(args, kwargs);
  }
}

function builtinDict(args: PyValue[], kwargs: Map<string, PyValue>): PyValue {
  if (args.length > 1)
    throw new PyFail('PARSE_ERROR', `dict expected at most 1 argument, got ${args.length}`);
  const out: PyDict = new Map();
  const [source] = args;
  if (source instanceof Map) for (const [k, v] of source) out.set(k, v);
  else if (source !== undefined) {
    for (const [i, pair] of iterate(source).entries()) {
      const kv = typeof pair === 'string' ? Array.from(pair) : sequenceItems(pair);
      if (kv?.length !== 2) {
        throw new PyFail(
          'PARSE_ERROR',
          `dictionary update sequence element #${i} has length ${kv?.length ?? 1}; 2 is required`,
        );
      }
      out.set(toKey(kv[0]!), kv[1]!);
    }
  }
  for (const [k, v] of kwargs) out.set(k, v);
  return out;
}

function builtinRound(args: PyValue[], kwargs: Map<string, PyValue>): PyValue {
  for (const k of kwargs.keys()) {
    if (k !== 'number' && k !== 'ndigits') {
      throw new PyFail('PARSE_ERROR', `round() got an unexpected keyword argument '${k}'`);
    }
  }
  if (args.length > 2)
    throw new PyFail('PARSE_ERROR', `round() takes at most 2 arguments (${args.length} given)`);
  const value = args.length > 0 ? args[0] : kwargs.get('number');
  if (value === undefined)
    throw new PyFail('PARSE_ERROR', "round() missing required argument 'number' (pos 1)");
  const digits = args.length > 1 ? args[1] : kwargs.has('ndigits') ? kwargs.get('ndigits') : null;
  if (!isNumeric(value)) {
    throw new PyFail('PARSE_ERROR', `type ${typeName(value)} doesn't define __round__ method`);
  }
  const x = numberOf(value);
  if (digits === null || digits === undefined) {
    if (!(value instanceof PyFloat)) return x;
    if (Number.isNaN(x)) throw new PyFail('PARSE_ERROR', 'cannot convert float NaN to integer');
    if (!Number.isFinite(x)) throw new PyFail('PARSE_ERROR', 'cannot convert float infinity to integer');
    return int0(roundHalfEven(x));
  }
  const n = asIndex(digits);
  if (!(value instanceof PyFloat)) {
    if (n >= 0) return x;
    return Number(roundIntHalfEven(BigInt(x), BigInt(10) ** BigInt(-n)));
  }
  if (!Number.isFinite(x) || n > 400) return value;
  if (n < -400) return new PyFloat(x < 0 || Object.is(x, -0) ? -0 : 0);
  // Correctly rounded, half to even on the exact binary value (like CPython's dtoa-based round)
  const { int, exp } = exactDecimal(Math.abs(x));
  const q = roundToDecimals(int, exp, n);
  const magnitude = Number(`${q}e${-n}`);
  return new PyFloat(x < 0 || Object.is(x, -0) ? -magnitude : magnitude);
}

function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

function roundIntHalfEven(x: bigint, unit: bigint): bigint {
  const negative = x < 0n;
  const abs = negative ? -x : x;
  let q = abs / unit;
  const r = abs % unit;
  if (r * 2n > unit || (r * 2n === unit && q % 2n === 1n)) q += 1n;
  return (negative ? -q : q) * unit;
}

function builtinInt(args: PyValue[], kwargs: Map<string, PyValue>): PyValue {
  for (const k of kwargs.keys()) {
    if (k !== 'base') throw new PyFail('PARSE_ERROR', `int() got an unexpected keyword argument '${k}'`);
  }
  if (args.length > 2)
    throw new PyFail('PARSE_ERROR', `int() takes at most 2 arguments (${args.length} given)`);
  const value = args[0];
  const base = args.length > 1 ? args[1] : kwargs.get('base');
  if (value === undefined) {
    if (base !== undefined) throw new PyFail('PARSE_ERROR', 'int() missing string argument');
    return 0;
  }
  if (base !== undefined) {
    if (typeof value !== 'string')
      throw new PyFail('PARSE_ERROR', "int() can't convert non-string with explicit base");
    return parseIntString(value, asIndex(base));
  }
  if (typeof value === 'string') return parseIntString(value, 10);
  if (value instanceof PyFloat) {
    if (Number.isNaN(value.value)) throw new PyFail('PARSE_ERROR', 'cannot convert float NaN to integer');
    if (!Number.isFinite(value.value))
      throw new PyFail('PARSE_ERROR', 'cannot convert float infinity to integer');
    return int0(Math.trunc(value.value));
  }
  if (typeof value === 'number' || typeof value === 'boolean') return Number(value);
  throw new PyFail(
    'PARSE_ERROR',
    `int() argument must be a string, a bytes-like object or a real number, not '${typeName(value)}'`,
  );
}

function parseIntString(text: string, base: number): number {
  const fail = () =>
    new PyFail('PARSE_ERROR', `invalid literal for int() with base ${base}: ${strRepr(text)}`);
  if (base !== 0 && (base < 2 || base > 36))
    throw new PyFail('PARSE_ERROR', 'int() base must be >= 2 and <= 36, or 0');
  const m = /^\s*([+-]?)(.*?)\s*$/s.exec(text)!;
  let body = m[2]!;
  let radix = base;
  const prefixed = /^0([xXoObB])/.exec(body);
  const prefixBase = prefixed
    ? { x: 16, o: 8, b: 2 }[prefixed[1]!.toLowerCase() as 'x' | 'o' | 'b']
    : undefined;
  if (prefixBase && (base === 0 || base === prefixBase)) {
    radix = prefixBase;
    body = body.slice(2).replace(/^_/, '');
  } else if (base === 0) {
    radix = 10;
    if (/^0+[1-9]/.test(body.replace(/_/g, ''))) throw fail();
  }
  const digit = `[${'0123456789abcdefghijklmnopqrstuvwxyz'.slice(0, radix)}]`;
  if (!new RegExp(`^${digit}(?:_?${digit})*$`, 'i').test(body)) throw fail();
  let n = 0;
  for (const ch of body.replace(/_/g, '').toLowerCase()) n = n * radix + Number.parseInt(ch, 36);
  return int0(m[1] === '-' ? -n : n);
}

function builtinRange(args: PyValue[], kwargs: Map<string, PyValue>): PyValue {
  noKeywords('range', kwargs);
  if (args.length === 0 || args.length > 3) {
    throw new PyFail('PARSE_ERROR', `range expected at least 1 argument, got ${args.length}`);
  }
  const ints = args.map((a) => asIndex(a));
  const [start, stop, step] = ints.length === 1 ? [0, ints[0]!, 1] : [ints[0]!, ints[1]!, ints[2] ?? 1];
  if (step === 0) throw new PyFail('PARSE_ERROR', 'range() arg 3 must not be zero');
  const count = Math.max(0, Math.ceil((stop - start) / step));
  if (count > MAX_ITEMS) throw new PyFail('UNSUPPORTED_SYNTAX', 'range() with more than 10,000,000 items');
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(start + i * step);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Literals
// ---------------------------------------------------------------------------------------------

const INT_DIGITS = /^\d(?:_?\d)*$/;
const FLOAT_DIGITS = /^(?:\d(?:_?\d)*)?(?:\.(?:\d(?:_?\d)*)?)?(?:[eE][+-]?\d(?:_?\d)*)?$/;

function parseNumber(text: string): PyValue {
  const invalid = () =>
    new PyFail('PARSE_ERROR', `invalid syntax: invalid number literal '${text}'`, SYNTAX_HINT);
  if (/[jJ]$/.test(text)) {
    throw new PyFail('UNSUPPORTED_SYNTAX', 'complex numbers are not supported in config files', DEFAULT_HINT);
  }
  const prefixed = /^0([xXoObB])(.*)$/.exec(text);
  if (prefixed) {
    const radix = { x: 16, o: 8, b: 2 }[prefixed[1]!.toLowerCase() as 'x' | 'o' | 'b'];
    const digits = prefixed[2]!;
    const valid =
      radix === 16
        ? /^_?[0-9a-f](?:_?[0-9a-f])*$/i
        : radix === 8
          ? /^_?[0-7](?:_?[0-7])*$/
          : /^_?[01](?:_?[01])*$/;
    if (!valid.test(digits)) throw invalid();
    return Number(BigInt(`0${prefixed[1]}${digits.replace(/_/g, '')}`));
  }
  if (INT_DIGITS.test(text)) {
    const digits = text.replace(/_/g, '');
    if (/^0+[1-9]/.test(digits)) {
      throw new PyFail(
        'PARSE_ERROR',
        'invalid syntax: leading zeros in decimal integer literals are not permitted; use an 0o prefix for octal integers',
        SYNTAX_HINT,
      );
    }
    return Number(digits);
  }
  if (!FLOAT_DIGITS.test(text)) throw invalid();
  return new PyFloat(Number(text.replace(/_/g, '')));
}

/** Prefix, quote length and rawness of a string literal's text. */
function stringShape(text: string): {
  prefix: string;
  raw: boolean;
  prefixLength: number;
  quoteLength: number;
} {
  const prefix = /^[a-zA-Z]*/.exec(text)![0];
  const rest = text.slice(prefix.length);
  const quoteLength = rest.startsWith("'''") || rest.startsWith('"""') ? 3 : 1;
  return { prefix: prefix.toLowerCase(), raw: /r/i.test(prefix), prefixLength: prefix.length, quoteLength };
}

function decodeStringLiteral(text: string): { value: string } {
  const { prefix, raw, prefixLength, quoteLength } = stringShape(text);
  if (prefix.includes('b')) {
    throw new PyFail(
      'UNSUPPORTED_SYNTAX',
      'bytes literals are not supported in config files',
      'use a str literal',
    );
  }
  return { value: decodeBody(text.slice(prefixLength + quoteLength, text.length - quoteLength), raw, false) };
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '\n': '',
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

/** Decode the body of a string literal (escapes, and `{{`/`}}` in f-strings). */
function decodeBody(body: string, raw: boolean, fstring: boolean): string {
  if (!body.includes('\\') && !(fstring && (body.includes('{') || body.includes('}')))) return body;
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (fstring && (c === '{' || c === '}') && body[i + 1] === c) {
      out += c;
      i++;
      continue;
    }
    if (c !== '\\' || raw) {
      out += c;
      if (c === '\\' && i + 1 < body.length) out += body[++i];
      continue;
    }
    const e = body[i + 1] ?? '';
    if (Object.hasOwn(SIMPLE_ESCAPES, e)) {
      out += SIMPLE_ESCAPES[e];
      i++;
    } else if (/[0-7]/.test(e)) {
      const digits = /^[0-7]{1,3}/.exec(body.slice(i + 1))![0];
      out += String.fromCodePoint(Number.parseInt(digits, 8));
      i += digits.length;
    } else if (e === 'x' || e === 'u' || e === 'U') {
      const size = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = body.slice(i + 2, i + 2 + size);
      if (!new RegExp(`^[0-9a-fA-F]{${size}}$`).test(hex)) {
        throw new PyFail(
          'PARSE_ERROR',
          `invalid syntax: (unicode error) truncated \\${e}${'X'.repeat(size)} escape`,
          SYNTAX_HINT,
        );
      }
      const code = Number.parseInt(hex, 16);
      if (code > 0x10ffff)
        throw new PyFail('PARSE_ERROR', 'invalid syntax: (unicode error) illegal Unicode character');
      out += String.fromCodePoint(code);
      i += 1 + size;
    } else if (e === 'N') {
      throw new PyFail(
        'UNSUPPORTED_SYNTAX',
        '\\N{...} escapes are not supported in config files',
        'write the character itself',
      );
    } else {
      // Unknown escapes keep their backslash
      out += c;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Printing: repr, str, format()
// ---------------------------------------------------------------------------------------------

function intToString(n: number): string {
  return Number.isSafeInteger(n) ? String(n) : BigInt(n).toString();
}

/** Python's repr of a float: shortest round-trip digits, exponent below 1e-4 and from 1e16. */
function floatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  const [mantissa, expText] = Math.abs(x).toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const exp = Number(expText);
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
  return `${sign}${intPart}.${digits.slice(exp + 1) || '0'}`;
}

function strRepr(s: string, ascii = false): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f || (c >= 0x80 && c <= 0xa0) || c === 0xad || (ascii && c > 0x7f)) {
      out +=
        c <= 0xff
          ? `\\x${c.toString(16).padStart(2, '0')}`
          : c <= 0xffff
            ? `\\u${c.toString(16).padStart(4, '0')}`
            : `\\U${c.toString(16).padStart(8, '0')}`;
    } else out += ch;
  }
  return out + quote;
}

function pyRepr(value: PyValue): string {
  if (value === null) return 'None';
  switch (typeof value) {
    case 'boolean':
      return value ? 'True' : 'False';
    case 'number':
      return intToString(value);
    case 'string':
      return strRepr(value);
  }
  if (value instanceof PyFloat) return floatRepr(value.value);
  if (value instanceof PyTuple) {
    const items = value.items.map(pyRepr);
    return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
  }
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  return `{${[...value].map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`).join(', ')}}`;
}

function pyStr(value: PyValue): string {
  return typeof value === 'string' ? value : pyRepr(value);
}

function convert(value: PyValue, conversion: string): string {
  switch (conversion) {
    case 's':
      return pyStr(value);
    case 'r':
      return pyRepr(value);
    case 'a':
      return typeof value === 'string'
        ? strRepr(value, true)
        : pyRepr(value).replace(/[\u0080-\u{10ffff}]/gu, (ch) => strRepr(ch, true).slice(1, -1));
    default:
      throw new PyFail('PARSE_ERROR', `Unknown conversion specifier ${conversion}`);
  }
}

// -- exact decimal arithmetic on doubles (for correctly rounded 'f', 'e', 'g' and round()) --------

/** `x` (finite, >= 0) as `int * 10**exp`, exactly. */
function exactDecimal(x: number): { int: bigint; exp: number } {
  if (x === 0) return { int: 0n, exp: 0 };
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp2 = -1074;
  if (biased !== 0) {
    mantissa |= 1n << 52n;
    exp2 = biased - 1075;
  }
  if (exp2 >= 0) return { int: mantissa << BigInt(exp2), exp: 0 };
  return { int: mantissa * 5n ** BigInt(-exp2), exp: exp2 };
}

/** Round `int * 10**exp` to a multiple of `10**-decimals`, half to even; returns the multiple count. */
function roundToDecimals(int: bigint, exp: number, decimals: number): bigint {
  const shift = exp + decimals;
  if (shift >= 0) return int * 10n ** BigInt(shift);
  const unit = 10n ** BigInt(-shift);
  let q = int / unit;
  const twice = (int % unit) * 2n;
  if (twice > unit || (twice === unit && q % 2n === 1n)) q += 1n;
  return q;
}

/** `x` (>= 0) with `decimals` digits after the point. */
function formatFixed(x: number, decimals: number): string {
  const { int, exp } = exactDecimal(x);
  const digits = roundToDecimals(int, exp, decimals).toString();
  if (decimals === 0) return digits;
  const padded = digits.padStart(decimals + 1, '0');
  return `${padded.slice(0, -decimals)}.${padded.slice(-decimals)}`;
}

/** `x` (>= 0) rounded to `precision + 1` significant digits: the digits and the decimal exponent. */
function significant(x: number, precision: number): { digits: string; exp: number } {
  if (x === 0) return { digits: '0'.repeat(precision + 1), exp: 0 };
  const { int, exp } = exactDecimal(x);
  let lead = int.toString().length - 1 + exp;
  let q = roundToDecimals(int, exp, precision - lead);
  if (q.toString().length > precision + 1) {
    lead += 1;
    q = roundToDecimals(int, exp, precision - lead);
  }
  return { digits: q.toString(), exp: lead };
}

function formatExponent(x: number, precision: number, alt: boolean): string {
  const { digits, exp } = significant(x, precision);
  const mantissa = digits.length > 1 || alt ? `${digits[0]}.${digits.slice(1)}` : digits;
  return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

/** The 'g' presentation (and the precision-given, type-less one when `addDot0`). */
function formatGeneral(x: number, precision: number, alt: boolean, addDot0: boolean): string {
  const p = precision === 0 ? 1 : precision;
  const exp = x === 0 ? 0 : significant(x, p - 1).exp;
  let out: string;
  if (exp < -4 || exp >= (addDot0 ? p - 1 : p)) {
    out = formatExponent(x, p - 1, alt);
    if (!alt) out = out.replace(/(\.\d*?)0+e/, '$1e').replace('.e', 'e');
  } else {
    out = formatFixed(x, p - 1 - exp);
    if (alt && !out.includes('.')) out += '.';
    if (!alt && out.includes('.')) out = out.replace(/\.?0+$/, '');
  }
  if (addDot0 && !out.includes('.') && !out.includes('e')) out += '.0';
  return out;
}

interface Spec {
  fill: string | undefined;
  align: string | undefined;
  sign: string;
  z: boolean;
  alt: boolean;
  zero: boolean;
  width: number;
  grouping: string;
  precision: number | undefined;
  type: string;
}

const SPEC_RE = /^(?:([\s\S])?([<>=^]))?([-+ ])?(z)?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([a-zA-Z%])?$/;

function parseSpec(spec: string, value: PyValue): Spec {
  const m = SPEC_RE.exec(spec);
  if (!m)
    throw new PyFail(
      'PARSE_ERROR',
      `Invalid format specifier '${spec}' for object of type '${typeName(value)}'`,
    );
  return {
    fill: m[1],
    align: m[2],
    sign: m[3] ?? '',
    z: !!m[4],
    alt: !!m[5],
    zero: !!m[6],
    width: m[7] ? Number(m[7]) : 0,
    grouping: m[8] ?? '',
    precision: m[9] === undefined ? undefined : Number(m[9]),
    type: m[10] ?? '',
  };
}

const codePointLength = (s: string): number => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

/** Pad `body` (after `signPrefix`) to the spec's width. */
function pad(signPrefix: string, body: string, fill: string, align: string, width: number): string {
  const total = signPrefix + body;
  const missing = width - codePointLength(total);
  if (missing <= 0) return total;
  switch (align) {
    case '<':
      return total + fill.repeat(missing);
    case '^':
      return fill.repeat(missing >> 1) + total + fill.repeat(missing - (missing >> 1));
    case '=':
      return signPrefix + fill.repeat(missing) + body;
    default:
      return fill.repeat(missing) + total;
  }
}

function group(digits: string, separator: string, size: number): string {
  let out = '';
  for (let end = digits.length; end > 0; end -= size) {
    const part = digits.slice(Math.max(0, end - size), end);
    out = out ? `${part}${separator}${out}` : part;
  }
  return out;
}

/** Lay out a number: sign and prefix, grouped integer digits, the rest (fraction, exponent, %). */
function layoutNumber(
  signPrefix: string,
  intDigits: string,
  rest: string,
  spec: Spec,
  groupSize: number,
): string {
  const fill = spec.fill ?? (spec.zero ? '0' : ' ');
  const align = spec.align ?? (spec.zero ? '=' : '>');
  if (spec.grouping && intDigits) {
    if (align === '=' && fill === '0') {
      // Zero padding goes inside the grouping: 00,001,234
      const needed = spec.width - signPrefix.length - rest.length;
      let digits = intDigits;
      let grouped = group(digits, spec.grouping, groupSize);
      while (grouped.length < needed) {
        digits = `0${digits}`;
        grouped = group(digits, spec.grouping, groupSize);
      }
      return signPrefix + grouped + rest;
    }
    return pad(signPrefix, group(intDigits, spec.grouping, groupSize) + rest, fill, align, spec.width);
  }
  return pad(signPrefix, intDigits + rest, fill, align, spec.width);
}

function signOf(negative: boolean, spec: Spec): string {
  if (negative) return '-';
  return spec.sign === '+' ? '+' : spec.sign === ' ' ? ' ' : '';
}

/** Python's `format(value, spec)`. */
function formatValue(value: PyValue, specText: string): string {
  if (specText === '') return pyStr(value);
  const spec = parseSpec(specText, value);
  if (typeof value === 'string') return formatString(value, spec);
  if (typeof value === 'number' || typeof value === 'boolean') return formatInt(Number(value), spec);
  if (value instanceof PyFloat) return formatFloat(value.value, spec);
  throw new PyFail('PARSE_ERROR', `unsupported format string passed to ${typeName(value)}.__format__`);
}

function formatString(value: string, spec: Spec): string {
  if (spec.type !== '' && spec.type !== 's') {
    throw new PyFail('PARSE_ERROR', `Unknown format code '${spec.type}' for object of type 'str'`);
  }
  if (spec.sign) throw new PyFail('PARSE_ERROR', 'Sign not allowed in string format specifier');
  if (spec.alt) throw new PyFail('PARSE_ERROR', 'Alternate form (#) not allowed in string format specifier');
  if (spec.align === '=')
    throw new PyFail('PARSE_ERROR', "'=' alignment not allowed in string format specifier");
  if (spec.grouping) throw new PyFail('PARSE_ERROR', `Cannot specify '${spec.grouping}' with 's'.`);
  const text = spec.precision === undefined ? value : Array.from(value).slice(0, spec.precision).join('');
  const fill = spec.fill ?? (spec.zero ? '0' : ' ');
  return pad('', text, fill, spec.align ?? '<', spec.width);
}

function formatInt(n: number, spec: Spec): string {
  const type = spec.type || 'd';
  if ('eEfFgG%'.includes(type)) return formatFloat(n, spec);
  if (spec.precision !== undefined)
    throw new PyFail('PARSE_ERROR', 'Precision not allowed in integer format specifier');
  if (spec.z)
    throw new PyFail('PARSE_ERROR', 'Negative zero coercion (z) not allowed in integer format specifier');
  const abs = Math.abs(n);
  let digits: string;
  let prefix = '';
  let groupSize = 3;
  switch (type) {
    case 'd':
    case 'n':
      digits = intToString(abs);
      break;
    case 'b':
    case 'o':
    case 'x':
    case 'X': {
      const radix = { b: 2, o: 8, x: 16, X: 16 }[type];
      digits = Number.isSafeInteger(abs) ? abs.toString(radix) : BigInt(abs).toString(radix);
      if (type === 'X') digits = digits.toUpperCase();
      if (spec.alt) prefix = `0${type}`;
      groupSize = 4;
      break;
    }
    case 'c':
      if (spec.sign) throw new PyFail('PARSE_ERROR', "Sign not allowed with integer format specifier 'c'");
      if (spec.grouping) throw new PyFail('PARSE_ERROR', `Cannot specify '${spec.grouping}' with 'c'.`);
      if (n < 0 || n > 0x10ffff) throw new PyFail('PARSE_ERROR', '%c arg not in range(0x110000)');
      return layoutNumber('', String.fromCodePoint(n), '', spec, 3);
    default:
      throw new PyFail('PARSE_ERROR', `Unknown format code '${type}' for object of type 'int'`);
  }
  if (spec.grouping === ',' && type !== 'd')
    throw new PyFail('PARSE_ERROR', `Cannot specify ',' with '${type}'.`);
  if (spec.grouping === '_' && type === 'n') throw new PyFail('PARSE_ERROR', "Cannot specify '_' with 'n'.");
  return layoutNumber(signOf(n < 0, spec) + prefix, digits, '', spec, groupSize);
}

function formatFloat(x: number, spec: Spec): string {
  const type = spec.type;
  if (!['', 'e', 'E', 'f', 'F', 'g', 'G', 'n', '%'].includes(type)) {
    throw new PyFail('PARSE_ERROR', `Unknown format code '${type}' for object of type 'float'`);
  }
  if (spec.grouping && type === 'n')
    throw new PyFail('PARSE_ERROR', `Cannot specify '${spec.grouping}' with 'n'.`);
  let negative = x < 0 || Object.is(x, -0);
  const abs = Math.abs(x);
  const p = spec.precision;
  let body: string;
  if (!Number.isFinite(abs)) {
    body = Number.isNaN(abs) ? 'nan' : 'inf';
    if (type === 'E' || type === 'F' || type === 'G') body = body.toUpperCase();
    if (type === '%') body += '%';
  } else {
    switch (type) {
      case 'f':
      case 'F':
        body = formatFixed(abs, p ?? 6) + (spec.alt && p === 0 ? '.' : '');
        break;
      case 'e':
      case 'E':
        body = formatExponent(abs, p ?? 6, spec.alt);
        if (type === 'E') body = body.toUpperCase();
        break;
      case 'g':
      case 'G':
      case 'n':
        body = formatGeneral(abs, p ?? 6, spec.alt, false);
        if (type === 'G') body = body.toUpperCase();
        break;
      case '%':
        body = `${formatFixed(abs * 100, p ?? 6)}${spec.alt && p === 0 ? '.' : ''}%`;
        break;
      default:
        body = p === undefined ? floatRepr(abs) : formatGeneral(abs, p, spec.alt, true);
        // The alternate form always has a decimal point: 1.e+22
        if (spec.alt && !body.includes('.')) body = body.replace('e', '.e');
    }
  }
  // z: a negative zero after rounding prints without its sign
  if (spec.z && negative && Number(body.replace(/[^\d.e+-]/gi, '')) === 0) negative = false;
  if (Number.isNaN(x)) negative = false;
  const m = /^(\d*)([\s\S]*)$/.exec(body)!;
  return layoutNumber(signOf(negative, spec), m[1]!, m[2]!, spec, 3);
}

// -- str.format -------------------------------------------------------------------------------

interface FieldState {
  auto: number;
  mode: 'auto' | 'manual' | undefined;
}

/** Python's `template.format(*args, **kwargs)`. */
function formatTemplate(template: string, args: PyValue[], kwargs: Map<string, PyValue>): string {
  return expandTemplate(template, args, kwargs, { auto: 0, mode: undefined }, 2);
}

function expandTemplate(
  template: string,
  args: PyValue[],
  kwargs: Map<string, PyValue>,
  state: FieldState,
  depth: number,
): string {
  if (depth === 0) throw new PyFail('PARSE_ERROR', 'Max string recursion exceeded');
  let out = '';
  for (let i = 0; i < template.length; ) {
    const c = template[i]!;
    if (c === '{') {
      if (template[i + 1] === '{') {
        out += '{';
        i += 2;
        continue;
      }
      let level = 1;
      let j = i + 1;
      while (j < template.length && level > 0) {
        if (template[j] === '{') level++;
        else if (template[j] === '}') level--;
        j++;
      }
      if (level > 0) throw new PyFail('PARSE_ERROR', "expected '}' before end of string");
      out += renderField(template.slice(i + 1, j - 1), args, kwargs, state, depth);
      i = j;
    } else if (c === '}') {
      if (template[i + 1] !== '}') throw new PyFail('PARSE_ERROR', "Single '}' encountered in format string");
      out += '}';
      i += 2;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

function renderField(
  field: string,
  args: PyValue[],
  kwargs: Map<string, PyValue>,
  state: FieldState,
  depth: number,
): string {
  // field_name [!conversion] [:spec]
  let k = 0;
  while (k < field.length && field[k] !== '!' && field[k] !== ':') {
    if (field[k] === '[') while (k < field.length && field[k] !== ']') k++;
    k++;
  }
  const name = field.slice(0, Math.min(k, field.length));
  let conversion: string | undefined;
  if (field[k] === '!') {
    conversion = field[k + 1] ?? '';
    k += 2;
    if (k < field.length && field[k] !== ':')
      throw new PyFail('PARSE_ERROR', "expected ':' after conversion specifier");
  }
  const spec = field[k] === ':' ? field.slice(k + 1) : '';
  const m = /^([^.[]*)([\s\S]*)$/.exec(name)!;
  const first = m[1]!;
  let value: PyValue;
  if (first === '') {
    if (state.mode === 'manual') {
      throw new PyFail(
        'PARSE_ERROR',
        'cannot switch from manual field specification to automatic field numbering',
      );
    }
    state.mode = 'auto';
    const index = state.auto++;
    if (index >= args.length) {
      throw new PyFail('PARSE_ERROR', `Replacement index ${index} out of range for positional args tuple`);
    }
    value = args[index]!;
  } else if (/^\d+$/.test(first)) {
    if (state.mode === 'auto') {
      throw new PyFail(
        'PARSE_ERROR',
        'cannot switch from automatic field numbering to manual field specification',
      );
    }
    state.mode = 'manual';
    const index = Number(first);
    if (index >= args.length) {
      throw new PyFail('PARSE_ERROR', `Replacement index ${index} out of range for positional args tuple`);
    }
    value = args[index]!;
  } else {
    if (!kwargs.has(first))
      throw new PyFail('PARSE_ERROR', `KeyError: ${strRepr(first)} (no such keyword argument of str.format)`);
    value = kwargs.get(first) ?? null;
  }
  // Accessors: [key] only
  for (let rest = m[2]!; rest; ) {
    const index = /^\[([^\]]+)\]/.exec(rest);
    if (!index) {
      throw new PyFail(
        'UNSUPPORTED_SYNTAX',
        'attribute access in str.format fields is not supported in config files',
        "index with [key] instead, e.g. '{0[key]}'",
      );
    }
    const key = index[1]!;
    value = subscript(value, /^\d+$/.test(key) ? Number(key) : key);
    rest = rest.slice(index[0].length);
  }
  if (conversion !== undefined) value = convert(value, conversion);
  const expandedSpec = spec.includes('{') ? expandTemplate(spec, args, kwargs, state, depth - 1) : spec;
  return formatValue(value, expandedSpec);
}
