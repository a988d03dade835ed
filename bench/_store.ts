/** Internal to the benchmarks: fill a store fast, straight through the storage backend. */
import { randomUUID } from 'node:crypto';
import { ADict } from '../src/index.js';
import { openBackend } from '../src/tracker/backend.js';
import { applyJob } from '../src/tracker/writer.js';

/** Add `runs` runs of `points` points (2 keys) to the store at `url`; returns their ids. */
export async function addRuns(url: string, project: string, runs: number, points: number): Promise<number[]> {
  const backend = await openBackend(url);
  const ids: number[] = [];
  try {
    for (let r = 0; r < runs; r++) {
      const config = {
        model: { backbone: 'resnet50', depth: 50 },
        lr: 0.001 * (r % 7),
        [`option_${r % 1000}`]: true,
      };
      const row = await backend.db
        .insertInto('runs')
        .values({
          uid: randomUUID(),
          project,
          status: 'completed',
          config: JSON.stringify(config),
          structural_hash: new ADict(config).getStructuralHash(),
          tags: JSON.stringify(['bench']),
          started_at: r,
          ended_at: r + 1,
          heartbeat_at: r + 1,
          error: null,
          environment: null,
          environment_hash: null,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const batch = {
        runId: Number(row.id),
        keys: ['loss', 'val_accuracy'],
        keyIndex: new Uint32Array(points).map((_, i) => i % 2),
        steps: new Float64Array(points).map((_, i) => Math.floor(i / 2)),
        values: new Float64Array(points).map((_, i) => Math.exp(-i / points) + 0.1 * Math.sin(r + i / 50)),
        times: new Float64Array(points).fill(r),
        length: points,
      };
      await applyJob(backend, { runId: batch.runId, batch, fingerprints: [], update: undefined });
      ids.push(batch.runId);
    }
  } finally {
    await backend.close();
  }
  return ids;
}
