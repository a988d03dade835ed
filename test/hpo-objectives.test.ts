import { describe, expect, it } from 'vitest';
import {
  branin,
  braninObjective,
  countingOnes,
  countingOnesObjective,
  hartmann6,
  hartmann6Objective,
  objectives,
} from '../bench/hpo/objectives.js';
import { parseSearchSpaces, sampleParams, seededRandom } from '../src/hyperopt/spaces.js';

describe('multi-fidelity Branin', () => {
  it('has its three minima 0.397887 at full budget', () => {
    expect(braninObjective.minimizers).toHaveLength(3);
    for (const point of braninObjective.minimizers) {
      expect(braninObjective.evaluate(point, braninObjective.maxBudget)).toBeCloseTo(0.397887, 6);
      expect(braninObjective.trueLoss(point)).toBeCloseTo(braninObjective.optimum, 6);
    }
  });

  it('has the known values at other points', () => {
    // f(0, 0) = (−6)² + 10 (1 − 1/(8π)) cos 0 + 10 = 55.602113
    expect(branin(0, 0)).toBeCloseTo(36 + 10 * (1 - 1 / (8 * Math.PI)) + 10, 9);
    expect(branin(0, 0)).toBeCloseTo(55.602113, 5);
    expect(branin(-5, 0)).toBeCloseTo(308.129096, 5);
    expect(branin(10, 15)).toBeCloseTo(145.872191, 5);
  });

  it('no sampled point beats the optimum', () => {
    const specs = parseSearchSpaces(braninObjective.space);
    const random = seededRandom(1);
    for (let i = 0; i < 2000; i++)
      expect(braninObjective.trueLoss(sampleParams(specs, random))).toBeGreaterThan(braninObjective.optimum);
  });

  it('a lower budget gives a biased value that vanishes at full budget', () => {
    const point = braninObjective.minimizers[1]!;
    const low = braninObjective.evaluate(point, 1);
    const mid = braninObjective.evaluate(point, 27);
    const full = braninObjective.evaluate(point, 81);
    expect(Math.abs(low - full)).toBeGreaterThan(0.05);
    expect(Math.abs(mid - full)).toBeLessThan(Math.abs(low - full));
    expect(full).toBe(branin(Math.PI, 2.275));
    // z = 0: b, c, t all shifted by their deltas
    const b = 5.1 / (4 * Math.PI ** 2) - 0.01;
    const c = 5 / Math.PI - 0.1;
    const t = 1 / (8 * Math.PI) + 0.005;
    expect(branin(2, 3, 0)).toBeCloseTo((3 - b * 4 + c * 2 - 6) ** 2 + 10 * (1 - t) * Math.cos(2) + 10, 12);
  });
});

describe('multi-fidelity Hartmann-6', () => {
  it('reaches -3.32237 at its minimizer at full budget', () => {
    const point = hartmann6Objective.minimizers[0]!;
    expect(hartmann6Objective.evaluate(point, 81)).toBeCloseTo(-3.32237, 5);
    expect(hartmann6Objective.optimum).toBeCloseTo(-3.32237, 5);
  });

  it('is a local minimum there and no sampled point beats it', () => {
    const x = [0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573];
    const f = hartmann6(x);
    for (let j = 0; j < 6; j++) {
      for (const d of [-1e-3, 1e-3]) {
        const y = [...x];
        y[j] = y[j]! + d;
        expect(hartmann6(y)).toBeGreaterThan(f - 1e-9);
      }
    }
    const specs = parseSearchSpaces(hartmann6Objective.space);
    const random = seededRandom(2);
    for (let i = 0; i < 2000; i++)
      expect(hartmann6Objective.trueLoss(sampleParams(specs, random))).toBeGreaterThan(
        hartmann6Objective.optimum,
      );
  });

  it('has the known value at the centre', () => {
    // computed independently (Python, the standard constants)
    const centre = [0.5, 0.5, 0.5, 0.5, 0.5, 0.5];
    expect(hartmann6(centre)).toBeCloseTo(-0.505315, 5);
  });

  it('a lower budget lowers every alpha by 0.1 (1 - z): a biased, shallower function', () => {
    const point = hartmann6Objective.minimizers[0]!;
    const low = hartmann6Objective.evaluate(point, 1);
    const full = hartmann6Objective.evaluate(point, 81);
    expect(low).toBeGreaterThan(full + 0.05);
    expect(hartmann6Objective.evaluate(point, 40)).toBeGreaterThan(full);
    expect(hartmann6Objective.evaluate(point, 40)).toBeLessThan(low);
    // alpha - 0.1 (1 - z): the shift is -0.1 (1 - z) times the sum of the exponentials
    const x = [0.3, 0.2, 0.1, 0.9, 0.4, 0.6];
    const expSum = hartmann6(x, 1) - hartmann6(x, 0); // = -(sum of exp) * 0.1
    expect(hartmann6(x, 0.5) - hartmann6(x, 1)).toBeCloseTo(-expSum / 2, 12);
  });
});

describe('Counting Ones', () => {
  const all = (value: number) =>
    Object.fromEntries(Object.keys(countingOnesObjective.space).map((n) => [n, value]));

  it('has 8 categorical and 8 continuous dimensions and optimum -16 at all ones', () => {
    const specs = parseSearchSpaces(countingOnesObjective.space);
    expect(specs.filter((s) => s.type === 'CATEGORY')).toHaveLength(8);
    expect(specs.filter((s) => s.type === 'FLOAT')).toHaveLength(8);
    expect(countingOnesObjective.optimum).toBe(-16);
    expect(countingOnesObjective.evaluate(all(1), 9, 3)).toBe(-16);
    expect(countingOnesObjective.evaluate(all(0), 729, 3)).toBe(-0);
    expect(countingOnesObjective.trueLoss(all(1))).toBe(-16);
    expect(countingOnes({ categorical: 2, continuous: 3 }).optimum).toBe(-5);
  });

  it('is deterministic given a seed, and the seed changes the samples', () => {
    const point = all(0.5);
    const a = countingOnesObjective.evaluate(point, 27, 7);
    expect(countingOnesObjective.evaluate(point, 27, 7)).toBe(a);
    const values = new Set([1, 2, 3, 4, 5, 6].map((seed) => countingOnesObjective.evaluate(point, 27, seed)));
    expect(values.size).toBeGreaterThan(1);
  });

  it('each continuous dimension is a mean of `budget` Bernoulli samples', () => {
    const one = countingOnes({ categorical: 0, continuous: 1 });
    for (const budget of [9, 27, 81])
      for (let seed = 0; seed < 20; seed++) {
        const v = -one.evaluate({ cont0: 0.3 }, budget, seed) * budget;
        expect(Number.isInteger(Math.round(v * 1e9) / 1e9)).toBe(true);
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(budget);
      }
  });

  it('the budget sets the noise: unbiased at every budget, the spread shrinks as 1/sqrt(budget)', () => {
    const point = { ...all(1), cont0: 0.3, cont1: 0.6, cont2: 0.5 };
    const expected = countingOnesObjective.trueLoss(point);
    expect(expected).toBeCloseTo(-(8 + 5 + 0.3 + 0.6 + 0.5), 12);
    const stats = (budget: number) => {
      const v = Array.from({ length: 400 }, (_, s) => countingOnesObjective.evaluate(point, budget, s));
      const mean = v.reduce((a, b) => a + b, 0) / v.length;
      const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1));
      return { mean, sd };
    };
    const low = stats(9);
    const high = stats(729);
    // variance sum: (0.21 + 0.24 + 0.25) / budget
    expect(low.sd).toBeCloseTo(Math.sqrt(0.7 / 9), 1);
    expect(high.sd).toBeLessThan(low.sd / 5);
    expect(Math.abs(low.mean - expected)).toBeLessThan(4 * (low.sd / Math.sqrt(400)));
    expect(Math.abs(high.mean - expected)).toBeLessThan(4 * (high.sd / Math.sqrt(400)) + 1e-9);
  });
});

describe('every objective', () => {
  it('has a valid space, budgets and evaluates sampled points', () => {
    for (const objective of objectives) {
      const specs = parseSearchSpaces(objective.space);
      expect(objective.minBudget).toBeLessThan(objective.maxBudget);
      const point = sampleParams(specs, seededRandom(0));
      expect(Number.isFinite(objective.evaluate(point, objective.minBudget, 1))).toBe(true);
      expect(objective.trueLoss(point)).toBeGreaterThanOrEqual(objective.optimum);
      for (const m of objective.minimizers) expect(objective.trueLoss(m)).toBeCloseTo(objective.optimum, 5);
    }
  });

  it('rejects missing parameters and non-positive budgets', () => {
    expect(() => braninObjective.evaluate({ x1: 0 }, 81)).toThrow(/x2/);
    expect(() => braninObjective.evaluate({ x1: 0, x2: 0 }, 0)).toThrow(RangeError);
  });
});

describe('the quality benchmark (bench/hpo-quality.ts)', () => {
  it('quartiles, the budget multiple to match, and the HyperBand bracket that fits the budget', async () => {
    const { quantile, multipleToMatch, hyperBandPlan } = await import('../bench/hpo-quality.js');
    expect(quantile([4, 1, 3, 2], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4, 5], 0.25)).toBe(2);
    const curve = [
      { multiple: 1, median: 1 },
      { multiple: 2, median: 0.5 },
      { multiple: 4, median: 0.25 },
    ];
    expect(multipleToMatch(curve, 2)).toBe(1);
    expect(multipleToMatch(curve, 0.5)).toBe(2);
    expect(multipleToMatch(curve, 0.375)).toBeCloseTo(2 * Math.SQRT2, 12);
    expect(multipleToMatch(curve, 0.1)).toBe(Number.POSITIVE_INFINITY);
    const plan = hyperBandPlan(braninObjective, 30 * 81);
    expect(plan.budgets).toEqual([1, 3, 9, 27, 81, 81]);
    expect(plan.cost).toBeLessThanOrEqual(30 * 81);
    const { generationSizes } = await import('../src/hyperopt/algorithms.js');
    const sizes = generationSizes(plan.candidates, 0.34, plan.numMinSamples);
    expect(sizes).toHaveLength(6);
    expect(sizes.reduce((sum, size, g) => sum + size * plan.budgets[g]!, 0)).toBe(plan.cost);
  });

  it('a small run: every method spends at most the total budget and reports regrets >= 0', async () => {
    const { benchObjective } = await import('../bench/hpo-quality.js');
    const result = await benchObjective(braninObjective, 2, [1, 2]);
    expect(result.totalBudget).toBe(2430);
    expect(result.methods.map((m) => m.method.split(' ')[0])).toEqual(['HyperBand', 'ASHA', 'RandomSearch']);
    for (const m of result.methods) {
      expect(m.regrets).toHaveLength(2);
      for (const r of m.regrets) expect(r).toBeGreaterThanOrEqual(-1e-9);
      expect(m.spent).toBeLessThanOrEqual(2430);
    }
    expect(result.random.map((r) => r.summary.trials)).toEqual([30, 60]);
    expect(await benchObjective(braninObjective, 2, [1, 2])).toEqual(result);
  });
});
