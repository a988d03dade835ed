import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseXyz, parseXyzScalar, toXyz } from '../src/config/xyz.js';
import { AtoError } from '../src/errors.js';

const leaf = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(
    '1',
    'true',
    'None',
    '[Empty Mapping]',
    ' x',
    '#c',
    '"q"',
    "'s'",
    '0) a',
    'a: b',
    '',
    'multi\nline',
    '-0',
    'NaN',
  ),
);
const key = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.constantFrom('a:b', '0)', '"k"', ' sp', '#', '', '__proto__', 'x y'),
);
const { tree } = fc.letrec((tie) => ({
  tree: fc.dictionary(key, tie('node'), { maxKeys: 4, noNullPrototype: true }),
  node: fc.oneof({ depthSize: 'small' }, leaf, leaf, tie('tree'), fc.array(tie('node'), { maxLength: 3 })),
}));

describe('XYZ', () => {
  it('writes the documented layout', () => {
    const text = toXyz({
      model: { backbone: 'resnet50', layers: [64, 128] },
      lr: 0.001,
      empty: [],
      none: {},
      items: [{ a: 1 }, [2]],
    });
    expect(text).toBe(
      [
        'model:',
        '  backbone: resnet50',
        '  layers:',
        '    0) 64',
        '    1) 128',
        'lr: 0.001',
        'empty: [Empty Sequence]',
        'none: [Empty Mapping]',
        'items:',
        '  0)',
        '    a: 1',
        '  1)',
        '    0) 2',
        '',
      ].join('\n'),
    );
  });

  it.each([
    ['42', 42],
    ['-2.5', -2.5],
    ['.5', 0.5],
    ['1e-3', 0.001],
    ['NaN', Number.NaN],
    ['-Infinity', -Infinity],
    ['true', true],
    ['False', false],
    ['null', null],
    ['None', null],
    ['resnet50', 'resnet50'],
    ['"quoted \\"x\\""', 'quoted "x"'],
    ["'single ''quoted'''", "single 'quoted'"],
    ['[Empty Sequence]', []],
    ['[Empty Mapping]', {}],
    ['a: b: c', 'a: b: c'],
  ])('reads the scalar %s', (text, value) => {
    expect(parseXyzScalar(text)).toEqual(value);
  });

  it('quotes strings that would read back as something else', () => {
    const tricky = {
      n: '100',
      b: 'true',
      e: '',
      s: ' padded ',
      h: '#x',
      m: '[Empty Mapping]',
      q: '"',
      nl: 'a\nb',
    };
    expect(parseXyz(toXyz(tricky))).toEqual(tricky);
    expect(toXyz({ n: '100' })).toBe('n: "100"\n');
  });

  it('keeps -0 and non-finite numbers', () => {
    const parsed = parseXyz(toXyz({ z: -0, n: Number.NaN, i: Infinity })) as Record<string, number>;
    expect(Object.is(parsed.z, -0)).toBe(true);
    expect(parsed.n).toBeNaN();
    expect(parsed.i).toBe(Infinity);
  });

  it('reads comments and blank lines, and empty documents', () => {
    expect(parseXyz('# header\n\na: 1\n  # inner\nb:\n  c: 2\n')).toEqual({ a: 1, b: { c: 2 } });
    expect(parseXyz('')).toEqual({});
    expect(parseXyz('[Empty Mapping]\n')).toEqual({});
  });

  it('property: parse(toXyz(x)) gives x back', () => {
    fc.assert(
      fc.property(tree, (value) => {
        expect(parseXyz(toXyz(value as Record<string, unknown>))).toStrictEqual(value);
      }),
      { numRuns: 300 },
    );
  });

  it.each([
    ['a: 1\n   b: 2\n', 2, 4, 'not a multiple of two'],
    ['a: 1\n  b: 2\n', 2, 3, 'already has a value'],
    ['a:\nb: 1\n', 1, 3, 'neither a value nor an indented block'],
    ['a:\n  0) 1\n  2) 2\n', 3, 3, 'item 1) was expected'],
    ['a:\n  0) 1\n  k: 2\n', 3, 3, 'cannot mix keys and list items'],
    ['a: 1\na: 2\n', 2, 1, 'duplicate key "a"'],
    ['just text\n', 1, 1, 'expected "key: value"'],
    ['a:1\n', 1, 3, 'expected a space after ":"'],
    ['a: "unterminated\n', 1, 4, 'invalid double-quoted string'],
    ['\ta: 1\n', 1, 1, 'tab in indentation'],
    ['  a: 1\n', 1, 3, 'must not be indented'],
  ])('reports %j at its line and column', (text, line, column, message) => {
    try {
      parseXyz(text, 'conf.xyz');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(AtoError);
      const e = error as AtoError;
      expect(e.code).toBe('PARSE_ERROR');
      expect(e.location).toMatchObject({ file: 'conf.xyz', line, column });
      expect(e.message).toContain(message);
      expect(e.message.startsWith(`conf.xyz:${line}:${column}: `)).toBe(true);
    }
  });

  it('refuses values it cannot hold, naming the key', () => {
    expect(() => toXyz({ a: { when: new Date(0) } })).toThrow(/XYZ cannot hold the Date value at "a.when"/);
    expect(() => toXyz({ a: [undefined] })).toThrow(/"a\[0\]"/);
  });
});

describe('XYZ and the names of Object.prototype', () => {
  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty'])(
    'reads the word %s as a string',
    (word) => {
      expect(parseXyzScalar(word)).toBe(word);
      expect(parseXyz(toXyz({ [word]: word }))).toEqual({ [word]: word });
    },
  );
});
