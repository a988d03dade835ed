/**
 * PostgreSQL metric write throughput: the backend's `writeMetrics` beside raw node-postgres inserting
 * the same rows with `unnest` arrays, in the same run on the same server. Needs a server:
 * `.ci/postgres.sh start`, then `ATO_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:54329/ato_test`.
 * Run alone with `tsx bench/postgres.ts`.
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { type MetricBatch, openBackend } from '../src/tracker/backend.js';
import { type Figure, median, printTable } from './harness.js';

const POINTS = 1_000_000;
const BATCH = 10_000;
const KEYS = Array.from({ length: 10 }, (_, i) => `metric_${i}`);
const REPEATS = 3;
const NAME = `PostgreSQL writeMetrics, ${POINTS.toLocaleString('en-US')} points over ${KEYS.length} keys in ${BATCH.toLocaleString('en-US')}-point batches`;

const RAW_INSERT = `INSERT INTO raw_metrics (run_id, key, step, value, time)
SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::float8[], $5::float8[])`;

function rate(points: number, ms: number): number {
  return points / (ms / 1000);
}

function formatRate(pointsPerSecond: number): string {
  return `${Math.round(pointsPerSecond).toLocaleString('en-US')} points/s`;
}

/** The points as the logger hands them over: column batches of one run. */
function makeBatches(runId: number): MetricBatch[] {
  const batches: MetricBatch[] = [];
  const now = Date.now();
  for (let start = 0; start < POINTS; start += BATCH) {
    const length = Math.min(BATCH, POINTS - start);
    const batch: MetricBatch = {
      runId,
      keys: KEYS,
      keyIndex: new Uint32Array(length),
      steps: new Float64Array(length),
      values: new Float64Array(length),
      times: new Float64Array(length),
      length,
    };
    for (let i = 0; i < length; i++) {
      const n = start + i;
      batch.keyIndex[i] = n % KEYS.length;
      batch.steps[i] = Math.floor(n / KEYS.length);
      batch.values[i] = Math.sin(n) * 10;
      batch.times[i] = now + n * 0.01;
    }
    batches.push(batch);
  }
  return batches;
}

/** Raw node-postgres: the same rows, one `unnest` statement per batch (autocommit), arrays built by pg. */
async function rawInsert(client: pg.Client, batches: MetricBatch[]): Promise<number> {
  const start = performance.now();
  for (const batch of batches) {
    const runIds = new Array<number>(batch.length).fill(batch.runId);
    const keys = new Array<string>(batch.length);
    const steps = new Array<number>(batch.length);
    const values = new Array<number>(batch.length);
    const times = new Array<number>(batch.length);
    for (let i = 0; i < batch.length; i++) {
      keys[i] = batch.keys[batch.keyIndex[i]!]!;
      steps[i] = batch.steps[i]!;
      values[i] = batch.values[i]!;
      times[i] = batch.times[i]!;
    }
    await client.query(RAW_INSERT, [runIds, keys, steps, values, times]);
  }
  return performance.now() - start;
}

/** `writeMetrics` of the PostgreSQL backend vs raw pg with `unnest`, 1M points each, median of 3. */
export async function runPostgresInsertBench(): Promise<Figure[]> {
  const base = process.env.ATO_TEST_POSTGRES_URL?.trim();
  if (!base) {
    return [{ name: NAME, value: 'skipped', baseline: '-', ratio: 'ATO_TEST_POSTGRES_URL is not set' }];
  }
  const database = `ato_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${database}`);
  const url = new URL(base);
  url.pathname = `/${database}`;
  const backend = await openBackend(url.toString());
  const raw = new pg.Client({ connectionString: url.toString() });
  try {
    await raw.connect();
    // the same table and index as the store's metrics table
    await raw.query('CREATE TABLE raw_metrics (LIKE metrics INCLUDING ALL)');
    const batches = makeBatches(1);
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let r = 0; r < REPEATS; r++) {
      await raw.query('TRUNCATE metrics, metric_summaries, raw_metrics');
      await raw.query('VACUUM ANALYZE');
      let start = performance.now();
      for (const batch of batches) await backend.writeMetrics(batch);
      ours.push(rate(POINTS, performance.now() - start));
      start = performance.now();
      theirs.push(rate(POINTS, await rawInsert(raw, batches)));
    }
    const check = await raw.query<{ n: number }>('SELECT count(*)::int AS n FROM metrics');
    if (check.rows[0]?.n !== POINTS) throw new Error(`expected ${POINTS} rows, found ${check.rows[0]?.n}`);
    const value = median(ours);
    const baseline = median(theirs);
    return [
      {
        name: `${NAME} (one transaction per batch, summaries included)`,
        value: formatRate(value),
        baseline: `${formatRate(baseline)} (raw pg, unnest, same rows)`,
        ratio: `${((value / baseline) * 100).toFixed(0)}% of raw`,
      },
    ];
  } finally {
    await raw.end().catch(() => {});
    await backend.close();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => {});
    await admin.end();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printTable('PostgreSQL', await runPostgresInsertBench());
}
