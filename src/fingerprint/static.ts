/**
 * The static code fingerprint: a SHA-256 of the canonical AST of a function's logic.
 *
 * The source comes from `Function.prototype.toString`, is parsed with meriyah, normalised and printed
 * as a canonical S-expression text, which is hashed. The canonical form ignores what does not change
 * what the function does:
 * - comments, whitespace, formatting, semicolons (ASI) and optional parentheses (they leave no trace
 *   in the AST); `x => e` is the same as `x => { return e; }`;
 * - the function's own name, or a method's key (a self-reference inside the body is kept as a
 *   reference to "self");
 * - the names of bound variables: parameters, `let`/`const`/`var`, function and class declarations,
 *   catch parameters, destructuring targets, loop variables and the same in inner functions are
 *   renamed by binding position, scope-aware; free variables (globals, closure variables such as
 *   `model`) keep their names, so renaming one is a change;
 * - TypeScript annotations (erased before run time: the parser only ever sees JavaScript);
 * - spelling of keys and literals: `a['b']` is `a.b`, `{ 'k': 1 }` is `{ k: 1 }`, `1e3` is `1000`,
 *   `` `text` `` is `'text'`, and a free `undefined` is `void 0`;
 * - the order of properties in an object destructuring pattern, when the order cannot be observed
 *   (no rest element, only constant keys, plain names as targets, side-effect-free defaults);
 * - the order of properties in an object literal whose keys are all constants and whose values are
 *   side-effect free (no calls, `new`, assignments, `await`, `yield`, `delete`, tagged templates,
 *   spreads or classes). The key order of the created object *can* be observed (`Object.keys`), but,
 *   like the original tool, ato treats such literals as records: they are sorted by key;
 * - the position of methods (and of the constructor) among a class's members, when no key is
 *   computed: methods are sorted by name; fields keep their order (their initialisers run in order);
 * - the order of names inside one `import { ... }` or `export { ... }` (only in program mode);
 * - helpers injected by loaders: esbuild's `__name(fn, "name")` wrappers and `__name(...)` statements
 *   (tsx and other esbuild-based loaders with `keepNames`) and the empty `static {}` blocks they
 *   leave, so that `node` on `tsc` output, `tsx` and vitest give the same fingerprint for the same
 *   source. Lowered syntax is not undone: a loader that targets an older ECMAScript version (class
 *   fields turned into `__publicField`, `async` into `__async`) gives other fingerprints.
 *
 * Everything else is logic: operators, constants, called functions' names, arguments, branches,
 * loops, free variables' names, `await`/`yield`, `async`/generator flags, arrow vs `function`,
 * method kinds (getter, setter, method), class member names, `static`, the order of class fields,
 * labels and private names (`#x`, which are not renamed). Direct `eval` and `with` can see local
 * names; renaming is not aware of them.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import type * as Meriyah from 'meriyah';
import { lazyRequire } from '../_lazy.js';
import { AtoError } from '../errors.js';

/** meriyah, loaded on the first fingerprint (not when the core is imported). */
const parse: typeof Meriyah.parse = (source, options) =>
  lazyRequire<typeof Meriyah>('meriyah').parse(source, options);

/** Options of {@link fingerprintFunction}. */
export interface FunctionFingerprintOptions {
  /**
   * Helper functions the traced function calls. Their fingerprints are folded into this one, so a
   * change in a helper changes it. The order and duplicates do not matter.
   */
  deps?: readonly Function[];
}

/** Options of {@link canonicalizeSource}. */
export interface CanonicalizeOptions {
  /**
   * `'function'` (default): the text of one function, class, method, getter or setter, as
   * `Function.prototype.toString` gives it. `'program'`: a whole ES module (its top-level names are
   * kept, since they may be exported; names inside its functions are renamed).
   */
  kind?: 'function' | 'program';
}

/** An ESTree node as meriyah produces it (loosely typed: the walkers below are generic). */
type AstNode = { type: string; [key: string]: any };

/** Version tag hashed in front of the canonical text; bump it when the canonical form changes. */
const STATIC_TAG = 'ato-static-fingerprint-v1\n';
/** How many distinct sources the cache keeps before it forgets the oldest. */
const CACHE_LIMIT = 10_000;
const cache = new Map<string, string>();
/** Own fingerprints by function object (a function's source never changes), to skip `toString()`. */
let byFunction = new WeakMap<Function, string>();

/**
 * The static fingerprint of a function: SHA-256 (hex) of the canonical form of its source.
 *
 * Works for function declarations and expressions, arrows, async functions, generators, async
 * generators, class methods, getters, setters, static methods and whole classes. The result is
 * cached per distinct source text, so calling it again is a map lookup.
 *
 * @param fn The function (or class) to fingerprint.
 * @param options `deps`: helper functions whose fingerprints are folded in.
 * @returns 64 hex characters.
 * @throws {AtoError} `INVALID_ARGUMENT` when `fn` is not a function, or is native or bound (it has no
 *   source); `PARSE_ERROR` when its source cannot be parsed.
 *
 * @example
 * ```ts
 * const a = fingerprintFunction(function step(model, batch) { return model.fit(batch, 0.1); });
 * const b = fingerprintFunction((net, b) => net.fit(b, 0.1));
 * a === fingerprintFunction((m, x) => { return m.fit(x, 0.1); }); // true: same logic
 * const withHelpers = fingerprintFunction(trainStep, { deps: [loss, augment] });
 * ```
 */
export function fingerprintFunction(fn: Function, options: FunctionFingerprintOptions = {}): string {
  const own = ownFingerprint(fn);
  const deps = options.deps;
  if (deps === undefined || deps.length === 0) return own;
  if (!Array.isArray(deps)) {
    throw new AtoError('INVALID_ARGUMENT', 'options.deps must be an array of functions', {
      location: { input: 'deps' },
      hint: 'pass the helper functions the traced function calls, e.g. { deps: [helperA, helperB] }',
    });
  }
  // Fold in the helpers' fingerprints, order-free and without duplicates
  const depHashes = new Set<string>();
  deps.forEach((dep, i) => {
    if (typeof dep !== 'function') {
      throw new AtoError('INVALID_ARGUMENT', `deps[${i}] is ${describeValue(dep)}, not a function`, {
        location: { input: `deps[${i}]` },
        hint: 'deps lists the helper functions the traced function calls',
      });
    }
    depHashes.add(ownFingerprint(dep));
  });
  const hash = createHash('sha256').update(`${STATIC_TAG}deps\n${own}\n`);
  for (const dep of [...depHashes].sort()) hash.update(`${dep}\n`);
  return hash.digest('hex');
}

/** The fingerprint of a function without its deps, cached by function object and by source. */
function ownFingerprint(fn: Function): string {
  let hash = typeof fn === 'function' ? byFunction.get(fn) : undefined;
  if (hash === undefined) {
    hash = fingerprintSource(functionSource(fn));
    byFunction.set(fn, hash);
  }
  return hash;
}

/**
 * The static fingerprint of a source text (what {@link fingerprintFunction} hashes): SHA-256 (hex)
 * of {@link canonicalizeSource}`(source)`. Cached per distinct source.
 *
 * @example
 * ```ts
 * fingerprintSource('(a, b) => a + b') === fingerprintSource('function add(x, y) { return x + y; }'); // false: arrow vs function
 * fingerprintSource('(a, b) => a + b') === fingerprintSource('(x, y) => /* sum *\/ (x + y)'); // true
 * ```
 */
export function fingerprintSource(source: string, options: CanonicalizeOptions = {}): string {
  const key = options.kind === 'program' ? `program\0${source}` : source;
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const hash = createHash('sha256')
    .update(STATIC_TAG)
    .update(canonicalizeSource(source, options))
    .digest('hex');
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(key, hash);
  return hash;
}

/** Forget every cached static fingerprint (for benchmarks and tests; never needed for correctness). */
export function clearFingerprintCache(): void {
  cache.clear();
  byFunction = new WeakMap();
}

/** How many distinct sources are cached. */
export function fingerprintCacheSize(): number {
  return cache.size;
}

/**
 * A stable default name for a traced function: its `name` when it has one, else `fn-` and the first
 * 12 hex digits of its static fingerprint.
 *
 * @example
 * ```ts
 * defaultTraceId(function trainStep() {}); // 'trainStep'
 * defaultTraceId(() => 1);                 // 'fn-3f9a0c1b2d4e' (from the fingerprint)
 * ```
 */
export function defaultTraceId(fn: Function): string {
  const name = typeof fn === 'function' ? fn.name : '';
  if (name && name !== 'anonymous' && !name.startsWith('bound ')) return name;
  return `fn-${fingerprintFunction(fn).slice(0, 12)}`;
}

/**
 * The source text of a function, checked: a native, bound or proxied function has none.
 *
 * @throws {AtoError} `INVALID_ARGUMENT` when `fn` is not a function or has no source.
 */
export function functionSource(fn: Function): string {
  if (typeof fn !== 'function') {
    throw new AtoError('INVALID_ARGUMENT', `cannot fingerprint ${describeValue(fn)}: it is not a function`, {
      hint: 'pass the function itself, e.g. fingerprintFunction(trainStep)',
    });
  }
  const source = Function.prototype.toString.call(fn);
  if (/\{\s*\[native code\]\s*\}\s*$/.test(source)) {
    const name = fn.name ? `'${fn.name}'` : 'an anonymous function';
    throw new AtoError(
      'INVALID_ARGUMENT',
      `cannot fingerprint ${name}: it has no JavaScript source (it is a built-in, bound or proxied function, and Function.prototype.toString gives "[native code]")`,
      {
        location: { input: fn.name || '<anonymous>' },
        hint: 'fingerprint the original function instead of fn.bind(...) or a Proxy; for a built-in, wrap the call in a function of your own',
      },
    );
  }
  return source;
}

/**
 * The canonical text of a function's source: a compact S-expression of its normalised AST, with
 * bound names replaced by `%0`, `%1`, ... in binding order (`%self` for the function's own name).
 * Two sources have the same canonical text exactly when ato considers them the same logic (see the
 * module documentation for the rules).
 *
 * @param source What `Function.prototype.toString` gives (or a module, with `{ kind: 'program' }`).
 * @throws {AtoError} `PARSE_ERROR` when the text is not a function, class or method.
 *
 * @example
 * ```ts
 * canonicalizeSource('function f(a) { return a + 1; }') ===
 *   canonicalizeSource('function g(b) /* same *\/ { return (b + 1) }'); // true
 * ```
 */
export function canonicalizeSource(source: string, options: CanonicalizeOptions = {}): string {
  const root = options.kind === 'program' ? parseProgram(source) : parseFunction(source);
  const normalized = normalize(root.node) as AstNode;
  const printer = new Printer();
  if (root.kind === 'program') {
    // Module scope names stay as they are (they may be exported)
    return printer.print(normalized, new Scope(null, true));
  }
  const scope = new Scope(null);
  if (root.kind === 'method') {
    return `(Method kind:${JSON.stringify(root.methodKind)} value:${printer.printFunction(normalized, scope, true)})`;
  }
  if (normalized.type === 'ClassExpression') return printer.printClass(normalized, scope, true);
  return printer.printFunction(normalized, scope, true);
}

// ---------------------------------------------------------------------------------------------------
// Parsing

type Root =
  | { kind: 'function'; node: AstNode }
  | { kind: 'method'; methodKind: 'method' | 'get' | 'set'; node: AstNode }
  | { kind: 'program'; node: AstNode };

const PARSE_OPTIONS = { next: true, webcompat: true } as const;

/** Parse a `toString()` text: an expression first, then a method in an object, then in a class. */
function parseFunction(source: string): Root {
  let firstError: unknown;
  const attempt = (text: string, pick: (program: AstNode) => Root | undefined): Root | undefined => {
    try {
      return pick(parse(text, { ...PARSE_OPTIONS, sourceType: 'script' }) as unknown as AstNode);
    } catch (error) {
      firstError ??= error;
      return undefined;
    }
  };
  const root =
    attempt(`(${source}\n)`, (program) => {
      const expr = program.body.length === 1 ? program.body[0].expression : undefined;
      return expr && /^(FunctionExpression|ArrowFunctionExpression|ClassExpression)$/.test(expr.type)
        ? { kind: 'function', node: expr }
        : undefined;
    }) ??
    attempt(`({${source}\n})`, (program) => {
      const props = program.body[0]?.expression?.properties;
      const prop = props?.length === 1 ? props[0] : undefined;
      if (prop?.type !== 'Property' || prop.value?.type !== 'FunctionExpression') return undefined;
      if (!prop.method && prop.kind === 'init') return undefined;
      return { kind: 'method', methodKind: prop.kind === 'init' ? 'method' : prop.kind, node: prop.value };
    }) ??
    attempt(`(class{${source}\n})`, (program) => {
      const members = program.body[0]?.expression?.body?.body;
      const member = members?.length === 1 ? members[0] : undefined;
      if (member?.type !== 'MethodDefinition' || member.kind === 'constructor') return undefined;
      return { kind: 'method', methodKind: member.kind, node: member.value };
    });
  if (root) return root;
  throw new AtoError(
    'PARSE_ERROR',
    `cannot parse this source as a function, class or method: ${preview(source)}`,
    {
      cause: firstError,
      hint: 'pass a function, arrow, class or method; if this function runs, please report the source as an ato bug',
    },
  );
}

/** Parse a whole ES module. */
function parseProgram(source: string): Root {
  try {
    return {
      kind: 'program',
      node: parse(source, { ...PARSE_OPTIONS, sourceType: 'module' }) as unknown as AstNode,
    };
  } catch (error) {
    throw new AtoError('PARSE_ERROR', `cannot parse this source as an ES module: ${preview(source)}`, {
      cause: error,
      hint: 'fix the syntax error the cause names',
    });
  }
}

function preview(source: string): string {
  const flat = source.replace(/\s+/g, ' ').trim();
  return JSON.stringify(flat.length > 80 ? `${flat.slice(0, 77)}...` : flat);
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return `an object (${value.constructor?.name ?? 'null prototype'})`;
  return `${typeof value} ${String(value)}`;
}

// ---------------------------------------------------------------------------------------------------
// Normalisation: rewrites the AST in place before names are resolved

const STATEMENT_LISTS: Record<string, string> = {
  Program: 'body',
  BlockStatement: 'body',
  StaticBlock: 'body',
  SwitchCase: 'consequent',
};

function isNode(value: unknown): value is AstNode {
  return typeof value === 'object' && value !== null && typeof (value as AstNode).type === 'string';
}

/** esbuild's `__name(target, "name")` (keepNames). */
function isNameHelper(node: AstNode): boolean {
  return (
    node.type === 'CallExpression' &&
    node.callee?.type === 'Identifier' &&
    node.callee.name === '__name' &&
    node.arguments.length === 2 &&
    node.arguments[1]?.type === 'Literal' &&
    typeof node.arguments[1].value === 'string'
  );
}

const taggedQuasis = new WeakSet<object>();

function normalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalize);
  if (!isNode(value)) return value;
  let node = value;
  // Strip loader helpers around expressions
  while (isNameHelper(node)) node = node.arguments[0];
  const listKey = STATEMENT_LISTS[node.type];
  if (listKey) {
    // Drop empty statements and `__name(...)` statements
    node[listKey] = (node[listKey] as AstNode[]).filter(
      (s) => s.type !== 'EmptyStatement' && !(s.type === 'ExpressionStatement' && isNameHelper(s.expression)),
    );
  }
  if (node.type === 'TaggedTemplateExpression') taggedQuasis.add(node.quasi);
  for (const key in node) {
    const child = node[key];
    if (typeof child === 'object' && child !== null) node[key] = normalize(child);
  }
  return normalizeNode(node);
}

/** Post-order rewrites of one node (its children are already normalised). */
function normalizeNode(node: AstNode): AstNode {
  switch (node.type) {
    case 'ExpressionStatement':
      delete node.directive;
      return node;
    case 'ArrowFunctionExpression':
      if (node.expression) {
        node.body = { type: 'BlockStatement', body: [{ type: 'ReturnStatement', argument: node.body }] };
        node.expression = false;
      }
      return node;
    case 'ClassBody':
      node.body = orderClassMembers(
        node.body.filter((m: AstNode) => !(m.type === 'StaticBlock' && m.body.length === 0)),
      );
      return node;
    case 'MemberExpression':
      if (node.computed && isStringLiteral(node.property) && isIdentifierName(node.property.value)) {
        node.computed = false;
        node.property = { type: 'Identifier', name: node.property.value };
      }
      return node;
    case 'Property':
    case 'MethodDefinition':
    case 'PropertyDefinition':
    case 'AccessorProperty':
      normalizeKey(node);
      return node;
    case 'UnaryExpression':
      if (node.operator === 'void' && node.argument.type === 'Literal') return { type: 'Undefined' };
      return node;
    case 'TemplateLiteral':
      if (taggedQuasis.has(node)) return node;
      if (node.expressions.length === 0)
        return { type: 'Literal', value: node.quasis[0]?.value.cooked ?? '' };
      for (const quasi of node.quasis) quasi.value = { cooked: quasi.value.cooked };
      return node;
    case 'ObjectExpression':
      if (canSortObjectLiteral(node.properties)) node.properties.sort(compareProperties);
      return node;
    case 'ObjectPattern':
      if (canSortObjectPattern(node.properties)) node.properties.sort(compareProperties);
      return node;
    case 'ImportDeclaration':
      node.specifiers.sort(compareImportSpecifiers);
      return node;
    case 'ExportNamedDeclaration':
      node.specifiers.sort((a: AstNode, b: AstNode) =>
        compareStrings(keyName(a.exported), keyName(b.exported)),
      );
      return node;
    default:
      return node;
  }
}

function isStringLiteral(node: AstNode | null | undefined): node is AstNode {
  return node?.type === 'Literal' && typeof node.value === 'string';
}

function isIdentifierName(text: string): boolean {
  return /^[A-Za-z_$][\w$]*$/.test(text);
}

/** `'k'`, `"k"`, `['k']` and `k` are one key; `1`, `'1'` and `1.0` are one key (never `__proto__`). */
function normalizeKey(node: AstNode): void {
  const key = node.key;
  if (key?.type !== 'Literal' || key.regex) return;
  const text = String(key.value);
  if (node.computed && (text === '__proto__' || typeof key.value === 'boolean' || key.value === null)) return;
  if (node.computed && typeof key.value !== 'string' && typeof key.value !== 'number') return;
  node.computed = false;
  node.key = isIdentifierName(text) ? { type: 'Identifier', name: text } : { type: 'Literal', value: text };
}

function keyName(key: AstNode): string {
  return key.type === 'Identifier' ? key.name : String(key.value);
}

const KIND_ORDER: Record<string, number> = { get: 0, init: 1, set: 2 };

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareProperties(a: AstNode, b: AstNode): number {
  return (
    compareStrings(keyName(a.key), keyName(b.key)) || (KIND_ORDER[a.kind] ?? 1) - (KIND_ORDER[b.kind] ?? 1)
  );
}

function compareImportSpecifiers(a: AstNode, b: AstNode): number {
  const rank = (s: AstNode) =>
    s.type === 'ImportDefaultSpecifier' ? 0 : s.type === 'ImportNamespaceSpecifier' ? 1 : 2;
  return (
    rank(a) - rank(b) ||
    (a.type === 'ImportSpecifier' ? compareStrings(keyName(a.imported), keyName(b.imported)) : 0) ||
    compareStrings(a.local.name, b.local.name)
  );
}

/**
 * Class members in an order-free form, when no key is computed: methods first (sorted by static,
 * name and kind when their names are unique), then instance fields, then static fields and blocks,
 * each group keeping its source order. Methods are all defined before any field is initialised, and
 * instance fields run at construction, statics at definition, so this changes nothing observable
 * but the order of property names; it also hides where compilers put the constructor and the fields
 * of TypeScript parameter properties.
 */
function orderClassMembers(members: AstNode[]): AstNode[] {
  if (members.some((m) => m.computed)) return members;
  const methods = members.filter((m) => m.type === 'MethodDefinition');
  const kinds = new Map<string, string[]>();
  for (const m of methods) {
    const id = `${m.static}\0${memberName(m)}`;
    kinds.set(id, [...(kinds.get(id) ?? []), m.kind]);
  }
  // Unique names, or one getter/setter pair
  const unique = [...kinds.values()].every(
    (k) => k.length === 1 || (k.length === 2 && k.includes('get') && k.includes('set')),
  );
  if (unique) {
    methods.sort(
      (a, b) =>
        Number(a.static) - Number(b.static) ||
        Number(b.kind === 'constructor') - Number(a.kind === 'constructor') ||
        compareStrings(memberName(a), memberName(b)) ||
        (KIND_ORDER[a.kind] ?? 1) - (KIND_ORDER[b.kind] ?? 1),
    );
  }
  const fields = members.filter(
    (m) => m.type !== 'MethodDefinition' && !m.static && m.type !== 'StaticBlock',
  );
  const statics = members.filter(
    (m) => m.type !== 'MethodDefinition' && (m.static || m.type === 'StaticBlock'),
  );
  return [...methods, ...fields, ...statics];
}

function memberName(member: AstNode): string {
  return member.key.type === 'PrivateIdentifier' ? `#${member.key.name}` : keyName(member.key);
}

/** Keys all constant and unique (a getter/setter pair counts once). */
function hasUniqueConstantKeys(properties: AstNode[]): boolean {
  const seen = new Map<string, string>();
  for (const p of properties) {
    if (p.type !== 'Property' || p.computed) return false;
    const name = keyName(p.key);
    const previous = seen.get(name);
    if (previous !== undefined && !(previous !== p.kind && previous !== 'init' && p.kind !== 'init'))
      return false;
    seen.set(name, p.kind);
  }
  return true;
}

function canSortObjectLiteral(properties: AstNode[]): boolean {
  return (
    properties.length > 1 && hasUniqueConstantKeys(properties) && properties.every((p) => isPure(p.value))
  );
}

function canSortObjectPattern(properties: AstNode[]): boolean {
  return (
    properties.length > 1 &&
    hasUniqueConstantKeys(properties) &&
    properties.every((p) => isPlainTarget(p.value))
  );
}

/** A destructuring target whose assignment order cannot be observed. */
function isPlainTarget(node: AstNode): boolean {
  switch (node.type) {
    case 'Identifier':
    case 'ObjectPattern':
    case 'ArrayPattern':
      return true;
    case 'AssignmentPattern':
      return isPlainTarget(node.left) && isPure(node.right);
    default:
      return false;
  }
}

/** An expression without side effects (getters and coercions aside). */
function isPure(node: AstNode | null): boolean {
  if (node === null) return true;
  switch (node.type) {
    case 'Literal':
    case 'Identifier':
    case 'ThisExpression':
    case 'Undefined':
    case 'FunctionExpression':
    case 'ArrowFunctionExpression':
      return true;
    case 'TemplateLiteral':
      return node.expressions.every(isPure);
    case 'UnaryExpression':
      return node.operator !== 'delete' && isPure(node.argument);
    case 'BinaryExpression':
    case 'LogicalExpression':
      return isPure(node.left) && isPure(node.right);
    case 'ConditionalExpression':
      return isPure(node.test) && isPure(node.consequent) && isPure(node.alternate);
    case 'ArrayExpression':
      return node.elements.every(
        (e: AstNode | null) => e === null || (e.type !== 'SpreadElement' && isPure(e)),
      );
    case 'ObjectExpression':
      return node.properties.every((p: AstNode) => p.type === 'Property' && !p.computed && isPure(p.value));
    case 'MemberExpression':
      return isPure(node.object) && (!node.computed || isPure(node.property));
    case 'ChainExpression':
      return isPure(node.expression);
    case 'SequenceExpression':
      return node.expressions.every(isPure);
    default:
      return false;
  }
}

// ---------------------------------------------------------------------------------------------------
// Scopes and binding collection

/** A lexical scope mapping source names to canonical names. */
class Scope {
  readonly names = new Map<string, string>();
  constructor(
    readonly parent: Scope | null,
    /** Names resolved here keep their spelling (module scope in program mode). */
    readonly keepNames = false,
  ) {}

  resolve(name: string): string | undefined {
    for (let scope: Scope | null = this; scope; scope = scope.parent) {
      const found = scope.names.get(name);
      if (found !== undefined) return found;
    }
    return undefined;
  }
}

/** Names bound by a pattern, in source order. */
function patternNames(node: AstNode | null, out: string[]): string[] {
  if (!node) return out;
  switch (node.type) {
    case 'Identifier':
      out.push(node.name);
      break;
    case 'ObjectPattern':
      for (const p of node.properties) patternNames(p.type === 'RestElement' ? p.argument : p.value, out);
      break;
    case 'ArrayPattern':
      for (const e of node.elements) patternNames(e, out);
      break;
    case 'AssignmentPattern':
      patternNames(node.left, out);
      break;
    case 'RestElement':
      patternNames(node.argument, out);
      break;
  }
  return out;
}

/** `var` names declared anywhere in a function body (not inside nested functions or classes). */
function varNames(node: AstNode | null, out: string[]): string[] {
  if (!node) return out;
  switch (node.type) {
    case 'VariableDeclaration':
      if (node.kind === 'var') for (const d of node.declarations) patternNames(d.id, out);
      break;
    case 'BlockStatement':
    case 'StaticBlock':
    case 'Program':
      for (const s of node.body) varNames(s, out);
      break;
    case 'IfStatement':
      varNames(node.consequent, out);
      varNames(node.alternate, out);
      break;
    case 'ForStatement':
      varNames(node.init, out);
      varNames(node.body, out);
      break;
    case 'ForInStatement':
    case 'ForOfStatement':
      varNames(node.left, out);
      varNames(node.body, out);
      break;
    case 'WhileStatement':
    case 'DoWhileStatement':
    case 'LabeledStatement':
    case 'WithStatement':
      varNames(node.body, out);
      break;
    case 'TryStatement':
      varNames(node.block, out);
      varNames(node.handler?.body ?? null, out);
      varNames(node.finalizer, out);
      break;
    case 'SwitchStatement':
      for (const c of node.cases) for (const s of c.consequent) varNames(s, out);
      break;
    case 'ExportNamedDeclaration':
      varNames(node.declaration, out);
      break;
  }
  return out;
}

/** Lexically scoped names (`let`, `const`, `using`, function and class declarations) of a statement list. */
function lexicalNames(statements: AstNode[], out: string[]): string[] {
  for (let s of statements) {
    if ((s.type === 'ExportNamedDeclaration' || s.type === 'ExportDefaultDeclaration') && s.declaration) {
      s = s.declaration;
    }
    if (s.type === 'VariableDeclaration' && s.kind !== 'var') {
      for (const d of s.declarations) patternNames(d.id, out);
    } else if ((s.type === 'FunctionDeclaration' || s.type === 'ClassDeclaration') && s.id) {
      out.push(s.id.name);
    } else if (s.type === 'ImportDeclaration') {
      for (const spec of s.specifiers) out.push(spec.local.name);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Printing: canonical S-expressions with bound names resolved

/** Keys never printed: positions and spellings of the same value. */
const SKIPPED_KEYS = new Set([
  'type',
  'start',
  'end',
  'range',
  'loc',
  'raw',
  'shorthand',
  'directive',
  'extra',
]);

class Printer {
  private counter = 0;

  /** Bind names in a scope, numbering them in order of first declaration. */
  private declare(scope: Scope, names: string[]): void {
    for (const name of names) {
      if (!scope.names.has(name)) scope.names.set(name, scope.keepNames ? name : `%${this.counter++}`);
    }
  }

  print(node: unknown, scope: Scope): string {
    if (node === null || node === undefined) return 'null';
    if (Array.isArray(node)) return `[${node.map((n) => this.print(n, scope)).join(' ')}]`;
    if (!isNode(node)) return printPlain(node);
    switch (node.type) {
      case 'Identifier':
        return this.printIdentifier(node.name, scope);
      case 'Literal':
        return printLiteral(node);
      case 'FunctionDeclaration':
      case 'FunctionExpression':
      case 'ArrowFunctionExpression':
        return this.printFunction(node, scope, false);
      case 'ClassDeclaration':
      case 'ClassExpression':
        return this.printClass(node, scope, false);
      case 'Program': {
        const inner = scope.keepNames ? scope : new Scope(scope);
        this.declare(inner, varNames(node, []));
        this.declare(inner, lexicalNames(node.body, []));
        return this.printFields(node, inner);
      }
      case 'BlockStatement':
        return this.printBlock(node, scope, true);
      case 'StaticBlock': {
        const inner = new Scope(scope);
        this.declare(inner, varNames(node, []));
        this.declare(inner, lexicalNames(node.body, []));
        return this.printFields(node, inner);
      }
      case 'ForStatement':
      case 'ForInStatement':
      case 'ForOfStatement': {
        const head = node.type === 'ForStatement' ? node.init : node.left;
        if (head?.type !== 'VariableDeclaration' || head.kind === 'var') return this.printFields(node, scope);
        const inner = new Scope(scope);
        this.declare(inner, lexicalNames([head], []));
        return this.printFields(node, inner);
      }
      case 'SwitchStatement': {
        const inner = new Scope(scope);
        this.declare(
          inner,
          lexicalNames(
            node.cases.flatMap((c: AstNode) => c.consequent),
            [],
          ),
        );
        return `(SwitchStatement discriminant:${this.print(node.discriminant, scope)} cases:${this.print(node.cases, inner)})`;
      }
      case 'CatchClause': {
        const inner = new Scope(scope);
        this.declare(inner, patternNames(node.param, []));
        return this.printFields(node, inner);
      }
      case 'MemberExpression':
        return this.printFields(node, scope, node.computed ? undefined : 'property');
      case 'Property':
      case 'MethodDefinition':
      case 'PropertyDefinition':
      case 'AccessorProperty':
        return this.printFields(node, scope, node.computed ? undefined : 'key');
      case 'LabeledStatement':
      case 'BreakStatement':
      case 'ContinueStatement':
        return this.printFields(node, scope, 'label');
      case 'MetaProperty':
        return `(MetaProperty ${node.meta.name}.${node.property.name})`;
      case 'ImportSpecifier':
      case 'ExportSpecifier':
        return this.printFields(node, scope, node.type === 'ImportSpecifier' ? 'imported' : 'exported');
      default:
        return this.printFields(node, scope);
    }
  }

  /** A function; the root's own name is dropped (a self-reference prints as `%self`). */
  printFunction(node: AstNode, scope: Scope, isRoot: boolean): string {
    let outer = scope;
    let id = 'null';
    if (node.type === 'FunctionExpression' && node.id) {
      // A named function expression binds its own name in a scope of its own
      outer = new Scope(scope);
      if (isRoot) outer.names.set(node.id.name, '%self');
      else this.declare(outer, [node.id.name]);
      if (!isRoot) id = this.print(node.id, outer);
    } else if (node.id && !isRoot) {
      id = this.print(node.id, scope);
    }
    const inner = new Scope(outer);
    this.declare(
      inner,
      node.params.flatMap((p: AstNode) => patternNames(p, [])),
    );
    if (node.body.type === 'BlockStatement') {
      this.declare(inner, varNames(node.body, []));
      this.declare(inner, lexicalNames(node.body.body, []));
    }
    const kind = node.type === 'ArrowFunctionExpression' ? 'arrow' : 'function';
    const params = this.print(node.params, inner);
    const body =
      node.body.type === 'BlockStatement'
        ? this.printBlock(node.body, inner, false)
        : this.print(node.body, inner);
    return `(Function ${kind} async:${node.async} generator:${node.generator} id:${id} params:${params} body:${body})`;
  }

  /** A class; the root's own name is dropped (a self-reference prints as `%self`). */
  printClass(node: AstNode, scope: Scope, isRoot: boolean): string {
    const superClass = this.print(node.superClass, scope);
    const inner = new Scope(scope);
    let id = 'null';
    if (node.id) {
      if (isRoot) inner.names.set(node.id.name, '%self');
      else if (node.type === 'ClassExpression') this.declare(inner, [node.id.name]);
      if (!isRoot) id = this.print(node.id, inner);
    }
    const decorators = this.print(node.decorators ?? [], scope);
    return `(Class id:${id} superClass:${superClass} decorators:${decorators} body:${this.print(node.body, inner)})`;
  }

  private printBlock(node: AstNode, scope: Scope, ownScope: boolean): string {
    let inner = scope;
    if (ownScope) {
      inner = new Scope(scope);
      this.declare(inner, lexicalNames(node.body, []));
    }
    return `(Block ${this.print(node.body, inner)})`;
  }

  private printIdentifier(name: string, scope: Scope): string {
    const bound = scope.resolve(name);
    if (bound !== undefined) return `(Id ${bound})`;
    return name === 'undefined' ? '(Undefined)' : `(Id ${JSON.stringify(name)})`;
  }

  /** Every field but positions, in key order; `rawKey` is a name, not a variable (`a.b`, `{ b: 1 }`). */
  private printFields(node: AstNode, scope: Scope, rawKey?: string): string {
    let out = `(${node.type}`;
    for (const key of Object.keys(node).sort()) {
      if (SKIPPED_KEYS.has(key)) continue;
      const child = node[key];
      if (key === rawKey && isNode(child) && child.type === 'Identifier') {
        out += ` ${key}:(Name ${JSON.stringify(child.name)})`;
      } else {
        out += ` ${key}:${this.print(child, scope)}`;
      }
    }
    return `${out})`;
  }
}

function printLiteral(node: AstNode): string {
  if (node.regex) return `(RegExp ${JSON.stringify(node.regex.pattern)} ${JSON.stringify(node.regex.flags)})`;
  if (node.bigint !== undefined) return `(BigInt ${String(node.bigint)})`;
  const value = node.value;
  if (typeof value === 'string') return `(String ${JSON.stringify(value)})`;
  if (typeof value === 'number') return `(Number ${String(value)})`;
  if (typeof value === 'bigint') return `(BigInt ${String(value)})`;
  return `(${String(value)})`;
}

/** A non-node value inside the AST (flags, operators, template values). */
function printPlain(value: unknown): string {
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    return `{${Object.keys(record)
      .sort()
      .map((k) => `${k}:${printPlain(record[k])}`)
      .join(' ')}}`;
  }
  if (typeof value === 'bigint') return `${value}n`;
  return value === undefined ? 'undefined' : JSON.stringify(value);
}
