/** Benchmarks of Scope: import cost, resolution time, and a whole `manual` process. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Scope } from '../src/index.js';
import { type Figure, formatMs, formatRatio, median, timePerCall } from './harness.js';

const root = join(import.meta.dirname, '..');

/**
 * Median wall times of several commands, in ms, measured interleaved (A, B, C, A, B, C, ...) so that
 * drift in the machine's load affects them alike; one warm-up round first.
 */
function wallTimes(commands: string[][], runs: number): number[] {
  const samples: number[][] = commands.map(() => []);
  for (let round = 0; round <= runs; round++) {
    for (const [i, args] of commands.entries()) {
      const start = performance.now();
      const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'ignore' });
      if (result.status !== 0) throw new Error(`bench command failed: node ${args.join(' ')}`);
      if (round > 0) samples[i]!.push(performance.now() - start);
    }
  }
  return samples.map(median);
}

/** A scope with 10 views over a 50-key nested config. */
export function makeBenchScope(): Scope {
  const scope = new Scope({ argv: [] });
  scope.observe({ default: true }, function defaults(config) {
    for (let s = 0; s < 5; s++) {
      const section: Record<string, unknown> = {};
      for (let k = 0; k < 10; k++)
        section[`key_${k}`] = k % 3 === 0 ? `v${k}` : k % 3 === 1 ? k * 0.5 : [k, k + 1];
      config[`section_${s}`] = section;
    }
  });
  for (let v = 1; v < 10; v++) {
    scope.observe(
      { name: `view_${v}`, default: v < 4, priority: v % 3, ...(v === 9 ? { chainWith: ['view_8'] } : {}) },
      (config) => {
        config[`section_${v % 5}`][`key_${v}`] = v;
      },
    );
  }
  return scope;
}

/** Run the scope benchmarks. */
export async function runScopeBench(): Promise<Figure[]> {
  const scope = makeBenchScope();
  const argv = ['view_9', 'view_5', 'section_0.key_1=0.25', 'section_4.extra=[1, 2, {a: 3}]'];
  const resolveMs = timePerCall(() => scope.resolve(argv), 2000);
  const plain = scope.resolve(argv).config.toDict();
  const cloneMs = timePerCall(() => structuredClone(plain), 2000);

  const runs = 31;
  const [bare = 0, bareModule = 0, withCore = 0, manual = 0] = wallTimes(
    [
      ['-e', '0'],
      ['--input-type=module', '-e', '0'],
      ['--input-type=module', '-e', "import { Scope } from 'ato'; void Scope;"],
      [join('examples', 'quickstart.js'), 'manual'],
    ],
    runs,
  );

  return [
    {
      name: 'resolve: 10 views, 50-key config, 4 tokens (per resolution)',
      value: formatMs(resolveMs),
      baseline: `${formatMs(cloneMs)} (structuredClone of the result)`,
      ratio: `${formatRatio(resolveMs, cloneMs)}; target < 0.2 ms: ${resolveMs < 0.2 ? 'met' : 'NOT met'}`,
    },
    {
      name: "import { Scope } from 'ato' (process wall time, median of 31, interleaved)",
      value: formatMs(withCore),
      baseline: `${formatMs(bareModule)} (node --input-type=module -e 0)`,
      ratio: `+${formatMs(withCore - bareModule)}; target +30 ms: ${withCore - bareModule <= 30 ? 'met' : 'NOT met'}`,
    },
    {
      name: 'node examples/quickstart.js manual (median of 31, interleaved)',
      value: formatMs(manual),
      baseline: `${formatMs(bare)} (node -e 0)`,
      ratio: formatRatio(manual, bare),
    },
  ];
}
