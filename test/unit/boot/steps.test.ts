import { expect } from 'chai';
import type { BootResult } from '../../../src/boot/service';
import { BOOT_HEALTH_KEY, COHORT_KEY, OPT_OUT_KEY } from '../../../src/types';
import { PreprodError } from '../../../src/errors';
import { TIPS } from '../../support/fakeCheckout';
import { bootWith, cohortDoc, type BootSetup, type Booted } from './harness';

interface Case {
  name: string;
  setup: BootSetup;
  expected: Partial<Pick<BootResult, 'mode' | 'reason' | 'preProdNode'>> & { branch?: BootResult['branch'] };
  /** Checkout calls that must not happen. */
  never?: string[];
  check?: (booted: Booted, result: BootResult) => void;
}

const selected = { [COHORT_KEY]: cohortDoc(0.03) };
const notSelected = { [COHORT_KEY]: cohortDoc(0.5) };

const cases: Case[] = [
  {
    name: 'development: skipped, no git, no store',
    setup: { initial: { development: true } },
    expected: { mode: 'skipped', reason: 'development' },
    check: ({ checkout, store }) => {
      expect(checkout.calls).to.deep.equal([]);
      expect(store.writes).to.deep.equal([]);
    },
  },
  {
    name: 'settings the host got wrong: skipped, config-invalid, nothing moves',
    setup: { preProd: { probability: 'lots' } },
    expected: { mode: 'skipped', reason: 'config-invalid' },
    never: ['fetch', 'switchTo'],
  },
  {
    name: 'a store that cannot be read: store-unavailable, left where it is',
    setup: { stored: selected, storeReads: 'fail' },
    expected: { reason: 'store-unavailable', branch: { before: 'master', after: 'master', switched: false } },
    never: ['findRemote', 'fetch', 'switchTo'],
  },
  {
    name: 'a directory git refuses: left alone',
    setup: { stored: selected, checkout: { headError: new PreprodError('git-failed', 'not a git repository') } },
    expected: { reason: 'unmanaged-branch', branch: { before: null, after: null, switched: false } },
    never: ['fetch', 'switchTo'],
  },
  {
    name: 'already on the target branch: no network',
    setup: { stored: selected, checkout: { branch: 'preprod' } },
    expected: { mode: 'preprod', reason: 'selected', branch: { before: 'preprod', after: 'preprod', switched: false } },
    never: ['findRemote', 'fetch', 'switchTo'],
  },
  {
    name: 'a custom branch is left alone',
    setup: { stored: selected, checkout: { branch: 'my-feature' } },
    expected: { reason: 'unmanaged-branch', branch: { before: 'my-feature', after: 'my-feature', switched: false } },
    never: ['fetch', 'switchTo'],
  },
  {
    name: 'a detached HEAD is left alone',
    setup: { stored: selected, checkout: { branch: null } },
    expected: { reason: 'unmanaged-branch', branch: { before: null, after: null, switched: false } },
    never: ['fetch', 'switchTo'],
  },
  {
    name: 'no remote fetches from the configured URL: remote-not-found',
    setup: { stored: selected, checkout: { remotes: {} } },
    expected: { mode: 'production', reason: 'remote-not-found' },
    never: ['fetch', 'switchTo'],
  },
  {
    name: 'a fetch that fails: fetch-failed, left where it is',
    setup: { stored: selected, checkout: { fetch: 'fail' } },
    expected: {
      mode: 'production',
      reason: 'fetch-failed',
      branch: { before: 'master', after: 'master', switched: false },
    },
    never: ['switchTo'],
  },
  {
    name: 'preprod missing on the remote: preprod-unavailable, stays on master',
    setup: { stored: selected, checkout: { remoteTips: { master: TIPS.master } } },
    expected: {
      mode: 'production',
      reason: 'preprod-unavailable',
      branch: { before: 'master', after: 'master', switched: false },
    },
    never: ['switchTo'],
  },
  {
    name: "preprod lacking master's tip: preprod-unavailable, stays on master",
    setup: { stored: selected, checkout: { ancestry: [] } },
    expected: { mode: 'production', reason: 'preprod-unavailable' },
    never: ['switchTo'],
  },
  {
    name: 'selected on master: switches to preprod and completes the switch',
    setup: { stored: selected },
    expected: { mode: 'preprod', reason: 'selected', branch: { before: 'master', after: 'preprod', switched: true } },
    check: ({ checkout }, result) => {
      expect(checkout.callNames).to.include.members(['fetch', 'switchTo', 'completeSwitch']);
      expect(result.commit).to.equal(TIPS.preprod);
    },
  },
  {
    name: 'not selected on preprod: back to master',
    setup: { stored: notSelected, checkout: { branch: 'preprod' } },
    expected: {
      mode: 'production',
      reason: 'not-selected',
      branch: { before: 'preprod', after: 'master', switched: true },
    },
  },
  {
    name: 'an unfinished switch of an earlier boot is switched again although HEAD names the branch',
    setup: { stored: selected, checkout: { branch: 'preprod', pending: { branch: 'preprod', depsChanged: false } } },
    expected: { mode: 'preprod', reason: 'selected', branch: { before: 'preprod', after: 'preprod', switched: true } },
    check: ({ checkout }) => expect(checkout.pending).to.equal(null),
  },
  {
    name: 'a new draw is stored with the decision',
    setup: { draw: 0.5 },
    expected: { mode: 'production', reason: 'not-selected' },
    check: ({ store }) => expect(store.docs.get(COHORT_KEY)).to.deep.include({ draw: 0.5, value: false }),
  },
  {
    name: 'an opt-out is remembered',
    setup: { stored: selected, initial: { disablePreProd: true } },
    expected: { mode: 'production', reason: 'disabled' },
    check: ({ store }) => expect(store.docs.get(OPT_OUT_KEY)).to.deep.include({ optedOut: true }),
  },
];

describe('boot steps on a fake checkout and an in-memory store', function () {
  for (const c of cases) {
    it(c.name, async function () {
      const booted = bootWith(c.setup);
      const result = await booted.svc.runAtBoot();
      expect(result).to.deep.include(c.expected);
      for (const call of c.never ?? []) expect(booted.checkout.callNames, `no ${call}`).not.to.include(call);
      c.check?.(booted, result);
      expect(booted.svc.fluxInfo().preProd.reason).to.equal(result.reason);
    });
  }

  it('a switch that fails before HEAD moved leaves the node on its branch', async function () {
    const booted = bootWith({ stored: selected, checkout: { switchTo: 'fail-before' } });
    const result = await booted.svc.runAtBoot();
    expect(result.branch).to.deep.equal({ before: 'master', after: 'master', switched: false });
    expect(result.mode).to.equal('production');
    expect(booted.lines.some((l) => l.startsWith('error') && l.includes('failed'))).to.equal(true);
  });

  it('a switch that fails after HEAD moved reports the branch HEAD is on', async function () {
    const booted = bootWith({ stored: selected, checkout: { switchTo: 'fail-after' } });
    const result = await booted.svc.runAtBoot();
    expect(result.branch.after).to.equal('preprod');
    expect(result.mode).to.equal('preprod');
  });

  it('counts a preprod boot in the crash-loop counter', async function () {
    const booted = bootWith({ stored: selected, checkout: { branch: 'preprod' } });
    await booted.svc.runAtBoot();
    expect(booted.store.docs.get(BOOT_HEALTH_KEY)).to.deep.include({ unhealthyBoots: 1 });
  });

  it('a bug in a step leaves the node where it is, with a result', async function () {
    const booted = bootWith({ stored: selected });
    booted.checkout.findRemote = async () => {
      throw new PreprodError('git-failed', 'broken');
    };
    const result = await booted.svc.runAtBoot();
    expect(result).to.deep.include({
      reason: 'selected',
      branch: { before: 'master', after: 'master', switched: false },
    });
    expect(booted.lines.some((l) => l.includes('failed unexpectedly'))).to.equal(true);
  });

  describe('the deadline', function () {
    const deadline = { bootDeadlineMs: 40 };
    it('while the store does not answer: store-unavailable, left where it is', async function () {
      const booted = bootWith({ stored: selected, preProd: deadline, storeReads: 'hang' });
      const result = await booted.svc.runAtBoot();
      expect(result).to.deep.include({
        reason: 'store-unavailable',
        branch: { before: 'master', after: 'master', switched: false },
      });
    });

    it('while the remote does not answer: fetch-failed, and no switch afterwards', async function () {
      const booted = bootWith({ stored: selected, preProd: deadline, checkout: { fetch: 'hang' } });
      const result = await booted.svc.runAtBoot();
      expect(result).to.deep.include({
        reason: 'fetch-failed',
        branch: { before: 'master', after: 'master', switched: false },
      });
      booted.checkout.release();
      await new Promise((resolve) => setImmediate(resolve));
      expect(booted.checkout.callNames).not.to.include('switchTo');
    });
  });

  it('exit strategy: exits with 1 after the switch, the lock released first', async function () {
    const booted = bootWith({ stored: selected, options: { restart: 'exit' } });
    const result = await booted.svc.runAtBoot();
    expect(result.restart).to.equal('exit');
    await new Promise((resolve) => setImmediate(resolve));
    expect(booted.exits).to.deep.equal([1]);
  });
});
