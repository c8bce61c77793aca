/**
 * No single node can steer the gate (issue 17 §1, docs/gate.md "Robust to any
 * node"). Each case goes through evaluateHistory, the entry the `gate` command
 * uses, on a history whose other nodes are healthy.
 */
import { expect } from 'chai';
import { evaluateHistory } from '../../../../src/gate/judge/gate';
import { defaultGateSettings, type GateSettings } from '../../../../src/gate/judge/gateSettings';
import { Bed, CRASHED, many, ON_RELEASE, PRE, PROD, type Spec } from './historyBed';

/** Small-fleet settings: short soak, few nodes; every key the gate has had, so older code reads them too. */
const SETTINGS = {
  ...defaultGateSettings(),
  darkScans: 3,
  minSoakHours: 6,
  minPreprodNodes: 10,
  minNodeHours: 10,
  minScansPerDay: 0,
  darkMargin: 0.3,
  darkHaltMargin: 0.3,
  darkStratumHaltMargin: 0.3,
  earlyDarkMargin: 0.3,
  maxCrashLoopShare: 0.25,
  crashLoopHaltShare: 0.25,
  maxSwitchFailShare: 0.25,
  confidence: 0.95,
} as GateSettings;

/** 100 selected nodes that move to 2.0 at hour 1, 100 production nodes. */
function healthyFleet(): Bed {
  return new Bed().scan({ ...many('p', 100, PRE), ...many('b', 100, PROD) }).scan(many('p', 100, ON_RELEASE));
}

/** Half the release nodes (p50…p99) fall back from a crash loop. */
function crashing(): Record<string, Spec> {
  const out: Record<string, Spec> = {};
  for (let i = 50; i < 100; i += 1) out[`p${i}`] = CRASHED;
  return out;
}

const judged = (bed: Bed) => evaluateHistory(bed.scans, { settings: SETTINGS, release: '2.0' });

describe('gate: no single node steers it', () => {
  it('a node flapping between selected and crash-loop every scan is one fallback, and never more than n', () => {
    const bed = healthyFleet();
    const flapping: Spec = { ...CRASHED };
    for (let h = 0; h < 40; h += 1) bed.scan({ p0: h % 2 === 0 ? flapping : ON_RELEASE });
    const report = judged(bed);
    expect(report.evidence.crashLoops).to.deep.equal({ count: 1, of: 100 });
    expect(report.evidence.fellBack.map((f) => f.node)).to.deep.equal(['p0']);
    expect(report.verdict).to.equal('promote');
  });

  it('a lone node on a "newer" 2.0.1-rc does not supersede the release, so a real crash loop still halts it', () => {
    const bed = healthyFleet()
      .scan({ p0: { ...ON_RELEASE, v: '2.0.1-rc', c: 'feedfeed01' } })
      .scan({});
    bed.scan(crashing());
    const report = judged(bed);
    expect(report.evidence.supersededBy).to.equal(null);
    expect(report.evidence.crashLoops.count).to.equal(50);
    expect(report.verdict).to.equal('halt');
  });

  it('an honest node coming back on the previous release does not supersede it', () => {
    const bed = healthyFleet()
      .scan({ p0: 'silent' })
      .scan({})
      .scan({ p0: { ...PRE, v: '1.9', c: '1900000aaa' } });
    bed.scan(crashing());
    const report = judged(bed);
    expect(report.evidence.supersededBy).to.equal(null);
    expect(report.verdict).to.equal('halt');
  });

  it('hostile version and commit strings are data: the judge neither throws nor mixes them up', () => {
    const hostile = ['constructor', '__proto__', 'toString', 'valueOf', 'hasOwnProperty'];
    const bed = healthyFleet();
    bed.scan(Object.fromEntries(hostile.map((v, i) => [`p${i}`, { ...ON_RELEASE, v, c: v }])));
    for (let h = 0; h < 8; h += 1) bed.scan({});
    const report = judged(bed);
    expect(report.release.version).to.equal('2.0');
    expect(report.evidence.uptake).to.deep.equal({ on: 95, of: 100 });
    expect(report.evidence.supersededBy).to.equal(null);
    const named = evaluateHistory(bed.scans, { settings: SETTINGS, release: 'constructor' });
    expect(named.release).to.include({ version: 'constructor' });
    expect(named.evidence.reachedAt).to.equal(null);
  });
});
