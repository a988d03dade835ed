/**
 * `ato/dashboard`: the local, read-only web dashboard over a store (`ato dashboard`), and the
 * functions behind its JSON API.
 * @module
 */

export type { StudyDetail, StudyListItem, TrialItem } from '../tracker/studies.js';
export type {
  CompareResult,
  DashboardStore,
  RunListItem,
  RunSeries,
  RunsListParams,
  RunsListResult,
  Series,
} from './api.js';
export {
  compareRuns,
  DEFAULT_POINTS,
  downsample,
  lttb,
  MAX_POINTS,
  metricSeries,
  runDetail,
  runFilterOf,
  runsByIds,
  runsList,
  studiesList,
  studyDetail,
  traceIds,
  traceVersions,
} from './api.js';
export type {
  DashboardAppOptions,
  ReadOnlyStore,
  RunningDashboard,
  StartDashboardOptions,
} from './server.js';
export { createDashboardApp, defaultAssetsDir, openReadOnlyStore, startDashboard } from './server.js';
