/** A boot that waits out another boot's lock gets its own reason (docs/design.md §8), not store-unavailable. */
import { expect } from 'chai';
import { lockBoot } from '../../../src/boot/bootLock';
import { exitCodeForReason } from '../../../src/cohort/reasons';
import { COHORT_KEY } from '../../../src/types';
import { bootWith, cohortDoc, removeTempDirs } from './harness';

const quiet = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };

describe('a boot that waited out another boot', function () {
  after(removeTempDirs);

  it('boot-locked, exit 1, the node left where it is, the store never blamed', async function () {
    const booted = bootWith({
      stored: { [COHORT_KEY]: cohortDoc(0.03) },
      gitDir: true,
      preProd: { bootDeadlineMs: 300 },
    });
    // Another boot of this checkout holds the lock for longer than this boot's deadline.
    const release = await lockBoot(booted.checkout.dir, 1000, quiet);
    try {
      const result = await booted.svc.runAtBoot();
      expect(result.reason).to.equal('boot-locked');
      expect(result.branch.switched).to.equal(false);
      expect(result.message).not.to.match(/store/i);
      expect(booted.checkout.callNames).not.to.include('switchTo');
    } finally {
      await release();
    }
    expect(exitCodeForReason('boot-locked')).to.equal(1);
    expect(exitCodeForReason('internal-error')).to.equal(1);
  });
});
