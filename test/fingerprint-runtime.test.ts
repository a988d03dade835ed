import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fingerprintValue } from '../src/fingerprint/index.js';
import { catchAtoError } from './_helpers.js';

const fp = (value: unknown, options?: { precision?: number }) => fingerprintValue(value, options);

describe('fingerprintValue: kinds', () => {
  it('is 64 hex characters and deterministic', () => {
    const value = { a: [1, 'x', null], b: new Map([[1, 2]]) };
    expect(fp(value)).toMatch(/^[0-9a-f]{64}$/);
    expect(fp(value)).toBe(fp(value));
  });

  it('tells every primitive kind apart', () => {
    const values = [
      undefined,
      null,
      true,
      false,
      0,
      1,
      -1,
      1.5,
      1n,
      -1n,
      '',
      '1',
      'true',
      'null',
      [],
      {},
      [undefined],
      [null],
    ];
    expect(new Set(values.map((v) => fp(v))).size).toBe(values.length);
  });

  it('hashes numbers by their bits: 0 and -0 differ, every NaN is one', () => {
    expect(fp(0)).not.toBe(fp(-0));
    expect(fp(Number.NaN)).toBe(fp(0 / 0));
    expect(fp(Number.NaN)).toBe(fp(Math.sqrt(-1)));
    // A NaN with another payload, read back from raw bytes
    const bytes = new DataView(new ArrayBuffer(8));
    bytes.setUint32(0, 0x7ff80000 | 0x1234);
    bytes.setUint32(4, 0xabcd);
    expect(fp(bytes.getFloat64(0))).toBe(fp(Number.NaN));
    expect(fp(Number.POSITIVE_INFINITY)).not.toBe(fp(Number.NEGATIVE_INFINITY));
    expect(fp(0.1 + 0.2)).not.toBe(fp(0.3));
    expect(fp(Number.MAX_SAFE_INTEGER + 1)).toBe(fp(Number.MAX_SAFE_INTEGER + 2));
  });

  it('hashes bigints and strings exactly', () => {
    expect(fp(12345678901234567890n)).not.toBe(fp(12345678901234567891n));
    expect(fp(-5n)).not.toBe(fp(5n));
    expect(fp('é')).not.toBe(fp('e\u0301'));
    // Lone surrogates are kept (UTF-8 would turn both into U+FFFD)
    expect(fp('\ud800')).not.toBe(fp('\udc00'));
    const long = 'x'.repeat(100_000);
    expect(fp(long)).not.toBe(fp(`${long}y`));
  });

  it('keeps strings and arrays from running into each other', () => {
    expect(fp(['ab', 'c'])).not.toBe(fp(['a', 'bc']));
    expect(fp([[1], 2])).not.toBe(fp([1, [2]]));
    expect(fp({ a: 'b' })).not.toBe(fp({ ab: '' }));
  });

  it('hashes arrays in order, with holes apart from undefined', () => {
    expect(fp([1, 2])).not.toBe(fp([2, 1]));
    // biome-ignore lint/suspicious/noSparseArray: the hole is the point
    expect(fp([, 1])).not.toBe(fp([undefined, 1]));
  });

  it('sorts the keys of plain objects, and of null-prototype objects', () => {
    expect(fp({ a: 1, b: { c: 2, d: 3 } })).toBe(fp({ b: { d: 3, c: 2 }, a: 1 }));
    const bare = Object.assign(Object.create(null), { b: 2, a: 1 });
    expect(fp(bare)).toBe(fp({ a: 1, b: 2 }));
    expect(fp({ a: 1 })).not.toBe(fp({ a: 1, b: undefined }));
    expect(fp({ a: 1, [Symbol('s')]: 2 })).toBe(fp({ a: 1 }));
  });

  it('hashes Map and Set without their insertion order', () => {
    expect(
      fp(
        new Map<unknown, unknown>([
          ['a', 1],
          [{ k: 1 }, [2]],
        ]),
      ),
    ).toBe(
      fp(
        new Map<unknown, unknown>([
          [{ k: 1 }, [2]],
          ['a', 1],
        ]),
      ),
    );
    expect(fp(new Set([1, 'x', [2]]))).toBe(fp(new Set([[2], 'x', 1])));
    expect(fp(new Map([['a', 1]]))).not.toBe(fp(new Map([['a', 2]])));
    expect(fp(new Map([['a', 1]]))).not.toBe(fp({ a: 1 }));
    expect(fp(new Set([1, 2]))).not.toBe(fp([1, 2]));
    expect(fp(new Set([1, 2]))).not.toBe(fp(new Set([1, 2, 3])));
    // Keys and values do not swap
    expect(fp(new Map([[1, 2]]))).not.toBe(fp(new Map([[2, 1]])));
  });

  it('hashes Dates by their time', () => {
    expect(fp(new Date(0))).toBe(fp(new Date('1970-01-01T00:00:00Z')));
    expect(fp(new Date(0))).not.toBe(fp(new Date(1)));
    expect(fp(new Date(0))).not.toBe(fp(0));
    expect(fp(new Date(Number.NaN))).toBe(fp(new Date('invalid')));
  });

  it('hashes typed arrays over their bytes, with their element type', () => {
    const floats = new Float32Array([1.5, -2, 3.25]);
    expect(fp(floats)).toBe(fp(new Float32Array([1.5, -2, 3.25])));
    expect(fp(floats)).not.toBe(fp(new Float32Array([1.5, -2, 3.5])));
    // Same bytes, other element types
    const bytes = new Uint8Array(floats.buffer);
    const views = [
      floats,
      new Int32Array(floats.buffer),
      new Uint32Array(floats.buffer),
      bytes,
      new Uint8ClampedArray(floats.buffer),
      new Int8Array(floats.buffer),
      new Uint16Array(floats.buffer),
      new Int16Array(floats.buffer),
      new DataView(floats.buffer),
      floats.buffer,
    ];
    expect(new Set(views.map((v) => fp(v))).size).toBe(views.length);
    const eight = new Float64Array([1, 2]);
    expect(fp(eight)).not.toBe(fp(new BigInt64Array(eight.buffer)));
    expect(fp(new BigInt64Array(eight.buffer))).not.toBe(fp(new BigUint64Array(eight.buffer)));
    // A Buffer is a Uint8Array; only the viewed window counts
    expect(fp(Buffer.from(bytes))).toBe(fp(bytes));
    expect(fp(new Float32Array(floats.buffer, 4, 2))).toBe(fp(new Float32Array([-2, 3.25])));
    expect(fp(new Float32Array(0))).not.toBe(fp(new Float64Array(0)));
    expect(fp(new Float32Array([1]))).not.toBe(fp([1]));
  });

  it('uses toJSON when present', () => {
    class Money {
      constructor(
        private readonly cents: number,
        readonly noise = Math.random(),
      ) {}
      toJSON() {
        return { cents: this.cents };
      }
    }
    expect(fp(new Money(5))).toBe(fp(new Money(5)));
    expect(fp(new Money(5))).not.toBe(fp(new Money(6)));
    expect(fp({ toJSON: () => 'x' })).toBe(fp({ toJSON: () => 'x', other: 1 }));
    expect(fp({ toJSON: () => 'x' })).not.toBe(fp('x'));
  });

  it('allows a nested call from toJSON', () => {
    const inner = { w: [1, 2, 3] };
    const outer = { a: { toJSON: () => fingerprintValue(inner) }, b: 'x'.repeat(10) };
    expect(fp(outer)).toBe(fp({ a: { toJSON: () => fp(inner) }, b: 'x'.repeat(10) }));
    expect(fp(outer)).toBe(fp({ a: { toJSON: () => fp({ w: [1, 2, 3] }) }, b: 'xxxxxxxxxx' }));
  });

  it('hashes tensor-like objects through dataSync or arraySync, with shape and dtype', () => {
    const tensor = (data: number[], shape: number[], dtype = 'float32') => ({
      shape,
      dtype,
      dataSync: () => new Float32Array(data),
    });
    expect(fp(tensor([1, 2, 3, 4], [2, 2]))).toBe(fp(tensor([1, 2, 3, 4], [2, 2])));
    expect(fp(tensor([1, 2, 3, 4], [2, 2]))).not.toBe(fp(tensor([1, 2, 3, 4], [4])));
    expect(fp(tensor([1, 2, 3, 4], [2, 2]))).not.toBe(fp(tensor([1, 2, 3, 5], [2, 2])));
    expect(fp(tensor([1, 2], [2]))).not.toBe(fp(tensor([1, 2], [2], 'int32')));
    class Tensor {
      readonly shape = [2];
      readonly id = Math.random();
      arraySync() {
        return [1, 2];
      }
    }
    expect(fp(new Tensor())).toBe(fp(new Tensor()));
    expect(fp(new Tensor())).not.toBe(fp([1, 2]));
  });

  it('hashes class instances by constructor name and own enumerable properties', () => {
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
    }
    class Vector {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
    }
    expect(fp(new Point(1, 2))).toBe(fp(new Point(1, 2)));
    expect(fp(new Point(1, 2))).not.toBe(fp(new Point(2, 1)));
    expect(fp(new Point(1, 2))).not.toBe(fp(new Vector(1, 2)));
    expect(fp(new Point(1, 2))).not.toBe(fp({ x: 1, y: 2 }));
  });

  it('hashes RegExp, boxed primitives and errors', () => {
    expect(fp(/a/g)).not.toBe(fp(/a/i));
    expect(fp(/a/g)).toBe(fp(/a/g));
    expect(fp(Object(1))).not.toBe(fp(1));
    expect(fp(Object('a'))).toBe(fp(Object('a')));
    expect(fp(new Error('a'))).not.toBe(fp(new Error('b')));
    expect(fp(new TypeError('a'))).not.toBe(fp(new Error('a')));
  });

  it('encodes shared (not circular) references twice', () => {
    const shared = { v: 1 };
    expect(fp({ a: shared, b: shared })).toBe(fp({ a: { v: 1 }, b: { v: 1 } }));
  });
});

describe('fingerprintValue: precision', () => {
  it('rounds numbers to significant digits', () => {
    expect(fp(0.1 + 0.2, { precision: 10 })).toBe(fp(0.3, { precision: 10 }));
    expect(fp(1.23456, { precision: 3 })).toBe(fp(1.23499, { precision: 3 }));
    expect(fp(1.23456, { precision: 3 })).not.toBe(fp(1.24, { precision: 3 }));
    expect(fp(123456, { precision: 3 })).toBe(fp(123000, { precision: 3 }));
    expect(fp({ loss: [0.30000000000000004] }, { precision: 12 })).toBe(
      fp({ loss: [0.3] }, { precision: 12 }),
    );
    expect(fp(-0, { precision: 3 })).toBe(fp(0, { precision: 3 }));
    expect(fp(Number.NaN, { precision: 3 })).toBe(fp(Number.NaN, { precision: 3 }));
  });

  it('is part of the fingerprint', () => {
    expect(fp(0.5, { precision: 3 })).not.toBe(fp(0.5));
  });

  it('rounds inside float typed arrays, not integer ones', () => {
    const a = new Float32Array([0.1, 0.2, 0.3]);
    const b = new Float32Array([0.1000001, 0.2000001, 0.2999999]);
    expect(fp(a)).not.toBe(fp(b));
    expect(fp(a, { precision: 5 })).toBe(fp(b, { precision: 5 }));
    expect(fp(new Float64Array([1 / 3]), { precision: 6 })).toBe(
      fp(new Float64Array([0.333333]), { precision: 6 }),
    );
    expect(fp(new Int32Array([1, 2]), { precision: 1 })).not.toBe(
      fp(new Int32Array([1, 3]), { precision: 1 }),
    );
  });

  it('rejects a bad precision', () => {
    for (const precision of [0, 101, 1.5, Number.NaN]) {
      expect(catchAtoError(() => fp(1, { precision })).code).toBe('INVALID_ARGUMENT');
    }
  });
});

describe('fingerprintValue: errors name the path', () => {
  it('rejects circular references', () => {
    const value: any = { a: { b: [1, 2, 3] } };
    value.a.b.push(value.a);
    const error = catchAtoError(() => fp(value));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain('value.a.b[3]');
    expect(error.message).toContain('back to value.a');
  });

  it('rejects functions', () => {
    const error = catchAtoError(() => fp({ model: { layers: [{ activation: function relu() {} }] } }));
    expect(error.location?.input).toBe('value.model.layers[0].activation');
    expect(error.message).toMatch(/function \(relu\)/);
    expect(error.hint).toMatch(/fingerprintFunction/);
  });

  it('rejects symbols, with odd keys quoted', () => {
    expect(catchAtoError(() => fp({ 'my key': [Symbol('s')] })).location?.input).toBe('value["my key"][0]');
    expect(catchAtoError(() => fp(Symbol('top'))).location?.input).toBe('value');
  });

  it('names Map and Set members', () => {
    expect(catchAtoError(() => fp({ m: new Map([['k', () => 1]]) })).location?.input).toBe(
      'value.m.get("k")',
    );
    expect(catchAtoError(() => fp(new Set([1, Symbol('s')]))).location?.input).toBe('value.<element #1>');
  });

  it('rejects promises and weak collections', () => {
    expect(catchAtoError(() => fp({ p: Promise.resolve(1) })).hint).toMatch(/await/);
    expect(catchAtoError(() => fp(new WeakMap())).code).toBe('INVALID_ARGUMENT');
  });
});

/** A canonical JSON text: sorted keys, -0 kept apart from 0. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    return `{${Object.keys(record)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`)
      .join(',')}}`;
  }
  return Object.is(value, -0) ? '-0' : JSON.stringify(value);
}

/** The same value with every object's keys in reverse order. */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(record).reverse()) {
      // __proto__ as a key must stay an own property
      Object.defineProperty(out, key, {
        value: reverseKeys(record[key]),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return value;
}

describe('fingerprintValue: properties', () => {
  it('equals the fingerprint of a structured clone', () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => fp(value) === fp(structuredClone(value))));
  });

  it('does not depend on key order', () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => fp(value) === fp(reverseKeys(value))));
  });

  it('differs exactly when the canonical JSON differs', () => {
    fc.assert(
      fc.property(
        fc.jsonValue(),
        fc.jsonValue(),
        (a, b) => (fp(a) === fp(b)) === (canonicalJson(a) === canonicalJson(b)),
      ),
    );
  });

  it('does not depend on Set and Map insertion order', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.oneof(fc.integer(), fc.string())), (items) => {
        const reversed = [...items].reverse();
        return (
          fp(new Set(items)) === fp(new Set(reversed)) &&
          fp(new Map(items.map((x, i) => [x, i]))) === fp(new Map(reversed.map((x) => [x, items.indexOf(x)])))
        );
      }),
    );
  });
});
