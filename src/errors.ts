/**
 * The one error family of ato. Every failure a user can cause (bad input, a missing file, a write to a
 * frozen config, ...) is an {@link AtoError} with a stable string `code`, a message that names the
 * input and its location, a `hint` with the fix, and the underlying `cause` when there is one.
 */

/** Stable machine-readable error codes. New codes may be added; existing ones never change meaning. */
export type AtoErrorCode =
  | 'FILE_NOT_FOUND'
  | 'FILE_READ'
  | 'FILE_WRITE'
  | 'UNSUPPORTED_FORMAT'
  | 'PARSE_ERROR'
  | 'UNSUPPORTED_SYNTAX'
  | 'DUMP_UNSUPPORTED_VALUE'
  | 'FROZEN'
  | 'KEY_NOT_FOUND'
  | 'RESERVED_KEY'
  | 'NOT_A_DICT'
  | 'INVALID_ARGUMENT'
  | 'MISSING_REQUIRED'
  | 'MODULE_LOAD'
  | 'STORE_URL'
  | 'STORE_OPEN'
  | 'STORE_VERSION'
  | 'STORE_WRITE'
  | 'INVALID_METRIC'
  | 'RUN_STATE';

/** Where the offending input is: a position in a file, or a command-line argument / key path. */
export interface AtoErrorLocation {
  /** Path of the file, as given by the caller. */
  file?: string;
  /** 1-based line. */
  line?: number;
  /** 1-based column. */
  column?: number;
  /** A command-line argument, a dotted key or another non-file input. */
  input?: string;
}

/** Options of the {@link AtoError} constructor. */
export interface AtoErrorOptions {
  /** Where the problem is. Rendered at the start of the message. */
  location?: AtoErrorLocation;
  /** How to fix it, one sentence. Rendered after the message. */
  hint?: string;
  /** The underlying error (a parser's, the file system's). */
  cause?: unknown;
}

/** Render a location as `file:line:col`, `file:line`, `file` or the input itself. */
export function formatLocation(location: AtoErrorLocation): string {
  const parts: string[] = [];
  if (location.file !== undefined) {
    let text = location.file;
    if (location.line !== undefined) {
      text += `:${location.line}`;
      if (location.column !== undefined) text += `:${location.column}`;
    }
    parts.push(text);
  }
  if (location.input !== undefined) parts.push(location.input);
  return parts.join(' ');
}

/**
 * The error class of ato.
 *
 * @example
 * ```ts
 * try { ADict.fromFile('conf.yaml'); }
 * catch (e) { if (e instanceof AtoError && e.code === 'PARSE_ERROR') console.error(e.message); }
 * ```
 */
export class AtoError extends Error {
  override name = 'AtoError';
  /** Stable code, for programs to branch on. */
  readonly code: AtoErrorCode;
  /** Where the problem is, when known. */
  readonly location: AtoErrorLocation | undefined;
  /** The fix, when there is a useful one. */
  readonly hint: string | undefined;
  /** The message without location and hint. */
  readonly detail: string;

  constructor(code: AtoErrorCode, detail: string, options: AtoErrorOptions = {}) {
    const where = options.location ? formatLocation(options.location) : '';
    const message = `${where ? `${where}: ` : ''}${detail}${options.hint ? `\n  fix: ${options.hint}` : ''}`;
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.location = options.location;
    this.hint = options.hint;
    this.detail = detail;
  }
}

/** Convert a 0-based character offset in `text` to a 1-based line and column. */
export function offsetToLineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(Math.max(offset, 0), text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}
