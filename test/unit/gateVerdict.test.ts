import { expect } from 'chai';
import { EvidenceTracker, type GateEvidence } from '../../src/gate/judge/evidence';
import { chooseRelease, evaluateHistory, judgedIndex } from '../../src/gate/judge/gate';
import { defaultGateSettings } from '../../src/gate/judge/gateSettings';
import type { Cohort, NodeMode, NodeObservation } from '../../src/gate/history/observation';
import { buildScan, NodeTable, type ScanRecord } from '../../src/gate/history/scanRecord';
import { criteriaOf, judge, verdictOf, type Criterion } from '../../src/gate/judge/verdict';

type Spec = { v: string; m?: NodeMode; r?: string; k?: Cohort; c?: string } | 'silent';

const hour = (h: number) => new Date(Date.UTC(2026, 0, 1, h)).toISOString();
const PRE: Spec = { v: '1.0', m: 'preprod', r: 'selected', k: 'selected' };
const PROD: Spec = { v: '0.9', m: 'production', r: 'not-selected', k: 'not-selected' };
const ON_RELEASE: Spec = { ...PRE, v: '2.0', c: 'abcdef0123' };
const CRASHED: Spec = { v: '0.9', m: 'production', r: 'crash-loop', k: 'selected' };

/** A history built scan by scan from per-node specs; nodes left out of a scan keep answering as before. */
class Bed {
  private readonly table = new NodeTable();
  readonly scans: ScanRecord[] = [];
  private readonly current = new Map<string, Spec>();

  scan(changes: Record<string, Spec>): this {
    for (const [node, spec] of Object.entries(changes)) this.current.set(node, spec);
    const observations: NodeObservation[] = [...this.current].map(([node, spec]) =>
      spec === 'silent'
        ? {
            node,
            answered: false,
            failure: 'timeout',
            version: null,
            commit: null,
            mode: null,
            reason: null,
            cohort: 'unknown',
          }
        : {
            node,
            answered: true,
            failure: null,
            version: spec.v,
            commit: spec.c ?? null,
            mode: spec.m ?? 'production',
            reason: spec.r ?? null,
            cohort: spec.k ?? 'unknown',
          },
    );
    const record = buildScan(this.table, observations, hour(this.scans.length), this.scans.length + 1);
    this.table.apply(record);
    this.scans.push(record);
    return this;
  }

  evidence(version = '2.0', darkScans = 3): GateEvidence {
    const tracker = new EvidenceTracker({ version, commit: null }, darkScans);
    for (const scan of this.scans) tracker.observe(scan);
    return tracker.evidence();
  }
}

describe('gate evidence', () => {
  it('from the scan the release reached preprod: selected nodes join "release", not-selected ones "baseline"', () => {
    const bed = new Bed().scan({ p1: PRE, p2: PRE, p3: PRE, b1: PROD, b2: PROD, u: { v: '0.8' } });
    expect(bed.evidence().reachedAt).to.equal(null);
    bed.scan({ p1: ON_RELEASE, p3: 'silent' });
    const e = bed.evidence();
    expect(e.reachedAt).to.equal(hour(1));
    // p3 answered in the scan before and is silent now: it joins too.
    expect(e.dark.release.nodes).to.equal(3);
    expect(e.dark.baseline.nodes).to.equal(2);
    expect(e.preprodNodes).to.equal(1);
    expect(e.uptake).to.deep.equal({ on: 1, of: 2 });
  });

  it('counts a node dark after darkScans silent scans in a row, once, and not a node silent since before', () => {
    const bed = new Bed().scan({ p1: PRE, p2: PRE, p3: PRE, b1: PROD, b2: PROD }).scan({ p3: 'silent' });
    bed.scan({ p1: ON_RELEASE }).scan({ p2: 'silent', b1: 'silent' }).scan({ b1: PROD });
    expect(bed.evidence().dark).to.deep.equal({ release: { dark: 0, nodes: 2 }, baseline: { dark: 0, nodes: 2 } });
    bed.scan({});
    // p2 silent for 3 scans now; p3 has been silent since before the release reached preprod and never joined.
    expect(bed.evidence().dark).to.deep.equal({ release: { dark: 1, nodes: 2 }, baseline: { dark: 0, nodes: 2 } });
    bed.scan({ p2: ON_RELEASE }).scan({ p2: 'silent' }).scan({}).scan({});
    expect(bed.evidence().dark.release.dark).to.equal(1);
    expect(bed.evidence(undefined, 5).dark.release.dark).to.equal(0);
  });

  it('counts crash-loop fallbacks and switch failures that happen after the release reached preprod', () => {
    const waiting: Spec = { v: '0.9', m: 'production', r: 'fetch-failed', k: 'selected' };
    const bed = new Bed().scan({ p1: PRE, p2: PRE, old: CRASHED, s: waiting, b: PROD });
    bed.scan({ p1: ON_RELEASE }).scan({ p2: 'silent' }).scan({ p2: CRASHED });
    bed.scan({ s: { v: '0.9', m: 'production', r: 'switch-failed', k: 'selected' } });
    const e = bed.evidence();
    // The node that fell back before the release reached preprod is not counted.
    expect(e.crashLoops).to.deep.equal({ count: 1, of: 2 });
    expect(e.switchFailures).to.deep.equal({ count: 1, of: 3 });
    expect(e.fellBack).to.deep.equal([
      { node: 'p2', reason: 'crash-loop', at: hour(3) },
      { node: 's', reason: 'switch-failed', at: hour(4) },
    ]);
  });

  it('counts a fallback in the scan where the release reached preprod', () => {
    const bed = new Bed().scan({ p1: PRE, p2: PRE, b: PROD }).scan({ p1: ON_RELEASE, p2: CRASHED });
    expect(bed.evidence().crashLoops).to.deep.equal({ count: 1, of: 2 });
  });

  it('once a newer release reached preprod, later fallbacks and dark nodes count for it, not the older one', () => {
    const NEWER: Spec = { ...PRE, v: '3.0' };
    const bed = new Bed()
      .scan({ p1: PRE, p2: PRE, p3: PRE, p4: PRE, b: PROD })
      .scan({ p1: ON_RELEASE, p2: ON_RELEASE, p3: ON_RELEASE });
    bed.scan({ p4: ON_RELEASE }).scan({ p1: NEWER, p2: CRASHED, p3: 'silent' }).scan({}).scan({});
    const old = bed.evidence('2.0');
    expect(old.supersededBy).to.deep.equal({ version: '3.0', at: hour(3) });
    expect(old.crashLoops.count).to.equal(0);
    expect(old.dark.release.dark).to.equal(0);
    expect(old.hoursSinceReached).to.equal(2);
    const newer = bed.evidence('3.0');
    expect(newer.reachedAt).to.equal(hour(3));
    expect([newer.crashLoops.count, newer.dark.release.dark]).to.deep.equal([1, 1]);
  });

  it('adds up node-hours of answering selected nodes on the release from the scan it reached preprod', () => {
    const bed = new Bed().scan({ p1: PRE, p2: PRE }).scan({ p1: ON_RELEASE }).scan({ p2: ON_RELEASE }).scan({});
    const e = bed.evidence();
    expect(e.nodeHours).to.equal(1 + 2);
    expect(e.hoursSinceReached).to.equal(2);
    expect(e.preprodNodes).to.equal(2);
  });
});

describe('gate release and time', () => {
  const bed = new Bed()
    .scan({ a: PRE, b: PRE, c: PRE, e: PRE, d: PROD })
    .scan({ a: ON_RELEASE, b: { ...ON_RELEASE, c: 'abcdef0999' }, e: ON_RELEASE })
    .scan({ c: { ...PRE, v: '1.5', c: '1234567abc' }, e: { ...PRE, v: '1.5', c: '1234567abc' }, b: 'silent' });

  const releases: [string, string | undefined, number, string | null, string | null][] = [
    ['the version most answering preprod nodes run', undefined, 3, '1.5', '1234567abc'],
    ['the version most preprod nodes run, earlier', undefined, 2, '2.0', 'abcdef0123'],
    ['a version named', '1.0', 3, '1.0', null],
    ['a commit prefix', 'abcdef0', 3, '2.0', 'abcdef0123'],
    ['a commit prefix of the other commit', '1234567', 3, '1.5', '1234567abc'],
    ['a commit no node reported', 'fffffff', 3, null, null],
  ];
  for (const [name, selector, scans, version, commit] of releases) {
    it(`release: ${name}`, () => {
      const release = chooseRelease(bed.scans.slice(0, scans), selector);
      expect(release?.version ?? null).to.equal(version);
      if (version !== null) expect(release?.commit ?? null).to.equal(commit);
    });
  }

  it('release: ties go to the higher version', () => {
    const tie = new Bed().scan({ g: PRE, h: PRE }).scan({ g: ON_RELEASE, h: { ...PRE, v: '1.10' } });
    expect(chooseRelease(tie.scans, undefined)?.version).to.equal('2.0');
    const numeric = new Bed().scan({ g: { ...PRE, v: '1.9' }, h: { ...PRE, v: '1.10' } });
    expect(chooseRelease(numeric.scans, undefined)?.version).to.equal('1.10');
  });

  it('judges at the latest scan at or before --at', () => {
    expect(judgedIndex(bed.scans, undefined)).to.equal(2);
    expect(judgedIndex(bed.scans, hour(1))).to.equal(1);
    expect(judgedIndex(bed.scans, '2026-01-01T01:59:59.000Z')).to.equal(1);
    expect(judgedIndex(bed.scans, '2025-12-31T23:00:00.000Z')).to.equal(-1);
  });

  it('waits, with a note, on an empty history or before the first scan', () => {
    const settings = defaultGateSettings();
    expect(evaluateHistory([], { settings })).to.include({ verdict: 'wait', note: 'the history is empty' });
    const early = evaluateHistory(bed.scans, { settings, at: '2025-01-01T00:00:00.000Z' });
    expect(early).to.include({ verdict: 'wait', note: 'no scan was recorded at or before 2025-01-01T00:00:00.000Z' });
    expect(early.release).to.deep.equal({ version: null, commit: null });
  });
});

describe('gate verdict', () => {
  const settings = { ...defaultGateSettings(), minPreprodNodes: 100, minNodeHours: 1000, minSoakHours: 72 };
  const evidence = (patch: Partial<GateEvidence>): GateEvidence => ({
    release: { version: '2.0', commit: null },
    at: hour(100),
    reachedAt: hour(0),
    hoursSinceReached: 100,
    supersededBy: null,
    nodeHours: 80_000,
    preprodNodes: 890,
    uptake: { on: 880, of: 900 },
    dark: { release: { dark: 13, nodes: 890 }, baseline: { dark: 180, nodes: 12_000 } },
    crashLoops: { count: 1, of: 890 },
    switchFailures: { count: 0, of: 890 },
    fellBack: [],
    ...patch,
  });
  const unmet = (criteria: Criterion[]) => criteria.filter((c) => !c.met).map((c) => c.name);

  const cases: [string, Partial<GateEvidence>, string, string[]][] = [
    ['a healthy release after its soak', {}, 'promote', []],
    ['a healthy release during its soak', { hoursSinceReached: 24 }, 'wait', ['exposure.soak-hours']],
    ['too few preprod nodes', { preprodNodes: 50 }, 'wait', ['exposure.preprod-nodes']],
    ['low uptake', { uptake: { on: 500, of: 900 } }, 'wait', ['uptake']],
    [
      '5% of its nodes gone dark, 4 h in',
      { hoursSinceReached: 4, dark: { release: { dark: 58, nodes: 890 }, baseline: { dark: 12, nodes: 12_000 } } },
      'halt',
      ['exposure.soak-hours', 'health.dark.upper', 'health.dark.lower'],
    ],
    [
      '5% crash-looping, 4 h in',
      { hoursSinceReached: 4, crashLoops: { count: 45, of: 890 } },
      'halt',
      ['exposure.soak-hours', 'health.crash-loop.upper', 'health.crash-loop.lower'],
    ],
    [
      '2% crash-looping: not shown worse, not shown fine',
      { crashLoops: { count: 18, of: 890 } },
      'wait',
      ['health.crash-loop.upper'],
    ],
    [
      'switch failures above the ceiling',
      { switchFailures: { count: 60, of: 900 } },
      'halt',
      ['health.switch-fail.upper', 'health.switch-fail.lower'],
    ],
    [
      'the release has not reached preprod',
      { reachedAt: null, hoursSinceReached: null },
      'wait',
      ['exposure.soak-hours', 'exposure.preprod-nodes', 'exposure.node-hours'],
    ],
  ];
  for (const [name, patch, verdict, failing] of cases) {
    it(`${name} → ${verdict}`, () => {
      const judged = judge(evidence(patch), settings);
      expect(judged.verdict).to.equal(verdict);
      expect(unmet(judged.criteria)).to.deep.equal(failing);
    });
  }

  it('prints each criterion with its value and threshold', () => {
    const criteria = criteriaOf(evidence({}), settings);
    expect(criteria.map((c) => c.name)).to.deep.equal([
      'exposure.soak-hours',
      'exposure.preprod-nodes',
      'exposure.node-hours',
      'uptake',
      'health.dark.upper',
      'health.dark.lower',
      'health.crash-loop.upper',
      'health.crash-loop.lower',
      'health.switch-fail.upper',
      'health.switch-fail.lower',
    ]);
    expect(criteria[0]).to.deep.equal({ name: 'exposure.soak-hours', met: true, value: 100, threshold: 72 });
    expect(criteria[3].value).to.be.closeTo(880 / 900, 1e-4);
    expect(criteria[4].threshold).to.equal(0.02);
  });

  it('halts when any halting criterion is unmet, promotes only when all are met', () => {
    const c = (name: string, met: boolean): Criterion => ({ name, met, value: 0, threshold: 0 });
    expect(verdictOf([c('uptake', false), c('health.dark.lower', false)])).to.equal('halt');
    expect(verdictOf([c('uptake', false), c('health.dark.lower', true)])).to.equal('wait');
    expect(verdictOf([c('uptake', true), c('health.dark.lower', true)])).to.equal('promote');
  });
});
