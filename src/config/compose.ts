/**
 * Hydra-style config folders: a primary config plus one file per selected option of each config
 * group, merged in a fixed order, with a record of which file set which key.
 *
 * ```
 * configs/
 *   config.yaml            # primary config (may hold a Hydra `defaults` list)
 *   model/resnet.yaml      # group "model", option "resnet"
 *   model/vit.yaml
 *   data/imagenet.yaml
 *   data/augment.yaml
 * ```
 * Order of application (later wins, nested dicts merged key by key):
 * 1. `root/<configFilename>.<ext>`;
 * 2. for each group, in the order of the primary config's `defaults` list followed by groups that
 *    appear only in `select`: each selected option's file `root/<group>/<option>.<ext>`, in order
 *    (a group may select a list of options). A group's file content is placed under the group's key
 *    (`model/resnet.yaml` fills `config.model`; a nested group `model/backbone` fills
 *    `config.model.backbone`), as Hydra does, unless `groupPackage: 'root'`;
 * 3. `overrides`, in order: dotted keys with values, or `key=value` strings whose value is read as
 *    a YAML flow value (`lr=0.1`, `layers=[64,128]`, `name=resnet`);
 * 4. `required` dotted keys are checked: missing, null or Hydra's `???` is an error listing them all.
 * `<ext>` is any extension ato reads; two files for one name (`resnet.yaml` and `resnet.json`) are
 * an error. A missing file is an error, a warning or ignored, per `onMissing`.
 * @module
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type * as Yaml from 'yaml';
import { lazyRequire } from '../_lazy.js';
import { AtoError } from '../errors.js';
import { isPlainObject, type PlainObject } from './_values.js';
import { ADict } from './adict.js';
import { CONFIG_EXTENSIONS, readConfigFile } from './files.js';

/** Options of {@link composeHierarchy}. */
export interface ComposeOptions {
  /** The config folder. */
  root: string;
  /**
   * Name of the primary config file, without extension.
   * @default 'config'
   */
  configFilename?: string;
  /**
   * The option(s) chosen per group: `{ model: 'resnet', data: ['imagenet', 'augment'] }`. Overrides
   * the primary config's `defaults` list for the groups it names.
   */
  select?: Record<string, string | readonly string[]>;
  /** Dotted-key overrides applied after all files: `{ 'model.depth': 101 }` or `['model.depth=101']`. */
  overrides?: Record<string, unknown> | readonly string[];
  /** Dotted keys that must be set (not missing, not null, not `???`) after composition. */
  required?: readonly string[];
  /**
   * What to do when the primary config or a selected option's file does not exist.
   * @default 'error'
   */
  onMissing?: 'error' | 'warn' | 'ignore';
  /**
   * Where a group's file content goes: under the group's key (`'group'`, Hydra's default) or merged
   * at the top level (`'root'`).
   * @default 'group'
   */
  groupPackage?: 'group' | 'root';
  /**
   * Receives warnings (`onMissing: 'warn'`).
   * @default process.emitWarning
   */
  onWarning?: (message: string) => void;
}

/** One contribution to a key: which file or override set it, and to what. */
export interface ProvenanceEntry {
  /** A file path, or `override` / `override: key=value`. */
  source: string;
  /** The value that source gave the key. */
  value: unknown;
}

/** For each dotted leaf key, every source that set it, in order of application (last one wins). */
export type Provenance = Map<string, ProvenanceEntry[]>;

const provenances = new WeakMap<ADict, Provenance>();

/**
 * Which file (or override) set each key of a config made by {@link composeHierarchy}; `undefined`
 * for other configs.
 */
export function getProvenance(config: ADict): Provenance | undefined {
  return provenances.get(config);
}

/** Find `<dir>/<name>.<ext>`; `undefined` when no such file exists. */
function findConfigFile(dir: string, name: string): string | undefined {
  if (extname(name) && CONFIG_EXTENSIONS.includes(extname(name).toLowerCase())) {
    const direct = join(dir, name);
    return existsSync(direct) ? direct : undefined;
  }
  const found = CONFIG_EXTENSIONS.map((ext) => join(dir, `${name}${ext}`)).filter(
    (p) => existsSync(p) && statSync(p).isFile(),
  );
  if (found.length > 1) {
    throw new AtoError(
      'INVALID_ARGUMENT',
      `ambiguous config name "${name}": ${found.join(' and ')} both exist`,
      {
        location: { file: join(dir, name) },
        hint: 'keep one of them, or select the option with its extension',
      },
    );
  }
  return found[0];
}

function listOptions(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => CONFIG_EXTENSIONS.includes(extname(f).toLowerCase()))
    .map((f) => basename(f, extname(f)));
}

function parseOverride(text: string): [string, unknown] {
  const eq = text.indexOf('=');
  if (eq <= 0) {
    throw new AtoError('INVALID_ARGUMENT', `override "${text}" is not of the form key=value`, {
      location: { input: text },
      hint: 'write overrides as model.depth=101',
    });
  }
  const raw = text.slice(eq + 1);
  const yaml = lazyRequire<typeof Yaml>('yaml');
  let value: unknown;
  try {
    value = raw.trim() === '' ? '' : yaml.parse(raw);
  } catch (cause) {
    throw new AtoError('PARSE_ERROR', `cannot read the value of override "${text}"`, {
      location: { input: text },
      hint: 'values are YAML flow values: 0.1, true, null, [1, 2], {a: 1}, "quoted text"',
      cause,
    });
  }
  return [text.slice(0, eq), value];
}

function recordLeaves(provenance: Provenance, data: unknown, prefix: string, source: string): void {
  if (isPlainObject(data) && Object.keys(data).length > 0) {
    for (const key of Object.keys(data))
      recordLeaves(provenance, data[key], prefix ? `${prefix}.${key}` : key, source);
    return;
  }
  const list = provenance.get(prefix) ?? [];
  list.push({ source, value: data });
  provenance.set(prefix, list);
}

function nestUnder(path: string[], data: PlainObject): PlainObject {
  return path.reduceRight<PlainObject>((inner, key) => ({ [key]: inner }), data);
}

/**
 * Compose a config from a Hydra-style folder (see the module documentation for the order).
 * @example
 * ```ts
 * const config = ADict.composeHierarchy({
 *   root: 'configs', select: { model: 'resnet', data: ['imagenet', 'augment'] },
 *   overrides: ['model.depth=101'], required: ['model.depth'],
 * });
 * getProvenance(config)?.get('model.depth'); // [{ source: 'configs/model/resnet.yaml', value: 50 }, { source: 'override: model.depth=101', value: 101 }]
 * ```
 */
export function composeHierarchy(options: ComposeOptions): ADict {
  const onMissing = options.onMissing ?? 'error';
  const warn = options.onWarning ?? ((message: string) => process.emitWarning(message, 'AtoWarning'));
  const config = new ADict();
  const provenance: Provenance = new Map();
  const layers: { file: string; data: PlainObject }[] = [];

  const missing = (what: string, path: string, available: string[]): void => {
    const detail = `${what} not found: ${path}`;
    if (onMissing === 'error') {
      throw new AtoError('FILE_NOT_FOUND', detail, {
        location: { file: path },
        hint: available.length
          ? `available: ${available.join(', ')}`
          : `create it, or pass onMissing: 'warn'`,
      });
    }
    if (onMissing === 'warn') warn(detail);
  };

  // 1. the primary config (its `defaults` list names group options)
  const primaryName = options.configFilename ?? 'config';
  const primary = findConfigFile(options.root, primaryName);
  const selection = new Map<string, string[]>();
  if (primary) {
    const data = readConfigFile(primary);
    const defaults = data.defaults;
    if (Array.isArray(defaults)) {
      delete data.defaults;
      for (const entry of defaults) {
        if (!isPlainObject(entry)) continue;
        for (const [group, choice] of Object.entries(entry)) {
          if (typeof choice === 'string') selection.set(group, [choice]);
          else if (Array.isArray(choice)) selection.set(group, choice.map(String));
        }
      }
    }
    layers.push({ file: primary, data });
  } else {
    missing('primary config', join(options.root, `${primaryName}.<ext>`), listOptions(options.root));
  }

  // 2. the selected options of each group
  for (const [group, choice] of Object.entries(options.select ?? {})) {
    selection.set(group, typeof choice === 'string' ? [choice] : [...choice]);
  }
  for (const [group, choices] of selection) {
    const dir = join(options.root, group);
    for (const choice of choices) {
      const file = findConfigFile(dir, choice);
      if (!file) {
        missing(`option "${choice}" of group "${group}"`, join(dir, `${choice}.<ext>`), listOptions(dir));
        continue;
      }
      const data = readConfigFile(file);
      layers.push({ file, data: options.groupPackage === 'root' ? data : nestUnder(group.split('/'), data) });
    }
  }

  for (const layer of layers) {
    recordLeaves(provenance, layer.data, '', layer.file);
    config.update(layer.data);
  }

  // 3. overrides
  const overrides: [string, unknown, string][] = Array.isArray(options.overrides)
    ? (options.overrides as readonly string[]).map(
        (text) => [...parseOverride(text), `override: ${text}`] as [string, unknown, string],
      )
    : Object.entries(options.overrides ?? {}).map(([key, value]) => [key, value, 'override']);
  for (const [key, value, source] of overrides) {
    config.setPath(key, value);
    for (const stale of [...provenance.keys()]) if (stale.startsWith(`${key}.`)) provenance.delete(stale);
    recordLeaves(provenance, value, key, source);
  }

  // 4. required keys
  const absent = (options.required ?? []).filter((key) => {
    const value = config.getPath(key);
    return value === undefined || value === null || value === '???';
  });
  if (absent.length > 0) {
    throw new AtoError('MISSING_REQUIRED', `required config keys are not set: ${absent.join(', ')}`, {
      location: { file: options.root, input: absent.join(', ') },
      hint: 'set them in a config file, select an option that sets them, or pass them as overrides',
    });
  }
  config.resetAccessTracking();
  provenances.set(config, provenance);
  return config;
}
