// Print the plain "N passed, N failed" line CI recognises, from vitest's JSON report.
// A failure before the tests ran (type check, lint, build) counts as one failed test.
import { existsSync, readFileSync } from 'node:fs';

const status = Number(process.argv[2] ?? 0);
const report = '.test-results/vitest.json';
let passed = 0;
let failed = 0;
if (existsSync(report)) {
  const results = JSON.parse(readFileSync(report, 'utf8'));
  passed = results.numPassedTests ?? 0;
  // files that failed without a failing test (an import error, a crash) count as one failure each
  const brokenFiles = (results.testResults ?? []).filter(
    (file) => file.status === 'failed' && !(file.assertionResults ?? []).some((t) => t.status === 'failed'),
  ).length;
  failed = (results.numFailedTests ?? 0) + brokenFiles;
}
if (status !== 0 && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed`);
