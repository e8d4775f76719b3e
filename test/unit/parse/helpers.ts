import { expect } from 'vitest';
import { SnapstreamError } from '../../../src/errors.js';

/** Runs f, expects an INVALID_ARGUMENT SnapstreamError and returns it. */
export function errorOf(f: () => unknown): SnapstreamError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(SnapstreamError);
    expect((e as SnapstreamError).code).toBe('INVALID_ARGUMENT');
    return e as SnapstreamError;
  }
  throw new Error('expected an error');
}
