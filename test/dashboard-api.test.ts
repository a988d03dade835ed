/**
 * The dashboard's API (src/dashboard/api.ts) and its Hono app (src/dashboard/server.ts, through
 * `app.request()`, no socket) over a SQLite store written by SQLLogger and a HyperBand study:
 * every endpoint's data, LTTB, filters, sorting, the token, the refused hosts and methods, and that
 * nothing is ever written to the store.
 */
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareRuns, lttb, metricSeries, runsList } from '../src/dashboard/api.js';
import { createDashboardApp, openReadOnlyStore, type ReadOnlyStore } from '../src/dashboard/server.js';
import { type DashboardFixture, INJECTION, writeDashboardStore } from './_dashboard-store.js';

let fx: DashboardFixture;
let store: ReadOnlyStore;
let before: string;
const fileHash = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

beforeAll(async () => {
  fx = await writeDashboardStore();
  before = fileHash(fx.path);
  store = await openReadOnlyStore(fx.url);
}, 120_000);

afterAll(async () => {
  await store?.close();
  if (fx) rmSync(fx.dir, { recursive: true, force: true });
});

const app = () => createDashboardApp(store, { assetsDir: '/nonexistent' });
async function get<T = any>(
  path: string,
  init?: RequestInit,
  token?: string,
): Promise<{ status: number; body: T }> {
  const a = createDashboardApp(store, { assetsDir: '/nonexistent', ...(token ? { token } : {}) });
  const response = await a.request(path, init);
  const type = response.headers.get('content-type') ?? '';
  return {
    status: response.status,
    body: (type.includes('json') ? await response.json() : await response.text()) as T,
  };
}

describe('LTTB downsampling', () => {
  it('returns at most N points, keeps the first and last points and the extremes, in order', () => {
    const n = 100_000;
    const x = Array.from({ length: n }, (_, i) => i);
    const y = x.map((i) => Math.sin(i / 500) + (i === 31_337 ? 50 : 0) + (i === 77_777 ? -40 : 0));
    const s = lttb(x, y, 1000);
    expect(s.x.length).toBeLessThanOrEqual(1000);
    expect(s.x.length).toBeGreaterThan(990);
    expect(s.x[0]).toBe(0);
    expect(s.x[s.x.length - 1]).toBe(n - 1);
    expect(s.x).toContain(31_337);
    expect(s.x).toContain(77_777);
    expect(Math.max(...(s.y as number[]))).toBe(Math.max(...y));
    expect(Math.min(...(s.y as number[]))).toBe(Math.min(...y));
    expect([...s.x].sort((p, q) => p - q)).toEqual(s.x);
    expect(new Set(s.x).size).toBe(s.x.length);
    // the shape: the sine's peaks survive
    expect(s.y.filter((v) => v !== null && v > 0.99).length).toBeGreaterThan(5);
  });

  it('keeps short series whole and turns non-finite values into gaps', () => {
    expect(lttb([1, 2, 3], [3, 2, 1], 1000)).toEqual({ x: [1, 2, 3], y: [3, 2, 1] });
    const s = lttb([0, 1, 2, 3, 4, 5], [1, Number.NaN, 3, Number.POSITIVE_INFINITY, 0, 2], 4);
    expect(s.x.length).toBeLessThanOrEqual(4);
    expect(s.x[0]).toBe(0);
    expect(s.x).toContain(5);
    expect(s.x).toContain(4); // the minimum
    expect(lttb([0, 1, 2, 3, 4, 5], [1, Number.NaN, 3, 4, 0, 2], 6).y[1]).toBeNull();
  });
});

describe('dashboard API', () => {
  it('lists runs with summaries, projects and tags; filters by project, status, tag and config', async () => {
    const all = await get('/api/runs');
    expect(all.status).toBe(200);
    expect(all.body.total).toBe(4 + 22); // 4 runs, then the study's 22 trial runs
    expect(all.body.projects).toEqual(['nlp', 'search', 'vision']);
    expect(all.body.tags).toEqual(expect.arrayContaining(['baseline', 'resnet50', 'transformer', INJECTION]));
    const vision = await get('/api/runs?project=vision');
    expect(vision.body.runs.map((r: { id: number }) => r.id)).toEqual([
      fx.runs.hostile,
      fx.runs.b,
      fx.runs.a,
    ]);
    const a = vision.body.runs.find((r: { id: number }) => r.id === fx.runs.a);
    expect(a).toMatchObject({ project: 'vision', status: 'completed', tags: ['baseline', 'resnet50'] });
    expect(a.metrics.loss).toBeCloseTo(2 * Math.exp(-2999 / 500));
    expect(vision.body.metricKeys).toEqual(['loss', 'val_accuracy']);

    const failed = await get('/api/runs?status=failed');
    expect(failed.body.runs.map((r: { id: number }) => r.id)).toEqual([fx.runs.failed]);
    expect(failed.body.runs[0].error).toBe('loss became NaN');
    const tagged = await get('/api/runs?tag=resnet50&tag=baseline');
    expect(tagged.body.runs.map((r: { id: number }) => r.id)).toEqual([fx.runs.a]);
    const where = await get(`/api/runs?where=${encodeURIComponent('model.backbone=bert')}`);
    expect(where.body.runs.map((r: { id: number }) => r.id)).toEqual([fx.runs.failed]);
    const number = await get(`/api/runs?where=${encodeURIComponent('lr=0.01')}&project=vision`);
    expect(number.body.runs.map((r: { id: number }) => r.id)).toEqual([fx.runs.b]);
    const hostile = await get(`/api/runs?tag=${encodeURIComponent(INJECTION)}`);
    expect(hostile.body.runs.map((r: { id: number }) => r.id)).toEqual([fx.runs.hostile]);
    expect((await get('/api/runs?status=exploded')).status).toBe(400);
    expect((await get('/api/runs?where=nokey')).status).toBe(400);
  });

  it('sorts by a metric, a config value or a column, and pages', async () => {
    const byLoss = await runsList(store, { project: 'vision', sort: 'metric.loss', order: 'asc' });
    const losses = byLoss.runs.map((r) => r.metrics.loss!);
    expect(losses).toEqual([...losses].sort((p, q) => p - q));
    const byLr = await get('/api/runs?project=vision&sort=config.lr&order=desc');
    expect(byLr.body.runs[0].id).toBe(fx.runs.b);
    const byId = await get('/api/runs?sort=id&order=asc&limit=3&offset=2');
    expect(byId.body.runs.map((r: { id: number }) => r.id)).toEqual([3, 4, 5]);
    expect(byId.body).toMatchObject({ offset: 2, limit: 3 });
    // runs without the metric go last in both orders
    const desc = await runsList(store, { sort: 'metric.val_accuracy', order: 'desc' });
    expect(desc.runs.slice(0, 2).map((r) => r.id)).toEqual([fx.runs.b, fx.runs.a]);
  });

  it('gives a run with config, tags, environment, fingerprints, artifacts and downsampled series', async () => {
    const { status, body } = await get(`/api/runs/${fx.runs.a}?points=500`);
    expect(status).toBe(200);
    expect(body.config).toMatchObject({ lr: 0.001, model: { backbone: 'resnet50', depth: 50 } });
    expect(body.tags).toEqual(['baseline', 'resnet50']);
    expect(body.environment.node).toBe(process.version);
    expect(body.fingerprints).toEqual({
      train_step: { type: 'static', hash: 'a'.repeat(64) },
      predictions: { type: 'runtime', hash: '1'.repeat(64) },
    });
    expect(body.fingerprintHistory).toHaveLength(2);
    expect(body.artifacts).toEqual([
      expect.objectContaining({
        path: fx.artifactPath,
        dataType: 'model',
        size: 2048,
        sha256: createHash('sha256').update(Buffer.alloc(2048, 7)).digest('hex'),
      }),
    ]);
    expect(body.history).toBeUndefined();
    expect(body.series.loss.total).toBe(3000);
    expect(body.series.loss.x.length).toBeLessThanOrEqual(500);
    expect(body.series.loss.x).toContain(1234); // the spike
    expect(body.series.val_accuracy.x).toHaveLength(30);
    expect(body.metrics.loss.count).toBe(3000);
    expect((await get('/api/runs/999999')).status).toBe(404);
    expect((await get('/api/runs/abc')).status).toBe(404);
    const failed = await get(`/api/runs/${fx.runs.failed}`);
    expect(failed.body.series.loss.y).toEqual([3, 2.5]);
  });

  it('gives metric series of several runs, downsampled, one key or all', async () => {
    const { body } = await get(`/api/series?runs=${fx.runs.a},${fx.runs.b}&keys=loss&points=100`);
    expect(body.runs.map((r: { id: number }) => r.id)).toEqual([fx.runs.a, fx.runs.b]);
    for (const r of body.runs) {
      expect(Object.keys(r.series)).toEqual(['loss']);
      expect(r.series.loss.x.length).toBeLessThanOrEqual(100);
      expect(r.series.loss.x[0]).toBe(0);
      expect(r.series.loss.x.at(-1)).toBe(2999);
    }
    const both = await metricSeries(store, { runs: [fx.runs.a] });
    expect(Object.keys(both.runs[0]!.series).sort()).toEqual(['loss', 'val_accuracy']);
    expect(both.points).toBe(1000);
    expect((await get('/api/series?runs=1,x')).status).toBe(400);
  });

  it('compares runs: compare() of the first with each other, the config diff of all, overlaid series', async () => {
    const { body } = await get(`/api/compare?runs=${fx.runs.a},${fx.runs.b},${fx.runs.failed},424242`);
    expect(body.runs.map((r: { id: number }) => r.id)).toEqual([fx.runs.a, fx.runs.b, fx.runs.failed]);
    expect(body.missing).toEqual([424242]);
    const keys = body.configDiff.map((d: { key: string }) => d.key);
    expect(keys).toEqual(
      expect.arrayContaining(['lr', 'model.backbone', 'model.depth', 'experiment.project_name']),
    );
    expect(keys).not.toContain('experiment.sql.db_path'); // same in all: not shown
    expect(body.configDiff.find((d: { key: string }) => d.key === 'lr').values).toEqual([0.001, 0.01, 0.001]);
    const [ab] = body.comparisons;
    expect(ab.a).toBe(fx.runs.a);
    expect(ab.b).toBe(fx.runs.b);
    expect(ab.config.changed).toEqual([{ key: 'lr', a: 0.001, b: 0.01 }]);
    expect(ab.code).toEqual([{ traceId: 'train_step', a: 'a'.repeat(64), b: 'b'.repeat(64) }]);
    // the verdict is compare()'s, as `ato diff` prints it
    expect(ab.verdict.summary).toMatch(/^changed: config, code, output/);
    expect(body.series).toHaveLength(3);
    expect(body.series[1].series.loss.total).toBe(3000);
    const direct = await compareRuns(store, { runs: [fx.runs.a, fx.runs.a] });
    expect(direct.comparisons).toEqual([]);
    expect(direct.configDiff).toEqual([]);
  });

  it('lists studies and gives a study: trials with params, metric, rung, status; counts per rung', async () => {
    const { body: studies } = await get('/api/studies');
    expect(studies).toEqual([
      expect.objectContaining({
        name: fx.study,
        project: 'search',
        algorithm: 'HyperBand',
        mode: 'max',
        trials: 22,
        completed: 22,
      }),
    ]);
    const { body } = await get(`/api/studies/${encodeURIComponent(fx.study)}`);
    expect(body.params).toEqual(['lr', 'model']);
    expect(body.trials).toHaveLength(22);
    // 12 grid configs (6 lr x 2 models), halved at rate 0.5 while at least 3 remain, then the best again
    expect(body.rungs.map((r: { rung: number; trials: number }) => [r.rung, r.trials])).toEqual([
      [0, 12],
      [1, 6],
      [2, 3],
      [3, 1],
    ]);
    for (const t of body.trials) {
      expect(t.status).toBe('completed');
      expect(typeof t.metric).toBe('number');
      expect(typeof t.params.lr).toBe('number');
      expect(typeof t.runId).toBe('number');
    }
    expect(studies[0].best).toBe(Math.max(...body.trials.map((t: { metric: number }) => t.metric)));
    expect((await get('/api/studies/nope')).status).toBe(404);
  });

  it('lists trace ids and gives the versions of a trace with their runs and metrics', async () => {
    const { body: ids } = await get('/api/traces');
    expect(ids).toEqual([
      { traceId: 'predictions', project: 'vision', runs: 2 },
      { traceId: 'train_step', project: 'vision', runs: 2 },
    ]);
    const { body } = await get('/api/traces/train_step');
    expect(body).toHaveLength(1);
    expect(body[0]).toMatchObject({ projectName: 'vision', staticTraceVersions: 2, runtimeTraceVersions: 0 });
    expect(body[0].versions.map((v: { hash: string }) => v.hash)).toEqual(['a'.repeat(64), 'b'.repeat(64)]);
    expect(body[0].versions[0].runs[0]).toMatchObject({ id: fx.runs.a, status: 'completed' });
    expect(body[0].versions[0].runs[0].metrics.val_accuracy).toBeCloseTo(0.5 + 2900 / 8000);
    expect((await get('/api/traces/train_step?project=nlp')).body).toEqual([]);
  });
});

describe('dashboard security', () => {
  it('requires the token on every request when one is set (401 without it)', async () => {
    const token = 's3cret-token';
    expect((await get('/api/runs', undefined, token)).status).toBe(401);
    expect((await get('/', undefined, token)).status).toBe(401);
    expect((await get('/assets/app.js', undefined, token)).status).toBe(401);
    expect((await get('/api/runs?token=wrong', undefined, token)).status).toBe(401);
    expect((await get('/api/runs', { headers: { Authorization: 'Bearer wrong' } }, token)).status).toBe(401);
    expect((await get(`/api/runs?token=${token}`, undefined, token)).status).toBe(200);
    expect((await get('/api/runs', { headers: { Authorization: `Bearer ${token}` } }, token)).status).toBe(
      200,
    );
    // with a token, any Host is answered (the token is the guard)
    const other = await get(
      '/api/studies',
      { headers: { Authorization: `Bearer ${token}`, Host: '10.0.0.5:8000' } },
      token,
    );
    expect(other.status).toBe(200);
  });

  it('refuses non-loopback hosts without a token, and every method but GET and HEAD', async () => {
    expect((await get('/api/runs', { headers: { Host: 'evil.example:8000' } })).status).toBe(403);
    expect((await get('/api/runs', { headers: { Host: '127.0.0.1:8000' } })).status).toBe(200);
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      expect((await get('/api/runs', { method })).status).toBe(405);
    }
  });

  it('sends a CSP forbidding inline scripts, serves only bundled assets, never artifact files', async () => {
    const response = await app().request('/api/runs');
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await get(`/assets/${encodeURIComponent('../../package.json')}`)).status).toBe(404);
    expect((await get(`/${fx.artifactPath}`)).status).toBe(404);
    expect((await get('/api/artifacts/1')).status).toBe(404);
    // without a built page, the root says how to build it
    expect((await get('/')).status).toBe(500);
  });

  it('refuses to start on another host without a token', async () => {
    const { startDashboard } = await import('../src/dashboard/server.js');
    const saved = process.env.ATO_TOKEN;
    delete process.env.ATO_TOKEN;
    try {
      await expect(startDashboard({ url: fx.url, host: '0.0.0.0', port: 0 })).rejects.toThrow(
        /only with a token/,
      );
    } finally {
      if (saved !== undefined) process.env.ATO_TOKEN = saved;
    }
    const started = await startDashboard({ url: fx.url, port: 0, print: () => {} });
    try {
      const response = await fetch(`${started.address}api/studies`);
      expect(response.status).toBe(200);
    } finally {
      await started.close();
    }
  });

  it('opens the store read-only: the file is unchanged after every endpoint, and writes fail', async () => {
    await expect(store.db.deleteFrom('runs').execute()).rejects.toThrow(/readonly/i);
    expect(fileHash(fx.path)).toBe(before);
    await expect(openReadOnlyStore(`sqlite:///${fx.dir}/missing.db`)).rejects.toThrow(/cannot open/);
  });
});
