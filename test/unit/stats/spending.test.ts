import { expect } from 'chai';
import { seededRandom } from '../../../src/cohort/random';
import { wilsonBounds } from '../../../src/stats/intervals';
import { lookConfidence, spendingClock, spentAlpha } from '../../../src/stats/spending';

describe('alpha spending over watched hours', () => {
  it('spends α·t/(t + τ): none at 0, half at τ, all of it only in the limit', () => {
    expect(spentAlpha(0, 0.05, 24)).to.equal(0);
    expect(spentAlpha(24, 0.05, 24)).to.be.closeTo(0.025, 1e-12);
    expect(spentAlpha(72, 0.05, 24)).to.be.closeTo(0.0375, 1e-12);
    expect(spentAlpha(Number.POSITIVE_INFINITY, 0.05, 24)).to.equal(0.05);
    expect(spentAlpha(1e9, 0.05, 24)).to.be.below(0.05);
  });

  it('gives a look the α between it and the previous look, and none when no time passed', () => {
    expect(lookConfidence(0, 1, 0.95, 24)).to.be.closeTo(1 - 0.002, 1e-12);
    expect(lookConfidence(71, 72, 0.95, 24)).to.be.closeTo(1 - (0.0375 - (0.05 * 71) / 95), 1e-12);
    expect(lookConfidence(5, 5, 0.95, 24)).to.equal(null);
  });

  it('spends no more than α over any schedule of looks, however dense', () => {
    const random = seededRandom(7);
    for (let schedule = 0; schedule < 20; schedule += 1) {
      let before = 0;
      let spent = 0;
      for (let look = 0; look < 5000; look += 1) {
        const now = before + random() * 2;
        spent += 1 - (lookConfidence(before, now, 0.95, 24) ?? 1);
        before = now;
      }
      expect(spent).to.be.at.most(0.05 + 1e-9);
    }
  });

  it('spends by whole watched hours, so the scan rate does not change the budget (docs/gate.md "Hourly looks")', () => {
    // Every 10 minutes: the look that starts a new watched hour gets that whole hour's α, the others none.
    expect(lookConfidence(5 / 6, 1, 0.95, 12)).to.be.closeTo(lookConfidence(0, 1, 0.95, 12) as number, 1e-12);
    expect(lookConfidence(1, 1 + 1 / 6, 0.95, 12)).to.equal(null);
    expect(lookConfidence(71 + 5 / 6, 72, 0.95, 12)).to.be.closeTo(lookConfidence(71, 72, 0.95, 12) as number, 1e-12);
    // A scan a minute or two early still counts as its hour.
    expect(spendingClock(2.98)).to.equal(3);
    expect(spendingClock(2.9)).to.equal(2);
    expect(spendingClock(-1)).to.equal(0);
  });

  it('gives the deciding look of each hour the same α whether looked at hourly or every 10 minutes', () => {
    const perHour = (looksPerHour: number) => {
      const alphas = new Map<number, number>();
      let before = 0;
      for (let look = 1; look <= 96 * looksPerHour; look += 1) {
        const now = Math.round((look / looksPerHour) * 100) / 100; // watched hours are stored to 2 decimals
        const c = lookConfidence(before, now, 0.95, 12);
        // The largest α any one look of the hour gets: the α its bounds are computed at.
        if (c !== null) alphas.set(spendingClock(now), Math.max(alphas.get(spendingClock(now)) ?? 0, 1 - c));
        before = now;
      }
      return alphas;
    };
    const hourly = perHour(1);
    const every10m = perHour(6);
    expect(every10m.size).to.equal(96);
    for (const [h, alpha] of hourly) expect(every10m.get(h)).to.be.closeTo(alpha, 1e-12);
  });

  it('refuses an α or a half-life out of range', () => {
    expect(() => spentAlpha(1, 0, 24)).to.throw(RangeError);
    expect(() => spentAlpha(1, 0.05, 0)).to.throw(RangeError);
  });

  // Coverage by simulation: a true share of 2% watched hourly for 168 h as nodes accumulate; the one-sided
  // bounds of every look together miss the truth in at most α of the runs (Bonferroni is conservative).
  it('keeps cumulative coverage over 168 hourly looks: the share of runs where any look misses ≤ α', () => {
    const random = seededRandom(11);
    const truth = 0.02;
    let missedRuns = 0;
    const runs = 400;
    for (let run = 0; run < runs; run += 1) {
      let count = 0;
      let n = 0;
      let missed = false;
      for (let hour = 1; hour <= 168 && !missed; hour += 1) {
        for (let k = 0; k < 20; k += 1) {
          n += 1;
          if (random() < truth) count += 1;
        }
        const c = lookConfidence(hour - 1, hour, 0.95, 24) as number;
        const bounds = wilsonBounds(count, n, c);
        if (bounds !== null && (bounds.low > truth || bounds.high < truth)) missed = true;
      }
      if (missed) missedRuns += 1;
    }
    // Both sides at α each: at most 2α of runs; a fixed 0.95 on every look misses in far more.
    expect(missedRuns / runs).to.be.at.most(0.1);
    let fixedMissed = 0;
    for (let run = 0; run < 100; run += 1) {
      let count = 0;
      let n = 0;
      let missed = false;
      for (let hour = 1; hour <= 168 && !missed; hour += 1) {
        for (let k = 0; k < 20; k += 1) {
          n += 1;
          if (random() < truth) count += 1;
        }
        const bounds = wilsonBounds(count, n, 0.95);
        if (bounds !== null && (bounds.low > truth || bounds.high < truth)) missed = true;
      }
      if (missed) fixedMissed += 1;
    }
    expect(fixedMissed / 100).to.be.above(missedRuns / runs);
  });
});
