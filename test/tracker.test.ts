import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { ADict } from '../src/config/adict.js';
import { fingerprintValue } from '../src/fingerprint/runtime.js';
import { Scope } from '../src/scope/scope.js';
import { SQLFinder } from '../src/tracker/finder.js';
import { SQLLogger, type SQLLoggerOptions } from '../src/tracker/logger.js';
import { catchAtoError } from './_helpers.js';
import { describeEachStore, dropTestDatabases } from './_stores.js';

afterAll(async () => {
  await dropTestDatabases();
});

const dir = mkdtempSync(join(tmpdir(), 'ato-tracker-'));

function configFor(url: string, extra: Record<string, unknown> = {}) {
  return new ADict({
    experiment: { project_name: 'image_classification', sql: { db_path: url } },
    lr: 0.001,
    model: { backbone: 'resnet50', depth: 50 },
    ...extra,
  });
}

const quiet: SQLLoggerOptions = { environment: true, handleExit: false };

describeEachStore('tracker conformance', (target) => {
  it('records a run: config, structural hash, tags, environment, static fingerprints, status', async () => {
    const url = await target.makeUrl();
    const scope = new Scope();
    scope.trace(
      function trainStep(x: number) {
        return x * 2;
      },
      { traceId: 'train_step' },
    );
    const config = configFor(url);
    const logger = new SQLLogger(config, { ...quiet, scope });
    const runId = await logger.run({ tags: ['baseline', 'resnet50'] });
    const finder = new SQLFinder(url);
    const during = await finder.findRun(runId);
    expect(during?.status).toBe('running');
    await logger.finish('completed');
    const run = await finder.findRun(runId);
    await finder.close();
    expect(run).toBeDefined();
    expect(run!.project).toBe('image_classification');
    expect(run!.status).toBe('completed');
    expect(ADict.isADict(run!.config)).toBe(true);
    expect(run!.config.model.backbone).toBe('resnet50');
    expect(run!.config.toDict()).toEqual(config.toDict());
    expect(run!.structuralHash).toBe(config.getStructuralHash());
    expect(run!.tags).toEqual(['baseline', 'resnet50']);
    expect(run!.environment?.node).toBe(process.version);
    expect(run!.fingerprints.train_step?.type).toBe('static');
    expect(run!.endedAt!.getTime()).toBeGreaterThanOrEqual(run!.startedAt.getTime());
  });

  it('logs metrics without blocking, with summaries and full history', async () => {
    const url = await target.makeUrl();
    const logger = new SQLLogger(configFor(url), { ...quiet, maxBufferedPoints: 1000 });
    const runId = await logger.run();
    for (let step = 0; step < 2500; step++) logger.logMetric('train_loss', 1 / (step + 1), step);
    logger.logMetrics({ val_acc: 0.5, val_loss: 2 }, 0);
    logger.logMetrics({ val_acc: 0.9, val_loss: 1 }, 1);
    logger.logMetric('auto', 1);
    logger.logMetric('auto', 2);
    logger.logMetric('auto', 3);
    logger.logMetric('late', 5, 10);
    logger.logMetric('late', 7, 3); // out of order: last stays the value of step 10
    await logger.finish();
    const finder = new SQLFinder(url);
    const run = await finder.findRun(runId);
    expect(run!.metrics.train_loss).toMatchObject({
      count: 2500,
      min: 1 / 2500,
      max: 1,
      last: 1 / 2500,
      lastStep: 2499,
    });
    expect(run!.metrics.val_acc).toMatchObject({ count: 2, min: 0.5, max: 0.9, last: 0.9, lastStep: 1 });
    expect(run!.metrics.late).toMatchObject({ last: 5, lastStep: 10 });
    expect(run!.history!.auto!.map((p) => [p.step, p.value])).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
    ]);
    expect(run!.history!.train_loss).toHaveLength(2500);
    expect(run!.history!.train_loss![1234]).toMatchObject({ step: 1234, value: 1 / 1235 });
    expect(Object.keys(await finder.getMetricHistory(runId, 'val_loss'))).toEqual(['val_loss']);
    // list queries carry summaries but not the history
    const [listed] = await finder.getRunsInProject('image_classification');
    expect(listed!.history).toBeUndefined();
    expect(listed!.metrics.train_loss!.count).toBe(2500);
    await finder.close();
  });

  it('flushes on its timer while the run goes on', async () => {
    const url = await target.makeUrl();
    const logger = new SQLLogger(configFor(url), { ...quiet, flushIntervalMs: 50 });
    const runId = await logger.run();
    logger.logMetric('loss', 1, 0);
    const finder = new SQLFinder(url);
    let count = 0;
    for (let i = 0; i < 100 && count === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
      count = (await finder.findRun(runId))!.metrics.loss?.count ?? 0;
    }
    expect(count).toBe(1);
    await logger.finish();
    await finder.close();
  });

  it('refuses bad input at the call and stores nothing corrupt', async () => {
    const url = await target.makeUrl();
    const logger = new SQLLogger(configFor(url), quiet);
    expect(catchAtoError(() => logger.logMetric('loss', 1)).code).toBe('RUN_STATE');
    const runId = await logger.run();
    expect(catchAtoError(() => logger.logMetric('loss', Number.NaN, 0)).message).toContain(
      'metric "loss" got NaN, which is not a finite number',
    );
    expect(catchAtoError(() => logger.logMetric('loss', Infinity, 0)).code).toBe('INVALID_METRIC');
    expect(catchAtoError(() => logger.logMetric('loss', 1, 1.5)).message).toContain(
      'step 1.5, which is not an integer',
    );
    expect(catchAtoError(() => logger.logMetric(5 as unknown as string, 1, 0)).message).toContain(
      'invalid metric key 5',
    );
    expect(catchAtoError(() => logger.logMetric('', 1, 0)).code).toBe('INVALID_METRIC');
    expect(catchAtoError(() => logger.logMetric('a\u0000b', 1, 0)).code).toBe('INVALID_METRIC');
    logger.logMetric('loss', 0.5, 0);
    await logger.finish();
    const bad = new SQLLogger(configFor(url, { lr: Number.NaN }), quiet);
    await expect(bad.run()).rejects.toThrow('cannot hold the NaN value at "lr"');
    const noProject = new SQLLogger({ experiment: { sql: { db_path: url } } }, quiet);
    await expect(noProject.run()).rejects.toThrow('the run has no project name');
    const finder = new SQLFinder(url);
    const runs = await finder.findRuns();
    expect(runs.map((r) => r.id)).toEqual([runId]);
    expect(runs[0]!.metrics.loss).toMatchObject({ count: 1, last: 0.5 });
    await finder.close();
  });

  it('records runtime fingerprints as they are produced', async () => {
    const url = await target.makeUrl();
    const scope = new Scope();
    const predict = scope.runtimeTrace((x: number) => [x, x * 2], { traceId: 'predictions' });
    const logger = new SQLLogger(configFor(url), { ...quiet, scope });
    const runId = await logger.run();
    predict(1);
    predict(2);
    await logger.finish();
    const finder = new SQLFinder(url);
    const run = await finder.findRun(runId);
    await finder.close();
    expect(run!.fingerprints.predictions).toEqual({ type: 'runtime', hash: fingerprintValue([2, 4]) });
    expect(run!.fingerprintHistory!.map((f) => f.hash)).toEqual([
      fingerprintValue([1, 2]),
      fingerprintValue([2, 4]),
    ]);
  });

  it('records artifacts with the file hash and size at logging time', async () => {
    const url = await target.makeUrl();
    const file = join(dir, `model-${target.name}.bin`);
    writeFileSync(file, 'weights v1');
    const logger = new SQLLogger(configFor(url), quiet);
    const runId = await logger.run();
    await logger.logArtifact(runId, file, { dataType: 'model', metadata: { epoch: 3 } });
    await logger.logArtifact(runId, join(dir, 'missing.bin'));
    await logger.finish();
    const finder = new SQLFinder(url);
    const run = await finder.findRun(runId);
    await finder.close();
    expect(run!.artifacts).toMatchObject([
      {
        path: file,
        dataType: 'model',
        metadata: { epoch: 3 },
        size: 10,
        sha256: createHash('sha256').update('weights v1').digest('hex'),
      },
      { path: join(dir, 'missing.bin'), sha256: undefined, size: undefined },
    ]);
  });

  it('answers the finder queries: filters, best, similar, traces, compare', async () => {
    const url = await target.makeUrl();
    const scopeV1 = new Scope();
    scopeV1.trace(
      function step(x: number) {
        return x + 1;
      },
      { traceId: 'train_step' },
    );
    const scopeV2 = new Scope();
    scopeV2.trace(
      function step(x: number) {
        return x + 2;
      },
      { traceId: 'train_step' },
    );
    const make = async (
      extra: Record<string, unknown>,
      scope: Scope,
      acc: number[],
      tags: string[],
      status: 'completed' | 'failed' = 'completed',
    ) => {
      const logger = new SQLLogger(configFor(url, extra), { ...quiet, scope });
      const id = await logger.run({ tags });
      for (const [i, v] of acc.entries()) logger.logMetric('val_accuracy', v, i);
      await logger.finish(status, status === 'failed' ? 'boom' : undefined);
      return id;
    };
    const a = await make({}, scopeV1, [0.5, 0.7], ['baseline']);
    const b = await make({ lr: 0.01 }, scopeV1, [0.6, 0.9, 0.8], ['baseline', 'tuned']);
    const c = await make({ model: { backbone: 'vit', depth: 12 } }, scopeV2, [0.4], ['vit'], 'failed');
    const d = await make({ extra_key: true }, scopeV2, [0.95, 0.1], ['tuned']);
    const finder = new SQLFinder(url);

    expect((await finder.getRunsInProject('image_classification')).map((r) => r.id)).toEqual([d, c, b, a]);
    expect(await finder.getRunsInProject('no_such_project')).toEqual([]);
    expect(await finder.findRun(999_999)).toBeUndefined();
    expect((await finder.findRuns({ status: 'failed' })).map((r) => r.id)).toEqual([c]);
    expect((await finder.findRuns({ tags: ['baseline', 'tuned'] })).map((r) => r.id)).toEqual([b]);
    expect((await finder.findRuns({ tags: ['tuned'] })).map((r) => r.id)).toEqual([d, b]);
    expect((await finder.findRuns({ config: { 'model.backbone': 'vit' } })).map((r) => r.id)).toEqual([c]);
    expect((await finder.findRuns({ config: { lr: 0.001 }, limit: 2 })).map((r) => r.id)).toEqual([d, c]);

    expect((await finder.findBestRun('image_classification', 'val_accuracy', 'max'))?.id).toBe(d);
    expect((await finder.findBestRun('image_classification', 'val_accuracy', 'min'))?.id).toBe(d);
    expect(
      (await finder.findBestRun('image_classification', 'val_accuracy', 'max', { by: 'last' }))?.id,
    ).toBe(b);
    expect(await finder.findBestRun('image_classification', 'nope')).toBeUndefined();

    expect((await finder.findSimilarRuns(a)).map((r) => r.id).sort()).toEqual([b, c].sort());
    expect(await finder.findSimilarRuns(999_999)).toEqual([]);
    expect((await finder.findSimilarRunsByTrace(a, 'train_step')).map((r) => r.id)).toEqual([b]);
    expect((await finder.findSimilarRunsByTrace(c, 'train_step', 'static')).map((r) => r.id)).toEqual([d]);

    const stats = await finder.getTraceStatistics('image_classification', 'train_step');
    expect(stats).toMatchObject({
      projectName: 'image_classification',
      traceId: 'train_step',
      staticTraceVersions: 2,
      runtimeTraceVersions: 0,
    });
    expect(stats.versions.map((v) => v.runs.length)).toEqual([2, 2]);

    const diff = await finder.compareRuns(a, c);
    expect(diff!.config.changed.map((x) => x.key).sort()).toEqual(['model.backbone', 'model.depth']);
    expect(diff!.structure.sameHash).toBe(true);
    expect(diff!.code.map((x) => x.traceId)).toEqual(['train_step']);
    expect(diff!.verdict).toMatchObject({ config: true, code: true, output: false, environment: false });
    const structural = await finder.compareRuns(a, d);
    expect(structural!.structure).toMatchObject({ sameHash: false, addedKeys: ['extra_key'] });
    expect(await finder.compareRuns(a, 999_999)).toBeUndefined();
    await finder.close();
  });

  it('reports a running run with a stale heartbeat as crashed', async () => {
    const url = await target.makeUrl();
    const logger = new SQLLogger(configFor(url), quiet);
    const runId = await logger.run();
    const later = new SQLFinder(url, { now: Date.now() + 60_000 });
    expect((await later.findRun(runId))!.status).toBe('crashed');
    expect((await later.findRuns({ status: 'crashed' })).map((r) => r.id)).toEqual([runId]);
    expect(await later.findRuns({ status: 'running' })).toEqual([]);
    await later.close();
    const now = new SQLFinder(url);
    expect((await now.findRun(runId))!.status).toBe('running');
    await now.close();
    await logger.finish();
  });
});
