/**
 * `ato studies` and `ato study <name>`: the searches in a store, read from its `studies` and
 * `trials` tables.
 * @module
 */
import { AtoError } from '../errors.js';
import type { CommandIO } from './tracker-commands.js';

type Command = (args: readonly string[], io: CommandIO) => Promise<number>;

function parse(args: readonly string[]): { positional: string[]; db: string | undefined; json: boolean } {
  const positional: string[] = [];
  let db: string | undefined;
  let json = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--json') json = true;
    else if (arg === '--db') {
      db = args[++i];
      if (db === undefined)
        throw new AtoError('INVALID_ARGUMENT', 'option --db needs a value', { location: { input: '--db' } });
    } else if (arg.startsWith('--'))
      throw new AtoError('INVALID_ARGUMENT', `unknown option ${arg}`, { location: { input: arg } });
    else positional.push(arg);
  }
  return { positional, db, json };
}

async function withDb<T>(
  db: string | undefined,
  fn: (backend: import('../tracker/backend.js').Backend) => Promise<T>,
): Promise<T> {
  const { openBackend } = await import('../tracker/backend.js');
  const backend = await openBackend(db ?? process.env.ATO_DB ?? 'sqlite:///experiments.db');
  try {
    return await fn(backend);
  } finally {
    await backend.close();
  }
}

const pad = (rows: string[][]) => {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return `${rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`;
};
const short = (n: number | null | undefined) =>
  n === null || n === undefined ? '-' : String(Number(Number(n).toPrecision(5)));

const studies: Command = async (args, io) => {
  const a = parse(args);
  await withDb(a.db, async (backend) => {
    const rows = await backend.db.selectFrom('studies').selectAll().orderBy('id').execute();
    const out = [];
    for (const s of rows) {
      const trials = await backend.db
        .selectFrom('trials')
        .select(['status', 'metric'])
        .where('study_id', '=', s.id)
        .execute();
      const done = trials.filter((t) => t.status === 'completed');
      const metrics = done.map((t) => Number(t.metric));
      const best = metrics.length
        ? s.mode === 'min'
          ? Math.min(...metrics)
          : Math.max(...metrics)
        : undefined;
      out.push({
        name: s.name,
        project: s.project,
        algorithm: s.algorithm,
        mode: s.mode,
        status: s.status,
        trials: trials.length,
        completed: done.length,
        failed: trials.filter((t) => t.status === 'failed').length,
        running: trials.filter((t) => t.status === 'running').length,
        best,
      });
    }
    if (a.json) io.out(`${JSON.stringify(out, null, 2)}\n`);
    else if (out.length === 0) io.out('no studies\n');
    else {
      io.out(
        pad([
          [
            'name',
            'project',
            'algorithm',
            'mode',
            'status',
            'trials',
            'completed',
            'failed',
            'running',
            'best',
          ],
          ...out.map((s) => [
            s.name,
            s.project,
            s.algorithm,
            s.mode,
            s.status,
            String(s.trials),
            String(s.completed),
            String(s.failed),
            String(s.running),
            short(s.best),
          ]),
        ]),
      );
    }
  });
  return 0;
};

const study: Command = async (args, io) => {
  const a = parse(args);
  const name = a.positional[0];
  if (!name)
    throw new AtoError('INVALID_ARGUMENT', 'ato study needs a study name', {
      hint: 'list them with "ato studies"',
    });
  await withDb(a.db, async (backend) => {
    const s = await backend.db.selectFrom('studies').selectAll().where('name', '=', name).executeTakeFirst();
    if (!s)
      throw new AtoError('KEY_NOT_FOUND', `no study "${name}"`, {
        location: { input: name },
        hint: 'list them with "ato studies"',
      });
    const trials = await backend.db
      .selectFrom('trials')
      .selectAll()
      .where('study_id', '=', s.id)
      .orderBy('id')
      .execute();
    const rows = trials.map((t) => ({
      id: Number(t.id),
      config: Number(t.config_id),
      rung: Number(t.rung),
      budget: t.budget === null ? undefined : Number(t.budget),
      status: t.status,
      metric: t.metric === null ? undefined : Number(t.metric),
      params: JSON.parse(t.params) as Record<string, unknown>,
      run: t.run_id === null ? undefined : Number(t.run_id),
      ...(t.error ? { error: t.error } : {}),
    }));
    if (a.json) {
      io.out(
        `${JSON.stringify({ name: s.name, project: s.project, algorithm: s.algorithm, mode: s.mode, status: s.status, trials: rows }, null, 2)}\n`,
      );
      return;
    }
    const rungs = [...new Set(rows.map((r) => r.rung))].sort((x, y) => x - y);
    io.out(
      `study "${s.name}" (${s.algorithm}, ${s.mode}, ${s.status}): ${rows.length} trials in project ${s.project}\n`,
    );
    io.out(
      `per rung/generation: ${rungs.map((g) => `${g}: ${rows.filter((r) => r.rung === g).length}`).join(', ')}\n\n`,
    );
    const ranked = [...rows]
      .filter((r) => r.metric !== undefined)
      .sort((x, y) => (s.mode === 'min' ? x.metric! - y.metric! : y.metric! - x.metric!));
    io.out(
      pad([
        ['trial', 'config', 'rung', 'budget', 'status', 'metric', 'run', 'params'],
        ...[...ranked.slice(0, 20), ...rows.filter((r) => r.metric === undefined)].map((r) => [
          String(r.id),
          String(r.config),
          String(r.rung),
          short(r.budget),
          r.status,
          short(r.metric),
          r.run === undefined ? '-' : String(r.run),
          JSON.stringify(r.params),
        ]),
      ]),
    );
  });
  return 0;
};

/** The study commands, by name. */
export const STUDY_COMMANDS: Record<string, Command> = { studies, study };

/** Help lines of the study commands. */
export const STUDY_HELP = `  studies                         the searches in the store: trials done, failed, running, best metric
  study <name>                    one search: trials per rung/generation, the best 20 trials, failures`;
