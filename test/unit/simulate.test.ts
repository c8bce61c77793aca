import { expect } from 'chai';
import * as sinon from 'sinon';

import * as cohort from '../../src/cohort/decide';
import { isPreprodError } from '../../src/errors';
import { simulate, type SimulationOptions, type SimulationReport } from '../../src/cohort/simulate';

describe('simulate', () => {
  // How fast this runs is measured by bench/simulate.bench.ts, not asserted here: CI is a shared machine.
  describe('a fleet the size of FluxOS: 13,000 nodes, 12 months, seed 1', () => {
    let report: SimulationReport;
    before(() => {
      report = simulate({ nodes: 13_000, months: 12, seed: 1 });
    });

    it('keeps every month-end, daily minimum and daily maximum within 910 ± 120 preprod nodes', () => {
      expect(report.months).to.have.length(12);
      for (const m of report.months) {
        for (const count of [m.preprod, m.preprodMin, m.preprodMax, m.preprodMean]) {
          expect(count, `month ${m.month}: ${JSON.stringify(m)}`).to.be.within(790, 1030);
        }
      }
    });

    it('reports the parameters with their defaults and the expected count', () => {
      expect(report.parameters).to.deep.equal({
        nodes: 13_000,
        months: 12,
        probability: 0.07,
        seed: 1,
        meanRestartDays: 7,
        optOutShare: 0.02,
        daysToNextEval: 30,
        daysPerMonth: 30,
      });
      expect(report.expected.preprod).to.equal(891.8);
      expect(report.expected.low).to.be.within(830, 840);
      expect(report.expected.high).to.be.within(945, 955);
    });

    it('produces consistent monthly rows', () => {
      let previousDistinct = 0;
      report.months.forEach((m, index) => {
        expect(m.month).to.equal(index + 1);
        expect(m.preprodMin).to.be.at.most(m.preprod);
        expect(m.preprod).to.be.at.most(m.preprodMax);
        expect(m.preprodMean).to.be.within(m.preprodMin, m.preprodMax);
        expect(m.distinctEver).to.be.at.least(Math.max(previousDistinct, m.preprod));
        previousDistinct = m.distinctEver;
        expect(m.optedOut).to.equal(report.months[0].optedOut);
        // 13,000 nodes restarting weekly: about 55,700 boots in 30 days.
        expect(m.boots).to.be.within(50_000, 70_000);
        expect(m.switches).to.be.below(m.boots);
      });
      // About 2% of 13,000 opt out.
      expect(report.months[0].optedOut).to.be.within(200, 320);
      // Monthly re-draws rotate the cohort: far more distinct nodes take a turn than sit on preprod at once.
      expect(report.months[11].distinctEver).to.be.above(4 * report.months[11].preprod);
    });
  });

  it('gives the same report for the same seed, and another for another seed', () => {
    const options: SimulationOptions = { nodes: 800, months: 3, seed: 99 };
    const a = simulate(options);
    expect(simulate(options)).to.deep.equal(a);
    expect(simulate({ ...options, seed: 100 })).not.to.deep.equal(a);
  });

  it('picks and reports a seed when none is given, and that seed replays the run', () => {
    const report = simulate({ nodes: 300, months: 2 });
    expect(Number.isInteger(report.parameters.seed)).to.equal(true);
    expect(simulate({ nodes: 300, months: 2, seed: report.parameters.seed })).to.deep.equal(report);
  });

  it('boots every node through the real decide(), once per counted boot', () => {
    const spy = sinon.spy(cohort, 'decide');
    const report = simulate({ nodes: 200, months: 2, seed: 3 });
    const boots = report.months.reduce((sum, m) => sum + m.boots, 0);
    expect(spy.callCount).to.equal(boots);
    expect(boots).to.be.above(200);
  });

  const extremes: { name: string; options: SimulationOptions; check: (report: SimulationReport) => void }[] = [
    {
      name: 'probability 0 (kill switch) puts nobody on preprod',
      options: { nodes: 500, months: 2, seed: 4, probability: 0 },
      check: (report) => {
        for (const m of report.months)
          expect([m.preprod, m.preprodMax, m.distinctEver, m.switches]).to.deep.equal([0, 0, 0, 0]);
      },
    },
    {
      name: 'probability 1 without opt-outs puts every node on preprod from the first day on',
      options: { nodes: 500, months: 2, seed: 5, probability: 1, optOutShare: 0 },
      check: (report) => {
        for (const m of report.months)
          expect([m.preprod, m.preprodMin, m.preprodMax, m.distinctEver]).to.deep.equal([500, 500, 500, 500]);
        expect(report.months.map((m) => m.switches)).to.deep.equal([500, 0]);
      },
    },
    {
      name: 'an opt-out share of 1 keeps every node on production',
      options: { nodes: 500, months: 2, seed: 6, probability: 1, optOutShare: 1 },
      check: (report) => {
        for (const m of report.months) expect([m.preprod, m.optedOut]).to.deep.equal([0, 500]);
        expect(report.expected.preprod).to.equal(0);
      },
    },
    {
      name: 'nodes that boot once stay where their first draw put them',
      options: { nodes: 2_000, months: 3, seed: 7, meanRestartDays: 3650, daysToNextEval: 3650 },
      check: (report) => {
        const [first, ...rest] = report.months;
        expect(first.boots).to.be.at.least(2_000);
        for (const m of rest) {
          expect(m.preprod).to.equal(first.preprod);
          expect(m.boots).to.be.below(100);
        }
      },
    },
  ];
  for (const c of extremes) {
    it(c.name, () => {
      c.check(simulate(c.options));
    });
  }

  const invalid: { options: unknown; message: string }[] = [
    { options: { nodes: 0, months: 12 }, message: 'Expected `nodes` to be a whole number from 1 to 1000000, got 0.' },
    {
      options: { nodes: 1_000_001, months: 12 },
      message: 'Expected `nodes` to be a whole number from 1 to 1000000, got 1000001.',
    },
    {
      options: { nodes: 12.5, months: 12 },
      message: 'Expected `nodes` to be a whole number from 1 to 1000000, got 12.5.',
    },
    {
      options: { nodes: '100', months: 12 },
      message: "Expected `nodes` to be a whole number from 1 to 1000000, got '100'.",
    },
    { options: { months: 12 }, message: 'Expected `nodes` to be a whole number from 1 to 1000000, got undefined.' },
    { options: { nodes: 10, months: 0 }, message: 'Expected `months` to be a whole number from 1 to 120, got 0.' },
    { options: { nodes: 10, months: 121 }, message: 'Expected `months` to be a whole number from 1 to 120, got 121.' },
    {
      options: { nodes: 10, months: Number.NaN },
      message: 'Expected `months` to be a whole number from 1 to 120, got NaN.',
    },
    {
      options: { nodes: 10, months: 1, probability: 1.5 },
      message: 'Expected `probability` to be a number from 0 to 1, got 1.5.',
    },
    {
      options: { nodes: 10, months: 1, probability: -0.07 },
      message: 'Expected `probability` to be a number from 0 to 1, got -0.07.',
    },
    {
      options: { nodes: 10, months: 1, probability: Number.NaN },
      message: 'Expected `probability` to be a number from 0 to 1, got NaN.',
    },
    {
      options: { nodes: 10, months: 1, seed: -1 },
      message: 'Expected `seed` to be a whole number from 0 to 4294967295, got -1.',
    },
    {
      options: { nodes: 10, months: 1, seed: 0.5 },
      message: 'Expected `seed` to be a whole number from 0 to 4294967295, got 0.5.',
    },
    {
      options: { nodes: 10, months: 1, meanRestartDays: 0 },
      message: 'Expected `meanRestartDays` to be a number from 0.1 to 3650, got 0.',
    },
    {
      options: { nodes: 10, months: 1, optOutShare: 2 },
      message: 'Expected `optOutShare` to be a number from 0 to 1, got 2.',
    },
    {
      options: { nodes: 10, months: 1, daysToNextEval: 0 },
      message: 'Expected `daysToNextEval` to be a number from 1 to 3650, got 0.',
    },
    { options: null, message: 'Expected `options` to be an object, got null.' },
  ];
  // NaN and Infinity shown as such in the test names (JSON.stringify would print null).
  const shownOptions = (options: unknown): string =>
    JSON.stringify(options, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
  for (const c of invalid) {
    it(`refuses ${shownOptions(c.options)}: ${c.message}`, () => {
      let caught: unknown;
      try {
        simulate(c.options as SimulationOptions);
      } catch (error) {
        caught = error;
      }
      expect(isPreprodError(caught, 'usage'), String(caught)).to.equal(true);
      expect((caught as Error).message).to.equal(c.message);
    });
  }
});
