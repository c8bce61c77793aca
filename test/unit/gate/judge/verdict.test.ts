import { expect } from 'chai';
import { blockingOf } from '../../../../src/gate/judge/blocking';
import type { GateEvidence } from '../../../../src/gate/judge/evidence';
import { defaultGateSettings } from '../../../../src/gate/judge/gateSettings';
import { detectableHarm, reachWarnings } from '../../../../src/gate/judge/reach';
import {
  criteriaOf,
  earlyDarkMarginOf,
  haltThreshold,
  judge,
  verdictOf,
  type Criterion,
} from '../../../../src/gate/judge/verdict';
import { seededRandom } from '../../../../src/cohort/random';
import { differenceBounds, wilsonBounds } from '../../../../src/stats/intervals';
import { lookConfidence } from '../../../../src/stats/spending';
import { hour } from './historyBed';

describe('gate verdict', () => {
  const settings = { ...defaultGateSettings(), minPreprodNodes: 100, minNodeHours: 1000, minSoakHours: 72 };
  const evidence = (patch: Partial<GateEvidence>): GateEvidence => ({
    release: { version: '2.0', commit: 'abcdef0123' },
    at: hour(100),
    reachedAt: hour(0),
    hoursSinceReached: 72,
    previousHoursSinceReached: 71,
    supersededBy: null,
    nodeHours: 80_000,
    preprodNodes: 890,
    uptake: { on: 880, of: 900 },
    dark: { release: { dark: 13, nodes: 890 }, baseline: { dark: 180, nodes: 12_000 } },
    darkEarly: { release: { dark: 3, nodes: 890 }, baseline: { dark: 40, nodes: 12_000 } },
    strata: [],
    darkNodes: [],
    crashLoops: { count: 1, of: 890 },
    switchFailures: { count: 0, of: 890 },
    fellBack: [],
    gaps: [],
    scansLastDay: 24,
    baselineDarkShareDayLow: 0.015,
    ...patch,
  });
  const unmet = (criteria: Criterion[]) => criteria.filter((c) => !c.met).map((c) => c.name);
  const early = { hoursSinceReached: 8, previousHoursSinceReached: 7 };

  describe('the early-dark margin (docs/gate.md, "Early dark")', () => {
    const earlyOf = (release: number, baseline: number): Partial<GateEvidence> => ({
      darkEarly: { release: { dark: release, nodes: 900 }, baseline: { dark: baseline, nodes: 12_000 } },
    });
    it('is earlyDarkMargin on top of production’s own early dark share', () => {
      expect(earlyDarkMarginOf(evidence(earlyOf(5, 0)), settings)).to.equal(0.01);
      expect(earlyDarkMarginOf(evidence(earlyOf(5, 24)), settings)).to.equal(0.012);
    });
    it('grows with production’s share, never with the release’s', () => {
      expect(earlyDarkMarginOf(evidence(earlyOf(90, 24)), settings)).to.equal(0.012);
    });
    it('lets a healthy release with churn through: 5 of 900 early silences against 24 of 12,000', () => {
      // With the bare 1 point its upper bound (about 1.06 points at the first promoting look) blocked it.
      const criteria = criteriaOf(evidence(earlyOf(5, 24)), settings, 0);
      const early = criteria.find((c) => c.name === 'health.dark.early.upper') as Criterion;
      expect(early.value).to.be.above(0.01);
      expect(early.met).to.equal(true);
    });
  });

  const cases: [string, Partial<GateEvidence>, string, string[]][] = [
    ['a healthy release at the end of its soak', {}, 'promote', []],
    [
      'a healthy release during its soak (promoting looks start at the soak)',
      early,
      'wait',
      [
        'exposure.soak-hours',
        'health.dark.upper',
        'health.dark.early.upper',
        'health.crash-loop.upper',
        'health.switch-fail.upper',
      ],
    ],
    ['too few preprod nodes', { preprodNodes: 50 }, 'wait', ['exposure.preprod-nodes']],
    ['low uptake', { uptake: { on: 500, of: 900 } }, 'wait', ['uptake']],
    ['too few scans in the last day', { scansLastDay: 5 }, 'wait', ['freshness.scans-per-day']],
    [
      'the first scan after a gap: no time watched since the last look, no bound, no decision',
      { previousHoursSinceReached: 72 },
      'wait',
      ['health.dark.upper', 'health.dark.early.upper', 'health.crash-loop.upper', 'health.switch-fail.upper'],
    ],
    [
      '5% of its nodes gone dark, 8 h in',
      { ...early, dark: { release: { dark: 58, nodes: 890 }, baseline: { dark: 12, nodes: 12_000 } } },
      'halt',
      [
        'exposure.soak-hours',
        'health.dark.upper',
        'health.dark.lower',
        'health.dark.early.upper',
        'health.crash-loop.upper',
        'health.switch-fail.upper',
      ],
    ],
    [
      '5% crash-looping, 8 h in',
      { ...early, crashLoops: { count: 45, of: 890 } },
      'halt',
      [
        'exposure.soak-hours',
        'health.dark.upper',
        'health.dark.early.upper',
        'health.crash-loop.upper',
        'health.crash-loop.lower',
        'health.switch-fail.upper',
      ],
    ],
    [
      '1% crash-looping: not shown worse than the halt ceiling, not shown within the promote ceiling',
      { crashLoops: { count: 8, of: 890 } },
      'wait',
      ['health.crash-loop.upper'],
    ],
    [
      '2% crash-looping, 24 h in: above the halt ceiling (0.5%) though within the promote ceiling’s reach',
      { hoursSinceReached: 24, previousHoursSinceReached: 23, crashLoops: { count: 18, of: 890 } },
      'halt',
      [
        'exposure.soak-hours',
        'health.dark.upper',
        'health.dark.early.upper',
        'health.crash-loop.upper',
        'health.crash-loop.lower',
        'health.switch-fail.upper',
      ],
    ],
    [
      '2% more dark nodes than production, 24 h in: beyond the halt margin (0.25 points), below the promote one',
      {
        hoursSinceReached: 24,
        previousHoursSinceReached: 23,
        dark: { release: { dark: 20, nodes: 890 }, baseline: { dark: 36, nodes: 12_000 } },
      },
      'halt',
      [
        'exposure.soak-hours',
        'health.dark.upper',
        'health.dark.lower',
        'health.dark.early.upper',
        'health.crash-loop.upper',
        'health.switch-fail.upper',
      ],
    ],
    [
      '1% more dark nodes early on (a harm that darkens nodes as they take it): no promote',
      {
        dark: { release: { dark: 20, nodes: 890 }, baseline: { dark: 180, nodes: 12_000 } },
        darkEarly: { release: { dark: 11, nodes: 890 }, baseline: { dark: 40, nodes: 12_000 } },
      },
      'wait',
      ['health.dark.early.upper'],
    ],
    [
      'watched for inconclusiveAfterHours without either: inconclusive',
      { hoursSinceReached: 168, previousHoursSinceReached: 167, crashLoops: { count: 8, of: 890 } },
      'inconclusive',
      ['health.dark.upper', 'health.dark.early.upper', 'health.crash-loop.upper', 'health.switch-fail.upper'],
    ],
    [
      'the release has not reached preprod',
      { reachedAt: null, hoursSinceReached: null, previousHoursSinceReached: null },
      'wait',
      [
        'exposure.soak-hours',
        'exposure.preprod-nodes',
        'exposure.node-hours',
        'health.dark.upper',
        'health.dark.early.upper',
        'health.crash-loop.upper',
        'health.switch-fail.upper',
      ],
    ],
  ];
  for (const [name, patch, verdict, failing] of cases) {
    it(`${name} → ${verdict}`, () => {
      const judged = judge(evidence(patch), settings);
      expect(judged.verdict).to.equal(verdict);
      expect(unmet(judged.criteria)).to.deep.equal(failing);
    });
  }

  it('an ArcaneOS-only harm halts through its stratum (whole fleet at half the error, each stratum a quarter)', () => {
    const strata = (arcaneDark: number, arcaneCrash: number): GateEvidence['strata'] => [
      {
        stratum: 'arcane',
        dark: { release: { dark: arcaneDark, nodes: 267 }, baseline: { dark: 36, nodes: 3_600 } },
        crashLoops: { count: arcaneCrash, of: 267 },
      },
      {
        stratum: 'non-arcane',
        dark: { release: { dark: 5, nodes: 623 }, baseline: { dark: 84, nodes: 8_400 } },
        crashLoops: { count: 1, of: 623 },
      },
    ];
    // 8 h in, the whole fleet's bounds are within the halt thresholds (0.25 points dark, 0.5% crash loops).
    const whole = {
      ...early,
      dark: { release: { dark: 19, nodes: 890 }, baseline: { dark: 120, nodes: 12_000 } },
      crashLoops: { count: 10, of: 890 },
    };
    const halting = (patch: Partial<GateEvidence>) =>
      criteriaOf(evidence({ ...whole, ...patch }), settings, 0)
        .filter((c) => c.name.endsWith('.lower') && !c.met)
        .map((c) => c.name);
    expect(halting({ strata: strata(3, 1) })).to.deep.equal([]);
    expect(halting({ strata: strata(14, 1) })).to.deep.equal(['health.dark.arcane.lower']);
    expect(halting({ strata: strata(3, 9) })).to.deep.equal(['health.crash-loop.arcane.lower']);
    // 5 of 278 ArcaneOS release nodes dark 6 h in (4 of 3,605 in production): a few outages, not a halt, with a
    // stratum's halt margin of 0.5 points; the whole fleet's 0.25 would have halted it.
    const fewOutages: GateEvidence['strata'] = [
      {
        stratum: 'arcane',
        dark: { release: { dark: 5, nodes: 278 }, baseline: { dark: 4, nodes: 3_605 } },
        crashLoops: { count: 0, of: 278 },
      },
    ];
    const at6 = { hoursSinceReached: 6, previousHoursSinceReached: 5, strata: fewOutages };
    expect(halting(at6)).to.deep.equal([]);
    const shown = criteriaOf(evidence({ ...whole, ...at6 }), settings, 0).find(
      (x) => x.name === 'health.dark.arcane.lower',
    );
    expect(shown?.value).to.be.within(settings.darkHaltMargin, settings.darkStratumHaltMargin);
    const c = lookConfidence(7, 8, settings.confidence, settings.spendingHalfLifeHours) as number;
    const arcane = criteriaOf(evidence({ ...whole, strata: strata(3, 9) }), settings, 0).find(
      (x) => x.name === 'health.crash-loop.arcane.lower',
    );
    expect(arcane?.value).to.be.closeTo(wilsonBounds(9, 267, 1 - (1 - c) / 4)?.low as number, 1e-6);
    const wholeCrash = criteriaOf(evidence({ ...whole, strata: strata(3, 9) }), settings, 0).find(
      (x) => x.name === 'health.crash-loop.lower',
    );
    expect(wholeCrash?.value).to.be.closeTo(wilsonBounds(10, 890, 1 - (1 - c) / 2)?.low as number, 1e-6);
  });

  it('a halt needs at least one node’s worth of shown harm: 4 of 140 dark is not enough', () => {
    expect(haltThreshold(0.0025, 890)).to.equal(0.0025);
    expect(haltThreshold(0.0025, 140)).to.equal(0.007143);
    expect(haltThreshold(0.005, 0)).to.equal(0.005);
    // A 2,000-node fleet, 16 h in: 4 of 140 release nodes dark, 2 of 1,853 in production (a healthy run).
    const small = evidence({
      hoursSinceReached: 16,
      previousHoursSinceReached: 15,
      dark: { release: { dark: 4, nodes: 140 }, baseline: { dark: 2, nodes: 1_853 } },
      crashLoops: { count: 1, of: 140 },
    });
    const lower = criteriaOf(small, settings, 0).find((c) => c.name === 'health.dark.lower');
    expect(lower?.value).to.be.above(settings.darkHaltMargin);
    expect(lower).to.include({ met: true, threshold: 0.007143 });
  });

  it('a stale last scan blocks promote, with the age as its value', () => {
    const criteria = criteriaOf(evidence({}), settings, 30);
    expect(criteria.find((c) => c.name === 'freshness.last-scan-age')).to.deep.equal({
      name: 'freshness.last-scan-age',
      met: false,
      value: 30,
      threshold: 3,
    });
    expect(verdictOf(criteria, 72, settings)).to.equal('wait');
  });

  it('the dark margin grows with production’s dark share all day long, not with a passing drop', () => {
    const dark = { release: { dark: 40, nodes: 890 }, baseline: { dark: 1200, nodes: 12_000 } };
    const threshold = (low: number, s = settings) =>
      criteriaOf(evidence({ dark, baselineDarkShareDayLow: low }), s, 0).find((c) => c.name === 'health.dark.upper')
        ?.threshold;
    // The default relative margin is 1.25: 4% of production dark all day allows 5 points.
    expect(settings.darkRelativeMargin).to.equal(1.25);
    expect(threshold(0.04)).to.equal(0.05);
    expect(threshold(0.04, { ...settings, darkRelativeMargin: 1 })).to.equal(0.04);
    // 10% of production dark now (home nodes at night), 1% at the best scan of the day: the margin stays 2 points.
    expect(threshold(0.01)).to.equal(0.02);
    expect(threshold(0.04, { ...settings, darkRelativeMargin: 0 })).to.equal(0.02);
  });

  it('halts when any halting criterion is unmet, promotes only when all are met', () => {
    const c = (name: string, met: boolean): Criterion => ({ name, met, value: 0, threshold: 0 });
    expect(verdictOf([c('uptake', false), c('health.dark.lower', false)], 10, settings)).to.equal('halt');
    expect(verdictOf([c('uptake', false), c('health.dark.lower', true)], 10, settings)).to.equal('wait');
    expect(verdictOf([c('uptake', true), c('health.dark.lower', true)], 10, settings)).to.equal('promote');
  });

  it('a wait says which criteria block it, why, and what would change them', () => {
    const e = evidence({ ...early, preprodNodes: 60 });
    const blocking = blockingOf(criteriaOf(e, settings, 0), e, settings);
    expect(blocking.map((b) => b.criterion)).to.deep.equal([
      'exposure.soak-hours',
      'exposure.preprod-nodes',
      'health.dark.upper',
      'health.dark.early.upper',
      'health.crash-loop.upper',
      'health.switch-fail.upper',
    ]);
    expect(blocking[0]).to.deep.equal({
      criterion: 'exposure.soak-hours',
      why: 'watched 8.0 h of 72 h since it reached preprod (gaps do not count)',
      wouldChange: `64.0 more watched hours: ${hour(164)} with scans as now`,
    });
    expect(blocking[1].wouldChange).to.equal('40 more selected nodes answering with it');
  });

  it('says up front which harm a fleet can detect, and warns when promote is out of reach', () => {
    const big = detectableHarm(890, 12_000, 0.01, settings);
    expect(big.promoteReachable).to.equal(true);
    // Halting is judged against the halt thresholds (0.5% crash loops, 0.25 points of dark): 2.5% and 3%.
    expect(big.crashLoopShare).to.be.within(0.02, 0.035);
    expect(big.darkShare).to.be.within(0.02, 0.04);
    expect(reachWarnings(big, settings)).to.deep.equal([]);
    const small = detectableHarm(137, 1_800, 0.01, settings);
    expect(small.promoteReachable).to.equal(false);
    expect(small.crashLoopShare).to.be.above(big.crashLoopShare as number);
    const [warning] = reachWarnings(small, settings);
    expect(warning).to.match(/^with 137 release nodes this gate halts, by 24 h, crash-loops in \d+(\.\d)?% of them/);
    expect(warning).to.match(/inconclusive after 168 h/);
  });

  it('states a harm that the look at 24 h halts in ≥ 95% of releases carrying it, not only in a typical one', () => {
    const random = seededRandom(17);
    const count = (n: number, share: number) => {
      let x = 0;
      for (let i = 0; i < n; i += 1) if (random() < share) x += 1;
      return x;
    };
    const at24 = lookConfidence(23, 24, settings.confidence, settings.spendingHalfLifeHours) as number;
    for (const [n, nb] of [
      [137, 1_863],
      [382, 12_618],
      [890, 12_000],
    ]) {
      const stated = detectableHarm(n, nb, 0.01, settings);
      let crashHalts = 0;
      let darkHalts = 0;
      const draws = 1000;
      for (let draw = 0; draw < draws; draw += 1) {
        const crash = wilsonBounds(count(n, stated.crashLoopShare as number), n, at24);
        if ((crash?.low ?? 0) > settings.crashLoopHaltShare) crashHalts += 1;
        const dark = differenceBounds(count(n, 0.01 + (stated.darkShare as number)), n, count(nb, 0.01), nb, at24);
        if ((dark?.low ?? 0) > settings.darkHaltMargin) darkHalts += 1;
      }
      expect(crashHalts / draws, `crash loops, ${n} release nodes`).to.be.at.least(0.95);
      expect(darkHalts / draws, `dark, ${n} release nodes`).to.be.at.least(0.95);
    }
  });
});
