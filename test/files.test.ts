import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ADict } from '../src/config/adict.js';
import { readConfigFile, stringifyConfig } from '../src/config/files.js';
import { parseJson } from '../src/config/formats/json.js';
import { parseToml } from '../src/config/formats/toml.js';
import { parseYaml } from '../src/config/formats/yaml.js';
import { catchAtoError } from './_helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'ato-files-'));
afterAll(() => {
  // temp files are left for inspection on failure; the OS cleans tmp
});

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const sample = {
  model: { backbone: 'resnet50', layers: [64, 128], pretrained: true },
  lr: 0.001,
  name: 'run 1',
};

describe('reading and writing every format', () => {
  it.each(['json', 'yaml', 'yml', 'toml', 'xyz', 'jsonl', 'ts', 'mjs', 'js'])(
    'round-trips a config through .%s',
    (ext) => {
      const path = join(dir, `roundtrip.${ext}`);
      new ADict(sample).dump(path);
      expect(ADict.fromFile(path).toDict()).toEqual(sample);
    },
  );

  it('reads a JS module default export and a TS module with types', () => {
    const js = file(
      'default.mjs',
      'const depth = 10 * 5;\nexport default { model: { depth }, tags: ["a"] };\n',
    );
    expect(ADict.fromFile(js).toDict()).toEqual({ model: { depth: 50 }, tags: ['a'] });
    const ts = file('typed.ts', 'interface C { lr: number }\nconst c: C = { lr: 0.1 };\nexport default c;\n');
    expect(ADict.fromFile(ts).toDict()).toEqual({ lr: 0.1 });
  });

  it('reads named exports when there is no default export', () => {
    const path = file('named.ts', 'export const lr: number = 0.1;\nexport const model = { depth: 50 };\n');
    expect(ADict.fromFile(path).toDict()).toEqual({ lr: 0.1, model: { depth: 50 } });
  });

  it('load merges into the dict, nested dicts key by key', () => {
    const path = file('merge.yaml', 'model:\n  depth: 101\nepochs: 3\n');
    const config = new ADict({ model: { depth: 50, width: 64 }, lr: 0.1 }).load(path);
    expect(config.toDict()).toEqual({ model: { depth: 101, width: 64 }, lr: 0.1, epochs: 3 });
  });

  it('JSON Lines: fromFile merges the lines in order, fromJsonl gives one dict per line, dump can append', () => {
    const path = file('runs.jsonl', '{"a": 1, "m": {"x": 1}}\n\n{"b": 2, "m": {"y": 2}}\n');
    expect(ADict.fromFile(path).toDict()).toEqual({ a: 1, b: 2, m: { x: 1, y: 2 } });
    expect(ADict.fromJsonl(path).map((d) => d.toDict())).toEqual([
      { a: 1, m: { x: 1 } },
      { b: 2, m: { y: 2 } },
    ]);
    new ADict({ c: 3 }).dump(path, { append: true });
    expect(ADict.fromJsonl(path)).toHaveLength(3);
  });

  it('TOML keeps big integers exact and dates as dates', () => {
    const path = file('big.toml', 'big = 9007199254740993\nwhen = 2024-01-02T03:04:05Z\n');
    const config = ADict.fromFile(path);
    expect(config.big).toBe(9007199254740993n);
    expect(config.when).toBeInstanceOf(Date);
    const again = join(dir, 'big-again.toml');
    config.dump(again);
    expect(ADict.fromFile(again).toDict()).toEqual(config.toDict());
  });

  it('writes atomically and creates folders', () => {
    const path = join(dir, 'nested', 'deeper', 'out.yaml');
    new ADict({ a: 1 }).dump(path);
    expect(readFileSync(path, 'utf8')).toBe('a: 1\n');
  });
});

describe('values a format cannot hold', () => {
  it.each([
    ['toml', 'TOML cannot hold the null value at "a.b"', { a: { b: null } }],
    ['toml', 'TOML cannot hold the null value at "list[1]"', { list: [1, null] }],
    ['json', 'JSON cannot hold the NaN value at "lr"', { lr: Number.NaN }],
    ['json', 'JSON cannot hold the undefined value at "x"', { x: undefined }],
    ['yaml', 'YAML cannot hold the Date value at "when"', { when: new Date(0) }],
    ['yaml', 'YAML cannot hold the bigint value at "n"', { n: 1n }],
    ['xyz', 'XYZ cannot hold the function value at "f"', { f: () => 1 }],
  ])('%s: %s, an error naming the key, nothing written', (ext, message, data) => {
    const path = join(dir, `refused-${message.length}.${ext}`);
    writeFileSync(path, 'previous: content\n');
    const error = catchAtoError(() => new ADict(data as Record<string, unknown>).dump(path));
    expect(error.code).toBe('DUMP_UNSUPPORTED_VALUE');
    expect(error.message).toContain(message);
    expect(error.hint).toBeTruthy();
    expect(readFileSync(path, 'utf8')).toBe('previous: content\n');
  });

  it('OpenMMLab Python configs are read-only', () => {
    expect(catchAtoError(() => new ADict({ a: 1 }).dump(join(dir, 'x.py'))).code).toBe('UNSUPPORTED_FORMAT');
  });
});

describe('bad input', () => {
  it.each([
    ['bad.json', '{\n  "a": 1,\n  "b": \n}\n', 4, 1, 'invalid JSON: ValueExpected'],
    ['bad2.json', '{"a": 1 "b": 2}', 1, 9, 'CommaExpected'],
    [
      'bad.yaml',
      'a: 1\nb: [1, 2\nc: 3\n',
      3,
      1,
      'invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
    ],
    ['dup.yaml', 'a: 1\na: 2\n', 2, 1, 'Map keys must be unique'],
    ['bad.toml', 'a = 1\nb = = 2\n', 2, 5, 'invalid TOML'],
    ['bad.xyz', 'a:\n  b 1\n', 2, 3, 'expected "key: value"'],
    ['bad.jsonl', '{"a": 1}\n{"b": }\n', 2, 7, 'invalid JSON'],
    ['list.json', '[1, 2]', 1, 1, 'expected a mapping at the top level of the JSON document, found list'],
    ['list.yaml', '- 1\n- 2\n', 1, 1, 'expected a mapping at the top level'],
  ])('%s: names the file, line and column', (name, text, line, column, message) => {
    const path = file(name, text);
    const error = catchAtoError(() => ADict.fromFile(path));
    expect(error.code).toBe('PARSE_ERROR');
    expect(error.location).toMatchObject({ file: path, line, column });
    expect(error.message).toContain(message);
    expect(error.message.startsWith(`${path}:${line}:${column}: `)).toBe(true);
  });

  it('a syntax error in a TS config module names the file, line and column', () => {
    const path = file('broken.ts', 'const a = 1;\nexport default { a: };\n');
    const error = catchAtoError(() => ADict.fromFile(path));
    expect(error.code).toBe('PARSE_ERROR');
    expect(error.location).toMatchObject({ file: path, line: 2, column: 21 });
    expect(error.message).toContain('Unexpected "}"');
  });

  it('a config module that throws is a MODULE_LOAD error with the cause', () => {
    const path = file('throws.mjs', 'throw new Error("boom");\n');
    const error = catchAtoError(() => ADict.fromFile(path));
    expect(error.code).toBe('MODULE_LOAD');
    expect(error.message).toContain('boom');
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('a module whose default export is not an object is refused', () => {
    const path = file('number.mjs', 'export default 3;\n');
    expect(catchAtoError(() => ADict.fromFile(path)).message).toContain(
      'default export of the config module is a number',
    );
  });

  it('a missing file names the path', () => {
    const path = join(dir, 'nope.yaml');
    const error = catchAtoError(() => ADict.fromFile(path));
    expect(error.code).toBe('FILE_NOT_FOUND');
    expect(error.message).toContain(path);
    expect(catchAtoError(() => ADict.fromFile(join(dir, 'nope.ts'))).code).toBe('FILE_NOT_FOUND');
  });

  it('an unknown extension lists the supported ones', () => {
    const error = catchAtoError(() => ADict.fromFile(file('conf.ini', 'a=1')));
    expect(error.code).toBe('UNSUPPORTED_FORMAT');
    expect(error.hint).toContain('.yaml');
  });

  it('a failed load leaves the target dict untouched', () => {
    const config = new ADict({ a: 1, model: { depth: 50 } });
    const before = config.toDict();
    catchAtoError(() => config.load(file('half.yaml', 'model:\n  depth: 101\nb: [\n')));
    expect(config.toDict()).toEqual(before);
    const frozen = new ADict({ a: 1, model: { depth: 50 } });
    frozen.model.freeze();
    catchAtoError(() => frozen.load(file('ok.yaml', 'a: 2\nmodel:\n  depth: 101\n')));
    expect(frozen.toDict()).toEqual(before);
  });

  it('parsers never pollute prototypes', () => {
    const json = parseJson('{"__proto__": {"polluted": 1}}', 'x.json');
    const yaml = parseYaml('__proto__:\n  polluted: 1\n', 'x.yaml');
    const toml = parseToml('[__proto__]\npolluted = 1\n', 'x.toml');
    for (const parsed of [json, yaml, toml]) {
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(new ADict(parsed).get('__proto__').polluted).toBe(1);
    }
  });
});

describe('property: round trips preserve values and types', () => {
  const safeString = fc.string({ unit: 'grapheme', maxLength: 10 });
  const scalar = (opts: { nulls: boolean; nonFinite: boolean }) =>
    fc.oneof(
      safeString,
      fc.boolean(),
      fc.integer(),
      fc
        .double({ noNaN: !opts.nonFinite, noDefaultInfinity: !opts.nonFinite })
        .filter((d) => !Object.is(d, -0)),
      ...(opts.nulls ? [fc.constant(null)] : []),
    );
  const configOf = (leaf: fc.Arbitrary<unknown>) =>
    fc.letrec((tie) => ({
      tree: fc.dictionary(safeString, tie('node'), { maxKeys: 4, noNullPrototype: true }),
      node: fc.oneof(
        { depthSize: 'small' },
        leaf,
        leaf,
        tie('tree'),
        fc.array(tie('node'), { maxLength: 3 }),
      ),
    })).tree as fc.Arbitrary<Record<string, unknown>>;

  it.each([
    ['json', { nulls: true, nonFinite: false }],
    ['yaml', { nulls: true, nonFinite: true }],
    ['toml', { nulls: false, nonFinite: true }],
    ['xyz', { nulls: true, nonFinite: true }],
  ] as const)('%s', (format, opts) => {
    fc.assert(
      fc.property(configOf(scalar(opts)), (config) => {
        const text = stringifyConfig(config, format);
        const path = file(`prop.${format}`, text);
        expect(readConfigFile(path)).toStrictEqual(config);
      }),
      { numRuns: 150 },
    );
  });
});

it('leaves no temporary files behind', () => {
  const leftovers = ['roundtrip.json', 'nested/deeper/out.yaml'].map((n) => `${join(dir, n)}.tmp`);
  for (const path of leftovers) expect(existsSync(path)).toBe(false);
});
