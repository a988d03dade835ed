/**
 * Loading of OpenMMLab-style Python config files with `_base_` inheritance, without running Python.
 */
import { readFileSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { AtoError } from '../../errors.js';
import { evaluatePythonConfig, type PythonConfig } from './python-eval.js';

type PlainObject = Record<string, unknown>;

const DELETE_KEY = '_delete_';

/** Where a `_base_` entry is written, for error messages. */
interface Reference {
  file: string;
  line: number;
  column: number;
  base: string;
}

/** State of one `loadMmConfigFile` call: files evaluated so far and the current inheritance chain. */
interface LoadState {
  evaluated: Map<string, PythonConfig>;
  chain: Array<{ absolute: string; display: string }>;
}

/**
 * Load an OpenMMLab-style Python config file and everything it inherits.
 *
 * The `_base_` files (a path or a list of paths, relative to the referencing file) are loaded first,
 * recursively and in order, and merged into the result one after the other; then the file's own keys
 * are merged in. Merging goes key by key into nested dicts, except that a dict carrying
 * `_delete_=True` replaces the inherited value; lists and all other values replace. `_delete_` markers
 * never appear in the result. Each file is evaluated once per call; nothing is cached across calls,
 * and the returned objects share nothing with each other or with later calls.
 *
 * @param path Path of the config file (`.py`).
 * @returns The merged config as plain data (tuples become arrays).
 * @throws {AtoError} `FILE_NOT_FOUND` for a missing file or base (naming the referencing file),
 *   `FILE_READ` when a file cannot be read, `UNSUPPORTED_FORMAT` for a non-`.py` base, `PARSE_ERROR`
 *   for invalid Python or a `_base_` cycle, `UNSUPPORTED_SYNTAX` for Python outside the supported subset.
 *
 * @example
 * ```ts
 * const cfg = loadMmConfigFile('configs/resnet/resnet50_8xb32_in1k.py');
 * cfg.model; // { type: 'ImageClassifier', backbone: { type: 'ResNet', depth: 50, ... }, ... }
 * ```
 */
export function loadMmConfigFile(path: string): Record<string, unknown> {
  const state: LoadState = { evaluated: new Map(), chain: [] };
  return loadFile(path, resolve(path), state, undefined);
}

function loadFile(
  display: string,
  absolute: string,
  state: LoadState,
  reference: Reference | undefined,
): PlainObject {
  const loop = state.chain.findIndex((entry) => entry.absolute === absolute);
  if (loop >= 0) {
    const cycle = [...state.chain.slice(loop).map((entry) => entry.display), display].join(' -> ');
    throw new AtoError('PARSE_ERROR', `circular _base_ inheritance: ${cycle}`, {
      location: reference && { file: reference.file, line: reference.line, column: reference.column },
      hint: 'remove one of these _base_ references so that the inheritance has no cycle',
    });
  }
  const config = evaluateOnce(display, absolute, state, reference);
  state.chain.push({ absolute, display });
  const result: PlainObject = {};
  // Bases first, in order, then the file's own keys
  for (const [i, base] of config.bases.entries()) {
    const at = config.baseLocations[i] ?? { line: 1, column: 1 };
    const ref: Reference = { file: display, line: at.line, column: at.column, base };
    if (extname(base) !== '.py') {
      throw new AtoError('UNSUPPORTED_FORMAT', `base config '${base}' is not a Python (.py) file`, {
        location: { file: display, line: at.line, column: at.column },
        hint: 'only .py _base_ files are supported',
      });
    }
    const inherited = loadFile(join(dirname(display), base), resolve(dirname(absolute), base), state, ref);
    mergeInto(result, inherited, false);
  }
  mergeInto(result, config.values, true);
  state.chain.pop();
  return result;
}

function evaluateOnce(
  display: string,
  absolute: string,
  state: LoadState,
  reference: Reference | undefined,
): PythonConfig {
  const cached = state.evaluated.get(absolute);
  if (cached) return cached;
  let source: string;
  try {
    source = readFileSync(absolute, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const where = reference ? ` (the _base_ '${reference.base}' of ${reference.file})` : '';
    const location = reference
      ? { file: reference.file, line: reference.line, column: reference.column }
      : { file: display };
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new AtoError('FILE_NOT_FOUND', `config file not found: ${display}${where}`, {
        location,
        hint: reference ? 'fix the _base_ path; it is relative to the file that lists it' : 'check the path',
        cause,
      });
    }
    throw new AtoError(
      'FILE_READ',
      `cannot read config file ${display}${where}: ${(cause as Error).message}`,
      {
        location,
        cause,
      },
    );
  }
  if (source.charCodeAt(0) === 0xfeff) source = source.slice(1);
  const config = evaluatePythonConfig(source, display);
  state.evaluated.set(absolute, config);
  return config;
}

function isPlainObject(value: unknown): value is PlainObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Python truthiness of a plain value (for `_delete_`). */
function truthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  if (isPlainObject(value)) return Object.keys(value).length > 0;
  return !!value;
}

function setOwn(target: PlainObject, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  } else target[key] = value;
}

/** A deep copy without `_delete_` markers. */
function cloneClean(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(cloneClean);
  if (!isPlainObject(value)) return value;
  const out: PlainObject = {};
  for (const key of Object.keys(value)) if (key !== DELETE_KEY) setOwn(out, key, cloneClean(value[key]));
  return out;
}

/**
 * Merge `source` into `target` (which this load owns). `copy` says whether `source` values must be
 * copied (they belong to the evaluation cache) or may be moved (a freshly merged base).
 */
function mergeInto(target: PlainObject, source: PlainObject, copy: boolean): void {
  for (const key of Object.keys(source)) {
    if (key === DELETE_KEY) continue;
    const value = source[key];
    const current = Object.hasOwn(target, key) ? target[key] : undefined;
    if (isPlainObject(value) && isPlainObject(current) && !truthy(value[DELETE_KEY])) {
      mergeInto(current, value, copy);
    } else setOwn(target, key, copy ? cloneClean(value) : value);
  }
}
