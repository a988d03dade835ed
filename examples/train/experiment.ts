/**
 * What the demo and the search example share: the demo's default config (a Scope view) and the
 * setup of one training run (data, model, optimizer, batch order) from a config.
 */
import type { ADict } from 'ato';
import { createRng, type Dataset, makeDataset, type Rng, split } from './data.js';
import { createModel, createOptimizer, type Model, type Optimizer } from './model.js';

/** The demo's defaults, as a Scope view: `scope.observe({ default: true }, defaults)`. */
export function defaults(config: ADict): void {
  config.experiment = {
    project_name: 'spirals',
    sql: { db_path: process.env.ATO_DB ?? 'sqlite:///experiments.db' },
  };
  config.seed = 0;
  config.data = { samples: 2000, noise: 0.04, validation_fraction: 0.2 };
  config.model = { hidden: [32, 32], activation: 'relu' };
  config.optim = { name: 'adam', lr: 0.01 };
  config.train = { epochs: 30, batch_size: 32 };
}

/** Everything a training run needs, built deterministically from the config's seed. */
export interface Experiment {
  train: Dataset;
  validation: Dataset;
  classes: number;
  model: Model;
  optimizer: Optimizer;
  /** The batch order's random source. */
  rng: Rng;
}

/** Build the data, the model, the optimizer and the batch order of one run. */
export function setUpExperiment(config: ADict): Experiment {
  const data = makeDataset({ samples: config.data.samples, noise: config.data.noise, seed: config.seed });
  const { train, validation } = split(data, {
    validationFraction: config.data.validation_fraction,
    seed: config.seed + 1,
  });
  const model = createModel({
    inputs: 2,
    hidden: config.model.hidden,
    outputs: data.classes,
    activation: config.model.activation,
    seed: config.seed + 2,
  });
  return {
    train,
    validation,
    classes: data.classes,
    model,
    optimizer: createOptimizer(model, config.optim.toDict()),
    rng: createRng(config.seed + 3),
  };
}
