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
 * The mirror test ("harm ≥ margin", which promotes) is against one
 * alternative, θ_i = PROMOTE_RATIO · p_i, not a mixture (docs/health.md
 * "One alternative to promote"): a promote only needs to see "no harm", and
 * a mixture of five pays a factor of 5 for alternatives a healthy release
 * never takes; with ~800 release nodes that factor was two worsened nodes of
 * slack. The product is a supermartingale under the mirror null for the same
 * reason, and Ville's inequality holds for it the same way.
 *
 * Bounds come from inverting the test over the margin: the lower bound is
 * the largest margin the evidence rejects, the upper bound the smallest
 * margin the mirror test ("harm ≥ margin") rejects, both on the grid of a
 * 30-step bisection of [-1, 1] (gridSearch.ts).
 */
import { lastRejected } from './gridSearch';

/** Departures from the null share mixed over by the harm test, equally weighted. */
export const DELTAS = [0.01, 0.02, 0.04, 0.08, 0.16] as const;

/**
 * The promote test's one alternative as a share of its null share: nodes worsen at 0.4 of what the null
 * allows. Chosen between "as good as production" and the margin, from the counts a 13,000-node release
 * promotes with (docs/health.md "One alternative to promote").
 */
export const PROMOTE_RATIO = 0.4;

/** How many alternatives each direction's test mixes over: the harm test's δ grid, the promote test's one. */
export function alternativeCount(direction: 'above' | 'below'): number {
  return direction === 'above' ? DELTAS.length : 1;
}

/** Alternative `index` of a test whose null share is `p` (already clamped). */
export function alternativeShare(p: number, direction: 'above' | 'below', index: number): number {
  return direction === 'above' ? clamp(p + DELTAS[index]) : clamp(PROMOTE_RATIO * p);
}

/** Null shares are kept inside (EPS, 1 − EPS) so every ratio stays finite. */
const EPS = 1e-6;

export interface Outcome {
  /** 1 when the node worsened, else 0. */
  worsened: 0 | 1;
  /** The production share it is compared with (same hours, same stratum when big enough). */
  baseline: number;
}

/** A null share kept inside (EPS, 1 − EPS); the simulator's tracker uses the same. */
export function clamp(p: number): number {
  return Math.min(1 - EPS, Math.max(EPS, p));
}

/**
 * Outcomes grouped by their baseline: per distinct baseline (ascending) how many nodes worsened and how many
 * did not. Release nodes take few distinct baselines (one per release scan and stratum), so the e-value costs
 * O(distinct baselines) instead of O(nodes); and the sums run in one order whatever order the nodes came in,
 * so an incremental judge and a fresh one give the same figures.
 */
export interface OutcomeGroups {
  baselines: number[];
  worsened: number[];
  steady: number[];
  nodes: number;
}

/** Groups from a map of baseline → [worsened, steady] counts. */
export function groupsOf(counts: ReadonlyMap<number, readonly [number, number]>): OutcomeGroups {
  const baselines = [...counts.keys()].sort((a, b) => a - b);
  const worsened = baselines.map((b) => (counts.get(b) as readonly [number, number])[0]);
  const steady = baselines.map((b) => (counts.get(b) as readonly [number, number])[1]);
  const nodes = worsened.reduce((sum, w, g) => sum + w + steady[g], 0);
  return { baselines, worsened, steady, nodes };
}

/** The outcomes grouped by baseline. */
export function groupOutcomes(outcomes: readonly Outcome[]): OutcomeGroups {
  const counts = new Map<number, [number, number]>();
  for (const { worsened, baseline } of outcomes) {
    const entry = counts.get(baseline) ?? [0, 0];
    entry[worsened === 1 ? 0 : 1] += 1;
    counts.set(baseline, entry);
  }
  return groupsOf(counts);
}

const terms = new Float64Array(DELTAS.length);

/** logEValue over grouped outcomes. */
export function logEValueOfGroups(groups: OutcomeGroups, margin: number, direction: 'above' | 'below'): number {
  const count = alternativeCount(direction);
  terms.fill(0);
  const { baselines, worsened, steady } = groups;
  for (let g = 0; g < baselines.length; g += 1) {
    const p = clamp(baselines[g] + margin);
    for (let d = 0; d < count; d += 1) {
      const theta = alternativeShare(p, direction, d);
      if (worsened[g] > 0) terms[d] += worsened[g] * Math.log(theta / p);
      if (steady[g] > 0) terms[d] += steady[g] * Math.log((1 - theta) / (1 - p));
    }
  }
  let max = Number.NEGATIVE_INFINITY;
  for (let d = 0; d < count; d += 1) max = Math.max(max, terms[d]);
  let sum = 0;
  for (let d = 0; d < count; d += 1) sum += Math.exp(terms[d] - max);
  return max + Math.log(sum) - Math.log(count);
}

/**
 * The log of the e-value against "share ≤ baseline + margin" (direction
 * 'above': evidence the release is worse than the margin; the mixture over
 * DELTAS) or against "share ≥ baseline + margin" (direction 'below': evidence
 * it is better than that; the one alternative PROMOTE_RATIO).
 */
export function logEValue(outcomes: readonly Outcome[], margin: number, direction: 'above' | 'below'): number {
  return logEValueOfGroups(groupOutcomes(outcomes), margin, direction);
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

/** Always-valid one-sided bounds (each at level alpha) of the harm: release share − production share. */
export function shareBounds(outcomes: readonly Outcome[], alpha: number): ShareBounds {
  return boundsOfGroups(groupOutcomes(outcomes), alpha);
}

/**
 * shareBounds over grouped outcomes. `hint` (the bounds of an earlier look) only speeds the search: the
 * bounds are the same with or without it (gridSearch.ts).
 */
export function boundsOfGroups(
  groups: OutcomeGroups,
  alpha: number,
  hint?: Pick<ShareBounds, 'low' | 'high'>,
): ShareBounds {
  const { nodes } = groups;
  if (nodes === 0) return { estimate: 0, low: -1, high: 1, nodes };
  let sum = 0;
  for (let g = 0; g < groups.baselines.length; g += 1)
    sum += groups.worsened[g] - (groups.worsened[g] + groups.steady[g]) * groups.baselines[g];
  const threshold = Math.log(1 / alpha);
  const estimate = sum / nodes;
  // How far the bounds are from the estimate (a few standard errors), or from an earlier look's bounds.
  const scale = (hint === undefined ? 0.5 : 0.02) / Math.sqrt(nodes);
  const low = lastRejected((m) => logEValueOfGroups(groups, m, 'above'), threshold, hint?.low ?? estimate, scale);
  // "harm ≥ m" is rejected for every m above the upper bound: search on -m so the same helper applies.
  const high = -lastRejected(
    (m) => logEValueOfGroups(groups, -m, 'below'),
    threshold,
    -(hint?.high ?? estimate),
    scale,
  );
  return { estimate, low, high, nodes };
}
