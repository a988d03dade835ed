import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SQLFinder } from '../src/tracker/finder.js';

const script = join(import.meta.dirname, 'fixtures', 'tracker', 'crash-run.ts');
const dir = mkdtempSync(join(tmpdir(), 'ato-crash-'));
const POINTS = 20_000;

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Start the crash fixture in a real child process; `onLogged` runs once its points are buffered. */
function runFixture(url: string, mode: string, onLogged?: (child: ChildProcess) => void): Promise<Ended> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, url, mode, String(POINTS)], {
      stdio: 'pipe',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes('logged') && onLogged) {
        const act = onLogged;
        onLogged = undefined;
        act(child);
      }
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

async function onlyRun(url: string, now?: number) {
  const finder = new SQLFinder(url, now === undefined ? {} : { now });
  const runs = await finder.findRuns();
  expect(runs).toHaveLength(1);
  const run = await finder.findRun(runs[0]!.id);
  await finder.close();
  return run!;
}

describe('crash safety (real child processes, SQLite)', () => {
  it('an uncaught exception: everything written, run failed with the message, same exit code and message', async () => {
    const url = `sqlite:///${join(dir, 'exception.db')}`;
    const ended = await runFixture(url, 'exception');
    expect(ended.code).toBe(1);
    expect(ended.stderr).toContain('Error: boom in training');
    const run = await onlyRun(url);
    expect(run.status).toBe('failed');
    expect(run.error).toBe('Error: boom in training');
    expect(run.metrics.loss!.count).toBe(POINTS);
  });

  it('an unhandled rejection: the same', async () => {
    const url = `sqlite:///${join(dir, 'rejection.db')}`;
    const ended = await runFixture(url, 'rejection');
    expect(ended.code).toBe(1);
    expect(ended.stderr).toContain('rejected in training');
    const run = await onlyRun(url);
    expect(run.status).toBe('failed');
    expect(run.error).toContain('rejected in training');
    expect(run.metrics.loss!.count).toBe(POINTS);
  });

  it.each([
    ['sigint', 'SIGINT'],
    ['sigterm', 'SIGTERM'],
  ] as const)(
    '%s: everything written, run interrupted, the process dies of the signal',
    async (mode, signal) => {
      const url = `sqlite:///${join(dir, `${mode}.db`)}`;
      const ended = await runFixture(url, mode, (child) => child.kill(signal));
      expect(ended.signal).toBe(signal);
      const run = await onlyRun(url);
      expect(run.status).toBe('interrupted');
      expect(run.error).toBe(`interrupted by ${signal}`);
      expect(run.metrics.loss!.count).toBe(POINTS);
    },
  );

  it('SIGKILL: at most the last flush interval lost; the run reads as running, then crashed once its heartbeat is stale', async () => {
    const url = `sqlite:///${join(dir, 'sigkill.db')}`;
    // let one flush interval (200 ms) pass so the points are written, then kill without warning
    const ended = await runFixture(url, 'sigkill', (child) => setTimeout(() => child.kill('SIGKILL'), 600));
    expect(ended.signal).toBe('SIGKILL');
    const fresh = await onlyRun(url);
    expect(fresh.status).toBe('running');
    expect(fresh.metrics.loss!.count).toBe(POINTS);
    const stale = await onlyRun(url, Date.now() + 60_000);
    expect(stale.status).toBe('crashed');
  });

  it('process.exit(1) without finish: everything written, run failed with the exit code', async () => {
    const url = `sqlite:///${join(dir, 'exit1.db')}`;
    const ended = await runFixture(url, 'exit1');
    expect(ended.code).toBe(1);
    const run = await onlyRun(url);
    expect(run.status).toBe('failed');
    expect(run.error).toBe('process exited with code 1');
    expect(run.metrics.loss!.count).toBe(POINTS);
  });

  it('a natural end without finish: everything written, run completed', async () => {
    const url = `sqlite:///${join(dir, 'natural.db')}`;
    const ended = await runFixture(url, 'natural');
    expect(ended.code).toBe(0);
    const run = await onlyRun(url);
    expect(run.status).toBe('completed');
    expect(run.metrics.loss!.count).toBe(POINTS);
  });

  it('finish: completed, and the process exits by itself (the writer does not keep it alive)', async () => {
    const url = `sqlite:///${join(dir, 'finish.db')}`;
    const ended = await runFixture(url, 'finish');
    expect(ended.code).toBe(0);
    expect((await onlyRun(url)).status).toBe('completed');
  });
});
