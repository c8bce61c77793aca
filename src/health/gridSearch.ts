/**
 * The largest margin a test rejects, on the grid a 30-step bisection of
 * [-1, 1] visits (docs/health.md "Sequential validity"). Pure.
 *
 * Bisection asks the test 32 times per bound. The e-value is smooth and
 * decreasing in the margin, so a secant step lands next to the answer in a
 * few asks; the answer is still a grid point k with "rejects at k" and "does
 * not reject at k + 1", exactly the point bisection ends on for a monotone
 * test, so the bounds do not depend on the search, nor on the hint (the bound
 * of an earlier look) that starts it.
 */

/** Bisection steps the grid stands for: points -1 + k · 2 / 2^30. */
export const BISECTIONS = 30;
const POINTS = 2 ** BISECTIONS;
const STEP = 2 / POINTS;
const marginAt = (k: number): number => -1 + k * STEP;

/** A bracket [lo, hi] of grid points: the test rejects at lo, not at hi. */
interface Bracket {
  lo: number;
  fLo: number;
  hi: number;
  fHi: number;
}

/**
 * A bracket found from `start`, stepping away by `step` grid points, four times further each ask; when the
 * grid's end is reached first, the answer is that end: -1 or 1.
 */
function bracketFrom(f: (k: number) => number, start: number, step: number): Bracket | -1 | 1 {
  const k0 = Math.min(POINTS, Math.max(0, Math.round((start + 1) / STEP)));
  const f0 = f(k0);
  const up = f0 >= 0;
  let [near, fNear] = [k0, f0];
  for (let far = step; ; far *= 4) {
    if (near === (up ? POINTS : 0)) return up ? 1 : -1;
    const k = up ? Math.min(POINTS, k0 + far) : Math.max(0, k0 - far);
    const fk = f(k);
    if (fk >= 0 !== up) return up ? { lo: near, fLo: fNear, hi: k, fHi: fk } : { lo: k, fLo: fk, hi: near, fHi: fNear };
    [near, fNear] = [k, fk];
  }
}

/**
 * The largest grid margin m with `value(m) ≥ threshold`, assuming `value` decreases in m; -1 when even -1 is
 * not rejected, 1 when 1 is. The search starts at `start` (a bound of an earlier look, or the estimate) and
 * brackets the answer in steps from `scale` up; then the secant through the last two asks, halving the
 * bracket when the secant leaves it or three asks did not halve it. Once a point is within two grid steps of
 * the root its neighbour on the root's side is asked next, which closes the bracket.
 */
export function lastRejected(value: (margin: number) => number, threshold: number, start = 0, scale = 0.01): number {
  const f = (k: number): number => value(marginAt(k)) - threshold;
  const found = bracketFrom(f, start, Math.max(1, Math.round(scale / STEP)));
  if (typeof found === 'number') return found;
  let { lo, hi } = found;
  // The last two asks, for the secant: the bracket's ends to begin with.
  let [k1, f1, k2, f2] = [found.lo, found.fLo, found.hi, found.fHi];
  const widths = [POINTS, POINTS, POINTS];
  while (hi - lo > 1) {
    const slope = (f1 - f2) / (k2 - k1);
    const root = k2 - f2 / -slope;
    let k = Math.floor(root);
    if (Math.abs(f2) < 2 * Math.abs(slope)) k = f2 >= 0 ? k2 + 1 : k2 - 1;
    if (!(k > lo && k < hi) || hi - lo > widths[0] / 2) k = Math.floor((lo + hi) / 2);
    const fk = f(k);
    if (fk >= 0) lo = k;
    else hi = k;
    [k1, f1, k2, f2] = [k2, f2, k, fk];
    widths.shift();
    widths.push(hi - lo);
  }
  return marginAt(lo);
}
