import { describe, expect, it } from 'vitest';
import { ADict } from '../src/config/adict.js';
import {
  asha,
  ashaRungs,
  generationSizes,
  hyperBand,
  type SearchAlgorithm,
  type TrialRecord,
  trainingSteps,
} from '../src/hyperopt/algorithms.js';
import {
  ASHA,
  GridSearch,
  HyperBand,
  HyperOpt,
  inProcessRunner,
  RandomSearch,
} from '../src/hyperopt/search.js';
import {
  gridValues,
  type ParamSpec,
  parseSearchSpaces,
  prepareGrid,
  sampleParams,
  seededRandom,
} from '../src/hyperopt/spaces.js';
import { Scope } from '../src/scope/scope.js';
import { catchAtoError } from './_helpers.js';

const spaces = {
  lr: { param_type: 'FLOAT', param_range: [1e-5, 1e-1], num_samples: 20, space_type: 'LOG' },
  batch_size: { param_type: 'INTEGER', param_range: [16, 128], num_samples: 5, space_type: 'LOG' },
  model: { param_type: 'CATEGORY', categories: ['resnet50', 'resnet101', 'efficientnet_b0'] },
};

describe('search spaces', () => {
  it('grids match numpy (values computed with numpy 2.4: logspace/linspace, integer dtype truncates)', () => {
    const [lr, batch, model] = parseSearchSpaces(new ADict(spaces)).map(gridValues);
    const numpyLr = [
      9.999999999999999e-6, 1.623776739188721e-5, 2.6366508987303556e-5, 4.281332398719396e-5,
      6.951927961775606e-5, 0.00011288378916846884, 0.00018329807108324357, 0.00029763514416313193,
      0.0004832930238571752, 0.0007847599703514606, 0.0012742749857031334, 0.00206913808111479,
      0.003359818286283781, 0.005455594781168515, 0.008858667904100823, 0.01438449888287663,
      0.023357214690901212, 0.03792690190732246, 0.06158482110660261, 0.1,
    ];
    expect(lr).toHaveLength(20);
    for (const [i, v] of (lr as number[]).entries())
      expect(v).toBeCloseTo(numpyLr[i]!, 15 - Math.ceil(-Math.log10(numpyLr[i]!)));
    expect(batch).toEqual([16, 26, 45, 76, 128]);
    expect(model).toEqual(['resnet50', 'resnet101', 'efficientnet_b0']);
    const values = (raw: Record<string, unknown>) => gridValues(parseSearchSpaces({ p: raw })[0]!);
    expect(values({ param_type: 'INTEGER', param_range: [1, 10], num_samples: 4 })).toEqual([1, 4, 7, 10]);
    expect(values({ param_type: 'INTEGER', param_range: [-3, 3], num_samples: 4 })).toEqual([-3, -1, 1, 3]);
    expect(values({ param_type: 'FLOAT', param_range: [0.1, 0.9], num_samples: 5 })).toEqual([
      0.1, 0.30000000000000004, 0.5, 0.7000000000000001, 0.9,
    ]);
    expect(
      values({ param_type: 'INTEGER', param_range: [1, 100], num_samples: 6, space_type: 'LOG', base: 3 }),
    ).toEqual([1, 2, 6, 15, 39, 100]);
    expect(values({ param_type: 'FLOAT', param_range: [5, 6], num_samples: 1 })).toEqual([5]);
  });

  it('the grid is the product, the last parameter fastest, with dotted names', () => {
    const grid = prepareGrid({
      a: { param_type: 'CATEGORY', categories: [1, 2] },
      optim: { lr: { param_type: 'CATEGORY', categories: ['x', 'y', 'z'] } },
    });
    expect(grid).toEqual([
      { a: 1, 'optim.lr': 'x' },
      { a: 1, 'optim.lr': 'y' },
      { a: 1, 'optim.lr': 'z' },
      { a: 2, 'optim.lr': 'x' },
      { a: 2, 'optim.lr': 'y' },
      { a: 2, 'optim.lr': 'z' },
    ]);
    expect(prepareGrid(spaces)).toHaveLength(300);
  });

  it.each([
    [{ lr: { param_range: [0, 1] } }, 'search space "lr": param_type is missing'],
    [{ lr: { param_type: 'REAL', param_range: [0, 1] } }, 'search space "lr": unknown param_type "REAL"'],
    [
      { lr: { param_type: 'FLOAT', param_range: [0, 1], space_type: 'EXP' } },
      'search space "lr": unknown space_type "EXP"',
    ],
    [{ lr: { param_type: 'FLOAT', param_range: [1, 1] } }, 'search space "lr": the range [1, 1] is empty'],
    [{ lr: { param_type: 'FLOAT', param_range: [2, 1] } }, 'the range [2, 1] is empty'],
    [{ lr: { param_type: 'FLOAT', param_range: [0, 1], space_type: 'LOG' } }, 'a LOG range must be positive'],
    [{ lr: { param_type: 'FLOAT', param_range: [0] } }, 'param_range must be [low, high]'],
    [
      { m: { param_type: 'CATEGORY', categories: [] } },
      'search space "m": a CATEGORY needs a non-empty list',
    ],
    [
      { n: { param_type: 'INTEGER', param_range: [1, 9], num_samples: 0 } },
      'num_samples must be a positive integer',
    ],
    [{ x: 3 }, 'search space "x": expected a dict with param_type'],
    [{}, 'the search space is empty'],
  ])('%j is refused: %s', (raw, message) => {
    const error = catchAtoError(() => parseSearchSpaces(raw as Record<string, unknown>));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain(message);
  });

  it('samples stay in range, integers are integers, and a seed repeats', () => {
    const specs = parseSearchSpaces(spaces);
    for (let seed = 0; seed < 200; seed++) {
      const p = sampleParams(specs, seededRandom(seed));
      expect(p.lr as number).toBeGreaterThanOrEqual(1e-5);
      expect(p.lr as number).toBeLessThanOrEqual(0.1);
      expect(Number.isInteger(p.batch_size)).toBe(true);
      expect(p.batch_size as number).toBeGreaterThanOrEqual(16);
      expect(p.batch_size as number).toBeLessThanOrEqual(128);
      expect(spaces.model.categories).toContain(p.model);
    }
    expect(sampleParams(specs, seededRandom(7))).toEqual(sampleParams(specs, seededRandom(7)));
    // log-uniform: about half of the samples below the geometric middle 1e-3
    const below = Array.from(
      { length: 2000 },
      (_, i) => sampleParams(specs, seededRandom(i)).lr as number,
    ).filter((v) => v < 1e-3).length;
    expect(below).toBeGreaterThan(900);
    expect(below).toBeLessThan(1100);
  });
});

/** Run an algorithm to the end in this process with a synchronous objective. */
async function runAll(algorithm: SearchAlgorithm, objective: (t: TrialRecord) => number) {
  return inProcessRunner().run(algorithm, async (t) => objective(t), undefined);
}

describe('HyperBand: the original semantics', () => {
  it('60 configs, rate 0.3, minimum 3: generations 60, 18, 5 and a final 1 (84 evaluations)', async () => {
    expect(generationSizes(60, 0.3, 3)).toEqual([60, 18, 5, 1]);
    const candidates = Array.from({ length: 60 }, (_, i) => ({ x: i }));
    const trials = await runAll(
      hyperBand(candidates, { halvingRate: 0.3, numMinSamples: 3, mode: 'max' }),
      (t) => t.params.x as number,
    );
    expect(trials).toHaveLength(84);
    expect([0, 1, 2, 3].map((g) => trials.filter((t) => t.rung === g).length)).toEqual([60, 18, 5, 1]);
    // survivors are the best of each generation
    expect(
      trials
        .filter((t) => t.rung === 1)
        .map((t) => t.params.x)
        .sort((a, b) => (a as number) - (b as number)),
    ).toEqual(Array.from({ length: 18 }, (_, i) => 42 + i));
    expect(trials.filter((t) => t.rung === 2).map((t) => t.params.x)).toEqual([59, 58, 57, 56, 55]);
    expect(trials.filter((t) => t.rung === 3).map((t) => t.params.x)).toEqual([59]);
  });

  it('mode min keeps the smallest metrics', async () => {
    const candidates = Array.from({ length: 20 }, (_, i) => ({ x: i }));
    const algorithm = hyperBand(candidates, { halvingRate: 0.5, numMinSamples: 2, mode: 'min' });
    const trials = await runAll(algorithm, (t) => t.params.x as number);
    expect(generationSizes(20, 0.5, 2)).toEqual([20, 10, 5, 2, 1]);
    expect(algorithm.best(trials)!.params).toEqual({ x: 0 });
  });

  it('few configs: a single generation, then the best once more', () => {
    expect(generationSizes(5, 0.3, 3)).toEqual([5, 1]);
    expect(generationSizes(1, 0.3, 1)).toEqual([1, 1]);
  });

  it('step schedules: a budget for every generation, the original values first', () => {
    expect(trainingSteps(60, 0.3, 3, 100_000)).toEqual([9000, 30000, 100000, 100000]);
    expect(trainingSteps(20, 0.5, 2, 80)).toEqual([10, 20, 40, 80, 80]);
    expect(trainingSteps(5, 0.3, 3, 1000)).toEqual([1000, 1000]);
  });

  it('bad options are clear errors', () => {
    expect(catchAtoError(() => hyperBand([{}], { halvingRate: 1 })).message).toContain(
      'halvingRate must be in (0, 1), found 1',
    );
    expect(catchAtoError(() => hyperBand([{}], { halvingRate: 0 })).code).toBe('INVALID_ARGUMENT');
    expect(catchAtoError(() => hyperBand([{}], { numMinSamples: 0 })).message).toContain(
      'numMinSamples must be an integer >= 1',
    );
  });

  it('HyperBand class: grid over the scope config, __num_halved__ per generation, logs, steps', async () => {
    const scope = new Scope({ argv: ['lr=5'] });
    scope.observe({ default: true }, function defaults(config) {
      config.lr = 1;
      config.batch_size = 8;
      config.model = 'none';
      config.epochs = 3;
    });
    const hb = new HyperBand(scope, spaces, {
      halvingRate: 0.3,
      numMinSamples: 3,
      mode: 'max',
      progress: false,
    });
    expect(hb.grid).toHaveLength(300);
    expect(hb.numGenerations()).toBe(4);
    expect(generationSizes(300, 0.3, 3)).toEqual([300, 90, 27, 8, 1]);
    expect(hb.computeOptimizedInitialTrainingSteps(1000)).toEqual([27, 90, 300, 1000, 1000]);
    const steps = hb.computeOptimizedInitialTrainingSteps(1000);
    const seen: number[] = [];
    const train = hb.main(async (config, tag: string) => {
      seen.push(config.__num_halved__);
      expect(tag).toBe('extra-arg');
      expect(config.epochs).toBe(3);
      expect(steps[config.__num_halved__]).toBeDefined();
      return (
        -Math.abs(Math.log10(config.lr) + 3) +
        (config.model === 'resnet101' ? 1 : 0) +
        config.batch_size / 1000
      );
    });
    const best = await train('extra-arg');
    expect(best.logs.map((g) => g.length)).toEqual(generationSizes(300, 0.3, 3));
    expect(seen.length).toBe(generationSizes(300, 0.3, 3).reduce((a, b) => a + b));
    expect(best.config.model).toBe('resnet101');
    expect(best.config.batch_size).toBe(128);
    expect(best.config.__num_halved__).toBe(4);
    expect(best.config.epochs).toBe(3);
    expect(best.metric).toBeCloseTo(-Math.abs(Math.log10(best.config.lr) + 3) + 1.128, 12);
  });

  it('a trial that throws is recorded as failed and the search goes on', async () => {
    const hb = new HyperBand(
      undefined,
      { x: { param_type: 'INTEGER', param_range: [0, 9], num_samples: 10 } },
      { halvingRate: 0.5, numMinSamples: 2, progress: false },
    );
    const result = await hb.main(async (config) => {
      if (config.x === 9) throw new Error('diverged');
      return config.x;
    })();
    const failed = result.logs[0]!.filter((t) => t.status === 'failed');
    expect(failed).toEqual([expect.objectContaining({ params: { x: 9 }, error: 'Error: diverged' })]);
    expect(result.config.x).toBe(8);
  });
});

describe('ASHA', () => {
  const specs = parseSearchSpaces({ x: { param_type: 'FLOAT', param_range: [0, 1] } });

  it('rungs grow by eta up to the maximum budget', () => {
    expect(ashaRungs(1, 27, 3)).toEqual([1, 3, 9, 27]);
    expect(ashaRungs(1, 20, 3)).toEqual([1, 3, 9]);
  });

  it('promotes as soon as a config is in the top 1/eta of its rung, without waiting for the rest', () => {
    const algorithm = asha(specs, { eta: 3, minBudget: 1, maxBudget: 9, maxConfigs: 100, mode: 'max' });
    const trials: TrialRecord[] = [];
    const add = (
      decision: ReturnType<SearchAlgorithm['next']>,
      status: TrialRecord['status'],
      metric?: number,
    ) => {
      if (decision.kind !== 'trial') throw new Error(`expected a trial, got ${decision.kind}`);
      const t: TrialRecord = { id: trials.length + 1, ...decision, status, metric };
      trials.push(t);
      return t;
    };
    // three configs at rung 0, one still running
    add(algorithm.next(trials), 'completed', 0.9);
    add(algorithm.next(trials), 'completed', 0.1);
    add(algorithm.next(trials), 'running');
    // 2 completed at rung 0: floor(2/3) = 0 promotable: a new config
    expect(algorithm.next(trials)).toMatchObject({ kind: 'trial', rung: 0, configId: 3 });
    add(algorithm.next(trials), 'completed', 0.5);
    // 3 completed: the best (0.9) is promoted to rung 1 with budget 3, while config 2 still runs
    expect(algorithm.next(trials)).toMatchObject({ kind: 'trial', rung: 1, configId: 0, budget: 3 });
  });

  it('stops at maxConfigs or totalBudget, waits for running trials, then is done', async () => {
    const algorithm = asha(specs, { eta: 3, minBudget: 1, maxBudget: 9, maxConfigs: 30, mode: 'max' });
    const trials = await inProcessRunner({ concurrency: 4 }).run(
      algorithm,
      async (t) => (t.params.x as number) * (t.budget ?? 1),
      undefined,
    );
    expect(new Set(trials.map((t) => t.configId)).size).toBe(30);
    expect(trials.filter((t) => t.rung === 2).length).toBeGreaterThan(0);
    const byBudget = asha(specs, { eta: 3, minBudget: 1, maxBudget: 9, totalBudget: 50, mode: 'max' });
    const limited = await inProcessRunner({ concurrency: 2 }).run(
      byBudget,
      async (t) => t.params.x as number,
      undefined,
    );
    expect(limited.reduce((sum, t) => sum + (t.budget ?? 0), 0)).toBeLessThanOrEqual(50);
    expect(catchAtoError(() => asha(specs, { minBudget: 1, maxBudget: 9 })).message).toContain(
      'needs maxConfigs or totalBudget',
    );
    expect(
      catchAtoError(() => asha(specs, { minBudget: 1, maxBudget: 9, eta: 1, maxConfigs: 3 })).message,
    ).toContain('eta must be > 1');
  });

  it('the ASHA class runs through main with __budget__', async () => {
    const search = new ASHA(
      undefined,
      { x: { param_type: 'FLOAT', param_range: [0, 1] } },
      { minBudget: 1, maxBudget: 9, maxConfigs: 27, concurrency: 3, progress: false },
    );
    const result = await search.main(async (config) => (config.x as number) - 0.01 / config.__budget__)();
    expect(result.config.__budget__).toBe(9);
    expect(result.metric).toBeGreaterThan(0.8);
  });
});

describe('RandomSearch, GridSearch and the HyperOpt base class', () => {
  it('ships RandomSearch and GridSearch', async () => {
    const space = {
      x: { param_type: 'INTEGER', param_range: [0, 4], num_samples: 5 },
      y: { param_type: 'CATEGORY', categories: ['a', 'b'] },
    };
    const grid = await new GridSearch(undefined, space, { mode: 'min', progress: false }).main(
      async (c) => (c.x as number) + (c.y === 'b' ? 0 : 10),
    )();
    expect(grid.config.toDict()).toMatchObject({ x: 0, y: 'b' });
    expect(grid.logs[0]).toHaveLength(10);
    const random = await new RandomSearch(undefined, space, { numSamples: 7, seed: 3, progress: false }).main(
      async (c) => c.x as number,
    )();
    expect(random.logs[0]).toHaveLength(7);
  });

  it('a user-written search is a few lines', async () => {
    class EveryOther extends HyperOpt {
      algorithm(specs: ParamSpec[]) {
        const points = prepareGrid(specs).filter((_, i) => i % 2 === 0);
        return {
          mode: this.mode,
          next: (trials: readonly TrialRecord[]) =>
            trials.length < points.length
              ? {
                  kind: 'trial' as const,
                  configId: trials.length,
                  params: points[trials.length]!,
                  rung: 0,
                  budget: undefined,
                }
              : { kind: 'done' as const },
          best: (trials: readonly TrialRecord[]) =>
            [...trials].sort((a, b) => (b.metric ?? 0) - (a.metric ?? 0))[0],
        };
      }
    }
    const result = await new EveryOther(
      undefined,
      { x: { param_type: 'INTEGER', param_range: [0, 9], num_samples: 10 } },
      { progress: false },
    ).main(async (c) => c.x as number)();
    expect(result.config.x).toBe(8);
    expect(result.logs[0]!.map((t) => t.params.x)).toEqual([0, 2, 4, 6, 8]);
  });

  it('all trials failing is a clear error', async () => {
    const search = new RandomSearch(
      undefined,
      { x: { param_type: 'FLOAT', param_range: [0, 1] } },
      { numSamples: 3, progress: false },
    );
    await expect(
      search.main(async () => {
        throw new Error('nope');
      })(),
    ).rejects.toThrow('no trial of the search succeeded (3 failed)');
  });
});
