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
