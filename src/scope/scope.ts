/**
 * Scope: named config functions ("views") merged in an explicit priority order, the command line,
 * lazy configs, and a trace of where every value came from.
 *
 * Order of application (the contract):
 * 1. the initial config given to the Scope, then `default: true` views, in ascending priority
 *    (registration order breaks ties);
 * 2. the views named on the command line, in ascending priority (command-line order breaks ties);
 *    each `chainWith` prerequisite is applied before the view that names it, recursively, each view
 *    at most once; a cycle or an unknown prerequisite is an error naming the chain;
 * 3. the command-line assignments (`key=value`, `+key=value`, `~key`), left to right;
 * 4. `Scope.lazy` blocks (in the order they were registered), then lazy views in ascending priority
 *    (a lazy view applies here whether it is `default: true` or named on the command line);
 * then the optional schema validates the result.
 * @module
 */
import { isDeepStrictEqual } from 'node:util';
import { ADict, type DictLike, observeWrites } from '../config/adict.js';
import { AtoError } from '../errors.js';
import { fingerprintValue, type ValueFingerprintOptions } from '../fingerprint/runtime.js';
import { fingerprintFunction } from '../fingerprint/static.js';
import { rankAll, suggest } from './_similar.js';
import type { ArgumentParserAdapter } from './arg-parsers.js';
import { type CliToken, parseArgv } from './cli-args.js';
import { formatCliValue } from './cli-values.js';
import type { StandardSchemaV1 } from './standard-schema.js';

/** A view: a function that writes into the config. */
export type ViewFunction<C = ADict> = (config: C) => void;

/** Options of {@link Scope.observe}. */
export interface ObserveOptions {
  /** The view's name on the command line. @default the function's name */
  name?: string;
  /** Apply without being named on the command line. @default false */
  default?: boolean;
  /** Higher applies later (wins) within its phase. @default 0 */
  priority?: number;
  /** Views applied before this one (recursively, each at most once). */
  chainWith?: string | readonly string[];
  /** Apply after the command-line assignments (phase 4). @default false */
  lazy?: boolean;
  /** A plain config to merge instead of a function (a named preset). */
  config?: DictLike;
}

/** Where output and exits go; replace for embedding and tests. */
export interface ScopeIO {
  /** Normal output (`manual`, `print`). @default process.stdout */
  stdout(text: string): void;
  /** Errors and warnings. @default process.stderr */
  stderr(text: string): void;
  /** End the process. @default process.exit */
  exit(code: number): never;
}

/** Options of the {@link Scope} constructor. */
export interface ScopeOptions {
  /** Name of the scope (the config's key in a MultiScope). @default 'config' */
  name?: string;
  /** Initial config, applied before everything else. */
  config?: DictLike;
  /**
   * Assigning a key that no view created is an error unless written `+key=value`. Without strict,
   * such a key is set, with a "did you mean" warning when it is close to an existing key.
   * @default false
   */
  strict?: boolean;
  /** A Standard Schema (zod, valibot, arktype, ...) that validates the resolved config. */
  schema?: StandardSchemaV1;
  /** Command-line tokens. @default process.argv.slice(2) */
  argv?: readonly string[];
  /** Output and exit. */
  io?: Partial<ScopeIO>;
  /**
   * An argument parser beside the scope (`fromCommander(program)`, `fromParseArgs(options)`): its
   * defaults apply before the default views, the options given after the command-line assignments,
   * and its remaining positionals go through the scope grammar.
   */
  parser?: ArgumentParserAdapter;
}

/** One step that set (or deleted) a key. */
export interface TraceEntry {
  /** `(initial)`, a view name, `name (lazy block)`, `(CLI) raw-token` or `(schema)`. */
  source: string;
  /** The value after this step (`undefined` when deleted). */
  value: unknown;
  /** True when this step deleted the key. */
  deleted?: boolean;
}

/** The result of resolving a scope. */
export interface Resolution<C = ADict> {
  /** The resolved config. */
  config: C;
  /** For every leaf key (dotted), the steps that set it, oldest first. */
  trace: Map<string, TraceEntry[]>;
  /** Names of the views applied, in order, with `(CLI Inputs)` where the assignments went. */
  order: string[];
  /** `manual` or `print` when the command line asked for it. */
  command: 'manual' | 'print' | undefined;
  /** True when the command line had tokens other than the command. */
  hasOtherTokens: boolean;
  /** Warnings produced while resolving ("did you mean"). */
  warnings: string[];
}

/** A recorded fingerprint: of a function's logic (`static`) or of what it returned (`runtime`). */
export interface Fingerprint {
  type: 'static' | 'runtime';
  /** SHA-256, lowercase hex. */
  hash: string;
}

/** Options of {@link Scope.trace}. */
export interface TraceOptions {
  /** Name of the trace. @default the function's name */
  traceId?: string;
  /** Helper functions whose logic is folded into this fingerprint. */
  deps?: readonly Function[];
}

/** Options of {@link Scope.runtimeTrace}. */
export interface RuntimeTraceOptions<R> extends ValueFingerprintOptions {
  /** Name of the trace. @default the function's name */
  traceId?: string;
  /** Pick what to fingerprint from the result (`(preds) => preds.slice(0, 100)`). @default the result */
  inspectFn?: (result: R) => unknown;
  /** Called before every call, e.g. to seed random generators. */
  initFn?: () => void;
}

interface View {
  name: string;
  fn: ((config: ADict) => void) | undefined;
  preset: DictLike | undefined;
  default: boolean;
  priority: number;
  chainWith: string[];
  lazy: boolean;
  order: number;
}

/** The queue of `Scope.lazy` blocks of the resolution in progress. */
let lazyQueue: { source: string; block: () => void }[] | undefined;
let currentView: string | undefined;

const CLI_MARK = '(CLI Inputs)';
const WRAPPED = Symbol('ato.scope.wrapped');

/** The default IO: the real process. */
export function processIO(io: Partial<ScopeIO> = {}): ScopeIO {
  return {
    stdout: io.stdout ?? ((text) => process.stdout.write(text)),
    stderr: io.stderr ?? ((text) => process.stderr.write(text)),
    exit: io.exit ?? ((code) => process.exit(code)),
  };
}

/**
 * A scope of named config functions.
 *
 * @example
 * ```ts
 * const scope = new Scope();
 * scope.observe({ default: true }, function defaults(config) { config.lr = 0.001; });
 * scope.observe(function high_lr(config) { config.lr = 0.01; });
 * const train = scope.exec((config) => console.log(config.lr));
 * train(); // `node train.js high_lr` prints 0.01; `node train.js lr=0.5` prints 0.5
 * ```
 */
export class Scope<T extends object = Record<string, any>> {
  /** The scope's name (`config` by default). */
  readonly name: string;
  /** Whether unknown keys need `+key=value`. */
  readonly strict: boolean;
  readonly #views = new Map<string, View>();
  readonly #manual = new Map<string, string>();
  readonly #initial: DictLike | undefined;
  readonly #schema: StandardSchemaV1 | undefined;
  readonly #argv: readonly string[] | undefined;
  readonly #io: ScopeIO;
  readonly #parser: ArgumentParserAdapter | undefined;
  readonly #fingerprints = new Map<string, Fingerprint>();
  readonly #fingerprintListeners = new Set<(traceId: string, fingerprint: Fingerprint) => void>();
  #resolved: Resolution<ADict & T> | undefined;

  constructor(options: ScopeOptions = {}) {
    this.#parser = options.parser;
    this.name = options.name ?? 'config';
    this.strict = options.strict ?? false;
    this.#initial = options.config;
    this.#schema = options.schema;
    this.#argv = options.argv;
    this.#io = processIO(options.io);
  }

  /**
   * Register a view. Returns the function, so it can still be called directly.
   * @throws {AtoError} `INVALID_ARGUMENT` for a duplicate or missing name
   */
  observe<F extends ViewFunction<ADict & T>>(fn: F): F;
  observe<F extends ViewFunction<ADict & T>>(options: ObserveOptions, fn: F): F;
  observe(options: ObserveOptions & { config: DictLike }): void;
  observe(a: ObserveOptions | ViewFunction<ADict & T>, b?: ViewFunction<ADict & T>): unknown {
    const options: ObserveOptions = typeof a === 'function' ? {} : a;
    const fn = typeof a === 'function' ? a : b;
    const name = options.name ?? fn?.name;
    if (!name) {
      throw new AtoError('INVALID_ARGUMENT', 'a view needs a name', {
        location: { input: `scope "${this.name}"` },
        hint: 'use a named function (function defaults(config) {...}) or pass { name }',
      });
    }
    if (!fn && !options.config) {
      throw new AtoError('INVALID_ARGUMENT', `view "${name}" has neither a function nor a config`, {
        location: { input: name },
      });
    }
    if (this.#views.has(name)) {
      throw new AtoError('INVALID_ARGUMENT', `scope "${this.name}" already has a view named "${name}"`, {
        location: { input: name },
        hint: 'give one of them another name with { name }',
      });
    }
    const chain =
      options.chainWith === undefined
        ? []
        : typeof options.chainWith === 'string'
          ? [options.chainWith]
          : [...options.chainWith];
    this.#views.set(name, {
      name,
      fn: fn as ((config: ADict) => void) | undefined,
      preset: options.config,
      default: options.default ?? false,
      priority: options.priority ?? 0,
      chainWith: chain,
      lazy: options.lazy ?? false,
      order: this.#views.size,
    });
    this.#resolved = undefined;
    return fn;
  }

  /**
   * Document keys for `manual`: `{ lr: 'Learning rate' }`, or a function that writes the docs into an
   * auto-nesting dict (`(m) => { m.optim.lr = 'Learning rate'; }`). Calls accumulate.
   */
  manual(docs: Record<string, unknown> | ((m: ADict) => void)): void {
    const dict = typeof docs === 'function' ? ADict.auto() : new ADict(docs);
    if (typeof docs === 'function') docs(dict);
    const walk = (node: ADict, prefix: string): void => {
      for (const [key, value] of node.entries()) {
        const path = prefix ? `${prefix}.${key}` : key;
        if (ADict.isADict(value)) walk(value, path);
        else this.#manual.set(path, String(value));
      }
    };
    walk(dict, '');
  }

  /** The documented keys, dotted, in documentation order. */
  get manualEntries(): ReadonlyMap<string, string> {
    return this.#manual;
  }

  /** Names of the registered views, in registration order. */
  get viewNames(): string[] {
    return [...this.#views.keys()];
  }

  /** True when a view of that name exists. */
  hasView(name: string): boolean {
    return this.#views.has(name);
  }

  /**
   * Defer a block until after the command-line assignments (phase 4). Call it inside a view:
   * `Scope.lazy(() => { if (config.dataset === 'cifar10') config.num_classes = 10; })`.
   * @throws {AtoError} when called outside a view that is being applied
   */
  static lazy(block: () => void): void {
    if (!lazyQueue) {
      throw new AtoError('INVALID_ARGUMENT', 'Scope.lazy() was called outside a view', {
        hint: 'call Scope.lazy(() => ...) inside a function registered with scope.observe',
      });
    }
    lazyQueue.push({ source: `${currentView ?? '?'} (lazy block)`, block });
  }

  /**
   * Resolve the config from command-line tokens (default: the `argv` option, else
   * `process.argv.slice(2)`), without printing or exiting. Errors are thrown.
   */
  resolve(argv?: readonly string[]): Resolution<ADict & T> {
    let items = argv ?? this.#argv ?? process.argv.slice(2);
    const extra: { before?: [string, DictLike][]; after?: [string, DictLike][] } = {};
    const parserWarnings: string[] = [];
    const helpTokens: CliToken[] = [];
    if (this.#parser) {
      // the scope owns manual/--help; the parser sees everything else
      helpTokens.push(
        ...items.filter(isHelp).map((raw) => ({ kind: 'command' as const, command: 'manual' as const, raw })),
      );
      const parsed = this.#parser.parse(items.filter((item) => !isHelp(item)));
      items = parsed.positionals;
      extra.before = [['(parser defaults)', fromDotted(parsed.defaults)]];
      extra.after = [['(parser options)', fromDotted(parsed.given)]];
      parserWarnings.push(...parsed.warnings);
    }
    const tokens = [...parseArgv(items), ...helpTokens];
    const flags = tokens.filter((t) => t.kind === 'flag');
    if (flags.length > 0) {
      throw new AtoError('INVALID_ARGUMENT', `unknown option "${flags[0]!.raw}"`, {
        location: { input: flags[0]!.raw },
        hint: 'a scope takes view names and key=value assignments; declare --flags in an argument parser (ScopeOptions.parser)',
      });
    }
    const resolution = this.resolveTokens(
      tokens.map((t) =>
        t.kind === 'assign' || t.kind === 'delete' ? stripPrefix(t, this.name, this.#initial) : t,
      ),
      extra,
    );
    resolution.warnings.unshift(...parserWarnings);
    return resolution;
  }

  /**
   * Resolve from already-parsed tokens (used by MultiScope and argument-parser integrations).
   * @param extra `before`: applied right after the initial config; `after`: right after the
   *   command-line assignments (each with its source label)
   */
  resolveTokens(
    tokens: readonly CliToken[],
    extra: { before?: [string, DictLike][]; after?: [string, DictLike][] } = {},
  ): Resolution<ADict & T> {
    const commandToken = tokens.find((t) => t.kind === 'command');
    const command = commandToken?.kind === 'command' ? commandToken.command : undefined;
    const named = tokens.filter((t): t is Extract<CliToken, { kind: 'view' }> => t.kind === 'view');
    for (const token of named) this.#requireView(token.name, token.raw);

    const recorder = new TraceRecorder();
    const config = new ADict() as ADict & T;
    const order: string[] = [];
    const warnings: string[] = [];
    const applied = new Set<string>();
    const lazyViews: View[] = [];

    const apply = (view: View, chain: string[]): void => {
      if (applied.has(view.name)) return;
      if (chain.includes(view.name)) {
        throw new AtoError('INVALID_ARGUMENT', `chainWith cycle: ${[...chain, view.name].join(' → ')}`, {
          location: { input: view.name },
          hint: 'remove one of the chainWith links',
        });
      }
      for (const prerequisite of view.chainWith) {
        const next = this.#views.get(prerequisite);
        if (!next) {
          throw new AtoError(
            'INVALID_ARGUMENT',
            `unknown view "${prerequisite}" in chain ${[...chain, view.name, prerequisite].join(' → ')}`,
            {
              location: { input: view.name },
              hint: `available views: ${rankAll(prerequisite, this.#views.keys()).join(', ')}`,
            },
          );
        }
        apply(next, [...chain, view.name]);
      }
      applied.add(view.name);
      order.push(view.name);
      recorder.step(config, view.name, () => this.#run(view, config));
    };

    const outer = { queue: lazyQueue, view: currentView };
    lazyQueue = [];
    try {
      // 1. initial config, then default views
      if (this.#initial) recorder.step(config, '(initial)', () => config.update(this.#initial!));
      for (const [source, values] of extra.before ?? [])
        recorder.step(config, source, () => config.update(values));
      const byPriority = (a: View, b: View) => a.priority - b.priority;
      for (const view of [...this.#views.values()]
        .filter((v) => v.default)
        .sort((a, b) => byPriority(a, b) || a.order - b.order)) {
        if (view.lazy) lazyViews.push(view);
        else apply(view, []);
      }
      // 2. named views
      const chosen = named.map((t, i) => ({ view: this.#views.get(t.name)!, i }));
      chosen.sort((a, b) => byPriority(a.view, b.view) || a.i - b.i);
      for (const { view } of chosen) {
        if (view.lazy) {
          if (!lazyViews.includes(view)) lazyViews.push(view);
        } else apply(view, []);
      }
      // 3. command-line assignments
      order.push(CLI_MARK);
      for (const token of tokens) {
        if (token.kind === 'assign') {
          this.#checkAssignment(config, token, warnings);
          recorder.step(config, `(CLI) ${token.raw}`, () => assign(config, token));
        } else if (token.kind === 'delete') {
          if (!config.hasPath(token.path)) {
            throw new AtoError('KEY_NOT_FOUND', `cannot delete "${token.path.join('.')}": no such key`, {
              location: { input: token.raw },
              hint: suggestionHint(token.path, config) ?? 'check the key with the "print" command',
            });
          }
          recorder.step(config, `(CLI) ${token.raw}`, () => config.deletePath(token.path));
        }
      }
      for (const [source, values] of extra.after ?? [])
        recorder.step(config, source, () => config.update(values));
      // 4. lazy blocks, then lazy views
      for (let i = 0; i < lazyQueue.length; i++) {
        const { source, block } = lazyQueue[i]!;
        recorder.step(config, source, block);
      }
      lazyViews.sort((a, b) => byPriority(a, b) || a.order - b.order);
      for (const view of lazyViews) apply(view, []);
    } finally {
      lazyQueue = outer.queue;
      currentView = outer.view;
    }
    if (this.#schema) this.#validate(config, recorder);
    config.resetAccessTracking();
    const resolution: Resolution<ADict & T> = {
      config,
      trace: recorder.trace,
      order,
      command,
      hasOtherTokens: tokens.some((t) => t.kind !== 'command'),
      warnings,
    };
    return resolution;
  }

  /**
   * Wrap a function so that its first call resolves the config (reading the command line) and every
   * call receives the config first, then the caller's arguments. `manual`/`--help` and `print` print
   * and exit 0; a bad command line prints the error and exits 2 before any user code runs.
   */
  exec<A extends unknown[], R>(fn: (config: ADict & T, ...args: A) => R): (...args: A) => R {
    const wrapper = (...args: A): R => fn(this.#resolveForExec(), ...args);
    Object.defineProperty(wrapper, WRAPPED, { value: fn });
    Object.defineProperty(wrapper, 'name', { value: fn.name });
    return wrapper;
  }

  /**
   * The function behind an {@link Scope.exec} wrapper, to call without injecting the config
   * (`scope.pause(train)(myConfig, ...args)`: no command line is read, nothing is resolved).
   * @throws {AtoError} `INVALID_ARGUMENT` when `fn` was not made by `exec`
   */
  pause<A extends unknown[], R>(fn: (...args: A) => R): (config: ADict & T, ...args: A) => R {
    const inner = (fn as unknown as Record<symbol, unknown>)[WRAPPED];
    if (typeof inner !== 'function') {
      throw new AtoError(
        'INVALID_ARGUMENT',
        `pause() needs a function returned by exec(); "${fn.name || 'anonymous'}" is not one`,
        {
          hint: 'call the function directly: it is not wrapped',
        },
      );
    }
    return inner as (config: ADict & T, ...args: A) => R;
  }

  /**
   * Record the static fingerprint of `fn`'s logic (computed once, now) and return `fn` unchanged.
   * Comments, formatting and names of locals do not change it; a change of logic does.
   * @example
   * ```ts
   * const trainStep = scope.trace(function trainStep(model, batch) { ... }, { traceId: 'train_step' });
   * ```
   * @throws {AtoError} for an anonymous function without `traceId`, a native or bound function, or
   *   a trace id already used by a different function
   */
  trace<F extends Function>(fn: F, options: TraceOptions = {}): F {
    const traceId = this.#traceId(fn, options.traceId);
    const hash = fingerprintFunction(fn, options.deps ? { deps: [...options.deps] } : {});
    const existing = this.#fingerprints.get(traceId);
    if (existing && (existing.type !== 'static' || existing.hash !== hash)) {
      throw new AtoError(
        'INVALID_ARGUMENT',
        `trace id "${traceId}" is already used by another ${existing.type} trace`,
        {
          location: { input: traceId },
          hint: 'give each traced function its own traceId',
        },
      );
    }
    this.#record(traceId, { type: 'static', hash });
    return fn;
  }

  /**
   * Wrap `fn` so that every call runs `initFn` (if given), calls `fn`, records the runtime fingerprint
   * of `inspectFn(result)` (or of the result; for a Promise, of what it resolves to) and returns the
   * result unchanged. The latest call's fingerprint is kept; listeners see every one.
   */
  runtimeTrace<A extends unknown[], R>(
    fn: (...args: A) => R,
    options: RuntimeTraceOptions<Awaited<R>> = {},
  ): (...args: A) => R {
    const traceId = this.#traceId(fn, options.traceId);
    const precision = options.precision === undefined ? {} : { precision: options.precision };
    const record = (result: Awaited<R>): void => {
      const inspected = options.inspectFn ? options.inspectFn(result) : result;
      this.#record(traceId, { type: 'runtime', hash: fingerprintValue(inspected, precision) });
    };
    const wrapper = (...args: A): R => {
      options.initFn?.();
      const result = fn(...args);
      if (result instanceof Promise) {
        return result.then((value: Awaited<R>) => {
          record(value);
          return value;
        }) as R;
      }
      record(result as Awaited<R>);
      return result;
    };
    Object.defineProperty(wrapper, 'name', { value: fn.name });
    return wrapper;
  }

  /** Every fingerprint recorded so far, by trace id. */
  get fingerprints(): Record<string, Fingerprint> {
    return Object.fromEntries([...this.#fingerprints].map(([id, fp]) => [id, { ...fp }]));
  }

  /** Be told of every fingerprint as it is recorded (the tracker stores them). Returns an unsubscribe function. */
  onFingerprint(listener: (traceId: string, fingerprint: Fingerprint) => void): () => void {
    this.#fingerprintListeners.add(listener);
    return () => this.#fingerprintListeners.delete(listener);
  }

  #traceId(fn: Function, traceId: string | undefined): string {
    const id = traceId ?? (fn.name && !fn.name.startsWith('bound ') ? fn.name : undefined);
    if (!id) {
      throw new AtoError('INVALID_ARGUMENT', 'an anonymous function needs a traceId', {
        hint: "pass { traceId: 'name' }: the id must stay the same when the code changes, so it cannot come from the code",
      });
    }
    return id;
  }

  #record(traceId: string, fingerprint: Fingerprint): void {
    this.#fingerprints.set(traceId, fingerprint);
    for (const listener of this.#fingerprintListeners) listener(traceId, { ...fingerprint });
  }

  /** The resolved config (after the first call of an exec-wrapped function), else `undefined`. */
  get config(): (ADict & T) | undefined {
    return this.#resolved?.config;
  }

  /** The last resolution (config, trace, order), else `undefined`. */
  get resolution(): Resolution<ADict & T> | undefined {
    return this.#resolved;
  }

  #resolveForExec(): ADict & T {
    this.#resolved ??= runCommandLine(
      this.#io,
      () => this.resolve(),
      (resolution) => ({
        warnings: resolution.warnings,
        command: resolution.command,
        manual: () =>
          (this.#parser ? `${this.#parser.help().trimEnd()}\n\n` : '') +
          renderManual([{ scope: this, resolution }], resolution.hasOtherTokens),
        print: () => resolution.config.toXyz(),
      }),
    );
    return this.#resolved.config;
  }

  #requireView(name: string, raw: string): void {
    if (this.#views.has(name)) return;
    const available = rankAll(name, this.#views.keys());
    throw new AtoError('INVALID_ARGUMENT', `unknown view "${name}" in scope "${this.name}"`, {
      location: { input: raw },
      hint: available.length
        ? `available views (closest first): ${available.join(', ')}`
        : 'this scope has no views',
    });
  }

  #run(view: View, config: ADict): void {
    const previous = currentView;
    currentView = view.name;
    try {
      if (view.preset) config.update(view.preset);
      view.fn?.(config);
    } finally {
      currentView = previous;
    }
  }

  #checkAssignment(config: ADict, token: Extract<CliToken, { kind: 'assign' }>, warnings: string[]): void {
    if (config.hasPath(token.path) || token.plus) return;
    const key = token.path.join('.');
    const hint = suggestionHint(token.path, config);
    if (this.strict) {
      throw new AtoError('KEY_NOT_FOUND', `"${key}" is not a key of scope "${this.name}" (strict)`, {
        location: { input: token.raw },
        hint: hint ?? `write +${token.raw} to add a new key`,
      });
    }
    if (hint) warnings.push(`"${key}" is a new key (${token.raw}); ${hint}`);
  }

  #validate(config: ADict, recorder: TraceRecorder): void {
    const result = this.#schema!['~standard'].validate(config.toDict());
    if (result instanceof Promise) {
      throw new AtoError(
        'INVALID_ARGUMENT',
        'the scope schema validates asynchronously, which a config resolution cannot wait for',
        {
          hint: 'use a synchronous schema (no async refinements)',
        },
      );
    }
    if (result.issues) {
      const lines = result.issues.map((issue) => {
        const path = (issue.path ?? [])
          .map((p) => String(typeof p === 'object' && p !== null && 'key' in p ? p.key : p))
          .join('.');
        const actual = path ? config.getPath(path) : config.toDict();
        const sources = recorder.trace.get(path);
        const source = sources?.[sources.length - 1]?.source;
        return `"${path || '(root)'}": ${issue.message} (got ${formatCliValue(actual)}${source ? `, set by ${source}` : ''})`;
      });
      throw new AtoError(
        'INVALID_ARGUMENT',
        `the config does not match the schema of scope "${this.name}":\n  ${lines.join('\n  ')}`,
        {
          location: { input: `scope "${this.name}"` },
          hint: 'fix the value on the command line or in the view that set it',
        },
      );
    }
    const output = result.value;
    if (output && typeof output === 'object' && !isDeepStrictEqual(output, config.toDict())) {
      recorder.step(config, '(schema)', () => config.update(output as DictLike));
    }
  }
}

/** What {@link runCommandLine} needs to know about a resolution. */
export interface CommandLineOutcome {
  warnings: readonly string[];
  command: 'manual' | 'print' | undefined;
  manual(): string;
  print(): string;
}

/**
 * Resolve for an exec wrapper: a bad command line prints the error and exits 2; warnings go to
 * stderr; `manual` and `print` print and exit 0; otherwise the resolution is returned.
 */
export function runCommandLine<R>(
  io: ScopeIO,
  resolve: () => R,
  describe: (resolution: R) => CommandLineOutcome,
): R {
  let resolution: R;
  try {
    resolution = resolve();
  } catch (error) {
    if (error instanceof AtoError) {
      io.stderr(`error: ${error.message}\n`);
      return io.exit(2);
    }
    throw error;
  }
  const outcome = describe(resolution);
  for (const warning of outcome.warnings) io.stderr(`warning: ${warning}\n`);
  if (outcome.command) {
    io.stdout(outcome.command === 'manual' ? outcome.manual() : outcome.print());
    return io.exit(0);
  }
  return resolution;
}

function isHelp(item: string): boolean {
  return item === 'manual' || item === '--help' || item === '-h';
}

/** A dict from dotted keys (`{ 'optim.lr': 0.1 }` → `{ optim: { lr: 0.1 } }`). */
function fromDotted(values: Record<string, unknown>): ADict {
  const dict = new ADict();
  for (const [key, value] of Object.entries(values)) dict.setPath(key, value);
  return dict;
}

function suggestionHint(path: readonly string[], config: ADict): string | undefined {
  const parent = path.length > 1 ? config.getPath(path.slice(0, -1)) : config;
  const siblings = ADict.isADict(parent) ? parent.keys() : [];
  const last = path[path.length - 1]!;
  const close = suggest(last, siblings);
  if (close.length === 0) return undefined;
  const prefix = path.slice(0, -1).join('.');
  return `did you mean ${close.map((c) => `"${prefix ? `${prefix}.` : ''}${c}"`).join(' or ')}?`;
}

function assign(config: ADict, token: Extract<CliToken, { kind: 'assign' }>): void {
  try {
    config.setPath(token.path, token.value);
  } catch (error) {
    if (error instanceof AtoError && error.code === 'NOT_A_DICT') {
      throw new AtoError('NOT_A_DICT', error.detail, {
        location: { input: token.raw },
        hint: error.hint ?? '',
        cause: error,
      });
    }
    throw error;
  }
}

/** With one scope, `config.lr=0.1` means `lr=0.1` (unless the config has a top-level key `config`). */
function stripPrefix(token: CliToken, scopeName: string, initial: DictLike | undefined): CliToken {
  if (
    (token.kind === 'assign' || token.kind === 'delete') &&
    token.path.length > 1 &&
    token.path[0] === scopeName
  ) {
    const hasKey =
      initial !== undefined &&
      (ADict.isADict(initial)
        ? initial.has(scopeName)
        : initial instanceof Map
          ? initial.has(scopeName)
          : Object.hasOwn(initial, scopeName));
    if (!hasKey) return { ...token, path: token.path.slice(1) };
  }
  return token;
}

const MISSING = Symbol('missing');

/**
 * Records, step by step, which leaves each step changed. ADict reports the keys a step wrote, so
 * only those subtrees are read again; list leaves are compared after every step, since lists can
 * change in place.
 */
class TraceRecorder {
  readonly trace = new Map<string, TraceEntry[]>();
  /** Leaf path → value (lists as plain copies). */
  readonly #snapshot = new Map<string, unknown>();
  /** Paths of the non-empty dicts in the snapshot. */
  readonly #dicts = new Set<string>();
  /** Paths of the list leaves in the snapshot. */
  readonly #lists = new Set<string>();

  step(config: ADict, source: string, run: () => void): void {
    const written = new Set<string>();
    const stop = observeWrites((dictPath, key) =>
      written.add(key === undefined ? dictPath : dictPath ? `${dictPath}.${key}` : key),
    );
    try {
      run();
    } finally {
      stop();
    }
    const sorted = [...written].sort();
    const roots = sorted.filter(
      (p, i) => i === 0 || !sorted.slice(0, i).some((q) => q === '' || p.startsWith(`${q}.`)),
    );
    for (const prefix of roots) this.#refresh(config, prefix, source);
    for (const path of this.#lists) {
      if (roots.some((r) => r === '' || path === r || path.startsWith(`${r}.`))) continue;
      const now = readPath(config, path);
      if (Array.isArray(now) && !sameLeaf(this.#snapshot.get(path), now))
        this.#set(path, plainCopy(now), source);
    }
  }

  /** Read the subtree at `prefix` again and record what differs from the snapshot. */
  #refresh(config: ADict, prefix: string, source: string): void {
    const node = prefix ? readPath(config, prefix) : config;
    const next = new Map<string, unknown>();
    const dicts = new Set<string>();
    if (ADict.isADict(node)) flattenInto(node, prefix, next, dicts);
    else if (node !== MISSING) next.set(prefix, Array.isArray(node) ? plainCopy(node) : node);
    const under = (path: string) => prefix === '' || path === prefix || path.startsWith(`${prefix}.`);
    if (prefix === '' || this.#dicts.has(prefix)) {
      for (const path of [...this.#snapshot.keys()])
        if (under(path) && !next.has(path)) this.#remove(path, source);
      for (const path of [...this.#dicts]) if (under(path)) this.#dicts.delete(path);
    } else if (this.#snapshot.has(prefix) && !next.has(prefix)) {
      this.#remove(prefix, source);
    }
    for (const path of dicts) this.#dicts.add(path);
    for (const [path, value] of next) {
      if (!this.#snapshot.has(path) || !sameLeaf(this.#snapshot.get(path), value))
        this.#set(path, value, source);
    }
  }

  #set(path: string, value: unknown, source: string): void {
    this.#snapshot.set(path, value);
    if (Array.isArray(value)) this.#lists.add(path);
    else this.#lists.delete(path);
    this.#push(path, { source, value });
  }

  #remove(path: string, source: string): void {
    this.#snapshot.delete(path);
    this.#lists.delete(path);
    this.#push(path, { source, value: undefined, deleted: true });
  }

  #push(path: string, entry: TraceEntry): void {
    const list = this.trace.get(path);
    if (list) list.push(entry);
    else this.trace.set(path, [entry]);
  }
}

/** The value at a dotted path, or MISSING. */
function readPath(config: ADict, path: string): unknown {
  let node: unknown = config;
  for (const key of path.split('.')) {
    if (!ADict.isADict(node) || !node.has(key)) return MISSING;
    node = node.get(key);
  }
  return node;
}

function sameLeaf(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameLeaf(a[i], b[i])) return false;
    return true;
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return isDeepStrictEqual(a, b);
}

/**
 * Leaves of `node` by dotted path (under `prefix`), lists copied as plain data so in-place changes
 * are seen; the paths of non-empty dicts go to `dicts`.
 */
function flattenInto(node: ADict, prefix: string, out: Map<string, unknown>, dicts: Set<string>): void {
  if (prefix && isEmpty(node)) {
    out.set(prefix, {});
    return;
  }
  if (prefix) dicts.add(prefix);
  for (const [key, value] of node) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (ADict.isADict(value)) flattenInto(value, path, out, dicts);
    else out.set(path, Array.isArray(value) ? plainCopy(value) : value);
  }
}

function isEmpty(dict: ADict): boolean {
  for (const _ of dict) return false;
  return true;
}

function plainCopy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plainCopy);
  if (ADict.isADict(value)) return value.toDict();
  return value;
}

/** One scope's part of a manual. */
export interface ManualSection {
  scope: Scope<any>;
  resolution: Resolution<ADict>;
  /** Prefix for manual keys (the scope name in a MultiScope). */
  prefix?: string;
}

const RULE = '-'.repeat(50);

/**
 * Render the manual: per scope, between dashed lines, the applying order and the user manuals; with
 * `withValues`, also every key's final value and the chain of sources that set it, newest first.
 */
export function renderManual(sections: readonly ManualSection[], withValues: boolean): string {
  const out: string[] = [];
  for (const { scope, resolution, prefix } of sections) {
    out.push(
      RULE,
      `[Scope "${scope.name}"]`,
      '(The Applying Order of Views)',
      resolution.order.join(' → '),
      '',
      '(User Manuals)',
    );
    if (scope.manualEntries.size === 0) out.push('(none)');
    for (const [key, text] of scope.manualEntries) out.push(`${prefix ? `${prefix}.` : ''}${key}: ${text}`);
    if (withValues) {
      out.push('', '(Values and Where They Came From)');
      const width = Math.max(
        0,
        ...[...resolution.trace.keys()].map((k) => k.length + (prefix ? prefix.length + 1 : 0)),
      );
      for (const [key, entries] of resolution.trace) {
        const last = entries[entries.length - 1]!;
        if (last.deleted) continue;
        const chain = [...entries]
          .reverse()
          .map((e) =>
            e.source.startsWith('(CLI)')
              ? e.source
              : e.deleted
                ? `${e.source} (deleted)`
                : `${e.source} ${formatCliValue(e.value)}`,
          );
        const label = `${prefix ? `${prefix}.` : ''}${key}:`;
        out.push(`${label.padEnd(width + 1)} ${formatCliValue(last.value)}  ← ${chain.join('  ← ')}`);
      }
    }
    out.push(RULE);
  }
  return `${out.join('\n')}\n`;
}
