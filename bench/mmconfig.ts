/**
 * Benchmarks of the OpenMMLab config loader on the 516-config corpus of ../shared/fixtures/mmconfigs,
 * against the cost of just materialising the same data (`JSON.parse` of the expected results).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { loadMmConfigFile } from '../src/config/mmconfig/load.js';
import { type Figure, formatMs, formatRatio, median, timePerCall } from './harness.js';

/** The corpus folder: ../shared/fixtures/mmconfigs next to the repository (from bench/ or dist/bench/). */
function corpusFolder(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
  const folder = join(dir, '..', 'shared', 'fixtures', 'mmconfigs');
  return existsSync(join(folder, 'expected.json')) ? folder : undefined;
}

/** Median time of one call of `fn` over `runs` single timed calls, in milliseconds. */
function medianSingle(fn: () => unknown, runs: number): number {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    fn();
    samples.push(performance.now() - start);
  }
  return median(samples);
}

/**
 * Run the OpenMMLab config benchmarks: the median time to load one corpus config (each config timed
 * on its own, median over the 516) and the time to load the whole corpus, each beside `JSON.parse`
 * of the same configs' expected results measured in the same run.
 */
export async function runMmconfigBench(): Promise<Figure[]> {
  const folder = corpusFolder();
  if (!folder) {
    return [
      {
        name: 'mmconfig corpus',
        value: 'skipped: ../shared/fixtures/mmconfigs not found',
        baseline: '-',
        ratio: '-',
      },
    ];
  }
  const expected = JSON.parse(readFileSync(join(folder, 'expected.json'), 'utf8')) as Record<string, unknown>;
  const names = Object.keys(expected);
  const paths = names.map((name) => join(folder, name));
  const texts = names.map((name) => JSON.stringify(expected[name]));

  // Warm up both sides
  for (let round = 0; round < 3; round++) {
    for (const path of paths) loadMmConfigFile(path);
    for (const text of texts) JSON.parse(text);
  }

  // Per config: median of single loads, then the median over the corpus
  const perConfig = paths.map((path) => medianSingle(() => loadMmConfigFile(path), 5));
  const perConfigBaseline = texts.map((text) => timePerCall(() => JSON.parse(text), 20, 3));
  const loadMedian = median(perConfig);
  const parseMedian = median(perConfigBaseline);
  const slowest = Math.max(...perConfig);

  // The whole corpus, one config after the other
  const corpusMs = timePerCall(
    () => {
      for (const path of paths) loadMmConfigFile(path);
    },
    1,
    5,
  );
  const corpusBaselineMs = timePerCall(
    () => {
      for (const text of texts) JSON.parse(text);
    },
    5,
    5,
  );

  return [
    {
      name: `mmconfig load, median per config (${names.length} configs with their bases)`,
      value: formatMs(loadMedian),
      baseline: `${formatMs(parseMedian)} (JSON.parse of the merged result)`,
      ratio: formatRatio(loadMedian, parseMedian),
    },
    {
      name: 'mmconfig load, slowest config',
      value: formatMs(slowest),
      baseline: '-',
      ratio: '-',
    },
    {
      name: `mmconfig load, whole corpus (${names.length} configs)`,
      value: formatMs(corpusMs),
      baseline: `${formatMs(corpusBaselineMs)} (JSON.parse of all merged results)`,
      ratio: formatRatio(corpusMs, corpusBaselineMs),
    },
  ];
}
