import { expect } from 'chai';
import { EvidenceTracker, type GateEvidence, type TrackerSettings } from '../../../../src/gate/judge/evidence';
import { Bed, CRASHED, hour, many, ON_RELEASE, PRE, PROD, type Answer } from './historyBed';

const SETTINGS: TrackerSettings = {
  darkHours: 3,
  earlyDarkHours: 12,
  maxScanGapHours: 3,
  quorumNodes: 1,
  quorumShare: 0.05,
  steadyHours: 12,
};

function evidenceOf(bed: Bed, release = { version: '2.0', commit: 'abcdef0123' }, patch = {}): GateEvidence {
  const tracker = new EvidenceTracker(release, { ...SETTINGS, ...patch });
  for (const scan of bed.scans) tracker.observe(scan);
  return tracker.evidence();
}

describe('gate evidence', () => {
  it('from the scan the release reached preprod: selected nodes join "release", not-selected ones "baseline"', () => {
    const bed = new Bed().scan({ p1: PRE, p2: PRE, p3: PRE, b1: PROD, b2: PROD, u: { v: '0.8' } });
    expect(evidenceOf(bed).reachedAt).to.equal(null);
    bed.scan({ p1: ON_RELEASE, p3: 'silent' });
    const e = evidenceOf(bed);
    expect(e.reachedAt).to.equal(hour(1));
    // p3 answered in the scan before and is silent now: it joins too.
    expect(e.dark.release.nodes).to.equal(3);
    expect(e.dark.baseline.nodes).to.equal(2);
    expect(e.preprodNodes).to.equal(1);
    expect(e.uptake).to.deep.equal({ on: 1, of: 2 });
  });

  it('reaches preprod only when a quorum of selected preprod nodes runs the release', () => {
    const bed = new Bed()
      .scan(many('p', 6, PRE))
      .scan({ p0: ON_RELEASE })
      .scan({ p1: ON_RELEASE, p2: ON_RELEASE });
    expect(evidenceOf(bed, undefined, { quorumNodes: 3 }).reachedAt).to.equal(hour(2));
    expect(evidenceOf(bed, undefined, { quorumNodes: 4 }).reachedAt).to.equal(null);
  });

  it('a node is dark after darkHours of silence, only while still silent, charged to the release it last ran', () => {
    const bed = new Bed().scan({ p1: PRE, p2: PRE, p3: PRE, b1: PROD, b2: PROD }).scan({ p3: 'silent' });
    bed.scan({ p1: ON_RELEASE, p2: ON_RELEASE }).scan({ p2: 'silent', b1: 'silent' }).scan({}).scan({});
    // p2 and b1 silent for 2 h: not yet; p3 silent since before the release and never joined.
    expect(evidenceOf(bed).dark).to.deep.equal({ release: { dark: 0, nodes: 2 }, baseline: { dark: 0, nodes: 2 } });
    bed.scan({});
    expect(evidenceOf(bed).dark).to.deep.equal({ release: { dark: 1, nodes: 2 }, baseline: { dark: 1, nodes: 2 } });
    expect(evidenceOf(bed).darkNodes).to.deep.equal([{ failure: 'timeout', nodes: ['p2'] }]);
    bed.scan({ p2: ON_RELEASE, b1: PROD });
    expect(evidenceOf(bed).dark).to.deep.equal({ release: { dark: 0, nodes: 2 }, baseline: { dark: 0, nodes: 2 } });
  });

  it('counts early dark apart: silences that began within earlyDarkHours of reaching preprod', () => {
    const bed = new Bed().scan({ p1: PRE, p2: PRE, p3: PRE, b1: PROD, b2: PROD });
    bed
      .scan({ p1: ON_RELEASE, p2: ON_RELEASE, p3: ON_RELEASE })
      .scan({ p2: 'silent', b1: 'silent' })
      .hourly(12)
      .scan({ p3: 'silent', b2: 'silent' })
      .hourly(4);
    const e = evidenceOf(bed, undefined, { earlyDarkHours: 12 });
    // p2 and b1 went silent 1 h after reaching, p3 and b2 14 h after: all four are dark, only the first two early.
    expect(e.dark).to.deep.equal({ release: { dark: 2, nodes: 3 }, baseline: { dark: 2, nodes: 2 } });
    expect(e.darkEarly).to.deep.equal({ release: { dark: 1, nodes: 3 }, baseline: { dark: 1, nodes: 2 } });
    expect(evidenceOf(bed, undefined, { earlyDarkHours: 24 }).darkEarly.release.dark).to.equal(2);
  });

  it('reads each node’s platform from the health column and counts dark and crash-loop nodes per stratum', () => {
    const arcane = (a: Answer): Answer => ({ ...a, os: 'arcane' });
    const other = (a: Answer): Answer => ({ ...a, os: 'other' });
    const bed = new Bed().hourly(13, {
      a1: arcane(PRE),
      a2: arcane(PRE),
      a3: arcane(PRE),
      o1: other(PRE),
      o2: PRE,
      ab: arcane(PROD),
      ob: other(PROD),
    });
    // The platform travels in the scan's health column, as the recorder writes it.
    expect(bed.scans[0].health).to.be.a('string');
    bed.scan({ a1: arcane(ON_RELEASE), o1: other(ON_RELEASE) }).scan({ a2: 'silent', ob: 'silent' });
    bed.scan({ a3: arcane(CRASHED) }).hourly(4);
    const e = evidenceOf(bed);
    expect(e.strata).to.deep.equal([
      {
        stratum: 'arcane',
        dark: { release: { dark: 1, nodes: 3 }, baseline: { dark: 0, nodes: 1 } },
        crashLoops: { count: 1, of: 3 },
      },
      {
        stratum: 'non-arcane',
        // o2 reports no platform: it counts with the non-ArcaneOS nodes.
        dark: { release: { dark: 0, nodes: 2 }, baseline: { dark: 1, nodes: 1 } },
        crashLoops: { count: 0, of: 2 },
      },
    ]);
    // A node that reports another platform later moves to that stratum.
    bed.scan({ o1: arcane(ON_RELEASE) });
    expect(evidenceOf(bed).strata[0].dark.release.nodes).to.equal(4);
  });

  it('a release node that went silent on the previous release is not charged to this one', () => {
    const bed = new Bed().scan({ p1: PRE, p2: PRE, b: PROD }).scan({ p1: ON_RELEASE, p2: 'silent' }).hourly(5);
    expect(evidenceOf(bed).dark.release).to.deep.equal({ dark: 0, nodes: 2 });
  });

  it('counts crash-loop fallbacks and switch failures after the release reached preprod, once per node', () => {
    const waiting: Answer = { v: '0.9', m: 'production', r: 'fetch-failed', k: 'selected' };
    const failed: Answer = { ...waiting, r: 'switch-failed' };
    // Nodes that ran 1.0 for 12 h or more: a fallback after 2.0 reached preprod is charged to 2.0.
    const bed = new Bed().hourly(13, { p1: PRE, p2: PRE, old: CRASHED, s: waiting, b: PROD });
    bed.scan({ p1: ON_RELEASE }).scan({ p2: 'silent' }).scan({ p2: CRASHED }).scan({ s: failed });
    bed.scan({ p2: ON_RELEASE, s: waiting }).scan({ p2: CRASHED, s: failed });
    const e = evidenceOf(bed);
    // The node that fell back before the release reached preprod is not counted; p2 and s count once each.
    expect(e.crashLoops).to.deep.equal({ count: 1, of: 2 });
    expect(e.switchFailures).to.deep.equal({ count: 1, of: 3 });
    expect(e.fellBack).to.deep.equal([
      { node: 'p2', reason: 'crash-loop', at: hour(15) },
      { node: 's', reason: 'switch-failed', at: hour(16) },
    ]);
  });

  it('counts a fallback in the scan where the release reached preprod', () => {
    const bed = new Bed().hourly(13, { p1: PRE, p2: PRE, b: PROD }).scan({ p1: ON_RELEASE, p2: CRASHED });
    expect(evidenceOf(bed).crashLoops).to.deep.equal({ count: 1, of: 2 });
  });

  it('charges trouble that began while the node pulled the release, just before it reached preprod', () => {
    // Scans every 10 minutes: p2 and p3 restart to pull 2.0 and are silent before any node answers with it.
    const bed = new Bed().hourly(13, { p1: PRE, p2: PRE, p3: PRE, old: PRE, b: PROD });
    bed
      .scan({ old: 'silent' }, 1 / 6)
      .scan({}, 1)
      .scan({ p2: 'silent', p3: 'silent' }, 1 / 6);
    bed
      .scan({ p1: ON_RELEASE }, 1 / 6)
      .scan({ p2: CRASHED }, 1 / 6)
      .hourly(4);
    const e = evidenceOf(bed);
    // p2 crash-looped on 2.0, p3 stays dark on it; `old` went silent over an hour before 2.0 reached preprod.
    expect(e.crashLoops).to.deep.equal({ count: 1, of: 3 });
    expect(e.dark.release.dark).to.equal(1);
    expect(e.darkNodes).to.deep.equal([{ failure: 'timeout', nodes: ['p3'] }]);
  });

  it('does not charge a fallback to the release when the node had switched to its release only hours before', () => {
    const bed = new Bed().hourly(13, { p1: PRE, p2: PRE, b: PROD }).scan({ p2: { ...PRE, v: '1.5', c: '1500000aaa' } });
    bed.scan({ p1: ON_RELEASE, p2: CRASHED });
    expect(evidenceOf(bed).crashLoops).to.deep.equal({ count: 0, of: 1 });
  });

  it('once a quorum runs a newer release, later fallbacks and silences count for it, not the older one', () => {
    const NEWER: Answer = { ...PRE, v: '3.0', c: '3000000aaa' };
    const bed = new Bed()
      .scan(many('p', 8, PRE))
      .scan({ b: PROD })
      .hourly(13, many('p', 8, ON_RELEASE));
    bed.scan({ p0: NEWER, p1: NEWER }).scan({ p2: NEWER, p3: CRASHED, p4: 'silent' }).hourly(4);
    const old = evidenceOf(bed, undefined, { quorumNodes: 3 });
    expect(old.supersededBy).to.deep.equal({ version: '3.0', commit: '3000000aaa', at: hour(16), nodes: 3 });
    expect([old.crashLoops.count, old.dark.release.dark]).to.deep.equal([0, 0]);
    expect(old.hoursSinceReached).to.equal(14);
    // p3 and p4 had run 2.0 for 13 h: their trouble once 3.0 is on preprod is charged to 3.0.
    const newer = evidenceOf(bed, { version: '3.0', commit: '3000000aaa' }, { quorumNodes: 3 });
    expect(newer.reachedAt).to.equal(hour(16));
    expect([newer.crashLoops.count, newer.dark.release.dark]).to.deep.equal([1, 1]);
  });

  it('a same-version hotfix on a new commit supersedes the commit before it and starts its own soak', () => {
    const HOTFIX: Answer = { ...ON_RELEASE, c: 'abcdef0999' };
    const bed = new Bed()
      .scan(many('p', 6, PRE))
      .scan(many('p', 6, ON_RELEASE))
      .hourly(10)
      .scan(many('p', 6, HOTFIX));
    bed.hourly(3);
    const first = evidenceOf(bed);
    expect(first.supersededBy).to.include({ version: '2.0', commit: 'abcdef0999', at: hour(12) });
    const hotfix = evidenceOf(bed, { version: '2.0', commit: 'abcdef0999' });
    expect([hotfix.reachedAt, hotfix.hoursSinceReached]).to.deep.equal([hour(12), 3]);
  });

  it('counts watched time only: node-hours and soak skip a gap over maxScanGapHours, and the gap is listed', () => {
    const bed = new Bed().scan({ p1: PRE, p2: PRE }).scan({ p1: ON_RELEASE }).scan({ p2: ON_RELEASE }).scan({});
    bed.scan({}, 10).scan({});
    const e = evidenceOf(bed);
    expect(e.nodeHours).to.equal(1 + 2 + 2);
    expect([e.hoursSinceReached, e.previousHoursSinceReached]).to.deep.equal([3, 2]);
    expect(e.gaps).to.deep.equal([{ from: hour(3), to: hour(13), hours: 10 }]);
    expect(e.scansLastDay).to.equal(6);
  });
});
