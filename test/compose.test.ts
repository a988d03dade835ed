import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ADict } from '../src/config/adict.js';
import { getProvenance } from '../src/config/compose.js';
import { catchAtoError } from './_helpers.js';

const root = join(import.meta.dirname, 'fixtures', 'hydra');

describe('composeHierarchy', () => {
  it('loads the primary config, then its defaults list, each group under its key', () => {
    const config = ADict.composeHierarchy({ root, overrides: { 'optim.momentum': 0.9 } });
    expect(config.toDict()).toEqual({
      experiment: 'baseline',
      lr: 0.1,
      model: { depth: 50, name: 'resnet', width: 64 },
      optim: { name: 'sgd', momentum: 0.9 },
    });
  });

  it('select overrides the defaults list; a group may select several options, in order', () => {
    const config = ADict.composeHierarchy({
      root,
      select: { model: 'vit', data: ['imagenet', 'augment'], optim: [] },
    });
    expect(config.model.toDict()).toEqual({ depth: 18, name: 'vit', patch: 16 });
    expect(config.data.toDict()).toEqual({
      name: 'imagenet',
      classes: 1000,
      augment: { flip: true, crop: 224 },
    });
    expect(config.has('optim')).toBe(false);
  });

  it('applies key=value overrides as YAML flow values, after all files', () => {
    const config = ADict.composeHierarchy({
      root,
      overrides: ['model.depth=101', 'tags=[a, b]', 'optim.momentum=0.9', 'name=x'],
    });
    expect(config.model.depth).toBe(101);
    expect(config.tags).toEqual(['a', 'b']);
    expect(config.name).toBe('x');
  });

  it('records which file set each key, in order', () => {
    const config = ADict.composeHierarchy({ root, overrides: ['model.depth=101'] });
    expect(getProvenance(config)?.get('model.depth')).toEqual([
      { source: join(root, 'config.yaml'), value: 18 },
      { source: join(root, 'model', 'resnet.yaml'), value: 50 },
      { source: 'override: model.depth=101', value: 101 },
    ]);
    expect(getProvenance(config)?.get('lr')).toEqual([{ source: join(root, 'config.yaml'), value: 0.1 }]);
    expect(getProvenance(new ADict())).toBeUndefined();
  });

  it('checks required keys: missing, null and ??? are errors listing them all', () => {
    const error = catchAtoError(() =>
      ADict.composeHierarchy({ root, required: ['optim.momentum', 'model.depth', 'data.name'] }),
    );
    expect(error.code).toBe('MISSING_REQUIRED');
    expect(error.message).toContain('optim.momentum, data.name');
    expect(ADict.composeHierarchy({ root, required: ['model.depth'] }).model.depth).toBe(50);
  });

  it('a missing option is an error (listing the available ones), a warning, or ignored', () => {
    const error = catchAtoError(() => ADict.composeHierarchy({ root, select: { model: 'mlp' } }));
    expect(error.code).toBe('FILE_NOT_FOUND');
    expect(error.message).toContain(join(root, 'model', 'mlp.<ext>'));
    expect(error.hint).toContain('resnet, vit');
    const warnings: string[] = [];
    const config = ADict.composeHierarchy({
      root,
      select: { model: 'mlp' },
      onMissing: 'warn',
      onWarning: (m) => warnings.push(m),
    });
    expect(warnings).toEqual([
      `option "mlp" of group "model" not found: ${join(root, 'model', 'mlp.<ext>')}`,
    ]);
    expect(config.model.depth).toBe(18);
    expect(
      ADict.composeHierarchy({
        root,
        configFilename: 'nope',
        onMissing: 'ignore',
        select: { model: 'vit' },
      }).toDict(),
    ).toEqual({
      model: { name: 'vit', patch: 16 },
    });
  });

  it('two files for one option name are an error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ato-compose-'));
    writeFileSync(join(dir, 'config.yaml'), 'a: 1\n');
    writeFileSync(join(dir, 'config.json'), '{"a": 2}');
    expect(catchAtoError(() => ADict.composeHierarchy({ root: dir })).message).toContain(
      'ambiguous config name "config"',
    );
  });

  it('groupPackage root merges group files at the top level', () => {
    const config = ADict.composeHierarchy({
      root,
      select: { data: ['augment'] },
      groupPackage: 'root',
      overrides: ['momentum=1'],
    });
    expect(config.augment.crop).toBe(224);
  });

  it('a malformed override names it', () => {
    expect(catchAtoError(() => ADict.composeHierarchy({ root, overrides: ['nokey'] })).message).toContain(
      '"nokey" is not of the form key=value',
    );
  });
});
