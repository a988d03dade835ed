// Scope quickstart (plain JavaScript: runs with `node`, no TypeScript loader needed).
//
//   node examples/quickstart.js                      defaults
//   node examples/quickstart.js high_lr              a named view (priority 1)
//   node examples/quickstart.js high_lr lr=0.5       the command line beats views
//   node examples/quickstart.js high_lr lr=0.5 manual   where each value came from
//   node examples/quickstart.js print                the resolved config
import { Scope } from 'ato';

const scope = new Scope();

scope.observe({ default: true }, function defaults(config) {
  config.lr = 0.001;
  config.batch_size = 32;
  config.model = { backbone: 'resnet50', depth: 50 };
  config.dataset = 'imagenet';
});

// Higher priority applies later, whatever the command-line order.
scope.observe({ priority: 1 }, function high_lr(config) {
  config.lr = 0.01;
});

scope.observe(function small(config) {
  config.model.backbone = 'resnet18';
  config.model.depth = 18;
  config.batch_size = 128;
});

// Lazy views run after the command-line values, so they can derive from them.
scope.observe({ default: true, lazy: true }, function derived(config) {
  config.num_classes = config.dataset === 'cifar10' ? 10 : 1000;
});

scope.manual({
  lr: 'Learning rate for the optimizer',
  batch_size: 'Number of samples per batch',
  'model.backbone': 'Backbone network',
});

const train = scope.exec((config, epochs) => {
  console.log(`training ${config.model.backbone} on ${config.dataset} (${config.num_classes} classes)`);
  console.log(`lr=${config.lr} batch_size=${config.batch_size} epochs=${epochs}`);
});

train(3);
