/**
 * Alpha spending over time for a gate that is asked after every scan
 * (docs/gate.md, "Hourly looks"). Pure functions.
 *
 * The error rate α = 1 − confidence is spent along the hours the release has
 * been watched: by hour t, α·t/(t + τ) is spent (τ = `halfLifeHours`: half of
 * α is gone by then, and the rest is spread over all later hours, with no end
 * to fix in advance). A look at hour t after a look at hour s spends the
 * difference, and its bounds are one-sided at 1 − that difference. By the
 * union bound, the chance that *any* look's bound misses is at most α, for any
 * schedule of looks and however the looks depend on each other: looking more
 * often does not raise it, it only makes each look's share smaller.
 */

/** α spent by `hours` of watching: α·t/(t + τ); 0 at 0, α in the limit. */
export function spentAlpha(hours: number, alpha: number, halfLifeHours: number): number {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`Expected \`alpha\` to be between 0 and 1, got ${alpha}.`);
  if (!(halfLifeHours > 0)) throw new RangeError(`Expected \`halfLifeHours\` to be positive, got ${halfLifeHours}.`);
  const t = Math.max(0, hours);
  return t === Number.POSITIVE_INFINITY ? alpha : (alpha * t) / (t + halfLifeHours);
}

/**
 * The one-sided confidence of a look at `hours` whose previous look was at
 * `previousHours` (both hours watched): 1 − (α spent between the two). Null
 * when no time passed between them: such a look has no α of its own and must
 * repeat the previous look's answer or none.
 */
export function lookConfidence(
  previousHours: number,
  hours: number,
  confidence: number,
  halfLifeHours: number,
): number | null {
  const alpha = 1 - confidence;
  const spent = spentAlpha(hours, alpha, halfLifeHours) - spentAlpha(previousHours, alpha, halfLifeHours);
  return spent > 0 ? 1 - spent : null;
}
