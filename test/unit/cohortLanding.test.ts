import { expect } from 'chai';
import { decide, type Decision } from '../../src/cohort/decide';
import { writesForLanding } from '../../src/cohort/landing';
import { defaultSettings } from '../../src/config/settings';
import { BOOT_HEALTH_KEY, COHORT_KEY } from '../../src/types';

const settings = { ...defaultSettings().preProd, probability: 0.5 };
const now = new Date('2026-11-15T00:00:00Z');
const flags = { development: false, disablePreProd: undefined };
function decided(draw: number): Decision {
  return decide({ settings, flags, cohortDoc: null, optOutDoc: null, healthDoc: null, now, random: () => draw });
}

describe('writesForLanding (which writes persist a decision, by the branch the checkout landed on)', function () {
  const cases: { name: string; decision: Decision; landed: string | null; keys: string[] }[] = [
    {
      name: 'selected, landed on preprod: the draw and the boot counter',
      decision: decided(0.1),
      landed: 'preprod',
      keys: [COHORT_KEY, BOOT_HEALTH_KEY],
    },
    { name: 'selected, left on master: the draw only', decision: decided(0.1), landed: 'master', keys: [COHORT_KEY] },
    { name: 'selected, not a checkout: the draw only', decision: decided(0.1), landed: null, keys: [COHORT_KEY] },
    { name: 'not selected, on master: the draw', decision: decided(0.9), landed: 'master', keys: [COHORT_KEY] },
  ];
  for (const c of cases) {
    it(c.name, function () {
      expect(writesForLanding(c.decision, c.landed, settings).map((w) => w.key)).to.deep.equal(c.keys);
    });
  }
});
