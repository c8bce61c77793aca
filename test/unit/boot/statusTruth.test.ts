/**
 * What `status` says (docs/design.md §8), on the fake checkout: no record is no
 * seed record, every pending step is kept and shown, and a preprod boot running
 * now is not counted as a crash.
 */
import { expect } from 'chai';
import { formatBootResult } from '../../../src/cli/format';
import { BOOT_HEALTH_KEY, COHORT_KEY } from '../../../src/types';
import { TIPS } from '../../support/fakeCheckout';
import { bootWith, cohortDoc, NOW, removeTempDirs, ROLLED } from './harness';

const MINUTE = 60_000;

function health(unhealthyBoots: number, openAgoMs: number) {
  const openSince = new Date(NOW.getTime() - openAgoMs);
  return { key: BOOT_HEALTH_KEY, cohortRolledAt: ROLLED, unhealthyBoots, openSince, updatedAt: openSince };
}

describe('what status says', function () {
  after(removeTempDirs);

  it('no record (every node at rollout): no "seed record", the next boot draws, pending shown', async function () {
    const result = await bootWith({}).svc.status();
    expect(result).to.deep.include({ pending: 'draw', pendingSteps: ['draw', 'store-write'] });
    const text = formatBootResult(result, 'status');
    expect(text).not.to.include('seed record');
    expect(text).to.include('no valid draw yet: the next boot draws');
    expect(text).to.match(/^pending: +draw, store-write/m);
  });

  it('keeps every pending step, not only the first', async function () {
    const stored = { [COHORT_KEY]: cohortDoc(0.5) }; // not selected at 0.07, selected at 0.6: a changed outcome
    const checkout = { localTips: { master: TIPS.master, preprod: TIPS.preprod } };
    const result = await bootWith({ stored, checkout, preProd: { probability: 0.6 } }).svc.status();
    expect(result).to.deep.include({ pending: 'fetch', pendingSteps: ['fetch', 'store-write'] });
    expect(formatBootResult(result, 'status')).to.match(/^pending: +fetch, store-write/m);
  });

  it('during a running preprod boot it predicts no crash-loop fallback', async function () {
    // Two unhealthy boots counted; the boot that opened its mark a minute ago is FluxOS running now.
    const stored = { [COHORT_KEY]: cohortDoc(0.03), [BOOT_HEALTH_KEY]: health(2, MINUTE) };
    const result = await bootWith({ stored, checkout: { branch: 'preprod' } }).svc.status();
    expect(result).to.deep.include({ mode: 'preprod', reason: 'selected' });
  });

  it('an open mark older than the healthy timer is a boot that ended: status and boot fall back', async function () {
    const stored = { [COHORT_KEY]: cohortDoc(0.03), [BOOT_HEALTH_KEY]: health(2, 11 * MINUTE) };
    const setup = { stored, checkout: { branch: 'preprod', localTips: { master: TIPS.master } } };
    const status = await bootWith(setup).svc.status();
    const boot = await bootWith(setup).svc.runAtBoot();
    expect(boot).to.deep.include({ reason: 'crash-loop' });
    expect(status.reason).to.equal(boot.reason);
    expect(status.branch.after).to.equal(boot.branch.after);
  });

  it('a record dated a year ahead of the clock: status and boot agree, the draw kept, no move', async function () {
    const ahead = new Date(NOW.getTime() + 365 * 86_400_000);
    const stored = { [COHORT_KEY]: { ...cohortDoc(0.03), rolledAt: ahead, updatedAt: ahead } };
    const setup = { stored, checkout: { branch: 'preprod' } };
    const status = await bootWith(setup).svc.status();
    const booted = bootWith(setup);
    const boot = await booted.svc.runAtBoot();
    expect(boot).to.deep.include({ mode: 'preprod', reason: 'selected' });
    expect(boot.branch.switched).to.equal(false);
    expect(status).to.deep.include({ mode: boot.mode, reason: boot.reason });
    expect(status.cohort?.draw).to.equal(0.03);
    expect(booted.store.docs.get(COHORT_KEY)).to.deep.include({ draw: 0.03, redatedFrom: ahead });
  });
});
