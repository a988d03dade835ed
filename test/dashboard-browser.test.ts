/**
 * The dashboard in headless Chromium (Debian's /usr/bin/chromium driven by playwright-core, which
 * never downloads a browser): every page against a test store, filtering, selecting two runs and
 * comparing them, the injection case, and a screenshot of each page in .test-results/screenshots/.
 * Without Chromium the tests are skipped with the reason, unless ATO_REQUIRE_CHROMIUM=1.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningDashboard, startDashboard } from '../src/dashboard/server.js';
import { type DashboardFixture, INJECTION, writeDashboardStore } from './_dashboard-store.js';

const CHROMIUM = '/usr/bin/chromium';
/** The launch flags of ../shared/DEPENDENCIES.md. */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
const available = existsSync(CHROMIUM);
const required = process.env.ATO_REQUIRE_CHROMIUM === '1';
const SHOTS = join(process.cwd(), '.test-results', 'screenshots');

if (!available && required) {
  describe('dashboard in Chromium', () => {
    it('needs Chromium (ATO_REQUIRE_CHROMIUM=1)', () => {
      throw new Error(`${CHROMIUM} is missing: install it with "apt-get install -y chromium"`);
    });
  });
} else {
  const suite = available ? describe : describe.skip;
  suite(
    available ? 'dashboard in Chromium' : `dashboard in Chromium (skipped: ${CHROMIUM} is missing)`,
    () => {
      let fx: DashboardFixture;
      let assets: string;
      let dashboard: RunningDashboard;
      let browser: Browser;
      let page: Page;
      let base: string;
      const errors: string[] = [];

      beforeAll(async () => {
        fx = await writeDashboardStore();
        assets = mkdtempSync(join(tmpdir(), 'ato-dashboard-assets-'));
        execFileSync(process.execPath, ['scripts/build-dashboard.mjs', '--outdir', assets]);
        dashboard = await startDashboard({ url: fx.url, port: 0, assetsDir: assets, print: () => {} });
        base = dashboard.address;
        const { chromium } = await import('playwright-core');
        browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
        page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        page.on('pageerror', (error) => errors.push(error.message));
        page.on('console', (message) => {
          if (message.type() === 'error') errors.push(message.text());
        });
        mkdirSync(SHOTS, { recursive: true });
      }, 120_000);

      afterAll(async () => {
        await browser?.close();
        await dashboard?.close();
        if (fx) rmSync(fx.dir, { recursive: true, force: true });
        if (assets) rmSync(assets, { recursive: true, force: true });
      });

      const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
      const rows = () => page.locator('[data-testid="runs-table"] tbody tr');

      it('Runs: the table, filters, sorting', async () => {
        await page.goto(`${base}#/runs`);
        await page.waitForSelector('[data-testid="runs-table"] tbody tr');
        expect(await page.locator('[data-testid="run-count"]').textContent()).toBe('26 runs');
        expect(await rows().count()).toBe(26);
        await page.selectOption('select[name="project"]', 'vision');
        await page.click('[data-testid="filters"] button[type="submit"]');
        await page.waitForFunction(
          () => document.querySelector('[data-testid="run-count"]')?.textContent === '3 runs',
        );
        expect(await rows().evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-run')))).toEqual([
          String(fx.runs.hostile),
          String(fx.runs.b),
          String(fx.runs.a),
        ]);
        await page.fill('input[name="where"]', 'lr=0.01');
        await page.click('[data-testid="filters"] button[type="submit"]');
        await page.waitForFunction(
          () => document.querySelector('[data-testid="run-count"]')?.textContent === '1 run',
        );
        expect(await rows().first().getAttribute('data-run')).toBe(String(fx.runs.b));
        // the hash keeps the filters
        expect(page.url()).toContain('project=vision');
        await page.goto(`${base}#/runs?tag=transformer`);
        await page.waitForFunction(
          (id) =>
            document.querySelector('[data-testid="runs-table"] tbody tr')?.getAttribute('data-run') === id,
          String(fx.runs.failed),
        );
        expect(await page.locator('[data-testid="run-count"]').textContent()).toBe('1 run');
        await page.goto(`${base}#/runs?project=vision`);
        await page.waitForFunction(
          () => document.querySelector('[data-testid="run-count"]')?.textContent === '3 runs',
        );
        await page.click('th[data-sort="metric.loss"]');
        await page.waitForFunction(() => location.hash.includes('sort=metric.loss'));
        await page.waitForFunction(
          (id) =>
            document.querySelector('[data-testid="runs-table"] tbody tr')?.getAttribute('data-run') === id,
          String(fx.runs.hostile),
        );
        await shot('runs');
      });

      it('Runs → Compare: select two runs; curves, config diff and the verdict of ato diff', async () => {
        await page.goto(`${base}#/runs?project=vision`);
        await page.waitForFunction(
          () => document.querySelector('[data-testid="run-count"]')?.textContent === '3 runs',
        );
        await page.check(`tr[data-run="${fx.runs.a}"] input[type="checkbox"]`);
        await page.check(`tr[data-run="${fx.runs.b}"] input[type="checkbox"]`);
        await page.click('[data-testid="compare-selected"]');
        await page.waitForSelector('[data-testid="compare-page"]');
        expect(page.url()).toContain(`#/compare?runs=${fx.runs.a},${fx.runs.b}`);
        await page.waitForSelector('[data-testid="chart"] canvas');
        expect(await page.locator('[data-testid="chart"] canvas').count()).toBe(2); // loss, val_accuracy
        const verdict = await page.locator('[data-testid="verdict"]').first().textContent();
        expect(verdict).toContain('changed: config, code, output');
        const diff = await page.locator('[data-testid="config-diff"]').textContent();
        expect(diff).toContain('lr');
        expect(diff).toContain('0.01');
        expect(diff).not.toContain('backbone'); // identical values are not shown
        expect(await page.locator('[data-testid="code-diff"]').textContent()).toContain('train_step');
        await shot('compare');
      });

      it('Run: config tree, tags, fingerprints, artifacts with size and hash, a chart per metric', async () => {
        await page.goto(`${base}#/run/${fx.runs.a}`);
        await page.waitForSelector('[data-testid="run-page"] [data-testid="chart"] canvas');
        expect(await page.locator('[data-testid="run-page"] [data-testid="chart"]').count()).toBe(2);
        const tree = await page.locator('[data-testid="config-tree"]').textContent();
        expect(tree).toContain('backbone');
        expect(tree).toContain('resnet50');
        const artifacts = await page.locator('[data-testid="artifacts"]').textContent();
        expect(artifacts).toContain(fx.artifactPath);
        expect(artifacts).toContain('2.0 KiB');
        expect(artifacts).toContain('model');
        // paths are text, never links to the file
        expect(await page.locator('[data-testid="artifacts"] a').count()).toBe(0);
        const body = await page.locator('[data-testid="run-page"]').textContent();
        expect(body).toContain('baseline');
        expect(body).toContain('train_step');
        expect(body).toContain('3000 points (1000 drawn)');
        await shot('run');
      });

      it('Search: studies, parallel coordinates, metric against each parameter, rungs', async () => {
        await page.goto(`${base}#/search`);
        await page.waitForSelector('[data-testid="studies-page"] a');
        await shot('studies');
        await page.click(`text=${fx.study}`);
        await page.waitForSelector('[data-testid="parallel-coordinates"]');
        expect(await page.locator('[data-testid="parallel-coordinates"] polyline').count()).toBe(22);
        expect(await page.locator('[data-testid="scatter"]').count()).toBe(2);
        const rungs = await page.locator('[data-testid="rungs"] tbody tr').allTextContents();
        expect(rungs).toHaveLength(4);
        expect(rungs[0]).toMatch(/^0\s*12/);
        await shot('search');
      });

      it('Code versions: trace ids, then the versions of one with their runs', async () => {
        await page.goto(`${base}#/code`);
        await page.waitForSelector('[data-testid="traces-page"] a');
        await page.click('text=train_step');
        await page.waitForSelector('[data-testid="trace-page"] .version');
        expect(await page.locator('[data-testid="trace-page"] .version').count()).toBe(2);
        const text = await page.locator('[data-testid="trace-page"]').textContent();
        expect(text).toContain('2 code version(s)');
        expect(text).toContain('a'.repeat(12));
        expect(text).toContain('b'.repeat(12));
        await shot('code-versions');
      });

      it('shows a hostile tag and config value as text; nothing executes', async () => {
        await page.goto(`${base}#/runs?project=vision`);
        await page.waitForSelector(`tr[data-run="${fx.runs.hostile}"]`);
        expect(await page.locator(`tr[data-run="${fx.runs.hostile}"] .tag`).textContent()).toBe(INJECTION);
        await page.goto(`${base}#/run/${fx.runs.hostile}`);
        await page.waitForSelector('[data-testid="config-tree"]');
        expect(await page.locator('[data-testid="config-tree"]').textContent()).toContain(INJECTION);
        expect(await page.locator('[data-testid="run-page"] .tag').textContent()).toBe(INJECTION);
        await page.goto(`${base}#/compare?runs=${fx.runs.a},${fx.runs.hostile}`);
        await page.waitForSelector('[data-testid="config-diff"]');
        expect(await page.locator('[data-testid="config-diff"]').textContent()).toContain(INJECTION);
        await page.waitForTimeout(200);
        expect(
          await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned),
        ).toBeUndefined();
        expect(await page.locator('img').count()).toBe(0);
        await shot('injection');
      });

      it('raised no page error', () => {
        expect(errors).toEqual([]);
      });
    },
  );
}
