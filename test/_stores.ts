/**
 * The stores every store conformance test runs on: SQLite always, PostgreSQL when
 * `ATO_TEST_POSTGRES_URL` points at a reachable server (`.ci/postgres.sh start` starts one locally;
 * `.ci/run` starts one and sets `ATO_REQUIRE_POSTGRES=1`, which turns an unreachable server into
 * failing tests instead of skipped ones).
 *
 * Every `makeUrl()` gives a fresh, empty store: a new SQLite file, or a new PostgreSQL database
 * (`ato_t_<pid>_<n>_<random>`) on the server. Call {@link dropTestDatabases} in `afterAll`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe } from 'vitest';

/** One store the conformance tests run on. */
export interface StoreTarget {
  name: 'sqlite' | 'postgres';
  /** False when the store cannot be used here (then `reason` says why). */
  available: boolean;
  reason?: string;
  /** True when an unavailable target must fail the run instead of being skipped. */
  required: boolean;
  /** A fresh, empty store's URL (throws `reason` when the target is unavailable). */
  makeUrl(): Promise<string>;
}

const POSTGRES_URL = process.env.ATO_TEST_POSTGRES_URL?.trim() || undefined;
const POSTGRES_REQUIRED = process.env.ATO_REQUIRE_POSTGRES === '1';

/** `url` with any password replaced, for messages. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparsable URL>';
  }
}

/** Can we connect to the test server? `undefined` when yes, else why not. */
async function probePostgres(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return `PostgreSQL at ${redact(url)} is not reachable: ${(error as Error).message || (error as { code?: string }).code}`;
  } finally {
    await client.end().catch(() => {});
  }
}

const postgresProblem: string | undefined = POSTGRES_URL
  ? await probePostgres(POSTGRES_URL)
  : 'ATO_TEST_POSTGRES_URL is not set (start a server with .ci/postgres.sh start, then export ATO_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:54329/ato_test)';

let sqliteDir: string | undefined;
let counter = 0;
const createdDatabases: string[] = [];

function uniqueSuffix(): string {
  counter++;
  return `${process.pid}_${counter}_${randomBytes(3).toString('hex')}`;
}

async function withAdminClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** The URL of `database` on the test server (same user, password, host, port and parameters). */
export function postgresUrlFor(database: string): string {
  if (!POSTGRES_URL) throw new Error(postgresProblem);
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

/** The stores to run the conformance tests on, SQLite first. */
export function storeTargets(): StoreTarget[] {
  const sqlite: StoreTarget = {
    name: 'sqlite',
    available: true,
    required: true,
    async makeUrl() {
      sqliteDir ??= mkdtempSync(join(tmpdir(), 'ato-stores-'));
      // sqlite:/// + an absolute path (which starts with "/")
      return `sqlite:///${join(sqliteDir, `store-${uniqueSuffix()}.db`)}`;
    },
  };
  const postgres: StoreTarget = {
    name: 'postgres',
    available: postgresProblem === undefined,
    required: POSTGRES_REQUIRED,
    async makeUrl() {
      if (postgresProblem !== undefined) {
        throw new Error(
          `${postgresProblem}${POSTGRES_REQUIRED ? ' (and ATO_REQUIRE_POSTGRES=1 requires it)' : ''}`,
        );
      }
      const name = `ato_t_${uniqueSuffix()}`;
      await withAdminClient((client) => client.query(`CREATE DATABASE ${name}`));
      createdDatabases.push(name);
      return postgresUrlFor(name);
    },
  };
  if (postgresProblem !== undefined) postgres.reason = postgresProblem;
  return [sqlite, postgres];
}

/**
 * Drop every PostgreSQL database and delete every SQLite file this process's `makeUrl()` created
 * (for `afterAll`; stores still open make their drop fail, so close backends first).
 */
export async function dropTestDatabases(): Promise<void> {
  if (sqliteDir) {
    rmSync(sqliteDir, { recursive: true, force: true });
    sqliteDir = undefined;
  }
  if (createdDatabases.length === 0 || postgresProblem !== undefined) return;
  const names = createdDatabases.splice(0);
  await withAdminClient(async (client) => {
    for (const name of names) await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });
}

/**
 * `describe(title, ...)` once per store target, named `title [sqlite]` / `title [postgres]`. An
 * unavailable target is skipped with its reason, unless it is required (`ATO_REQUIRE_POSTGRES=1`):
 * then its suite runs and every test fails with the reason.
 */
export function describeEachStore(title: string, fn: (target: StoreTarget) => void): void {
  for (const target of storeTargets()) {
    if (target.available || target.required) describe(`${title} [${target.name}]`, () => fn(target));
    else describe.skip(`${title} [${target.name}] (skipped: ${target.reason})`, () => fn(target));
  }
}
