/**
 * Every query of the tracker, written once over Kysely, so SQLite and PostgreSQL answer alike. Plain
 * `(db, params) => data` functions: the finder, the CLI and the dashboard all call these.
 *
 * Which queries load the full metric history: only {@link loadRun} (one run) and
 * {@link metricHistory}. Every list query returns summaries (count, min, max, last) from
 * `metric_summaries`, which is kept current on every write, so listing never scans `metrics`.
 * @module
 */
import { isDeepStrictEqual } from 'node:util';
import type { Kysely, SelectQueryBuilder } from 'kysely';
import { describeLeafType } from '../config/structural-hash.js';
import type { Database } from './schema.js';
import {
  type ArtifactRecord,
  type FingerprintRecord,
  type MetricPoint,
  Run,
  type RunComparison,
  type RunFilter,
  type RunRow,
  type RunStatus,
  type TraceStatistics,
  type ValueDifference,
} from './types.js';

/** Options shared by the queries. */
export interface QueryOptions {
  /** A `running` run whose heartbeat is older than this (ms) is reported as `crashed`. @default 30000 */
  staleAfterMs?: number;
  /** The time to judge staleness against (ms since the epoch). @default Date.now() */
  now?: number;
}

/** Default heartbeat staleness limit (ms). */
export const STALE_AFTER_MS = 30_000;
const CHUNK = 500;

function cutoff(options: QueryOptions): number {
  return (options.now ?? Date.now()) - (options.staleAfterMs ?? STALE_AFTER_MS);
}

function statusOf(row: RunRow, staleBefore: number): RunStatus {
  if (row.status === 'running' && Number(row.heartbeat_at) < staleBefore) return 'crashed';
  return row.status as RunStatus;
}

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

/** Turn rows into runs with their latest fingerprints (summaries come with the row; no history). */
export async function hydrateRuns(
  db: Kysely<Database>,
  rows: RunRow[],
  options: QueryOptions = {},
  /** The runs' ids as a subquery (one query instead of one per 500 ids, for long lists). */
  idSubquery?: SelectQueryBuilder<Database, 'runs', { id: number }>,
): Promise<Run[]> {
  const staleBefore = cutoff(options);
  const runs = rows.map((row) => new Run(row, statusOf(row, staleBefore)));
  const byId = new Map(runs.map((r) => [r.id, r]));
  const groups: (number[] | SelectQueryBuilder<Database, 'runs', { id: number }>)[] =
    idSubquery && rows.length > CHUNK ? [idSubquery] : chunks([...byId.keys()]);
  for (const ids of groups) {
    const fingerprints = await db
      .selectFrom('fingerprints')
      .select(['run_id', 'trace_id', 'type', 'hash', 'recorded_at'])
      .where('run_id', 'in', ids)
      .orderBy('recorded_at')
      .orderBy('id')
      .execute();
    for (const f of fingerprints) {
      const run = byId.get(Number(f.run_id));
      if (run) run.fingerprints[f.trace_id] = { type: f.type as 'static' | 'runtime', hash: f.hash };
    }
  }
  return runs;
}

function configValue(config: Record<string, unknown>, dotted: string): unknown {
  let node: unknown = config;
  for (const key of dotted.split('.')) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/**
 * Runs matching a filter, most recent first, with summaries and latest fingerprints. Project, status
 * and tags are filtered in SQL; config values by deep equality on the parsed config.
 */
export async function listRuns(
  db: Kysely<Database>,
  filter: RunFilter = {},
  options: QueryOptions = {},
): Promise<Run[]> {
  const staleBefore = cutoff(options);
  let query = db.selectFrom('runs').selectAll();
  if (filter.project !== undefined) query = query.where('project', '=', filter.project);
  const statuses =
    filter.status === undefined
      ? undefined
      : typeof filter.status === 'string'
        ? [filter.status]
        : [...filter.status];
  if (statuses) {
    query = query.where((eb) =>
      eb.or(
        statuses.map((status) => {
          if (status === 'crashed')
            return eb.and([eb('status', '=', 'running'), eb('heartbeat_at', '<', staleBefore)]);
          if (status === 'running')
            return eb.and([eb('status', '=', 'running'), eb('heartbeat_at', '>=', staleBefore)]);
          return eb('status', '=', status);
        }),
      ),
    );
  }
  const tags = [...new Set(filter.tags ?? [])];
  if (tags.length > 0) {
    query = query.where('id', 'in', (eb) =>
      eb
        .selectFrom('run_tags')
        .select('run_id')
        .where('tag', 'in', tags)
        .groupBy('run_id')
        .having((h) => h.fn.count('tag'), '=', tags.length),
    );
  }
  query = query.orderBy('started_at', 'desc').orderBy('id', 'desc');
  const configFilter = filter.config ? Object.entries(filter.config) : [];
  if (filter.limit !== undefined && configFilter.length === 0) query = query.limit(filter.limit);
  let rows = (await query.execute()) as RunRow[];
  // the same filter as a subquery of ids, when the SQL filter alone decides which runs are listed
  const idSubquery =
    configFilter.length === 0 && filter.limit === undefined
      ? query.clearSelect().clearOrderBy().select('id')
      : undefined;
  if (configFilter.length > 0) {
    rows = rows.filter((row) => {
      const config = JSON.parse(row.config) as Record<string, unknown>;
      return configFilter.every(([key, value]) => isDeepStrictEqual(configValue(config, key), value));
    });
    if (filter.limit !== undefined) rows = rows.slice(0, filter.limit);
  }
  return hydrateRuns(db, rows, options, idSubquery);
}

/** One run with everything: summaries, full metric history, artifacts, fingerprint history. */
export async function loadRun(
  db: Kysely<Database>,
  runId: number,
  options: QueryOptions = {},
): Promise<Run | undefined> {
  const row = (await db.selectFrom('runs').selectAll().where('id', '=', runId).executeTakeFirst()) as
    | RunRow
    | undefined;
  if (!row) return undefined;
  const [run] = await hydrateRuns(db, [row], options);
  run!.history = await metricHistory(db, runId);
  run!.artifacts = await listArtifacts(db, runId);
  run!.fingerprintHistory = await fingerprintHistory(db, runId);
  return run;
}

/** Every point of a run's metrics (one key or all), by key, in step order. */
export async function metricHistory(
  db: Kysely<Database>,
  runId: number,
  key?: string,
): Promise<Record<string, MetricPoint[]>> {
  let query = db.selectFrom('metrics').select(['key', 'step', 'value', 'time']).where('run_id', '=', runId);
  if (key !== undefined) query = query.where('key', '=', key);
  const rows = await query.orderBy('key').orderBy('step').orderBy('time').execute();
  const out: Record<string, MetricPoint[]> = {};
  for (const r of rows) {
    const points = out[r.key] ?? [];
    out[r.key] = points;
    points.push({ step: Number(r.step), value: Number(r.value), time: new Date(Number(r.time)) });
  }
  return out;
}

/** A run's artifacts, in logging order. */
export async function listArtifacts(db: Kysely<Database>, runId: number): Promise<ArtifactRecord[]> {
  const rows = await db
    .selectFrom('artifacts')
    .selectAll()
    .where('run_id', '=', runId)
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    id: Number(r.id),
    path: r.path,
    dataType: r.data_type ?? undefined,
    metadata: r.metadata ? (JSON.parse(r.metadata) as Record<string, unknown>) : undefined,
    sha256: r.sha256 ?? undefined,
    size: r.size === null ? undefined : Number(r.size),
    loggedAt: new Date(Number(r.logged_at)),
  }));
}

/** Every fingerprint a run recorded, in order. */
export async function fingerprintHistory(db: Kysely<Database>, runId: number): Promise<FingerprintRecord[]> {
  const rows = await db
    .selectFrom('fingerprints')
    .selectAll()
    .where('run_id', '=', runId)
    .orderBy('recorded_at')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    traceId: r.trace_id,
    type: r.type as 'static' | 'runtime',
    hash: r.hash,
    recordedAt: new Date(Number(r.recorded_at)),
  }));
}

/** Options of {@link bestRun}. */
export interface BestRunOptions extends QueryOptions {
  /** Compare each run's best value of the metric (`'best'`) or its last value (`'last'`). @default 'best' */
  by?: 'best' | 'last';
}

/**
 * The run of a project with the best value of a metric (`max` or `min`), by each run's best value
 * (or last value, with `by: 'last'`); `undefined` when no run logged it. Uses `metric_summaries`.
 */
export async function bestRun(
  db: Kysely<Database>,
  project: string,
  key: string,
  mode: 'max' | 'min' = 'max',
  options: BestRunOptions = {},
): Promise<Run | undefined> {
  const column =
    options.by === 'last'
      ? 'metric_summaries.last_value'
      : mode === 'max'
        ? 'metric_summaries.max'
        : 'metric_summaries.min';
  const row = await db
    .selectFrom('metric_summaries')
    .innerJoin('runs', 'runs.id', 'metric_summaries.run_id')
    .selectAll('runs')
    .where('metric_summaries.key', '=', key)
    .where('runs.project', '=', project)
    .orderBy(column, mode === 'max' ? 'desc' : 'asc')
    .orderBy('runs.id')
    .limit(1)
    .executeTakeFirst();
  if (!row) return undefined;
  return (await hydrateRuns(db, [row as RunRow], options))[0];
}

/** Runs with the same structural hash as `runId` (any project), most recent first; `[]` for an unknown run. */
export async function similarRuns(
  db: Kysely<Database>,
  runId: number,
  options: QueryOptions = {},
): Promise<Run[]> {
  const rows = (await db
    .selectFrom('runs as r')
    .innerJoin('runs as s', 's.structural_hash', 'r.structural_hash')
    .selectAll('s')
    .where('r.id', '=', runId)
    .where('s.id', '!=', runId)
    .orderBy('s.started_at', 'desc')
    .execute()) as RunRow[];
  return hydrateRuns(db, rows, options);
}

async function latestFingerprint(
  db: Kysely<Database>,
  runId: number,
  traceId: string,
  type: string,
): Promise<string | undefined> {
  const row = await db
    .selectFrom('fingerprints')
    .select('hash')
    .where('run_id', '=', runId)
    .where('trace_id', '=', traceId)
    .where('type', '=', type)
    .orderBy('recorded_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.hash;
}

/**
 * Runs whose latest fingerprint of `traceId` (of `type`) equals that of `runId`: same code
 * (`static`) or same output (`runtime`). `[]` when the run or its trace is unknown.
 */
export async function similarRunsByTrace(
  db: Kysely<Database>,
  runId: number,
  traceId: string,
  type: 'static' | 'runtime' = 'static',
  options: QueryOptions = {},
): Promise<Run[]> {
  const hash = await latestFingerprint(db, runId, traceId, type);
  if (hash === undefined) return [];
  const candidates = await db
    .selectFrom('fingerprints')
    .select('run_id')
    .distinct()
    .where('trace_id', '=', traceId)
    .where('type', '=', type)
    .where('hash', '=', hash)
    .where('run_id', '!=', runId)
    .execute();
  const ids: number[] = [];
  // a run may have recorded several runtime fingerprints: keep those whose latest one matches
  for (const { run_id } of candidates)
    if ((await latestFingerprint(db, Number(run_id), traceId, type)) === hash) ids.push(Number(run_id));
  if (ids.length === 0) return [];
  const rows: RunRow[] = [];
  for (const part of chunks(ids))
    rows.push(...((await db.selectFrom('runs').selectAll().where('id', 'in', part).execute()) as RunRow[]));
  rows.sort((x, y) => Number(y.started_at) - Number(x.started_at));
  return hydrateRuns(db, rows, options);
}

/** Code and behaviour versions of a trace across a project's runs. */
export async function traceStatistics(
  db: Kysely<Database>,
  project: string,
  traceId: string,
): Promise<TraceStatistics> {
  const rows = await db
    .selectFrom('fingerprints')
    .innerJoin('runs', 'runs.id', 'fingerprints.run_id')
    .select(['fingerprints.run_id', 'fingerprints.type', 'fingerprints.hash', 'fingerprints.recorded_at'])
    .where('runs.project', '=', project)
    .where('fingerprints.trace_id', '=', traceId)
    .orderBy('fingerprints.recorded_at')
    .orderBy('fingerprints.id')
    .execute();
  const versions = new Map<string, TraceStatistics['versions'][number]>();
  for (const r of rows) {
    const id = `${r.type}:${r.hash}`;
    const at = new Date(Number(r.recorded_at));
    const version = versions.get(id) ?? {
      type: r.type as 'static' | 'runtime',
      hash: r.hash,
      runs: [],
      firstSeen: at,
      lastSeen: at,
    };
    if (!version.runs.includes(Number(r.run_id))) version.runs.push(Number(r.run_id));
    version.lastSeen = at;
    versions.set(id, version);
  }
  const list = [...versions.values()];
  return {
    projectName: project,
    traceId,
    staticTraceVersions: list.filter((v) => v.type === 'static').length,
    runtimeTraceVersions: list.filter((v) => v.type === 'runtime').length,
    versions: list,
  };
}

/** Leaves of a plain config by dotted key. */
function leaves(value: unknown, prefix = '', out = new Map<string, unknown>()): Map<string, unknown> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0) {
    for (const [k, v] of Object.entries(value)) leaves(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) out.set(prefix, value);
  return out;
}

/** Compare two runs: config, structure, code, output, environment and metrics (the data behind `ato diff`). */
export function compare(a: Run, b: Run): RunComparison {
  const la = leaves(a.config.toDict());
  const lb = leaves(b.config.toDict());
  const changed: ValueDifference[] = [];
  const added: ValueDifference[] = [];
  const removed: ValueDifference[] = [];
  const typeChanged: { key: string; a: string; b: string }[] = [];
  for (const [key, va] of la) {
    if (!lb.has(key)) removed.push({ key, a: va, b: undefined });
    else if (!isDeepStrictEqual(va, lb.get(key))) {
      changed.push({ key, a: va, b: lb.get(key) });
      const ta = describeLeafType(va);
      const tb = describeLeafType(lb.get(key));
      if (ta !== tb) typeChanged.push({ key, a: ta, b: tb });
    }
  }
  for (const [key, vb] of lb) if (!la.has(key)) added.push({ key, a: undefined, b: vb });

  const traces = [...new Set([...Object.keys(a.fingerprints), ...Object.keys(b.fingerprints)])].sort();
  const code: RunComparison['code'] = [];
  const outputs: { traceId: string; a: string | undefined; b: string | undefined }[] = [];
  for (const traceId of traces) {
    const fa = a.fingerprints[traceId];
    const fb = b.fingerprints[traceId];
    if (fa?.hash === fb?.hash && fa?.type === fb?.type) continue;
    if ((fa?.type ?? fb?.type) === 'static') code.push({ traceId, a: fa?.hash, b: fb?.hash });
    else outputs.push({ traceId, a: fa?.hash, b: fb?.hash });
  }
  // an output difference with identical code (no static fingerprint differs) is a behaviour change
  const output = outputs.map((o) => ({ ...o, sameCode: code.length === 0 }));

  const ea = (a.environment ?? {}) as unknown as Record<string, unknown>;
  const eb = (b.environment ?? {}) as unknown as Record<string, unknown>;
  const environment: ValueDifference[] = [];
  for (const field of [...new Set([...Object.keys(ea), ...Object.keys(eb)])]) {
    if (field === 'hash') continue;
    if (!isDeepStrictEqual(ea[field], eb[field]))
      environment.push({ key: field, a: ea[field], b: eb[field] });
  }

  const keys = [...new Set([...Object.keys(a.metrics), ...Object.keys(b.metrics)])].sort();
  const metrics = keys.map((key) => ({ key, a: a.metrics[key], b: b.metrics[key] }));
  const verdict = {
    config: changed.length + added.length + removed.length > 0,
    code: code.length > 0,
    output: output.length > 0,
    environment: environment.length > 0,
  };
  const parts = (Object.keys(verdict) as (keyof typeof verdict)[]).filter((k) => verdict[k]);
  return {
    a,
    b,
    config: { changed, added, removed },
    structure: {
      sameHash: a.structuralHash === b.structuralHash,
      addedKeys: added.map((d) => d.key),
      removedKeys: removed.map((d) => d.key),
      typeChanged,
    },
    code,
    output,
    environment,
    metrics,
    verdict: {
      ...verdict,
      summary: parts.length
        ? `changed: ${parts.join(', ')}`
        : 'nothing changed: same config, code, output and environment',
    },
  };
}
