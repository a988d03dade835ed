/**
 * XYZ: ato's indented, human-readable config format, used whenever a config is printed.
 *
 * ```
 * model:
 *   backbone: resnet50
 *   layers:
 *     0) 64
 *     1) 128
 * lr: 0.001
 * ```
 * Grammar (one entry per line, two spaces of indentation per level, no tabs):
 * - `key: scalar`, or `key:` followed by the indented entries of a mapping or a sequence;
 * - `N) scalar` or `N)` followed by an indented block: the items of a sequence, numbered from 0;
 * - empty containers are the scalars `[Empty Sequence]` and `[Empty Mapping]`;
 * - scalars read back as `null` (`None`), booleans (`true`/`false`, `True`/`False`), numbers
 *   (`1`, `-2.5`, `.5`, `1e-3`, `NaN`/`nan`, `Infinity`/`inf`, `-Infinity`/`-inf`, `-0`), a `"JSON string"` or a
 *   `'single-quoted string'` (`''` inside is one quote), and otherwise the text itself as a string;
 * - keys are written bare unless they contain `:` or control characters, start with a quote, `#` or
 *   white space, end with white space, are empty, or look like a list item: then they are written
 *   as a JSON string;
 * - blank lines and lines starting with `#` (after indentation) are comments.
 * The writer quotes every string that would otherwise read back as something else, so
 * `parseXyz(toXyz(x))` gives `x` back for every value made of dicts, lists, strings, numbers,
 * booleans and null.
 * @module
 */
import { AtoError } from '../errors.js';
import { isScalarWord, NOT_A_SCALAR_WORD, readScalarWord } from './_scalars.js';
import { describeType, isPlainObject, joinPath, type PlainObject, setOwn } from './_values.js';

const EMPTY_SEQUENCE = '[Empty Sequence]';
const EMPTY_MAPPING = '[Empty Mapping]';
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what must be quoted
const CONTROL_RE = /[\u0000-\u001f\u007f]/;

/** Options of {@link toXyz}. */
export interface ToXyzOptions {
  /** Name of the file being written, for error messages. */
  file?: string;
}

/** True when a bare scalar text would read back as something other than the string itself. */
function needsQuotes(text: string): boolean {
  return (
    text === '' ||
    text !== text.trim() ||
    CONTROL_RE.test(text) ||
    text.startsWith('"') ||
    text.startsWith("'") ||
    text.startsWith('#') ||
    text === EMPTY_SEQUENCE ||
    text === EMPTY_MAPPING ||
    isScalarWord(text)
  );
}

function formatKey(key: string): string {
  const bare =
    key !== '' &&
    key === key.trim() &&
    !key.includes(':') &&
    !CONTROL_RE.test(key) &&
    !/^["'#]/.test(key) &&
    !/^\d+\)/.test(key);
  return bare ? key : JSON.stringify(key);
}

function formatScalar(value: unknown, path: (string | number)[], file: string | undefined): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return String(value);
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'string':
      return needsQuotes(value) ? JSON.stringify(value) : value;
    default:
      throw new AtoError(
        'DUMP_UNSUPPORTED_VALUE',
        `XYZ cannot hold the ${describeType(value)} value at "${joinPath(path)}"`,
        {
          location: file ? { file, input: joinPath(path) } : { input: joinPath(path) },
          hint: 'XYZ holds dicts, lists, strings, numbers, booleans and null; convert the value (e.g. a Date to an ISO string) first.',
        },
      );
  }
}

function writeContainer(
  value: PlainObject | unknown[],
  indent: string,
  path: (string | number)[],
  out: string[],
  file?: string,
) {
  const entries: [string, string | number, unknown][] = Array.isArray(value)
    ? value.map((v, i) => [`${i})`, i, v])
    : Object.keys(value).map((k) => [`${formatKey(k)}:`, k, value[k]]);
  for (const [label, key, child] of entries) {
    const childPath = [...path, key];
    if (Array.isArray(child) || isPlainObject(child)) {
      const empty = Array.isArray(child) ? child.length === 0 : Object.keys(child).length === 0;
      if (empty) out.push(`${indent}${label} ${Array.isArray(child) ? EMPTY_SEQUENCE : EMPTY_MAPPING}`);
      else {
        out.push(`${indent}${label}`);
        writeContainer(child, `${indent}  `, childPath, out, file);
      }
    } else {
      out.push(`${indent}${label} ${formatScalar(child, childPath, file)}`);
    }
  }
}

/**
 * Write a plain config value (a dict, usually) as XYZ text, ending with a newline.
 * @throws {AtoError} `DUMP_UNSUPPORTED_VALUE` for values XYZ cannot hold (undefined, functions, Dates, ...).
 */
export function toXyz(value: PlainObject | unknown[], options: ToXyzOptions = {}): string {
  const isEmpty = Array.isArray(value) ? value.length === 0 : Object.keys(value).length === 0;
  if (isEmpty) return `${Array.isArray(value) ? EMPTY_SEQUENCE : EMPTY_MAPPING}\n`;
  const out: string[] = [];
  writeContainer(value, '', [], out, options.file);
  return `${out.join('\n')}\n`;
}

interface XyzLine {
  line: number;
  depth: number;
  /** Column (1-based) where the entry starts. */
  column: number;
  kind: 'key' | 'item';
  key: string;
  index: number;
  /** Scalar text after the label, or undefined when a block follows. */
  valueText: string | undefined;
  valueColumn: number;
}

function parseError(file: string, line: number, column: number, detail: string, hint?: string): AtoError {
  return new AtoError('PARSE_ERROR', detail, { location: { file, line, column }, ...(hint ? { hint } : {}) });
}

function scanLine(raw: string, lineNo: number, file: string): XyzLine | undefined {
  const indentMatch = /^[ \t]*/.exec(raw)![0];
  const rest = raw.slice(indentMatch.length);
  if (rest === '' || rest.startsWith('#')) return undefined;
  if (indentMatch.includes('\t'))
    throw parseError(
      file,
      lineNo,
      indentMatch.indexOf('\t') + 1,
      'tab in indentation',
      'indent with two spaces per level',
    );
  if (indentMatch.length % 2 !== 0) {
    throw parseError(
      file,
      lineNo,
      indentMatch.length + 1,
      `indentation of ${indentMatch.length} spaces is not a multiple of two`,
      'indent with two spaces per level',
    );
  }
  const depth = indentMatch.length / 2;
  const column = indentMatch.length + 1;
  const item = /^(\d+)\)(?: (.*))?$/.exec(rest);
  if (item) {
    return {
      line: lineNo,
      depth,
      column,
      kind: 'item',
      key: '',
      index: Number(item[1]),
      valueText: item[2],
      valueColumn: column + item[1]!.length + 2,
    };
  }
  let key: string;
  let after: number;
  if (rest.startsWith('"')) {
    const end = findJsonStringEnd(rest);
    if (end < 0)
      throw parseError(file, lineNo, column, 'unterminated quoted key', 'close the key with a double quote');
    try {
      key = JSON.parse(rest.slice(0, end + 1)) as string;
    } catch (cause) {
      throw new AtoError('PARSE_ERROR', `invalid quoted key ${rest.slice(0, end + 1)}`, {
        location: { file, line: lineNo, column },
        cause,
      });
    }
    after = end + 1;
    if (rest[after] !== ':')
      throw parseError(file, lineNo, column + after, `expected ":" after the key ${rest.slice(0, after)}`);
  } else {
    after = rest.indexOf(':');
    if (after < 0) {
      throw parseError(
        file,
        lineNo,
        column,
        `expected "key: value", "key:" or "N) value", found "${rest}"`,
        'end a key with ":" and number list items as "0)", "1)", ...',
      );
    }
    key = rest.slice(0, after);
  }
  const tail = rest.slice(after + 1);
  if (tail !== '' && !tail.startsWith(' ')) {
    throw parseError(
      file,
      lineNo,
      column + after + 1,
      `expected a space after ":" in "${rest}"`,
      'write "key: value"; quote keys that contain ":" as JSON strings',
    );
  }
  const valueText = tail === '' || tail.trim() === '' ? undefined : tail.slice(1);
  return {
    line: lineNo,
    depth,
    column,
    kind: 'key',
    key,
    index: -1,
    valueText,
    valueColumn: column + after + 2,
  };
}

function findJsonStringEnd(text: string): number {
  for (let i = 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  return -1;
}

/** Read one scalar's text as a value (see the module documentation). */
export function parseXyzScalar(text: string, file = '<xyz>', line = 1, column = 1): unknown {
  const trimmed = text.trimEnd();
  if (trimmed === EMPTY_SEQUENCE) return [];
  if (trimmed === EMPTY_MAPPING) return {};
  const word = readScalarWord(trimmed);
  if (word !== NOT_A_SCALAR_WORD) return word;
  if (trimmed.startsWith('"')) {
    try {
      return JSON.parse(trimmed) as unknown;
    } catch (cause) {
      throw new AtoError('PARSE_ERROR', `invalid double-quoted string ${trimmed}`, {
        location: { file, line, column },
        hint: 'double-quoted strings follow JSON rules (escape " and \\ with a backslash)',
        cause,
      });
    }
  }
  if (trimmed.startsWith("'")) {
    if (
      trimmed.length < 2 ||
      !trimmed.endsWith("'") ||
      /[^']'(?!')/.test(trimmed.slice(1, -1).replace(/''/g, ''))
    ) {
      throw parseError(
        file,
        line,
        column,
        `invalid single-quoted string ${trimmed}`,
        "end the string with ' and write a quote inside as ''",
      );
    }
    return trimmed.slice(1, -1).replace(/''/g, "'");
  }
  return trimmed;
}

/**
 * Parse XYZ text. Returns a plain object (or an array, for a document that is one sequence).
 * @param file name used in error messages
 * @throws {AtoError} `PARSE_ERROR` with file:line:column and what was expected.
 */
export function parseXyz(text: string, file = '<xyz>'): PlainObject | unknown[] {
  const lines: XyzLine[] = [];
  const rawLines = text.split(/\r?\n/);
  for (let i = 0; i < rawLines.length; i++) {
    const raw = rawLines[i]!;
    const trimmed = raw.trim();
    if ((trimmed === EMPTY_MAPPING || trimmed === EMPTY_SEQUENCE) && lines.length === 0) {
      const restNonEmpty = rawLines.slice(i + 1).some((l) => l.trim() !== '' && !l.trim().startsWith('#'));
      if (raw !== trimmed || restNonEmpty)
        throw parseError(file, i + 1, 1, `"${trimmed}" must be the whole document`);
      return trimmed === EMPTY_MAPPING ? {} : [];
    }
    const scanned = scanLine(raw, i + 1, file);
    if (scanned) lines.push(scanned);
  }
  if (lines.length === 0) return {};
  let pos = 0;

  const parseBlock = (depth: number, path: (string | number)[]): PlainObject | unknown[] => {
    const first = lines[pos]!;
    const isList = first.kind === 'item';
    const result: PlainObject | unknown[] = isList ? [] : {};
    const seen = new Set<string>();
    while (pos < lines.length) {
      const entry = lines[pos]!;
      if (entry.depth < depth) break;
      if (entry.depth > depth) {
        throw parseError(
          file,
          entry.line,
          entry.column,
          `unexpected indentation (${entry.depth * 2} spaces, expected ${depth * 2})`,
          'indent a block only under a "key:" or "N)" line that has no value',
        );
      }
      if ((entry.kind === 'item') !== isList) {
        throw parseError(
          file,
          entry.line,
          entry.column,
          `a ${isList ? 'list item "N)"' : '"key:" entry'} was expected here: one block cannot mix keys and list items`,
        );
      }
      if (isList && entry.index !== (result as unknown[]).length) {
        throw parseError(
          file,
          entry.line,
          entry.column,
          `list item ${entry.index}) found where item ${(result as unknown[]).length}) was expected`,
          'number list items 0), 1), 2), ... in order',
        );
      }
      if (!isList && seen.has(entry.key))
        throw parseError(file, entry.line, entry.column, `duplicate key "${entry.key}"`);
      seen.add(entry.key);
      pos++;
      const childPath = [...path, isList ? entry.index : entry.key];
      let value: unknown;
      if (entry.valueText !== undefined) {
        value = parseXyzScalar(entry.valueText, file, entry.line, entry.valueColumn);
        const next = lines[pos];
        if (next && next.depth > depth) {
          throw parseError(
            file,
            next.line,
            next.column,
            `unexpected indented block: "${joinPath(childPath)}" already has a value on line ${entry.line}`,
          );
        }
      } else {
        const next = lines[pos];
        if (!next || next.depth <= depth) {
          throw parseError(
            file,
            entry.line,
            entry.valueColumn - 1,
            `"${joinPath(childPath)}" has neither a value nor an indented block`,
            'write a value after ":" (use "" for an empty string, [Empty Mapping] or [Empty Sequence] for empty containers)',
          );
        }
        value = parseBlock(depth + 1, childPath);
      }
      if (isList) (result as unknown[]).push(value);
      else setOwn(result as PlainObject, entry.key, value);
    }
    return result;
  };

  const top = lines[0]!;
  if (top.depth !== 0) throw parseError(file, top.line, top.column, 'the first entry must not be indented');
  return parseBlock(0, []);
}
