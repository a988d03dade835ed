/**
 * The ato demo (`npm run demo`): a real, tracked experiment. A small neural network learns the
 * three-spirals problem in pure TypeScript; the config comes from a Scope, the training step's code
 * is fingerprinted, the validation predictions are fingerprinted, and every step's metrics go into
 * `experiments.db` (SQLite, no server).
 *
 *   npx tsx examples/demo.ts                       the default config
 *   npx tsx examples/demo.ts sgd train.epochs=10   a named view and a command-line value
 *   npx tsx examples/demo.ts linear                a linear model: watch it fail to learn spirals
 *   npx tsx examples/demo.ts manual                what each value is and where it came from
 */
import { Scope } from 'ato';
import { SQLFinder, SQLLogger } from 'ato/tracker';
import { defaults, setUpExperiment } from './train/experiment.js';
import { evaluate, iterateBatches, trainStep, trainStepDeps } from './train/model.js';

const scope = new Scope();

scope.observe({ default: true }, defaults);
scope.observe(function sgd(config) {
  config.optim = { name: 'sgd', lr: 0.05, momentum: 0.9 };
});
scope.observe(function linear(config) {
  config.model.hidden = [];
});
scope.observe(function quick(config) {
  config.train.epochs = 5;
});
scope.manual({
  seed: 'Seed of the data, the initial weights and the batch order',
  'model.hidden': 'Sizes of the hidden layers ([] is a linear model)',
  'optim.lr': 'Learning rate',
  'train.epochs': 'Passes over the training set',
});

// The training step's logic (and its helpers') is fingerprinted once; the predictions every epoch.
const step = scope.trace(trainStep, { traceId: 'train_step', deps: trainStepDeps });
const validate = scope.runtimeTrace(evaluate, {
  traceId: 'val_predictions',
  inspectFn: (result) => result.predictions,
});

const main = scope.exec(async (config) => {
  const { train, validation, model, optimizer, rng } = setUpExperiment(config);

  const logger = new SQLLogger(config, { scope });
  const runId = await logger.run({
    tags: ['demo', config.optim.name, config.model.hidden.length ? 'mlp' : 'linear'],
  });
  let iteration = 0;
  let result = { loss: Number.NaN, accuracy: 0 };
  for (let epoch = 0; epoch < config.train.epochs; epoch++) {
    for (const batch of iterateBatches(train, config.train.batch_size, rng)) {
      const { loss, accuracy } = step(model, optimizer, batch.x, batch.y, batch.size);
      logger.logMetrics({ train_loss: loss, train_accuracy: accuracy }, iteration++);
    }
    result = validate(model, validation.x, validation.y, validation.n);
    logger.logMetrics({ val_loss: result.loss, val_accuracy: result.accuracy }, epoch);
  }
  await logger.finish('completed');

  const finder = new SQLFinder(config);
  const best = await finder.findBestRun(config.experiment.project_name, 'val_accuracy', 'max');
  const runs = await finder.getRunsInProject(config.experiment.project_name);
  await finder.close();
  console.log(
    `run ${runId}: ${iteration} steps, val_accuracy=${result.accuracy.toFixed(4)} val_loss=${result.loss.toFixed(4)}`,
  );
  console.log(
    `project "${config.experiment.project_name}": ${runs.length} run(s), best val_accuracy ${best?.metrics.val_accuracy?.max.toFixed(4)} (run ${best?.id})`,
  );
  console.log(
    `stored in ${config.experiment.sql.db_path}; look at it with: npx ato runs --db ${config.experiment.sql.db_path}`,
  );
});

await main();
