/**
 * The records the tracker returns.
 * @module
 */
import type { Selectable } from 'kysely';
import { ADict } from '../config/adict.js';
import type { EnvironmentFingerprint } from '../fingerprint/environment.js';
import type { RunsTable } from './schema.js';

/**
 * A run's status. `crashed` is never stored: it is how a `running` run whose heartbeat is older than
 * the stale limit (30 s by default) is reported.
 */
export type RunStatus = 'running' | 'completed' | 'failed' | 'interrupted' | 'crashed';

/** Summary of one metric of a run, kept current on every write (no history scan). */
export interface MetricSummary {
  key: string;
  count: number;
  min: number;
  max: number;
  /** Value at the highest step (the latest write on ties). */
  last: number;
  lastStep: number;
  lastTime: Date;
}

/** One logged point. */
export interface MetricPoint {
  step: number;
  value: number;
  time: Date;
}

/** A logged artifact, with the file's hash and size when it was logged. */
export interface ArtifactRecord {
  id: number;
  path: string;
  dataType: string | undefined;
  metadata: Record<string, unknown> | undefined;
  /** SHA-256 of the file at logging time (undefined for a path that was not a readable file). */
  sha256: string | undefined;
  size: number | undefined;
  loggedAt: Date;
}

/** A recorded fingerprint. */
export interface FingerprintRecord {
  traceId: string;
  type: 'static' | 'runtime';
  hash: string;
  recordedAt: Date;
}

/** The stored row of a run, before it becomes a {@link Run}. */
export type RunRow = Selectable<RunsTable>;

/**
 * A run as the finder returns it. List queries fill `metrics` (summaries) and `fingerprints` (the
 * latest per trace id) but not `history`, `artifacts` or `fingerprintHistory`; `findRun` fills all.
 * `config` is parsed on first access, so listing thousands of runs stays fast.
 */
export class Run {
  readonly id: number;
  readonly uid: string;
  readonly project: string;
  readonly status: RunStatus;
  readonly structuralHash: string;
  readonly tags: string[];
  readonly startedAt: Date;
  readonly endedAt: Date | undefined;
  readonly heartbeatAt: Date;
  /** The error message of a failed run. */
  readonly error: string | undefined;
  /** Latest fingerprint per trace id. */
  fingerprints: Record<string, { type: 'static' | 'runtime'; hash: string }> = {};
  readonly #summaryJson: string;
  #metrics: Record<string, MetricSummary> | undefined;
  /** Every point per metric key (only from `findRun` and `getMetricHistory`). */
  history: Record<string, MetricPoint[]> | undefined;
  /** Artifacts (only from `findRun`). */
  artifacts: ArtifactRecord[] | undefined;
  /** Every fingerprint recorded, in order (only from `findRun`). */
  fingerprintHistory: FingerprintRecord[] | undefined;
  readonly #configJson: string;
  readonly #environmentJson: string | null;
  #config: ADict | undefined;

  constructor(row: RunRow, status: RunStatus) {
    this.id = Number(row.id);
    this.uid = row.uid;
    this.project = row.project;
    this.status = status;
    this.structuralHash = row.structural_hash;
    this.tags = JSON.parse(row.tags) as string[];
    this.startedAt = new Date(row.started_at);
    this.endedAt = row.ended_at === null ? undefined : new Date(row.ended_at);
    this.heartbeatAt = new Date(row.heartbeat_at);
    this.error = row.error ?? undefined;
    this.#configJson = row.config;
    this.#summaryJson = row.summary;
    this.#environmentJson = row.environment;
  }

  /** The run's config (parsed on first access, frozen). */
  get config(): ADict {
    this.#config ??= new ADict(JSON.parse(this.#configJson) as Record<string, unknown>).freeze();
    return this.#config;
  }

  /** Summary per metric key (parsed on first access). */
  get metrics(): Record<string, MetricSummary> {
    if (!this.#metrics) {
      this.#metrics = {};
      const packed = JSON.parse(this.#summaryJson) as Record<
        string,
        [number, number, number, number, number, number]
      >;
      for (const [key, [count, min, max, last, lastStep, lastTime]] of Object.entries(packed)) {
        this.#metrics[key] = { key, count, min, max, last, lastStep, lastTime: new Date(lastTime) };
      }
    }
    return this.#metrics;
  }

  /** The environment fingerprint recorded at the start. */
  get environment(): EnvironmentFingerprint | undefined {
    return this.#environmentJson ? (JSON.parse(this.#environmentJson) as EnvironmentFingerprint) : undefined;
  }

  /** Duration in ms (to now for a running run). */
  get durationMs(): number {
    return (this.endedAt ?? new Date()).getTime() - this.startedAt.getTime();
  }

  /** A plain, JSON-safe view (for `--json` output and the dashboard). */
  toJSON(): Record<string, unknown> {
    return {
      id: this.id,
      uid: this.uid,
      project: this.project,
      status: this.status,
      config: JSON.parse(this.#configJson),
      structuralHash: this.structuralHash,
      tags: this.tags,
      startedAt: this.startedAt.toISOString(),
      endedAt: this.endedAt?.toISOString(),
      error: this.error,
      environment: this.environment,
      fingerprints: this.fingerprints,
      metrics: this.metrics,
      ...(this.history ? { history: this.history } : {}),
      ...(this.artifacts ? { artifacts: this.artifacts } : {}),
    };
  }
}

/** Filters of run queries. All given conditions must hold. */
export interface RunFilter {
  project?: string;
  /** One status or several (`crashed` and `running` are told apart by the heartbeat). */
  status?: RunStatus | readonly RunStatus[];
  /** The run has every one of these tags. */
  tags?: readonly string[];
  /** Config values by dotted key, compared by deep equality: `{ 'model.backbone': 'resnet50' }`. */
  config?: Record<string, unknown>;
  /** Most recent first, at most this many. */
  limit?: number;
}

/** One config value that differs between two runs. */
export interface ValueDifference {
  key: string;
  a: unknown;
  b: unknown;
}

/** What `compareRuns` reports: the data behind `ato diff`. */
export interface RunComparison {
  a: Run;
  b: Run;
  config: {
    /** Keys in both with different values. */
    changed: ValueDifference[];
    /** Keys only in b. */
    added: ValueDifference[];
    /** Keys only in a. */
    removed: ValueDifference[];
  };
  structure: {
    sameHash: boolean;
    addedKeys: string[];
    removedKeys: string[];
    typeChanged: { key: string; a: string; b: string }[];
  };
  /** Static fingerprints that differ (the code changed), by trace id; missing on one side is `undefined`. */
  code: { traceId: string; a: string | undefined; b: string | undefined }[];
  /** Runtime fingerprints that differ, and whether the code of the same trace id is identical. */
  output: { traceId: string; a: string | undefined; b: string | undefined; sameCode: boolean }[];
  /** Environment fields that differ. */
  environment: ValueDifference[];
  /** Metric summaries side by side (every key of either run). */
  metrics: { key: string; a: MetricSummary | undefined; b: MetricSummary | undefined }[];
  /** Which of the causes changed. */
  verdict: { config: boolean; code: boolean; output: boolean; environment: boolean; summary: string };
}

/** What `getTraceStatistics` reports. */
export interface TraceStatistics {
  projectName: string;
  traceId: string;
  /** Number of distinct static fingerprints (code versions) of the trace in the project. */
  staticTraceVersions: number;
  /** Number of distinct runtime fingerprints (behaviours). */
  runtimeTraceVersions: number;
  /** Each version: its hash, how many runs had it and when it was first and last seen. */
  versions: { type: 'static' | 'runtime'; hash: string; runs: number[]; firstSeen: Date; lastSeen: Date }[];
}
