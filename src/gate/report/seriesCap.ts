/**
 * The cap on version series shared by `fleet --prom` and `fleet watch`: the
 * most common versions by name, the rest summed under `other`, so a hostile
 * fleet cannot create thousands of series. No prom-client here: `fleet`
 * loads this without the metrics library. Pure.
 */

/** Versions per state exported by name; the rest go under `other`. */
export const MAX_VERSION_SERIES = 20;

/** The most common `max` entries (ties by name), the rest summed under `other`. Keys are data. */
export function topCounts(counts: Record<string, number>, max: number): [string, number][] {
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const top = entries.slice(0, max);
  const rest = entries.slice(max).reduce((sum, [, n]) => sum + n, 0);
  return rest > 0 ? [...top, ['other', rest]] : top;
}
