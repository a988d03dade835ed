/**
 * Hyperopt overhead (issue 6):
 * - 10,000 trials of a trivial objective (random search) through the study runner on a SQLite store:
 *   per-trial scheduling + storage time, beside the in-process runner for the same trials, and
 *   Optuna's reference (1,000 random trials on SQLite in 9.8 s: 9.8 ms/trial);
 * - with `ATO_TEST_POSTGRES_URL` set: 8 worker processes on PostgreSQL, 20,000 trivial trials:
 *   trials/s and a check that no trial is lost or duplicated; then the same with 2 workers
 *   SIGKILLed mid-run (how many trials were recovered after their lease expired).
 *
 * `HYPEROPT_BENCH_TRIALS` / `HYPEROPT_BENCH_PG_TRIALS` change the sizes (then the figure names say so).
 * This file is also the worker process: `tsx bench/hyperopt-overhead.ts --worker <url> <study> <n> <leaseMs>`.
 * @module
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { randomSearch, type SearchAlgorithm, type TrialRecord } from '../src/hyperopt/algorithms.js';
import { inProcessRunner } from '../src/hyperopt/search.js';
import { type ParamSpec, parseSearchSpaces } from '../src/hyperopt/spaces.js';
import { openStudy, studyRunner } from '../src/hyperopt/study.js';
import { openBackend } from '../src/tracker/backend.js';
import type { Figure } from './harness.js';

const SPECS: ParamSpec[] = parseSearchSpaces({
  lr: { param_type: 'FLOAT', param_range: [1e-5, 1e-1], num_samples: 20, space_type: 'LOG' },
  layers: { param_type: 'INTEGER', param_range: [1, 8], num_samples: 8 },
});
const trivial = async (trial: { params: Record<string, unknown> }) => Math.log10(trial.params.lr as number);

function algorithm(n: number): SearchAlgorithm {
  return randomSearch(SPECS, n, { mode: 'max', seed: 1 });
}

async function studyOf(url: string, name: string, n: number) {
  return openStudy(url, {
    name,
    algorithmName: 'RandomSearch',
    mode: 'max',
    settings: { specs: SPECS, numSamples: n, seed: 1 },
  });
}

/** The worker process: join the study and evaluate trials until it is done. */
async function worker(url: string, name: string, n: number, leaseMs: number): Promise<void> {
  const study = await studyOf(url, name, n);
  let evaluated = 0;
  await studyRunner(study, { leaseMs, heartbeatMs: Math.max(50, leaseMs / 4) }).run(
    algorithm(n),
    async (trial) => {
      evaluated++;
      return trivial(trial);
    },
    n,
  );
  await study.close();
  console.log(JSON.stringify({ evaluated }));
}

function spawnWorker(url: string, name: string, n: number, leaseMs: number) {
  const self = fileURLToPath(import.meta.url);
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', self, '--worker', url, name, String(n), String(leaseMs)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; evaluated: number }>(
    (resolve) =>
      child.on('exit', (code, signal) => {
        const line = out.trim().split('\n').pop();
        resolve({
          code,
          signal,
          evaluated: line ? (JSON.parse(line) as { evaluated: number }).evaluated : 0,
        });
      }),
  );
  return { child, exit };
}

async function sqliteFigures(): Promise<Figure[]> {
  const n = Number(process.env.HYPEROPT_BENCH_TRIALS ?? 10_000);
  const label = n === 10_000 ? '' : ` (${n} trials)`;
  const dir = mkdtempSync(join(tmpdir(), 'ato-hyperopt-bench-'));
  try {
    const url = `sqlite:///${join(dir, 'bench.db')}`;
    // the algorithm's own decisions, no runner: what every runner pays (random search's next() scans
    // the trials so far, so this grows with n)
    const decide = algorithm(n);
    const mem: TrialRecord[] = [];
    const tD = performance.now();
    for (let d = decide.next(mem); d.kind === 'trial'; d = decide.next(mem)) {
      mem.push({
        id: mem.length + 1,
        configId: d.configId,
        params: d.params,
        rung: d.rung,
        budget: d.budget,
        status: 'completed',
        metric: await trivial(d),
      });
    }
    const decisionMs = (performance.now() - tD) / n;
    const t0 = performance.now();
    const baseline = await inProcessRunner().run(algorithm(n), trivial, n);
    const inProcessMs = (performance.now() - t0) / n;

    const study = await studyOf(url, 'overhead', n);
    const t1 = performance.now();
    const trials = await studyRunner(study).run(algorithm(n), trivial, n);
    const studyMs = (performance.now() - t1) / n;
    const rows = await study.backend.db
      .selectFrom('trials')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('status', '=', 'completed')
      .executeTakeFirstOrThrow();
    await study.close();
    if (trials.length !== n || baseline.length !== n || Number(rows.n) !== n)
      throw new Error(`expected ${n} trials, found ${trials.length} / ${baseline.length} / ${rows.n}`);
    return [
      {
        name: `hyperopt: study runner on SQLite, store time per trial (lock, trial row, tracker run, metrics)${label}`,
        value: `${(studyMs - decisionMs).toFixed(3)} ms`,
        baseline: `random search's own decisions ${decisionMs.toFixed(3)} ms/trial (paid by every runner)`,
        ratio: '-',
      },
      {
        name: `hyperopt: study runner on SQLite, per trial in all (schedule + store trial + tracker run)${label}`,
        value: `${studyMs.toFixed(3)} ms`,
        baseline: `in-process runner ${inProcessMs.toFixed(3)} ms`,
        ratio: `${(studyMs / inProcessMs).toFixed(1)}x`,
      },
      {
        name: `hyperopt: study runner on SQLite vs Optuna (1,000 random trials on SQLite in 9.8 s)${label}`,
        value: `${studyMs.toFixed(3)} ms/trial`,
        baseline: 'Optuna 9.8 ms/trial (its published figure, not run here)',
        ratio: `${(9.8 / studyMs).toFixed(0)}x faster`,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function distributedRound(
  admin: string,
  n: number,
  kill: number,
): Promise<{ seconds: number; lost: number; duplicated: number; recovered: number; total: number }> {
  const database = `ato_bench_hyperopt_${process.pid}_${kill}`;
  const adminUrl = new URL(admin);
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await client.query(`CREATE DATABASE ${database}`);
  adminUrl.pathname = `/${database}`;
  const url = adminUrl.toString();
  try {
    const leaseMs = 2000;
    // create the store and the study first, so the workers only join
    await (await studyOf(url, 'distributed', n)).close();
    const workers = Array.from({ length: 8 }, () => spawnWorker(url, 'distributed', n, leaseMs));
    if (kill > 0) {
      const backend = await openBackend(url);
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        const row = await backend.db
          .selectFrom('trials')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow();
        if (Number(row.n) >= n * 0.3) break;
      }
      await backend.close();
      for (const w of workers.slice(0, kill)) w.child.kill('SIGKILL');
    }
    const exits = await Promise.all(workers.map((w) => w.exit));
    for (const [i, e] of exits.entries())
      if (i >= kill && e.code !== 0) throw new Error(`worker ${i} failed (${e.code ?? e.signal})`);
    const backend = await openBackend(url);
    try {
      const trials = await backend.db
        .selectFrom('trials')
        .select(['config_id', 'status', 'started_at', 'ended_at'])
        .execute();
      const distinct = new Set(trials.map((t) => Number(t.config_id))).size;
      const completed = trials.filter((t) => t.status === 'completed').length;
      const crashed = await backend.db
        .selectFrom('runs')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('status', '=', 'crashed')
        .executeTakeFirstOrThrow();
      const start = Math.min(...trials.map((t) => Number(t.started_at)));
      const end = Math.max(...trials.map((t) => Number(t.ended_at)));
      return {
        seconds: (end - start) / 1000,
        lost: n - completed,
        duplicated: trials.length - distinct,
        recovered: Number(crashed.n),
        total: trials.length,
      };
    } finally {
      await backend.close();
    }
  } finally {
    await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => {});
    await client.end();
  }
}

async function postgresFigures(): Promise<Figure[]> {
  const admin = process.env.ATO_TEST_POSTGRES_URL?.trim();
  if (!admin)
    return [
      {
        name: 'hyperopt: 8 workers on PostgreSQL',
        value: 'skipped (ATO_TEST_POSTGRES_URL not set)',
        baseline: '-',
        ratio: '-',
      },
    ];
  const n = Number(process.env.HYPEROPT_BENCH_PG_TRIALS ?? 20_000);
  const label = n === 20_000 ? '20,000' : `${n}`;
  const clean = await distributedRound(admin, n, 0);
  const killed = await distributedRound(admin, n, 2);
  const check = (r: typeof clean) => `${r.total} trials stored, ${r.lost} lost, ${r.duplicated} duplicated`;
  return [
    {
      name: `hyperopt: 8 worker processes on PostgreSQL, ${label} trivial trials`,
      value: `${(n / clean.seconds).toFixed(0)} trials/s (${clean.seconds.toFixed(1)} s)`,
      baseline: check(clean),
      ratio: '-',
    },
    {
      name: `hyperopt: same, 2 of 8 workers SIGKILLed at 30% (lease 2 s)`,
      value: `${(n / killed.seconds).toFixed(0)} trials/s (${killed.seconds.toFixed(1)} s)`,
      baseline: `${check(killed)}; ${killed.recovered} trial(s) recovered after lease expiry`,
      ratio: '-',
    },
  ];
}

/** The hyperopt overhead figures. */
export async function runHyperoptOverheadBench(): Promise<Figure[]> {
  return [...(await sqliteFigures()), ...(await postgresFigures())];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv[2] === '--worker') {
    const [, , , url, name, n, leaseMs] = process.argv;
    await worker(url!, name!, Number(n), Number(leaseMs));
  } else {
    const { printTable } = await import('./harness.js');
    printTable('Hyperopt overhead', await runHyperoptOverheadBench());
  }
}
