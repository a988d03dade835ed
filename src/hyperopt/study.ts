/**
 * Studies in the store: a search's trials live in the `studies` and `trials` tables, so a search can
 * be resumed by name, and any number of workers (processes on this machine, or on other machines
 * sharing a PostgreSQL store) can evaluate one study's trials together.
 *
 * ## How workers share a study
 * Every worker runs the same loop ({@link studyRunner}):
 * 1. Holding the store's write lock (`Backend.exclusive`: `BEGIN IMMEDIATE` on SQLite, a
 *    transaction-scoped advisory lock on PostgreSQL), in one transaction: record the result of its
 *    previous trial; re-queue (`pending`) every `running` trial whose lease has passed; read the
 *    study's trials (only what changed since its last read); then claim the oldest `pending` trial,
 *    or ask the (pure, deterministic) algorithm for the next one and insert it as `running` with this
 *    worker's id and a lease.
 * 2. Evaluate the trial outside the lock, renewing the lease every `heartbeatMs`.
 * 3. Back to 1. A `wait` decision sleeps 20-200 ms (growing) and asks again; `done` returns.
 *
 * Exactly once: decisions and claims are serialized by the lock, so two workers never claim the same
 * trial, and `UNIQUE(study_id, config_id, rung)` makes a duplicate impossible even for a buggy
 * algorithm. A trial is evaluated again only when its worker stops renewing its lease (it died, or
 * its event loop was blocked longer than `leaseMs`): then it goes back to `pending` and the next
 * worker claims it. A late result of a lost lease is still accepted while the trial is `pending`
 * (nobody started it again), and discarded once another worker holds it.
 *
 * Every attempt is a tracker run too (project = the study's, tags `study:<name>` and `trial`,
 * config = the trial's params with `__num_halved__` and `__budget__`, metrics `metric` and
 * `budget`), so `ato` lists and the dashboard show them; `trials.run_id` points at the latest.
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import { structuralHash } from '../config/structural-hash.js';
import { AtoError } from '../errors.js';
import { type Backend, openBackend } from '../tracker/backend.js';
import type { Database } from '../tracker/schema.js';
import { compareTrials, type SearchAlgorithm, type TrialRecord, trialFromDecision } from './algorithms.js';
import type { ProgressEvent, TrialRunner } from './search.js';

/** Set to `1` in the environment of the worker processes {@link launchLocalWorkers} starts. */
export const WORKER_ENV = 'ATO_WORKER';
/** The study name a worker process joins (set by {@link launchLocalWorkers}). */
export const STUDY_ENV = 'ATO_STUDY';
/** The store URL a worker process joins (set by {@link launchLocalWorkers}). */
export const STUDY_URL_ENV = 'ATO_STUDY_URL';

/** What a study is created with (and must be resumed with). */
export interface StudyOptions {
  /** Unique in the store: running a study of this name again resumes it. */
  name: string;
  /** The tracker project of its runs. @default 'hyperopt' */
  project?: string;
  /** The algorithm's name (e.g. `HyperBand`). */
  algorithmName: string;
  mode: 'max' | 'min';
  /** Everything that defines the search (spaces, options); JSON. */
  settings: Record<string, unknown>;
}

/** An open study. */
export interface Study {
  readonly id: number;
  readonly name: string;
  readonly project: string;
  readonly algorithmName: string;
  readonly mode: 'max' | 'min';
  readonly settings: Record<string, unknown>;
  /** The store's URL (password removed). */
  readonly url: string;
  readonly backend: Backend;
  /** Close the store (when {@link openStudy} opened it). */
  close(): Promise<void>;
}

/** JSON with sorted keys, so equal settings compare equal whatever their key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

/**
 * Create the study `name`, or join it when it exists (resume, or one more worker).
 * @param url a store URL (`sqlite:///...`, `postgresql://...`) or an open backend (then not closed by `close()`)
 * @throws {AtoError} `INVALID_ARGUMENT` when the stored study has another algorithm, mode or settings
 *   (resuming must not silently change the search): the message names both
 */
export async function openStudy(url: string | Backend, options: StudyOptions): Promise<Study> {
  if (typeof options.name !== 'string' || options.name === '')
    throw new AtoError('INVALID_ARGUMENT', 'a study needs a non-empty name', {
      hint: "e.g. { name: 'lr-sweep' }",
    });
  const owned = typeof url === 'string';
  const backend = typeof url === 'string' ? await openBackend(url) : url;
  const project = options.project ?? 'hyperopt';
  const settings = canonicalJson(options.settings);
  try {
    const row = await backend.exclusive(async (db) => {
      const existing = await db
        .selectFrom('studies')
        .selectAll()
        .where('name', '=', options.name)
        .executeTakeFirst();
      if (existing) return existing;
      return db
        .insertInto('studies')
        .values({
          name: options.name,
          project,
          algorithm: options.algorithmName,
          mode: options.mode,
          settings,
          created_at: Date.now(),
          status: 'running',
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    });
    if (row.algorithm !== options.algorithmName || row.mode !== options.mode || row.settings !== settings) {
      throw new AtoError(
        'INVALID_ARGUMENT',
        `study "${options.name}" exists with algorithm ${row.algorithm} (mode ${row.mode}, settings ${row.settings}); ` +
          `this search is ${options.algorithmName} (mode ${options.mode}, settings ${settings})`,
        {
          location: { input: options.name },
          hint: 'resuming a study must not change its search: use another study name, or the same algorithm and settings',
        },
      );
    }
    return {
      id: Number(row.id),
      name: row.name,
      project: row.project,
      algorithmName: row.algorithm,
      mode: row.mode as 'max' | 'min',
      settings: JSON.parse(row.settings) as Record<string, unknown>,
      url: backend.url,
      backend,
      close: async () => {
        if (owned) await backend.close();
      },
    };
  } catch (error) {
    if (owned) await backend.close().catch(() => {});
    throw error;
  }
}

/** Options of {@link studyRunner}. */
export interface StudyRunnerOptions {
  /** This worker's id, stored on its trials. @default `<host>:<pid>:<random>` */
  workerId?: string;
  /** A running trial whose lease is not renewed for this long (ms) is re-queued. @default 60000 */
  leaseMs?: number;
  /** How often the lease is renewed while the objective runs (ms). @default min(leaseMs / 3, 10000) */
  heartbeatMs?: number;
  onProgress?: (event: ProgressEvent) => void;
  /** Filled with the errors of failed trials, by trial id, when the run returns. */
  errors?: Map<number, string>;
  /** Stop (after recording the current trial) and return the trials so far: this worker leaves. */
  signal?: AbortSignal;
  /** Record each attempt as a tracker run. @default true */
  track?: boolean;
}

type Outcome = { metric: number; error?: undefined } | { metric?: undefined; error: string };

interface Attempt {
  trial: TrialRecord;
  runId: number | null;
  outcome: Outcome;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** The default worker id: host, pid and a random suffix. */
export function defaultWorkerId(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

/**
 * A {@link TrialRunner} over a study in the store (see the module comment for the protocol). Run it
 * in as many processes as you like: each is one worker evaluating one trial at a time. `run` returns
 * every trial of the study when the algorithm is done (the same list in every worker).
 */
export function studyRunner(
  study: Study,
  options: StudyRunnerOptions = {},
): TrialRunner & { workerId: string } {
  const workerId = options.workerId ?? defaultWorkerId();
  const leaseMs = options.leaseMs ?? 60_000;
  const heartbeatMs = options.heartbeatMs ?? Math.min(leaseMs / 3, 10_000);
  const track = options.track ?? true;
  const backend = study.backend;
  const tags = [`study:${study.name}`, 'trial'];
  const tagsJson = JSON.stringify(tags);
  const hashes = new Map<string, string>();

  function runConfig(trial: TrialRecord): Record<string, unknown> {
    return {
      ...trial.params,
      __num_halved__: trial.rung,
      ...(trial.budget === undefined ? {} : { __budget__: trial.budget }),
    };
  }

  async function startRun(db: Kysely<Database>, trial: TrialRecord, now: number): Promise<number | null> {
    if (!track) return null;
    const config = runConfig(trial);
    const shape = Object.keys(config).sort().join('\0');
    let hash = hashes.get(shape);
    if (hash === undefined) {
      hash = structuralHash(config);
      hashes.set(shape, hash);
    }
    const run = await db
      .insertInto('runs')
      .values({
        uid: randomUUID(),
        project: study.project,
        status: 'running',
        config: JSON.stringify(config),
        structural_hash: hash,
        tags: tagsJson,
        started_at: now,
        ended_at: null,
        heartbeat_at: now,
        error: null,
        environment: null,
        environment_hash: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const runId = Number(run.id);
    await db
      .insertInto('run_tags')
      .values(tags.map((tag) => ({ run_id: runId, tag })))
      .execute();
    return runId;
  }

  async function finishRun(db: Kysely<Database>, attempt: Attempt, now: number): Promise<void> {
    if (attempt.runId === null) return;
    const { trial, outcome } = attempt;
    const points: [string, number][] = [];
    if (outcome.metric !== undefined) points.push(['metric', outcome.metric]);
    if (trial.budget !== undefined) points.push(['budget', trial.budget]);
    if (points.length > 0) {
      await db
        .insertInto('metrics')
        .values(
          points.map(([key, value]) => ({ run_id: attempt.runId!, key, step: trial.rung, value, time: now })),
        )
        .execute();
      await db
        .insertInto('metric_summaries')
        .values(
          points.map(([key, value]) => ({
            run_id: attempt.runId!,
            key,
            count: 1,
            min: value,
            max: value,
            last_value: value,
            last_step: trial.rung,
            last_time: now,
          })),
        )
        .execute();
    }
    const summary = Object.fromEntries(points.map(([key, v]) => [key, [1, v, v, v, trial.rung, now]]));
    await db
      .updateTable('runs')
      .set({
        status: outcome.error === undefined ? 'completed' : 'failed',
        error: outcome.error ?? null,
        ended_at: now,
        heartbeat_at: now,
        summary: JSON.stringify(summary),
      })
      .where('id', '=', attempt.runId)
      .execute();
  }

  return {
    workerId,
    async run(algorithm: SearchAlgorithm, evaluate, total) {
      const list: TrialRecord[] = [];
      const byId = new Map<number, TrialRecord>();
      const errors = new Map<number, string>();
      /** Ids of trials seen pending or running (their status may have changed since). */
      const open = new Set<number>();
      let maxId = 0;
      let previous: Attempt | undefined;
      let waits = 0;
      let lastRequeue = 0;
      const requeueEveryMs = Math.min(leaseMs / 5, 1000);
      const started = Date.now();
      const compare = compareTrials(algorithm.mode);

      const apply = (row: Database['trials'] & { id: number }) => {
        const id = Number(row.id);
        let trial = byId.get(id);
        if (!trial) {
          trial = {
            id,
            configId: Number(row.config_id),
            params: JSON.parse(row.params) as Record<string, unknown>,
            rung: Number(row.rung),
            budget: row.budget === null ? undefined : Number(row.budget),
            status: row.status as TrialRecord['status'],
            metric: undefined,
          };
          byId.set(id, trial);
          list.push(trial);
          if (id > maxId) maxId = id;
        }
        trial.status = row.status as TrialRecord['status'];
        trial.metric = row.metric === null ? undefined : Number(row.metric);
        if (row.error !== null) errors.set(id, row.error);
        if (trial.status === 'pending' || trial.status === 'running') open.add(id);
        else open.delete(id);
      };

      const refresh = async (db: Kysely<Database>) => {
        const full = open.size > 500;
        const rows = await db
          .selectFrom('trials')
          .selectAll()
          .where('study_id', '=', study.id)
          .$if(!full, (q) =>
            q.where((eb) =>
              eb.or([
                eb('id', '>', maxId),
                eb('status', 'in', ['pending', 'running']),
                ...(open.size > 0 ? [eb('id', 'in', [...open])] : []),
              ]),
            ),
          )
          .orderBy('id')
          .execute();
        for (const row of rows) apply(row as Database['trials'] & { id: number });
      };

      const record = async (db: Kysely<Database>, attempt: Attempt, now: number) => {
        const { trial, outcome } = attempt;
        await db
          .updateTable('trials')
          .set({
            status: outcome.error === undefined ? 'completed' : 'failed',
            metric: outcome.metric ?? null,
            error: outcome.error ?? null,
            worker: workerId,
            lease_until: null,
            ended_at: now,
          })
          .where('id', '=', trial.id)
          .where((eb) =>
            eb.or([
              eb.and([eb('status', '=', 'running'), eb('worker', '=', workerId)]),
              eb('status', '=', 'pending'),
            ]),
          )
          .execute();
        await finishRun(db, attempt, now);
      };

      const requeue = async (db: Kysely<Database>, now: number) => {
        const expired = await db
          .selectFrom('trials')
          .select(['id', 'run_id', 'worker'])
          .where('study_id', '=', study.id)
          .where('status', '=', 'running')
          .where('lease_until', '<', now)
          .execute();
        if (expired.length === 0) return;
        await db
          .updateTable('trials')
          .set({ status: 'pending', lease_until: null })
          .where(
            'id',
            'in',
            expired.map((e) => e.id),
          )
          .execute();
        for (const e of expired) {
          if (e.run_id === null) continue;
          await db
            .updateTable('runs')
            .set({
              status: 'crashed',
              ended_at: now,
              error: `lease expired: worker ${e.worker ?? '?'} stopped renewing it; the trial was re-queued`,
            })
            .where('id', '=', e.run_id)
            .where('status', '=', 'running')
            .execute();
        }
      };

      const claim = async (db: Kysely<Database>, trial: TrialRecord, now: number) => {
        const runId = await startRun(db, trial, now);
        await db
          .updateTable('trials')
          .set({
            status: 'running',
            worker: workerId,
            lease_until: now + leaseMs,
            started_at: now,
            run_id: runId,
          })
          .where('id', '=', trial.id)
          .execute();
        trial.status = 'running';
        return runId;
      };

      type Step =
        | { kind: 'trial'; trial: TrialRecord; runId: number | null }
        | { kind: 'wait' }
        | { kind: 'done' }
        | { kind: 'stop' };

      const report = () => {
        if (!options.onProgress) return;
        let done = 0;
        let failed = 0;
        let running = 0;
        let best: TrialRecord | undefined;
        for (const t of list) {
          if (t.status === 'completed') {
            done++;
            if (!best || compare(t, best) < 0) best = t;
          } else if (t.status === 'failed') failed++;
          else running++;
        }
        options.onProgress({
          done,
          failed,
          running,
          best: best?.metric,
          total,
          elapsedMs: Date.now() - started,
        });
      };

      for (;;) {
        const attempt = previous;
        previous = undefined;
        const step: Step = await backend.exclusive(async (db): Promise<Step> => {
          const now = Date.now();
          if (attempt) await record(db, attempt, now);
          // leases are checked a few times per lease period, and always before waiting
          if (now - lastRequeue >= requeueEveryMs || waits > 0) {
            lastRequeue = now;
            await requeue(db, now);
          }
          await refresh(db);
          if (options.signal?.aborted) return { kind: 'stop' };
          // the oldest re-queued trial (only trials seen pending or running can be pending)
          let pending: TrialRecord | undefined;
          for (const id of open) {
            const t = byId.get(id);
            if (t?.status === 'pending' && (!pending || t.id < pending.id)) pending = t;
          }
          if (pending) return { kind: 'trial', trial: pending, runId: await claim(db, pending, now) };
          const decision = algorithm.next(list);
          if (decision.kind === 'trial') {
            const draft = trialFromDecision(decision, 0);
            const runId = await startRun(db, draft, now);
            const row = await db
              .insertInto('trials')
              .values({
                study_id: study.id,
                config_id: decision.configId,
                rung: decision.rung,
                budget: decision.budget ?? null,
                params: JSON.stringify(decision.params),
                status: 'running',
                metric: null,
                error: null,
                worker: workerId,
                lease_until: now + leaseMs,
                started_at: now,
                ended_at: null,
                run_id: runId,
              })
              .returning('id')
              .executeTakeFirstOrThrow();
            draft.id = Number(row.id);
            byId.set(draft.id, draft);
            list.push(draft);
            open.add(draft.id);
            if (draft.id > maxId) maxId = draft.id;
            return { kind: 'trial', trial: draft, runId };
          }
          if (decision.kind === 'done') {
            await db
              .updateTable('studies')
              .set({ status: 'completed' })
              .where('id', '=', study.id)
              .where('status', '<>', 'completed')
              .execute();
          }
          return decision;
        });
        if (attempt) report();
        if (step.kind === 'done' || step.kind === 'stop') {
          for (const [id, error] of errors) options.errors?.set(id, error);
          return list;
        }
        if (step.kind === 'wait') {
          await sleep(Math.min(200, 20 * 1.5 ** waits++) * (0.75 + Math.random() * 0.5));
          continue;
        }
        waits = 0;
        previous = {
          trial: step.trial,
          runId: step.runId,
          outcome: await evaluateLeased(step.trial, step.runId),
        };
        // what this worker knows until its next read
        step.trial.status = previous.outcome.error === undefined ? 'completed' : 'failed';
        step.trial.metric = previous.outcome.metric;
      }

      async function evaluateLeased(trial: TrialRecord, runId: number | null): Promise<Outcome> {
        let renewing: Promise<unknown> = Promise.resolve();
        const timer = setInterval(() => {
          renewing = renewing.then(() =>
            backend
              .exclusive(async (db) => {
                const now = Date.now();
                await db
                  .updateTable('trials')
                  .set({ lease_until: now + leaseMs })
                  .where('id', '=', trial.id)
                  .where('status', '=', 'running')
                  .where('worker', '=', workerId)
                  .execute();
                if (runId !== null)
                  await db
                    .updateTable('runs')
                    .set({ heartbeat_at: now })
                    .where('id', '=', runId)
                    .where('status', '=', 'running')
                    .execute();
              })
              .catch(() => {}),
          );
        }, heartbeatMs);
        try {
          const metric = await evaluate(trial);
          if (typeof metric !== 'number' || Number.isNaN(metric))
            return { error: `TypeError: the objective returned ${String(metric)}, not a number` };
          return { metric };
        } catch (error) {
          return { error: errorText(error) };
        } finally {
          clearInterval(timer);
          await renewing;
        }
      }
    },
  };
}

/** Is this process a worker started by {@link launchLocalWorkers}? */
export function isStudyWorker(): boolean {
  return process.env[WORKER_ENV] === '1';
}

/** Worker processes started by {@link launchLocalWorkers}. */
export interface LocalWorkers {
  readonly children: ChildProcess[];
  /** Wait until every worker has exited (at most `timeoutMs`, then they are killed); their exit codes. */
  wait(timeoutMs?: number): Promise<(number | null)[]>;
}

/**
 * Start `count` worker processes on this machine: this script again (`process.execPath`, its
 * `execArgv` and `argv`, so `tsx` and `node --import` launches work alike), with `ATO_WORKER=1`,
 * `ATO_STUDY=<name>` and `ATO_STUDY_URL=<url>` in their environment. In them, a search with a
 * `study` option joins that study, evaluates trials until the study is done, and exits the process
 * (code 0): they are pure workers and never run the script past the search. Their output goes to
 * this process's stdout and stderr.
 */
export function launchLocalWorkers(
  count: number,
  study: { name: string; url: string },
  options: { argv?: readonly string[]; execArgv?: readonly string[]; env?: NodeJS.ProcessEnv } = {},
): LocalWorkers {
  const argv = options.argv ?? process.argv;
  const execArgv = options.execArgv ?? process.execArgv;
  const children: ChildProcess[] = [];
  for (let i = 0; i < count; i++) {
    children.push(
      spawn(process.execPath, [...execArgv, ...argv.slice(1)], {
        env: {
          ...process.env,
          ...options.env,
          [WORKER_ENV]: '1',
          [STUDY_ENV]: study.name,
          [STUDY_URL_ENV]: study.url,
          ATO_WORKER_INDEX: String(i + 1),
        },
        stdio: ['ignore', 'inherit', 'inherit'],
      }),
    );
  }
  const exits = children.map(
    (child) =>
      new Promise<number | null>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
        else {
          child.once('exit', (code) => resolve(code));
          child.once('error', () => resolve(null));
        }
      }),
  );
  return {
    children,
    async wait(timeoutMs = 60_000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
        timer.unref();
      });
      await Promise.race([Promise.all(exits), timeout]);
      clearTimeout(timer);
      for (const child of children)
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      return Promise.all(exits);
    },
  };
}

/** What {@link runStudySearch} needs (built by `HyperOpt.search` from its `study` option). */
export interface StudySearchOptions {
  name: string;
  url: string;
  project?: string;
  algorithmName: string;
  settings: Record<string, unknown>;
  /** Processes on this machine, this one included. @default 1 */
  workers?: number;
  workerId?: string;
  leaseMs?: number;
  heartbeatMs?: number;
  onProgress?: (event: ProgressEvent) => void;
  errors?: Map<number, string>;
}

/**
 * Run `algorithm` as the study `options.name` (created, resumed or joined), with `workers - 1`
 * local worker processes besides this one (none in a worker process itself, where name and URL come
 * from the environment). Returns every trial of the study, and whether this process is a worker.
 */
export async function runStudySearch(
  algorithm: SearchAlgorithm,
  evaluate: (trial: TrialRecord) => Promise<number>,
  total: number | undefined,
  options: StudySearchOptions,
): Promise<{ trials: TrialRecord[]; worker: boolean }> {
  const worker = isStudyWorker();
  const name = (worker && process.env[STUDY_ENV]) || options.name;
  const url = (worker && process.env[STUDY_URL_ENV]) || options.url;
  const study = await openStudy(url, {
    name,
    ...(options.project === undefined ? {} : { project: options.project }),
    algorithmName: options.algorithmName,
    mode: algorithm.mode,
    settings: options.settings,
  });
  const extra = worker ? 0 : Math.max(0, Math.floor(options.workers ?? 1) - 1);
  const children = extra > 0 ? launchLocalWorkers(extra, { name, url }) : undefined;
  try {
    const runner = studyRunner(study, {
      ...(options.workerId === undefined ? {} : { workerId: options.workerId }),
      ...(options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }),
      ...(options.heartbeatMs === undefined ? {} : { heartbeatMs: options.heartbeatMs }),
      ...(options.onProgress && !worker ? { onProgress: options.onProgress } : {}),
      ...(options.errors ? { errors: options.errors } : {}),
    });
    const trials = await runner.run(algorithm, evaluate, total);
    return { trials, worker };
  } finally {
    await study.close();
    // the study is done, so the workers see `done` within a poll and exit
    await children?.wait();
  }
}
