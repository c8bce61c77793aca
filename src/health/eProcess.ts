/**
 * An always-valid test of a share of nodes against per-node null shares
 * (docs/health.md "Sequential validity"). Pure.
 *
 * Each release node i gives one outcome w_i ∈ {0, 1} (it worsened) and a
 * null share p_i (production's share over the same hours plus the margin).
 * Under "harm ≤ margin" (E[w_i] ≤ p_i for every i), for any θ_i > p_i the
 * product of likelihood ratios Π (θ_i/p_i)^w_i ((1−θ_i)/(1−p_i))^(1−w_i) is a
 * nonnegative supermartingale in the order nodes complete, with mean ≤ 1. A
 * fixed mixture over alternatives θ_i = p_i + δ (δ on a geometric grid) is
 * one too, so by Ville's inequality it ever reaches 1/α with probability at
 * most α: the gate may look after every scan, every hour, for as long as it
 * likes, and its false halts stay ≤ α. Each node adds one bounded factor, so
 * no node can move the result more than its own outcome does.
 *
 * Bounds come from inverting the test over the margin (bisection): the lower
 * bound is the largest margin the evidence rejects, the upper bound the
 * smallest margin the mirror test ("harm ≥ margin") rejects.
 */

/** Departures from the null share mixed over, equally weighted. */
export const DELTAS = [0.01, 0.02, 0.04, 0.08, 0.16] as const;

/** Null shares are kept inside (EPS, 1 − EPS) so every ratio stays finite. */
const EPS = 1e-6;

export interface Outcome {
  /** 1 when the node worsened, else 0. */
  worsened: 0 | 1;
  /** The production share it is compared with (same hours, same stratum when big enough). */
  baseline: number;
}

function clamp(p: number): number {
  return Math.min(1 - EPS, Math.max(EPS, p));
}

function logSumExp(values: readonly number[]): number {
  const max = Math.max(...values);
  if (max === -Infinity) return -Infinity;
  return max + Math.log(values.reduce((sum, v) => sum + Math.exp(v - max), 0));
}

/**
 * The log of the mixture e-value against "share ≤ baseline + margin"
 * (direction 'above': evidence the release is worse than the margin) or
 * against "share ≥ baseline + margin" (direction 'below': evidence it is
 * better than that).
 */
export function logEValue(outcomes: readonly Outcome[], margin: number, direction: 'above' | 'below'): number {
  const terms = DELTAS.map((delta) => {
    let sum = 0;
    for (const { worsened, baseline } of outcomes) {
      const p = clamp(baseline + margin);
      const theta = clamp(direction === 'above' ? p + delta : p - delta);
      sum += worsened === 1 ? Math.log(theta / p) : Math.log((1 - theta) / (1 - p));
    }
    return sum;
  });
  return logSumExp(terms) - Math.log(DELTAS.length);
}

/** Whether the evidence rejects "harm ≤ margin" at level alpha. */
export function rejectsAtMost(outcomes: readonly Outcome[], margin: number, alpha: number): boolean {
  return logEValue(outcomes, margin, 'above') >= Math.log(1 / alpha);
}

export interface ShareBounds {
  /** Mean of worsened − baseline over the nodes: the difference-in-differences estimate. */
  estimate: number;
  /** The harm is more than this (always valid at alpha), -1 when nothing is shown. */
  low: number;
  /** The harm is less than this (always valid at alpha), 1 when nothing is shown. */
  high: number;
  nodes: number;
}

const BISECTIONS = 30;

/** The largest m in [-1, 1] for which `rejects(m)` holds, assuming it holds below some point only; -1 if none. */
function lastRejected(rejects: (m: number) => boolean): number {
  if (!rejects(-1)) return -1;
  if (rejects(1)) return 1;
  let lo = -1;
  let hi = 1;
  for (let i = 0; i < BISECTIONS; i += 1) {
    const mid = (lo + hi) / 2;
    if (rejects(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** Always-valid one-sided bounds (each at level alpha) of the harm: release share − production share. */
export function shareBounds(outcomes: readonly Outcome[], alpha: number): ShareBounds {
  const nodes = outcomes.length;
  if (nodes === 0) return { estimate: 0, low: -1, high: 1, nodes };
  const estimate = outcomes.reduce((sum, o) => sum + o.worsened - o.baseline, 0) / nodes;
  const threshold = Math.log(1 / alpha);
  const low = lastRejected((m) => logEValue(outcomes, m, 'above') >= threshold);
  // "harm ≥ m" is rejected for every m above the upper bound: search on -m so the same helper applies.
  const high = -lastRejected((m) => logEValue(outcomes, -m, 'below') >= threshold);
  return { estimate, low, high, nodes };
}
