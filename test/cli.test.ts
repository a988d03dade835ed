import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'dist', 'cli', 'main.js');

/** Run the built `ato` command. */
function ato(...args: string[]) {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('the ato command (config files)', () => {
  it('print shows any config file as XYZ', () => {
    const { status, stdout } = ato('print', 'examples/configs/hydra/model/vit.toml');
    expect(status).toBe(0);
    expect(stdout).toBe('backbone: vit_b_16\npatch_size: 16\n');
  });

  it('convert writes another format that reads back the same', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'ato-cli-')), 'base.json');
    expect(ato('convert', 'examples/configs/base.yaml', out).status).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8')).model.layers).toEqual([64, 128, 256, 512]);
  });

  it('hash prints the structural hash', () => {
    expect(ato('hash', 'examples/configs/base.yaml').stdout).toMatch(/^[0-9a-f]{64}\n$/);
  });

  it('errors are one clear line plus the fix, and a non-zero exit', () => {
    const missing = ato('print', 'nope.yaml');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe(
      'error: nope.yaml: config file not found: nope.yaml\n  fix: check the path (relative paths start at the current working directory)\n',
    );
    expect(ato('frobnicate').stderr).toContain('unknown command "frobnicate"');
    expect(ato('print').stderr).toContain('usage: ato print <config-file>');
  });

  it('--help and --version', () => {
    expect(ato('--help').stdout).toMatch(/^Usage: ato <command>/);
    expect(ato('--version').stdout).toBe(
      `${JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version}\n`,
    );
  });
});

describe('the ato command (runs)', () => {
  it('runs and show read a store; errors are one line and a non-zero exit', async () => {
    const dbDir = mkdtempSync(join(tmpdir(), 'ato-cli-runs-'));
    const url = `sqlite:///${join(dbDir, 'runs.db')}`;
    const { ADict } = await import('../src/config/adict.js');
    const { SQLLogger } = await import('../src/tracker/logger.js');
    const logger = new SQLLogger(
      new ADict({ experiment: { project_name: 'cli', sql: { db_path: url } }, lr: 0.5 }),
      { handleExit: false },
    );
    const id = await logger.run({ tags: ['x'] });
    logger.logMetric('loss', 0.25, 0);
    await logger.finish();
    const runs = ato('runs', '--db', url);
    expect(runs.status).toBe(0);
    expect(runs.stdout).toMatch(
      new RegExp(
        `^id\\s+project\\s+status\\s+tags\\s+started\\s+duration\\s+metrics \\(last\\)\\n${id}\\s+cli\\s+completed\\s+x\\s+.*loss=0\\.25\\n$`,
      ),
    );
    const json = JSON.parse(ato('runs', '--db', url, '--json').stdout) as {
      id: number;
      metrics: { loss: { last: number } };
    }[];
    expect(json[0]!.metrics.loss.last).toBe(0.25);
    const show = ato('show', String(id), '--db', url);
    expect(show.stdout).toContain(`run ${id}  cli  completed`);
    expect(show.stdout).toContain('config:\n  experiment:');
    expect(show.stdout).toContain('  loss: 1  0.25  0.25  0.25 @ 0');
    const missing = ato('show', '999', '--db', url);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe(`error: 999: no run 999 in ${url}\n  fix: list the runs with "ato runs"\n`);
    expect(ato('runs', '--db', 'mysql://nope').stderr).toContain('unsupported store URL "mysql://nope"');
  });
});

describe('the ato command (diff, best, similar, traces, export, gc, merge)', () => {
  async function makeStore() {
    const dbDir = mkdtempSync(join(tmpdir(), 'ato-cli-store-'));
    const url = `sqlite:///${join(dbDir, 'store.db')}`;
    const { ADict } = await import('../src/config/adict.js');
    const { Scope } = await import('../src/scope/scope.js');
    const { SQLLogger } = await import('../src/tracker/logger.js');
    const ids: number[] = [];
    const runOne = async (config: Record<string, unknown>, code: 1 | 2, acc: number, tags: string[]) => {
      const scope = new Scope();
      scope.trace(code === 1 ? (x: number) => x + 1 : (x: number) => x + 2, { traceId: 'train_step' });
      const predict = scope.runtimeTrace((x: number) => [x], { traceId: 'predictions' });
      const logger = new SQLLogger(
        new ADict({ experiment: { project_name: 'cli', sql: { db_path: url } }, ...config }),
        { scope, handleExit: false },
      );
      ids.push(await logger.run({ tags }));
      predict(acc);
      logger.logMetric('val_accuracy', acc, 0);
      await logger.finish();
    };
    await runOne({ lr: 0.1, model: { depth: 50 } }, 1, 0.8, ['base']);
    await runOne({ lr: 0.1, model: { depth: 50 } }, 1, 0.9, ['base']);
    await runOne({ lr: '0.1', model: { depth: 101 }, extra: true }, 2, 0.7, ['other']);
    return { url, ids, dbDir };
  }

  it('diff explains what changed and ends with a verdict', async () => {
    const { url, ids } = await makeStore();
    const sameCode = ato('diff', String(ids[0]), String(ids[1]), '--db', url);
    expect(sameCode.status).toBe(0);
    expect(sameCode.stdout).toContain('config values\n  (same)');
    expect(sameCode.stdout).toContain('(same code: behaviour changed)');
    expect(sameCode.stdout.trimEnd().split('\n').pop()).toBe('verdict: changed: output');
    const all = ato('diff', String(ids[0]), String(ids[2]), '--db', url);
    expect(all.stdout).toContain('  model.depth: 50 → 101');
    expect(all.stdout).toContain('  + extra = true');
    expect(all.stdout).toContain('  ~ lr: number → string');
    expect(all.stdout).toMatch(/code \(static fingerprints\)\n {2}train_step: [0-9a-f]{12} → [0-9a-f]{12}/);
    expect(all.stdout.trimEnd().split('\n').pop()).toBe('verdict: changed: config, code, output');
    const json = JSON.parse(ato('diff', String(ids[0]), String(ids[2]), '--db', url, '--json').stdout);
    expect(json.verdict).toMatchObject({ config: true, code: true, output: true, environment: false });
    const missing = ato('diff', String(ids[0]), '999', '--db', url);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('no run 999');
  });

  it('best, similar and traces', async () => {
    const { url, ids } = await makeStore();
    expect(ato('best', '--metric', 'val_accuracy', '--db', url).stdout).toMatch(
      new RegExp(`\\n${ids[1]}\\s+cli`),
    );
    expect(ato('best', '--metric', 'val_accuracy', '--mode', 'min', '--db', url).stdout).toMatch(
      new RegExp(`\\n${ids[2]}\\s+cli`),
    );
    expect(ato('best', '--db', url).stderr).toContain('ato best needs --metric');
    const similar = JSON.parse(ato('similar', String(ids[0]), '--db', url, '--json').stdout) as {
      id: number;
    }[];
    expect(similar.map((r) => r.id)).toEqual([ids[1]]);
    const traces = ato('traces', 'train_step', '--db', url);
    expect(traces.stdout).toContain('cli: 2 code version(s), 0 output version(s) of "train_step"');
    expect(ato('traces', 'nope', '--db', url).stdout).toBe('no run recorded the trace "nope"\n');
  });

  it('runs filters and sorts; export writes CSV and JSON Lines', async () => {
    const { url, ids } = await makeStore();
    const filtered = ato(
      'runs',
      '--db',
      url,
      '--tag',
      'base',
      '--where',
      'model.depth=50',
      '--sort',
      'val_accuracy',
    );
    expect(
      filtered.stdout
        .split('\n')
        .slice(1, 3)
        .map((l) => Number(l.split(/\s+/)[0])),
    ).toEqual([ids[1], ids[0]]);
    const csv = ato('export', '--format', 'csv', '--db', url).stdout.trim().split('\n');
    expect(csv[0]).toBe(
      'id,project,status,tags,started_at,ended_at,structural_hash,config,val_accuracy_last',
    );
    expect(csv).toHaveLength(4);
    const points = ato('export', '--format', 'csv', '--metrics', '--db', url).stdout.trim().split('\n');
    expect(points[0]).toBe('run_id,project,key,step,value,time');
    expect(points).toHaveLength(4);
    const jsonl = ato('export', '--db', url, '--metrics')
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(jsonl[0].history.val_accuracy).toHaveLength(1);
  });

  it('merge copies runs from another store once; gc marks stale runs and deletes after confirmation', async () => {
    const a = await makeStore();
    const b = await makeStore();
    const merged = ato('merge', b.url, '--db', a.url);
    expect(merged.stdout).toBe('copied 3 run(s), skipped 0 already present\n');
    expect(ato('merge', b.url, '--db', a.url).stdout).toBe('copied 0 run(s), skipped 3 already present\n');
    const runs = JSON.parse(ato('runs', '--db', a.url, '--json').stdout) as {
      metrics: { val_accuracy: { count: number } };
    }[];
    expect(runs).toHaveLength(6);
    expect(runs.every((r) => r.metrics.val_accuracy.count === 1)).toBe(true);
    expect(ato('gc', '--db', a.url).stdout).toBe('marked 0 stale running run(s) as crashed\n');
    expect(ato('gc', '--delete', '--db', a.url).stderr).toContain('needs a filter');
    expect(ato('gc', '--delete', '--tag', 'other', '--db', a.url).stderr).toContain(
      'refusing to delete 2 run(s) without confirmation',
    );
    expect(ato('gc', '--delete', '--tag', 'other', '--yes', '--db', a.url).stdout).toContain(
      'deleted 2 run(s)',
    );
    expect(JSON.parse(ato('runs', '--db', a.url, '--json').stdout)).toHaveLength(4);
  });
});

describe('the ato command (studies)', () => {
  it('studies and study show the searches of a store', async () => {
    const dbDir = mkdtempSync(join(tmpdir(), 'ato-cli-study-'));
    const url = `sqlite:///${join(dbDir, 'study.db')}`;
    const { HyperBand } = await import('../src/hyperopt/search.js');
    const search = new HyperBand(
      undefined,
      { x: { param_type: 'INTEGER', param_range: [0, 9], num_samples: 10 } },
      {
        halvingRate: 0.5,
        numMinSamples: 2,
        progress: false,
        study: { name: 'sweep', url, project: 'cli-search' },
      },
    );
    await search.main(async (config) => {
      if (config.x === 0) throw new Error('x must not be 0');
      return config.x as number;
    })();
    const list = ato('studies', '--db', url);
    expect(list.status).toBe(0);
    expect(list.stdout).toMatch(
      /^name\s+project\s+algorithm\s+mode\s+status\s+trials\s+completed\s+failed\s+running\s+best\nsweep\s+cli-search\s+\S+\s+max\s+\S+\s+18\s+17\s+1\s+0\s+9\n$/,
    );
    const one = ato('study', 'sweep', '--db', url);
    expect(one.stdout).toContain('per rung/generation: 0: 10, 1: 5, 2: 2, 3: 1');
    expect(one.stdout).toContain('failed');
    const json = JSON.parse(ato('study', 'sweep', '--db', url, '--json').stdout) as {
      trials: { status: string; error?: string }[];
    };
    expect(json.trials.find((t) => t.status === 'failed')?.error).toContain('x must not be 0');
    expect(ato('study', 'nope', '--db', url).stderr).toContain('no study "nope"');
  });
});

describe('the ato command (dashboard)', () => {
  it('serves the store read-only on 127.0.0.1, prints its address, and stops on SIGTERM', async () => {
    const { spawn } = await import('node:child_process');
    const dbDir = mkdtempSync(join(tmpdir(), 'ato-cli-dash-'));
    const url = `sqlite:///${join(dbDir, 'dash.db')}`;
    const { ADict } = await import('../src/config/adict.js');
    const { SQLLogger } = await import('../src/tracker/logger.js');
    const logger = new SQLLogger(new ADict({ experiment: { project_name: 'web', sql: { db_path: url } } }), {
      handleExit: false,
    });
    await logger.run({ tags: ['served'] });
    logger.logMetric('loss', 0.5, 0);
    await logger.finish();
    const child = spawn(process.execPath, [bin, 'dashboard', '--db', url, '--port', '0'], {
      cwd: root,
      stdio: 'pipe',
    });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) resolve(out.split('\n')[0]!);
        });
        child.on('error', reject);
        child.on('exit', (code) => reject(new Error(`exited with ${code}`)));
      });
      const address = /on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(line)?.[1];
      expect(line).toContain('read-only');
      expect(address).toBeDefined();
      const runs = (await (await fetch(`${address}api/runs`)).json()) as { runs: { tags: string[] }[] };
      expect(runs.runs[0]!.tags).toEqual(['served']);
      expect((await fetch(`${address}api/runs`, { method: 'POST' })).status).toBe(405);
    } finally {
      child.kill('SIGTERM');
    }
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code === 0 || code === null).toBe(true);
    expect(ato('dashboard', '--db', url, '--host', '0.0.0.0').stderr).toContain('token');
  });
});
