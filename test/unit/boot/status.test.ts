import { expect } from 'chai';
import { PreprodError } from '../../../src/errors';
import { COHORT_KEY } from '../../../src/types';
import { TIPS } from '../../support/fakeCheckout';
import { bootWith, cohortDoc, removeTempDirs, type BootSetup } from './harness';

const selected = { [COHORT_KEY]: cohortDoc(0.03) };
const notSelected = { [COHORT_KEY]: cohortDoc(0.5) };

/** status, then boot on the same set-up: status must say what boot does, and change nothing. */
async function statusThenBoot(setup: BootSetup) {
  const booted = bootWith(setup);
  const status = await booted.svc.status();
  expect(booted.store.writes, 'status wrote to the store').to.deep.equal([]);
  for (const call of ['fetch', 'switchTo', 'completeSwitch']) expect(booted.checkout.callNames).not.to.include(call);
  const boot = await bootWith(setup).svc.runAtBoot();
  return { status, boot, booted };
}

describe('status predicts what boot does, and changes nothing', function () {
  after(removeTempDirs);

  const exact: { name: string; setup: BootSetup }[] = [
    { name: 'a custom branch', setup: { stored: selected, checkout: { branch: 'my-feature' } } },
    { name: 'a remote that is not found', setup: { stored: selected, checkout: { remotes: {} } } },
    {
      name: 'a directory git refuses',
      setup: { stored: selected, checkout: { headError: new PreprodError('git-failed', 'not a git repository') } },
    },
    { name: 'a node already on its branch', setup: { stored: selected, checkout: { branch: 'preprod' } } },
    {
      name: 'a preprod node the kill switch sends home (local master ref)',
      setup: { stored: notSelected, checkout: { branch: 'preprod', localTips: { master: TIPS.master } } },
    },
    {
      name: 'an opted-out node',
      setup: {
        stored: selected,
        initial: { disablePreProd: true },
        checkout: { branch: 'preprod', localTips: { master: TIPS.master } },
      },
    },
    { name: 'a store that cannot be read', setup: { stored: selected, storeReads: 'fail' } },
  ];
  for (const c of exact) {
    it(`${c.name}: the same reason and branch, nothing pending`, async function () {
      const { status, boot } = await statusThenBoot(c.setup);
      expect(status.reason).to.equal(boot.reason);
      expect(status.branch.after).to.equal(boot.branch.after);
      expect(status).not.to.have.property('pending');
    });
  }

  it('no valid draw: cohort.draw null, pending draw, the reason of a draw that moves nothing', async function () {
    const { status } = await statusThenBoot({ draw: 0.01 });
    expect(status.cohort?.draw).to.equal(null);
    expect(status).to.deep.include({ pending: 'draw', reason: 'not-selected' });
    expect(status.branch.after).to.equal('master');
  });

  it('a switch to preprod: pending fetch, predicted from the local refs', async function () {
    const { status, boot } = await statusThenBoot({
      stored: selected,
      checkout: { localTips: { master: TIPS.master, preprod: TIPS.preprod } },
    });
    expect(status).to.deep.include({ pending: 'fetch', reason: 'selected' });
    expect(status.branch).to.deep.equal({ before: 'master', after: 'preprod', switched: false });
    expect(boot.reason).to.equal('selected');
  });

  it('a changed outcome: pending store-write', async function () {
    const { status } = await statusThenBoot({
      stored: notSelected,
      preProd: { probability: 0.6 },
      checkout: { branch: 'preprod', localTips: { master: TIPS.master, preprod: TIPS.preprod } },
    });
    expect(status).to.deep.include({ reason: 'selected' });
    expect(status.pending).to.equal('store-write');
  });

  it("reads the store only through its side-effect-free peek (a dead writer's lock stays)", async function () {
    const booted = bootWith({ stored: selected });
    await booted.svc.status();
    expect(booted.store.readLog.length).to.be.above(0);
    expect(booted.store.readLog.every((read) => read.startsWith('peek '))).to.equal(true);
  });
});
