/**
 * The environment fingerprint: what else, besides config, code and output, explains why two runs
 * differ: the Node.js version, platform and architecture, the lockfile, the ato version and the git
 * state of the working tree.
 *
 * @module
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Lockfile names looked for in each directory, first match wins. */
const LOCKFILES = ['package-lock.json', 'pnpm-lock.yaml', 'yarn.lock'] as const;
/** Time limit of each git command, in milliseconds. */
const GIT_TIMEOUT_MS = 5_000;
/** Largest `git diff` output read (bigger diffs give `gitDiffHash: null`). */
const GIT_MAX_DIFF_BYTES = 512 * 1024 * 1024;

/** Options of {@link fingerprintEnvironment}. */
export interface EnvironmentFingerprintOptions {
  /** Where the lockfile search and git start. Default: `process.cwd()`. */
  cwd?: string;
}

/** The lockfile found upward from the working directory. */
export interface LockfileFingerprint {
  /** Absolute path of the lockfile. */
  path: string;
  /** Its file name: `package-lock.json`, `pnpm-lock.yaml` or `yarn.lock`. */
  name: (typeof LOCKFILES)[number];
  /** SHA-256 (hex) of its bytes. */
  hash: string;
}

/** What {@link fingerprintEnvironment} gathers. All fields are plain JSON. */
export interface EnvironmentFingerprint {
  /** `process.version`, e.g. `v20.20.2`. */
  node: string;
  /** `process.platform`, e.g. `linux`. */
  platform: string;
  /** `process.arch`, e.g. `x64`. */
  arch: string;
  /** The version of ato itself, or null when its `package.json` cannot be found. */
  atoVersion: string | null;
  /** The nearest lockfile upward from `cwd`, or null when there is none. */
  lockfile: LockfileFingerprint | null;
  /** `git rev-parse HEAD`, or null outside a git work tree (or without git, or before the first commit). */
  gitCommit: string | null;
  /** Whether `git diff HEAD` is non-empty (tracked files changed), or null outside git. */
  gitDirty: boolean | null;
  /** SHA-256 (hex) of `git diff HEAD` (binary changes included), or null when clean or outside git. */
  gitDiffHash: string | null;
  /**
   * SHA-256 (hex) over all the fields above except the lockfile's path (so that two checkouts of the
   * same commit in different folders agree).
   */
  hash: string;
}

/**
 * Gather the environment fingerprint. Synchronous; runs two or three `git` commands (5 s limit each)
 * when `cwd` is inside a git work tree. Never throws for a missing git, lockfile or package.json:
 * those fields are null.
 *
 * Untracked files are not part of `git diff HEAD`, so they do not change `gitDiffHash`.
 *
 * @example
 * ```ts
 * const env = fingerprintEnvironment();
 * // { node: 'v20.20.2', platform: 'linux', arch: 'x64', atoVersion: '0.1.0',
 * //   lockfile: { path: '/repo/package-lock.json', name: 'package-lock.json', hash: '9c1f...' },
 * //   gitCommit: '79b8444...', gitDirty: true, gitDiffHash: '5e2a...', hash: 'a41c...' }
 * ```
 */
export function fingerprintEnvironment(options: EnvironmentFingerprintOptions = {}): EnvironmentFingerprint {
  const cwd = resolve(options.cwd ?? process.cwd());
  const git = gitState(cwd);
  const fields = {
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    atoVersion: atoVersion(),
    lockfile: findLockfile(cwd),
    gitCommit: git.commit,
    gitDirty: git.dirty,
    gitDiffHash: git.diffHash,
  };
  // Hash every field but the lockfile's location
  const hashed = {
    ...fields,
    lockfile: fields.lockfile && { name: fields.lockfile.name, hash: fields.lockfile.hash },
  };
  const hash = createHash('sha256')
    .update('ato-environment-fingerprint-v1\n')
    .update(JSON.stringify(hashed))
    .digest('hex');
  return { ...fields, hash };
}

/**
 * The nearest lockfile in `cwd` or a directory above it, with the SHA-256 of its bytes.
 *
 * @example
 * ```ts
 * findLockfile('/repo/packages/app'); // { path: '/repo/package-lock.json', name: 'package-lock.json', hash: '...' }
 * ```
 */
export function findLockfile(cwd: string = process.cwd()): LockfileFingerprint | null {
  for (let dir = resolve(cwd); ; ) {
    for (const name of LOCKFILES) {
      const path = join(dir, name);
      if (existsSync(path)) {
        try {
          return { path, name, hash: createHash('sha256').update(readFileSync(path)).digest('hex') };
        } catch {
          // Unreadable (a directory, no permission): keep looking upward
        }
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

let cachedAtoVersion: string | null | undefined;

/** The version in ato's own `package.json`, found by walking up from this module. */
function atoVersion(): string | null {
  if (cachedAtoVersion !== undefined) return cachedAtoVersion;
  cachedAtoVersion = null;
  try {
    for (let dir = dirname(fileURLToPath(import.meta.url)); ; ) {
      const path = join(dir, 'package.json');
      if (existsSync(path)) {
        const pkg = JSON.parse(readFileSync(path, 'utf8')) as { name?: unknown; version?: unknown };
        if (pkg.name === 'ato' && typeof pkg.version === 'string') {
          cachedAtoVersion = pkg.version;
          break;
        }
      }
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  } catch {
    // Not a file: URL, unreadable or invalid package.json: unknown version
  }
  return cachedAtoVersion;
}

/** Run git in `cwd`; null when git is missing, fails or times out. */
function git(cwd: string, args: string[], maxBuffer = 1024 * 1024): Buffer | null {
  try {
    return execFileSync('git', args, {
      cwd,
      timeout: GIT_TIMEOUT_MS,
      maxBuffer,
      stdio: ['ignore', 'pipe', 'ignore'],
      env: { ...process.env, GIT_OPTIONAL_LOCKS: '0', LC_ALL: 'C' },
      windowsHide: true,
    });
  } catch {
    return null;
  }
}

function gitState(cwd: string): { commit: string | null; dirty: boolean | null; diffHash: string | null } {
  const none = { commit: null, dirty: null, diffHash: null };
  if (git(cwd, ['rev-parse', '--is-inside-work-tree'])?.toString().trim() !== 'true') return none;
  const commit = git(cwd, ['rev-parse', '--verify', '--quiet', 'HEAD'])?.toString().trim() || null;
  if (commit === null) return none;
  // A diff that does not depend on the user's git config
  const diff = git(
    cwd,
    [
      'diff',
      'HEAD',
      '--binary',
      '--no-color',
      '--no-ext-diff',
      '--no-textconv',
      '--no-renames',
      '--src-prefix=a/',
      '--dst-prefix=b/',
    ],
    GIT_MAX_DIFF_BYTES,
  );
  if (diff === null) return { commit, dirty: null, diffHash: null };
  if (diff.length === 0) return { commit, dirty: false, diffHash: null };
  return { commit, dirty: true, diffHash: createHash('sha256').update(diff).digest('hex') };
}
