import { expect } from 'chai';
import { aggregate } from '../../src/fleet/aggregate';
import { wilsonInterval, Z_95 } from '../../src/stats/wilson';
import type { NodeResult } from '../../src/fleet/scan';

function node(kind: NodeResult['kind'], extra: Partial<NodeResult> = {}): NodeResult {
  return { host: '127.0.0.1', port: 1, kind, ms: 1, ...extra };
}

function many(count: number, make: () => NodeResult): NodeResult[] {
  return Array.from({ length: count }, make);
}

describe('fleet aggregate', () => {
  describe('wilsonInterval', () => {
    // Published values, 95% two-sided, Wilson score method without continuity
    // correction (method 3) in Newcombe RG, "Two-sided confidence intervals for
    // the single proportion: comparison of seven methods", Statistics in
    // Medicine 17:857-872 (1998), Table II, to four decimals. R gives the same
    // numbers with prop.test(x, n, correct = FALSE)$conf.int.
    const published: { x: number; n: number; low: number; high: number }[] = [
      { x: 81, n: 263, low: 0.2553, high: 0.3662 },
      { x: 15, n: 148, low: 0.0624, high: 0.1605 },
      { x: 0, n: 20, low: 0.0, high: 0.1611 },
      { x: 1, n: 29, low: 0.0061, high: 0.1718 },
    ];
    for (const { x, n, low, high } of published) {
      it(`matches Newcombe (1998) for ${x}/${n}: ${low.toFixed(4)} to ${high.toFixed(4)}`, () => {
        const interval = wilsonInterval(x, n);
        expect(interval).to.not.equal(null);
        expect(interval!.low).to.be.closeTo(low, 0.00005);
        expect(interval!.high).to.be.closeTo(high, 0.00005);
      });
    }

    // Closed forms: at 0/n the lower bound is 0 and the upper is z²/(n+z²);
    // at n/n they mirror. Wilson (1927) §4.
    const closed: number[] = [1, 2, 10, 13000];
    for (const n of closed) {
      it(`has the closed-form bounds at 0/${n} and ${n}/${n}`, () => {
        const z2 = Z_95 * Z_95;
        expect(wilsonInterval(0, n)).to.deep.equal({ low: 0, high: wilsonInterval(0, n)!.high });
        expect(wilsonInterval(0, n)!.high).to.be.closeTo(z2 / (n + z2), 1e-12);
        expect(wilsonInterval(n, n)!.high).to.equal(1);
        expect(wilsonInterval(n, n)!.low).to.be.closeTo(n / (n + z2), 1e-12);
      });
    }

    const symmetric: [number, number][] = [
      [3, 10],
      [81, 263],
      [910, 13000],
      [0, 5],
    ];
    for (const [x, n] of symmetric) {
      it(`is symmetric: ${x}/${n} mirrors ${n - x}/${n}`, () => {
        const a = wilsonInterval(x, n)!;
        const b = wilsonInterval(n - x, n)!;
        expect(a.low).to.be.closeTo(1 - b.high, 1e-12);
        expect(a.high).to.be.closeTo(1 - b.low, 1e-12);
      });
    }

    it('is centred on 1/2 for half successes and narrows as n grows', () => {
      const small = wilsonInterval(5, 10)!;
      const large = wilsonInterval(5000, 10000)!;
      expect((small.low + small.high) / 2).to.be.closeTo(0.5, 1e-12);
      expect(large.high - large.low).to.be.below(small.high - small.low);
    });

    it('contains the observed share and stays within [0, 1]', () => {
      for (let n = 1; n <= 40; n += 1) {
        for (let x = 0; x <= n; x += 1) {
          const { low, high } = wilsonInterval(x, n)!;
          expect(low).to.be.at.least(0);
          expect(high).to.be.at.most(1);
          expect(low).to.be.at.most(x / n);
          expect(high).to.be.at.least(x / n);
        }
      }
    });

    it('widens with z', () => {
      const narrow = wilsonInterval(7, 100, 1)!;
      const wide = wilsonInterval(7, 100, 3)!;
      expect(wide.low).to.be.below(narrow.low);
      expect(wide.high).to.be.above(narrow.high);
    });

    it('returns null without trials', () => {
      expect(wilsonInterval(0, 0)).to.equal(null);
    });

    const invalid: [number, number, number][] = [
      [-1, 10, Z_95],
      [11, 10, Z_95],
      [1.5, 10, Z_95],
      [1, -1, Z_95],
      [1, Number.NaN, Z_95],
      [1, 10, 0],
      [1, 10, Number.NaN],
    ];
    for (const [x, n, z] of invalid) {
      it(`rejects successes ${x}, n ${n}, z ${z}`, () => {
        expect(() => wilsonInterval(x, n, z)).to.throw(RangeError, /^Expected `/);
      });
    }
  });

  describe('aggregate', () => {
    it('counts states, failures, reasons and versions', () => {
      const results = [
        ...many(7, () => node('preprod', { version: '8.18.0', reason: 'selected', branch: 'preprod' })),
        node('preprod', { version: '8.18.1', reason: 'selected' }),
        ...many(90, () => node('production', { version: '8.17.0', reason: 'not-selected' })),
        node('production', { version: '8.17.0', reason: 'crash-loop' }),
        node('production', { reason: 'other' }),
        node('production', { version: '8.17.0', reason: 'disabled' }),
        node('unknown', { version: '8.16.0' }),
        node('unknown'),
        node('timeout'),
        node('timeout'),
        node('refused'),
        node('http-500'),
        node('http-302'),
        node('bad-json'),
      ];
      const summary = aggregate(results, { probability: 0.07 });
      expect(summary.asked).to.equal(109);
      expect(summary.answered).to.equal(103);
      expect(summary).to.include({ preprod: 8, production: 93, unknown: 2, failedTotal: 6, probability: 0.07 });
      expect({ ...summary.failed }).to.deep.equal({
        timeout: 2,
        refused: 1,
        'bad-json': 1,
        'too-large': 0,
        error: 0,
        'http-500': 1,
        'http-302': 1,
      });
      expect(summary.byReason.selected).to.equal(8);
      expect(summary.byReason['not-selected']).to.equal(90);
      expect(summary.byReason['crash-loop']).to.equal(1);
      expect(summary.byReason.disabled).to.equal(1);
      expect(summary.byReason.other).to.equal(1);
      expect(summary.byReason.development).to.equal(0);
      expect({ ...summary.versions.preprod }).to.deep.equal({ '8.18.0': 7, '8.18.1': 1 });
      expect(Object.keys(summary.versions.preprod)).to.deep.equal(['8.18.0', '8.18.1']);
      expect({ ...summary.versions.production }).to.deep.equal({ '8.17.0': 92 });
      expect({ ...summary.versions.unknown }).to.deep.equal({ '8.16.0': 1 });

      const interval = wilsonInterval(8, 101)!;
      expect(summary.share).to.deep.equal({ value: 8 / 101, low: interval.low, high: interval.high });
      expect(summary.probabilityInInterval).to.equal(true);
      expect(summary.deviation).to.be.closeTo((8 / 101 - 0.07) * 100, 1e-6);
    });

    it('says when the probability lies outside the interval', () => {
      const results = [...many(300, () => node('preprod')), ...many(700, () => node('production'))];
      const summary = aggregate(results, { probability: 0.07 });
      expect(summary.share.value).to.equal(0.3);
      expect(summary.probabilityInInterval).to.equal(false);
      expect(summary.deviation).to.equal(23);
    });

    const empty: [string, NodeResult[]][] = [
      ['no results', []],
      ['only failures', [node('timeout'), node('refused')]],
      ['only unknown nodes', [node('unknown'), node('unknown')]],
    ];
    for (const [name, results] of empty) {
      it(`has a null share with ${name}`, () => {
        const summary = aggregate(results, { probability: 0.07 });
        expect(summary.share).to.deep.equal({ value: null, low: null, high: null });
        expect(summary.probabilityInInterval).to.equal(null);
        expect(summary.deviation).to.equal(null);
        expect(summary.asked).to.equal(results.length);
      });
    }

    it('keeps stranger-chosen version keys as plain keys', () => {
      const results = [
        node('preprod', { version: '__proto__' }),
        node('preprod', { version: 'constructor' }),
        node('production', { version: 'hasOwnProperty' }),
      ];
      const summary = aggregate(results, { probability: 0.07 });
      expect(Object.keys(summary.versions.preprod).sort()).to.deep.equal(['__proto__', 'constructor']);
      expect(Object.getOwnPropertyDescriptor(summary.versions.preprod, '__proto__')?.value).to.equal(1);
      expect(summary.versions.production.hasOwnProperty).to.equal(1);
      expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
      expect(JSON.parse(JSON.stringify(summary.versions.preprod))).to.deep.equal(
        JSON.parse('{"__proto__":1,"constructor":1}'),
      );
    });

    it('counts aborted nodes as failed only when there are some', () => {
      expect(aggregate([node('preprod')], { probability: 0.07 }).failed).to.not.have.property('aborted');
      expect(aggregate([node('aborted')], { probability: 0.07 }).failed.aborted).to.equal(1);
    });

    it('has no comparison when the probability is not a number', () => {
      const summary = aggregate([node('preprod')], { probability: Number.NaN });
      expect(summary.share.value).to.equal(1);
      expect(summary.probabilityInInterval).to.equal(null);
      expect(summary.deviation).to.equal(null);
    });
  });
});
