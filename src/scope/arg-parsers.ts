/**
 * A Scope beside an ordinary argument parser (commander, `util.parseArgs`):
 * - the parser's option defaults apply before the default views;
 * - options the user actually gave apply after the command-line assignments;
 * - the remaining positional tokens go through the scope grammar (views, `key=value`, ...);
 * - `manual`, `--help` and `-h` print the parser's help followed by the scope manual.
 *
 * An option's config key is its long name with `-` turned into `_` (`--batch-size` sets
 * `batch_size`, `--optim.lr` sets `optim.lr`). Unknown `--flags` are an error unless
 * `ignoreUnknownFlags` is set (then they are dropped with a warning).
 *
 * The parsers are typed only by the few members used here, so ato does not depend on them.
 * @module
 */
import { parseArgs } from 'node:util';
import { AtoError } from '../errors.js';

/** What an argument-parser adapter gives a Scope. */
export interface ParsedArguments {
  /** Option defaults, by config key (dotted keys allowed). */
  defaults: Record<string, unknown>;
  /** Options the user gave, by config key. */
  given: Record<string, unknown>;
  /** The remaining positional tokens, for the scope grammar. */
  positionals: string[];
  /** Warnings (ignored unknown flags). */
  warnings: string[];
}

/** The seam between a Scope and an argument parser. */
export interface ArgumentParserAdapter {
  /** Parse argv (without `manual`/`--help`, which the scope handles). */
  parse(argv: readonly string[]): ParsedArguments;
  /** The parser's help text, printed before the scope manual. */
  help(): string;
}

/** Options shared by the adapters. */
export interface AdapterOptions {
  /** Drop unknown `--flags` (with a warning) instead of failing. @default false */
  ignoreUnknownFlags?: boolean;
}

/** Config key of an option name: `--batch-size` → `batch_size`. */
export function optionKey(name: string): string {
  return name.replace(/^-+/, '').replace(/-/g, '_');
}

/** The members of a commander `Option` that the adapter uses. */
export interface CommanderOptionLike {
  long?: string | undefined;
  short?: string | undefined;
  attributeName(): string;
  defaultValue?: unknown;
}

/** The members of a commander `Command` that the adapter uses. */
export interface CommanderLike {
  options: readonly CommanderOptionLike[];
  args: string[];
  opts(): Record<string, unknown>;
  getOptionValueSource(key: string): string | undefined;
  parse(argv: readonly string[], options: { from: 'user' }): unknown;
  exitOverride(): unknown;
  allowUnknownOption(allow?: boolean): unknown;
  allowExcessArguments(allow?: boolean): unknown;
  helpOption(flags?: string | boolean): unknown;
  helpInformation(): string;
  configureOutput(output: {
    writeErr?: (text: string) => void;
    outputError?: (text: string, write: (t: string) => void) => void;
  }): unknown;
}

/**
 * Adapt a commander `Command` (its options must be declared; its action is not run).
 * @example
 * ```ts
 * const program = new Command().option('--epochs <n>', 'epochs', Number, 10);
 * const scope = new Scope({ parser: fromCommander(program) });
 * ```
 */
export function fromCommander(program: CommanderLike, options: AdapterOptions = {}): ArgumentParserAdapter {
  program.exitOverride();
  program.configureOutput({ writeErr: () => {}, outputError: () => {} }); // errors are reported once, as AtoErrors
  program.allowExcessArguments(true);
  program.helpOption(false);
  program.allowUnknownOption(options.ignoreUnknownFlags ?? false);
  return {
    help: () => program.helpInformation(),
    parse(argv) {
      try {
        program.parse(argv, { from: 'user' });
      } catch (cause) {
        const message = (cause as Error).message.replace(/^error: /, '');
        throw new AtoError('INVALID_ARGUMENT', message, {
          location: { input: argv.join(' ') },
          hint: 'see --help for the options',
          cause,
        });
      }
      const values = program.opts();
      const defaults: Record<string, unknown> = {};
      const given: Record<string, unknown> = {};
      for (const option of program.options) {
        if (!option.long) continue;
        const attribute = option.attributeName();
        const key = optionKey(option.long);
        if (option.defaultValue !== undefined) defaults[key] = option.defaultValue;
        const source = program.getOptionValueSource(attribute);
        if (source !== undefined && source !== 'default' && attribute in values)
          given[key] = values[attribute];
      }
      const warnings: string[] = [];
      const positionals = program.args.filter((arg) => {
        if (!arg.startsWith('-')) return true;
        warnings.push(`ignored unknown option "${arg}"`);
        return false;
      });
      return { defaults, given, positionals, warnings };
    },
  };
}

/** One option of `util.parseArgs`, as in its `options` config. */
export interface ParseArgsOptionLike {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  default?: string | boolean | string[] | boolean[];
  /** Help text for this option (ato's addition, printed by `--help`). */
  description?: string;
}

/**
 * Adapt `util.parseArgs` option definitions. String values of options are kept as strings, as
 * parseArgs gives them.
 * @param help text printed for `--help` (default: generated from the options)
 */
export function fromParseArgs(
  definitions: Record<string, ParseArgsOptionLike>,
  options: AdapterOptions & { help?: string } = {},
): ArgumentParserAdapter {
  const parseOptions = Object.fromEntries(
    Object.entries(definitions).map(([name, { description: _, ...rest }]) => [name, rest]),
  ) as Parameters<typeof parseArgs>[0] extends infer P
    ? P extends { options?: infer O }
      ? O
      : never
    : never;
  return {
    help: () =>
      options.help ??
      `Options:\n${Object.entries(definitions)
        .map(([name, d]) => {
          const flag = `${d.short ? `-${d.short}, ` : ''}--${name}${d.type === 'string' ? ' <value>' : ''}`;
          const extra = d.default !== undefined ? ` (default: ${JSON.stringify(d.default)})` : '';
          return `  ${flag.padEnd(28)}${d.description ?? ''}${extra}`;
        })
        .join('\n')}\n`,
    parse(argv) {
      let parsed: ReturnType<typeof parseArgs>;
      try {
        parsed = parseArgs({
          args: [...argv],
          options: parseOptions,
          allowPositionals: true,
          strict: !options.ignoreUnknownFlags,
          tokens: true,
        });
      } catch (cause) {
        throw new AtoError('INVALID_ARGUMENT', (cause as Error).message.split('\n')[0]!, {
          location: { input: argv.join(' ') },
          hint: 'see --help for the options',
          cause,
        });
      }
      const defaults: Record<string, unknown> = {};
      const given: Record<string, unknown> = {};
      const warnings: string[] = [];
      const seen = new Set<string>();
      for (const token of parsed.tokens ?? []) {
        if (token.kind !== 'option') continue;
        if (!Object.hasOwn(definitions, token.name))
          warnings.push(`ignored unknown option "${token.rawName}"`);
        else seen.add(token.name);
      }
      for (const [name, definition] of Object.entries(definitions)) {
        const value = (parsed.values as Record<string, unknown>)[name];
        if (seen.has(name)) given[optionKey(name)] = value;
        else if (definition.default !== undefined) defaults[optionKey(name)] = definition.default;
      }
      return { defaults, given, positionals: parsed.positionals, warnings };
    },
  };
}
