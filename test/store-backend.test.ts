/**
 * The storage conformance suite: one suite, run unchanged on every store of test/_stores.ts (SQLite
 * always, PostgreSQL when ATO_TEST_POSTGRES_URL reaches a server; `.ci/postgres.sh start` starts one).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { AtoError } from '../src/errors.js';
import { type Backend, type MetricBatch, openBackend, parseStoreUrl } from '../src/tracker/backend.js';
import { SCHEMA_VERSION } from '../src/tracker/schema.js';
import { describeEachStore, dropTestDatabases, type StoreTarget, storeTargets } from './_stores.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const worker = join(root, 'test/fixtures/tracker/store-worker.ts');

/** Every table and (at least) these columns of it. */
const TABLES: Record<string, string[]> = {
  ato_meta: ['key', 'value'],
  artifacts: ['id', 'run_id', 'path', 'data_type', 'metadata', 'sha256', 'size', 'logged_at'],
  fingerprints: ['id', 'run_id', 'trace_id', 'type', 'hash', 'recorded_at'],
  metric_summaries: ['run_id', 'key', 'count', 'min', 'max', 'last_value', 'last_step', 'last_time'],
  metrics: ['run_id', 'key', 'step', 'value', 'time'],
  run_tags: ['run_id', 'tag'],
  runs: [
    'id',
    'uid',
    'project',
    'status',
    'config',
    'structural_hash',
    'tags',
    'started_at',
    'ended_at',
    'heartbeat_at',
    'error',
    'environment',
    'environment_hash',
  ],
  studies: ['id', 'name', 'project', 'algorithm', 'mode', 'settings', 'created_at', 'status'],
  trials: [
    'id',
    'study_id',
    'config_id',
    'rung',
    'budget',
    'params',
    'status',
    'metric',
    'error',
    'worker',
    'lease_until',
    'started_at',
    'ended_at',
    'run_id',
  ],
};

type Point = [key: string, step: number, value: number, time: number];

/** A column batch of `points` for run `runId`. */
function makeBatch(runId: number, points: Point[]): MetricBatch {
  const keys: string[] = [];
  const index = new Map<string, number>();
  const batch: MetricBatch = {
    runId,
    keys,
    keyIndex: new Uint32Array(points.length + 3), // longer than `length`, as the logger's buffers are
    steps: new Float64Array(points.length + 3),
    values: new Float64Array(points.length + 3),
    times: new Float64Array(points.length + 3),
    length: points.length,
  };
  points.forEach(([key, step, value, time], i) => {
    let k = index.get(key);
    if (k === undefined) {
      k = keys.length;
      keys.push(key);
      index.set(key, k);
    }
    batch.keyIndex[i] = k;
    batch.steps[i] = step;
    batch.values[i] = value;
    batch.times[i] = time;
  });
  return batch;
}

/** `n` points over `keys.length` keys, steps counting up from `firstStep`. */
function points(n: number, keys: string[], firstStep = 0): Point[] {
  return Array.from({ length: n }, (_, i): Point => {
    const step = firstStep + Math.floor(i / keys.length);
    return [keys[i % keys.length]!, step, Math.sin(i) * 1000, 1_700_000_000_000 + i];
  });
}

interface Summary {
  run_id: number;
  key: string;
  count: number;
  min: number;
  max: number;
  last_value: number;
  last_step: number;
  last_time: number;
}

/** The summaries every backend must keep, from all points written in order (batches in order). */
function expectedSummaries(runId: number, written: Point[]): Summary[] {
  const byKey = new Map<string, Summary>();
  for (const [key, step, value, time] of written) {
    const s = byKey.get(key);
    if (!s) {
      byKey.set(key, {
        run_id: runId,
        key,
        count: 1,
        min: value,
        max: value,
        last_value: value,
        last_step: step,
        last_time: time,
      });
      continue;
    }
    s.count++;
    s.min = Math.min(s.min, value);
    s.max = Math.max(s.max, value);
    if (step > s.last_step || (step === s.last_step && time >= s.last_time)) {
      s.last_step = step;
      s.last_value = value;
      s.last_time = time;
    }
  }
  return [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

const byKey = <T extends { key: string }>(rows: T[]): T[] =>
  [...rows].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

async function summaries(backend: Backend, runId: number): Promise<Summary[]> {
  return byKey(
    await backend.db.selectFrom('metric_summaries').selectAll().where('run_id', '=', runId).execute(),
  );
}

async function countMetrics(backend: Backend): Promise<number> {
  const row = await backend.db
    .selectFrom('metrics')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * A connection to the store that does not go through the backend (so it works on a store the
 * backend refuses). Every value is read as text, so snapshots compare equal across drivers.
 */
function rawDb(url: string): Kysely<any> {
  const location = parseStoreUrl(url);
  if (location.dialect === 'sqlite') {
    return new Kysely<any>({ dialect: new SqliteDialect({ database: new BetterSqlite3(location.path) }) });
  }
  return new Kysely<any>({
    dialect: new PostgresDialect({
      pool: new pg.Pool({ connectionString: location.connectionString, max: 1 }),
    }),
  });
}

/** Every table's name and every row, values as text, in a stable order. */
async function snapshot(db: Kysely<any>): Promise<Record<string, string[]>> {
  const result: Record<string, string[]> = {};
  const tables = (await db.introspection.getTables()).map((t) => t.name).sort();
  for (const table of tables) {
    const rows = await db.selectFrom(table).selectAll().execute();
    result[table] = rows
      .map((row) => JSON.stringify(Object.entries(row).map(([k, v]) => [k, v === null ? null : String(v)])))
      .sort();
  }
  return result;
}

/** The file of a SQLite store URL. */
function sqlitePath(url: string): string {
  const location = parseStoreUrl(url);
  if (location.dialect !== 'sqlite') throw new Error(`not a SQLite URL: ${url}`);
  return location.path;
}

/** Table name -> sorted column names. */
async function columnsOf(db: Kysely<any>): Promise<Record<string, string[]>> {
  const tables = await db.introspection.getTables();
  return Object.fromEntries(tables.map((t) => [t.name, t.columns.map((c) => c.name).sort()] as const));
}

interface WorkerResult {
  exitCode: number | null;
  ok: boolean;
  code?: string;
  message?: string;
  stderr: string;
}

/** Run test/fixtures/tracker/store-worker.ts in a child process. */
function runWorker(args: string[]): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', worker, ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (exitCode) => {
      const last = stdout.trim().split('\n').pop() ?? '';
      let parsed: { ok?: boolean; code?: string; message?: string } = {};
      try {
        parsed = JSON.parse(last);
      } catch {
        parsed = { ok: false, message: `no result line; stdout: ${stdout}` };
      }
      resolve({ exitCode, ok: parsed.ok === true, code: parsed.code, message: parsed.message, stderr });
    });
  });
}

/** Start `count` workers that begin at the same moment (after every child has started up). */
function runWorkersTogether(
  count: number,
  args: (i: number, startAt: string) => string[],
): Promise<WorkerResult[]> {
  const startAt = String(Date.now() + 2_500);
  return Promise.all(Array.from({ length: count }, (_, i) => runWorker(args(i, startAt))));
}

afterAll(async () => {
  await dropTestDatabases();
});

describeEachStore('store backend conformance', (target: StoreTarget) => {
  const opened: Backend[] = [];

  async function open(url: string): Promise<Backend> {
    const backend = await openBackend(url);
    opened.push(backend);
    return backend;
  }

  async function fresh(): Promise<{ url: string; backend: Backend }> {
    const url = await target.makeUrl();
    return { url, backend: await open(url) };
  }

  async function close(backend: Backend): Promise<void> {
    opened.splice(opened.indexOf(backend), 1);
    await backend.close();
  }

  afterEach(async () => {
    for (const backend of opened.splice(0)) await backend.close().catch(() => {});
  });

  describe('migrations', () => {
    it('a new store gets every table with its columns (the same as on SQLite), and records schema_version', async () => {
      const { backend } = await fresh();
      expect(backend.dialect).toBe(target.name);
      const columns = await columnsOf(backend.db);
      expect(Object.keys(columns).sort()).toEqual(Object.keys(TABLES).sort());
      for (const [table, known] of Object.entries(TABLES))
        expect(columns[table]).toEqual(expect.arrayContaining(known));
      // every backend has exactly the columns SQLite (the reference) has
      const reference = await openBackend(await storeTargets()[0]!.makeUrl());
      try {
        expect(columns).toEqual(await columnsOf(reference.db));
      } finally {
        await reference.close();
      }
      const meta = await backend.db.selectFrom('ato_meta').selectAll().execute();
      expect(meta).toEqual([{ key: 'schema_version', value: String(SCHEMA_VERSION) }]);
    });

    it('reopening a store is a no-op: same tables, same version, data kept', async () => {
      const { url, backend } = await fresh();
      await backend.db
        .insertInto('runs')
        .values({
          uid: 'r1',
          project: 'p',
          status: 'running',
          config: '{}',
          structural_hash: 'h',
          tags: '[]',
          started_at: 1,
          heartbeat_at: 1,
        })
        .execute();
      await backend.writeMetrics(makeBatch(1, points(30, ['a', 'b', 'c'])));
      const before = await snapshot(backend.db);
      await close(backend);

      const again = await open(url);
      expect(await snapshot(again.db)).toEqual(before);
      await close(again);
      const third = await open(url);
      expect(await snapshot(third.db)).toEqual(before);
      expect(before.metrics).toHaveLength(30);
    });

    it('a store written by a newer ato is refused with STORE_VERSION and left untouched', async () => {
      const { url, backend } = await fresh();
      await backend.writeMetrics(makeBatch(7, points(20, ['loss', 'acc'])));
      // what a newer ato might have done: a higher version and a table this ato does not know
      await backend.db
        .updateTable('ato_meta')
        .set({ value: String(SCHEMA_VERSION + 1) })
        .where('key', '=', 'schema_version')
        .execute();
      await backend.db.schema.createTable('future_things').addColumn('x', 'text').execute();
      await close(backend);

      const location = parseStoreUrl(url);
      const fileBytes = () => (location.dialect === 'sqlite' ? readFileSync(location.path) : undefined);
      const walBytes = () =>
        location.dialect === 'sqlite' && existsSync(`${location.path}-wal`)
          ? readFileSync(`${location.path}-wal`)
          : undefined;
      const raw = rawDb(url);
      let rowsBefore: Record<string, string[]>;
      try {
        rowsBefore = await snapshot(raw);
      } finally {
        await raw.destroy();
      }
      const bytesBefore = fileBytes();
      const walBefore = walBytes();

      const error = await openBackend(url).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(AtoError);
      expect((error as AtoError).code).toBe('STORE_VERSION');
      expect((error as AtoError).message).toContain(`schema version ${SCHEMA_VERSION + 1}`);
      expect((error as AtoError).location?.input).toBe(location.url);

      expect(fileBytes()).toEqual(bytesBefore);
      expect(walBytes()).toEqual(walBefore);
      const rawAfter = rawDb(url);
      try {
        const rowsAfter = await snapshot(rawAfter);
        expect(rowsAfter).toEqual(rowsBefore);
        expect(rowsAfter.future_things).toEqual([]);
        expect(rowsAfter.metrics).toHaveLength(20);
      } finally {
        await rawAfter.destroy();
      }
    });

    it('4 processes opening one new store at once all succeed and migrate it once', async () => {
      const url = await target.makeUrl();
      const results = await runWorkersTogether(4, (_, startAt) => ['open', url, startAt]);
      for (const result of results) {
        expect(result, result.stderr).toMatchObject({ exitCode: 0, ok: true });
      }
      // A second migration would have failed its CREATE TABLE ("already exists") in some process.
      const backend = await open(url);
      expect(await backend.db.selectFrom('ato_meta').selectAll().execute()).toEqual([
        { key: 'schema_version', value: String(SCHEMA_VERSION) },
      ]);
      expect((await backend.db.introspection.getTables()).map((t) => t.name).sort()).toEqual(
        Object.keys(TABLES).sort(),
      );
    }, 60_000);

    // SQLite: better-sqlite3 waits for a lock synchronously, so in-process connections take turns on
    // the backend's per-file queue (without it this test stalls 60 s, then fails "database is locked").
    it('4 opens of one new store at once in one process all succeed', async () => {
      const url = await target.makeUrl();
      const backends = await Promise.all([1, 2, 3, 4].map(() => open(url)));
      expect(backends).toHaveLength(4);
      expect(await backends[3]!.db.selectFrom('ato_meta').selectAll().execute()).toEqual([
        { key: 'schema_version', value: String(SCHEMA_VERSION) },
      ]);
    });

    it('a store that cannot be opened is STORE_OPEN, naming the URL', async () => {
      let url: string;
      if (target.name === 'sqlite') {
        const good = await target.makeUrl();
        const path = sqlitePath(good);
        url = `sqlite:///${join(dirname(path), 'a-directory.db')}`;
        mkdirSync(join(dirname(path), 'a-directory.db'));
      } else {
        const good = new URL(await target.makeUrl());
        good.pathname = '/ato_t_does_not_exist';
        url = good.toString();
      }
      const error = await openBackend(url).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(AtoError);
      expect((error as AtoError).code).toBe('STORE_OPEN');
      expect((error as AtoError).location?.input).toBe(parseStoreUrl(url).url);
      expect((error as AtoError).hint).toBeTruthy();
      expect((error as AtoError).cause).toBeDefined();
      if (target.name === 'postgres') expect((error as AtoError).hint).toContain('create the database');
    });
  });

  describe('writeMetrics', () => {
    it('inserts exactly the rows: negative and fractional values, steps up to 2^40, unicode keys', async () => {
      const { backend } = await fresh();
      const keys = ['loss', 'val/accuracy', 'мера', '損失', '📉 loss', 'q"uote\\back,slash{}', 'NULL', ''];
      const values = [-1.5, 0.1, 1 / 3, -123456.789, 1e-300, 5e-324, Number.MAX_VALUE, -0.000001, 42, 0];
      const written: Point[] = [];
      for (let i = 0; i < 80; i++) {
        const step = i < 70 ? i : 2 ** 40 - (80 - i);
        written.push([
          keys[i % keys.length]!,
          step,
          values[i % values.length]! * (i % 3 === 0 ? -1 : 1),
          1_700_000_000_000.25 + i,
        ]);
      }
      await backend.writeMetrics(makeBatch(3, written));
      await backend.writeMetrics(makeBatch(3, [])); // an empty batch is fine

      const rows = await backend.db.selectFrom('metrics').selectAll().execute();
      expect(rows).toHaveLength(written.length);
      for (const row of rows) {
        expect(typeof row.run_id).toBe('number');
        expect(typeof row.step).toBe('number');
        expect(typeof row.value).toBe('number');
        expect(typeof row.time).toBe('number');
      }
      const sortKey = (r: { key: string; step: number }) =>
        `${r.key}\u0000${String(r.step).padStart(20, '0')}`;
      const actual = rows
        .map((r) => ({ run_id: r.run_id, key: r.key, step: r.step, value: r.value, time: r.time }))
        .sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : 1));
      const expected = written
        .map(([key, step, value, time]) => ({ run_id: 3, key, step, value: value === 0 ? 0 : value, time }))
        .sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : 1));
      // -0 may come back as 0; everything else exactly
      expect(actual.map((r) => ({ ...r, value: r.value === 0 ? 0 : r.value }))).toEqual(expected);
      expect(await summaries(backend, 3)).toEqual(expectedSummaries(3, written));
      expect(Math.max(...actual.map((r) => r.step))).toBe(2 ** 40 - 1);
    });

    it('keeps metric_summaries right across batches: count, min, max, last by highest step, ties by time', async () => {
      const { backend } = await fresh();
      const written: Point[] = [];
      const write = async (runId: number, batch: Point[]) => {
        await backend.writeMetrics(makeBatch(runId, batch));
        if (runId === 1) written.push(...batch);
      };
      await write(1, [
        ['loss', 0, 2.5, 1000],
        ['loss', 1, 2.0, 1001],
        ['acc', 0, 0.1, 1000],
        ['loss', 2, 1.5, 1002],
      ]);
      expect(await summaries(backend, 1)).toEqual(expectedSummaries(1, written));
      // out of order: lower steps than the last one do not replace "last", but count and min/max
      await write(1, [
        ['loss', 1, -3, 1003],
        ['loss', 0, 9, 1004],
        ['acc', 5, 0.5, 1005],
        ['acc', 3, 0.9, 1006],
      ]);
      let got = await summaries(backend, 1);
      expect(got).toEqual(expectedSummaries(1, written));
      expect(got.find((s) => s.key === 'loss')).toMatchObject({
        count: 5,
        min: -3,
        max: 9,
        last_step: 2,
        last_value: 1.5,
      });
      expect(got.find((s) => s.key === 'acc')).toMatchObject({ last_step: 5, last_value: 0.5 });
      // ties on the step inside one batch: the latest time wins, wherever it is in the batch
      await write(1, [
        ['loss', 10, 0.7, 2002],
        ['loss', 10, 0.6, 2001],
        ['acc', 7, 0.2, 2000],
      ]);
      // a tie with the stored last point, written later: the newer point wins
      await write(1, [['acc', 7, 0.3, 3000]]);
      // another run's points never touch run 1's summaries
      await write(2, [['loss', 100, 123, 5000]]);
      got = await summaries(backend, 1);
      expect(got).toEqual(expectedSummaries(1, written));
      expect(got.find((s) => s.key === 'loss')).toMatchObject({
        count: 7,
        last_step: 10,
        last_value: 0.7,
        last_time: 2002,
      });
      expect(got.find((s) => s.key === 'acc')).toMatchObject({
        count: 5,
        last_step: 7,
        last_value: 0.3,
        last_time: 3000,
      });
      expect(await summaries(backend, 2)).toEqual(expectedSummaries(2, [['loss', 100, 123, 5000]]));

      // many batches of many points: the same as one summary over everything
      for (let b = 0; b < 5; b++)
        await write(1, points(12_345, ['loss', 'acc', 'lr', 'grad_norm'], 20 + b * 4_000));
      expect(await summaries(backend, 1)).toEqual(expectedSummaries(1, written));
      expect(await countMetrics(backend)).toBe(written.length + 1);
    });

    it('a batch that fails late leaves nothing half-written (summaries table missing)', async () => {
      const { backend } = await fresh();
      await backend.writeMetrics(makeBatch(1, points(100, ['a', 'b'])));
      const before = await snapshot(backend.db);
      // the points insert fine, then the summaries upsert fails
      await backend.db.schema.alterTable('metric_summaries').renameTo('metric_summaries_away').execute();
      const error = await backend.writeMetrics(makeBatch(1, points(25_000, ['a', 'b', 'c'], 1_000))).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(AtoError);
      expect((error as AtoError).code).toBe('STORE_WRITE');
      expect((error as AtoError).location?.input).toBe(backend.url);
      expect(await countMetrics(backend)).toBe(100);
      await backend.db.schema.alterTable('metric_summaries_away').renameTo('metric_summaries').execute();
      expect(await snapshot(backend.db)).toEqual(before);
      // and the backend still works afterwards
      await backend.writeMetrics(makeBatch(1, points(10, ['a', 'b'], 5_000)));
      expect(await countMetrics(backend)).toBe(110);
    });

    it('a batch with a NOT NULL violation in its last point leaves nothing half-written', async () => {
      const { backend } = await fresh();
      await backend.writeMetrics(makeBatch(1, points(100, ['a', 'b'])));
      const before = await snapshot(backend.db);
      const bad = points(25_000, ['a', 'b', 'c'], 1_000);
      bad[bad.length - 1]![1] = Number.NaN; // a step no database accepts (NULL in SQLite, not a bigint in PostgreSQL)
      const error = await backend.writeMetrics(makeBatch(1, bad)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(AtoError);
      expect((error as AtoError).code).toBe('STORE_WRITE');
      expect(await snapshot(backend.db)).toEqual(before);
      await backend.writeMetrics(makeBatch(1, points(10, ['a'], 9_000)));
      expect(await countMetrics(backend)).toBe(110);
    });

    it('4 processes writing 50k points each into one store at once: all 200k present, no errors', async () => {
      const url = await target.makeUrl();
      // create the store first so that the processes race on writes, not only on the migration
      await close(await open(url));
      const results = await runWorkersTogether(4, (i, startAt) => [
        'write',
        url,
        startAt,
        String(i + 1),
        '50000',
        '1000',
      ]);
      for (const result of results) {
        expect(result, result.stderr).toMatchObject({ exitCode: 0, ok: true });
      }
      const backend = await open(url);
      expect(await countMetrics(backend)).toBe(200_000);
      const perRun = await backend.db
        .selectFrom('metrics')
        .select([
          'run_id',
          (eb) => eb.fn.countAll<number>().as('n'),
          (eb) => eb.fn.count<number>('value').distinct().as('distinct_values'),
        ])
        .groupBy('run_id')
        .orderBy('run_id')
        .execute();
      expect(perRun.map((r) => [Number(r.run_id), Number(r.n), Number(r.distinct_values)])).toEqual([
        [1, 50_000, 50_000],
        [2, 50_000, 50_000],
        [3, 50_000, 50_000],
        [4, 50_000, 50_000],
      ]);
      const sums = await backend.db
        .selectFrom('metric_summaries')
        .selectAll()
        .orderBy('run_id')
        .orderBy('key')
        .execute();
      expect(sums).toHaveLength(40);
      for (const s of sums) expect(s).toMatchObject({ count: 5_000, last_step: 4_999 });
    }, 180_000);
  });

  describe('exclusive', () => {
    it('commits and returns what fn returns', async () => {
      const { backend } = await fresh();
      const result = await backend.exclusive(async (db) => {
        await db.insertInto('run_tags').values({ run_id: 1, tag: 'x' }).execute();
        return 'done';
      });
      expect(result).toBe('done');
      expect(await backend.db.selectFrom('run_tags').selectAll().execute()).toEqual([
        { run_id: 1, tag: 'x' },
      ]);
    });

    it('rolls back everything when fn throws, and rethrows the error', async () => {
      const { backend } = await fresh();
      const before = await snapshot(backend.db);
      const boom = new Error('boom');
      await expect(
        backend.exclusive(async (db) => {
          await db.insertInto('run_tags').values({ run_id: 1, tag: 'x' }).execute();
          await db
            .insertInto('runs')
            .values({
              uid: 'u',
              project: 'p',
              status: 's',
              config: '{}',
              structural_hash: 'h',
              tags: '[]',
              started_at: 0,
              heartbeat_at: 0,
            })
            .execute();
          await sql`UPDATE ato_meta SET value = 'broken'`.execute(db);
          throw boom;
        }),
      ).rejects.toBe(boom);
      expect(await snapshot(backend.db)).toEqual(before);
      // the store is usable afterwards
      await backend.exclusive((db) => db.insertInto('run_tags').values({ run_id: 2, tag: 'y' }).execute());
      expect(await backend.db.selectFrom('run_tags').selectAll().execute()).toEqual([
        { run_id: 2, tag: 'y' },
      ]);
    });

    it('serialises writers of one store: no lost updates', async () => {
      const { url, backend } = await fresh();
      const other = await open(url);
      await backend.db.insertInto('ato_meta').values({ key: 'counter', value: '0' }).execute();
      const increment = (b: Backend) =>
        b.exclusive(async (db) => {
          const row = await db
            .selectFrom('ato_meta')
            .select('value')
            .where('key', '=', 'counter')
            .executeTakeFirstOrThrow();
          await new Promise((resolve) => setTimeout(resolve, 5));
          await db
            .updateTable('ato_meta')
            .set({ value: String(Number(row.value) + 1) })
            .where('key', '=', 'counter')
            .execute();
        });
      await Promise.all(Array.from({ length: 20 }, (_, i) => increment(i % 2 ? backend : other)));
      const row = await backend.db
        .selectFrom('ato_meta')
        .select('value')
        .where('key', '=', 'counter')
        .executeTakeFirstOrThrow();
      expect(row.value).toBe('20');
    });
  });
});

describe('PostgreSQL backend specifics', () => {
  const postgres = storeTargets().find((t) => t.name === 'postgres')!;

  it('an unreachable server is STORE_OPEN with the password redacted and a hint', async () => {
    const error = await openBackend('postgresql://ato:s3cret-pw@127.0.0.1:1/ato').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AtoError);
    expect((error as AtoError).code).toBe('STORE_OPEN');
    expect((error as AtoError).message).not.toContain('s3cret-pw');
    expect((error as AtoError).location?.input).toBe('postgresql://ato:***@127.0.0.1:1/ato');
    expect((error as AtoError).hint).toContain('127.0.0.1:1');
  });

  it.skipIf(!postgres.available && !postgres.required)(
    'bigint columns come back as numbers without changing pg’s global type parsers',
    async () => {
      const url = await postgres.makeUrl();
      const backend = await openBackend(url);
      try {
        const row = await sql<{
          big: number;
          arr: number[];
          dbl: number;
        }>`SELECT 1099511627776::bigint AS big, ARRAY[1, 2]::bigint[] AS arr, 0.5::float8 AS dbl`.execute(
          backend.db,
        );
        expect(row.rows[0]).toEqual({ big: 2 ** 40, arr: [1, 2], dbl: 0.5 });
        // the user's own node-postgres usage still gets strings
        expect((pg.types.getTypeParser as (oid: number) => (v: string) => unknown)(20)('42')).toBe('42');
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        try {
          expect((await client.query('SELECT 5::bigint AS n')).rows[0]).toEqual({ n: '5' });
        } finally {
          await client.end();
        }
      } finally {
        await backend.close();
      }
    },
  );
});

describe('test store targets', () => {
  it('SQLite is always available and every makeUrl() is a new store', async () => {
    const sqlite = storeTargets().find((t) => t.name === 'sqlite')!;
    expect(sqlite.available).toBe(true);
    const a = await sqlite.makeUrl();
    const b = await sqlite.makeUrl();
    expect(a).not.toBe(b);
    expect(a).toMatch(/^sqlite:\/\/\/\//);
    const backend = await openBackend(a);
    await backend.close();
    expect(statSync(sqlitePath(a)).isFile()).toBe(true);
    rmSync(sqlitePath(a));
  });

  it('PostgreSQL is available when ATO_TEST_POSTGRES_URL reaches a server, and required when ATO_REQUIRE_POSTGRES=1', () => {
    const postgres = storeTargets().find((t) => t.name === 'postgres')!;
    expect(postgres.required).toBe(process.env.ATO_REQUIRE_POSTGRES === '1');
    if (postgres.required) expect(postgres.available, postgres.reason).toBe(true);
    if (!process.env.ATO_TEST_POSTGRES_URL) expect(postgres.available).toBe(false);
  });
});
