/**
 * The README's reproducibility example, run by the tests: static and runtime fingerprints through a
 * Scope, and the environment fingerprint.
 *
 *   npx tsx examples/reproducibility.ts
 */
import { fingerprintEnvironment, Scope } from 'ato';

const scope = new Scope();
scope.observe({ default: true }, function defaults(config) {
  config.seed = 0;
  config.lr = 0.01;
});

// Static fingerprint: the function's logic. Comments, formatting, its own name, renamed locals and
// TypeScript types do not change it; an operator, a constant, a called function or a branch does.
const trainStep = scope.trace(
  function trainStep(weights: number[], lr: number) {
    return weights.map((w) => w - lr * gradient(w)); // `gradient` is free: its name counts
  },
  { traceId: 'train_step', deps: [gradient] },
); // deps fold helpers' logic in

// Runtime fingerprint: what the function returned, canonically encoded (key order, Map/Set order
// do not matter; 0 and -0 do). `precision` rounds floats so harmless noise is not a change.
const evaluate = scope.runtimeTrace((weights: number[]) => weights.map((w) => w * 2), {
  traceId: 'predictions',
  inspectFn: (preds) => preds.slice(0, 100),
  initFn: () => seed(0),
  precision: 8,
});

const main = scope.exec((config) => {
  let weights = [0.5, -0.25];
  for (let i = 0; i < 10; i++) weights = trainStep(weights, config.lr);
  evaluate(weights);
  console.log(scope.fingerprints);
  // { train_step: { type: 'static', hash: '3f1c…' }, predictions: { type: 'runtime', hash: '9ab0…' } }
  console.log(fingerprintEnvironment());
  // { node, platform, arch, atoVersion, lockfile: { path, name, hash }, gitCommit, gitDirty, gitDiffHash, hash }
});
main();

function gradient(w: number) {
  return 2 * w;
}
function seed(_: number) {
  /* seed your random generators */
}
