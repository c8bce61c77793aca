import { expect } from 'chai';
import { decide, type Decision, type DecisionInput } from '../../src/cohort/decide';
import { storeWritesRequired, writesForLanding, type Landing } from '../../src/cohort/landing';
import { defaultSettings } from '../../src/config/settings';
import { BOOT_HEALTH_KEY, COHORT_KEY, OPT_OUT_KEY, type StoredDocument } from '../../src/types';

const settings = { ...defaultSettings().preProd, probability: 0.5, maxUnhealthyBoots: 3 };
const NOW = new Date('2026-11-15T00:00:00Z');
const ROLLED = new Date('2026-11-10T00:00:00Z');
const flags = { development: false, disablePreProd: undefined };
const stored = (draw: number): StoredDocument => ({
  key: COHORT_KEY,
  value: draw < 0.5,
  draw,
  rolledAt: ROLLED,
  probability: 0.5,
  updatedAt: ROLLED,
});
const counter = (over: StoredDocument): StoredDocument => ({
  key: BOOT_HEALTH_KEY,
  cohortRolledAt: ROLLED,
  unhealthyBoots: 0,
  updatedAt: ROLLED,
  ...over,
});

function decided(over: Partial<DecisionInput>): Decision {
  return decide({
    settings,
    flags,
    cohortDoc: null,
    optOutDoc: null,
    healthDoc: null,
    now: NOW,
    random: () => 0.1,
    ...over,
  });
}

const onPreprod: Landing = { branch: 'preprod', switched: false, boot: true };
const toPreprod: Landing = { branch: 'preprod', switched: true, boot: true };
const onMaster: Landing = { branch: 'master', switched: false, boot: true };
const toMaster: Landing = { branch: 'master', switched: true, boot: true };
const checked: Landing = { branch: 'preprod', switched: false, boot: false };

/** key, and for the counter what it says: `open` (this boot runs preprod code), the count, `fell`. */
function shape(write: ReturnType<typeof writesForLanding>[number]): string {
  if ('delete' in write) return `delete ${write.key}`;
  if (write.key !== BOOT_HEALTH_KEY) return write.key;
  const v = write.value;
  return `${write.key} ${v.unhealthyBoots}${v.openSince ? ' open' : ''}${v.fellBackAt ? ' fell' : ''}`;
}

describe('writesForLanding (which writes persist a decision, by where the checkout landed)', function () {
  const cases: { name: string; decision: Decision; landing: Landing; writes: string[]; required: boolean }[] = [
    {
      name: 'a new draw that selects, switching to preprod: the draw, no open mark (old code runs)',
      decision: decided({}),
      landing: toPreprod,
      writes: [COHORT_KEY],
      required: true,
    },
    {
      name: 'a new draw that selects, staying on preprod: the draw and the open mark',
      decision: decided({}),
      landing: onPreprod,
      writes: [COHORT_KEY, `${BOOT_HEALTH_KEY} 0 open`],
      required: true,
    },
    {
      name: 'a new draw, left on master (preprod unusable): the draw',
      decision: decided({}),
      landing: onMaster,
      writes: [COHORT_KEY],
      required: true,
    },
    {
      name: 'a new draw that does not select, on master: the draw',
      decision: decided({ random: () => 0.9 }),
      landing: onMaster,
      writes: [COHORT_KEY],
      required: true,
    },
    {
      name: 'a stored draw, on preprod: the open mark only, not required',
      decision: decided({ cohortDoc: stored(0.1) }),
      landing: onPreprod,
      writes: [`${BOOT_HEALTH_KEY} 0 open`],
      required: false,
    },
    {
      name: 'a stored draw, switching to preprod: nothing',
      decision: decided({ cohortDoc: stored(0.1) }),
      landing: toPreprod,
      writes: [],
      required: false,
    },
    {
      name: 'an open mark found on preprod: counted, and this boot opens its own',
      decision: decided({ cohortDoc: stored(0.1), healthDoc: counter({ unhealthyBoots: 1, openSince: ROLLED }) }),
      landing: onPreprod,
      writes: [`${BOOT_HEALTH_KEY} 2 open`],
      required: true,
    },
    {
      name: 'an open mark ended by the package (restart marker newer): not counted',
      decision: decided({
        cohortDoc: stored(0.1),
        healthDoc: counter({ unhealthyBoots: 1, openSince: ROLLED }),
        restartMarkerAt: NOW,
      }),
      landing: onPreprod,
      writes: [`${BOOT_HEALTH_KEY} 1 open`],
      required: true,
    },
    {
      name: 'the count reaches the limit: the fallback is dated and stored, going to master',
      decision: decided({ cohortDoc: stored(0.1), healthDoc: counter({ unhealthyBoots: 2, openSince: ROLLED }) }),
      landing: toMaster,
      writes: [`${BOOT_HEALTH_KEY} 3 fell`],
      required: true,
    },
    {
      name: 'an earlier fallback on master: nothing',
      decision: decided({ cohortDoc: stored(0.1), healthDoc: counter({ unhealthyBoots: 3, fellBackAt: ROLLED }) }),
      landing: onMaster,
      writes: [],
      required: false,
    },
    {
      name: 'kill switch on preprod with an open mark: counted and closed, not required',
      decision: decided({
        settings: { ...settings, probability: 0 },
        cohortDoc: stored(0.1),
        healthDoc: counter({ openSince: ROLLED }),
      }),
      landing: toMaster,
      writes: [COHORT_KEY, `${BOOT_HEALTH_KEY} 1`],
      required: false,
    },
    {
      name: 'a background check on preprod: no open mark, nothing counted',
      decision: decided({
        cohortDoc: stored(0.1),
        healthDoc: counter({ openSince: ROLLED }),
        countPreviousBoot: false,
      }),
      landing: checked,
      writes: [],
      required: false,
    },
    {
      name: 'an opt-out: remembered, never required',
      decision: decided({ flags: { development: false, disablePreProd: true } }),
      landing: toMaster,
      writes: [OPT_OUT_KEY],
      required: false,
    },
    {
      name: 'an unreadable userconfig: opted out, nothing remembered',
      decision: decided({ userconfigProblem: 'bad' }),
      landing: toMaster,
      writes: [],
      required: false,
    },
  ];
  for (const c of cases) {
    it(c.name, function () {
      const writes = writesForLanding(c.decision, c.landing, settings, NOW);
      expect(writes.map(shape)).to.deep.equal(c.writes);
      expect(storeWritesRequired(c.decision, writes, c.landing.switched)).to.equal(c.required);
    });
  }
});
