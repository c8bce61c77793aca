import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect } from 'chai';
import { defaultSettings } from '../../../../src/config/settings';
import { seededRandom } from '../../../../src/cohort/random';
import { defaultGateSettings } from '../../../../src/gate/judge/gateSettings';
import { ASSUMPTIONS, type FleetAssumptions } from '../../../../src/gate/sim/assumptions';
import { EventQueue } from '../../../../src/gate/sim/eventQueue';
import { FleetModel } from '../../../../src/gate/sim/fleetModel';
import { ARCANE_SHARE, isArcaneNode, withHealthColumn } from '../../../../src/gate/sim/platform';
import { runRelease } from '../../../../src/gate/sim/releaseRun';
import {
  formatReleaseSimulation,
  quantile,
  share,
  simulateReleases,
  summarise,
  TABLE_HEADER,
  tableLayout,
} from '../../../../src/gate/sim/simulateReleases';
import { VARIANTS } from '../../../../src/gate/sim/variants';

const SMALL: FleetAssumptions = { ...ASSUMPTIONS, nodes: 3000, probability: 0.4 };

describe('release simulation: parts', () => {
  it('the event queue hands out events in time order, whatever order they came in', () => {
    const queue = new EventQueue();
    const random = seededRandom(3);
    const times = Array.from({ length: 500 }, () => random() * 100);
    times.forEach((time, node) => queue.push({ time, node, type: 0 }));
    const out: number[] = [];
    while (queue.size > 0) out.push(queue.pop()?.time as number);
    expect(out).to.deep.equal([...times].sort((a, b) => a - b));
    expect(queue.peekTime()).to.equal(Infinity);
  });

  const quantiles: [number[], number, number | null][] = [
    [[], 0.5, null],
    [[7], 0.95, 7],
    [[1, 2, 3, 4], 0.5, 2],
    [Array.from({ length: 20 }, (_, i) => i + 1), 0.95, 19],
    [Array.from({ length: 20 }, (_, i) => i + 1), 1, 20],
  ];
  for (const [values, q, expected] of quantiles) {
    it(`nearest-rank quantile ${q} of ${values.length} values is ${expected}`, () => {
      expect(quantile(values, q)).to.equal(expected);
    });
  }

  it('a share carries its 95% Wilson interval', () => {
    const s = share(0, 200);
    expect(s.value).to.equal(0);
    expect(s.high).to.be.closeTo(0.0188, 1e-4);
  });

  it('summarises runs: halted, halted within 24 h, promoted by 96 h, and the targets', () => {
    const run = (halted: number | null, promoted: number | null) => ({
      reachedAfterPush: 1,
      verdict: (halted !== null ? 'halt' : promoted !== null ? 'promote' : 'wait') as 'halt' | 'promote' | 'wait',
      hoursAfterReach: halted ?? promoted ?? 96,
      haltedAfter: halted,
      promotedAfter: promoted,
      releaseNodes: 100,
      crashLoops: 0,
      darkRelease: 0,
    });
    const current = VARIANTS[0];
    const summary = summarise(current, { kind: 'darken', harm: 0.05 }, [
      run(5, null),
      run(30, null),
      run(null, 72),
      run(null, null),
    ]);
    expect(summary.name).to.equal('darken 5%');
    expect([summary.halted.count, summary.haltedWithin24h.count, summary.promotedBy96h.count]).to.deep.equal([2, 1, 1]);
    expect([summary.hoursToHalt, summary.hoursToPromote]).to.deep.equal([5, 72]);
    expect(summary.targets).to.deep.equal([
      { label: 'halted ≤ 24 h ≥ 95%', pass: false },
      { label: 'never promoted', pass: false },
    ]);
    const healthy = summarise(current, { kind: 'healthy', harm: 0 }, [run(null, 72), run(null, 80)]);
    expect(healthy.targets.every((t) => t.pass)).to.equal(true);
  });

  it('the table in docs/gate.md has the rows and columns `simulate --releases --scenarios all` prints', () => {
    const doc = fs.readFileSync(path.join(__dirname, '../../../../../docs/gate.md'), 'utf8');
    const section = doc.split('<!-- simulation table -->')[1]?.split('<!-- end of simulation table -->')[0] ?? '';
    const table = section.split('\n').filter((l) => l.startsWith('|'));
    expect(table[0]).to.equal(TABLE_HEADER);
    const rows = table.slice(2).map((line) => line.split(' | ').slice(0, 2).join(' | '));
    const layout = tableLayout(VARIANTS, defaultGateSettings()).map((r) => `| ${r.setup} | ${r.release}`);
    expect(rows).to.deep.equal(layout);
  });

  it('a small seeded run prints the same table layout for its rows', async () => {
    const report = await simulateReleases({
      runs: 1,
      seed: 3,
      nodes: 3000,
      probability: 0.4,
      gate: defaultGateSettings(),
    });
    const lines = formatReleaseSimulation(report)
      .split('\n')
      .filter((l) => l.startsWith('|'));
    expect(lines[0]).to.equal(TABLE_HEADER);
    expect(lines.slice(2).map((l) => l.split(' | ')[1])).to.deep.equal(['healthy', 'darken 5%', 'crash-loop 5%']);
  });

  it('30% of nodes run ArcaneOS, carried in the health column; an ArcaneOS-only harm spares the rest', () => {
    const fleet = new FleetModel(
      { ...SMALL, outagesPerDay: 1e-9, leavePerDay: 1e-9, backgroundCrashShare: 0 },
      { kind: 'crash-loop', harm: 1, arcaneOnly: true },
      { ...defaultSettings().preProd, probability: SMALL.probability },
      seededRandom(5),
    );
    const all = fleet.keys.map((_, i) => i);
    expect(all.filter(isArcaneNode).length / all.length).to.be.closeTo(ARCANE_SHARE, 0.01);
    expect(all.every((i) => fleet.observation(i, false).health?.arcane === isArcaneNode(i))).to.equal(true);
    const preprod = all.filter((i) => fleet.observation(i, false).mode === 'preprod');
    fleet.push(1);
    fleet.advance(11);
    const fellBack = preprod.filter((i) => fleet.observation(i, false).reason === 'crash-loop');
    expect(fellBack.length).to.be.greaterThan(preprod.filter(isArcaneNode).length * 0.9);
    expect(fellBack.every(isArcaneNode)).to.equal(true);
    const column = withHealthColumn(all.slice(0, 3).map((i) => [i, { n: fleet.keys[i], a: 1, h: 16 * i }] as const));
    expect(column).to.deep.equal({
      changes: all.slice(0, 3).map((i) => ({ n: fleet.keys[i], a: 1 })),
      health: '0.0,1.g,2.w',
    });
  });

  it('a node that crashes on the release falls back through the real decide() after 3 unhealthy boots', () => {
    const fleet = new FleetModel(
      { ...SMALL, outagesPerDay: 1e-9, leavePerDay: 1e-9 },
      { kind: 'crash-loop', harm: 1 },
      { ...defaultSettings().preProd, probability: SMALL.probability },
      seededRandom(5),
    );
    const preprod = fleet.keys.map((_, i) => i).filter((i) => fleet.observation(i, false).mode === 'preprod');
    expect(preprod.length).to.be.within(1000, 1400);
    fleet.push(1);
    fleet.advance(3); // preprod nodes pull the release 1–4 h after the push and crash at each boot
    const silent = preprod.filter((i) => !fleet.observation(i, false).answered).length;
    expect(silent).to.be.greaterThan(preprod.length * 0.2);
    fleet.advance(8); // 3 crashes 5–30 min apart, then the fourth boot falls back
    const after = preprod.map((i) => fleet.observation(i, false));
    expect(after.filter((o) => o.reason === 'crash-loop').length).to.be.greaterThan(preprod.length * 0.9);
    expect(
      after.filter((o) => o.reason === 'crash-loop').every((o) => o.mode === 'production' && o.version === '8.17.0'),
    ).to.equal(true);
  });
});

describe('release simulation: runs judged by the gate', function () {
  this.timeout(120_000);
  const gate = defaultGateSettings();

  it('the same seed gives the same run', () => {
    const first = runRelease(SMALL, { kind: 'darken', harm: 0.1 }, gate, 42);
    expect(runRelease(SMALL, { kind: 'darken', harm: 0.1 }, gate, 42)).to.deep.equal(first);
  });

  const cases: [string, { kind: 'healthy' | 'darken' | 'crash-loop'; harm: number }, string][] = [
    ['a healthy release is promoted after its soak', { kind: 'healthy', harm: 0 }, 'promote'],
    ['a release that darkens 10% of its nodes is halted', { kind: 'darken', harm: 0.1 }, 'halt'],
    ['a release that crash-loops 10% of its nodes is halted', { kind: 'crash-loop', harm: 0.1 }, 'halt'],
  ];
  for (const [name, scenario, verdict] of cases) {
    it(name, () => {
      const outcome = runRelease(SMALL, scenario, gate, 7);
      expect(outcome.verdict).to.equal(verdict);
      expect(outcome.reachedAfterPush).to.be.within(0, 4);
      if (verdict === 'promote') expect(outcome.hoursAfterReach).to.be.at.least(gate.minSoakHours);
      else expect(outcome.hoursAfterReach).to.be.at.most(24);
    });
  }

  it('reports the targets over several runs', async () => {
    const report = await simulateReleases({ runs: 2, seed: 9, nodes: 3000, probability: 0.4, harm: 0.1, gate });
    expect(report.scenarios.map((s) => s.name)).to.deep.equal(['healthy', 'darken 10%', 'crash-loop 10%']);
    expect(report.scenarios.every((s) => s.targets.every((t) => t.pass))).to.equal(true);
  });
});
