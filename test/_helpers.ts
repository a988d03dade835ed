import { expect } from 'vitest';
import { AtoError } from '../src/errors.js';

/** The AtoError thrown by `fn` (fails the test when `fn` throws something else or nothing). */
export function catchAtoError(fn: () => unknown): AtoError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AtoError);
    return error as AtoError;
  }
  throw new Error('expected an AtoError');
}
