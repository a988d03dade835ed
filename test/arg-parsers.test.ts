import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { fromCommander, fromParseArgs, optionKey } from '../src/scope/arg-parsers.js';
import { Scope } from '../src/scope/scope.js';

function scopeWith(
  parser: Scope['resolve'] extends unknown ? ConstructorParameters<typeof Scope>[0] : never,
) {
  const scope = new Scope(parser);
  scope.observe({ default: true }, function defaults(config) {
    config.seen_epochs_in_defaults = config.epochs;
    config.epochs ??= 1;
    config.lr = 0.1;
  });
  scope.observe(function high_lr(config) {
    config.lr = 1;
  });
  return scope;
}

describe('commander', () => {
  const program = () =>
    new Command('train')
      .option('--epochs <n>', 'epochs', (v) => Number(v), 10)
      .option('--run-name <name>', 'run name')
      .option('--optim.momentum <m>', 'momentum', (v) => Number(v));

  it('defaults apply before the default views, given options after the assignments', () => {
    const scope = scopeWith({ parser: fromCommander(program()) });
    const r = scope.resolve([
      'high_lr',
      'epochs=3',
      '--epochs',
      '5',
      '--run-name',
      'x',
      '--optim.momentum',
      '0.9',
    ]);
    expect(r.config.seen_epochs_in_defaults).toBe(10);
    expect(r.config.epochs).toBe(5);
    expect(r.config.lr).toBe(1);
    expect(r.config.run_name).toBe('x');
    expect(r.config.optim.momentum).toBe(0.9);
    expect(r.trace.get('epochs')!.map((e) => e.source)).toEqual([
      '(parser defaults)',
      '(CLI) epochs=3',
      '(parser options)',
    ]);
  });

  it('without options given, the assignment wins over the default', () => {
    const scope = scopeWith({ parser: fromCommander(program()) });
    expect(scope.resolve(['epochs=3']).config.epochs).toBe(3);
  });

  it('unknown flags are an error by default and ignorable by option', () => {
    expect(() => scopeWith({ parser: fromCommander(program()) }).resolve(['--nope'])).toThrow(
      "unknown option '--nope'",
    );
    const r = scopeWith({ parser: fromCommander(program(), { ignoreUnknownFlags: true }) }).resolve([
      '--nope',
      'high_lr',
    ]);
    expect(r.config.lr).toBe(1);
    expect(r.warnings).toContain('ignored unknown option "--nope"');
  });

  it('--help prints the parser help, then the scope manual, and exits 0', () => {
    const out: string[] = [];
    const scope = new Scope({
      parser: fromCommander(program()),
      argv: ['--help'],
      io: {
        stdout: (t) => void out.push(t),
        exit: (code) => {
          throw new Error(`exit ${code}`);
        },
      },
    });
    scope.manual({ lr: 'Learning rate' });
    expect(() => scope.exec(() => {})()).toThrow('exit 0');
    const text = out.join('');
    expect(text.indexOf('Usage: train [options]')).toBe(0);
    expect(text.indexOf('[Scope "config"]')).toBeGreaterThan(text.indexOf('--epochs <n>'));
    expect(text).toContain('lr: Learning rate');
  });
});

describe('util.parseArgs', () => {
  const definitions = {
    epochs: { type: 'string', default: '10', description: 'epochs' },
    verbose: { type: 'boolean', short: 'v' },
  } as const;

  it('maps defaults and given options around the scope phases', () => {
    const scope = scopeWith({ parser: fromParseArgs(definitions) });
    const r = scope.resolve(['-v', 'high_lr', 'epochs=3']);
    expect(r.config.seen_epochs_in_defaults).toBe('10');
    expect(r.config.epochs).toBe(3);
    expect(r.config.verbose).toBe(true);
    expect(scope.resolve(['--epochs', '7']).config.epochs).toBe('7');
  });

  it('unknown flags: error by default, ignorable', () => {
    expect(() => scopeWith({ parser: fromParseArgs(definitions) }).resolve(['--nope'])).toThrow(
      "Unknown option '--nope'",
    );
    const r = scopeWith({ parser: fromParseArgs(definitions, { ignoreUnknownFlags: true }) }).resolve([
      '--nope',
    ]);
    expect(r.warnings).toEqual(['ignored unknown option "--nope"']);
    expect(r.config.has('nope')).toBe(false);
  });

  it('generates a help text from the definitions', () => {
    expect(fromParseArgs(definitions).help()).toBe(
      'Options:\n  --epochs <value>            epochs (default: "10")\n  -v, --verbose               \n',
    );
  });
});

it('optionKey turns dashes into underscores', () => {
  expect(optionKey('--batch-size')).toBe('batch_size');
  expect(optionKey('--optim.lr')).toBe('optim.lr');
});
