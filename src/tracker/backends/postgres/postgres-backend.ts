/**
 * PostgreSQL backend (node-postgres): a small connection pool, a transaction-scoped advisory lock as
 * the store's write lock, and metric inserts as one `INSERT ... SELECT FROM unnest(<arrays>)` per
 * 10k points (about 2.8x the rows/s of multi-row `VALUES`), with the summaries merged by one
 * `unnest` upsert, all in one transaction.
 *
 * `bigint` columns come back as JS numbers (node-postgres returns strings by default). The parser is
 * set on this pool only, never on the global `pg.types`, so the user's own node-postgres code is
 * unaffected. Values above 2^53 would lose precision; ato never stores such integers.
 * @module
 */
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { AtoError } from '../../../errors.js';
import { type Backend, type MetricBatch, summarizeBatch } from '../../backend.js';
import { type Database, migrate } from '../../schema.js';

/** Points per insert statement. */
const ROWS_PER_STATEMENT = 10_000;
/** Connections in the pool: one writer and a few readers are plenty for one process. */
const POOL_SIZE = 4;
/** How long opening a connection may take before it fails (ms). */
const CONNECT_TIMEOUT_MS = 10_000;
/**
 * The key of ato's advisory lock ("ato_lock" in ASCII, as a signed 64-bit integer). Advisory locks are
 * scoped to one database, so stores in different databases of one server do not wait on each other.
 */
const LOCK_KEY = '7022360174609261419';

const INSERT_METRICS = `INSERT INTO metrics (run_id, key, step, value, time)
SELECT $1::bigint, k, s, v, t FROM unnest($2::text[], $3::bigint[], $4::float8[], $5::float8[]) AS u(k, s, v, t)`;

// The same merge as the SQLite backend: count adds up, min/max widen, and the last point is the one
// with the highest step (a tie goes to the newer batch; within a batch summarizeBatch takes the latest).
// Rows are merged in key order so two writers of one run lock the summary rows in the same order.
const UPSERT_SUMMARIES = `INSERT INTO metric_summaries AS m (run_id, key, count, min, max, last_value, last_step, last_time)
SELECT $1::bigint, k, c, mn, mx, lv, ls, lt
FROM unnest($2::text[], $3::bigint[], $4::float8[], $5::float8[], $6::float8[], $7::bigint[], $8::float8[])
  AS u(k, c, mn, mx, lv, ls, lt)
ORDER BY k
ON CONFLICT (run_id, key) DO UPDATE SET
  count = m.count + excluded.count,
  min = LEAST(m.min, excluded.min),
  max = GREATEST(m.max, excluded.max),
  last_value = CASE WHEN excluded.last_step > m.last_step OR (excluded.last_step = m.last_step AND excluded.last_time >= m.last_time) THEN excluded.last_value ELSE m.last_value END,
  last_time = CASE WHEN excluded.last_step > m.last_step OR (excluded.last_step = m.last_step AND excluded.last_time >= m.last_time) THEN excluded.last_time ELSE m.last_time END,
  last_step = GREATEST(m.last_step, excluded.last_step)`;

const PG_INT8 = 20;
const PG_INT8_ARRAY = 1016;

/** node-postgres's own parsers (its typings only name the built-in OIDs). */
const defaultParser = pg.types.getTypeParser as (oid: number, format?: 'text' | 'binary') => unknown;

/** Type parsers for this pool only: int8 and int8[] as numbers, everything else as node-postgres does. */
const POOL_TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (format !== 'binary') {
      if (oid === PG_INT8) return (value: string) => Number(value);
      if (oid === PG_INT8_ARRAY) {
        const parseArray = defaultParser(PG_INT8_ARRAY, 'text') as (value: string) => unknown;
        return (value: string) => toNumbers(parseArray(value));
      }
    }
    return defaultParser(oid, format);
  }) as pg.CustomTypesConfig['getTypeParser'],
};

function toNumbers(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toNumbers);
  return typeof value === 'string' ? Number(value) : value;
}

/** A PostgreSQL array literal element for a text value. */
function quoteElement(text: string): string {
  return `"${text.replace(/[\\"]/g, '\\$&')}"`;
}

/** What to tell the user for a failed connection or open, by node-postgres error code. */
function openHint(error: unknown, url: string): string {
  const code = (error as { code?: string }).code;
  let database = 'the database';
  let where = 'the server';
  try {
    const parsed = new URL(url);
    database = decodeURIComponent(parsed.pathname.slice(1)) || database;
    where = parsed.host || where;
  } catch {
    // keep the generic words
  }
  switch (code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `check the host name in the URL: ${where} cannot be resolved`;
    case 'ECONNREFUSED':
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case '57P03': // cannot_connect_now (starting up, shutting down)
      return `is a PostgreSQL server running and accepting connections at ${where}?`;
    case '3D000': // invalid_catalog_name
      return `create the database first (e.g. createdb ${database}) or fix the database name in the URL`;
    case '28P01': // invalid_password
    case '28000': // invalid_authorization_specification
      return 'check the user name and password in the URL, and pg_hba.conf on the server';
    case '42501': // insufficient_privilege
      return `the user needs the right to create tables in ${database} (at least on a new store)`;
    default:
      if ((error as Error).message?.includes('timeout')) {
        return `is a PostgreSQL server running and accepting connections at ${where}?`;
      }
      return 'check the URL (postgresql://user:password@host:port/database) and that the server is reachable';
  }
}

/** An error's message (an AggregateError from a multi-address connect may have none: then its code). */
function describeError(error: unknown): string {
  const e = error as { message?: string; code?: string };
  return e?.message || e?.code || String(error);
}

/**
 * Open a PostgreSQL store, migrate it (creating the tables on a new database), and return the backend.
 * @param connectionString the URL with its password, for node-postgres only
 * @param url the URL with the password removed, for messages
 * @throws {AtoError} `STORE_OPEN` when the server cannot be reached or refuses the connection;
 *   `STORE_VERSION` when a newer ato wrote the store
 */
export async function openPostgresBackend(connectionString: string, url: string): Promise<Backend> {
  let pool: pg.Pool;
  try {
    pool = new pg.Pool({
      connectionString,
      max: POOL_SIZE,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      types: POOL_TYPES,
    });
  } catch (cause) {
    throw new AtoError('STORE_OPEN', `cannot open the PostgreSQL store: ${describeError(cause)}`, {
      location: { input: url },
      hint: openHint(cause, url),
      cause,
    });
  }
  // An idle connection dropped by the server (restart, timeout) must not crash the process: the pool
  // discards it and the next query opens a new one or fails with a catchable error.
  pool.on('error', () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });

  const exclusive = <T>(fn: (db: Kysely<Database>) => Promise<T>): Promise<T> =>
    db.transaction().execute(async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(${sql.lit(LOCK_KEY)}::bigint)`.execute(trx);
      return fn(trx);
    });

  try {
    await migrate(exclusive, 'postgres', url);
  } catch (error) {
    await db.destroy().catch(() => {});
    if (error instanceof AtoError) throw error;
    throw new AtoError('STORE_OPEN', `cannot open the PostgreSQL store: ${describeError(error)}`, {
      location: { input: url },
      hint: openHint(error, url),
      cause: error,
    });
  }

  async function writeMetrics(batch: MetricBatch): Promise<void> {
    if (batch.length === 0) return;
    const summaries = summarizeBatch(batch);
    const quotedKeys = batch.keys.map(quoteElement);
    let client: pg.PoolClient | undefined;
    let broken: Error | undefined;
    try {
      client = await pool.connect();
      await client.query('BEGIN');
      for (let start = 0; start < batch.length; start += ROWS_PER_STATEMENT) {
        const end = Math.min(start + ROWS_PER_STATEMENT, batch.length);
        const keys = new Array<string>(end - start);
        const steps = new Array<number>(end - start);
        const values = new Array<number>(end - start);
        const times = new Array<number>(end - start);
        for (let i = start, j = 0; i < end; i++, j++) {
          keys[j] = quotedKeys[batch.keyIndex[i]!]!;
          steps[j] = batch.steps[i]!;
          values[j] = batch.values[i]!;
          times[j] = batch.times[i]!;
        }
        // Array literals built here: node-postgres would quote and escape every number.
        await client.query(INSERT_METRICS, [
          batch.runId,
          `{${keys.join(',')}}`,
          `{${steps.join(',')}}`,
          `{${values.join(',')}}`,
          `{${times.join(',')}}`,
        ]);
      }
      await client.query(UPSERT_SUMMARIES, [
        batch.runId,
        `{${summaries.map((s) => quoteElement(s.key)).join(',')}}`,
        `{${summaries.map((s) => s.count).join(',')}}`,
        `{${summaries.map((s) => s.min).join(',')}}`,
        `{${summaries.map((s) => s.max).join(',')}}`,
        `{${summaries.map((s) => s.lastValue).join(',')}}`,
        `{${summaries.map((s) => s.lastStep).join(',')}}`,
        `{${summaries.map((s) => s.lastTime).join(',')}}`,
      ]);
      await client.query('COMMIT');
    } catch (cause) {
      if (client) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackError) {
          broken = rollbackError as Error; // the connection is unusable: the pool must discard it
        }
      }
      throw new AtoError('STORE_WRITE', `cannot write metrics to ${url}: ${describeError(cause)}`, {
        location: { input: url },
        hint: 'nothing of this batch was written; check that the server is up and the store is not damaged',
        cause,
      });
    } finally {
      client?.release(broken);
    }
  }

  return {
    dialect: 'postgres',
    url,
    db,
    exclusive,
    writeMetrics,
    async close() {
      await db.destroy(); // ends the pool
    },
  };
}
