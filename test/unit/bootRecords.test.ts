/**
 * The start records' rule (docs/design.md §9): which preprod starts were unhealthy, for the package
 * (src/cohort/bootRecords.ts) and for the guard FluxOS runs first (examples/fluxos/preprodGuard.js), held
 * to the same table; and how the crash-loop counter folds them in (cohort/health.ts).
 */
import { expect } from 'chai';
import * as path from 'node:path';
import {
  classifyStart,
  parseStartJournal,
  startJournalText,
  tallyStarts,
  unhealthyInRow,
  type StartEnd,
  type StartJournal,
  type StartRecord,
} from '../../src/cohort/bootRecords';
import { evaluateHealth } from '../../src/cohort/health';
import { BOOT_HEALTH_KEY } from '../../src/types';

const guard = require(path.resolve(__dirname, '../../../examples/fluxos/preprodGuard.js')) as {
  classifyStart(start: unknown): string;
  unhealthyInRow(journal: unknown, currentId: string | null): number;
  parseJournal(text: string): unknown;
};

const T0 = Date.parse('2026-03-01T00:00:00Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000);

function start(n: number, end?: StartEnd | 'none', extra: Partial<StartRecord> = {}): StartRecord {
  const record: StartRecord = { id: `s${n}`, at: at(n), ...extra };
  if (end !== undefined && end !== 'none') record.end = { at: at(n + 0.5), how: end };
  return record;
}
const clean = (n: number, why: string, extra: Partial<StartRecord> = {}) => ({
  ...start(n, 'clean', extra),
  end: { at: at(n + 0.5), how: 'clean' as const, why },
});

describe('start records (docs/design.md §9)', function () {
  const classified: Array<[string, StartRecord, string]> = [
    ['healthy', start(1, 'crash', { healthy: at(1.2) }), 'healthy'],
    ['a stop signal (pm2 restart, systemd, nodemon)', clean(1, 'SIGINT', { reached: at(1.1) }), 'neutral'],
    ['a stop signal before the package ran', clean(1, 'SIGTERM'), 'neutral'],
    ['exit 0 after the package ran', clean(1, 'exit 0', { reached: at(1.1) }), 'neutral'],
    ['exit 0 before the package ran', clean(1, 'exit 0'), 'unhealthy'],
    ["the package's own restart", start(1, 'restart'), 'neutral'],
    ["the guard's fallback", start(1, 'fallback'), 'neutral'],
    ['an uncaught exception or non-zero exit', start(1, 'crash'), 'unhealthy'],
    ['the watchdog restarting an unresponsive FluxOS', start(1, 'watchdog', { reached: at(1.1) }), 'unhealthy'],
    ['no end at all (SIGKILL, OOM, power)', start(1, 'none', { reached: at(1.1) }), 'unhealthy'],
  ];
  for (const [name, record, expected] of classified) {
    it(`classifies ${name} as ${expected}, in the package and in the guard alike`, function () {
      expect(classifyStart(record)).to.equal(expected);
      const asStored = JSON.parse(startJournalText({ starts: [record] })).starts[0];
      expect(guard.classifyStart(asStored)).to.equal(expected);
    });
  }

  const rows: Array<[string, StartJournal, number]> = [
    ['three restarts and a SIGTERM of a healthy node', { starts: [1, 2, 3, 4].map((n) => clean(n, 'SIGINT')) }, 0],
    ['three crashes before the package', { starts: [start(1, 'crash'), start(2, 'crash'), start(3, 'crash')] }, 3],
    [
      'crashes broken by a healthy start',
      { starts: [start(1, 'crash'), start(2, 'none', { healthy: at(2) }), start(3)] },
      1,
    ],
    ['crashes with clean stops between', { starts: [start(1, 'crash'), clean(2, 'SIGTERM'), start(3, 'watchdog')] }, 2],
    [
      'crashes before `since` (an earlier stint)',
      { since: at(2.5), starts: [start(1, 'crash'), start(2), start(3)] },
      1,
    ],
  ];
  for (const [name, journal, expected] of rows) {
    it(`counts ${expected} unhealthy in a row for ${name}, in the package and in the guard alike`, function () {
      expect(unhealthyInRow(journal, null)).to.equal(expected);
      expect(guard.unhealthyInRow(guard.parseJournal(startJournalText(journal)), null)).to.equal(expected);
    });
  }

  it('never counts the running start', function () {
    const journal = { starts: [start(1, 'crash'), start(2)] };
    expect(unhealthyInRow(journal, 's2')).to.equal(1);
    expect(guard.unhealthyInRow(guard.parseJournal(startJournalText(journal)), 's2')).to.equal(1);
  });

  it('tallies only what the store has not counted, and excuses the start a restart marker covers', function () {
    const journal = { starts: [start(1, 'crash'), start(2, 'crash'), start(3, 'none'), start(4)] };
    expect(tallyStarts(journal, { countedThrough: 's1', currentId: 's4' })).to.deep.equal({
      unhealthy: 2,
      reset: false,
      newest: 's3',
    });
    const excused = tallyStarts(journal, { countedThrough: 's1', currentId: 's4', restartMarkerAt: at(3.2) });
    expect(excused.unhealthy).to.equal(1);
    expect(tallyStarts(journal, { notBefore: at(2), currentId: 's4' }).unhealthy).to.equal(2);
  });

  it('reads a torn, hand-made or foreign file as no records', function () {
    for (const text of [null, '', '{', '[]', '{"starts":7}', '{"starts":[{"id":3}]}']) {
      expect(parseStartJournal(text).starts, String(text)).to.deep.equal([]);
    }
    const kept = parseStartJournal('{"starts":[{"id":"a","at":"2026-01-01T00:00:00Z","end":{"how":"boom"}}]}');
    expect(kept.starts).to.deep.equal([{ id: 'a', at: new Date('2026-01-01T00:00:00Z') }]);
  });

  describe('the crash-loop counter folds them in', function () {
    const rolledAt = at(0);
    const base = { rolledAt, maxUnhealthyBoots: 3, now: at(30), restartMarkerAt: null, countPreviousBoot: true };
    const doc = (fields: Record<string, unknown>) => ({ key: BOOT_HEALTH_KEY, cohortRolledAt: rolledAt, ...fields });

    it('restarts never count, and an open mark is no crash when the start records say how the boot ended', function () {
      const journal = { starts: [1, 2, 3].map((n) => clean(n, 'SIGINT', { reached: at(n) })) };
      const outcome = evaluateHealth({
        ...base,
        healthDoc: doc({ unhealthyBoots: 0, openSince: at(3) }),
        starts: { journal, currentId: null },
      });
      expect(outcome.fellBack).to.equal(false);
      expect(outcome.info.unhealthyBoots).to.equal(0);
      expect(outcome.record.countedThrough).to.equal('s3');
    });

    it('adds the crashes not yet counted to the stored count, each once', function () {
      const journal = { starts: [start(1, 'crash'), start(2, 'crash'), start(3, 'crash')] };
      const outcome = evaluateHealth({
        ...base,
        healthDoc: doc({ unhealthyBoots: 1, countedThrough: 's1' }),
        starts: { journal, currentId: null },
      });
      expect(outcome.info.unhealthyBoots).to.equal(3);
      expect(outcome.fellBack).to.equal(true);
      const again = evaluateHealth({
        ...base,
        healthDoc: outcome.record as never,
        starts: { journal, currentId: null },
      });
      expect(again.info.unhealthyBoots).to.equal(3);
    });

    it("stores the guard's own fallback of this period as crash-loop, not one of an earlier period", function () {
      const journal = { fellBackAt: at(5), since: at(5), starts: [] };
      const fell = evaluateHealth({ ...base, healthDoc: null, starts: { journal, currentId: null } });
      expect(fell.fellBack).to.equal(true);
      expect(fell.record.fellBackAt).to.deep.equal(at(5));
      const later = evaluateHealth({ ...base, rolledAt: at(6), healthDoc: null, starts: { journal, currentId: null } });
      expect(later.fellBack).to.equal(false);
    });
  });
});
