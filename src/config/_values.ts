/** Internal value helpers shared by the config modules. Not re-exported. */

/** A plain object as produced by JSON/YAML/TOML parsers and object literals (any prototype-free dict). */
export type PlainObject = Record<string, unknown>;

/** True for `{}` literals and null-prototype objects; false for arrays, class instances, Dates, Maps. */
export function isPlainObject(value: unknown): value is PlainObject {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Set `key` on a plain object without ever touching its prototype: a config key named `__proto__`
 * becomes an ordinary own property instead of replacing the object's prototype.
 */
export function setOwn(target: PlainObject, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/** Split a dotted path (`'model.backbone.depth'`) into keys; an array is taken as already split. */
export function splitPath(path: string | readonly string[]): string[] {
  return typeof path === 'string' ? path.split('.') : [...path];
}

/** Render a key path for messages: `model.layers`. */
export function joinPath(keys: readonly (string | number)[]): string {
  return keys.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join('');
}

/** A short description of a value's type, for messages (`number`, `string`, `list`, `dict`, `null`). */
export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'object') {
    if (isPlainObject(value)) return 'dict';
    return (value as object).constructor?.name ?? 'object';
  }
  return typeof value;
}

/**
 * Merge `source` into `target` in place: nested plain objects key by key, everything else replaced.
 * Returns `target`.
 */
export function mergePlain(target: PlainObject, source: PlainObject): PlainObject {
  for (const key of Object.keys(source)) {
    const incoming = source[key];
    const existing = Object.hasOwn(target, key) ? target[key] : undefined;
    if (isPlainObject(existing) && isPlainObject(incoming)) mergePlain(existing, incoming);
    else setOwn(target, key, incoming);
  }
  return target;
}
