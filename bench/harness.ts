/**
 * A tiny benchmark harness: each figure is the median of several timed batches, printed beside a
 * baseline measured in the same run (ratios, because these machines are noisy).
 */
import { performance } from 'node:perf_hooks';

/** One printed figure. */
export interface Figure {
  /** What was measured, as the issue names it. */
  name: string;
  /** The measured value, formatted with its unit. */
  value: string;
  /** The baseline measured in the same run, formatted with its unit (or '-'). */
  baseline: string;
  /** value / baseline (or a target comparison), formatted, or '-'. */
  ratio: string;
}

/** Median of a list of numbers. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Time `fn` in `batches` batches of `iterations` calls each, after one warm-up batch, and return the
 * median time per call in milliseconds.
 */
export function timePerCall(fn: () => unknown, iterations: number, batches = 7): number {
  for (let i = 0; i < iterations; i++) fn();
  const samples: number[] = [];
  for (let b = 0; b < batches; b++) {
    const start = performance.now();
    for (let i = 0; i < iterations; i++) fn();
    samples.push((performance.now() - start) / iterations);
  }
  return median(samples);
}

/** Async variant of {@link timePerCall}. */
export async function timePerCallAsync(fn: () => Promise<unknown>, iterations: number, batches = 5) {
  for (let i = 0; i < iterations; i++) await fn();
  const samples: number[] = [];
  for (let b = 0; b < batches; b++) {
    const start = performance.now();
    for (let i = 0; i < iterations; i++) await fn();
    samples.push((performance.now() - start) / iterations);
  }
  return median(samples);
}

/** Format milliseconds with a sensible unit. */
export function formatMs(ms: number): string {
  if (ms < 0.001) return `${(ms * 1e6).toFixed(0)} ns`;
  if (ms < 1) return `${(ms * 1e3).toFixed(2)} µs`;
  if (ms < 1000) return `${ms.toFixed(2)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

/** Format a ratio such as `3.20x`. */
export function formatRatio(value: number, baseline: number): string {
  return `${(value / baseline).toFixed(2)}x`;
}

/** Print figures as a Markdown table (so the output can be pasted into bench/RESULTS.md). */
export function printTable(title: string, figures: Figure[]): void {
  const rows = [
    ['figure', 'value', 'baseline (same run)', 'ratio'],
    ...figures.map((f) => [f.name, f.value, f.baseline, f.ratio]),
  ];
  console.log(`\n### ${title}\n`);
  for (const [i, row] of rows.entries()) {
    console.log(`| ${row.join(' | ')} |`);
    if (i === 0) console.log(`|${row.map(() => '---').join('|')}|`);
  }
}
