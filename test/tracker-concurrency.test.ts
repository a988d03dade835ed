import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { SQLFinder } from '../src/tracker/finder.js';

const script = join(import.meta.dirname, 'fixtures', 'tracker', 'concurrent-logger.ts');

function logInChild(
  url: string,
  worker: number,
  points: number,
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, url, String(worker), String(points)], {
      stdio: 'pipe',
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

it('8 processes logging 200k points each into one SQLite file at once: all points, no errors', {
  timeout: 180_000,
}, async () => {
  const url = `sqlite:///${join(mkdtempSync(join(tmpdir(), 'ato-concurrent-')), 'shared.db')}`;
  const PROCESSES = 8;
  const POINTS = 200_000;
  const results = await Promise.all(Array.from({ length: PROCESSES }, (_, i) => logInChild(url, i, POINTS)));
  for (const r of results) {
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  }
  const finder = new SQLFinder(url);
  const runs = await finder.findRuns({ status: 'completed' });
  expect(runs).toHaveLength(PROCESSES);
  for (const run of runs) {
    const total = Object.values(run.metrics).reduce((sum, m) => sum + m.count, 0);
    expect(total).toBe(POINTS);
    expect(run.metrics.loss).toMatchObject({ count: POINTS / 4, min: 0, lastStep: POINTS - 4 });
  }
  await finder.close();
});
