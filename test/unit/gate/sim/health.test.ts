import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect } from 'chai';
import { HEALTH_SCENARIO_IDS } from '../../../../src/cli/commands/simulateReleases';
import { seededRandom } from '../../../../src/cohort/random';
import { defaultGateSettings } from '../../../../src/gate/judge/gateSettings';
import { ASSUMPTIONS, type FleetAssumptions, NO_DISTURBANCES } from '../../../../src/gate/sim/assumptions';
import { HEALTH_ASSUMPTIONS, type HealthScenario } from '../../../../src/gate/sim/healthAssumptions';
import { HealthModel } from '../../../../src/gate/sim/healthModel';
import { type HealthRunOutcome, maxScansOf, runHealthRelease } from '../../../../src/gate/sim/healthRun';
import {
  formatHealthSimulation,
  HEALTH_TABLE_HEADER,
  HEALTH_VARIANT_IDS,
  healthLayout,
  healthVariants,
  summariseHealth,
} from '../../../../src/gate/sim/healthSimulation';
import { eTerm, HealthTracker, TRACKER_DEFAULTS } from '../../../../src/gate/sim/healthTracker';
import { runRelease } from '../../../../src/gate/sim/releaseRun';
import { BAD, DID_DEFAULTS, GOOD, UNKNOWN, worsenedAround } from '../../../../src/health/didStats';
import { alternativeCount, logEValue, type Outcome } from '../../../../src/health/eProcess';
import { HealthLedger, type HealthJudgement, judgeHealth, type StoredScanEntry } from '../../../../src/health/ledger';
import { SIGNAL_RULES } from '../../../../src/health/signalRules';

/** A small fleet with no late joiners (draws that do not expire), so the tracker's baselines are the ledger's. */
const SMALL: FleetAssumptions = { ...ASSUMPTIONS, nodes: 1000, probability: 0.4, daysToNextEval: 100_000 };

/** Runs the small fleet with the health model, feeding a real HealthLedger the same scans; compares at each look. */
function compareWithLedger(scenario: HealthScenario, seed: number) {
  let ledger: HealthLedger | null = null;
  let entries: StoredScanEntry[] = [];
  const looks: { tracker: HealthJudgement; ledger: HealthJudgement }[] = [];
  runRelease(SMALL, { kind: 'healthy', harm: 0 }, defaultGateSettings(), seed, NO_DISTURBANCES, (fleet) => {
    ledger = new HealthLedger(fleet.judged.commit);
    const model = new HealthModel(
      HEALTH_ASSUMPTIONS,
      scenario,
      SMALL.nodes,
      maxScansOf(SMALL, NO_DISTURBANCES),
      seededRandom(seed + 1),
      fleet.judged.commit,
      { ...TRACKER_DEFAULTS, withBounds: true },
      (i, stored, preprod, commit) => entries.push({ key: fleet.keys[i], stored, preprod, commit }),
    );
    return (f, hour, states) => {
      model.observe(f, hour, states);
      (ledger as HealthLedger).addStoredScan(entries);
      entries = [];
      const scans = (ledger as HealthLedger).scanCount;
      // Every eighth look from the first complete window on, to keep the test quick.
      if (scans >= 40 && scans % 8 === 0)
        looks.push({ tracker: model.tracker.judge(), ledger: judgeHealth(ledger as HealthLedger) });
      return [];
    };
  });
  return looks;
}

describe('release simulation: health signals', () => {
  it('the tracker tells worsened nodes as didStats.worsenedAround does', () => {
    const random = seededRandom(11);
    const scans = 40;
    const n = 200;
    // A signal of passing trouble (worsenShare 0.25): these series worsen often by it.
    const rule = SIGNAL_RULES.find((r) => r.name === 'peers') as (typeof SIGNAL_RULES)[number];
    const labels = { arcane: new Uint8Array(n), provider: new Int16Array(n).fill(-1), providerNames: [] };
    const tracker = new HealthTracker(n, scans, [rule], labels);
    const series = Array.from({ length: n }, () => new Int8Array(scans));
    for (let scan = 0; scan < scans; scan += 1) {
      for (let i = 0; i < n; i += 1) {
        const u = random();
        series[i][scan] = u < 0.2 ? UNKNOWN : u < 0.2 + (i % 5) * 0.08 + (scan > 20 ? 0.1 : 0) ? BAD : GOOD;
        tracker.record(0, i, series[i][scan]);
      }
      tracker.endScan();
    }
    let worsened = 0;
    const differ: string[] = [];
    for (let i = 0; i < n; i += 1)
      for (let tau = 0; tau < scans; tau += 1)
        for (const look of [tau + 5, tau + 12, scans - 1].map((l) => Math.min(l, scans - 1))) {
          const expected = worsenedAround(series[i], tau, look, { ...DID_DEFAULTS, worsenShare: rule.worsenShare });
          const got = tracker.worsened(0, i, tau, look);
          if (got !== expected) differ.push(`node ${i} τ ${tau} look ${look}: ${got}, expected ${expected}`);
          if (expected === 1) worsened += 1;
        }
    expect(differ).to.deep.equal([]);
    expect(worsened).to.be.greaterThan(100);
  });

  it('the running e-value sums are eProcess.logEValue', () => {
    const random = seededRandom(12);
    const outcomes: Outcome[] = Array.from({ length: 300 }, () => ({
      worsened: random() < 0.05 ? 1 : 0,
      baseline: random() * 0.03,
    }));
    for (const [margin, direction] of [
      [0, 'above'],
      [0.01, 'below'],
    ] as const) {
      const count = alternativeCount(direction);
      const sums = Array.from({ length: count }, (_, d) =>
        outcomes.reduce((t, o) => t + eTerm(o, margin, direction, d), 0),
      );
      const max = Math.max(...sums);
      const mixed = max + Math.log(sums.reduce((t, v) => t + Math.exp(v - max), 0) / count);
      expect(mixed).to.be.closeTo(logEValue(outcomes, margin, direction), 1e-9);
    }
  });

  describe('against a real HealthLedger fed the same scans (1,000 nodes, p = 0.4)', function () {
    this.timeout(300_000);
    for (const scenario of [
      { kind: 'apps', harm: 0.1 },
      { kind: 'restarts', harm: 0.1 },
    ] as HealthScenario[]) {
      it(`${scenario.kind} ${scenario.harm * 100}%: same verdicts, strata and bounds at every look compared`, () => {
        const looks = compareWithLedger(scenario, 21);
        expect(looks.length).to.be.greaterThan(5);
        for (const look of looks) {
          expect(look.tracker.halt).to.equal(look.ledger.halt);
          expect(look.tracker.notWorse).to.equal(look.ledger.notWorse);
          look.ledger.signals.forEach((signal, k) => {
            const mine = look.tracker.signals[k];
            expect(mine.name).to.equal(signal.name);
            expect(mine.judgement.halt, signal.name).to.equal(signal.judgement.halt);
            expect(mine.judgement.notWorse, signal.name).to.equal(signal.judgement.notWorse);
            const strata = (j: typeof signal.judgement) =>
              j.strata.map((s) => [s.stratum, s.judged, s.bounds.nodes, s.harm].join(' '));
            expect(strata(mine.judgement)).to.deep.equal(strata(signal.judgement));
            signal.judgement.strata.forEach((s, m) => {
              const b = mine.judgement.strata[m].bounds;
              expect(b.estimate).to.be.closeTo(s.bounds.estimate, 1e-9);
              if (s.judged) expect(b.low).to.be.closeTo(s.bounds.low, 1e-6);
              if (s.judged) expect(b.high).to.be.closeTo(s.bounds.high, 1e-6);
            });
          });
        }
        const last = looks[looks.length - 1].tracker;
        const halted = last.signals.filter((s) => s.judgement.halt).map((s) => s.name);
        // Not "and no other": with a few hundred production nodes a baseline can be exactly 0, and then one or two
        // worsened release nodes halt another signal (docs/health.md, "What the table shows").
        expect(halted, 'the harmed signal halts by the end').to.include(scenario.kind);
      });
    }
  });

  it('judged by a real HealthLedger instead of the tracker, a run ends the same', () => {
    const small = { ...ASSUMPTIONS, nodes: 1000, probability: 0.4, daysToNextEval: 100_000 };
    const run = (judgeWith: 'tracker' | 'ledger') =>
      runHealthRelease(
        small,
        HEALTH_ASSUMPTIONS,
        { kind: 'restarts', harm: 0.04 },
        defaultGateSettings(),
        8,
        {
          ...NO_DISTURBANCES,
        },
        { judgeWith },
      );
    const ledger = run('ledger');
    expect(ledger.verdict).to.equal('halt');
    expect(ledger.haltedBySignals).to.include('restarts');
    expect(run('tracker')).to.deep.equal(ledger);
  });

  it('a small run judged by the gate with the signals halts on the harmed signal', () => {
    const small = { ...ASSUMPTIONS, nodes: 3000, probability: 0.4 };
    const outcome = runHealthRelease(
      small,
      HEALTH_ASSUMPTIONS,
      { kind: 'benchmark', harm: 0.1 },
      defaultGateSettings(),
      5,
      NO_DISTURBANCES,
    );
    expect(outcome.verdict).to.equal('halt');
    expect(outcome.haltedBySignals).to.deep.equal(['benchmark']);
    expect(outcome.haltedAfter).to.be.at.most(24);
  });
});

describe('release simulation: the health table', () => {
  const run = (halted: number | null, promoted: number | null, bySignal = halted !== null): HealthRunOutcome => ({
    reachedAfterPush: 1,
    verdict: halted !== null ? 'halt' : promoted !== null ? 'promote' : 'wait',
    hoursAfterReach: halted ?? promoted ?? 96,
    haltedAfter: halted,
    promotedAfter: promoted,
    releaseNodes: 900,
    crashLoops: 0,
    darkRelease: 0,
    haltedBySignals: bySignal ? ['apps'] : [],
  });

  it('has the churn rows of the gate table, each with a healthy release and every harm at 5%, 2% and 1%', () => {
    expect(healthVariants(['all']).map((v) => v.id)).to.deep.equal([...HEALTH_VARIANT_IDS]);
    expect([...HEALTH_SCENARIO_IDS]).to.deep.equal([...HEALTH_VARIANT_IDS]);
    const current = healthLayout(healthVariants(['current'])).map((r) => r.release);
    expect(current).to.deep.equal([
      'healthy',
      'apps stopped 5%',
      'benchmark failed 5%',
      'restarts past the health mark 5%',
      'apps stopped 2%',
      'benchmark failed 2%',
      'restarts past the health mark 2%',
      'apps stopped 1%',
      'benchmark failed 1%',
      'restarts past the health mark 1%',
    ]);
  });

  it('summarises runs against the targets of issue 20 by the size of the harm', () => {
    const [healthy, five, two, one] = [0, 1, 4, 7].map((i) => healthLayout(healthVariants(['current']))[i]);
    const h = summariseHealth(healthy, [run(null, 72), run(null, 80), run(null, null)]);
    expect(h.targets).to.deep.equal([
      { label: 'false halts ≤ 1%', pass: true },
      { label: 'promoted by 96 h ≥ 90%', pass: false },
    ]);
    const f = summariseHealth(five, [run(12, null), run(30, null, false)]);
    expect([f.haltedWithin24h.count, f.haltedWithin48h.count, f.haltedBySignals]).to.deep.equal([1, 2, 1]);
    expect(f.targets).to.deep.equal([{ label: 'halted ≤ 24 h ≥ 95%', pass: false }]);
    expect(summariseHealth(two, [run(30, null)]).targets).to.deep.equal([{ label: 'halted ≤ 48 h ≥ 90%', pass: true }]);
    const o = summariseHealth(one, [run(null, 80), ...Array.from({ length: 9 }, () => run(null, null))]);
    expect(o.targets).to.deep.equal([{ label: 'promoted ≤ 10%', pass: true }]);
    const lines = formatHealthSimulation({ runs: 2, seed: 1, rows: [h, f] })
      .split('\n')
      .filter((l) => l.startsWith('|'));
    expect(lines[0]).to.equal(HEALTH_TABLE_HEADER);
    expect(lines[3]).to.equal(
      '| current setup | apps stopped 5% | 100.0% (2/2) | 50.0% (1/2) | 100.0% (2/2) | 0.0% (0/2) | 0.0% (0/2) | 1 | ' +
        '12 / – | FAIL halted ≤ 24 h ≥ 95% |',
    );
  });

  it('the table in docs/health.md has the columns `simulate --releases --health` prints, rows in its order', () => {
    const doc = fs.readFileSync(path.join(__dirname, '../../../../../docs/health.md'), 'utf8');
    const section =
      doc.split('<!-- health simulation table -->')[1]?.split('<!-- end of health simulation table -->')[0] ?? '';
    const table = section.split('\n').filter((l) => l.startsWith('|'));
    expect(table[0]).to.equal(HEALTH_TABLE_HEADER);
    const rows = table.slice(2).map((line) => line.split(' | ').slice(0, 2).join(' | '));
    const layout = healthLayout(healthVariants(['all'])).map((r) => `| ${r.setup} | ${r.release}`);
    // Every row is one the command prints with --scenarios all, in its order; the current setup is complete.
    expect(rows.map((r) => layout.indexOf(r))).to.deep.equal(rows.map((r) => layout.indexOf(r)).sort((a, b) => a - b));
    expect(rows.every((r) => layout.includes(r))).to.equal(true);
    expect(rows.slice(0, 10)).to.deep.equal(layout.slice(0, 10));
  });
});
