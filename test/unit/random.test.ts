import { expect } from 'chai';

import { isPreprodError } from '../../src/errors';
import { cryptoRandom, seededRandom, unitFromBytes, xoshiro128StarStar } from '../../src/cohort/random';

describe('random', () => {
  describe('unitFromBytes', () => {
    const cases: { name: string; bytes: number[]; expected: number }[] = [
      { name: 'all zero bits give 0', bytes: [0, 0, 0, 0, 0, 0, 0, 0], expected: 0 },
      {
        name: 'all one bits give the largest double below 1, never 1',
        bytes: [255, 255, 255, 255, 255, 255, 255, 255],
        expected: 1 - 2 ** -53,
      },
      { name: 'the top bit alone gives one half', bytes: [128, 0, 0, 0, 0, 0, 0, 0], expected: 0.5 },
      // The 27th kept bit of the second word is the 53rd bit of the result.
      { name: 'the lowest kept bit is worth 2^-53', bytes: [0, 0, 0, 0, 0, 0, 0, 32], expected: 2 ** -53 },
      { name: 'bits below the 53 kept ones are dropped', bytes: [0, 0, 0, 0, 0, 0, 0, 31], expected: 0 },
      { name: 'bytes beyond the eighth are ignored', bytes: [128, 0, 0, 0, 0, 0, 0, 0, 255, 255], expected: 0.5 },
    ];
    for (const c of cases) {
      it(c.name, () => {
        expect(unitFromBytes(Uint8Array.from(c.bytes))).to.equal(c.expected);
      });
    }

    it('reads from the view it is given, not from the start of the underlying buffer', () => {
      const buffer = Uint8Array.from([255, 255, 128, 0, 0, 0, 0, 0, 0, 0]);
      expect(unitFromBytes(buffer.subarray(2))).to.equal(0.5);
    });

    it('refuses fewer than 8 bytes', () => {
      expect(() => unitFromBytes(new Uint8Array(7))).to.throw(RangeError, 'Expected at least 8 random bytes, got 7.');
    });
  });

  describe('cryptoRandom', () => {
    it('returns numbers in [0, 1) that use more than 32 bits and spread evenly', () => {
      const samples = Array.from({ length: 20_000 }, () => cryptoRandom());
      for (const x of samples) expect(x >= 0 && x < 1, String(x)).to.equal(true);
      // A 32-bit source would make every sample a multiple of 2^-32.
      expect(samples.some((x) => !Number.isInteger(x * 2 ** 32))).to.equal(true);
      const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
      // Standard error of the mean is about 0.002; 0.02 is ten of them.
      expect(mean).to.be.closeTo(0.5, 0.02);
      const belowTenth = samples.filter((x) => x < 0.1).length / samples.length;
      expect(belowTenth).to.be.closeTo(0.1, 0.015);
    });
  });

  describe('xoshiro128StarStar', () => {
    const cases: { name: string; state: [number, number, number, number]; outputs: number[] }[] = [
      {
        name: 'state 1, 2, 3, 4 (by hand: rotl(2 * 5, 7) * 9 = 11520)',
        state: [1, 2, 3, 4],
        outputs: [11520, 0, 5927040, 70819200],
      },
      {
        name: 'the C reference implementation on a random state',
        state: [0x964d4a0c, 0xd40ab895, 0xad7fdecb, 0x3006f0f0],
        outputs: [0xf1391922, 0x6fe53806, 0xa5be2840, 0xf510ee70],
      },
    ];
    for (const c of cases) {
      it(`matches the published outputs for ${c.name}`, () => {
        const next = xoshiro128StarStar(c.state);
        expect(c.outputs.map(() => next())).to.deep.equal(c.outputs);
      });
    }

    it('does not get stuck on an all-zero state', () => {
      const next = xoshiro128StarStar([0, 0, 0, 0]);
      expect([next(), next(), next(), next(), next()].some((x) => x !== 0)).to.equal(true);
    });
  });

  describe('seededRandom', () => {
    it('replays the same stream for the same seed', () => {
      const a = seededRandom(42);
      const b = seededRandom(42);
      const first = Array.from({ length: 1000 }, () => a());
      expect(Array.from({ length: 1000 }, () => b())).to.deep.equal(first);
    });

    it('keeps its stream stable across releases (simulation reports depend on it)', () => {
      const r = seededRandom(1);
      expect([r(), r(), r()]).to.deep.equal([0.5686059962026775, 0.753928849240765, 0.8893939366098493]);
    });

    it('gives unrelated streams for neighbouring seeds', () => {
      const a = seededRandom(7);
      const b = seededRandom(8);
      const xs = Array.from({ length: 100 }, () => a());
      const ys = Array.from({ length: 100 }, () => b());
      expect(xs.filter((x, i) => x === ys[i])).to.have.length(0);
    });

    it('stays in [0, 1) and spreads evenly', () => {
      const r = seededRandom(3);
      const counts = new Array<number>(10).fill(0);
      for (let i = 0; i < 100_000; i += 1) {
        const x = r();
        expect(x >= 0 && x < 1).to.equal(true);
        counts[Math.floor(x * 10)] += 1;
      }
      // Each decile expects 10,000 with a standard deviation under 100.
      for (const count of counts) expect(count).to.be.within(9_600, 10_400);
    });

    const badSeeds: unknown[] = [-1, 1.5, 2 ** 32, Number.NaN, '1', undefined];
    for (const seed of badSeeds) {
      it(`refuses the seed ${String(typeof seed === 'string' ? `'${seed}'` : seed)}`, () => {
        expect(() => seededRandom(seed as number))
          .to.throw(/^Expected `seed` to be a whole number from 0 to 4294967295, got /)
          .that.satisfies((error: unknown) => isPreprodError(error, 'usage'));
      });
    }
  });
});
