/**
 * The dashboard's HTTP server: a Hono app serving the API of `api.ts` as JSON under `/api/...` and
 * the single-page app bundled at build time into `dist/dashboard/assets/`.
 *
 * Security:
 * - read-only: only GET (and HEAD) routes exist, and {@link openReadOnlyStore} opens SQLite with
 *   `readonly: true` and PostgreSQL sessions with `default_transaction_read_only`, so even a bug
 *   cannot write to the store;
 * - it listens on 127.0.0.1 unless told otherwise; any other host needs a token, checked on every
 *   request (`Authorization: Bearer <token>` or `?token=<token>`), compared in constant time;
 *   without a token, requests whose `Host` is not a loopback name are refused (DNS rebinding);
 * - the page shows store data as text only (see `web/app.ts`), and a Content-Security-Policy forbids
 *   inline scripts, so even markup that slipped through could not run;
 * - artifact paths are data: no route reads files other than the bundled assets, by exact name.
 * @module
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Context, Hono } from 'hono';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import type pg from 'pg';
import { AtoError } from '../errors.js';
import { parseStoreUrl } from '../tracker/backend.js';
import { type Database, SCHEMA_VERSION } from '../tracker/schema.js';
import {
  compareRuns,
  type DashboardStore,
  metricSeries,
  runDetail,
  runsList,
  studiesList,
  studyDetail,
  traceIds,
  traceVersions,
} from './api.js';

/** A store opened read-only for the dashboard. */
export interface ReadOnlyStore extends DashboardStore {
  /** The store's URL without password. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Open a store for reading only: SQLite with `readonly: true` (the file must exist), PostgreSQL with
 * every session `default_transaction_read_only = on`. The store must have been written by this ato's
 * schema version (any `ato` command that writes migrates it).
 * @throws {AtoError} `STORE_OPEN`, `STORE_URL`, `STORE_VERSION`
 */
export async function openReadOnlyStore(url: string): Promise<ReadOnlyStore> {
  const location = parseStoreUrl(url);
  let db: Kysely<Database>;
  if (location.dialect === 'sqlite') {
    const { default: BetterSqlite3 } = await import('better-sqlite3');
    let sqlite: InstanceType<typeof BetterSqlite3>;
    try {
      sqlite = new BetterSqlite3(location.path, { readonly: true, fileMustExist: true, timeout: 10_000 });
    } catch (cause) {
      throw new AtoError(
        'STORE_OPEN',
        `cannot open the SQLite store ${location.path}: ${(cause as Error).message}`,
        {
          location: { input: url },
          hint: 'the dashboard reads an existing store; check the path (--db sqlite:///path/to/experiments.db)',
          cause,
        },
      );
    }
    db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  } else {
    const { default: pgModule } = await import('pg');
    const pool = new pgModule.Pool({
      connectionString: location.connectionString,
      options: '-c default_transaction_read_only=on',
      max: 4,
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === 20
            ? Number
            : pgModule.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
      },
    });
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  }
  let version: number;
  try {
    const row = await db
      .selectFrom('ato_meta')
      .select('value')
      .where('key', '=', 'schema_version')
      .executeTakeFirst();
    version = row ? Number(row.value) : 0;
  } catch (cause) {
    await db.destroy();
    throw new AtoError('STORE_OPEN', `cannot read the store ${location.url}: ${(cause as Error).message}`, {
      location: { input: location.url },
      hint: 'is it a store written by ato, and is the server reachable?',
      cause,
    });
  }
  if (version !== SCHEMA_VERSION) {
    await db.destroy();
    throw new AtoError(
      'STORE_VERSION',
      `the store has schema version ${version}; this dashboard reads version ${SCHEMA_VERSION}`,
      {
        location: { input: location.url },
        hint:
          version > SCHEMA_VERSION
            ? 'upgrade ato to read this store'
            : 'run any writing ato command (or a tracked run) on it once to upgrade it; the dashboard never writes',
      },
    );
  }
  return { db, url: location.url, close: () => db.destroy() };
}

/** Options of {@link createDashboardApp}. */
export interface DashboardAppOptions {
  /** When set, every request must carry it (`Authorization: Bearer` or `?token=`). */
  token?: string | undefined;
  /** The bundled single-page app. @default `dist/dashboard/assets` of the package */
  assetsDir?: string;
  /** Staleness options of the queries (tests). */
  now?: () => number;
}

/** The package's `dist/dashboard/assets` folder, found from this module upwards. */
export function defaultAssetsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'dist', 'dashboard', 'assets');
    dir = dirname(dir);
  }
  return join(dirname(fileURLToPath(import.meta.url)), 'assets');
}

const MIME: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const digest = (text: string) => createHash('sha256').update(text).digest();
const LOOPBACK_HOST = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])(:\d+)?$/i;

/** The page: the bundled script and styles; the token (already checked) is passed on to the assets. */
function indexHtml(tokenQuery: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ato dashboard</title>
<link rel="stylesheet" href="assets/app.css${tokenQuery}">
<script type="module" src="assets/app.js${tokenQuery}"></script>
</head>
<body><div id="app"><p class="loading">Loading…</p></div></body>
</html>
`;
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function ids(value: string | undefined): number[] {
  const out = list(value).map(Number);
  const bad = out.find((n) => !Number.isSafeInteger(n));
  if (bad !== undefined) throw new AtoError('INVALID_ARGUMENT', `run ids must be integers: "${value}"`);
  return out;
}

function optionalNumber(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new AtoError('INVALID_ARGUMENT', `expected a number, found "${value}"`);
  return n;
}

/**
 * The dashboard as a Hono app over an open store (testable with `app.request()`, no socket). Only
 * GET and HEAD exist; every other method answers 405.
 */
export function createDashboardApp(store: DashboardStore, options: DashboardAppOptions = {}): Hono {
  const app = new Hono();
  const token = options.token || undefined;
  const expected = token ? digest(token) : undefined;
  const assetsDir = options.assetsDir ?? defaultAssetsDir();
  const query = () => (options.now ? { now: options.now() } : {});

  app.use('*', async (c, next) => {
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('Content-Security-Policy', CSP);
    c.header('Cache-Control', 'no-store');
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD')
      return c.json({ error: 'the dashboard is read-only' }, 405, { Allow: 'GET, HEAD' });
    if (expected) {
      const header = c.req.header('Authorization');
      const given = header?.startsWith('Bearer ') ? header.slice(7).trim() : c.req.query('token');
      if (!given || !timingSafeEqual(digest(given), expected))
        return c.json(
          { error: 'a valid token is required (Authorization: Bearer <token> or ?token=)' },
          401,
          {
            'WWW-Authenticate': 'Bearer',
          },
        );
    } else {
      const host = c.req.header('Host');
      if (host && !LOOPBACK_HOST.test(host))
        return c.json(
          { error: `host ${host} refused: without a token the dashboard answers on loopback only` },
          403,
        );
    }
    await next();
  });

  app.onError((error, c) => {
    if (error instanceof AtoError) return c.json({ error: error.message }, 400);
    return c.json({ error: 'internal error' }, 500);
  });

  const notFound = (c: Context, what: string) => c.json({ error: `${what} not found` }, 404);

  app.get('/api/runs', async (c) => {
    const q = c.req.queries();
    const sort = c.req.query('sort');
    const order = c.req.query('order');
    const project = c.req.query('project');
    const offset = optionalNumber(c.req.query('offset'));
    const limit = optionalNumber(c.req.query('limit'));
    return c.json(
      await runsList(
        store,
        {
          ...(project ? { project } : {}),
          status: (q.status ?? []).flatMap((s) => list(s)),
          tags: q.tag ?? [],
          where: q.where ?? [],
          ...(sort ? { sort } : {}),
          ...(order === 'asc' || order === 'desc' ? { order } : {}),
          ...(offset !== undefined ? { offset } : {}),
          ...(limit !== undefined ? { limit } : {}),
        },
        query(),
      ),
    );
  });

  app.get('/api/runs/:id', async (c) => {
    const id = Number(c.req.param('id'));
    if (!Number.isSafeInteger(id)) return notFound(c, 'run');
    const points = optionalNumber(c.req.query('points'));
    const run = await runDetail(store, { id, ...(points !== undefined ? { points } : {}) }, query());
    return run ? c.json(run) : notFound(c, `run ${id}`);
  });

  app.get('/api/series', async (c) => {
    const points = optionalNumber(c.req.query('points'));
    return c.json(
      await metricSeries(store, {
        runs: ids(c.req.query('runs')),
        keys: list(c.req.query('keys')),
        ...(points !== undefined ? { points } : {}),
      }),
    );
  });

  app.get('/api/compare', async (c) => {
    const points = optionalNumber(c.req.query('points'));
    const keys = list(c.req.query('keys'));
    return c.json(
      await compareRuns(
        store,
        {
          runs: ids(c.req.query('runs')),
          ...(keys.length ? { keys } : {}),
          ...(points !== undefined ? { points } : {}),
        },
        query(),
      ),
    );
  });

  app.get('/api/studies', async (c) => c.json(await studiesList(store)));
  app.get('/api/studies/:name', async (c) => {
    const study = await studyDetail(store, { name: c.req.param('name') });
    return study ? c.json(study) : notFound(c, 'study');
  });

  app.get('/api/traces', async (c) => {
    const project = c.req.query('project');
    return c.json(await traceIds(store, project ? { project } : {}));
  });
  app.get('/api/traces/:traceId', async (c) => {
    const project = c.req.query('project');
    return c.json(
      await traceVersions(
        store,
        { traceId: c.req.param('traceId'), ...(project ? { project } : {}) },
        query(),
      ),
    );
  });

  app.get('/api/*', (c) => notFound(c, 'endpoint'));

  // the bundled assets, by exact file name (read once; nothing else on the disk is reachable)
  const assets = new Map<string, { body: Uint8Array; type: string }>();
  if (existsSync(assetsDir)) {
    for (const name of readdirSync(assetsDir)) {
      const ext = name.slice(name.lastIndexOf('.'));
      const type = MIME[ext];
      if (type) assets.set(name, { body: new Uint8Array(readFileSync(join(assetsDir, name))), type });
    }
  }
  app.get('/assets/:name', (c) => {
    const asset = assets.get(c.req.param('name'));
    if (!asset) return c.text('not found', 404);
    return c.body(asset.body as Uint8Array<ArrayBuffer>, 200, { 'Content-Type': asset.type });
  });

  const page = (c: Context) => {
    if (!assets.has('app.js'))
      return c.text(`the dashboard's page is not built: run "npm run build" (looked in ${assetsDir})`, 500);
    const given = c.req.query('token');
    return c.html(indexHtml(token && given ? `?token=${encodeURIComponent(given)}` : ''));
  };
  app.get('/favicon.ico', (c) => c.body(null, 204));
  app.get('/', page);
  app.get('/index.html', page);
  return app;
}

/** Options of {@link startDashboard}. */
export interface StartDashboardOptions {
  /** The store. @default `$ATO_DB`, else `sqlite:///experiments.db` */
  url?: string;
  /** @default 8000 (0 picks a free port) */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** Required for any host but loopback. @default `$ATO_TOKEN` */
  token?: string | undefined;
  assetsDir?: string;
  /** Where the address is printed. @default console.log */
  print?: (line: string) => void;
}

/** A running dashboard. */
export interface RunningDashboard {
  /** `http://host:port/` (with `?token=` when a token is set). */
  address: string;
  port: number;
  close(): Promise<void>;
}

const isLoopback = (host: string) => ['127.0.0.1', 'localhost', '::1'].includes(host) || /^127\./.test(host);

/**
 * Open the store read-only and serve the dashboard on `host:port`, printing its address.
 * @throws {AtoError} `INVALID_ARGUMENT` for a non-loopback host without a token; store errors
 */
export async function startDashboard(options: StartDashboardOptions = {}): Promise<RunningDashboard> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? (process.env.ATO_TOKEN || undefined);
  if (!isLoopback(host) && !token)
    throw new AtoError('INVALID_ARGUMENT', `the dashboard listens on ${host} only with a token`, {
      location: { input: host },
      hint: 'pass --token <secret> (or set ATO_TOKEN), or keep the default --host 127.0.0.1',
    });
  const store = await openReadOnlyStore(options.url ?? process.env.ATO_DB ?? 'sqlite:///experiments.db');
  const app = createDashboardApp(store, {
    token,
    ...(options.assetsDir ? { assetsDir: options.assetsDir } : {}),
  });
  const { serve } = await import('@hono/node-server');
  const requested = options.port ?? 8000;
  let server: ReturnType<typeof serve>;
  const port = await new Promise<number>((resolve, reject) => {
    server = serve({ fetch: app.fetch, port: requested, hostname: host }, (info) => resolve(info.port));
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new AtoError('INVALID_ARGUMENT', `cannot listen on ${host}:${requested}: ${error.message}`, {
          location: { input: `${host}:${requested}` },
          hint: error.code === 'EADDRINUSE' ? 'choose another --port' : 'check --host and --port',
        }),
      ),
    );
  }).catch(async (error) => {
    await store.close();
    throw error;
  });
  const shown = host.includes(':') ? `[${host}]` : host;
  const address = `http://${shown}:${port}/${token ? `?token=${encodeURIComponent(token)}` : ''}`;
  (options.print ?? console.log)(`ato dashboard on ${address} (store ${store.url}, read-only)`);
  return {
    address,
    port,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await store.close();
    },
  };
}
