import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const examples = join(import.meta.dirname, '..', 'examples');
const tsx = join(import.meta.dirname, '..', 'node_modules', '.bin', 'tsx');

/** Run an example in a real child process (importing the built package, as users do). */
function run(name: string, args: string[] = []): string {
  return execFileSync(tsx, [join(examples, name), ...args], { encoding: 'utf8', timeout: 60_000 });
}

describe('examples run as documented', () => {
  it('every example is covered by this file', () => {
    const covered = ['demo.ts', 'compose.ts'];
    expect(readdirSync(examples).filter((f) => f.endsWith('.ts')).sort()).toEqual(covered.sort());
  });

  it('demo.ts: round trips are identical, the hash sees types not values', () => {
    const out = run('demo.ts');
    expect(out).toContain('after changing a value    same');
    expect(out).toContain('after changing a type     different');
    expect(out).toContain('cannot set "optim.lr": the config is frozen');
    expect(out.match(/identical/g)).toHaveLength(5);
    expect(out).not.toContain('DIFFERENT');
    expect(out).toContain('minimal config (only what was read):\n\nmodel:\n  backbone: resnet50\nepochs: 10\noptim:\n  lr: 0.01\n');
  });

  it('compose.ts: selects a group option and explains where each value came from', () => {
    const out = run('compose.ts', ['model=vit']);
    expect(out).toContain('backbone: vit_b_16');
    expect(out).toContain('data.batch_size    128 (configs/hydra/data/cifar10.json) <- 256 (override: data.batch_size=256)');
  });
});
