/**
 * Closed-form objectives for the hyperparameter-search quality benchmark (`bench/hpo-quality.ts`):
 * pure TypeScript, no downloads. Each has a search space in ato's format, a budget range, an
 * `evaluate(params, budget, seed?)` returning a loss (lower is better), the noise-free loss at full
 * budget (`trueLoss`, used to score the answer of a search) and its known optimum.
 *
 * - Multi-fidelity Branin and Hartmann-6, as defined by Kandasamy et al. for BOCA ("Multi-fidelity
 *   Bayesian Optimisation with Continuous Approximations", ICML 2017, appendix) and shipped with
 *   their Dragonfly library (`demos_synthetic/branin/branin.py`, `demos_synthetic/hartmann6_4/`): a
 *   fidelity `z` in [0, 1] shifts the function's constants, and `z = 1` is the true function. Here
 *   the fidelity is the budget's share of the maximum, `z = budget / maxBudget`, the same `z` for
 *   every fidelity dimension.
 * - BOHB's Counting Ones (Falkner, Klein and Hutter, "BOHB: Robust and Efficient Hyperparameter
 *   Optimization at Scale", ICML 2018, section 5.1; HPOlib's `CountingOnes`): categorical
 *   dimensions in {0, 1} count as they are, each continuous dimension `x` in [0, 1] counts as the mean
 *   of `budget` Bernoulli(`x`) samples; the loss is minus the sum.
 * @module
 */
import { seededRandom } from '../../src/hyperopt/spaces.js';

/** One parameter's space, in ato's search-space format. */
export type SpaceEntry =
  | { param_type: 'FLOAT'; param_range: [number, number]; space_type?: 'LINEAR' | 'LOG' }
  | { param_type: 'CATEGORY'; categories: unknown[] };

/** A benchmark objective. */
export interface HpoObjective {
  /** Short name (tables). */
  readonly name: string;
  /** The search space, in ato's format. */
  readonly space: Record<string, SpaceEntry>;
  /** The smallest budget worth evaluating. */
  readonly minBudget: number;
  /** The full budget: `evaluate(params, maxBudget)` is the true function. */
  readonly maxBudget: number;
  /** The minimum of the true function. */
  readonly optimum: number;
  /** Points reaching the optimum. */
  readonly minimizers: readonly Record<string, number>[];
  /**
   * The loss of `params` at `budget` (lower is better). Noisy objectives draw their noise from
   * `seed` (default 0): the same arguments give the same loss.
   */
  evaluate(params: Record<string, unknown>, budget: number, seed?: number): number;
  /** The noise-free loss at full budget (the score of a search's answer). */
  trueLoss(params: Record<string, unknown>): number;
}

function num(params: Record<string, unknown>, name: string): number {
  const value = params[name];
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new TypeError(`parameter ${name} must be a finite number, found ${String(value)}`);
  return value;
}

/** The fidelity `z` in [0, 1] of a budget: its share of the maximum. */
function fidelity(budget: number, maxBudget: number): number {
  if (!(budget > 0)) throw new RangeError(`the budget must be positive, found ${budget}`);
  return Math.min(1, budget / maxBudget);
}

// ---- Branin ----------------------------------------------------------------------------------

/**
 * Multi-fidelity Branin (Kandasamy et al. 2017; Dragonfly's `branin_z_x`), on x1 in [-5, 10],
 * x2 in [0, 15]:
 *
 *   f(z, x) = a (x2 - b(z) x1² + c(z) x1 - r)² + s (1 - t(z)) cos(x1) + s
 *   a = 1, r = 6, s = 10,
 *   b(z) = 5.1 / (4π²) - 0.01 (1 - z),  c(z) = 5 / π - 0.1 (1 - z),  t(z) = 1 / (8π) + 0.005 (1 - z)
 *
 * (the deltas of the authors' code; the paper's appendix writes 0.05 for t's). At z = 1 it is the
 * Branin function: minimum 0.397887 at (-π, 12.275), (π, 2.275) and (9.42478, 2.475).
 */
export function branin(x1: number, x2: number, z = 1): number {
  const b = 5.1 / (4 * Math.PI ** 2) - 0.01 * (1 - z);
  const c = 5 / Math.PI - 0.1 * (1 - z);
  const t = 1 / (8 * Math.PI) + 0.005 * (1 - z);
  return (x2 - b * x1 * x1 + c * x1 - 6) ** 2 + 10 * (1 - t) * Math.cos(x1) + 10;
}

/** The Branin objective: budget 1 to 81 (fidelity `budget / 81`). */
export const braninObjective: HpoObjective = {
  name: 'Branin',
  space: {
    x1: { param_type: 'FLOAT', param_range: [-5, 10] },
    x2: { param_type: 'FLOAT', param_range: [0, 15] },
  },
  minBudget: 1,
  maxBudget: 81,
  optimum: 0.397887357729738,
  minimizers: [
    { x1: -Math.PI, x2: 12.275 },
    { x1: Math.PI, x2: 2.275 },
    { x1: 3 * Math.PI, x2: 2.475 },
  ],
  evaluate(params, budget) {
    return branin(num(params, 'x1'), num(params, 'x2'), fidelity(budget, 81));
  },
  trueLoss(params) {
    return branin(num(params, 'x1'), num(params, 'x2'));
  },
};

// ---- Hartmann-6 ------------------------------------------------------------------------------

const HARTMANN6_ALPHA = [1.0, 1.2, 3.0, 3.2] as const;
const HARTMANN6_A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
] as const;
const HARTMANN6_P = [
  [0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886],
  [0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991],
  [0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.665],
  [0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381],
] as const;

/**
 * Multi-fidelity Hartmann-6 (Kandasamy et al. 2017; Dragonfly's `hartmann6_4_mf`), on [0, 1]^6:
 *
 *   f(z, x) = -Σ_{i=1..4} α'_i(z) exp(-Σ_{j=1..6} A_ij (x_j - P_ij)²),   α'(z) = α - 0.1 (1 - z)
 *
 * with the usual α = (1.0, 1.2, 3.0, 3.2), A and P (Surjanovic and Bingham's library). At z = 1 it
 * is the Hartmann-6 function: minimum -3.32237 at
 * (0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573).
 */
export function hartmann6(x: readonly number[], z = 1): number {
  let sum = 0;
  for (let i = 0; i < 4; i++) {
    let inner = 0;
    for (let j = 0; j < 6; j++) inner += HARTMANN6_A[i]![j]! * (x[j]! - HARTMANN6_P[i]![j]!) ** 2;
    sum += (HARTMANN6_ALPHA[i]! - 0.1 * (1 - z)) * Math.exp(-inner);
  }
  return -sum;
}

const HARTMANN6_NAMES = ['x1', 'x2', 'x3', 'x4', 'x5', 'x6'] as const;

/** The Hartmann-6 objective: budget 1 to 81 (fidelity `budget / 81`). */
export const hartmann6Objective: HpoObjective = {
  name: 'Hartmann-6',
  space: Object.fromEntries(
    HARTMANN6_NAMES.map((n) => [n, { param_type: 'FLOAT', param_range: [0, 1] } as SpaceEntry]),
  ),
  minBudget: 1,
  maxBudget: 81,
  optimum: -3.32236801141551,
  minimizers: [{ x1: 0.20169, x2: 0.150011, x3: 0.476874, x4: 0.275332, x5: 0.311652, x6: 0.6573 }],
  evaluate(params, budget) {
    return hartmann6(
      HARTMANN6_NAMES.map((n) => num(params, n)),
      fidelity(budget, 81),
    );
  },
  trueLoss(params) {
    return hartmann6(HARTMANN6_NAMES.map((n) => num(params, n)));
  },
};

// ---- Counting Ones ---------------------------------------------------------------------------

/** Options of {@link countingOnes}. */
export interface CountingOnesOptions {
  /** Categorical dimensions, each in {0, 1}. @default 8 */
  categorical?: number;
  /** Continuous dimensions, each in [0, 1]. @default 8 */
  continuous?: number;
  /** @default 9 */
  minBudget?: number;
  /** @default 729 */
  maxBudget?: number;
}

/**
 * BOHB's Counting Ones (Falkner et al. 2018): `categorical` dimensions `c_i` in {0, 1} and
 * `continuous` dimensions `x_j` in [0, 1];
 *
 *   loss(params, budget) = -(Σ_i c_i + Σ_j mean of `budget` Bernoulli(x_j) samples)
 *
 * The samples are drawn from a PRNG seeded by `seed` (and the dimension), so a call is deterministic
 * given its seed; a search passes a different seed per trial. The expected loss is
 * `-(Σ c_i + Σ x_j)`, whatever the budget; the budget sets the noise (variance `x (1 - x) / budget`
 * per dimension). Optimum: `-(categorical + continuous)` at all ones. BOHB's paper uses 8 + 8
 * dimensions and budgets 9 to 729.
 */
export function countingOnes(options: CountingOnesOptions = {}): HpoObjective {
  const categorical = options.categorical ?? 8;
  const continuous = options.continuous ?? 8;
  const cats = Array.from({ length: categorical }, (_, i) => `cat${i}`);
  const conts = Array.from({ length: continuous }, (_, i) => `cont${i}`);
  const space: Record<string, SpaceEntry> = {};
  for (const n of cats) space[n] = { param_type: 'CATEGORY', categories: [0, 1] };
  for (const n of conts) space[n] = { param_type: 'FLOAT', param_range: [0, 1] };
  const ones = Object.fromEntries([...cats, ...conts].map((n) => [n, 1]));
  return {
    name: `Counting Ones (${categorical}+${continuous})`,
    space,
    minBudget: options.minBudget ?? 9,
    maxBudget: options.maxBudget ?? 729,
    optimum: -(categorical + continuous),
    minimizers: [ones],
    evaluate(params, budget, seed = 0) {
      const samples = Math.round(budget);
      if (!(samples >= 1)) throw new RangeError(`the budget must be at least 1 sample, found ${budget}`);
      let sum = 0;
      for (const n of cats) sum += num(params, n);
      for (const [j, n] of conts.entries()) {
        const p = num(params, n);
        const random = seededRandom(Math.imul(seed, 0x2c1b3c6d) ^ (j * 0x9e3779b1 + 1));
        let hits = 0;
        for (let k = 0; k < samples; k++) if (random() < p) hits++;
        sum += hits / samples;
      }
      return -sum;
    },
    trueLoss(params) {
      let sum = 0;
      for (const n of [...cats, ...conts]) sum += num(params, n);
      return -sum;
    },
  };
}

/** Counting Ones with BOHB's 8 categorical and 8 continuous dimensions, budgets 9 to 729. */
export const countingOnesObjective: HpoObjective = countingOnes();

/** The benchmark's objectives. */
export const objectives: readonly HpoObjective[] = [
  braninObjective,
  hartmann6Objective,
  countingOnesObjective,
];
