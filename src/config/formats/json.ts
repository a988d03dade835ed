/** JSON and JSON Lines config files. */
import type * as JsoncParser from 'jsonc-parser';
import { lazyRequire } from '../../_lazy.js';
import { AtoError, offsetToLineColumn } from '../../errors.js';
import { assertRepresentable, assertTopLevelMapping, type FormatCapabilities } from './_check.js';

const JSON_CAPS: FormatCapabilities = {
  format: 'JSON',
  null: true,
  nonFinite: false,
  date: false,
  bigint: false,
  undefined: false,
  advice: 'YAML, TOML and XYZ hold NaN and Infinity',
};

/**
 * Parse JSON text with `JSON.parse` (fast path); on failure, locate the error with jsonc-parser so the
 * message gives line:column and what was expected.
 */
export function parseJsonValue(text: string, file: string, lineOffset = 0): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    const { parse, printParseErrorCode } = lazyRequire<typeof JsoncParser>('jsonc-parser');
    const errors: JsoncParser.ParseError[] = [];
    parse(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
    const first = errors[0];
    const { line, column } = offsetToLineColumn(text, first?.offset ?? 0);
    const expected = first ? printParseErrorCode(first.error) : 'valid JSON';
    const found = first
      ? JSON.stringify(text.slice(first.offset, first.offset + Math.max(first.length, 1)))
      : '';
    throw new AtoError('PARSE_ERROR', `invalid JSON: ${expected}${found ? ` (found ${found})` : ''}`, {
      location: { file, line: line + lineOffset, column },
      hint: 'JSON needs double-quoted keys and strings, commas between items and no trailing commas or comments',
      cause,
    });
  }
}

/** Parse a JSON config file: one object at the top level. */
export function parseJson(text: string, file: string): Record<string, unknown> {
  const value = parseJsonValue(text, file);
  assertTopLevelMapping(value, 'JSON', file);
  return value;
}

/** Write a config as pretty-printed JSON (2 spaces, trailing newline). */
export function stringifyJson(data: Record<string, unknown>, file?: string): string {
  assertRepresentable(data, JSON_CAPS, file);
  return `${JSON.stringify(data, null, 2)}\n`;
}

/**
 * Parse JSON Lines: one object per non-blank line. Errors give the line of the file.
 * @returns the records in file order
 */
export function parseJsonl(text: string, file: string): Record<string, unknown>[] {
  const records: Record<string, unknown>[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const value = parseJsonValue(line, file, i);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new AtoError('PARSE_ERROR', 'expected one JSON object per line', {
        location: { file, line: i + 1, column: 1 },
        hint: 'write each record as {...} on its own line',
      });
    }
    records.push(value as Record<string, unknown>);
  }
  return records;
}

/** Write records as JSON Lines (one compact object per line, trailing newline). */
export function stringifyJsonl(records: readonly Record<string, unknown>[], file?: string): string {
  for (const record of records) assertRepresentable(record, { ...JSON_CAPS, format: 'JSON Lines' }, file);
  return records.map((r) => `${JSON.stringify(r)}\n`).join('');
}
