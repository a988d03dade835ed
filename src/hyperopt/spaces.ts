/**
 * Search spaces: validation, the grid of each parameter (exactly as numpy's linspace/logspace give
 * it, integers truncated), the product grid, and random sampling (continuous spaces sampled, not
 * gridded).
 *
 * ```ts
 * { lr: { param_type: 'FLOAT', param_range: [1e-5, 1e-1], num_samples: 20, space_type: 'LOG' },
 *   batch_size: { param_type: 'INTEGER', param_range: [16, 128], num_samples: 5, space_type: 'LOG' },
 *   model: { param_type: 'CATEGORY', categories: ['resnet50', 'resnet101'] } }
 * ```
 * Dotted names (`'optim.lr'`) address nested config keys.
 * @module
 */
import { ADict, type DictLike } from '../config/adict.js';
import { AtoError } from '../errors.js';

/** One parameter's space, validated. */
export type ParamSpec =
  | {
      name: string;
      type: 'FLOAT' | 'INTEGER';
      low: number;
      high: number;
      samples: number;
      spacing: 'LINEAR' | 'LOG';
      base: number;
    }
  | { name: string; type: 'CATEGORY'; categories: unknown[] };

/** A random source in [0, 1). */
export type Random = () => number;

function specError(name: string, detail: string, hint: string): AtoError {
  return new AtoError('INVALID_ARGUMENT', `search space "${name}": ${detail}`, {
    location: { input: name },
    hint,
  });
}

/** The leaves of a search-space dict: every entry holding a `param_type` (or `categories`), by dotted name. */
function entries(spaces: DictLike): [string, Record<string, unknown>][] {
  const out: [string, Record<string, unknown>][] = [];
  const walk = (node: Record<string, unknown>, prefix: string) => {
    for (const [key, value] of Object.entries(node)) {
      const name = prefix ? `${prefix}.${key}` : key;
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw specError(
          name,
          `expected a dict with param_type, found ${JSON.stringify(value)}`,
          "write { param_type: 'FLOAT' | 'INTEGER' | 'CATEGORY', ... }",
        );
      }
      const record = value as Record<string, unknown>;
      if ('param_type' in record || 'categories' in record || 'param_range' in record)
        out.push([name, record]);
      else walk(record, name);
    }
  };
  walk(
    ADict.isADict(spaces) ? spaces.toDict() : spaces instanceof Map ? Object.fromEntries(spaces) : spaces,
    '',
  );
  return out;
}

/**
 * Validate search spaces.
 * @throws {AtoError} `INVALID_ARGUMENT` naming the parameter: missing or unknown `param_type`,
 *   unknown `space_type`, an empty or reversed range, a non-positive range for LOG, no categories
 */
export function parseSearchSpaces(spaces: DictLike): ParamSpec[] {
  const specs: ParamSpec[] = [];
  for (const [name, raw] of entries(spaces)) {
    const type = raw.param_type;
    if (type === undefined)
      throw specError(name, 'param_type is missing', "add param_type: 'FLOAT', 'INTEGER' or 'CATEGORY'");
    if (type === 'CATEGORY') {
      const categories = raw.categories;
      if (!Array.isArray(categories) || categories.length === 0) {
        throw specError(
          name,
          'a CATEGORY needs a non-empty list of categories',
          "add categories: ['a', 'b']",
        );
      }
      specs.push({ name, type, categories: [...categories] });
      continue;
    }
    if (type !== 'FLOAT' && type !== 'INTEGER') {
      throw specError(
        name,
        `unknown param_type ${JSON.stringify(type)}`,
        "use 'FLOAT', 'INTEGER' or 'CATEGORY'",
      );
    }
    const spacing = raw.space_type ?? 'LINEAR';
    if (spacing !== 'LINEAR' && spacing !== 'LOG') {
      throw specError(
        name,
        `unknown space_type ${JSON.stringify(spacing)}`,
        "use 'LINEAR' (the default) or 'LOG'",
      );
    }
    const range = raw.param_range;
    if (
      !Array.isArray(range) ||
      range.length !== 2 ||
      !range.every((v) => typeof v === 'number' && Number.isFinite(v))
    ) {
      throw specError(
        name,
        `param_range must be [low, high], found ${JSON.stringify(range)}`,
        'write param_range: [low, high] with finite numbers',
      );
    }
    const [low, high] = range as [number, number];
    if (!(low < high))
      throw specError(name, `the range [${low}, ${high}] is empty`, 'the low end must be below the high end');
    if (spacing === 'LOG' && low <= 0)
      throw specError(
        name,
        `a LOG range must be positive, found [${low}, ${high}]`,
        'use LINEAR spacing or a positive range',
      );
    const samples = raw.num_samples ?? 1;
    if (typeof samples !== 'number' || !Number.isSafeInteger(samples) || samples < 1) {
      throw specError(
        name,
        `num_samples must be a positive integer, found ${JSON.stringify(samples)}`,
        'write num_samples: 5',
      );
    }
    const base = raw.base ?? (type === 'FLOAT' ? 10 : 2);
    if (typeof base !== 'number' || !(base > 0) || base === 1)
      throw specError(name, `invalid base ${JSON.stringify(base)}`, 'use a positive base other than 1');
    specs.push({ name, type, low, high, samples, spacing, base });
  }
  if (specs.length === 0)
    throw new AtoError('INVALID_ARGUMENT', 'the search space is empty', {
      hint: 'give at least one parameter',
    });
  return specs;
}

function logBase(x: number, base: number): number {
  if (base === 10) return Math.log10(x);
  if (base === 2) return Math.log2(x);
  return Math.log(x) / Math.log(base);
}

/** numpy's linspace (endpoint included): `start + i * step`, the last point exactly `stop`. */
function linspace(start: number, stop: number, num: number): number[] {
  if (num === 1) return [start];
  const step = (stop - start) / (num - 1);
  return Array.from({ length: num }, (_, i) => (i === num - 1 ? stop : start + i * step));
}

/** The values of one parameter on the grid, as numpy's linspace/logspace give them (integers truncated). */
export function gridValues(spec: ParamSpec): unknown[] {
  if (spec.type === 'CATEGORY') return [...spec.categories];
  const points =
    spec.spacing === 'LINEAR'
      ? linspace(spec.low, spec.high, spec.samples)
      : linspace(logBase(spec.low, spec.base), logBase(spec.high, spec.base), spec.samples).map(
          (y) => spec.base ** y,
        );
  return spec.type === 'INTEGER' ? points.map((v) => Math.trunc(v)) : points;
}

/**
 * The grid: the product of every parameter's values, the last parameter varying fastest (as
 * `itertools.product`). Each point maps dotted names to values.
 */
export function prepareGrid(spaces: DictLike | readonly ParamSpec[]): Record<string, unknown>[] {
  const specs = Array.isArray(spaces) ? (spaces as ParamSpec[]) : parseSearchSpaces(spaces as DictLike);
  let grid: Record<string, unknown>[] = [{}];
  for (const spec of specs) {
    const values = gridValues(spec);
    grid = grid.flatMap((point) => values.map((value) => ({ ...point, [spec.name]: value })));
  }
  return grid;
}

/**
 * A random point: FLOAT uniform (LOG: log-uniform) over the range, INTEGER uniform over the integers
 * of the range (LOG: log-uniform, then truncated), CATEGORY uniform over the categories.
 */
export function sampleParams(specs: readonly ParamSpec[], random: Random): Record<string, unknown> {
  const point: Record<string, unknown> = {};
  for (const spec of specs) {
    if (spec.type === 'CATEGORY') {
      point[spec.name] = spec.categories[Math.floor(random() * spec.categories.length)];
      continue;
    }
    const u = random();
    if (spec.spacing === 'LOG') {
      const lo = logBase(spec.low, spec.base);
      const hi = logBase(spec.type === 'INTEGER' ? spec.high + 1 : spec.high, spec.base);
      const v = spec.base ** (lo + u * (hi - lo));
      point[spec.name] =
        spec.type === 'INTEGER'
          ? Math.min(spec.high, Math.trunc(v))
          : Math.min(spec.high, Math.max(spec.low, v));
    } else if (spec.type === 'INTEGER') {
      const lo = Math.ceil(spec.low);
      const hi = Math.floor(spec.high);
      point[spec.name] = Math.min(hi, lo + Math.floor(u * (hi - lo + 1)));
    } else {
      point[spec.name] = spec.low + u * (spec.high - spec.low);
    }
  }
  return point;
}

/** mulberry32: a small, fast, seeded PRNG in [0, 1) (same numbers on every machine). */
export function seededRandom(seed: number): Random {
  let a = (Math.trunc(seed) ^ 0x9e3779b9) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Lay a point over a config: a deep copy of `base` with each dotted name set. */
export function applyParams(base: ADict, params: Record<string, unknown>): ADict {
  const config = base.clone();
  for (const [name, value] of Object.entries(params)) config.setPath(name, value);
  return config;
}
