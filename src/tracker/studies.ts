/**
 * Queries over hyperparameter studies (the `studies` and `trials` tables), for the CLI and the
 * dashboard alike.
 * @module
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from './schema.js';

/** A study with trial counts and the best metric. */
export interface StudyListItem {
  name: string;
  project: string;
  algorithm: string;
  mode: string;
  status: string;
  createdAt: string;
  trials: number;
  completed: number;
  failed: number;
  running: number;
  best: number | null;
}

/** Every hyperparameter study of the store, newest first, with trial counts and the best metric. */
export async function listStudies(db: Kysely<Database>): Promise<StudyListItem[]> {
  const rows = await db
    .selectFrom('studies')
    .leftJoin('trials', 'trials.study_id', 'studies.id')
    .select([
      'studies.name',
      'studies.project',
      'studies.algorithm',
      'studies.mode',
      'studies.status',
      'studies.created_at',
      (eb) => eb.fn.count<number>('trials.id').as('trials'),
      sql<number>`sum(case when trials.status = 'completed' then 1 else 0 end)`.as('completed'),
      sql<number>`sum(case when trials.status = 'failed' then 1 else 0 end)`.as('failed'),
      sql<number>`sum(case when trials.status = 'running' then 1 else 0 end)`.as('running'),
      (eb) => eb.fn.max('trials.metric').as('max_metric'),
      (eb) => eb.fn.min('trials.metric').as('min_metric'),
    ])
    .groupBy([
      'studies.id',
      'studies.name',
      'studies.project',
      'studies.algorithm',
      'studies.mode',
      'studies.status',
      'studies.created_at',
    ])
    .orderBy('studies.created_at', 'desc')
    .execute();
  return rows.map((r) => {
    const best = r.mode === 'min' ? r.min_metric : r.max_metric;
    return {
      name: r.name,
      project: r.project,
      algorithm: r.algorithm,
      mode: r.mode,
      status: r.status,
      createdAt: new Date(Number(r.created_at)).toISOString(),
      trials: Number(r.trials),
      completed: Number(r.completed ?? 0),
      failed: Number(r.failed ?? 0),
      running: Number(r.running ?? 0),
      best: best === null || best === undefined ? null : Number(best),
    };
  });
}

/** A trial of a study. */
export interface TrialItem {
  id: number;
  configId: number;
  rung: number;
  budget: number | null;
  params: Record<string, unknown>;
  status: string;
  metric: number | null;
  error: string | null;
  runId: number | null;
}

/** A study with its trials (params, metric, rung, status), parameter names and counts per rung. */
export interface StudyDetail {
  study: Omit<StudyListItem, 'trials' | 'completed' | 'failed' | 'running' | 'best'> & { settings: unknown };
  params: string[];
  trials: TrialItem[];
  rungs: { rung: number; trials: number; completed: number; best: number | null }[];
}

/** One study by name, or undefined. */
export async function loadStudy(db: Kysely<Database>, name: string): Promise<StudyDetail | undefined> {
  const study = await db.selectFrom('studies').selectAll().where('name', '=', name).executeTakeFirst();
  if (!study) return undefined;
  const rows = await db
    .selectFrom('trials')
    .selectAll()
    .where('study_id', '=', study.id)
    .orderBy('rung')
    .orderBy('config_id')
    .execute();
  const trials: TrialItem[] = rows.map((t) => ({
    id: Number(t.id),
    configId: Number(t.config_id),
    rung: Number(t.rung),
    budget: t.budget === null ? null : Number(t.budget),
    params: JSON.parse(t.params) as Record<string, unknown>,
    status: t.status,
    metric: t.metric === null ? null : Number(t.metric),
    error: t.error,
    runId: t.run_id === null ? null : Number(t.run_id),
  }));
  const names = [...new Set(trials.flatMap((t) => Object.keys(t.params)))].sort();
  const better = (p: number, q: number) => (study.mode === 'min' ? p < q : p > q);
  const rungs = new Map<number, { rung: number; trials: number; completed: number; best: number | null }>();
  for (const t of trials) {
    const r = rungs.get(t.rung) ?? { rung: t.rung, trials: 0, completed: 0, best: null };
    r.trials++;
    if (t.status === 'completed') r.completed++;
    if (t.metric !== null && Number.isFinite(t.metric) && (r.best === null || better(t.metric, r.best)))
      r.best = t.metric;
    rungs.set(t.rung, r);
  }
  return {
    study: {
      name: study.name,
      project: study.project,
      algorithm: study.algorithm,
      mode: study.mode,
      status: study.status,
      createdAt: new Date(Number(study.created_at)).toISOString(),
      settings: JSON.parse(study.settings) as unknown,
    },
    params: names,
    trials,
    rungs: [...rungs.values()].sort((p, q) => p.rung - q.rung),
  };
}
