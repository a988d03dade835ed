/**
 * SQLite backend (better-sqlite3): WAL mode, a busy timeout, `BEGIN IMMEDIATE` for every write
 * transaction (so writers queue on the lock instead of failing with "database is locked"), and
 * metric inserts as 500-row multi-VALUES prepared statements.
 * @module
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { AtoError } from '../../../errors.js';
import { type Backend, type MetricBatch, summarizeBatch } from '../../backend.js';
import { type Database, migrate } from '../../schema.js';

const ROWS_PER_STATEMENT = 500;
/** How long a writer waits for the lock before failing (ms). */
const BUSY_TIMEOUT_MS = 60_000;

const SUMMARY_UPSERT = `INSERT INTO metric_summaries (run_id, key, count, min, max, last_value, last_step, last_time)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (run_id, key) DO UPDATE SET
  count = count + excluded.count,
  min = MIN(min, excluded.min),
  max = MAX(max, excluded.max),
  last_value = CASE WHEN excluded.last_step > last_step OR (excluded.last_step = last_step AND excluded.last_time >= last_time) THEN excluded.last_value ELSE last_value END,
  last_time = CASE WHEN excluded.last_step > last_step OR (excluded.last_step = last_step AND excluded.last_time >= last_time) THEN excluded.last_time ELSE last_time END,
  last_step = MAX(last_step, excluded.last_step)`;

function insertSql(rows: number): string {
  return `INSERT INTO metrics (run_id, key, step, value, time) VALUES ${Array.from({ length: rows }, () => '(?, ?, ?, ?, ?)').join(', ')}`;
}

/**
 * One queue per database file for this thread's write-lock holders. better-sqlite3 waits for a
 * lock synchronously, so a second connection in the same thread asking for the lock while the first
 * holds it across an `await` would freeze the very event loop the first needs to commit: such
 * connections take turns here instead (other threads and processes use SQLite's busy timeout).
 */
const fileQueues = new Map<string, Promise<unknown>>();

function inTurn<T>(file: string, fn: () => Promise<T>): Promise<T> {
  const previous = fileQueues.get(file) ?? Promise.resolve();
  const next = previous.then(fn, fn);
  const settled = next.then(
    () => {},
    () => {},
  );
  fileQueues.set(file, settled);
  void settled.then(() => {
    if (fileQueues.get(file) === settled) fileQueues.delete(file);
  });
  return next;
}

/** The SQLite backend, with a synchronous metric writer for flushing at process exit. */
export interface SqliteBackend extends Backend {
  /** The better-sqlite3 connection. */
  readonly sqlite: BetterSqlite3.Database;
  /** Same as `writeMetrics`, synchronously. */
  writeMetricsSync(batch: MetricBatch): void;
}

/**
 * Open a SQLite store (creating the file and its folder), migrate it, and return the backend.
 * @throws {AtoError} `STORE_OPEN` when the file cannot be opened; `STORE_VERSION` when a newer ato wrote it
 */
export async function openSqliteBackend(path: string, url: string): Promise<SqliteBackend> {
  let sqlite: BetterSqlite3.Database;
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    sqlite = new BetterSqlite3(path, { timeout: BUSY_TIMEOUT_MS });
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
  } catch (cause) {
    throw new AtoError('STORE_OPEN', `cannot open the SQLite store ${path}: ${(cause as Error).message}`, {
      location: { input: url },
      hint: 'check the path, its permissions, and that it is a SQLite database',
      cause,
    });
  }
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });

  const file = path === ':memory:' ? `:memory:${Math.random()}` : resolve(path);
  const exclusive = <T>(fn: (db: Kysely<Database>) => Promise<T>): Promise<T> =>
    inTurn(file, () => lockedRun(fn));
  const lockedRun = async <T>(fn: (db: Kysely<Database>) => Promise<T>): Promise<T> => {
    sqlite.exec('BEGIN IMMEDIATE');
    try {
      const result = await fn(db);
      sqlite.exec('COMMIT');
      return result;
    } catch (error) {
      if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
      throw error;
    }
  };

  try {
    await migrate(exclusive, 'sqlite', url);
  } catch (error) {
    sqlite.close();
    if (error instanceof AtoError) throw error;
    throw new AtoError('STORE_OPEN', `cannot open the SQLite store ${path}: ${(error as Error).message}`, {
      location: { input: url },
      hint: 'is this file a SQLite database written by ato?',
      cause: error,
    });
  }

  const full = sqlite.prepare(insertSql(ROWS_PER_STATEMENT));
  const upsert = sqlite.prepare(SUMMARY_UPSERT);
  const partial = new Map<number, BetterSqlite3.Statement>();
  const params: (string | number)[] = new Array(ROWS_PER_STATEMENT * 5);

  const writeAll = sqlite
    .transaction((batch: MetricBatch) => {
      let i = 0;
      while (i < batch.length) {
        const rows = Math.min(ROWS_PER_STATEMENT, batch.length - i);
        const args = rows === ROWS_PER_STATEMENT ? params : new Array<string | number>(rows * 5);
        for (let r = 0; r < rows; r++, i++) {
          const o = r * 5;
          args[o] = batch.runId;
          args[o + 1] = batch.keys[batch.keyIndex[i]!]!;
          args[o + 2] = batch.steps[i]!;
          args[o + 3] = batch.values[i]!;
          args[o + 4] = batch.times[i]!;
        }
        if (rows === ROWS_PER_STATEMENT) full.run(args);
        else {
          let statement = partial.get(rows);
          if (!statement) {
            statement = sqlite.prepare(insertSql(rows));
            partial.set(rows, statement);
          }
          statement.run(args);
        }
      }
      for (const s of summarizeBatch(batch)) {
        upsert.run(batch.runId, s.key, s.count, s.min, s.max, s.lastValue, s.lastStep, s.lastTime);
      }
    })
    .immediate.bind(null);

  const writeMetricsSync = (batch: MetricBatch): void => {
    if (batch.length === 0) return;
    try {
      writeAll(batch);
    } catch (cause) {
      throw new AtoError('STORE_WRITE', `cannot write metrics to ${url}: ${(cause as Error).message}`, {
        location: { input: url },
        cause,
      });
    }
  };

  return {
    dialect: 'sqlite',
    url,
    db,
    sqlite,
    exclusive,
    writeMetricsSync,
    async writeMetrics(batch) {
      await inTurn(file, async () => writeMetricsSync(batch));
    },
    async close() {
      await db.destroy();
    },
  };
}
