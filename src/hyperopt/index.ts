/**
 * `ato/hyperopt`: HyperBand with the original's semantics, ASHA, random and grid search; pure
 * decisions over the trials so far (`algorithms.ts`), run in this process or by a study store's workers.
 * @module
 */
export type {
  AshaOptions,
  Decision,
  FlatSearchOptions,
  HyperBandOptions,
  SearchAlgorithm,
  TrialRecord,
} from './algorithms.js';
export {
  asha,
  ashaRungs,
  compareTrials,
  fixedList,
  generationSizes,
  gridSearch,
  hyperBand,
  randomSearch,
  trainingSteps,
} from './algorithms.js';
export type { DistributedHyperBandOptions } from './distributed.js';
export { DistributedHyperBand } from './distributed.js';
export type {
  AshaSearchOptions,
  HyperBandSearchOptions,
  HyperOptOptions,
  Objective,
  ProgressEvent,
  RandomSearchOptions,
  SearchResult,
  StudyOption,
  TrialInfo,
  TrialLog,
  TrialRunner,
} from './search.js';
export {
  ASHA,
  GridSearch,
  HyperBand,
  HyperOpt,
  inProcessRunner,
  progressPrinter,
  RandomSearch,
} from './search.js';
export type { ParamSpec, Random } from './spaces.js';
export {
  applyParams,
  gridValues,
  parseSearchSpaces,
  prepareGrid,
  sampleParams,
  seededRandom,
} from './spaces.js';
export type { LocalWorkers, Study, StudyOptions, StudyRunnerOptions, StudySearchOptions } from './study.js';
export { isStudyWorker, launchLocalWorkers, openStudy, runStudySearch, studyRunner } from './study.js';
