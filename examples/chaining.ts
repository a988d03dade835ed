/**
 * chainWith and lazy configs: a view that needs others applies them first, each once; lazy blocks
 * see the final command-line values.
 *
 *   npx tsx examples/chaining.ts multi_node
 *   npx tsx examples/chaining.ts multi_node nodes=8 manual
 */
import { Scope } from 'ato';

interface Config {
  nodes: number;
  gpus_per_node: number;
  setup: string[];
  world_size: number;
  batch_size: number;
  global_batch: number;
}

const scope = new Scope<Config>();

scope.observe({ default: true }, function defaults(config) {
  config.nodes = 1;
  config.gpus_per_node = 1;
  config.setup = ['defaults'];
  config.batch_size = 64;
  // Deferred until after the command line: uses the final node and GPU counts.
  Scope.lazy(() => {
    config.world_size = config.nodes * config.gpus_per_node;
  });
});

scope.observe(function base_setup(config) {
  config.setup = [...config.setup, 'base_setup'];
});

scope.observe({ chainWith: 'base_setup' }, function gpu_setup(config) {
  config.gpus_per_node = 8;
  config.setup = [...config.setup, 'gpu_setup'];
});

scope.observe({ chainWith: ['base_setup', 'gpu_setup'] }, function multi_node(config) {
  config.nodes = 4;
  config.setup = [...config.setup, 'multi_node'];
});

scope.observe({ lazy: true, default: true }, function global_batch(config) {
  config.global_batch = config.batch_size * config.world_size;
});

const main = scope.exec((config) => {
  console.log(`setup: ${config.setup.join(' -> ')}`);
  console.log(`world_size=${config.world_size} global_batch=${config.global_batch}`);
});

main();
