/**
 * Search quality at equal budget (issue 6, "Benchmarks"): HyperBand, ASHA and RandomSearch on the
 * closed-form objectives of `hpo/objectives.ts`, over 20 seeds each.
 *
 * - Every method gets the same total budget per objective: the cost of 30 full-budget evaluations.
 * - HyperBand: one bracket over random candidates (`sampleParams`), as many as the budget allows,
 *   halving rate 1/3 (0.34), budgets growing by 3x per generation to the maximum, concurrency 1.
 * - ASHA: eta 3, rungs from the objective's minimum budget to its maximum, `totalBudget`, concurrency 4
 *   (the trials' completion order follows their budgets, so promotions happen asynchronously).
 * - RandomSearch: full budget each, `total / maxBudget` samples; then 2x, 4x and 8x that many, to
 *   find how much more budget it needs to reach ASHA's median regret.
 *
 * The regret of a run is the noise-free loss at full budget of the config the method returns, minus
 * the objective's optimum. The three methods draw their configs from the same seeded sample stream.
 *
 *   npx tsx bench/hpo-quality.ts     prints the Markdown table for bench/RESULTS.md
 * @module
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import {
  asha,
  ashaRungs,
  hyperBand,
  randomSearch,
  type SearchAlgorithm,
  type TrialRecord,
} from '../src/hyperopt/algorithms.js';
import { inProcessRunner } from '../src/hyperopt/search.js';
import { type ParamSpec, parseSearchSpaces, sampleParams, seededRandom } from '../src/hyperopt/spaces.js';
import type { Figure } from './harness.js';
import { objectives as allObjectives, type HpoObjective } from './hpo/objectives.js';

/** Seeds per method and objective. */
export const SEEDS = 20;
/** The total budget of a run, in full-budget evaluations. */
export const FULL_EVALUATIONS = 30;
/** The multiples of RandomSearch's budget tried to match ASHA. */
export const RANDOM_MULTIPLES = [1, 2, 4, 8] as const;
/** HyperBand's and ASHA's reduction factor. */
const ETA = 3;
/** HyperBand's halving rate: keeps floor(n * 0.34), a third (27 of 81, 9 of 27, ...). */
const HALVING_RATE = 0.34;

/** Quartiles of a list (linear interpolation between order statistics, as numpy's default). */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Median and quartiles of the regrets of one method on one objective. */
export interface RegretSummary {
  method: string;
  q1: number;
  median: number;
  q3: number;
  /** The budget actually spent per run (median). */
  spent: number;
  /** Trials per run (median). */
  trials: number;
  regrets: number[];
}

/** The results of one objective. */
export interface ObjectiveResult {
  objective: string;
  totalBudget: number;
  maxBudget: number;
  methods: RegretSummary[];
  /** RandomSearch's summaries at 1x, 2x, 4x, 8x the budget. */
  random: { multiple: number; summary: RegretSummary }[];
  /** Budget multiple RandomSearch needs to reach ASHA's median regret (Infinity: more than 8x). */
  randomMultipleToMatchAsha: number;
}

/** The whole benchmark's results. */
export interface HpoQualityResult {
  objectives: ObjectiveResult[];
  seeds: number;
  elapsedMs: number;
}

/** HyperBand's generation sizes for `n` candidates (as `generationSizes` in algorithms.ts). */
function hyperBandSizes(n: number, numMinSamples: number): number[] {
  const sizes = [n];
  for (let next = Math.floor(n * HALVING_RATE); next >= numMinSamples; next = Math.floor(next * HALVING_RATE))
    sizes.push(next);
  sizes.push(1);
  return sizes;
}

/** A HyperBand bracket: candidates, minimum generation size, budget per generation, total cost. */
export interface HyperBandPlan {
  candidates: number;
  numMinSamples: number;
  budgets: number[];
  cost: number;
}

/**
 * The HyperBand bracket with the most candidates whose cost fits the total budget, with one halving
 * generation per ASHA rung (budgets `min * 3^g` up to the maximum, which the final re-evaluation of
 * the best gets again): `numMinSamples` is chosen so that the halving stops at the maximum budget.
 */
export function hyperBandPlan(objective: HpoObjective, totalBudget: number): HyperBandPlan {
  const rungs = ashaRungs(objective.minBudget, objective.maxBudget, ETA);
  const budgets = [...rungs, objective.maxBudget];
  let best: HyperBandPlan | undefined;
  for (let n = 1; n < 100_000; n++) {
    let fitted = false;
    for (let m = 1; m <= n; m++) {
      const sizes = hyperBandSizes(n, m);
      if (sizes.length - 1 > rungs.length) continue;
      if (sizes.length - 1 < rungs.length) break;
      const cost = sizes.reduce((sum, size, g) => sum + size * budgets[g]!, 0);
      if (cost <= totalBudget) {
        best = { candidates: n, numMinSamples: m, budgets, cost };
        fitted = true;
      }
      break;
    }
    // costs grow with n: stop once neither this n nor a few more fit
    if (!fitted && best && n > best.candidates * 1.5) break;
  }
  if (!best) throw new Error(`${objective.name}: no HyperBand bracket fits the budget ${totalBudget}`);
  return best;
}

interface RunOutcome {
  regret: number;
  spent: number;
  trials: number;
}

async function runOne(
  objective: HpoObjective,
  algorithm: SearchAlgorithm,
  concurrency: number,
  seed: number,
): Promise<RunOutcome> {
  const runner = inProcessRunner({ concurrency });
  const evaluate = async (trial: TrialRecord) => {
    const budget = trial.budget ?? objective.maxBudget;
    // A trial's duration grows with its budget (in microtask turns), so that with concurrency > 1
    // cheap trials finish before expensive ones, as they would on real workers.
    for (let i = Math.ceil(budget / objective.minBudget); i > 0; i--) await undefined;
    return objective.evaluate(trial.params, budget, seed * 1_000_003 + trial.id);
  };
  const trials = await runner.run(algorithm, evaluate, undefined);
  const best = algorithm.best(trials);
  if (!best) throw new Error(`${objective.name}: no trial completed`);
  return {
    regret: objective.trueLoss(best.params) - objective.optimum,
    spent: trials.reduce((sum, t) => sum + (t.budget ?? objective.maxBudget), 0),
    trials: trials.length,
  };
}

function summarize(method: string, outcomes: RunOutcome[]): RegretSummary {
  const regrets = outcomes.map((o) => o.regret);
  return {
    method,
    q1: quantile(regrets, 0.25),
    median: quantile(regrets, 0.5),
    q3: quantile(regrets, 0.75),
    spent: quantile(
      outcomes.map((o) => o.spent),
      0.5,
    ),
    trials: quantile(
      outcomes.map((o) => o.trials),
      0.5,
    ),
    regrets,
  };
}

/**
 * The first budget multiple at which RandomSearch's median regret reaches `target`, interpolated
 * (log-linearly in the multiple) between the two multiples around it; 1 when 1x already matches,
 * Infinity when 8x does not.
 */
export function multipleToMatch(
  random: readonly { multiple: number; median: number }[],
  target: number,
): number {
  for (const [i, point] of random.entries()) {
    if (point.median > target) continue;
    if (i === 0) return point.multiple;
    const prev = random[i - 1]!;
    const span = prev.median - point.median;
    const t = span > 0 ? (prev.median - target) / span : 1;
    return prev.multiple * (point.multiple / prev.multiple) ** t;
  }
  return Number.POSITIVE_INFINITY;
}

/** Run one objective over all seeds. */
export async function benchObjective(
  objective: HpoObjective,
  seeds = SEEDS,
  multiples: readonly number[] = RANDOM_MULTIPLES,
): Promise<ObjectiveResult> {
  const specs: ParamSpec[] = parseSearchSpaces(objective.space);
  const totalBudget = FULL_EVALUATIONS * objective.maxBudget;
  const plan = hyperBandPlan(objective, totalBudget);
  const hb: RunOutcome[] = [];
  const as: RunOutcome[] = [];
  const rs = new Map<number, RunOutcome[]>(multiples.map((m) => [m, []]));
  for (let seed = 0; seed < seeds; seed++) {
    const candidates = Array.from({ length: plan.candidates }, (_, i) =>
      sampleParams(specs, seededRandom(seed * 1_000_003 + i)),
    );
    hb.push(
      await runOne(
        objective,
        hyperBand(candidates, {
          halvingRate: HALVING_RATE,
          numMinSamples: plan.numMinSamples,
          mode: 'min',
          budgets: plan.budgets,
        }),
        1,
        seed,
      ),
    );
    as.push(
      await runOne(
        objective,
        asha(specs, {
          eta: ETA,
          minBudget: objective.minBudget,
          maxBudget: objective.maxBudget,
          totalBudget,
          mode: 'min',
          seed,
        }),
        4,
        seed,
      ),
    );
    for (const m of multiples) {
      const n = Math.floor((m * totalBudget) / objective.maxBudget);
      rs.get(m)!.push(
        await runOne(
          objective,
          randomSearch(specs, n, { mode: 'min', budget: objective.maxBudget, seed }),
          1,
          seed,
        ),
      );
    }
  }
  const random = multiples.map((m) => ({
    multiple: m,
    summary: summarize(`RandomSearch ${m}x`, rs.get(m)!),
  }));
  const ashaSummary = summarize('ASHA', as);
  return {
    objective: objective.name,
    totalBudget,
    maxBudget: objective.maxBudget,
    methods: [
      summarize(`HyperBand (${plan.candidates} configs, budgets ${plan.budgets.join('/')})`, hb),
      ashaSummary,
      random[0]!.summary,
    ],
    random,
    randomMultipleToMatchAsha: multipleToMatch(
      random.map((r) => ({ multiple: r.multiple, median: r.summary.median })),
      ashaSummary.median,
    ),
  };
}

/** Run the whole quality benchmark. */
export async function runHpoQuality(
  objectives: readonly HpoObjective[] = allObjectives,
  seeds = SEEDS,
  multiples: readonly number[] = RANDOM_MULTIPLES,
): Promise<HpoQualityResult> {
  const start = performance.now();
  const results: ObjectiveResult[] = [];
  for (const objective of objectives) results.push(await benchObjective(objective, seeds, multiples));
  return { objectives: results, seeds, elapsedMs: performance.now() - start };
}

function fmt(value: number): string {
  if (value === 0) return '0';
  if (Math.abs(value) >= 100) return value.toFixed(0);
  return Number(value.toPrecision(3)).toString();
}

function formatMultiple(multiple: number, tried: readonly { multiple: number }[]): string {
  if (!Number.isFinite(multiple)) return `> ${tried.at(-1)?.multiple}x`;
  if (multiple <= 1) return '<= 1x';
  return `${multiple.toFixed(1)}x`;
}

function regretText(s: RegretSummary): string {
  return `${fmt(s.median)} [${fmt(s.q1)}, ${fmt(s.q3)}]`;
}

/** The figures (`npm run bench`): median [q1, q3] regret per method, beside RandomSearch's at 1x. */
export function hpoQualityFigures(result: HpoQualityResult): Figure[] {
  const figures: Figure[] = [];
  for (const o of result.objectives) {
    const baseline = o.random[0]!.summary;
    for (const s of o.methods) {
      figures.push({
        name: `${o.objective}: ${s.method} regret, median [q1, q3] of ${result.seeds} seeds, budget ${o.totalBudget}`,
        value: regretText(s),
        baseline: `RandomSearch 1x ${regretText(baseline)}`,
        ratio: baseline.median > 0 ? `${(s.median / baseline.median).toFixed(2)}x` : '-',
      });
    }
    figures.push({
      name: `${o.objective}: RandomSearch budget to match ASHA's median regret`,
      value: formatMultiple(o.randomMultipleToMatchAsha, o.random),
      baseline: o.random.map((r) => `${r.multiple}x ${fmt(r.summary.median)}`).join(', '),
      ratio: '-',
    });
  }
  return figures;
}

/** The results as a Markdown table (rows per objective and method), for bench/RESULTS.md. */
export function hpoQualityMarkdown(result: HpoQualityResult): string {
  const lines = [
    `Final regret (noise-free loss at full budget of the returned config, minus the optimum) over ${result.seeds} seeds, at equal total budget (${FULL_EVALUATIONS} full-budget evaluations); run time ${(result.elapsedMs / 1000).toFixed(1)} s.`,
    '',
    '| objective | total budget | method | trials (median) | regret median | q1 | q3 | RandomSearch budget to match ASHA |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const o of result.objectives) {
    for (const [i, s] of o.methods.entries()) {
      lines.push(
        `| ${o.objective} | ${o.totalBudget} | ${s.method} | ${fmt(s.trials)} | ${fmt(s.median)} | ${fmt(s.q1)} | ${fmt(s.q3)} | ${i === 0 ? formatMultiple(o.randomMultipleToMatchAsha, o.random) : ''} |`,
      );
    }
    for (const r of o.random.slice(1)) {
      const s = r.summary;
      lines.push(
        `| ${o.objective} | ${o.totalBudget * r.multiple} | ${s.method} | ${fmt(s.trials)} | ${fmt(s.median)} | ${fmt(s.q1)} | ${fmt(s.q3)} | |`,
      );
    }
  }
  return lines.join('\n');
}

let lastResult: HpoQualityResult | undefined;

/** The suite of `bench/run.ts`: runs the benchmark and returns its figures. */
export async function runHpoQualityBench(): Promise<Figure[]> {
  lastResult = await runHpoQuality();
  const figures = hpoQualityFigures(lastResult);
  figures.push({
    name: 'HPO quality benchmark run time',
    value: `${(lastResult.elapsedMs / 1000).toFixed(1)} s`,
    baseline: '-',
    ratio: '-',
  });
  return figures;
}

/** The Markdown table of the last {@link runHpoQualityBench} (or of a fresh run). */
export async function hpoQualityMarkdownRows(): Promise<string> {
  lastResult ??= await runHpoQuality();
  return hpoQualityMarkdown(lastResult);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(await hpoQualityMarkdownRows());
}
