import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { RESTART_MARKER_FILE, writeRestartMarker } from '../../../src/boot/restartMarker';
import type { BootResult } from '../../../src/boot/service';
import { PreprodError } from '../../../src/errors';
import { BOOT_HEALTH_KEY, COHORT_KEY, OPT_OUT_KEY } from '../../../src/types';
import { TIPS } from '../../support/fakeCheckout';
import { bootWith, cohortDoc, removeTempDirs, type BootSetup, type Booted } from './harness';

interface Case {
  name: string;
  setup: BootSetup;
  expected: Partial<Pick<BootResult, 'mode' | 'reason' | 'preProdNode' | 'restartPending'>> & {
    branch?: BootResult['branch'];
  };
  /** Checkout calls that must not happen. */
  never?: string[];
  check?: (booted: Booted, result: BootResult) => void;
}

const selected = { [COHORT_KEY]: cohortDoc(0.03) };
const notSelected = { [COHORT_KEY]: cohortDoc(0.5) };
const stays = (branch: string | null) => ({ before: branch, after: branch, switched: false });
const moves = (before: string, after: string) => ({ before, after, switched: true });

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
    name: "a directory git refuses: repo-unreadable with git's words and the fix",
    setup: {
      stored: selected,
      checkout: { headError: new PreprodError('git-failed', 'detected dubious ownership in repository') },
    },
    expected: { reason: 'repo-unreadable', branch: stays(null) },
    never: ['findRemote', 'fetch', 'switchTo'],
    check: (_booted, result) => expect(result.message).to.include('dubious ownership').and.to.include('safe.directory'),
  },
  {
    name: 'a store that cannot be read: store-unavailable, left where it is',
    setup: { stored: selected, storeReads: 'fail' },
    expected: { reason: 'store-unavailable', branch: stays('master') },
    never: ['findRemote', 'fetch', 'switchTo'],
  },
  {
    name: 'already on the target branch: no network',
    setup: { stored: selected, checkout: { branch: 'preprod' } },
    expected: { mode: 'preprod', reason: 'selected', branch: stays('preprod') },
    never: ['findRemote', 'fetch', 'switchTo'],
  },
  {
    name: 'a custom branch is left alone',
    setup: { stored: selected, checkout: { branch: 'my-feature' } },
    expected: { reason: 'unmanaged-branch', branch: stays('my-feature') },
    never: ['fetch', 'switchTo'],
  },
  {
    name: 'a detached HEAD is left alone',
    setup: { stored: selected, checkout: { branch: null } },
    expected: { reason: 'unmanaged-branch', branch: stays(null) },
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
    expected: { mode: 'production', reason: 'fetch-failed', branch: stays('master') },
    never: ['switchTo'],
  },
  {
    name: 'a failed fetch going to production uses the local remote-tracking ref',
    setup: { stored: notSelected, checkout: { branch: 'preprod', fetch: 'fail', localTips: { master: TIPS.master } } },
    expected: { mode: 'production', reason: 'not-selected', branch: moves('preprod', 'master') },
  },
  {
    name: 'a failed fetch going to production without a local ref: fetch-failed',
    setup: { stored: notSelected, checkout: { branch: 'preprod', fetch: 'fail' } },
    expected: { mode: 'preprod', reason: 'fetch-failed', branch: stays('preprod') },
    never: ['switchTo'],
  },
  {
    name: 'preprod missing on the remote: preprod-unavailable, stays on master',
    setup: { stored: selected, checkout: { remoteTips: { master: TIPS.master } } },
    expected: { mode: 'production', reason: 'preprod-unavailable', branch: stays('master') },
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
    expected: { mode: 'preprod', reason: 'selected', branch: moves('master', 'preprod'), restartPending: false },
    check: ({ checkout }, result) => {
      expect(checkout.callNames).to.include.members(['fetch', 'switchTo', 'completeSwitch']);
      expect(result.commit).to.equal(TIPS.preprod);
    },
  },
  {
    name: 'not selected on preprod: back to master',
    setup: { stored: notSelected, checkout: { branch: 'preprod' } },
    expected: { mode: 'production', reason: 'not-selected', branch: moves('preprod', 'master') },
  },
  {
    name: 'an unfinished switch of an earlier boot is switched again although HEAD names the branch',
    setup: { stored: selected, checkout: { branch: 'preprod', pending: { branch: 'preprod', depsChanged: false } } },
    expected: { mode: 'preprod', reason: 'selected', branch: moves('preprod', 'preprod') },
    check: ({ checkout }) => expect(checkout.pending).to.equal(null),
  },
  {
    name: 'a switch that fails before HEAD moved: switch-failed, mode from HEAD (production)',
    setup: { stored: selected, checkout: { switchTo: 'fail-before' } },
    expected: { mode: 'production', reason: 'switch-failed', branch: stays('master') },
    never: ['completeSwitch'],
  },
  {
    name: 'a switch that fails after HEAD moved: switch-failed, mode from HEAD (preprod)',
    setup: { stored: selected, checkout: { switchTo: 'fail-after' } },
    expected: {
      mode: 'preprod',
      reason: 'switch-failed',
      branch: { before: 'master', after: 'preprod', switched: false },
    },
    never: ['completeSwitch'],
  },
  {
    name: 'a new draw is stored before the checkout moves',
    setup: { draw: 0.01 },
    expected: { mode: 'preprod', reason: 'selected' },
    check: ({ store, checkout }) => {
      expect(store.docs.get(COHORT_KEY)).to.deep.include({ draw: 0.01, value: true });
      expect(checkout.callNames.indexOf('switchTo')).to.be.above(-1);
    },
  },
  {
    name: 'an opt-out is remembered',
    setup: { stored: selected, initial: { disablePreProd: true } },
    expected: { mode: 'production', reason: 'disabled' },
    check: ({ store }) => expect(store.docs.get(OPT_OUT_KEY)).to.deep.include({ optedOut: true }),
  },
];

describe('boot steps on a fake checkout and an in-memory store', function () {
  after(removeTempDirs);

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

  it('a recheck finding in the restart marker: it looks at the remote, stays if preprod is fine', async function () {
    const booted = bootWith({ stored: selected, gitDir: true, checkout: { branch: 'preprod' } });
    await writeRestartMarker(booted.checkout.dir, 'recheck', new Date(), true);
    const result = await booted.svc.runAtBoot();
    expect(result).to.deep.include({ reason: 'selected', branch: stays('preprod') });
    expect(booted.checkout.callNames).to.include('fetch');
    expect(booted.checkout.callNames).not.to.include('switchTo');
    expect(existsSync(path.join(booted.checkout.dir, '.git', RESTART_MARKER_FILE)), 'the marker is used up').to.equal(
      false,
    );
  });

  it('a restart marker written while the boot runs (an install ending) stays for the next boot', async function () {
    const booted = bootWith({ stored: selected, gitDir: true, checkout: { branch: 'preprod' } });
    const dir = booted.checkout.dir;
    await writeRestartMarker(dir, 'switch', new Date(Date.now() - 60_000));
    const set = booted.store.set.bind(booted.store);
    booted.store.set = async (key, value) => {
      await writeRestartMarker(dir, 'install', new Date());
      return set(key, value);
    };
    await booted.svc.runAtBoot();
    const left = JSON.parse(readFileSync(path.join(dir, '.git', RESTART_MARKER_FILE), 'utf8')) as { by: string };
    expect(left.by).to.equal('install');
  });

  it('the boot after a failed switch finishes it', async function () {
    const first = bootWith({ stored: selected, checkout: { switchTo: 'fail-after' } });
    await first.svc.runAtBoot();
    const pending = first.checkout.pending;
    const second = bootWith({ stored: selected, checkout: { branch: 'preprod', pending } });
    const result = await second.svc.runAtBoot();
    expect(result).to.deep.include({ reason: 'selected', branch: moves('preprod', 'preprod') });
    expect(second.checkout.pending).to.equal(null);
  });

  it('a preprod boot opens its mark in the crash-loop counter', async function () {
    const booted = bootWith({ stored: selected, checkout: { branch: 'preprod' } });
    await booted.svc.runAtBoot();
    expect(booted.store.docs.get(BOOT_HEALTH_KEY)).to.deep.include({ unhealthyBoots: 0 });
    expect(booted.store.docs.get(BOOT_HEALTH_KEY)?.openSince).to.be.instanceOf(Date);
  });

  it('a bug in a step leaves the node where it is, with a result', async function () {
    const booted = bootWith({ stored: selected });
    booted.checkout.findRemote = async () => {
      throw new PreprodError('git-failed', 'broken');
    };
    const result = await booted.svc.runAtBoot();
    // Its own reason: not the decision's (it was not carried out), not the store's (nothing is wrong there).
    expect(result).to.deep.include({ reason: 'internal-error', branch: stays('master') });
    expect(booted.lines.some((l) => l.includes('failed unexpectedly'))).to.equal(true);
  });
});
