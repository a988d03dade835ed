/**
 * The ato demo: build a config from a file and code, change it, freeze it, hash its structure,
 * save it in every format and read it back, and see which keys a "training run" actually used.
 *
 * Run: npm run demo
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { ADict, AtoError } from 'ato';

const here = import.meta.dirname;

// 1. Defaults from a YAML file, then values set in code at any depth.
const config = ADict.fromFile(join(here, 'configs', 'base.yaml'));
config.optim.lr = 0.01;
config.data = { name: 'cifar10', augmentation: { flip: true } };
console.log('Resolved config:\n');
console.log(config.toXyz());

// 2. The structural hash: keys and value types, not values.
const hash = config.getStructuralHash();
const otherValues = config.clone();
otherValues.optim.lr = 0.5;
const otherShape = config.clone();
otherShape.epochs = '10';
console.log(`structural hash           ${hash.slice(0, 16)}…`);
console.log(`after changing a value    ${otherValues.getStructuralHash() === hash ? 'same' : 'different'}`);
console.log(`after changing a type     ${otherShape.getStructuralHash() === hash ? 'same' : 'different'}`);

// 3. Freeze it for the run: accidental writes fail loudly, naming the key.
config.freeze();
try {
  config.optim.lr = 1;
} catch (error) {
  if (error instanceof AtoError) console.log(`\nwrite to a frozen config: ${error.detail}`);
}

// 4. Save it in every format and read each back: same values, same types (TOML orders tables last).
const out = mkdtempSync(join(tmpdir(), 'ato-demo-'));
for (const ext of ['json', 'yaml', 'toml', 'xyz', 'ts']) {
  const path = join(out, `config.${ext}`);
  config.dump(path);
  const same = isDeepStrictEqual(ADict.fromFile(path).toDict(), config.toDict());
  console.log(`round trip through .${ext.padEnd(4)}  ${same ? 'identical' : 'DIFFERENT'}`);
}

// 5. Access tracking: which keys did the "training run" read?
config.resetAccessTracking();
const train = (c: ADict) => `${c.model.backbone} for ${c.epochs} epochs at lr=${c.optim.lr}`;
console.log(`\ntraining ${train(config)}`);
console.log('minimal config (only what was read):\n');
console.log(config.getMinimalConfig().toXyz());
