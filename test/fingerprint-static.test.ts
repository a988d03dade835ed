// biome-ignore-all lint: the corpus below is deliberately varied code (odd spellings, shadowing, unused names)
import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { AtoError } from '../src/errors.js';
import {
  canonicalizeSource,
  clearFingerprintCache,
  defaultTraceId,
  fingerprintCacheSize,
  fingerprintFunction,
  fingerprintSource,
} from '../src/fingerprint/index.js';
import { loaderFixtures } from './fixtures/fingerprint/loaders.js';

/** A function, a source text as `toString()` would give it, or a whole module. */
type Side = Function | string | { program: string };
type Pair = [description: string, a: Side, b: Side, expected: 'same' | 'different'];

declare const model: any;
declare const net: any;
declare const relu: (x: number) => number;
declare const gelu: (x: number) => number;
declare const next: () => number;
declare const k: () => string;
declare const y: number;
declare const f: (...args: unknown[]) => unknown;

function fp(side: Side): string {
  if (typeof side === 'function') return fingerprintFunction(side);
  if (typeof side === 'string') return fingerprintSource(side);
  return fingerprintSource(side.program, { kind: 'program' });
}

function canon(side: Side): string {
  if (typeof side === 'function') return canonicalizeSource(side.toString());
  if (typeof side === 'string') return canonicalizeSource(side);
  return canonicalizeSource(side.program, { kind: 'program' });
}

// biome-ignore format: one pair per line reads as a table
const corpus: Pair[] = [
  // Comments, whitespace, semicolons, parentheses (source texts: the test transform reprints functions)
  ['comments', 'function f(a) { // add one\n return a + 1; }', 'function f(a) { /* the sum */ return a /* ! */ + 1 }', 'same'],
  ['whitespace and formatting', 'function f(a,b){if(a){return b}else{return -b}}', 'function f( a, b )\n{\n  if (a) {\n    return b\n  } else {\n    return - b\n  }\n}', 'same'],
  ['semicolons (ASI)', 'function f(a) { const b = a * 2; const c = b + 1; return c; }', 'function f(a) {\n const b = a * 2\n const c = b + 1\n return c\n}', 'same'],
  ['empty statements', 'function f(a) { ;; return a;; }', 'function f(a) { return a }', 'same'],
  ['optional parentheses', '(a, b, c) => (a * b) + c', '(a, b, c) => ((a * (b))) + (c)', 'same'],
  ['needed parentheses are logic', '(a, b, c) => (a + b) * c', '(a, b, c) => a + b * c', 'different'],
  ['string quotes', "() => 'sgd'", '() => "sgd"', 'same'],
  ['number spelling', '() => 1000 + 0x10', '() => 1e3 + 16', 'same'],
  ['template without expressions is a string', '() => `relu`', "() => 'relu'", 'same'],
  ['new without arguments', '() => new Map', '() => new Map()', 'same'],
  ['free undefined is void 0', '(x) => x === undefined', '(x) => x === void 0', 'same'],
  ['local named undefined is a variable', '(undefined) => 1 === undefined', '(u) => 1 === void 0', 'different'],

  // Names
  ['own name', function trainStep(a: number) { return a + 1; }, function step(a: number) { return a + 1; }, 'same'],
  ['own name in a self-reference', function fact(n: number): number { return n <= 1 ? 1 : n * fact(n - 1); }, function f(m: number): number { return m <= 1 ? 1 : m * f(m - 1); }, 'same'],
  ['self-reference vs free variable of the same name', 'function f(n) { return f(n) }', 'function g(n) { return f(n) }', 'different'],
  ['parameter renaming', (a: number, b: number) => a * b + a, (x: number, w: number) => x * w + x, 'same'],
  ['let/const renaming', () => { const total = 1; let acc = total; acc += 2; return acc; }, () => { const t = 1; let s = t; s += 2; return s; }, 'same'],
  ['var renaming with hoisting', 'function f() { x = 2; var x; return x }', 'function f() { q = 2; var q; return q }', 'same'],
  ['inner function declaration renaming', 'function f(a) { return sq(a); function sq(v) { return v * v } }', 'function f(b) { return square(b); function square(n) { return n * n } }', 'same'],
  ['catch parameter renaming', 'function f() { try { g() } catch (err) { return err.message } }', 'function f() { try { g() } catch (e) { return e.message } }', 'same'],
  ['destructuring renaming', ([first, { lr }]: any[]) => first * lr, ([head, { lr: rate }]: any[]) => head * rate, 'same'],
  ['loop variable renaming', (xs: number[]) => { let s = 0; for (const v of xs) for (let i = 0; i < v; i++) s += i; for (const key in xs) s += +key; return s; }, (arr: number[]) => { let t = 0; for (const e of arr) for (let j = 0; j < e; j++) t += j; for (const p in arr) t += +p; return t; }, 'same'],
  ['inner function parameters and closures', (a: number) => [1, 2].map((x) => x * a), (b: number) => [1, 2].map((v) => v * b), 'same'],
  ['inner class renaming', 'function f() { class A { m() { return new A() } } return new A() }', 'function f() { class Box { m() { return new Box() } } return new Box() }', 'same'],
  ['consistent shadowing', 'function f(a) { { const a = 1; return a } }', 'function f(x) { { const y = 1; return y } }', 'same'],
  ['shadowing resolved differently', 'function f(a) { { const b = 1; return a } }', 'function f(a) { { const b = 1; return b } }', 'different'],
  ['free variable name', (x: number) => model.predict(x), (x: number) => net.predict(x), 'different'],
  ['renaming that captures a free variable', (x: number) => x + y, (y: number) => y + y, 'different'],
  ['parameters used in another order', (a: number, b: number) => a / b, (a: number, b: number) => b / a, 'different'],

  // TypeScript annotations (erased by the test's own transform before toString)
  ['type annotations', (a: number, b: string): string => b.repeat(a), '(a, b) => b.repeat(a)', 'same'],
  ['generics, casts and non-null assertions', <T,>(xs: T[]): T => (xs as T[])[0]!, (xs: any) => xs[0], 'same'],

  // Orders that do not matter
  ['object destructuring order (parameter)', ({ a, b }: { a: number; b: number }) => a - b, ({ b, a }: { a: number; b: number }) => a - b, 'same'],
  ['object destructuring order (declaration)', (cfg: any) => { const { lr, epochs } = cfg; return lr * epochs; }, (cfg: any) => { const { epochs, lr } = cfg; return lr * epochs; }, 'same'],
  ['destructuring with computed keys keeps its order', '(o) => { const { [k()]: a, b } = o; return a + b }', '(o) => { const { b, [k()]: a } = o; return a + b }', 'different'],
  ['object literal key order', () => ({ lr: 0.1, epochs: 3, name: 'sgd' }), () => ({ name: 'sgd', epochs: 3, lr: 0.1 }), 'same'],
  ['object literal with side effects keeps its order', () => ({ a: next(), b: next() }), () => ({ b: next(), a: next() }), 'different'],
  ['quoted keys and computed constant keys', "() => ({ 'lr': 1, [\"momentum\"]: 2, 3: 'x' })", "() => ({ lr: 1, momentum: 2, '3': 'x' })", 'same'],
  ['shorthand properties', (a: number) => ({ a }), (a: number) => ({ a: a }), 'same'],
  ['bracket access with a constant', "(o) => o['weights']", '(o) => o.weights', 'same'],
  ['import order', { program: "import { b, a as z } from 'm';\nexport const f = () => z(b);" }, { program: "import { a as z, b } from 'm'\nexport const f = () => z(b)" }, 'same'],
  ['imported name', { program: "import { a } from 'm'; export const f = () => a;" }, { program: "import { b as a } from 'm'; export const f = () => a;" }, 'different'],
  ['class member order', 'class A { fit() { return 1 } static make() { return new A() } constructor(x) { this.x = x } get w() { return 2 } }', 'class B { constructor(y) { this.x = y } get w() { return 2 } fit() { return 1 } static make() { return new B() } }', 'same'],
  ['class field order is logic', 'class A { a = 1; b = this.a }', 'class A { b = this.a; a = 1 }', 'different'],

  // Arrow bodies
  ['expression vs block arrow body', (x: number) => x + 1, (x: number) => { return x + 1; }, 'same'],

  // Loader helpers
  ['esbuild __name wrappers', 'function f(a){const g=__name(x=>x*2,"g");return g(a)}', 'function f(a) { const g = (x) => x * 2; return g(a) }', 'same'],
  ['esbuild __name statements', 'function f(a){function h(y){return y+1}__name(h,"h");return h(a)}', 'function f(a) { function h(y) { return y + 1 } return h(a) }', 'same'],
  ['esbuild class static blocks', 'class A{static{__name(this,"A")}m(){return 1}}', 'class A { m() { return 1 } }', 'same'],

  // Changes of logic
  ['operator', (a: number, b: number) => a + b, (a: number, b: number) => a - b, 'different'],
  ['equality operator', (a: unknown, b: unknown) => a == b, (a: unknown, b: unknown) => a === b, 'different'],
  ['constant', (x: number) => x * 2, (x: number) => x * 3, 'different'],
  ['string constant', () => ({ optimizer: 'sgd' }), () => ({ optimizer: 'adam' }), 'different'],
  ['bigint vs number', '() => 1n', '() => 1', 'different'],
  ['regexp flags', '(s) => /a/g.test(s)', '(s) => /a/i.test(s)', 'different'],
  ['called method name', (a: number, b: number) => Math.max(a, b), (a: number, b: number) => Math.min(a, b), 'different'],
  ['called function name', (x: number) => relu(x), (x: number) => gelu(x), 'different'],
  ['extra argument', (a: number) => f(a), (a: number) => f(a, 1), 'different'],
  ['argument order', (a: number, b: number) => f(a, b), (a: number, b: number) => f(b, a), 'different'],
  ['array element order', (a: number, b: number) => [a, b], (a: number, b: number) => [b, a], 'different'],
  ['property accessed', function (this: any) { return this.w; }, function (this: any) { return this.b; }, 'different'],
  ['optional chaining', (o: any) => o?.w, (o: any) => o.w, 'different'],
  ['branch condition', (a: number) => { if (a > 0) return a; return -a; }, (a: number) => { if (a >= 0) return a; return -a; }, 'different'],
  ['branch removed', (a: number) => { if (a > 0) return a; return -a; }, (a: number) => { return -a; }, 'different'],
  ['loop bound', (n: number) => { let s = 0; for (let i = 0; i < n; i++) s += i; return s; }, (n: number) => { let s = 0; for (let i = 0; i <= n; i++) s += i; return s; }, 'different'],
  ['loop kind', (xs: number[]) => { let s = 0; for (const x of xs) s += x; return s; }, (xs: any) => { let s: any = 0; for (const x in xs) s += x; return s; }, 'different'],
  ['statement removed', (xs: number[]) => { xs.sort(); return xs; }, (xs: number[]) => { return xs; }, 'different'],
  ['default parameter value', (x: number, r = 0.1) => x * r, (x: number, r = 0.2) => x * r, 'different'],
  ['await removed', async (x: Promise<number>) => (await x) + 1, async (x: any) => x + 1, 'different'],
  ['async flag', async (x: number) => x, (x: number) => x, 'different'],
  ['generator flag', function* (x: number) { return x; }, function (x: number) { return x; }, 'different'],
  ['yield vs yield*', function* (xs: number[]) { yield xs; }, function* (xs: number[]) { yield* xs; }, 'different'],
  ['arrow vs function (this)', '(x) => x', 'function (x) { return x }', 'different'],
  ['getter vs method', 'get w() { return 1 }', 'w() { return 1 }', 'different'],
  ['static vs instance member', 'class A { static m() { return 1 } }', 'class A { m() { return 1 } }', 'different'],
  ['let vs var', 'function f() { { let a = 1 } return typeof a }', 'function f() { { var a = 1 } return typeof a }', 'different'],
  ['private name', 'm() { return this.#a }', 'm() { return this.#b }', 'different'],
];

describe('static fingerprint corpus', () => {
  it('has at least 40 pairs, both outcomes', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(40);
    expect(corpus.filter((p) => p[3] === 'same').length).toBeGreaterThanOrEqual(20);
    expect(corpus.filter((p) => p[3] === 'different').length).toBeGreaterThanOrEqual(20);
  });

  it.each(corpus)('%s: %s', (_description, a, b, expected) => {
    if (expected === 'same') expect(canon(b)).toBe(canon(a));
    else expect(canon(b)).not.toBe(canon(a));
    expect(fp(a) === fp(b)).toBe(expected === 'same');
    expect(fp(a)).toMatch(/^[0-9a-f]{64}$/);
  });
});

class Model {
  w = 2;
  static count = 0;
  #secret = 3;
  predict(x: number): number {
    return x * this.w + this.#secret;
  }
  get weight(): number {
    return this.w;
  }
  set weight(value: number) {
    this.w = value;
  }
  static create(): Model {
    return new Model();
  }
  #hidden(): number {
    return this.#secret;
  }
  reveal(): number {
    return this.#hidden();
  }
  async load(path: string): Promise<string> {
    return await Promise.resolve(path);
  }
  *[Symbol.iterator](): Generator<number> {
    yield this.w;
  }
  handler = (e: number) => e * this.w;
}

const descriptor = (name: string) => Object.getOwnPropertyDescriptor(Model.prototype, name)!;

describe('function kinds', () => {
  // biome-ignore format: one kind per line
  const kinds: Array<[string, Function]> = [
    ['function declaration', function declared(a: number) { return a; }],
    ['anonymous function expression', function (a: number) { return a; }],
    ['arrow with expression body', (a: number) => a],
    ['arrow with block body', (a: number) => { return a; }],
    ['async function', async function load(a: number) { return await Promise.resolve(a); }],
    ['async arrow', async (a: number) => await Promise.resolve(a)],
    ['generator', function* gen(n: number) { for (let i = 0; i < n; i++) yield i; }],
    ['async generator', async function* agen(n: number) { for (let i = 0; i < n; i++) yield await Promise.resolve(i); }],
    ['class method', Model.prototype.predict],
    ['getter', descriptor('weight').get!],
    ['setter', descriptor('weight').set!],
    ['static method', Model.create],
    ['method calling a private method', Model.prototype.reveal],
    ['async method', Model.prototype.load],
    ['generator method with a computed key', (Model.prototype as any)[Symbol.iterator]],
    ['class field arrow', new Model().handler],
    ['whole class', Model],
    ['object literal method', { fit(x: number) { return x; } }.fit],
    ['new Function', new Function('a', 'b', 'return a + b')],
  ];

  it.each(kinds)('fingerprints a %s', (_kind, fn) => {
    expect(fingerprintFunction(fn)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('gives every kind its own fingerprint, but for the name and the arrow body form', () => {
    const hashes = kinds.map(([, fn]) => fingerprintFunction(fn));
    // `function declared(a)` is `function (a)`; `(a) => a` is `(a) => { return a; }`
    expect(hashes[0]).toBe(hashes[1]);
    expect(hashes[2]).toBe(hashes[3]);
    expect(new Set(hashes).size).toBe(kinds.length - 2);
  });

  it('tells a getter from its setter and from a method', () => {
    expect(fingerprintSource('get w() { return this.w }')).not.toBe(
      fingerprintSource('w() { return this.w }'),
    );
    expect(fingerprintSource('set w(v) { this.w = v }')).not.toBe(fingerprintSource('w(v) { this.w = v }'));
  });

  it('ignores the method name and the wrapper it parses in', () => {
    expect(fingerprintSource('predict(x) { return x * 2 }')).toBe(
      fingerprintSource('#predict(y) { return y * 2 }'),
    );
    expect(fingerprintSource('[Symbol.iterator]() { return 1 }')).toBe(
      fingerprintSource('other() { return 1 }'),
    );
  });

  it('rejects what is not a function, class or method', () => {
    for (const source of ['1 + 2', 'x = 1', 'a: 1', 'function (', '', 'a) + (b']) {
      expect(() => canonicalizeSource(source)).toThrowError(AtoError);
    }
    try {
      canonicalizeSource('function (');
    } catch (error) {
      expect((error as AtoError).code).toBe('PARSE_ERROR');
    }
  });
});

describe('functions without source', () => {
  const cases: Array<[string, Function]> = [
    ['a built-in', Math.max],
    ['a built-in method', Array.prototype.push],
    [
      'a bound function',
      function named(this: unknown, a: number) {
        return a;
      }.bind(null),
    ],
    ['a bound arrow', ((a: number) => a).bind(null, 1)],
    ['a proxied function', new Proxy((a: number) => a, {})],
  ];

  it.each(cases)('rejects %s with a clear AtoError', (_what, fn) => {
    let caught: unknown;
    try {
      fingerprintFunction(fn);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AtoError);
    expect((caught as AtoError).code).toBe('INVALID_ARGUMENT');
    expect((caught as AtoError).message).toMatch(/no JavaScript source/);
    expect((caught as AtoError).hint).toMatch(/original function/);
  });

  it('names the built-in', () => {
    expect(() => fingerprintFunction(Math.max)).toThrowError(/'max'/);
  });

  it('rejects a value that is not a function', () => {
    expect(() => fingerprintFunction(42 as unknown as Function)).toThrowError(/not a function/);
    expect(() => fingerprintFunction(null as unknown as Function)).toThrowError(AtoError);
  });
});

describe('deps', () => {
  const step = (x: number) => f(x);
  const helperA = (x: number) => x * 2;
  const helperARenamed = (v: number) => v * 2;
  const helperB = (x: number) => x * 3;
  const other = (x: number) => x - 1;

  it('folds the helpers in', () => {
    expect(fingerprintFunction(step, { deps: [helperA] })).not.toBe(fingerprintFunction(step));
    expect(fingerprintFunction(step, { deps: [] })).toBe(fingerprintFunction(step));
  });

  it('changes when a helper changes logic, not when it is renamed', () => {
    const a = fingerprintFunction(step, { deps: [helperA] });
    expect(fingerprintFunction(step, { deps: [helperB] })).not.toBe(a);
    expect(fingerprintFunction(step, { deps: [helperARenamed] })).toBe(a);
  });

  it('ignores order and duplicates', () => {
    expect(fingerprintFunction(step, { deps: [helperA, other] })).toBe(
      fingerprintFunction(step, { deps: [other, helperA] }),
    );
    expect(fingerprintFunction(step, { deps: [helperA, helperA] })).toBe(
      fingerprintFunction(step, { deps: [helperA] }),
    );
  });

  it('rejects a dep that is not a function, or has no source', () => {
    expect(() => fingerprintFunction(step, { deps: [helperA, 3 as unknown as Function] })).toThrowError(
      /deps\[1\]/,
    );
    expect(() => fingerprintFunction(step, { deps: [Math.max] })).toThrowError(/no JavaScript source/);
  });
});

describe('cache', () => {
  it('keeps one entry per distinct source and returns the same fingerprint', () => {
    clearFingerprintCache();
    expect(fingerprintCacheSize()).toBe(0);
    const make = (n: number) => new Function('x', `return x * ${n};`);
    const first = fingerprintFunction(make(7));
    expect(fingerprintCacheSize()).toBe(1);
    // A different function object with the same source hits the cache
    expect(fingerprintFunction(make(7))).toBe(first);
    expect(fingerprintCacheSize()).toBe(1);
    fingerprintFunction(make(8));
    expect(fingerprintCacheSize()).toBe(2);
    clearFingerprintCache();
    expect(fingerprintFunction(make(7))).toBe(first);
  });

  it('keeps program and function sources apart', () => {
    const source = 'function f(a) { return a }';
    expect(fingerprintSource(source, { kind: 'program' })).not.toBe(fingerprintSource(source));
  });
});

describe('defaultTraceId', () => {
  it('is the function name, or derived from the fingerprint', () => {
    expect(defaultTraceId(function trainStep() {})).toBe('trainStep');
    const anonymous = [(x: number) => x + 1][0]!;
    expect(defaultTraceId(anonymous)).toBe(`fn-${fingerprintFunction(anonymous).slice(0, 12)}`);
  });
});

describe('canonical text', () => {
  it('renames bound names by position and keeps free names', () => {
    const text = canonicalizeSource('function f(a, b) { const c = a + b; return model.fit(c, f) }');
    expect(text).toContain('(Id %0)');
    expect(text).toContain('(Id %2)');
    expect(text).toContain('(Id %self)');
    expect(text).toContain('(Id "model")');
    expect(text).not.toMatch(/"a"|"b"|"c"/);
  });
});

// ---------------------------------------------------------------------------------------------------
// The same source under vitest, tsx and plain node on tsc output

const root = fileURLToPath(new URL('..', import.meta.url));

/** A module that prints the fingerprints of the fixture's functions as JSON. */
function runnerSource(fixtureUrl: string, fingerprintUrl: string): string {
  return [
    `import { loaderFixtures } from ${JSON.stringify(fixtureUrl)};`,
    `import { fingerprintFunction } from ${JSON.stringify(fingerprintUrl)};`,
    'const out = {};',
    'for (const [name, fn] of Object.entries(loaderFixtures)) out[name] = fingerprintFunction(fn);',
    'console.log(JSON.stringify(out));',
  ].join('\n');
}

function run(args: string[], cwd: string): Record<string, string> {
  const stdout = execFileSync(process.execPath, args, { cwd, encoding: 'utf8', timeout: 60_000 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, string>;
}

describe('loaders', () => {
  const viaVitest = Object.fromEntries(
    Object.entries(loaderFixtures).map(([name, fn]) => [name, fingerprintFunction(fn)]),
  );

  it('covers a class, a method, an async arrow and a generator', () => {
    expect(Object.keys(viaVitest)).toEqual(
      expect.arrayContaining(['Trainer', 'fit', 'evaluate', 'batches', 'stream']),
    );
  });

  it('gives the same fingerprints under vitest, tsx and node on tsc output', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ato-fingerprint-loaders-'));
    try {
      // tsx: the TypeScript sources as they are
      const tsxRunner = join(dir, 'tsx-runner.mjs');
      writeFileSync(
        tsxRunner,
        runnerSource(
          pathToFileURL(join(root, 'test/fixtures/fingerprint/loaders.ts')).href,
          pathToFileURL(join(root, 'src/fingerprint/index.ts')).href,
        ),
      );
      const viaTsx = run([join(root, 'node_modules/tsx/dist/cli.mjs'), tsxRunner], root);

      // node: every file compiled by the TypeScript compiler, as tsc would emit it
      const out = join(dir, 'compiled');
      const compile = (from: string, to: string) => {
        mkdirSync(dirname(join(out, to)), { recursive: true });
        const { outputText } = ts.transpileModule(readFileSync(join(root, from), 'utf8'), {
          fileName: from,
          compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ES2022, sourceMap: false },
        });
        writeFileSync(join(out, to), outputText);
      };
      compile('src/errors.ts', 'src/errors.js');
      compile('src/_lazy.ts', 'src/_lazy.js');
      for (const file of readdirSync(join(root, 'src/fingerprint')).filter((name) => name.endsWith('.ts'))) {
        compile(`src/fingerprint/${file}`, `src/fingerprint/${file.replace(/\.ts$/, '.js')}`);
      }
      compile('test/fixtures/fingerprint/loaders.ts', 'loaders.js');
      writeFileSync(join(out, 'package.json'), '{ "type": "module" }');
      symlinkSync(join(root, 'node_modules'), join(out, 'node_modules'), 'dir');
      writeFileSync(join(out, 'runner.js'), runnerSource('./loaders.js', './src/fingerprint/index.js'));
      const viaNode = run([join(out, 'runner.js')], out);

      expect(viaTsx).toEqual(viaVitest);
      expect(viaNode).toEqual(viaVitest);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
