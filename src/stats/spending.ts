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
 *
 * The budget is spent by whole watched hours (`spendingClock`), not by looks:
 * only the first look in each new watched hour gets α, and it gets the whole
 * hour's share, so scanning every 10 minutes gives the same bounds per hour as
 * scanning hourly (six looks an hour would otherwise get a sixth each).
 */

/**
 * Scans come a little early or late: a look up to 3 minutes before a whole
 * watched hour counts as that hour, so hourly scans with jitter still get
 * one hour's α each.
 */
const HOUR_TOLERANCE = 0.05;

/**
 * The watched hours the budget is spent by: whole hours (docs/gate.md,
 * "Hourly looks"). Any non-decreasing clock keeps the union bound, and this
 * one makes the α per watched hour independent of the scan rate.
 */
export function spendingClock(hours: number): number {
  return Math.max(0, Math.floor(hours + HOUR_TOLERANCE));
}

/** α spent by `hours` of watching: α·t/(t + τ); 0 at 0, α in the limit. */
export function spentAlpha(hours: number, alpha: number, halfLifeHours: number): number {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`Expected \`alpha\` to be between 0 and 1, got ${alpha}.`);
  if (!(halfLifeHours > 0)) throw new RangeError(`Expected \`halfLifeHours\` to be positive, got ${halfLifeHours}.`);
  const t = Math.max(0, hours);
  return t === Number.POSITIVE_INFINITY ? alpha : (alpha * t) / (t + halfLifeHours);
}

/**
 * The one-sided confidence of a look at `hours` whose previous look was at
 * `previousHours` (both hours watched): 1 − (α spent between the two on the
 * `spendingClock`). Null when no whole watched hour began between them: such a
 * look has no α of its own and must repeat the previous look's answer or none.
 */
export function lookConfidence(
  previousHours: number,
  hours: number,
  confidence: number,
  halfLifeHours: number,
): number | null {
  const alpha = 1 - confidence;
  const now = spendingClock(hours);
  const before = spendingClock(previousHours);
  if (now <= before) return null;
  const spent = spentAlpha(now, alpha, halfLifeHours) - spentAlpha(before, alpha, halfLifeHours);
  return spent > 0 ? 1 - spent : null;
}
