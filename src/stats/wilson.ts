/**
 * Binomial intervals shared by the fleet view, the gate and the simulators. Pure functions.
 */

/** The 97.5th percentile of the standard normal distribution: z of a two-sided 95% interval. */
export const Z_95 = 1.959964;

export interface Interval {
  low: number;
  high: number;
}

/**
 * Wilson score interval for a binomial proportion (Wilson 1927): unlike the
 * normal-approximation interval it stays inside [0, 1] and keeps its coverage
 * at shares near 0, which is where a 7% preprod cohort lives. Returns null
 * when n is 0 (no information).
 */
export function wilsonInterval(successes: number, n: number, z = Z_95): Interval | null {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`Expected \`n\` to be a non-negative integer, got ${n}.`);
  if (!Number.isInteger(successes) || successes < 0 || successes > n) {
    throw new RangeError(`Expected \`successes\` to be an integer in 0..${n}, got ${successes}.`);
  }
  if (!(Number.isFinite(z) && z > 0)) throw new RangeError(`Expected \`z\` to be a positive number, got ${z}.`);
  if (n === 0) return null;
  const p = successes / n;
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denominator;
  const half = (z / denominator) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // At 0/n and n/n the bound is exactly 0 or 1; rounding would otherwise leave -1e-17.
  return {
    low: successes === 0 ? 0 : Math.max(0, centre - half),
    high: successes === n ? 1 : Math.min(1, centre + half),
  };
}
