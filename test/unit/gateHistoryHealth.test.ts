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

  it('stores health only when it changes, under the short keys h, b, p, g', () => {
    const scans = record([
      [result(1, 'production', healthy(2))],
      [result(1, 'production', healthy(2))],
      [result(1, 'production', healthy(0))],
      [result(1, 'production', healthy(0, { bootedAt: 1_767_240_000 }))],
    ]);
    const [first, same, apps, boot] = scans.map((s) => s.changes);
    expect(Object.keys(first[0]).sort()).to.include.members(['h', 'b', 'p', 'g']);
    expect(same, 'an unchanged node stores nothing').to.deep.equal([]);
    expect(Object.keys(apps[0]).sort()).to.deep.equal(['h', 'n']);
    expect(Object.keys(boot[0]).sort()).to.deep.equal(['b', 'n']);
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
    expect(decodeLines(scans)[0].changes[1].h).to.equal(scans[0].changes[1].h);
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
