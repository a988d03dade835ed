/** Internal: verify that a format can hold every value of a config before writing it. */
import { AtoError } from '../../errors.js';
import { describeType, isPlainObject, joinPath } from '../_values.js';

/** What a format can hold beyond dicts, lists, strings, finite numbers and booleans. */
export interface FormatCapabilities {
  /** Format name for messages (`JSON`, `TOML`, ...). */
  format: string;
  null: boolean;
  nonFinite: boolean;
  date: boolean;
  bigint: boolean;
  undefined: boolean;
  /** Extra advice appended to the hint for values the format cannot hold. */
  advice?: string;
}

/**
 * Walk `data` and throw `DUMP_UNSUPPORTED_VALUE` at the first value the format cannot hold, naming
 * its key path, so nothing is written and nothing is silently dropped.
 */
export function assertRepresentable(data: unknown, caps: FormatCapabilities, file: string | undefined): void {
  const walk = (value: unknown, path: (string | number)[]): void => {
    if (Array.isArray(value)) {
      for (const [i, v] of value.entries()) walk(v, [...path, i]);
      return;
    }
    if (isPlainObject(value)) {
      for (const key of Object.keys(value)) walk(value[key], [...path, key]);
      return;
    }
    let ok: boolean;
    switch (typeof value) {
      case 'string':
      case 'boolean':
        ok = true;
        break;
      case 'number':
        ok = Number.isFinite(value) || caps.nonFinite;
        break;
      case 'bigint':
        ok = caps.bigint;
        break;
      case 'undefined':
        ok = caps.undefined;
        break;
      case 'object':
        ok = value === null ? caps.null : value instanceof Date && caps.date;
        break;
      default:
        ok = false;
    }
    if (!ok) {
      const what = typeof value === 'number' ? String(value) : describeType(value);
      const key = joinPath(path);
      throw new AtoError(
        'DUMP_UNSUPPORTED_VALUE',
        `${caps.format} cannot hold the ${what} value at "${key}"`,
        {
          location: file ? { file, input: key } : { input: key },
          hint: `change or remove "${key}" before dumping, or dump to a format that holds it${caps.advice ? ` (${caps.advice})` : ''}`,
        },
      );
    }
  };
  walk(data, []);
}

/** Throw a PARSE_ERROR when a parsed document is not a mapping at the top level. */
export function assertTopLevelMapping(
  value: unknown,
  format: string,
  file: string,
): asserts value is Record<string, unknown> {
  if (!isPlainObject(value)) {
    throw new AtoError(
      'PARSE_ERROR',
      `expected a mapping at the top level of the ${format} document, found ${describeType(value)}`,
      {
        location: { file, line: 1, column: 1 },
        hint: 'a config file holds one mapping of keys to values',
      },
    );
  }
}
