/**
 * Difference-in-differences per node (docs/health.md). Pure: scans are
 * indices, the look is an argument.
 *
 * For one signal, each node has one value per scan: good (1), bad (0) or
 * unknown (-1: not asked, silent, or the field missing). A release node that
 * first reported the release at scan τ is compared with itself: its bad share
 * over the `windowScans` scans after τ against the same number before τ (the
 * scan at τ, the restart onto the release, belongs to neither). It *worsened*
 * when the bad share rose by at least `worsenShare`: the node's own level
 * cancels, so a node that never hosts apps or always answers slowly is not
 * counted against the release. Production nodes are put through the same
 * rule over the same scans; their worsened share is the baseline the node is
 * compared with, so what happens to the whole fleet in those hours (a
 * provider outage, a daemon upgrade) cancels too.
 *
 * A node has an outcome around τ only when its value at τ itself is known
 * (docs/health.md "Known at the switch"). A release node always is: τ is the
 * scan at which it answered on the release. A production node silent at τ is
 * not like it: a home node asleep at τ brings its morning's restarts and
 * losses into the after-window, and release nodes of its kind have none
 * there (their τ is their morning boot, and their before-window the night).
 *
 * A node's outcome is fixed once its after-window has passed: the gate may
 * look every hour and every look sees the same outcomes plus new ones, which
 * is what the always-valid test (eProcess.ts) needs.
 */

export const GOOD = 1;
export const BAD = 0;
export const UNKNOWN = -1;

export interface DidSettings {
  /** Scans in each window, before and after the release. Default 12 (12 h of hourly scans). */
  windowScans: number;
  /** Rise of the bad share that makes a node worsened. Default 0.25 (3 bad scans of 12 more than before). */
  worsenShare: number;
  /** Share of each window's scans that must be known for the node to count. Default 0.5. */
  minKnownShare: number;
}

export const DID_DEFAULTS: Readonly<DidSettings> = Object.freeze({
  windowScans: 12,
  worsenShare: 0.25,
  minKnownShare: 0.5,
});

/** One node's values of one signal, per scan (GOOD, BAD, UNKNOWN). */
export type SignalSeries = Int8Array;

function badShare(series: SignalSeries, from: number, to: number, minKnown: number): number | null {
  let known = 0;
  let bad = 0;
  for (let scan = Math.max(0, from); scan < Math.min(series.length, to); scan += 1) {
    const value = series[scan];
    if (value === UNKNOWN) continue;
    known += 1;
    if (value === BAD) bad += 1;
  }
  return known >= minKnown && known > 0 ? bad / known : null;
}

/**
 * Whether a node worsened around scan `tau`: 1 or 0, or null when a window is
 * not complete at `lookScan` or has too few known scans.
 */
export function worsenedAround(
  series: SignalSeries,
  tau: number,
  lookScan: number,
  settings: DidSettings = DID_DEFAULTS,
): 0 | 1 | null {
  const w = settings.windowScans;
  if (tau - w < 0 || tau + w > lookScan) return null;
  if (tau >= series.length || series[tau] === UNKNOWN) return null;
  const minKnown = Math.ceil(w * settings.minKnownShare);
  const before = badShare(series, tau - w, tau, minKnown);
  const after = badShare(series, tau + 1, tau + w + 1, minKnown);
  if (before === null || after === null) return null;
  return after - before >= settings.worsenShare - 1e-9 ? 1 : 0;
}

/** The scan at which a node first reporting the release at `tau` has a complete outcome. */
export function completeAt(tau: number, settings: DidSettings = DID_DEFAULTS): number {
  return tau + settings.windowScans;
}

/** Worsened share of a group of series around `tau`; null when fewer than `minNodes` have an outcome. */
export function baselineShare(
  group: readonly SignalSeries[],
  tau: number,
  lookScan: number,
  minNodes: number,
  settings: DidSettings = DID_DEFAULTS,
): { share: number; nodes: number } | null {
  let nodes = 0;
  let worsened = 0;
  for (const series of group) {
    const outcome = worsenedAround(series, tau, lookScan, settings);
    if (outcome === null) continue;
    nodes += 1;
    worsened += outcome;
  }
  return nodes >= minNodes && nodes > 0 ? { share: worsened / nodes, nodes } : null;
}
