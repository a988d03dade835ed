/**
 * The data behind ato's demo experiment: a seeded PRNG, a Gaussian sampler, the classic interleaved
 * spirals classification problem (generated, never downloaded) and a seeded train/validation split.
 *
 * Everything is a pure function of its seed: the same numbers on every run and every machine. The
 * PRNG is 32-bit integer arithmetic (exact everywhere), and the floating-point work uses only
 * `+ - * /`, `Math.sqrt` (correctly rounded) and `Math.sin`/`Math.cos`/`Math.log` (deterministic in
 * V8, which implements them with its own fdlibm port rather than the platform's libm).
 *
 * @module
 */

/** A source of uniform random numbers in `[0, 1)`, as {@link createRng} returns. */
export type Rng = () => number;

/**
 * A classification dataset: `n` rows of `features` numbers, row-major, and one label per row.
 *
 * The row `i` is `x[i * features .. (i + 1) * features)`, its class `y[i]` (in `[0, classes)`).
 */
export interface Dataset {
  /** The features, `n * features` numbers, row-major. */
  readonly x: Float32Array;
  /** The labels, `n` class indices in `[0, classes)`. */
  readonly y: Uint8Array;
  /** How many rows. */
  readonly n: number;
  /** How many numbers per row (2 for the spirals). */
  readonly features: number;
  /** How many classes. */
  readonly classes: number;
}

/** Options of {@link makeDataset}. */
export interface DatasetOptions {
  /** How many points in all; they are shared between the classes as evenly as possible. */
  samples: number;
  /** Standard deviation of the Gaussian noise added to each coordinate (the arms end at radius 1). */
  noise: number;
  /** How many spiral arms, one per class (2..255). Default 3. */
  classes?: number;
  /** How many turns each arm makes from the centre to radius 1 (> 0). Default 1. */
  turns?: number;
  /** The seed: the same seed gives the same dataset. */
  seed: number;
}

/** Options of {@link split}. */
export interface SplitOptions {
  /** The share of rows that go to the validation set, in `(0, 1)`; both sets get at least one row. */
  validationFraction: number;
  /** The seed of the shuffle. */
  seed: number;
}

/** The default number of classes (spiral arms) of {@link makeDataset}. */
export const DEFAULT_CLASSES = 3;
/** The default number of turns of each spiral arm in {@link makeDataset}. */
export const DEFAULT_TURNS = 1;

/**
 * A seeded PRNG (mulberry32) with uniform output in `[0, 1)`, 32 bits of randomness per call.
 *
 * The seed is any safe integer (negative and above 2^32 included); it is scrambled first, so seeds
 * 0, 1, 2, ... give unrelated streams.
 *
 * @param seed A safe integer.
 * @returns A function that returns the next number of the stream on each call.
 * @throws {TypeError} When `seed` is not a safe integer.
 *
 * @example
 * ```ts
 * const rng = createRng(42);
 * rng(); // always the same first number for seed 42
 * ```
 */
export function createRng(seed: number): Rng {
  let state = scrambleSeed(seed);
  return function next() {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A standard normal sampler (mean 0, standard deviation 1) drawing from `rng` (Box-Muller: one pair
 * of uniforms gives two normals; the second is kept for the next call).
 *
 * @param rng The uniform source, e.g. `createRng(seed)`.
 * @returns A function that returns the next normal number on each call.
 *
 * @example
 * ```ts
 * const normal = createGaussian(createRng(1));
 * const weight = 0.1 * normal();
 * ```
 */
export function createGaussian(rng: Rng): () => number {
  let spare = 0;
  let hasSpare = false;
  return function gaussian() {
    if (hasSpare) {
      hasSpare = false;
      return spare;
    }
    const u1 = 1 - rng(); // in (0, 1]: the logarithm stays finite
    const u2 = rng();
    const radius = Math.sqrt(-2 * Math.log(u1));
    const angle = 2 * Math.PI * u2;
    spare = radius * Math.sin(angle);
    hasSpare = true;
    return radius * Math.cos(angle);
  };
}

/**
 * The interleaved spirals problem: `classes` spiral arms around the origin, one per class, each
 * turning `turns` times from the centre to radius 1, with Gaussian noise on both coordinates.
 *
 * A point of class `k` sits at radius `r = sqrt(u)` (`u` uniform, so the points are spread evenly
 * over the area rather than crowded at the centre, where the arms meet) and angle
 * `2π k / classes + 2π turns r`, plus `noise` times a standard normal on each coordinate. No straight
 * line separates the arms (a linear classifier stays near chance), while a small MLP learns them to
 * high accuracy in a few seconds. The classes get `samples / classes` points each (the first
 * `samples % classes` classes one more); the rows come class by class: shuffle with {@link split}.
 *
 * @param options `samples`, `noise`, `classes` (default 3), `turns` (default 1), `seed`.
 * @returns `x` (`samples * 2` coordinates, row-major), `y`, `n = samples`, `features = 2`, `classes`.
 * @throws {RangeError} When `samples` is not an integer >= `classes`, `classes` is not an integer in
 *   2..255, `noise` is negative or not finite, or `turns` is not positive.
 *
 * @example
 * ```ts
 * const data = makeDataset({ samples: 2000, noise: 0.04, seed: 0 });
 * const { train, validation } = split(data, { validationFraction: 0.2, seed: 1 });
 * ```
 */
export function makeDataset(options: DatasetOptions): Dataset {
  const { samples, noise, seed } = options;
  const classes = options.classes ?? DEFAULT_CLASSES;
  const turns = options.turns ?? DEFAULT_TURNS;
  if (!Number.isInteger(classes) || classes < 2 || classes > 255) {
    throw new RangeError(`classes must be an integer in 2..255, got ${classes}`);
  }
  if (!Number.isInteger(samples) || samples < classes) {
    throw new RangeError(`samples must be an integer >= classes (${classes}), got ${samples}`);
  }
  if (!Number.isFinite(noise) || noise < 0) {
    throw new RangeError(`noise must be a finite number >= 0, got ${noise}`);
  }
  if (!Number.isFinite(turns) || turns <= 0) {
    throw new RangeError(`turns must be a finite number > 0, got ${turns}`);
  }
  const rng = createRng(seed);
  const gaussian = createGaussian(rng);
  const x = new Float32Array(samples * 2);
  const y = new Uint8Array(samples);
  const base = Math.floor(samples / classes);
  const extra = samples % classes;
  let row = 0;
  for (let k = 0; k < classes; k++) {
    const count = base + (k < extra ? 1 : 0);
    const offset = (2 * Math.PI * k) / classes;
    for (let i = 0; i < count; i++) {
      const radius = Math.sqrt(rng());
      const angle = offset + 2 * Math.PI * turns * radius;
      x[2 * row] = radius * Math.cos(angle) + noise * gaussian();
      x[2 * row + 1] = radius * Math.sin(angle) + noise * gaussian();
      y[row] = k;
      row++;
    }
  }
  return { x, y, n: samples, features: 2, classes };
}

/**
 * Shuffles the rows with a seeded permutation and cuts them into a training and a validation set.
 *
 * The validation set gets `round(n * validationFraction)` rows (at least one, and at least one row
 * is left for training); the input is not modified and the outputs own fresh arrays.
 *
 * @param dataset The rows to split.
 * @param options `validationFraction` in `(0, 1)` and the `seed` of the shuffle.
 * @returns `{ train, validation }`, both shuffled, with the input's `features` and `classes`.
 * @throws {RangeError} When `validationFraction` is not in `(0, 1)` or the dataset has fewer than 2
 *   rows.
 *
 * @example
 * ```ts
 * const { train, validation } = split(makeDataset({ samples: 2000, noise: 0.04, seed: 0 }), {
 *   validationFraction: 0.2,
 *   seed: 0,
 * }); // train.n === 1600, validation.n === 400
 * ```
 */
export function split(dataset: Dataset, options: SplitOptions): { train: Dataset; validation: Dataset } {
  const { validationFraction, seed } = options;
  if (!(validationFraction > 0 && validationFraction < 1)) {
    throw new RangeError(`validationFraction must be in (0, 1), got ${validationFraction}`);
  }
  if (dataset.n < 2) throw new RangeError(`cannot split a dataset of ${dataset.n} row(s)`);
  const order = permutation(dataset.n, createRng(seed));
  const validationCount = Math.min(dataset.n - 1, Math.max(1, Math.round(dataset.n * validationFraction)));
  return {
    validation: selectRows(dataset, order.subarray(0, validationCount)),
    train: selectRows(dataset, order.subarray(validationCount)),
  };
}

/**
 * A uniformly random permutation of `0 .. n-1` (Fisher-Yates), drawn from `rng`.
 *
 * @param n How many indices.
 * @param rng The uniform source.
 * @returns The indices in shuffled order.
 */
export function permutation(n: number, rng: Rng): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const swap = order[i]!;
    order[i] = order[j]!;
    order[j] = swap;
  }
  return order;
}

/**
 * The rows of `dataset` at `indices`, in that order, copied into a new dataset.
 *
 * @param dataset The source rows.
 * @param indices Row indices (each in `[0, dataset.n)`).
 * @returns A dataset of `indices.length` rows with the same `features` and `classes`.
 */
export function selectRows(dataset: Dataset, indices: ArrayLike<number>): Dataset {
  const { features } = dataset;
  const n = indices.length;
  const x = new Float32Array(n * features);
  const y = new Uint8Array(n);
  for (let r = 0; r < n; r++) {
    const source = indices[r]!;
    x.set(dataset.x.subarray(source * features, (source + 1) * features), r * features);
    y[r] = dataset.y[source]!;
  }
  return { x, y, n, features, classes: dataset.classes };
}

/** Maps any safe integer to a well-mixed 32-bit state (murmur3's finaliser over both halves). */
function scrambleSeed(seed: number): number {
  if (!Number.isSafeInteger(seed)) throw new TypeError(`seed must be a safe integer, got ${seed}`);
  const low = seed >>> 0; // two's complement: -1 and 2^32 - 1 share their low half...
  const high = Math.floor(seed / 4294967296) | 0; // ...but not their high half
  let h = Math.imul(low ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(high + 0x632be5ab, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}
