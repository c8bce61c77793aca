import { expect } from 'chai';
import { fetchSlots, SCAN_DEFAULTS, scanLimits, type ScanLimits } from '../../src/fleet/limits';

const KiB = 1024;
const MiB = 1024 * KiB;

describe('fleet scan limits', () => {
  describe('fetchSlots: the byte budget bounds fetches in flight whatever the concurrency', () => {
    const cases: [string, Partial<ScanLimits>, number][] = [
      ['the defaults', {}, 2048],
      ['a concurrency within the budget', { concurrency: 100 }, 100],
      ['--concurrency 4096 at the default budget', { concurrency: 4096 }, 2048],
      ['a smaller budget', { concurrency: 4096, budgetBytes: 64 * MiB }, 1024],
      ['a smaller reply cap', { concurrency: 4096, maxBytes: 16 * KiB }, 4096],
      ['a budget of one reply', { budgetBytes: 64 * KiB }, 1],
      ['a budget smaller than one reply still scans', { budgetBytes: 1000 }, 1],
    ];
    for (const [name, options, slots] of cases) {
      it(`${name}: ${slots}`, () => {
        expect(fetchSlots(scanLimits(options))).to.equal(slots);
      });
    }

    it('buffers at most the budget: slots × reply cap', () => {
      for (const concurrency of [1, 256, 1024, 4096, 10_000]) {
        for (const budgetBytes of [1000, 64 * KiB, MiB, 64 * MiB]) {
          const limits = scanLimits({ concurrency, budgetBytes });
          expect(fetchSlots(limits) * limits.maxBytes, `${concurrency} at ${budgetBytes}`).to.be.at.most(
            Math.max(budgetBytes, limits.maxBytes),
          );
          expect(limits.maxBytes).to.be.at.most(budgetBytes);
        }
      }
    });
  });

  describe('scanLimits', () => {
    const bad = [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 0.5];
    for (const value of bad) {
      it(`falls back to the defaults for ${value}`, () => {
        expect(scanLimits({ concurrency: value, timeoutMs: value, maxBytes: value, budgetBytes: value })).to.deep.equal(
          SCAN_DEFAULTS,
        );
      });
    }

    it('floors fractional values', () => {
      expect(scanLimits({ concurrency: 7.9, timeoutMs: 100.5 })).to.include({ concurrency: 7, timeoutMs: 100 });
    });

    it('caps one reply by the whole budget', () => {
      expect(scanLimits({ maxBytes: MiB, budgetBytes: 100 * KiB }).maxBytes).to.equal(100 * KiB);
    });

    it('defaults: 64 KiB per reply, 128 MiB in all, 5 s per node', () => {
      expect(SCAN_DEFAULTS).to.deep.equal({
        concurrency: 2048,
        timeoutMs: 5000,
        maxBytes: 64 * KiB,
        budgetBytes: 128 * MiB,
      });
    });
  });
});
