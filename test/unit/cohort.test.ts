import { expect } from 'chai';

import {
  decide,
  describeDecision,
  markHealthyWrite,
  nextRollAt,
  parseBootHealth,
  parseCohortRecord,
  redrawReason,
  type Decision,
  type DecisionInput,
  type RedrawReason,
  type StoreWrite,
} from '../../src/cohort/decide';
import { seededRandom, type RandomSource } from '../../src/cohort/random';
import { BOOT_HEALTH_KEY, COHORT_KEY, OPT_OUT_KEY, type PreProdSettings, type StoredDocument } from '../../src/types';

const MINUTE = 60_000;
const DAY = 86_400_000;
const NOW = new Date('2026-11-15T12:00:00.000Z');

/** NOW shifted by `ms`. */
function at(ms: number): Date {
  return new Date(NOW.getTime() + ms);
}

const SETTINGS: PreProdSettings = {
  probability: 0.07,
  daysToNextEval: 30,
  branch: 'preprod',
  productionBranch: 'master',
  remote: 'https://github.com/RunOnFlux/flux.git',
  clockSkewMinutes: 10,
  maxUnhealthyBoots: 3,
  healthyAfterMs: 600_000,
  bootDeadlineMs: 15_000,
  fetchTimeoutMs: 8_000,
  installCommand: ['npm', 'install', '--omit=dev', '--legacy-peer-deps'],
  arcaneOsInstallArgs: ['--cache', '/dat/usr/lib/npm'],
  installTimeoutMs: 600_000,
  restart: 'auto',
  storeWaitMs: 5_000,
  recheckHours: 6,
};

const ROLLED = at(-5 * DAY);

/** A valid current cohort record rolled five days ago. */
function cohortDoc(overrides: StoredDocument = {}): StoredDocument {
  return {
    key: COHORT_KEY,
    value: true,
    draw: 0.03,
    rolledAt: ROLLED,
    probability: 0.07,
    updatedAt: ROLLED,
    ...overrides,
  };
}

function healthDoc(overrides: StoredDocument = {}): StoredDocument {
  return { key: BOOT_HEALTH_KEY, cohortRolledAt: ROLLED, unhealthyBoots: 1, updatedAt: at(-DAY), ...overrides };
}

const OPTED_OUT: StoredDocument = { key: OPT_OUT_KEY, optedOut: true, updatedAt: at(-10 * DAY) };

/** A random source that fails the test when a decision draws although it must not. */
const mustNotDraw: RandomSource = () => {
  throw new Error('the decision drew a random number although the stored draw should stand');
};

function fixed(value: number): RandomSource {
  return () => value;
}

function input(overrides: Partial<DecisionInput> & { probability?: number } = {}): DecisionInput {
  const { probability, ...rest } = overrides;
  return {
    settings: probability === undefined ? SETTINGS : { ...SETTINGS, probability },
    flags: { development: false, disablePreProd: undefined },
    cohortDoc: null,
    optOutDoc: null,
    healthDoc: null,
    now: NOW,
    random: mustNotDraw,
    ...rest,
  };
}

function newRecord(draw: number, probability = 0.07): StoreWrite {
  return {
    key: COHORT_KEY,
    value: { key: COHORT_KEY, value: draw < probability, draw, rolledAt: NOW, probability, updatedAt: NOW },
  };
}

/** The counter a boot that runs preprod code writes: its count, and its own open mark. */
function counterWrite(unhealthyBoots: number, cohortRolledAt: Date): StoreWrite {
  return {
    key: BOOT_HEALTH_KEY,
    value: { key: BOOT_HEALTH_KEY, cohortRolledAt, unhealthyBoots, updatedAt: NOW, openSince: NOW },
  };
}

/** The counter a boot writes without opening a mark (a fallback, a count on the way to production). */
function countedWrite(unhealthyBoots: number, cohortRolledAt: Date, fellBackAt?: Date): StoreWrite {
  const value: StoredDocument = { key: BOOT_HEALTH_KEY, cohortRolledAt, unhealthyBoots, updatedAt: NOW };
  if (fellBackAt) value.fellBackAt = fellBackAt;
  return { key: BOOT_HEALTH_KEY, value };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !(value instanceof Date)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

describe('cohort', () => {
  describe('parseCohortRecord', () => {
    it('calls an absent document missing', () => {
      expect(parseCohortRecord(null)).to.deep.equal({ kind: 'missing' });
    });

    it('reads a whole current record', () => {
      expect(parseCohortRecord(cohortDoc({ _id: 'ignored' }))).to.deep.equal({
        kind: 'current',
        record: { key: COHORT_KEY, value: true, draw: 0.03, rolledAt: ROLLED, probability: 0.07, updatedAt: ROLLED },
      });
    });

    it('accepts a record without its key field (the store adds it)', () => {
      const { key: _key, ...withoutKey } = cohortDoc();
      expect(parseCohortRecord(withoutKey).kind).to.equal('current');
    });

    const legacy: { name: string; doc: StoredDocument; expected: unknown }[] = [
      {
        name: 'a seed record dated by its ObjectId',
        doc: { key: COHORT_KEY, value: true, _id: 'x', _idTime: at(-3 * DAY) },
        expected: { kind: 'legacy', record: { key: COHORT_KEY, value: true, _idTime: at(-3 * DAY) } },
      },
      {
        name: 'a seed record that cannot be dated (file store)',
        doc: { key: COHORT_KEY, value: false },
        expected: { kind: 'legacy', record: { key: COHORT_KEY, value: false } },
      },
    ];
    for (const c of legacy) {
      it(`reads ${c.name} as legacy`, () => {
        expect(parseCohortRecord(c.doc)).to.deep.equal(c.expected);
      });
    }

    // Anything a hand edit, an older version or a torn write can leave behind.
    const malformed: { name: string; doc: unknown; problem: RegExp }[] = [
      { name: 'an array', doc: [cohortDoc()], problem: /`the cohort record` to be an object, got an array/ },
      { name: 'a string', doc: 'isPreProd', problem: /to be an object, got 'isPreProd'/ },
      { name: 'a number', doc: 42, problem: /to be an object, got 42/ },
      { name: 'an empty object', doc: {}, problem: /`value` to be a boolean, got undefined/ },
      { name: 'another key', doc: cohortDoc({ key: 'ip' }), problem: /`key` to be 'isPreProd', got 'ip'/ },
      { name: 'value as a string', doc: cohortDoc({ value: 'true' }), problem: /`value` to be a boolean, got 'true'/ },
      { name: 'value null', doc: cohortDoc({ value: null }), problem: /`value` to be a boolean, got null/ },
      { name: 'value 1', doc: cohortDoc({ value: 1 }), problem: /`value` to be a boolean, got 1/ },
      { name: 'draw 1.5', doc: cohortDoc({ draw: 1.5 }), problem: /`draw` .* got 1\.5/ },
      { name: 'draw exactly 1', doc: cohortDoc({ draw: 1 }), problem: /`draw` .* got 1\./ },
      { name: 'a negative draw', doc: cohortDoc({ draw: -0.01 }), problem: /`draw` .* got -0\.01/ },
      { name: 'draw NaN', doc: cohortDoc({ draw: Number.NaN }), problem: /`draw` .* got NaN/ },
      { name: 'draw Infinity', doc: cohortDoc({ draw: Number.POSITIVE_INFINITY }), problem: /`draw` .* got Infinity/ },
      { name: 'draw as a string', doc: cohortDoc({ draw: '0.03' }), problem: /`draw` .* got '0\.03'/ },
      { name: 'draw null', doc: cohortDoc({ draw: null }), problem: /`draw` .* got null/ },
      { name: 'draw as an array', doc: cohortDoc({ draw: [0.03] }), problem: /`draw` .* got an array/ },
      { name: 'draw missing', doc: cohortDoc({ draw: undefined }), problem: /`draw` .* got undefined/ },
      {
        name: 'probability 1.5',
        doc: cohortDoc({ probability: 1.5 }),
        problem: /`probability` to be a number from 0 to 1, got 1\.5/,
      },
      {
        name: 'a negative probability',
        doc: cohortDoc({ probability: -0.07 }),
        problem: /`probability` .* got -0\.07/,
      },
      { name: 'probability NaN', doc: cohortDoc({ probability: Number.NaN }), problem: /`probability` .* got NaN/ },
      {
        name: 'probability missing',
        doc: cohortDoc({ probability: undefined }),
        problem: /`probability` .* got undefined/,
      },
      {
        name: 'rolledAt as an ISO string',
        doc: cohortDoc({ rolledAt: ROLLED.toISOString() }),
        problem: /`rolledAt` to be a valid date, got '2026/,
      },
      {
        name: 'rolledAt as epoch milliseconds',
        doc: cohortDoc({ rolledAt: ROLLED.getTime() }),
        problem: /`rolledAt` .* got \d+/,
      },
      {
        name: 'rolledAt an invalid Date',
        doc: cohortDoc({ rolledAt: new Date('nope') }),
        problem: /`rolledAt` to be a valid date, got an object/,
      },
      { name: 'rolledAt missing', doc: cohortDoc({ rolledAt: undefined }), problem: /`rolledAt` .* got undefined/ },
      {
        name: 'rolledAt as a plain object',
        doc: cohortDoc({ rolledAt: { $date: ROLLED.toISOString() } }),
        problem: /`rolledAt` .* got an object/,
      },
      { name: 'updatedAt missing', doc: cohortDoc({ updatedAt: undefined }), problem: /`updatedAt` .* got undefined/ },
      {
        name: 'updatedAt as a string',
        doc: cohortDoc({ updatedAt: 'yesterday' }),
        problem: /`updatedAt` .* got 'yesterday'/,
      },
      {
        name: 'a half-written record: draw without rolledAt',
        doc: { key: COHORT_KEY, value: true, draw: 0.03 },
        problem: /`probability`/,
      },
      {
        name: 'a seed record with updatedAt only',
        doc: { key: COHORT_KEY, value: true, updatedAt: NOW },
        problem: /`draw`/,
      },
      {
        name: 'a seed record with a string _idTime',
        doc: { key: COHORT_KEY, value: true, _idTime: '2026-11-01' },
        problem: /`_idTime` to be a valid date/,
      },
      {
        name: 'a seed record with an invalid _idTime',
        doc: { key: COHORT_KEY, value: true, _idTime: new Date(Number.NaN) },
        problem: /`_idTime`/,
      },
    ];
    for (const c of malformed) {
      it(`calls ${c.name} malformed, naming the problem`, () => {
        const parsed = parseCohortRecord(c.doc as StoredDocument);
        expect(parsed.kind).to.equal('malformed');
        expect(parsed.kind === 'malformed' && parsed.problem).to.match(c.problem);
      });

      it(`draws anew over ${c.name}, without throwing`, () => {
        const decision = decide(input({ cohortDoc: c.doc as StoredDocument, random: fixed(0.5) }));
        expect(decision.cohort).to.include({ rolled: true, redrawReason: 'malformed', draw: 0.5 });
        expect(decision.writes).to.deep.equal([newRecord(0.5)]);
      });
    }
  });

  describe('redrawReason (the one re-draw rule)', () => {
    const cases: {
      name: string;
      doc: StoredDocument | null;
      settings?: Partial<PreProdSettings>;
      expected: RedrawReason | null;
    }[] = [
      { name: 'no record', doc: null, expected: 'missing' },
      { name: 'a malformed record', doc: cohortDoc({ draw: 2 }), expected: 'malformed' },
      { name: 'a record rolled 5 days ago', doc: cohortDoc(), expected: null },
      { name: 'a record rolled just now', doc: cohortDoc({ rolledAt: NOW }), expected: null },
      { name: 'a record 1 ms short of its 30 days', doc: cohortDoc({ rolledAt: at(-30 * DAY + 1) }), expected: null },
      { name: 'a record exactly 30 days old', doc: cohortDoc({ rolledAt: at(-30 * DAY) }), expected: 'expired' },
      { name: 'a record 31 days old', doc: cohortDoc({ rolledAt: at(-31 * DAY) }), expected: 'expired' },
      {
        name: 'a record exactly 7 days old with daysToNextEval 7',
        doc: cohortDoc({ rolledAt: at(-7 * DAY) }),
        settings: { daysToNextEval: 7 },
        expected: 'expired',
      },
      {
        name: 'a record 6 days old with daysToNextEval 7',
        doc: cohortDoc({ rolledAt: at(-6 * DAY) }),
        settings: { daysToNextEval: 7 },
        expected: null,
      },
      { name: 'rolledAt 1 minute ahead (clock skew)', doc: cohortDoc({ rolledAt: at(MINUTE) }), expected: null },
      {
        name: 'rolledAt exactly at the 10-minute allowance',
        doc: cohortDoc({ rolledAt: at(10 * MINUTE) }),
        expected: null,
      },
      {
        name: 'rolledAt 1 ms beyond the allowance',
        doc: cohortDoc({ rolledAt: at(10 * MINUTE + 1) }),
        expected: null, // re-dated, not re-drawn (rule 3)
      },
      { name: 'rolledAt a year ahead', doc: cohortDoc({ rolledAt: at(365 * DAY) }), expected: null },
      {
        name: 'rolledAt 5 minutes ahead with no allowance',
        doc: cohortDoc({ rolledAt: at(5 * MINUTE) }),
        settings: { clockSkewMinutes: 0 },
        expected: null,
      },
      {
        name: 'a seed record 29 days old',
        doc: { key: COHORT_KEY, value: true, _idTime: at(-29 * DAY) },
        expected: null,
      },
      {
        name: 'a seed record exactly 30 days old',
        doc: { key: COHORT_KEY, value: true, _idTime: at(-30 * DAY) },
        expected: 'legacy-expired',
      },
      {
        name: 'a seed record two years old',
        doc: { key: COHORT_KEY, value: false, _idTime: at(-730 * DAY) },
        expected: 'legacy-expired',
      },
      { name: 'a seed record that cannot be dated', doc: { key: COHORT_KEY, value: true }, expected: 'legacy-expired' },
      {
        name: 'a seed record dated within the allowance ahead',
        doc: { key: COHORT_KEY, value: true, _idTime: at(10 * MINUTE) },
        expected: null,
      },
      {
        name: 'a seed record dated beyond the allowance ahead (it stands: an ObjectId cannot be re-dated)',
        doc: { key: COHORT_KEY, value: true, _idTime: at(11 * MINUTE) },
        expected: null,
      },
    ];
    for (const c of cases) {
      it(`${c.expected ?? 'keeps the draw'} for ${c.name}`, () => {
        const settings = { ...SETTINGS, ...c.settings };
        expect(redrawReason(parseCohortRecord(c.doc), settings, NOW)).to.equal(c.expected);
      });
    }

    it('ignores the probability: even the kill switch keeps a valid draw', () => {
      for (const probability of [0, 0.07, 1]) {
        expect(redrawReason(parseCohortRecord(cohortDoc()), { ...SETTINGS, probability }, NOW)).to.equal(null);
      }
    });
  });

  describe('nextRollAt', () => {
    const cases: { rolledAt: string; days: number; expected: string }[] = [
      { rolledAt: '2026-11-02T08:00:00.000Z', days: 30, expected: '2026-12-02T08:00:00.000Z' },
      { rolledAt: '2026-02-01T00:00:00.000Z', days: 30, expected: '2026-03-03T00:00:00.000Z' },
      { rolledAt: '2026-11-02T08:00:00.000Z', days: 0.5, expected: '2026-11-02T20:00:00.000Z' },
    ];
    for (const c of cases) {
      it(`is ${c.expected} for ${c.rolledAt} + ${c.days} days`, () => {
        expect(nextRollAt(new Date(c.rolledAt), { daysToNextEval: c.days }).toISOString()).to.equal(c.expected);
      });
    }
  });

  describe('decide', () => {
    interface Case {
      name: string;
      input: DecisionInput;
      mode: Decision['mode'];
      reason: Decision['reason'];
      optedOut?: boolean;
      targetBranch?: string | null;
      cohort?: Partial<NonNullable<Decision['cohort']>> | null;
      writes: StoreWrite[];
    }
    const dev = { development: true, disablePreProd: true };
    const optOut = { development: false, disablePreProd: true };
    const optIn = { development: false, disablePreProd: false };
    const cases: Case[] = [
      // Rule 1: development.
      {
        name: 'a development node is skipped without reading or writing anything',
        input: input({
          flags: dev,
          cohortDoc: cohortDoc({ rolledAt: at(-90 * DAY) }),
          optOutDoc: OPTED_OUT,
          healthDoc: healthDoc(),
        }),
        mode: 'skipped',
        reason: 'development',
        targetBranch: null,
        cohort: null,
        optedOut: false,
        writes: [],
      },
      // Rule 2: opt-out.
      {
        name: 'disablePreProd true with nothing stored: production, and the opt-out is remembered',
        input: input({ flags: optOut, cohortDoc: cohortDoc() }),
        mode: 'production',
        reason: 'disabled',
        targetBranch: 'master',
        cohort: null,
        optedOut: true,
        writes: [{ key: OPT_OUT_KEY, value: { key: OPT_OUT_KEY, optedOut: true, updatedAt: NOW } }],
      },
      {
        name: 'disablePreProd true with the opt-out already remembered: no write',
        input: input({ flags: optOut, optOutDoc: OPTED_OUT }),
        mode: 'production',
        reason: 'disabled',
        optedOut: true,
        writes: [],
      },
      {
        name: 'disablePreProd true over a malformed remembered opt-out: rewritten',
        input: input({ flags: optOut, optOutDoc: { key: OPT_OUT_KEY, optedOut: 'yes' } }),
        mode: 'production',
        reason: 'disabled',
        optedOut: true,
        writes: [{ key: OPT_OUT_KEY, value: { key: OPT_OUT_KEY, optedOut: true, updatedAt: NOW } }],
      },
      {
        name: 'disablePreProd absent (dropped by a userconfig rewrite) with a remembered opt-out: still production',
        input: input({ cohortDoc: cohortDoc(), optOutDoc: OPTED_OUT }),
        mode: 'production',
        reason: 'disabled',
        cohort: null,
        optedOut: true,
        writes: [],
      },
      {
        name: 'disablePreProd absent and a remembered optedOut false: the cohort decides',
        input: input({ cohortDoc: cohortDoc(), optOutDoc: { key: OPT_OUT_KEY, optedOut: false } }),
        mode: 'preprod',
        reason: 'selected',
        optedOut: false,
        writes: [counterWrite(0, ROLLED)],
      },
      {
        name: 'disablePreProd false explicitly clears a remembered opt-out, then the cohort decides',
        input: input({ flags: optIn, cohortDoc: cohortDoc(), optOutDoc: OPTED_OUT }),
        mode: 'preprod',
        reason: 'selected',
        optedOut: false,
        writes: [{ key: OPT_OUT_KEY, delete: true }, counterWrite(0, ROLLED)],
      },
      {
        name: 'disablePreProd false with nothing remembered: nothing to clear',
        input: input({ flags: optIn, cohortDoc: cohortDoc({ value: false, draw: 0.5 }) }),
        mode: 'production',
        reason: 'not-selected',
        optedOut: false,
        writes: [],
      },
      // Rule 3: a new draw.
      {
        name: 'no record, draw 0.03: preprod, the draw is stored',
        input: input({ random: fixed(0.03) }),
        mode: 'preprod',
        reason: 'selected',
        targetBranch: 'preprod',
        cohort: {
          draw: 0.03,
          probability: 0.07,
          rolledAt: NOW,
          nextRollAt: at(30 * DAY),
          rolled: true,
          redrawReason: 'missing',
          legacy: false,
        },
        writes: [newRecord(0.03), counterWrite(0, NOW)],
      },
      {
        name: 'no record, draw 0.5: production, the draw is stored',
        input: input({ random: fixed(0.5) }),
        mode: 'production',
        reason: 'not-selected',
        targetBranch: 'master',
        cohort: { draw: 0.5, rolled: true, redrawReason: 'missing', selected: false },
        writes: [newRecord(0.5)],
      },
      {
        name: 'no record, a draw equal to the probability: production (strictly below wins)',
        input: input({ random: fixed(0.07) }),
        mode: 'production',
        reason: 'not-selected',
        writes: [newRecord(0.07)],
      },
      {
        name: 'no record, draw 0: preprod',
        input: input({ random: fixed(0) }),
        mode: 'preprod',
        reason: 'selected',
        writes: [newRecord(0), counterWrite(0, NOW)],
      },
      {
        name: 'an expired record is drawn anew',
        input: input({ cohortDoc: cohortDoc({ rolledAt: at(-30 * DAY), draw: 0.01 }), random: fixed(0.9) }),
        mode: 'production',
        reason: 'not-selected',
        cohort: { draw: 0.9, rolled: true, redrawReason: 'expired', rolledAt: NOW },
        writes: [newRecord(0.9)],
      },
      {
        name: 'a future-dated record is re-dated to now, its draw kept and its date remembered',
        input: input({ cohortDoc: cohortDoc({ rolledAt: at(DAY) }) }),
        mode: 'preprod',
        reason: 'selected',
        cohort: { draw: 0.03, rolled: false, redrawReason: null, redated: 'redated', rolledAt: NOW },
        writes: [
          { key: COHORT_KEY, value: { ...cohortDoc({ rolledAt: NOW, updatedAt: NOW }), redatedFrom: at(DAY) } },
          counterWrite(0, NOW),
        ],
      },
      {
        name: 'a record within the clock-skew allowance stands',
        input: input({ cohortDoc: cohortDoc({ rolledAt: at(10 * MINUTE), updatedAt: at(10 * MINUTE) }) }),
        mode: 'preprod',
        reason: 'selected',
        cohort: { rolled: false, rolledAt: at(10 * MINUTE) },
        writes: [counterWrite(0, at(10 * MINUTE))],
      },
      // Rule 4: the stored draw against the current probability.
      {
        name: 'an unchanged production node writes nothing',
        input: input({ cohortDoc: cohortDoc({ value: false, draw: 0.5 }) }),
        mode: 'production',
        reason: 'not-selected',
        cohort: {
          draw: 0.5,
          rolled: false,
          redrawReason: null,
          rolledAt: ROLLED,
          nextRollAt: at(25 * DAY),
          selected: false,
        },
        writes: [],
      },
      {
        name: 'a stored draw equal to the probability: production (strictly below wins)',
        input: input({ cohortDoc: cohortDoc({ value: false, draw: 0.07 }) }),
        mode: 'production',
        reason: 'not-selected',
        writes: [],
      },
      {
        name: 'an unchanged preprod node writes only its boot counter',
        input: input({ cohortDoc: cohortDoc() }),
        mode: 'preprod',
        reason: 'selected',
        cohort: { draw: 0.03, rolled: false, legacy: false, selected: true },
        writes: [counterWrite(0, ROLLED)],
      },
      {
        name: 'probability raised 0.07 → 0.10: a draw of 0.08 joins preprod, same draw and rolledAt',
        input: input({ probability: 0.1, cohortDoc: cohortDoc({ value: false, draw: 0.08 }) }),
        mode: 'preprod',
        reason: 'selected',
        cohort: { draw: 0.08, probability: 0.1, rolled: false },
        writes: [
          {
            key: COHORT_KEY,
            value: { key: COHORT_KEY, value: true, draw: 0.08, rolledAt: ROLLED, probability: 0.1, updatedAt: NOW },
          },
          counterWrite(0, ROLLED),
        ],
      },
      {
        name: 'probability raised: a production node stays, its record notes the new probability',
        input: input({ probability: 0.1, cohortDoc: cohortDoc({ value: false, draw: 0.5 }) }),
        mode: 'production',
        reason: 'not-selected',
        writes: [
          {
            key: COHORT_KEY,
            value: { key: COHORT_KEY, value: false, draw: 0.5, rolledAt: ROLLED, probability: 0.1, updatedAt: NOW },
          },
        ],
      },
      {
        name: 'probability lowered 0.07 → 0.03: a draw of 0.05 leaves preprod',
        input: input({ probability: 0.03, cohortDoc: cohortDoc({ draw: 0.05 }) }),
        mode: 'production',
        reason: 'not-selected',
        writes: [
          {
            key: COHORT_KEY,
            value: { key: COHORT_KEY, value: false, draw: 0.05, rolledAt: ROLLED, probability: 0.03, updatedAt: NOW },
          },
        ],
      },
      {
        name: 'probability lowered: a draw of 0.01 stays on preprod',
        input: input({ probability: 0.03, cohortDoc: cohortDoc({ draw: 0.01 }) }),
        mode: 'preprod',
        reason: 'selected',
        writes: [
          {
            key: COHORT_KEY,
            value: { key: COHORT_KEY, value: true, draw: 0.01, rolledAt: ROLLED, probability: 0.03, updatedAt: NOW },
          },
          counterWrite(0, ROLLED),
        ],
      },
      {
        name: 'kill switch (probability 0): even a draw of 0.0001 goes to production, and the draw is kept',
        input: input({ probability: 0, cohortDoc: cohortDoc({ draw: 0.0001 }) }),
        mode: 'production',
        reason: 'not-selected',
        targetBranch: 'master',
        cohort: { draw: 0.0001, probability: 0, rolled: false, rolledAt: ROLLED },
        writes: [
          {
            key: COHORT_KEY,
            value: { key: COHORT_KEY, value: false, draw: 0.0001, rolledAt: ROLLED, probability: 0, updatedAt: NOW },
          },
        ],
      },
      {
        name: 'kill switch lifted: the kept draw brings the same node back',
        input: input({ cohortDoc: cohortDoc({ value: false, draw: 0.0001, probability: 0 }) }),
        mode: 'preprod',
        reason: 'selected',
        writes: [
          {
            key: COHORT_KEY,
            value: { key: COHORT_KEY, value: true, draw: 0.0001, rolledAt: ROLLED, probability: 0.07, updatedAt: NOW },
          },
          counterWrite(0, ROLLED),
        ],
      },
      {
        name: 'probability 1: every draw is preprod',
        input: input({ probability: 1, cohortDoc: cohortDoc({ value: true, draw: 0.999, probability: 1 }) }),
        mode: 'preprod',
        reason: 'selected',
        writes: [counterWrite(0, ROLLED)],
      },
      // Rule 5: seed records.
      {
        name: 'a valid seed record saying true: preprod, honoured without a draw and not rewritten',
        input: input({ cohortDoc: { key: COHORT_KEY, value: true, _idTime: at(-10 * DAY) } }),
        mode: 'preprod',
        reason: 'selected',
        cohort: { draw: null, legacy: true, rolled: false, rolledAt: at(-10 * DAY), nextRollAt: at(20 * DAY) },
        writes: [counterWrite(0, at(-10 * DAY))],
      },
      {
        name: 'a valid seed record saying false: production, nothing written',
        input: input({ cohortDoc: { key: COHORT_KEY, value: false, _idTime: at(-10 * DAY) } }),
        mode: 'production',
        reason: 'not-selected',
        cohort: { draw: null, legacy: true, selected: false },
        writes: [],
      },
      {
        name: 'a valid seed record saying true under the kill switch: production',
        input: input({ probability: 0, cohortDoc: { key: COHORT_KEY, value: true, _idTime: at(-10 * DAY) } }),
        mode: 'production',
        reason: 'not-selected',
        cohort: { legacy: true, selected: false },
        writes: [],
      },
      {
        name: 'an expired seed record is replaced by a drawn record',
        input: input({ cohortDoc: { key: COHORT_KEY, value: true, _idTime: at(-31 * DAY) }, random: fixed(0.2) }),
        mode: 'production',
        reason: 'not-selected',
        cohort: { draw: 0.2, legacy: false, rolled: true, redrawReason: 'legacy-expired' },
        writes: [newRecord(0.2)],
      },
      {
        name: 'an undated seed record is replaced at once',
        input: input({ cohortDoc: { key: COHORT_KEY, value: false }, random: fixed(0.01) }),
        mode: 'preprod',
        reason: 'selected',
        cohort: { draw: 0.01, legacy: false, rolled: true, redrawReason: 'legacy-expired' },
        writes: [newRecord(0.01), counterWrite(0, NOW)],
      },
      // Branch names come from the settings.
      {
        name: 'custom branch names are the targets',
        input: input({ settings: { ...SETTINGS, branch: 'canary', productionBranch: 'main' }, cohortDoc: cohortDoc() }),
        mode: 'preprod',
        reason: 'selected',
        targetBranch: 'canary',
        writes: [counterWrite(0, ROLLED)],
      },
    ];

    for (const c of cases) {
      it(c.name, () => {
        const decision = decide(deepFreeze(c.input));
        expect({ mode: decision.mode, reason: decision.reason }).to.deep.equal({ mode: c.mode, reason: c.reason });
        const expectedBranch =
          c.targetBranch !== undefined
            ? c.targetBranch
            : c.mode === 'preprod'
              ? c.input.settings.branch
              : c.input.settings.productionBranch;
        expect(decision.targetBranch).to.equal(expectedBranch);
        if (c.optedOut !== undefined) expect(decision.optedOut).to.equal(c.optedOut);
        if (c.cohort === null) expect(decision.cohort).to.equal(null);
        else if (c.cohort !== undefined) expect(decision.cohort).to.deep.include(c.cohort);
        expect(decision.writes).to.deep.equal(c.writes);
      });
    }

    it('hands out fresh dates: changing the decision does not change the input', () => {
      const now = new Date(NOW.getTime());
      const decision = decide(input({ now, random: fixed(0.01) }));
      decision.cohort?.rolledAt.setTime(0);
      for (const write of decision.writes) if ('value' in write) (write.value.updatedAt as Date).setTime(0);
      expect(now.getTime()).to.equal(NOW.getTime());
    });

    it('refuses a random source that returns a number outside [0, 1) rather than storing it', () => {
      for (const bad of [1, -0.1, Number.NaN]) {
        expect(() => decide(input({ random: fixed(bad) }))).to.throw(
          RangeError,
          /Expected the random source to return a number/,
        );
      }
    });

    describe('crash-loop fallback (only boots that ran preprod code count)', () => {
      const HOUR = 3_600_000;
      const open = at(-HOUR);
      const cases: {
        name: string;
        input: DecisionInput;
        mode: Decision['mode'];
        reason: Decision['reason'];
        writes: StoreWrite[];
        health: Decision['health'];
      }[] = [
        {
          name: 'the first preprod boot of a period opens its mark and counts nothing',
          input: input({ cohortDoc: cohortDoc() }),
          mode: 'preprod',
          reason: 'selected',
          writes: [counterWrite(0, ROLLED)],
          health: { unhealthyBoots: 0, maxUnhealthyBoots: 3, fellBackAt: null },
        },
        {
          name: 'a previous boot marked healthy (no open mark) is not counted',
          input: input({ cohortDoc: cohortDoc(), healthDoc: healthDoc({ unhealthyBoots: 0 }) }),
          mode: 'preprod',
          reason: 'selected',
          writes: [counterWrite(0, ROLLED)],
          health: { unhealthyBoots: 0, maxUnhealthyBoots: 3, fellBackAt: null },
        },
        {
          name: 'an open mark left by the previous boot counts it',
          input: input({ cohortDoc: cohortDoc(), healthDoc: healthDoc({ unhealthyBoots: 0, openSince: open }) }),
          mode: 'preprod',
          reason: 'selected',
          writes: [counterWrite(1, ROLLED)],
          health: { unhealthyBoots: 1, maxUnhealthyBoots: 3, fellBackAt: null },
        },
        {
          name: 'one counted and an open mark: two, and the node tries again',
          input: input({ cohortDoc: cohortDoc(), healthDoc: healthDoc({ unhealthyBoots: 1, openSince: open }) }),
          mode: 'preprod',
          reason: 'selected',
          writes: [counterWrite(2, ROLLED)],
          health: { unhealthyBoots: 2, maxUnhealthyBoots: 3, fellBackAt: null },
        },
        {
          name: 'two counted and an open mark: three, production, reason crash-loop, and the fallback is dated',
          input: input({ cohortDoc: cohortDoc(), healthDoc: healthDoc({ unhealthyBoots: 2, openSince: open }) }),
          mode: 'production',
          reason: 'crash-loop',
          writes: [countedWrite(3, ROLLED, NOW)],
          health: { unhealthyBoots: 3, maxUnhealthyBoots: 3, fellBackAt: NOW },
        },
        {
          name: 'an open mark of a boot the package ended itself (restart marker newer) is not counted',
          input: input({
            cohortDoc: cohortDoc(),
            healthDoc: healthDoc({ unhealthyBoots: 1, openSince: open }),
            restartMarkerAt: at(-MINUTE),
          }),
          mode: 'preprod',
          reason: 'selected',
          writes: [counterWrite(1, ROLLED)],
          health: { unhealthyBoots: 1, maxUnhealthyBoots: 3, fellBackAt: null },
        },
        {
          name: 'a restart marker older than the open mark excuses nothing',
          input: input({
            cohortDoc: cohortDoc(),
            healthDoc: healthDoc({ unhealthyBoots: 1, openSince: open }),
            restartMarkerAt: at(-2 * HOUR),
          }),
          mode: 'preprod',
          reason: 'selected',
          writes: [counterWrite(2, ROLLED)],
          health: { unhealthyBoots: 2, maxUnhealthyBoots: 3, fellBackAt: null },
        },
        {
          name: 'already fallen back in this period: production without writing',
          input: input({ cohortDoc: cohortDoc(), healthDoc: healthDoc({ unhealthyBoots: 3, fellBackAt: at(-DAY) }) }),
          mode: 'production',
          reason: 'crash-loop',
          writes: [],
          health: { unhealthyBoots: 3, maxUnhealthyBoots: 3, fellBackAt: at(-DAY) },
        },
        {
          name: 'fallen back even if the count was later reset: the period stays on production',
          input: input({ cohortDoc: cohortDoc(), healthDoc: healthDoc({ unhealthyBoots: 0, fellBackAt: at(-DAY) }) }),
          mode: 'production',
          reason: 'crash-loop',
          writes: [],
          health: { unhealthyBoots: 0, maxUnhealthyBoots: 3, fellBackAt: at(-DAY) },
        },
        {
          name: 'maxUnhealthyBoots 1: one crashing preprod boot falls back',
          input: input({
            settings: { ...SETTINGS, maxUnhealthyBoots: 1 },
            cohortDoc: cohortDoc(),
            healthDoc: healthDoc({ unhealthyBoots: 0, openSince: open }),
          }),
          mode: 'production',
          reason: 'crash-loop',
          writes: [countedWrite(1, ROLLED, NOW)],
          health: { unhealthyBoots: 1, maxUnhealthyBoots: 1, fellBackAt: NOW },
        },
        {
          name: 'a fallback of another period does not count: preprod again, from 0',
          input: input({
            cohortDoc: cohortDoc(),
            healthDoc: healthDoc({ cohortRolledAt: at(-40 * DAY), unhealthyBoots: 7, fellBackAt: at(-35 * DAY) }),
          }),
          mode: 'preprod',
          reason: 'selected',
          writes: [counterWrite(0, ROLLED)],
          health: { unhealthyBoots: 0, maxUnhealthyBoots: 3, fellBackAt: null },
        },
        {
          name: 'a new draw starts a clean period even over a fallback of the old one',
          input: input({
            cohortDoc: cohortDoc({ rolledAt: at(-30 * DAY) }),
            healthDoc: healthDoc({ cohortRolledAt: at(-30 * DAY), unhealthyBoots: 3, fellBackAt: at(-29 * DAY) }),
            random: fixed(0.02),
          }),
          mode: 'preprod',
          reason: 'selected',
          writes: [newRecord(0.02), counterWrite(0, NOW)],
          health: { unhealthyBoots: 0, maxUnhealthyBoots: 3, fellBackAt: null },
        },
        {
          name: 'a node the cohort does not select ignores a fallback',
          input: input({
            cohortDoc: cohortDoc({ value: false, draw: 0.5 }),
            healthDoc: healthDoc({ unhealthyBoots: 3, fellBackAt: at(-DAY) }),
          }),
          mode: 'production',
          reason: 'not-selected',
          writes: [],
          health: null,
        },
        {
          name: 'a node no longer selected closes the open mark of its last preprod boot, counting it once',
          input: input({
            cohortDoc: cohortDoc({ value: false, draw: 0.5 }),
            healthDoc: healthDoc({ unhealthyBoots: 1, openSince: open }),
          }),
          mode: 'production',
          reason: 'not-selected',
          writes: [countedWrite(2, ROLLED)],
          health: null,
        },
        {
          name: 'a seed-record period counts against its ObjectId time',
          input: input({
            cohortDoc: { key: COHORT_KEY, value: true, _idTime: ROLLED },
            healthDoc: healthDoc({ unhealthyBoots: 2, openSince: open }),
          }),
          mode: 'production',
          reason: 'crash-loop',
          writes: [countedWrite(3, ROLLED, NOW)],
          health: { unhealthyBoots: 3, maxUnhealthyBoots: 3, fellBackAt: NOW },
        },
        {
          name: 'a malformed open mark counts nothing',
          input: input({
            cohortDoc: cohortDoc(),
            healthDoc: healthDoc({ unhealthyBoots: 1, openSince: 'an hour ago' }),
          }),
          mode: 'preprod',
          reason: 'selected',
          writes: [counterWrite(1, ROLLED)],
          health: { unhealthyBoots: 1, maxUnhealthyBoots: 3, fellBackAt: null },
        },
      ];
      const malformedCounters: { name: string; doc: unknown }[] = [
        { name: 'an array', doc: [healthDoc({ unhealthyBoots: 3 })] },
        { name: 'a string', doc: 'three' },
        { name: 'another key', doc: healthDoc({ key: 'isPreProd', unhealthyBoots: 3 }) },
        { name: 'a count as a string', doc: healthDoc({ unhealthyBoots: '3' }) },
        { name: 'a fractional count', doc: healthDoc({ unhealthyBoots: 3.5 }) },
        { name: 'a negative count', doc: healthDoc({ unhealthyBoots: -3 }) },
        { name: 'a NaN count', doc: healthDoc({ unhealthyBoots: Number.NaN }) },
        {
          name: 'a string cohortRolledAt',
          doc: healthDoc({ unhealthyBoots: 3, cohortRolledAt: ROLLED.toISOString() }),
        },
        { name: 'no cohortRolledAt', doc: healthDoc({ unhealthyBoots: 3, cohortRolledAt: undefined }) },
        { name: 'a string fellBackAt', doc: healthDoc({ unhealthyBoots: 3, fellBackAt: 'yesterday' }) },
      ];
      for (const m of malformedCounters) {
        cases.push({
          name: `a malformed counter (${m.name}) starts over at 0`,
          input: input({ cohortDoc: cohortDoc(), healthDoc: m.doc as StoredDocument }),
          mode: 'preprod',
          reason: 'selected',
          writes: [counterWrite(0, ROLLED)],
          health: { unhealthyBoots: 0, maxUnhealthyBoots: 3, fellBackAt: null },
        });
      }
      for (const c of cases) {
        it(c.name, () => {
          const decision = decide(deepFreeze(c.input));
          expect({ mode: decision.mode, reason: decision.reason }).to.deep.equal({ mode: c.mode, reason: c.reason });
          expect(decision.targetBranch).to.equal(c.mode === 'preprod' ? 'preprod' : 'master');
          expect(decision.health).to.deep.equal(c.health);
          expect(decision.writes).to.deep.equal(c.writes);
        });
      }

      it('a crash loop with a store: three crashing preprod boots, then production until the next roll', () => {
        const store = new Map<string, StoredDocument>();
        const apply = (writes: StoreWrite[]): void => {
          for (const w of writes)
            if ('delete' in w) store.delete(w.key);
            else store.set(w.key, w.value);
        };
        // Every boot here runs preprod code when it is decided preprod (decide's own writes assume so).
        const boot = (now: Date, random: RandomSource = mustNotDraw): Decision => {
          const decision = decide({
            settings: SETTINGS,
            flags: { development: false, disablePreProd: undefined },
            cohortDoc: store.get(COHORT_KEY) ?? null,
            optOutDoc: store.get(OPT_OUT_KEY) ?? null,
            healthDoc: store.get(BOOT_HEALTH_KEY) ?? null,
            now,
            random,
          });
          apply(decision.writes);
          return decision;
        };
        const markHealthy = (now: Date): void => {
          const write = markHealthyWrite(store.get(BOOT_HEALTH_KEY) ?? null, now);
          if (write !== null) apply([write]);
        };

        const start = NOW;
        const hour = (h: number): Date => new Date(start.getTime() + h * 3_600_000);
        const trace: string[] = [];
        trace.push(boot(hour(0), fixed(0.01)).reason); // drawn: preprod
        markHealthy(hour(0));
        trace.push(boot(hour(1)).reason); // the healthy boot is not counted; this one crashes
        trace.push(boot(hour(2)).reason); // counts 1, crashes
        trace.push(boot(hour(3)).reason); // counts 2, crashes
        trace.push(boot(hour(4)).reason); // counts 3: falls back
        markHealthy(hour(4)); // a healthy production boot must not lift the fallback
        trace.push(boot(hour(5)).reason);
        trace.push(boot(new Date(start.getTime() + 29 * DAY)).reason);
        // The next period starts clean (a new draw of 0.02 selects the node again).
        trace.push(boot(new Date(start.getTime() + 30 * DAY), fixed(0.02)).reason);
        expect(trace).to.deep.equal([
          'selected',
          'selected',
          'selected',
          'selected',
          'crash-loop',
          'crash-loop',
          'crash-loop',
          'selected',
        ]);
        expect(store.get(BOOT_HEALTH_KEY)).to.deep.include({
          unhealthyBoots: 0,
          cohortRolledAt: new Date(start.getTime() + 30 * DAY),
        });
      });
    });
  });

  describe('markHealthyWrite', () => {
    const cases: { name: string; doc: unknown; expected: StoreWrite | null }[] = [
      { name: 'no counter', doc: null, expected: null },
      { name: 'a malformed counter', doc: { unhealthyBoots: 'x' }, expected: null },
      { name: 'a counter at 0 with no open mark', doc: healthDoc({ unhealthyBoots: 0 }), expected: null },
      { name: 'a fallen-back period', doc: healthDoc({ unhealthyBoots: 3, fellBackAt: at(-DAY) }), expected: null },
      {
        name: 'a fallen-back period with an open mark',
        doc: healthDoc({ unhealthyBoots: 3, fellBackAt: at(-DAY), openSince: at(-MINUTE) }),
        expected: null,
      },
      { name: 'one unhealthy boot', doc: healthDoc({ unhealthyBoots: 1 }), expected: countedWrite(0, ROLLED) },
      {
        name: 'the open mark of this boot',
        doc: healthDoc({ unhealthyBoots: 0, openSince: at(-MINUTE) }),
        expected: countedWrite(0, ROLLED),
      },
      {
        name: 'a count at the limit, not yet fallen back (that boot was good after all)',
        doc: healthDoc({ unhealthyBoots: 3 }),
        expected: countedWrite(0, ROLLED),
      },
      {
        name: 'a counter without updatedAt',
        doc: { key: BOOT_HEALTH_KEY, cohortRolledAt: ROLLED, unhealthyBoots: 2 },
        expected: countedWrite(0, ROLLED),
      },
    ];
    for (const c of cases) {
      it(`${c.expected === null ? 'writes nothing' : 'resets the count and closes the mark'} for ${c.name}`, () => {
        expect(markHealthyWrite(c.doc as StoredDocument, NOW)).to.deep.equal(c.expected);
      });
    }

    it('keeps the period of the counter', () => {
      const write = markHealthyWrite(healthDoc({ unhealthyBoots: 2 }), NOW);
      expect(write !== null && 'value' in write && parseBootHealth(write.value)).to.deep.include({
        cohortRolledAt: ROLLED,
        unhealthyBoots: 0,
      });
    });
  });

  describe('describeDecision', () => {
    const rolled = new Date('2026-11-02T09:30:00.000Z');
    const base = (over: Parameters<typeof input>[0]): DecisionInput =>
      input({ now: new Date('2026-11-20T00:00:00.000Z'), ...over });
    const cases: { name: string; decision: Decision; expected: string | RegExp }[] = [
      {
        name: 'a selected node, in the documented form',
        decision: decide(base({ cohortDoc: cohortDoc({ draw: 0.0312, rolledAt: rolled, updatedAt: rolled }) })),
        expected:
          'preprod: selected (draw 0.0312 < probability 0.07, rolled 2026-11-02, ' +
          'next roll 2026-12-02) → branch preprod',
      },
      {
        name: 'a node not selected',
        decision: decide(
          base({ cohortDoc: cohortDoc({ value: false, draw: 0.5123, rolledAt: rolled, updatedAt: rolled }) }),
        ),
        expected:
          'production: not-selected (draw 0.5123 >= probability 0.07, rolled 2026-11-02, ' +
          'next roll 2026-12-02) → branch master',
      },
      {
        name: 'a fresh draw says why it was drawn',
        decision: decide(base({ random: fixed(0.25) })),
        expected:
          'production: not-selected (new draw 0.2500 >= probability 0.07 (no record yet), rolled 2026-11-20, ' +
          'next roll 2026-12-20) → branch master',
      },
      {
        name: 'the kill switch is named',
        decision: decide(base({ probability: 0, cohortDoc: cohortDoc({ rolledAt: rolled, updatedAt: rolled }) })),
        expected: /^production: not-selected \(draw 0\.0300 >= probability 0 \(kill switch\),/,
      },
      {
        name: 'a seed record',
        decision: decide(base({ cohortDoc: { key: COHORT_KEY, value: true, _idTime: rolled } })),
        expected:
          'preprod: selected (seed record without a draw, honoured until it expires; probability 0.07, ' +
          'rolled 2026-11-02, next roll 2026-12-02) → branch preprod',
      },
      {
        name: 'a crash loop',
        decision: decide(
          base({
            cohortDoc: cohortDoc({ draw: 0.0312, rolledAt: rolled, updatedAt: rolled }),
            healthDoc: healthDoc({ cohortRolledAt: rolled, unhealthyBoots: 3 }),
          }),
        ),
        expected:
          'production: crash-loop (draw 0.0312 < probability 0.07, rolled 2026-11-02, next roll 2026-12-02; ' +
          '3 preprod boots in a row were not marked healthy; production until 2026-12-02) → branch master',
      },
      {
        name: 'an opt-out',
        decision: decide(base({ flags: { development: false, disablePreProd: true } })),
        expected:
          'production: disabled (the operator opted out with disablePreProd; ' +
          'remembered in the store) → branch master',
      },
      {
        name: 'a development node',
        decision: decide(base({ flags: { development: true, disablePreProd: undefined } })),
        expected: "skipped: development (a developer's node is never moved) → no branch change",
      },
    ];
    for (const c of cases) {
      it(`describes ${c.name}`, () => {
        const line = describeDecision(c.decision);
        if (typeof c.expected === 'string') expect(line).to.equal(c.expected);
        else expect(line).to.match(c.expected);
      });
    }

    const closeCalls: { draw: number; probability: number; shown: string }[] = [
      { draw: 0.06999999, probability: 0.07, shown: 'draw 0.06999999 < probability 0.07' },
      { draw: 0.07, probability: 0.07, shown: 'draw 0.0700 >= probability 0.07' },
      { draw: 0.07000001, probability: 0.07, shown: 'draw 0.0700 >= probability 0.07' },
    ];
    for (const c of closeCalls) {
      it(`prints enough decimals that a close call reads true: ${c.shown}`, () => {
        const decision = decide(base({ cohortDoc: cohortDoc({ draw: c.draw, value: c.draw < c.probability }) }));
        expect(describeDecision(decision)).to.contain(c.shown);
      });
    }
  });

  describe('properties', () => {
    it('is monotone in the probability: preprod at p1 stays preprod at p2 > p1 (same stored record)', () => {
      const random = seededRandom(20261115);
      let checked = 0;
      for (let i = 0; i < 20_000; i += 1) {
        const draw = random();
        const a = random();
        const b = random();
        const [p1, p2] = a < b ? [a, b] : [b, a];
        if (p1 === p2) continue;
        const doc = cohortDoc({ draw, value: random() < 0.5, probability: random() });
        const low = decide(input({ probability: p1, cohortDoc: doc }));
        const high = decide(input({ probability: p2, cohortDoc: doc }));
        if (low.mode === 'preprod') {
          expect(high.mode, `draw ${draw}, p1 ${p1}, p2 ${p2}`).to.equal('preprod');
          checked += 1;
        }
      }
      // The property must have been exercised, not vacuously true.
      expect(checked).to.be.greaterThan(5_000);
    });

    it('selects 7% ± 0.5% of 100,000 nodes drawing from missing records', () => {
      const random = seededRandom(7);
      let preprod = 0;
      const n = 100_000;
      for (let i = 0; i < n; i += 1) {
        if (decide(input({ random })).mode === 'preprod') preprod += 1;
      }
      // The standard deviation of the share is 0.0008; 0.005 is six of them.
      expect(preprod / n).to.be.closeTo(0.07, 0.005);
    });
  });
});
