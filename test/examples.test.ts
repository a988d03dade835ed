import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const examples = join(import.meta.dirname, '..', 'examples');
const tsx = join(import.meta.dirname, '..', 'node_modules', '.bin', 'tsx');

/** Run an example in a real child process (importing the built package, as users do). */
function run(name: string, args: string[] = [], options: { cwd?: string } = {}): string {
  const runner = name.endsWith('.js') ? process.execPath : tsx;
  return execFileSync(runner, [join(examples, name), ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    ...options,
  });
}

/** Run an example expected to fail: its exit code and stderr. */
function fail(name: string, args: string[]): { status: number; stderr: string } {
  const result = spawnSync(tsx, [join(examples, name), ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: result.status ?? -1, stderr: result.stderr };
}

describe('examples run as documented', () => {
  it('every example is covered by this file', () => {
    const covered = [
      'demo.ts',
      'config-tour.ts',
      'compose.ts',
      'quickstart.js',
      'chaining.ts',
      'multi-scope.ts',
      'commander.ts',
      'reproducibility.ts',
      'search.ts',
    ];
    expect(
      readdirSync(examples)
        .filter((f) => /\.(ts|js)$/.test(f))
        .sort(),
    ).toEqual(covered.sort());
  });

  it('npm run demo runs the demo (the command after the build step, as package.json has it)', () => {
    const pkg = JSON.parse(readFileSync(join(examples, '..', 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    const [build, command] = pkg.scripts.demo!.split(' && ');
    expect(build).toBe('npm run build');
    const [runner, file] = command!.split(' ');
    expect(runner).toBe('tsx');
    expect(file).toBe('examples/demo.ts');
    expect(existsSync(join(examples, '..', file!))).toBe(true);
  });

  it('demo.ts: a real tracked experiment; the store holds the run, its metrics and fingerprints', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'ato-demo-'));
    const out = run('demo.ts', [], { cwd });
    expect(out).toMatch(/^run 1: 1500 steps, val_accuracy=0\.9\d+ val_loss=/);
    expect(out).toContain('look at it with: npx ato runs --db sqlite:///experiments.db');
    const again = run('demo.ts', ['linear', 'quick'], { cwd });
    expect(again).toMatch(/^run 2: 250 steps, val_accuracy=0\.[3-6]\d*/);
    expect(again).toContain('project "spirals": 2 run(s)');
    const { SQLFinder } = await import('../src/tracker/finder.js');
    const finder = new SQLFinder(`sqlite:///${join(cwd, 'experiments.db')}`);
    const [linear, mlp] = await finder.getRunsInProject('spirals');
    const full = await finder.findRun(mlp!.id);
    await finder.close();
    expect(full!.status).toBe('completed');
    expect(full!.metrics.train_loss!.count).toBe(1500);
    expect(full!.metrics.val_accuracy!.count).toBe(30);
    expect(full!.history!.train_loss).toHaveLength(1500);
    expect(full!.fingerprints.train_step?.type).toBe('static');
    expect(full!.fingerprints.val_predictions?.type).toBe('runtime');
    expect(full!.fingerprintHistory!.filter((f) => f.traceId === 'val_predictions')).toHaveLength(30);
    // same code, other config: the static fingerprint is equal, the output is not
    expect(linear!.fingerprints.train_step).toEqual(mlp!.fingerprints.train_step);
    expect(linear!.fingerprints.val_predictions).not.toEqual(mlp!.fingerprints.val_predictions);
    expect(linear!.config.model.hidden).toEqual([]);
  });

  it('config-tour.ts: round trips are identical, the hash sees types not values', () => {
    const out = run('config-tour.ts');
    expect(out).toContain('after changing a value    same');
    expect(out).toContain('after changing a type     different');
    expect(out).toContain('cannot set "optim.lr": the config is frozen');
    expect(out.match(/identical/g)).toHaveLength(5);
    expect(out).not.toContain('DIFFERENT');
    expect(out).toContain(
      'minimal config (only what was read):\n\nmodel:\n  backbone: resnet50\nepochs: 10\noptim:\n  lr: 0.01\n',
    );
  });

  it('compose.ts: selects a group option and explains where each value came from', () => {
    const out = run('compose.ts', ['model=vit']);
    expect(out).toContain('backbone: vit_b_16');
    expect(out).toContain(
      'data.batch_size    128 (configs/hydra/data/cifar10.json) <- 256 (override: data.batch_size=256)',
    );
  });

  it('quickstart.js: priorities, the command line, lazy views, manual and print under plain node', () => {
    expect(run('quickstart.js')).toBe(
      'training resnet50 on imagenet (1000 classes)\nlr=0.001 batch_size=32 epochs=3\n',
    );
    expect(run('quickstart.js', ['lr=0.5', 'high_lr', 'small', 'dataset=cifar10'])).toBe(
      'training resnet18 on cifar10 (10 classes)\nlr=0.5 batch_size=128 epochs=3\n',
    );
    const manual = run('quickstart.js', ['high_lr', 'lr=0.5', 'manual']);
    expect(manual).toContain('defaults → high_lr → (CLI Inputs) → derived');
    expect(manual).toContain('lr:             0.5  ← (CLI) lr=0.5  ← high_lr 0.01  ← defaults 0.001');
    expect(manual).toContain('model.backbone: Backbone network');
    expect(run('quickstart.js', ['print'])).toContain('model:\n  backbone: resnet50\n  depth: 50\n');
  });

  it('chaining.ts: prerequisites once, in order; lazy blocks see command-line values', () => {
    expect(run('chaining.ts', ['multi_node', 'nodes=8'])).toBe(
      'setup: defaults -> base_setup -> gpu_setup -> multi_node\nworld_size=64 global_batch=4096\n',
    );
    expect(run('chaining.ts', ['gpu_setup'])).toBe(
      'setup: defaults -> base_setup -> gpu_setup\nworld_size=8 global_batch=512\n',
    );
  });

  it('multi-scope.ts: scopes keep their keys apart', () => {
    expect(run('multi-scope.ts', ['model.large', 'data.lr=0.2', 'data.dataset=cifar10'])).toBe(
      'model: resnet152 lr=0.001\ndata: cifar10 lr=0.2\n',
    );
    const manual = run('multi-scope.ts', ['manual']);
    expect(manual).toContain('model.lr: Optimizer learning rate');
    expect(manual).toContain('data.lr: Augmentation strength');
  });

  it('commander.ts: options around the scope phases, help then manual, errors exit non-zero', () => {
    expect(run('commander.ts', ['--epochs', '5', 'high_lr', 'batch_size=64'])).toBe(
      'baseline: epochs=5 lr=0.01 batch_size=64\n',
    );
    expect(run('commander.ts', ['epochs=3'])).toBe('baseline: epochs=3 lr=0.001 batch_size=32\n');
    const help = run('commander.ts', ['--help']);
    expect(help).toMatch(/^Usage: train \[options\][\s\S]*\[Scope "config"\]/);
    const bad = fail('commander.ts', ['--nope']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe("error: --nope: unknown option '--nope'\n  fix: see --help for the options\n");
    const unbalanced = fail('commander.ts', ['layers=[1,', '2']);
    expect(unbalanced.status).toBe(2);
    expect(unbalanced.stderr).toContain('  layers=[1, 2\n         ^');
  });

  it('reproducibility.ts: the README example runs and its fingerprints are deterministic', () => {
    const readme = readFileSync(join(examples, '..', 'README.md'), 'utf8');
    const block = /## Reproducibility: fingerprints[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)![1]!;
    expect(readFileSync(join(examples, 'reproducibility.ts'), 'utf8')).toContain(block);
    const first = run('reproducibility.ts');
    expect(first).toMatch(/train_step: \{\n\s+type: 'static',\n\s+hash: '[0-9a-f]{64}'/);
    expect(first).toMatch(/predictions: \{\n\s+type: 'runtime',\n\s+hash: '[0-9a-f]{64}'/);
    expect(first).toContain("atoVersion: '0.1.0'");
    const fingerprints = (out: string) => out.slice(0, out.indexOf('node:'));
    expect(fingerprints(run('reproducibility.ts'))).toBe(fingerprints(first));
  });
});
