/**
 * MultiScope: independent scopes on one command line. `model.lr` and `data.lr` never collide.
 *
 *   npx tsx examples/multi-scope.ts model.large data.lr=0.2 data.dataset=cifar10
 *   npx tsx examples/multi-scope.ts manual
 */
import { MultiScope, Scope } from 'ato';

const model = new Scope({ name: 'model' });
model.observe({ default: true }, function defaults(config) {
  config.backbone = 'resnet50';
  config.lr = 0.001;
});
model.observe(function large(config) {
  config.backbone = 'resnet152';
});
model.manual({ lr: 'Optimizer learning rate' });

const data = new Scope({ name: 'data' });
data.observe({ default: true }, function defaults(config) {
  config.dataset = 'imagenet';
  config.lr = 0.5; // a different "lr": the augmentation strength
});
data.manual({ lr: 'Augmentation strength', dataset: 'Dataset name' });

const train = new MultiScope(model, data).exec(({ model, data }) => {
  console.log(`model: ${model!.backbone} lr=${model!.lr}`);
  console.log(`data: ${data!.dataset} lr=${data!.lr}`);
});

train();
