/**
 * The gate's statistics (docs/gate.md): one-sided Wilson bounds for a share
 * against a ceiling, and Newcombe's hybrid score interval for the difference
 * of two shares against a non-inferiority margin. Pure functions.
 */
import { wilsonInterval } from './wilson';

// Acklam's rational approximation of the normal quantile (relative error < 1.2e-9).
const A = [
  -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239,
];
const B = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
const C = [
  -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
  2.938163982698783,
];
const D = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
const P_LOW = 0.02425;

function tailQuantile(q: number): number {
  const numerator = ((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5];
  return numerator / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1);
}

/** z such that P(Z ≤ z) = p for a standard normal Z; p in (0, 1). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`Expected \`p\` to be a number between 0 and 1, got ${p}.`);
  if (p < P_LOW) return tailQuantile(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - P_LOW) return -tailQuantile(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  const numerator = (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q;
  return numerator / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1);
}

export interface Bounds {
  /** The observed share or difference. */
  estimate: number;
  /** One-sided lower bound at the confidence: the true value is at least this. */
  low: number;
  /** One-sided upper bound at the confidence: the true value is at most this. */
  high: number;
}

/**
 * One-sided Wilson bounds of `count` out of `n` at `confidence` (e.g. 0.99):
 * each bound alone holds with that confidence. Null when n is 0. Wilson keeps
 * its coverage near 0, where crash-loop and switch-failure shares live.
 */
export function wilsonBounds(count: number, n: number, confidence: number): Bounds | null {
  const interval = wilsonInterval(count, n, normalQuantile(confidence));
  if (interval === null) return null;
  return { estimate: count / n, low: interval.low, high: interval.high };
}

/**
 * Newcombe's hybrid score interval (1998, method 10) for p1 − p2, from the
 * Wilson bounds of each share, one-sided at `confidence` on each side. Null
 * when either group is empty. Unlike the Wald interval it behaves when a
 * share is 0 or the groups are small.
 */
export function differenceBounds(x1: number, n1: number, x2: number, n2: number, confidence: number): Bounds | null {
  const first = wilsonBounds(x1, n1, confidence);
  const second = wilsonBounds(x2, n2, confidence);
  if (first === null || second === null) return null;
  const estimate = first.estimate - second.estimate;
  const low = estimate - Math.hypot(first.estimate - first.low, second.high - second.estimate);
  const high = estimate + Math.hypot(first.high - first.estimate, second.estimate - second.low);
  return { estimate, low, high };
}
