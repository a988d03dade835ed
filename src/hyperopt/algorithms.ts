/**
 * The search algorithms as pure decisions: given every trial of a study so far, what to run next.
 * Nothing here keeps state between calls, so any worker holding the study's lock can decide for the
 * study (in one process, several, or several machines sharing a store): the same trials give the
 * same decision. Random choices are seeded by the study seed and the config number.
 * @module
 */
import { AtoError } from '../errors.js';
import { type ParamSpec, prepareGrid, sampleParams, seededRandom } from './spaces.js';

/** One trial of a study. */
export interface TrialRecord {
  /** Unique, increasing in creation order. */
  id: number;
  /** Which candidate config (grid index or sample number). */
  configId: number;
  params: Record<string, unknown>;
  /** HyperBand: the generation (`__num_halved__`); ASHA: the rung. */
  rung: number;
  /** The budget (steps, epochs, ...) given to the trial, when the algorithm has one. */
  budget: number | undefined;
  status: 'pending' | 'running' | 'completed' | 'failed';
  /** The objective's value (completed trials). */
  metric: number | undefined;
}

/** What to do next. */
export type Decision =
  | {
      kind: 'trial';
      configId: number;
      params: Record<string, unknown>;
      rung: number;
      budget: number | undefined;
    }
  | { kind: 'wait' }
  | { kind: 'done' };

/** A `running` trial for a `trial` decision. */
export function trialFromDecision(decision: Extract<Decision, { kind: 'trial' }>, id: number): TrialRecord {
  const { configId, params, rung, budget } = decision;
  return { id, configId, params, rung, budget, status: 'running', metric: undefined };
}

/** A search algorithm: pure decisions over the trials so far. */
export interface SearchAlgorithm {
  /** Optimise towards larger (`max`) or smaller (`min`) metrics. */
  readonly mode: 'max' | 'min';
  /** The next trial to run, `wait` (results pending), or `done`. */
  next(trials: readonly TrialRecord[]): Decision;
  /** The best completed trial (the algorithm's answer), or undefined. */
  best(trials: readonly TrialRecord[]): TrialRecord | undefined;
}

/** Better-first comparison of completed trials (failed and unfinished last; ties by config, then id). */
export function compareTrials(mode: 'max' | 'min') {
  return (a: TrialRecord, b: TrialRecord): number => {
    const ma =
      a.status === 'completed' && a.metric !== undefined && !Number.isNaN(a.metric) ? a.metric : undefined;
    const mb =
      b.status === 'completed' && b.metric !== undefined && !Number.isNaN(b.metric) ? b.metric : undefined;
    if (ma === undefined || mb === undefined)
      return ma === mb ? a.configId - b.configId || a.id - b.id : ma === undefined ? 1 : -1;
    if (ma !== mb) return mode === 'max' ? mb - ma : ma - mb;
    return a.configId - b.configId || a.id - b.id;
  };
}

function isFinished(t: TrialRecord): boolean {
  return t.status === 'completed' || t.status === 'failed';
}

function bestOf(trials: readonly TrialRecord[], mode: 'max' | 'min'): TrialRecord | undefined {
  const done = trials.filter(
    (t) => t.status === 'completed' && t.metric !== undefined && !Number.isNaN(t.metric),
  );
  return done.sort(compareTrials(mode))[0];
}

/** Options of {@link hyperBand}. */
export interface HyperBandOptions {
  /** Fraction of each generation kept for the next, in (0, 1). @default 0.3 */
  halvingRate?: number;
  /** Generations go on while at least this many configs remain. @default 3 */
  numMinSamples?: number;
  /** @default 'max' */
  mode?: 'max' | 'min';
  /** Budget per generation (see {@link trainingSteps}); undefined budgets when not given. */
  budgets?: readonly number[];
}

/** Validate HyperBand options. */
export function checkHyperBandOptions(
  options: HyperBandOptions,
): Required<Omit<HyperBandOptions, 'budgets'>> {
  const halvingRate = options.halvingRate ?? 0.3;
  const numMinSamples = options.numMinSamples ?? 3;
  if (!(halvingRate > 0 && halvingRate < 1)) {
    throw new AtoError('INVALID_ARGUMENT', `halvingRate must be in (0, 1), found ${halvingRate}`, {
      location: { input: 'halvingRate' },
      hint: 'e.g. 0.3 keeps the best 30% of each generation',
    });
  }
  if (!Number.isSafeInteger(numMinSamples) || numMinSamples < 1) {
    throw new AtoError('INVALID_ARGUMENT', `numMinSamples must be an integer >= 1, found ${numMinSamples}`, {
      location: { input: 'numMinSamples' },
    });
  }
  return { halvingRate, numMinSamples, mode: options.mode ?? 'max' };
}

/**
 * The generation sizes HyperBand runs for `n` configs: each keeps `floor(size * halvingRate)` while at
 * least `numMinSamples` remain; a final generation of 1 re-evaluates the best. 60 configs, rate 0.3,
 * minimum 3: `[60, 18, 5, 1]` (84 evaluations).
 */
export function generationSizes(n: number, halvingRate: number, numMinSamples: number): number[] {
  const sizes = [n];
  for (let next = Math.floor(n * halvingRate); next >= numMinSamples; next = Math.floor(next * halvingRate))
    sizes.push(next);
  sizes.push(1);
  return sizes;
}

/**
 * A budget for every generation, the last halving generation and the final re-evaluation getting
 * `maxSteps`, each earlier one `halvingRate` times the next (truncated): for 60 configs, rate 0.3,
 * minimum 3 and 100,000 steps, `[9000, 30000, 100000, 100000]`. The original returns the first three
 * only, so its last generation (`__num_halved__` 3) has no budget; here `steps[config.__num_halved__]`
 * is defined for every generation.
 */
export function trainingSteps(
  n: number,
  halvingRate: number,
  numMinSamples: number,
  maxSteps: number,
): number[] {
  const halving = generationSizes(n, halvingRate, numMinSamples).length - 1;
  const steps: number[] = [];
  for (let g = 0; g < halving; g++)
    steps.push(Math.trunc(maxSteps * halvingRate ** (halving - 1 - g) + 1e-9));
  steps.push(maxSteps);
  return steps;
}

/**
 * HyperBand with the original's semantics, over a fixed list of candidate configs (the grid):
 * generation `g` (the trial's `rung`, the config's `__num_halved__`) evaluates every survivor of
 * generation `g - 1`; the best `floor(n * halvingRate)` survive while at least `numMinSamples` do;
 * then the best of the last generation is evaluated once more. Failed trials rank last.
 */
export function hyperBand(
  candidates: readonly Record<string, unknown>[],
  options: HyperBandOptions = {},
): SearchAlgorithm {
  const { halvingRate, numMinSamples, mode } = checkHyperBandOptions(options);
  const compare = compareTrials(mode);
  const budgetOf = (rung: number) => options.budgets?.[Math.min(rung, options.budgets.length - 1)];
  if (candidates.length === 0)
    throw new AtoError('INVALID_ARGUMENT', 'HyperBand needs at least one candidate config');

  return {
    mode,
    next(trials) {
      let survivors = candidates.map((_, i) => i);
      let final = false;
      for (let rung = 0; ; rung++) {
        const byConfig = new Map(trials.filter((t) => t.rung === rung).map((t) => [t.configId, t]));
        const missing = survivors.find((c) => !byConfig.has(c));
        if (missing !== undefined) {
          return {
            kind: 'trial',
            configId: missing,
            params: { ...candidates[missing]! },
            rung,
            budget: budgetOf(rung),
          };
        }
        if (survivors.some((c) => !isFinished(byConfig.get(c)!))) return { kind: 'wait' };
        if (final) return { kind: 'done' };
        const ranked = survivors.map((c) => byConfig.get(c)!).sort(compare);
        const keep = Math.floor(survivors.length * halvingRate);
        // keep the best while enough remain; otherwise evaluate the best once more and stop
        final = keep < numMinSamples;
        survivors = ranked.slice(0, final ? 1 : keep).map((t) => t.configId);
      }
    },
    best(trials) {
      const last = Math.max(-1, ...trials.filter((t) => t.status === 'completed').map((t) => t.rung));
      return bestOf(
        trials.filter((t) => t.rung === last),
        mode,
      );
    },
  };
}

/** Options of {@link asha}. */
export interface AshaOptions {
  /** Reduction factor: the top 1/eta of a rung is promoted. @default 3 */
  eta?: number;
  /** Budget of rung 0. */
  minBudget: number;
  /** Largest budget (the top rung's, at most). */
  maxBudget: number;
  /** How many configs to sample at most. @default unlimited (then `totalBudget` is needed) */
  maxConfigs?: number;
  /** Stop starting trials once the issued trials' budgets would exceed this. @default unlimited */
  totalBudget?: number;
  /** @default 'max' */
  mode?: 'max' | 'min';
  /** Seed of the config samples. @default 0 */
  seed?: number;
}

/** The rung budgets of ASHA: `minBudget * eta^k` up to `maxBudget`. */
export function ashaRungs(minBudget: number, maxBudget: number, eta: number): number[] {
  const rungs: number[] = [];
  for (let b = minBudget; b <= maxBudget * (1 + 1e-12); b *= eta) rungs.push(b);
  return rungs;
}

/**
 * ASHA (asynchronous successive halving, Li et al. 2020) over random samples of the spaces: a
 * config is promoted to the next rung as soon as it is in the top `1/eta` of the completed trials of
 * its rung; otherwise a new config starts at rung 0. Nobody waits for stragglers.
 */
export function asha(specs: readonly ParamSpec[], options: AshaOptions): SearchAlgorithm {
  const eta = options.eta ?? 3;
  const mode = options.mode ?? 'max';
  const seed = options.seed ?? 0;
  if (!(eta > 1))
    throw new AtoError('INVALID_ARGUMENT', `eta must be > 1, found ${eta}`, { location: { input: 'eta' } });
  if (!(options.minBudget > 0 && options.maxBudget >= options.minBudget)) {
    throw new AtoError(
      'INVALID_ARGUMENT',
      `need 0 < minBudget <= maxBudget, found ${options.minBudget} and ${options.maxBudget}`,
      {
        location: { input: 'minBudget' },
      },
    );
  }
  if (options.maxConfigs === undefined && options.totalBudget === undefined) {
    throw new AtoError('INVALID_ARGUMENT', 'ASHA needs maxConfigs or totalBudget to know when to stop', {
      hint: 'pass { maxConfigs: 100 }',
    });
  }
  const rungs = ashaRungs(options.minBudget, options.maxBudget, eta);
  const compare = compareTrials(mode);
  return {
    mode,
    next(trials) {
      const spent = trials.reduce((sum, t) => sum + (t.budget ?? 0), 0);
      const fits = (budget: number) =>
        options.totalBudget === undefined || spent + budget <= options.totalBudget + 1e-9;
      // promote, from the top rung down
      for (let k = rungs.length - 2; k >= 0; k--) {
        const done = trials.filter((t) => t.rung === k && t.status === 'completed').sort(compare);
        const top = done.slice(0, Math.floor(done.length / eta));
        const promoted = new Set(trials.filter((t) => t.rung === k + 1).map((t) => t.configId));
        const candidate = top.find((t) => !promoted.has(t.configId));
        if (candidate && fits(rungs[k + 1]!)) {
          return {
            kind: 'trial',
            configId: candidate.configId,
            params: { ...candidate.params },
            rung: k + 1,
            budget: rungs[k + 1],
          };
        }
      }
      const configs = new Set(trials.map((t) => t.configId)).size;
      if ((options.maxConfigs === undefined || configs < options.maxConfigs) && fits(rungs[0]!)) {
        const configId = configs === 0 ? 0 : Math.max(...trials.map((t) => t.configId)) + 1;
        return {
          kind: 'trial',
          configId,
          params: sampleParams(specs, seededRandom(seed * 1_000_003 + configId)),
          rung: 0,
          budget: rungs[0],
        };
      }
      return trials.some((t) => !isFinished(t)) ? { kind: 'wait' } : { kind: 'done' };
    },
    best(trials) {
      // the best of the highest rung reached
      const top = Math.max(-1, ...trials.filter((t) => t.status === 'completed').map((t) => t.rung));
      return bestOf(
        trials.filter((t) => t.rung === top),
        mode,
      );
    },
  };
}

/** Options of {@link randomSearch} and {@link gridSearch}. */
export interface FlatSearchOptions {
  /** @default 'max' */
  mode?: 'max' | 'min';
  /** Budget of every trial. */
  budget?: number;
  /** Seed of the samples (random search). @default 0 */
  seed?: number;
}

/** Evaluate a fixed list of configs once each, in order, at one budget. */
export function fixedList(
  configs: readonly Record<string, unknown>[],
  options: FlatSearchOptions = {},
): SearchAlgorithm {
  const mode = options.mode ?? 'max';
  return {
    mode,
    next(trials) {
      const issued = new Set(trials.map((t) => t.configId));
      const configId = configs.findIndex((_, i) => !issued.has(i));
      if (configId >= 0)
        return {
          kind: 'trial',
          configId,
          params: { ...configs[configId]! },
          rung: 0,
          budget: options.budget,
        };
      return trials.some((t) => !isFinished(t)) ? { kind: 'wait' } : { kind: 'done' };
    },
    best: (trials) => bestOf(trials, mode),
  };
}

/** Random search: `n` samples of the spaces (continuous ones sampled), each evaluated once. */
export function randomSearch(
  specs: readonly ParamSpec[],
  n: number,
  options: FlatSearchOptions = {},
): SearchAlgorithm {
  const seed = options.seed ?? 0;
  return fixedList(
    Array.from({ length: n }, (_, i) => sampleParams(specs, seededRandom(seed * 1_000_003 + i))),
    options,
  );
}

/** Grid search: every point of the grid, each evaluated once. */
export function gridSearch(specs: readonly ParamSpec[], options: FlatSearchOptions = {}): SearchAlgorithm {
  return fixedList(prepareGrid(specs), options);
}
