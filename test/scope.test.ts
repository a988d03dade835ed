import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ADict } from '../src/config/adict.js';
import type { AtoError } from '../src/errors.js';
import { MultiScope } from '../src/scope/multi-scope.js';
import { Scope, type ScopeOptions } from '../src/scope/scope.js';

class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/** A scope whose output is captured and whose exit throws. */
function captured(options: ScopeOptions = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io = {
    stdout: (t: string) => void out.push(t),
    stderr: (t: string) => void err.push(t),
    exit: (code: number): never => {
      throw new Exit(code);
    },
  };
  return { scope: new Scope({ ...options, io }), out, err, io };
}

function exitCode(fn: () => unknown): number {
  try {
    fn();
  } catch (error) {
    if (error instanceof Exit) return error.code;
    throw error;
  }
  throw new Error('expected an exit');
}

function demoScope(options: ScopeOptions = {}) {
  const { scope, out, err } = captured(options);
  scope.observe({ default: true }, function defaults(config) {
    config.lr = 0.001;
    config.model = 'resnet50';
    config.dataset = 'imagenet';
    config.batch_size = 32;
  });
  scope.observe({ priority: 1 }, function high_lr(config) {
    config.lr = 0.01;
  });
  scope.observe(function low_lr(config) {
    config.lr = 0.0001;
  });
  scope.observe(function base_setup(config) {
    config.nodes = 1;
    config.setup = ['base'];
  });
  scope.observe({ chainWith: 'base_setup' }, function gpu_setup(config) {
    config.setup = [...config.setup, 'gpu'];
    config.gpus = 8;
  });
  scope.observe({ chainWith: ['base_setup', 'gpu_setup'] }, function multi_node(config) {
    config.nodes = 4;
    config.setup = [...config.setup, 'multi'];
  });
  scope.observe({ lazy: true, default: true }, function derived(config) {
    if (config.dataset === 'cifar10') config.num_classes = 10;
  });
  scope.observe({ name: 'preset', config: { lr: 0.1, extra: { a: 1 } } });
  scope.manual({ lr: 'Learning rate for the optimizer', batch_size: 'Samples per batch' });
  return { scope, out, err };
}

describe('order of application', () => {
  it('defaults, then named views by priority (command-line order breaks ties), then assignments, then lazy', () => {
    const { scope } = demoScope();
    expect(scope.resolve([]).config.lr).toBe(0.001);
    // high_lr has priority 1, so it applies after low_lr whatever the command-line order
    expect(scope.resolve(['high_lr', 'low_lr']).config.lr).toBe(0.01);
    expect(scope.resolve(['low_lr', 'high_lr']).config.lr).toBe(0.01);
    // equal priorities: command-line order
    expect(scope.resolve(['low_lr', 'preset']).config.lr).toBe(0.1);
    expect(scope.resolve(['preset', 'low_lr']).config.lr).toBe(0.0001);
    // assignments beat views, whatever their position
    expect(scope.resolve(['lr=0.5', 'high_lr']).config.lr).toBe(0.5);
    // lazy views see the assignments
    expect(scope.resolve(['dataset=cifar10']).config.num_classes).toBe(10);
    expect(scope.resolve([]).config.has('num_classes')).toBe(false);
  });

  it('reports the applying order', () => {
    const { scope } = demoScope();
    expect(scope.resolve(['multi_node', 'high_lr']).order).toEqual([
      'defaults',
      'base_setup',
      'gpu_setup',
      'multi_node',
      'high_lr',
      '(CLI Inputs)',
      'derived',
    ]);
  });

  it('chainWith applies prerequisites first, recursively, each view once', () => {
    const { scope } = demoScope();
    const { config } = scope.resolve(['multi_node', 'gpu_setup']);
    expect(config.setup).toEqual(['base', 'gpu', 'multi']);
    expect(config.nodes).toBe(4);
  });

  it('a chainWith cycle or unknown prerequisite is an error naming the chain', () => {
    const { scope } = captured();
    scope.observe({ chainWith: 'b' }, function a() {});
    scope.observe({ chainWith: 'a' }, function b() {});
    scope.observe({ chainWith: 'nope' }, function c() {});
    expect(() => scope.resolve(['a'])).toThrow('chainWith cycle: a → b → a');
    expect(() => scope.resolve(['c'])).toThrow('unknown view "nope" in chain c → nope');
  });

  it('the initial config applies first; Scope.lazy blocks run after the assignments, before lazy views', () => {
    const seen: string[] = [];
    const { scope } = captured({ config: { lr: 1, tag: 'init' } });
    scope.observe({ default: true }, function defaults(config) {
      config.epochs = 10;
      Scope.lazy(() => {
        seen.push('block');
        config.steps = config.epochs * 100;
      });
    });
    scope.observe({ default: true, lazy: true }, function late(config) {
      seen.push('lazy view');
      config.total = config.steps + 1;
    });
    const { config } = scope.resolve(['epochs=3']);
    expect(config.toDict()).toEqual({ lr: 1, tag: 'init', epochs: 3, steps: 300, total: 301 });
    expect(seen).toEqual(['block', 'lazy view']);
    expect(() => Scope.lazy(() => {})).toThrow('Scope.lazy() was called outside a view');
  });

  it('a lazy view named on the command line applies after the assignments', () => {
    const { scope } = captured();
    scope.observe({ default: true }, function defaults(config) {
      config.width = 1;
    });
    scope.observe({ lazy: true }, function doubled(config) {
      config.width2 = config.width * 2;
    });
    expect(scope.resolve(['doubled', 'width=5']).config.width2).toBe(10);
  });
});

describe('assignments', () => {
  it('creates intermediate dicts; setting under a non-dict is an error', () => {
    const { scope } = demoScope();
    expect(scope.resolve(['optim.adam.beta1=0.9']).config.optim.adam.beta1).toBe(0.9);
    expect(() => scope.resolve(['lr.x=1'])).toThrow(/cannot set "lr.x": "lr" holds a number/);
  });

  it('accepts an optional config. prefix with one scope', () => {
    const { scope } = demoScope();
    expect(scope.resolve(['config.lr=0.2']).config.lr).toBe(0.2);
  });

  it('~key deletes; deleting a missing key is an error', () => {
    const { scope } = demoScope();
    expect(scope.resolve(['~model']).config.has('model')).toBe(false);
    expect(() => scope.resolve(['~nope'])).toThrow('cannot delete "nope": no such key');
  });

  it('strict scopes need +key for new keys and suggest close ones', () => {
    const { scope } = demoScope({ strict: true });
    expect(() => scope.resolve(['learning_rate=1'])).toThrow(
      '"learning_rate" is not a key of scope "config" (strict)',
    );
    try {
      scope.resolve(['batchsize=3']);
    } catch (error) {
      expect((error as AtoError).hint).toBe('did you mean "batch_size"?');
    }
    expect(scope.resolve(['+seed=1']).config.seed).toBe(1);
  });

  it('non-strict scopes set new keys and warn when one is close to an existing key', () => {
    const { scope } = captured();
    scope.observe({ default: true }, function defaults(config) {
      config.learning_rate = 0.1;
      config.batch_size = 8;
    });
    const resolution = scope.resolve(['lr=1', 'batchsize=3', 'seed=1']);
    expect(resolution.config.lr).toBe(1);
    expect(resolution.warnings).toEqual([
      '"lr" is a new key (lr=1); did you mean "learning_rate"?',
      '"batchsize" is a new key (batchsize=3); did you mean "batch_size"?',
    ]);
  });

  it('an unknown view lists the available ones, closest first', () => {
    const { scope } = demoScope();
    try {
      scope.resolve(['hi_lr']);
      expect.unreachable();
    } catch (error) {
      expect((error as AtoError).message).toContain('unknown view "hi_lr" in scope "config"');
      expect((error as AtoError).hint).toMatch(/^available views \(closest first\): high_lr, low_lr, /);
    }
  });

  it('unknown --flags are errors', () => {
    const { scope } = demoScope();
    expect(() => scope.resolve(['--verbose'])).toThrow('unknown option "--verbose"');
  });
});

describe('observe', () => {
  it('rejects duplicate and nameless views', () => {
    const { scope } = demoScope();
    expect(() => scope.observe(function defaults() {})).toThrow('already has a view named "defaults"');
    expect(() => scope.observe(() => {})).toThrow('a view needs a name');
    const named = scope.observe({ name: 'anon' }, () => {});
    expect(typeof named).toBe('function');
  });
});

describe('exec', () => {
  it('passes the config first and forwards arguments and the return value (also a Promise)', async () => {
    const { scope } = demoScope({ argv: ['high_lr'] });
    const train = scope.exec((config, epochs: number, name: string) => `${config.lr}:${epochs}:${name}`);
    expect(train(3, 'x')).toBe('0.01:3:x');
    const asyncTrain = scope.exec(async (config) => config.lr * 2);
    await expect(asyncTrain()).resolves.toBe(0.02);
    expect(scope.config?.lr).toBe(0.01);
  });

  it('resolves once, on the first call', () => {
    let calls = 0;
    const { scope } = captured({ argv: [] });
    scope.observe({ default: true }, function defaults(config) {
      calls++;
      config.a = 1;
    });
    const run = scope.exec((config) => config.a);
    run();
    run();
    expect(calls).toBe(1);
  });

  it('pause gives the function without config injection', () => {
    const { scope } = demoScope({ argv: [] });
    const train = scope.exec((config: ADict, x: number) => config.lr + x);
    expect(scope.pause(train)(new ADict({ lr: 1 }), 1)).toBe(2);
  });

  it('a bad command line prints the error and exits 2 before user code runs', () => {
    const { scope, err } = demoScope({ argv: ['layers=[1,', '2'] });
    let ran = false;
    const train = scope.exec(() => {
      ran = true;
    });
    expect(exitCode(() => train())).toBe(2);
    expect(ran).toBe(false);
    expect(err.join('')).toContain(
      'unbalanced "[": no closing "]" in argument "layers=[1, 2"\n  layers=[1, 2\n         ^',
    );
  });

  it('print prints the resolved config in XYZ and exits 0', () => {
    const { scope, out } = demoScope({ argv: ['high_lr', 'print'] });
    expect(exitCode(() => scope.exec(() => {})())).toBe(0);
    expect(out.join('')).toBe('lr: 0.01\nmodel: resnet50\ndataset: imagenet\nbatch_size: 32\n');
  });
});

describe('manual', () => {
  it('prints the applying order and the user manuals', () => {
    const { scope, out } = demoScope({ argv: ['manual'] });
    expect(exitCode(() => scope.exec(() => {})())).toBe(0);
    expect(out.join('')).toBe(
      [
        '--------------------------------------------------',
        '[Scope "config"]',
        '(The Applying Order of Views)',
        'defaults → (CLI Inputs) → derived',
        '',
        '(User Manuals)',
        'lr: Learning rate for the optimizer',
        'batch_size: Samples per batch',
        '--------------------------------------------------',
        '',
      ].join('\n'),
    );
  });

  it('with other tokens, also prints each value and the chain of sources that set it', () => {
    const { scope, out } = demoScope({ argv: ['high_lr', 'lr=0.5', 'manual'] });
    expect(exitCode(() => scope.exec(() => {})())).toBe(0);
    const text = out.join('');
    expect(text).toContain('defaults → high_lr → (CLI Inputs) → derived');
    expect(text).toContain('lr:         0.5  ← (CLI) lr=0.5  ← high_lr 0.01  ← defaults 0.001');
    expect(text).toContain('batch_size: 32  ← defaults 32');
  });

  it('accepts a function writing nested docs', () => {
    const { scope } = captured();
    scope.manual((m) => {
      m.optim.lr = 'Learning rate';
    });
    expect([...scope.manualEntries]).toEqual([['optim.lr', 'Learning rate']]);
  });
});

describe('schema (Standard Schema)', () => {
  const schemas = {
    valibot: v.object({ lr: v.pipe(v.number(), v.maxValue(1)), model: v.string() }),
    zod: z.object({ lr: z.number().max(1), model: z.string() }),
  };

  it.each(Object.entries(schemas))('%s: a valid config passes', (_, schema) => {
    const { scope } = demoScope({ schema });
    expect(scope.resolve([]).config.lr).toBe(0.001);
  });

  it.each(Object.entries(schemas))(
    '%s: a rejected value names the key, the value and its source',
    (_, schema) => {
      const { scope } = demoScope({ schema });
      try {
        scope.resolve(['lr=5']);
        expect.unreachable();
      } catch (error) {
        const message = (error as AtoError).message;
        expect(message).toContain('the config does not match the schema of scope "config"');
        expect(message).toMatch(/"lr": .*\(got 5, set by \(CLI\) lr=5\)/);
      }
      expect(() => scope.resolve(['model=[1]'])).toThrow(
        /"model": .*\(got \[1\], set by \(CLI\) model=\[1\]\)/,
      );
    },
  );

  it('schema defaults and transforms land in the config, traced to (schema)', () => {
    const { scope } = captured({ schema: z.object({ lr: z.number(), seed: z.number().default(7) }) });
    scope.observe({ default: true }, function defaults(config) {
      config.lr = 0.1;
    });
    const resolution = scope.resolve([]);
    expect(resolution.config.seed).toBe(7);
    expect(resolution.trace.get('seed')).toEqual([{ source: '(schema)', value: 7 }]);
  });
});

describe('MultiScope', () => {
  function scopes(argv: string[]) {
    const out: string[] = [];
    const io = {
      stdout: (t: string) => void out.push(t),
      stderr: () => {},
      exit: (code: number): never => {
        throw new Exit(code);
      },
    };
    const model = new Scope({ name: 'model', io });
    model.observe({ default: true }, function defaults(config) {
      config.lr = 0.1;
      config.backbone = 'resnet50';
    });
    model.observe(function big(config) {
      config.backbone = 'resnet152';
    });
    model.observe(function shared(config) {
      config.s = 1;
    });
    model.manual({ lr: 'model learning rate' });
    const data = new Scope({ name: 'data', io });
    data.observe({ default: true }, function defaults(config) {
      config.lr = 0.5;
      config.dataset = 'cifar10';
    });
    data.observe(function shared(config) {
      config.s = 2;
    });
    data.manual({ dataset: 'which data' });
    return { multi: new MultiScope(model, data, { argv, io }), out };
  }

  it('keeps keys apart and routes tokens by scope name', () => {
    const { multi } = scopes(['model.lr=0.2', 'data.dataset=imagenet', 'big']);
    const run = multi.exec(({ model, data }, x: number) => [
      model!.lr,
      data!.lr,
      data!.dataset,
      model!.backbone,
      x,
    ]);
    expect(run(1)).toEqual([0.2, 0.5, 'imagenet', 'resnet152', 1]);
  });

  it('names a view by scope when several scopes have it; ambiguity and missing prefixes are errors', () => {
    expect(scopes([]).multi.resolve(['data.shared']).get('data')!.config.s).toBe(2);
    expect(() => scopes([]).multi.resolve(['shared'])).toThrow(
      'view "shared" exists in several scopes: model, data',
    );
    expect(() => scopes([]).multi.resolve(['lr=1'])).toThrow('"lr" does not start with a scope name');
    expect(() => scopes([]).multi.resolve(['nope'])).toThrow('unknown view "nope"');
  });

  it('manual prints every scope, keys prefixed by scope name', () => {
    const { multi, out } = scopes(['manual']);
    expect(exitCode(() => multi.exec(() => {})())).toBe(0);
    const text = out.join('');
    expect(text).toContain('[Scope "model"]');
    expect(text).toContain('[Scope "data"]');
    expect(text).toContain('model.lr: model learning rate');
    expect(text).toContain('data.dataset: which data');
  });

  it('rejects two scopes with one name', () => {
    expect(() => new MultiScope(new Scope(), new Scope())).toThrow('two scopes are named "config"');
  });
});
