import { describe, expect, it } from 'vitest';
import { fingerprintValue } from '../src/fingerprint/runtime.js';
import { fingerprintFunction } from '../src/fingerprint/static.js';
import { Scope } from '../src/scope/scope.js';

describe('scope.trace and scope.runtimeTrace', () => {
  it('trace returns the function unchanged and records its static fingerprint once', () => {
    const scope = new Scope();
    function trainStep(a: number, b: number) {
      return a * b + 1;
    }
    const traced = scope.trace(trainStep, { traceId: 'train_step' });
    expect(traced).toBe(trainStep);
    expect(traced(2, 3)).toBe(7);
    expect(scope.fingerprints).toEqual({
      train_step: { type: 'static', hash: fingerprintFunction(trainStep) },
    });
    // the same function again is fine; another function under the same id is an error
    scope.trace(trainStep, { traceId: 'train_step' });
    expect(() => scope.trace((x: number) => x, { traceId: 'train_step' })).toThrow(
      'trace id "train_step" is already used',
    );
  });

  it('trace ids default to the function name; anonymous functions need one', () => {
    const scope = new Scope();
    const evaluate = (x: number) => x + 1;
    scope.trace(evaluate);
    expect(Object.keys(scope.fingerprints)).toEqual(['evaluate']);
    expect(() => scope.trace([(x: number) => x][0]!)).toThrow('an anonymous function needs a traceId');
  });

  it('deps fold helper logic into the fingerprint', () => {
    const helperA = (x: number) => x * 2;
    const helperB = (x: number) => x * 3;
    function step(x: number) {
      return x;
    }
    const a = new Scope().trace(step, { deps: [helperA] }) && fingerprintFunction(step, { deps: [helperA] });
    expect(a).not.toBe(fingerprintFunction(step, { deps: [helperB] }));
  });

  it('runtimeTrace calls initFn, returns the result unchanged and records what inspectFn picks', () => {
    const scope = new Scope();
    const calls: string[] = [];
    const predict = scope.runtimeTrace((data: number[]) => data.map((x) => x * 2), {
      traceId: 'predictions',
      inspectFn: (preds) => preds.slice(0, 2),
      initFn: () => calls.push('init'),
    });
    expect(predict([1, 2, 3])).toEqual([2, 4, 6]);
    expect(calls).toEqual(['init']);
    expect(scope.fingerprints.predictions).toEqual({ type: 'runtime', hash: fingerprintValue([2, 4]) });
  });

  it('runtimeTrace handles async functions and tells listeners of every fingerprint', async () => {
    const scope = new Scope();
    const seen: string[] = [];
    scope.onFingerprint((id, fp) => seen.push(`${id}:${fp.type}:${fp.hash.slice(0, 8)}`));
    const evaluate = scope.runtimeTrace(async (x: number) => ({ acc: x / 10 }), { traceId: 'eval' });
    await expect(evaluate(9)).resolves.toEqual({ acc: 0.9 });
    await evaluate(8);
    expect(seen).toEqual([
      `eval:runtime:${fingerprintValue({ acc: 0.9 }).slice(0, 8)}`,
      `eval:runtime:${fingerprintValue({ acc: 0.8 }).slice(0, 8)}`,
    ]);
    expect(scope.fingerprints.eval!.hash).toBe(fingerprintValue({ acc: 0.8 }));
  });

  it('precision tells harmless float noise from a real change', () => {
    const scope = new Scope();
    const noisy = scope.runtimeTrace((x: number) => x, { traceId: 'n', precision: 6 });
    noisy(0.1 + 0.2);
    const first = scope.fingerprints.n!.hash;
    noisy(0.3);
    expect(scope.fingerprints.n!.hash).toBe(first);
    noisy(0.31);
    expect(scope.fingerprints.n!.hash).not.toBe(first);
  });
});
