/**
 * The `ato` commands over a store: thin layers over the tracker's query functions (the dashboard
 * calls the same ones). Each takes `--db URL` (default `$ATO_DB`, else `sqlite:///experiments.db`)
 * and `--json` for machine-readable output.
 * @module
 */
import { createInterface } from 'node:readline/promises';
import { AtoError } from '../errors.js';
import type { Backend } from '../tracker/backend.js';
import type { Run, RunComparison, RunFilter, RunStatus } from '../tracker/index.js';

/** Where a command writes. */
export interface CommandIO {
  out(text: string): void;
  err(text: string): void;
  /** Colours only on a terminal. */
  isTTY: boolean;
}

type Command = (args: readonly string[], io: CommandIO) => Promise<number>;

/** Parsed arguments: positionals, `--name value` options (repeatable) and boolean switches. */
export interface Args {
  positional: string[];
  flags: Map<string, string[]>;
  switches: Set<string>;
}

const SWITCHES = new Set(['json', 'metrics', 'yes', 'delete']);

/** Split positionals, `--name value` options (repeatable) and the boolean switches. */
export function parse(args: readonly string[]): Args {
  const positional: string[] = [];
  const flags = new Map<string, string[]>();
  const switches = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const name = arg.slice(2);
    if (SWITCHES.has(name)) {
      switches.add(name);
      continue;
    }
    const value = args[i + 1];
    if (value === undefined || value.startsWith('--'))
      throw new AtoError('INVALID_ARGUMENT', `option ${arg} needs a value`, { location: { input: arg } });
    flags.set(name, [...(flags.get(name) ?? []), value]);
    i++;
  }
  return { positional, flags, switches };
}

const flag = (a: Args, name: string) => a.flags.get(name)?.[0];
/** The store of `--db`, else `$ATO_DB`, else `sqlite:///experiments.db`. */
export const storeUrl = (a: Args) => flag(a, 'db') ?? process.env.ATO_DB ?? 'sqlite:///experiments.db';

function runId(a: Args, index: number, usage: string): number {
  const text = a.positional[index];
  const id = Number(text);
  if (text === undefined || !Number.isSafeInteger(id)) {
    throw new AtoError(
      'INVALID_ARGUMENT',
      `expected a run id, found ${text === undefined ? 'nothing' : `"${text}"`}`,
      {
        location: { input: text ?? '(none)' },
        hint: `usage: ${usage}`,
      },
    );
  }
  return id;
}

/** The run filter of `--project`, `--status`, `--tag` and `--where key=value` options. */
function runFilter(a: Args): RunFilter {
  const filter: RunFilter = {};
  const project = flag(a, 'project');
  if (project) filter.project = project;
  const status = a.flags.get('status');
  if (status) filter.status = status as RunStatus[];
  const tags = a.flags.get('tag');
  if (tags) filter.tags = tags;
  const where = a.flags.get('where');
  if (where) {
    filter.config = {};
    for (const clause of where) {
      const eq = clause.indexOf('=');
      if (eq <= 0)
        throw new AtoError('INVALID_ARGUMENT', `--where needs key=value, found "${clause}"`, {
          location: { input: clause },
        });
      filter.config[clause.slice(0, eq)] = parseValue(clause.slice(eq + 1));
    }
  }
  return filter;
}

/** A command-line value as JSON when it is JSON (`50`, `true`, `"x"`), else the text. */
function parseValue(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

const paint = (io: CommandIO, code: number) => (text: string) =>
  io.isTTY ? `\x1b[${code}m${text}\x1b[0m` : text;

function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** A number for a table: `digits` significant digits; `-` for none. */
export const short = (n: number | null | undefined, digits = 4) =>
  n === null || n === undefined ? '-' : String(Number(Number(n).toPrecision(digits)));

/** A plain table: columns padded to their widest cell, cut to the terminal's width. */
export function table(rows: string[][], width = process.stdout.columns ?? 160): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return `${rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join('  ')
        .trimEnd()
        .slice(0, Math.max(40, width)),
    )
    .join('\n')}\n`;
}

async function withFinder<T>(
  a: Args,
  fn: (finder: import('../tracker/index.js').SQLFinder) => Promise<T>,
): Promise<T> {
  const { SQLFinder } = await import('../tracker/index.js');
  const finder = new SQLFinder(storeUrl(a));
  try {
    return await fn(finder);
  } finally {
    await finder.close();
  }
}

function runsTable(runs: Run[], io: CommandIO): string {
  const color: Record<string, (t: string) => string> = {
    completed: paint(io, 32),
    failed: paint(io, 31),
    crashed: paint(io, 31),
    interrupted: paint(io, 33),
    running: paint(io, 36),
  };
  const rows = runs.map((r) => [
    String(r.id),
    r.project,
    (color[r.status] ?? String)(r.status),
    r.tags.join(','),
    r.startedAt.toISOString().replace('T', ' ').slice(0, 19),
    formatDuration(r.durationMs),
    Object.values(r.metrics)
      .map((m) => `${m.key}=${short(m.last)}`)
      .join(' '),
  ]);
  return table([['id', 'project', 'status', 'tags', 'started', 'duration', 'metrics (last)'], ...rows]);
}

const runs: Command = async (args, io) => {
  const a = parse(args);
  await withFinder(a, async (finder) => {
    let list = await finder.findRuns(runFilter(a));
    const sort = flag(a, 'sort');
    if (sort) {
      const desc = !sort.startsWith('+');
      const key = sort.replace(/^[+-]/, '');
      list = list
        .filter((r) => r.metrics[key])
        .sort((x, y) => (desc ? -1 : 1) * (x.metrics[key]!.last - y.metrics[key]!.last));
    }
    if (a.switches.has('json')) io.out(`${JSON.stringify(list, null, 2)}\n`);
    else io.out(list.length === 0 ? 'no runs\n' : runsTable(list, io));
  });
  return 0;
};

const show: Command = async (args, io) => {
  const a = parse(args);
  const id = runId(a, 0, 'ato show <run> [--db URL] [--json]');
  await withFinder(a, async (finder) => {
    const run = await finder.findRun(id);
    if (!run)
      throw new AtoError('KEY_NOT_FOUND', `no run ${id} in ${storeUrl(a)}`, {
        location: { input: String(id) },
        hint: 'list the runs with "ato runs"',
      });
    if (a.switches.has('json')) {
      io.out(`${JSON.stringify(run, null, 2)}\n`);
      return;
    }
    const lines = [
      `run ${run.id}  ${run.project}  ${run.status}${run.error ? ` (${run.error})` : ''}`,
      `started ${run.startedAt.toISOString()}  duration ${formatDuration(run.durationMs)}  tags ${run.tags.join(', ') || '-'}`,
      '',
      'config:',
      run.config
        .toXyz()
        .replace(/^(?=.)/gm, '  ')
        .trimEnd(),
      '',
      'metrics (count, min, max, last @ step):',
      ...Object.values(run.metrics).map(
        (m) => `  ${m.key}: ${m.count}  ${m.min}  ${m.max}  ${m.last} @ ${m.lastStep}`,
      ),
      '',
      'fingerprints:',
      ...Object.entries(run.fingerprints).map(
        ([trace, f]) => `  ${trace} (${f.type}): ${f.hash.slice(0, 16)}`,
      ),
      '',
      'environment:',
      ...Object.entries(run.environment ?? {}).map(
        ([k, v]) => `  ${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`,
      ),
      '',
      'artifacts:',
      ...(run.artifacts ?? []).map(
        (x) =>
          `  ${x.path}  ${x.dataType ?? '-'}  ${x.size ?? '?'} bytes  ${x.sha256?.slice(0, 16) ?? 'no hash'}`,
      ),
    ];
    io.out(`${lines.join('\n')}\n`);
  });
  return 0;
};

const value = (v: unknown) => (v === undefined ? '(none)' : JSON.stringify(v));

/** Render a comparison as the causal explanation `ato diff` prints. */
export function renderDiff(c: RunComparison, io: CommandIO): string {
  const head = paint(io, 1);
  const out: string[] = [head(`run ${c.a.id} → run ${c.b.id}`), ''];
  out.push(head('config values'));
  if (c.config.changed.length === 0) out.push('  (same)');
  for (const d of c.config.changed) out.push(`  ${d.key}: ${value(d.a)} → ${value(d.b)}`);
  out.push('', head('structure'));
  if (c.structure.sameHash) out.push('  (same keys and types)');
  for (const d of c.config.added) out.push(`  + ${d.key} = ${value(d.b)}`);
  for (const d of c.config.removed) out.push(`  - ${d.key} (was ${value(d.a)})`);
  for (const d of c.structure.typeChanged) out.push(`  ~ ${d.key}: ${d.a} → ${d.b}`);
  out.push('', head('code (static fingerprints)'));
  if (c.code.length === 0) out.push('  (same)');
  for (const d of c.code)
    out.push(`  ${d.traceId}: ${d.a?.slice(0, 12) ?? '(none)'} → ${d.b?.slice(0, 12) ?? '(none)'}`);
  out.push('', head('output (runtime fingerprints)'));
  if (c.output.length === 0) out.push('  (same)');
  for (const d of c.output) {
    out.push(
      `  ${d.traceId}: ${d.a?.slice(0, 12) ?? '(none)'} → ${d.b?.slice(0, 12) ?? '(none)'}${d.sameCode ? '  (same code: behaviour changed)' : ''}`,
    );
  }
  out.push('', head('environment'));
  if (c.environment.length === 0) out.push('  (same)');
  for (const d of c.environment) out.push(`  ${d.key}: ${value(d.a)} → ${value(d.b)}`);
  out.push('', head('metrics (last, min, max)'));
  const fmt = (m: (typeof c.metrics)[number]['a']) =>
    m ? `${short(m.last)} [${short(m.min)}, ${short(m.max)}]` : '-';
  out.push(
    ...table([
      ['  key', `run ${c.a.id}`, `run ${c.b.id}`],
      ...c.metrics.map((m) => [`  ${m.key}`, fmt(m.a), fmt(m.b)]),
    ])
      .trimEnd()
      .split('\n'),
  );
  out.push('', head(`verdict: ${c.verdict.summary}`));
  return `${out.join('\n')}\n`;
}

const diff: Command = async (args, io) => {
  const a = parse(args);
  const usage = 'ato diff <runA> <runB> [--db URL] [--json]';
  const [x, y] = [runId(a, 0, usage), runId(a, 1, usage)];
  await withFinder(a, async (finder) => {
    const c = await finder.compareRuns(x, y);
    if (!c) {
      const missing = (await finder.findRun(x)) ? y : x;
      throw new AtoError('KEY_NOT_FOUND', `no run ${missing} in ${storeUrl(a)}`, {
        location: { input: String(missing) },
        hint: 'list the runs with "ato runs"',
      });
    }
    if (a.switches.has('json')) {
      const { a: ra, b: rb, ...rest } = c;
      io.out(`${JSON.stringify({ a: ra.id, b: rb.id, ...rest }, null, 2)}\n`);
    } else io.out(renderDiff(c, io));
  });
  return 0;
};

const best: Command = async (args, io) => {
  const a = parse(args);
  const metric = flag(a, 'metric');
  if (!metric)
    throw new AtoError('INVALID_ARGUMENT', 'ato best needs --metric', {
      hint: 'usage: ato best --metric val_accuracy [--mode max|min] [--project P]',
    });
  const mode = (flag(a, 'mode') ?? 'max') as 'max' | 'min';
  if (mode !== 'max' && mode !== 'min')
    throw new AtoError('INVALID_ARGUMENT', `--mode must be max or min, found "${mode}"`, {
      location: { input: mode },
    });
  await withFinder(a, async (finder) => {
    const projects = flag(a, 'project')
      ? [flag(a, 'project')!]
      : [...new Set((await finder.findRuns()).map((r) => r.project))];
    const found: Run[] = [];
    for (const project of projects) {
      const run = await finder.findBestRun(project, metric, mode);
      if (run) found.push(run);
    }
    if (a.switches.has('json')) io.out(`${JSON.stringify(found, null, 2)}\n`);
    else io.out(found.length === 0 ? `no run logged "${metric}"\n` : runsTable(found, io));
  });
  return 0;
};

const similar: Command = async (args, io) => {
  const a = parse(args);
  const id = runId(a, 0, 'ato similar <run> [--db URL] [--json]');
  await withFinder(a, async (finder) => {
    if (!(await finder.findRun(id)))
      throw new AtoError('KEY_NOT_FOUND', `no run ${id} in ${storeUrl(a)}`, {
        location: { input: String(id) },
      });
    const list = await finder.findSimilarRuns(id);
    if (a.switches.has('json')) io.out(`${JSON.stringify(list, null, 2)}\n`);
    else io.out(list.length === 0 ? 'no run with the same config structure\n' : runsTable(list, io));
  });
  return 0;
};

const traces: Command = async (args, io) => {
  const a = parse(args);
  const traceId = a.positional[0];
  if (!traceId)
    throw new AtoError('INVALID_ARGUMENT', 'ato traces needs a trace id', {
      hint: 'usage: ato traces <traceId> [--project P]',
    });
  await withFinder(a, async (finder) => {
    const projects = flag(a, 'project')
      ? [flag(a, 'project')!]
      : [...new Set((await finder.findRuns()).map((r) => r.project))];
    const stats = [];
    for (const project of projects) {
      const s = await finder.getTraceStatistics(project, traceId);
      if (s.versions.length > 0) stats.push(s);
    }
    if (a.switches.has('json')) {
      io.out(`${JSON.stringify(stats, null, 2)}\n`);
      return;
    }
    if (stats.length === 0) {
      io.out(`no run recorded the trace "${traceId}"\n`);
      return;
    }
    for (const s of stats) {
      io.out(
        `${s.projectName}: ${s.staticTraceVersions} code version(s), ${s.runtimeTraceVersions} output version(s) of "${traceId}"\n`,
      );
      const rows = s.versions.map((v) => [
        v.type,
        v.hash.slice(0, 12),
        String(v.runs.length),
        v.runs.join(','),
        v.firstSeen.toISOString().slice(0, 19),
        v.lastSeen.toISOString().slice(0, 19),
      ]);
      io.out(table([['type', 'fingerprint', 'runs', 'run ids', 'first seen', 'last seen'], ...rows]));
    }
  });
  return 0;
};

const csvCell = (v: unknown) => {
  const text = v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

const exportCommand: Command = async (args, io) => {
  const a = parse(args);
  const format = flag(a, 'format') ?? 'jsonl';
  if (format !== 'csv' && format !== 'jsonl')
    throw new AtoError('INVALID_ARGUMENT', `--format must be csv or jsonl, found "${format}"`, {
      location: { input: format },
    });
  const withMetrics = a.switches.has('metrics');
  await withFinder(a, async (finder) => {
    const list = await finder.findRuns(runFilter(a));
    if (format === 'jsonl') {
      for (const run of list) {
        const history = withMetrics ? await finder.getMetricHistory(run.id) : undefined;
        io.out(`${JSON.stringify({ ...run.toJSON(), ...(history ? { history } : {}) })}\n`);
      }
      return;
    }
    if (withMetrics) {
      io.out('run_id,project,key,step,value,time\n');
      for (const run of list) {
        for (const [key, points] of Object.entries(await finder.getMetricHistory(run.id))) {
          for (const p of points)
            io.out(
              `${run.id},${csvCell(run.project)},${csvCell(key)},${p.step},${p.value},${p.time.toISOString()}\n`,
            );
        }
      }
      return;
    }
    const keys = [...new Set(list.flatMap((r) => Object.keys(r.metrics)))].sort();
    io.out(
      `${['id', 'project', 'status', 'tags', 'started_at', 'ended_at', 'structural_hash', 'config', ...keys.map((k) => `${k}_last`)].join(',')}\n`,
    );
    for (const r of list) {
      const cells = [
        r.id,
        r.project,
        r.status,
        r.tags.join(' '),
        r.startedAt.toISOString(),
        r.endedAt?.toISOString(),
        r.structuralHash,
        r.config.toDict(),
        ...keys.map((k) => r.metrics[k]?.last),
      ];
      io.out(`${cells.map(csvCell).join(',')}\n`);
    }
  });
  return 0;
};

const gc: Command = async (args, io) => {
  const a = parse(args);
  const { openBackend } = await import('../tracker/backend.js');
  const { listRuns } = await import('../tracker/queries.js');
  const backend: Backend = await openBackend(storeUrl(a));
  try {
    const crashed = await listRuns(backend.db, { status: 'crashed' });
    for (const run of crashed) {
      await backend.db
        .updateTable('runs')
        .set({ status: 'crashed', ended_at: run.heartbeatAt.getTime() })
        .where('id', '=', run.id)
        .where('status', '=', 'running')
        .execute();
    }
    io.out(`marked ${crashed.length} stale running run(s) as crashed\n`);
    if (!a.switches.has('delete')) return 0;
    if (!['project', 'status', 'tag', 'where'].some((f) => a.flags.has(f))) {
      throw new AtoError(
        'INVALID_ARGUMENT',
        'ato gc --delete needs a filter (--project, --status, --tag or --where)',
        {
          hint: 'e.g. ato gc --delete --status failed',
        },
      );
    }
    const doomed = await listRuns(backend.db, runFilter(a));
    if (doomed.length === 0) {
      io.out('no run matches; nothing deleted\n');
      return 0;
    }
    if (!a.switches.has('yes')) {
      if (!process.stdin.isTTY) {
        throw new AtoError(
          'INVALID_ARGUMENT',
          `refusing to delete ${doomed.length} run(s) without confirmation`,
          { hint: 'add --yes, or run it in a terminal' },
        );
      }
      const rl = createInterface({ input: process.stdin, output: process.stdout });
      const answer = await rl.question(
        `delete ${doomed.length} run(s) (${doomed.map((r) => r.id).join(', ')}) and their rows? [y/N] `,
      );
      rl.close();
      if (!/^y(es)?$/i.test(answer.trim())) {
        io.out('nothing deleted\n');
        return 0;
      }
    }
    const ids = doomed.map((r) => r.id);
    await backend.exclusive(async (db) => {
      for (const table of ['metrics', 'metric_summaries', 'fingerprints', 'artifacts', 'run_tags'] as const) {
        await db.deleteFrom(table).where('run_id', 'in', ids).execute();
      }
      await db.deleteFrom('runs').where('id', 'in', ids).execute();
    });
    io.out(`deleted ${ids.length} run(s)\n`);
  } finally {
    await backend.close();
  }
  return 0;
};

const merge: Command = async (args, io) => {
  const a = parse(args);
  const source = a.positional[0];
  if (!source)
    throw new AtoError('INVALID_ARGUMENT', 'ato merge needs the other store', {
      hint: 'usage: ato merge <other-store-url> [--db URL]',
    });
  const { openBackend } = await import('../tracker/backend.js');
  const from = await openBackend(source);
  const to = await openBackend(storeUrl(a));
  let copied = 0;
  let skipped = 0;
  try {
    const present = new Set((await to.db.selectFrom('runs').select('uid').execute()).map((r) => r.uid));
    const runsToCopy = await from.db.selectFrom('runs').selectAll().orderBy('id').execute();
    for (const run of runsToCopy) {
      if (present.has(run.uid)) {
        skipped++;
        continue;
      }
      await to.exclusive(async (db) => {
        const { id: oldId, ...rest } = run;
        const inserted = await db.insertInto('runs').values(rest).returning('id').executeTakeFirstOrThrow();
        const newId = Number(inserted.id);
        for (const table of ['run_tags', 'fingerprints', 'metric_summaries', 'artifacts'] as const) {
          const rows = await from.db.selectFrom(table).selectAll().where('run_id', '=', oldId).execute();
          for (let i = 0; i < rows.length; i += 500) {
            const part = rows.slice(i, i + 500).map((row) => {
              const { id: _drop, ...data } = row as Record<string, unknown>;
              return { ...data, run_id: newId };
            });
            if (part.length)
              await db
                .insertInto(table)
                .values(part as never)
                .execute();
          }
        }
        const metrics = await from.db.selectFrom('metrics').selectAll().where('run_id', '=', oldId).execute();
        for (let i = 0; i < metrics.length; i += 1000) {
          await db
            .insertInto('metrics')
            .values(metrics.slice(i, i + 1000).map((m) => ({ ...m, run_id: newId })))
            .execute();
        }
      });
      copied++;
    }
  } finally {
    await from.close();
    await to.close();
  }
  if (a.switches.has('json')) io.out(`${JSON.stringify({ copied, skipped })}\n`);
  else io.out(`copied ${copied} run(s), skipped ${skipped} already present\n`);
  return 0;
};

/** The store commands, by name. */
export const TRACKER_COMMANDS: Record<string, Command> = {
  runs,
  show,
  diff,
  best,
  similar,
  traces,
  export: exportCommand,
  gc,
  merge,
  dashboard: async (args, io) => {
    const a = parse(args);
    const port = Number(flag(a, 'port') ?? 8000);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new AtoError('INVALID_ARGUMENT', `--port must be a port number, found "${flag(a, 'port')}"`);
    const { startDashboard } = await import('../dashboard/server.js');
    const dashboard = await startDashboard({
      url: storeUrl(a),
      port,
      host: flag(a, 'host') ?? '127.0.0.1',
      token: flag(a, 'token') ?? (process.env.ATO_TOKEN || undefined),
      print: (line) => io.out(`${line}\n`),
    });
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await dashboard.close();
    return 0;
  },
};

/** Help lines of the store commands. */
export const TRACKER_HELP = `  runs [--project P] [--status S] [--tag T] [--where key=value] [--sort metric|+metric]
                                  runs, newest first: id, status, tags, start, duration, metrics
  show <run>                      config (XYZ), tags, environment, fingerprints, metrics, artifacts
  diff <runA> <runB>              why they differ: config, structure, code, output, environment, metrics
  best --metric M [--mode max|min] [--project P]
                                  the best run of each project by a metric
  similar <run>                   runs with the same config structure
  traces <traceId> [--project P]  versions of a traced function's code and output, with their runs
  export [--format csv|jsonl] [--metrics] [filters]
                                  runs (or every metric point) as CSV or JSON Lines
  gc [--delete --project P ...] [--yes]
                                  mark stale running runs as crashed; delete matching runs after confirmation
  merge <other-store>             copy runs from another store, skipping those already here
  dashboard [--port 8000] [--host 127.0.0.1] [--token T]
                                  serve the read-only web dashboard (another host needs --token or ATO_TOKEN)
  (each takes --db URL and --json)`;
