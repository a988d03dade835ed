/** Benchmarks of the config part: structural hash and XYZ on a 1,000-leaf nested config. */
import { createHash } from 'node:crypto';
import { ADict, parseXyz, toXyz } from '../src/index.js';
import { type Figure, formatMs, formatRatio, timePerCall } from './harness.js';

/** A nested config with exactly 1,000 leaves: 10 sections x 10 groups x 10 leaves of mixed types. */
export function makeThousandLeafConfig(): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  for (let s = 0; s < 10; s++) {
    const section: Record<string, unknown> = {};
    for (let g = 0; g < 10; g++) {
      const group: Record<string, unknown> = {};
      for (let l = 0; l < 10; l++) {
        const kind = l % 5;
        group[`leaf_${l}`] =
          kind === 0
            ? l * 0.001
            : kind === 1
              ? `value-${s}-${g}-${l}`
              : kind === 2
                ? l % 2 === 0
                : kind === 3
                  ? [l, l + 1]
                  : null;
      }
      section[`group_${g}`] = group;
    }
    config[`section_${s}`] = section;
  }
  return config;
}

/** Run the config benchmarks. */
export async function runConfigBench(): Promise<Figure[]> {
  const plain = makeThousandLeafConfig();
  const config = new ADict(plain);

  const hashMs = timePerCall(() => config.getStructuralHash(), 200);
  const jsonHashMs = timePerCall(() => createHash('sha256').update(JSON.stringify(plain)).digest('hex'), 200);

  const xyzMs = timePerCall(() => parseXyz(toXyz(config.toDict())), 200);
  const jsonMs = timePerCall(() => JSON.parse(JSON.stringify(config.toDict())), 200);

  return [
    {
      name: 'structural hash, 1,000-leaf config (per call)',
      value: formatMs(hashMs),
      baseline: `${formatMs(jsonHashMs)} (SHA-256 of JSON.stringify)`,
      ratio: formatRatio(hashMs, jsonHashMs),
    },
    {
      name: 'XYZ dump + parse, same config (per call)',
      value: formatMs(xyzMs),
      baseline: `${formatMs(jsonMs)} (JSON stringify + parse)`,
      ratio: formatRatio(xyzMs, jsonMs),
    },
  ];
}
