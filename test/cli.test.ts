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
