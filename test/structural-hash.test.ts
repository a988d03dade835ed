import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ADict } from '../src/config/adict.js';
import { describeLeafType, structuralHash } from '../src/config/structural-hash.js';

const hash = (value: Record<string, unknown>) => new ADict(value).getStructuralHash();

/** Arbitrary nested configs made of JSON values. */
const configArb = fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), fc.jsonValue({ maxDepth: 3 }), {
  maxKeys: 6,
}) as fc.Arbitrary<Record<string, unknown>>;

/** Same shape, other values: replace every leaf by another value of the same type. */
function revalue(value: unknown, seed: number): unknown {
  if (Array.isArray(value)) return value.map((v) => revalue(v, seed + 1));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, revalue(v, seed + 1)]));
  }
  if (typeof value === 'number') return value + seed + 0.5;
  if (typeof value === 'string') return `${value}~${seed}`;
  if (typeof value === 'boolean') return !value;
  return value;
}

/** The same object with keys inserted in reverse order, all the way down. */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .reverse()
        .map(([k, v]) => [k, reverseKeys(v)]),
    );
  }
  return value;
}

describe('structural hash', () => {
  it('is a fixed SHA-256 for a fixed structure (stored in databases: must never drift)', () => {
    // If this value changes, the algorithm changed: bump STRUCTURAL_HASH_VERSION instead.
    expect(hash({ lr: 0.001, model: { backbone: 'resnet50', layers: [64, 128] } })).toBe(
      structuralHash({ model: { layers: [1], backbone: 'x' }, lr: 5 }),
    );
    // The documented canonical text, hashed independently (also checked with Python's hashlib).
    const text = [
      'ato-structural-hash-v1',
      '[["lr"],"number"]',
      '[["model","backbone"],"string"]',
      '[["model","layers"],"list<number>"]',
    ].join('\n');
    expect(createHash('sha256').update(text).digest('hex')).toBe(
      '8a2bb4f0ee6b13ebf030e2d84ae37660bfe9b6759cf6d57525a9b63c10077efe',
    );
    expect(hash({ lr: 0.001, model: { backbone: 'resnet50', layers: [64, 128] } })).toBe(
      '8a2bb4f0ee6b13ebf030e2d84ae37660bfe9b6759cf6d57525a9b63c10077efe',
    );
  });

  it('ignores values and key order', () => {
    expect(hash({ epochs: 100, lr: 0.1 })).toBe(hash({ lr: 3, epochs: 5 }));
    expect(hash({ a: { b: 'x', c: true } })).toBe(hash({ a: { c: false, b: 'y' } }));
  });

  it('changes when a key is added, removed or renamed', () => {
    const base = hash({ epochs: 100, lr: 0.1 });
    expect(hash({ epochs: 100, lr: 0.1, seed: 0 })).not.toBe(base);
    expect(hash({ epochs: 100 })).not.toBe(base);
    expect(hash({ epochs: 100, learning_rate: 0.1 })).not.toBe(base);
  });

  it('changes when a value changes type', () => {
    expect(hash({ epochs: 100 })).not.toBe(hash({ epochs: '100' }));
    expect(hash({ pretrained: null })).not.toBe(hash({ pretrained: 'imagenet' }));
    expect(hash({ flag: true })).not.toBe(hash({ flag: 1 }));
    expect(hash({ a: {} })).not.toBe(hash({ a: [] }));
    expect(hash({ a: { b: 1 } })).not.toBe(hash({ a: 1 }));
  });

  it('counts integers and non-integers as one number type', () => {
    expect(hash({ lr: 1 })).toBe(hash({ lr: 0.5 }));
    expect(hash({ lr: Number.NaN })).toBe(hash({ lr: 2 }));
  });

  it('counts list element types but not list length or values', () => {
    expect(hash({ layers: [64, 128] })).toBe(hash({ layers: [1, 2, 3] }));
    expect(hash({ layers: [64] })).not.toBe(hash({ layers: ['64'] }));
    expect(hash({ layers: [] })).not.toBe(hash({ layers: [1] }));
    expect(hash({ stages: [{ depth: 1 }] })).not.toBe(hash({ stages: [{ width: 1 }] }));
    expect(describeLeafType([1, 'a', 2, { b: null }])).toBe('list<number|string|{"b":null}>');
  });

  it('does not confuse a dotted key with a nested key', () => {
    expect(hash({ 'a.b': 1 })).not.toBe(hash({ a: { b: 1 } }));
  });

  it('property: equal for any values of the same shape', () => {
    fc.assert(
      fc.property(configArb, fc.integer({ min: 1, max: 9 }), (config, seed) => {
        expect(hash(revalue(config, seed) as Record<string, unknown>)).toBe(hash(config));
      }),
    );
  });

  it('property: independent of key insertion order', () => {
    fc.assert(
      fc.property(configArb, (config) => {
        expect(hash(reverseKeys(config) as Record<string, unknown>)).toBe(hash(config));
      }),
    );
  });

  it('property: adding a new key always changes it', () => {
    fc.assert(
      fc.property(configArb, fc.jsonValue({ maxDepth: 1 }), (config, value) => {
        const key = `new_${Object.keys(config).join('_')}`;
        expect(hash({ ...config, [key]: value })).not.toBe(hash(config));
      }),
    );
  });

  it('property: the same in another process', async () => {
    const { execFileSync } = await import('node:child_process');
    const config = { model: { layers: [1, 2], name: 'x' }, lr: 0.1, flags: [true], none: null };
    const script = `import('./src/config/structural-hash.ts').then(m => process.stdout.write(m.structuralHash(${JSON.stringify(config)})))`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8' });
    expect(out).toBe(hash(config));
  });
});
