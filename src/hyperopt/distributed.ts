/**
 * `DistributedHyperBand`: the original's interface (`rank`, `worldSize`, also read from the `RANK` and
 * `WORLD_SIZE` environment variables launchers set), with the store as the rendezvous: every rank
 * joins one study in the shared store and evaluates the study's trials as they come (each rank takes
 * its share of every generation), the survivors are decided under the store's lock by the same pure
 * algorithm, and every rank returns the same best result. No network protocol of its own.
 * @module
 */
import type { DictLike } from '../config/adict.js';
import { AtoError } from '../errors.js';
import type { Scope } from '../scope/scope.js';
import { HyperBand, type HyperBandSearchOptions } from './search.js';

/** Options of {@link DistributedHyperBand}. */
export interface DistributedHyperBandOptions extends HyperBandSearchOptions {
  /** This process's rank in [0, worldSize). @default env `RANK`, else 0 */
  rank?: number;
  /** How many ranks. @default env `WORLD_SIZE`, else 1 */
  worldSize?: number;
}

function envInt(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value))
    throw new AtoError('INVALID_ARGUMENT', `${name} must be an integer, found "${raw}"`, {
      location: { input: name },
    });
  return value;
}

function resolveRanks(options: DistributedHyperBandOptions): { rank: number; worldSize: number } {
  const rank = options.rank ?? envInt('RANK') ?? 0;
  const worldSize = options.worldSize ?? envInt('WORLD_SIZE') ?? 1;
  if (!Number.isSafeInteger(worldSize) || worldSize < 1)
    throw new AtoError('INVALID_ARGUMENT', `worldSize must be an integer >= 1, found ${worldSize}`, {
      location: { input: 'worldSize' },
    });
  if (!Number.isSafeInteger(rank) || rank < 0 || rank >= worldSize)
    throw new AtoError('INVALID_ARGUMENT', `rank must be an integer in [0, ${worldSize}), found ${rank}`, {
      location: { input: 'rank' },
    });
  return { rank, worldSize };
}

/**
 * HyperBand evaluated by `worldSize` ranks together through a shared store.
 *
 * Start the same script once per rank (by hand, `torchrun`-style launchers, a cluster scheduler),
 * with `RANK` and `WORLD_SIZE` set (or the options), and the same store: a PostgreSQL URL for several
 * machines, SQLite for one. The study is `study.name` (default env `ATO_STUDY`, else
 * `distributed-hyperband`); running it again resumes it. Ranks may start late or die: a trial of a
 * dead rank is re-queued after its lease (`study.leaseMs`) and taken by another.
 * Progress is printed by rank 0 only (unless `progress` is given).
 * @example
 * ```ts
 * const hb = new DistributedHyperBand(scope, spaces, {
 *   halvingRate: 0.3, numMinSamples: 3, study: { name: 'sweep-1', url: 'postgresql://host/db' },
 * });
 * const best = await hb.main(train)();   // same on every rank
 * ```
 */
export class DistributedHyperBand extends HyperBand {
  readonly rank: number;
  readonly worldSize: number;

  constructor(
    scope: Scope<any> | undefined,
    searchSpaces: DictLike,
    options: DistributedHyperBandOptions = {},
  ) {
    const { rank, worldSize } = resolveRanks(options);
    const { rank: _rank, worldSize: _worldSize, study, ...rest } = options;
    super(scope, searchSpaces, {
      ...rest,
      ...(rest.progress === undefined && rank !== 0 ? { progress: false } : {}),
      study: {
        ...study,
        name: study?.name ?? process.env.ATO_STUDY ?? 'distributed-hyperband',
        workers: 1,
        workerId: study?.workerId ?? `rank${rank}/${worldSize}:${process.pid}`,
      },
    });
    this.rank = rank;
    this.worldSize = worldSize;
  }
}
