import { expect } from 'chai';
import { deadlineOutcome, type BootPhase, type DeadlineOutcome } from '../../../src/boot/phase';
import { decide, type BranchDecision } from '../../../src/cohort/decide';
import { defaultSettings } from '../../../src/config/settings';

const settings = defaultSettings().preProd;
const decision = decide({
  settings: { ...settings, probability: 1 },
  flags: { development: false, disablePreProd: undefined },
  cohortDoc: null,
  optOutDoc: null,
  healthDoc: null,
  now: new Date('2026-11-15T00:00:00Z'),
  random: () => 0.5,
}) as BranchDecision;
const head = { branch: 'master', commit: 'a'.repeat(40) };
const moved = { branch: 'preprod', commit: 'b'.repeat(40) };

describe('deadlineOutcome (the boot deadline, by phase)', function () {
  const cases: { phase: BootPhase; expected: DeadlineOutcome }[] = [
    { phase: { name: 'lock' }, expected: { kind: 'leave', reason: 'boot-locked' } },
    { phase: { name: 'read', head: null }, expected: { kind: 'leave', reason: 'store-unavailable' } },
    { phase: { name: 'plan', head, decision }, expected: { kind: 'leave', reason: 'repo-unreadable' } },
    { phase: { name: 'fetch', head, decision }, expected: { kind: 'finish-step', reason: 'fetch-failed' } },
    { phase: { name: 'persist', head, decision }, expected: { kind: 'leave', reason: 'store-unavailable' } },
    { phase: { name: 'switch', head, decision }, expected: { kind: 'commit' } },
    {
      phase: { name: 'install', head: moved, before: 'master', decision, reason: 'selected' },
      expected: { kind: 'commit' },
    },
    {
      phase: { name: 'restart', head: moved, before: 'master', decision, reason: 'selected' },
      expected: { kind: 'commit' },
    },
    { phase: { name: 'done' }, expected: { kind: 'commit' } },
  ];
  for (const c of cases) {
    it(`${c.phase.name}: ${c.expected.kind}${'reason' in c.expected ? ` (${c.expected.reason})` : ''}`, function () {
      expect(deadlineOutcome(c.phase)).to.deep.equal(c.expected);
    });
  }
});
