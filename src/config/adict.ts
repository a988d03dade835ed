/**
 * ADict: the config dictionary of ato. Dot access at any depth, auto-nesting, deep freezing, a
 * structural hash, access tracking, and loading/dumping every config format.
 * @module
 */
import { AtoError } from '../errors.js';
import { describeType, isPlainObject, type PlainObject, setOwn, splitPath } from './_values.js';
import { type ComposeOptions, composeHierarchy } from './compose.js';
import { type ConfigFormat, readConfigFile, readJsonlFile, writeConfigFile } from './files.js';
import { structuralHash } from './structural-hash.js';
import { toXyz } from './xyz.js';

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

interface State {
  data: Map<string, unknown>;
  frozen: boolean;
  auto: boolean;
  /** Keys read through property access or `get`, for `getMinimalConfig`. */
  accessed: Set<string>;
  /** Dotted path of this dict inside the dict that last stored it (for error messages). */
  path: string;
}

/** Options of the {@link ADict} constructor. */
export interface ADictOptions {
  /**
   * Create nested dicts on first read of a missing key (`config.a.b.c = 1` just works).
   * Inherited by nested dicts. See {@link ADict.auto}.
   * @default false
   */
  auto?: boolean;
}

/** Options of {@link ADict.update}. */
export interface UpdateOptions {
  /**
   * Merge nested dicts key by key (`true`), or replace each top-level key's value (`false`).
   * @default true
   */
  recursive?: boolean;
}

/** Options of {@link ADict.renameKeys}. */
export interface RenameOptions {
  /**
   * What to do when a source key does not exist.
   * @default 'error'
   */
  missing?: 'error' | 'ignore';
}

/** Anything an ADict can be built from or merged with. */
export type DictLike = ADict | PlainObject | Map<string, unknown>;

/** An ADict whose keys are typed as `T` (the methods of ADict stay available). */
export type TypedADict<T> = ADict & T;

/**
 * Names never auto-created on an auto-nesting dict: protocol probes made by `await`, JSON,
 * test frameworks, React and Node's inspector must see `undefined`.
 */
const NEVER_AUTO = new Set([
  'then',
  'toJSON',
  'constructor',
  'asymmetricMatch',
  '$$typeof',
  'nodeType',
  'tagName',
  'inspect',
  'length',
]);

/** State of every ADict, by proxy and by target: a WeakMap lookup never goes through the proxy traps. */
const states = new WeakMap<object, State>();

function stateOf(dict: ADict): State {
  return states.get(dict)!;
}

function frozenError(state: State, key: string, action: string): AtoError {
  const full = state.path ? `${state.path}.${key}` : key;
  return new AtoError('FROZEN', `cannot ${action} "${full}": the config is frozen`, {
    location: { input: full },
    hint: 'call defrost() first, or change a clone()',
  });
}

/**
 * The config dictionary.
 *
 * - Dot access and assignment at any depth: `config.model.backbone.layers`, `config['lr']`.
 *   Plain objects assigned to it (also inside arrays) become ADicts.
 * - Reading a missing key gives `undefined` without creating it, except on an auto-nesting dict
 *   ({@link ADict.auto}), where it creates an empty nested dict.
 * - Method names win over keys on dot access (as in the original, a `dict` subclass): a key named
 *   like a method (`values`, `update`, ...) can be stored and read with {@link ADict.set} /
 *   {@link ADict.get}, and assigning it with dot syntax is an error that says so.
 *
 * @example
 * ```ts
 * const config = new ADict({ model: { backbone: 'resnet50' }, lr: 0.001 });
 * config.model.layers = [64, 128];
 * config.freeze();
 * config.getStructuralHash(); // same for any values of the same keys and types
 * ```
 */
export class ADict {
  /** Keys of the config, by dot access. */
  [key: string]: any;

  /**
   * @param init initial content: a plain object, another ADict (deep-copied) or a Map
   */
  constructor(init?: DictLike | null, options: ADictOptions = {}) {
    const state: State = {
      data: new Map(),
      frozen: false,
      auto: options.auto ?? false,
      accessed: new Set(),
      path: '',
    };
    const proxy = new Proxy(this, HANDLER) as this;
    states.set(this, state);
    states.set(proxy, state);
    if (init) {
      for (const [key, value] of entriesOf(init)) {
        const copy = copyValue(value, state.auto);
        if (ADict.isADict(copy)) relabel(copy, key);
        state.data.set(key, copy);
      }
    }
    // biome-ignore lint/correctness/noConstructorReturn: dot access to keys needs the instance behind a Proxy
    return proxy;
  }

  /**
   * An auto-nesting dict: reading a missing key creates (and stores) an empty nested auto dict, so
   * `config.data.augmentation.brightness = 0.2` just works. Names starting with `_` or `$`, and
   * protocol probes such as `then` and `toJSON`, are never auto-created.
   * @example
   * ```ts
   * const config = ADict.auto();
   * config.optimizer.adam.beta1 = 0.9;
   * ```
   */
  static auto(init?: DictLike | null): ADict {
    return new ADict(init, { auto: true });
  }

  /** Build an ADict typed as `T`. */
  static from<T extends object>(init: T, options?: ADictOptions): TypedADict<T> {
    return new ADict(init as DictLike, options) as TypedADict<T>;
  }

  /** True when `value` is an ADict. */
  static isADict(value: unknown): value is ADict {
    return value !== null && typeof value === 'object' && states.has(value);
  }

  /**
   * Read a config file into a new ADict (format by extension: `.json`, `.jsonl`, `.yaml`/`.yml`,
   * `.toml`, `.xyz`, `.js`/`.mjs`/`.cjs`/`.ts`/`.mts`/`.cts` modules, `.py` OpenMMLab configs).
   * @throws {AtoError} `FILE_NOT_FOUND`, `PARSE_ERROR` with file:line:column, `UNSUPPORTED_FORMAT`
   */
  static fromFile(path: string, options: ADictOptions & { format?: ConfigFormat } = {}): ADict {
    return new ADict(readConfigFile(path, options.format ? { format: options.format } : {}), options);
  }

  /**
   * Read every record of a JSON Lines file as its own ADict (`fromFile` merges them instead).
   */
  static fromJsonl(path: string, options: ADictOptions = {}): ADict[] {
    return readJsonlFile(path).map((record) => new ADict(record, options));
  }

  /**
   * Read an OpenMMLab-style Python config (`model = dict(type='ResNet', depth=50)`), with its
   * `_base_` files merged first. The file is parsed with a Python grammar and evaluated over a safe
   * subset; it is never run.
   */
  static fromMmConfig(path: string, options: ADictOptions = {}): ADict {
    return new ADict(readConfigFile(path, { format: 'python' }), options);
  }

  /**
   * Compose a config from a Hydra-style folder: the primary config, then each selected group
   * option's file, then dotted overrides, then a check of required keys. `getProvenance(config)`
   * tells which file set each key. See `compose.ts` for the full order.
   */
  static composeHierarchy(options: ComposeOptions): ADict {
    return composeHierarchy(options);
  }

  // ---- plain access ----

  /** The value of `key` (counts as a read for access tracking), or `fallback` when it is missing. */
  get(key: string, fallback?: unknown): any {
    const state = stateOf(this);
    if (!state.data.has(key)) return fallback;
    state.accessed.add(key);
    return state.data.get(key);
  }

  /** Set `key` (any name, including method names). Plain objects become ADicts. Returns this. */
  set(key: string, value: unknown): this {
    const state = stateOf(this);
    if (state.frozen) throw frozenError(state, key, 'set');
    storeValue(state, key, toStored(value, state.auto));
    return this;
  }

  /** True when `key` is present. */
  has(key: string): boolean {
    return stateOf(this).data.has(key);
  }

  /** Remove `key`; returns whether it was present. */
  delete(key: string): boolean {
    const state = stateOf(this);
    if (state.frozen) throw frozenError(state, key, 'delete');
    writeObserver?.(state.path, key);
    return state.data.delete(key);
  }

  /** The keys, in insertion order. */
  keys(): string[] {
    return [...stateOf(this).data.keys()];
  }

  /** The values, in key insertion order (not counted as reads). */
  values(): unknown[] {
    return [...stateOf(this).data.values()];
  }

  /** `[key, value]` pairs, in insertion order (not counted as reads). */
  entries(): [string, unknown][] {
    return [...stateOf(this).data.entries()];
  }

  /** Iterate over `[key, value]` pairs. */
  [Symbol.iterator](): IterableIterator<[string, unknown]> {
    return stateOf(this).data.entries();
  }

  // ---- dotted paths ----

  /** The value at a dotted path (`'model.backbone.depth'`, or an array of keys), or `fallback`. */
  getPath(path: string | readonly string[], fallback?: unknown): any {
    let node: unknown = this;
    for (const key of splitPath(path)) {
      if (!ADict.isADict(node) || !node.has(key)) return fallback;
      node = node.get(key);
    }
    return node;
  }

  /** True when a value exists at the dotted path. */
  hasPath(path: string | readonly string[]): boolean {
    const keys = splitPath(path);
    const parent = this.getPath(keys.slice(0, -1));
    return ADict.isADict(parent) && parent.has(keys[keys.length - 1]!);
  }

  /**
   * Set the value at a dotted path, creating intermediate dicts.
   * @throws {AtoError} `NOT_A_DICT` when an intermediate key holds something other than a dict
   */
  setPath(path: string | readonly string[], value: unknown): this {
    const keys = splitPath(path);
    let node: ADict = this;
    for (let i = 0; i < keys.length - 1; i++) {
      const key = keys[i]!;
      const next = stateOf(node).data.get(key);
      if (next === undefined && !stateOf(node).data.has(key)) {
        node.set(key, new ADict(null, { auto: stateOf(node).auto }));
      } else if (!ADict.isADict(next)) {
        const where = keys.slice(0, i + 1).join('.');
        throw new AtoError(
          'NOT_A_DICT',
          `cannot set "${keys.join('.')}": "${where}" holds a ${describeType(next)}, not a dict`,
          {
            location: { input: keys.join('.') },
            hint: `assign "${where}" a dict first, or choose another key`,
          },
        );
      }
      node = stateOf(node).data.get(key) as ADict;
    }
    node.set(keys[keys.length - 1]!, value);
    return this;
  }

  /** Delete the value at a dotted path; returns whether it was present. */
  deletePath(path: string | readonly string[]): boolean {
    const keys = splitPath(path);
    const parent = this.getPath(keys.slice(0, -1));
    return ADict.isADict(parent) ? parent.delete(keys[keys.length - 1]!) : false;
  }

  // ---- freezing and copying ----

  /** Make this dict and everything in it read-only (deep). Writes throw `FROZEN` naming the key. Returns this. */
  freeze(): this {
    setFrozen(this, true);
    return this;
  }

  /** Undo {@link ADict.freeze} (deep). Frozen arrays are replaced by writable copies. Returns this. */
  defrost(): this {
    setFrozen(this, false);
    return this;
  }

  /** Whether this dict is frozen. */
  isFrozen(): boolean {
    return stateOf(this).frozen;
  }

  /** Whether this dict auto-creates nested dicts (see {@link ADict.auto}). */
  isAuto(): boolean {
    return stateOf(this).auto;
  }

  /** A deep copy (dicts and arrays copied; other leaves such as class instances shared). Never frozen. */
  clone(): ADict {
    return new ADict(this, { auto: stateOf(this).auto });
  }

  /** A plain object copy: nested ADicts become plain objects, arrays are copied, leaves kept. */
  toDict(): PlainObject {
    return toPlainValue(this) as PlainObject;
  }

  /** JSON.stringify support: the same as {@link ADict.toDict}. */
  toJSON(): PlainObject {
    return this.toDict();
  }

  // ---- merging ----

  /**
   * Merge `other` into this dict. With `recursive` (the default), nested dicts are merged key by key;
   * otherwise each top-level key is replaced. Incoming dicts and arrays are copied, never shared.
   * Checks every write before making any, so a frozen part leaves the dict untouched. Returns this.
   */
  update(other: DictLike, options: UpdateOptions = {}): this {
    const recursive = options.recursive ?? true;
    assertMergeable(this, other, recursive, false);
    mergeInto(this, other, recursive, false);
    return this;
  }

  /**
   * Add only what is missing: keys absent here are copied from `other`; nested dicts present on both
   * sides are merged the same way, key by key. Existing values are never changed. Returns this.
   */
  updateIfAbsent(other: DictLike): this {
    assertMergeable(this, other, true, true);
    mergeInto(this, other, true, true);
    return this;
  }

  /** A new ADict with the top-level entries for which `predicate` returns true (values deep-copied). */
  filter(predicate: (value: unknown, key: string, dict: ADict) => boolean): ADict {
    const out = new ADict(null, { auto: stateOf(this).auto });
    for (const [key, value] of stateOf(this).data)
      if (predicate(value, key, this)) out.set(key, copyValue(value, stateOf(this).auto));
    return out;
  }

  /**
   * Rename keys, given as dotted paths: `{ lr: 'optim.lr', 'model.depth': 'model.layers' }`. A key
   * renamed within the same dict keeps its position. Returns this.
   * @throws {AtoError} `KEY_NOT_FOUND` for a missing source (unless `missing: 'ignore'`)
   */
  renameKeys(mapping: Record<string, string>, options: RenameOptions = {}): this {
    for (const [from, to] of Object.entries(mapping)) {
      if (!this.hasPath(from)) {
        if (options.missing === 'ignore') continue;
        throw new AtoError('KEY_NOT_FOUND', `cannot rename "${from}": no such key`, {
          location: { input: from },
          hint: `existing keys: ${this.keys().join(', ') || '(none)'}`,
        });
      }
      const fromKeys = splitPath(from);
      const toKeys = splitPath(to);
      const parent = this.getPath(fromKeys.slice(0, -1)) as ADict;
      const sameParent =
        fromKeys.length === toKeys.length &&
        fromKeys.slice(0, -1).join('\u0000') === toKeys.slice(0, -1).join('\u0000');
      const state = stateOf(parent);
      if (state.frozen) throw frozenError(state, fromKeys[fromKeys.length - 1]!, 'rename');
      if (sameParent) {
        const oldKey = fromKeys[fromKeys.length - 1]!;
        const newKey = toKeys[toKeys.length - 1]!;
        const entries = [...state.data].filter(([k]) => k !== newKey || k === oldKey);
        state.data.clear();
        for (const [k, v] of entries) state.data.set(k === oldKey ? newKey : k, v);
        writeObserver?.(state.path, undefined);
      } else {
        const value = state.data.get(fromKeys[fromKeys.length - 1]!);
        this.setPath(toKeys, value);
        state.data.delete(fromKeys[fromKeys.length - 1]!);
        writeObserver?.(state.path, fromKeys[fromKeys.length - 1]!);
      }
    }
    return this;
  }

  // ---- access tracking ----

  /** Dotted paths of the leaves and dicts the program read, in reading order per level. */
  getAccessedKeys(): string[] {
    const out: string[] = [];
    const walk = (dict: ADict, prefix: string): void => {
      const state = stateOf(dict);
      for (const key of state.accessed) {
        if (!state.data.has(key)) continue;
        const path = prefix ? `${prefix}.${key}` : key;
        out.push(path);
        const value = state.data.get(key);
        if (ADict.isADict(value)) walk(value, path);
      }
    };
    walk(this, '');
    return out;
  }

  /**
   * A copy holding only what the program read. A dict that was read but none of whose keys were
   * read (passed along whole, printed, serialised) is kept whole.
   */
  getMinimalConfig(): ADict {
    const minimal = (dict: ADict): ADict => {
      const state = stateOf(dict);
      const out = new ADict(null, { auto: state.auto });
      for (const key of state.accessed) {
        if (!state.data.has(key)) continue;
        const value = state.data.get(key);
        const readInside = ADict.isADict(value) && stateOf(value).accessed.size > 0;
        out.set(key, readInside ? minimal(value as ADict) : copyValue(value, state.auto));
      }
      return out;
    };
    return minimal(this);
  }

  /** Forget every read recorded so far (deep). Returns this. */
  resetAccessTracking(): this {
    walkDicts(this, (dict) => stateOf(dict).accessed.clear());
    return this;
  }

  // ---- hashing and text ----

  /**
   * The structural hash: SHA-256 over every leaf's key path and value type, independent of values
   * and key order (algorithm `ato-structural-hash-v1`, documented in `structural-hash.ts`).
   */
  getStructuralHash(): string {
    return structuralHash(this.toDict());
  }

  /** The config as XYZ text (see `xyz.ts`): how ato prints configs. */
  toXyz(): string {
    return toXyz(this.toDict());
  }

  // ---- files ----

  /**
   * Merge a config file into this dict (recursively, like {@link ADict.update}). The file is read and
   * parsed completely, and every write checked, before the dict changes: a failed load changes nothing.
   */
  load(path: string, options: { format?: ConfigFormat } = {}): this {
    return this.update(readConfigFile(path, options));
  }

  /** Merge an OpenMMLab-style Python config into this dict (see {@link ADict.fromMmConfig}). */
  loadMmConfig(path: string): this {
    return this.update(readConfigFile(path, { format: 'python' }));
  }

  /**
   * Write this dict to a file, in the format of its extension. A value the format cannot hold
   * (null in TOML, NaN in JSON, ...) is an error naming the key; nothing is written then.
   * @param options.append JSON Lines only: append one line instead of replacing the file
   */
  dump(path: string, options: { format?: ConfigFormat; append?: boolean } = {}): this {
    writeConfigFile(path, this.toDict(), options);
    return this;
  }

  /** Node's inspector (console.log) shows the content, not the proxy's internals. */
  [INSPECT](_depth: number, options: object, inspect: (value: unknown, options: object) => string): string {
    return `ADict${stateOf(this).frozen ? ' (frozen)' : ''} ${inspect(this.toDict(), options)}`;
  }
}

/** Names that resolve to ADict methods (or Object.prototype members) on dot access. */
function isReserved(prop: string): boolean {
  return prop in ADict.prototype;
}

const HANDLER: ProxyHandler<ADict> = {
  get(target, prop, receiver) {
    if (typeof prop === 'symbol' || isReserved(prop)) return Reflect.get(target, prop, receiver);
    const state = stateOf(target);
    if (state.data.has(prop)) {
      state.accessed.add(prop);
      return state.data.get(prop);
    }
    if (state.auto && !NEVER_AUTO.has(prop) && !prop.startsWith('_') && !prop.startsWith('$')) {
      if (state.frozen) return undefined;
      const child = new ADict(null, { auto: true });
      storeValue(state, prop, child);
      state.accessed.add(prop);
      return child;
    }
    return undefined;
  },
  set(target, prop, value, receiver) {
    if (typeof prop === 'symbol') return Reflect.set(target, prop, value, receiver);
    const state = stateOf(target);
    if (isReserved(prop)) {
      throw new AtoError(
        'RESERVED_KEY',
        `"${prop}" is the name of an ADict method and cannot be assigned with dot syntax`,
        {
          location: { input: state.path ? `${state.path}.${prop}` : prop },
          hint: `use config.set('${prop}', value) and config.get('${prop}')`,
        },
      );
    }
    if (state.frozen) throw frozenError(state, prop, 'set');
    storeValue(state, prop, toStored(value, state.auto));
    return true;
  },
  deleteProperty(target, prop) {
    if (typeof prop === 'symbol') return Reflect.deleteProperty(target, prop);
    const state = stateOf(target);
    if (state.frozen) throw frozenError(state, prop, 'delete');
    state.data.delete(prop);
    writeObserver?.(state.path, prop);
    return true;
  },
  has(target, prop) {
    if (typeof prop === 'string' && stateOf(target).data.has(prop)) return true;
    return Reflect.has(target, prop);
  },
  ownKeys(target) {
    return [...stateOf(target).data.keys()];
  },
  getOwnPropertyDescriptor(target, prop) {
    if (typeof prop === 'symbol') return Reflect.getOwnPropertyDescriptor(target, prop);
    const state = stateOf(target);
    if (!state.data.has(prop)) return undefined;
    return { value: state.data.get(prop), writable: !state.frozen, enumerable: true, configurable: true };
  },
  defineProperty(target, prop, descriptor) {
    if (typeof prop === 'symbol') return Reflect.defineProperty(target, prop, descriptor);
    const state = stateOf(target);
    if (state.frozen) throw frozenError(state, prop, 'set');
    storeValue(state, prop, toStored(descriptor.value, state.auto));
    return true;
  },
};

// ---- internal helpers ----

function entriesOf(init: DictLike): Iterable<[string, unknown]> {
  if (ADict.isADict(init)) return stateOf(init).data.entries();
  if (init instanceof Map) return init.entries();
  return Object.keys(init).map((k) => [k, (init as PlainObject)[k]] as [string, unknown]);
}

function isDictLike(value: unknown): value is DictLike {
  return ADict.isADict(value) || isPlainObject(value);
}

/** Store a converted value, labelling nested dicts with their path for error messages. */
/** Receives the path label of the dict written to (`''` for a root or detached dict) and the key (`undefined`: many keys). */
type WriteObserver = (dictPath: string, key: string | undefined) => void;
let writeObserver: WriteObserver | undefined;

/**
 * Internal (not re-exported from the package): report every key set or deleted in any ADict until
 * the returned function is called. Dicts inside lists report `''` as their path. Used by Scope to
 * trace which step set which value without walking the whole config after every step.
 */
export function observeWrites(observer: WriteObserver): () => void {
  const previous = writeObserver;
  writeObserver = observer;
  return () => {
    writeObserver = previous;
  };
}

function storeValue(state: State, key: string, value: unknown): void {
  writeObserver?.(state.path, key);
  if (ADict.isADict(value)) relabel(value, state.path ? `${state.path}.${key}` : key);
  state.data.set(key, value);
}

function relabel(dict: ADict, path: string): void {
  const state = stateOf(dict);
  state.path = path;
  for (const [key, value] of state.data) if (ADict.isADict(value)) relabel(value, `${path}.${key}`);
}

/** Convert an assigned value: plain objects become ADicts (also inside arrays); ADicts are kept. */
function toStored(value: unknown, auto: boolean): unknown {
  if (ADict.isADict(value)) return value;
  if (isPlainObject(value) || value instanceof Map) return new ADict(value as DictLike, { auto });
  if (Array.isArray(value)) return value.map((v) => toStored(v, auto));
  return value;
}

/** Deep-copy a value: dicts become new ADicts, arrays new arrays, Dates new Dates, other leaves shared. */
function copyValue(value: unknown, auto: boolean): unknown {
  if (isDictLike(value) || value instanceof Map) {
    return new ADict(value as DictLike, { auto: ADict.isADict(value) ? stateOf(value).auto : auto });
  }
  if (Array.isArray(value)) return value.map((v) => copyValue(v, auto));
  if (value instanceof Date) return new Date(value.getTime());
  return value;
}

function toPlainValue(value: unknown): unknown {
  if (ADict.isADict(value)) {
    const out: PlainObject = {};
    for (const [key, child] of stateOf(value).data) setOwn(out, key, toPlainValue(child));
    return out;
  }
  if (Array.isArray(value)) return value.map(toPlainValue);
  return value;
}

function walkDicts(value: unknown, visit: (dict: ADict) => void): void {
  if (ADict.isADict(value)) {
    visit(value);
    for (const child of stateOf(value).data.values()) walkDicts(child, visit);
  } else if (Array.isArray(value)) {
    for (const child of value) walkDicts(child, visit);
  }
}

function setFrozen(dict: ADict, frozen: boolean): void {
  const state = stateOf(dict);
  state.frozen = frozen;
  for (const [key, value] of state.data) {
    if (Array.isArray(value)) state.data.set(key, setArrayFrozen(value, frozen));
    else if (ADict.isADict(value)) setFrozen(value, frozen);
  }
}

function setArrayFrozen(array: unknown[], frozen: boolean): unknown[] {
  const items = array.map((item) => {
    if (Array.isArray(item)) return setArrayFrozen(item, frozen);
    if (ADict.isADict(item)) setFrozen(item, frozen);
    return item;
  });
  return frozen ? (Object.freeze(items) as unknown[]) : items;
}

/** Throw before any write when merging `source` would write into a frozen dict. */
function assertMergeable(target: ADict, source: DictLike, recursive: boolean, ifAbsent: boolean): void {
  const state = stateOf(target);
  for (const [key, incoming] of entriesOf(source)) {
    const existing = state.data.get(key);
    if (recursive && ADict.isADict(existing) && isDictLike(incoming)) {
      assertMergeable(existing, incoming, recursive, ifAbsent);
    } else if (state.frozen && !(ifAbsent && state.data.has(key))) {
      throw frozenError(state, key, 'update');
    }
  }
}

function mergeInto(target: ADict, source: DictLike, recursive: boolean, ifAbsent: boolean): void {
  const state = stateOf(target);
  for (const [key, incoming] of entriesOf(source)) {
    const existing = state.data.get(key);
    if (recursive && ADict.isADict(existing) && isDictLike(incoming))
      mergeInto(existing, incoming, recursive, ifAbsent);
    else if (!(ifAbsent && state.data.has(key))) storeValue(state, key, copyValue(incoming, state.auto));
  }
}
