/**
 * The runtime fingerprint: a SHA-256 of a deterministic, type-tagged encoding of a value (what a
 * function produced), streamed into the hash without building the encoding in memory.
 *
 * Encoding (each value starts with a one-byte tag, so no two kinds collide):
 * - `undefined`, `null`, `true`, `false`: a tag each;
 * - numbers: the 8 bytes of the IEEE-754 double (`0` and `-0` differ; every `NaN` is one value);
 *   with `precision: n` every number is first rounded to `n` significant digits (then `-0` is `0`);
 * - bigints and strings: their exact text (strings as UTF-16 code units, lone surrogates included);
 * - arrays: length, then each element (a hole differs from `undefined`; extra non-index properties
 *   are ignored);
 * - plain objects (prototype `Object.prototype` or `null`): own enumerable string keys, sorted, each
 *   with its value; symbol keys are ignored;
 * - `Map` and `Set`: order-free: each entry (key and value) or element is hashed on its own and the
 *   sorted digests are hashed;
 * - `Date`: its time value; `RegExp`: source and flags; boxed primitives: the primitive; `Error`:
 *   name, message and own enumerable properties;
 * - typed arrays, `ArrayBuffer`, `SharedArrayBuffer` and `DataView`: their element type and their
 *   bytes, fed to the hash as they are (a `Buffer` is a `Uint8Array`; a float array's `NaN`s are
 *   hashed with the bits they are stored with); with `precision`, float arrays are rounded element by
 *   element instead;
 * - tensors (an object with `dataSync()` or `arraySync()`, as TensorFlow.js has): `dtype` and `shape`
 *   when present, then the data;
 * - other objects with a `toJSON()` method: the result of `toJSON()`;
 * - other class instances: the constructor's name, then the own enumerable properties like a plain
 *   object (so two classes with the same name and fields are not told apart; private `#fields` and
 *   accessors on the prototype are not seen).
 *
 * Functions, symbols, circular references, promises and weak collections are an {@link AtoError}
 * naming the path to them (`value.a.b[3]`).
 *
 * @module
 */
import { createHash, type Hash } from 'node:crypto';
import { endianness } from 'node:os';
import { AtoError } from '../errors.js';

/** Options of {@link fingerprintValue}. */
export interface ValueFingerprintOptions {
  /**
   * Round every number (and every element of a float typed array) to this many significant digits
   * before hashing, so that harmless floating-point noise does not change the fingerprint. An integer
   * from 1 to 100. Integer typed arrays and bigints are always exact.
   */
  precision?: number;
}

const VALUE_TAG = 'ato-value-fingerprint-v1';
const BUFFER_SIZE = 64 * 1024;
const LITTLE_ENDIAN = endianness() === 'LE';

/** One-byte tags of the encoding. */
const Tag = {
  Undefined: 0x01,
  Null: 0x02,
  True: 0x03,
  False: 0x04,
  Number: 0x05,
  BigInt: 0x06,
  String: 0x07,
  Array: 0x08,
  Hole: 0x09,
  Object: 0x0a,
  Instance: 0x0b,
  Map: 0x0c,
  Set: 0x0d,
  Date: 0x0e,
  RegExp: 0x0f,
  Boxed: 0x10,
  Error: 0x11,
  TypedArray: 0x12,
  ArrayBuffer: 0x13,
  SharedArrayBuffer: 0x14,
  DataView: 0x15,
  Tensor: 0x16,
  Json: 0x17,
  Rounded: 0x18,
} as const;
type Tag = (typeof Tag)[keyof typeof Tag];

/** Element type names of typed arrays, by constructor; subclasses (Buffer) map to their base. */
const TYPED_ARRAYS: Array<[new (...args: any[]) => ArrayBufferView, string, number]> = [
  [Uint8Array, 'uint8', 1],
  [Uint8ClampedArray, 'uint8clamped', 1],
  [Int8Array, 'int8', 1],
  [Uint16Array, 'uint16', 2],
  [Int16Array, 'int16', 2],
  [Uint32Array, 'uint32', 4],
  [Int32Array, 'int32', 4],
  [Float32Array, 'float32', 4],
  [Float64Array, 'float64', 8],
  [BigUint64Array, 'biguint64', 8],
  [BigInt64Array, 'bigint64', 8],
];

/**
 * The runtime fingerprint of a value: SHA-256 (hex) of its canonical, type-tagged encoding.
 *
 * Deterministic across runs and machines of the same endianness: object key order, `Map` and `Set`
 * insertion order do not matter; the kind of every value does (`1` vs `'1'` vs `1n`, `null` vs
 * `undefined`, `Float32Array` vs `Int32Array` with the same bytes).
 *
 * @param value What to fingerprint: JSON-like data, typed arrays, Maps, Sets, Dates, tensors, ...
 * @param options `precision`: significant digits numbers are rounded to first.
 * @returns 64 hex characters.
 * @throws {AtoError} `INVALID_ARGUMENT` for a function, a symbol, a circular reference, a promise or a
 *   weak collection anywhere in the value (the message names its path), or a bad `precision`.
 *
 * @example
 * ```ts
 * fingerprintValue({ a: 1, b: [2, 3] }) === fingerprintValue({ b: [2, 3], a: 1 }); // true
 * fingerprintValue(new Float32Array([0.1, 0.2]));                                 // hashes the bytes
 * fingerprintValue(0.1 + 0.2) === fingerprintValue(0.3);                                   // false
 * fingerprintValue(0.1 + 0.2, { precision: 12 }) === fingerprintValue(0.3, { precision: 12 }); // true
 * ```
 */
export function fingerprintValue(value: unknown, options: ValueFingerprintOptions = {}): string {
  const precision = options.precision;
  if (precision !== undefined && !(Number.isInteger(precision) && precision >= 1 && precision <= 100)) {
    throw new AtoError(
      'INVALID_ARGUMENT',
      `precision must be an integer from 1 to 100, got ${String(precision)}`,
      {
        location: { input: 'precision' },
        hint: 'pass the number of significant digits to keep, e.g. { precision: 6 }',
      },
    );
  }
  // Reuse one buffer across calls (a nested call, from a toJSON, allocates its own)
  const buffer = spareBuffer ?? Buffer.allocUnsafe(BUFFER_SIZE);
  spareBuffer = undefined;
  try {
    const encoder = new Encoder(buffer, precision);
    encoder.encode(value);
    return encoder.finish();
  } finally {
    spareBuffer = buffer;
  }
}

let spareBuffer: Buffer | undefined;

/** Streams the encoding into a SHA-256, through a small buffer. */
class Encoder {
  private hash: Hash = createHash('sha256');
  private pos = 0;
  /** Path segments from the root to the current value (rendered only for errors). */
  private readonly path: PathSegment[] = [];
  /** Objects on the current path, with their depth (for cycle detection). */
  private readonly ancestors = new Map<object, number>();

  constructor(
    private readonly buffer: Buffer,
    private readonly precision: number | undefined,
  ) {
    this.writeString(VALUE_TAG);
    if (precision !== undefined) {
      this.writeTag(Tag.Rounded);
      this.writeUint32(precision);
    }
  }

  finish(): string {
    this.flush();
    return this.hash.digest('hex');
  }

  encode(value: unknown): void {
    switch (typeof value) {
      case 'undefined':
        this.writeTag(Tag.Undefined);
        break;
      case 'boolean':
        this.writeTag(value ? Tag.True : Tag.False);
        break;
      case 'number':
        this.writeTag(Tag.Number);
        this.writeNumber(value);
        break;
      case 'bigint':
        this.writeTag(Tag.BigInt);
        this.writeString(value.toString(16));
        break;
      case 'string':
        this.writeTag(Tag.String);
        this.writeString(value);
        break;
      case 'function':
        throw this.error(`a function (${value.name || 'anonymous'}): only data has a runtime fingerprint`, {
          hint: 'fingerprint what the function returns, or use fingerprintFunction() for its code',
        });
      case 'symbol':
        throw this.error(`a symbol (${String(value)}): it has no stable identity across runs`, {
          hint: 'replace the symbol by a string (its description) before fingerprinting',
        });
      default:
        if (value === null) this.writeTag(Tag.Null);
        else this.encodeObject(value as object);
    }
  }

  private encodeObject(value: object): void {
    // Circular references are an error; shared references are encoded again
    const seenAt = this.ancestors.get(value);
    if (seenAt !== undefined) {
      throw this.error(`a circular reference (back to ${renderPath(this.path.slice(0, seenAt))})`, {
        hint: 'break the cycle, or pass inspectFn to fingerprint an acyclic part of the result',
      });
    }
    this.ancestors.set(value, this.path.length);
    try {
      this.encodeKnown(value);
    } finally {
      this.ancestors.delete(value);
    }
  }

  private encodeKnown(value: object): void {
    const proto = Object.getPrototypeOf(value);
    const record = value as Record<string, unknown>;
    if (ArrayBuffer.isView(value)) {
      this.encodeView(value);
    } else if (Array.isArray(value)) {
      this.encodeArray(value);
    } else if (
      (proto === Object.prototype || proto === null) &&
      !isTensorLike(record) &&
      !hasToJSON(record)
    ) {
      this.writeTag(Tag.Object);
      this.encodeProperties(value);
    } else if (value instanceof ArrayBuffer) {
      this.writeTag(Tag.ArrayBuffer);
      this.writeBytes(new Uint8Array(value));
    } else if (typeof SharedArrayBuffer !== 'undefined' && value instanceof SharedArrayBuffer) {
      this.writeTag(Tag.SharedArrayBuffer);
      this.writeBytes(new Uint8Array(value));
    } else if (value instanceof Map) {
      this.encodeMap(value);
    } else if (value instanceof Set) {
      this.encodeSet(value);
    } else if (value instanceof Date) {
      this.writeTag(Tag.Date);
      this.writeDouble(value.getTime());
    } else if (value instanceof RegExp) {
      this.writeTag(Tag.RegExp);
      this.writeString(value.source);
      this.writeString(value.flags);
    } else if (
      value instanceof Number ||
      value instanceof String ||
      value instanceof Boolean ||
      value instanceof BigInt
    ) {
      this.writeTag(Tag.Boxed);
      this.encode(value.valueOf());
    } else if (value instanceof Symbol) {
      throw this.error('a boxed symbol: it has no stable identity across runs', {
        hint: 'replace the symbol by a string (its description) before fingerprinting',
      });
    } else if (
      value instanceof Promise ||
      value instanceof WeakMap ||
      value instanceof WeakSet ||
      value instanceof WeakRef
    ) {
      throw this.error(`a ${value.constructor.name}: its contents cannot be read synchronously`, {
        hint:
          value instanceof Promise
            ? 'await the promise and fingerprint its result'
            : 'convert it to a Map, a Set or an array',
      });
    } else if (isTensorLike(record)) {
      this.encodeTensor(record);
    } else if (value instanceof Error) {
      this.writeTag(Tag.Error);
      this.writeString(value.name);
      this.writeString(value.message);
      this.encodeProperties(value);
    } else if (hasToJSON(record)) {
      this.writeTag(Tag.Json);
      this.child('.toJSON()', () => this.encode((record.toJSON as () => unknown)()));
    } else {
      // Any other class instance: constructor name, then own enumerable properties
      this.writeTag(Tag.Instance);
      this.writeString(typeof proto?.constructor === 'function' ? proto.constructor.name : '');
      this.encodeProperties(value);
    }
  }

  private encodeArray(value: unknown[]): void {
    this.writeTag(Tag.Array);
    const length = value.length;
    this.writeUint32(length);
    for (let i = 0; i < length; i++) {
      const item = value[i];
      if (item === undefined && !(i in value)) {
        this.writeTag(Tag.Hole);
        continue;
      }
      this.path.push(i);
      this.encode(item);
      this.path.pop();
    }
  }

  private encodeProperties(value: object): void {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).sort(compareKeys);
    this.writeUint32(keys.length);
    for (const key of keys) {
      this.writeString(key);
      this.path.push(key);
      this.encode(record[key]);
      this.path.pop();
    }
  }

  private encodeMap(value: Map<unknown, unknown>): void {
    this.writeTag(Tag.Map);
    this.writeUint32(value.size);
    const digests: Buffer[] = [];
    let i = 0;
    for (const [key, item] of value) {
      const label = mapKeyLabel(key, i++);
      digests.push(
        this.digestOf(() => {
          this.child(`.<key ${label}>`, () => this.encode(key));
          this.child(`.get(${label})`, () => this.encode(item));
        }),
      );
    }
    this.writeDigests(digests);
  }

  private encodeSet(value: Set<unknown>): void {
    this.writeTag(Tag.Set);
    this.writeUint32(value.size);
    const digests: Buffer[] = [];
    let i = 0;
    for (const item of value) {
      const label = `.<element #${i++}>`;
      digests.push(this.digestOf(() => this.child(label, () => this.encode(item))));
    }
    this.writeDigests(digests);
  }

  private encodeTensor(tensor: Record<string, unknown>): void {
    this.writeTag(Tag.Tensor);
    this.writeString(typeof tensor.dtype === 'string' ? tensor.dtype : '');
    this.child('.shape', () => this.encode(Array.isArray(tensor.shape) ? tensor.shape : null));
    const method = typeof tensor.dataSync === 'function' ? 'dataSync' : 'arraySync';
    this.child(`.${method}()`, () => this.encode((tensor[method] as () => unknown).call(tensor)));
  }

  private encodeView(view: ArrayBufferView): void {
    const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
    if (view instanceof DataView) {
      this.writeTag(Tag.DataView);
      this.writeBytes(bytes);
      return;
    }
    const entry = TYPED_ARRAYS.find(([type]) => view instanceof type);
    const [, name, size] = entry ?? [undefined, view.constructor.name, 1];
    this.writeTag(Tag.TypedArray);
    this.writeString(name);
    if (this.precision !== undefined && (view instanceof Float32Array || view instanceof Float64Array)) {
      // Rounded floats: per-element work, written as doubles
      this.writeUint32(view.length);
      for (let i = 0; i < view.length; i++) this.writeNumber(view[i]!);
      return;
    }
    this.writeBytes(bytes, size);
  }

  /** Run `fn` with `segment` (printed as it is) appended to the path. */
  private child(segment: string, fn: () => void): void {
    this.path.push({ raw: segment });
    fn();
    this.path.pop();
  }

  /** The SHA-256 of what `fn` encodes, hashed apart from the main stream (for order-free collections). */
  private digestOf(fn: () => void): Buffer {
    this.flush();
    const outer = this.hash;
    this.hash = createHash('sha256');
    try {
      fn();
      this.flush();
      return this.hash.digest();
    } finally {
      this.hash = outer;
    }
  }

  private writeDigests(digests: Buffer[]): void {
    digests.sort(Buffer.compare);
    for (const digest of digests) this.writeRaw(digest);
  }

  private error(what: string, options: { hint: string }): AtoError {
    const where = renderPath(this.path);
    return new AtoError('INVALID_ARGUMENT', `cannot fingerprint ${what}`, {
      location: { input: where },
      hint: options.hint,
    });
  }

  // Low-level writes

  private flush(): void {
    if (this.pos > 0) {
      this.hash.update(this.buffer.subarray(0, this.pos));
      this.pos = 0;
    }
  }

  private ensure(bytes: number): void {
    if (this.pos + bytes > BUFFER_SIZE) this.flush();
  }

  private writeTag(tag: Tag): void {
    this.ensure(1);
    this.buffer[this.pos++] = tag;
  }

  private writeUint32(value: number): void {
    this.ensure(4);
    const buffer = this.buffer;
    const pos = this.pos;
    buffer[pos] = value & 0xff;
    buffer[pos + 1] = (value >>> 8) & 0xff;
    buffer[pos + 2] = (value >>> 16) & 0xff;
    buffer[pos + 3] = (value >>> 24) & 0xff;
    this.pos = pos + 4;
  }

  private writeDouble(value: number): void {
    this.ensure(8);
    // One bit pattern for every NaN
    this.buffer.writeDoubleLE(Number.isNaN(value) ? Number.NaN : value, this.pos);
    this.pos += 8;
  }

  private writeNumber(value: number): void {
    const precision = this.precision;
    if (precision !== undefined && Number.isFinite(value) && value !== 0) {
      value = Number(value.toPrecision(precision));
    } else if (precision !== undefined && value === 0) {
      value = 0;
    }
    this.writeDouble(value);
  }

  /** Length-prefixed UTF-16 code units. */
  private writeString(value: string): void {
    const byteLength = value.length * 2;
    this.writeUint32(value.length);
    if (byteLength > BUFFER_SIZE) {
      this.flush();
      this.hash.update(Buffer.from(value, 'utf16le'));
      return;
    }
    this.ensure(byteLength);
    if (value.length > 32) {
      this.pos += this.buffer.write(value, this.pos, 'utf16le');
      return;
    }
    // Short strings: a loop beats the native call
    const buffer = this.buffer;
    let pos = this.pos;
    for (let i = 0; i < value.length; i++) {
      const unit = value.charCodeAt(i);
      buffer[pos++] = unit & 0xff;
      buffer[pos++] = unit >>> 8;
    }
    this.pos = pos;
  }

  private writeRaw(bytes: Uint8Array): void {
    if (bytes.length > BUFFER_SIZE) {
      this.flush();
      this.hash.update(bytes);
      return;
    }
    this.ensure(bytes.length);
    this.buffer.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** Length-prefixed bytes of `elementSize`-byte elements, in little-endian order. */
  private writeBytes(bytes: Uint8Array, elementSize = 1): void {
    this.writeUint32(Math.floor(bytes.length / 2 ** 32));
    this.writeUint32(bytes.length);
    if (!LITTLE_ENDIAN && elementSize > 1) {
      // Big-endian machines: swap a copy so that the hash matches little-endian ones
      const copy = Buffer.from(bytes);
      if (elementSize === 2) copy.swap16();
      else if (elementSize === 4) copy.swap32();
      else copy.swap64();
      bytes = copy;
    }
    this.writeRaw(bytes);
  }
}

/** Code-unit order, like the default sort, without its string conversions. */
function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isTensorLike(record: Record<string, unknown>): boolean {
  return typeof record.dataSync === 'function' || typeof record.arraySync === 'function';
}

function hasToJSON(record: Record<string, unknown>): boolean {
  return typeof record.toJSON === 'function';
}

function mapKeyLabel(key: unknown, index: number): string {
  if (typeof key === 'string') return JSON.stringify(key);
  if (typeof key === 'number' || typeof key === 'boolean' || typeof key === 'bigint') {
    return typeof key === 'bigint' ? `${key}n` : String(key);
  }
  return `#${index}`;
}

/** An array index, an object key, or a printed step such as `.get("k")`. */
type PathSegment = number | string | { raw: string };

/** `value.a.b[3]`, `value["odd key"]`, `value.get("k")`. */
function renderPath(path: readonly PathSegment[]): string {
  let out = 'value';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (typeof segment === 'object') out += segment.raw;
    else if (/^[A-Za-z_$][\w$]*$/.test(segment)) out += `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}
