/**
 * The store's tables (typed for Kysely) and its versioned migrations. One schema for every backend:
 * times are milliseconds since the epoch (double precision), JSON is stored as text.
 *
 * | table | rows |
 * |---|---|
 * | `ato_meta` | `schema_version` |
 * | `runs` | one per run: project, status, config JSON, structural hash, tags JSON, times, heartbeat, error, environment |
 * | `run_tags` | one per (run, tag), for tag filters |
 * | `fingerprints` | every static fingerprint at run start and every runtime fingerprint as produced |
 * | `metrics` | every logged point (run, key, step, value, time) |
 * | `metric_summaries` | per (run, key): count, min, max, last value/step/time, kept current on every write |
 * | `artifacts` | path, type, metadata JSON, SHA-256 and size at logging time |
 * | `studies` | one per hyperparameter study (by unique name): project, algorithm, mode, settings JSON, status |
 * | `trials` | one per (study, config, rung): params JSON, budget, status, metric, error, worker and lease, times, tracker run |
 * @module
 */
import { type Generated, type Kysely, sql } from 'kysely';
import { AtoError } from '../errors.js';

/** `runs` table. */
export interface RunsTable {
  id: Generated<number>;
  uid: string;
  project: string;
  status: string;
  config: string;
  structural_hash: string;
  tags: string;
  started_at: number;
  ended_at: number | null;
  heartbeat_at: number;
  error: string | null;
  environment: string | null;
  environment_hash: string | null;
  /** Metric summaries as JSON (`{ key: [count, min, max, last, lastStep, lastTime] }`), kept current by every write, so listing runs reads one table. */
  summary: Generated<string>;
}

/** `run_tags` table. */
export interface RunTagsTable {
  run_id: number;
  tag: string;
}

/** `fingerprints` table. */
export interface FingerprintsTable {
  /** Recording order (fingerprints recorded in the same millisecond keep their order). */
  id: Generated<number>;
  run_id: number;
  trace_id: string;
  type: string;
  hash: string;
  recorded_at: number;
}

/** `metrics` table. */
export interface MetricsTable {
  run_id: number;
  key: string;
  step: number;
  value: number;
  time: number;
}

/** `metric_summaries` table. */
export interface MetricSummariesTable {
  run_id: number;
  key: string;
  count: number;
  min: number;
  max: number;
  last_value: number;
  last_step: number;
  last_time: number;
}

/** `artifacts` table. */
export interface ArtifactsTable {
  id: Generated<number>;
  run_id: number;
  path: string;
  data_type: string | null;
  metadata: string | null;
  sha256: string | null;
  size: number | null;
  logged_at: number;
}

/** `studies` table (migration 2): one per hyperparameter study. */
export interface StudiesTable {
  id: Generated<number>;
  name: string;
  project: string;
  algorithm: string;
  mode: string;
  /** The algorithm's settings as JSON (search spaces, options): a study resumes only with the same. */
  settings: string;
  created_at: number;
  /** `running` or `completed`. */
  status: string;
}

/** `trials` table (migration 2): one per (study, config, rung), never created twice. */
export interface TrialsTable {
  id: Generated<number>;
  study_id: number;
  config_id: number;
  rung: number;
  budget: number | null;
  params: string;
  /** `pending` (re-queued), `running`, `completed` or `failed`. */
  status: string;
  metric: number | null;
  error: string | null;
  /** The worker evaluating it (while running) or that evaluated it. */
  worker: string | null;
  /** A running trial whose lease (ms since the epoch) has passed is re-queued. */
  lease_until: number | null;
  started_at: number | null;
  ended_at: number | null;
  /** The tracker run of its latest attempt. */
  run_id: number | null;
}

/** `ato_meta` table. */
export interface MetaTable {
  key: string;
  value: string;
}

/** The whole store, for Kysely. */
export interface Database {
  ato_meta: MetaTable;
  runs: RunsTable;
  run_tags: RunTagsTable;
  fingerprints: FingerprintsTable;
  metrics: MetricsTable;
  metric_summaries: MetricSummariesTable;
  artifacts: ArtifactsTable;
  studies: StudiesTable;
  trials: TrialsTable;
}

/** Which SQL dialect a migration writes for. */
export type Dialect = 'sqlite' | 'postgres';

/** One schema version: how to get there from the previous one. */
interface Migration {
  version: number;
  up(db: Kysely<Database>, dialect: Dialect): Promise<void>;
}

const MIGRATIONS: Migration[] = [
  {
    version: 1,
    async up(db, dialect) {
      const id = dialect === 'postgres' ? 'bigserial' : 'integer';
      await db.schema
        .createTable('runs')
        .addColumn('id', id, (c) =>
          dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn('uid', 'text', (c) => c.notNull().unique())
        .addColumn('project', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('config', 'text', (c) => c.notNull())
        .addColumn('structural_hash', 'text', (c) => c.notNull())
        .addColumn('tags', 'text', (c) => c.notNull())
        .addColumn('started_at', 'double precision', (c) => c.notNull())
        .addColumn('ended_at', 'double precision')
        .addColumn('heartbeat_at', 'double precision', (c) => c.notNull())
        .addColumn('error', 'text')
        .addColumn('environment', 'text')
        .addColumn('environment_hash', 'text')
        .addColumn('summary', 'text', (c) => c.notNull().defaultTo('{}'))
        .execute();
      await db.schema.createIndex('runs_project').on('runs').columns(['project', 'started_at']).execute();
      await db.schema.createIndex('runs_structural_hash').on('runs').column('structural_hash').execute();
      await db.schema
        .createTable('run_tags')
        .addColumn('run_id', 'bigint', (c) => c.notNull())
        .addColumn('tag', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('run_tags_pk', ['run_id', 'tag'])
        .execute();
      await db.schema.createIndex('run_tags_tag').on('run_tags').columns(['tag', 'run_id']).execute();
      await db.schema
        .createTable('fingerprints')
        .addColumn('id', id, (c) =>
          dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn('run_id', 'bigint', (c) => c.notNull())
        .addColumn('trace_id', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .addColumn('recorded_at', 'double precision', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('fingerprints_run')
        .on('fingerprints')
        .columns(['run_id', 'trace_id'])
        .execute();
      await db.schema
        .createIndex('fingerprints_trace')
        .on('fingerprints')
        .columns(['trace_id', 'type', 'hash'])
        .execute();
      await db.schema
        .createTable('metrics')
        .addColumn('run_id', 'bigint', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('step', 'bigint', (c) => c.notNull())
        .addColumn('value', 'double precision', (c) => c.notNull())
        .addColumn('time', 'double precision', (c) => c.notNull())
        .execute();
      // Only run_id is indexed: a run's rows arrive in rowid order, so this index is appended to and
      // inserts stay near raw speed (an index on (run_id, key, step) halves them). A history query
      // reads one run's rows through it and filters the key.
      await db.schema.createIndex('metrics_run').on('metrics').column('run_id').execute();
      await db.schema
        .createTable('metric_summaries')
        .addColumn('run_id', 'bigint', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('count', 'bigint', (c) => c.notNull())
        .addColumn('min', 'double precision', (c) => c.notNull())
        .addColumn('max', 'double precision', (c) => c.notNull())
        .addColumn('last_value', 'double precision', (c) => c.notNull())
        .addColumn('last_step', 'bigint', (c) => c.notNull())
        .addColumn('last_time', 'double precision', (c) => c.notNull())
        .addPrimaryKeyConstraint('metric_summaries_pk', ['run_id', 'key'])
        .execute();
      await db.schema
        .createIndex('metric_summaries_key_max')
        .on('metric_summaries')
        .columns(['key', 'max'])
        .execute();
      await db.schema
        .createIndex('metric_summaries_key_min')
        .on('metric_summaries')
        .columns(['key', 'min'])
        .execute();
      await db.schema
        .createTable('artifacts')
        .addColumn('id', id, (c) =>
          dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn('run_id', 'bigint', (c) => c.notNull())
        .addColumn('path', 'text', (c) => c.notNull())
        .addColumn('data_type', 'text')
        .addColumn('metadata', 'text')
        .addColumn('sha256', 'text')
        .addColumn('size', 'bigint')
        .addColumn('logged_at', 'double precision', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('artifacts_run').on('artifacts').column('run_id').execute();
    },
  },
  {
    // hyperparameter studies and their trials (ato/hyperopt)
    version: 2,
    async up(db, dialect) {
      const id = dialect === 'postgres' ? 'bigserial' : 'integer';
      await db.schema
        .createTable('studies')
        .addColumn('id', id, (c) =>
          dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('project', 'text', (c) => c.notNull())
        .addColumn('algorithm', 'text', (c) => c.notNull())
        .addColumn('mode', 'text', (c) => c.notNull())
        .addColumn('settings', 'text', (c) => c.notNull())
        .addColumn('created_at', 'double precision', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('trials')
        .addColumn('id', id, (c) =>
          dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn('study_id', 'bigint', (c) => c.notNull().references('studies.id').onDelete('cascade'))
        .addColumn('config_id', 'bigint', (c) => c.notNull())
        .addColumn('rung', 'integer', (c) => c.notNull())
        .addColumn('budget', 'double precision')
        .addColumn('params', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('metric', 'double precision')
        .addColumn('error', 'text')
        .addColumn('worker', 'text')
        .addColumn('lease_until', 'double precision')
        .addColumn('started_at', 'double precision')
        .addColumn('ended_at', 'double precision')
        .addColumn('run_id', 'bigint', (c) => c.references('runs.id').onDelete('set null'))
        .addUniqueConstraint('trials_study_config_rung', ['study_id', 'config_id', 'rung'])
        .execute();
      await db.schema
        .createIndex('trials_study_status')
        .on('trials')
        .columns(['study_id', 'status'])
        .execute();
    },
  },
];

/** The schema version this ato writes. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** Run `fn` holding the store's write lock, in one transaction (provided by each backend). */
export type Exclusive = <T>(fn: (db: Kysely<Database>) => Promise<T>) => Promise<T>;

/**
 * Bring a store to {@link SCHEMA_VERSION}: create it when empty, upgrade it when older, refuse it
 * untouched when a newer ato wrote it. All of it runs holding the write lock in one transaction, so
 * processes opening a new store at once migrate it exactly once, and a failed upgrade changes nothing.
 * @param where the store's URL, for messages
 */
export async function migrate(exclusive: Exclusive, dialect: Dialect, where: string): Promise<void> {
  await exclusive(async (db) => {
    await db.schema
      .createTable('ato_meta')
      .ifNotExists()
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .execute();
    const current = await readVersion(db);
    if (current > SCHEMA_VERSION) {
      throw new AtoError(
        'STORE_VERSION',
        `the store was written by a newer ato (schema version ${current}; this ato knows up to ${SCHEMA_VERSION})`,
        { location: { input: where }, hint: 'upgrade ato to open this store; it was left untouched' },
      );
    }
    for (const migration of MIGRATIONS) {
      if (migration.version <= current) continue;
      await migration.up(db, dialect);
      await db
        .insertInto('ato_meta')
        .values({ key: 'schema_version', value: String(migration.version) })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value: String(migration.version) }))
        .execute();
    }
  });
}

async function readVersion(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom('ato_meta')
    .select('value')
    .where('key', '=', 'schema_version')
    .executeTakeFirst();
  return row ? Number(row.value) : 0;
}

/** The raw `sql` tag, re-exported for backends. */
export { sql };
