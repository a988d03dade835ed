/**
 * The search classes users call: `HyperBand` (the original's interface and semantics),
 * `RandomSearch`, `GridSearch`, `ASHA`, and the `HyperOpt` base class to write others in a few lines.
 * They run trials in this process; a study store (`study` option) adds tracking, resume and workers.
 * @module
 */
import { ADict, type DictLike } from '../config/adict.js';
import { AtoError } from '../errors.js';
import type { Scope } from '../scope/scope.js';
import {
  type AshaOptions,
  asha,
  checkHyperBandOptions,
  type Decision,
  generationSizes,
  gridSearch,
  hyperBand,
  randomSearch,
  type SearchAlgorithm,
  type TrialRecord,
  trainingSteps,
  trialFromDecision,
} from './algorithms.js';
import { applyParams, type ParamSpec, parseSearchSpaces, prepareGrid } from './spaces.js';

/** What the objective is told about its trial, besides the config. */
export interface TrialInfo {
  id: number;
  configId: number;
  /** HyperBand generation / ASHA rung (also `config.__num_halved__`). */
  rung: number;
  /** The trial's budget (also `config.__budget__`), when the algorithm gives one. */
  budget: number | undefined;
}

/**
 * The objective: gets the trial's config (with `__num_halved__`, and `__budget__` when the algorithm
 * gives budgets) and the caller's arguments; returns the metric (`mode` says which way is better).
 */
export type Objective<A extends unknown[] = []> = (config: ADict, ...args: A) => number | Promise<number>;

/** One evaluated trial in the result's logs. */
export interface TrialLog {
  id: number;
  configId: number;
  rung: number;
  budget: number | undefined;
  params: Record<string, unknown>;
  metric: number | undefined;
  status: TrialRecord['status'];
  error?: string;
}

/** What a search returns. */
export interface SearchResult {
  /** The best config (with `__num_halved__` of its trial). */
  config: ADict;
  /** Its metric. */
  metric: number;
  /** Every trial, grouped by generation / rung (`logs[0]` is generation 0). */
  logs: TrialLog[][];
}

/** Progress events. */
export interface ProgressEvent {
  done: number;
  failed: number;
  running: number;
  /** Best metric so far. */
  best: number | undefined;
  /** Estimated trials in total, when known. */
  total: number | undefined;
  elapsedMs: number;
}

/** Options shared by the search classes. */
export interface HyperOptOptions {
  /** @default 'max' */
  mode?: 'max' | 'min';
  /** Trials evaluated at once in this process (for async objectives). @default 1 */
  concurrency?: number;
  /**
   * Progress: `true` (a bar on a terminal, plain lines otherwise), `false`, or a callback.
   * @default true when stderr is a terminal
   */
  progress?: boolean | ((event: ProgressEvent) => void);
  /**
   * [study] Run the search as a study in a store (see `study.ts`): trials stored and tracked as runs,
   * resumed by name, evaluated by several processes. Absent: trials run in this process, nothing stored.
   */
  study?: StudyOption;
}

/**
 * [study] Where and how a search runs as a study.
 *
 * - Resume: running a study of the same `name` again continues it (completed trials are not re-run).
 *   Another algorithm or other settings under an existing name is an error.
 * - `workers: N`: this script is started N-1 more times as worker processes (same `execArgv` and
 *   `argv`, `ATO_WORKER=1`, `ATO_STUDY`, `ATO_STUDY_URL` in their environment). They evaluate trials
 *   until the study is done and then exit (they never run the script past the search); this
 *   process works too and returns the result.
 * - Other machines: the same script, with the same PostgreSQL `url` and `name`, joins as more workers
 *   (each returns the same result).
 * - A worker that dies mid-trial: its trial is re-queued once its lease (`leaseMs`) expires.
 */
export interface StudyOption {
  /** The study's name (unique in the store). */
  name: string;
  /** The store. @default config `experiment.sql.db_path`, else `ATO_DB`, else `sqlite:///experiments.db` */
  url?: string;
  /** The tracker project of the trial runs. @default config `experiment.project_name`, else 'hyperopt' */
  project?: string;
  /** Processes on this machine, this one included. @default 1 */
  workers?: number;
  /** This worker's id (stored on its trials). @default `<host>:<pid>:<random>` */
  workerId?: string;
  /** A trial whose worker stops renewing its lease for this long (ms) is re-queued. @default 60000 */
  leaseMs?: number;
  /** How often a running trial's lease is renewed (ms). @default min(leaseMs / 3, 10000) */
  heartbeatMs?: number;
}

/** Runs an algorithm's trials. The in-process runner is the default; a study store provides another. */
export interface TrialRunner {
  run(
    algorithm: SearchAlgorithm,
    evaluate: (trial: TrialRecord) => Promise<number>,
    total: number | undefined,
  ): Promise<TrialRecord[]>;
}

/** Run trials in this process, `concurrency` at a time. A trial that throws is recorded as failed. */
export function inProcessRunner(
  options: {
    concurrency?: number;
    onProgress?: (event: ProgressEvent) => void;
    errors?: Map<number, string>;
  } = {},
): TrialRunner {
  const concurrency = Math.max(1, options.concurrency ?? 1);
  return {
    async run(algorithm, evaluate, total) {
      const trials: TrialRecord[] = [];
      const running = new Set<Promise<void>>();
      const started = Date.now();
      // counted as trials finish, so a report costs O(1) however long the study
      let done = 0;
      let failed = 0;
      let best: number | undefined;
      const better = (a: number, b: number) => (algorithm.mode === 'max' ? a > b : a < b);
      const report = (trial: TrialRecord) => {
        if (trial.status === 'completed') {
          done++;
          if (trial.metric !== undefined && (best === undefined || better(trial.metric, best)))
            best = trial.metric;
        } else failed++;
        options.onProgress?.({
          done,
          failed,
          running: running.size,
          best,
          total,
          elapsedMs: Date.now() - started,
        });
      };
      for (;;) {
        let decision: Decision = algorithm.next(trials);
        while (decision.kind === 'trial' && running.size < concurrency) {
          const trial = trialFromDecision(decision, trials.length + 1);
          trials.push(trial);
          const job = evaluate(trial)
            .then(
              (metric) => {
                if (typeof metric !== 'number' || Number.isNaN(metric))
                  throw new TypeError(`the objective returned ${String(metric)}, not a number`);
                trial.metric = metric;
                trial.status = 'completed';
              },
              (error: unknown) => {
                trial.status = 'failed';
                options.errors?.set(
                  trial.id,
                  error instanceof Error ? `${error.name}: ${error.message}` : String(error),
                );
              },
            )
            .catch((error: unknown) => {
              trial.status = 'failed';
              options.errors?.set(trial.id, error instanceof Error ? error.message : String(error));
            });
          const tracked: Promise<void> = job.finally(() => {
            running.delete(tracked);
            report(trial);
          });
          running.add(tracked);
          decision = algorithm.next(trials);
        }
        if (decision.kind === 'done' && running.size === 0) return trials;
        if (running.size === 0) {
          throw new AtoError(
            'INVALID_ARGUMENT',
            'the search algorithm waits for results but no trial is running',
            { hint: 'a custom algorithm must not return wait with nothing pending' },
          );
        }
        await Promise.race(running);
      }
    },
  };
}

/** A terminal progress bar, or a plain line at most every few seconds when stderr is not a terminal. */
export function progressPrinter(stream: NodeJS.WriteStream = process.stderr): (event: ProgressEvent) => void {
  let lastLine = 0;
  return (event) => {
    const finished = event.done + event.failed;
    const best = event.best === undefined ? '-' : Number(event.best.toPrecision(5));
    const eta =
      event.total && finished > 0
        ? `${Math.round(((event.elapsedMs / finished) * (event.total - finished)) / 1000)} s`
        : '?';
    if (stream.isTTY) {
      const width = 30;
      const filled = event.total ? Math.min(width, Math.round((finished / event.total) * width)) : 0;
      stream.write(
        `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${finished}${event.total ? `/${event.total}` : ''} trials  best ${best}  eta ${eta}  `,
      );
      if (event.total !== undefined && finished >= event.total && event.running === 0) stream.write('\n');
    } else if (Date.now() - lastLine > 2000 || (event.total !== undefined && finished >= event.total)) {
      lastLine = Date.now();
      stream.write(
        `trials ${finished}${event.total ? `/${event.total}` : ''} (failed ${event.failed}), best ${best}, eta ${eta}\n`,
      );
    }
  };
}

/**
 * Base class of the searches: give it `algorithm()` (and optionally `expectedTrials()`), and
 * `main(objective)` runs the search over the scope's resolved config.
 * @example
 * ```ts
 * class MyRandomSearch extends HyperOpt {
 *   algorithm(specs: ParamSpec[]) { return randomSearch(specs, 50, { mode: this.mode }); }
 * }
 * ```
 */
export abstract class HyperOpt {
  /** Optimisation direction. */
  readonly mode: 'max' | 'min';
  /** The validated search spaces. */
  readonly specs: ParamSpec[];
  protected readonly scope: Scope<any> | undefined;
  protected readonly options: HyperOptOptions;
  /** Errors of failed trials, by trial id. */
  protected readonly errors = new Map<number, string>();
  #runner: TrialRunner | undefined;

  constructor(scope: Scope<any> | undefined, searchSpaces: DictLike, options: HyperOptOptions = {}) {
    this.scope = scope;
    this.specs = parseSearchSpaces(searchSpaces);
    this.mode = options.mode ?? 'max';
    this.options = options;
  }

  /** The algorithm deciding the trials. */
  protected abstract algorithm(specs: ParamSpec[]): SearchAlgorithm;

  /**
   * [study] The algorithm's name and the settings a study stores: a study resumes only with the same.
   * Default: the class name, the search spaces, the mode and the options (but not `study`, `progress`
   * and `concurrency`, which do not change the search).
   */
  protected studySettings(): { algorithm: string; settings: Record<string, unknown> } {
    const { study: _study, progress: _progress, concurrency: _concurrency, ...rest } = this.options;
    return { algorithm: this.constructor.name, settings: { ...rest, mode: this.mode, specs: this.specs } };
  }

  /** How many trials the search will run, when known (for progress). */
  protected expectedTrials(): number | undefined {
    return undefined;
  }

  /** Run trials elsewhere (a study store's workers) instead of in this process. */
  useRunner(runner: TrialRunner): this {
    this.#runner = runner;
    return this;
  }

  /** The config a trial runs with: the base config, the trial's params, `__num_halved__` and `__budget__`. */
  protected trialConfig(base: ADict, trial: TrialRecord): ADict {
    const config = applyParams(base, trial.params);
    config.set('__num_halved__', trial.rung);
    if (trial.budget !== undefined) config.set('__budget__', trial.budget);
    return config;
  }

  /**
   * Wrap the objective: calling the result resolves the scope's config (reading the command line, as
   * `scope.exec` does), runs the search and returns the best config, its metric and the logs.
   */
  main<A extends unknown[]>(objective: Objective<A>): (...args: A) => Promise<SearchResult> {
    return async (...args: A) => {
      const base = this.scope ? this.scope.exec((config: ADict) => config.clone())() : new ADict();
      return this.search(base, (config) => objective(config, ...args));
    };
  }

  /** Run the search over `base` (no scope, no command line). */
  async search(
    base: ADict,
    objective: (config: ADict, trial: TrialInfo) => number | Promise<number>,
  ): Promise<SearchResult> {
    const algorithm = this.algorithm(this.specs);
    const progress = this.options.progress ?? process.stderr.isTTY === true;
    const onProgress = typeof progress === 'function' ? progress : progress ? progressPrinter() : undefined;
    const runner =
      this.#runner ??
      inProcessRunner({
        concurrency: this.options.concurrency ?? 1,
        errors: this.errors,
        ...(onProgress ? { onProgress } : {}),
      });
    const evaluate = async (trial: TrialRecord) =>
      objective(this.trialConfig(base, trial), {
        id: trial.id,
        configId: trial.configId,
        rung: trial.rung,
        budget: trial.budget,
      });
    let trials: TrialRecord[];
    const study = this.options.study;
    if (study && !this.#runner) {
      // [study] trials in the store, with local worker processes (loaded only when used)
      const { runStudySearch } = await import('./study.js');
      const url = study.url ?? base.getPath('experiment.sql.db_path') ?? process.env.ATO_DB;
      const project = study.project ?? base.getPath('experiment.project_name');
      const { algorithm: algorithmName, settings } = this.studySettings();
      const outcome = await runStudySearch(algorithm, evaluate, this.expectedTrials(), {
        name: study.name,
        url: typeof url === 'string' ? url : 'sqlite:///experiments.db',
        ...(typeof project === 'string' ? { project } : {}),
        algorithmName,
        settings,
        ...(study.workers === undefined ? {} : { workers: study.workers }),
        ...(study.workerId === undefined ? {} : { workerId: study.workerId }),
        ...(study.leaseMs === undefined ? {} : { leaseMs: study.leaseMs }),
        ...(study.heartbeatMs === undefined ? {} : { heartbeatMs: study.heartbeatMs }),
        ...(onProgress ? { onProgress } : {}),
        errors: this.errors,
      });
      // a worker process started by `workers: N` is a pure worker: the study is done, it leaves
      if (outcome.worker) process.exit(0);
      trials = outcome.trials;
    } else {
      trials = await runner.run(algorithm, evaluate, this.expectedTrials());
    }
    const best = algorithm.best(trials);
    if (!best || best.metric === undefined) {
      throw new AtoError('INVALID_ARGUMENT', `no trial of the search succeeded (${trials.length} failed)`, {
        hint: `first error: ${this.errors.values().next().value ?? 'unknown'}`,
      });
    }
    const logs: TrialLog[][] = [];
    for (const t of trials) {
      const row = logs[t.rung] ?? [];
      logs[t.rung] = row;
      const error = this.errors.get(t.id);
      row.push({
        id: t.id,
        configId: t.configId,
        rung: t.rung,
        budget: t.budget,
        params: t.params,
        metric: t.metric,
        status: t.status,
        ...(error ? { error } : {}),
      });
    }
    return {
      config: this.trialConfig(base, best),
      metric: best.metric,
      logs: Array.from(logs, (l) => l ?? []),
    };
  }
}

/** Options of {@link HyperBand}. */
export interface HyperBandSearchOptions extends HyperOptOptions {
  /** Fraction kept each generation, in (0, 1). @default 0.3 */
  halvingRate?: number;
  /** Generations go on while at least this many configs remain. @default 3 */
  numMinSamples?: number;
}

/**
 * HyperBand as the original defines it: the grid of the search spaces, laid over the scope's
 * config; each generation evaluates every survivor and keeps the best `floor(n * halvingRate)` while
 * at least `numMinSamples` remain; the best of the last generation is evaluated once more.
 * `config.__num_halved__` is the generation.
 * @example
 * ```ts
 * const hyperband = new HyperBand(scope, searchSpaces, { halvingRate: 0.3, numMinSamples: 3, mode: 'max' });
 * const train = hyperband.main(async (config) => trainAndValidate(config));
 * const { config, metric, logs } = await train();
 * ```
 */
export class HyperBand extends HyperOpt {
  readonly halvingRate: number;
  readonly numMinSamples: number;
  /** The grid of candidate configs (params by dotted name). */
  readonly grid: Record<string, unknown>[];

  constructor(scope: Scope<any> | undefined, searchSpaces: DictLike, options: HyperBandSearchOptions = {}) {
    super(scope, searchSpaces, options);
    const checked = checkHyperBandOptions(options);
    this.halvingRate = checked.halvingRate;
    this.numMinSamples = checked.numMinSamples;
    this.grid = prepareGrid(this.specs);
  }

  protected algorithm(): SearchAlgorithm {
    return hyperBand(this.grid, {
      halvingRate: this.halvingRate,
      numMinSamples: this.numMinSamples,
      mode: this.mode,
    });
  }

  /** [study] A HyperBand study is defined by its spaces and resolved options (see {@link HyperOpt.studySettings}). */
  protected override studySettings(): { algorithm: string; settings: Record<string, unknown> } {
    return {
      algorithm: 'HyperBand',
      settings: {
        specs: this.specs,
        mode: this.mode,
        halvingRate: this.halvingRate,
        numMinSamples: this.numMinSamples,
      },
    };
  }

  protected override expectedTrials(): number {
    return generationSizes(this.grid.length, this.halvingRate, this.numMinSamples).reduce((a, b) => a + b, 0);
  }

  /** The number of halving generations (as the original counts them: 3 for 60 configs, rate 0.3, minimum 3). */
  numGenerations(): number {
    return generationSizes(this.grid.length, this.halvingRate, this.numMinSamples).length - 1;
  }

  /**
   * Training steps for every generation, including the final re-evaluation (see `trainingSteps`):
   * `[9000, 30000, 100000, 100000]` where the original gives `[9000, 30000, 100000]`, so that
   * `steps[config.__num_halved__]` is defined in every generation.
   */
  computeOptimizedInitialTrainingSteps(maxSteps: number): number[] {
    return trainingSteps(this.grid.length, this.halvingRate, this.numMinSamples, maxSteps);
  }
}

/** Options of {@link RandomSearch}. */
export interface RandomSearchOptions extends HyperOptOptions {
  /** How many samples. */
  numSamples: number;
  /** @default 0 */
  seed?: number;
  budget?: number;
}

/** Random search: `numSamples` random configs (continuous spaces sampled), each evaluated once. */
export class RandomSearch extends HyperOpt {
  readonly #opts: RandomSearchOptions;
  constructor(scope: Scope<any> | undefined, searchSpaces: DictLike, options: RandomSearchOptions) {
    super(scope, searchSpaces, options);
    this.#opts = options;
  }
  protected algorithm(specs: ParamSpec[]): SearchAlgorithm {
    return randomSearch(specs, this.#opts.numSamples, {
      mode: this.mode,
      seed: this.#opts.seed ?? 0,
      ...(this.#opts.budget === undefined ? {} : { budget: this.#opts.budget }),
    });
  }
  protected override expectedTrials(): number {
    return this.#opts.numSamples;
  }
}

/** Grid search: every point of the grid, each evaluated once. */
export class GridSearch extends HyperOpt {
  protected algorithm(specs: ParamSpec[]): SearchAlgorithm {
    return gridSearch(specs, { mode: this.mode });
  }
  protected override expectedTrials(): number {
    return prepareGrid(this.specs).length;
  }
}

/** Options of {@link ASHA}. */
export type AshaSearchOptions = HyperOptOptions & Omit<AshaOptions, 'mode'>;

/**
 * ASHA: random configs start at `minBudget` and are promoted by a factor `eta` of budget as soon as
 * they are in the top `1/eta` of their rung. `config.__budget__` is the trial's budget. Run with
 * `concurrency` > 1 (or workers) to benefit from its asynchrony.
 */
export class ASHA extends HyperOpt {
  readonly #opts: AshaSearchOptions;
  constructor(scope: Scope<any> | undefined, searchSpaces: DictLike, options: AshaSearchOptions) {
    super(scope, searchSpaces, options);
    this.#opts = options;
    asha(this.specs, { ...options, mode: this.mode });
  }
  protected algorithm(specs: ParamSpec[]): SearchAlgorithm {
    return asha(specs, { ...this.#opts, mode: this.mode });
  }
}
