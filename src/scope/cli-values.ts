/**
 * The value grammar of command-line assignments (`key=value`). Values are parsed, never evaluated.
 *
 * ```
 * value    := list | tuple | object | percent | quoted | scalar
 * list     := '[' (value (',' value)* ','?)? ']'
 * tuple    := '(' (value (',' value)* ','?)? ')'          → a list
 * object   := '{' (key ':' value (',' key ':' value)* ','?)? '}'
 * key      := quoted | bare word
 * percent  := '%' any text without '%' '%'               → a string (ato's shell-safe quotes)
 * quoted   := '"' JSON-style escapes '"' | "'" text with \' escapes "'"
 * scalar   := number | true | false | True | False | null | None | bare word
 * number   := [+-]? (digits ('.' digits?)? | '.' digits) ([eE] [+-]? digits)? | [+-]?(inf | Infinity | nan | NaN)
 * ```
 * At the top level, a value that does not start with `[`, `(`, `{`, `%` or a quote and is not a
 * number, boolean or null is the whole text as a string (`model=resnet101`, `prompt=Hello World`,
 * `path=/data/a:b`). Inside brackets a bare word ends at `,`, `:` (in objects), or a closing bracket,
 * and is trimmed.
 * @module
 */
import { isScalarWord, NOT_A_SCALAR_WORD, readScalarWord } from '../config/_scalars.js';
import { AtoError } from '../errors.js';

/** Read a bare scalar: number, boolean, null, or the text itself. */
function scalar(text: string): unknown {
  const word = readScalarWord(text);
  return word === NOT_A_SCALAR_WORD ? text : word;
}

/**
 * Render a caret line under `position` of `text`, for error messages:
 * ```
 *   layers=[1, 2
 *          ^
 * ```
 */
export function caret(text: string, position: number): string {
  return `  ${text}\n  ${' '.repeat(Math.max(0, Math.min(position, text.length)))}^`;
}

/** Throw a PARSE_ERROR about `token` with a caret under `position`. */
export function tokenError(token: string, position: number, detail: string, hint: string): AtoError {
  return new AtoError('PARSE_ERROR', `${detail} in argument "${token}"\n${caret(token, position)}`, {
    location: { input: token },
    hint,
  });
}

class ValueParser {
  pos = 0;
  constructor(
    readonly text: string,
    /** The whole argument, for messages. */
    readonly token: string,
    /** Offset of `text` inside `token`. */
    readonly offset: number,
  ) {}

  fail(detail: string, hint: string, at = this.pos): never {
    throw tokenError(this.token, this.offset + at, detail, hint);
  }

  skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++;
  }

  value(inContainer: boolean, stops: string): unknown {
    this.skipSpace();
    const ch = this.text[this.pos];
    if (ch === '[') return this.sequence(']');
    if (ch === '(') return this.sequence(')');
    if (ch === '{') return this.object();
    if (ch === '%') return this.percent();
    if (ch === '"' || ch === "'") return this.quoted(ch);
    if (!inContainer) {
      const rest = this.text.slice(this.pos);
      this.pos = this.text.length;
      return scalar(rest.trim());
    }
    const start = this.pos;
    while (this.pos < this.text.length && !stops.includes(this.text[this.pos]!)) {
      if ('[({%"\''.includes(this.text[this.pos]!)) {
        this.fail(
          `unexpected "${this.text[this.pos]}" inside a bare word`,
          'quote strings that contain brackets, quotes or %',
        );
      }
      this.pos++;
    }
    const word = this.text.slice(start, this.pos).trim();
    if (word === '') this.fail('expected a value', 'write a value here, or remove the extra comma', start);
    return scalar(word);
  }

  sequence(close: ']' | ')'): unknown[] {
    const open = this.pos;
    this.pos++;
    const items: unknown[] = [];
    for (;;) {
      this.skipSpace();
      if (this.pos >= this.text.length) {
        this.fail(
          `unbalanced "${this.text[open]}": no closing "${close}"`,
          `close the list with "${close}"`,
          open,
        );
      }
      if (this.text[this.pos] === close) {
        this.pos++;
        return items;
      }
      items.push(this.value(true, `,${close}`));
      this.skipSpace();
      if (this.text[this.pos] === ',') this.pos++;
      else if (this.text[this.pos] !== close) {
        if (this.pos >= this.text.length) {
          this.fail(
            `unbalanced "${this.text[open]}": no closing "${close}"`,
            `close the list with "${close}"`,
            open,
          );
        }
        this.fail(`expected "," or "${close}"`, 'separate items with commas');
      }
    }
  }

  object(): Record<string, unknown> {
    const open = this.pos;
    this.pos++;
    const out: Record<string, unknown> = {};
    for (;;) {
      this.skipSpace();
      if (this.pos >= this.text.length)
        this.fail('unbalanced "{": no closing "}"', 'close the object with "}"', open);
      if (this.text[this.pos] === '}') {
        this.pos++;
        return out;
      }
      const keyStart = this.pos;
      const ch = this.text[this.pos];
      const isQuoted = ch === '"' || ch === "'";
      const key = isQuoted ? this.quoted(ch) : this.bareKey();
      if (key === '' && !isQuoted) this.fail('expected a key', 'write objects as {key: value}', keyStart);
      this.skipSpace();
      if (this.text[this.pos] !== ':')
        this.fail('expected ":" after the key', 'write objects as {key: value}');
      this.pos++;
      const value = this.value(true, ',}');
      Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
      this.skipSpace();
      if (this.text[this.pos] === ',') this.pos++;
      else if (this.text[this.pos] !== '}') {
        if (this.pos >= this.text.length)
          this.fail('unbalanced "{": no closing "}"', 'close the object with "}"', open);
        this.fail('expected "," or "}"', 'separate entries with commas');
      }
    }
  }

  bareKey(): string {
    const start = this.pos;
    while (this.pos < this.text.length && !':,}'.includes(this.text[this.pos]!)) this.pos++;
    return this.text.slice(start, this.pos).trim();
  }

  percent(): string {
    const open = this.pos;
    const close = this.text.indexOf('%', open + 1);
    if (close < 0) this.fail('unbalanced "%": no closing "%"', 'end the string with "%"', open);
    this.pos = close + 1;
    return this.text.slice(open + 1, close);
  }

  quoted(quote: string): string {
    const open = this.pos;
    let out = '';
    this.pos++;
    while (this.pos < this.text.length) {
      const ch = this.text[this.pos]!;
      if (ch === quote) {
        this.pos++;
        return out;
      }
      if (ch === '\\' && this.pos + 1 < this.text.length) {
        const next = this.text[this.pos + 1]!;
        const escapes: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'" };
        if (next === 'u' && /^[0-9a-fA-F]{4}$/.test(this.text.slice(this.pos + 2, this.pos + 6))) {
          out += String.fromCharCode(Number.parseInt(this.text.slice(this.pos + 2, this.pos + 6), 16));
          this.pos += 6;
          continue;
        }
        out += escapes[next] ?? `\\${next}`;
        this.pos += 2;
        continue;
      }
      out += ch;
      this.pos++;
    }
    this.fail(`unbalanced ${quote}: no closing ${quote}`, `end the string with ${quote}`, open);
  }
}

/**
 * Parse the value part of a command-line assignment.
 * @param text the value text (after `=`)
 * @param token the whole argument, for error messages (defaults to `text`)
 * @param offset where `text` starts inside `token`
 * @throws {AtoError} `PARSE_ERROR` with the argument and a caret under the position
 */
export function parseCliValue(text: string, token = text, offset = 0): unknown {
  const parser = new ValueParser(text, token, offset);
  parser.skipSpace();
  const first = text[parser.pos];
  if (first === undefined) return '';
  const structured = '[({%"\''.includes(first);
  const value = parser.value(false, '');
  if (structured) {
    parser.skipSpace();
    if (parser.pos < text.length) {
      parser.fail(
        'unexpected text after the value',
        'quote the whole value (with %...% or quotes) if it is one string',
      );
    }
  }
  return value;
}

/**
 * Render a value in the command-line grammar, such that `parseCliValue(formatCliValue(v))` gives
 * `v` back (strings are quoted when they would otherwise read as something else).
 */
export function formatCliValue(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number')
    return Number.isNaN(value) ? 'nan' : Object.is(value, -0) ? '-0.0' : String(value);
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return needsQuoting(value) ? JSON.stringify(value) : value;
  if (Array.isArray(value)) return `[${value.map((v) => formatInner(v)).join(', ')}]`;
  if (typeof value === 'object') {
    const record = value as Record<string, unknown>;
    return `{${Object.keys(record)
      .map((k) => `${JSON.stringify(k)}: ${formatInner(record[k])}`)
      .join(', ')}}`;
  }
  return JSON.stringify(String(value));
}

function formatInner(value: unknown): string {
  if (typeof value === 'string') {
    // inside brackets a bare word ends at , : and closing brackets, and may not hold openers or quotes
    return needsQuoting(value) || /[,:[\](){}%"'\s]/.test(value) ? JSON.stringify(value) : value;
  }
  return formatCliValue(value);
}

function needsQuoting(text: string): boolean {
  return (
    text === '' ||
    text !== text.trim() ||
    '[({%"\''.includes(text[0]!) ||
    isScalarWord(text) ||
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters must be quoted
    /[\u0000-\u001f]/.test(text)
  );
}
