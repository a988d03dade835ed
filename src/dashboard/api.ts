/**
 * The dashboard's data: plain `(store, params) => data` functions over the tracker's query functions
 * (`listRuns`, `loadRun`, `metricHistory`, `compare`, `traceStatistics`, `hydrateRuns`). Every value
 * returned is JSON-safe; the server only serialises it. Nothing here writes to the store.
 * @module
 */
import { isDeepStrictEqual } from 'node:util';
import type { Kysely } from 'kysely';
import { AtoError } from '../errors.js';
import {
  compare,
  hydrateRuns,
  listRuns,
  loadRun,
  metricHistory,
  type QueryOptions,
  traceStatistics,
} from '../tracker/queries.js';
import type { Database } from '../tracker/schema.js';
import { listStudies, loadStudy, type StudyDetail, type StudyListItem } from '../tracker/studies.js';
import type { MetricPoint, Run, RunFilter, RunRow, RunStatus } from '../tracker/types.js';

/** What the API functions need of a store: its query builder. */
export interface DashboardStore {
  readonly db: Kysely<Database>;
}

/** Default number of points per series sent to the browser. */
export const DEFAULT_POINTS = 1000;
/** Most points per series a client may ask for. */
export const MAX_POINTS = 20_000;
const STATUSES: readonly RunStatus[] = ['running', 'completed', 'failed', 'interrupted', 'crashed'];

// ---------------------------------------------------------------------------------------------------
// Downsampling

/** A series as columns: `x[i]`, `y[i]`. */
export interface Series {
  x: number[];
  y: (number | null)[];
}

/**
 * Largest-triangle-three-buckets: at most `threshold` points keeping the series' shape. The first and
 * last points are always kept, and so are the global minimum and maximum (each replaces the point
 * chosen nearest to it), so a spike never disappears. Non-finite values are kept as `null` gaps.
 */
export function lttb(x: ArrayLike<number>, y: ArrayLike<number>, threshold: number): Series {
  const n = Math.min(x.length, y.length);
  const out = (indices: number[]): Series => ({
    x: indices.map((i) => x[i]!),
    y: indices.map((i) => (Number.isFinite(y[i]!) ? y[i]! : null)),
  });
  const all = () => Array.from({ length: n }, (_, i) => i);
  if (threshold >= n || n <= 2) return out(all());
  if (threshold < 3) threshold = Math.min(n, 3);
  const value = (i: number) => (Number.isFinite(y[i]!) ? y[i]! : 0);
  const selected: number[] = [0];
  const every = (n - 2) / (threshold - 2);
  let a = 0;
  for (let bucket = 0; bucket < threshold - 2; bucket++) {
    // average of the next bucket
    const nextStart = Math.floor((bucket + 1) * every) + 1;
    const nextEnd = Math.min(Math.floor((bucket + 2) * every) + 1, n);
    let avgX = 0;
    let avgY = 0;
    const span = Math.max(1, nextEnd - nextStart);
    for (let i = nextStart; i < nextEnd; i++) {
      avgX += x[i]!;
      avgY += value(i);
    }
    if (nextEnd <= nextStart) {
      avgX = x[n - 1]!;
      avgY = value(n - 1);
    } else {
      avgX /= span;
      avgY /= span;
    }
    const start = Math.floor(bucket * every) + 1;
    const end = Math.min(Math.floor((bucket + 1) * every) + 1, n - 1);
    const ax = x[a]!;
    const ay = value(a);
    let best = start;
    let bestArea = -1;
    for (let i = start; i < end; i++) {
      const area = Math.abs((ax - avgX) * (value(i) - ay) - (ax - x[i]!) * (avgY - ay));
      if (area > bestArea) {
        bestArea = area;
        best = i;
      }
    }
    selected.push(best);
    a = best;
  }
  selected.push(n - 1);
  // keep the extremes: each replaces the selected point nearest to it (never the first or last)
  let min = -1;
  let max = -1;
  for (let i = 0; i < n; i++) {
    const v = y[i]!;
    if (!Number.isFinite(v)) continue;
    if (min < 0 || v < y[min]!) min = i;
    if (max < 0 || v > y[max]!) max = i;
  }
  const keep = new Set<number>([0, n - 1]);
  for (const extreme of [min, max]) {
    if (extreme < 0 || selected.includes(extreme)) {
      keep.add(extreme);
      continue;
    }
    let nearest = -1;
    for (let p = 1; p < selected.length - 1; p++) {
      if (keep.has(selected[p]!)) continue;
      if (nearest < 0 || Math.abs(selected[p]! - extreme) < Math.abs(selected[nearest]! - extreme))
        nearest = p;
    }
    if (nearest >= 0) selected[nearest] = extreme;
    keep.add(extreme);
  }
  selected.sort((p, q) => p - q);
  return out(selected);
}

/** Downsample one metric's points (by step) to at most `points`. */
export function downsample(points: readonly MetricPoint[], max: number): Series & { total: number } {
  const x = points.map((p) => p.step);
  const y = points.map((p) => p.value);
  return { ...lttb(x, y, max), total: points.length };
}

function clampPoints(points: number | undefined): number {
  if (points === undefined || !Number.isFinite(points)) return DEFAULT_POINTS;
  return Math.max(3, Math.min(MAX_POINTS, Math.floor(points)));
}

// ---------------------------------------------------------------------------------------------------
// Runs

/** Parameters of {@link runsList}. */
export interface RunsListParams {
  project?: string;
  status?: readonly string[];
  tags?: readonly string[];
  /** Config filters as `key=value` (the value parsed as JSON when it is JSON, like `ato runs --where`). */
  where?: readonly string[];
  /** `started` (default), `id`, `project`, `status`, `duration`, `metric.<key>` (last value) or `config.<key>`. */
  sort?: string;
  /** @default 'desc' */
  order?: 'asc' | 'desc';
  /** @default 0 */
  offset?: number;
  /** @default 50 (at most 1000) */
  limit?: number;
}

/** A run as a row of the runs table. */
export interface RunListItem {
  id: number;
  uid: string;
  project: string;
  status: RunStatus;
  tags: string[];
  startedAt: string;
  endedAt: string | undefined;
  durationMs: number;
  error: string | undefined;
  /** Last value per metric key. */
  metrics: Record<string, number>;
}

/** The runs page's data. */
export interface RunsListResult {
  /** Runs matching the filters. */
  total: number;
  offset: number;
  limit: number;
  runs: RunListItem[];
  /** Metric keys of the listed page. */
  metricKeys: string[];
  /** Every project and tag of the store, for the filter inputs. */
  projects: string[];
  tags: string[];
}

function parseValue(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The tracker's run filter from the dashboard's parameters. */
export function runFilterOf(
  params: Pick<RunsListParams, 'project' | 'status' | 'tags' | 'where'>,
): RunFilter {
  const filter: RunFilter = {};
  if (params.project) filter.project = params.project;
  const statuses = (params.status ?? []).filter(Boolean);
  for (const s of statuses) {
    if (!STATUSES.includes(s as RunStatus))
      throw new AtoError('INVALID_ARGUMENT', `unknown status "${s}"`, {
        location: { input: s },
        hint: `one of ${STATUSES.join(', ')}`,
      });
  }
  if (statuses.length) filter.status = statuses as RunStatus[];
  const tags = (params.tags ?? []).filter(Boolean);
  if (tags.length) filter.tags = tags;
  const where = (params.where ?? []).filter(Boolean);
  if (where.length) {
    filter.config = {};
    for (const clause of where) {
      const eq = clause.indexOf('=');
      if (eq <= 0)
        throw new AtoError('INVALID_ARGUMENT', `a config filter needs key=value, found "${clause}"`, {
          location: { input: clause },
        });
      filter.config[clause.slice(0, eq).trim()] = parseValue(clause.slice(eq + 1).trim());
    }
  }
  return filter;
}

function dotted(value: unknown, path: string): unknown {
  let node = value;
  for (const key of path.split('.')) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

function sortKey(run: Run, sort: string): number | string | undefined {
  if (sort === 'id') return run.id;
  if (sort === 'project') return run.project;
  if (sort === 'status') return run.status;
  if (sort === 'duration') return run.durationMs;
  if (sort.startsWith('metric.')) return run.metrics[sort.slice('metric.'.length)]?.last;
  if (sort.startsWith('config.')) {
    const v = dotted(run.config.toDict(), sort.slice('config.'.length));
    return typeof v === 'number' || typeof v === 'string'
      ? v
      : v === undefined
        ? undefined
        : JSON.stringify(v);
  }
  return run.startedAt.getTime();
}

/** A run's table row. */
export function listItem(run: Run): RunListItem {
  const metrics: Record<string, number> = {};
  for (const [key, m] of Object.entries(run.metrics)) metrics[key] = m.last;
  return {
    id: run.id,
    uid: run.uid,
    project: run.project,
    status: run.status,
    tags: run.tags,
    startedAt: run.startedAt.toISOString(),
    endedAt: run.endedAt?.toISOString(),
    durationMs: run.durationMs,
    error: run.error,
    metrics,
  };
}

/** Runs matching the filters, sorted, one page of them (the store's list query reads one table). */
export async function runsList(
  store: DashboardStore,
  params: RunsListParams = {},
  options: QueryOptions = {},
): Promise<RunsListResult> {
  let runs = await listRuns(store.db, runFilterOf(params), options);
  const sort = params.sort || 'started';
  const direction = params.order === 'asc' ? 1 : -1;
  if (sort !== 'started' || direction === 1) {
    const keyed = runs.map((run) => ({ run, key: sortKey(run, sort) }));
    keyed.sort((p, q) => {
      // runs without the value go last in either order
      if (p.key === undefined || q.key === undefined)
        return (p.key === undefined ? 1 : 0) - (q.key === undefined ? 1 : 0);
      if (p.key === q.key) return q.run.id - p.run.id;
      if (typeof p.key === 'number' && typeof q.key === 'number') return direction * (p.key - q.key);
      return direction * String(p.key).localeCompare(String(q.key));
    });
    runs = keyed.map((k) => k.run);
  }
  const limit = Math.max(1, Math.min(1000, Math.floor(params.limit ?? 50)));
  const offset = Math.max(0, Math.floor(params.offset ?? 0));
  const page = runs.slice(offset, offset + limit).map(listItem);
  const metricKeys = [...new Set(page.flatMap((r) => Object.keys(r.metrics)))].sort();
  const [projects, tags] = await Promise.all([
    store.db.selectFrom('runs').select('project').distinct().orderBy('project').execute(),
    store.db.selectFrom('run_tags').select('tag').distinct().orderBy('tag').limit(500).execute(),
  ]);
  return {
    total: runs.length,
    offset,
    limit,
    runs: page,
    metricKeys,
    projects: projects.map((p) => p.project),
    tags: tags.map((t) => t.tag),
  };
}

/** One run with everything, its metric histories downsampled to `points` per key. */
export async function runDetail(
  store: DashboardStore,
  params: { id: number; points?: number },
  options: QueryOptions = {},
): Promise<Record<string, unknown> | undefined> {
  const run = await loadRun(store.db, params.id, options);
  if (!run) return undefined;
  const max = clampPoints(params.points);
  const series: Record<string, Series & { total: number }> = {};
  for (const [key, points] of Object.entries(run.history ?? {})) series[key] = downsample(points, max);
  const { history: _history, ...json } = run.toJSON();
  return {
    ...json,
    durationMs: run.durationMs,
    series,
    fingerprintHistory: (run.fingerprintHistory ?? []).map((f) => ({
      ...f,
      recordedAt: f.recordedAt.toISOString(),
    })),
    artifacts: (run.artifacts ?? []).map((a) => ({ ...a, loggedAt: a.loggedAt.toISOString() })),
  };
}

/** Runs by id (summaries and latest fingerprints, no history), in the order asked; unknown ids left out. */
export async function runsByIds(
  store: DashboardStore,
  ids: readonly number[],
  options: QueryOptions = {},
): Promise<Run[]> {
  if (ids.length === 0) return [];
  const rows: RunRow[] = [];
  const unique = [...new Set(ids)];
  for (let i = 0; i < unique.length; i += 500)
    rows.push(
      ...(await store.db
        .selectFrom('runs')
        .selectAll()
        .where('id', 'in', unique.slice(i, i + 500))
        .execute()),
    );
  const runs = await hydrateRuns(store.db, rows, options);
  const byId = new Map(runs.map((r) => [r.id, r]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

/** Metric series of one run, per key. */
export type RunSeries = Record<string, Series & { total: number }>;

/** Metric series of several runs (one key, some, or all), each downsampled to `points`. */
export async function metricSeries(
  store: DashboardStore,
  params: { runs: readonly number[]; keys?: readonly string[]; points?: number },
): Promise<{ points: number; runs: { id: number; series: RunSeries }[] }> {
  const max = clampPoints(params.points);
  const out: { id: number; series: RunSeries }[] = [];
  for (const id of params.runs) {
    const keys = params.keys?.length ? params.keys : [undefined];
    const series: RunSeries = {};
    for (const key of keys) {
      const history = await metricHistory(store.db, id, key);
      for (const [k, points] of Object.entries(history)) series[k] = downsample(points, max);
    }
    out.push({ id, series });
  }
  return { points: max, runs: out };
}

/** Leaves of a plain config by dotted key. */
function leaves(value: unknown, prefix = '', out = new Map<string, unknown>()): Map<string, unknown> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0) {
    for (const [k, v] of Object.entries(value)) leaves(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) out.set(prefix, value);
  return out;
}

/** The compare page's data. */
export interface CompareResult {
  runs: RunListItem[];
  /** Config keys whose value differs between any of the runs (a missing key is `undefined`). */
  configDiff: { key: string; values: unknown[] }[];
  /** `compare(first, other)` for every other run (what `ato diff first other` prints), without the runs. */
  comparisons: Record<string, unknown>[];
  /** Overlaid series: per run, per key, downsampled. */
  series: { id: number; series: RunSeries }[];
  /** Ids asked for but not in the store. */
  missing: number[];
}

/** Compare runs: the first against each other one (`compare()`), the config diff of all, and their series. */
export async function compareRuns(
  store: DashboardStore,
  params: { runs: readonly number[]; keys?: readonly string[]; points?: number },
  options: QueryOptions = {},
): Promise<CompareResult> {
  const ids = [...new Set(params.runs)];
  const runs = await runsByIds(store, ids, options);
  const found = new Set(runs.map((r) => r.id));
  const configs = runs.map((r) => leaves(r.config.toDict()));
  const keys = [...new Set(configs.flatMap((c) => [...c.keys()]))].sort();
  const configDiff = keys
    .map((key) => ({ key, values: configs.map((c) => c.get(key)) }))
    .filter((d) => d.values.some((v) => !isDeepStrictEqual(v, d.values[0])));
  const [base, ...others] = runs;
  const comparisons = base
    ? others.map((other) => {
        const { a, b, ...rest } = compare(base, other);
        return { a: a.id, b: b.id, ...rest };
      })
    : [];
  const series = await metricSeries(store, {
    runs: runs.map((r) => r.id),
    ...(params.keys ? { keys: params.keys } : {}),
    ...(params.points !== undefined ? { points: params.points } : {}),
  });
  return {
    runs: runs.map(listItem),
    configDiff: configDiff.map((d) => ({ key: d.key, values: d.values.map((v) => v ?? null) })),
    comparisons: JSON.parse(JSON.stringify(comparisons)) as Record<string, unknown>[],
    series: series.runs,
    missing: ids.filter((id) => !found.has(id)),
  };
}

// ---------------------------------------------------------------------------------------------------
// Studies

/** A study in the list. */
/** Every hyperparameter study of the store (see `listStudies`). */
export function studiesList(store: DashboardStore): Promise<StudyListItem[]> {
  return listStudies(store.db);
}

/** The search page's data: a study, its trials and counts per rung (see `loadStudy`). */
export function studyDetail(
  store: DashboardStore,
  params: { name: string },
): Promise<StudyDetail | undefined> {
  return loadStudy(store.db, params.name);
}

// ---------------------------------------------------------------------------------------------------
// Code versions

/** Every trace id with fingerprints, per project, with how many runs recorded it. */
export async function traceIds(
  store: DashboardStore,
  params: { project?: string } = {},
): Promise<{ traceId: string; project: string; runs: number }[]> {
  let query = store.db
    .selectFrom('fingerprints')
    .innerJoin('runs', 'runs.id', 'fingerprints.run_id')
    .select([
      'fingerprints.trace_id',
      'runs.project',
      (eb) => eb.fn.count<number>('fingerprints.run_id').distinct().as('runs'),
    ])
    .groupBy(['fingerprints.trace_id', 'runs.project'])
    .orderBy('fingerprints.trace_id')
    .orderBy('runs.project');
  if (params.project) query = query.where('runs.project', '=', params.project);
  const rows = await query.execute();
  return rows.map((r) => ({ traceId: r.trace_id, project: r.project, runs: Number(r.runs) }));
}

/** The code versions page: `traceStatistics` per project, each version with its runs' rows (status, metrics). */
export async function traceVersions(
  store: DashboardStore,
  params: { traceId: string; project?: string },
  options: QueryOptions = {},
): Promise<Record<string, unknown>[]> {
  const projects = params.project
    ? [params.project]
    : [...new Set((await traceIds(store)).filter((t) => t.traceId === params.traceId).map((t) => t.project))];
  const out: Record<string, unknown>[] = [];
  for (const project of projects) {
    const stats = await traceStatistics(store.db, project, params.traceId);
    if (stats.versions.length === 0) continue;
    const runs = await runsByIds(store, [...new Set(stats.versions.flatMap((v) => v.runs))], options);
    const byId = new Map(runs.map((r) => [r.id, listItem(r)]));
    out.push({
      ...stats,
      versions: stats.versions.map((v) => ({
        type: v.type,
        hash: v.hash,
        firstSeen: v.firstSeen.toISOString(),
        lastSeen: v.lastSeen.toISOString(),
        runs: v.runs.flatMap((id) => byId.get(id) ?? []),
      })),
    });
  }
  return out;
}
