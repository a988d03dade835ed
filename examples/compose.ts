/**
 * Hydra-style config folders: a primary config, one file per selected group option, overrides, and
 * a record of which file set each key.
 *
 * Run: npx tsx examples/compose.ts [model=vit]
 */
import { join } from 'node:path';
import { ADict, getProvenance } from 'ato';

const modelChoice = process.argv.find((a) => a.startsWith('model='))?.slice('model='.length) ?? 'resnet';
const config = ADict.composeHierarchy({
  root: join(import.meta.dirname, 'configs', 'hydra'),
  select: { model: modelChoice },
  overrides: ['data.batch_size=256'],
  required: ['model.backbone', 'data.name'],
});
console.log(config.toXyz());
for (const [key, sources] of getProvenance(config) ?? []) {
  console.log(
    `${key.padEnd(18)} ${sources.map((s) => `${JSON.stringify(s.value)} (${s.source.replace(`${import.meta.dirname}/`, '')})`).join(' <- ')}`,
  );
}
