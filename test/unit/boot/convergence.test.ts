/**
 * A withdrawn preprod (docs/design.md §4) on the fake checkout: a preprod node
 * whose commit the remote preprod no longer contains moves to the new tip (or to
 * production when that tip lacks production's); a node merely behind stays for
 * the watchdog's fast-forward.
 */
import { expect } from 'chai';
import { writeRestartMarker } from '../../../src/boot/restartMarker';
import { isWithdrawn } from '../../../src/checkout/convergence';
import { COHORT_KEY } from '../../../src/types';
import { TIPS } from '../../support/fakeCheckout';
import { bootWith, cohortDoc, removeTempDirs } from './harness';

const selected = { [COHORT_KEY]: cohortDoc(0.03) };
const NEW_TIP = 'd'.repeat(40);

describe('a withdrawn preprod converges', function () {
  after(removeTempDirs);

  it('isWithdrawn: only a tip that no longer contains HEAD', function () {
    expect(isWithdrawn(TIPS.old, null, false), 'no preprod').to.equal(false);
    expect(isWithdrawn(TIPS.old, TIPS.old, true), 'HEAD is the tip').to.equal(false);
    expect(isWithdrawn(TIPS.old, NEW_TIP, true), 'behind: a fast-forward').to.equal(false);
    expect(isWithdrawn(TIPS.old, NEW_TIP, false), 'rewound or force-pushed').to.equal(true);
  });

  async function recheckedBoot(ancestry: string[], remoteTips = { master: TIPS.master, preprod: NEW_TIP }) {
    const checkout = { branch: 'preprod', commit: TIPS.old, remoteTips, ancestry };
    const booted = bootWith({ stored: selected, gitDir: true, checkout });
    await writeRestartMarker(booted.checkout.dir, 'recheck', new Date(), true);
    return { booted, result: await booted.svc.runAtBoot() };
  }

  it('preprod force-pushed: the boot after the recheck moves preprod to the new tip', async function () {
    const { booted, result } = await recheckedBoot([`${TIPS.master}..${NEW_TIP}`]);
    expect(result).to.deep.include({ mode: 'preprod', reason: 'selected' });
    expect(result.branch).to.deep.equal({ before: 'preprod', after: 'preprod', switched: true });
    expect(result.commit).to.equal(NEW_TIP);
    expect(booted.checkout.callNames).to.include('switchTo');
    expect(result.message).to.include(`${TIPS.old.slice(0, 12)} was withdrawn`);
  });

  it("the new tip lacks master's: production, preprod-unavailable", async function () {
    const { result } = await recheckedBoot([]);
    expect(result).to.deep.include({ mode: 'production', reason: 'preprod-unavailable' });
    expect(result.branch.after).to.equal('master');
  });

  it('a node merely behind the tip stays: the watchdog fast-forwards it', async function () {
    const { booted, result } = await recheckedBoot([`${TIPS.master}..${NEW_TIP}`, `${TIPS.old}..${NEW_TIP}`]);
    expect(result).to.deep.include({ mode: 'preprod', reason: 'selected' });
    expect(result.branch.switched).to.equal(false);
    expect(booted.checkout.callNames).not.to.include('switchTo');
  });

  it('status predicts the move from the local refs, and the boot makes it', async function () {
    const checkout = {
      branch: 'preprod',
      commit: TIPS.old,
      localTips: { master: TIPS.master, preprod: NEW_TIP },
      remoteTips: { master: TIPS.master, preprod: NEW_TIP },
      ancestry: [`${TIPS.master}..${NEW_TIP}`],
    };
    const forStatus = bootWith({ stored: selected, gitDir: true, checkout });
    await writeRestartMarker(forStatus.checkout.dir, 'recheck', new Date(), true);
    const status = await forStatus.svc.status();
    expect(status).to.deep.include({ reason: 'selected', pending: 'fetch' });
    expect(status.branch).to.deep.equal({ before: 'preprod', after: 'preprod', switched: false });
    expect(status.message).to.include(`off ${TIPS.old.slice(0, 12)}`);
  });
});
