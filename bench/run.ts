/**
 * `npm run bench`: every figure the issues name, each beside its baseline measured in the same run.
 * Paste the printed tables into bench/RESULTS.md with the date and machine.
 */
import { runConfigBench } from './config.js';
import { runDashboardBench } from './dashboard.js';
import { runFingerprintBench } from './fingerprint.js';
import { printTable } from './harness.js';
import { runHpoQualityBench } from './hpo-quality.js';
import { runHyperoptOverheadBench } from './hyperopt-overhead.js';
import { runMmconfigBench } from './mmconfig.js';
import { runPostgresInsertBench } from './postgres.js';
import { runScopeBench } from './scope.js';
import { runTrackerBench } from './tracker.js';

const suites: [string, () => Promise<import('./harness.js').Figure[]>][] = [
  ['Config (ADict)', runConfigBench],
  ['OpenMMLab configs', runMmconfigBench],
  ['Scope', runScopeBench],
  ['Fingerprints', runFingerprintBench],
  ['Tracker', runTrackerBench],
  ['PostgreSQL', runPostgresInsertBench],
  ['HPO quality', runHpoQualityBench],
  ['HPO overhead and workers', runHyperoptOverheadBench],
  ['Dashboard', runDashboardBench],
];

const only = process.argv[2];
console.log(
  `ato benchmarks: node ${process.version}, ${process.platform}/${process.arch}, ${new Date().toISOString()}`,
);
for (const [title, run] of suites) {
  if (only && !title.toLowerCase().includes(only.toLowerCase())) continue;
  printTable(title, await run());
}
