/**
 * A Scope beside commander: --options are commander's, everything else is the scope's.
 * Option defaults apply before the default views; options given on the command line apply after
 * the key=value assignments.
 *
 *   npx tsx examples/commander.ts --epochs 5 high_lr batch_size=64
 *   npx tsx examples/commander.ts --help
 */

import { fromCommander, Scope } from 'ato';
import { Command } from 'commander';

const program = new Command('train')
  .description('Train a model')
  .option('--epochs <n>', 'number of epochs', (v) => Number(v), 10)
  .option('--run-name <name>', 'name of the run', 'baseline');

const scope = new Scope({ parser: fromCommander(program) });
scope.observe({ default: true }, function defaults(config) {
  config.lr = 0.001;
  config.batch_size = 32;
  config.epochs = config.epochs ?? 1; // the parser's default (10) is already here
});
scope.observe(function high_lr(config) {
  config.lr = 0.01;
});
scope.manual({ lr: 'Learning rate', batch_size: 'Samples per batch' });

const train = scope.exec((config) => {
  console.log(`${config.run_name}: epochs=${config.epochs} lr=${config.lr} batch_size=${config.batch_size}`);
});

train();
