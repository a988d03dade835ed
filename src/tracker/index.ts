/**
 * `ato/tracker`: the local-first experiment store. Loads SQLite or PostgreSQL only for the store it
 * opens.
 * @module
 */
export type { Backend, MetricBatch, StoreLocation } from './backend.js';
export { openBackend, parseStoreUrl } from './backend.js';
export { SQLFinder } from './finder.js';
export type { ArtifactOptions, RunOptions, SQLLoggerOptions } from './logger.js';
export { SQLLogger } from './logger.js';
export type { BestRunOptions, QueryOptions } from './queries.js';
export {
  bestRun,
  compare,
  listArtifacts,
  listRuns,
  loadRun,
  metricHistory,
  STALE_AFTER_MS,
  similarRuns,
  similarRunsByTrace,
  traceStatistics,
} from './queries.js';
export { SCHEMA_VERSION } from './schema.js';
export type {
  ArtifactRecord,
  FingerprintRecord,
  MetricPoint,
  MetricSummary,
  RunComparison,
  RunFilter,
  RunStatus,
  TraceStatistics,
  ValueDifference,
} from './types.js';
export { Run } from './types.js';
