/**
 * Reading and writing config files: the only module of the config part that touches the file
 * system. Formats are chosen by extension; parsers load on first use.
 *
 * | extension | format |
 * |---|---|
 * | `.json` | JSON |
 * | `.jsonl` | JSON Lines: one dict per line; reading merges the lines in order |
 * | `.yaml`, `.yml` | YAML 1.2 |
 * | `.toml` | TOML 1.0 |
 * | `.xyz` | XYZ, ato's indented format |
 * | `.js`, `.mjs`, `.cjs`, `.ts`, `.mts`, `.cts` | JS/TS config module (default export, or named exports) |
 * | `.py` | OpenMMLab-style Python config (read only; parsed, never run) |
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, extname } from 'node:path';
import { AtoError } from '../errors.js';
import { mergePlain, type PlainObject } from './_values.js';
import { loadJsModule, stringifyJsModule } from './formats/js-module.js';
import { parseJson, parseJsonl, stringifyJson, stringifyJsonl } from './formats/json.js';
import { parseToml, stringifyToml } from './formats/toml.js';
import { parseYaml, stringifyYaml } from './formats/yaml.js';
import { loadMmConfigFile } from './mmconfig/load.js';
import { parseXyz, toXyz } from './xyz.js';

/** The config file formats ato reads and writes. */
export type ConfigFormat = 'json' | 'jsonl' | 'yaml' | 'toml' | 'xyz' | 'module' | 'python';

const EXTENSIONS: Record<string, ConfigFormat> = {
  '.json': 'json',
  '.jsonl': 'jsonl',
  '.yaml': 'yaml',
  '.yml': 'yaml',
  '.toml': 'toml',
  '.xyz': 'xyz',
  '.js': 'module',
  '.mjs': 'module',
  '.cjs': 'module',
  '.ts': 'module',
  '.mts': 'module',
  '.cts': 'module',
  '.py': 'python',
};

/** Extensions tried, in this order, when a file is named without one (see `composeHierarchy`). */
export const CONFIG_EXTENSIONS: readonly string[] = Object.keys(EXTENSIONS);

/**
 * The format of a config file, from its extension.
 * @throws {AtoError} `UNSUPPORTED_FORMAT` naming the path and the supported extensions.
 */
export function formatOfPath(path: string): ConfigFormat {
  const format = EXTENSIONS[extname(path).toLowerCase()];
  if (!format) {
    throw new AtoError(
      'UNSUPPORTED_FORMAT',
      `unsupported config file extension "${extname(path) || '(none)'}"`,
      {
        location: { file: path },
        hint: `use one of ${CONFIG_EXTENSIONS.join(', ')}`,
      },
    );
  }
  return format;
}

/** Read a text file, turning file-system errors into AtoErrors that name the path. */
export function readTextFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new AtoError('FILE_NOT_FOUND', `config file not found: ${path}`, {
        location: { file: path },
        hint: 'check the path (relative paths start at the current working directory)',
        cause,
      });
    }
    throw new AtoError('FILE_READ', `cannot read config file ${path} (${code ?? 'error'})`, {
      location: { file: path },
      cause,
    });
  }
}

/** Options of {@link readConfigFile}. */
export interface ReadConfigOptions {
  /** Override the format chosen from the extension. */
  format?: ConfigFormat;
}

/**
 * Read a config file into a plain object. A JSON Lines file gives its records merged in order.
 * @throws {AtoError} `FILE_NOT_FOUND`, `PARSE_ERROR` (with file:line:column), `UNSUPPORTED_FORMAT`, ...
 */
export function readConfigFile(path: string, options: ReadConfigOptions = {}): PlainObject {
  const format = options.format ?? formatOfPath(path);
  switch (format) {
    case 'module':
      readTextFile(path); // a clear FILE_NOT_FOUND before the loader's own message
      return loadJsModule(path);
    case 'python':
      return loadMmConfigFile(path);
    case 'jsonl':
      return parseJsonl(readTextFile(path), path).reduce<PlainObject>((acc, r) => mergePlain(acc, r), {});
    default:
      return PARSERS[format](readTextFile(path), path);
  }
}

/** Read every record of a JSON Lines file, in order. */
export function readJsonlFile(path: string): PlainObject[] {
  return parseJsonl(readTextFile(path), path);
}

const PARSERS: Record<'json' | 'yaml' | 'toml' | 'xyz', (text: string, file: string) => PlainObject> = {
  json: parseJson,
  yaml: parseYaml,
  toml: parseToml,
  xyz: (text, file) => {
    const value = parseXyz(text, file);
    if (Array.isArray(value)) {
      throw new AtoError(
        'PARSE_ERROR',
        'expected a mapping at the top level of the XYZ document, found a list',
        {
          location: { file, line: 1, column: 1 },
        },
      );
    }
    return value;
  },
};

/** Options of {@link writeConfigFile}. */
export interface WriteConfigOptions {
  /** Override the format chosen from the extension. */
  format?: ConfigFormat;
  /** JSON Lines only: append the record as a new line instead of replacing the file. */
  append?: boolean;
}

/** Serialise a config to the text of a format, checking first that the format can hold every value. */
export function stringifyConfig(data: PlainObject, format: ConfigFormat, file?: string): string {
  switch (format) {
    case 'json':
      return stringifyJson(data, file);
    case 'jsonl':
      return stringifyJsonl([data], file);
    case 'yaml':
      return stringifyYaml(data, file);
    case 'toml':
      return stringifyToml(data, file);
    case 'xyz':
      return toXyz(data, file === undefined ? {} : { file });
    case 'module':
      return stringifyJsModule(data, file);
    case 'python':
      throw new AtoError('UNSUPPORTED_FORMAT', 'ato reads OpenMMLab Python configs but does not write them', {
        ...(file ? { location: { file } } : {}),
        hint: 'dump to .yaml, .json, .toml, .xyz or .ts instead',
      });
  }
}

/**
 * Write a config file. The text is produced (and every value checked) before anything is written,
 * and the file is replaced atomically (written beside it, then renamed), so a failed dump never
 * leaves a half-written or emptied file.
 */
export function writeConfigFile(path: string, data: PlainObject, options: WriteConfigOptions = {}): void {
  const format = options.format ?? formatOfPath(path);
  const text = stringifyConfig(data, format, path);
  try {
    mkdirSync(dirname(path), { recursive: true });
    if (options.append && format === 'jsonl') {
      writeFileSync(path, text, { flag: 'a' });
      return;
    }
    const temp = `${path}.${process.pid}.${Date.now()}.tmp`;
    try {
      writeFileSync(temp, text);
      renameSync(temp, path);
    } finally {
      rmSync(temp, { force: true });
    }
  } catch (cause) {
    throw new AtoError(
      'FILE_WRITE',
      `cannot write config file ${path} (${(cause as NodeJS.ErrnoException).code ?? 'error'})`,
      {
        location: { file: path },
        hint: 'check that the folder is writable',
        cause,
      },
    );
  }
}
