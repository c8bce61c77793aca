import { expect } from 'chai';
import { DEFERRED_RETRY_MS, FIRST_MAX_MS, FIRST_MIN_MS } from '../../../src/boot/background';
import { checkTimings } from '../../../src/boot/run';

describe('the background timings of a service (boot/run.ts)', function () {
  it('are the production defaults when no test shortens them', function () {
    expect(checkTimings(24, undefined)).to.deep.equal({
      firstMinMs: FIRST_MIN_MS,
      firstMaxMs: FIRST_MAX_MS,
      everyMs: 24 * 3_600_000,
      deferredRetryMs: DEFERRED_RETRY_MS,
    });
  });

  it('keep the deferred retry at its default when a test shortens only the first check', function () {
    // The retry used to follow firstMinMs whenever that was given: a test seam steering another timing.
    const timings = checkTimings(24, { firstMinMs: 20, firstMaxMs: 40 });
    expect(timings.deferredRetryMs).to.equal(DEFERRED_RETRY_MS);
    expect(timings.firstMinMs).to.equal(20);
  });

  it('take each knob a test gives on its own', function () {
    const timings = checkTimings(6, { everyMs: 200, deferredRetryMs: 5 });
    expect(timings).to.deep.equal({
      firstMinMs: FIRST_MIN_MS,
      firstMaxMs: FIRST_MAX_MS,
      everyMs: 200,
      deferredRetryMs: 5,
    });
  });
});
