/**
 * JS/TS config modules (`.js`, `.mjs`, `.cjs`, `.ts`, `.mts`, `.cts`). Loading one runs it: it is an
 * import the user asked for (the one exception to "never execute config files").
 *
 * Loading is synchronous through tsx's CommonJS loader (which also transpiles TypeScript), loaded
 * only when a module config is read. Modules with top-level `await` cannot load synchronously.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { lazyRequire } from '../../_lazy.js';
import { AtoError } from '../../errors.js';
import { isPlainObject, setOwn } from '../_values.js';
import { assertRepresentable } from './_check.js';

type TsxCjsApi = { require: (id: string, fromFile: string | URL) => unknown };

/**
 * Load a JS/TS config module: its default export when it has one (an object, or an ADict), else its
 * named exports (without `default`).
 */
export function loadJsModule(path: string): Record<string, unknown> {
  let tsx: TsxCjsApi;
  try {
    tsx = lazyRequire<TsxCjsApi>('tsx/cjs/api');
  } catch (cause) {
    throw new AtoError('MODULE_LOAD', 'loading JS/TS config modules needs the package "tsx"', {
      location: { file: path },
      hint: 'install it with `npm install tsx`',
      cause,
    });
  }
  let mod: unknown;
  try {
    mod = tsx.require(resolve(path), pathToFileURL(resolve(path)));
  } catch (cause) {
    throw moduleError(path, cause);
  }
  const exports = (mod ?? {}) as Record<string, unknown>;
  const chosen = 'default' in exports ? exports.default : exports;
  if (chosen === null || typeof chosen !== 'object' || Array.isArray(chosen)) {
    throw new AtoError(
      'MODULE_LOAD',
      `the default export of the config module is a ${chosen === null ? 'null' : Array.isArray(chosen) ? 'list' : typeof chosen}, not an object`,
      {
        location: { file: path },
        hint: 'export default an object literal: `export default { lr: 0.1 }`, or use named exports',
      },
    );
  }
  if ('default' in exports) return chosen as Record<string, unknown>;
  const named: Record<string, unknown> = {};
  for (const key of Object.keys(exports)) if (key !== '__esModule') setOwn(named, key, exports[key]);
  return named;
}

function moduleError(path: string, cause: unknown): AtoError {
  const err = cause as {
    message?: string;
    errors?: { text: string; location?: { line: number; column: number } }[];
    stack?: string;
  };
  // esbuild (through tsx) reports syntax errors with a structured location.
  const first = err?.errors?.[0];
  if (first?.location) {
    return new AtoError('PARSE_ERROR', `invalid config module: ${first.text}`, {
      location: { file: path, line: first.location.line, column: first.location.column + 1 },
      hint: 'fix the syntax error; the module must be valid JavaScript or TypeScript',
      cause,
    });
  }
  // tsx reports esbuild transform errors as "file:line:col: ERROR: text" (0-based column).
  const transform = /:(\d+):(\d+): ERROR: (.*)$/m.exec(err?.message ?? '');
  if (transform) {
    return new AtoError('PARSE_ERROR', `invalid config module: ${transform[3]}`, {
      location: { file: path, line: Number(transform[1]), column: Number(transform[2]) + 1 },
      hint: 'fix the syntax error; the module must be valid JavaScript or TypeScript',
      cause,
    });
  }
  const isSyntax = cause instanceof SyntaxError;
  const at = new RegExp(`${escapeRegExp(resolve(path))}:(\\d+)(?::(\\d+))?`).exec(err?.stack ?? '');
  const line = at ? Number(at[1]) : undefined;
  const column = at?.[2] ? Number(at[2]) : undefined;
  return new AtoError(
    isSyntax ? 'PARSE_ERROR' : 'MODULE_LOAD',
    `${isSyntax ? 'invalid config module' : 'the config module threw while loading'}: ${err?.message ?? String(cause)}`,
    {
      location: {
        file: path,
        ...(line !== undefined ? { line } : {}),
        ...(column !== undefined ? { column } : {}),
      },
      hint: isSyntax ? 'fix the syntax error' : 'fix the error raised by the module (see the cause)',
      cause,
    },
  );
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Write a config as an ES module: `export default { ... };` (readable back with {@link loadJsModule}). */
export function stringifyJsModule(data: Record<string, unknown>, file?: string): string {
  assertRepresentable(
    data,
    { format: 'JS module', null: true, nonFinite: true, date: true, bigint: true, undefined: true },
    file,
  );
  return `export default ${literal(data, '')};\n`;
}

function literal(value: unknown, indent: string): string {
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => `${inner}${literal(v, inner)}`).join(',\n')},\n${indent}]`;
  }
  if (isPlainObject(value)) {
    const keys = Object.keys(value);
    if (keys.length === 0) return '{}';
    const entries = keys.map((k) => {
      const key = k === '__proto__' ? '["__proto__"]' : /^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k);
      return `${inner}${key}: ${literal(value[k], inner)}`;
    });
    return `{\n${entries.join(',\n')},\n${indent}}`;
  }
  if (value instanceof Date) return `new Date(${JSON.stringify(value.toISOString())})`;
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (value === undefined) return 'undefined';
  return JSON.stringify(value);
}
