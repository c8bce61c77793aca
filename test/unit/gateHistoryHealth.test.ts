import { expect } from 'chai';
import type { NodeResult } from '../../src/fleet/classify';
import { HealthLedger } from '../../src/health/ledger';
import { SIGNAL_RULES } from '../../src/health/signalRules';
import { NO_SIGNALS, type HealthSignals } from '../../src/health/signals';
import { healthFromHistory } from '../../src/gate/history/healthFromHistory';
import { decodeHistory, encodeLine, headerLine, HistoryFormatError } from '../../src/gate/history/historyCodec';
import { buildScan, NodeTable, observeScan, type ScanRecord } from '../../src/gate/history/scanRecord';

function result(
  port: number,
  kind: NodeResult['kind'],
  health: Partial<HealthSignals>,
  extra: Partial<NodeResult> = {},
) {
  return { host: '10.0.0.1', port, kind, ms: 300, health: { ...NO_SIGNALS, ...health }, ...extra } as NodeResult;
}

const healthy = (apps: number, extra: Partial<HealthSignals> = {}): Partial<HealthSignals> => ({
  confirmed: true,
  benchmarkPassing: true,
  runningApps: apps,
  peersIn: 8,
  peersOut: 8,
  blocks: 1_900_000,
  provider: 'OVH SAS',
  country: 'FR',
  bootedAt: 1_767_225_600,
  ...extra,
});

const at = (hour: number) => new Date(Date.UTC(2026, 0, 1, hour)).toISOString();

/** Records `scans` (lists of results) through the real recording path, one hour apart unless `hours` says. */
function record(scans: NodeResult[][], hours: number[] = scans.map((_, i) => i)): ScanRecord[] {
  const table = new NodeTable();
  return scans.map((results, i) => {
    const scan = buildScan(table, observeScan(table, results), at(hours[i]), i + 1);
    table.apply(scan);
    return scan;
  });
}

function replay(scans: readonly ScanRecord[]): NodeTable {
  const table = new NodeTable();
  for (const scan of scans) table.apply(scan);
  return table;
}

function decodeLines(lines: unknown[]): ScanRecord[] {
  return decodeHistory(Buffer.from(headerLine() + lines.map((l) => encodeLine(l)).join(''))).scans;
}

describe('gate history: health signals', () => {
  it('records a degraded node as answered, with its mode from /flux/preprod and its degraded class', () => {
    const degraded = result(1, 'degraded', { degraded: 'docker', bootedAt: 1_767_225_600 }, { state: 'preprod' });
    const [scan] = record([[degraded, result(2, 'timeout', {}, { health: undefined })]]);
    const table = replay([scan]);
    const state = table.get('10.0.0.1:1');
    expect(state.answered, 'a degraded node answered').to.equal(true);
    expect(state.mode).to.equal('preprod');
    expect(state.failure).to.equal(null);
    expect(state.health?.degraded).to.equal('docker');
    expect(scan.totals.answered).to.equal(1);
    expect(scan.totals.failed).to.deep.equal({ timeout: 1 });
  });

  it("stores health only when it changes: the word in the scan's column, b, p, g in the node's record", () => {
    const scans = record([
      [result(1, 'production', healthy(2)), result(2, 'production', healthy(2))],
      [result(1, 'production', healthy(2)), result(2, 'production', healthy(2))],
      [result(1, 'production', healthy(0)), result(2, 'production', healthy(2))],
      [result(1, 'production', healthy(0, { bootedAt: 1_767_240_000 })), result(2, 'production', healthy(2))],
    ]);
    const [first, same, apps, boot] = scans;
    expect(Object.keys(first.changes[0])).to.include.members(['b', 'p', 'g']);
    expect(first.changes[0]).to.not.have.property('h');
    expect(first.health).to.match(/^0\.[0-9a-z]+,1\.[0-9a-z]+$/);
    expect(same.changes, 'an unchanged node stores nothing').to.deep.equal([]);
    expect(same).to.not.have.property('health');
    expect(apps.changes, 'a change of health alone is no record').to.deep.equal([]);
    expect(apps.health).to.match(/^0\.[0-9a-z]+$/);
    expect(boot.changes).to.deep.equal([{ n: '10.0.0.1:1', b: Math.floor(1_767_240_000 / 60) }]);
    expect(boot).to.not.have.property('health');
  });

  it('gives a node new to the history the column index the table will give it', () => {
    const scans = record([
      [result(1, 'production', healthy(2))],
      [result(2, 'production', healthy(5)), result(1, 'production', healthy(3)), result(3, 'timeout', {})],
    ]);
    expect(scans[1].health?.split(',').map((e) => e.split('.')[0])).to.deep.equal(['1', '0']);
    const table = replay(decodeLines(scans));
    expect(table.get('10.0.0.1:2').health?.runningApps).to.equal(5);
    expect(table.get('10.0.0.1:1').health?.runningApps).to.equal(3);
  });

  it('replayed from the stored lines, gives the same health as the scans (lag against the median)', () => {
    const scans = record([
      [
        result(1, 'production', healthy(3)),
        result(2, 'production', healthy(1, { blocks: 1_899_950 })),
        result(3, 'production', healthy(1)),
      ],
      [result(1, 'production', healthy(4, { peersOut: 2 })), result(2, 'degraded', { degraded: 'daemon' })],
    ]);
    const table = replay(decodeLines(scans));
    const one = table.get('10.0.0.1:1').health;
    const two = table.get('10.0.0.1:2').health;
    expect(one).to.include({ runningApps: 4, peersOutLevel: 1, confirmed: true, provider: 'OVH SAS', country: 'FR' });
    expect(two).to.include({ degraded: 'daemon', runningApps: null, provider: 'OVH SAS', bootMinute: 29_453_760 });
    expect(decodeLines(scans)[0].health).to.equal(scans[0].health);
    const firstTwo = replay(decodeLines(scans.slice(0, 1))).get('10.0.0.1:2').health;
    expect(firstTwo?.lagLevel, '50 blocks behind the median of three').to.equal(2);
  });

  it('reads a history recorded before health: nodes answer with no health', () => {
    const old = { seq: 1, at: at(0), totals: record([[result(1, 'production', {})]])[0].totals };
    const [scan] = decodeLines([{ ...old, changes: [{ n: '10.0.0.1:1', q: 1, a: 1, m: 'production', k: 'u' }] }]);
    const table = replay([scan]);
    expect(table.get('10.0.0.1:1').health).to.equal(null);
    expect(healthFromHistory([scan], 'x').healthNodes(SIGNAL_RULES[0])).to.deep.equal([]);
  });

  const hostile: [string, Record<string, unknown>][] = [
    ['h', { h: 2 ** 40 }],
    ['h', { h: 3 }],
    ['h', { h: '12' }],
    ['b', { b: -1 }],
    ['b', { b: 1e12 }],
    ['p', { p: 'x'.repeat(41) }],
    ['p', { p: 'tab\there' }],
    ['p', { p: { $gt: '' } }],
    ['g', { g: 'fr' }],
  ];
  for (const [key, fields] of hostile) {
    it(`refuses a stored change with a bad \`${key}\` (${JSON.stringify(fields).slice(0, 30)}) in one sentence`, () => {
      const totals = record([[result(1, 'production', {})]])[0].totals;
      const line = { seq: 1, at: at(0), totals, changes: [{ n: '10.0.0.1:1', q: 1, a: 1, ...fields }] };
      let caught: unknown;
      try {
        decodeLines([line]);
      } catch (error) {
        caught = error;
      }
      expect(caught).to.be.instanceOf(HistoryFormatError);
      expect((caught as HistoryFormatError).message).to.equal(`line 2: a change has a bad \`${key}\``);
    });
  }
});

describe('gate history: a hostile health column', () => {
  const totals = () => record([[result(1, 'production', {})]])[0].totals;
  const line = (health: unknown) => ({
    seq: 1,
    at: at(0),
    totals: totals(),
    changes: [{ n: '10.0.0.1:1', q: 1, a: 1 }],
    health,
  });
  for (const health of [7, '0.3', '0.zzzzzzz', '0.1,,1.1', 'x'.repeat(2_000_000), '-1.4']) {
    it(`refuses ${JSON.stringify(health).slice(0, 20)} in one sentence`, () => {
      expect(() => decodeLines([line(health)])).to.throw(
        HistoryFormatError,
        /^line 2: the scan has a bad health column$/,
      );
    });
  }

  it('passes over a column naming an index past the node table (its form was checked)', () => {
    const [scan] = decodeLines([line('0.a,5.a')]);
    const table = replay([scan]);
    expect(table.size).to.equal(1);
    expect(table.get('10.0.0.1:1').health).to.equal(null);
  });
});

describe('healthFromHistory', () => {
  const fleetScan = (scan: number): NodeResult[] => [
    result(1, 'preprod', healthy(scan >= 3 ? 0 : 2), { commit: scan >= 2 ? 'new' : 'old' }),
    result(2, 'production', healthy(1, { arcane: true, provider: 'Hetzner' }), { commit: 'old' }),
    scan === 4 ? result(3, 'timeout', {}, { health: undefined }) : result(3, 'production', healthy(scan)),
    result(4, 'degraded', { degraded: 'apps' }, { state: 'production' }),
  ];

  it('rebuilds the ledger the scans themselves give', () => {
    const results = Array.from({ length: 6 }, (_, scan) => fleetScan(scan));
    const direct = new HealthLedger('new');
    for (const scan of results) direct.addScan(scan);
    const rebuilt = healthFromHistory(decodeLines(record(results)), 'new');
    expect(rebuilt.scanCount).to.equal(6);
    for (const rule of SIGNAL_RULES)
      expect(rebuilt.healthNodes(rule), rule.name).to.deep.equal(direct.healthNodes(rule));
    expect(rebuilt.healthNodes(SIGNAL_RULES[0]).map((n) => n.releaseAt)).to.deep.equal([2, null, null, null]);
  });

  it('puts scans on an hourly grid: a missing hour is an empty scan, the last of one hour stands for it', () => {
    const results = Array.from({ length: 4 }, (_, scan) => fleetScan(scan));
    const scans = record(results, [0, 3, 3, 4]).map((s, i) =>
      i === 2 ? { ...s, at: new Date(Date.parse(at(3)) + 20 * 60_000).toISOString() } : s,
    );
    const ledger = healthFromHistory(scans, 'new');
    expect(ledger.scanCount, 'hours 0..4').to.equal(5);
    const apps = ledger.healthNodes(SIGNAL_RULES.find((r) => r.name === 'apps') ?? SIGNAL_RULES[0]);
    const direct = new HealthLedger('new');
    for (const scan of [results[0], [], [], results[2], results[3]]) direct.addScan(scan);
    expect(apps).to.deep.equal(direct.healthNodes(SIGNAL_RULES.find((r) => r.name === 'apps') ?? SIGNAL_RULES[0]));
  });

  it('an empty history gives an empty ledger', () => {
    expect(healthFromHistory([], 'x').scanCount).to.equal(0);
  });
});
