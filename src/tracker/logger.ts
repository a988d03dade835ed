/**
 * SQLLogger: records a run (config, structural hash, tags, environment, fingerprints, metrics,
 * artifacts) into a store without slowing the training loop and without losing what was logged.
 *
 * - `logMetric` appends to an in-memory columnar buffer (no I/O, no promise); the buffer is handed to
 *   the writer (a worker thread with its own connection, by default) every `flushIntervalMs` and
 *   whenever it holds `maxBufferedPoints` points. `finish` writes everything and closes.
 * - An uncaught exception or unhandled rejection writes the buffer and marks the run `failed` with
 *   the error message; SIGINT and SIGTERM write it and mark the run `interrupted`; the process then
 *   behaves as it would without ato (same message, same exit code or signal). A process that exits
 *   without `finish` is marked `completed` (exit code 0) or `failed`.
 * - SIGKILL or power loss lose at most the last flush interval; the run stays `running` until its
 *   heartbeat (written every `heartbeatIntervalMs`) is stale, and queries then report it `crashed`.
 * - Bad input is refused at the call: a metric key that is not a non-empty string, a value that is
 *   not a finite number, a step that is not a safe integer, a config that JSON cannot hold.
 * @module
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { ADict, type DictLike } from '../config/adict.js';
import { assertRepresentable } from '../config/formats/_check.js';
import { AtoError } from '../errors.js';
import { fingerprintEnvironment } from '../fingerprint/environment.js';
import type { Fingerprint, Scope } from '../scope/scope.js';
import { type Backend, type MetricBatch, openBackend, parseStoreUrl } from './backend.js';
import { type FingerprintRow, inlineWriter, type RunUpdate, type Writer, workerWriter } from './writer.js';

/** Options of {@link SQLLogger}. */
export interface SQLLoggerOptions {
  /** A Scope whose fingerprints are recorded: every static one at start, every runtime one as produced. */
  scope?: Scope<any>;
  /** How often the buffer is written (ms). @default 1000 */
  flushIntervalMs?: number;
  /** Write as soon as the buffer holds this many points. @default 100000 */
  maxBufferedPoints?: number;
  /** How often the run's heartbeat is written (ms). @default 5000 */
  heartbeatIntervalMs?: number;
  /** Where writes happen: a worker thread (`'worker'`) or this thread (`'inline'`). @default 'worker' ('inline' for sqlite:///:memory:) */
  writer?: 'worker' | 'inline';
  /** Record the environment fingerprint (Node, lockfile, git) at start. @default true */
  environment?: boolean;
  /** Write and mark the run on crashes, signals and exit. @default true */
  handleExit?: boolean;
  /** How long exit handlers wait for the last write (ms). @default 10000 */
  exitTimeoutMs?: number;
}

/** Options of {@link SQLLogger.run}. */
export interface RunOptions {
  /** Tags of the run. */
  tags?: readonly string[];
  /** Project name (default: `config.experiment.project_name`). */
  project?: string;
}

/** Options of {@link SQLLogger.logArtifact}. */
export interface ArtifactOptions {
  /** What the file is (`model`, `predictions`, ...). */
  dataType?: string;
  /** Anything JSON can hold. */
  metadata?: Record<string, unknown>;
}

const DEFAULT_URL = 'sqlite:///experiments.db';
const INITIAL_CAPACITY = 1024;

/** Read the store URL and project name from a config the way the original does. */
function experimentSettings(config: ADict): { url: string; project: string | undefined } {
  const url = config.getPath('experiment.sql.db_path') ?? process.env.ATO_DB ?? DEFAULT_URL;
  const project = config.getPath('experiment.project_name');
  if (typeof url !== 'string') {
    throw new AtoError('INVALID_ARGUMENT', 'experiment.sql.db_path must be a string URL', {
      location: { input: 'experiment.sql.db_path' },
      hint: "e.g. 'sqlite:///experiments.db' or 'postgresql://user@host:5432/db'",
    });
  }
  return { url, project: typeof project === 'string' ? project : undefined };
}

/**
 * Logs one run at a time into a store.
 * @example
 * ```ts
 * const logger = new SQLLogger(config, { scope });   // config.experiment.{project_name, sql.db_path}
 * const runId = await logger.run({ tags: ['baseline'] });
 * for (let step = 0; step < 1000; step++) logger.logMetric('train_loss', loss, step);
 * await logger.logArtifact(runId, 'checkpoints/model.bin', { dataType: 'model' });
 * await logger.finish('completed');
 * ```
 */
export class SQLLogger {
  /** The store URL. */
  readonly url: string;
  readonly #config: ADict;
  readonly #project: string | undefined;
  readonly #options: Required<Omit<SQLLoggerOptions, 'scope' | 'writer'>> &
    Pick<SQLLoggerOptions, 'scope' | 'writer'>;
  #backend: Backend | undefined;
  #writer: Writer | undefined;
  #runId: number | undefined;
  #finished = false;
  // the columnar buffer
  #keys = new Map<string, number>();
  #keyNames: string[] = [];
  #keyIndex = new Uint32Array(INITIAL_CAPACITY);
  #steps = new Float64Array(INITIAL_CAPACITY);
  #values = new Float64Array(INITIAL_CAPACITY);
  #times = new Float64Array(INITIAL_CAPACITY);
  #length = 0;
  #lastStep = new Map<string, number>();
  #fingerprintRows: FingerprintRow[] = [];
  #lastHeartbeat = 0;
  #timer: NodeJS.Timeout | undefined;
  #pending = new Set<Promise<void>>();
  #writeError: Error | undefined;
  #unhook: (() => void) | undefined;

  /**
   * @param config the experiment's config: `experiment.project_name` names the project and
   *   `experiment.sql.db_path` the store (default `ATO_DB`, else `sqlite:///experiments.db`)
   */
  constructor(config: ADict | DictLike, options: SQLLoggerOptions = {}) {
    this.#config = ADict.isADict(config) ? config : new ADict(config);
    const settings = experimentSettings(this.#config);
    parseStoreUrl(settings.url);
    this.url = settings.url;
    this.#project = settings.project;
    this.#options = {
      flushIntervalMs: options.flushIntervalMs ?? 1000,
      maxBufferedPoints: options.maxBufferedPoints ?? 100_000,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 5000,
      environment: options.environment ?? true,
      handleExit: options.handleExit ?? true,
      exitTimeoutMs: options.exitTimeoutMs ?? 10_000,
      ...(options.scope ? { scope: options.scope } : {}),
      ...(options.writer ? { writer: options.writer } : {}),
    };
  }

  /** The current run's id (after {@link SQLLogger.run}). */
  get runId(): number | undefined {
    return this.#runId;
  }

  /**
   * Start a run: store the config, its structural hash, the tags, the environment and the scope's
   * static fingerprints; start the writer. Returns the run id.
   * @throws {AtoError} when a run is already active, the project has no name, the config cannot be
   *   stored as JSON, or the store cannot be opened
   */
  async run(options: RunOptions = {}): Promise<number> {
    if (this.#runId !== undefined && !this.#finished) {
      throw new AtoError('RUN_STATE', `run ${this.#runId} is still active`, {
        hint: 'call finish() before starting another run',
      });
    }
    const project = options.project ?? this.#project;
    if (!project) {
      throw new AtoError('INVALID_ARGUMENT', 'the run has no project name', {
        location: { input: 'experiment.project_name' },
        hint: "set config.experiment.project_name, or pass run({ project: 'name' })",
      });
    }
    const configData = this.#config.toDict();
    assertRepresentable(
      configData,
      {
        format: 'the run store (JSON)',
        null: true,
        nonFinite: false,
        date: false,
        bigint: false,
        undefined: false,
      },
      undefined,
    );
    const tags = [...new Set(options.tags ?? [])];
    for (const tag of tags) {
      if (typeof tag !== 'string' || tag === '')
        throw new AtoError('INVALID_ARGUMENT', `invalid tag ${JSON.stringify(tag)}`, {
          hint: 'tags are non-empty strings',
        });
    }
    this.#backend ??= await openBackend(this.url);
    const now = Date.now();
    const environment = this.#options.environment ? fingerprintEnvironment() : undefined;
    const inserted = await this.#backend.db
      .insertInto('runs')
      .values({
        uid: randomUUID(),
        project,
        status: 'running',
        config: JSON.stringify(configData),
        structural_hash: this.#config.getStructuralHash(),
        tags: JSON.stringify(tags),
        started_at: now,
        ended_at: null,
        heartbeat_at: now,
        error: null,
        environment: environment ? JSON.stringify(environment) : null,
        environment_hash: environment?.hash ?? null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const runId = Number(inserted.id);
    if (tags.length > 0)
      await this.#backend.db
        .insertInto('run_tags')
        .values(tags.map((tag) => ({ run_id: runId, tag })))
        .execute();
    const scope = this.#options.scope;
    if (scope) {
      const rows = Object.entries(scope.fingerprints).map(([traceId, fp]) =>
        this.#fingerprintRow(runId, traceId, fp, now),
      );
      if (rows.length > 0) await this.#backend.db.insertInto('fingerprints').values(rows).execute();
    }
    this.#runId = runId;
    this.#finished = false;
    this.#lastStep.clear();
    this.#lastHeartbeat = now;
    this.#writeError = undefined;
    const inMemory = parseStoreUrl(this.url).dialect === 'sqlite' && this.url.endsWith(':memory:');
    this.#writer =
      this.#options.writer === 'inline' || inMemory
        ? inlineWriter(this.#backend)
        : await workerWriter(this.url);
    if (scope) {
      const unsubscribe = scope.onFingerprint((traceId, fp) => {
        if (fp.type === 'runtime')
          this.#fingerprintRows.push(this.#fingerprintRow(runId, traceId, fp, Date.now()));
      });
      this.#unhook = unsubscribe;
    }
    this.#timer = setInterval(() => void this.flush().catch(() => {}), this.#options.flushIntervalMs);
    this.#timer.unref();
    if (this.#options.handleExit) this.#installExitHandlers();
    return runId;
  }

  /**
   * Log one point. Never blocks and never waits: the point goes to an in-memory buffer. Without
   * `step`, the key's previous step plus one (starting at 0).
   * @throws {AtoError} `INVALID_METRIC` for a bad key, value or step; `RUN_STATE` without an active run
   */
  logMetric(key: string, value: number, step?: number): void {
    if (this.#runId === undefined || this.#finished) {
      throw new AtoError('RUN_STATE', 'logMetric() needs an active run', {
        hint: 'call await logger.run() first',
      });
    }
    let k = this.#keys.get(key);
    if (k === undefined) {
      if (typeof key !== 'string' || key === '' || key.includes('\u0000')) {
        throw new AtoError('INVALID_METRIC', `invalid metric key ${JSON.stringify(key)}`, {
          hint: 'metric keys are non-empty strings without NUL characters',
        });
      }
      k = this.#keyNames.length;
      this.#keys.set(key, k);
      this.#keyNames.push(key);
    }
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new AtoError(
        'INVALID_METRIC',
        `metric "${key}" got ${String(value)}, which is not a finite number`,
        {
          location: { input: key },
          hint: 'log finite numbers only (check for NaN or Infinity before logging)',
        },
      );
    }
    let s: number;
    if (step === undefined) s = (this.#lastStep.get(key) ?? -1) + 1;
    else if (Number.isSafeInteger(step)) s = step;
    else {
      throw new AtoError(
        'INVALID_METRIC',
        `metric "${key}" got step ${String(step)}, which is not an integer`,
        {
          location: { input: key },
          hint: 'steps are integers (epoch, batch or sample counters)',
        },
      );
    }
    this.#lastStep.set(key, s);
    const i = this.#length;
    if (i === this.#steps.length) this.#grow();
    this.#keyIndex[i] = k;
    this.#steps[i] = s;
    this.#values[i] = value;
    this.#times[i] = Date.now();
    this.#length = i + 1;
    if (this.#length >= this.#options.maxBufferedPoints) void this.flush().catch(() => {});
  }

  /** Log several metrics at one step (see {@link SQLLogger.logMetric}). */
  logMetrics(values: Record<string, number>, step?: number): void {
    for (const [key, value] of Object.entries(values)) this.logMetric(key, value, step);
  }

  /** Record a fingerprint by hand (a Scope given to the logger records its own). */
  logFingerprint(traceId: string, fingerprint: Fingerprint): void {
    if (this.#runId === undefined || this.#finished)
      throw new AtoError('RUN_STATE', 'logFingerprint() needs an active run');
    this.#fingerprintRows.push(this.#fingerprintRow(this.#runId, traceId, fingerprint, Date.now()));
  }

  /**
   * Record a file of a run (any run of this store): its path, type, metadata, and the file's SHA-256
   * and size now, so that a later change to the file is detectable. A missing file is recorded
   * without hash and size. Returns the artifact id.
   */
  async logArtifact(runId: number, path: string, options: ArtifactOptions = {}): Promise<number> {
    this.#backend ??= await openBackend(this.url);
    const backend = this.#backend;
    let sha256: string | null = null;
    let size: number | null = null;
    try {
      if (statSync(path).isFile()) {
        size = statSync(path).size;
        sha256 = await hashFile(path);
      }
    } catch {
      // not a readable file: recorded by path only
    }
    const metadata = options.metadata === undefined ? null : JSON.stringify(options.metadata);
    const row = await backend.db
      .insertInto('artifacts')
      .values({
        run_id: runId,
        path,
        data_type: options.dataType ?? null,
        metadata,
        sha256,
        size,
        logged_at: Date.now(),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return Number(row.id);
  }

  /** Hand the buffer to the writer and wait until it is committed. */
  async flush(): Promise<void> {
    const job = this.#takeJob(undefined);
    if (!job || !this.#writer) return;
    const write = this.#writer.write(job).catch((error: Error) => {
      this.#writeError ??= error;
    });
    this.#pending.add(write);
    await write;
    this.#pending.delete(write);
    if (this.#writeError) throw this.#writeError;
  }

  /**
   * Write everything, mark the run `completed` (or `failed`/`interrupted`, with an optional error
   * message), and close the writer and the connection.
   */
  async finish(status: 'completed' | 'failed' | 'interrupted' = 'completed', error?: string): Promise<void> {
    if (this.#runId === undefined || this.#finished) return;
    this.#stopTimers();
    const job = this.#takeJob(
      { status, ended_at: Date.now(), heartbeat_at: Date.now(), error: error ?? null },
      true,
    )!;
    await Promise.all(this.#pending);
    this.#finished = true;
    try {
      await this.#writer!.write(job);
    } finally {
      await this.#writer!.close();
      this.#writer = undefined;
      await this.#backend?.close();
      this.#backend = undefined;
    }
    if (this.#writeError) throw this.#writeError;
  }

  #fingerprintRow(runId: number, traceId: string, fp: Fingerprint, at: number): FingerprintRow {
    return { run_id: runId, trace_id: traceId, type: fp.type, hash: fp.hash, recorded_at: at };
  }

  #grow(): void {
    const capacity = this.#steps.length * 2;
    const grow = <T extends Float64Array | Uint32Array>(old: T, make: (n: number) => T): T => {
      const next = make(capacity);
      next.set(old);
      return next;
    };
    this.#keyIndex = grow(this.#keyIndex, (n) => new Uint32Array(n));
    this.#steps = grow(this.#steps, (n) => new Float64Array(n));
    this.#values = grow(this.#values, (n) => new Float64Array(n));
    this.#times = grow(this.#times, (n) => new Float64Array(n));
  }

  /** Take the buffered points and fingerprints (and a heartbeat when due) as one job. */
  #takeJob(update: RunUpdate | undefined, always = false): import('./writer.js').WriteJob | undefined {
    if (this.#runId === undefined) return undefined;
    const now = Date.now();
    let runUpdate = update;
    if (!runUpdate && now - this.#lastHeartbeat >= this.#options.heartbeatIntervalMs)
      runUpdate = { heartbeat_at: now };
    if (runUpdate?.heartbeat_at) this.#lastHeartbeat = runUpdate.heartbeat_at;
    if (!always && this.#length === 0 && this.#fingerprintRows.length === 0 && !runUpdate) return undefined;
    const n = this.#length;
    const batch: MetricBatch | undefined =
      n === 0
        ? undefined
        : {
            runId: this.#runId,
            keys: [...this.#keyNames],
            keyIndex: this.#keyIndex.slice(0, n),
            steps: this.#steps.slice(0, n),
            values: this.#values.slice(0, n),
            times: this.#times.slice(0, n),
            length: n,
          };
    this.#length = 0;
    const fingerprints = this.#fingerprintRows;
    this.#fingerprintRows = [];
    return { runId: this.#runId, batch, fingerprints, update: runUpdate };
  }

  #stopTimers(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#unhook?.();
    this.#unhook = undefined;
    this.#removeExitHandlers?.();
  }

  #removeExitHandlers: (() => void) | undefined;

  /** Write synchronously and mark the run, from an exit path. Never throws. */
  #finishSync(update: RunUpdate): void {
    if (this.#runId === undefined || this.#finished || !this.#writer) return;
    this.#finished = true;
    this.#stopTimers();
    try {
      this.#writer.writeSync(
        this.#takeJob({ ...update, heartbeat_at: Date.now() }, true)!,
        this.#options.exitTimeoutMs,
      );
    } catch (error) {
      process.stderr.write(
        `ato: could not record the end of run ${this.#runId}: ${(error as Error).message}\n`,
      );
    }
  }

  #installExitHandlers(): void {
    const onCrash = (error: unknown, origin: string) => {
      // with the user's own uncaughtException handlers the process goes on: only write the buffer
      if (origin === 'uncaughtException' && process.listenerCount('uncaughtException') > 0) {
        void this.flush().catch(() => {});
        return;
      }
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      this.#finishSync({ status: 'failed', ended_at: Date.now(), error: message });
    };
    const onSignal = (signal: NodeJS.Signals) => {
      this.#finishSync({ status: 'interrupted', ended_at: Date.now(), error: `interrupted by ${signal}` });
      // behave as without ato: when nobody else handles the signal, die of it
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    const onExit = (code: number) => {
      this.#finishSync(
        code === 0
          ? { status: 'completed', ended_at: Date.now() }
          : { status: 'failed', ended_at: Date.now(), error: `process exited with code ${code}` },
      );
    };
    process.on('uncaughtExceptionMonitor', onCrash);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('exit', onExit);
    this.#removeExitHandlers = () => {
      process.off('uncaughtExceptionMonitor', onCrash);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('exit', onExit);
      this.#removeExitHandlers = undefined;
    };
  }
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
