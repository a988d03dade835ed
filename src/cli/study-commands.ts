/**
 * `ato studies` and `ato study <name>`: the searches in a store, read from its `studies` and
 * `trials` tables.
 * @module
 */
import { AtoError } from '../errors.js';
import { type CommandIO, parse, short, storeUrl, table } from './tracker-commands.js';

type Command = (args: readonly string[], io: CommandIO) => Promise<number>;

/** The study commands take `--db` and `--json` only. */
function parseStudyArgs(args: readonly string[]): { positional: string[]; url: string; json: boolean } {
  const a = parse(args);
  const unknown = [...a.flags.keys(), ...a.switches].find((name) => name !== 'db' && name !== 'json');
  if (unknown)
    throw new AtoError('INVALID_ARGUMENT', `unknown option --${unknown}`, {
      location: { input: `--${unknown}` },
    });
  return { positional: a.positional, url: storeUrl(a), json: a.switches.has('json') };
}

async function withDb<T>(
  url: string,
  fn: (backend: import('../tracker/backend.js').Backend) => Promise<T>,
): Promise<T> {
  const { openBackend } = await import('../tracker/backend.js');
  const backend = await openBackend(url);
  try {
    return await fn(backend);
  } finally {
    await backend.close();
  }
}

const studies: Command = async (args, io) => {
  const a = parseStudyArgs(args);
  await withDb(a.url, async (backend) => {
    const { listStudies } = await import('../tracker/studies.js');
    const list = await listStudies(backend.db);
    if (a.json) io.out(`${JSON.stringify(list, null, 2)}\n`);
    else if (list.length === 0) io.out('no studies\n');
    else {
      io.out(
        table([
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
          ...list.map((s) => [
            s.name,
            s.project,
            s.algorithm,
            s.mode,
            s.status,
            String(s.trials),
            String(s.completed),
            String(s.failed),
            String(s.running),
            short(s.best, 5),
          ]),
        ]),
      );
    }
  });
  return 0;
};

const study: Command = async (args, io) => {
  const a = parseStudyArgs(args);
  const name = a.positional[0];
  if (!name)
    throw new AtoError('INVALID_ARGUMENT', 'ato study needs a study name', {
      hint: 'list them with "ato studies"',
    });
  await withDb(a.url, async (backend) => {
    const { loadStudy } = await import('../tracker/studies.js');
    const detail = await loadStudy(backend.db, name);
    if (!detail)
      throw new AtoError('KEY_NOT_FOUND', `no study "${name}"`, {
        location: { input: name },
        hint: 'list them with "ato studies"',
      });
    if (a.json) {
      io.out(`${JSON.stringify(detail, null, 2)}\n`);
      return;
    }
    const { study: s, trials, rungs } = detail;
    io.out(
      `study "${s.name}" (${s.algorithm}, ${s.mode}, ${s.status}): ${trials.length} trials in project ${s.project}\n`,
    );
    io.out(`per rung/generation: ${rungs.map((r) => `${r.rung}: ${r.trials}`).join(', ')}\n\n`);
    const ranked = trials
      .filter((t) => t.metric !== null)
      .sort((x, y) => (s.mode === 'min' ? x.metric! - y.metric! : y.metric! - x.metric!));
    io.out(
      table([
        ['trial', 'config', 'rung', 'budget', 'status', 'metric', 'run', 'params'],
        ...[...ranked.slice(0, 20), ...trials.filter((t) => t.metric === null)].map((t) => [
          String(t.id),
          String(t.configId),
          String(t.rung),
          short(t.budget, 5),
          t.status,
          short(t.metric, 5),
          t.runId === null ? '-' : String(t.runId),
          JSON.stringify(t.params),
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
