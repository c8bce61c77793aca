import { expect } from 'chai';
import { PreprodError } from '../../src/errors';

/** The PreprodError that fn throws; fails the test when it throws nothing or something else. */
export function caught(fn: () => unknown): PreprodError {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(PreprodError);
    return error as PreprodError;
  }
  throw new Error('expected a PreprodError, nothing was thrown');
}
