/**
 * ato core: the config dictionary, config files and (in later modules) scopes and fingerprints.
 * Importing it loads no SQLite, HTTP or chart code, and no parser until a file of its format is read.
 * @module
 */
export type { ADictOptions, DictLike, RenameOptions, TypedADict, UpdateOptions } from './config/adict.js';
export { ADict } from './config/adict.js';
export type { ComposeOptions, Provenance, ProvenanceEntry } from './config/compose.js';
export { composeHierarchy, getProvenance } from './config/compose.js';
export type { ConfigFormat, ReadConfigOptions, WriteConfigOptions } from './config/files.js';
export { formatOfPath, readConfigFile, stringifyConfig, writeConfigFile } from './config/files.js';
export { describeLeafType, STRUCTURAL_HASH_VERSION, structuralHash } from './config/structural-hash.js';
export type { ToXyzOptions } from './config/xyz.js';
export { parseXyz, parseXyzScalar, toXyz } from './config/xyz.js';
export type { AtoErrorCode, AtoErrorLocation, AtoErrorOptions } from './errors.js';
export { AtoError, formatLocation } from './errors.js';
export type {
  CanonicalizeOptions,
  EnvironmentFingerprint,
  EnvironmentFingerprintOptions,
  FunctionFingerprintOptions,
  LockfileFingerprint,
  ValueFingerprintOptions,
} from './fingerprint/index.js';
export {
  canonicalizeSource,
  clearFingerprintCache,
  defaultTraceId,
  fingerprintEnvironment,
  fingerprintFunction,
  fingerprintSource,
  fingerprintValue,
} from './fingerprint/index.js';
export type {
  AdapterOptions,
  ArgumentParserAdapter,
  CommanderLike,
  CommanderOptionLike,
  ParseArgsOptionLike,
  ParsedArguments,
} from './scope/arg-parsers.js';
export { fromCommander, fromParseArgs, optionKey } from './scope/arg-parsers.js';
export type { CliToken } from './scope/cli-args.js';
export { joinArgv, parseArgv } from './scope/cli-args.js';
export { formatCliValue, parseCliValue } from './scope/cli-values.js';
export type { MultiConfig, MultiScopeOptions } from './scope/multi-scope.js';
export { MultiScope } from './scope/multi-scope.js';
export type {
  Fingerprint,
  ManualSection,
  ObserveOptions,
  Resolution,
  RuntimeTraceOptions,
  ScopeIO,
  ScopeOptions,
  TraceEntry,
  TraceOptions,
  ViewFunction,
} from './scope/scope.js';
export { renderManual, Scope } from './scope/scope.js';
export type { StandardSchemaV1 } from './scope/standard-schema.js';
