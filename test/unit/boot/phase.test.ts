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
    { phase: { name: 'inputs', head: null }, expected: { reason: 'store-unavailable', switched: false } },
    { phase: { name: 'plan', head, decision }, expected: { reason: 'store-unavailable', switched: false } },
    { phase: { name: 'fetch', head, decision }, expected: { reason: 'fetch-failed', switched: false } },
    { phase: { name: 'switch', head, decision }, expected: { reason: 'selected', switched: false } },
    {
      phase: { name: 'install', head: moved, before: 'master', decision, reason: 'preprod-unavailable' },
      expected: { reason: 'preprod-unavailable', switched: true },
    },
    {
      phase: { name: 'restart', head: moved, before: 'master', decision, reason: 'selected' },
      expected: { reason: 'selected', switched: true },
    },
  ];
  for (const c of cases) {
    it(`${c.phase.name}: ${c.expected.reason}${c.expected.switched ? ', switched' : ', left where it is'}`, function () {
      expect(deadlineOutcome(c.phase)).to.deep.equal(c.expected);
    });
  }
});
