/**
 * Studies in the store (src/hyperopt/study.ts): the study runner gives the in-process runner's
 * trials, failures are recorded, studies resume, real worker processes evaluate every trial exactly
 * once (also when one is SIGKILLed mid-trial), DistributedHyperBand ranks agree; on SQLite and
 * PostgreSQL.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { ADict } from '../src/config/adict.js';
import { AtoError } from '../src/errors.js';
import { HyperBand, type SearchResult, type TrialLog } from '../src/hyperopt/search.js';
import { openStudy, studyRunner } from '../src/hyperopt/study.js';
import { openBackend } from '../src/tracker/backend.js';
import { describeEachStore, dropTestDatabases } from './_stores.js';
import { metricOf, spaces } from './fixtures/hyperopt/objective.js';

const WORKER = fileURLToPath(new URL('./fixtures/hyperopt/study-worker.ts', import.meta.url));
const hbOptions = { halvingRate: 0.3, numMinSamples: 3, mode: 'max' as const, progress: false };

afterAll(async () => {
  await dropTestDatabases();
});

interface WorkerOutput {
  ok: boolean;
  pid: number;
  metric?: number;
  config?: Record<string, unknown>;
  evaluated?: number;
  workerId?: string;
  message?: string;
}

function runWorker(
  options: Record<string, unknown>,
  env: NodeJS.ProcessEnv = {},
): Promise<{
  code: number | null;
  signal: NodeJS.Signals | null;
  output: WorkerOutput | undefined;
  stderr: string;
}> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER, JSON.stringify(options)], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      const line = stdout.trim().split('\n').filter(Boolean).pop();
      resolve({ code, signal, output: line ? (JSON.parse(line) as WorkerOutput) : undefined, stderr });
    });
  });
}

async function rejection(promise: Promise<unknown>): Promise<AtoError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AtoError) return error;
    throw error;
  }
  throw new Error('expected an AtoError');
}

/** Logs without trial ids (which differ between runners). */
function shape(result: SearchResult): Omit<TrialLog, 'id'>[][] {
  return result.logs.map((generation) => generation.map(({ id: _id, ...rest }) => rest));
}

let reference: SearchResult | undefined;
async function inProcess(): Promise<SearchResult> {
  reference ??= await new HyperBand(undefined, spaces, hbOptions).search(new ADict(), metricOf);
  return reference;
}

async function storeRows(url: string, name: string) {
  const backend = await openBackend(url);
  try {
    const trials = await backend.db
      .selectFrom('trials')
      .innerJoin('studies', 'studies.id', 'trials.study_id')
      .selectAll('trials')
      .where('studies.name', '=', name)
      .orderBy('trials.id')
      .execute();
    const runs = await backend.db
      .selectFrom('runs')
      .innerJoin('run_tags', 'run_tags.run_id', 'runs.id')
      .selectAll('runs')
      .where('run_tags.tag', '=', `study:${name}`)
      .orderBy('runs.id')
      .execute();
    return { trials, runs };
  } finally {
    await backend.close();
  }
}

function expectEveryTrialOnce(trials: { config_id: number; rung: number; status: string }[]): void {
  expect(trials).toHaveLength(84);
  expect(new Set(trials.map((t) => `${t.config_id}/${t.rung}`)).size).toBe(84);
  expect(trials.every((t) => t.status === 'completed')).toBe(true);
  const perRung = [0, 1, 2, 3].map((r) => trials.filter((t) => Number(t.rung) === r).length);
  expect(perRung).toEqual([60, 18, 5, 1]);
}

describeEachStore('hyperopt studies', (target) => {
  it('HyperBand through the study runner gives the in-process trials and result; trials are tracked runs', async () => {
    const url = await target.makeUrl();
    const expected = await inProcess();
    const hb = new HyperBand(undefined, spaces, { ...hbOptions, study: { name: 'same', url } });
    const result = await hb.search(new ADict(), metricOf);
    expect(result.logs.map((g) => g.length)).toEqual([60, 18, 5, 1]);
    expect(shape(result)).toEqual(shape(expected));
    expect(result.metric).toBe(expected.metric);
    expect(result.config.toDict()).toEqual(expected.config.toDict());

    const { trials, runs } = await storeRows(url, 'same');
    expectEveryTrialOnce(trials);
    expect(runs).toHaveLength(84);
    expect(runs.every((r) => r.status === 'completed' && r.project === 'hyperopt')).toBe(true);
    const first = trials[0]!;
    const run = runs.find((r) => Number(r.id) === Number(first.run_id))!;
    expect(JSON.parse(run.tags)).toEqual(['study:same', 'trial']);
    expect(JSON.parse(run.config)).toEqual({ ...JSON.parse(first.params), __num_halved__: 0 });
    expect(JSON.parse(run.summary).metric[3]).toBe(Number(first.metric));
  });

  it('a trial that throws is recorded failed with its error, and the search goes on', async () => {
    const url = await target.makeUrl();
    const hb = new HyperBand(undefined, spaces, { ...hbOptions, study: { name: 'failing', url } });
    const result = await hb.search(new ADict(), (config, trial) => {
      if (trial.configId === 7) throw new RangeError('diverged at step 12');
      return metricOf(config, trial);
    });
    expect(result.logs.map((g) => g.length)).toEqual([60, 18, 5, 1]);
    const failedLog = result.logs[0]!.find((t) => t.configId === 7)!;
    expect(failedLog.status).toBe('failed');
    expect(failedLog.error).toBe('RangeError: diverged at step 12');
    const { trials, runs } = await storeRows(url, 'failing');
    const failed = trials.filter((t) => t.status === 'failed');
    expect(failed.map((t) => [Number(t.config_id), t.error])).toEqual([
      [7, 'RangeError: diverged at step 12'],
    ]);
    const run = runs.find((r) => Number(r.id) === Number(failed[0]!.run_id))!;
    expect([run.status, run.error]).toEqual(['failed', 'RangeError: diverged at step 12']);
  });

  it('resumes a stopped study by name: only the missing trials run, same result as uninterrupted', async () => {
    const url = await target.makeUrl();
    const expected = await inProcess();
    const hb = new HyperBand(undefined, spaces, { ...hbOptions, study: { name: 'resumed', url } });
    const settings = (
      hb as unknown as { studySettings(): { algorithm: string; settings: Record<string, unknown> } }
    ).studySettings();
    const study = await openStudy(url, {
      name: 'resumed',
      algorithmName: settings.algorithm,
      mode: 'max',
      settings: settings.settings,
    });
    const stop = new AbortController();
    let first = 0;
    await new HyperBand(undefined, spaces, hbOptions)
      .useRunner(studyRunner(study, { signal: stop.signal }))
      .search(new ADict(), (config, trial) => {
        if (++first === 30) stop.abort();
        return metricOf(config, trial);
      });
    await study.close();
    expect((await storeRows(url, 'resumed')).trials).toHaveLength(30);

    let second = 0;
    const result = await hb.search(new ADict(), (config, trial) => {
      second++;
      return metricOf(config, trial);
    });
    expect(second).toBe(84 - 30);
    expect(shape(result)).toEqual(shape(expected));
    expect(result.metric).toBe(expected.metric);
    expectEveryTrialOnce((await storeRows(url, 'resumed')).trials);

    // a third run finds the study done: nothing runs
    let third = 0;
    const again = await hb.search(new ADict(), (config, trial) => {
      third++;
      return metricOf(config, trial);
    });
    expect(third).toBe(0);
    expect(again.metric).toBe(expected.metric);
  });

  it('another algorithm or other settings under an existing study name is an error naming both', async () => {
    const url = await target.makeUrl();
    await new HyperBand(undefined, spaces, { ...hbOptions, study: { name: 'fixed', url } }).search(
      new ADict(),
      metricOf,
    );
    const error = await rejection(
      new HyperBand(undefined, spaces, {
        ...hbOptions,
        halvingRate: 0.5,
        study: { name: 'fixed', url },
      }).search(new ADict(), metricOf),
    );
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain('"halvingRate":0.3');
    expect(error.message).toContain('"halvingRate":0.5');
    const other = await rejection(
      openStudy(url, { name: 'fixed', algorithmName: 'ASHA', mode: 'max', settings: {} }),
    );
    expect(other.message).toMatch(/algorithm HyperBand .*this search is ASHA/);
  });

  it('4 real worker processes (workers: 4): every trial exactly once, the in-process best', async () => {
    const url = await target.makeUrl();
    const expected = await inProcess();
    const { code, output, stderr } = await runWorker({
      mode: 'workers',
      url,
      name: 'four',
      workers: 4,
      sleepMs: 40,
    });
    expect(code, stderr).toBe(0);
    expect(output?.metric).toBe(expected.metric);
    expect(output?.config).toEqual(expected.config.toDict());
    const { trials, runs } = await storeRows(url, 'four');
    expectEveryTrialOnce(trials);
    expect(runs).toHaveLength(84); // one attempt each: nothing evaluated twice
    expect(new Set(trials.map((t) => t.worker)).size).toBeGreaterThan(1);
    // the store refuses a second (study, config, rung)
    const backend = await openBackend(url);
    try {
      const t = trials[0]!;
      await expect(
        backend.db
          .insertInto('trials')
          .values({ ...t, id: undefined as unknown as number })
          .execute(),
      ).rejects.toThrow(/unique|UNIQUE/);
    } finally {
      await backend.close();
    }
  }, 60_000);

  it('ASHA with 3 real worker processes: 30 configs, promotions, every (config, rung) exactly once', async () => {
    const url = await target.makeUrl();
    const { code, output, stderr } = await runWorker({
      mode: 'asha-workers',
      url,
      name: 'asha',
      workers: 3,
      sleepMs: 15,
    });
    expect(code, stderr).toBe(0);
    expect(output?.ok).toBe(true);
    const { trials, runs } = await storeRows(url, 'asha');
    expect(new Set(trials.map((t) => `${t.config_id}/${t.rung}`)).size).toBe(trials.length);
    expect(runs).toHaveLength(trials.length);
    expect(new Set(trials.map((t) => t.config_id)).size).toBe(30);
    expect(trials.filter((t) => Number(t.rung) === 1).length).toBeGreaterThan(0);
    expect(trials.filter((t) => Number(t.rung) === 2).length).toBeGreaterThan(0);
    expect(trials.every((t) => t.status === 'completed')).toBe(true);
    expect(output?.config?.__budget__).toBe(9);
  }, 60_000);

  it('a worker SIGKILLed mid-trial: its trial is re-queued when the lease expires and completed by another', async () => {
    const url = await target.makeUrl();
    const expected = await inProcess();
    const common = { mode: 'runner', url, name: 'killed', sleepMs: 10, leaseMs: 500, heartbeatMs: 100 };
    const startAt = Date.now() + 1500;
    const [victim, ...others] = await Promise.all([
      runWorker({ ...common, workerId: 'victim', dieAt: 5, startAt }),
      runWorker({ ...common, workerId: 'w1', startAt }),
      runWorker({ ...common, workerId: 'w2', startAt }),
    ]);
    expect(victim.signal).toBe('SIGKILL');
    for (const o of others) {
      expect(o.code, o.stderr).toBe(0);
      expect(o.output?.metric).toBe(expected.metric);
    }
    const { trials, runs } = await storeRows(url, 'killed');
    expectEveryTrialOnce(trials);
    const crashed = runs.filter((r) => r.status === 'crashed');
    expect(crashed).toHaveLength(1);
    expect(crashed[0]!.error).toMatch(/lease expired: worker victim/);
    expect(runs).toHaveLength(85); // 84 trials + the lost attempt
    const recovered = trials.find(
      (t) =>
        JSON.stringify(JSON.parse(t.params)) ===
          JSON.stringify(
            Object.fromEntries(
              Object.entries(JSON.parse(crashed[0]!.config)).filter(([k]) => !k.startsWith('__')),
            ),
          ) && Number(t.rung) === JSON.parse(crashed[0]!.config).__num_halved__,
    )!;
    expect(recovered.status).toBe('completed');
    expect(['w1', 'w2']).toContain(recovered.worker);
    expect(trials.filter((t) => t.worker === 'victim')).toHaveLength(4);
  }, 60_000);

  it('DistributedHyperBand with WORLD_SIZE=3 real processes: every rank returns the same best', async () => {
    const url = await target.makeUrl();
    const expected = await inProcess();
    const startAt = Date.now() + 1500;
    const ranks = await Promise.all(
      [0, 1, 2].map((rank) =>
        runWorker(
          { mode: 'distributed', url, name: 'dist', sleepMs: 10, startAt },
          { RANK: String(rank), WORLD_SIZE: '3' },
        ),
      ),
    );
    for (const [rank, r] of ranks.entries()) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.output?.workerId).toBe(`rank${rank}/3`);
      expect(r.output?.metric).toBe(expected.metric);
      expect(r.output?.config).toEqual(expected.config.toDict());
    }
    expect(ranks.reduce((sum, r) => sum + (r.output?.evaluated ?? 0), 0)).toBe(84);
    const { trials } = await storeRows(url, 'dist');
    expectEveryTrialOnce(trials);
    expect(new Set(trials.map((t) => t.worker?.split(':')[0])).size).toBe(3);
  }, 60_000);
});
