import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const examples = join(import.meta.dirname, '..', 'examples');
const tsx = join(import.meta.dirname, '..', 'node_modules', '.bin', 'tsx');

/** Run an example in a real child process (importing the built package, as users do). */
function run(name: string, args: string[] = []): string {
  return execFileSync(tsx, [join(examples, name), ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    cwd: mkdtempSync(join(tmpdir(), 'ato-search-')),
  });
}

describe('examples/search.ts: HyperBand over the demo model', () => {
  it('runs the generations 27, 9, 3, 1 and finds a config reaching >= 0.9 validation accuracy', () => {
    const out = run('search.ts');
    expect(out).toContain('grid: 27 configs\n');
    expect(out).toContain('trials per generation: 27, 9, 3, 1\n');
    expect(out).toContain('epochs per generation: 3, 10, 30, 30\n');
    const accuracy = Number(/best val_accuracy: ([\d.]+)/.exec(out)?.[1]);
    expect(accuracy).toBeGreaterThanOrEqual(0.9);
    expect(accuracy).toBeLessThanOrEqual(1);
    // the best config, printed as XYZ: a grid point, trained in the final generation
    const best = out.slice(out.indexOf('best config:\n'));
    expect(best).toContain('__num_halved__: 3\n');
    expect(best).toMatch(/\n {2}lr: (0\.001|0\.01|0\.1)\n/);
    expect(best).toMatch(/\n {2}batch_size: (16|45|128)\n/);
    expect(best).toMatch(/\n {2}hidden:\n {4}0\) (16|32|64)\n/);
    expect(best).toContain('  activation: relu\n');
    expect(best).toContain('  epochs: 30\n');
  }, 60_000);

  it('reads the command line through the scope: fewer epochs, other schedule', () => {
    const out = run('search.ts', ['train.epochs=10']);
    expect(out).toContain('trials per generation: 27, 9, 3, 1\n');
    expect(out).toContain('epochs per generation: 1, 3, 10, 10\n');
    expect(out).toContain('  epochs: 10\n');
  }, 60_000);
});
