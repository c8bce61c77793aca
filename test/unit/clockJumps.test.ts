/**
 * A clock that alternates between boots (docs/design.md §3 rule 3): a node
 * that boots before NTP sync, or without an RTC, sees a year-old clock at one
 * boot and the right one at the next. The stored draw is re-dated, never
 * re-drawn: one draw, no move, and a crash-loop fallback stays.
 */
import { expect } from 'chai';
import {
  cohortPeriod,
  decide,
  markHealthyWrite,
  parseCohortRecord,
  type PeriodVerdict,
  type StoreWrite,
} from '../../src/cohort/decide';
import { BOOT_HEALTH_KEY, COHORT_KEY, type PreProdSettings, type StoredDocument } from '../../src/types';
import { defaultSettings } from '../../src/config/settings';

const DAY = 86_400_000;
const YEAR = 365 * DAY;
const RIGHT = new Date('2026-11-15T12:00:00.000Z');
const SETTINGS: PreProdSettings = { ...defaultSettings().preProd, probability: 0.07 };

function at(ms: number): Date {
  return new Date(RIGHT.getTime() + ms);
}

function record(rolledAt: Date, redatedFrom?: Date): StoredDocument {
  const doc: StoredDocument = {
    key: COHORT_KEY,
    value: true,
    draw: 0.03,
    rolledAt,
    probability: 0.07,
    updatedAt: rolledAt,
  };
  if (redatedFrom) doc.redatedFrom = redatedFrom;
  return doc;
}

/** The store of one node as a map, with each boot's writes applied in order. */
function apply(store: Map<string, StoredDocument>, writes: readonly StoreWrite[]): void {
  for (const write of writes) {
    if ('delete' in write) store.delete(write.key);
    else store.set(write.key, write.value);
  }
}

describe('clock jumps (docs/design.md §3 rule 3)', () => {
  describe('cohortPeriod', () => {
    const cases: { name: string; doc: StoredDocument; now: Date; expected: PeriodVerdict }[] = [
      {
        name: 'a record of this period stands',
        doc: record(at(-DAY)),
        now: RIGHT,
        expected: { kind: 'stands', rolledAt: at(-DAY) },
      },
      {
        name: 'a record dated a year ahead of the clock is re-dated to now and remembers its date',
        doc: record(RIGHT),
        now: at(-YEAR),
        expected: { kind: 'redated', rolledAt: at(-YEAR), redatedFrom: RIGHT },
      },
      {
        name: 'the clock back within the remembered period restores the date',
        doc: record(at(-YEAR), RIGHT),
        now: at(DAY),
        expected: { kind: 'restored', rolledAt: RIGHT },
      },
      {
        name: 'a re-dated record ahead again keeps the latest date it had',
        doc: record(at(-YEAR), RIGHT),
        now: at(-2 * YEAR),
        expected: { kind: 'redated', rolledAt: at(-2 * YEAR), redatedFrom: RIGHT },
      },
      {
        name: 'a wrong clock that ran on past its own period: drawn anew',
        doc: record(at(-YEAR), RIGHT),
        now: at(-YEAR + 31 * DAY),
        expected: { kind: 'redraw', why: 'expired' },
      },
      {
        name: 'both dates over: drawn anew',
        doc: record(at(-YEAR), RIGHT),
        now: at(31 * DAY),
        expected: { kind: 'redraw', why: 'expired' },
      },
      {
        name: 'a clock that was once ahead and is right since: a normal period from the first right boot',
        doc: record(RIGHT, at(YEAR)),
        now: at(31 * DAY),
        expected: { kind: 'redraw', why: 'expired' },
      },
    ];
    for (const c of cases) {
      it(c.name, () => {
        expect(cohortPeriod(parseCohortRecord(c.doc), SETTINGS, c.now)).to.deep.equal(c.expected);
      });
    }

    it('forgets a malformed remembered date and keeps the draw', () => {
      const parsed = parseCohortRecord({ ...record(at(-DAY)), redatedFrom: 'yesterday' });
      expect(parsed.kind).to.equal('current');
      expect(cohortPeriod(parsed, SETTINGS, RIGHT)).to.deep.equal({ kind: 'stands', rolledAt: at(-DAY) });
    });
  });

  /** Boots with the clock a year back at every other boot, starting right; returns each decision. */
  function alternatingBoots(store: Map<string, StoredDocument>, boots: number, markHealthy: boolean) {
    let draws = 0;
    const random = () => {
      draws += 1;
      return 0.03;
    };
    const decisions = [];
    for (let boot = 0; boot < boots; boot += 1) {
      // Real time moves on an hour per boot; the wrong clock is a year behind it.
      const now = new Date(RIGHT.getTime() + boot * 3_600_000 - (boot % 2 === 1 ? YEAR : 0));
      const decision = decide({
        settings: SETTINGS,
        flags: { development: false, disablePreProd: undefined },
        cohortDoc: store.get(COHORT_KEY) ?? null,
        optOutDoc: null,
        healthDoc: store.get(BOOT_HEALTH_KEY) ?? null,
        now,
        random,
      });
      apply(store, decision.writes);
      // A healthy preprod node: FluxOS stays up and its boot is marked healthy.
      const healthy = markHealthy ? markHealthyWrite(store.get(BOOT_HEALTH_KEY) ?? null, now) : null;
      if (healthy) apply(store, [healthy]);
      decisions.push(decision);
    }
    return { decisions, draws: () => draws };
  }

  it('eight boots with the clock alternating a year back and forward: one draw, no move', () => {
    const store = new Map<string, StoredDocument>();
    const { decisions, draws } = alternatingBoots(store, 8, true);
    expect(draws(), 'draws').to.equal(1);
    expect(decisions.map((d) => d.targetBranch)).to.deep.equal(Array(8).fill('preprod'));
    expect(decisions.map((d) => d.cohort?.rolled)).to.deep.equal([true, ...Array(7).fill(false)]);
    expect(decisions.map((d) => d.cohort?.redated)).to.deep.equal([
      null,
      'redated',
      'restored',
      'redated',
      'restored',
      'redated',
      'restored',
      'redated',
    ]);
  });

  it('a stored crash-loop fallback survives eight boots with an alternating clock', () => {
    const store = new Map<string, StoredDocument>([
      [COHORT_KEY, record(at(-DAY))],
      [
        BOOT_HEALTH_KEY,
        {
          key: BOOT_HEALTH_KEY,
          cohortRolledAt: at(-DAY),
          unhealthyBoots: 3,
          fellBackAt: at(-DAY),
          updatedAt: at(-DAY),
        },
      ],
    ]);
    const { decisions, draws } = alternatingBoots(store, 8, false);
    expect(draws(), 'draws').to.equal(0);
    expect(decisions.map((d) => d.reason)).to.deep.equal(Array(8).fill('crash-loop'));
    expect(decisions.map((d) => d.targetBranch)).to.deep.equal(Array(8).fill('master'));
    expect(store.get(BOOT_HEALTH_KEY)).to.include({ unhealthyBoots: 3 });
    expect(store.get(BOOT_HEALTH_KEY)?.fellBackAt).to.deep.equal(at(-DAY));
  });

  it('the crash-loop count of the period goes on across a clock jump', () => {
    const store = new Map<string, StoredDocument>([
      [COHORT_KEY, record(at(-DAY))],
      // Two unhealthy boots counted, and the boot that ran last is still open: it ended unhealthy too.
      [
        BOOT_HEALTH_KEY,
        {
          key: BOOT_HEALTH_KEY,
          cohortRolledAt: at(-DAY),
          unhealthyBoots: 2,
          openSince: at(-1000),
          updatedAt: at(-DAY),
        },
      ],
    ]);
    const decision = decide({
      settings: SETTINGS,
      flags: { development: false, disablePreProd: undefined },
      cohortDoc: store.get(COHORT_KEY) ?? null,
      optOutDoc: null,
      healthDoc: store.get(BOOT_HEALTH_KEY) ?? null,
      now: at(-YEAR),
      random: () => {
        throw new Error('must not draw');
      },
    });
    expect(decision).to.include({ reason: 'crash-loop', targetBranch: 'master' });
    expect(decision.health?.unhealthyBoots).to.equal(3);
  });
});
