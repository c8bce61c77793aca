import { expect } from 'chai';
import { differenceBounds, normalQuantile, wilsonBounds } from '../../src/stats/intervals';
import { defaultGateSettings, readGateSettings, validateGateSettings } from '../../src/gate/judge/gateSettings';
import { PreprodError } from '../../src/errors';
import { validateSignalSettings } from '../../src/gate/judge/signalSettings';

describe('gate statistics', () => {
  const quantiles: [number, number][] = [
    [0.5, 0],
    [0.9, 1.281552],
    [0.95, 1.644854],
    [0.975, 1.959964],
    [0.99, 2.326348],
    [0.999, 3.090232],
    [0.01, -2.326348],
    [0.0001, -3.719016],
  ];
  for (const [p, z] of quantiles) {
    it(`normal quantile of ${p} is ${z}`, () => {
      expect(normalQuantile(p)).to.be.closeTo(z, 1e-6);
    });
  }

  it('refuses a probability outside (0, 1)', () => {
    for (const p of [0, 1, -1, Number.NaN]) expect(() => normalQuantile(p)).to.throw(RangeError);
  });

  // Newcombe (1998), Statistics in Medicine 17:873–890, table II, method 10, 95% two-sided = 97.5% each side.
  const newcombe: [number, number, number, number, number, number][] = [
    [56, 70, 48, 80, 0.0524, 0.3339],
    [9, 10, 3, 10, 0.1705, 0.809],
    [6, 7, 2, 7, 0.0582, 0.8062],
    [5, 56, 0, 29, -0.0381, 0.1926],
    [0, 10, 0, 20, -0.1611, 0.2775],
    [0, 10, 0, 10, -0.2775, 0.2775],
  ];
  for (const [x1, n1, x2, n2, low, high] of newcombe) {
    it(`difference ${x1}/${n1} − ${x2}/${n2}: Newcombe's hybrid score bounds ${low} … ${high}`, () => {
      const bounds = differenceBounds(x1, n1, x2, n2, 0.975);
      expect(bounds?.low).to.be.closeTo(low, 1e-4);
      expect(bounds?.high).to.be.closeTo(high, 1e-4);
      expect(bounds?.estimate).to.be.closeTo(x1 / n1 - x2 / n2, 1e-12);
    });
  }

  it('has no bounds for an empty group', () => {
    expect(differenceBounds(0, 0, 1, 10, 0.99)).to.equal(null);
    expect(wilsonBounds(0, 0, 0.99)).to.equal(null);
  });

  const wilson: [number, number, number, number, number][] = [
    // count, n, confidence, low, high; 10/100 is the textbook 95% Wilson interval, the others computed by hand
    [0, 100, 0.975, 0, 0.037],
    [10, 100, 0.975, 0.0552, 0.1744],
    [45, 890, 0.99, 0.036, 0.0705],
    [0, 890, 0.99, 0, 0.006],
  ];
  for (const [count, n, confidence, low, high] of wilson) {
    it(`one-sided Wilson bounds of ${count}/${n} at ${confidence}: ${low} … ${high}`, () => {
      const bounds = wilsonBounds(count, n, confidence);
      expect(bounds?.low).to.be.closeTo(low, 1e-4);
      expect(bounds?.high).to.be.closeTo(high, 1e-4);
    });
  }
});

describe('gate settings', () => {
  it('has documented defaults', () => {
    expect(defaultGateSettings()).to.deep.equal({
      minSoakHours: 72,
      minPreprodNodes: 100,
      minNodeHours: 5000,
      minUptake: 0.8,
      darkHours: 3,
      confidence: 0.95,
      spendingHalfLifeHours: 12,
      promoteHalfLifeHours: 1,
      maxScanGapHours: 3,
      maxScanAgeHours: 3,
      minScansPerDay: 12,
      steadyHours: 12,
      quorumNodes: 5,
      quorumShare: 0.05,
      inconclusiveAfterHours: 168,
      darkMargin: 0.02,
      darkRelativeMargin: 1.25,
      darkHaltMargin: 0.0025,
      darkStratumHaltMargin: 0.004,
      earlyDarkHours: 6,
      earlyDarkMargin: 0.01,
      maxCrashLoopShare: 0.013,
      crashLoopHaltShare: 0.005,
      maxSwitchFailShare: 0.02,
      signals: validateSignalSettings({}), // from the signal rules: test/unit/gate/judge/signalSettings.test.ts
    });
  });

  it('merges overrides over the defaults', () => {
    expect(readGateSettings(undefined, { minSoakHours: 24 }).minSoakHours).to.equal(24);
  });

  const bad: [string, unknown, string][] = [
    ['a negative soak', { minSoakHours: -1 }, 'Expected `gate.minSoakHours` to be a number from 0 to 8760, got -1.'],
    [
      'a fractional node count',
      { minPreprodNodes: 1.5 },
      'Expected `gate.minPreprodNodes` to be a whole number from 0 to 1000000, got 1.5.',
    ],
    ['a confidence of 1', { confidence: 1 }, 'Expected `gate.confidence` to be a number from 0.5 to below 1, got 1.'],
    [
      'a ceiling of 0',
      { maxCrashLoopShare: 0 },
      'Expected `gate.maxCrashLoopShare` to be a number between 0 and 1, got 0.',
    ],
    [
      'a halt ceiling of 1',
      { crashLoopHaltShare: 1 },
      'Expected `gate.crashLoopHaltShare` to be a number between 0 and 1, got 1.',
    ],
    [
      'earlyDarkHours of 0',
      { earlyDarkHours: 0 },
      'Expected `gate.earlyDarkHours` to be a number from 1 to 8760, got 0.',
    ],
    ['darkHours as text', { darkHours: '3' }, "Expected `gate.darkHours` to be a number from 0.25 to 720, got '3'."],
    ['an unknown key', { minSoakHour: 5 }, 'Unknown setting `gate.minSoakHour`.'],
  ];
  for (const [name, patch, message] of bad) {
    it(`refuses ${name} with one sentence`, () => {
      const error = (() => {
        try {
          validateGateSettings({ ...defaultGateSettings(), ...(patch as object) });
        } catch (e) {
          return e;
        }
        return null;
      })();
      expect(error).to.be.instanceOf(PreprodError);
      expect((error as PreprodError).kind).to.equal('config-invalid');
      expect((error as PreprodError).message).to.equal(message);
    });
  }
});
