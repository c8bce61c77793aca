import { expect } from 'chai';
import {
  choosePreprodOrFallback,
  isManagedBranch,
  planSwitch,
  planWithoutRemote,
  type SwitchPlan,
  tracksAnotherRemote,
} from '../../src/checkout/plan';

const settings = { branch: 'preprod', productionBranch: 'master' };

describe('switchPlan', () => {
  describe('planSwitch', () => {
    const cases: Array<{
      name: string;
      branch: string | null;
      target: string;
      remote: string | null;
      plan: SwitchPlan;
    }> = [
      {
        name: 'master → preprod',
        branch: 'master',
        target: 'preprod',
        remote: 'origin',
        plan: { action: 'switch', from: 'master', to: 'preprod', remote: 'origin' },
      },
      {
        name: 'preprod → master',
        branch: 'preprod',
        target: 'master',
        remote: 'upstream',
        plan: { action: 'switch', from: 'preprod', to: 'master', remote: 'upstream' },
      },
      {
        name: 'already on preprod',
        branch: 'preprod',
        target: 'preprod',
        remote: 'origin',
        plan: { action: 'none', branch: 'preprod' },
      },
      {
        name: 'already on master',
        branch: 'master',
        target: 'master',
        remote: 'origin',
        plan: { action: 'none', branch: 'master' },
      },
      {
        name: 'already there beats a missing remote',
        branch: 'master',
        target: 'master',
        remote: null,
        plan: { action: 'none', branch: 'master' },
      },
      {
        name: 'a switch with no matching remote',
        branch: 'master',
        target: 'preprod',
        remote: null,
        plan: { action: 'leave', reason: 'remote-not-found', branch: 'master' },
      },
      {
        name: 'detached HEAD',
        branch: null,
        target: 'preprod',
        remote: 'origin',
        plan: { action: 'leave', reason: 'unmanaged-branch', branch: null },
      },
      {
        name: 'detached HEAD to master (the seed forced it)',
        branch: null,
        target: 'master',
        remote: 'origin',
        plan: { action: 'leave', reason: 'unmanaged-branch', branch: null },
      },
      {
        name: "a developer's branch",
        branch: 'feature/x',
        target: 'master',
        remote: 'origin',
        plan: { action: 'leave', reason: 'unmanaged-branch', branch: 'feature/x' },
      },
      {
        name: 'unmanaged beats a missing remote',
        branch: 'development',
        target: 'preprod',
        remote: null,
        plan: { action: 'leave', reason: 'unmanaged-branch', branch: 'development' },
      },
      {
        name: 'branch names are case-sensitive',
        branch: 'Master',
        target: 'master',
        remote: 'origin',
        plan: { action: 'leave', reason: 'unmanaged-branch', branch: 'Master' },
      },
    ];
    for (const c of cases) {
      it(c.name, () => {
        expect(
          planSwitch({ current: { branch: c.branch }, targetBranch: c.target, settings, remoteName: c.remote }),
        ).to.deep.equal(c.plan);
      });
    }

    it('uses the configured branch names, not master/preprod', () => {
      const custom = { branch: 'rc', productionBranch: 'main' };
      expect(
        planSwitch({ current: { branch: 'main' }, targetBranch: 'rc', settings: custom, remoteName: 'origin' }),
      ).to.deep.equal({
        action: 'switch',
        from: 'main',
        to: 'rc',
        remote: 'origin',
      });
      expect(
        planSwitch({ current: { branch: 'master' }, targetBranch: 'rc', settings: custom, remoteName: 'origin' })
          .action,
      ).to.equal('leave');
    });
  });

  describe('planWithoutRemote', () => {
    const cases: Array<{ branch: string | null; target: string; action: string | null }> = [
      { branch: 'master', target: 'master', action: 'none' },
      { branch: 'preprod', target: 'preprod', action: 'none' },
      { branch: null, target: 'master', action: 'leave' },
      { branch: 'feature', target: 'preprod', action: 'leave' },
      { branch: 'master', target: 'preprod', action: null },
      { branch: 'preprod', target: 'master', action: null },
    ];
    for (const c of cases) {
      it(`${c.branch} with target ${c.target} → ${c.action ?? 'needs the remote'}`, () => {
        const plan = planWithoutRemote({ current: { branch: c.branch }, targetBranch: c.target, settings });
        expect(plan === null ? null : plan.action).to.equal(c.action);
      });
    }
  });

  describe('isManagedBranch', () => {
    const cases: Array<[string | null, boolean]> = [
      ['master', true],
      ['preprod', true],
      [null, false],
      ['main', false],
      ['preprod-old', false],
    ];
    for (const [branch, managed] of cases) {
      it(`${branch} → ${managed}`, () => expect(isManagedBranch(branch, settings)).to.equal(managed));
    }
  });

  describe('choosePreprodOrFallback', () => {
    const tip = 'a'.repeat(40);
    const cases: Array<{
      name: string;
      target: string;
      preprodTip: string | null;
      contained: boolean;
      expected: object;
    }> = [
      {
        name: 'preprod present and up to date',
        target: 'preprod',
        preprodTip: tip,
        contained: true,
        expected: { branch: 'preprod' },
      },
      {
        name: 'preprod missing on the remote',
        target: 'preprod',
        preprodTip: null,
        contained: false,
        expected: { branch: 'master', reason: 'preprod-unavailable', detail: 'missing-on-remote' },
      },
      {
        name: 'preprod missing even if "contained" were claimed',
        target: 'preprod',
        preprodTip: null,
        contained: true,
        expected: { branch: 'master', reason: 'preprod-unavailable', detail: 'missing-on-remote' },
      },
      {
        name: 'preprod lacks a fix already on master',
        target: 'preprod',
        preprodTip: tip,
        contained: false,
        expected: { branch: 'master', reason: 'preprod-unavailable', detail: 'lacks-production-tip' },
      },
      {
        name: 'production target is never redirected',
        target: 'master',
        preprodTip: null,
        contained: false,
        expected: { branch: 'master' },
      },
      {
        name: 'production target with a healthy preprod',
        target: 'master',
        preprodTip: tip,
        contained: true,
        expected: { branch: 'master' },
      },
    ];
    for (const c of cases) {
      it(c.name, () => {
        expect(
          choosePreprodOrFallback({
            target: c.target,
            settings,
            preprodTip: c.preprodTip,
            productionContained: c.contained,
          }),
        ).to.deep.equal(c.expected);
      });
    }
  });

  describe("a managed name that tracks another remote (an operator's fork)", () => {
    const withRemote = { ...settings, remote: 'https://github.com/RunOnFlux/flux.git' };
    const cases: Array<[string, { remote: string; url: string | null } | null | undefined, boolean]> = [
      ['the configured upstream, another spelling', { remote: 'origin', url: 'git@github.com:runonflux/flux' }, false],
      ['a fork', { remote: 'fork', url: 'https://github.com/operator/flux' }, true],
      ['a plain-http copy counts as another remote', { remote: 'o', url: 'http://github.com/RunOnFlux/flux' }, true],
      ['no upstream', null, false],
      ['unknown (the config includes other files)', undefined, false],
      ['the local "." remote', { remote: '.', url: null }, false],
    ];
    for (const [name, upstream, fork] of cases) {
      it(`${name} → ${fork ? 'unmanaged-branch' : 'managed'}`, () => {
        const current = { branch: 'master', upstream };
        expect(tracksAnotherRemote({ current, settings: withRemote })).to.equal(fork);
        const plan = planSwitch({ current, targetBranch: 'preprod', settings: withRemote, remoteName: 'origin' });
        expect(plan.action).to.equal(fork ? 'leave' : 'switch');
        if (fork)
          expect(planWithoutRemote({ current, targetBranch: 'master', settings: withRemote })).to.deep.equal({
            action: 'leave',
            reason: 'unmanaged-branch',
            branch: 'master',
          });
      });
    }
    it('without a configured remote in the settings, the upstream is not judged', () => {
      const current = { branch: 'master', upstream: { remote: 'fork', url: 'https://github.com/operator/flux' } };
      expect(tracksAnotherRemote({ current, settings })).to.equal(false);
    });
  });
});
