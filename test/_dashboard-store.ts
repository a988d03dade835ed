/**
 * The store the dashboard tests read (test/dashboard-*.test.ts): four runs written by SQLLogger in
 * two projects, with metrics, tags, static and runtime fingerprints, an artifact, a run whose tag and
 * config value are markup, and a small HyperBand study.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADict } from '../src/config/adict.js';
import { HyperBand } from '../src/hyperopt/search.js';
import { SQLLogger } from '../src/tracker/logger.js';

/** The markup a hostile tag or config value carries. */
export const INJECTION = '<img src=x onerror="window.__pwned=1">';

export interface DashboardFixture {
  dir: string;
  /** The SQLite file. */
  path: string;
  url: string;
  /** Run ids: two resnet runs (a differs from b in lr and code), a failed one, the hostile one. */
  runs: { a: number; b: number; failed: number; hostile: number };
  study: string;
  artifactPath: string;
}

const hash = (c: string) => c.repeat(64);

/** Write the fixture store into a fresh temp folder (a SQLite file), or into the store at `storeUrl`. */
export async function writeDashboardStore(storeUrl?: string): Promise<DashboardFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'ato-dashboard-'));
  const path = join(dir, 'store.db');
  const url = storeUrl ?? `sqlite:///${path}`;
  const artifactPath = join(dir, 'model.bin');
  writeFileSync(artifactPath, Buffer.alloc(2048, 7));

  const run = async (
    project: string,
    extra: Record<string, unknown>,
    tags: string[],
    log: (logger: SQLLogger, id: number) => Promise<void> | void,
    status: 'completed' | 'failed' = 'completed',
  ): Promise<number> => {
    const config = new ADict({
      experiment: { project_name: project, sql: { db_path: url } },
      lr: 0.001,
      model: { backbone: 'resnet50', depth: 50 },
      ...extra,
    });
    const logger = new SQLLogger(config, { environment: true, handleExit: false });
    const id = await logger.run({ tags });
    await log(logger, id);
    await logger.finish(status, status === 'failed' ? 'loss became NaN' : undefined);
    return id;
  };

  const a = await run('vision', {}, ['baseline', 'resnet50'], async (logger, id) => {
    logger.logFingerprint('train_step', { type: 'static', hash: hash('a') });
    logger.logFingerprint('predictions', { type: 'runtime', hash: hash('1') });
    for (let step = 0; step < 3000; step++) {
      logger.logMetric('loss', 2 * Math.exp(-step / 500) + (step === 1234 ? 5 : 0), step);
      if (step % 100 === 0) logger.logMetric('val_accuracy', 0.5 + step / 8000, step);
    }
    await logger.logArtifact(id, artifactPath, { dataType: 'model' });
  });
  const b = await run('vision', { lr: 0.01 }, ['resnet50'], (logger) => {
    logger.logFingerprint('train_step', { type: 'static', hash: hash('b') });
    logger.logFingerprint('predictions', { type: 'runtime', hash: hash('2') });
    for (let step = 0; step < 3000; step++) {
      logger.logMetric('loss', 1.5 * Math.exp(-step / 300), step);
      if (step % 100 === 0) logger.logMetric('val_accuracy', 0.55 + step / 7000, step);
    }
  });
  const failed = await run(
    'nlp',
    { model: { backbone: 'bert', depth: 12 } },
    ['transformer'],
    (logger) => {
      logger.logMetric('loss', 3, 0);
      logger.logMetric('loss', 2.5, 1);
    },
    'failed',
  );
  const hostile = await run('vision', { note: INJECTION }, [INJECTION], (logger) => {
    logger.logMetric('loss', 1, 0);
    logger.logMetric('loss', 0.5, 1);
  });

  const study = 'lr-sweep';
  const spaces = {
    lr: { param_type: 'FLOAT', param_range: [1e-4, 1e-1], num_samples: 6, space_type: 'LOG' },
    model: { param_type: 'CATEGORY', categories: ['resnet50', 'vit'] },
  };
  const hb = new HyperBand(undefined, spaces, {
    halvingRate: 0.5,
    numMinSamples: 3,
    mode: 'max',
    progress: false,
    study: { name: study, url, project: 'search' },
  });
  await hb.search(new ADict(), (config, trial) => {
    const lr = config.get('lr') as number;
    return -Math.abs(Math.log10(lr) + 2.5) + (config.get('model') === 'vit' ? 0.1 : 0) + 0.01 * trial.rung;
  });
  return { dir, path, url, runs: { a, b, failed, hostile }, study, artifactPath };
}
