/**
 * SQLFinder: questions about the runs in a store. A thin layer over `queries.ts` (which the CLI and
 * the dashboard call too). Missing projects and runs give empty results or `undefined`.
 * @module
 */
import { ADict, type DictLike } from '../config/adict.js';
import { type Backend, openBackend } from './backend.js';
import {
  type BestRunOptions,
  bestRun,
  compare,
  listRuns,
  loadRun,
  metricHistory,
  type QueryOptions,
  similarRuns,
  similarRunsByTrace,
  traceStatistics,
} from './queries.js';
import type { MetricPoint, Run, RunComparison, RunFilter, TraceStatistics } from './types.js';

/**
 * Queries over a store. Opens its connection on the first query; `close()` releases it.
 * @example
 * ```ts
 * const finder = new SQLFinder(config);              // or new SQLFinder('sqlite:///experiments.db')
 * const best = await finder.findBestRun('image_classification', 'val_accuracy', 'max');
 * const diff = await finder.compareRuns(best!.id, otherId);
 * ```
 */
export class SQLFinder {
  /** The store URL. */
  readonly url: string;
  readonly #options: QueryOptions;
  #backend: Promise<Backend> | undefined;

  /**
   * @param source a store URL, or a config whose `experiment.sql.db_path` names it (default `ATO_DB`,
   *   else `sqlite:///experiments.db`)
   */
  constructor(source: string | ADict | DictLike, options: QueryOptions = {}) {
    if (typeof source === 'string') this.url = source;
    else {
      const config = ADict.isADict(source) ? source : new ADict(source);
      this.url = config.getPath('experiment.sql.db_path') ?? process.env.ATO_DB ?? 'sqlite:///experiments.db';
    }
    this.#options = options;
  }

  async #db() {
    this.#backend ??= openBackend(this.url);
    try {
      return (await this.#backend).db;
    } catch (error) {
      this.#backend = undefined;
      throw error;
    }
  }

  /** The runs of a project, most recent first (summaries, no history); `[]` for an unknown project. */
  async getRunsInProject(project: string, filter: Omit<RunFilter, 'project'> = {}): Promise<Run[]> {
    return listRuns(await this.#db(), { ...filter, project }, this.#options);
  }

  /** Runs matching a filter (project, status, tags, config values), most recent first. */
  async findRuns(filter: RunFilter = {}): Promise<Run[]> {
    return listRuns(await this.#db(), filter, this.#options);
  }

  /** One run with its full metric history, artifacts and fingerprint history; `undefined` if unknown. */
  async findRun(runId: number): Promise<Run | undefined> {
    return loadRun(await this.#db(), runId, this.#options);
  }

  /** The run of a project with the best value of a metric; `undefined` when none logged it. */
  async findBestRun(
    project: string,
    metric: string,
    mode: 'max' | 'min' = 'max',
    options: Omit<BestRunOptions, keyof QueryOptions> = {},
  ) {
    return bestRun(await this.#db(), project, metric, mode, { ...this.#options, ...options });
  }

  /** Runs with the same structural hash (same config keys and types). */
  async findSimilarRuns(runId: number): Promise<Run[]> {
    return similarRuns(await this.#db(), runId, this.#options);
  }

  /** Runs with the same code (`static`) or output (`runtime`) fingerprint for a trace. */
  async findSimilarRunsByTrace(
    runId: number,
    traceId: string,
    type: 'static' | 'runtime' = 'static',
  ): Promise<Run[]> {
    return similarRunsByTrace(await this.#db(), runId, traceId, type, this.#options);
  }

  /** How many versions of a trace's code and output a project has seen. */
  async getTraceStatistics(project: string, traceId: string): Promise<TraceStatistics> {
    return traceStatistics(await this.#db(), project, traceId);
  }

  /** A run's metric points (one key or all). */
  async getMetricHistory(runId: number, key?: string): Promise<Record<string, MetricPoint[]>> {
    return metricHistory(await this.#db(), runId, key);
  }

  /** What differs between two runs; `undefined` when either is unknown. */
  async compareRuns(a: number, b: number): Promise<RunComparison | undefined> {
    const [ra, rb] = await Promise.all([this.findRun(a), this.findRun(b)]);
    return ra && rb ? compare(ra, rb) : undefined;
  }

  /** Close the connection. */
  async close(): Promise<void> {
    const backend = this.#backend;
    this.#backend = undefined;
    if (backend) await (await backend).close();
  }
}
