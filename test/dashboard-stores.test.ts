/**
 * The dashboard answers alike on SQLite and PostgreSQL: the same fixture written to each store gives
 * the same data from every endpoint (times, ids of rows and durations aside).
 */
import { rmSync } from 'node:fs';
import { afterAll, expect, it } from 'vitest';
import { createDashboardApp, openReadOnlyStore } from '../src/dashboard/server.js';
import { writeDashboardStore } from './_dashboard-store.js';
import { dropTestDatabases, storeTargets } from './_stores.js';

afterAll(async () => {
  await dropTestDatabases();
});

const VOLATILE = new Set([
  'startedAt',
  'endedAt',
  'heartbeatAt',
  'loggedAt',
  'createdAt',
  'time',
  'lastTime',
  'firstSeen',
  'lastSeen',
  'durationMs',
  'uid',
  'recordedAt',
  'duration',
  'environment',
  'db_path',
  'path',
]);

/** Drop what legitimately differs between two writes of the same fixture (times, uids, the environment, paths). */
function normalise(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalise);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => !VOLATILE.has(k))
        .map(([k, v]) => [k, normalise(v)]),
    );
  }
  return value;
}

async function snapshot(url: string, fx: Awaited<ReturnType<typeof writeDashboardStore>>) {
  const store = await openReadOnlyStore(url);
  try {
    const app = createDashboardApp(store, { assetsDir: '/nonexistent' });
    const get = async (path: string) => {
      const response = await app.request(path);
      expect(response.status, path).toBe(200);
      return normalise(await response.json());
    };
    const { a, b, failed } = fx.runs;
    return {
      runs: await get('/api/runs?sort=id'),
      filtered: await get('/api/runs?project=vision&tag=resnet50'),
      run: await get(`/api/runs/${a}`),
      failed: await get(`/api/runs/${failed}`),
      compare: await get(`/api/compare?runs=${a},${b}`),
      studies: await get('/api/studies'),
      study: await get(`/api/studies/${encodeURIComponent(fx.study)}`),
    };
  } finally {
    await store.close();
  }
}

const postgres = storeTargets().find((t) => t.name === 'postgres')!;

it.skipIf(!postgres.available && !postgres.required)(
  'every dashboard endpoint gives the same data on SQLite and on PostgreSQL',
  async () => {
    expect(postgres.available, postgres.reason).toBe(true);
    const sqliteFx = await writeDashboardStore();
    const pgUrl = await postgres.makeUrl();
    const pgFx = await writeDashboardStore(pgUrl);
    try {
      expect(pgFx.runs).toEqual(sqliteFx.runs);
      const [fromSqlite, fromPostgres] = [
        await snapshot(sqliteFx.url, sqliteFx),
        await snapshot(pgUrl, pgFx),
      ];
      expect(fromPostgres).toEqual(fromSqlite);
    } finally {
      rmSync(sqliteFx.dir, { recursive: true, force: true });
      rmSync(pgFx.dir, { recursive: true, force: true });
    }
  },
  120_000,
);
