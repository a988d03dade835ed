#!/usr/bin/env node
/**
 * The `ato` command. Today: config files (print, convert, structural hash). The tracker, search and
 * dashboard issues add their commands here, as thin layers over the same library functions.
 * @module
 */
import { readFileSync } from 'node:fs';
import { ADict, AtoError } from '../index.js';
import { STUDY_COMMANDS, STUDY_HELP } from './study-commands.js';
import { TRACKER_COMMANDS, TRACKER_HELP } from './tracker-commands.js';

const HELP = `Usage: ato <command> [arguments]

Commands over a store:
${TRACKER_HELP}
${STUDY_HELP}

Commands over config files:
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
      default: {
        const handler =
          command === undefined ? undefined : (TRACKER_COMMANDS[command] ?? STUDY_COMMANDS[command]);
        if (
          handler &&
          (Object.hasOwn(TRACKER_COMMANDS, command!) || Object.hasOwn(STUDY_COMMANDS, command!))
        ) {
          return await handler(args, { out, err, isTTY: process.stdout.isTTY === true });
        }
        throw new AtoError('INVALID_ARGUMENT', `unknown command "${command}"`, {
          location: { input: command },
          hint: 'run "ato --help" for the commands',
        });
      }
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
