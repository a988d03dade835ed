/**
 * MultiScope: several scopes resolved from one command line, each with its own keys, views and
 * priorities (`model.lr` and `data.lr` never collide).
 * @module
 */
import type { ADict } from '../config/adict.js';
import { AtoError } from '../errors.js';
import { rankAll } from './_similar.js';
import { type CliToken, parseArgv } from './cli-args.js';
import {
  processIO,
  type Resolution,
  renderManual,
  runCommandLine,
  type Scope,
  type ScopeIO,
} from './scope.js';

/** Options of the {@link MultiScope} constructor, given after the scopes. */
export interface MultiScopeOptions {
  /** Command-line tokens. @default process.argv.slice(2) */
  argv?: readonly string[];
  /** Output and exit. */
  io?: Partial<ScopeIO>;
}

/** The resolved configs of a MultiScope, keyed by scope name. */
export type MultiConfig = Record<string, ADict>;

/**
 * Several scopes on one command line. The first segment of an assignment picks the scope
 * (`data.dataset=imagenet`); a view is named `model.resnet`, or just `resnet` when only one scope
 * has a view of that name.
 *
 * @example
 * ```ts
 * const multi = new MultiScope(modelScope, dataScope);
 * const train = multi.exec(({ model, data }) => { ... });
 * ```
 */
export class MultiScope {
  /** The scopes, by name. */
  readonly scopes: ReadonlyMap<string, Scope<any>>;
  readonly #argv: readonly string[] | undefined;
  readonly #io: ScopeIO;
  #resolved: Map<string, Resolution<ADict>> | undefined;

  constructor(...args: (Scope<any> | MultiScopeOptions)[]) {
    const scopes = new Map<string, Scope<any>>();
    let options: MultiScopeOptions = {};
    for (const arg of args) {
      if ('resolveTokens' in arg) {
        if (scopes.has(arg.name)) {
          throw new AtoError('INVALID_ARGUMENT', `two scopes are named "${arg.name}"`, {
            hint: 'give each scope its own { name }',
          });
        }
        scopes.set(arg.name, arg);
      } else options = arg;
    }
    this.scopes = scopes;
    this.#argv = options.argv;
    this.#io = processIO(options.io);
  }

  /** Resolve every scope from the command line, without printing or exiting. */
  resolve(argv?: readonly string[]): Map<string, Resolution<ADict>> {
    const tokens = parseArgv(argv ?? this.#argv ?? process.argv.slice(2));
    const routed = new Map<string, CliToken[]>([...this.scopes.keys()].map((name) => [name, []]));
    const names = [...this.scopes.keys()];
    for (const token of tokens) {
      if (token.kind === 'command') {
        for (const list of routed.values()) list.push(token);
      } else if (token.kind === 'flag') {
        throw new AtoError('INVALID_ARGUMENT', `unknown option "${token.raw}"`, {
          location: { input: token.raw },
        });
      } else if (token.kind === 'view') {
        const [scopeName, target] = this.#routeView(token.name, token.raw);
        routed.get(scopeName)!.push({ ...token, name: target });
      } else {
        const [first, ...rest] = token.path;
        if (!this.scopes.has(first!) || rest.length === 0) {
          throw new AtoError(
            'INVALID_ARGUMENT',
            `"${token.path.join('.')}" does not start with a scope name`,
            {
              location: { input: token.raw },
              hint: `prefix the key with one of: ${rankAll(first!, names).join(', ')} (e.g. ${names[0]}.${token.path.join('.')})`,
            },
          );
        }
        routed.get(first!)!.push({ ...token, path: rest });
      }
    }
    const result = new Map<string, Resolution<ADict>>();
    for (const [name, scope] of this.scopes) result.set(name, scope.resolveTokens(routed.get(name)!));
    return result;
  }

  /**
   * Wrap a function that receives the resolved configs keyed by scope name, then the caller's
   * arguments (see {@link Scope.exec} for commands and errors).
   */
  exec<A extends unknown[], R>(fn: (configs: MultiConfig, ...args: A) => R): (...args: A) => R {
    return (...args: A): R => fn(this.#resolveForExec(), ...args);
  }

  /** The resolved configs, after the first call of an exec-wrapped function. */
  get configs(): MultiConfig | undefined {
    return this.#resolved
      ? Object.fromEntries([...this.#resolved].map(([k, r]) => [k, r.config]))
      : undefined;
  }

  /** The manual of every scope, with manual keys prefixed by the scope name. */
  renderManual(resolutions: Map<string, Resolution<ADict>>, withValues: boolean): string {
    return renderManual(
      [...this.scopes].map(([name, scope]) => ({ scope, resolution: resolutions.get(name)!, prefix: name })),
      withValues,
    );
  }

  #resolveForExec(): MultiConfig {
    this.#resolved ??= runCommandLine(
      this.#io,
      () => this.resolve(),
      (resolutions) => {
        const all = [...resolutions.values()];
        return {
          warnings: all.flatMap((r) => r.warnings),
          command: all[0]?.command,
          manual: () =>
            this.renderManual(
              resolutions,
              all.some((r) => r.hasOtherTokens),
            ),
          print: () =>
            [...resolutions]
              .map(([name, r]) => `${name}:\n${r.config.toXyz().replace(/^(?=.)/gm, '  ')}`)
              .join(''),
        };
      },
    );
    return this.configs!;
  }

  #routeView(name: string, raw: string): [string, string] {
    const dot = name.indexOf('.');
    if (dot > 0 && this.scopes.get(name.slice(0, dot))?.hasView(name.slice(dot + 1))) {
      return [name.slice(0, dot), name.slice(dot + 1)];
    }
    const owners = [...this.scopes].filter(([, scope]) => scope.hasView(name)).map(([n]) => n);
    if (owners.length === 1) return [owners[0]!, name];
    const all = [...this.scopes].flatMap(([n, scope]) => scope.viewNames.map((v) => `${n}.${v}`));
    if (owners.length > 1) {
      throw new AtoError(
        'INVALID_ARGUMENT',
        `view "${name}" exists in several scopes: ${owners.join(', ')}`,
        {
          location: { input: raw },
          hint: `name the scope: ${owners.map((o) => `${o}.${name}`).join(' or ')}`,
        },
      );
    }
    throw new AtoError('INVALID_ARGUMENT', `unknown view "${name}"`, {
      location: { input: raw },
      hint: `available views (closest first): ${rankAll(name, all).join(', ')}`,
    });
  }
}
