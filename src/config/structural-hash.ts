/**
 * The structural hash of a config: what shape it has, not what values it holds.
 *
 * Algorithm `ato-structural-hash-v1` (stored in databases: it must never change silently; a change
 * needs a new version name):
 * 1. Walk the config. Every leaf contributes one record `[path, type]`, where `path` is the array of
 *    keys from the root (each key a string) and `type` is the leaf's type descriptor:
 *    - `string`, `number` (integers and non-integers alike: JavaScript has one number type, and
 *      `1.0` in a YAML file is the number `1` once parsed; NaN and ±Infinity are numbers too),
 *      `boolean`, `null`, `undefined`, `bigint`, `date`, or `object:<ConstructorName>` for other
 *      class instances;
 *    - a non-empty dict is not a leaf: its keys are walked; an empty dict is the leaf `dict`;
 *    - a list is a leaf whose type is `list<...>`: the sorted, de-duplicated descriptors of its
 *      elements joined by `|` (`[64, 128]` is `list<number>`, `[]` is `list<>`, `[1, 'a']` is
 *      `list<number|string>`). A dict element is described inline as `{"k":type,...}` with its keys
 *      sorted. So a list's length and values are values, its element types are structure.
 * 2. Serialise each record with `JSON.stringify([path, type])`, sort the records by UTF-16 code
 *    units (JavaScript's default string order), join them with `\n`, prefix the line
 *    `ato-structural-hash-v1`, and hash the UTF-8 bytes with SHA-256 (lowercase hex).
 *
 * Hence: key order never matters; values never matter; a key added or removed, or a value whose type
 * changed (`epochs: 100` vs `epochs: '100'`, `null` vs a string) changes the hash.
 * @module
 */
import { createHash } from 'node:crypto';
import { isPlainObject } from './_values.js';

/** Version tag of the algorithm; part of the hashed text. */
export const STRUCTURAL_HASH_VERSION = 'ato-structural-hash-v1';

/** Type descriptor of a leaf value (see the module documentation). */
export function describeLeafType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) {
    const parts = [...new Set(value.map(describeLeafType))].sort();
    return `list<${parts.join('|')}>`;
  }
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'undefined':
      return typeof value;
    case 'object': {
      if (value instanceof Date) return 'date';
      if (isPlainObject(value)) {
        const keys = Object.keys(value).sort();
        return `{${keys.map((k) => `${JSON.stringify(k)}:${describeLeafType(value[k])}`).join(',')}}`;
      }
      return `object:${(value as object).constructor?.name ?? 'Object'}`;
    }
    default:
      return typeof value;
  }
}

/** The `[path, type]` records of every leaf of a plain config object, unsorted. */
export function structuralRecords(config: Record<string, unknown>): string[] {
  const records: string[] = [];
  // `open` is the JSON text of the path so far without its closing bracket: `["model","backbone"`.
  const walk = (node: Record<string, unknown>, open: string): void => {
    for (const key of Object.keys(node)) {
      const value = node[key];
      const childOpen = `${open}${open === '[' ? '' : ','}${JSON.stringify(key)}`;
      if (isPlainObject(value)) {
        if (Object.keys(value).length > 0) walk(value, childOpen);
        else records.push(`${childOpen}],"dict"]`);
      } else {
        records.push(`${childOpen}],${JSON.stringify(describeLeafType(value))}]`);
      }
    }
  };
  walk(config, '[');
  return records.map((r) => `[${r}`);
}

/**
 * Compute the structural hash of a plain config object (use `ADict#getStructuralHash` on an ADict).
 *
 * @example
 * ```ts
 * structuralHash({ lr: 0.1, model: { depth: 50 } }) === structuralHash({ model: { depth: 101 }, lr: 3 }); // true
 * ```
 */
export function structuralHash(config: Record<string, unknown>): string {
  const records = structuralRecords(config).sort();
  return createHash('sha256')
    .update([STRUCTURAL_HASH_VERSION, ...records].join('\n'), 'utf8')
    .digest('hex');
}
