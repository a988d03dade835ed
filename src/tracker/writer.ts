/**
 * Where a logger's writes happen. The default writer is a worker thread with its own connection, so
 * that inserting metrics never runs on the training loop's thread; the inline writer uses the
 * logger's own connection (for `sqlite:///:memory:` and for environments without workers).
 *
 * Both take "jobs": a metric batch, fingerprint rows and a run update, applied in order. Both can
 * also apply a job synchronously, which crash and exit handlers need: the worker writer blocks on
 * `Atomics.wait` until the worker has committed (the worker thread keeps running meanwhile).
 * @module
 */
import { Worker } from 'node:worker_threads';
import { AtoError } from '../errors.js';
import type { Backend, MetricBatch } from './backend.js';
import type { SqliteBackend } from './backends/sqlite/sqlite-backend.js';
import type { Database } from './schema.js';

/** A fingerprint row to store. */
export interface FingerprintRow {
  run_id: number;
  trace_id: string;
  type: string;
  hash: string;
  recorded_at: number;
}

/** Fields of the run row to update. */
export interface RunUpdate {
  status?: string;
  ended_at?: number;
  heartbeat_at?: number;
  error?: string | null;
}

/** One unit of work, applied in order. */
export interface WriteJob {
  runId: number;
  batch: MetricBatch | undefined;
  fingerprints: FingerprintRow[];
  update: RunUpdate | undefined;
}

/** A writer of jobs. */
export interface Writer {
  /** Apply a job; resolves when it is committed. */
  write(job: WriteJob): Promise<void>;
  /** Apply a job before returning (for exit and crash handlers). Throws when it fails or times out. */
  writeSync(job: WriteJob, timeoutMs: number): void;
  /** Finish pending jobs and release the connection. */
  close(): Promise<void>;
}

type SummaryRow = Database['metric_summaries'];

/** The runs.summary JSON: `{ key: [count, min, max, last, lastStep, lastTime] }`. */
export function packSummary(rows: readonly SummaryRow[]): string {
  const out: Record<string, number[]> = {};
  for (const r of rows) {
    out[r.key] = [r.count, r.min, r.max, r.last_value, r.last_step, r.last_time].map(Number);
  }
  return JSON.stringify(out);
}

/** Apply a job with a backend (used by both writers). */
export async function applyJob(backend: Backend, job: WriteJob): Promise<void> {
  if (job.batch && job.batch.length > 0) {
    await backend.writeMetrics(job.batch);
    const rows = await backend.db
      .selectFrom('metric_summaries')
      .selectAll()
      .where('run_id', '=', job.runId)
      .execute();
    await backend.db
      .updateTable('runs')
      .set({ summary: packSummary(rows) })
      .where('id', '=', job.runId)
      .execute();
  }
  if (job.fingerprints.length > 0)
    await backend.db.insertInto('fingerprints').values(job.fingerprints).execute();
  if (job.update && Object.keys(job.update).length > 0) {
    await backend.db.updateTable('runs').set(job.update).where('id', '=', job.runId).execute();
  }
}

/** Apply a job synchronously (SQLite only: better-sqlite3 is synchronous). */
export function applyJobSync(backend: SqliteBackend, job: WriteJob): void {
  const { sqlite } = backend;
  sqlite
    .transaction(() => {
      if (job.batch && job.batch.length > 0) {
        backend.writeMetricsSync(job.batch);
        const rows = sqlite
          .prepare('SELECT * FROM metric_summaries WHERE run_id = ?')
          .all(job.runId) as SummaryRow[];
        sqlite.prepare('UPDATE runs SET summary = ? WHERE id = ?').run(packSummary(rows), job.runId);
      }
      const insert = sqlite.prepare(
        'INSERT INTO fingerprints (run_id, trace_id, type, hash, recorded_at) VALUES (?, ?, ?, ?, ?)',
      );
      for (const f of job.fingerprints) insert.run(f.run_id, f.trace_id, f.type, f.hash, f.recorded_at);
      const entries = Object.entries(job.update ?? {});
      if (entries.length > 0) {
        sqlite
          .prepare(`UPDATE runs SET ${entries.map(([k]) => `${k} = ?`).join(', ')} WHERE id = ?`)
          .run(...entries.map(([, v]) => v), job.runId);
      }
    })
    .immediate();
}

/** The inline writer: the logger's own connection. Synchronous writes need a SQLite store. */
export function inlineWriter(backend: Backend): Writer {
  let chain: Promise<void> = Promise.resolve();
  return {
    write(job) {
      chain = chain.then(() => applyJob(backend, job));
      return chain;
    },
    writeSync(job) {
      if (!('writeMetricsSync' in backend)) {
        throw new AtoError('STORE_WRITE', 'a synchronous write needs a SQLite store or the worker writer', {
          location: { input: backend.url },
        });
      }
      applyJobSync(backend as SqliteBackend, job);
    },
    async close() {
      await chain;
    },
  };
}

/** Messages from the worker. */
type FromWorker = { id: number; error?: string } | { ready: true } | { openError: string };

/**
 * The worker writer: a worker thread opens its own connection to `url` and applies jobs in order.
 * The worker does not keep the process alive.
 */
export async function workerWriter(url: string): Promise<Writer> {
  // `../tracker/` works from src/tracker/, dist/tracker/ and dist/chunks/ alike (see package.json's build)
  const here = import.meta.url;
  const options = { workerData: { url }, stderr: false };
  // from TypeScript sources (tests, tsx), the worker registers tsx before loading its .ts module
  const worker = here.endsWith('.ts')
    ? new Worker(
        `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(new URL('../tracker/writer-worker.ts', here).href)}); });`,
        { ...options, eval: true },
      )
    : new Worker(new URL('../tracker/writer-worker.js', here), options);
  const pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let failure: Error | undefined;
  await new Promise<void>((resolve, reject) => {
    const onMessage = (message: FromWorker) => {
      if ('ready' in message) {
        worker.off('message', onMessage);
        resolve();
      } else if ('openError' in message) {
        worker.off('message', onMessage);
        reject(
          new AtoError('STORE_OPEN', `the metric writer cannot open ${url}: ${message.openError}`, {
            location: { input: url },
          }),
        );
      }
    };
    worker.on('message', onMessage);
    worker.once('error', reject);
  });
  // the worker keeps the process alive only while a write is awaited
  const track = (id: number, waiter: { resolve: () => void; reject: (e: Error) => void }) => {
    if (pending.size === 0) worker.ref();
    pending.set(id, waiter);
  };
  worker.on('message', (message: FromWorker) => {
    if (!('id' in message)) return;
    const waiter = pending.get(message.id);
    pending.delete(message.id);
    if (pending.size === 0) worker.unref();
    if (message.error)
      waiter?.reject(
        new AtoError('STORE_WRITE', `writing to ${url} failed: ${message.error}`, {
          location: { input: url },
        }),
      );
    else waiter?.resolve();
  });
  worker.on('error', (error) => {
    failure = error;
    for (const waiter of pending.values()) waiter.reject(error);
    pending.clear();
  });
  worker.unref();

  const transferables = (job: WriteJob) =>
    job.batch
      ? [job.batch.keyIndex.buffer, job.batch.steps.buffer, job.batch.values.buffer, job.batch.times.buffer]
      : [];

  return {
    write(job) {
      if (failure) return Promise.reject(failure);
      const id = nextId++;
      return new Promise<void>((resolve, reject) => {
        track(id, { resolve, reject });
        worker.postMessage({ id, job }, transferables(job) as ArrayBuffer[]);
      });
    },
    writeSync(job, timeoutMs) {
      if (failure) throw failure;
      const flag = new Int32Array(new SharedArrayBuffer(4));
      worker.postMessage({ id: 0, job, flag }, transferables(job) as ArrayBuffer[]);
      const result = Atomics.wait(flag, 0, 0, timeoutMs);
      if (result === 'timed-out')
        throw new AtoError('STORE_WRITE', `the metric writer did not finish within ${timeoutMs} ms`, {
          location: { input: url },
        });
      if (Atomics.load(flag, 0) === 2)
        throw new AtoError('STORE_WRITE', `writing to ${url} failed while exiting`, {
          location: { input: url },
        });
    },
    async close() {
      const id = nextId++;
      await new Promise<void>((resolve, reject) => {
        track(id, { resolve, reject });
        worker.postMessage({ id, close: true });
      });
      await worker.terminate();
    },
  };
}
