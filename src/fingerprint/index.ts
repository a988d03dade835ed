/**
 * Fingerprints: what a function does (static, from its source), what it produced (runtime, from its
 * output) and where it ran (environment). Pure functions; a Scope keeps the registry.
 *
 * @module
 */
export {
  type EnvironmentFingerprint,
  type EnvironmentFingerprintOptions,
  findLockfile,
  fingerprintEnvironment,
  type LockfileFingerprint,
} from './environment.js';
export { fingerprintValue, type ValueFingerprintOptions } from './runtime.js';
export {
  type CanonicalizeOptions,
  canonicalizeSource,
  clearFingerprintCache,
  defaultTraceId,
  type FunctionFingerprintOptions,
  fingerprintCacheSize,
  fingerprintFunction,
  fingerprintSource,
  functionSource,
} from './static.js';
