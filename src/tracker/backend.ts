/**
 * The storage seam. A backend gives a Kysely instance (every query is written once, in
 * `queries.ts`), the store's write lock, and the hot metric path with the fastest statement its
 * database offers. One folder per backend under `backends/`; `openBackend` picks one by URL and
 * loads only that one.
 * @module
 */
import type { Kysely } from 'kysely';
import { AtoError } from '../errors.js';
import type { Database, Dialect, Exclusive } from './schema.js';

/** A batch of metric points of one run, in columns (cheap to build, to transfer and to insert). */
export interface MetricBatch {
  runId: number;
  /** Distinct metric keys of the batch; `keyIndex[i]` points into it. */
  keys: string[];
  keyIndex: Uint32Array;
  steps: Float64Array;
  values: Float64Array;
  /** Milliseconds since the epoch. */
  times: Float64Array;
  /** Number of points (the arrays may be longer). */
  length: number;
}

/** Per-key summary of a batch, merged into `metric_summaries`. */
export interface BatchSummary {
  key: string;
  count: number;
  min: number;
  max: number;
  lastValue: number;
  lastStep: number;
  lastTime: number;
}

/** What every storage backend provides. */
export interface Backend {
  readonly dialect: Dialect;
  /** The store's URL with any password removed, for messages. */
  readonly url: string;
  /** The query builder over this store. */
  readonly db: Kysely<Database>;
  /** Run `fn` holding the store's write lock, in one transaction. */
  readonly exclusive: Exclusive;
  /** Insert the points and update their summaries, in one transaction. */
  writeMetrics(batch: MetricBatch): Promise<void>;
  /** Close every connection. */
  close(): Promise<void>;
}

/** A parsed store URL. */
export type StoreLocation =
  | { dialect: 'sqlite'; path: string; url: string }
  | { dialect: 'postgres'; connectionString: string; url: string };

/**
 * Parse a store URL: `sqlite:///relative/path.db`, `sqlite:////absolute/path.db`,
 * `sqlite:///:memory:`, a plain path ending in `.db`/`.sqlite`/`.sqlite3`, or
 * `postgresql://user:password@host:port/database` (also `postgres://`).
 * @throws {AtoError} `STORE_URL` naming the URL and the accepted forms
 */
export function parseStoreUrl(url: string): StoreLocation {
  if (url.startsWith('sqlite://')) {
    const rest = url.slice('sqlite://'.length);
    if (!rest.startsWith('/') || rest.length < 2) {
      throw new AtoError('STORE_URL', `invalid SQLite URL "${url}"`, {
        location: { input: url },
        hint: 'write sqlite:///relative/path.db or sqlite:////absolute/path.db',
      });
    }
    return { dialect: 'sqlite', path: rest.slice(1), url };
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch (cause) {
      throw new AtoError('STORE_URL', `invalid PostgreSQL URL "${url}"`, {
        location: { input: url },
        hint: 'write postgresql://user:password@host:port/database',
        cause,
      });
    }
    if (parsed.password) parsed.password = '***';
    return { dialect: 'postgres', connectionString: url, url: parsed.toString() };
  }
  if (/\.(db|sqlite3?)$/i.test(url) && !url.includes('://'))
    return { dialect: 'sqlite', path: url, url: `sqlite:///${url}` };
  throw new AtoError('STORE_URL', `unsupported store URL "${url}"`, {
    location: { input: url },
    hint: 'use sqlite:///path/to/experiments.db or postgresql://user@host:port/database',
  });
}

/** Open (creating and migrating as needed) the store at `url`. Loads only the backend it needs. */
export async function openBackend(url: string): Promise<Backend> {
  const location = parseStoreUrl(url);
  if (location.dialect === 'sqlite') {
    const { openSqliteBackend } = await import('./backends/sqlite/sqlite-backend.js');
    return openSqliteBackend(location.path, location.url);
  }
  const { openPostgresBackend } = await import('./backends/postgres/postgres-backend.js');
  return openPostgresBackend(location.connectionString, location.url);
}

/** Summarise a batch per key (count, min, max, and the point with the highest step, latest on ties). */
export function summarizeBatch(batch: MetricBatch): BatchSummary[] {
  const byKey = new Map<number, BatchSummary>();
  for (let i = 0; i < batch.length; i++) {
    const k = batch.keyIndex[i]!;
    const value = batch.values[i]!;
    const step = batch.steps[i]!;
    const time = batch.times[i]!;
    const s = byKey.get(k);
    if (!s) {
      byKey.set(k, {
        key: batch.keys[k]!,
        count: 1,
        min: value,
        max: value,
        lastValue: value,
        lastStep: step,
        lastTime: time,
      });
      continue;
    }
    s.count++;
    if (value < s.min) s.min = value;
    if (value > s.max) s.max = value;
    if (step > s.lastStep || (step === s.lastStep && time >= s.lastTime)) {
      s.lastStep = step;
      s.lastValue = value;
      s.lastTime = time;
    }
  }
  return [...byKey.values()];
}
