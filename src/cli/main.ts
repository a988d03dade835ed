#!/usr/bin/env node
/**
 * The `ato` command. Today: config files (print, convert, structural hash). The tracker, search and
 * dashboard issues add their commands here, as thin layers over the same library functions.
 * @module
 */
import { readFileSync } from 'node:fs';
import { ADict, AtoError } from '../index.js';

const HELP = `Usage: ato <command> [arguments]

Commands:
  runs [--db URL] [--project NAME] [--status S] [--tag T] [--json]
                                  list runs: id, project, status, tags, start, duration, metrics
  show <run> [--db URL] [--json]  a run: config (XYZ), tags, environment, fingerprints, metrics, artifacts
  print <config-file>             print a config file as XYZ (any format ato reads)
  convert <input> <output>        convert a config file to another format (by extension)
  hash <config-file>              print the structural hash of a config file
  --version, -v                   print the version
  --help, -h                      print this help

The store defaults to $ATO_DB, else sqlite:///experiments.db in the current folder.
Formats: .json .jsonl .yaml .yml .toml .xyz .js .mjs .cjs .ts .mts .cts, and .py (OpenMMLab, read only)
`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** Split `--name value` options from positional arguments. */
function options(args: readonly string[]): {
  positional: string[];
  flags: Map<string, string[]>;
  json: boolean;
} {
  const positional: string[] = [];
  const flags = new Map<string, string[]>();
  let json = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--json') json = true;
    else if (arg.startsWith('--')) {
      const value = args[i + 1];
      if (value === undefined || value.startsWith('--')) {
        throw new AtoError('INVALID_ARGUMENT', `option ${arg} needs a value`, { location: { input: arg } });
      }
      flags.set(arg.slice(2), [...(flags.get(arg.slice(2)) ?? []), value]);
      i++;
    } else positional.push(arg);
  }
  return { positional, flags, json };
}

function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** A plain table: columns padded to their widest cell. */
function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return `${rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`;
}

const storeUrl = (flags: Map<string, string[]>) =>
  flags.get('db')?.[0] ?? process.env.ATO_DB ?? 'sqlite:///experiments.db';

async function runsCommand(args: readonly string[], out: (text: string) => void): Promise<void> {
  const { flags, json } = options(args);
  const { SQLFinder } = await import('../tracker/index.js');
  const finder = new SQLFinder(storeUrl(flags));
  try {
    const project = flags.get('project')?.[0];
    const status = flags.get('status') as import('../tracker/index.js').RunStatus[] | undefined;
    const tags = flags.get('tag');
    const runs = await finder.findRuns({
      ...(project ? { project } : {}),
      ...(status ? { status } : {}),
      ...(tags ? { tags } : {}),
    });
    if (json) {
      out(`${JSON.stringify(runs, null, 2)}\n`);
      return;
    }
    if (runs.length === 0) {
      out('no runs\n');
      return;
    }
    const rows = runs.map((r) => [
      String(r.id),
      r.project,
      r.status,
      r.tags.join(','),
      r.startedAt.toISOString().replace('T', ' ').slice(0, 19),
      formatDuration(r.durationMs),
      Object.values(r.metrics)
        .map((m) => `${m.key}=${Number(m.last.toPrecision(4))}`)
        .join(' '),
    ]);
    out(table([['id', 'project', 'status', 'tags', 'started', 'duration', 'metrics (last)'], ...rows]));
  } finally {
    await finder.close();
  }
}

async function showCommand(args: readonly string[], out: (text: string) => void): Promise<void> {
  const { positional, flags, json } = options(args);
  const id = Number(positional[0]);
  if (positional.length !== 1 || !Number.isSafeInteger(id)) {
    throw new AtoError('INVALID_ARGUMENT', '"ato show" takes one run id', {
      location: { input: positional.join(' ') || '(none)' },
      hint: 'usage: ato show <run> [--db URL]',
    });
  }
  const { SQLFinder } = await import('../tracker/index.js');
  const url = storeUrl(flags);
  const finder = new SQLFinder(url);
  try {
    const run = await finder.findRun(id);
    if (!run)
      throw new AtoError('KEY_NOT_FOUND', `no run ${id} in ${url}`, {
        location: { input: String(id) },
        hint: 'list the runs with "ato runs"',
      });
    if (json) {
      out(`${JSON.stringify(run, null, 2)}\n`);
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
        (a) =>
          `  ${a.path}  ${a.dataType ?? '-'}  ${a.size ?? '?'} bytes  ${a.sha256?.slice(0, 16) ?? 'no hash'}`,
      ),
    ];
    out(`${lines.join('\n')}\n`);
  } finally {
    await finder.close();
  }
}

/** Run the command line; returns the exit code. */
export async function main(
  argv: readonly string[],
  out: (text: string) => void,
  err: (text: string) => void,
): Promise<number> {
  const [command, ...args] = argv;
  const need = (count: number, usage: string): void => {
    if (args.length !== count) {
      throw new AtoError(
        'INVALID_ARGUMENT',
        `"ato ${command}" takes ${count} argument${count > 1 ? 's' : ''}`,
        {
          location: { input: argv.join(' ') },
          hint: `usage: ato ${command} ${usage}`,
        },
      );
    }
  };
  try {
    switch (command) {
      case 'runs':
        await runsCommand(args, out);
        return 0;
      case 'show':
        await showCommand(args, out);
        return 0;
      case 'print':
        need(1, '<config-file>');
        out(ADict.fromFile(args[0]!).toXyz());
        return 0;
      case 'convert':
        need(2, '<input> <output>');
        ADict.fromFile(args[0]!).dump(args[1]!);
        return 0;
      case 'hash':
        need(1, '<config-file>');
        out(`${ADict.fromFile(args[0]!).getStructuralHash()}\n`);
        return 0;
      case '--version':
      case '-v':
        out(`${version()}\n`);
        return 0;
      case undefined:
      case '--help':
      case '-h':
        out(HELP);
        return 0;
      default:
        throw new AtoError('INVALID_ARGUMENT', `unknown command "${command}"`, {
          location: { input: command },
          hint: 'run "ato --help" for the commands',
        });
    }
  } catch (error) {
    if (error instanceof AtoError) {
      err(`error: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

process.exitCode = await main(
  process.argv.slice(2),
  (text) => process.stdout.write(text),
  (text) => process.stderr.write(text),
);
