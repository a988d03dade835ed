import { describe, expect, it } from 'vitest';
import { ADict } from '../src/config/adict.js';
import { catchAtoError } from './_helpers.js';

describe('construction and access', () => {
  it('converts nested objects, including objects inside arrays, into ADicts', () => {
    const config = new ADict({ model: { backbone: { layers: 50 } }, stages: [{ depth: 2 }, 3, [{ x: 1 }]] });
    expect(ADict.isADict(config.model)).toBe(true);
    expect(ADict.isADict(config.model.backbone)).toBe(true);
    expect(config.model.backbone.layers).toBe(50);
    expect(ADict.isADict(config.stages[0])).toBe(true);
    expect(config.stages[0].depth).toBe(2);
    expect(config.stages[1]).toBe(3);
    expect(ADict.isADict(config.stages[2][0])).toBe(true);
  });

  it('gives dot access and bracket access to the same values, at any depth', () => {
    const config = new ADict({ model: { backbone: 'resnet50' } });
    config.model.depth = 50;
    const [lrKey, depthKey] = ['lr', 'depth'];
    config[lrKey] = 0.1;
    expect(config.model[depthKey]).toBe(50);
    expect(config.lr).toBe(0.1);
    expect(config.get('lr')).toBe(0.1);
    config.model.head = { classes: 10 };
    expect(ADict.isADict(config.model.head)).toBe(true);
    expect(config.toDict()).toEqual({
      model: { backbone: 'resnet50', depth: 50, head: { classes: 10 } },
      lr: 0.1,
    });
  });

  it('reads a missing key as undefined without creating it', () => {
    const config = new ADict({ a: 1 });
    expect(config.missing).toBeUndefined();
    expect(config.has('missing')).toBe(false);
    expect(Object.keys(config)).toEqual(['a']);
    expect(() => config.missing.deeper).toThrow(TypeError);
  });

  it('auto-nesting dicts create nested dicts on first access', () => {
    const config = ADict.auto();
    config.data.augmentation.brightness = 0.2;
    expect(config.toDict()).toEqual({ data: { augmentation: { brightness: 0.2 } } });
    expect(config.data.isAuto()).toBe(true);
  });

  it('auto-nesting dicts do not answer protocol probes (await, JSON, private names)', async () => {
    const config = ADict.auto({ a: 1 });
    expect(await Promise.resolve(config)).toBe(config);
    expect(JSON.parse(JSON.stringify(config))).toEqual({ a: 1 });
    expect(config._private).toBeUndefined();
    expect(config.keys()).toEqual(['a']);
  });

  it('supports Object.keys, spread, in, delete and iteration like an object', () => {
    const config = new ADict({ a: 1, b: { c: 2 } });
    expect(Object.keys(config)).toEqual(['a', 'b']);
    expect({ ...config }.a).toBe(1);
    expect('a' in config).toBe(true);
    expect('zzz' in config).toBe(false);
    delete config.a;
    expect(config.keys()).toEqual(['b']);
    expect([...config].map(([k]) => k)).toEqual(['b']);
  });

  it('keeps method names for methods and stores such keys through set/get', () => {
    const config = new ADict({ values: [1, 2], update: 3 });
    expect(typeof config.values).toBe('function');
    expect(config.get('values')).toEqual([1, 2]);
    expect(config.toDict()).toEqual({ values: [1, 2], update: 3 });
    const error = catchAtoError(() => {
      (config as Record<string, unknown>).keys = 5;
    });
    expect(error.code).toBe('RESERVED_KEY');
    expect(error.message).toContain("config.set('keys', value)");
    config.set('keys', 5);
    expect(config.get('keys')).toBe(5);
  });

  it('treats __proto__ as data, never as a prototype', () => {
    const config = new ADict(JSON.parse('{"__proto__": {"polluted": true}, "a": 1}'));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(config.get('__proto__').polluted).toBe(true);
    const plain = config.toDict();
    expect(Object.getPrototypeOf(plain)).toBe(Object.prototype);
    expect(Object.keys(plain)).toEqual(['__proto__', 'a']);
  });

  it('builds from Maps and from other ADicts (deep copy)', () => {
    const source = new ADict({ m: { x: 1 } });
    const copy = new ADict(source);
    copy.m.x = 2;
    expect(source.m.x).toBe(1);
    expect(new ADict(new Map([['k', { v: 1 }]])).k.v).toBe(1);
  });

  it('typed construction keeps key types', () => {
    const config = ADict.from({ lr: 0.1, model: { depth: 50 } });
    const lr: number = config.lr;
    expect(lr).toBe(0.1);
  });

  it('dotted paths get, set (creating dicts), test and delete', () => {
    const config = new ADict({ a: { b: 1 }, n: 3 });
    config.setPath('x.y.z', 5);
    expect(config.x.y.z).toBe(5);
    expect(config.getPath('a.b')).toBe(1);
    expect(config.getPath('a.q', 'fallback')).toBe('fallback');
    expect(config.hasPath(['x', 'y'])).toBe(true);
    expect(config.deletePath('a.b')).toBe(true);
    expect(config.a.toDict()).toEqual({});
    const error = catchAtoError(() => config.setPath('n.deeper', 1));
    expect(error.code).toBe('NOT_A_DICT');
    expect(error.message).toContain('"n" holds a number');
  });
});

describe('freeze, defrost, clone, toDict', () => {
  it('freezes deeply and names the key in the error', () => {
    const config = new ADict({ model: { backbone: { depth: 50 } }, list: [{ a: 1 }] }).freeze();
    const error = catchAtoError(() => {
      config.model.backbone.depth = 101;
    });
    expect(error.code).toBe('FROZEN');
    expect(error.message).toContain('"model.backbone.depth"');
    expect(catchAtoError(() => config.set('x', 1)).code).toBe('FROZEN');
    expect(catchAtoError(() => delete config.model).code).toBe('FROZEN');
    expect(catchAtoError(() => config.list[0].set('a', 2)).code).toBe('FROZEN');
    expect(() => config.list.push(1)).toThrow(TypeError);
    expect(config.model.backbone.depth).toBe(50);
  });

  it('frozen auto dicts do not create keys on read', () => {
    const config = ADict.auto({ a: 1 }).freeze();
    expect(config.b).toBeUndefined();
    expect(config.keys()).toEqual(['a']);
  });

  it('defrosts deeply, arrays included', () => {
    const config = new ADict({ model: { depth: 50 }, list: [1] }).freeze().defrost();
    config.model.depth = 101;
    config.list.push(2);
    expect(config.toDict()).toEqual({ model: { depth: 101 }, list: [1, 2] });
  });

  it('clones deeply and independently, never frozen', () => {
    const config = new ADict({ model: { layers: [1, { w: 2 }] }, when: new Date(0) }).freeze();
    const copy = config.clone();
    expect(copy.isFrozen()).toBe(false);
    copy.model.layers[1].w = 3;
    copy.model.layers.push(4);
    expect(config.model.layers[1].w).toBe(2);
    expect(config.model.layers).toHaveLength(2);
    expect(copy.when).not.toBe(config.when);
    expect(copy.when.getTime()).toBe(0);
  });

  it('toDict returns plain objects and arrays all the way down', () => {
    const plain = new ADict({ a: { b: [{ c: 1 }] } }).toDict();
    expect(Object.getPrototypeOf(plain.a)).toBe(Object.prototype);
    expect(ADict.isADict((plain.a as { b: unknown[] }).b[0])).toBe(false);
    expect(plain).toEqual({ a: { b: [{ c: 1 }] } });
  });
});

describe('update, updateIfAbsent, filter, renameKeys', () => {
  it('update merges nested dicts recursively by default', () => {
    const config = new ADict({ model: { depth: 50, width: 64 }, lr: 0.1 });
    config.update({ model: { depth: 101 }, epochs: 10 });
    expect(config.toDict()).toEqual({ model: { depth: 101, width: 64 }, lr: 0.1, epochs: 10 });
  });

  it('update with recursive: false replaces top-level values', () => {
    const config = new ADict({ model: { depth: 50, width: 64 } });
    config.update({ model: { depth: 101 } }, { recursive: false });
    expect(config.toDict()).toEqual({ model: { depth: 101 } });
  });

  it('update copies incoming dicts instead of sharing them', () => {
    const other = new ADict({ model: { depth: 50 } });
    const config = new ADict().update(other);
    config.model.depth = 1;
    expect(other.model.depth).toBe(50);
  });

  it('update into a partly frozen dict fails before writing anything', () => {
    const config = new ADict({ a: 1, model: { depth: 50 } });
    config.model.freeze();
    const error = catchAtoError(() => config.update({ a: 2, model: { depth: 101 } }));
    expect(error.code).toBe('FROZEN');
    expect(config.toDict()).toEqual({ a: 1, model: { depth: 50 } });
  });

  it('updateIfAbsent only adds what is missing, merging nested dicts key by key', () => {
    const config = new ADict({ model: { depth: 50 }, lr: 0.1 });
    config.updateIfAbsent({ model: { depth: 101, width: 64 }, lr: 1, epochs: 3 });
    expect(config.toDict()).toEqual({ model: { depth: 50, width: 64 }, lr: 0.1, epochs: 3 });
  });

  it('updateIfAbsent on a frozen dict is allowed when nothing is missing', () => {
    const config = new ADict({ a: 1 }).freeze();
    config.updateIfAbsent({ a: 2 });
    expect(catchAtoError(() => config.updateIfAbsent({ b: 2 })).code).toBe('FROZEN');
  });

  it('filter keeps the entries the predicate accepts, as a copy', () => {
    const config = new ADict({ train_lr: 0.1, train_epochs: 3, seed: 1, nested: { a: 1 } });
    const train = config.filter((_, key) => key.startsWith('train_'));
    expect(train.toDict()).toEqual({ train_lr: 0.1, train_epochs: 3 });
    const nested = config.filter((value) => ADict.isADict(value));
    nested.nested.a = 2;
    expect(config.nested.a).toBe(1);
  });

  it('renameKeys renames in place (keeping order) and across dicts', () => {
    const config = new ADict({ lr: 0.1, model: { depth: 50 }, seed: 1 });
    config.renameKeys({ lr: 'learning_rate', 'model.depth': 'optim.depth' });
    expect(config.keys()).toEqual(['learning_rate', 'model', 'seed', 'optim']);
    expect(config.toDict()).toEqual({ learning_rate: 0.1, model: {}, seed: 1, optim: { depth: 50 } });
    const error = catchAtoError(() => config.renameKeys({ nope: 'x' }));
    expect(error.code).toBe('KEY_NOT_FOUND');
    config.renameKeys({ nope: 'x' }, { missing: 'ignore' });
  });
});

describe('access tracking', () => {
  it('records the keys the program read and builds the minimal config', () => {
    const config = new ADict({
      model: { depth: 50, width: 64 },
      data: { path: '/x', workers: 4 },
      lr: 0.1,
      seed: 0,
    });
    config.resetAccessTracking();
    const use = (x: unknown) => x;
    use(config.lr);
    use(config.model.depth);
    use(config.data);
    expect(config.getAccessedKeys()).toEqual(['lr', 'model', 'model.depth', 'data']);
    expect(config.getMinimalConfig().toDict()).toEqual({
      lr: 0.1,
      model: { depth: 50 },
      data: { path: '/x', workers: 4 },
    });
  });

  it('internal operations are not reads, and reset forgets reads', () => {
    const config = new ADict({ a: { b: 1 }, c: 2 });
    config.toDict();
    config.toXyz();
    config.getStructuralHash();
    JSON.stringify(config);
    expect(config.getAccessedKeys()).toEqual([]);
    void config.a.b;
    config.resetAccessTracking();
    expect(config.getAccessedKeys()).toEqual([]);
  });
});

describe('printing', () => {
  it('console.log shows the content', async () => {
    const { inspect } = await import('node:util');
    expect(inspect(new ADict({ a: { b: 1 } }))).toBe('ADict { a: { b: 1 } }');
  });

  it('toXyz prints the documented format', () => {
    const config = new ADict({ model: { backbone: 'resnet50', layers: [64, 128] }, lr: 0.001 });
    expect(config.toXyz()).toBe(
      ['model:', '  backbone: resnet50', '  layers:', '    0) 64', '    1) 128', 'lr: 0.001', ''].join('\n'),
    );
  });
});
