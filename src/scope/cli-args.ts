/**
 * The command-line grammar of a Scope: turns argv items into view names, assignments, deletions and
 * commands. Values go through {@link parseCliValue}; nothing is evaluated.
 *
 * - `name`: apply the named view (`model.name` in a MultiScope: the view of scope `model`);
 * - `key=value`, `a.b.c=value`: set a value (intermediate dicts are created);
 * - `+key=value`: add a key that no view created (required in strict scopes);
 * - `~key`: delete a key;
 * - `manual`, `--help`, `-h`: print the manual and exit; `print`: print the resolved config and exit.
 *
 * Brackets, quotes and `%...%` may span several argv items (`layers=[1,` `2]` is `layers=[1, 2]`,
 * `prompt=%Hello` `World%` is `prompt=%Hello World%`): items are joined with one space until balanced.
 * @module
 */
import { AtoError } from '../errors.js';
import { parseCliValue, tokenError } from './cli-values.js';

/** One parsed command-line token. */
export type CliToken =
  | { kind: 'view'; name: string; raw: string }
  | { kind: 'assign'; path: string[]; value: unknown; raw: string; plus: boolean }
  | { kind: 'delete'; path: string[]; raw: string }
  | { kind: 'command'; command: 'manual' | 'print'; raw: string }
  | { kind: 'flag'; raw: string };

const OPENERS: Record<string, string> = { '[': ']', '(': ')', '{': '}' };

/** True when the value text (after `=`) leaves a bracket, quote or `%` open. */
function isOpen(value: string): boolean {
  const first = value.trimStart()[0];
  if (first === undefined || !'[({%"\''.includes(first)) return false;
  const stack: string[] = [];
  let quote: string | undefined;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    if (quote) {
      if (ch === '\\' && quote !== '%') i++;
      else if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === '"' || ch === "'" || ch === '%') quote = ch;
    else if (OPENERS[ch]) stack.push(OPENERS[ch]!);
    else if (stack.length && ch === stack[stack.length - 1]) stack.pop();
    if (stack.length === 0 && quote === undefined && i > 0 && i >= value.search(/\S/)) return false;
  }
  return stack.length > 0 || quote !== undefined;
}

/** Join argv items whose brackets, quotes or `%` span several items. */
export function joinArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  let current: string | undefined;
  for (const item of argv) {
    current = current === undefined ? item : `${current} ${item}`;
    const eq = current.indexOf('=');
    if (eq > 0 && isOpen(current.slice(eq + 1))) continue;
    out.push(current);
    current = undefined;
  }
  if (current !== undefined) out.push(current);
  return out;
}

const KEY_RE = /^[^\s=~+.[\](){}%"']+(\.[^\s=.[\](){}%"']+)*$/;

function parsePath(raw: string, key: string, start: number): string[] {
  if (!KEY_RE.test(key)) {
    throw tokenError(
      raw,
      start,
      `invalid key "${key}"`,
      'keys are dotted names such as model.backbone.depth',
    );
  }
  return key.split('.');
}

/**
 * Parse argv items into tokens (see the module documentation).
 * @throws {AtoError} `PARSE_ERROR` naming the argument, with a caret under the problem
 */
export function parseArgv(argv: readonly string[]): CliToken[] {
  const tokens: CliToken[] = [];
  for (const raw of joinArgv(argv)) {
    if (raw === 'manual' || raw === '--help' || raw === '-h') {
      tokens.push({ kind: 'command', command: 'manual', raw });
      continue;
    }
    if (raw === 'print') {
      tokens.push({ kind: 'command', command: 'print', raw });
      continue;
    }
    if (raw.startsWith('-')) {
      tokens.push({ kind: 'flag', raw });
      continue;
    }
    const eq = raw.indexOf('=');
    if (eq < 0) {
      if (raw.startsWith('~')) tokens.push({ kind: 'delete', path: parsePath(raw, raw.slice(1), 1), raw });
      else if (raw === '') throw new AtoError('PARSE_ERROR', 'empty argument', { location: { input: '""' } });
      else {
        parsePath(raw, raw, 0);
        tokens.push({ kind: 'view', name: raw, raw });
      }
      continue;
    }
    const plus = raw.startsWith('+');
    const key = raw.slice(plus ? 1 : 0, eq);
    if (key === '') throw tokenError(raw, 0, 'missing key before "="', 'write key=value');
    const path = parsePath(raw, key, plus ? 1 : 0);
    tokens.push({ kind: 'assign', path, value: parseCliValue(raw.slice(eq + 1), raw, eq + 1), raw, plus });
  }
  return tokens;
}
