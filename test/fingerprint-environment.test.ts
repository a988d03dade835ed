import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findLockfile, fingerprintEnvironment } from '../src/fingerprint/index.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function hasGit(): boolean {
  try {
    execFileSync('git', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

let dir: string;

beforeEach(() => {
  // realpath: macOS' tmpdir is a symlink
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'ato-fingerprint-env-')));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('fingerprintEnvironment', () => {
  it('reports node, platform, arch and the ato version', () => {
    const env = fingerprintEnvironment({ cwd: dir });
    expect(env.node).toBe(process.version);
    expect(env.platform).toBe(process.platform);
    expect(env.arch).toBe(process.arch);
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(env.atoVersion).toBe(pkg.version);
    expect(env.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(Object.keys(env).sort()).toEqual(
      [
        'arch',
        'atoVersion',
        'gitCommit',
        'gitDiffHash',
        'gitDirty',
        'hash',
        'lockfile',
        'node',
        'platform',
      ].sort(),
    );
    // Plain JSON
    expect(JSON.parse(JSON.stringify(env))).toEqual(env);
  });

  it('finds the lockfile upward from cwd and hashes its bytes', () => {
    const nested = join(dir, 'packages', 'app', 'src');
    mkdirSync(nested, { recursive: true });
    writeFileSync(join(dir, 'package-lock.json'), '{"lockfileVersion":3}');
    const env = fingerprintEnvironment({ cwd: nested });
    expect(env.lockfile).toEqual({
      path: join(dir, 'package-lock.json'),
      name: 'package-lock.json',
      hash: sha256('{"lockfileVersion":3}'),
    });
    // The nearest one wins
    writeFileSync(join(dir, 'packages', 'pnpm-lock.yaml'), 'lockfileVersion: 9\n');
    expect(findLockfile(nested)).toMatchObject({
      name: 'pnpm-lock.yaml',
      hash: sha256('lockfileVersion: 9\n'),
    });
    writeFileSync(join(dir, 'packages', 'app', 'yarn.lock'), '# yarn\n');
    expect(findLockfile(nested)?.name).toBe('yarn.lock');
  });

  it('changes its hash with the lockfile content, not with the lockfile location', () => {
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    mkdirSync(a);
    mkdirSync(b);
    writeFileSync(join(a, 'package-lock.json'), '{"v":1}');
    writeFileSync(join(b, 'package-lock.json'), '{"v":1}');
    expect(fingerprintEnvironment({ cwd: a }).hash).toBe(fingerprintEnvironment({ cwd: b }).hash);
    writeFileSync(join(b, 'package-lock.json'), '{"v":2}');
    expect(fingerprintEnvironment({ cwd: a }).hash).not.toBe(fingerprintEnvironment({ cwd: b }).hash);
  });

  it('has null git fields and no error outside a git work tree', () => {
    const env = fingerprintEnvironment({ cwd: dir });
    // The temp dir is outside any repository unless the machine's tmpdir itself is in one
    let inside = false;
    try {
      inside =
        execFileSync('git', ['rev-parse', '--is-inside-work-tree'], {
          cwd: dir,
          stdio: ['ignore', 'pipe', 'ignore'],
        })
          .toString()
          .trim() === 'true';
    } catch {
      inside = false;
    }
    if (inside) return;
    expect(env.gitCommit).toBeNull();
    expect(env.gitDirty).toBeNull();
    expect(env.gitDiffHash).toBeNull();
  });

  it('does not fail for a directory that does not exist', () => {
    const env = fingerprintEnvironment({ cwd: join(dir, 'missing') });
    expect(env.gitCommit).toBeNull();
    expect(env.node).toBe(process.version);
  });

  it.runIf(hasGit())('reports the commit and a hash of the uncommitted diff inside git', () => {
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=ato', '-c', 'user.email=ato@example.invalid', ...args], {
        cwd: dir,
        stdio: ['ignore', 'pipe', 'ignore'],
      })
        .toString()
        .trim();
    git('init', '-q');
    // Before the first commit there is no commit to name
    expect(fingerprintEnvironment({ cwd: dir }).gitCommit).toBeNull();
    writeFileSync(join(dir, 'train.js'), 'export const lr = 0.1;\n');
    git('add', 'train.js');
    git('commit', '-q', '-m', 'first');
    const head = git('rev-parse', 'HEAD');

    const clean = fingerprintEnvironment({ cwd: dir });
    expect(clean.gitCommit).toBe(head);
    expect(clean.gitDirty).toBe(false);
    expect(clean.gitDiffHash).toBeNull();

    writeFileSync(join(dir, 'train.js'), 'export const lr = 0.2;\n');
    const dirty = fingerprintEnvironment({ cwd: dir });
    expect(dirty.gitCommit).toBe(head);
    expect(dirty.gitDirty).toBe(true);
    expect(dirty.gitDiffHash).toMatch(/^[0-9a-f]{64}$/);
    expect(dirty.hash).not.toBe(clean.hash);
    // Same diff, same hash; another diff, another hash
    expect(fingerprintEnvironment({ cwd: dir }).gitDiffHash).toBe(dirty.gitDiffHash);
    writeFileSync(join(dir, 'train.js'), 'export const lr = 0.3;\n');
    expect(fingerprintEnvironment({ cwd: dir }).gitDiffHash).not.toBe(dirty.gitDiffHash);
    // From a subdirectory: the whole work tree's diff
    mkdirSync(join(dir, 'sub'));
    expect(fingerprintEnvironment({ cwd: join(dir, 'sub') }).gitDiffHash).toBe(
      fingerprintEnvironment({ cwd: dir }).gitDiffHash,
    );
  });
});
