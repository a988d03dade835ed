/**
 * A real hyperparameter search over the demo model (the three-spirals MLP of `examples/train/`):
 * HyperBand over the grid of learning rate x hidden layers x batch size. Each generation trains the
 * survivors for more epochs (`computeOptimizedInitialTrainingSteps`), keeps the best third by
 * validation accuracy, and the best of the last generation is trained once more at full length.
 *
 *   npx tsx examples/search.ts                    the search (a few seconds)
 *   npx tsx examples/search.ts train.epochs=20    fewer epochs for the last generations
 */
import { Scope } from 'ato';
import { HyperBand } from 'ato/hyperopt';
import { defaults, setUpExperiment } from './train/experiment.js';
import { evaluate, iterateBatches, trainStep } from './train/model.js';

const scope = new Scope();

scope.observe({ default: true }, defaults);

// 3 x 3 x 3 = 27 configs on the grid
const searchSpaces = {
  optim: { lr: { param_type: 'FLOAT', param_range: [1e-3, 1e-1], num_samples: 3, space_type: 'LOG' } },
  model: { hidden: { param_type: 'CATEGORY', categories: [[16], [32, 32], [64, 64]] } },
  train: {
    batch_size: { param_type: 'INTEGER', param_range: [16, 128], num_samples: 3, space_type: 'LOG' },
  },
};

const hyperband = new HyperBand(scope, searchSpaces, { halvingRate: 0.34, numMinSamples: 2, mode: 'max' });

const search = hyperband.main(async (config) => {
  const epochs = hyperband.computeOptimizedInitialTrainingSteps(config.train.epochs)[config.__num_halved__]!;
  const { train, validation, model, optimizer, rng } = setUpExperiment(config);
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (const batch of iterateBatches(train, config.train.batch_size, rng))
      trainStep(model, optimizer, batch.x, batch.y, batch.size);
  }
  return evaluate(model, validation.x, validation.y, validation.n).accuracy;
});

const started = Date.now();
const { config, metric, logs } = await search();
const epochs = hyperband.computeOptimizedInitialTrainingSteps(config.train.epochs);
console.log(`grid: ${hyperband.grid.length} configs`);
console.log(`trials per generation: ${logs.map((generation) => generation.length).join(', ')}`);
console.log(`epochs per generation: ${epochs.join(', ')}`);
console.log(`best val_accuracy: ${metric.toFixed(4)}`);
console.log(`best config:\n${config.toXyz()}`);
console.log(`searched in ${((Date.now() - started) / 1000).toFixed(1)} s`);
