import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadMmConfigFile } from '../src/config/mmconfig/load.js';
import { evaluatePythonConfig } from '../src/config/mmconfig/python-eval.js';
import { AtoError } from '../src/errors.js';

const here = dirname(fileURLToPath(import.meta.url));
const SAMPLE = join(here, 'fixtures', 'mmconfigs');
const CORPUS = join(here, '..', '..', 'shared', 'fixtures', 'mmconfigs');

/** Evaluate `x = <expr>` and return x. */
function value(expr: string): unknown {
  return evaluatePythonConfig(`x = ${expr}\n`, 'conf.py').values.x;
}

/** The AtoError thrown by `fn`. */
function caught(fn: () => unknown): AtoError {
  try {
    fn();
  } catch (e) {
    if (e instanceof AtoError) return e;
    throw e;
  }
  throw new Error('expected an AtoError');
}

describe('evaluatePythonConfig: values', () => {
  it.each<[string, string, unknown]>([
    // literals
    ['ints', '[0, 7, -3, 1_000, 0x1F, 0o17, 0b101]', [0, 7, -3, 1000, 31, 15, 5]],
    ['floats', '[1.5, .5, 1., 0., 1e-5, 2.5E3, 1_0.2_5]', [1.5, 0.5, 1, 0, 1e-5, 2500, 10.25]],
    ['constants', '[True, False, None]', [true, false, null]],
    ['tuples become arrays', '((1, 2), (3,), ())', [[1, 2], [3], []]],
    [
      'nested containers',
      "{'a': [1, {'b': (2, 3)}], 1: 'int key'}",
      { a: [1, { b: [2, 3] }], '1': 'int key' },
    ],
    // strings
    ['quote styles', `['a', "b", '''c''', """d"""]`, ['a', 'b', 'c', 'd']],
    ['implicit concatenation', `'ab' "cd" '''ef'''`, 'abcdef'],
    [
      'concatenation across lines',
      "('https://example.com/'  # comment\n     'model.pth')",
      'https://example.com/model.pth',
    ],
    ['escapes', String.raw`'a\tb\n\\ \' \" \x41\u00e9\101'`, 'a\tb\n\\ \' " AéA'],
    ['raw strings', String.raw`r'\n\d+' + R"\t"`, String.raw`\n\d+\t`],
    ['triple-quoted with newlines', "'''line1\nline2'''", 'line1\nline2'],
    ['unknown escapes keep the backslash', String.raw`'\d'`, String.raw`\d`],
    // arithmetic
    ['floor division', '[7 // 2, -7 // 2, 7 // -2, -7 // -2, 7.5 // 2, -7.5 // 2]', [3, -4, -4, 3, 3, -4]],
    ['modulo', '[7 % 3, -7 % 3, 7 % -3, -7.5 % 2, 7.5 % -2]', [1, 2, -2, 0.5, -0.5]],
    ['true division', '[1 / 4, 7 / 7, -1 / 8]', [0.25, 1, -0.125]],
    [
      'power',
      '[2 ** 10, 2 ** -1, -2 ** 2, (-2) ** 3, 4 ** 0.5, 10 ** -5, 128 * 2**3]',
      [1024, 0.5, -4, -8, 2, 1e-5, 1024],
    ],
    ['precedence', '[1 + 2 * 3, (1 + 2) * 3, -3 ** 2, 2 * 3 % 4, 10 - 4 - 3]', [7, 9, -9, 2, 3]],
    ['unary', '[-5, +5, --5, -True, +False, not 0, not [1]]', [-5, 5, 5, -1, 0, true, false]],
    ['bools are ints', 'True + True * 3', 4],
    ['float arithmetic', '0.1 + 0.2', 0.30000000000000004],
    ['list and string +', "[[1] + [2, 3], 'ab' + 'c', (1,) + (2,)]", [[1, 2, 3], 'abc', [1, 2]]],
    [
      'repetition',
      "['ab' * 3, [0] * 3, 2 * [1, 2], 'x' * 0, [1] * -1]",
      ['ababab', [0, 0, 0], [1, 2, 1, 2], '', []],
    ],
    [
      'comparisons',
      '[1 < 2 < 3, 1 < 2 > 3, 2 == 2.0, [1, 2] == [1, 2], (1,) == [1], 1 != 2, None is None]',
      [true, false, true, true, false, true, true],
    ],
    ['membership', "[3 in [1, 2, 3], 'a' not in 'bcd', 'k' in {'k': 1}]", [true, true, true]],
    ['and / or / if-else', "[0 or 'x', 1 and 0, 'a' if 0 else 'b']", ['x', 0, 'b']],
    // names, subscripts, slices
    ['names of earlier assignments', 'a = 2\nb = a * 3\nx = [a, b]', [2, 6]],
    [
      'subscripts',
      "d = {'a': [10, 20, 30]}\nx = [d['a'][0], d['a'][-1], 'hello'[1], (1, 2)[-2]]",
      [10, 30, 'e', 1],
    ],
    [
      'slices',
      "s = [1, 2, 3, 4, 5]\nx = [s[::-1], s[1:4], s[-2:], s[::2], s[4:1:-2], s[-100:100], s[:], 'hello'[1:-1], (1, 2, 3)[1:]]",
      [
        [5, 4, 3, 2, 1],
        [2, 3, 4],
        [4, 5],
        [1, 3, 5],
        [5, 3],
        [1, 2, 3, 4, 5],
        [1, 2, 3, 4, 5],
        'ell',
        [2, 3],
      ],
    ],
    ['statements separated by ;', 'a = 1; b = a + 1\nx = [a, b]', [1, 2]],
    // comprehensions
    ['comprehension with if', '[i * 2 for i in range(6) if i % 2 == 0]', [0, 4, 8]],
    [
      'nested for',
      '[(i, j) for i in range(3) for j in range(i)]',
      [
        [1, 0],
        [2, 0],
        [2, 1],
      ],
    ],
    ['tuple targets', '[a + b for a, b in [(1, 2), (3, 4)]]', [3, 7]],
    [
      'over strings and dict keys',
      "[[c for c in 'ab'], [k for k in {'p': 1, 'q': 2}]]",
      [
        ['a', 'b'],
        ['p', 'q'],
      ],
    ],
    [
      'round in a comprehension',
      'm = [123.675, 116.28, 103.53]\nx = [round(v) for v in m[::-1]]',
      [104, 116, 124],
    ],
    ['comprehension variables do not leak', 'i = 5\ny = [i for i in range(2)]\nx = i', 5],
    // dict(...)
    ['dict keywords', 'dict(a=1, b=dict(c=2))', { a: 1, b: { c: 2 } }],
    ['dict ** unpacking keeps order', 'base = dict(a=1, b=2)\nx = dict(**base, c=3)', { a: 1, b: 2, c: 3 }],
    ['dict from pairs', "dict([('a', 1), ('b', 2)], c=3)", { a: 1, b: 2, c: 3 }],
    ['dict literal ** unpacking', "{'a': 1, **{'a': 2, 'b': 3}}", { a: 2, b: 3 }],
    ['dict copy', "base = {'a': 1}\nx = dict(base, b=2)", { a: 1, b: 2 }],
    // built-ins
    [
      'round half to even',
      '[round(0.5), round(1.5), round(2.5), round(-2.5), round(3.5), round(7)]',
      [0, 2, 2, -2, 4, 7],
    ],
    [
      'round with ndigits',
      '[round(2.675, 2), round(0.125, 2), round(1234.5, -2), round(25, -1), round(35, -1), round(1.25, 1)]',
      [2.67, 0.12, 1200, 20, 40, 1.2],
    ],
    [
      'int',
      "[int(3.9), int(-3.9), int('  42 '), int('ff', 16), int('0b101', 0), int(True), int()]",
      [3, -3, 42, 255, 5, 1, 0],
    ],
    ['int of a computed size', 'int(320 / 224 * 256)', 365],
    [
      'range',
      '[list_ for list_ in [range(3), range(1, 7, 2), range(5, 0, -2), range(0)]]',
      [[0, 1, 2], [1, 3, 5], [5, 3, 1], []],
    ],
    [
      'assignment chains and tuple targets',
      'a = b = 1\nc, (d, e) = 2, [3, 4]\nx = [a, b, c, d, e]',
      [1, 1, 2, 3, 4],
    ],
  ])('%s', (_title, source, expected) => {
    const src = source.includes('\nx =') || source.startsWith('x =') ? source : `x = ${source}`;
    expect(evaluatePythonConfig(src, 'conf.py').values.x).toEqual(expected);
  });

  it.each<[string, string, string]>([
    // str() of floats keeps Python's int/float distinction
    ['int vs float', "f'{1}|{1.0}|{2/1}|{7//2}|{7.0//2}|{3*1.0}'", '1|1.0|2.0|3|3.0|3.0'],
    [
      'float repr',
      "f'{1e-5}|{1e-4}|{1.5e-7}|{1e16}|{1e15}|{123456789012345678.0}|{0.1 + 0.2}|{-0.0}'",
      '1e-05|0.0001|1.5e-07|1e+16|1000000000000000.0|1.2345678901234568e+17|0.30000000000000004|-0.0',
    ],
    [
      'fixed and precision',
      "f'{1/3:.2f}|{0.125:.2f}|{2.5:.0f}|{1.5:#.0f}|{42:08.3f}|{1234567.891:,.2f}'",
      '0.33|0.12|2|2.|0042.000|1,234,567.89',
    ],
    [
      'exponent and general',
      "f'{1.5:e}|{12345.678:.3e}|{0.00001234:g}|{123456789.0:g}|{1.0:g}|{123.0:.3}|{12.0:.3}'",
      '1.500000e+00|1.235e+04|1.234e-05|1.23457e+08|1|1.23e+02|12.0',
    ],
    ['percent', "f'{0.5:.0%}|{0.1234:%}'", '50%|12.340000%'],
    [
      'alignment and fill',
      'f\'{3:>5}|{3:<5}|{3:^5}|{3:*^7}|{-3:=6}|{-3:06}|{"ab":05}|{"abc":.2}\'',
      '    3|3    |  3  |***3***|-    3|-00003|ab000|ab',
    ],
    [
      'signs and bases',
      "f'{3:+d}|{3: d}|{255:x}|{255:#X}|{255:#o}|{255:#b}|{1234567:,}|{1234567:_}|{1234:010,}'",
      '+3| 3|ff|0XFF|0o377|0b11111111|1,234,567|1_234_567|00,001,234',
    ],
    ['conversions', 'f\'{"x"!r}|{"x"!s}|{"é"!a}|{"x"!r:>5}\'', "'x'|x|'\\xe9'|  'x'"],
    [
      'containers',
      'f\'{[1, (2,), {"a": 1.0}, None, True]}|{(1, 2)}\'',
      "[1, (2,), {'a': 1.0}, None, True]|(1, 2)",
    ],
    [
      'nested spec and self-documenting',
      'f\'{3.14159:{6}.{2}f}|{1 + 1 = }|{"a"=}\'',
      '  3.14|1 + 1 = 2|"a"=\'a\'',
    ],
    ['escaped braces and a triple-quoted f-string', "f'''{{x}} {1}\nnext'''", '{x} 1\nnext'],
    ['a := format spec', "f'{-3:=6}|{7:=^5}'", '-    3|==7=='],
    ['str.format positional', "'{}-{}'.format(1, 2.0)", '1-2.0'],
    [
      'str.format indexed and keyword',
      "'{1}{0}{1}|{x:>{w}}|{y[0]}|{y[1]:.1f}'.format('a', 'b', x='k', w=4, y=[1, 2.25])",
      'bab|   k|1|2.2',
    ],
    ['str.format conversions and braces', "'{!r}|{!s}|{{}}'.format('q', 'q')", "'q'|q|{}"],
    [
      'str.format in a comprehension',
      "['backbone.layers.{}'.format(i) for i in range(3)]",
      'backbone.layers.0,backbone.layers.1,backbone.layers.2',
    ],
  ])('formatting: %s', (_title, source, expected) => {
    const result = value(source);
    expect(Array.isArray(result) ? result.join(',') : result).toBe(expected);
  });

  it('returns plain numbers for floats and arrays for tuples', () => {
    const { values } = evaluatePythonConfig('a = 1.0\nb = (1, 2.5)\nc = dict(t=(3,))\n', 'conf.py');
    expect(values).toEqual({ a: 1, b: [1, 2.5], c: { t: [3] } });
    expect(Object.getPrototypeOf(values.c)).toBe(Object.prototype);
  });

  it('keeps module-level names except _base_ and __dunder__ names', () => {
    const { values, bases } = evaluatePythonConfig(
      "_base_ = ['a.py', '../b.py']\n__doc__ = 'x'\n_private = 1\nlr = 0.1\n",
      'conf.py',
    );
    expect(values).toEqual({ _private: 1, lr: 0.1 });
    expect(bases).toEqual(['a.py', '../b.py']);
  });

  it('normalises _base_ and locates its entries', () => {
    expect(evaluatePythonConfig("_base_ = './a.py'", 'c.py').bases).toEqual(['./a.py']);
    expect(evaluatePythonConfig("_base_ = ('a.py', 'b.py')", 'c.py').bases).toEqual(['a.py', 'b.py']);
    expect(evaluatePythonConfig('x = 1', 'c.py').bases).toEqual([]);
    const located = evaluatePythonConfig("_base_ = [\n    'a.py',\n  'b.py']\n", 'c.py');
    expect(located.baseLocations).toEqual([
      { line: 2, column: 5 },
      { line: 3, column: 3 },
    ]);
  });

  it('ignores docstrings, comments, pass and CRLF line ends', () => {
    const src = '"""Config."""\r\n# comment\r\npass\r\nx = dict(\r\n    a=1,  # trailing\r\n)\r\n';
    expect(evaluatePythonConfig(src, 'conf.py').values).toEqual({ x: { a: 1 } });
  });

  it('stores a __proto__ key as data without touching prototypes', () => {
    const { values } = evaluatePythonConfig(
      "x = dict(__proto__=dict(polluted=1))\ny = {'__proto__': 2}\n",
      'c.py',
    );
    const x = values.x as Record<string, unknown>;
    expect(Object.getPrototypeOf(x)).toBe(Object.prototype);
    expect(Object.keys(x)).toEqual(['__proto__']);
    expect(Object.getOwnPropertyDescriptor(x, '__proto__')?.value).toEqual({ polluted: 1 });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('evaluatePythonConfig: errors', () => {
  it.each<[string, string, string, number, number, string]>([
    // syntax errors
    ['unclosed bracket', 'x = dict(a=1\n', 'PARSE_ERROR', 1, 9, "'(' was never closed"],
    ['unmatched bracket', 'x = 1\ny = )\n', 'PARSE_ERROR', 2, 5, "unmatched ')'"],
    ['mismatched bracket', 'x = (1]\n', 'PARSE_ERROR', 1, 7, "']' does not match opening parenthesis '('"],
    ['missing comma', 'x = dict(a=1 b=2)\n', 'PARSE_ERROR', 1, 14, "expected ',' or ')', found 'b'"],
    ['two expressions', 'x = 1 2\n', 'PARSE_ERROR', 1, 7, "expected end of line, found '2'"],
    ['missing operand', 'x = 1 +\n', 'PARSE_ERROR', 1, 8, 'expected an expression, found end of line'],
    [
      'missing operand at the end of the file',
      'x = [1,\n 2 *]',
      'PARSE_ERROR',
      2,
      5,
      "expected an expression, found ']'",
    ],
    ['unterminated string', "x = 1\ny = 'abc\n", 'PARSE_ERROR', 2, 5, 'unterminated string literal'],
    [
      'unterminated triple-quoted string',
      'x = """abc\n',
      'PARSE_ERROR',
      1,
      5,
      'unterminated triple-quoted string literal',
    ],
    ['unexpected indent', 'x = 1\n  y = 2\n', 'PARSE_ERROR', 2, 3, 'unexpected indent'],
    ['leading zeros', 'x = 007\n', 'PARSE_ERROR', 1, 5, 'leading zeros'],
    ['repeated keyword', 'x = dict(a=1, a=2)\n', 'PARSE_ERROR', 1, 15, 'keyword argument repeated: a'],
    [
      'positional after keyword',
      'x = dict(a=1, 2)\n',
      'PARSE_ERROR',
      1,
      15,
      'positional argument follows keyword argument',
    ],
    ['assignment to a literal', '1 = x\n', 'PARSE_ERROR', 1, 1, 'cannot assign to 1'],
    ['single } in an f-string', "x = f'a}'\n", 'PARSE_ERROR', 1, 8, "single '}' is not allowed"],
    [
      'location after a 1. float',
      'x = [1., 2.]\ny = 1.5 +\n',
      'PARSE_ERROR',
      2,
      10,
      'expected an expression',
    ],
    // Python-level errors
    ['undefined name', 'x = 1\ny = dict(a=foo)\n', 'PARSE_ERROR', 2, 12, "name 'foo' is not defined"],
    ['undefined name in an f-string', "x = f'{y}'\n", 'PARSE_ERROR', 1, 8, "name 'y' is not defined"],
    [
      'names are not inherited',
      "_base_ = 'b.py'\nx = model\n",
      'PARSE_ERROR',
      2,
      5,
      "name 'model' is not defined",
    ],
    [
      'type error',
      "x = 'a' - 1\n",
      'PARSE_ERROR',
      1,
      9,
      "unsupported operand type(s) for -: 'str' and 'int'",
    ],
    ['str + int', "x = 'a' + 1\n", 'PARSE_ERROR', 1, 9, 'can only concatenate str (not "int") to str'],
    ['division by zero', 'x = 1 / 0\n', 'PARSE_ERROR', 1, 7, 'division by zero'],
    ['floor division by zero', 'x = 1 // 0\n', 'PARSE_ERROR', 1, 7, 'integer division or modulo by zero'],
    ['index out of range', 'x = [1][5]\n', 'PARSE_ERROR', 1, 9, 'list index out of range'],
    ['missing key', "x = {'a': 1}['b']\n", 'PARSE_ERROR', 1, 14, "KeyError: 'b'"],
    [
      'float index',
      'x = [1, 2][1.0]\n',
      'PARSE_ERROR',
      1,
      12,
      'list indices must be integers or slices, not float',
    ],
    ['zero slice step', 'x = [1][::0]\n', 'PARSE_ERROR', 1, 9, 'slice step cannot be zero'],
    ['unpacking count', 'a, b = 1, 2, 3\n', 'PARSE_ERROR', 1, 1, 'too many values to unpack (expected 2)'],
    ['not callable', 'x = 3()\n', 'PARSE_ERROR', 1, 5, "'int' object is not callable"],
    ['unhashable key', 'x = {[1]: 2}\n', 'PARSE_ERROR', 1, 6, "unhashable type: 'list'"],
    ['** of a non-mapping', 'x = dict(**[1])\n', 'PARSE_ERROR', 1, 12, 'argument after ** must be a mapping'],
    [
      'duplicate keyword from **',
      "x = dict(**{'a': 1}, a=2)\n",
      'PARSE_ERROR',
      1,
      22,
      "multiple values for keyword argument 'a'",
    ],
    [
      'bad format code',
      "x = f'{1:q}'\n",
      'PARSE_ERROR',
      1,
      7,
      "Unknown format code 'q' for object of type 'int'",
    ],
    [
      'missing format argument',
      "x = '{} {}'.format(1)\n",
      'PARSE_ERROR',
      1,
      5,
      'Replacement index 1 out of range',
    ],
    [
      'int of a bad string',
      "x = int('abc')\n",
      'PARSE_ERROR',
      1,
      5,
      "invalid literal for int() with base 10: 'abc'",
    ],
    [
      'range of a float',
      'x = range(1.5)\n',
      'PARSE_ERROR',
      1,
      5,
      "'float' object cannot be interpreted as an integer",
    ],
    [
      'bad _base_',
      '_base_ = 3\n',
      'PARSE_ERROR',
      1,
      10,
      '_base_ must be a string or a list of strings, not an int',
    ],
    // unsupported constructs
    [
      'lambda',
      'x = 1\ny = lambda: 1\n',
      'UNSUPPORTED_SYNTAX',
      2,
      5,
      'lambda expressions are not supported in config files',
    ],
    ['import', 'import os\n', 'UNSUPPORTED_SYNTAX', 1, 1, 'import statements are not supported'],
    [
      'from import',
      'x = 1\nfrom os import path\n',
      'UNSUPPORTED_SYNTAX',
      2,
      1,
      'import statements are not supported',
    ],
    [
      'function definition',
      'def f():\n    return 1\n',
      'UNSUPPORTED_SYNTAX',
      1,
      1,
      'function definitions are not supported',
    ],
    [
      'class definition',
      'class A:\n    pass\n',
      'UNSUPPORTED_SYNTAX',
      1,
      1,
      'class definitions are not supported',
    ],
    ['if statement', 'if True:\n    x = 1\n', 'UNSUPPORTED_SYNTAX', 1, 1, 'if statements are not supported'],
    ['augmented assignment', 'x = 1\nx += 1\n', 'UNSUPPORTED_SYNTAX', 2, 1, 'augmented assignments'],
    [
      'annotated assignment',
      'x: int = 1\n',
      'UNSUPPORTED_SYNTAX',
      1,
      2,
      'annotated assignments are not supported',
    ],
    ['expression statement', 'x = 1\nprint(x)\n', 'UNSUPPORTED_SYNTAX', 2, 1, 'expression statements'],
    [
      'method call',
      'x = [1].append(2)\n',
      'UNSUPPORTED_SYNTAX',
      1,
      5,
      "method calls ('.append()') are not supported",
    ],
    ['attribute access', 'x = dict(a=1)\ny = x.a\n', 'UNSUPPORTED_SYNTAX', 2, 5, "attribute access ('x.a')"],
    [
      '_base_ attribute access',
      "_base_ = 'b.py'\nx = _base_.model\n",
      'UNSUPPORTED_SYNTAX',
      2,
      5,
      "attribute access ('_base_.model')",
    ],
    [
      'unsupported built-in',
      'x = len([1])\n',
      'UNSUPPORTED_SYNTAX',
      1,
      5,
      'the built-in function len() is not supported',
    ],
    [
      'built-in as a value',
      'x = round\n',
      'UNSUPPORTED_SYNTAX',
      1,
      5,
      "the built-in 'round' can only be called",
    ],
    ['set literal', 'x = {1, 2}\n', 'UNSUPPORTED_SYNTAX', 1, 5, 'set literals are not supported'],
    [
      'dict comprehension',
      'x = {k: 1 for k in [1]}\n',
      'UNSUPPORTED_SYNTAX',
      1,
      5,
      'dict comprehensions are not supported',
    ],
    [
      'generator expression',
      'x = (i for i in [1])\n',
      'UNSUPPORTED_SYNTAX',
      1,
      5,
      'generator expressions are not supported',
    ],
    ['complex number', 'x = 1j\n', 'UNSUPPORTED_SYNTAX', 1, 5, 'complex numbers are not supported'],
    ['bytes literal', "x = b'a'\n", 'UNSUPPORTED_SYNTAX', 1, 5, 'bytes literals are not supported'],
    ['printf formatting', "x = '%d' % 3\n", 'UNSUPPORTED_SYNTAX', 1, 10, 'printf-style string formatting'],
    [
      'bitwise operator',
      'x = 1 | 2\n',
      'UNSUPPORTED_SYNTAX',
      1,
      7,
      'bitwise operators (|) are not supported',
    ],
    [
      'subscript assignment',
      'x = {}\nx["a"] = 1\n',
      'UNSUPPORTED_SYNTAX',
      2,
      1,
      'assignments to subscripts or attributes',
    ],
    ['starred target', 'a, *b = [1, 2]\n', 'UNSUPPORTED_SYNTAX', 1, 4, 'starred assignment targets'],
    ['huge int', 'x = 2 ** 10000\n', 'UNSUPPORTED_SYNTAX', 1, 7, 'integers beyond the float range'],
  ])('%s', (_title, source, code, line, column, message) => {
    const error = caught(() => evaluatePythonConfig(source, 'dir/conf.py'));
    expect(error.code).toBe(code);
    expect(error.location).toEqual({ file: 'dir/conf.py', line, column });
    expect(error.detail).toContain(message);
    expect(error.message).toContain(`dir/conf.py:${line}:${column}: `);
    expect(error.hint).toBeTruthy();
  });
});

describe('loadMmConfigFile', () => {
  const root = mkdtempSync(join(tmpdir(), 'ato-mmconfig-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  let counter = 0;

  /** Write files under a fresh folder and return the folder. */
  function files(tree: Record<string, string>): string {
    const dir = join(root, `case${++counter}`);
    for (const [name, text] of Object.entries(tree)) {
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
    return dir;
  }

  it('merges bases in order, then the file, dict by dict', () => {
    const dir = files({
      '_base_/a.py':
        "model = dict(type='A', backbone=dict(depth=50, norm=dict(type='BN')), neck=None)\nlr = 0.1\nsteps = [1, 2]\n",
      '_base_/b.py': 'model = dict(head=dict(num_classes=10))\nlr = 0.2\n',
      'configs/c.py':
        "_base_ = ['../_base_/a.py', '../_base_/b.py']\nmodel = dict(backbone=dict(depth=101))\nsteps = [3]\n",
    });
    expect(loadMmConfigFile(join(dir, 'configs/c.py'))).toEqual({
      model: {
        type: 'A',
        backbone: { depth: 101, norm: { type: 'BN' } },
        neck: null,
        head: { num_classes: 10 },
      },
      lr: 0.2,
      steps: [3],
    });
  });

  it('follows chains of bases relative to each referencing file', () => {
    const dir = files({
      'a/base.py': 'x = dict(a=1, b=1)\n',
      'a/b/mid.py': "_base_ = '../base.py'\nx = dict(b=2, c=2)\n",
      'top.py': "_base_ = 'a/b/mid.py'\nx = dict(c=3)\n",
    });
    expect(loadMmConfigFile(join(dir, 'top.py'))).toEqual({ x: { a: 1, b: 2, c: 3 } });
  });

  it('replaces instead of merging a dict with _delete_=True, and strips the marker everywhere', () => {
    const dir = files({
      'base.py':
        "model = dict(head=dict(loss=dict(type='CE', weight=1.0), fc=2), backbone=dict(init=dict(a=1, b=2)))\n",
      'child.py': [
        "_base_ = './base.py'",
        'model = dict(',
        "    head=dict(loss=dict(type='Focal', _delete_=True)),",
        '    backbone=dict(init=dict(c=3, _delete_=False)),',
        '    new=dict(k=1, _delete_=True),',
        ')',
        "pipeline = [dict(type='A', _delete_=True)]",
        'typo = dict(_delete=True)',
      ].join('\n'),
    });
    expect(loadMmConfigFile(join(dir, 'child.py'))).toEqual({
      model: {
        head: { loss: { type: 'Focal' }, fc: 2 },
        backbone: { init: { a: 1, b: 2, c: 3 } },
        new: { k: 1 },
      },
      pipeline: [{ type: 'A' }],
      typo: { _delete: true },
    });
  });

  it('loads a base listed twice (diamond) and returns results that share nothing', () => {
    const dir = files({
      'common.py': 'shared = dict(items=[1, 2], d=dict(k=1))\n',
      'left.py': "_base_ = 'common.py'\nleft = 1\n",
      'right.py': "_base_ = 'common.py'\nright = 2\n",
      'top.py': "_base_ = ['left.py', 'right.py']\nshared = dict(d=dict(j=2))\n",
    });
    const first = loadMmConfigFile(join(dir, 'top.py'));
    expect(first).toEqual({ shared: { items: [1, 2], d: { k: 1, j: 2 } }, left: 1, right: 2 });
    ((first.shared as { items: number[] }).items as number[]).push(3);
    const second = loadMmConfigFile(join(dir, 'top.py'));
    expect((second.shared as { items: number[] }).items).toEqual([1, 2]);
  });

  it('sees changes to a file between calls (no cache across calls)', () => {
    const dir = files({ 'base.py': 'a = 1\n', 'top.py': "_base_ = 'base.py'\nb = 2\n" });
    expect(loadMmConfigFile(join(dir, 'top.py'))).toEqual({ a: 1, b: 2 });
    writeFileSync(join(dir, 'base.py'), 'a = 10\n');
    expect(loadMmConfigFile(join(dir, 'top.py'))).toEqual({ a: 10, b: 2 });
  });

  it('does not let a __proto__ key reach a prototype while merging', () => {
    const dir = files({
      'base.py': "x = {'__proto__': dict(polluted=1)}\n",
      'top.py': "_base_ = 'base.py'\nx = {'__proto__': dict(more=2)}\ny = dict(__proto__=3)\n",
    });
    const result = loadMmConfigFile(join(dir, 'top.py'));
    const x = result.x as Record<string, unknown>;
    expect(Object.getPrototypeOf(x)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(x, '__proto__')?.value).toEqual({ polluted: 1, more: 2 });
    expect(Object.getOwnPropertyDescriptor(result.y, '__proto__')?.value).toBe(3);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).more).toBeUndefined();
  });

  it('reports a base cycle with the chain', () => {
    const dir = files({
      'a.py': "_base_ = 'b.py'\nx = 1\n",
      'b.py': "y = 2\n_base_ = ['c.py']\n",
      'c.py': "_base_ = ['./a.py']\n",
    });
    const error = caught(() => loadMmConfigFile(join(dir, 'a.py')));
    expect(error.code).toBe('PARSE_ERROR');
    expect(error.location).toEqual({ file: join(dir, 'c.py'), line: 1, column: 11 });
    expect(error.detail).toBe(
      `circular _base_ inheritance: ${join(dir, 'a.py')} -> ${join(dir, 'b.py')} -> ${join(dir, 'c.py')} -> ${join(dir, 'a.py')}`,
    );
  });

  it('reports a file that lists itself as its base', () => {
    const dir = files({ 'self.py': "x = 1\n_base_ = 'self.py'\n" });
    const error = caught(() => loadMmConfigFile(join(dir, 'self.py')));
    expect(error.code).toBe('PARSE_ERROR');
    expect(error.location).toEqual({ file: join(dir, 'self.py'), line: 2, column: 10 });
    expect(error.detail).toContain('circular _base_ inheritance');
  });

  it('reports a missing base with the file that references it', () => {
    const dir = files({
      'top.py': "_base_ = [\n    './ok.py',\n    '../missing/base.py',\n]\n",
      'ok.py': 'a = 1\n',
    });
    const error = caught(() => loadMmConfigFile(join(dir, 'top.py')));
    expect(error.code).toBe('FILE_NOT_FOUND');
    expect(error.location).toEqual({ file: join(dir, 'top.py'), line: 3, column: 5 });
    expect(error.detail).toContain(join(dir, '..', 'missing', 'base.py'));
    expect(error.detail).toContain(`the _base_ '../missing/base.py' of ${join(dir, 'top.py')}`);
  });

  it('reports a missing config file', () => {
    const path = join(root, 'nope', 'conf.py');
    const error = caught(() => loadMmConfigFile(path));
    expect(error.code).toBe('FILE_NOT_FOUND');
    expect(error.location).toEqual({ file: path });
    expect(error.detail).toContain(path);
  });

  it('rejects a base that is not a Python file', () => {
    const dir = files({ 'top.py': "_base_ = 'base.yaml'\n", 'base.yaml': 'a: 1\n' });
    const error = caught(() => loadMmConfigFile(join(dir, 'top.py')));
    expect(error.code).toBe('UNSUPPORTED_FORMAT');
    expect(error.location).toEqual({ file: join(dir, 'top.py'), line: 1, column: 10 });
  });

  it('locates errors in a base file in that file', () => {
    const dir = files({ 'sub/base.py': 'a = 1\nb = lambda: 2\n', 'top.py': "_base_ = 'sub/base.py'\n" });
    const error = caught(() => loadMmConfigFile(join(dir, 'top.py')));
    expect(error.code).toBe('UNSUPPORTED_SYNTAX');
    expect(error.location).toEqual({ file: join(dir, 'sub', 'base.py'), line: 2, column: 5 });
  });
});

/** Load every config of an expected.json and compare. */
function checkCorpus(folder: string): void {
  const expected = JSON.parse(readFileSync(join(folder, 'expected.json'), 'utf8')) as Record<string, unknown>;
  it.each(Object.keys(expected))('%s', (name) => {
    expect(loadMmConfigFile(join(folder, name))).toEqual(expected[name]);
  });
}

describe('bundled OpenMMLab sample (test/fixtures/mmconfigs)', () => {
  it('holds five configs', () => {
    const expected = JSON.parse(readFileSync(join(SAMPLE, 'expected.json'), 'utf8')) as object;
    expect(Object.keys(expected)).toHaveLength(5);
  });
  checkCorpus(SAMPLE);
});

const hasCorpus = existsSync(join(CORPUS, 'expected.json'));

describe.runIf(hasCorpus)('OpenMMLab corpus (../shared/fixtures/mmconfigs)', () => {
  it('lists 516 configs', () => {
    const expected = JSON.parse(readFileSync(join(CORPUS, 'expected.json'), 'utf8')) as object;
    expect(Object.keys(expected)).toHaveLength(516);
  });
  if (hasCorpus) checkCorpus(CORPUS);
});

if (!hasCorpus) {
  describe('OpenMMLab corpus', () => {
    it.skip(`skipped: ${CORPUS} is missing (only the bundled sample was checked)`, () => {});
  });
}
