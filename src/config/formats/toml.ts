/** TOML config files (TOML 1.0, through `smol-toml`). */
import type * as SmolToml from 'smol-toml';
import { lazyRequire } from '../../_lazy.js';
import { AtoError } from '../../errors.js';
import { assertRepresentable } from './_check.js';

/**
 * Parse a TOML config file. Integers beyond `Number.MAX_SAFE_INTEGER` become bigints instead of
 * losing precision; dates and times become `Date` objects.
 */
export function parseToml(text: string, file: string): Record<string, unknown> {
  const toml = lazyRequire<typeof SmolToml>('smol-toml');
  try {
    // smol-toml returns null-prototype tables; copy into ordinary objects through JSON-free cloning.
    return normalise(toml.parse(text, { integersAsBigInt: 'asNeeded' })) as Record<string, unknown>;
  } catch (cause) {
    if (cause instanceof toml.TomlError) {
      const detail = cause.message.split('\n')[0]!.replace(/^Invalid TOML document: /, '');
      throw new AtoError('PARSE_ERROR', `invalid TOML: ${detail}`, {
        location: { file, line: cause.line, column: cause.column },
        hint: 'see https://toml.io for the syntax of keys, strings, arrays and tables',
        cause,
      });
    }
    throw cause;
  }
}

function normalise(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalise);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === null) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      Object.defineProperty(out, key, {
        value: normalise((value as Record<string, unknown>)[key]),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return value;
}

/**
 * Write a config as TOML. TOML has no null and no undefined: such a value is an error naming its key,
 * never silently dropped.
 */
export function stringifyToml(data: Record<string, unknown>, file?: string): string {
  assertRepresentable(
    data,
    {
      format: 'TOML',
      null: false,
      nonFinite: true,
      date: true,
      bigint: true,
      undefined: false,
      advice: 'TOML has no null: remove the key, or use YAML, JSON or XYZ',
    },
    file,
  );
  return lazyRequire<typeof SmolToml>('smol-toml').stringify(data);
}
