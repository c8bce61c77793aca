import { expect } from 'chai';
import {
  MAX_WORD,
  applyHealthChange,
  decodeHealthColumn,
  encodeHealthColumn,
  fromWord,
  healthChange,
  healthWord,
  isHealthWord,
  levelOf,
  stickyLevel,
  toStored,
  type StoredHealth,
} from '../../../src/health/encode';
import { NO_SIGNALS, type HealthSignals } from '../../../src/health/signals';

const healthy: HealthSignals = {
  confirmed: true,
  benchmarkPassing: true,
  runningApps: 7,
  peersIn: 21,
  peersOut: 12,
  blocks: 1_912_345,
  arcane: true,
  provider: 'Hetzner Online GmbH',
  country: 'DE',
  bootedAt: 1_796_580_000,
  degraded: null,
};

describe('health encoding', () => {
  it('round-trips every field through the word and the rare values', () => {
    const stored = toStored(healthy, 3, 180);
    const { bootMinute, provider, country } = stored;
    expect(fromWord(healthWord(stored), { bootMinute, provider, country })).to.deep.equal(stored);
    expect(stored).to.deep.equal({
      confirmed: true,
      benchmarkPassing: true,
      arcane: true,
      degraded: null,
      peersInLevel: 2,
      peersOutLevel: 2,
      lagLevel: 0,
      answerLevel: 0,
      runningApps: 7,
      bootMinute: 29_943_000,
      provider: 'Hetzner Online GmbH',
      country: 'DE',
    });
  });

  it('round-trips nothing known and a degraded node', () => {
    for (const signals of [NO_SIGNALS, { ...NO_SIGNALS, degraded: 'other' as const }]) {
      const stored = toStored(signals, null, null);
      const rest = { bootMinute: null, provider: null, country: null };
      expect(fromWord(healthWord(stored), rest)).to.deep.equal(stored);
      expect(isHealthWord(healthWord(stored))).to.equal(true);
    }
  });

  it('keeps every word in 28 bits: a stranger cannot overflow it', () => {
    const extreme = { ...healthy, runningApps: 10_000, peersIn: 1e9, peersOut: 1e9, degraded: 'other' as const };
    const word = healthWord(toStored(extreme, 1e12, 1e12));
    expect(word).to.be.at.most(MAX_WORD);
    expect(isHealthWord(word)).to.equal(true);
  });

  it('levels and hysteresis: a value near an edge does not flap', () => {
    const edges = [0, 2000];
    expect(levelOf(1999, edges)).to.equal(0);
    expect(levelOf(2000, edges)).to.equal(1);
    expect(stickyLevel(2400, 0, edges)).to.equal(0);
    expect(stickyLevel(2500, 0, edges)).to.equal(1);
    expect(stickyLevel(1600, 1, edges)).to.equal(1);
    expect(stickyLevel(1499, 1, edges)).to.equal(0);
    expect(stickyLevel(null, 1, edges)).to.equal(null);
    // peers [0, 1, 4]: going from 0 peers to 1 is always seen (an edge of 1 has no slack).
    expect(stickyLevel(1, 0, [0, 1, 4])).to.equal(1);
  });

  describe('healthChange', () => {
    const first = toStored(healthy, 0, 100);
    it('writes every known key on a node first scan', () => {
      expect(healthChange(null, first)).to.deep.equal({
        h: healthWord(first),
        b: first.bootMinute,
        p: 'Hetzner Online GmbH',
        g: 'DE',
      });
    });
    it('writes nothing when nothing changed, even with a different answer time in the same level', () => {
      expect(healthChange(first, toStored(healthy, 1, 900, first))).to.equal(null);
    });
    it('writes the word alone when apps stop, and the boot minute alone after a restart', () => {
      const noApps = toStored({ ...healthy, runningApps: 0 }, 0, 100, first);
      expect(healthChange(first, noApps)).to.deep.equal({ h: healthWord(noApps) });
      const restarted = toStored({ ...healthy, bootedAt: healthy.bootedAt! + 7200 }, 0, 100, first);
      expect(healthChange(first, restarted)).to.deep.equal({ b: first.bootMinute! + 120 });
    });
    it('keeps the last known boot time, provider and country through a degraded scan', () => {
      const degraded = toStored({ ...NO_SIGNALS, degraded: 'daemon' }, null, 300, first);
      const change = healthChange(first, degraded);
      expect(change).to.have.all.keys('h');
      const read = applyHealthChange(first, change!);
      expect(read).to.include({ degraded: 'daemon', provider: 'Hetzner Online GmbH', country: 'DE' });
    });
  });

  describe('applyHealthChange (the reader: a history line is input)', () => {
    const before: StoredHealth = toStored(healthy, 0, 100);
    const bad: [string, Record<string, unknown>][] = [
      ['a word with bit 28 set', { h: 2 ** 28 }],
      ['a negative word', { h: -1 }],
      ['a word with confirmed = 3', { h: 3 }],
      ['a word as a string', { h: '12' }],
      ['a provider with a control character', { p: 'a\u001bb' }],
      ['a provider of a megabyte', { p: 'x'.repeat(1_000_000) }],
      ['a country of three letters', { g: 'DEU' }],
      ['a country as an object', { g: { toString: 'DE' } }],
      ['a boot minute in the year 4000', { b: 2 ** 40 }],
      ['a fractional boot minute', { b: 1.5 }],
    ];
    for (const [name, change] of bad) {
      it(`ignores ${name}`, () => {
        expect(applyHealthChange(before, change)).to.deep.equal(before);
      });
    }
    it('knows nothing from a bad first record', () => {
      expect(applyHealthChange(null, { h: 'x' })).to.equal(null);
    });
  });

  describe('the column', () => {
    it('round-trips and is about ten bytes a change', () => {
      const entries: [number, number][] = [
        [0, 0],
        [12_999, healthWord(toStored({ ...healthy, degraded: 'other', runningApps: 254 }, 1e9, 1e9))],
        [77, healthWord(toStored(healthy, 0, 100))],
      ];
      const text = encodeHealthColumn(entries);
      expect(decodeHealthColumn(text, 13_000)).to.deep.equal(entries);
      expect(text.length / entries.length).to.be.below(12);
    });
    const bad: [string, unknown][] = [
      ['an index past the node table', 'zzz.1'],
      ['a bad word', `1.${(2 ** 28).toString(36)}`],
      ['a missing dot', '11'],
      ['a negative index', '-1.1'],
      ['an upper-case digit', 'A.1'],
      ['a trailing comma', '1.1,'],
      ['a number', 42],
      ['a huge string', `1.1,${'1.1,'.repeat(400_000)}1.1`],
    ];
    for (const [name, text] of bad) {
      it(`refuses ${name}`, () => {
        expect(decodeHealthColumn(text, 13_000)).to.equal(null);
      });
    }
    it('an empty column is no change', () => {
      expect(decodeHealthColumn('', 10)).to.deep.equal([]);
    });
  });
});
