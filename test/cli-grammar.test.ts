import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AtoError } from '../src/errors.js';
import { joinArgv, parseArgv } from '../src/scope/cli-args.js';
import { formatCliValue, parseCliValue } from '../src/scope/cli-values.js';

describe('value grammar', () => {
  it.each<[string, unknown]>([
    ['1', 1],
    ['-2', -2],
    ['+3', 3],
    ['0.5', 0.5],
    ['.5', 0.5],
    ['1e-3', 0.001],
    ['-1.5E+2', -150],
    ['true', true],
    ['False', false],
    ['null', null],
    ['None', null],
    ['inf', Infinity],
    ['-inf', -Infinity],
    ['resnet101', 'resnet101'],
    ['Hello World', 'Hello World'],
    ['/data/a:b,c', '/data/a:b,c'],
    ['%Elsa is doing magic.%', 'Elsa is doing magic.'],
    ['%a=b [x]%', 'a=b [x]'],
    ['"quoted \\"text\\""', 'quoted "text"'],
    ["'single'", 'single'],
    ['"123"', '123'],
    ['[64,128,[1,2]]', [64, 128, [1, 2]]],
    ['[ 1 , 2 , ]', [1, 2]],
    ['[]', []],
    ['(1,2)', [1, 2]],
    ['[a, b c, "d,e"]', ['a', 'b c', 'd,e']],
    ["{depth: 101, 'name': 'x'}", { depth: 101, name: 'x' }],
    ['{a: {b: [1, {c: null}]}}', { a: { b: [1, { c: null }] } }],
    ['{}', {}],
    ['[%a, b%, 2]', ['a, b', 2]],
    ['', ''],
  ])('%s', (text, value) => {
    expect(parseCliValue(text)).toEqual(value);
  });

  it.each([
    ['[1, 2', 'unbalanced "[": no closing "]"', 0],
    ['{a: 1', 'unbalanced "{": no closing "}"', 0],
    ['%Hello', 'unbalanced "%": no closing "%"', 0],
    ['"abc', 'unbalanced ": no closing "', 0],
    ['[1 [2]]', 'unexpected "[" inside a bare word', 3],
    ['[1, , 2]', 'expected a value', 4],
    ['{a 1}', 'expected ":" after the key', 4],
    ['[1] tail', 'unexpected text after the value', 4],
  ])('%s: a caret under the problem', (text, message, column) => {
    try {
      parseCliValue(text, `key=${text}`, 4);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(AtoError);
      const e = error as AtoError;
      expect(e.code).toBe('PARSE_ERROR');
      expect(e.message).toContain(message);
      expect(e.message).toContain(`in argument "key=${text}"`);
      if (column >= 0) {
        const lines = e.detail.split('\n');
        expect(lines[lines.length - 1]).toBe(`  ${' '.repeat(4 + column)}^`);
      }
    }
  });

  it('property: parsing a printed value gives the value back', () => {
    const key = fc.string({ unit: 'grapheme', maxLength: 6 });
    const leaf = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 10 }),
      fc.double(),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
    );
    const { value } = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        leaf,
        leaf,
        fc.array(tie('value'), { maxLength: 3 }),
        fc.dictionary(key, tie('value'), { maxKeys: 3, noNullPrototype: true }),
      ),
    }));
    fc.assert(
      fc.property(value, (v) => {
        expect(parseCliValue(formatCliValue(v))).toStrictEqual(v);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('argv tokens', () => {
  it('joins items split by the shell inside brackets and %...%', () => {
    expect(joinArgv(['layers=[1,', '2,', '3]', 'prompt=%Hello', 'World%', 'x=1'])).toEqual([
      'layers=[1, 2, 3]',
      'prompt=%Hello World%',
      'x=1',
    ]);
    expect(joinArgv(['prompt=Hello World', 'y=2'])).toEqual(['prompt=Hello World', 'y=2']);
    expect(joinArgv(['a={b:', '[1,', '2]}'])).toEqual(['a={b: [1, 2]}']);
  });

  it.each<[string[], unknown[]]>([
    [['high_lr'], [{ kind: 'view', name: 'high_lr' }]],
    [['model.resnet'], [{ kind: 'view', name: 'model.resnet' }]],
    [['lr=0.1'], [{ kind: 'assign', path: ['lr'], value: 0.1, plus: false }]],
    [['a.b.c=x'], [{ kind: 'assign', path: ['a', 'b', 'c'], value: 'x' }]],
    [['+new=1'], [{ kind: 'assign', path: ['new'], value: 1, plus: true }]],
    [['~old.key'], [{ kind: 'delete', path: ['old', 'key'] }]],
    [['manual'], [{ kind: 'command', command: 'manual' }]],
    [['--help'], [{ kind: 'command', command: 'manual' }]],
    [['-h'], [{ kind: 'command', command: 'manual' }]],
    [['print'], [{ kind: 'command', command: 'print' }]],
    [['--verbose'], [{ kind: 'flag', raw: '--verbose' }]],
    [['prompt=a=b'], [{ kind: 'assign', path: ['prompt'], value: 'a=b' }]],
    [['layers=[1,', '2]'], [{ kind: 'assign', path: ['layers'], value: [1, 2], raw: 'layers=[1, 2]' }]],
  ])('%j', (argv, tokens) => {
    expect(parseArgv(argv)).toMatchObject(tokens);
  });

  it.each([
    ['=1', 'missing key'],
    ['a..b=1', 'invalid key "a..b"'],
    ['x=[1', 'unbalanced "["'],
  ])('%s is an error', (arg, message) => {
    expect(() => parseArgv([arg])).toThrow(message);
  });
});
