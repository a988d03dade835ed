/**
 * Benchmarks of the dashboard in headless Chromium (Debian's /usr/bin/chromium through
 * playwright-core), on a store of 10,000 runs x 1,000 points plus 20 runs x 10,000 points:
 * - the runs page: time from navigation until the runs table is rendered (target < 1 s);
 * - a comparison of 20 runs x 10,000 points (2 keys): time from navigation until both overlaid
 *   charts are drawn (target < 1 s).
 * Both are medians of 5 fresh page loads. Skipped rows when Chromium is missing.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { startDashboard } from '../src/dashboard/server.js';
import { addRuns } from './_store.js';
import { type Figure, formatMs, median } from './harness.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** Run the dashboard benchmarks. */
export async function runDashboardBench(): Promise<Figure[]> {
  const names = [
    'runs page: navigation until the runs table is rendered, 10,000 runs x 1,000 points (target < 1 s)',
    'compare page: 20 runs x 10,000 points (2 keys), navigation until both charts are drawn (target < 1 s)',
  ];
  if (!existsSync(CHROMIUM))
    return names.map((name) => ({ name, value: 'skipped', baseline: '-', ratio: `${CHROMIUM} is missing` }));
  const dir = mkdtempSync(join(tmpdir(), 'ato-bench-dashboard-'));
  const url = `sqlite:///${join(dir, 'big.db')}`;
  const root = fileURLToPath(new URL('..', import.meta.url));
  const assets = join(dir, 'assets');
  execFileSync(process.execPath, [join(root, 'scripts', 'build-dashboard.mjs'), '--outdir', assets]);
  const buildStart = performance.now();
  await addRuns(url, 'big', 10_000, 1_000);
  const compared = await addRuns(url, 'long', 20, 10_000);
  const buildMs = performance.now() - buildStart;
  const dashboard = await startDashboard({ url, port: 0, assetsDir: assets, print: () => {} });
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  try {
    const time = async (hash: string, ready: (page: import('playwright-core').Page) => Promise<unknown>) => {
      const samples: number[] = [];
      for (let i = 0; i < 6; i++) {
        const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        const start = performance.now();
        await page.goto(`${dashboard.address}${hash}`);
        await ready(page);
        // one frame later: what was rendered is on the screen
        await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => resolve(null))));
        if (i > 0) samples.push(performance.now() - start); // the first load warms the caches
        await page.close();
      }
      return median(samples);
    };
    const runsMs = await time('#/runs', (page) =>
      page.waitForSelector('[data-testid="runs-table"] tbody tr'),
    );
    const compareMs = await time(`#/compare?runs=${compared.join(',')}`, (page) =>
      page.waitForFunction(() => document.querySelectorAll('[data-testid="chart"] canvas').length === 2),
    );
    const apiStart = performance.now();
    await fetch(`${dashboard.address}api/runs`);
    const apiMs = performance.now() - apiStart;
    return [
      {
        name: `${names[0]} (store built in ${formatMs(buildMs)})`,
        value: formatMs(runsMs),
        baseline: `${formatMs(apiMs)} (GET /api/runs alone)`,
        ratio: runsMs < 1000 ? 'met' : 'NOT met',
      },
      {
        name: names[1]!,
        value: formatMs(compareMs),
        baseline: '-',
        ratio: compareMs < 1000 ? 'met' : 'NOT met',
      },
    ];
  } finally {
    await browser.close();
    await dashboard.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// `npx tsx bench/dashboard.ts` runs it alone
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { printTable } = await import('./harness.js');
  printTable('Dashboard', await runDashboardBench());
}
