import { expect } from 'chai';
import { BOOT_HEALTH_KEY, COHORT_KEY, OPT_OUT_KEY } from '../../../src/types';
import { bootWith, cohortDoc, removeTempDirs } from './harness';

const selected = { [COHORT_KEY]: cohortDoc(0.03) };
const notSelected = { [COHORT_KEY]: cohortDoc(0.5) };

describe('boot rules on a fake checkout and an in-memory store', function () {
  after(removeTempDirs);

  describe('a decision is applied only once stored', function () {
    it('a new draw that cannot be written moves nothing: store-unavailable', async function () {
      const booted = bootWith({ draw: 0.01, storeWrites: 'fail', preProd: { probability: 1 } });
      const result = await booted.svc.runAtBoot();
      expect(result).to.deep.include({
        reason: 'store-unavailable',
        branch: { before: 'master', after: 'master', switched: false },
      });
      expect(booted.checkout.callNames).not.to.include('switchTo');
    });

    it('a new draw that moves nothing but cannot be written: store-unavailable all the same', async function () {
      const booted = bootWith({ draw: 0.9, storeWrites: 'fail' });
      const result = await booted.svc.runAtBoot();
      expect(result).to.deep.include({
        reason: 'store-unavailable',
        branch: { before: 'master', after: 'master', switched: false },
      });
    });

    it('a changed outcome that cannot be written moves nothing', async function () {
      const booted = bootWith({ stored: notSelected, storeWrites: 'fail', preProd: { probability: 0.6 } });
      const result = await booted.svc.runAtBoot();
      expect(result.reason).to.equal('store-unavailable');
      expect(booted.checkout.callNames).not.to.include('switchTo');
    });

    it('a healthy preprod node whose open mark cannot be written stays selected, and says so', async function () {
      const booted = bootWith({ stored: selected, storeWrites: 'fail', checkout: { branch: 'preprod' } });
      const result = await booted.svc.runAtBoot();
      expect(result).to.deep.include({ mode: 'preprod', reason: 'selected' });
      expect(booted.lines.some((l) => l.startsWith('warn') && l.includes('could not save'))).to.equal(true);
    });
  });

  describe('opt-out and the kill switch need no store', function () {
    it('an opted-out preprod node goes to production with a store that cannot be read', async function () {
      const booted = bootWith({
        initial: { disablePreProd: true },
        storeReads: 'fail',
        checkout: { branch: 'preprod' },
      });
      const result = await booted.svc.runAtBoot();
      expect(result).to.deep.include({
        reason: 'disabled',
        branch: { before: 'preprod', after: 'master', switched: true },
      });
      expect(result.message).to.include('the store could not be read');
    });

    it('probability 0 takes a preprod node to production with no store at all', async function () {
      const booted = bootWith({ storeReads: 'fail', checkout: { branch: 'preprod' }, preProd: { probability: 0 } });
      const result = await booted.svc.runAtBoot();
      expect(result).to.deep.include({
        reason: 'not-selected',
        branch: { before: 'preprod', after: 'master', switched: true },
      });
      expect(result.message).to.include('kill switch');
    });

    it('an opt-out whose memory cannot be written still goes to production', async function () {
      const booted = bootWith({
        stored: selected,
        initial: { disablePreProd: true },
        storeWrites: 'fail',
        checkout: { branch: 'preprod' },
      });
      const result = await booted.svc.runAtBoot();
      expect(result).to.deep.include({
        reason: 'disabled',
        branch: { before: 'preprod', after: 'master', switched: true },
      });
    });
  });

  describe('an unreadable disablePreProd', function () {
    it('opts out for this boot only: nothing remembered, the next boot is selected again', async function () {
      const first = bootWith({
        stored: selected,
        initial: { disablePreProd: 'maybe' },
        checkout: { branch: 'preprod' },
      });
      const result = await first.svc.runAtBoot();
      expect(result).to.deep.include({ reason: 'disabled', optedOut: true });
      expect(result.message).to.include('this boot only');
      expect(first.store.docs.has(OPT_OUT_KEY)).to.equal(false);
      const second = bootWith({ stored: Object.fromEntries(first.store.docs), checkout: { branch: 'master' } });
      expect((await second.svc.runAtBoot()).reason).to.equal('selected');
    });
  });

  describe('crash-loop fallback', function () {
    it('counts only boots that ran preprod code: maxUnhealthyBoots crashing ones, then production', async function () {
      const preProd = { maxUnhealthyBoots: 2 };
      let docs: Record<string, Record<string, unknown>> = { ...selected };
      let branch = 'master';
      const reasons: string[] = [];
      for (let boot = 0; boot < 4; boot += 1) {
        const booted = bootWith({ stored: docs, checkout: { branch }, preProd });
        const result = await booted.svc.runAtBoot();
        reasons.push(`${result.branch.after}/${result.reason}`);
        branch = result.branch.after as string;
        docs = Object.fromEntries(booted.store.docs);
      }
      // The switching boot runs master's code; then two preprod boots crash (never marked healthy).
      expect(reasons).to.deep.equal(['preprod/selected', 'preprod/selected', 'preprod/selected', 'master/crash-loop']);
      expect(docs[BOOT_HEALTH_KEY]).to.have.property('fellBackAt');
    });

    it('healthy on a production boot changes nothing and says so', async function () {
      const booted = bootWith({ stored: notSelected });
      await booted.svc.runAtBoot();
      const report = await booted.svc.markHealthy();
      expect(report.cleared).to.equal(false);
      expect(report.message).to.match(/changes nothing/);
    });

    it('healthy on a preprod boot closes its mark', async function () {
      const booted = bootWith({ stored: selected, checkout: { branch: 'preprod' } });
      await booted.svc.runAtBoot();
      expect((await booted.svc.markHealthy()).cleared).to.equal(true);
      expect(booted.store.docs.get(BOOT_HEALTH_KEY)).not.to.have.property('openSince');
    });
  });

  describe('the deadline, in every phase before the checkout', function () {
    it('while the local checkout does not answer (plan): repo-unreadable, left where it is', async function () {
      const booted = bootWith({ stored: selected, preProd: { bootDeadlineMs: 40 } });
      booted.checkout.findRemote = () => new Promise(() => undefined);
      const result = await booted.svc.runAtBoot();
      expect(result).to.deep.include({
        reason: 'repo-unreadable',
        branch: { before: 'master', after: 'master', switched: false },
      });
    });

    it('while the decision is saved (persist): store-unavailable, nothing moves afterwards', async function () {
      const booted = bootWith({ draw: 0.01, preProd: { probability: 1, bootDeadlineMs: 40 }, storeWrites: 'hang' });
      const result = await booted.svc.runAtBoot();
      expect(result).to.deep.include({
        reason: 'store-unavailable',
        branch: { before: 'master', after: 'master', switched: false },
      });
      expect(booted.checkout.callNames).not.to.include('switchTo');
    });
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

    it('remote silent: the fetch gets what is left, fetch-failed, no switch afterwards', async function () {
      const booted = bootWith({ stored: selected, preProd: deadline, checkout: { fetch: 'hang' } });
      const result = await booted.svc.runAtBoot();
      expect(result).to.deep.include({
        reason: 'fetch-failed',
        branch: { before: 'master', after: 'master', switched: false },
      });
      const budget = Number(booted.checkout.calls.find((c) => c.startsWith('fetch'))?.split(' ')[3]);
      expect(budget).to.be.at.most(40);
      expect(booted.checkout.callNames).not.to.include('switchTo');
    });

    it('during the checkout: the boot waits for it and reports the switch', async function () {
      const booted = bootWith({ stored: selected, preProd: deadline, checkout: { switchTo: 'hang' } });
      let resolved = false;
      const boot = booted.svc.runAtBoot().then((r) => {
        resolved = true;
        return r;
      });
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(resolved, 'resolved while the checkout ran').to.equal(false);
      booted.checkout.release();
      const result = await boot;
      expect(result).to.deep.include({
        reason: 'selected',
        branch: { before: 'master', after: 'preprod', switched: true },
      });
      expect(booted.svc.fluxInfo().preProd.branch).to.equal('preprod');
    });
  });

  describe('restart', function () {
    it('under exit: the restart marker, then exit(1), before runAtBoot resolves; restartPending', async function () {
      const order: string[] = [];
      const booted = bootWith({
        stored: selected,
        gitDir: true,
        options: { restart: 'exit', exit: (code) => order.push(`exit ${code}`) },
      });
      const result = await booted.svc.runAtBoot();
      order.push('resolved');
      expect(order).to.deep.equal(['exit 1', 'resolved']);
      expect(result).to.deep.include({ restart: 'exit', restartPending: true });
      expect(booted.lines.some((l) => l.includes('restart pending'))).to.equal(true);
    });

    it('with a store that never comes: storeless after storeWaitMs', async function () {
      const booted = bootWith({
        options: { store: undefined, db: () => null },
        preProd: { storeWaitMs: 30 },
        checkout: { branch: 'preprod' },
      });
      const result = await booted.svc.runAtBoot();
      expect(result.reason).to.equal('store-unavailable');
      expect(result.message).to.include('within 30 ms');
    });
  });
});
